//! The auditor web UI and the HTTP API of origin-audit, over the store (`origin-store`).
//!
//! One route table ([`routes::routes`]) says, for every route, its method, path, the permission it
//! needs and what it takes and returns. The router, the authentication guard, the OpenAPI document
//! (`docs/openapi.json`) and the role tests are all built from that table, so a route cannot be added
//! without a permission, nor documented differently from how it behaves.
//!
//! - `/api/...`: JSON, bearer tokens (`Authorization: Bearer oat_...`).
//! - everything else: server-rendered HTML pages (no JavaScript), a login form and a session cookie;
//!   every form carries the session's CSRF token, checked by the guard before any handler runs.

pub mod api;
pub mod auth;
mod context;
mod error;
mod html;
pub mod openapi;
mod pages;
pub mod routes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use origin_rules::RuleSet;
use origin_store::Store;

pub use error::AppError;

/// Request bodies larger than this are refused (413) unless a route says otherwise.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Uploaded batch files (`POST /api/runs`), all files together.
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The rule pack runs started from the API use (built-in or a directory); the same the server loaded.
    pub pack: origin_rules::PackSource,
    /// Mark cookies `Secure` (browsers then send them over HTTPS and to localhost only). On by default;
    /// off only for plain-HTTP access from another host in a trusted test network.
    pub secure_cookies: bool,
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    rules: Arc<RuleSet>,
    config: Config,
    /// Batches of stored runs, read back from the store for pictures and supplier filters.
    contexts: Mutex<HashMap<String, Arc<context::RunContext>>>,
}

impl AppState {
    /// A state over an open store and a loaded rule pack.
    pub fn new(store: Store, rules: Arc<RuleSet>, config: Config) -> AppState {
        AppState { inner: Arc::new(Inner { store, rules, config, contexts: Mutex::new(HashMap::new()) }) }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The rule pack.
    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.inner.rules
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
}

/// The whole application: every route of the table behind its guard, with body limits, security
/// headers and a panic catcher that answers 500 without details.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for route in routes::routes() {
        let guard = auth::Guard {
            state: state.clone(),
            permission: route.permission,
            kind: route.kind,
            body_limit: route.body_limit,
        };
        let method_router = (route.handler)()
            .route_layer(middleware::from_fn_with_state(guard, auth::guard))
            .layer(DefaultBodyLimit::max(route.body_limit));
        router = router.route(route.path, method_router);
    }
    router
        .fallback(error::not_found)
        .with_state(state)
        .layer(middleware::map_response(security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
}

/// Headers on every response: no framing, no sniffing, no referrer, no caching of audit data, and a
/// content policy that allows only this server's own pages, forms and inline styles (no scripts at all).
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Serves until Ctrl-C; prints where.
pub async fn serve(state: AppState, bind: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    eprintln!("origin-audit: serving the web UI on http://{addr}/ and the API on http://{addr}/api (Ctrl-C stops)");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
