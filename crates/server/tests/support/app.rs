//! A real SQLite store in a temporary directory with the demo batch (fixtures/demo) audited into it by
//! the same runner `origin-audit run` uses, one issued certificate, and an account of each role.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use origin_engine::run::{Progress, RunOptions};
use origin_engine::sink::Discard;
use origin_server::{AppState, Config};
use origin_store::runner::{self, DEFAULT_CHUNK, RunPack, RunRequest};
use origin_store::{IssueRequest, Store, UserRole};
use tower::ServiceExt;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The fixture: keep `_dir` alive as long as the store is used.
pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub state: AppState,
    pub run: String,
    /// An issued certificate (good LMP-FOG-LED).
    pub certificate: String,
    /// A scenario run of `run` (the shipped cn-content-cap-10).
    pub scenario: String,
    /// name -> token; names: ana (analyst), aud and aud2 (auditors), ada (admin), gone (disabled auditor).
    /// The supplier account `sup` has no token: it signs in by invitation ([`Fixture::session`]).
    pub tokens: HashMap<&'static str, String>,
    /// A request to Conectores de Chihuahua (the HS discrepancy of WH-IP-220), answered with a PDF.
    pub request: String,
}

impl Fixture {
    pub fn app(&self) -> Router {
        origin_server::app(self.state.clone())
    }

    pub fn store(&self) -> &Store {
        self.state.store()
    }

    pub fn token(&self, name: &str) -> &str {
        self.tokens.get(name).map(String::as_str).unwrap_or("")
    }

    /// The id of the first finding with this code.
    pub async fn finding(&self, code: &str) -> String {
        let all = self.store().findings(&Default::default()).await.unwrap();
        all.into_iter().find(|f| f.code.as_str() == code).map(|f| f.id).unwrap_or_default()
    }

    /// The id of the finding with this code on this good.
    pub async fn finding_of(&self, code: &str, good: &str) -> String {
        let all = self.store().findings(&Default::default()).await.unwrap();
        all.into_iter().find(|f| f.code.as_str() == code && f.good == good).map(|f| f.id).unwrap_or_default()
    }

    /// A browser session for an account: (cookie id, CSRF token). `sup`, the supplier, signs in
    /// through a fresh invitation link of its request.
    pub async fn session(&self, name: &str) -> (String, String) {
        if name == "sup" {
            let link = self.store().reinvite(&self.request, "http://localhost", "fixture").await.unwrap();
            let token = link.rsplit('/').next().unwrap();
            let (id, s, _) = self.store().redeem_invitation(token).await.unwrap().unwrap();
            return (id, s.csrf);
        }
        let (id, s) = self.store().open_session(name, self.token(name)).await.unwrap().unwrap();
        (id, s.csrf)
    }
}

pub async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("origin-audit.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let rules_dir = repo().join("rules/usmca");
    let pack = RunPack::load(rules_dir.into()).expect("the bundled rule pack loads");
    let req = RunRequest {
        batches: vec![repo().join("fixtures/demo/batch.yaml")],
        pack: pack.clone(),
        opts: RunOptions { as_of: None, threads: Some(1) },
        actor: "fixture".into(),
        chunk: DEFAULT_CHUNK,
        bom_scope: Default::default(),
        upload_dir: None,
    };
    let stored = runner::start(&store, &req, Arc::new(Progress::default()), &mut Discard).await.unwrap();
    let run = stored.id;
    let cert = store
        .issue_certificate(&IssueRequest {
            run: run.clone(),
            good: "LMP-FOG-LED".into(),
            blanket: None,
            actor: "fixture".into(),
        })
        .await
        .unwrap();
    let cap = origin_rules::scenario::shipped().into_iter().find(|s| s.id == "cn-content-cap-10").unwrap();
    let scenario = store.run_scenario(&cap, &run, "fixture", Some(1)).await.unwrap().id;
    let mut tokens = HashMap::new();
    for (name, role) in [
        ("ana", UserRole::Analyst),
        ("aud", UserRole::Auditor),
        ("aud2", UserRole::Auditor),
        ("ada", UserRole::Admin),
        ("gone", UserRole::Auditor),
    ] {
        let (_, token) = store.add_user(name, role, "fixture").await.unwrap();
        tokens.insert(name, token);
    }
    store.disable_user("gone", "fixture").await.unwrap();
    let request = supplier_request(&store, &run).await;
    let state = AppState::new(store, Config { pack, secure_cookies: true, duties: None, volumes: None });
    Fixture { _dir: dir, state, run, certificate: cert.id, scenario, tokens, request }
}

/// The supplier whose account the fixture makes.
pub const SUPPLIER: &str = "Conectores de Chihuahua S.A. de C.V.";

/// A sent request to [`SUPPLIER`], answered with a question's answer and a PDF.
async fn supplier_request(store: &Store, run: &str) -> String {
    use origin_store::evidence;
    use origin_store::solicit::{AnswerBody, QuestionAnswer};
    let (_d, _p, batches) = evidence::load_run_batches(store, run).await.unwrap();
    let plan = store.solicitation_plan(run, &evidence::currencies(&batches)).await.unwrap();
    let due = chrono::Utc::now().date_naive() + chrono::Duration::days(21);
    let made =
        store.create_requests(&plan, Some(&[SUPPLIER.to_string()]), due, &HashMap::new(), "fixture").await.unwrap();
    let (r, link) = store.send_request(&made[0].id, "http://localhost", "fixture").await.unwrap();
    let (_, session, _) = store.redeem_invitation(link.rsplit('/').next().unwrap()).await.unwrap().unwrap();
    let doc = store.put_document("ruling.pdf", b"%PDF-1.4\n%%EOF\n", &["application/pdf"]).await.unwrap();
    let body = AnswerBody {
        certification: None,
        answers: vec![QuestionAnswer { ask: 0, text: "8536.69 is right; corrected certification follows".into() }],
        documents: vec![doc],
    };
    store.answer_request(&r.id, &session.user, &body, chrono::Utc::now().date_naive()).await.unwrap();
    r.id
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }
}

/// Sends one request through the whole application (guard, limits, headers) without a socket.
pub async fn send(app: Router, req: Request<Body>) -> Answer {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes().to_vec();
    Answer { status, headers, body }
}

/// An API request with an optional bearer token and JSON body.
pub fn api(method: Method, uri: &str, token: Option<&str>, body: Option<serde_json::Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

/// A page request with an optional session cookie and form body.
pub fn page(method: Method, uri: &str, session: Option<&str>, form: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(s) = session {
        b = b.header(header::COOKIE, format!("{}={s}", origin_server::auth::SESSION_COOKIE_SECURE));
    }
    match form {
        Some(f) => {
            b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(f.to_string())).unwrap()
        }
        None => b.body(Body::empty()).unwrap(),
    }
}
