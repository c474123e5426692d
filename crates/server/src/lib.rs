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
mod counts;
mod error;
mod html;
mod idle;
pub mod openapi;
mod pages;
pub mod routes;
pub mod scenarios;
pub mod signin;
pub mod supplier;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// The rule pack the server loaded at start: every page and every run started from the API use it,
    /// and a run records the digest of these very files.
    pub pack: origin_store::runner::RunPack,
    /// Mark cookies `Secure` (browsers then send them over HTTPS and to localhost only). On by default;
    /// off only for plain-HTTP access from another host in a trusted test network.
    pub secure_cookies: bool,
    /// The duty table and annual volumes the scenario pages compute the duty at stake with
    /// (`serve --duties --volumes`; docs/scenarios.md); without them the pages count goods only.
    pub duties: Option<Arc<origin_store::impact::DutyTable>>,
    /// Annual volumes per good.
    pub volumes: Option<Arc<origin_store::impact::Volumes>>,
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    config: Config,
    /// Finding counts per filter and store version.
    counts: counts::CountCache,
    /// The secret the login form's CSRF tokens are minted with; new at every start (`None`: the
    /// system gave no randomness, and the form says so).
    login_secret: Option<Vec<u8>>,
    /// Failed sign-ins, per account and per client address.
    throttle: Mutex<signin::Throttle>,
}

impl AppState {
    /// A state over an open store and a loaded rule pack.
    pub fn new(store: Store, config: Config) -> AppState {
        let login_secret = origin_store::new_secret("").ok().map(String::into_bytes);
        AppState {
            inner: Arc::new(Inner {
                store,
                config,
                counts: counts::CountCache::default(),
                login_secret,
                throttle: Mutex::new(signin::Throttle::default()),
            }),
        }
    }

    /// The login form's secret.
    pub(crate) fn login_secret(&self) -> Option<&[u8]> {
        self.inner.login_secret.as_deref()
    }

    /// Runs `f` on the sign-in throttle (a poisoned lock is taken over: the counts stay usable).
    pub(crate) fn throttle<T>(&self, f: impl FnOnce(&mut signin::Throttle) -> T) -> T {
        let mut guard = self.inner.throttle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// The kept finding counts.
    pub(crate) fn counts(&self) -> &counts::CountCache {
        &self.inner.counts
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The rule pack.
    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.inner.config.pack.rules
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
        .layer(middleware::from_fn(request_timeout))
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

/// How long a client may take to send a request's headers, counted from the connection's start or
/// the end of the previous response: a connection half-sent for longer is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a kept-alive connection may sit with no request under way (no byte of a new request read,
/// no answer being written) before it is closed: shorter than [`HEADER_READ_TIMEOUT`], so idle
/// connections give their slot back sooner than half-sent ones.
pub const KEEP_ALIVE_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request may take (reading its body, answering), except uploads.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an upload (`POST /api/runs`, `POST /runs`) may take: it audits the batch before answering.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The longest a connection stays open, whatever it does (a client that never reads its answer).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(40 * 60);
/// Connections served at once; further ones wait in the listen queue until one closes.
pub const MAX_CONNECTIONS: usize = 512;

/// Bounds on connections (see the constants of the same names).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// [`KEEP_ALIVE_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// [`CONNECTION_LIFETIME`].
    pub connection_lifetime: Duration,
    /// [`MAX_CONNECTIONS`].
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            idle_timeout: KEEP_ALIVE_IDLE_TIMEOUT,
            connection_lifetime: CONNECTION_LIFETIME,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// Whether a request is an upload (a longer time limit).
fn is_upload(req: &axum::extract::Request) -> bool {
    req.method() == axum::http::Method::POST && matches!(req.uri().path(), "/api/runs" | "/runs")
}

/// Ends a request that takes longer than its limit (a client sending its body slowly, say) with a
/// 408 and closes the connection.
async fn request_timeout(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    let limit = if is_upload(&req) { UPLOAD_TIMEOUT } else { REQUEST_TIMEOUT };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            let e = AppError::new(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                format!("the request took longer than {} s", limit.as_secs()),
            );
            let mut res = axum::response::IntoResponse::into_response(e);
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}

/// Serves until Ctrl-C; prints where.
pub async fn serve(state: AppState, bind: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    eprintln!("origin-audit: serving the web UI on http://{addr}/ and the API on http://{addr}/api (Ctrl-C stops)");
    serve_listener(listener, app(state), Limits::default(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Serves `router` on `listener` until `shutdown` completes, within `limits`: at most
/// `max_connections` at once, each closed when its headers do not arrive in time, when idle, or when
/// it outlives `connection_lifetime`. Each request carries the client's address
/// (`ConnectInfo<SocketAddr>`) for the sign-in back-off.
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let activity = Arc::new(idle::Activity::new());
        let busy = activity.clone();
        let service = hyper::service::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            let mut router = router.clone();
            let answering = idle::Answering::start(busy.clone());
            let answer = tower_service::Service::call(&mut router, req.map(axum::body::Body::new));
            async move {
                let res = answer.await;
                drop(answering);
                res
            }
        });
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .keep_alive(true);
            let io = hyper_util::rt::TokioIo::new(idle::Watched::new(stream, activity.clone()));
            let mut conn = std::pin::pin!(http.serve_connection(io, service));
            let mut lifetime = std::pin::pin!(tokio::time::sleep(limits.connection_lifetime));
            let mut closing = false;
            loop {
                let check = activity.idle_deadline(limits.idle_timeout);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(%peer, "connection closed: {e}");
                        }
                        break;
                    }
                    () = &mut lifetime => {
                        tracing::debug!(%peer, "connection closed: open longer than its lifetime");
                        break;
                    }
                    () = tokio::time::sleep_until(check.into()), if !closing => {
                        if activity.idle_for().is_some_and(|d| d >= limits.idle_timeout) {
                            // Keep-alive off; an idle HTTP/1 connection then closes at once.
                            tracing::debug!(%peer, "closing the connection: idle");
                            conn.as_mut().graceful_shutdown();
                            closing = true;
                        }
                    }
                }
            }
            drop(permit);
        });
    }
    Ok(())
}
