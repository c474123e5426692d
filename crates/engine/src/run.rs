//! Auditing whole batches: provenance traced once per batch, goods audited in parallel on blocking
//! threads (never on the async workers), progress reported, cancellation honoured between goods.
//! The report is an explicit, versioned output type ([`BatchReport`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::NaiveDate;
use origin_rules::RuleSet;
use serde::Serialize;

use crate::audit::{AuditContext, GoodAudit, Outcome, audit_good};
use crate::certificate::{CertificateDraft, draft};
use crate::finding::{Code, Finding, Severity};
use crate::input::{Batch, GoodInput, HeaderError, InputError, load_batch};
use crate::provenance::lot_facts;

/// Version of the report shape; bumped when a field changes meaning or goes away.
pub const REPORT_VERSION: u32 = 1;

/// One good in the report.
#[derive(Debug, Clone, Serialize)]
pub struct GoodReport {
    /// The audit.
    #[serde(flatten)]
    pub audit: GoodAudit,
    /// The certificate draft, for a good that qualified with no blocking finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateDraft>,
}

/// Counts for the summary table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Goods audited.
    pub goods: usize,
    /// Qualified.
    pub qualified: usize,
    /// Not qualified.
    pub not_qualified: usize,
    /// Needs evidence.
    pub needs_evidence: usize,
    /// Qualified goods by criterion.
    pub by_criterion: BTreeMap<String, usize>,
    /// Findings by severity.
    pub findings_by_severity: BTreeMap<&'static str, usize>,
    /// Findings by code.
    pub findings_by_code: BTreeMap<&'static str, usize>,
    /// Certificate drafts produced.
    pub certificates: usize,
}

/// The report of one batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// Shape version.
    pub version: u32,
    /// Batch id.
    pub batch: String,
    /// The file.
    pub file: PathBuf,
    /// Importing Party.
    pub importing_party: String,
    /// Determination date.
    pub as_of: NaiveDate,
    /// Reporting currency.
    pub currency: String,
    /// Rule pack used.
    pub rule_pack: String,
    /// Engine version.
    pub engine_version: &'static str,
    /// Problems outside goods (parties, rates, certifications, provenance).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_warnings: Vec<String>,
    /// Summary.
    pub summary: Summary,
    /// Every good.
    pub goods: Vec<GoodReport>,
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides every batch's `as_of`.
    pub as_of: Option<NaiveDate>,
    /// Worker threads for the audit (default: available parallelism).
    pub threads: Option<usize>,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A batch header is unusable; nothing was written.
    #[error("{0}")]
    Header(#[from] HeaderError),
    /// The rule pack is not the one the batch asks for.
    #[error("batch `{batch}` asks for rule pack `{wanted}`, but `{used}` is loaded\n  help: pass the right pack with --rules, or fix `batch.rule_pack`")]
    WrongPack {
        /// Batch.
        batch: String,
        /// Wanted.
        wanted: String,
        /// Used.
        used: String,
    },
    /// Cancelled (Ctrl-C): nothing was written.
    #[error("cancelled; nothing was written")]
    Cancelled,
    /// A worker failed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Progress shared with the caller: goods done and total.
#[derive(Debug, Default)]
pub struct Progress {
    /// Goods audited so far.
    pub done: AtomicUsize,
    /// Goods in all batches read so far.
    pub total: AtomicUsize,
    /// Set to stop between goods.
    pub cancel: AtomicBool,
}

/// Audits a parsed batch. CPU-bound: call it from a blocking thread.
pub fn audit_batch(rules: &RuleSet, batch: &Batch, opts: &RunOptions, progress: &Progress) -> Result<BatchReport, RunError> {
    let as_of = opts.as_of.unwrap_or(batch.header.as_of);
    if let Some(want) = &batch.header.rule_pack
        && want != &rules.pack.id
        && want != &format!("{}@{}", rules.pack.id, rules.pack.version)
    {
        return Err(RunError::WrongPack { batch: batch.header.id.clone(), wanted: want.clone(), used: format!("{}@{}", rules.pack.id, rules.pack.version) });
    }
    let mut warnings: Vec<String> = batch.warnings.iter().map(InputError::to_string).collect();
    for errs in batch.bad_certifications.values() {
        warnings.extend(errs.iter().map(InputError::to_string));
    }
    let lots = match &batch.provenance {
        Some(p) => lot_facts(rules, p).unwrap_or_else(|errs| {
            warnings.extend(errs.into_iter().map(|e| format!("provenance: {e}")));
            HashMap::new()
        }),
        None => HashMap::new(),
    };
    let bad: HashSet<String> = batch.bad_certifications.keys().cloned().collect();
    let cx = AuditContext {
        rules,
        as_of,
        certifications: &batch.certifications,
        bad_certifications: &bad,
        lots: &lots,
        has_provenance: batch.provenance.is_some(),
        currency: batch.header.currency,
    };
    progress.total.fetch_add(batch.goods.len(), Ordering::Relaxed);
    let threads = opts.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let chunk = batch.goods.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<GoodReport>, RunError>> = std::thread::scope(|s| {
        let handles: Vec<_> = batch
            .goods
            .chunks(chunk)
            .map(|goods| {
                let cx = &cx;
                s.spawn(move || {
                    let mut out = Vec::with_capacity(goods.len());
                    for g in goods {
                        if progress.cancel.load(Ordering::Relaxed) {
                            return Err(RunError::Cancelled);
                        }
                        out.push(audit_input(cx, batch, g));
                        progress.done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(RunError::Internal("an audit thread panicked".into())))).collect()
    });
    let mut goods = Vec::with_capacity(batch.goods.len());
    for r in results {
        goods.extend(r?);
    }
    Ok(BatchReport {
        version: REPORT_VERSION,
        batch: batch.header.id.clone(),
        file: batch.file.clone(),
        importing_party: batch.header.importing_party.to_string(),
        as_of,
        currency: batch.header.currency.to_string(),
        rule_pack: format!("{}@{}", rules.pack.id, rules.pack.version),
        engine_version: env!("CARGO_PKG_VERSION"),
        input_warnings: warnings,
        summary: summarize(&goods),
        goods,
    })
}

fn audit_input(cx: &AuditContext<'_>, batch: &Batch, g: &GoodInput) -> GoodReport {
    match g {
        GoodInput::Ok(good) => {
            let audit = audit_good(cx, good);
            let certificate = draft(batch, good, &audit, None).ok();
            GoodReport { audit, certificate }
        }
        GoodInput::Invalid { id, errors } => {
            let f = Finding::new(
                Code::InputError,
                Severity::Blocking,
                id,
                format!("the good could not be read: {} problem(s)", errors.len()),
                "batch input (docs/batch-format.md)",
            )
            .evidence(errors.iter().map(InputError::to_string))
            .remedy(errors.iter().map(|e| e.help.clone()).collect::<Vec<_>>().join("; "))
            .seal();
            GoodReport {
                audit: GoodAudit {
                    good: id.clone(),
                    description: String::new(),
                    hs: String::new(),
                    determination: crate::audit::Determination {
                        outcome: Outcome::NeedsEvidence,
                        criterion: None,
                        summary: "needs evidence: the good's input has errors (see INPUT_ERROR)".into(),
                        rule: None,
                        alternative: None,
                        values: Default::default(),
                        alternatives: Vec::new(),
                        criterion_d_rvc: Vec::new(),
                        materials: Vec::new(),
                        caveats: Vec::new(),
                    },
                    findings: vec![f],
                },
                certificate: None,
            }
        }
    }
}

/// Counts for the summary.
pub fn summarize(goods: &[GoodReport]) -> Summary {
    let mut s = Summary { goods: goods.len(), ..Summary::default() };
    for g in goods {
        match g.audit.determination.outcome {
            Outcome::Qualified => {
                s.qualified += 1;
                *s.by_criterion.entry(g.audit.determination.criterion.map(String::from).unwrap_or_default()).or_default() += 1;
            }
            Outcome::NotQualified => s.not_qualified += 1,
            Outcome::NeedsEvidence => s.needs_evidence += 1,
        }
        for f in &g.audit.findings {
            *s.findings_by_severity.entry(f.severity.as_str()).or_default() += 1;
            *s.findings_by_code.entry(f.code.as_str()).or_default() += 1;
        }
        if g.certificate.is_some() {
            s.certificates += 1;
        }
    }
    s
}

/// Reads and audits every batch on blocking threads. A bad header stops the whole run before anything
/// is returned, so the caller writes nothing.
pub async fn run(rules: Arc<RuleSet>, paths: Vec<PathBuf>, opts: RunOptions, progress: Arc<Progress>) -> Result<Vec<BatchReport>, RunError> {
    // Read every header first: a bad header stops the run before any audit.
    let mut batches = Vec::with_capacity(paths.len());
    for p in paths {
        let b = tokio::task::spawn_blocking(move || load_batch(&p)).await.map_err(|e| RunError::Internal(e.to_string()))??;
        tracing::info!(batch = %b.header.id, goods = b.goods.len(), "batch read");
        batches.push(b);
    }
    let mut reports = Vec::with_capacity(batches.len());
    for b in batches {
        let (rules, opts, progress) = (rules.clone(), opts.clone(), progress.clone());
        let r = tokio::task::spawn_blocking(move || audit_batch(&rules, &b, &opts, &progress))
            .await
            .map_err(|e| RunError::Internal(e.to_string()))??;
        tracing::info!(batch = %r.batch, goods = r.summary.goods, "batch audited");
        reports.push(r);
    }
    Ok(reports)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a reader
/// never sees a half-written report.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.tmp-{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("report"), std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
