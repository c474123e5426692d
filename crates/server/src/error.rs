//! Errors as responses: a status, a message a user can act on, and never a stack trace or SQL. Database
//! and other internal failures are logged in full and answered with a reference to the log line.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use origin_store::StoreError;
use serde::Serialize;

/// An error answer. `/api` routes get JSON (`{"error", "help"}`); pages get an HTML page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong, for the user.
    pub message: String,
    /// What to do about it, if anything.
    pub help: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong.
    error: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
}

impl AppError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError { status, message: message.into(), help: None }
    }

    /// Adds advice.
    pub fn help(mut self, help: impl Into<String>) -> AppError {
        self.help = Some(help.into());
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 500, logged with a reference the user can quote; nothing internal is shown.
    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let reference = NEXT.fetch_add(1, Ordering::Relaxed);
        tracing::error!(reference, "internal error: {detail}");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error (reference {reference} in the server log); nothing was changed by this request"),
        )
    }

    /// The message and help as one text.
    pub fn text(&self) -> String {
        match &self.help {
            Some(h) => format!("{}\nhelp: {h}", self.message),
            None => self.message.clone(),
        }
    }
}

/// Splits the store's "message\n  help: advice" form.
fn split_help(s: &str) -> (String, Option<String>) {
    match s.split_once("\n  help: ") {
        Some((m, h)) => (m.to_string(), Some(h.to_string())),
        None => (s.to_string(), None),
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        let status = match &e {
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            StoreError::Conflict { .. } => StatusCode::CONFLICT,
            StoreError::Db(_) | StoreError::Migrate(_) | StoreError::Json(_) | StoreError::Io(_) => {
                return AppError::internal(e);
            }
        };
        let (message, help) = split_help(&e.to_string());
        AppError { status, message, help }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.message, help: self.help })).into_response()
    }
}

/// Unknown paths: 404 JSON under `/api`, a page elsewhere.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    let e = AppError::new(StatusCode::NOT_FOUND, format!("nothing at `{}`", uri.path()));
    if uri.path().starts_with("/api/") { e.into_response() } else { crate::html::error_page(&e, None) }
}

/// A handler panicked (a bug): 500 without the panic's text, which is logged instead.
pub(crate) fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let e = AppError::internal(format!("handler panicked: {detail}"));
    let mut res = e.into_response();
    res.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    res
}
