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

use crate::inputs::{RunInputs, sha256_hex};
use crate::log::append;
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
    pub options: serde_json::Value,
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
    pub options: serde_json::Value,
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
    pub summary: Option<serde_json::Value>,
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
    /// `qualified`, `not-qualified`, `needs-evidence`.
    pub outcome: String,
    /// Criterion A-D.
    pub criterion: Option<String>,
    /// Rule id.
    pub rule_id: Option<String>,
    /// One sentence.
    pub summary: String,
    /// The full determination.
    pub determination: serde_json::Value,
    /// sha256 of the good's audit (determination and findings) as JSON.
    pub digest: String,
}

/// A certificate withdrawn by a run.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
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

fn determination_from_row(r: &AnyRow) -> Result<DeterminationRow, StoreError> {
    let d: String = r.try_get("determination")?;
    Ok(DeterminationRow {
        run_id: r.try_get("run_id")?,
        batch: r.try_get("batch")?,
        good: r.try_get("good")?,
        hs: r.try_get("hs")?,
        outcome: r.try_get("outcome")?,
        criterion: r.try_get("criterion")?,
        rule_id: r.try_get("rule_id")?,
        summary: r.try_get("summary")?,
        determination: serde_json::from_str(&d)?,
        digest: r.try_get("digest")?,
    })
}

fn word<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl Store {
    /// Starts a run: stores the files it uses and a `running` row. Returns the run id.
    pub async fn begin_run(&self, new: &NewRun) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write_tx().await?;
        for f in &new.inputs.files {
            sqlx::query("INSERT INTO blobs (digest, content) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
                .bind(&f.digest)
                .bind(f.content.clone())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO runs (id, started_at, status, actor, engine_version, rule_pack, rules_digest, as_of, options, goods_total) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(now())
        .bind(&new.actor)
        .bind(&new.engine_version)
        .bind(&new.rule_pack)
        .bind(&new.inputs.rules_digest)
        .bind(new.as_of.map(|d| d.to_string()))
        .bind(new.options.to_string())
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
        Ok(row.try_get("content")?)
    }

    /// A run's determinations, by batch and good.
    pub async fn determinations(&self, run: &str) -> Result<Vec<DeterminationRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, digest FROM determinations WHERE run_id = $1 ORDER BY batch, good",
        )
        .bind(run)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(determination_from_row).collect()
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
    pub async fn write_goods(&self, run: &str, actor: &str, goods: &[GoodResult<'_>]) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        write_goods_in(&mut tx, self.backend, run, actor, goods).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// [`Store::write_goods`] inside the caller's transaction, which took the writers' lock.
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
    match status.as_deref() {
        Some("running") => {}
        Some(s) => {
            return Err(StoreError::Invalid(format!("run `{run}` is {s}; results can only be added to a running run")));
        }
        None => return Err(StoreError::NotFound(format!("no run `{run}`"))),
    }
    let at = now();
    let priors = prior_decisions(tx, backend, run, goods).await?;
    let mut dets = Vec::with_capacity(goods.len());
    let mut finds = Vec::new();
    let mut logged = Vec::with_capacity(goods.len());
    let mut carried = Vec::new();
    for g in goods {
        let audit = &g.report.audit;
        let d = &audit.determination;
        let digest = sha256_hex(serde_json::to_string(audit)?.as_bytes());
        dets.push(DetRow {
            batch: g.batch,
            good: &audit.good,
            hs: &audit.hs,
            outcome: word(d.outcome),
            criterion: d.criterion.map(String::from),
            rule_id: d.rule.as_ref().map(|r| r.id.clone()),
            summary: &d.summary,
            determination: serde_json::to_string(d)?,
            digest: digest.clone(),
            draft: g.draft_if_cleared.map(serde_json::to_string).transpose()?,
        });
        let mut ids = Vec::with_capacity(audit.findings.len());
        for (i, f) in audit.findings.iter().enumerate() {
            let prior = priors.get(&(g.batch, audit.good.as_str(), f.fingerprint.as_str()));
            let id = new_id();
            if let Some((from, status)) = prior {
                carried.push(json!({"finding": id, "from": from, "status": status}));
            }
            finds.push(FindRow {
                id: id.clone(),
                batch: g.batch,
                good: &audit.good,
                ordinal: i64::try_from(i).unwrap_or(i64::MAX),
                code: f.code.as_str(),
                severity: f.severity.as_str(),
                fingerprint: &f.fingerprint,
                status: prior.map_or("open", |p| p.1.as_str()),
                carried_from: prior.map(|p| p.0.clone()),
                finding: serde_json::to_string(f)?,
            });
            ids.push(id);
        }
        logged.push(json!({"batch": g.batch, "good": audit.good, "outcome": word(d.outcome), "digest": digest, "findings": ids}));
    }
    // Multi-row INSERTs: far fewer round trips than one statement per row (see docs/store.md).
    for part in dets.chunks(64) {
        let mut sql = String::from(
            "INSERT INTO determinations (run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, digest, draft) VALUES ",
        );
        values(&mut sql, backend, part.len(), 11, &[]);
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.hs)
                .bind(&r.outcome)
                .bind(r.criterion.clone())
                .bind(r.rule_id.clone())
                .bind(r.summary)
                .bind(&r.determination)
                .bind(&r.digest)
                .bind(r.draft.clone());
        }
        q.execute(&mut **tx).await?;
    }
    for part in finds.chunks(FINDINGS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO findings (id, run_id, batch, good, ordinal, code, severity, fingerprint, status, carried_from, finding, updated_at, version) VALUES ",
        );
        values(&mut sql, backend, part.len(), 12, &["1"]);
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
                .bind(r.status)
                .bind(r.carried_from.clone())
                .bind(&r.finding)
                .bind(&at);
        }
        q.execute(&mut **tx).await?;
    }
    let n = i64::try_from(goods.len()).unwrap_or(i64::MAX);
    sqlx::query("UPDATE runs SET goods_done = goods_done + $1 WHERE id = $2")
        .bind(n)
        .bind(run)
        .execute(&mut **tx)
        .await?;
    append(tx, actor, "run.chunk_stored", &format!("run:{run}"), &json!({"goods": logged, "carried_over": carried}))
        .await?;
    Ok(())
}

/// Finding rows per multi-row INSERT (12 parameters each: well under SQLite's 32,766).
pub(crate) const FINDINGS_PER_INSERT: usize = 500;

struct DetRow<'a> {
    batch: &'a str,
    good: &'a str,
    hs: &'a str,
    outcome: String,
    criterion: Option<String>,
    rule_id: Option<String>,
    summary: &'a str,
    determination: String,
    digest: String,
    draft: Option<String>,
}

struct FindRow<'a> {
    id: String,
    batch: &'a str,
    good: &'a str,
    ordinal: i64,
    code: &'static str,
    severity: &'static str,
    fingerprint: &'a str,
    status: &'a str,
    carried_from: Option<String>,
    finding: String,
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

/// The latest review decision (accepted, dismissed, waived) of earlier runs per (batch, good,
/// fingerprint) for the goods of a chunk: one query per chunk.
async fn prior_decisions<'g>(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    run: &str,
    goods: &[GoodResult<'g>],
) -> Result<std::collections::HashMap<(&'g str, &'g str, &'g str), (String, String)>, StoreError> {
    let mut out = std::collections::HashMap::new();
    let any = sqlx::query("SELECT 1 AS one FROM findings WHERE status IN ('accepted', 'dismissed', 'waived') LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    if any.is_none() || goods.is_empty() {
        return Ok(out);
    }
    let mut wanted: HashSet<&str> = HashSet::new();
    for g in goods {
        wanted.insert(g.report.audit.good.as_str());
    }
    let wanted: Vec<&str> = wanted.into_iter().collect();
    for part in wanted.chunks(500) {
        let mut sql = String::from(
            "SELECT id, status, batch, good, fingerprint, updated_at FROM findings WHERE status IN ('accepted', 'dismissed', 'waived') AND good IN (",
        );
        for i in 0..part.len() {
            let sep = if i == 0 { "" } else { ", " };
            match backend {
                Backend::Sqlite => sql.push_str(&format!("{sep}?")),
                Backend::Postgres => sql.push_str(&format!("{sep}${}", i + 1)),
            }
        }
        let last = match backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${}", part.len() + 1),
        };
        sql.push_str(&format!(") AND run_id <> {last} ORDER BY updated_at"));
        let mut q = sqlx::query(&sql);
        for g in part {
            q = q.bind(*g);
        }
        q = q.bind(run);
        for r in q.fetch_all(&mut **tx).await? {
            let (batch, good, fp): (String, String, String) =
                (r.try_get("batch")?, r.try_get("good")?, r.try_get("fingerprint")?);
            // Keys borrow from the chunk, so look the row's key up among the chunk's findings.
            for g in goods.iter().filter(|g| g.batch == batch && g.report.audit.good == good) {
                for f in g.report.audit.findings.iter().filter(|f| f.fingerprint == fp) {
                    // Ordered by time: the latest decision wins.
                    out.insert(
                        (g.batch, g.report.audit.good.as_str(), f.fingerprint.as_str()),
                        (r.try_get("id")?, r.try_get("status")?),
                    );
                }
            }
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
        // Earlier findings on the goods of this run that this run no longer raises: resolved.
        let stale = sqlx::query(
            "SELECT f.id, f.version, f.status FROM findings f WHERE f.run_id <> $1 AND f.status IN ('open', 'accepted') \
             AND f.run_id IN (SELECT id FROM runs WHERE status = 'completed') \
             AND EXISTS (SELECT 1 FROM determinations d WHERE d.run_id = $1 AND d.batch = f.batch AND d.good = f.good) \
             AND NOT EXISTS (SELECT 1 FROM findings n WHERE n.run_id = $1 AND n.batch = f.batch AND n.good = f.good AND n.fingerprint = f.fingerprint) \
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
            sqlx::query("INSERT INTO reviews (id, finding_id, decision, from_status, to_status, version, note, reviewer, role, at) VALUES ($1, $2, 'resolve', $3, 'resolved', $4, $5, $6, 'system', $7)")
                .bind(new_id())
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
                &json!({"run": run, "from_status": from, "version": version + 1}),
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
            append(
                &mut tx,
                actor,
                "certificate.withdrawn",
                &format!("certificate:{id}"),
                &json!({"run": run, "good": good, "version": version, "reason": reason}),
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
            match o.as_str() {
                "qualified" => qualified += n,
                "not-qualified" => not_qualified += n,
                _ => needs_evidence += n,
            }
        }
        let sev = sqlx::query(
            "SELECT severity, COUNT(*) AS n FROM findings WHERE run_id = $1 GROUP BY severity ORDER BY severity",
        )
        .bind(run)
        .fetch_all(&mut *tx)
        .await?;
        let mut by_severity = serde_json::Map::new();
        let mut findings = 0i64;
        for s in &sev {
            let (k, n): (String, i64) = (s.try_get("severity")?, s.try_get("n")?);
            findings += n;
            by_severity.insert(k, n.into());
        }
        let carried_row =
            sqlx::query("SELECT COUNT(*) AS n FROM findings WHERE run_id = $1 AND carried_from IS NOT NULL")
                .bind(run)
                .fetch_one(&mut *tx)
                .await?;
        let carried_over: i64 = carried_row.try_get("n")?;
        let summary = json!({
            "goods": goods,
            "qualified": qualified,
            "not_qualified": not_qualified,
            "needs_evidence": needs_evidence,
            "findings": findings,
            "findings_by_severity": by_severity,
            "carried_over": carried_over,
            "resolved": resolved,
            "withdrawn_certificates": withdrawn,
        });
        sqlx::query(
            "UPDATE runs SET status = 'completed', finished_at = $1, qualified = $2, not_qualified = $3, needs_evidence = $4, findings = $5, summary = $6 WHERE id = $7",
        )
        .bind(&at)
        .bind(qualified)
        .bind(not_qualified)
        .bind(needs_evidence)
        .bind(findings)
        .bind(summary.to_string())
        .bind(run)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, actor, "run.completed", &subject, &summary).await?;
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
