//! Supplier evidence on the web (issue 16): the auditor's campaign page (plan, create and send
//! requests, decide answers, re-run with evidence, expiry calendar), the one-time invitation that signs a
//! supplier in, and the supplier's own pages, where it sees only its requests and answers them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Form;
use axum::Json;
use axum::extract::{Extension, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use origin_store::evidence::{self, Expiring, RerunRequest};
use origin_store::solicit::{AnswerBody, AskKind, CertificationAnswer, Document, Plan, QuestionAnswer, RequestRow};
use origin_store::{IdKind, UserRole, new_secret};
use serde::Deserialize;

use crate::auth::{Caller, Permission, cookie, login_csrf_cookie, session_cookie};
use crate::error::AppError;
use crate::html::{self, csrf_field, error_page, esc, status_badge, url_encode};
use crate::{AppState, signin};

type PageResult = Result<Response, Response>;

fn fail(caller: &Caller) -> impl Fn(AppError) -> Response + '_ {
    move |e| error_page(&e, Some(caller))
}

/// The form fields of the supplier's answer (multipart).
pub const ANSWER_FIELDS: &[(&str, &str)] = &[
    ("csrf", "the session's CSRF token"),
    (
        "cert_id, certifier_name, certifier_role, certifier_address, producer, parts, description, hs, criterion, country, blanket_from, blanket_to, signed_by, signed",
        "the certification's Annex 5-A fields (when the request asks for one)",
    ),
    ("cert_pdf", "the signed certification, a PDF of at most 10 MiB"),
    ("answer_N", "the answer to question N (1-based)"),
    ("documents", "documents for provenance signals: PDF, PNG or JPEG, at most 10 MiB each"),
];

/// Where invitation links point: `ORIGIN_AUDIT_PUBLIC_URL`, else this request's host.
fn base_url(headers: &HeaderMap) -> String {
    if let Ok(u) = std::env::var("ORIGIN_AUDIT_PUBLIC_URL")
        && !u.trim().is_empty()
    {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

async fn plan(s: &AppState, run: &str) -> Result<Plan, AppError> {
    let (_dir, _paths, batches) = evidence::load_run_batches(s.store(), run).await?;
    Ok(s.store().solicitation_plan(run, &evidence::currencies(&batches)).await?)
}

/// `GET /api/runs/{run}/solicitation-plan`.
pub async fn api_plan(State(s): State<AppState>, Path(run): Path<String>) -> Result<Json<Plan>, AppError> {
    let id = s.store().resolve_id(IdKind::Run, &run).await?;
    Ok(Json(plan(&s, &id).await?))
}

/// `?run=`.
#[derive(Debug, Deserialize)]
pub struct RunQuery {
    run: Option<String>,
    today: Option<String>,
}

/// `GET /api/requests`.
pub async fn api_requests(
    State(s): State<AppState>,
    Query(q): Query<RunQuery>,
) -> Result<Json<Vec<RequestRow>>, AppError> {
    let run = match q.run.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(s.store().resolve_id(IdKind::Run, r).await?),
        None => None,
    };
    Ok(Json(s.store().requests(run.as_deref(), None).await?))
}

async fn expiring_rows(s: &AppState, q: &RunQuery) -> Result<(String, NaiveDate, Vec<Expiring>), AppError> {
    let run = match q.run.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => s.store().resolve_id(IdKind::Run, r).await?,
        None => s
            .store()
            .runs()
            .await?
            .into_iter()
            .find(|r| r.status == "completed")
            .map(|r| r.id)
            .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "no completed run in the store"))?,
    };
    let today = match q.today.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => t
            .parse()
            .map_err(|_| AppError::bad_request(format!("today `{t}` is not a date")).help("write YYYY-MM-DD"))?,
        None => chrono::Utc::now().date_naive(),
    };
    let rows = evidence::expiring(s.store(), &run, today).await?;
    Ok((run, today, rows))
}

/// `GET /api/expiring`.
pub async fn api_expiring(
    State(s): State<AppState>,
    Query(q): Query<RunQuery>,
) -> Result<Json<Vec<Expiring>>, AppError> {
    Ok(Json(expiring_rows(&s, &q).await?.2))
}

/// `GET /expiring`: the expiry calendar.
pub async fn expiring_page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<RunQuery>,
) -> PageResult {
    let (run, today, rows) = expiring_rows(&s, &q).await.map_err(fail(&c))?;
    let mut b = format!(
        "<h1>Certifications expiring</h1><p>Run <a href=\"/runs/{0}\">{0}</a>, counted from {today}.</p>",
        esc(&run)
    );
    for h in [30, 60, 90] {
        let these: Vec<&Expiring> = rows.iter().filter(|r| r.within == h).collect();
        let _ = write!(
            b,
            "<h2 id=\"within-{h}\">Within {h} days ({})</h2><table><tr><th>certification</th><th>supplier</th><th>ends</th><th>days</th><th>source</th><th>goods depending on it</th></tr>",
            these.len()
        );
        for r in these {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.certification),
                esc(&r.supplier),
                r.blanket_to,
                r.days_left,
                esc(&r.source),
                esc(&r.goods.join(", "))
            );
        }
        b.push_str("</table>");
    }
    Ok(html::ok("Expiring certifications", &c, &b))
}

fn kind_word(k: AskKind) -> &'static str {
    match k {
        AskKind::Certification => "certification",
        AskKind::Classification => "classification",
        AskKind::Question => "question",
        AskKind::ClearSignal => "clear a signal",
    }
}

fn requests_table(rows: &[RequestRow], link: &str) -> String {
    let mut b = String::from(
        "<table id=\"requests\"><tr><th>request</th><th>supplier</th><th>state</th><th>due</th><th>items</th></tr>",
    );
    for r in rows {
        let _ = write!(
            b,
            "<tr><td><a class=\"request-link\" href=\"{link}{0}\">{1}</a></td><td>{2}</td><td class=\"state\">{3}</td><td>{4}</td><td>{5}</td></tr>",
            esc(&r.id),
            esc(&r.id[..8.min(r.id.len())]),
            esc(&r.supplier),
            status_badge(&r.state),
            esc(&r.due_date),
            r.asks.len()
        );
    }
    b.push_str("</table>");
    b
}

/// `GET /runs/{run}/solicit`: the plan, the requests made, the form to make and send them.
pub async fn campaign(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(run): Path<String>,
) -> PageResult {
    let e = fail(&c);
    let id = s.store().resolve_id(IdKind::Run, &run).await.map_err(|x| e(x.into()))?;
    let p = plan(&s, &id).await.map_err(&e)?;
    let requests = s.store().requests(Some(&id), None).await.map_err(|x| e(x.into()))?;
    Ok(html::ok("Supplier evidence", &c, &campaign_body(&c, &id, &p, &requests, "")))
}

fn campaign_body(c: &Caller, run: &str, p: &Plan, requests: &[RequestRow], flash: &str) -> String {
    let mut b = format!(
        "<h1>Supplier evidence for run <a href=\"/runs/{0}\">{1}</a></h1>{flash}<p><a href=\"/expiring?run={0}\">Expiry calendar</a></p>",
        esc(run),
        esc(&run[..8.min(run.len())])
    );
    let _ = write!(b, "<h2>Plan</h2><div id=\"plan\">");
    if p.suppliers.is_empty() {
        b.push_str("<p>No open finding needs anything from a supplier.</p>");
    }
    for sp in &p.suppliers {
        let cur = sp.asks.first().map(|a| a.currency.as_str()).unwrap_or("");
        let _ = write!(
            b,
            "<div class=\"box supplier\"><h3>{}</h3><p>{} item(s); the answers would make <strong>{} {}</strong> originating.</p><ul>",
            esc(&sp.supplier),
            sp.asks.len(),
            esc(&sp.value),
            esc(cur)
        );
        for a in &sp.asks {
            let _ = write!(
                b,
                "<li><strong>{}</strong> {} (part {}, HS {}): {} for <a href=\"/findings/{}\">{}</a>{}<br>{}<br><em>{}</em></li>",
                esc(&a.good),
                esc(&a.line),
                esc(a.part.as_deref().unwrap_or("-")),
                esc(&a.hs),
                kind_word(a.kind),
                esc(&a.finding),
                esc(&a.code),
                a.covers.map(|d| format!(", period to include {d}")).unwrap_or_default(),
                esc(&a.questions.join(" ")),
                esc(&a.effect)
            );
        }
        b.push_str("</ul></div>");
    }
    b.push_str("</div>");
    if Permission::Solicit.allows(c.user.role) && !p.suppliers.is_empty() {
        let due = (chrono::Utc::now() + chrono::Duration::days(21)).date_naive();
        let _ = write!(
            b,
            "<h2>Ask the suppliers</h2><form method=\"post\" action=\"/runs/{}/solicit\" class=\"box\" id=\"campaign-form\">{}<p><label>Answer by <input type=\"date\" name=\"due\" id=\"due\" value=\"{due}\" required></label></p><p><label>Mail addresses, one per line as <code>supplier = address</code> (optional; without one, hand over the link shown)<br><textarea name=\"contacts\" id=\"contacts\" rows=\"4\" cols=\"80\"></textarea></label></p><p><button type=\"submit\" id=\"send-requests\">Make and send one request per supplier</button></p></form>",
            esc(run),
            csrf_field(c)
        );
    }
    let _ = write!(b, "<h2>Requests</h2>{}", requests_table(requests, "/requests/"));
    if Permission::RunAudit.allows(c.user.role) && requests.iter().any(|r| r.state == "accepted") {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/runs/{}/rerun\" class=\"box\" id=\"rerun-form\">{}<p>Re-audit the goods the accepted certifications affect, as a new run.</p><button type=\"submit\" id=\"rerun\">Re-run with evidence</button></form>",
            esc(run),
            csrf_field(c)
        );
    }
    b
}

/// The campaign form.
#[derive(Debug, Deserialize)]
pub struct CampaignForm {
    due: String,
    #[serde(default)]
    contacts: String,
}

/// `POST /runs/{run}/solicit`: one request per supplier of the plan, each sent; the page shows the links.
pub async fn create_campaign(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    headers: HeaderMap,
    Path(run): Path<String>,
    Form(f): Form<CampaignForm>,
) -> PageResult {
    let e = fail(&c);
    let id = s.store().resolve_id(IdKind::Run, &run).await.map_err(|x| e(x.into()))?;
    let due: NaiveDate = f.due.parse().map_err(|_| {
        e(AppError::bad_request(format!("due date `{}` is not a date", f.due)).help("write YYYY-MM-DD"))
    })?;
    let mut contacts = HashMap::new();
    for (n, line) in f.contacts.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let Some((k, v)) = line.rsplit_once('=') else {
            return Err(e(AppError::bad_request(format!(
                "mail addresses, line {}: write `supplier = address`",
                n + 1
            ))));
        };
        contacts.insert(k.trim().to_string(), v.trim().to_string());
    }
    let p = plan(&s, &id).await.map_err(&e)?;
    // Suppliers with a request still open on this run are not asked twice.
    let open: Vec<String> = s
        .store()
        .requests(Some(&id), None)
        .await
        .map_err(|x| e(x.into()))?
        .into_iter()
        .filter(|r| matches!(r.state.as_str(), "draft" | "sent" | "reminded" | "answered"))
        .map(|r| r.supplier)
        .collect();
    let only: Vec<String> = p.suppliers.iter().map(|x| x.supplier.clone()).filter(|x| !open.contains(x)).collect();
    if only.is_empty() {
        return Err(e(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "every supplier of the plan already has an open request on this run",
        )));
    }
    let made =
        s.store().create_requests(&p, Some(&only), due, &contacts, &c.user.name).await.map_err(|x| e(x.into()))?;
    let base = base_url(&headers);
    let mut flash = String::from(
        "<div class=\"flash\" id=\"flash\"><p>Requests made and sent. Each link signs its supplier in once, within 7 days; it is also in the outbox for mailing.</p><ul id=\"links\">",
    );
    for r in &made {
        let (_, link) = s.store().send_request(&r.id, &base, &c.user.name).await.map_err(|x| e(x.into()))?;
        let _ = write!(
            flash,
            "<li>{}: <code class=\"invite-link\" data-supplier=\"{}\">{}</code></li>",
            esc(&r.supplier),
            esc(&r.supplier),
            esc(&link)
        );
    }
    flash.push_str("</ul></div>");
    let requests = s.store().requests(Some(&id), None).await.map_err(|x| e(x.into()))?;
    Ok(html::ok("Supplier evidence", &c, &campaign_body(&c, &id, &p, &requests, &flash)))
}

fn answers_html(answers: &[origin_store::solicit::AnswerRow], r: &RequestRow, doc_link: bool) -> String {
    let mut b = String::new();
    for a in answers {
        let _ = write!(b, "<div class=\"box answer\"><p>Answered {} by {}</p>", esc(&a.at), esc(&a.answered_by));
        if let Some(cert) = &a.answer.certification {
            let _ = write!(
                b,
                "<dl class=\"kv certification\"><dt>certification</dt><dd class=\"cert-id\">{}</dd><dt>certifier</dt><dd>{} ({}), {}</dd><dt>producer</dt><dd>{}</dd><dt>parts</dt><dd>{}</dd><dt>description</dt><dd>{}</dd><dt>HS</dt><dd>{}</dd><dt>criterion</dt><dd>{}</dd><dt>country</dt><dd>{}</dd><dt>blanket period</dt><dd>{} to {}</dd><dt>signed</dt><dd>{} on {}</dd><dt>document</dt><dd>{}</dd></dl>",
                esc(&cert.id),
                esc(&cert.certifier_name),
                esc(&cert.certifier_role),
                esc(&cert.certifier_address),
                esc(&cert.producer),
                esc(&cert.parts.join(", ")),
                esc(&cert.description),
                esc(&cert.hs),
                esc(&cert.criterion),
                esc(&cert.country),
                cert.blanket_from,
                cert.blanket_to,
                esc(&cert.signed_by),
                cert.signed,
                doc_html(&cert.document, &r.id, doc_link)
            );
        }
        for q in &a.answer.answers {
            let _ = write!(b, "<p>Answer to question {}: {}</p>", q.ask + 1, esc(&q.text));
        }
        for d in &a.answer.documents {
            let _ = write!(b, "<p>Document: {}</p>", doc_html(d, &r.id, doc_link));
        }
        b.push_str("</div>");
    }
    b
}

fn doc_html(d: &Document, request: &str, link: bool) -> String {
    if link {
        format!(
            "<a href=\"/requests/{}/document?d={}\">{}</a> ({}, {} bytes, sha256 {})",
            esc(request),
            esc(&d.digest),
            esc(&d.name),
            esc(&d.content_type),
            d.size,
            esc(&d.digest)
        )
    } else {
        format!("{} ({}, {} bytes)", esc(&d.name), esc(&d.content_type), d.size)
    }
}

fn asks_html(r: &RequestRow) -> String {
    let mut b = String::from("<ol id=\"asks\">");
    for a in &r.asks {
        let _ = write!(
            b,
            "<li><strong>{}</strong>, line {}: {} (part {}, HS {}) &mdash; {}{}<br>{}</li>",
            esc(&a.good),
            esc(&a.line),
            esc(&a.description),
            esc(a.part.as_deref().unwrap_or("-")),
            esc(&a.hs),
            kind_word(a.kind),
            a.covers.map(|d| format!("; the blanket period must include {d}")).unwrap_or_default(),
            esc(&a.questions.join(" "))
        );
    }
    b.push_str("</ol>");
    b
}

/// `?decided=`.
#[derive(Debug, Deserialize)]
pub struct FlashQuery {
    decided: Option<String>,
    answered: Option<String>,
}

/// `GET /requests/{request}`: the auditor's view: asks, answers, documents, the decision form.
pub async fn request_page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> PageResult {
    let e = fail(&c);
    let r = s.store().request(&id).await.map_err(|x| e(x.into()))?;
    let answers = s.store().answers(&id).await.map_err(|x| e(x.into()))?;
    let mut b = String::new();
    if q.decided.is_some() {
        let _ = write!(
            b,
            "<div class=\"flash\" id=\"flash\">Your decision was recorded: <strong id=\"state\">{}</strong>.</div>",
            esc(&r.state)
        );
    }
    let _ = write!(
        b,
        "<h1>Request to {}</h1><div class=\"box\"><dl class=\"kv\"><dt>state</dt><dd id=\"request-state\">{}</dd><dt>run</dt><dd><a href=\"/runs/{run}/solicit\">{run}</a></dd><dt>due</dt><dd>{}</dd><dt>contact</dt><dd>{}</dd><dt>made</dt><dd>{} by {}</dd><dt>version</dt><dd>{}</dd>{}</dl></div><h2>Asked</h2>{}<h2>Answers</h2>{}",
        esc(&r.supplier),
        status_badge(&r.state),
        esc(&r.due_date),
        esc(r.contact.as_deref().unwrap_or("-")),
        esc(&r.created_at),
        esc(&r.created_by),
        r.version,
        r.decided_by
            .as_deref()
            .map(|d| format!(
                "<dt>decided</dt><dd>{} by {}: {}</dd>",
                esc(r.decided_at.as_deref().unwrap_or("")),
                esc(d),
                esc(r.decision_note.as_deref().unwrap_or(""))
            ))
            .unwrap_or_default(),
        asks_html(&r),
        if answers.is_empty() { "<p>No answer yet.</p>".to_string() } else { answers_html(&answers, &r, true) },
        run = esc(&r.run_id),
    );
    if r.state == "answered" && Permission::Review.allows(c.user.role) {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/requests/{}/decision\" class=\"box review\" id=\"decision-form\">{}<input type=\"hidden\" name=\"version\" value=\"{}\"><p><label><input type=\"radio\" name=\"decision\" value=\"accept\" id=\"d-accept\" required> accept: the certification is evidence for the next run</label><br><label><input type=\"radio\" name=\"decision\" value=\"reject\" id=\"d-reject\"> reject: the supplier answers again (say why)</label></p><p><label>Note<br><textarea name=\"note\" id=\"decision-note\"></textarea></label></p><button type=\"submit\" id=\"submit-decision\">Record the decision</button></form>",
            esc(&r.id),
            csrf_field(&c),
            r.version
        );
    }
    if r.state == "accepted" && Permission::RunAudit.allows(c.user.role) {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/runs/{}/rerun\" class=\"box\" id=\"rerun-form\">{}<button type=\"submit\" id=\"rerun\">Re-run the affected goods with the accepted evidence</button></form>",
            esc(&r.run_id),
            csrf_field(&c)
        );
    }
    Ok(html::ok("Request", &c, &b))
}

/// The decision form.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
    version: Option<i64>,
}

/// `POST /requests/{request}/decision`.
pub async fn decide(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let e = fail(&c);
    let accept = match f.decision.as_str() {
        "accept" => true,
        "reject" => false,
        other => return Err(e(AppError::bad_request(format!("decision `{other}` is not accept or reject")))),
    };
    s.store().decide_request(&id, accept, &f.note, &c.user.name, f.version).await.map_err(|x| e(x.into()))?;
    Ok(Redirect::to(&format!("/requests/{}?decided=1", url_encode(&id))).into_response())
}

/// `?d=` a document's digest.
#[derive(Debug, Deserialize)]
pub struct DocQuery {
    d: Option<String>,
}

/// `GET /requests/{request}/document`: a document of the request's answers (the first unless `d`).
pub async fn document(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<DocQuery>,
) -> PageResult {
    let e = fail(&c);
    let answers = s.store().answers(&id).await.map_err(|x| e(x.into()))?;
    let docs: Vec<&Document> = answers
        .iter()
        .flat_map(|a| a.answer.certification.iter().map(|c| &c.document).chain(a.answer.documents.iter()))
        .collect();
    let d = match q.d.as_deref() {
        Some(want) => docs.into_iter().find(|d| d.digest == want),
        None => docs.into_iter().next(),
    }
    .ok_or_else(|| e(AppError::new(StatusCode::NOT_FOUND, format!("request `{id}` has no such document"))))?;
    let bytes = s.store().blob(&d.digest).await.map_err(|x| e(x.into()))?;
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&d.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // Shown as a download, never rendered in the site's origin.
    let name: String = d.name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// `POST /runs/{run}/rerun`: re-audits the goods the accepted certifications affect.
pub async fn rerun(State(s): State<AppState>, Extension(c): Extension<Caller>, Path(run): Path<String>) -> PageResult {
    let e = fail(&c);
    let id = s.store().resolve_id(IdKind::Run, &run).await.map_err(|x| e(x.into()))?;
    let req = RerunRequest {
        run: id,
        pack: s.config().pack.clone(),
        actor: c.user.name.clone(),
        chunk: origin_store::runner::DEFAULT_CHUNK,
    };
    let done =
        evidence::rerun_with_evidence(s.store(), &req, Arc::new(Default::default())).await.map_err(|x| match x {
            origin_store::runner::RunnerError::Store(se) => e(se.into()),
            other => e(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, other.to_string())),
        })?;
    Ok(Redirect::to(&format!("/runs/{}", url_encode(&done.id))).into_response())
}

/// `GET /invite/{token}`: a button that signs the supplier in (a link scanner fetching the page does
/// not use the token up: only the form's POST does).
pub async fn invite_form(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let (Ok(nonce), Some(secret)) = (new_secret(""), s.login_secret()) else {
        return error_page(&AppError::internal("no randomness for the form"), None);
    };
    let csrf = signin::mint_login_token(secret, &nonce);
    let body = format!(
        "<h1>Supplier sign-in</h1><div class=\"box\" style=\"max-width:34rem\"><p>This link was sent to you to answer a request for USMCA origin evidence. It works once.</p><form method=\"post\" action=\"/invite\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"token\" value=\"{}\"><button type=\"submit\" id=\"accept-invitation\">Continue to the request</button></form></div>",
        esc(&csrf),
        esc(&token)
    );
    let mut res = Html(html::page("Supplier sign-in", None, &body)).into_response();
    res.headers_mut().append(header::SET_COOKIE, crate::pages::set_cookie(&s, login_csrf_cookie(&s), &csrf, 600));
    res
}

/// The invitation form.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

/// `POST /invite`: redeems the link once; the supplier's session starts on its request.
pub async fn invite(State(s): State<AppState>, headers: HeaderMap, Form(f): Form<InviteForm>) -> Response {
    let minted = s.login_secret().is_some_and(|secret| signin::login_token_valid(secret, &f.csrf));
    if f.csrf.is_empty() || !minted || cookie(&headers, login_csrf_cookie(&s)) != Some(f.csrf.as_str()) {
        let e = AppError::new(StatusCode::FORBIDDEN, "the form's security token is missing or stale")
            .help("open the link from your mail again");
        return error_page(&e, None);
    }
    match s.store().redeem_invitation(f.token.trim()).await {
        Ok(Some((id, _, request))) => {
            let mut res = Redirect::to(&format!("/supplier/requests/{}", url_encode(&request))).into_response();
            let hours = origin_store::SESSION_HOURS * 3600;
            res.headers_mut().append(header::SET_COOKIE, crate::pages::set_cookie(&s, session_cookie(&s), &id, hours));
            res.headers_mut().append(header::SET_COOKIE, crate::pages::set_cookie(&s, login_csrf_cookie(&s), "", 0));
            res
        }
        Ok(None) => {
            tracing::warn!("invitation refused: unknown, used or expired");
            let e = AppError::new(StatusCode::FORBIDDEN, "this invitation link is used, expired or not valid")
                .help("ask the auditor who wrote to you for a new link");
            error_page(&e, None)
        }
        Err(e) => error_page(&e.into(), None),
    }
}

/// The caller's supplier id (the guard let only `supplier` accounts in).
fn supplier_of(c: &Caller) -> Result<&str, AppError> {
    c.user
        .supplier_id
        .as_deref()
        .filter(|_| c.user.role == UserRole::Supplier)
        .ok_or_else(|| AppError::new(StatusCode::FORBIDDEN, "not a supplier account"))
}

/// `GET /supplier`: the supplier's own requests.
pub async fn my_requests(State(s): State<AppState>, Extension(c): Extension<Caller>) -> PageResult {
    let e = fail(&c);
    let me = supplier_of(&c).map_err(&e)?;
    let rows = s.store().requests(None, Some(me)).await.map_err(|x| e(x.into()))?;
    let rows: Vec<RequestRow> = rows.into_iter().filter(|r| r.state != "draft").collect();
    let b = format!("<h1>Requests to {}</h1>{}", esc(me), requests_table(&rows, "/supplier/requests/"));
    Ok(html::ok("Your requests", &c, &b))
}

/// The request if it is the caller's (another supplier's is "not found", not "forbidden": its id says nothing).
async fn own_request(s: &AppState, c: &Caller, id: &str) -> Result<RequestRow, AppError> {
    let me = supplier_of(c)?;
    match s.store().request(id).await {
        Ok(r) if r.supplier == me && r.state != "draft" => Ok(r),
        Ok(_) | Err(origin_store::StoreError::NotFound(_)) => {
            Err(AppError::new(StatusCode::NOT_FOUND, format!("no request `{id}` for your account")))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /supplier/requests/{request}`: what is asked, and the form to answer.
pub async fn my_request(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> PageResult {
    let e = fail(&c);
    let r = own_request(&s, &c, &id).await.map_err(&e)?;
    let answers = s.store().answers(&id).await.map_err(|x| e(x.into()))?;
    Ok(html::ok("Your request", &c, &request_form(&c, &r, &answers, q.answered.is_some(), None)))
}

fn request_form(
    c: &Caller,
    r: &RequestRow,
    answers: &[origin_store::solicit::AnswerRow],
    answered: bool,
    error: Option<&AppError>,
) -> String {
    let mut b = String::new();
    if answered {
        b.push_str(
            "<div class=\"flash\" id=\"flash\">Thank you: your answer was recorded. The auditor will review it.</div>",
        );
    }
    if let Some(err) = error {
        let _ = write!(b, "<div class=\"error\" id=\"error\">{}</div>", esc(&err.text()));
    }
    let _ = write!(
        b,
        "<h1>Request {}</h1><div class=\"box\"><dl class=\"kv\"><dt>state</dt><dd id=\"request-state\">{}</dd><dt>answer by</dt><dd>{}</dd>{}</dl></div><h2>What we need</h2>{}",
        esc(&r.id[..8.min(r.id.len())]),
        status_badge(&r.state),
        esc(&r.due_date),
        r.decision_note
            .as_deref()
            .filter(|n| !n.is_empty() && r.state == "rejected")
            .map(|n| format!("<dt>auditor's note</dt><dd>{}</dd>", esc(n)))
            .unwrap_or_default(),
        asks_html(r)
    );
    if !answers.is_empty() {
        let _ = write!(b, "<h2>Your answers</h2>{}", answers_html(answers, r, false));
    }
    if !matches!(r.state.as_str(), "sent" | "reminded" | "answered" | "rejected") {
        return b;
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/supplier/requests/{}\" enctype=\"multipart/form-data\" class=\"box\" id=\"answer-form\">{}",
        esc(&r.id),
        csrf_field(c)
    );
    if let Some(first) = r.asks.iter().find(|a| a.kind == AskKind::Certification) {
        let parts: Vec<&str> =
            r.asks.iter().filter(|a| a.kind == AskKind::Certification).filter_map(|a| a.part.as_deref()).collect();
        let field = |name: &str, label: &str, value: &str, kind: &str| {
            format!(
                "<p><label>{label}<br><input type=\"{kind}\" name=\"{name}\" id=\"{name}\" value=\"{}\" size=\"60\"></label></p>",
                esc(value)
            )
        };
        let _ = write!(
            b,
            "<h2>Certification of origin (USMCA Annex 5-A)</h2>{}{}<p><label>1. Certifier is the<br><select name=\"certifier_role\" id=\"certifier_role\"><option>producer</option><option>exporter</option><option>importer</option></select></label></p>{}{}{}{}{}<p><label>6. Origin criterion<br><select name=\"criterion\" id=\"criterion\"><option>A</option><option selected>B</option><option>C</option><option>D</option></select></label></p><p><label>Country of origin<br><select name=\"country\" id=\"country\"><option>MX</option><option>US</option><option>CA</option></select></label></p>{}{}{}{}<p><label>The signed certification (PDF, at most 10 MiB)<br><input type=\"file\" name=\"cert_pdf\" id=\"cert_pdf\" accept=\"application/pdf\"></label></p>",
            field("cert_id", "Certification number", "", "text"),
            field("certifier_name", "1. Certifier's name", &r.supplier, "text"),
            field("certifier_address", "1. Certifier's address", "", "text"),
            field("producer", "3. Producer", &r.supplier, "text"),
            field("parts", "5. Part numbers covered (comma-separated)", &parts.join(", "), "text"),
            field("description", "5. Description of the goods", &first.description, "text"),
            field("hs", "5. HS classification", &first.hs, "text"),
            field("blanket_from", "7. Blanket period from", "", "date"),
            field("blanket_to", "7. Blanket period to (at most 12 months)", "", "date"),
            field("signed_by", "8. Signed by (name)", "", "text"),
            field("signed", "8. Date signed", "", "date"),
        );
    }
    for (i, a) in r.asks.iter().enumerate().filter(|(_, a)| a.kind != AskKind::Certification) {
        let _ = write!(
            b,
            "<p><label>Answer to {}. ({} {}, {})<br><textarea name=\"answer_{}\" id=\"answer_{}\" rows=\"3\" cols=\"80\"></textarea></label></p>",
            i + 1,
            esc(&a.good),
            esc(&a.line),
            kind_word(a.kind),
            i + 1,
            i + 1
        );
    }
    b.push_str("<p><label>Documents (PDF, PNG or JPEG, at most 10 MiB each)<br><input type=\"file\" name=\"documents\" id=\"documents\" multiple></label></p><button type=\"submit\" id=\"submit-answer\">Send the answer</button></form>");
    b
}

fn date_field(v: &HashMap<String, String>, name: &'static str, label: &str) -> Result<NaiveDate, AppError> {
    let raw = v.get(name).map(String::as_str).unwrap_or("").trim();
    raw.parse().map_err(|_| {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{name}: {label} `{raw}` is not a date"))
            .help("write YYYY-MM-DD")
    })
}

/// `POST /supplier/requests/{request}`: the supplier's answer, with its files.
pub async fn answer(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    mut form: Multipart,
) -> PageResult {
    let e = fail(&c);
    let r = own_request(&s, &c, &id).await.map_err(&e)?;
    let mut text: HashMap<String, String> = HashMap::new();
    let mut cert_pdf: Option<(String, Vec<u8>)> = None;
    let mut docs: Vec<(String, Vec<u8>)> = Vec::new();
    let bad = |m: String| AppError::new(StatusCode::BAD_REQUEST, m);
    while let Some(field) = form.next_field().await.map_err(|x| e(bad(format!("the form could not be read: {x}"))))? {
        let name = field.name().unwrap_or("").to_string();
        let file = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|x| e(bad(format!("field `{name}` could not be read: {x}"))))?;
        match (name.as_str(), file) {
            ("cert_pdf", Some(f)) if !bytes.is_empty() => cert_pdf = Some((f, bytes.to_vec())),
            ("documents", Some(f)) if !bytes.is_empty() => docs.push((f, bytes.to_vec())),
            (_, Some(_)) => {}
            _ => {
                text.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    let answers_page = |err: AppError| {
        let answers = Vec::new();
        (err.status, Html(html::page("Your request", Some(&c), &request_form(&c, &r, &answers, false, Some(&err)))))
            .into_response()
    };
    let store = s.store();
    let mut body = AnswerBody::default();
    let wants_cert = !text.get("cert_id").map(|v| v.trim().is_empty()).unwrap_or(true) || cert_pdf.is_some();
    if wants_cert {
        let Some((fname, bytes)) = &cert_pdf else {
            return Err(answers_page(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cert_pdf: attach the signed certification as a PDF",
            )));
        };
        let document =
            store.put_document(fname, bytes, &["application/pdf"]).await.map_err(|x| answers_page(x.into()))?;
        let get = |k: &str| text.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        let dates = (|| {
            Ok::<_, AppError>((
                date_field(&text, "blanket_from", "blanket period from")?,
                date_field(&text, "blanket_to", "blanket period to")?,
                date_field(&text, "signed", "date signed")?,
            ))
        })();
        let (from, to, signed) = dates.map_err(&answers_page)?;
        body.certification = Some(CertificationAnswer {
            id: get("cert_id"),
            certifier_name: get("certifier_name"),
            certifier_role: get("certifier_role"),
            certifier_address: get("certifier_address"),
            producer: get("producer"),
            parts: get("parts").split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
            description: get("description"),
            hs: get("hs"),
            criterion: get("criterion"),
            country: get("country"),
            blanket_from: from,
            blanket_to: to,
            signed_by: get("signed_by"),
            signed,
            document,
        });
    }
    for (k, v) in &text {
        if let Some(n) = k.strip_prefix("answer_").and_then(|n| n.parse::<usize>().ok())
            && n >= 1
            && !v.trim().is_empty()
        {
            body.answers.push(QuestionAnswer { ask: n - 1, text: v.trim().to_string() });
        }
    }
    body.answers.sort_by_key(|a| a.ask);
    for (fname, bytes) in &docs {
        body.documents.push(
            store
                .put_document(fname, bytes, &["application/pdf", "image/png", "image/jpeg"])
                .await
                .map_err(|x| answers_page(x.into()))?,
        );
    }
    store
        .answer_request(&id, &c.user, &body, chrono::Utc::now().date_naive())
        .await
        .map_err(|x| answers_page(x.into()))?;
    Ok(Redirect::to(&format!("/supplier/requests/{}?answered=1", url_encode(&id))).into_response())
}

/// Evidence links for a finding page: requests about its lines (or its fingerprint), and the
/// certifications its run applied to its good.
pub async fn finding_evidence(s: &AppState, f: &origin_store::FindingRow) -> Result<String, AppError> {
    let mut b = String::new();
    let reqs = s.store().requests_for_finding(&f.batch, &f.good, &f.finding.materials, &f.fingerprint).await?;
    let applied: Vec<_> = s
        .store()
        .run_evidence(&f.run_id)
        .await?
        .into_iter()
        .filter(|e| e.lines.iter().any(|l| l.0 == f.batch && l.1 == f.good))
        .collect();
    if reqs.is_empty() && applied.is_empty() {
        return Ok(b);
    }
    b.push_str("<dt>supplier evidence</dt><dd id=\"evidence\"><ul>");
    for (id, state, supplier) in &reqs {
        let _ = write!(
            b,
            "<li><a class=\"evidence-link\" href=\"/requests/{0}\">request {1}</a> to {2}: {3}</li>",
            esc(id),
            esc(&id[..8.min(id.len())]),
            esc(supplier),
            esc(state)
        );
    }
    for e in &applied {
        let _ = write!(
            b,
            "<li>this run applied certification {} of {} (<a class=\"evidence-link\" href=\"/requests/{}\">request {}</a>)</li>",
            esc(&e.certification_id),
            esc(&e.supplier),
            esc(&e.request),
            esc(&e.request[..8.min(e.request.len())])
        );
    }
    b.push_str("</ul></dd>");
    Ok(b)
}
