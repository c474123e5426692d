//! The result sink: where a run's results go as they are produced, chunk by chunk. The store crate
//! implements it on SQLite and PostgreSQL; the engine defines it and does no SQL.
//!
//! [`run_into`] audits batches in chunks of goods and hands every chunk to the sink before auditing the
//! next, so a sink that commits each chunk in one transaction never holds a half-written good, and a
//! killed run can be resumed: goods the sink already holds ([`ResultSink::stored`]) are not audited
//! again.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use origin_rules::RuleSet;

use crate::audit::{GoodAudit, Outcome};
use crate::certificate::{CertificateDraft, draft};
use crate::input::{Batch, GoodInput};
use crate::provenance::Pictures;
use crate::run::{
    BatchReport, Prepared, Progress, RunError, RunOptions, audit_prepared_with, batch_report, log_phase, prepare,
    summarize,
};

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
    pub pictures: Option<&'a Pictures>,
}

/// Where results go. Each call to [`ResultSink::write_chunk`] must be all-or-nothing.
pub trait ResultSink {
    /// The sink's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// `(batch id, good id)` of every good already stored for this run (empty for a new run).
    fn stored(&mut self) -> impl Future<Output = Result<HashSet<(String, String)>, Self::Error>> + Send;

    /// Stores one chunk of audited goods, all or nothing.
    fn write_chunk(&mut self, goods: &[GoodResult<'_>]) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Why [`run_into`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum SinkRunError<E: std::error::Error + 'static> {
    /// The audit stopped (cancelled, wrong pack, internal error).
    #[error(transparent)]
    Run(#[from] RunError),
    /// The sink failed; the chunk being written was not stored.
    #[error("storing results: {0}")]
    Sink(#[source] E),
}

/// What [`run_into`] did.
#[derive(Debug)]
pub struct SinkRun {
    /// The reports of the goods audited now (goods already stored are not in them).
    pub reports: Vec<BatchReport>,
    /// Goods skipped because the sink already held them.
    pub skipped: usize,
}

/// Audits `batches` into `sink`, `chunk` goods at a time, skipping goods the sink already holds.
pub async fn run_into<S: ResultSink + Send>(
    rules: Arc<RuleSet>,
    batches: Vec<Batch>,
    opts: RunOptions,
    progress: Arc<Progress>,
    sink: &mut S,
    chunk: usize,
) -> Result<SinkRun, SinkRunError<S::Error>> {
    let stored = sink.stored().await.map_err(SinkRunError::Sink)?;
    let mut skipped = 0;
    let mut reports = Vec::with_capacity(batches.len());
    for batch in batches {
        let batch = Arc::new(batch);
        // The provenance graph is built and traced once per batch, not once per chunk.
        let started = Instant::now();
        let prepared = {
            let (rules, opts, batch) = (rules.clone(), opts.clone(), batch.clone());
            tokio::task::spawn_blocking(move || prepare(&rules, &batch, &opts))
                .await
                .map_err(|e| RunError::Internal(e.to_string()))??
        };
        let prepared = Arc::new(prepared);
        let id = &batch.header.id;
        let lots = prepared.lots_traced();
        log_phase("trace provenance", started.elapsed(), format_args!("batch {id}, {lots} lot(s) named by BOM lines"));
        let pictures = match &batch.provenance {
            Some(_) => {
                let started = Instant::now();
                let (rules, batch) = (rules.clone(), batch.clone());
                let p = tokio::task::spawn_blocking(move || {
                    batch.provenance.as_ref().and_then(|p| Pictures::build(&rules, p))
                })
                .await
                .map_err(|e| RunError::Internal(e.to_string()))?;
                log_phase("draw provenance", started.elapsed(), format_args!("batch {id}"));
                p
            }
            None => None,
        };
        let todo: Vec<usize> = (0..batch.goods.len())
            .filter(|&i| !stored.contains(&(batch.header.id.clone(), batch.goods[i].id().to_string())))
            .collect();
        skipped += batch.goods.len() - todo.len();
        let mut whole: Option<BatchReport> = None;
        let pieces: Vec<Vec<usize>> =
            if todo.is_empty() { vec![Vec::new()] } else { todo.chunks(chunk.max(1)).map(<[usize]>::to_vec).collect() };
        // Audit and store alternate chunk by chunk: each phase's time is summed over the chunks.
        let (mut audit_time, mut store_time, chunks) = (Duration::ZERO, Duration::ZERO, pieces.len());
        for piece in pieces {
            let (rules, opts, progress, batch, prepared) =
                (rules.clone(), opts.clone(), progress.clone(), batch.clone(), prepared.clone());
            let started = Instant::now();
            let (report, drafts) =
                tokio::task::spawn_blocking(move || audit_goods(&rules, &batch, &prepared, &piece, &opts, &progress))
                    .await
                    .map_err(|e| RunError::Internal(e.to_string()))??;
            audit_time += started.elapsed();
            let started = Instant::now();
            let results: Vec<GoodResult<'_>> = report
                .goods
                .iter()
                .zip(&drafts)
                .map(|(g, d)| GoodResult {
                    batch: &report.batch,
                    report: g,
                    draft_if_cleared: d.as_ref(),
                    pictures: pictures.as_ref(),
                })
                .collect();
            if !results.is_empty() {
                sink.write_chunk(&results).await.map_err(SinkRunError::Sink)?;
            }
            store_time += started.elapsed();
            match &mut whole {
                None => whole = Some(report),
                Some(w) => w.goods.extend(report.goods),
            }
        }
        let (goods, lines) = (todo.len(), bom_lines(&batch, &todo));
        log_phase("audit", audit_time, format_args!("batch {id}, {goods} good(s), {lines} BOM line(s)"));
        log_phase("store results", store_time, format_args!("batch {id}, {goods} good(s) in {chunks} chunk(s)"));
        if let Some(mut w) = whole {
            w.summary = summarize(&w.goods);
            reports.push(w);
        }
    }
    Ok(SinkRun { reports, skipped })
}

/// BOM lines of the goods at `indices` (sub-BOMs included), for the `-v` log.
fn bom_lines(batch: &Batch, indices: &[usize]) -> usize {
    fn count(ms: &[Arc<crate::input::Material>]) -> usize {
        ms.iter().map(|m| 1 + m.self_produced.as_ref().map_or(0, |s| count(&s.materials))).sum()
    }
    indices
        .iter()
        .filter_map(|&i| match batch.goods.get(i) {
            Some(GoodInput::Ok(g)) => Some(count(&g.materials)),
            _ => None,
        })
        .sum()
}

/// Audits the goods at `indices` of a [`prepare`]d `batch` (CPU-bound: call it from a blocking thread).
/// Returns the report of those goods and, per good, the draft it gets once its blocking findings are
/// cleared.
pub fn audit_goods(
    rules: &RuleSet,
    batch: &Batch,
    prepared: &Prepared,
    indices: &[usize],
    opts: &RunOptions,
    progress: &Progress,
) -> Result<(BatchReport, Vec<Option<CertificateDraft>>), RunError> {
    let mut goods = Vec::with_capacity(indices.len());
    let (head, _) = audit_prepared_with(
        rules,
        batch,
        prepared,
        indices,
        opts,
        progress,
        |g| g,
        |g| {
            goods.push(g);
            Ok(())
        },
    )?;
    // One report per index, in the order of `indices`.
    let drafts = goods
        .iter()
        .zip(indices)
        .map(|(g, &i)| cleared_draft(batch, batch.goods.get(i), &g.audit, g.certificate.as_ref()))
        .collect();
    Ok((batch_report(head, goods), drafts))
}

/// The draft a qualified good gets once its blocking findings are cleared by review.
fn cleared_draft(
    batch: &Batch,
    input: Option<&GoodInput>,
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
        Some(GoodInput::Ok(g)) if g.id == audit.good => g,
        _ => return None,
    };
    let mut cleared = audit.clone();
    cleared.findings.retain(|f| f.severity != crate::finding::Severity::Blocking);
    draft(batch, good, &cleared, None).ok()
}
