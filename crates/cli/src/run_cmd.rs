//! `origin-audit run BATCH...`: audit batches, print a summary a compliance manager understands, and
//! write the full report (every determination with its numbers and reasons) as JSON.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use origin_engine::audit::Outcome;
use origin_engine::run::{BatchReport, Progress, RunError, RunOptions, run, write_atomically};

use crate::exit;
use crate::rules_cmd::load_valid;

/// Output format of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// A summary table and one line per good.
    Table,
    /// The whole report as JSON.
    Json,
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
    #[arg(required = true, value_name = "BATCH")]
    pub batches: Vec<PathBuf>,
    /// Audit as of this date instead of each batch's `as_of`.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Write the full JSON report here (written whole or not at all).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
    /// Exit 1 when the results include this; by default a completed run exits 0 (findings are results).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Worker threads for the audit.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write each certificate draft here as GOOD.md (to read and sign) and GOOD.json.
    #[arg(long, value_name = "DIR")]
    pub certificates: Option<PathBuf>,
}

/// Runs the audit; returns the exit code.
pub async fn run_command(args: &RunArgs, rules_dir: &Path, out: &mut (dyn Write + Send)) -> std::io::Result<i32> {
    let mut err = std::io::stderr();
    let Some(rules) = load_valid(rules_dir, &mut err)? else { return Ok(exit::INVALID) };
    let progress = Arc::new(Progress::default());
    let bar = spawn_progress(progress.clone());
    let cancel = progress.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let opts = RunOptions { as_of: args.as_of, threads: args.threads };
    let result = run(Arc::new(rules), args.batches.clone(), opts, progress.clone()).await;
    ctrl_c.abort();
    if let Some(b) = bar {
        b.abort();
        eprint!("\r\x1b[2K");
    }
    let reports = match result {
        Ok(r) => r,
        Err(RunError::Header(e)) => {
            writeln!(err, "error: {e}")?;
            return Ok(exit::INVALID);
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(if matches!(e, RunError::Cancelled) { 130 } else { exit::USAGE });
        }
    };
    let doc = if reports.len() == 1 {
        serde_json::to_value(&reports[0])
    } else {
        serde_json::to_value(&reports)
    }
    .unwrap_or_default();
    let json = serde_json::to_string_pretty(&doc).unwrap_or_default();
    if let Some(path) = &args.out {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        write_atomically(path, json.as_bytes())?;
    }
    if let Some(dir) = &args.certificates {
        std::fs::create_dir_all(dir)?;
        for r in &reports {
            for g in &r.goods {
                if let Some(c) = &g.certificate {
                    let name = sanitize(&g.audit.good);
                    write_atomically(&dir.join(format!("{name}.md")), origin_engine::certificate::markdown(c).as_bytes())?;
                    write_atomically(&dir.join(format!("{name}.json")), serde_json::to_string_pretty(c).unwrap_or_default().as_bytes())?;
                }
            }
        }
    }
    match args.format {
        RunFormat::Json => writeln!(out, "{json}")?,
        RunFormat::Table => {
            for r in &reports {
                write!(out, "{}", table(r))?;
            }
            if let Some(p) = &args.out {
                writeln!(out, "full report: {}", p.display())?;
            }
        }
    }
    let fail = match args.fail_on {
        None => false,
        Some(FailOn::Blocking) => reports.iter().any(|r| r.summary.findings_by_severity.contains_key("blocking")),
        Some(FailOn::NotQualified) => reports.iter().any(|r| r.summary.qualified < r.summary.goods),
    };
    Ok(if fail { exit::INVALID } else { exit::OK })
}

/// A file name from a good id: letters, digits, `-`, `_` and `.` kept, anything else `_`.
fn sanitize(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

/// A progress line on stderr when it is a terminal; nothing otherwise.
fn spawn_progress(p: Arc<Progress>) -> Option<tokio::task::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            let done = p.done.load(std::sync::atomic::Ordering::Relaxed);
            let total = p.total.load(std::sync::atomic::Ordering::Relaxed);
            eprint!("\r\x1b[2Kauditing: {done}/{total} goods");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }))
}

/// The summary table of one batch, then one line per good.
pub fn table(r: &BatchReport) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(o, "batch {} ({}), importing party {}, as of {}, rules {}", r.batch, r.file.display(), r.importing_party, r.as_of, r.rule_pack);
    let crit: Vec<String> = s.by_criterion.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let _ = writeln!(o);
    let _ = writeln!(o, "  goods audited        {:>5}", s.goods);
    let _ = writeln!(o, "  originating          {:>5}   {}", s.qualified, if crit.is_empty() { String::new() } else { format!("(criterion {})", crit.join(", ")) });
    let _ = writeln!(o, "  not originating      {:>5}", s.not_qualified);
    let _ = writeln!(o, "  needs evidence       {:>5}", s.needs_evidence);
    let _ = writeln!(o, "  certificate drafts   {:>5}", s.certificates);
    let sev: Vec<String> = ["blocking", "warning", "info"].iter().map(|k| format!("{} {k}", s.findings_by_severity.get(k).copied().unwrap_or(0))).collect();
    let _ = writeln!(o, "  findings             {:>5}   ({})", s.findings_by_severity.values().sum::<usize>(), sev.join(", "));
    let mut by_code: Vec<(&&str, &usize)> = s.findings_by_code.iter().collect();
    by_code.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (code, n) in by_code {
        let _ = writeln!(o, "    {code:<32} {n:>4}");
    }
    if !r.input_warnings.is_empty() {
        let _ = writeln!(o, "  input warnings       {:>5}", r.input_warnings.len());
        for w in &r.input_warnings {
            let _ = writeln!(o, "    {w}");
        }
    }
    let _ = writeln!(o);
    let w = r.goods.iter().map(|g| g.audit.good.len()).max().unwrap_or(4).max(4);
    let _ = writeln!(o, "  {:<w$}  {:<13}  {:<15}  {:<9}  summary", "good", "hs", "determination", "findings");
    for g in &r.goods {
        let d = &g.audit.determination;
        let det = match (d.outcome, d.criterion) {
            (Outcome::Qualified, Some(c)) => format!("qualified {c}"),
            (o, _) => o.as_str().to_string(),
        };
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &g.audit.findings {
            *counts.entry(f.severity.as_str()).or_default() += 1;
        }
        let fc = format!("{}b {}w", counts.get("blocking").unwrap_or(&0), counts.get("warning").unwrap_or(&0));
        let _ = writeln!(o, "  {:<w$}  {:<13}  {:<15}  {:<9}  {}", g.audit.good, g.audit.hs, det, fc, d.summary);
    }
    let _ = writeln!(o);
    o
}
