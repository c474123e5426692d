//! A stored run from start to end: read the batches (a bad header stops everything before the store is
//! touched), record the run and its files, run the engine's one pipeline ([`run_job`]) into the store and
//! whatever else the caller asks for (a report file, certificate files), then the final commit.
//! [`resume`] finishes a run that was killed, failed or cancelled, after checking that its input files
//! and rule pack are byte-for-byte the ones it started with.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::RunSettings;
use origin_engine::input::{Batch, FileScope, load_batch_streamed};
use origin_engine::run::{Progress, RunError, RunOptions, log_phase};
use origin_engine::sink::{AuditJob, JobDone, ResultSink, SinkFailure, SinkRunError, Tee, run_job};
use origin_rules::{PackFiles, PackSource, RuleSet};

use crate::inputs::{batch_name, collect_read_inputs, pack_ahead};
use crate::runs::{CompletedRun, NewRun, RunSink, RunStatus};
use crate::{Store, StoreError};

/// Goods per transaction unless told otherwise.
pub const DEFAULT_CHUNK: usize = 256;

/// The rule pack of a run, read once: where it came from, its files as read, and the rules loaded from
/// exactly those files, so the digest a run records is of the pack its audit used (a server that loaded
/// its pack at start records that pack, whatever is on disk now).
#[derive(Debug, Clone)]
pub struct RunPack {
    /// Built-in or a directory (recorded in the run's options as `rules_source`).
    pub source: PackSource,
    /// The files the rules were loaded from (digested and kept with the run).
    pub files: Arc<PackFiles>,
    /// The rules.
    pub rules: Arc<RuleSet>,
}

impl RunPack {
    /// Reads `source` once and loads it; the errors, one per line, when it does not load.
    pub fn load(source: PackSource) -> Result<RunPack, String> {
        let files = source.files().map_err(|e| e.to_string())?;
        let loaded = origin_rules::load_files(&files);
        match loaded.rules {
            Some(rules) => Ok(RunPack { source, files: Arc::new(files), rules: Arc::new(rules) }),
            None => Err(loaded.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Batch files.
    pub batches: Vec<PathBuf>,
    /// The rule pack used.
    pub pack: RunPack,
    /// Engine options.
    pub opts: RunOptions,
    /// Who runs it.
    pub actor: String,
    /// Goods per transaction.
    pub chunk: usize,
    /// Where the batches' BOM files may be (the command line's `--allow-outside` widens it).
    pub bom_scope: FileScope,
    /// The batches were uploaded into this temporary directory: the run records their names inside
    /// it and no working directory, so that no server path is shown (issue 13, item 9).
    pub upload_dir: Option<PathBuf>,
}

/// Why a stored run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// Nothing was stored (bad header, wrong pack, unreadable file).
    #[error("{0}")]
    NotStarted(RunError),
    /// Reading the files.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The store refused or failed before the run started.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The run started and stopped; it can be resumed.
    #[error("run {run} stopped: {source}\n  help: finish it with `origin-audit run --resume {run}`")]
    Stopped {
        /// The run id.
        run: String,
        /// Why.
        source: SinkRunError<SinkFailure>,
    },
}

/// A completed stored run.
#[derive(Debug)]
pub struct StoredRun {
    /// Run id.
    pub id: String,
    /// What the pipeline did: per batch its head and the counts of the goods audited in this invocation
    /// (the reports went to the store and the other sinks, none is held).
    pub job: JobDone,
    /// The final commit's outcome.
    pub completed: CompletedRun,
}

/// Sets the flag when dropped: the pass ahead stops at its next part once the run will not start.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

async fn load_all(paths: &[PathBuf], scope: FileScope) -> Result<Vec<Batch>, RunnerError> {
    let started = std::time::Instant::now();
    let mut batches = Vec::with_capacity(paths.len());
    for p in paths {
        let p = p.clone();
        // A large JSON batch keeps its goods in the file until each is audited (memory bounded).
        let b = tokio::task::spawn_blocking(move || load_batch_streamed(&p, scope))
            .await
            .map_err(|e| RunnerError::NotStarted(RunError::Internal(joined(&e))))?
            .map_err(|e| RunnerError::NotStarted(RunError::Header(e)))?;
        batches.push(b);
    }
    // Results are stored by batch and good id: two files with one batch id are refused before anything
    // is written.
    origin_engine::input::check_distinct_batch_ids(&batches)
        .map_err(|e| RunnerError::NotStarted(RunError::Header(e)))?;
    let goods: usize = batches.iter().map(Batch::good_count).sum();
    let left = batches.iter().filter(|b| b.goods_file.is_some()).count();
    let reread: usize = batches.iter().map(|b| b.good_count() - b.goods_held()).sum();
    log_phase(
        "read inputs",
        started.elapsed(),
        format_args!(
            "{} batch(es), {goods} good(s); {left} batch(es) with goods left in the file, {reread} good(s) to read again",
            batches.len()
        ),
    );
    Ok(batches)
}

/// A reader that did not finish (it panicked: a bug). The panic's text goes to the log only: it is
/// no message for a user and must not reach a 422 body (issue 13, item 9).
fn joined(e: &tokio::task::JoinError) -> String {
    tracing::error!("reading a batch stopped: {e}");
    "reading the batch stopped unexpectedly (a bug, logged); nothing was stored".to_string()
}

/// Starts and completes a stored run; every chunk goes to the store first, then to `also` (a report
/// file, certificate files, or [`origin_engine::sink::Discard`]).
pub async fn start<S: ResultSink + Send>(
    store: &Store,
    req: &RunRequest,
    progress: Arc<Progress>,
    also: &mut S,
) -> Result<StoredRun, RunnerError> {
    let (id, job) = begin(store, req).await?;
    execute(store, id, &job, progress, &req.actor, also).await
}

/// Reads the batches and records a `running` run with its files; returns the run id and the batches.
/// A bad header or the wrong pack stops here, before anything is stored.
pub async fn begin(store: &Store, req: &RunRequest) -> Result<(String, AuditJob), RunnerError> {
    let rules = &req.pack.rules;
    // The large batch files are digested and compressed for the store on one core while the engine
    // reads them on the other (`pack_ahead`); a run that does not start stops that work.
    let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
    let ahead = {
        let (paths, stop) = (req.batches.clone(), stop.0.clone());
        tokio::task::spawn_blocking(move || paths.iter().map(|p| pack_ahead(p, &stop)).collect::<Vec<_>>())
    };
    let batches = load_all(&req.batches, req.bom_scope).await?;
    let pack = format!("{}@{}", rules.pack.id, rules.pack.version);
    for b in &batches {
        if let Some(want) = &b.header.rule_pack
            && want != &rules.pack.id
            && want != &pack
        {
            return Err(RunnerError::NotStarted(RunError::WrongPack {
                batch: b.header.id.clone(),
                wanted: want.clone(),
                used: pack,
            }));
        }
    }
    let started = std::time::Instant::now();
    let upload_dir = req.upload_dir.as_deref();
    let boms: Vec<&[String]> = batches.iter().map(|b| b.bom_files.as_slice()).collect();
    // A file the pass ahead could not keep (no room for its temporary file, say) is read again here,
    // which reports a file that cannot be read.
    let ahead = match ahead.await {
        Ok(packed) => packed
            .into_iter()
            .map(|p| {
                p.unwrap_or_else(|e| {
                    tracing::warn!("packing a batch ahead failed ({e}); it is read again");
                    None
                })
            })
            .collect(),
        Err(e) => {
            tracing::warn!("packing the batches ahead stopped ({e}); they are read again");
            Vec::new()
        }
    };
    let inputs = collect_read_inputs(&req.batches, &boms, ahead, &req.pack.files, req.bom_scope, upload_dir)?;
    let options = RunSettings {
        batches: req.batches.iter().map(|b| batch_name(b, upload_dir)).collect(),
        // A server's directory is not shown to whoever uploaded the batch (issue 13): only that it was one.
        rules_source: match (&req.pack.source, upload_dir) {
            (PackSource::Dir(_), Some(_)) => "a rule-pack directory of the server".to_string(),
            _ => req.pack.source.record(),
        },
        as_of: req.opts.as_of,
        threads: req.opts.threads,
        chunk: Some(req.chunk),
        // For `run --resume` of relative batch paths; an upload is not resumed from its files.
        cwd: upload_dir.is_none().then(|| std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default()),
        allow_outside: req.bom_scope == FileScope::Anywhere,
    };
    let goods_total = batches.iter().map(Batch::good_count).sum::<usize>();
    let new = NewRun {
        actor: req.actor.clone(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        rule_pack: pack,
        as_of: req.opts.as_of,
        options,
        goods_total: i64::try_from(goods_total).unwrap_or(i64::MAX),
        inputs,
    };
    let files = new.inputs.files.len();
    let id = store.begin_run(&new).await?;
    log_phase("record run", started.elapsed(), format_args!("run {id}, {files} input file(s) digested and kept"));
    Ok((id, AuditJob::new(rules.clone(), batches, req.opts.clone(), req.chunk)))
}

/// Finishes a run that did not complete: same files (checked by digest), same options; goods already
/// stored are skipped.
pub async fn resume(
    store: &Store,
    run: &str,
    pack: &RunPack,
    actor: &str,
    progress: Arc<Progress>,
) -> Result<StoredRun, RunnerError> {
    let row = store.run(run).await?;
    if row.status == "completed" {
        return Err(StoreError::Invalid(format!("run `{run}` is already completed; nothing to resume")).into());
    }
    let settings = &row.options;
    let cwd = PathBuf::from(settings.cwd.as_deref().unwrap_or(""));
    let batches: Vec<PathBuf> = settings
        .batches
        .iter()
        .map(|p| if Path::new(p).is_relative() && !Path::new(p).exists() { cwd.join(p) } else { PathBuf::from(p) })
        .collect();
    let (as_of, threads) = (settings.as_of, settings.threads);
    let chunk = settings.chunk.unwrap_or(DEFAULT_CHUNK);
    let scope = if settings.allow_outside { FileScope::Anywhere } else { FileScope::BatchDirectory };
    // Read once: the BOM file list comes from the parsed batches (as in `begin`), not a second pass over
    // a large file.
    let loaded = load_all(&batches, scope).await?;
    let boms: Vec<&[String]> = loaded.iter().map(|b| b.bom_files.as_slice()).collect();
    let inputs = collect_read_inputs(&batches, &boms, Vec::new(), &pack.files, scope, None)?;
    if inputs.rules_digest != row.rules_digest {
        let (then, pack) = (&row.options.rules_source, &pack.source);
        return Err(StoreError::Invalid(format!(
            "{pack} is not the one run `{run}` used ({then}; sha256 {} now, {} then)\n  help: pass the pack the run used with --rules",
            inputs.rules_digest,
            row.rules_digest
        ))
        .into());
    }
    let stored = store.run_files(run).await?;
    let mut then: Vec<(&str, &str)> =
        stored.iter().filter(|f| f.kind != "rules").map(|f| (f.kind.as_str(), f.digest.as_str())).collect();
    let mut now: Vec<(&str, &str)> =
        inputs.files.iter().filter(|f| f.kind != "rules").map(|f| (f.kind, f.digest.as_str())).collect();
    then.sort_unstable();
    now.sort_unstable();
    if then != now {
        let changed: Vec<&str> = inputs
            .files
            .iter()
            .filter(|f| f.kind != "rules" && !stored.iter().any(|s| s.digest == f.digest))
            .map(|f| f.name.as_str())
            .collect();
        return Err(StoreError::Invalid(format!(
            "the input files changed since run `{run}` started ({}); a run can only be resumed on the same inputs",
            if changed.is_empty() {
                "a file is missing".to_string()
            } else {
                format!("changed: {}", changed.join(", "))
            }
        ))
        .into());
    }
    store.reopen_run(run, actor).await?;
    let job = AuditJob::new(pack.rules.clone(), loaded, RunOptions { as_of, threads }, chunk);
    execute(store, run.to_string(), &job, progress, actor, &mut origin_engine::sink::Discard).await
}

/// Runs `job` into the run `id` (recorded by [`begin`] or its like) and whatever else `also` is, then the
/// final commit; a stop marks the run failed or cancelled, resumable.
pub(crate) async fn execute<S: ResultSink + Send>(
    store: &Store,
    id: String,
    job: &AuditJob,
    progress: Arc<Progress>,
    actor: &str,
    also: &mut S,
) -> Result<StoredRun, RunnerError> {
    let mut sink = Tee(RunSink { store, run: id.clone(), actor: actor.to_string() }, also);
    match run_job(job, progress, &mut sink).await {
        Ok(done) => {
            let started = std::time::Instant::now();
            let completed = store.complete_run(&id, actor).await?;
            log_phase("complete run", started.elapsed(), format_args!("run {id}"));
            Ok(StoredRun { id, job: done, completed })
        }
        Err(e) => {
            let status = if matches!(e, SinkRunError::Run(RunError::Cancelled)) {
                RunStatus::Cancelled
            } else {
                RunStatus::Failed
            };
            // Best effort: if this fails too, the run simply stays `running` and is still resumable.
            let _ = store.stop_run(&id, actor, status, &e.to_string()).await;
            Err(RunnerError::Stopped { run: id, source: e })
        }
    }
}
