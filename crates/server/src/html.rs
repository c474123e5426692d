//! HTML by hand: a layout, escaping and a few pieces. Every value that comes from data goes through
//! [`esc`]; there is no other way into a page. No JavaScript: forms and links only.

use std::fmt::Write as _;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::Caller;
use crate::error::AppError;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes a form or query value (`+` is a space).
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const STYLE: &str = r#"
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.4rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:500}header .who{margin-left:auto;font-size:.9em;opacity:.9}
header form{display:inline}header button{background:none;border:1px solid #fff8;color:#fff;border-radius:4px;cursor:pointer}
main{padding:1rem 1.4rem;max-width:1200px}
h1{font-size:1.35rem;margin:.4rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.4rem 0 1rem}
th,td{border-bottom:1px solid #e2e5ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600;font-size:.9em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev-blocking{color:#a4161a;font-weight:600}.sev-warning{color:#9a6700;font-weight:600}.sev-info{color:#39597a}
.badge{display:inline-block;padding:0 .45em;border-radius:3px;background:#e6eaf0;font-size:.85em}
.st-open{background:#fde2e1}.st-accepted{background:#e3f1e5}.st-dismissed{background:#eee}.st-waived{background:#fff1c7}.st-resolved{background:#dcecff}
.box{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:.8rem 1rem;margin:.6rem 0 1rem}
.flash{background:#e3f1e5;border:1px solid #9cc8a3;padding:.6rem 1rem;border-radius:6px}
.error{background:#fde2e1;border:1px solid #e29a97;padding:.6rem 1rem;border-radius:6px;white-space:pre-wrap}
.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end}.filters label{display:flex;flex-direction:column;font-size:.85em}
.facets{display:flex;flex-wrap:wrap;gap:1.2rem;font-size:.9em}.facets ul{margin:.2rem 0;padding-left:1.1rem}
pre.rule{white-space:pre-wrap;background:#fbfbfc;border-left:3px solid #1f3a5f;padding:.5rem .8rem}
.svg{overflow:auto;background:#fff;border:1px solid #dde1e7}
form.review textarea{width:100%;min-height:4rem}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.kv dt{font-weight:600}
@media print{header,.noprint{display:none}body{background:#fff}main{max-width:none}.box{border:none}}
"#;

/// A whole page: header with navigation and the caller, then the body.
pub fn page(title: &str, caller: Option<&Caller>, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 4096);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · origin-audit</title><style>{STYLE}</style></head><body><header><a href=\"/queue\"><strong>origin-audit</strong></a>",
        esc(title)
    );
    if let Some(c) = caller {
        if c.user.role == origin_store::UserRole::Supplier {
            s.push_str("<a href=\"/supplier\">Your requests</a>");
        } else {
            s.push_str(
                "<a href=\"/runs\">Runs</a><a href=\"/queue\">Review queue</a><a href=\"/scenarios\">Scenarios</a><a href=\"/expiring\">Expiring</a>",
            );
        }
        if c.user.role == origin_store::UserRole::Admin {
            s.push_str("<a href=\"/users\">Accounts</a>");
        }
        let _ = write!(
            s,
            "<span class=\"who\">{} ({})</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></form>",
            esc(&c.user.name),
            esc(c.user.role.as_str()),
            esc(&c.csrf)
        );
    }
    let _ = write!(s, "</header><main>{body}</main></body></html>");
    s
}

/// An error as a page with its status.
pub fn error_page(e: &AppError, caller: Option<&Caller>) -> Response {
    let title = e.status.canonical_reason().unwrap_or("Error");
    // A located diagnostic (`--> file:line:column` and its source line) keeps its columns: the caret
    // stands under the value only in a fixed-width font.
    let tag = if e.message.contains("\n  --> ") { "pre" } else { "div" };
    let body = format!(
        "<h1>{} {}</h1><{tag} class=\"error\" id=\"error\">{}</{tag}><p><a href=\"/queue\">Back to the review queue</a></p>",
        e.status.as_u16(),
        esc(title),
        esc(&e.text())
    );
    (e.status, Html(page(title, caller, &body))).into_response()
}

/// A page as a 200 response.
pub fn ok(title: &str, caller: &Caller, body: &str) -> Response {
    (StatusCode::OK, Html(page(title, Some(caller), body))).into_response()
}

/// A status badge.
pub fn status_badge(status: &str) -> String {
    format!("<span class=\"badge st-{0}\">{0}</span>", esc(status))
}

/// A severity word, coloured.
pub fn severity(sev: &str) -> String {
    format!("<span class=\"sev-{0}\">{0}</span>", esc(sev))
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(caller: &Caller) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(&caller.csrf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(esc("<b a=\"x\">'&'</b>"), "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
    }

    #[test]
    fn url_round_trip() {
        for s in ["a b&c=d", "/findings/1?x=ü", "%zz", "100%"] {
            assert_eq!(url_decode(&url_encode(s)), s);
        }
        assert_eq!(url_decode("a+b%20c"), "a b c");
        assert_eq!(url_decode("%zz"), "%zz");
    }
}
