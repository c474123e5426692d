//! The audit pipeline and its sinks. Every command that audits (the CLI's `run`, the server's upload,
//! the store's runner and its workers) builds an [`AuditJob`] from one read of its inputs and the pack
//! and runs it with [`run_job`] into a [`ResultSink`]: the store, a report file, certificate files,
//! several of them ([`Tee`]) or nothing ([`Discard`]). The engine defines the sinks and does no SQL.
//!
//! [`run_job`] audits on blocking threads while the sink writes the chunks before: a bounded channel of
//! [`CHUNKS_AHEAD`] chunks between them, so auditing and storing overlap and memory is bounded by the
//! chunk size, not the batch. Each chunk reaches the sink whole, so a sink that commits each chunk in one
//! transaction never holds a half-written good, and a killed run can be resumed: goods the sink already
//! holds ([`ResultSink::stored`]) are not audited again.

use std::collections::HashSet;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use origin_rules::RuleSet;

use crate::audit::{GoodAudit, Outcome};
use crate::certificate::{CertificateDraft, draft};
use crate::input::{Batch, GoodInput};
use crate::provenance::TracedGraph;
use crate::run::{
    GoodReport, Prepared, Progress, REPORT_VERSION, ReportHead, RunError, RunOptions, Summary, audit_prepared_with,
    finish, log_phase, prepare, temp_path, write_atomically,
};
use serde::Serialize;

/// One audited good as the sink receives it.
#[derive(Debug, Clone, Copy)]
pub struct GoodResult<'a> {
    /// The batch id.
    pub batch: &'a str,
    /// The good's report (determination, findings, certificate draft when one can be made now).
    pub report: &'a crate::run::GoodReport,
    /// For a qualified good: the certificate draft as it would read once its blocking findings are
    /// cleared by review (the same as `report.certificate` when there are none). `None` otherwise.
    pub draft_if_cleared: Option<&'a CertificateDraft>,
    /// The batch's provenance, to draw the pictures of the lots its findings name (`None` without one).
    pub pictures: Option<&'a TracedGraph>,
    /// The good's compact JSON, made at most once for all the sinks' [`Prep`]s of this good (`None`
    /// where no sink shares it: each call of [`GoodResult::compact`] then serializes the good anew).
    pub json: Option<&'a GoodJson>,
}

impl GoodResult<'_> {
    /// The good's compact JSON: serialized on first use and shared by every sink that asks for it on
    /// this good (the store keeps its determination and findings, the report writes the same bytes).
    pub fn compact(&self) -> serde_json::Result<std::borrow::Cow<'_, CompactGood>> {
        let Some(once) = self.json else { return CompactGood::of(self.report).map(std::borrow::Cow::Owned) };
        match once.0.get_or_init(|| CompactGood::of(self.report).map_err(|e| e.to_string())) {
            Ok(c) => Ok(std::borrow::Cow::Borrowed(c)),
            Err(e) => Err(<serde_json::Error as serde::ser::Error>::custom(e)),
        }
    }
}

/// Where a good's [`CompactGood`] is kept once made, for the length of its [`Prep`] calls.
#[derive(Debug, Default)]
pub struct GoodJson(std::sync::OnceLock<Result<CompactGood, String>>);

/// A good's compact JSON in the parts the sinks need: the determination and each finding, each exactly
/// as `serde_json::to_string` writes it. The report's object for the good is assembled from them
/// ([`CompactGood::write_good`]), so a good is serialized once whether it goes to the store, the report
/// file or both, and the bytes the store keeps are those the report holds.
#[derive(Debug, Clone)]
pub struct CompactGood {
    /// `serde_json::to_string(&report.audit.determination)`.
    pub determination: String,
    /// `serde_json::to_string(f)` of each finding, in order.
    pub findings: Vec<String>,
}

impl CompactGood {
    /// Serializes `report`'s determination and findings.
    pub fn of(report: &GoodReport) -> serde_json::Result<CompactGood> {
        let d = &report.audit.determination;
        let mut determination = Vec::with_capacity(crate::run::json_capacity(d.materials.len()));
        serde_json::to_writer(&mut determination, d)?;
        let determination =
            String::from_utf8(determination).map_err(<serde_json::Error as serde::ser::Error>::custom)?;
        let findings = report.audit.findings.iter().map(serde_json::to_string).collect::<Result<_, _>>()?;
        Ok(CompactGood { determination, findings })
    }

    /// Writes the good's object to `out` (a buffer, a digest) as `serde_json::to_writer` writes `report`
    /// (`GoodReport`: the audit's fields flattened, then the certificate when there is one), or
    /// `report.audit` alone (`GoodAudit`) when `certificate` is false. The destructuring fails to compile if either type
    /// gains a field; a test checks the bytes against `serde_json`.
    pub fn write_good(&self, report: &GoodReport, certificate: bool, out: &mut impl Write) -> serde_json::Result<()> {
        let GoodReport { audit, certificate: cert } = report;
        let GoodAudit { good, description, hs, determination: _, findings: _ } = audit;
        let io = serde_json::Error::io;
        out.write_all(b"{\"good\":").map_err(io)?;
        serde_json::to_writer(&mut *out, good)?;
        out.write_all(b",\"description\":").map_err(io)?;
        serde_json::to_writer(&mut *out, description)?;
        out.write_all(b",\"hs\":").map_err(io)?;
        serde_json::to_writer(&mut *out, hs)?;
        out.write_all(b",\"determination\":").map_err(io)?;
        out.write_all(self.determination.as_bytes()).map_err(io)?;
        out.write_all(b",\"findings\":[").map_err(io)?;
        for (i, f) in self.findings.iter().enumerate() {
            if i > 0 {
                out.write_all(b",").map_err(io)?;
            }
            out.write_all(f.as_bytes()).map_err(io)?;
        }
        out.write_all(b"]").map_err(io)?;
        if let Some(c) = cert.as_ref().filter(|_| certificate) {
            out.write_all(b",\"certificate\":").map_err(io)?;
            serde_json::to_writer(&mut *out, c)?;
        }
        out.write_all(b"}").map_err(io)
    }
}

/// A sink's work on one good that needs nothing of the sink's own state (serializing, digesting):
/// [`run_job`] calls it on the audit workers, in parallel, so the sink's thread only writes.
pub type Prep<R, E> = Arc<dyn Fn(&GoodResult<'_>) -> Result<R, E> + Send + Sync>;

/// A [`Prep`] with nothing to prepare.
pub fn no_prep<E>() -> Prep<(), E> {
    Arc::new(|_| Ok(()))
}

/// Where results go. Each call to [`ResultSink::write_chunk`] must be all-or-nothing. [`run_job`]
/// calls, per batch, `begin_batch`, `write_chunk` for each chunk, `end_batch`; then `finish` once, only
/// when every batch went through.
pub trait ResultSink {
    /// The sink's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// What [`ResultSink::prep`] makes of one good.
    type Row: Send + 'static;

    /// The per-good preparation, run on the audit workers before [`ResultSink::write_chunk`].
    fn prep(&self) -> Prep<Self::Row, Self::Error>;

    /// `(batch id, good id)` of every good already stored for this run (empty for a new run).
    fn stored(&mut self) -> impl Future<Output = Result<HashSet<(String, String)>, Self::Error>> + Send {
        async { Ok(HashSet::new()) }
    }

    /// A batch starts: its report's head, known before any good is audited.
    fn begin_batch(&mut self, _head: &ReportHead) -> impl Future<Output = Result<(), Self::Error>> + Send {
        async { Ok(()) }
    }

    /// Stores one chunk of audited goods, all or nothing; `rows[i]` is what [`ResultSink::prep`] made of
    /// `goods[i]`.
    fn write_chunk(
        &mut self,
        goods: &[GoodResult<'_>],
        rows: Vec<Self::Row>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// A batch's goods are all through; `summary` counts the goods audited now (not those skipped).
    fn end_batch(
        &mut self,
        _head: &ReportHead,
        _summary: &Summary,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        async { Ok(()) }
    }

    /// Every batch went through: make the output final (a report file is renamed into place).
    fn finish(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        async { Ok(()) }
    }
}

/// An audit: the batches read once, the pack they are audited under (the one whose digest a stored
/// run records), the options and the chunk size.
#[derive(Debug, Clone)]
pub struct AuditJob {
    /// The rule pack.
    pub rules: Arc<RuleSet>,
    /// The batches, in order.
    pub batches: Vec<Arc<Batch>>,
    /// Date and threads.
    pub opts: RunOptions,
    /// Goods handed to the sink at a time (one transaction of a stored run).
    pub chunk: usize,
}

impl AuditJob {
    /// A job over `batches`.
    pub fn new(rules: Arc<RuleSet>, batches: Vec<Batch>, opts: RunOptions, chunk: usize) -> AuditJob {
        AuditJob { rules, batches: batches.into_iter().map(Arc::new).collect(), opts, chunk: chunk.max(1) }
    }

    /// Goods in all batches.
    pub fn goods(&self) -> usize {
        self.batches.iter().map(|b| b.good_count()).sum()
    }

    /// Checks batch `i` against the pack and traces its provenance once (CPU-bound: on a blocking
    /// thread), keeping its traced graph for the pictures: what every chunk of its goods is audited with.
    pub async fn prepare(&self, i: usize) -> Result<PreparedBatch, RunError> {
        let batch = self.batches.get(i).cloned().ok_or_else(|| RunError::Internal(format!("no batch {i}")))?;
        let id = batch.header.id.clone();
        let started = Instant::now();
        let (rules, opts, b) = (self.rules.clone(), self.opts.clone(), batch.clone());
        let prepared = tokio::task::spawn_blocking(move || prepare(&rules, &b, &opts)).await.map_err(joined)??;
        let lots = prepared.lots_traced();
        log_phase("trace provenance", started.elapsed(), format_args!("batch {id}, {lots} lot(s) named by BOM lines"));
        let head = prepared.head(&self.rules, &batch);
        Ok(PreparedBatch { batch, prepared: Arc::new(prepared), head })
    }
}

/// A batch ready to audit in any order of chunks (see [`AuditJob::prepare`]).
#[derive(Debug, Clone)]
pub struct PreparedBatch {
    /// The batch.
    pub batch: Arc<Batch>,
    prepared: Arc<Prepared>,
    /// Its report's head.
    pub head: ReportHead,
}

/// Audited goods of one batch, as [`audit_chunk`] hands them on.
#[derive(Debug)]
pub struct AuditedChunk<R = ()> {
    /// The goods' reports, in the order asked.
    pub goods: Vec<GoodReport>,
    /// Per good, the draft it gets once its blocking findings are cleared by review.
    pub drafts: Vec<Option<CertificateDraft>>,
    /// Per good, what the sink's [`Prep`] made of it.
    pub rows: Vec<R>,
}

impl<R> AuditedChunk<R> {
    /// The goods as a sink receives them.
    pub fn results<'a>(&'a self, batch: &'a PreparedBatch) -> Vec<GoodResult<'a>> {
        self.goods
            .iter()
            .zip(&self.drafts)
            .map(|(g, d)| GoodResult {
                batch: &batch.head.batch,
                report: g,
                draft_if_cleared: d.as_ref(),
                pictures: batch.prepared.pictures(),
                json: None,
            })
            .collect()
    }
}

/// Audits the goods at `indices` of a prepared batch (CPU-bound: call it from a blocking thread); each
/// good's draft and `prep` row are made on the worker that audited it.
pub fn audit_chunk<R: Send, E: std::error::Error + Send + 'static>(
    rules: &RuleSet,
    batch: &PreparedBatch,
    indices: &[usize],
    opts: &RunOptions,
    progress: &Progress,
    prep: &(dyn Fn(&GoodResult<'_>) -> Result<R, E> + Sync),
) -> Result<AuditedChunk<R>, SinkRunError<E>> {
    let b = &batch.batch;
    let (mut goods, mut drafts, mut rows) =
        (Vec::with_capacity(indices.len()), Vec::with_capacity(indices.len()), Vec::with_capacity(indices.len()));
    let mut failed = None;
    audit_prepared_with(
        rules,
        b,
        &batch.prepared,
        indices,
        opts,
        progress,
        |input, g| {
            let draft = cleared_draft(b, input, &g.audit, g.certificate.as_ref());
            let json = GoodJson::default();
            let row = prep(&GoodResult {
                batch: &batch.head.batch,
                report: &g,
                draft_if_cleared: draft.as_ref(),
                pictures: batch.prepared.pictures(),
                json: Some(&json),
            });
            (g, draft, row)
        },
        |(g, draft, row)| {
            match row {
                Ok(r) => rows.push(r),
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
            goods.push(g);
            drafts.push(draft);
            Ok(())
        },
    )?;
    match failed {
        Some(e) => Err(SinkRunError::Sink(e)),
        None => Ok(AuditedChunk { goods, drafts, rows }),
    }
}

/// Why [`run_job`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum SinkRunError<E: std::error::Error + 'static> {
    /// The audit stopped (cancelled, wrong pack, internal error).
    #[error(transparent)]
    Run(#[from] RunError),
    /// The sink failed; the chunk being written was not stored.
    #[error("storing results: {0}")]
    Sink(#[source] E),
}

/// What [`run_job`] did: per batch its head and the counts of the goods audited now; no good's report
/// is kept (the sink has them).
#[derive(Debug, Default)]
pub struct JobDone {
    /// Per batch, in order.
    pub batches: Vec<(ReportHead, Summary)>,
    /// Goods skipped because the sink already held them.
    pub skipped: usize,
}

impl JobDone {
    /// Goods audited now, in all batches.
    pub fn audited(&self) -> usize {
        self.batches.iter().map(|(_, s)| s.goods).sum()
    }
}

/// Audited chunks that may wait for the sink: with one, the auditors stopped whenever the sink was
/// slower on a chunk and the sink whenever the auditors were, and the two overlapped on 40 of the 53 s
/// of the 100,000-good stored run (docs/performance.md section 8, sixth step). Memory grows by this many
/// chunks (a few megabytes each at the default chunk of 256 goods), still bounded by the chunk size.
pub const CHUNKS_AHEAD: usize = 4;

/// The one audit pipeline: audits every good of `job` the sink does not hold yet into `sink`, chunk
/// by chunk, the next chunks audited while the sink writes the ones before.
pub async fn run_job<S: ResultSink + Send>(
    job: &AuditJob,
    progress: Arc<Progress>,
    sink: &mut S,
) -> Result<JobDone, SinkRunError<S::Error>> {
    let stored = sink.stored().await.map_err(SinkRunError::Sink)?;
    let mut done = JobDone::default();
    for i in 0..job.batches.len() {
        let batch = job.prepare(i).await?;
        let id = batch.head.batch.clone();
        let count = batch.batch.good_count();
        let todo: Vec<usize> = (0..count)
            .filter(|&g| !stored.contains(&(id.clone(), batch.batch.good_id(g).unwrap_or_default().to_string())))
            .collect();
        done.skipped += count - todo.len();
        sink.begin_batch(&batch.head).await.map_err(SinkRunError::Sink)?;
        let started = Instant::now();
        let (tx, mut rx) =
            tokio::sync::mpsc::channel::<Result<AuditedChunk<S::Row>, SinkRunError<S::Error>>>(CHUNKS_AHEAD);
        let producer = {
            let (rules, opts, progress, batch, todo, chunk) =
                (job.rules.clone(), job.opts.clone(), progress.clone(), batch.clone(), todo.clone(), job.chunk);
            let prep = sink.prep();
            tokio::task::spawn_blocking(move || {
                let mut busy = Duration::ZERO;
                for piece in todo.chunks(chunk) {
                    let t = Instant::now();
                    let audited = audit_chunk(&rules, &batch, piece, &opts, &progress, &*prep);
                    busy += t.elapsed();
                    let failed = audited.is_err();
                    // The receiver is gone when the sink failed: stop auditing.
                    if tx.blocking_send(audited).is_err() || failed {
                        break;
                    }
                }
                busy
            })
        };
        let mut summary = Summary::default();
        let (mut store_time, mut chunks) = (Duration::ZERO, 0usize);
        let mut outcome: Result<(), SinkRunError<S::Error>> = Ok(());
        while let Some(audited) = rx.recv().await {
            let mut audited = match audited {
                Ok(a) => a,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            let t = Instant::now();
            for g in &audited.goods {
                summary.add(g);
            }
            let rows = std::mem::take(&mut audited.rows);
            if let Err(e) = sink.write_chunk(&audited.results(&batch), rows).await {
                outcome = Err(SinkRunError::Sink(e));
                break;
            }
            store_time += t.elapsed();
            chunks += 1;
        }
        drop(rx);
        let audit_time = producer.await.map_err(joined)?;
        outcome?;
        let (goods, lines) = (todo.len(), bom_lines(&batch.batch, &todo));
        log_phase("audit", audit_time, format_args!("batch {id}, {goods} good(s), {lines} BOM line(s)"));
        log_phase(
            "store results",
            store_time,
            format_args!(
                "batch {id}, {goods} good(s) in {chunks} chunk(s), overlapping the audit ({:.3} s wall)",
                started.elapsed().as_secs_f64()
            ),
        );
        sink.end_batch(&batch.head, &summary).await.map_err(SinkRunError::Sink)?;
        done.batches.push((batch.head.clone(), summary));
    }
    sink.finish().await.map_err(SinkRunError::Sink)?;
    Ok(done)
}

/// A blocking task that did not finish (it panicked: a bug).
fn joined(e: tokio::task::JoinError) -> RunError {
    RunError::Internal(e.to_string())
}

/// BOM lines of the goods at `indices` (sub-BOMs included), for the `-v` log.
fn bom_lines(batch: &Batch, indices: &[usize]) -> usize {
    indices.iter().map(|&i| batch.bom_line_count(i)).sum()
}

/// The draft a qualified good gets once its blocking findings are cleared by review.
fn cleared_draft(
    batch: &Batch,
    input: &GoodInput,
    audit: &GoodAudit,
    now: Option<&CertificateDraft>,
) -> Option<CertificateDraft> {
    if let Some(d) = now {
        return Some(d.clone());
    }
    if audit.determination.outcome != Outcome::Qualified {
        return None;
    }
    let good = match input {
        GoodInput::Ok(g) if g.id == audit.good => g,
        _ => return None,
    };
    let mut cleared = audit.clone();
    cleared.findings.retain(|f| f.severity != crate::finding::Severity::Blocking);
    draft(batch, good, &cleared, None).ok()
}

/// A sink that keeps nothing (the server's upload stores through the runner only; a dry run).
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

impl ResultSink for Discard {
    type Error = std::convert::Infallible;
    type Row = ();

    fn prep(&self) -> Prep<(), Self::Error> {
        no_prep()
    }

    async fn write_chunk(&mut self, _goods: &[GoodResult<'_>], _rows: Vec<()>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A sink's failure with its type erased, for a [`Tee`] of sinks of different kinds.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkFailure(pub Box<dyn std::error::Error + Send + Sync>);

impl SinkFailure {
    fn from<E: std::error::Error + Send + Sync + 'static>(e: E) -> SinkFailure {
        SinkFailure(Box::new(e))
    }
}

/// Two sinks fed the same chunks: the first (the store) is written first and says which goods are
/// already held; the second (report and certificate files) follows.
#[derive(Debug)]
pub struct Tee<A, B>(pub A, pub B);

impl<A: ResultSink + Send, B: ResultSink + Send> ResultSink for Tee<A, B> {
    type Error = SinkFailure;
    type Row = (A::Row, B::Row);

    fn prep(&self) -> Prep<Self::Row, SinkFailure> {
        let (a, b) = (self.0.prep(), self.1.prep());
        Arc::new(move |g| Ok((a(g).map_err(SinkFailure::from)?, b(g).map_err(SinkFailure::from)?)))
    }

    async fn stored(&mut self) -> Result<HashSet<(String, String)>, SinkFailure> {
        self.0.stored().await.map_err(SinkFailure::from)
    }

    async fn begin_batch(&mut self, head: &ReportHead) -> Result<(), SinkFailure> {
        self.0.begin_batch(head).await.map_err(SinkFailure::from)?;
        self.1.begin_batch(head).await.map_err(SinkFailure::from)
    }

    async fn write_chunk(&mut self, goods: &[GoodResult<'_>], rows: Vec<Self::Row>) -> Result<(), SinkFailure> {
        let (a, b): (Vec<A::Row>, Vec<B::Row>) = rows.into_iter().unzip();
        self.0.write_chunk(goods, a).await.map_err(SinkFailure::from)?;
        self.1.write_chunk(goods, b).await.map_err(SinkFailure::from)
    }

    async fn end_batch(&mut self, head: &ReportHead, summary: &Summary) -> Result<(), SinkFailure> {
        self.0.end_batch(head, summary).await.map_err(SinkFailure::from)?;
        self.1.end_batch(head, summary).await.map_err(SinkFailure::from)
    }

    async fn finish(&mut self) -> Result<(), SinkFailure> {
        self.0.finish().await.map_err(SinkFailure::from)?;
        self.1.finish().await.map_err(SinkFailure::from)
    }
}

impl<S: ResultSink + Send> ResultSink for Option<S> {
    type Error = S::Error;
    type Row = Option<S::Row>;

    fn prep(&self) -> Prep<Self::Row, S::Error> {
        match self {
            Some(s) => {
                let p = s.prep();
                Arc::new(move |g| p(g).map(Some))
            }
            None => Arc::new(|_| Ok(None)),
        }
    }

    async fn stored(&mut self) -> Result<HashSet<(String, String)>, S::Error> {
        match self {
            Some(s) => s.stored().await,
            None => Ok(HashSet::new()),
        }
    }

    async fn begin_batch(&mut self, head: &ReportHead) -> Result<(), S::Error> {
        match self {
            Some(s) => s.begin_batch(head).await,
            None => Ok(()),
        }
    }

    async fn write_chunk(&mut self, goods: &[GoodResult<'_>], rows: Vec<Self::Row>) -> Result<(), S::Error> {
        match self {
            Some(s) => s.write_chunk(goods, rows.into_iter().flatten().collect()).await,
            None => Ok(()),
        }
    }

    async fn end_batch(&mut self, head: &ReportHead, summary: &Summary) -> Result<(), S::Error> {
        match self {
            Some(s) => s.end_batch(head, summary).await,
            None => Ok(()),
        }
    }

    async fn finish(&mut self) -> Result<(), S::Error> {
        match self {
            Some(s) => s.finish().await,
            None => Ok(()),
        }
    }
}

/// Writes batch reports as JSON while their goods are audited: the head's keys, each good as it comes,
/// then the summary, so no report is held whole. Keys in alphabetical order, `goods` before `summary`;
/// compact, or indented like `serde_json`'s pretty printer. One batch is one object; `many` writes an
/// array of them (as `run --out` does for several batch files).
#[derive(Debug)]
pub struct ReportJson<W: Write> {
    w: W,
    pretty: bool,
    many: bool,
    batches: usize,
    goods: usize,
}

impl<W: Write> ReportJson<W> {
    /// Starts the output (`[` for `many`).
    pub fn new(mut w: W, pretty: bool, many: bool) -> io::Result<ReportJson<W>> {
        if many {
            w.write_all(b"[")?;
        }
        Ok(ReportJson { w, pretty, many, batches: 0, goods: 0 })
    }

    /// Indentation of the batch object's keys.
    fn depth(&self) -> usize {
        usize::from(self.many) + 1
    }

    fn newline(&mut self, depth: usize) -> io::Result<()> {
        if self.pretty {
            self.w.write_all(b"\n")?;
            for _ in 0..depth {
                self.w.write_all(b"  ")?;
            }
        }
        Ok(())
    }

    /// `value` at `depth`: compact, or pretty with every line after the first indented to `depth`
    /// (JSON strings hold no raw newline, so each newline of the pretty text is a line break).
    fn value(&mut self, value: &impl Serialize, depth: usize) -> io::Result<()> {
        if !self.pretty {
            return serde_json::to_writer(&mut self.w, value).map_err(io::Error::other);
        }
        let text = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
        self.indented(&text, depth)
    }

    fn indented(&mut self, text: &[u8], depth: usize) -> io::Result<()> {
        for (n, line) in text.split(|&b| b == b'\n').enumerate() {
            if n > 0 {
                self.newline(depth)?;
            }
            self.w.write_all(line)?;
        }
        Ok(())
    }

    fn key(&mut self, key: &str, first: bool) -> io::Result<()> {
        if !first {
            self.w.write_all(b",")?;
        }
        let depth = self.depth();
        self.newline(depth)?;
        serde_json::to_writer(&mut self.w, key).map_err(io::Error::other)?;
        self.w.write_all(if self.pretty { b": " } else { b":" })
    }

    /// Opens a batch's object and its `goods` array.
    pub fn begin_batch(&mut self, head: &ReportHead) -> io::Result<()> {
        if self.batches > 0 {
            self.w.write_all(b",")?;
        }
        if self.many {
            self.newline(1)?;
        }
        self.batches += 1;
        self.goods = 0;
        self.w.write_all(b"{")?;
        let depth = self.depth();
        self.key("as_of", true)?;
        self.value(&head.as_of, depth)?;
        self.key("batch", false)?;
        self.value(&head.batch, depth)?;
        self.key("currency", false)?;
        self.value(&head.currency, depth)?;
        self.key("engine_version", false)?;
        self.value(&env!("CARGO_PKG_VERSION"), depth)?;
        self.key("file", false)?;
        self.value(&head.file, depth)?;
        self.key("goods", false)?;
        self.w.write_all(b"[")
    }

    /// One good of the open batch.
    pub fn good(&mut self, good: &GoodReport) -> io::Result<()> {
        self.separate_good()?;
        let depth = self.depth() + 1;
        self.value(good, depth)
    }

    /// One good serialized by [`ReportJson::serialize_good`] with the same `pretty` (on an audit worker).
    pub fn good_made(&mut self, json: &[u8]) -> io::Result<()> {
        self.separate_good()?;
        if self.pretty {
            let depth = self.depth() + 1;
            return self.indented(json, depth);
        }
        self.w.write_all(json)
    }

    /// A good's JSON as [`ReportJson::good_made`] writes it: compact (from the good's shared
    /// [`CompactGood`]), or pretty before indentation.
    pub fn serialize_good(good: &GoodResult<'_>, pretty: bool) -> io::Result<Vec<u8>> {
        let mut json = Vec::with_capacity(crate::run::json_capacity(good.report.audit.determination.materials.len()));
        let written = if pretty {
            serde_json::to_writer_pretty(&mut json, good.report)
        } else {
            good.compact().and_then(|c| c.write_good(good.report, true, &mut json))
        };
        written.map(|()| json).map_err(io::Error::other)
    }

    /// One good already serialized compactly (the engine-only path serializes on the audit workers).
    pub fn good_json(&mut self, json: &[u8]) -> io::Result<()> {
        self.separate_good()?;
        if self.pretty {
            let v: serde_json::Value = serde_json::from_slice(json).map_err(io::Error::other)?;
            let depth = self.depth() + 1;
            return self.value(&v, depth);
        }
        self.w.write_all(json)
    }

    fn separate_good(&mut self) -> io::Result<()> {
        if self.goods > 0 {
            self.w.write_all(b",")?;
        }
        self.goods += 1;
        let depth = self.depth() + 1;
        self.newline(depth)
    }

    /// Closes the `goods` array and writes the keys that follow it, `summary` among them.
    pub fn end_batch(&mut self, head: &ReportHead, summary: &Summary) -> io::Result<()> {
        let depth = self.depth();
        if self.goods > 0 {
            self.newline(depth)?;
        }
        self.w.write_all(b"]")?;
        self.key("importing_party", false)?;
        self.value(&head.importing_party, depth)?;
        // As in `BatchReport`: no warnings, no key.
        let warnings = head.input_warnings();
        if !warnings.is_empty() {
            self.key("input_warnings", false)?;
            self.value(&warnings, depth)?;
        }
        self.key("rule_pack", false)?;
        self.value(&head.rule_pack, depth)?;
        self.key("summary", false)?;
        self.value(summary, depth)?;
        self.key("version", false)?;
        self.value(&REPORT_VERSION, depth)?;
        self.newline(depth - 1)?;
        self.w.write_all(b"}")
    }

    /// Closes the array (for `many`), ends with a newline, flushes; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.many {
            if self.batches > 0 {
                self.newline(0)?;
            }
            self.w.write_all(b"]")?;
        }
        self.w.write_all(b"\n")?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// A file written through a temporary file in its directory and renamed into place by
/// [`AtomicFile::commit`]; dropped uncommitted, the temporary file is removed, so a failed or cancelled
/// run never leaves a half-written report. A path that is not a regular file (`/dev/null`, a FIFO) is
/// written in place.
#[derive(Debug)]
pub struct AtomicFile {
    w: Option<io::BufWriter<std::fs::File>>,
    tmp: Option<PathBuf>,
    path: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file (and the directory of `path` when missing).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = temp_path(path);
        let file = std::fs::File::create(tmp.as_deref().unwrap_or(path))
            .map_err(|e| io::Error::new(e.kind(), format!("cannot write `{}`: {e}", path.display())))?;
        Ok(AtomicFile { w: Some(io::BufWriter::with_capacity(1 << 20, file)), tmp, path: path.to_path_buf() })
    }

    /// Flushes and renames the file into place.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(w) = self.w.take() {
            w.into_inner().map_err(io::IntoInnerError::into_error)?;
        }
        finish(self.tmp.take().as_deref(), &self.path)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.as_mut().ok_or_else(|| io::Error::other("the file is closed"))?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            drop(self.w.take());
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// The report, streamed as JSON to a file (renamed into place at the end) or to any writer.
#[derive(Debug)]
pub struct ReportSink<W: Write> {
    json: Option<ReportJson<W>>,
    pretty: bool,
}

impl ReportSink<AtomicFile> {
    /// The report of `batches` batch files into `path` (an array when there are several).
    pub fn file(path: &Path, pretty: bool, batches: usize) -> io::Result<ReportSink<AtomicFile>> {
        Ok(ReportSink { json: Some(ReportJson::new(AtomicFile::create(path)?, pretty, batches > 1)?), pretty })
    }
}

impl<W: Write> ReportSink<W> {
    /// The report into `w` (stdout).
    pub fn writer(w: W, pretty: bool, batches: usize) -> io::Result<ReportSink<W>> {
        Ok(ReportSink { json: Some(ReportJson::new(w, pretty, batches > 1)?), pretty })
    }

    fn json(&mut self) -> io::Result<&mut ReportJson<W>> {
        self.json.as_mut().ok_or_else(|| io::Error::other("the report is already finished"))
    }

    /// Ends the report; returns the writer (to commit a file).
    pub fn into_inner(mut self) -> io::Result<W> {
        self.json.take().ok_or_else(|| io::Error::other("the report is already finished"))?.finish()
    }
}

impl<W: Write + Send> ResultSink for ReportSink<W> {
    type Error = io::Error;
    /// The good's JSON, serialized on the audit worker.
    type Row = Vec<u8>;

    fn prep(&self) -> Prep<Vec<u8>, io::Error> {
        let pretty = self.pretty;
        Arc::new(move |g| ReportJson::<W>::serialize_good(g, pretty))
    }

    async fn begin_batch(&mut self, head: &ReportHead) -> io::Result<()> {
        self.json()?.begin_batch(head)
    }

    async fn write_chunk(&mut self, _goods: &[GoodResult<'_>], rows: Vec<Vec<u8>>) -> io::Result<()> {
        let json = self.json()?;
        rows.iter().try_for_each(|r| json.good_made(r))
    }

    async fn end_batch(&mut self, head: &ReportHead, summary: &Summary) -> io::Result<()> {
        self.json()?.end_batch(head, summary)
    }
}

/// Each certificate draft written as it is made: `GOOD.md` (to read and sign) and `GOOD.json`, each
/// through a temporary file and a rename.
#[derive(Debug)]
pub struct CertificateFiles {
    dir: PathBuf,
    /// Drafts written.
    pub written: usize,
}

impl CertificateFiles {
    /// Into `dir` (created).
    pub fn new(dir: &Path) -> io::Result<CertificateFiles> {
        std::fs::create_dir_all(dir)?;
        Ok(CertificateFiles { dir: dir.to_path_buf(), written: 0 })
    }
}

impl ResultSink for CertificateFiles {
    type Error = io::Error;
    /// The draft's file name, Markdown and JSON, rendered on the audit worker.
    type Row = Option<(String, String, Vec<u8>)>;

    fn prep(&self) -> Prep<Self::Row, io::Error> {
        Arc::new(|g| {
            let Some(c) = &g.report.certificate else { return Ok(None) };
            let json = serde_json::to_vec_pretty(c).map_err(io::Error::other)?;
            Ok(Some((file_name(&g.report.audit.good), crate::certificate::markdown(c), json)))
        })
    }

    async fn write_chunk(&mut self, _goods: &[GoodResult<'_>], rows: Vec<Self::Row>) -> io::Result<()> {
        for (name, markdown, json) in rows.into_iter().flatten() {
            write_atomically(&self.dir.join(format!("{name}.md")), markdown.as_bytes())?;
            write_atomically(&self.dir.join(format!("{name}.json")), &json)?;
            self.written += 1;
        }
        Ok(())
    }
}

/// A file name from a good id: letters, digits, `-`, `_` and `.` kept, anything else `_`.
pub fn file_name(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

impl<S: ResultSink + Send> ResultSink for &mut S {
    type Error = S::Error;
    type Row = S::Row;

    fn prep(&self) -> Prep<S::Row, S::Error> {
        (**self).prep()
    }

    fn stored(&mut self) -> impl Future<Output = Result<HashSet<(String, String)>, S::Error>> + Send {
        (**self).stored()
    }

    fn begin_batch(&mut self, head: &ReportHead) -> impl Future<Output = Result<(), S::Error>> + Send {
        (**self).begin_batch(head)
    }

    fn write_chunk(
        &mut self,
        goods: &[GoodResult<'_>],
        rows: Vec<S::Row>,
    ) -> impl Future<Output = Result<(), S::Error>> + Send {
        (**self).write_chunk(goods, rows)
    }

    fn end_batch(&mut self, head: &ReportHead, summary: &Summary) -> impl Future<Output = Result<(), S::Error>> + Send {
        (**self).end_batch(head, summary)
    }

    fn finish(&mut self) -> impl Future<Output = Result<(), S::Error>> + Send {
        (**self).finish()
    }
}
