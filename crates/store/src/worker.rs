//! Several processes sharing one run's goods through PostgreSQL.
//!
//! `run --queue` records the run and one `run_goods` row per good instead of auditing. Each
//! `origin-audit worker` then loops: in one transaction it claims up to `chunk` goods with
//! `SELECT ... FOR UPDATE SKIP LOCKED`, audits them, stores their results and marks them done, and
//! commits. A worker that dies mid-chunk never commits: its row locks vanish with its connection and
//! the goods are claimed again by another worker, so each good is stored exactly once (the
//! determinations' primary key enforces it as well). The worker that finds no good left makes the
//! run's final commit. Workers read the batch and the rule pack from the store (the blobs the run
//! recorded), so they need no access to the original files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use origin_engine::input::{Batch, load_batch};
use origin_engine::run::{Progress, RunError, RunOptions};
use origin_engine::sink::{AuditJob, AuditedChunk, GoodResult, SinkRunError, audit_chunk};
use origin_rules::RuleSet;
use sqlx::Row;

use crate::runner::{RunRequest, RunnerError, begin};
use crate::runs::{CompletedRun, GoodRows, write_goods_in};
use crate::{Backend, Store, StoreError, now};

/// What a worker did.
#[derive(Debug)]
pub struct WorkerReport {
    /// The run worked on (`None`: no run had goods left).
    pub run: Option<String>,
    /// Goods this worker audited and stored.
    pub goods: usize,
    /// Chunks it committed.
    pub chunks: usize,
    /// Set when this worker made the run's final commit.
    pub completed: Option<CompletedRun>,
}

/// Records a run and queues its goods for workers; returns the run id. PostgreSQL only.
pub async fn queue(store: &Store, req: &RunRequest) -> Result<String, RunnerError> {
    if store.backend() != Backend::Postgres {
        return Err(StoreError::Invalid(
            "workers share a run through PostgreSQL only\n  help: pass --db postgres://...".into(),
        )
        .into());
    }
    let (id, job) = begin(store, req).await?;
    let mut tx = store.write_tx().await?;
    let mut ordinal = 0i64;
    for (bn, b) in job.batches.iter().enumerate() {
        for (gn, good) in (0..b.good_count()).filter_map(|i| Some((i, b.good_id(i)?))) {
            sqlx::query("INSERT INTO run_goods (run_id, ordinal, batch_no, good_no, good) VALUES ($1, $2, $3, $4, $5)")
                .bind(&id)
                .bind(ordinal)
                .bind(i64::try_from(bn).unwrap_or(i64::MAX))
                .bind(i64::try_from(gn).unwrap_or(i64::MAX))
                .bind(good)
                .execute(&mut *tx)
                .await?;
            ordinal += 1;
        }
    }
    tx.commit().await?;
    Ok(id)
}

/// Writes the run's files from the store into `dir` and loads its rule pack and batches from there.
pub(crate) async fn materialize(
    store: &Store,
    run: &str,
    dir: &Path,
) -> Result<(Arc<RuleSet>, Vec<Batch>, RunOptions), RunnerError> {
    let row = store.run(run).await?;
    let files = store.run_files(run).await?;
    let rules_dir = dir.join("rules");
    let names = &row.options.batches;
    let inside = |name: &str| -> PathBuf {
        Path::new(name).components().filter(|c| matches!(c, std::path::Component::Normal(_))).collect()
    };
    let mut batch_paths = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let bdir = dir.join(format!("batch-{i}"));
        std::fs::create_dir_all(&bdir)?;
        let f = files
            .iter()
            .find(|f| f.kind == "batch" && &f.name == name)
            .ok_or_else(|| StoreError::NotFound(format!("run `{run}` has no stored batch `{name}`")))?;
        let path = bdir.join(Path::new(name).file_name().unwrap_or_default());
        store.blob_to_file(&f.digest, &path).await?;
        for bom in files.iter().filter(|f| f.kind == "bom") {
            let p = bdir.join(inside(&bom.name));
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, store.blob(&bom.digest).await?)?;
        }
        batch_paths.push(path);
    }
    for f in files.iter().filter(|f| f.kind == "rules") {
        let p = rules_dir.join(inside(&f.name));
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, store.blob(&f.digest).await?)?;
    }
    let rules = tokio::task::spawn_blocking(move || origin_rules::load_pack(&rules_dir).rules)
        .await
        .map_err(|e| RunnerError::NotStarted(RunError::Internal(e.to_string())))?
        .ok_or_else(|| StoreError::Invalid(format!("the rule pack stored with run `{run}` does not load")))?;
    let mut batches = Vec::with_capacity(batch_paths.len());
    for p in batch_paths {
        let b = tokio::task::spawn_blocking(move || load_batch(&p))
            .await
            .map_err(|e| RunnerError::NotStarted(RunError::Internal(e.to_string())))?
            .map_err(|e| RunnerError::NotStarted(RunError::Header(e)))?;
        batches.push(b);
    }
    Ok((Arc::new(rules), batches, RunOptions { as_of: row.options.as_of, threads: Some(1) }))
}

/// The oldest running run with goods left in the queue.
async fn next_run(store: &Store) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT r.id FROM runs r WHERE r.status = 'running' AND EXISTS (SELECT 1 FROM run_goods g WHERE g.run_id = r.id AND g.done = 0) ORDER BY r.started_at LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// Works on `run` (or the oldest running run with goods left) until no good is left; the worker that
/// sees the queue empty makes the final commit.
pub async fn work(
    store: &Store,
    run: Option<&str>,
    actor: &str,
    chunk: usize,
    progress: Arc<Progress>,
) -> Result<WorkerReport, RunnerError> {
    if store.backend() != Backend::Postgres {
        return Err(StoreError::Invalid(
            "`worker` needs PostgreSQL (row locking with SKIP LOCKED)\n  help: pass --db postgres://...".into(),
        )
        .into());
    }
    let run = match run {
        Some(r) => r.to_string(),
        None => match next_run(store).await? {
            Some(r) => r,
            None => return Ok(WorkerReport { run: None, goods: 0, chunks: 0, completed: None }),
        },
    };
    let dir = tempfile_dir()?;
    let (rules, batches, opts) = materialize(store, &run, dir.path()).await?;
    // The same job and preparation as a run audited in one process; each batch's provenance graph is
    // built and traced once for this worker, not once per chunk.
    let job = AuditJob::new(rules, batches, opts, chunk);
    let mut prepared = Vec::with_capacity(job.batches.len());
    for i in 0..job.batches.len() {
        prepared.push(job.prepare(i).await.map_err(RunnerError::NotStarted)?);
    }
    let prepared = Arc::new(prepared);
    let mut report = WorkerReport { run: Some(run.clone()), goods: 0, chunks: 0, completed: None };
    loop {
        let mut tx = store.pool().begin().await?;
        let claimed = sqlx::query("SELECT ordinal, batch_no, good_no FROM run_goods WHERE run_id = $1 AND done = 0 ORDER BY ordinal LIMIT $2 FOR UPDATE SKIP LOCKED")
            .bind(&run)
            .bind(i64::try_from(chunk.max(1)).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await?;
        if claimed.is_empty() {
            tx.commit().await?;
            let left = sqlx::query("SELECT COUNT(*) AS n FROM run_goods WHERE run_id = $1 AND done = 0")
                .bind(&run)
                .fetch_one(store.pool())
                .await?;
            if left.try_get::<i64, _>("n")? > 0 {
                // Other workers hold the rest; if one dies its goods come back.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            match store.complete_run(&run, actor).await {
                Ok(c) => report.completed = Some(c),
                Err(StoreError::Invalid(_)) => {} // another worker completed it
                Err(e) => return Err(e.into()),
            }
            return Ok(report);
        }
        let mut by_batch: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut ordinals = Vec::with_capacity(claimed.len());
        for c in &claimed {
            let (o, b, g): (i64, i64, i64) = (c.try_get("ordinal")?, c.try_get("batch_no")?, c.try_get("good_no")?);
            ordinals.push(o);
            by_batch
                .entry(usize::try_from(b).unwrap_or(usize::MAX))
                .or_default()
                .push(usize::try_from(g).unwrap_or(usize::MAX));
        }
        let (rules2, opts2, progress2, prepared2) =
            (job.rules.clone(), job.opts.clone(), progress.clone(), prepared.clone());
        let mut audited: Vec<(usize, AuditedChunk<GoodRows>)> = tokio::task::spawn_blocking(move || {
            by_batch
                .iter()
                .map(|(b, goods)| {
                    let batch = prepared2.get(*b).ok_or_else(|| {
                        SinkRunError::Run(RunError::Internal(format!("queued batch {b} is not in the run")))
                    })?;
                    audit_chunk(&rules2, batch, goods, &opts2, &progress2, &GoodRows::make).map(|c| (*b, c))
                })
                .collect::<Result<_, _>>()
        })
        .await
        .map_err(|e| RunnerError::NotStarted(RunError::Internal(e.to_string())))?
        .map_err(|e| match e {
            SinkRunError::Run(e) => RunnerError::NotStarted(e),
            SinkRunError::Sink(e) => RunnerError::Store(e),
        })?;
        let rows: Vec<GoodRows> = audited.iter_mut().flat_map(|(_, c)| std::mem::take(&mut c.rows)).collect();
        let results: Vec<GoodResult<'_>> =
            audited.iter().filter_map(|(b, c)| prepared.get(*b).map(|p| c.results(p))).flatten().collect();
        sqlx::query("UPDATE log_head SET touched_at = $1 WHERE id = 1").bind(now()).execute(&mut *tx).await?;
        write_goods_in(&mut tx, store.backend(), &run, actor, &results, &rows).await?;
        for o in &ordinals {
            sqlx::query("UPDATE run_goods SET done = 1 WHERE run_id = $1 AND ordinal = $2")
                .bind(&run)
                .bind(o)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        report.goods += results.len();
        report.chunks += 1;
    }
}

pub(crate) fn tempfile_dir() -> std::io::Result<TempDir> {
    let base = std::env::temp_dir().join(format!("origin-audit-worker-{}-{}", std::process::id(), crate::new_id()));
    std::fs::create_dir_all(&base)?;
    Ok(TempDir(base))
}

/// A directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
