//! Audit runs: started (`running`), filled chunk by chunk (each chunk one transaction), then completed by
//! one final transaction that resolves cleared findings, withdraws certificates of goods that no longer
//! qualify and writes the counts. A run killed at any moment stays `running` and is finished with
//! `run --resume`.

use std::collections::HashSet;

use chrono::NaiveDate;
use std::sync::Arc;

use origin_engine::sink::{CompactGood, GoodResult, Prep, ResultSink};
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
use crate::log::{append, append_on};
use crate::{Backend, Store, StoreError, new_id, now};

mod chunks;
mod complete;
mod record;

pub use chunks::GoodRows;
pub use chunks::sqlite_writer_options;
pub(crate) use chunks::{hex, write_goods_in};
pub use complete::RunSink;
pub use record::BLOB_PART;

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

/// A kept file's `content` as it was read, decompressed when its `encoding` says so (migration 0011); an
/// encoding this build does not know is an error, never bytes passed on as they are.
fn stored_bytes(r: &AnyRow, what: impl Fn() -> String) -> Result<Vec<u8>, StoreError> {
    let content: Vec<u8> = r.try_get("content")?;
    match r.try_get::<Option<String>, _>("encoding")?.as_deref() {
        None => Ok(content),
        Some(crate::packed::ZSTD) => crate::packed::unpack(&content, record::BLOB_PART, &what()),
        Some(other) => Err(StoreError::Invalid(format!("{}: unknown encoding `{other}`", what()))),
    }
}

const DETERMINATION_COLUMNS: &str =
    "run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, determination_z, digest";

fn determination_from_row(r: &AnyRow) -> Result<DeterminationRow, StoreError> {
    let d = crate::packed::determination_text(r)?;
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

impl Store {
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
        let mut content = Vec::new();
        self.blob_each(digest, |part| {
            content.extend_from_slice(part);
            Ok(())
        })
        .await?;
        Ok(content)
    }

    /// A stored file's content written to `path`, one part at a time (a 1.4 GB batch is never held whole).
    pub async fn blob_to_file(&self, digest: &str, path: &std::path::Path) -> Result<(), StoreError> {
        use std::io::Write as _;
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        self.blob_each(digest, |part| f.write_all(part)).await?;
        f.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        Ok(())
    }

    /// Hands a stored file's content to `each`, part by part, in order.
    async fn blob_each(
        &self,
        digest: &str,
        mut each: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT content, encoding FROM blobs WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no stored file with digest {digest}")))?;
        let content = stored_bytes(&row, || format!("stored file {digest}"))?;
        if !content.is_empty() {
            return Ok(each(&content)?);
        }
        // A large file: its parts, in order (none for a file that is really empty), one read each.
        for seq in 0_i64.. {
            let Some(part) = sqlx::query("SELECT content, encoding FROM blob_parts WHERE digest = $1 AND seq = $2")
                .bind(digest)
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?
            else {
                break;
            };
            each(&stored_bytes(&part, || format!("part {seq} of stored file {digest}"))?)?;
        }
        Ok(())
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
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use origin_engine::audit::Outcome;

    use super::{RunSettings, from_word};

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
}
