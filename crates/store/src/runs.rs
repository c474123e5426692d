//! Audit runs: started (`running`), filled chunk by chunk (each chunk one transaction), then completed by
//! one final transaction that resolves cleared findings, withdraws certificates of goods that no longer
//! qualify and writes the counts. A run killed at any moment stays `running` and is finished with
//! `run --resume`.

use std::collections::HashSet;

use chrono::NaiveDate;
use origin_engine::sink::{GoodResult, ResultSink};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use std::str::FromStr;

use origin_engine::audit::{GoodAudit, Outcome};
use origin_engine::finding::Severity;
use origin_engine::report::v1;
use sha2::{Digest, Sha256};
use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};

use crate::bind::{FindingsDigest, determination_digest, review_digest};
use crate::certificate::certificate_digest_in;
use crate::facts::{Lines, finding_suppliers, lines_json, named_lots, supplier_key};
use crate::inputs::{Content, InputFile, RunInputs};
use crate::log::{LogEntry, append};
use crate::{Backend, Store, StoreError, new_id, now};

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Started, not (yet) completed: results may be partial.
    Running,
    /// Every good stored and the final commit made.
    Completed,
    /// Stopped by an error.
    Failed,
    /// Stopped by the user.
    Cancelled,
}

impl RunStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// How a run was started, kept with it for `run --resume`, the workers and `runs show`. A key missing
/// from a run stored by an earlier version (`rules_source` came later) reads as its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct RunSettings {
    /// The batch files, as named on the command line (or the upload's names).
    pub batches: Vec<String>,
    /// Where the rule pack came from (`built-in`, a directory), for the record.
    pub rules_source: String,
    /// The as-of override.
    pub as_of: Option<NaiveDate>,
    /// Worker threads asked for.
    pub threads: Option<usize>,
    /// Goods stored per transaction.
    pub chunk: Option<usize>,
    /// The working directory relative batch paths are read from (not kept for uploads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// BOM files outside the batch's directory were allowed (`--allow-outside`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_outside: bool,
}

/// What the final commit of a run wrote: the counts, and what it did to earlier reviews and
/// certificates. Also the payload of the log's `run.completed` entry. Keys missing from a summary stored
/// by an earlier version read as their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct RunSummary {
    /// Goods stored.
    pub goods: i64,
    /// Qualified.
    pub qualified: i64,
    /// Not qualified.
    pub not_qualified: i64,
    /// Needs evidence.
    pub needs_evidence: i64,
    /// Findings.
    pub findings: i64,
    /// Findings by severity.
    pub findings_by_severity: std::collections::BTreeMap<Severity, i64>,
    /// Findings that carried an earlier review decision over (same fingerprint).
    pub carried_over: i64,
    /// Earlier findings this run no longer raises (now `resolved`).
    pub resolved: Vec<String>,
    /// Certificates withdrawn because their good no longer qualifies.
    pub withdrawn_certificates: Vec<Withdrawal>,
}

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Who runs it.
    pub actor: String,
    /// Engine version.
    pub engine_version: String,
    /// `id@version` of the rule pack.
    pub rule_pack: String,
    /// The as-of override, if any.
    pub as_of: Option<NaiveDate>,
    /// How to redo it (batch paths, options), kept for `--resume`.
    pub options: RunSettings,
    /// Goods in all batches.
    pub goods_total: i64,
    /// The files used.
    pub inputs: RunInputs,
}

/// A stored run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunRow {
    /// Id.
    pub id: String,
    /// Started.
    pub started_at: String,
    /// Finished (completed, failed or cancelled).
    pub finished_at: Option<String>,
    /// Status.
    pub status: String,
    /// Who ran it.
    pub actor: String,
    /// Engine version.
    pub engine_version: String,
    /// Rule pack.
    pub rule_pack: String,
    /// sha256 of the rule pack.
    pub rules_digest: String,
    /// As-of override.
    pub as_of: Option<String>,
    /// Options, for resume.
    pub options: RunSettings,
    /// Goods in the batches.
    pub goods_total: i64,
    /// Goods stored.
    pub goods_done: i64,
    /// Qualified.
    pub qualified: i64,
    /// Not qualified.
    pub not_qualified: i64,
    /// Needs evidence.
    pub needs_evidence: i64,
    /// Findings.
    pub findings: i64,
    /// The summary the final commit wrote.
    pub summary: Option<RunSummary>,
}

/// A file a run used.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunFileRow {
    /// `batch`, `bom`, `rules`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// sha256.
    pub digest: String,
}

/// A stored determination.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeterminationRow {
    /// Run.
    pub run_id: String,
    /// Batch id.
    pub batch: String,
    /// Good id.
    pub good: String,
    /// HS.
    pub hs: String,
    /// Qualified, not qualified, needs evidence.
    pub outcome: Outcome,
    /// Criterion A-D.
    pub criterion: Option<String>,
    /// Rule id.
    pub rule_id: Option<String>,
    /// One sentence.
    pub summary: String,
    /// The full determination (report v1).
    pub determination: v1::Determination,
    /// sha256 of the good's audit (determination and findings) as JSON.
    pub digest: String,
}

/// A certificate withdrawn by a run.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Withdrawal {
    /// Certificate id.
    pub certificate: String,
    /// Its version.
    pub version: i64,
    /// The good.
    pub good: String,
    /// Why.
    pub reason: String,
}

/// What the final commit did.
#[derive(Debug, Clone, Serialize)]
pub struct CompletedRun {
    /// The run.
    pub run: RunRow,
    /// Earlier findings cleared by this run (now `resolved`).
    pub resolved: Vec<String>,
    /// Findings whose earlier review decision was carried over.
    pub carried_over: i64,
    /// Certificates withdrawn because their good no longer qualifies.
    pub withdrawn: Vec<Withdrawal>,
}

pub(crate) fn run_from_row(r: &AnyRow) -> Result<RunRow, StoreError> {
    let options: String = r.try_get("options")?;
    let summary: Option<String> = r.try_get("summary")?;
    Ok(RunRow {
        id: r.try_get("id")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        status: r.try_get("status")?,
        actor: r.try_get("actor")?,
        engine_version: r.try_get("engine_version")?,
        rule_pack: r.try_get("rule_pack")?,
        rules_digest: r.try_get("rules_digest")?,
        as_of: r.try_get("as_of")?,
        options: serde_json::from_str(&options)?,
        goods_total: r.try_get("goods_total")?,
        goods_done: r.try_get("goods_done")?,
        qualified: r.try_get("qualified")?,
        not_qualified: r.try_get("not_qualified")?,
        needs_evidence: r.try_get("needs_evidence")?,
        findings: r.try_get("findings")?,
        summary: summary.map(|s| serde_json::from_str(&s)).transpose()?,
    })
}

const RUN_COLUMNS: &str = "id, started_at, finished_at, status, actor, engine_version, rule_pack, rules_digest, as_of, options, goods_total, goods_done, qualified, not_qualified, needs_evidence, findings, summary";

const DETERMINATION_COLUMNS: &str =
    "run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, digest";

fn determination_from_row(r: &AnyRow) -> Result<DeterminationRow, StoreError> {
    let d: String = r.try_get("determination")?;
    Ok(DeterminationRow {
        run_id: r.try_get("run_id")?,
        batch: r.try_get("batch")?,
        good: r.try_get("good")?,
        hs: r.try_get("hs")?,
        outcome: from_word(&r.try_get::<String, _>("outcome")?)?,
        criterion: r.try_get("criterion")?,
        rule_id: r.try_get("rule_id")?,
        summary: r.try_get("summary")?,
        determination: serde_json::from_str(&d)?,
        digest: r.try_get("digest")?,
    })
}

/// A state stored as its word (`needs-evidence`), read back as the enum; a word the enum does not know
/// is an error, never a default.
pub(crate) fn from_word<T: serde::de::DeserializeOwned>(w: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_value(serde_json::Value::String(w.to_string()))?)
}

fn word<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Files larger than this are kept in parts of this size (`blob_parts`): both databases refuse a single
/// value of 1 GB or more.
pub const BLOB_PART: usize = 64 * 1024 * 1024;

/// Keeps one input file's content under its digest (once: a digest already kept is not written again).
/// A large file is read part by part and hashed again as it is stored; if it changed since it was
/// digested, the run is refused (the transaction rolls back) instead of keeping bytes that do not match.
async fn store_blob(tx: &mut sqlx::Transaction<'_, sqlx::Any>, f: &InputFile) -> Result<(), StoreError> {
    let path = match &f.content {
        Content::Bytes(bytes) if bytes.len() <= BLOB_PART => {
            sqlx::query("INSERT INTO blobs (digest, content) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
                .bind(&f.digest)
                .bind(bytes.as_slice())
                .execute(&mut **tx)
                .await?;
            return Ok(());
        }
        Content::Bytes(_) => None,
        Content::File(path) => Some(path.clone()),
    };
    let stored = sqlx::query("INSERT INTO blobs (digest, content) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
        .bind(&f.digest)
        .bind(Vec::<u8>::new())
        .execute(&mut **tx)
        .await?;
    if stored.rows_affected() == 0 {
        return Ok(());
    }
    let part = |seq: usize, bytes: Vec<u8>| {
        sqlx::query("INSERT INTO blob_parts (digest, seq, content) VALUES ($1, $2, $3)")
            .bind(f.digest.clone())
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(bytes)
    };
    match (path, &f.content) {
        (None, Content::Bytes(bytes)) => {
            for (seq, p) in bytes.chunks(BLOB_PART).enumerate() {
                part(seq, p.to_vec()).execute(&mut **tx).await?;
            }
        }
        (Some(path), _) => {
            let mut file = std::fs::File::open(&path)?;
            let mut hasher = Sha256::new();
            for seq in 0.. {
                let (back, bytes) = tokio::task::spawn_blocking(move || {
                    let mut buf = Vec::with_capacity(BLOB_PART);
                    let read =
                        std::io::Read::read_to_end(&mut std::io::Read::take(&mut file, BLOB_PART as u64), &mut buf);
                    (file, read.map(|_| buf))
                })
                .await
                .map_err(|e| StoreError::Invalid(format!("reading `{}` stopped: {e}", path.display())))?;
                file = back;
                let bytes = bytes?;
                if bytes.is_empty() {
                    break;
                }
                hasher.update(&bytes);
                part(seq, bytes).execute(&mut **tx).await?;
            }
            let digest: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
            if digest != f.digest {
                return Err(StoreError::Invalid(format!(
                    "`{}` changed while the run started (sha256 {} when read, {digest} when kept); nothing was stored\n  help: run again once the file is final",
                    path.display(),
                    f.digest
                )));
            }
        }
        (None, Content::File(_)) => {}
    }
    Ok(())
}

impl Store {
    /// Starts a run: stores the files it uses and a `running` row. Returns the run id.
    pub async fn begin_run(&self, new: &NewRun) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write_tx().await?;
        for f in &new.inputs.files {
            store_blob(&mut tx, f).await?;
        }
        sqlx::query(
            "INSERT INTO runs (id, started_at, status, actor, engine_version, rule_pack, rules_digest, as_of, options, goods_total, read_facts) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9, 1)",
        )
        .bind(&id)
        .bind(now())
        .bind(&new.actor)
        .bind(&new.engine_version)
        .bind(&new.rule_pack)
        .bind(&new.inputs.rules_digest)
        .bind(new.as_of.map(|d| d.to_string()))
        .bind(serde_json::to_string(&new.options)?)
        .bind(new.goods_total)
        .execute(&mut *tx)
        .await?;
        for f in &new.inputs.files {
            sqlx::query("INSERT INTO run_files (run_id, kind, name, digest) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, kind, name) DO NOTHING")
                .bind(&id)
                .bind(f.kind)
                .bind(&f.name)
                .bind(&f.digest)
                .execute(&mut *tx)
                .await?;
        }
        let files: Vec<_> =
            new.inputs.files.iter().map(|f| json!({"kind": f.kind, "name": f.name, "digest": f.digest})).collect();
        let payload = json!({
            "engine_version": new.engine_version,
            "rule_pack": new.rule_pack,
            "rules_digest": new.inputs.rules_digest,
            "as_of": new.as_of.map(|d| d.to_string()),
            "goods_total": new.goods_total,
            "files": files,
        });
        append(&mut tx, &new.actor, "run.started", &format!("run:{id}"), &payload).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One run.
    pub async fn run(&self, id: &str) -> Result<RunRow, StoreError> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!("no run `{id}`\n  help: `origin-audit runs list` shows the runs"))
            })?;
        run_from_row(&row)
    }

    /// Every run, newest first.
    pub async fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at DESC"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(run_from_row).collect()
    }

    /// The files a run used.
    pub async fn run_files(&self, run: &str) -> Result<Vec<RunFileRow>, StoreError> {
        let rows = sqlx::query("SELECT kind, name, digest FROM run_files WHERE run_id = $1 ORDER BY kind, name")
            .bind(run)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok::<_, sqlx::Error>(RunFileRow {
                    kind: r.try_get("kind")?,
                    name: r.try_get("name")?,
                    digest: r.try_get("digest")?,
                })
            })
            .collect::<Result<_, _>>()?)
    }

    /// A stored file's content.
    pub async fn blob(&self, digest: &str) -> Result<Vec<u8>, StoreError> {
        let row = sqlx::query("SELECT content FROM blobs WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no stored file with digest {digest}")))?;
        let mut content: Vec<u8> = row.try_get("content")?;
        if content.is_empty() {
            // A large file: its parts, in order (none for a file that is really empty).
            let parts = sqlx::query("SELECT content FROM blob_parts WHERE digest = $1 ORDER BY seq")
                .bind(digest)
                .fetch_all(&self.pool)
                .await?;
            for p in parts {
                content.extend_from_slice(&p.try_get::<Vec<u8>, _>("content")?);
            }
        }
        Ok(content)
    }

    /// A run's determinations, by batch and good.
    pub async fn determinations(&self, run: &str) -> Result<Vec<DeterminationRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DETERMINATION_COLUMNS} FROM determinations WHERE run_id = $1 ORDER BY batch, good"
        ))
        .bind(run)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(determination_from_row).collect()
    }

    /// One good's determination.
    pub async fn determination(&self, run: &str, batch: &str, good: &str) -> Result<DeterminationRow, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DETERMINATION_COLUMNS} FROM determinations WHERE run_id = $1 AND batch = $2 AND good = $3"
        ))
        .bind(run)
        .bind(batch)
        .bind(good)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("run `{run}` has no good `{good}` in batch `{batch}`")))?;
        determination_from_row(&row)
    }

    /// `(batch, good, hs)` of every good stored for a run, without the determinations themselves (which
    /// run to kilobytes each): what lists and filters need.
    pub async fn goods_hs(&self, run: &str) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = sqlx::query("SELECT batch, good, hs FROM determinations WHERE run_id = $1 ORDER BY batch, good")
            .bind(run)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get("batch")?, r.try_get("good")?, r.try_get("hs")?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// `(batch, good)` of every good stored for a run.
    pub async fn stored_goods(&self, run: &str) -> Result<HashSet<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT batch, good FROM determinations WHERE run_id = $1")
            .bind(run)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("batch")?, r.try_get("good")?)))
            .collect::<Result<_, _>>()?)
    }

    /// Makes a stopped (failed, cancelled or killed) run resumable again.
    pub async fn reopen_run(&self, run: &str, actor: &str) -> Result<RunRow, StoreError> {
        let mut tx = self.write_tx().await?;
        let r = sqlx::query("SELECT status FROM runs WHERE id = $1")
            .bind(run)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no run `{run}`")))?;
        let status: String = r.try_get("status")?;
        if status == "completed" {
            return Err(StoreError::Invalid(format!("run `{run}` is already completed; nothing to resume")));
        }
        sqlx::query("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = $1")
            .bind(run)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, actor, "run.resumed", &format!("run:{run}"), &json!({"from_status": status})).await?;
        tx.commit().await?;
        self.run(run).await
    }

    /// Stores one chunk of goods in one transaction: determinations and findings, carrying earlier review
    /// decisions over to findings with the same fingerprint.
    ///
    /// On SQLite the chunk goes through the store's native SQLite connection (see [`sqlite_writer_options`]),
    /// not the `Any` pool: same SQL, same rows, same log entry, without the `Any` driver's per-value
    /// conversions.
    pub async fn write_goods(&self, run: &str, actor: &str, goods: &[GoodResult<'_>]) -> Result<(), StoreError> {
        if let Some(writer) = &self.sqlite_writer {
            return write_goods_sqlite(writer, run, actor, goods).await;
        }
        let mut tx = self.write_tx().await?;
        write_goods_in(&mut tx, self.backend, run, actor, goods).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Options of the SQLite connection that writes result chunks (and of the benchmark's bare INSERT, so the
/// two are compared on equal terms). Atomicity is SQLite's in every case; what these settings trade is
/// durability against power loss, for chunks only (docs/store.md, "Storage benchmark"):
///
/// - `journal_mode = WAL`, `synchronous = NORMAL`: a committed chunk survives the process being killed
///   (`kill -9`); after a power loss or OS crash the last chunks committed before the last fsync may be
///   rolled back, whole: the run then shows fewer goods stored, stays `running`, and `--resume` redoes
///   them. Every other transaction (run start, final commit, reviews, certificates) goes through the main
///   pool with `synchronous = FULL`, whose commit fsyncs the WAL and so every chunk before it.
/// - `wal_autocheckpoint` of 16,384 pages (64 MiB) instead of 1,000: a chunk of a few thousand goods is
///   larger than 1,000 pages, so the default checkpoints after every chunk and rewrites the same index
///   pages into the database file again and again. `journal_size_limit` keeps the WAL file at 64 MiB
///   after a checkpoint.
/// - a 64 MiB page cache, so a chunk's index pages stay in memory.
pub fn sqlite_writer_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(std::time::Duration::from_secs(30))
        .pragma("cache_size", "-65536")
        .pragma("wal_autocheckpoint", "16384")
        .pragma("journal_size_limit", "67108864"))
}

/// The status of the run, which must be `running` for results to be added.
fn check_running(run: &str, status: Option<String>) -> Result<(), StoreError> {
    match status.as_deref() {
        Some("running") => Ok(()),
        Some(s) => Err(StoreError::Invalid(format!("run `{run}` is {s}; results can only be added to a running run"))),
        None => Err(StoreError::NotFound(format!("no run `{run}`"))),
    }
}

/// [`Store::write_goods`] on SQLite, through the native connection: one `BEGIN IMMEDIATE` transaction
/// (the write lock first, as `write_tx` takes it by updating `log_head`). The chunk is prepared (JSON,
/// digests, ids) in parts of [`SQLITE_GOODS_PER_PART`] goods, each part while SQLite (on its own
/// worker thread) inserts the part before it.
async fn write_goods_sqlite(
    writer: &SqlitePool,
    run: &str,
    actor: &str,
    goods: &[GoodResult<'_>],
) -> Result<(), StoreError> {
    let mut parts = goods.chunks(SQLITE_GOODS_PER_PART);
    let mut next = parts.next().map(Chunk::prepare).transpose()?;
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query("UPDATE log_head SET touched_at = ?1 WHERE id = 1").bind(now()).execute(&mut *tx).await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM runs WHERE id = ?1").bind(run).fetch_optional(&mut *tx).await?;
    check_running(run, status)?;
    let priors = prior_decisions_sqlite(&mut tx, run, goods).await?;
    let at = now();
    let mut done = Vec::with_capacity(goods.len().div_ceil(SQLITE_GOODS_PER_PART));
    while let Some(mut part) = next.take() {
        part.apply_priors(&priors);
        // Overlap: each `join!` polls the INSERT first, which hands the statement to the connection's
        // worker thread, then prepares a share of the next part on this thread meanwhile. The shares
        // follow the statements' sizes (one determination row per good, several finding rows).
        let upcoming = parts.next().unwrap_or_default();
        let split = upcoming.len() * part.dets.len() / (part.dets.len() + part.finds.len()).max(1);
        let (first, second) = upcoming.split_at(split.min(upcoming.len()));
        let (inserted, a) = tokio::join!(insert_dets_sqlite(&mut tx, run, &part), async { Chunk::prepare(first) });
        inserted?;
        let (inserted, b) =
            tokio::join!(insert_finds_sqlite(&mut tx, run, &at, &part), async { Chunk::prepare(second) });
        inserted?;
        let mut prepared = a?;
        prepared.append(b?);
        next = (!upcoming.is_empty()).then_some(prepared);
        done.push(part);
    }
    sqlx::query("UPDATE runs SET goods_done = goods_done + ?1 WHERE id = ?2")
        .bind(i64::try_from(goods.len()).unwrap_or(i64::MAX))
        .bind(run)
        .execute(&mut *tx)
        .await?;
    // The log entry, as `log::append` writes it: same canonical form, same hash.
    let payload = serde_json::to_string(&chunk_log(&done))?;
    let head = sqlx::query("SELECT seq, hash FROM log_head WHERE id = 1").fetch_one(&mut *tx).await?;
    let (seq, prev_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let mut entry = LogEntry {
        seq: seq + 1,
        at: now(),
        actor: actor.to_string(),
        action: "run.chunk_stored".into(),
        subject: format!("run:{run}"),
        payload,
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.expected_hash(&entry.prev_hash);
    sqlx::query("INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        .bind(entry.seq)
        .bind(&entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.subject)
        .bind(&entry.payload)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE log_head SET seq = ?1, hash = ?2 WHERE id = 1")
        .bind(entry.seq)
        .bind(&entry.hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Inserts a part's determinations (multi-row INSERTs, `?` placeholders).
async fn insert_dets_sqlite(tx: &mut sqlx::SqliteConnection, run: &str, part: &Chunk<'_>) -> Result<(), sqlx::Error> {
    for rows in part.dets.chunks(SQLITE_DETERMINATIONS_PER_INSERT) {
        let sql = insert_sql(DET_INSERT, Backend::Sqlite, rows.len(), 12, &[]);
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.hs)
                .bind(r.outcome.as_str())
                .bind(r.criterion.as_deref())
                .bind(r.rule_id)
                .bind(r.summary)
                .bind(r.determination.as_str())
                .bind(r.digest.as_str())
                .bind(r.draft.as_deref())
                .bind(r.lines.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Inserts a part's findings (multi-row INSERTs, `?` placeholders).
async fn insert_finds_sqlite(
    tx: &mut sqlx::SqliteConnection,
    run: &str,
    at: &str,
    part: &Chunk<'_>,
) -> Result<(), sqlx::Error> {
    for rows in part.finds.chunks(SQLITE_FINDINGS_PER_INSERT) {
        let sql = insert_sql(FINDING_INSERT, Backend::Sqlite, rows.len(), 15, &["1"]);
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q
                .bind(r.id.as_str())
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.ordinal)
                .bind(r.code)
                .bind(r.severity)
                .bind(r.fingerprint)
                .bind(r.status())
                .bind(r.carried_from())
                .bind(r.finding.as_str())
                .bind(at)
                .bind(r.hs)
                .bind(r.suppliers.as_str())
                .bind(r.supplier_key.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    for rows in part.pictures.chunks(PICTURES_PER_INSERT) {
        let mut sql = insert_sql(PICTURE_INSERT, Backend::Sqlite, rows.len(), 5, &[]);
        sql.push_str(PICTURE_CONFLICT);
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q.bind(run).bind(r.batch).bind(r.lot).bind(r.laundering).bind(r.svg.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// [`Store::write_goods`] inside the caller's transaction, which took the writers' lock (PostgreSQL, and
/// the workers' path).
pub(crate) async fn write_goods_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    run: &str,
    actor: &str,
    goods: &[GoodResult<'_>],
) -> Result<(), StoreError> {
    let status: Option<String> = sqlx::query("SELECT status FROM runs WHERE id = $1")
        .bind(run)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get("status"))
        .transpose()?;
    check_running(run, status)?;
    let mut chunk = Chunk::prepare(goods)?;
    let priors = prior_decisions(tx, backend, run, goods).await?;
    chunk.apply_priors(&priors);
    let at = now();
    // Multi-row INSERTs: far fewer round trips than one statement per row (see docs/store.md).
    for part in chunk.dets.chunks(64) {
        let sql = insert_sql(DET_INSERT, backend, part.len(), 12, &[]);
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.hs)
                .bind(&r.outcome)
                .bind(r.criterion.clone())
                .bind(r.rule_id.map(String::from))
                .bind(r.summary)
                .bind(&r.determination)
                .bind(&r.digest)
                .bind(r.draft.clone())
                .bind(&r.lines);
        }
        q.execute(&mut **tx).await?;
    }
    for part in chunk.finds.chunks(FINDINGS_PER_INSERT) {
        let sql = insert_sql(FINDING_INSERT, backend, part.len(), 15, &["1"]);
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q
                .bind(&r.id)
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.ordinal)
                .bind(r.code)
                .bind(r.severity)
                .bind(r.fingerprint)
                .bind(r.status())
                .bind(r.carried_from().map(String::from))
                .bind(&r.finding)
                .bind(&at)
                .bind(r.hs)
                .bind(&r.suppliers)
                .bind(&r.supplier_key);
        }
        q.execute(&mut **tx).await?;
    }
    for part in chunk.pictures.chunks(PICTURES_PER_INSERT) {
        let mut sql = insert_sql(PICTURE_INSERT, backend, part.len(), 5, &[]);
        sql.push_str(PICTURE_CONFLICT);
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q.bind(run).bind(r.batch).bind(r.lot).bind(r.laundering).bind(&r.svg);
        }
        q.execute(&mut **tx).await?;
    }
    let n = i64::try_from(goods.len()).unwrap_or(i64::MAX);
    sqlx::query("UPDATE runs SET goods_done = goods_done + $1 WHERE id = $2")
        .bind(n)
        .bind(run)
        .execute(&mut **tx)
        .await?;
    append(
        tx,
        actor,
        "run.chunk_stored",
        &format!("run:{run}"),
        &serde_json::to_value(chunk_log(std::slice::from_ref(&chunk)))?,
    )
    .await?;
    Ok(())
}

/// Finding rows per multi-row INSERT through `Any` (15 parameters each: well under SQLite's 32,766 and
/// PostgreSQL's 65,535).
pub(crate) const FINDINGS_PER_INSERT: usize = 500;
/// Finding rows per multi-row INSERT on the native SQLite path: 15,000 parameters.
pub(crate) const SQLITE_FINDINGS_PER_INSERT: usize = 1000;
/// Goods per part of a chunk on the native SQLite path (one part prepared while the one before is
/// inserted).
const SQLITE_GOODS_PER_PART: usize = 200;
/// Determination rows per multi-row INSERT on the native SQLite path.
const SQLITE_DETERMINATIONS_PER_INSERT: usize = 500;

const DET_INSERT: &str = "INSERT INTO determinations (run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, digest, draft, lines) VALUES ";
/// The findings INSERT: 15 bound columns, then `version` = 1.
pub(crate) const FINDING_INSERT: &str = "INSERT INTO findings (id, run_id, batch, good, ordinal, code, severity, fingerprint, status, carried_from, finding, updated_at, hs, suppliers, supplier_key, version) VALUES ";
/// The lot pictures INSERT (5 columns); a lot drawn by an earlier chunk of the run is kept as it is.
const PICTURE_INSERT: &str = "INSERT INTO lot_pictures (run_id, batch, lot, laundering, svg) VALUES ";
const PICTURE_CONFLICT: &str = " ON CONFLICT (run_id, batch, lot) DO NOTHING";
/// Lot pictures per multi-row INSERT (each a few kilobytes of SVG).
const PICTURES_PER_INSERT: usize = 100;

/// `head` followed by the placeholders of `rows` rows (see [`values`]).
pub(crate) fn insert_sql(head: &str, backend: Backend, rows: usize, cols: usize, literals: &[&str]) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (cols * 3 + 8));
    sql.push_str(head);
    values(&mut sql, backend, rows, cols, literals);
    sql
}

/// A chunk's rows, computed once for either backend: each determination and finding serialized once,
/// the good's digest taken over those same bytes, ids drawn.
struct Chunk<'a> {
    dets: Vec<DetRow<'a>>,
    finds: Vec<FindRow<'a>>,
    pictures: Vec<PictureRow<'a>>,
}

/// The picture of a lot a finding of the chunk names.
struct PictureRow<'a> {
    batch: &'a str,
    lot: &'a str,
    laundering: i64,
    svg: String,
}

struct DetRow<'a> {
    batch: &'a str,
    good: &'a str,
    hs: &'a str,
    outcome: String,
    criterion: Option<String>,
    rule_id: Option<&'a str>,
    summary: &'a str,
    determination: String,
    digest: String,
    draft: Option<String>,
    /// `determinations.lines` (see `facts::lines_json`).
    lines: String,
    /// Digests of this row's and this good's findings' bound content (`bind.rs`), for the log entry.
    row_digest: String,
    findings_digest: String,
    /// This good's findings: `finds[first..first + count]`.
    first: usize,
    count: usize,
}

struct FindRow<'a> {
    id: String,
    batch: &'a str,
    good: &'a str,
    ordinal: i64,
    code: &'static str,
    severity: &'static str,
    fingerprint: &'a str,
    /// The earlier finding whose decision carries over, and that decision.
    prior: Option<(String, String)>,
    finding: String,
    /// The good's HS code.
    hs: &'a str,
    /// JSON array of the suppliers of the lines it names (see `facts::finding_suppliers`).
    suppliers: String,
    /// See `facts::supplier_key`.
    supplier_key: String,
}

impl FindRow<'_> {
    fn status(&self) -> &str {
        self.prior.as_ref().map_or("open", |p| p.1.as_str())
    }

    fn carried_from(&self) -> Option<&str> {
        self.prior.as_ref().map(|p| p.0.as_str())
    }
}

/// The `run.chunk_stored` payload. Fields in alphabetical order, so it serializes exactly as the
/// `serde_json::json!` object it replaced.
#[derive(Serialize)]
struct ChunkLog<'c> {
    carried_over: Vec<CarriedLog<'c>>,
    goods: Vec<GoodLog<'c>>,
}

#[derive(Serialize)]
struct CarriedLog<'c> {
    finding: &'c str,
    from: &'c str,
    status: &'c str,
}

#[derive(Serialize)]
struct GoodLog<'c> {
    batch: &'c str,
    digest: &'c str,
    findings: Vec<&'c str>,
    findings_digest: &'c str,
    good: &'c str,
    outcome: &'c str,
    row_digest: &'c str,
}

type Priors<'g> = std::collections::HashMap<(&'g str, &'g str, &'g str), (String, String)>;

impl<'a> Chunk<'a> {
    fn prepare(goods: &[GoodResult<'a>]) -> Result<Chunk<'a>, StoreError> {
        let mut dets = Vec::with_capacity(goods.len());
        let mut finds = Vec::with_capacity(goods.iter().map(|g| g.report.audit.findings.len()).sum());
        let mut buf = Vec::new();
        let mut pictures: Vec<PictureRow<'a>> = Vec::new();
        let mut drawn: HashSet<(&str, &str)> = HashSet::new();
        for g in goods {
            let audit: &'a GoodAudit = &g.report.audit;
            let d = &audit.determination;
            let determination = serde_json::to_string(d)?;
            let lines: Lines<'a> = d
                .materials
                .iter()
                .map(|m| (&*m.material.line, (m.material.supplier.as_deref(), m.material.lot.as_deref())))
                .collect();
            let first = finds.len();
            for (i, f) in audit.findings.iter().enumerate() {
                let named: Vec<&str> = f.materials.iter().map(String::as_str).collect();
                let suppliers = finding_suppliers(&lines, &named);
                if let Some(p) = g.pictures {
                    for lot in named_lots(&lines, &named) {
                        if drawn.insert((g.batch, lot))
                            && let Some((svg, laundering)) = p.lot_svg(lot)
                        {
                            pictures.push(PictureRow { batch: g.batch, lot, laundering: i64::from(laundering), svg });
                        }
                    }
                }
                finds.push(FindRow {
                    id: finding_id(),
                    batch: g.batch,
                    good: &audit.good,
                    ordinal: i64::try_from(i).unwrap_or(i64::MAX),
                    code: f.code.as_str(),
                    severity: f.severity.as_str(),
                    fingerprint: &f.fingerprint,
                    prior: None,
                    finding: serde_json::to_string(f)?,
                    hs: &audit.hs,
                    suppliers: serde_json::to_string(&suppliers)?,
                    supplier_key: supplier_key(&suppliers),
                });
            }
            let own = finds.get(first..).unwrap_or_default();
            let digest = audit_digest(&mut buf, audit, &determination, own)?;
            let mut findings_digest = FindingsDigest::default();
            for f in own {
                findings_digest.add(&f.id, f.ordinal, f.code, f.severity, f.fingerprint, &f.finding)?;
            }
            let outcome = word(d.outcome);
            let criterion = d.criterion.map(String::from);
            let rule_id = d.rule.as_ref().map(|r| r.id.as_str());
            let draft = g.draft_if_cleared.map(serde_json::to_string).transpose()?;
            let row_digest = determination_digest(
                &audit.hs,
                &outcome,
                criterion.as_deref(),
                rule_id,
                &d.summary,
                &digest,
                draft.as_deref(),
                &determination,
            )?;
            dets.push(DetRow {
                batch: g.batch,
                good: &audit.good,
                hs: &audit.hs,
                outcome,
                criterion,
                rule_id,
                summary: &d.summary,
                determination,
                digest,
                lines: lines_json(&lines)?,
                draft,
                row_digest,
                findings_digest: findings_digest.finish(),
                first,
                count: audit.findings.len(),
            });
        }
        Ok(Chunk { dets, finds, pictures })
    }

    /// Appends a chunk prepared from the goods that follow this one's.
    fn append(&mut self, mut other: Chunk<'a>) {
        let offset = self.finds.len();
        for d in &mut other.dets {
            d.first += offset;
        }
        self.dets.append(&mut other.dets);
        self.finds.append(&mut other.finds);
        self.pictures.append(&mut other.pictures);
    }

    fn apply_priors(&mut self, priors: &Priors<'_>) {
        if priors.is_empty() {
            return;
        }
        for f in &mut self.finds {
            f.prior = priors.get(&(f.batch, f.good, f.fingerprint)).cloned();
        }
    }
}

/// The `run.chunk_stored` payload of a chunk prepared in parts.
fn chunk_log<'c>(parts: &'c [Chunk<'_>]) -> ChunkLog<'c> {
    let mut log = ChunkLog { carried_over: Vec::new(), goods: Vec::new() };
    for part in parts {
        log.carried_over.extend(
            part.finds
                .iter()
                .filter_map(|f| f.prior.as_ref().map(|(from, status)| CarriedLog { finding: &f.id, from, status })),
        );
        log.goods.extend(part.dets.iter().map(|d| GoodLog {
            batch: d.batch,
            digest: &d.digest,
            findings:
                part.finds.get(d.first..d.first + d.count).unwrap_or_default().iter().map(|f| f.id.as_str()).collect(),
            findings_digest: &d.findings_digest,
            good: d.good,
            outcome: &d.outcome,
            row_digest: &d.row_digest,
        }));
    }
    log
}

/// sha256 (hex) of `serde_json::to_string(audit)`, assembled from the determination and finding JSON
/// already made for the rows instead of serializing them a second time. The destructuring below fails to
/// compile if `GoodAudit` gains a field; a test checks the bytes against `serde_json::to_string`.
fn audit_digest(
    buf: &mut Vec<u8>,
    audit: &GoodAudit,
    determination: &str,
    finds: &[FindRow<'_>],
) -> Result<String, StoreError> {
    let GoodAudit { good, description, hs, determination: _, findings } = audit;
    buf.clear();
    buf.extend_from_slice(b"{\"good\":");
    serde_json::to_writer(&mut *buf, good)?;
    buf.extend_from_slice(b",\"description\":");
    serde_json::to_writer(&mut *buf, description)?;
    buf.extend_from_slice(b",\"hs\":");
    serde_json::to_writer(&mut *buf, hs)?;
    buf.extend_from_slice(b",\"determination\":");
    buf.extend_from_slice(determination.as_bytes());
    buf.extend_from_slice(b",\"findings\":[");
    for (i, f) in finds.iter().take(findings.len()).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(f.finding.as_bytes());
    }
    buf.extend_from_slice(b"]}");
    Ok(hex(&Sha256::digest(buf.as_slice())))
}

/// A finding's id: a UUID v7, time-ordered, so a chunk's findings land at the end of the primary-key
/// index instead of all over it (see docs/store.md, "Storage benchmark").
fn finding_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Appends `($1, ..., $cols, literal...), (...)` for `rows` rows; on SQLite `(?, ..., ?)` instead:
/// SQLite matches `$N` parameters by name, which makes a statement with thousands of them quadratic
/// (measured: 11,000 rows/s with `$N` against 200,000 with `?` for 500-row INSERTs).
pub(crate) fn values(sql: &mut String, backend: Backend, rows: usize, cols: usize, literals: &[&str]) {
    use std::fmt::Write as _;
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            n += 1;
            let sep = if c == 0 { "" } else { ", " };
            let _ = match backend {
                Backend::Sqlite => write!(sql, "{sep}?"),
                Backend::Postgres => write!(sql, "{sep}${n}"),
            };
        }
        for l in literals {
            let _ = write!(sql, ", {l}");
        }
        sql.push(')');
    }
}

/// The SELECT of [`prior_decisions`] for `n` goods (then the run id).
fn priors_sql(backend: Backend, n: usize) -> String {
    let mut sql = String::from(
        "SELECT id, status, batch, good, fingerprint, updated_at FROM findings WHERE status IN ('accepted', 'dismissed', 'waived') AND good IN (",
    );
    for i in 0..n {
        let sep = if i == 0 { "" } else { ", " };
        match backend {
            Backend::Sqlite => sql.push_str(&format!("{sep}?")),
            Backend::Postgres => sql.push_str(&format!("{sep}${}", i + 1)),
        }
    }
    let last = match backend {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => format!("${}", n + 1),
    };
    sql.push_str(&format!(") AND run_id <> {last} ORDER BY updated_at"));
    sql
}

/// The distinct good ids of a chunk.
fn chunk_goods<'g>(goods: &[GoodResult<'g>]) -> Vec<&'g str> {
    let mut wanted: HashSet<&str> = HashSet::new();
    for g in goods {
        wanted.insert(g.report.audit.good.as_str());
    }
    wanted.into_iter().collect()
}

/// Records a decided finding of an earlier run (rows come ordered by time: the latest decision wins)
/// under the chunk's own keys.
/// A prior decision's `(id, status, batch, good, fingerprint)`, from either connection's rows.
fn prior_row<R>(r: &R) -> Result<(String, String, String, String, String), sqlx::Error>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    String: for<'v> sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok((r.try_get("id")?, r.try_get("status")?, r.try_get("batch")?, r.try_get("good")?, r.try_get("fingerprint")?))
}

fn record_prior<'g>(out: &mut Priors<'g>, goods: &[GoodResult<'g>], row: (String, String, String, String, String)) {
    let (id, status, batch, good, fp) = row;
    for g in goods.iter().filter(|g| g.batch == batch && g.report.audit.good == good) {
        for f in g.report.audit.findings.iter().filter(|f| f.fingerprint == fp) {
            out.insert((g.batch, g.report.audit.good.as_str(), f.fingerprint.as_str()), (id.clone(), status.clone()));
        }
    }
}

/// The latest review decision (accepted, dismissed, waived) of earlier runs per (batch, good,
/// fingerprint) for the goods of a chunk: one query per 500 goods, none when nothing was ever decided.
async fn prior_decisions<'g>(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    run: &str,
    goods: &[GoodResult<'g>],
) -> Result<Priors<'g>, StoreError> {
    let mut out = Priors::new();
    let any = sqlx::query("SELECT 1 AS one FROM findings WHERE status IN ('accepted', 'dismissed', 'waived') LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    if any.is_none() || goods.is_empty() {
        return Ok(out);
    }
    for part in chunk_goods(goods).chunks(500) {
        let sql = priors_sql(backend, part.len());
        let mut q = sqlx::query(&sql);
        for g in part {
            q = q.bind(*g);
        }
        q = q.bind(run);
        for r in q.fetch_all(&mut **tx).await? {
            record_prior(&mut out, goods, prior_row(&r)?);
        }
    }
    Ok(out)
}

/// [`prior_decisions`] on the native SQLite connection.
async fn prior_decisions_sqlite<'g>(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    run: &str,
    goods: &[GoodResult<'g>],
) -> Result<Priors<'g>, StoreError> {
    let mut out = Priors::new();
    let any: Option<i64> =
        sqlx::query_scalar("SELECT 1 AS one FROM findings WHERE status IN ('accepted', 'dismissed', 'waived') LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    if any.is_none() || goods.is_empty() {
        return Ok(out);
    }
    for part in chunk_goods(goods).chunks(500) {
        let sql = priors_sql(Backend::Sqlite, part.len());
        let mut q = sqlx::query(&sql);
        for g in part {
            q = q.bind(*g);
        }
        q = q.bind(run);
        for r in q.fetch_all(&mut **tx).await? {
            record_prior(&mut out, goods, prior_row(&r)?);
        }
    }
    Ok(out)
}

impl Store {
    /// The final commit: resolves earlier findings this run no longer raises, withdraws certificates of
    /// goods that no longer qualify, writes the counts and marks the run `completed`.
    pub async fn complete_run(&self, run: &str, actor: &str) -> Result<CompletedRun, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT status, goods_total, goods_done FROM runs WHERE id = $1")
            .bind(run)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no run `{run}`")))?;
        let status: String = row.try_get("status")?;
        if status != "running" {
            return Err(StoreError::Invalid(format!("run `{run}` is {status}; only a running run can be completed")));
        }
        let at = now();
        let subject = format!("run:{run}");
        // Earlier findings on the goods of this run that this run no longer raises: resolved. `NOT IN` over
        // this run's (batch, good, fingerprint) is read once into a lookup; a correlated `NOT EXISTS`
        // scanned this run's findings of the good once per earlier finding (no index has the
        // fingerprint): 6,829 findings on one good of 80,000 lines, run again, took 36-45 s (issue 14).
        // The columns are NOT NULL, so both say the same.
        let stale = sqlx::query(
            "SELECT f.id, f.version, f.status FROM findings f WHERE f.run_id <> $1 AND f.status IN ('open', 'accepted') \
             AND f.run_id IN (SELECT id FROM runs WHERE status = 'completed') \
             AND EXISTS (SELECT 1 FROM determinations d WHERE d.run_id = $1 AND d.batch = f.batch AND d.good = f.good) \
             AND (f.batch, f.good, f.fingerprint) NOT IN (SELECT n.batch, n.good, n.fingerprint FROM findings n WHERE n.run_id = $1) \
             ORDER BY f.id",
        )
        .bind(run)
        .fetch_all(&mut *tx)
        .await?;
        let mut resolved = Vec::with_capacity(stale.len());
        for r in &stale {
            let (id, version, from): (String, i64, String) =
                (r.try_get("id")?, r.try_get("version")?, r.try_get("status")?);
            sqlx::query("UPDATE findings SET status = 'resolved', version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
                .bind(&at)
                .bind(&id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            let note = format!("cleared by run {run}: the run no longer raises this finding");
            let review = new_id();
            sqlx::query("INSERT INTO reviews (id, finding_id, decision, from_status, to_status, version, note, reviewer, role, at) VALUES ($1, $2, 'resolve', $3, 'resolved', $4, $5, $6, 'system', $7)")
                .bind(&review)
                .bind(&id)
                .bind(&from)
                .bind(version + 1)
                .bind(&note)
                .bind(&subject)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            append(
                &mut tx,
                actor,
                "finding.resolved",
                &format!("finding:{id}"),
                &json!({
                    "run": run, "from_status": from, "version": version + 1, "review": review,
                    "review_digest": review_digest(&review, &id, "resolve", &from, "resolved", version + 1, &note, &subject, "system", &at)?,
                }),
            )
            .await?;
            resolved.push(id);
        }
        // Issued certificates of goods that this run finds not qualified: withdrawn.
        let certs = sqlx::query(
            "SELECT c.id, c.version, c.good, d.outcome, d.summary FROM certificates c JOIN determinations d ON d.run_id = $1 AND d.batch = c.batch AND d.good = c.good \
             WHERE c.status = 'issued' AND d.outcome <> 'qualified' ORDER BY c.id",
        )
        .bind(run)
        .fetch_all(&mut *tx)
        .await?;
        let mut withdrawn = Vec::with_capacity(certs.len());
        for c in &certs {
            let (id, version, good, outcome, summary): (String, i64, String, String, String) = (
                c.try_get("id")?,
                c.try_get("version")?,
                c.try_get("good")?,
                c.try_get("outcome")?,
                c.try_get("summary")?,
            );
            let reason = format!("run {run} finds good `{good}` {}: {summary}", outcome.replace('-', " "));
            sqlx::query("UPDATE certificates SET status = 'withdrawn', withdrawn_at = $1, withdrawn_by_run = $2, withdrawn_reason = $3 WHERE id = $4")
                .bind(&at)
                .bind(run)
                .bind(&reason)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            let certificate_digest = certificate_digest_in(&mut tx, &id).await?;
            append(
                &mut tx,
                actor,
                "certificate.withdrawn",
                &format!("certificate:{id}"),
                &json!({"run": run, "good": good, "version": version, "reason": reason, "certificate_digest": certificate_digest}),
            )
            .await?;
            withdrawn.push(Withdrawal { certificate: id, version, good, reason });
        }
        let counts =
            sqlx::query("SELECT outcome, COUNT(*) AS n FROM determinations WHERE run_id = $1 GROUP BY outcome")
                .bind(run)
                .fetch_all(&mut *tx)
                .await?;
        let (mut qualified, mut not_qualified, mut needs_evidence, mut goods) = (0i64, 0i64, 0i64, 0i64);
        for c in &counts {
            let (o, n): (String, i64) = (c.try_get("outcome")?, c.try_get("n")?);
            goods += n;
            match from_word::<Outcome>(&o)? {
                Outcome::Qualified => qualified += n,
                Outcome::NotQualified => not_qualified += n,
                Outcome::NeedsEvidence => needs_evidence += n,
            }
        }
        // One pass over the run's findings for both counts.
        let sev = sqlx::query(
            "SELECT severity, COUNT(*) AS n, COUNT(carried_from) AS carried FROM findings WHERE run_id = $1 GROUP BY severity ORDER BY severity",
        )
        .bind(run)
        .fetch_all(&mut *tx)
        .await?;
        let mut summary = RunSummary {
            goods,
            qualified,
            not_qualified,
            needs_evidence,
            resolved: resolved.clone(),
            withdrawn_certificates: withdrawn.clone(),
            ..RunSummary::default()
        };
        for s in &sev {
            let (k, n, carried): (String, i64, i64) = (s.try_get("severity")?, s.try_get("n")?, s.try_get("carried")?);
            summary.findings += n;
            summary.carried_over += carried;
            summary.findings_by_severity.insert(from_word(&k)?, n);
        }
        let (findings, carried_over) = (summary.findings, summary.carried_over);
        sqlx::query(
            "UPDATE runs SET status = 'completed', finished_at = $1, qualified = $2, not_qualified = $3, needs_evidence = $4, findings = $5, summary = $6 WHERE id = $7",
        )
        .bind(&at)
        .bind(qualified)
        .bind(not_qualified)
        .bind(needs_evidence)
        .bind(findings)
        .bind(serde_json::to_string(&summary)?)
        .bind(run)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, actor, "run.completed", &subject, &serde_json::to_value(&summary)?).await?;
        tx.commit().await?;
        Ok(CompletedRun { run: self.run(run).await?, resolved, carried_over, withdrawn })
    }

    /// Marks a running run failed or cancelled (it stays resumable).
    pub async fn stop_run(&self, run: &str, actor: &str, status: RunStatus, reason: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query("UPDATE runs SET status = $1, finished_at = $2 WHERE id = $3 AND status = 'running'")
            .bind(status.as_str())
            .bind(now())
            .bind(run)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n > 0 {
            append(
                &mut tx,
                actor,
                &format!("run.{}", status.as_str()),
                &format!("run:{run}"),
                &json!({"reason": reason}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The store as the engine's result sink for one run.
#[derive(Debug)]
pub struct RunSink<'a> {
    /// The store.
    pub store: &'a Store,
    /// The run.
    pub run: String,
    /// Who runs it.
    pub actor: String,
}

impl ResultSink for RunSink<'_> {
    type Error = StoreError;

    async fn stored(&mut self) -> Result<HashSet<(String, String)>, StoreError> {
        self.store.stored_goods(&self.run).await
    }

    async fn write_chunk(&mut self, goods: &[GoodResult<'_>]) -> Result<(), StoreError> {
        self.store.write_goods(&self.run, &self.actor, goods).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use origin_engine::audit::{Determination, GoodAudit, Outcome};
    use origin_engine::finding::{Facts, Finding, Severity};
    use origin_engine::run::GoodReport;
    use origin_engine::sink::GoodResult;
    use serde_json::json;

    use super::{Chunk, RunSettings, from_word, hex};
    use crate::inputs::sha256_hex;

    /// A run stored before `rules_source` was recorded still reads (resume, `runs show`), and a state
    /// word the enum does not know is refused, not read as a default.
    #[test]
    fn settings_of_an_older_run_read_and_unknown_words_are_refused() {
        let old = r#"{"batches":["demo/batch.yaml"],"as_of":"2026-11-01","threads":null,"cwd":"/work"}"#;
        let s: RunSettings = serde_json::from_str(old).unwrap();
        assert_eq!(s.batches, ["demo/batch.yaml"]);
        assert_eq!(s.as_of.map(|d| d.to_string()).as_deref(), Some("2026-11-01"));
        assert_eq!((s.rules_source.as_str(), s.chunk, s.allow_outside), ("", None, false));
        assert!(serde_json::from_str::<RunSettings>(r#"{"as_of":"1 Nov 2026"}"#).is_err());
        assert_eq!(from_word::<Outcome>("not-qualified").unwrap(), Outcome::NotQualified);
        assert!(from_word::<Outcome>("not qualified").is_err());
    }

    fn report(good: &str, findings: usize) -> GoodReport {
        let findings = (0..findings)
            .map(|k| {
                // Quotes, a backslash and non-ASCII text in the facts and the rendered message.
                Finding::of(
                    Severity::Blocking,
                    good,
                    Facts::ProvenanceGap { line: format!("\"L{k}\" — ñ"), lot: "a \\ b".into() },
                )
            })
            .collect();
        GoodReport {
            audit: GoodAudit {
                good: good.into(),
                description: "A \"quoted\" good\n".into(),
                hs: "8708.40".into(),
                determination: Determination {
                    outcome: Outcome::Qualified,
                    criterion: Some('B'),
                    summary: "qualified".into(),
                    rule: None,
                    alternative: None,
                    values: Default::default(),
                    alternatives: Vec::new(),
                    criterion_d_rvc: Vec::new(),
                    materials: Vec::new(),
                    caveats: vec!["unverified".into()],
                },
                findings,
            },
            certificate: None,
        }
    }

    #[test]
    fn digest_and_log_are_those_of_the_whole_audit_json() {
        let reports = [report("G1", 3), report("G2", 0), report("G\u{e9}3", 1)];
        let goods: Vec<GoodResult<'_>> = reports
            .iter()
            .map(|r| GoodResult { batch: "b", report: r, draft_if_cleared: None, pictures: None })
            .collect();
        let chunk = Chunk::prepare(&goods).unwrap();
        for (d, r) in chunk.dets.iter().zip(&reports) {
            assert_eq!(d.digest, sha256_hex(serde_json::to_string(&r.audit).unwrap().as_bytes()));
            assert_eq!(d.determination, serde_json::to_string(&r.audit.determination).unwrap());
        }
        for (f, r) in chunk.finds.iter().zip(reports.iter().flat_map(|r| &r.audit.findings)) {
            assert_eq!(f.finding, serde_json::to_string(r).unwrap());
        }
        let logged: Vec<_> = chunk
            .dets
            .iter()
            .map(|d| {
                let own = &chunk.finds[d.first..d.first + d.count];
                let ids: Vec<_> = own.iter().map(|f| f.id.clone()).collect();
                // The bound digests, recomputed here from the row values as `log verify` reads them.
                let row_digest = crate::bind::determination_digest(
                    d.hs,
                    &d.outcome,
                    d.criterion.as_deref(),
                    d.rule_id,
                    d.summary,
                    &d.digest,
                    d.draft.as_deref(),
                    &d.determination,
                )
                .unwrap();
                let mut fd = crate::bind::FindingsDigest::default();
                for f in own {
                    fd.add(&f.id, f.ordinal, f.code, f.severity, f.fingerprint, &f.finding).unwrap();
                }
                json!({"batch": d.batch, "good": d.good, "outcome": d.outcome, "digest": d.digest, "findings": ids,
                       "findings_digest": fd.finish(), "row_digest": row_digest})
            })
            .collect();
        let carried: Vec<serde_json::Value> = Vec::new();
        assert_eq!(
            serde_json::to_string(&super::chunk_log(std::slice::from_ref(&chunk))).unwrap(),
            json!({"goods": logged, "carried_over": carried}).to_string()
        );
        // Prepared in two parts and appended: the same rows, digests and log shape (ids differ).
        let mut two = Chunk::prepare(&goods[..1]).unwrap();
        two.append(Chunk::prepare(&goods[1..]).unwrap());
        let shape = |c: &Chunk<'_>| {
            c.dets
                .iter()
                .map(|d| (d.good.to_string(), d.digest.clone(), c.finds[d.first..d.first + d.count].len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&two), shape(&chunk));
        assert_eq!(
            two.finds.iter().map(|f| &f.finding).collect::<Vec<_>>(),
            chunk.finds.iter().map(|f| &f.finding).collect::<Vec<_>>()
        );
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
