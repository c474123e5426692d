//! `origin-audit run BATCH...`: audit batches, store every result (SQLite `origin-audit.db` by default,
//! `--db URL` or `ORIGIN_AUDIT_DB`), print a summary a compliance manager understands, and write the
//! full report (every determination with its numbers and reasons) as JSON. `--resume RUN` finishes a
//! run that was killed or stopped. One pipeline ([`origin_store::runner::start`]) feeds the store, the
//! report file, the certificate files and the table as the goods are audited; no report is held whole.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use origin_engine::audit::Outcome;
use origin_engine::run::{Progress, ReportHead, RunError, RunOptions, Summary, log_phase};
use origin_engine::sink::{CertificateFiles, GoodResult, Prep, ReportSink, ResultSink, SinkRunError, Tee};
use origin_store::runner::{self, DEFAULT_CHUNK, RunRequest, RunnerError};
use origin_store::{FindingFilter, IdKind, Store};

use crate::exit;
use crate::rules_cmd::load_valid_pack;
use origin_rules::PackSource;

/// Output format of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// A summary table and one line per good.
    Table,
    /// The whole report as JSON.
    Json,
    /// An Excel workbook written to `--out` (sheets Goods, Findings, Materials); the table is printed.
    Xlsx,
}

/// When `run` exits non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Any blocking finding.
    Blocking,
    /// Any good not qualified or needing evidence.
    NotQualified,
}

/// Arguments of `origin-audit run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Batch files (YAML or JSON; see docs/batch-format.md).
    #[arg(required_unless_present = "resume", conflicts_with = "resume", value_name = "BATCH")]
    pub batches: Vec<PathBuf>,
    /// Finish a run that was killed or stopped: same inputs (checked by digest), goods already stored skipped.
    #[arg(long, value_name = "RUN")]
    pub resume: Option<String>,
    /// Goods stored per transaction.
    #[arg(long, default_value_t = DEFAULT_CHUNK, value_parser = clap::value_parser!(usize))]
    pub chunk: usize,
    /// Record the run and queue its goods for `origin-audit worker` processes instead of auditing here
    /// (PostgreSQL only).
    #[arg(long, conflicts_with = "resume")]
    pub queue: bool,
    /// Who runs the audit, for the audit log (default: $USER).
    #[arg(long = "as", value_name = "NAME")]
    pub actor: Option<String>,
    /// Audit as of this date instead of each batch's `as_of`.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Write the full JSON report here (with `--format xlsx`, the workbook); written whole or not at all.
    #[arg(long, value_name = "FILE", required_if_eq("format", "xlsx"))]
    pub out: Option<PathBuf>,
    /// Indent the JSON report (`--out` and `--format json`); compact by default, a third of the size.
    #[arg(long)]
    pub pretty: bool,
    /// What to print (`xlsx`: write the workbook to `--out` and print the table).
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
    /// No progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(short, long)]
    pub quiet: bool,
    /// Exit 1 when the results include this; by default a completed run exits 0 (findings are results).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Worker threads for the audit.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write each certificate draft here as GOOD.md (to read and sign) and GOOD.json.
    #[arg(long, value_name = "DIR")]
    pub certificates: Option<PathBuf>,
    /// Let a batch name BOM files outside its own directory (`..` or absolute paths in `bom_files`).
    #[arg(long)]
    pub allow_outside: bool,
}

/// Where BOM files may be: the batch's directory, or anywhere with `--allow-outside`.
pub fn bom_scope(allow_outside: bool) -> origin_engine::input::FileScope {
    if allow_outside {
        origin_engine::input::FileScope::Anywhere
    } else {
        origin_engine::input::FileScope::BatchDirectory
    }
}

/// Runs the audit into the database named by `ORIGIN_AUDIT_DB`, else `origin-audit.db`.
pub async fn run_command(args: &RunArgs, pack: &PackSource, out: &mut (dyn Write + Send)) -> std::io::Result<i32> {
    let db = std::env::var("ORIGIN_AUDIT_DB").unwrap_or_else(|_| "origin-audit.db".into());
    run_command_in(args, pack, &db, out).await
}

/// Runs the audit and stores it in `db` (a SQLite path or a `postgres://` URL); returns the exit code.
pub async fn run_command_in(
    args: &RunArgs,
    pack: &PackSource,
    db: &str,
    out: &mut (dyn Write + Send),
) -> std::io::Result<i32> {
    let mut err = std::io::stderr();
    if args.format == RunFormat::Xlsx && args.out.is_none() {
        writeln!(
            err,
            "error: `--format xlsx` writes the workbook to `--out FILE`; give it (e.g. `--out results.xlsx`)"
        )?;
        return Ok(exit::USAGE);
    }
    let begun = std::time::Instant::now();
    let Some(pack) = load_valid_pack(pack, &mut err)? else { return Ok(exit::INVALID) };
    let rules = &pack.rules;
    log_phase("load rules", begun.elapsed(), format_args!("{}@{}", rules.pack.id, rules.pack.version));
    let started = std::time::Instant::now();
    let (backend, _) = origin_store::database_url(db);
    let created = backend == origin_store::Backend::Sqlite
        && !Path::new(db.trim_start_matches("sqlite://").trim_start_matches("sqlite:").split('?').next().unwrap_or(db))
            .exists();
    let store = match Store::open(db).await {
        Ok(s) => s,
        Err(e) => {
            writeln!(err, "error: opening the database `{db}`: {e}")?;
            return Ok(exit::USAGE);
        }
    };
    log_phase("open store", started.elapsed(), format_args!("{}", store.location()));
    let progress = Arc::new(Progress::default());
    let cancel = progress.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let actor = args.actor.clone().unwrap_or_else(crate::store_cmd::current_user);
    let req = RunRequest {
        batches: args.batches.clone(),
        pack: pack.clone(),
        opts: RunOptions { as_of: args.as_of, threads: args.threads },
        actor,
        chunk: args.chunk,
        bom_scope: bom_scope(args.allow_outside),
        upload_dir: None,
    };
    if args.queue {
        return match origin_store::worker::queue(&store, &req).await {
            Ok(id) => {
                writeln!(
                    out,
                    "run {id} queued in {}: start workers with `origin-audit --db URL worker --run {id}`",
                    store.location()
                )?;
                Ok(exit::OK)
            }
            Err(RunnerError::NotStarted(RunError::Header(e))) => {
                write!(err, "{}", crate::batch_cmd::header_error(&e, &mut origin_core::diag::Sources::new()))?;
                Ok(exit::INVALID)
            }
            Err(e) => {
                writeln!(err, "error: {e}")?;
                Ok(exit::USAGE)
            }
        };
    }
    let bar = spawn_progress(progress.clone(), args.quiet);
    let json = args.format == RunFormat::Json;
    // What the run writes besides the store, fed chunk by chunk: the report file (a workbook is made
    // from the store at the end), the report on stdout, the certificate files, the table's lines.
    let report_file = match (&args.out, args.format) {
        (Some(path), RunFormat::Table | RunFormat::Json) if args.resume.is_none() => {
            Some(ReportSink::file(path, args.pretty, args.batches.len())?)
        }
        _ => None,
    };
    let stdout_json = if json && args.resume.is_none() {
        Some(ReportSink::writer(&mut *out, args.pretty, args.batches.len())?)
    } else {
        None
    };
    let certificates = match &args.certificates {
        Some(dir) if args.resume.is_none() => Some(CertificateFiles::new(dir)?),
        _ => None,
    };
    let mut outputs = Tee(Tee(report_file, stdout_json), Tee(certificates, TableLines::default()));
    let result = match &args.resume {
        Some(run) => match store.resolve_id(IdKind::Run, run).await {
            Ok(id) => runner::resume(&store, &id, &pack, &req.actor, progress.clone()).await,
            Err(e) => Err(e.into()),
        },
        None => runner::start(&store, &req, progress.clone(), &mut outputs).await,
    };
    ctrl_c.abort();
    if let Some((task, pb)) = bar {
        task.abort();
        pb.finish_and_clear();
    }
    let Tee(Tee(report_file, stdout_json), Tee(_, lines)) = outputs;
    let stored = match result {
        Ok(r) => r,
        Err(RunnerError::NotStarted(RunError::Header(e))) => {
            write!(err, "{}", crate::batch_cmd::header_error(&e, &mut origin_core::diag::Sources::new()))?;
            return Ok(exit::INVALID);
        }
        Err(RunnerError::Stopped { run, source: SinkRunError::Run(RunError::Cancelled) }) => {
            writeln!(
                err,
                "cancelled: run {run} is kept as `cancelled` in {} and never counts as complete\n  help: finish it with `origin-audit run --resume {run}`",
                store.location()
            )?;
            return Ok(130);
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(exit::USAGE);
        }
    };
    let stored_line = format!(
        "stored as run {} in {}{}",
        stored.id,
        store.location(),
        if created { " (new SQLite database)" } else { "" }
    );
    if args.resume.is_some() {
        writeln!(
            out,
            "resumed run {}: {} good(s) were already stored, {} audited now",
            stored.id,
            stored.job.skipped,
            stored.job.audited()
        )?;
        write!(out, "{}", crate::store_cmd::run_summary(&stored.completed.run))?;
        writeln!(out, "{stored_line}")?;
        return Ok(exit::OK);
    }
    if let Some(json) = stdout_json {
        json.into_inner()?;
    }
    if let Some(path) = &args.out {
        let started = std::time::Instant::now();
        if args.format == RunFormat::Xlsx {
            // From the store, as `export --format xlsx` makes it: the same rows, with review status.
            let written = workbook(&store, &stored.id, path).await;
            if let Err(e) = written {
                writeln!(err, "error: {e}")?;
                writeln!(
                    err,
                    "{stored_line} (the results are stored; `origin-audit export RUN FILE --format xlsx` writes them again)"
                )?;
                return Ok(exit::USAGE);
            }
        } else if let Some(file) = report_file {
            file.into_inner()?.commit()?;
        }
        let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        log_phase("write report", started.elapsed(), format_args!("{}, {bytes} bytes", path.display()));
    }
    let summaries = &stored.job.batches;
    match args.format {
        RunFormat::Json => {}
        RunFormat::Table | RunFormat::Xlsx => {
            for ((head, summary), lines) in summaries.iter().zip(lines.batches) {
                write_table(out, head, summary, lines)?;
            }
            if let Some(p) = &args.out {
                writeln!(out, "full report: {}", p.display())?;
            }
            let summary = crate::store_cmd::run_summary(&stored.completed.run);
            for line in summary
                .lines()
                .filter(|l| l.contains("CERTIFICATE WITHDRAWN") || l.contains("carried") || l.contains("resolved"))
            {
                writeln!(out, "{}", line.trim_start())?;
            }
            writeln!(out, "{stored_line}")?;
        }
    }
    if json {
        writeln!(err, "{stored_line}")?;
        for w in &stored.completed.withdrawn {
            writeln!(
                err,
                "certificate withdrawn: {} (good {}, version {}): {}",
                w.certificate, w.good, w.version, w.reason
            )?;
        }
    }
    log_phase("run", begun.elapsed(), format_args!("in all{}", crate::progress::process_usage()));
    let fail = match args.fail_on {
        None => false,
        Some(FailOn::Blocking) => summaries.iter().any(|(_, s)| s.findings_by_severity.contains_key("blocking")),
        Some(FailOn::NotQualified) => summaries.iter().any(|(_, s)| s.qualified < s.goods),
    };
    Ok(if fail { exit::INVALID } else { exit::OK })
}

/// The run's results as a workbook, read from the store.
async fn workbook(store: &Store, run: &str, path: &Path) -> Result<(), String> {
    let dets = store.determinations(run).await.map_err(|e| e.to_string())?;
    let filter = FindingFilter { run: Some(run.to_string()), ..FindingFilter::default() };
    let findings = store.findings(&filter).await.map_err(|e| e.to_string())?;
    crate::xlsx::write(&crate::xlsx::from_store(&dets, &findings), path).map_err(|e| e.to_string())
}

/// One good's line of the table, made on the audit worker that audited the good.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct GoodLine {
    good: String,
    hs: String,
    determination: String,
    findings: String,
    summary: String,
}

impl GoodLine {
    fn of(g: &GoodResult<'_>) -> GoodLine {
        let a = &g.report.audit;
        let d = &a.determination;
        let determination = match (d.outcome, d.criterion) {
            (Outcome::Qualified, Some(c)) => format!("qualified {c}"),
            (o, _) => o.as_str().to_string(),
        };
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &a.findings {
            *counts.entry(f.severity.as_str()).or_default() += 1;
        }
        let findings = format!("{}b {}w", counts.get("blocking").unwrap_or(&0), counts.get("warning").unwrap_or(&0));
        GoodLine {
            good: a.good.to_string(),
            hs: a.hs.to_string(),
            determination,
            findings,
            summary: d.summary.to_string(),
        }
    }
}

/// The table's lines per batch.
#[derive(Debug, Default)]
pub struct TableLines {
    batches: Vec<BatchLines>,
}

/// The lines of one batch, written to an unnamed temporary file as the run goes and read back when the
/// table is printed: held, a line per good would grow with the batch (docs/performance.md section 8).
#[derive(Debug)]
pub struct BatchLines {
    file: std::io::BufWriter<std::fs::File>,
    /// The widest good id (at least 4, the column's title).
    width: usize,
}

impl ResultSink for TableLines {
    type Error = std::io::Error;
    /// The good's line, made on the audit worker.
    type Row = GoodLine;

    fn prep(&self) -> Prep<GoodLine, Self::Error> {
        Arc::new(|g| Ok(GoodLine::of(g)))
    }

    async fn begin_batch(&mut self, _head: &ReportHead) -> Result<(), Self::Error> {
        self.batches.push(BatchLines { file: std::io::BufWriter::new(tempfile::tempfile()?), width: 4 });
        Ok(())
    }

    async fn write_chunk(&mut self, _goods: &[GoodResult<'_>], rows: Vec<GoodLine>) -> Result<(), Self::Error> {
        if let Some(b) = self.batches.last_mut() {
            for r in rows {
                b.width = b.width.max(r.good.len());
                // One JSON line per good: ids and summaries may hold any character.
                serde_json::to_writer(&mut b.file, &r)?;
                b.file.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

/// A progress bar on stderr when it is a terminal and not `--quiet`, fed from the run's counters.
fn spawn_progress(p: Arc<Progress>, quiet: bool) -> Option<(tokio::task::JoinHandle<()>, indicatif::ProgressBar)> {
    let pb = crate::progress::bar(quiet, "auditing", "goods")?;
    let shown = pb.clone();
    let task = tokio::spawn(async move {
        loop {
            let done = p.done.load(std::sync::atomic::Ordering::Relaxed);
            let total = p.total.load(std::sync::atomic::Ordering::Relaxed);
            shown.set_length(u64::try_from(total).unwrap_or(u64::MAX));
            shown.set_position(u64::try_from(done).unwrap_or(u64::MAX));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    Some((task, pb))
}

/// Writes the summary table of one batch, then one line per good (read back from `lines`).
pub fn write_table(out: &mut dyn Write, r: &ReportHead, s: &Summary, lines: BatchLines) -> std::io::Result<()> {
    use std::io::{BufRead, Seek};
    write!(out, "{}", table_head(r, s))?;
    let w = lines.width;
    writeln!(out, "  {:<w$}  {:<13}  {:<15}  {:<9}  summary", "good", "hs", "determination", "findings")?;
    let mut file = lines.file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    file.rewind()?;
    for line in std::io::BufReader::new(file).lines() {
        let g: GoodLine = serde_json::from_str(&line?)?;
        writeln!(out, "  {:<w$}  {:<13}  {:<15}  {:<9}  {}", g.good, g.hs, g.determination, g.findings, g.summary)?;
    }
    writeln!(out)
}

/// The summary table of one batch: counts, findings by code, input warnings.
fn table_head(r: &ReportHead, s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "batch {} ({}), importing party {}, as of {}, rules {}",
        r.batch,
        r.file.display(),
        r.importing_party,
        r.as_of,
        r.rule_pack
    );
    let crit: Vec<String> = s.by_criterion.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let _ = writeln!(o);
    let _ = writeln!(o, "  goods audited        {:>5}", s.goods);
    let _ = writeln!(
        o,
        "  originating          {:>5}   {}",
        s.qualified,
        if crit.is_empty() { String::new() } else { format!("(criterion {})", crit.join(", ")) }
    );
    let _ = writeln!(o, "  not originating      {:>5}", s.not_qualified);
    let _ = writeln!(o, "  needs evidence       {:>5}", s.needs_evidence);
    let _ = writeln!(o, "  certificate drafts   {:>5}", s.certificates);
    let sev: Vec<String> = ["blocking", "warning", "info"]
        .iter()
        .map(|k| format!("{} {k}", s.findings_by_severity.get(k).copied().unwrap_or(0)))
        .collect();
    let _ = writeln!(
        o,
        "  findings             {:>5}   ({})",
        s.findings_by_severity.values().sum::<usize>(),
        sev.join(", ")
    );
    let mut by_code: Vec<(&&str, &usize)> = s.findings_by_code.iter().collect();
    by_code.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (code, n) in by_code {
        let _ = writeln!(o, "    {code:<32} {n:>4}");
    }
    if !r.warnings.is_empty() {
        // Located, with the source line, as `batch check` prints them (each file read once, if small).
        let _ = writeln!(o, "  input warnings       {:>5}", r.warnings.len());
        let mut sources = origin_core::diag::Sources::new();
        for w in
            origin_engine::input::render_errors(&r.warnings, origin_core::diag::Severity::Warning, None, &mut sources)
        {
            for line in w.lines() {
                let _ = writeln!(o, "    {line}");
            }
        }
    }
    let _ = writeln!(o);
    o
}
