//! Persistence for origin-audit: audit runs, determinations, findings, reviews, certificates and a
//! hash-chained, append-only audit log, on SQLite (the default, one file) or PostgreSQL (teams).
//!
//! Both backends go through `sqlx::Any` with the same SQL: `$N` placeholders (SQLite accepts them),
//! text for times (RFC 3339 UTC, written by the application), ids (UUID) and JSON, so a value reads the
//! same on either database and the same test suite runs on both. One path differs: on SQLite a run's
//! result chunks go through a native connection with multi-row `?` INSERTs (the `Any` driver's value
//! conversion and `$N` matching cost most of the write rate; docs/store.md, storage benchmark). Migrations are embedded per backend
//! (`migrations/sqlite`, `migrations/postgres`) because the dialects differ in types, and applied by
//! [`Store::open`].
//!
//! Every writing transaction first updates the single `log_head` row: that serializes writers on both
//! backends (a row lock on PostgreSQL, the write lock on SQLite), keeps the hash chain linear, and makes
//! optimistic concurrency checks exact.

mod bind;
mod certificate;
pub mod evidence;
mod export;
mod facts;
pub mod impact;
mod inputs;
mod log;
mod packed;
mod review;
pub mod runner;
mod runs;
pub mod scenarios;
pub mod smtp;
pub mod solicit;
mod users;
pub mod worker;

use std::sync::Once;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Transaction};

pub use certificate::{CertificateRow, IssueRequest};
pub use export::{Exported, export_run, restore_inputs};
pub use facts::LotPicture;
pub use inputs::{
    Content, InputFile, PackedFile, PackedParts, RunInputs, batch_name, bom_files, collect_inputs, collect_read_inputs,
    pack_ahead, sha256_hex,
};
pub use log::{Anchor, LogEntry, LogProblem, LogReport, RowCounts};
pub use review::{Decision, FindingCounts, FindingFilter, FindingRow, ListedFinding, ReviewRequest, ReviewRow, Role};
pub use runs::{
    BLOB_PART, CompletedRun, DeterminationRow, GoodRows, NewRun, RunFileRow, RunRow, RunSettings, RunSink, RunStatus,
    RunSummary, Withdrawal, sqlite_writer_options,
};
pub use users::{SESSION_HOURS, Session, User, UserRole, new_secret};

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("applying migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Nothing with that id.
    #[error("{0}")]
    NotFound(String),
    /// The request is not allowed (missing justification, wrong role, wrong state).
    #[error("{0}")]
    Invalid(String),
    /// Someone else changed the finding first; nothing was written.
    #[error(
        "conflict: finding `{finding}` is at version {current} ({status}{by}), not version {expected} as you saw it; your decision was not recorded\n  help: run `origin-audit findings show {finding}` and review again if still needed"
    )]
    Conflict {
        /// Finding id.
        finding: String,
        /// The version the reviewer acted on.
        expected: i64,
        /// The version now.
        current: i64,
        /// The status now.
        status: String,
        /// Who changed it, e.g. ", decided by ana".
        by: String,
    },
    /// Stored JSON could not be read back.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Reading or writing files.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The store: a pool on one database with migrations applied.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite only: the native connection that writes result chunks (`runs::sqlite_writer_options`).
    sqlite_writer: Option<sqlx::SqlitePool>,
    backend: Backend,
    location: String,
}

static DRIVERS: Once = Once::new();

/// A `--db` value as a sqlx URL: `postgres://...` and `sqlite:...` as given, anything else a SQLite file
/// path (created when missing).
pub fn database_url(db: &str) -> (Backend, String) {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        (Backend::Postgres, db.to_string())
    } else if db.starts_with("sqlite:") {
        let url = if db.contains("mode=") {
            db.to_string()
        } else {
            format!("{db}{}mode=rwc", if db.contains('?') { '&' } else { '?' })
        };
        (Backend::Sqlite, url)
    } else {
        (Backend::Sqlite, format!("sqlite://{db}?mode=rwc"))
    }
}

impl Store {
    /// Opens (creating a SQLite file when needed) and applies the migrations.
    pub async fn open(db: &str) -> Result<Store, StoreError> {
        DRIVERS.call_once(install_default_drivers);
        let (backend, url) = database_url(db);
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut *conn).await?;
                            // Only takes effect on a new, empty file: 16 KiB pages hold a chunk's
                            // finding rows (about 600 bytes each) with fewer page splits than 4 KiB.
                            sqlx::query("PRAGMA page_size = 16384").execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(8).connect(&url).await?,
        };
        match backend {
            Backend::Sqlite => {
                sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
                // SQLite has no migration lock: when two processes open a new file at once, one of them
                // fails its (rolled back) migration; it tries again and finds it applied.
                let mut tries = 0;
                loop {
                    match sqlx::migrate!("../../migrations/sqlite").run(&pool).await {
                        Ok(()) => break,
                        Err(_) if tries < 5 => {
                            tries += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Backend::Postgres => sqlx::migrate!("../../migrations/postgres").run(&pool).await?,
        }
        let location = match backend {
            Backend::Sqlite => db
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or(db)
                .to_string(),
            Backend::Postgres => redact(db),
        };
        let sqlite_writer = match backend {
            Backend::Sqlite => Some(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(runs::sqlite_writer_options(&url)?)
                    .await?,
            ),
            Backend::Postgres => None,
        };
        Ok(Store { pool, sqlite_writer, backend, location })
    }

    /// Which database.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where it is, for messages: the SQLite file, or the PostgreSQL URL without its password.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The pool, for tests and tools that inspect the database directly.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        if let Some(w) = &self.sqlite_writer {
            w.close().await;
        }
        self.pool.close().await;
    }

    /// Begins a writing transaction: takes the writers' lock (the `log_head` row) first.
    async fn write_tx(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE log_head SET touched_at = $1 WHERE id = 1").bind(now()).execute(&mut *tx).await?;
        Ok(tx)
    }
}

/// A PostgreSQL URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Now, as stored: RFC 3339 UTC with microseconds (sorts as text).
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A new id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Store {
    /// The full id of a run, finding or certificate from a unique prefix (as `git` does for commits).
    pub async fn resolve_id(&self, kind: IdKind, prefix: &str) -> Result<String, StoreError> {
        use sqlx::Row;
        let table = match kind {
            IdKind::Run => "runs",
            IdKind::Finding => "findings",
            IdKind::Certificate => "certificates",
            IdKind::Scenario => "scenario_runs",
        };
        // A whole id (what pages and the API pass) is one index lookup; only a prefix needs the scan
        // (`LIKE` is case-insensitive in SQLite, so it cannot use the index: 720,234 findings read per
        // finding page on the 100,000-good store before this).
        let exact: Option<String> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = $1"))
            .bind(prefix)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(id) = exact {
            return Ok(id);
        }
        let rows = sqlx::query(&format!("SELECT id FROM {table} WHERE id LIKE $1 ORDER BY id LIMIT 2"))
            .bind(format!("{}%", prefix.replace(['%', '_'], "")))
            .fetch_all(&self.pool)
            .await?;
        match rows.as_slice() {
            [one] => Ok(one.try_get("id")?),
            [] => Err(StoreError::NotFound(format!("no {} `{prefix}` in {}", kind.word(), self.location))),
            _ => Err(StoreError::Invalid(format!("`{prefix}` matches several {}s; give more of the id", kind.word()))),
        }
    }
}

/// What an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// An audit run.
    Run,
    /// A finding.
    Finding,
    /// A certificate.
    Certificate,
    /// A scenario run.
    Scenario,
}

impl IdKind {
    fn word(self) -> &'static str {
        match self {
            IdKind::Run => "run",
            IdKind::Finding => "finding",
            IdKind::Certificate => "certificate",
            IdKind::Scenario => "scenario run",
        }
    }
}
