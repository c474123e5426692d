//! Who is calling and what they may do, checked before any handler runs.
//!
//! API routes take `Authorization: Bearer <token>`; pages take the session cookie set by the login
//! form. The guard of each route knows the permission its table entry names: a missing or wrong
//! credential is 401 (pages: a redirect to the login form), a known user without the permission 403.
//! Page forms (POST) must carry the session's CSRF token; the guard checks it on the raw body before the
//! handler sees the request, so no form handler can forget to.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use origin_store::{User, UserRole};

use crate::error::AppError;
use crate::{AppState, html};

/// The session cookie (`__Host-` when secure: only over HTTPS or localhost, never shared with a
/// subdomain, path `/`).
pub const SESSION_COOKIE_SECURE: &str = "__Host-oa_session";
/// The session cookie when `Secure` is off.
pub const SESSION_COOKIE_PLAIN: &str = "oa_session";
/// The login form's double-submit CSRF cookie (`__Host-` when secure, so that no subdomain or plain-HTTP
/// page can set it; its value must also be minted by this server, see `signin`).
pub const LOGIN_CSRF_COOKIE_SECURE: &str = "__Host-oa_login_csrf";
/// The login form's cookie when `Secure` is off.
pub const LOGIN_CSRF_COOKIE_PLAIN: &str = "oa_login_csrf";

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Anyone (the login form, health check).
    Public,
    /// Any signed-in user but a supplier: view runs, findings, certificates, rules.
    View,
    /// Any signed-in user, suppliers included: signing out.
    SignedIn,
    /// Plan, make and send supplier requests (analyst, auditor).
    Solicit,
    /// A supplier's own requests (supplier accounts only; each sees its own supplier's).
    Supplier,
    /// Start audits (analyst, auditor).
    RunAudit,
    /// Review findings (auditor).
    Review,
    /// Issue and withdraw certificates (auditor).
    Certify,
    /// Manage accounts (admin).
    ManageUsers,
}

impl Permission {
    /// Whether a role has this permission. Roles are not a ladder: see [`UserRole`].
    pub fn allows(self, role: UserRole) -> bool {
        match self {
            Permission::Public | Permission::SignedIn => true,
            // A supplier sees its own requests, nothing of the audit.
            Permission::View => role != UserRole::Supplier,
            Permission::RunAudit | Permission::Solicit => matches!(role, UserRole::Analyst | UserRole::Auditor),
            Permission::Supplier => role == UserRole::Supplier,
            Permission::Review | Permission::Certify => role == UserRole::Auditor,
            Permission::ManageUsers => role == UserRole::Admin,
        }
    }

    /// The roles that have it, for documents.
    pub fn roles(self) -> Vec<&'static str> {
        [UserRole::Analyst, UserRole::Auditor, UserRole::Admin, UserRole::Supplier]
            .into_iter()
            .filter(|r| self.allows(*r))
            .map(|r| r.as_str())
            .collect()
    }
}

/// API route or HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JSON under `/api`, bearer token.
    Api,
    /// HTML page, session cookie.
    Page,
}

/// The signed-in caller, put in the request's extensions by the guard.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub user: User,
    /// The session's CSRF token (pages only).
    pub csrf: String,
}

/// A route's guard: the state and what the route needs.
#[derive(Debug, Clone)]
pub struct Guard {
    /// Shared state.
    pub state: AppState,
    /// What the route needs.
    pub permission: Permission,
    /// API or page.
    pub kind: Kind,
    /// The route's largest body (a page form's body is read here for its CSRF token).
    pub body_limit: usize,
}

/// The cookie's name under this configuration.
pub fn session_cookie(state: &AppState) -> &'static str {
    if state.config().secure_cookies { SESSION_COOKIE_SECURE } else { SESSION_COOKIE_PLAIN }
}

/// The login form's cookie name under this configuration.
pub fn login_csrf_cookie(state: &AppState) -> &'static str {
    if state.config().secure_cookies { LOGIN_CSRF_COOKIE_SECURE } else { LOGIN_CSRF_COOKIE_PLAIN }
}

/// A cookie's value from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn unauthorized_api(message: &str) -> Response {
    let mut res = AppError::new(StatusCode::UNAUTHORIZED, message)
        .help("send `Authorization: Bearer <token>`; an admin makes tokens with `origin-audit users add NAME --role ROLE`")
        .into_response();
    res.headers_mut()
        .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer realm=\"origin-audit\""));
    res
}

/// `429` with `Retry-After` (whole seconds, at least 1).
fn too_many_wrong_tokens(wait: std::time::Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let mut res = AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many wrong bearer tokens from this address; try again in {secs} s"),
    )
    .help("check the token; the wait doubles with each further wrong one")
    .into_response();
    if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn forbidden(user: &User, permission: Permission) -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        format!(
            "`{}` is an {}; this needs the permission `{}`, which only {} have",
            user.name,
            user.role.as_str(),
            serde_json::to_value(permission).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            permission.roles().join(" and ")
        ),
    )
}

/// The middleware every route runs first.
pub async fn guard(State(g): State<Guard>, mut req: Request, next: Next) -> Response {
    if g.permission == Permission::Public {
        return next.run(req).await;
    }
    let caller = match g.kind {
        Kind::Api => {
            let Some(token) = bearer(req.headers()) else {
                return unauthorized_api("no bearer token");
            };
            // Wrong tokens back off per client address like sign-ins (issue 13, item 4): checked
            // before the token is looked at.
            let client = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
            if let Err(wait) = g.state.throttle(|t| t.check_client(client, std::time::Instant::now())) {
                tracing::warn!(?client, "API request refused: backing off after wrong bearer tokens");
                return too_many_wrong_tokens(wait);
            }
            match g.state.store().user_by_token(token).await {
                Ok(Some(user)) => Caller { user, csrf: String::new() },
                Ok(None) => {
                    g.state.throttle(|t| t.failed_client(client, std::time::Instant::now()));
                    tracing::warn!(?client, "wrong bearer token");
                    return unauthorized_api("the token is not valid (wrong, re-keyed or disabled)");
                }
                Err(e) => return AppError::from(e).into_response(),
            }
        }
        Kind::Page => {
            let session = match cookie(req.headers(), session_cookie(&g.state)) {
                Some(id) => match g.state.store().session(id).await {
                    Ok(s) => s,
                    Err(e) => return html::error_page(&AppError::from(e), None),
                },
                None => None,
            };
            let Some(s) = session else {
                let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let next_path = if req.method() == Method::GET { next_path } else { "/queue" };
                return Redirect::to(&format!("/login?next={}", html::url_encode(next_path))).into_response();
            };
            Caller { user: s.user, csrf: s.csrf }
        }
    };
    if !g.permission.allows(caller.user.role) {
        let e = forbidden(&caller.user, g.permission);
        return match g.kind {
            Kind::Api => e.into_response(),
            Kind::Page => html::error_page(&e, Some(&caller)),
        };
    }
    if g.kind == Kind::Page && req.method() == Method::POST {
        let (parts, body) = req.into_parts();
        let bytes = match to_bytes(body, g.body_limit).await {
            Ok(b) => b,
            Err(_) => {
                let e = AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large");
                return html::error_page(&e, Some(&caller));
            }
        };
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let sent = match multipart_boundary(content_type) {
            Some(boundary) => multipart_field(&bytes, &boundary, "csrf"),
            None => form_field(&bytes, "csrf"),
        };
        if sent.as_deref() != Some(caller.csrf.as_str()) {
            let e = AppError::new(StatusCode::FORBIDDEN, "the form's security token is missing or stale")
                .help("reload the page and submit the form again");
            return html::error_page(&e, Some(&caller));
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// One field of an `application/x-www-form-urlencoded` body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_pairs(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The `name=value` pairs of a urlencoded form body, decoded.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (html::url_decode(k), html::url_decode(v))
        })
        .collect()
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_string())
}

/// A short text field of a `multipart/form-data` body (the CSRF token of an upload form).
pub fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let text = body.split(|&b| b == b'\n').map(|l| String::from_utf8_lossy(l).trim_end_matches('\r').to_string());
    let mut lines = text.peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("Content-Disposition") && line.contains(&wanted) && !line.contains("filename=") {
            // Headers end at the first empty line; the value is the next line.
            for header_line in lines.by_ref() {
                if header_line.is_empty() {
                    break;
                }
            }
            return lines.next().filter(|v| !v.starts_with(&delimiter));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_field_of_a_multipart_form_is_found_and_files_are_not_taken_for_it() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"batch\"; filename=\"csrf\"\r\n\r\nname=\"csrf\"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--XyZ--\r\n";
        assert_eq!(multipart_boundary("multipart/form-data; boundary=XyZ").as_deref(), Some("XyZ"));
        assert_eq!(multipart_boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(), Some("XyZ"));
        assert_eq!(multipart_boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(multipart_field(body.as_bytes(), "XyZ", "csrf").as_deref(), Some("abc123"));
        let without =
            "--XyZ\r\nContent-Disposition: form-data; name=\"batch\"; filename=\"b.yaml\"\r\n\r\nx\r\n--XyZ--\r\n";
        assert_eq!(multipart_field(without.as_bytes(), "XyZ", "csrf"), None);
    }
}
