//! Auditing whole batches: provenance traced once per batch, goods audited in parallel on blocking
//! threads (never on the async workers), progress reported, cancellation honoured between goods.
//! The report is an explicit, versioned output type ([`BatchReport`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::NaiveDate;
use origin_rules::RuleSet;
use serde::Serialize;

use crate::audit::{AuditContext, GoodAudit, Outcome, audit_good};
use crate::certificate::{CertificateDraft, draft};
use crate::finding::{Facts, Finding, InputErrorAt, Set, Severity};
use crate::input::{Batch, Good, GoodInput, HeaderError, InputError, load_batch};
use crate::provenance::TracedGraph;

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
    #[error(
        "batch `{batch}` asks for rule pack `{wanted}`, but `{used}` is loaded\n  help: pass the right pack with --rules, or fix `batch.rule_pack`"
    )]
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
    /// A good left in its batch file could not be read again as it was first read.
    #[error("{0}")]
    BatchChanged(#[from] crate::input::GoodsFileError),
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

/// Goods audited together by one worker before it takes the next block: small enough to keep both
/// workers busy to the end and the reorder buffer small, large enough to make the hand-off cheap.
const BLOCK: usize = 64;

/// Time spent in the phases of [`audit_batch_with`], for benchmarks and `-v` logs.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseTimes {
    /// Building and tracing the provenance graph (facts per lot).
    pub graph: std::time::Duration,
    /// Auditing the goods and handing the results on (the `map` and `sink` of [`audit_batch_with`] run
    /// in this phase too).
    pub evaluation: std::time::Duration,
}

/// The `tracing` target of [`log_phase`]: `origin-audit -v` shows it (info level).
pub const PHASE_TARGET: &str = "origin_audit::phase";

/// Logs one phase of a run with its wall time, at info level on [`PHASE_TARGET`], so that `-v` shows
/// where the time of a run goes (`phase read inputs: 0.412 s (1 batch, 1 good)`). `detail` is
/// appended in brackets when not empty.
pub fn log_phase(phase: &str, took: std::time::Duration, detail: std::fmt::Arguments<'_>) {
    let detail = detail.to_string();
    let secs = took.as_secs_f64();
    if detail.is_empty() {
        tracing::info!(target: PHASE_TARGET, "phase {phase}: {secs:.3} s");
    } else {
        tracing::info!(target: PHASE_TARGET, "phase {phase}: {secs:.3} s ({detail})");
    }
}

/// Everything of a batch report but its goods and summary.
#[derive(Debug, Clone)]
pub struct ReportHead {
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
    /// Problems outside goods, located (the table prints them with their source lines).
    pub warnings: Vec<InputError>,
}

impl ReportHead {
    /// The report's `input_warnings`: each problem outside goods in its one-line form.
    pub fn input_warnings(&self) -> Vec<String> {
        self.warnings.iter().map(InputError::to_string).collect()
    }
}

/// Audits a parsed batch. CPU-bound: call it from a blocking thread. Holds every good's report in
/// memory; for large batches [`write_report_json`] streams them to a writer instead.
pub fn audit_batch(
    rules: &RuleSet,
    batch: &Batch,
    opts: &RunOptions,
    progress: &Progress,
) -> Result<BatchReport, RunError> {
    let mut goods = Vec::with_capacity(batch.good_count());
    let (head, _) = audit_batch_with(
        rules,
        batch,
        opts,
        progress,
        |g| g,
        |g| {
            goods.push(g);
            Ok(())
        },
    )?;
    Ok(batch_report(head, goods))
}

/// A batch's report from its head and its goods' reports, with the summary counted from them.
pub fn batch_report(head: ReportHead, goods: Vec<GoodReport>) -> BatchReport {
    let input_warnings = head.input_warnings();
    BatchReport {
        version: REPORT_VERSION,
        batch: head.batch,
        file: head.file,
        importing_party: head.importing_party,
        as_of: head.as_of,
        currency: head.currency,
        rule_pack: head.rule_pack,
        engine_version: env!("CARGO_PKG_VERSION"),
        input_warnings,
        summary: summarize(&goods),
        goods,
    }
}

/// Bytes to reserve for the JSON of a good with `materials` BOM lines: the usual few hundred bytes a
/// line, so the buffer is rarely regrown (a large good's buffer regrown by doubling is copied each time
/// into fresh memory the kernel must zero first).
pub fn json_capacity(materials: usize) -> usize {
    4096 + 512 * materials
}

/// What a batch's goods are audited against, computed once per batch: the date, the traced provenance
/// graph the lots' facts are read from (built and traced here, the costly part), the ids of
/// unreadable certifications and the batch's input warnings. Audit any subset of the goods with it
/// ([`audit_prepared_with`]) without building the graph again.
#[derive(Debug)]
pub struct Prepared {
    as_of: NaiveDate,
    /// The graph each lot's facts are read from (see [`crate::provenance::ProvenanceFacts`]).
    traced: Option<Arc<TracedGraph>>,
    /// Lots the BOM lines name that `traced` holds.
    lots_traced: usize,
    /// Provenance build errors, located, and the lots each touches (see [`crate::provenance::lot_facts`]).
    provenance_errors: Vec<InputError>,
    tainted: HashMap<String, Vec<usize>>,
    bad_certifications: HashSet<String>,
    warnings: Vec<InputError>,
    /// The traced graph, for the lots' pictures (`None` without provenance, or when it did not build).
    pictures: Option<Arc<TracedGraph>>,
    graph_time: std::time::Duration,
}

impl Prepared {
    /// Lots whose facts were traced (those the batch's BOM lines name), for the `-v` log.
    pub fn lots_traced(&self) -> usize {
        self.lots_traced
    }

    /// The batch's traced provenance graph, to draw the pictures of the lots its findings name (the one
    /// the facts came from: the provenance is not built again for them).
    pub fn pictures(&self) -> Option<&TracedGraph> {
        self.pictures.as_deref()
    }

    /// The report's head: known once the batch is prepared, before any good is audited, so a report can
    /// be written as its goods are audited.
    pub fn head(&self, rules: &RuleSet, batch: &Batch) -> ReportHead {
        ReportHead {
            batch: batch.header.id.clone(),
            file: batch.file.clone(),
            importing_party: batch.header.importing_party.to_string(),
            as_of: self.as_of,
            currency: batch.header.currency.to_string(),
            rule_pack: format!("{}@{}", rules.pack.id, rules.pack.version),
            warnings: self.warnings.clone(),
        }
    }
}

/// Checks the batch against the pack and builds what its audit needs (see [`Prepared`]).
pub fn prepare(rules: &RuleSet, batch: &Batch, opts: &RunOptions) -> Result<Prepared, RunError> {
    let as_of = opts.as_of.unwrap_or(batch.header.as_of);
    if let Some(want) = &batch.header.rule_pack
        && want != &rules.pack.id
        && want != &format!("{}@{}", rules.pack.id, rules.pack.version)
    {
        return Err(RunError::WrongPack {
            batch: batch.header.id.clone(),
            wanted: want.clone(),
            used: format!("{}@{}", rules.pack.id, rules.pack.version),
        });
    }
    let mut warnings: Vec<InputError> = batch.warnings.clone();
    for errs in batch.bad_certifications.values() {
        warnings.extend(errs.iter().cloned());
    }
    let started = std::time::Instant::now();
    let facts = match (&batch.provenance, &batch.provenance_graph) {
        (Some(p), _) => crate::provenance::lot_facts(rules, &batch.file, p),
        (None, Some(g)) => crate::provenance::graph_facts(rules, g.clone()),
        (None, None) => crate::provenance::ProvenanceFacts::default(),
    };
    let lots_traced = facts.traced.as_ref().map_or(0, |t| batch.lots_named().iter().filter(|l| t.holds(l)).count());
    // Never dropped: each build error is a batch warning, and blocks the goods whose lots it touches.
    warnings.extend(facts.errors.iter().cloned());
    let bad_certifications = batch.bad_certifications.keys().cloned().collect();
    Ok(Prepared {
        as_of,
        traced: facts.traced,
        lots_traced,
        provenance_errors: facts.errors,
        tainted: facts.tainted,
        bad_certifications,
        warnings,
        pictures: facts.pictures,
        graph_time: started.elapsed(),
    })
}

/// Audits a parsed batch on `opts.threads` scoped threads, in blocks of goods taken in turn. Each good's
/// report goes through `map` on the worker that audited it (serialize it there, or fold it into counts),
/// and the results reach `sink` on the calling thread in batch order; an error from `sink` stops the run.
/// Only a few blocks of results are held at any time.
pub fn audit_batch_with<T: Send>(
    rules: &RuleSet,
    batch: &Batch,
    opts: &RunOptions,
    progress: &Progress,
    map: impl Fn(GoodReport) -> T + Sync,
    sink: impl FnMut(T) -> Result<(), RunError>,
) -> Result<(ReportHead, PhaseTimes), RunError> {
    let prepared = prepare(rules, batch, opts)?;
    let all: Vec<usize> = (0..batch.good_count()).collect();
    audit_prepared_with(rules, batch, &prepared, &all, opts, progress, |_, g| map(g), sink)
}

/// [`audit_batch_with`] for the goods at `indices` of a batch already [`prepare`]d: how a stored run
/// audits a batch chunk by chunk without building its provenance graph once per chunk.
#[allow(clippy::too_many_arguments)]
pub fn audit_prepared_with<T: Send>(
    rules: &RuleSet,
    batch: &Batch,
    prepared: &Prepared,
    indices: &[usize],
    opts: &RunOptions,
    progress: &Progress,
    map: impl Fn(&GoodInput, GoodReport) -> T + Sync,
    mut sink: impl FnMut(T) -> Result<(), RunError>,
) -> Result<(ReportHead, PhaseTimes), RunError> {
    let as_of = prepared.as_of;
    let mut times = PhaseTimes { graph: prepared.graph_time, ..PhaseTimes::default() };
    let bad = &prepared.bad_certifications;
    let started = std::time::Instant::now();
    let cx = AuditContext {
        rules,
        as_of,
        certifications: &batch.certifications,
        bad_certifications: bad,
        traced: prepared.traced.as_deref(),
        has_provenance: batch.has_provenance(),
        currency: batch.header.currency,
        importing_party: batch.header.importing_party,
        exporter_country: batch.header.exporter.as_ref().and_then(|e| batch.parties.get(e)).map(|p| p.country),
        nomenclature: batch.header.nomenclature,
    };
    progress.total.fetch_add(indices.len(), Ordering::Relaxed);
    let threads =
        opts.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let blocks = indices.len().div_ceil(BLOCK);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let result: Result<(), RunError> = std::thread::scope(|s| {
        // Bounded: a worker waits when the writer is behind, so results never pile up.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<Vec<T>, RunError>)>(threads * 4);
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads.min(blocks) {
            let (tx, cx, next, stop, map) = (tx.clone(), &cx, &next, &stop, &map);
            handles.push(s.spawn(move || {
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    if b >= blocks || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let block = &indices[b * BLOCK..((b + 1) * BLOCK).min(indices.len())];
                    let mut out = Vec::with_capacity(block.len());
                    let mut res = Ok(());
                    for &i in block {
                        if progress.cancel.load(Ordering::Relaxed) {
                            res = Err(RunError::Cancelled);
                            break;
                        }
                        // Held, or read again from the file (a streamed batch): dropped once audited.
                        let g = match batch.good(i) {
                            Ok(g) => g,
                            Err(e) => {
                                res = Err(RunError::BatchChanged(e));
                                break;
                            }
                        };
                        out.push(map(&g, audit_input(cx, batch, prepared, i, &g)));
                        progress.done.fetch_add(1, Ordering::Relaxed);
                    }
                    if tx.send((b, res.map(|()| out))).is_err() {
                        return;
                    }
                }
            }));
        }
        drop(tx);
        // Blocks arrive in any order; hand them on in batch order.
        let mut pending: HashMap<usize, Vec<T>> = HashMap::new();
        let mut want = 0;
        let mut outcome = Ok(());
        for (b, res) in rx.iter() {
            if outcome.is_err() {
                continue; // drain, so that no worker stays blocked on a full channel
            }
            match res {
                Ok(items) => {
                    pending.insert(b, items);
                    while let Some(items) = pending.remove(&want) {
                        want += 1;
                        if let Err(e) = items.into_iter().try_for_each(&mut sink) {
                            outcome = Err(e);
                            break;
                        }
                    }
                }
                Err(e) => outcome = Err(e),
            }
            if outcome.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        for h in handles {
            if h.join().is_err() && outcome.is_ok() {
                outcome = Err(RunError::Internal("an audit thread panicked".into()));
            }
        }
        if outcome.is_ok() && want < blocks {
            outcome = Err(RunError::Internal("an audit thread stopped early".into()));
        }
        outcome
    });
    result?;
    times.evaluation = started.elapsed();
    Ok((prepared.head(rules, batch), times))
}

/// Audits a batch and writes its report as JSON to `w` while the goods are audited: each good is
/// serialized on the worker that audited it and dropped, so memory does not grow with the batch. The
/// report has the shape of [`BatchReport`], its top-level keys in alphabetical order (as `run --out`
/// writes them), `goods` before `summary`.
pub fn write_report_json(
    rules: &RuleSet,
    batch: &Batch,
    opts: &RunOptions,
    progress: &Progress,
    w: &mut dyn Write,
) -> Result<(Summary, PhaseTimes), RunError> {
    let io = |e: std::io::Error| RunError::Internal(format!("cannot write the report: {e}"));
    let prepared = prepare(rules, batch, opts)?;
    let head = prepared.head(rules, batch);
    let mut json = crate::sink::ReportJson::new(w, false, false).map_err(io)?;
    json.begin_batch(&head).map_err(io)?;
    let mut summary = Summary::default();
    let all: Vec<usize> = (0..batch.good_count()).collect();
    let (_, times) = audit_prepared_with(
        rules,
        batch,
        &prepared,
        &all,
        opts,
        progress,
        |_, g| {
            let mut s = Summary::default();
            s.add(&g);
            let mut buf = Vec::with_capacity(json_capacity(g.audit.determination.materials.len()));
            (serde_json::to_writer(&mut buf, &g).map(|()| buf), s)
        },
        |(bytes, s)| {
            let bytes = bytes.map_err(|e| RunError::Internal(e.to_string()))?;
            summary.merge(s);
            json.good_json(&bytes).map_err(io)
        },
    )?;
    json.end_batch(&head, &summary).map_err(io)?;
    json.finish().map_err(io)?;
    Ok((summary, times))
}

/// [`write_report_json`] to `path`, through a temporary file in the same directory and a rename: a
/// reader never sees a half-written report, and a cancelled or failed run leaves nothing behind.
pub fn write_report_file(
    rules: &RuleSet,
    batch: &Batch,
    opts: &RunOptions,
    progress: &Progress,
    path: &Path,
) -> Result<(Summary, PhaseTimes), RunError> {
    let io = |e: std::io::Error| RunError::Internal(format!("cannot write `{}`: {e}", path.display()));
    let tmp = temp_path(path);
    let file = std::fs::File::create(tmp.as_deref().unwrap_or(path)).map_err(io)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let result = write_report_json(rules, batch, opts, progress, &mut w).and_then(|r| {
        w.into_inner().map_err(|e| io(e.into_error()))?;
        finish(tmp.as_deref(), path).map_err(io)?;
        Ok(r)
    });
    if result.is_err()
        && let Some(tmp) = &tmp
    {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

/// Where to write before the rename onto `path`; `None` when `path` is not a regular file (`/dev/null`,
/// a FIFO, a terminal): renaming onto it would replace the device with a plain file, so it is written
/// in place.
pub(crate) fn temp_path(path: &Path) -> Option<PathBuf> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return None;
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("report"),
        std::process::id()
    )))
}

/// Moves the written temporary file onto `path` (nothing to do when `path` was written in place).
pub(crate) fn finish(tmp: Option<&Path>, path: &Path) -> std::io::Result<()> {
    tmp.map_or(Ok(()), |t| std::fs::rename(t, path))
}

/// The provenance errors touching the lots `good`'s BOM lines (sub-BOMs included) name, as
/// `(line, lot)` pairs and the errors, each once.
fn provenance_errors_of<'a>(prepared: &'a Prepared, good: &Good) -> (Vec<String>, Vec<&'a InputError>) {
    fn walk(
        ms: &[Arc<crate::input::Material>],
        prefix: &str,
        p: &Prepared,
        lines: &mut Vec<String>,
        ix: &mut Vec<usize>,
    ) {
        for m in ms {
            if let Some(errs) = m.lot.as_deref().and_then(|l| p.tainted.get(l)) {
                lines.push(format!("{prefix}{} (lot `{}`)", m.line, m.lot.as_deref().unwrap_or_default()));
                ix.extend(errs);
            }
            if let Some(sp) = &m.self_produced {
                walk(&sp.materials, &format!("{prefix}{}/", m.line), p, lines, ix);
            }
        }
    }
    if prepared.tainted.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let (mut lines, mut ix) = (Vec::new(), Vec::new());
    walk(&good.materials, "", prepared, &mut lines, &mut ix);
    ix.sort_unstable();
    ix.dedup();
    (lines, ix.into_iter().filter_map(|i| prepared.provenance_errors.get(i)).collect())
}

/// The report of good `i` of the batch.
fn audit_input(cx: &AuditContext<'_>, batch: &Batch, prepared: &Prepared, i: usize, g: &GoodInput) -> GoodReport {
    // Kinds not yet mapped onto the pack's vocabulary (a caller that skipped `resolve_kinds`): mapped
    // here, so an undeclared kind is an input error on every path, never a different determination.
    if let GoodInput::Ok(good) = g {
        match crate::input::canonical_good(cx.rules, batch, i, good) {
            Ok(None) => {}
            Ok(Some(c)) => return audit_input(cx, batch, prepared, i, &GoodInput::Ok(Box::new(c))),
            Err(errors) => {
                return audit_input(cx, batch, prepared, i, &GoodInput::Invalid { id: good.id.clone(), errors });
            }
        }
    }
    match g {
        GoodInput::Ok(good) => {
            let (lines, errors) = provenance_errors_of(prepared, good);
            if !errors.is_empty() {
                // The facts of these lots cannot be traced: the good is not audited on a partial graph.
                return input_error_report(
                    &good.id,
                    &good.description,
                    &good.hs.to_string(),
                    Some(lines.iter().map(|l| l.to_string()).collect()),
                    &errors,
                );
            }
            let audit = audit_good(cx, good);
            let certificate = draft(batch, good, &audit, None).ok();
            GoodReport { audit, certificate }
        }
        GoodInput::Invalid { id, errors } => input_error_report(id, "", "", None, &errors.iter().collect::<Vec<_>>()),
    }
}

/// The report of a good blocked by input errors: needs evidence, one INPUT_ERROR finding, no draft.
/// `provenance_of`: the BOM lines whose lots' provenance has errors; `None` when the good itself could
/// not be read.
fn input_error_report(
    id: &str,
    description: &str,
    hs: &str,
    provenance_of: Option<Set<String>>,
    errors: &[&InputError],
) -> GoodReport {
    let facts = Facts::InputError { provenance_of, errors: errors.iter().map(|e| InputErrorAt::from(*e)).collect() };
    let f = Finding::of(Severity::Blocking, id, facts);
    GoodReport {
        audit: GoodAudit {
            good: id.to_string(),
            description: description.to_string(),
            hs: hs.to_string(),
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

/// Counts for the summary.
pub fn summarize(goods: &[GoodReport]) -> Summary {
    let mut s = Summary::default();
    for g in goods {
        s.add(g);
    }
    s
}

impl Summary {
    /// Counts one more good.
    pub fn add(&mut self, g: &GoodReport) {
        self.goods += 1;
        match g.audit.determination.outcome {
            Outcome::Qualified => {
                self.qualified += 1;
                *self
                    .by_criterion
                    .entry(g.audit.determination.criterion.map(String::from).unwrap_or_default())
                    .or_default() += 1;
            }
            Outcome::NotQualified => self.not_qualified += 1,
            Outcome::NeedsEvidence => self.needs_evidence += 1,
        }
        for f in &g.audit.findings {
            *self.findings_by_severity.entry(f.severity.as_str()).or_default() += 1;
            *self.findings_by_code.entry(f.code.as_str()).or_default() += 1;
        }
        if g.certificate.is_some() {
            self.certificates += 1;
        }
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: Summary) {
        self.goods += other.goods;
        self.qualified += other.qualified;
        self.not_qualified += other.not_qualified;
        self.needs_evidence += other.needs_evidence;
        self.certificates += other.certificates;
        for (k, v) in other.by_criterion {
            *self.by_criterion.entry(k).or_default() += v;
        }
        for (k, v) in other.findings_by_severity {
            *self.findings_by_severity.entry(k).or_default() += v;
        }
        for (k, v) in other.findings_by_code {
            *self.findings_by_code.entry(k).or_default() += v;
        }
    }
}

/// Reads and audits every batch on blocking threads. A bad header stops the whole run before anything
/// is returned, so the caller writes nothing.
pub async fn run(
    rules: Arc<RuleSet>,
    paths: Vec<PathBuf>,
    opts: RunOptions,
    progress: Arc<Progress>,
) -> Result<Vec<BatchReport>, RunError> {
    // Read every header first: a bad header stops the run before any audit.
    let mut batches = Vec::with_capacity(paths.len());
    for p in paths {
        let set = rules.clone();
        let b = tokio::task::spawn_blocking(move || {
            load_batch(&p).map(|mut b| {
                crate::input::resolve_kinds(&mut b, &set);
                b
            })
        })
        .await
        .map_err(|e| RunError::Internal(e.to_string()))??;
        tracing::info!(batch = %b.header.id, goods = b.good_count(), "batch read");
        batches.push(b);
    }
    crate::input::check_distinct_batch_ids(&batches)?;
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

/// Writes `value` as pretty JSON to `path` through a temporary file and a rename, streamed (no string of
/// the whole report in memory): never half-written.
pub fn write_json_atomically(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(tmp.as_deref().unwrap_or(path))?);
    serde_json::to_writer_pretty(&mut w, value).map_err(std::io::Error::other)?;
    w.flush()?;
    drop(w);
    finish(tmp.as_deref(), path)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a reader
/// never sees a half-written report.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temp_path(path);
    std::fs::write(tmp.as_deref().unwrap_or(path), bytes)?;
    finish(tmp.as_deref(), path)
}
