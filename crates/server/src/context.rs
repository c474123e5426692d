//! A stored run's batches read back from the store (the exact bytes the run used), for what the report
//! does not repeat: each BOM line's supplier and lot (the queue's supplier filter) and the provenance
//! graph with its trace (the finding page's picture). Built once per run on first use and kept.

use std::collections::HashMap;
use std::sync::Arc;

use origin_engine::input::{GoodInput, load_batch};
use origin_graph::{LotIx, ProvenanceGraph, Trace, render};

use crate::AppState;
use crate::error::AppError;

/// How many runs' contexts are kept at once.
const CACHED_RUNS: usize = 8;

/// What the pages need of one BOM line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInfo {
    /// Supplier as the batch names it.
    pub supplier: Option<String>,
    /// The provenance lot the line draws from.
    pub lot: Option<String>,
}

/// One batch's provenance, traced under the pack's policy.
#[derive(Debug)]
pub struct Provenance {
    graph: ProvenanceGraph,
    trace: Trace,
}

/// A stored run's inputs, as the pages need them.
#[derive(Debug, Default)]
pub struct RunContext {
    /// (batch id, good id) -> BOM line id -> what we know of it.
    lines: HashMap<(String, String), HashMap<String, LineInfo>>,
    /// batch id -> its provenance, when it has a valid one.
    provenance: HashMap<String, Provenance>,
}

impl RunContext {
    /// A good's BOM lines.
    pub fn lines(&self, batch: &str, good: &str) -> Option<&HashMap<String, LineInfo>> {
        self.lines.get(&(batch.to_string(), good.to_string()))
    }

    /// The suppliers of the given lines of a good, deduplicated, in line order given.
    pub fn suppliers<'a>(&'a self, batch: &str, good: &str, lines: &[String]) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        if let Some(map) = self.lines(batch, good) {
            for l in lines {
                if let Some(s) = map.get(l).and_then(|i| i.supplier.as_deref())
                    && !out.contains(&s)
                {
                    out.push(s);
                }
            }
        }
        out
    }

    /// Every supplier of a good.
    pub fn all_suppliers<'a>(&'a self, batch: &str, good: &str) -> Vec<&'a str> {
        let mut out: Vec<&str> = self
            .lines(batch, good)
            .map(|m| m.values().filter_map(|i| i.supplier.as_deref()).collect())
            .unwrap_or_default();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The SVG of the provenance paths of the lots the given lines draw from, with the suspicious path
    /// highlighted; `None` when none of them names a lot in the batch's provenance.
    pub fn provenance_svg(&self, batch: &str, good: &str, lines: &[String]) -> Option<(String, Vec<String>, bool)> {
        let p = self.provenance.get(batch)?;
        let map = self.lines(batch, good)?;
        let mut lots: Vec<LotIx> = Vec::new();
        let mut names = Vec::new();
        for l in lines {
            if let Some(lot) = map.get(l).and_then(|i| i.lot.as_deref())
                && let Some(ix) = p.graph.lot(lot)
                && !lots.contains(&ix)
            {
                lots.push(ix);
                names.push(lot.to_string());
            }
        }
        if lots.is_empty() {
            return None;
        }
        let laundering = lots.iter().any(|&l| p.trace.laundering_suspected(l));
        Some((render::svg(&p.graph, &p.trace, &lots), names, laundering))
    }
}

/// The context of a run, from the cache or read back from the store.
pub async fn run_context(state: &AppState, run: &str) -> Result<Arc<RunContext>, AppError> {
    if let Some(c) = state.inner.contexts.lock().map_err(AppError::internal)?.get(run) {
        return Ok(c.clone());
    }
    let dir = tempfile::tempdir().map_err(AppError::internal)?;
    let batches = origin_store::restore_inputs(state.store(), run, dir.path()).await?;
    let rules = state.rules().clone();
    let ctx = tokio::task::spawn_blocking(move || {
        let (policy, corridors) = origin_engine::provenance::policies(&rules);
        let mut ctx = RunContext::default();
        for path in &batches {
            // A batch that no longer reads (it did when the run stored it) just contributes nothing.
            let Ok(batch) = load_batch(path) else { continue };
            for g in &batch.goods {
                if let GoodInput::Ok(good) = g {
                    let lines = good
                        .materials
                        .iter()
                        .map(|m| {
                            let info = LineInfo {
                                supplier: m.supplier.as_deref().map(str::to_string),
                                lot: m.lot.as_deref().map(str::to_string),
                            };
                            ((*m.line).to_string(), info)
                        })
                        .collect();
                    ctx.lines.insert((batch.header.id.clone(), good.id.clone()), lines);
                }
            }
            if let Some(input) = &batch.provenance
                && let Ok(graph) = ProvenanceGraph::build(input)
            {
                let trace = Trace::run(&graph, &policy, &corridors);
                ctx.provenance.insert(batch.header.id.clone(), Provenance { graph, trace });
            }
        }
        drop(dir);
        ctx
    })
    .await
    .map_err(AppError::internal)?;
    let ctx = Arc::new(ctx);
    let mut cache = state.inner.contexts.lock().map_err(AppError::internal)?;
    // A large run's batches take memory: keep a few runs, dropping the others (rebuilt when asked).
    if cache.len() >= CACHED_RUNS {
        cache.clear();
    }
    cache.insert(run.to_string(), ctx.clone());
    Ok(ctx)
}
