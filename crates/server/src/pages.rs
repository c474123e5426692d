//! Server-rendered pages: sign-in, runs, the review queue, a finding with its provenance picture and
//! the review form, certificates (printable), accounts. Forms post back here; the guard has checked
//! the session and the CSRF token before any of these runs.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Extension, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use origin_engine::audit::Outcome;
use origin_store::{IdKind, UserRole, new_secret};
use serde::Deserialize;

use crate::api::{self, FindingQuery};
use crate::auth::{Caller, Permission, cookie, login_csrf_cookie, session_cookie};
use crate::error::AppError;
use crate::html::{self, csrf_field, esc, status_badge, url_encode};
use crate::signin;
use crate::{AppState, html::error_page};

type PageResult = Result<Response, Response>;

/// Turns an error into its page.
fn fail(caller: &Caller) -> impl Fn(AppError) -> Response + '_ {
    move |e| error_page(&e, Some(caller))
}

/// A state as the report writes it (`not met`, `non-originating`).
fn word<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// The values a determination used, in the report's order, leaving out those the batch did not give.
fn values_shown(v: &origin_engine::report::v1::Values) -> Vec<(&'static str, String)> {
    let opt = |d: Option<origin_core::Decimal>| d.map(|d| d.to_string());
    [
        ("transaction value", opt(v.transaction_value)),
        ("international shipping", Some(v.international_shipping.to_string())),
        ("adjusted transaction value", opt(v.adjusted_transaction_value)),
        ("net cost", opt(v.net_cost)),
        ("total cost", opt(v.total_cost)),
        ("vnm", Some(v.vnm.to_string())),
        ("originating materials", Some(v.originating_materials.to_string())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect()
}

/// A cookie header value.
pub(crate) fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config().secure_cookies { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `?next=` of the sign-in form.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    failed: Option<String>,
}

/// `GET /login`: the form, with a fresh double-submit CSRF cookie.
pub async fn login_form(State(s): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    let (Ok(nonce), Some(secret)) = (new_secret(""), s.login_secret()) else {
        return error_page(&AppError::internal("no randomness for the login form"), None);
    };
    let token = signin::mint_login_token(secret, &nonce);
    let failed = if q.failed.is_some() {
        "<div class=\"error\" id=\"error\">That account name and token do not match an enabled account.</div>"
    } else {
        ""
    };
    let body = format!(
        "<h1>Sign in</h1>{failed}<form method=\"post\" action=\"/login\" class=\"box\" style=\"max-width:28rem\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <p><label>Account name<br><input name=\"name\" id=\"name\" autocomplete=\"username\" required></label></p>\
         <p><label>Token<br><input name=\"token\" id=\"token\" type=\"password\" autocomplete=\"current-password\" required size=\"48\"></label></p>\
         <p><button type=\"submit\" id=\"sign-in\">Sign in</button></p>\
         <p style=\"font-size:.85em\">An admin makes accounts with <code>origin-audit users add NAME --role analyst|auditor|admin</code>, which prints the token once.</p></form>",
        csrf = esc(&token),
        next = esc(&signin::safe_next(q.next.as_deref())),
    );
    let mut res = (StatusCode::OK, Html(html::page("Sign in", None, &body))).into_response();
    let max_age = i64::try_from(signin::LOGIN_TOKEN_SECONDS).unwrap_or(600);
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&s, login_csrf_cookie(&s), &token, max_age));
    res
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    name: String,
    token: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// `POST /login`. The form's token must be the one in this browser's cookie and minted by this server;
/// failed sign-ins back off per account and per client address ([`signin::Throttle`]), checked
/// before the token is looked at.
pub async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(f): Form<LoginForm>,
) -> Response {
    let minted = s.login_secret().is_some_and(|secret| signin::login_token_valid(secret, &f.csrf));
    if f.csrf.is_empty() || !minted || cookie(&headers, login_csrf_cookie(&s)) != Some(f.csrf.as_str()) {
        let e = AppError::new(StatusCode::FORBIDDEN, "the sign-in form's security token is missing or stale")
            .help("open /login again and sign in from there");
        return error_page(&e, None);
    }
    let client = extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let name = f.name.trim();
    if let Err(wait) = s.throttle(|t| t.check(name, client, std::time::Instant::now())) {
        tracing::warn!(name = %signin::log_text(name), ?client, "sign-in refused: backing off");
        let secs = wait.as_secs().max(1);
        let e = AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed sign-ins for this account or from this address; try again in {secs} s"),
        )
        .help("check the account name and token; the wait doubles with each further failure");
        let mut res = error_page(&e, None);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    match s.store().open_session(name, f.token.trim()).await {
        Ok(Some((id, _))) => {
            s.throttle(|t| t.succeeded(name, client));
            let mut res = Redirect::to(&signin::safe_next(f.next.as_deref())).into_response();
            let hours = origin_store::SESSION_HOURS * 3600;
            res.headers_mut().append(header::SET_COOKIE, set_cookie(&s, session_cookie(&s), &id, hours));
            res.headers_mut().append(header::SET_COOKIE, set_cookie(&s, login_csrf_cookie(&s), "", 0));
            res
        }
        Ok(None) => {
            s.throttle(|t| t.failed(name, client, std::time::Instant::now()));
            tracing::warn!(name = %signin::log_text(name), ?client, "failed sign-in");
            let next = url_encode(&signin::safe_next(f.next.as_deref()));
            Redirect::to(&format!("/login?failed=1&next={next}")).into_response()
        }
        Err(e) => error_page(&e.into(), None),
    }
}

/// `POST /logout`.
pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, session_cookie(&s))
        && let Err(e) = s.store().close_session(id).await
    {
        return error_page(&e.into(), None);
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&s, session_cookie(&s), "", 0));
    res
}

/// `GET /`.
pub async fn home() -> Redirect {
    Redirect::to("/queue")
}

fn run_counts(r: &origin_store::RunRow) -> String {
    format!(
        "{} of {} goods: {} qualified, {} not qualified, {} need evidence; {} findings",
        r.goods_done, r.goods_total, r.qualified, r.not_qualified, r.needs_evidence, r.findings
    )
}

/// `GET /runs`.
pub async fn runs(State(s): State<AppState>, Extension(c): Extension<Caller>) -> PageResult {
    let runs = s.store().runs().await.map_err(|e| fail(&c)(e.into()))?;
    let mut b = String::from("<h1>Audit runs</h1>");
    if runs.is_empty() {
        b.push_str(
            "<p>No runs yet. Start one with <code>origin-audit run BATCH</code> or <code>POST /api/runs</code>.</p>",
        );
    }
    b.push_str("<table id=\"runs\"><tr><th>run</th><th>started</th><th>status</th><th>by</th><th>rule pack</th><th>as of</th><th>summary</th></tr>");
    for r in &runs {
        let _ = write!(
            b,
            "<tr><td><a href=\"/runs/{id}\">{short}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.started_at),
            status_badge(&r.status),
            esc(&r.actor),
            esc(&r.rule_pack),
            esc(r.as_of.as_deref().unwrap_or("batch's own")),
            esc(&run_counts(r)),
            id = esc(&r.id),
            short = esc(r.id.get(..8).unwrap_or(&r.id)),
        );
    }
    b.push_str("</table>");
    if Permission::RunAudit.allows(c.user.role) {
        let _ = write!(
            b,
            "<h2>New audit</h2><form method=\"post\" action=\"/runs\" enctype=\"multipart/form-data\" class=\"box\" id=\"upload\">{}\
             <p><label>Batch file (YAML or JSON) <input type=\"file\" name=\"batch\" id=\"batch-file\" required></label></p>\
             <p><label>BOM files the batch names (CSV or XLSX) <input type=\"file\" name=\"bom\" id=\"bom-files\" multiple></label></p>\
             <p><label>As of (optional) <input type=\"date\" name=\"as_of\"></label></p>\
             <p><button type=\"submit\" id=\"start-audit\">Audit and store</button></p></form>",
            csrf_field(&c)
        );
    }
    Ok(html::ok("Runs", &c, &b))
}

/// `POST /runs`: audits the uploaded files and shows the stored run.
pub async fn start_run(State(s): State<AppState>, Extension(c): Extension<Caller>, form: Multipart) -> PageResult {
    let started = api::run_uploads(&s, &c, form).await.map_err(fail(&c))?;
    Ok(Redirect::to(&format!("/runs/{}", url_encode(&started.run.id))).into_response())
}

/// `GET /runs/{run}`.
pub async fn run(State(s): State<AppState>, Extension(c): Extension<Caller>, Path(run): Path<String>) -> PageResult {
    let e = fail(&c);
    let id = s.store().resolve_id(IdKind::Run, &run).await.map_err(|x| e(x.into()))?;
    let r = s.store().run(&id).await.map_err(|x| e(x.into()))?;
    let dets = s.store().determinations(&id).await.map_err(|x| e(x.into()))?;
    let certs = s.store().certificates(Some(&id)).await.map_err(|x| e(x.into()))?;
    let can_certify = Permission::Certify.allows(c.user.role);
    let mut b = format!(
        "<h1>Run {}</h1><div class=\"box\"><dl class=\"kv\"><dt>status</dt><dd>{}</dd><dt>started</dt><dd>{}</dd><dt>finished</dt><dd>{}</dd><dt>by</dt><dd>{}</dd><dt>rule pack</dt><dd>{} (sha256 {})</dd><dt>engine</dt><dd>{}</dd><dt>summary</dt><dd>{}</dd></dl><p><a href=\"/queue?run={}\">Findings of this run</a> · <a id=\"solicit-link\" href=\"/runs/{}/solicit\">Supplier evidence</a> · <a href=\"/expiring?run={}\">Expiring certifications</a></p></div>",
        esc(&r.id),
        status_badge(&r.status),
        esc(&r.started_at),
        esc(r.finished_at.as_deref().unwrap_or("-")),
        esc(&r.actor),
        esc(&r.rule_pack),
        esc(&r.rules_digest),
        esc(&r.engine_version),
        esc(&run_counts(&r)),
        esc(&r.id),
        esc(&r.id),
        esc(&r.id),
    );
    b.push_str("<h2>Goods</h2><table id=\"goods\"><tr><th>good</th><th>HS</th><th>determination</th><th>criterion</th><th>rule</th><th>summary</th>");
    if can_certify {
        b.push_str("<th class=\"noprint\">certificate</th>");
    }
    b.push_str("</tr>");
    for d in &dets {
        let _ = write!(
            b,
            "<tr><td><a href=\"/queue?run={run}&amp;good={g}\">{g}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&d.hs),
            status_badge(d.outcome.slug()),
            esc(d.criterion.as_deref().unwrap_or("-")),
            esc(d.rule_id.as_deref().unwrap_or("-")),
            esc(&d.summary),
            run = esc(&id),
            g = esc(&d.good),
        );
        if can_certify {
            if d.outcome == Outcome::Qualified {
                let _ = write!(
                    b,
                    "<td class=\"noprint\"><form method=\"post\" action=\"/runs/{run}/certificates\">{csrf}<input type=\"hidden\" name=\"good\" value=\"{g}\">\
                     <input type=\"date\" name=\"blanket_from\" title=\"blanket period from\"> <input type=\"date\" name=\"blanket_to\" title=\"blanket period to\"> <button type=\"submit\">Issue</button></form></td>",
                    run = esc(&id),
                    g = esc(&d.good),
                    csrf = csrf_field(&c),
                );
            } else {
                b.push_str("<td class=\"noprint\">-</td>");
            }
        }
        b.push_str("</tr>");
    }
    b.push_str("</table><h2>Certificates on this run</h2>");
    if certs.is_empty() {
        b.push_str("<p>None issued.</p>");
    } else {
        b.push_str("<table id=\"certificates\"><tr><th>certificate</th><th>good</th><th>version</th><th>status</th><th>issued</th><th>by</th></tr>");
        for ct in &certs {
            let _ = write!(
                b,
                "<tr><td><a href=\"/certificates/{id}\">{short}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&ct.good),
                ct.version,
                status_badge(&ct.status),
                esc(&ct.issued_at),
                esc(&ct.issued_by),
                id = esc(&ct.id),
                short = esc(ct.id.get(..8).unwrap_or(&ct.id)),
            );
        }
        b.push_str("</table>");
    }
    Ok(html::ok(&format!("Run {}", r.id.get(..8).unwrap_or(&r.id)), &c, &b))
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[&str]) -> String {
    let mut s = format!("<label>{label}<select name=\"{name}\" id=\"f-{name}\"><option value=\"\">any</option>");
    for o in options {
        let sel = if current == Some(*o) { " selected" } else { "" };
        let _ = write!(s, "<option value=\"{0}\"{sel}>{0}</option>", esc(o));
    }
    s.push_str("</select></label>");
    s
}

/// The queue with the current filters and one more (`dim` = `value`), as a link (first page).
fn filter_link(q: &FindingQuery, dim: &str, value: &str) -> String {
    let mut parts: Vec<String> = q
        .filters()
        .iter()
        .filter(|(k, _)| *k != dim)
        .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}={}", url_encode(v))))
        .collect();
    parts.push(format!("{dim}={}", url_encode(value)));
    format!("/queue?{}", parts.join("&"))
}

/// `GET /queue`.
pub async fn queue(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<FindingQuery>,
) -> PageResult {
    let e = fail(&c);
    // Default to open findings: the queue is what still needs a decision.
    let mut q = q;
    if q.status.is_none() {
        q.status = Some("open".into());
    }
    let list = api::find(&s, &q, "/queue").await.map_err(&e)?;
    let codes: Vec<&str> = origin_engine::finding::Code::ALL.iter().map(|c| c.as_str()).collect();
    let mut b = String::from(
        "<h1>Review queue</h1><form method=\"get\" action=\"/queue\" class=\"box filters\" id=\"filters\">",
    );
    b.push_str(&select(
        "status",
        "status",
        q.status.as_deref(),
        &["open", "accepted", "dismissed", "waived", "resolved"],
    ));
    b.push_str(&select("severity", "severity", q.severity.as_deref(), &["blocking", "warning", "info"]));
    b.push_str(&select("code", "code", q.code.as_deref(), &codes));
    let _ = write!(
        b,
        "<label>supplier<input name=\"supplier\" value=\"{}\" size=\"18\"></label><label>HS chapter<input name=\"chapter\" value=\"{}\" size=\"3\" pattern=\"[0-9]{{2}}\"></label><label>run<input name=\"run\" value=\"{}\" size=\"10\"></label><input type=\"hidden\" name=\"good\" value=\"{}\"><button type=\"submit\">Filter</button> <a href=\"/queue?status=\">all statuses</a></form>",
        esc(q.supplier.as_deref().unwrap_or("")),
        esc(q.chapter.as_deref().unwrap_or("")),
        esc(q.run.as_deref().unwrap_or("")),
        esc(q.good.as_deref().unwrap_or("")),
    );
    b.push_str("<div class=\"facets box\" id=\"counts\">");
    let _ = write!(b, "<div><strong>{} finding(s)</strong></div>", list.total);
    for (dim, values) in &list.counts {
        let _ = write!(b, "<div>{}<ul>", esc(dim));
        let mut values: Vec<_> = values.iter().collect();
        values.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (v, n) in values.into_iter().take(8) {
            let href = filter_link(&q, dim, v);
            let _ = write!(b, "<li><a href=\"{}\">{}</a> <span class=\"badge\">{n}</span></li>", esc(&href), esc(v));
        }
        b.push_str("</ul></div>");
    }
    b.push_str("</div><table id=\"findings\"><tr><th>severity</th><th>code</th><th>good</th><th>HS</th><th>status</th><th>message</th><th>suppliers</th><th>run</th></tr>");
    for f in &list.findings {
        let _ = write!(
            b,
            "<tr><td>{}</td><td><a href=\"/findings/{id}\" class=\"finding-link\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html::severity(f.row.severity.as_str()),
            esc(f.row.code.as_str()),
            esc(&f.row.good),
            esc(&f.hs),
            status_badge(&f.row.status),
            esc(&f.row.finding.message),
            esc(&f.suppliers.join("; ")),
            esc(f.row.run_id.get(..8).unwrap_or(&f.row.run_id)),
            id = esc(&f.row.id),
        );
    }
    b.push_str("</table><p class=\"pages\" id=\"pages\">");
    let shown = list.findings.len();
    let _ = write!(b, "{shown} of {} finding(s) on this page ({} a page)", list.total, list.limit);
    if q.after.as_deref().is_some_and(|a| !a.trim().is_empty()) {
        let _ = write!(b, " · <a href=\"{}\" id=\"first-page\">first page</a>", esc(&q.url("/queue", None, None)));
    }
    if let Some(next) = &list.next {
        let _ = write!(b, " · <a href=\"{}\" id=\"next-page\">next page</a>", esc(next));
    }
    b.push_str("</p>");
    Ok(html::ok("Review queue", &c, &b))
}

/// `?reviewed=` after a review.
#[derive(Debug, Deserialize)]
pub struct FindingPageQuery {
    reviewed: Option<String>,
}

/// `GET /findings/{finding}`.
pub async fn finding(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<FindingPageQuery>,
) -> PageResult {
    let flash = q.reviewed.is_some().then_some("Your decision was recorded.");
    finding_page(&s, &c, &id, flash, None).await
}

/// The finding page, with a message after a review or an error from one.
async fn finding_page(s: &AppState, c: &Caller, id: &str, flash: Option<&str>, error: Option<&AppError>) -> PageResult {
    let e = fail(c);
    let d = api::finding_detail(s, id).await.map_err(&e)?;
    let f = &d.finding;
    let v = &f.finding;
    let lines = &v.materials;
    // The good's BOM lines (supplier, lot) as stored with the run: no batch file is read.
    let info = s.store().good_lines(&f.run_id, &f.batch, &f.good).await.map_err(|x| e(x.into()))?;
    let mut lots: Vec<String> = Vec::new();
    for l in lines {
        if let Some(lot) = info.get(l).and_then(|i| i.1.clone())
            && !lots.contains(&lot)
        {
            lots.push(lot);
        }
    }
    let pictures = s.store().lot_pictures(&f.run_id, &f.batch, &lots).await.map_err(|x| e(x.into()))?;
    let mut b = String::new();
    if let Some(m) = flash {
        let _ = write!(
            b,
            "<div class=\"flash\" id=\"flash\">{} Status: <strong id=\"status\">{}</strong> (version {}).</div>",
            esc(m),
            esc(&f.status),
            f.version
        );
    }
    if let Some(err) = error {
        let _ = write!(b, "<div class=\"error\" id=\"error\">{}</div>", esc(&err.text()));
    }
    let _ = write!(
        b,
        "<h1>{} <span class=\"badge\">{}</span> {}</h1><div class=\"box\"><p id=\"message\">{}</p><dl class=\"kv\"><dt>good</dt><dd>{} (batch {})</dd><dt>run</dt><dd><a href=\"/runs/{run}\">{run}</a></dd><dt>basis</dt><dd>{}</dd><dt>status</dt><dd id=\"current-status\">{} (version {})</dd><dt>fingerprint</dt><dd>{}</dd>",
        esc(f.code.as_str()),
        html::severity(f.severity.as_str()),
        status_badge(&f.status),
        esc(&v.message),
        esc(&f.good),
        esc(&f.batch),
        esc(&v.citation),
        esc(&f.status),
        f.version,
        esc(&f.fingerprint),
        run = esc(&f.run_id),
    );
    if let Some(from) = &f.carried_from {
        let _ = write!(
            b,
            "<dt>carried over</dt><dd>decision carried from finding <a href=\"/findings/{0}\">{0}</a></dd>",
            esc(from)
        );
    }
    if !lines.is_empty() {
        let _ = write!(b, "<dt>materials</dt><dd>{}</dd>", esc(&lines.join(", ")));
    }
    b.push_str(&crate::supplier::finding_evidence(s, f).await.map_err(&e)?);
    if !v.evidence.is_empty() {
        b.push_str("<dt>evidence</dt><dd><ul>");
        for ev in &v.evidence {
            let _ = write!(b, "<li>{}</li>", esc(ev));
        }
        b.push_str("</ul></dd>");
    }
    if !v.remedy.is_empty() {
        let _ = write!(b, "<dt>remedy</dt><dd id=\"remedy\">{}</dd>", esc(&v.remedy));
    }
    b.push_str("</dl></div>");

    if let Some(det) = &d.determination {
        let dj = &det.determination;
        let _ = write!(b, "<h2>Determination</h2><div class=\"box\"><p>{}</p>", esc(&det.summary));
        if let Some(rule) = &dj.rule {
            let _ = write!(
                b,
                "<p><strong>Rule {}</strong> ({}), {}, <em>{}</em></p><pre class=\"rule\">{}</pre>",
                esc(&rule.id),
                esc(&rule.hs),
                esc(&rule.citation),
                esc(&word(rule.review)),
                esc(&rule.text),
            );
        }
        b.push_str("<table id=\"values\"><tr><th>value</th><th>amount</th></tr>");
        for (k, val) in values_shown(&dj.values) {
            let _ = write!(b, "<tr><td>{}</td><td class=\"num\">{}</td></tr>", esc(k), esc(&val));
        }
        b.push_str("</table>");
        if !dj.alternatives.is_empty() {
            b.push_str("<table id=\"alternatives\"><tr><th>alternative</th><th>requirement</th><th>outcome</th><th>reasons</th></tr>");
            for a in &dj.alternatives {
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&a.label),
                    esc(&a.requirement),
                    esc(&word(a.outcome)),
                    esc(&a.reasons.join("; ")),
                );
            }
            b.push_str("</table>");
        }
        b.push_str("</div>");
        if !dj.materials.is_empty() {
            b.push_str("<h2>Materials</h2><table id=\"materials\"><tr><th>line</th><th>part</th><th>description</th><th>HS</th><th class=\"num\">value</th><th class=\"num\">VNM</th><th>declared</th><th>supplier</th><th>status</th><th>why</th><th>tariff shift</th></tr>");
            for m in &dj.materials {
                let named = lines.contains(&m.line);
                // Runs stored before report v1 carried the supplier keep it only in the good's lines.
                let supplier =
                    m.supplier.as_deref().or_else(|| info.get(&m.line).and_then(|i| i.0.as_deref())).unwrap_or("");
                let _ = write!(
                    b,
                    "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    if named { " style=\"background:#fff6d6\"" } else { "" },
                    esc(&m.line),
                    esc(m.part.as_deref().unwrap_or("")),
                    esc(&m.description),
                    esc(&m.hs),
                    esc(&m.value.to_string()),
                    esc(&m.vnm.to_string()),
                    esc(&m.declared_origin),
                    esc(supplier),
                    esc(&word(m.status)),
                    esc(&m.why),
                    esc(m.shift.as_deref().unwrap_or("")),
                );
            }
            b.push_str("</table>");
        }
    }

    b.push_str("<h2>Provenance</h2>");
    if pictures.is_empty() {
        b.push_str("<p>No provenance lot is recorded for the materials this finding names.</p>");
    } else {
        let names: Vec<&str> = pictures.iter().map(|p| p.lot.as_str()).collect();
        let _ = write!(
            b,
            "<p>{} {}{}; the suspicious path is drawn in red.</p><div class=\"svg\" id=\"provenance\">",
            if names.len() == 1 { "Lot" } else { "Lots" },
            esc(&names.join(", ")),
            if pictures.iter().any(|p| p.laundering) { ": origin laundering suspected" } else { "" },
        );
        // One picture per lot, each drawn when the run was stored.
        for p in &pictures {
            b.push_str(&p.svg);
        }
        b.push_str("</div>");
    }

    b.push_str("<h2>Reviews</h2>");
    if d.reviews.is_empty() {
        b.push_str("<p id=\"reviews\">None yet.</p>");
    } else {
        b.push_str(
            "<table id=\"reviews\"><tr><th>when</th><th>change</th><th>version</th><th>by</th><th>note</th></tr>",
        );
        for r in &d.reviews {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{} &rarr; {}</td><td>{}</td><td>{} ({})</td><td>{}</td></tr>",
                esc(&r.at),
                esc(&r.from_status),
                esc(&r.to_status),
                r.version,
                esc(&r.reviewer),
                esc(&r.role),
                esc(&r.note),
            );
        }
        b.push_str("</table>");
    }
    if Permission::Review.allows(c.user.role) {
        let _ = write!(
            b,
            "<h2>Review</h2><form method=\"post\" action=\"/findings/{id}/review\" class=\"box review\" id=\"review-form\">{csrf}<input type=\"hidden\" name=\"version\" value=\"{version}\">\
             <p><label><input type=\"radio\" name=\"decision\" value=\"accept\" id=\"d-accept\" required> Accept: the finding is right</label><br>\
             <label><input type=\"radio\" name=\"decision\" value=\"dismiss\" id=\"d-dismiss\"> Dismiss: a false positive (justify)</label><br>\
             <label><input type=\"radio\" name=\"decision\" value=\"waive\" id=\"d-waive\"> Waive: a known, accepted risk (justify)</label></p>\
             <p><label>Note<br><textarea name=\"note\" id=\"note\"></textarea></label></p><p><button type=\"submit\" id=\"submit-review\">Record decision as {who}</button></p></form>",
            id = esc(&f.id),
            csrf = csrf_field(c),
            version = f.version,
            who = esc(&c.user.name),
        );
    } else {
        b.push_str("<p>Only auditors review findings.</p>");
    }
    let status = error.map(|x| x.status).unwrap_or(StatusCode::OK);
    Ok((status, Html(html::page(&format!("{} · {}", f.code.as_str(), f.good), Some(c), &b))).into_response())
}

/// The review form.
#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    decision: Option<String>,
    #[serde(default)]
    note: String,
    version: i64,
}

/// `POST /findings/{finding}/review`: on success back to the finding with a notice; a conflict or a
/// refusal shows the finding as it is now, with the message, and records nothing.
pub async fn review(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> PageResult {
    let word = f.decision.unwrap_or_default();
    match api::record_review(&s, &c, &id, &word, &f.note, f.version).await {
        Ok(row) => Ok(Redirect::to(&format!("/findings/{}?reviewed=1", url_encode(&row.id))).into_response()),
        Err(err) if err.status == StatusCode::INTERNAL_SERVER_ERROR || err.status == StatusCode::NOT_FOUND => {
            Err(error_page(&err, Some(&c)))
        }
        Err(err) => finding_page(&s, &c, &id, None, Some(&err)).await,
    }
}

/// The issue form.
#[derive(Debug, Deserialize)]
pub struct IssueForm {
    good: String,
    blanket_from: Option<String>,
    blanket_to: Option<String>,
}

fn form_date(v: &Option<String>, what: &str) -> Result<Option<NaiveDate>, AppError> {
    match v.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => Ok(None),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::bad_request(format!("{what} `{d}` is not a date")).help("write YYYY-MM-DD")),
    }
}

/// `POST /runs/{run}/certificates`.
pub async fn issue_certificate(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(run): Path<String>,
    Form(f): Form<IssueForm>,
) -> PageResult {
    let e = fail(&c);
    let from = form_date(&f.blanket_from, "blanket from").map_err(&e)?;
    let to = form_date(&f.blanket_to, "blanket to").map_err(&e)?;
    let cert = api::issue(&s, &c, &run, &f.good, from, to).await.map_err(&e)?;
    Ok(Redirect::to(&format!("/certificates/{}", url_encode(&cert.id))).into_response())
}

/// `GET /certificates/{certificate}`: the nine Annex 5-A data elements, laid out to print.
pub async fn certificate(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> PageResult {
    let e = fail(&c);
    let id = s.store().resolve_id(IdKind::Certificate, &id).await.map_err(|x| e(x.into()))?;
    let ct = s.store().certificate(&id).await.map_err(|x| e(x.into()))?;
    let d = &ct.draft;
    let party = |p: &Option<origin_engine::certificate::CertParty>| -> String {
        let Some(p) = p else { return "<em>not given in the batch</em>".into() };
        let mut out = esc(&p.name);
        for f in [&p.title, &Some(p.address.clone()), &p.telephone, &p.email].into_iter().flatten() {
            let _ = write!(out, "<br>{}", esc(f));
        }
        out
    };
    let mut b = format!(
        "<h1>Certification of origin (USMCA Annex 5-A)</h1><p class=\"noprint\">Certificate {} version {}, {} · <a href=\"/runs/{run}\">run</a> · print this page to PDF from the browser.</p>",
        esc(&ct.id),
        ct.version,
        status_badge(&ct.status),
        run = esc(&ct.run_id),
    );
    if ct.status == "withdrawn" {
        let _ = write!(
            b,
            "<div class=\"error\">Withdrawn {}: {}</div>",
            esc(ct.withdrawn_at.as_deref().unwrap_or("")),
            esc(ct.withdrawn_reason.as_deref().unwrap_or(""))
        );
    }
    let _ = write!(
        b,
        "<div class=\"box\"><dl class=\"kv\"><dt>1. Certifier is the</dt><dd>{}</dd><dt>2. Certifier</dt><dd>{}</dd><dt>3. Exporter</dt><dd>{}</dd><dt>4. Producer</dt><dd>{}</dd><dt>5. Importer</dt><dd>{}</dd></dl>",
        esc(&d.certifier_role),
        party(&d.certifier),
        party(&d.exporter),
        party(&d.producer),
        party(&d.importer),
    );
    b.push_str("<table id=\"cert-goods\"><tr><th>6. Description of the good</th><th>7. HS classification</th><th>8. Origin criterion</th><th>invoice</th></tr>");
    for g in &d.goods {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&g.description),
            esc(&g.hs_tariff_classification),
            esc(&g.origin_criterion),
            esc(g.invoice_number.as_deref().unwrap_or("-")),
        );
    }
    b.push_str("</table>");
    let _ = write!(
        b,
        "<dl class=\"kv\"><dt>9. Blanket period</dt><dd>{}</dd></dl><p><strong>Certification:</strong> {}</p><p>Signature: ______________________ &nbsp; Date: ____________</p></div>",
        match &d.blanket_period {
            Some(bp) => format!("{} to {}", bp.start_date, bp.end_date),
            None => "single shipment (no blanket period)".into(),
        },
        esc(&d.certification_statement),
    );
    for (items, title) in [(&d.missing_elements, "Missing data elements"), (&d.caveats, "Caveats")] {
        if !items.is_empty() {
            let _ = write!(b, "<h2>{title}</h2><ul>");
            for i in items {
                let _ = write!(b, "<li>{}</li>", esc(i));
            }
            b.push_str("</ul>");
        }
    }
    if ct.status == "issued" && Permission::Certify.allows(c.user.role) {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/certificates/{}/withdraw\" class=\"box noprint\">{}<label>Reason <input name=\"reason\" required size=\"60\"></label> <button type=\"submit\">Withdraw</button></form>",
            esc(&ct.id),
            csrf_field(&c)
        );
    }
    Ok(html::ok(&format!("Certificate {}", ct.good), &c, &b))
}

/// The withdraw form.
#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// `POST /certificates/{certificate}/withdraw`.
pub async fn withdraw_certificate(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<WithdrawForm>,
) -> PageResult {
    let e = fail(&c);
    let id = s.store().resolve_id(IdKind::Certificate, &id).await.map_err(|x| e(x.into()))?;
    s.store().withdraw_certificate(&id, &c.user.name, &f.reason).await.map_err(|x| e(x.into()))?;
    Ok(Redirect::to(&format!("/certificates/{}", url_encode(&id))).into_response())
}

fn users_body(users: &[origin_store::User], c: &Caller) -> String {
    let mut b = String::from(
        "<h1>Accounts</h1><table id=\"users\"><tr><th>name</th><th>role</th><th>made</th><th>by</th><th>disabled</th></tr>",
    );
    for u in users {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&u.name),
            esc(u.role.as_str()),
            esc(&u.created_at),
            esc(&u.created_by),
            esc(u.disabled_at.as_deref().unwrap_or("-"))
        );
    }
    let _ = write!(
        b,
        "</table><h2>New account</h2><form method=\"post\" action=\"/users\" class=\"box\">{}<label>Name <input name=\"name\" required></label> <label>Role <select name=\"role\"><option>analyst</option><option>auditor</option><option>admin</option></select></label> <button type=\"submit\">Make account</button></form>",
        csrf_field(c)
    );
    b
}

/// `GET /users`.
pub async fn users(State(s): State<AppState>, Extension(c): Extension<Caller>) -> PageResult {
    let users = s.store().users().await.map_err(|e| fail(&c)(e.into()))?;
    Ok(html::ok("Accounts", &c, &users_body(&users, &c)))
}

/// The new-account form.
#[derive(Debug, Deserialize)]
pub struct UserForm {
    name: String,
    role: String,
}

/// `POST /users`: shows the new token once.
pub async fn add_user(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<UserForm>,
) -> PageResult {
    let e = fail(&c);
    let role: UserRole = api::role(&f.role).map_err(&e)?;
    let (user, token) = s.store().add_user(f.name.trim(), role, &c.user.name).await.map_err(|x| e(x.into()))?;
    let users = s.store().users().await.map_err(|x| e(x.into()))?;
    let body = format!(
        "<div class=\"flash\">Account <strong>{}</strong> ({}) made. Its token, shown this once: <code id=\"new-token\">{}</code></div>{}",
        esc(&user.name),
        esc(user.role.as_str()),
        esc(&token),
        users_body(&users, &c)
    );
    Ok(html::ok("Accounts", &c, &body))
}
