//! From the rule pack's policy to the graph's plain-data policy, and from a batch's provenance events to
//! the per-lot facts the audit reads. The `rules` and `graph` crates never depend on each other; this
//! is where they meet.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use origin_graph::{
    BuildError, BuildErrorKind, Corridor, CorridorPolicy, Operation, ProvenanceGraph, ProvenanceInput, Trace,
    TransformationPolicy,
};
use origin_rules::RuleSet;
use origin_rules::locate::PathIndex;

use crate::audit::LotFacts;
use crate::input::InputError;

/// Parses an operation name of the rule pack into the graph's vocabulary.
pub fn operation(name: &str) -> Option<Operation> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// The graph's transformation and corridor policies from the rule pack.
pub fn policies(rules: &RuleSet) -> (TransformationPolicy, CorridorPolicy) {
    let p = &rules.transformation_policy;
    // Art. 4.18 operations that are transformations in the graph's vocabulary; unloading, reloading,
    // storing and transport are shipments, not transformations.
    let transit_permitted = rules
        .general
        .transit
        .as_ref()
        .map(|t| {
            t.allowed_operations
                .iter()
                .filter_map(|o| match o.as_str() {
                    x if x.starts_with("labelling") => Some(Operation::Labelling),
                    "separation-from-bulk" => Some(Operation::Splitting),
                    other => operation(other),
                })
                .collect()
        })
        .unwrap_or_default();
    let policy = TransformationPolicy {
        non_conferring: p.non_conferring_operations.iter().filter_map(|o| operation(o)).collect(),
        transit_permitted,
        min_tariff_shift: Some(p.min_tariff_shift),
        min_value_added: Some(p.min_value_added),
        min_dwell_days: Some(p.min_dwell_days),
    };
    let corridors = CorridorPolicy {
        corridors: p.corridors.iter().map(|c| Corridor { name: c.id.clone(), legs: c.path.clone() }).collect(),
    };
    (policy, corridors)
}

/// What a batch's provenance gives its audit: the traced graph the lots' facts are read from, and every
/// build error, located in the batch file, with the lots each one touches.
#[derive(Debug, Default)]
pub struct ProvenanceFacts {
    /// The graph the audit reads each lot's facts from: the batch's, or, when it has errors, the one
    /// built without the records at fault and the lots they touch (`None` when none builds).
    pub traced: Option<Arc<TracedGraph>>,
    /// Build errors, located (`provenance.shipments[3]`, ...).
    pub errors: Vec<InputError>,
    /// The lots whose provenance an error puts in doubt (the lots it names and every lot made from
    /// them), with the indexes into `errors` of the errors that touch each.
    pub tainted: HashMap<String, Vec<usize>>,
    /// `traced` when it is the batch's whole graph (no error): the lots' pictures are drawn from it.
    pub pictures: Option<Arc<TracedGraph>>,
}

/// Rounds of pruning tried before every lot is treated as touched (each round removes the records of
/// the errors found; a round finds new errors only where removing records exposed them).
const PRUNE_ROUNDS: usize = 4;

/// Every build error of a batch's provenance, located in `file` (for `batch check`).
pub fn check(file: &Path, input: &ProvenanceInput) -> Vec<InputError> {
    check_in(file, input, "provenance.")
}

/// [`check`] for provenance read from `file` under `prefix`: `provenance.` in a batch file, nothing in a
/// provenance file of its own (`trace`).
pub fn check_in(file: &Path, input: &ProvenanceInput, prefix: &str) -> Vec<InputError> {
    match ProvenanceGraph::build(input) {
        Ok(_) => Vec::new(),
        Err(e) => locate(file, input, &e.0, prefix),
    }
}

/// Builds and traces the provenance of a batch. A build error is never dropped: it is returned located, the lots it touches are marked (the
/// goods using them are blocked by the caller), and the graph is built again without the records at
/// fault and the lots they touch, so the other goods are audited with the provenance that holds.
pub fn lot_facts(rules: &RuleSet, file: &Path, input: &ProvenanceInput) -> ProvenanceFacts {
    let mut out = ProvenanceFacts::default();
    let mut current = std::borrow::Cow::Borrowed(input);
    for round in 0..=PRUNE_ROUNDS {
        let errors = match ProvenanceGraph::build(&current) {
            Ok(graph) => {
                let traced = Arc::new(TracedGraph::new(rules, Arc::new(graph)));
                // A pruned graph is not the batch's: its lots get no picture.
                if round == 0 {
                    out.pictures = Some(traced.clone());
                }
                out.traced = Some(traced);
                return out;
            }
            Err(e) => e.0,
        };
        let first = out.errors.len();
        // Paths of a pruned round index the pruned lists: located in the file by the original records.
        let in_file: Vec<BuildError> = errors
            .iter()
            .map(|e| BuildError { path: e.path.as_deref().map(|p| original_path(input, &current, p)), ..e.clone() })
            .collect();
        out.errors.extend(locate(file, input, &in_file, "provenance."));
        let touched = touched_lots(input, &current, &errors);
        for (k, lots) in touched.into_iter().enumerate() {
            for lot in lots {
                out.tainted.entry(lot).or_default().push(first + k);
            }
        }
        if round == PRUNE_ROUNDS {
            break;
        }
        current = std::borrow::Cow::Owned(prune(&current, &errors, &out.tainted));
    }
    // Still not buildable: every lot is in doubt.
    let all: Vec<usize> = (0..out.errors.len()).collect();
    for l in &input.lots {
        out.tainted.entry(l.id.clone()).or_insert_with(|| all.clone());
    }
    out
}

/// [`lot_facts`] of provenance already built into a graph as the batch was read (a streamed read keeps
/// the graph, not the records; a provenance that does not build is read whole instead, for
/// [`lot_facts`] to locate and prune its errors).
pub fn graph_facts(rules: &RuleSet, graph: Arc<ProvenanceGraph>) -> ProvenanceFacts {
    let traced = Arc::new(TracedGraph::new(rules, graph));
    ProvenanceFacts { traced: Some(traced.clone()), pictures: Some(traced), ..ProvenanceFacts::default() }
}

/// `path` (such as `shipments[2].lot`, an index into `current`) as an index into `original`, by the id
/// of the record (the first record with that id).
fn original_path(original: &ProvenanceInput, current: &ProvenanceInput, path: &str) -> String {
    let find = |list: &str, ids: Vec<&str>, of: Vec<&str>| -> Option<String> {
        let k = index_in(Some(path), list)?;
        let id = ids.get(k)?;
        let k0 = of.iter().position(|x| x == id)?;
        let rest = path.strip_prefix(&format!("{list}[{k}]"))?;
        Some(format!("{list}[{k0}]{rest}"))
    };
    let ids = |p: &ProvenanceInput, list: &str| -> Vec<String> {
        match list {
            "sites" => p.sites.iter().map(|x| x.id.clone()).collect(),
            "lots" => p.lots.iter().map(|x| x.id.clone()).collect(),
            "shipments" => p.shipments.iter().map(|x| x.id.clone()).collect(),
            _ => p.transformations.iter().map(|x| x.id.clone()).collect(),
        }
    };
    for list in ["sites", "lots", "shipments", "transformations"] {
        if index_in(Some(path), list).is_some() {
            let (a, b) = (ids(current, list), ids(original, list));
            let found = find(list, a.iter().map(String::as_str).collect(), b.iter().map(String::as_str).collect());
            return found.unwrap_or_else(|| path.to_string());
        }
    }
    path.to_string()
}

/// The record a located error points at, as a path under `provenance`: its own path, else the first
/// record its ids name (a transformation or shipment before a lot before a site).
fn record_path(input: &ProvenanceInput, e: &BuildError, prefix: &str) -> String {
    if let Some(p) = &e.path {
        return format!("{prefix}{p}");
    }
    for id in &e.ids {
        if let Some(k) = input.transformations.iter().position(|t| &t.id == id) {
            return format!("{prefix}transformations[{k}]");
        }
        if let Some(k) = input.shipments.iter().position(|t| &t.id == id) {
            return format!("{prefix}shipments[{k}]");
        }
    }
    for id in &e.ids {
        if let Some(k) = input.lots.iter().position(|t| &t.id == id) {
            return format!("{prefix}lots[{k}]");
        }
        if let Some(k) = input.sites.iter().position(|t| &t.id == id) {
            return format!("{prefix}sites[{k}]");
        }
    }
    prefix.trim_end_matches('.').to_string()
}

/// Build errors as input errors: file, line (when the file can be read again) and field.
fn locate(file: &Path, input: &ProvenanceInput, errors: &[BuildError], prefix: &str) -> Vec<InputError> {
    let index = std::fs::read_to_string(file).ok().and_then(|t| PathIndex::build(&t).ok());
    errors
        .iter()
        .map(|e| {
            let field = record_path(input, e, prefix);
            let pos = index.as_ref().and_then(|ix| ix.find(&field));
            InputError {
                code: e.kind.code(),
                file: file.to_path_buf(),
                line: pos.map(|p| p.line),
                column: pos.map(|p| p.column),
                message: format!("provenance: {}", e.message),
                help: e.help.clone(),
                field,
            }
        })
        .collect()
}

/// The record index in a path such as `shipments[3].lot`, for `list`.
fn index_in(path: Option<&str>, list: &str) -> Option<usize> {
    let rest = path?.strip_prefix(list)?.strip_prefix('[')?;
    rest.split(']').next()?.parse().ok()
}

/// For each error, the lots of `original` it touches: the lots it names or whose records are at fault
/// (records of `current`, the input of this round), and every lot made from those.
fn touched_lots(original: &ProvenanceInput, current: &ProvenanceInput, errors: &[BuildError]) -> Vec<Vec<String>> {
    let lot_ids: HashSet<&str> = original.lots.iter().map(|l| l.id.as_str()).collect();
    // Lot -> the lots made from it.
    let mut made_from: HashMap<&str, Vec<&str>> = HashMap::new();
    for t in &original.transformations {
        for i in &t.inputs {
            made_from.entry(i.lot.as_str()).or_default().push(t.output.as_str());
        }
    }
    errors
        .iter()
        .map(|e| {
            let mut seeds: Vec<&str> = Vec::new();
            let path = e.path.as_deref();
            for id in &e.ids {
                if lot_ids.contains(id.as_str()) {
                    seeds.push(id);
                }
                for s in current.shipments.iter().filter(|s| &s.id == id) {
                    seeds.push(&s.lot);
                }
                // A faulty transformation puts its output in doubt (its inputs' own history is not).
                for t in current.transformations.iter().filter(|t| &t.id == id) {
                    seeds.push(&t.output);
                }
                // A site id used twice: what happened at "that" site is in doubt.
                if e.kind == BuildErrorKind::DuplicateId && current.sites.iter().any(|s| &s.id == id) {
                    seeds.extend(current.lots.iter().filter(|l| &l.site == id).map(|l| l.id.as_str()));
                    seeds.extend(
                        current.shipments.iter().filter(|s| &s.from == id || &s.to == id).map(|s| s.lot.as_str()),
                    );
                }
            }
            if let Some(s) = index_in(path, "shipments").and_then(|k| current.shipments.get(k)) {
                seeds.push(&s.lot);
            }
            if let Some(t) = index_in(path, "transformations").and_then(|k| current.transformations.get(k)) {
                seeds.push(&t.output);
            }
            if let Some(l) = index_in(path, "lots").and_then(|k| current.lots.get(k)) {
                seeds.push(&l.id);
            }
            let mut seen: HashSet<&str> = HashSet::new();
            let mut stack: Vec<&str> = seeds.into_iter().filter(|l| lot_ids.contains(l)).collect();
            while let Some(l) = stack.pop() {
                if seen.insert(l) {
                    stack.extend(made_from.get(l).into_iter().flatten().copied());
                }
            }
            let mut lots: Vec<String> = seen.into_iter().map(str::to_string).collect();
            lots.sort_unstable();
            lots
        })
        .collect()
}

/// `input` without the records at fault and without the touched lots and the events that name them.
fn prune(input: &ProvenanceInput, errors: &[BuildError], tainted: &HashMap<String, Vec<usize>>) -> ProvenanceInput {
    let ids: HashSet<&str> = errors.iter().flat_map(|e| e.ids.iter().map(String::as_str)).collect();
    let at =
        |list: &str| -> HashSet<usize> { errors.iter().filter_map(|e| index_in(e.path.as_deref(), list)).collect() };
    let (bad_sites, bad_lots, bad_ships, bad_trans) = (at("sites"), at("lots"), at("shipments"), at("transformations"));
    let gone = |lot: &str| tainted.contains_key(lot);
    let mut out = input.clone();
    out.sites = keep(&input.sites, &bad_sites, |_| true);
    out.lots = keep(&input.lots, &bad_lots, |l| !gone(&l.id));
    out.shipments = keep(&input.shipments, &bad_ships, |s| !ids.contains(s.id.as_str()) && !gone(&s.lot));
    out.transformations = keep(&input.transformations, &bad_trans, |t| {
        !ids.contains(t.id.as_str()) && !gone(&t.output) && t.inputs.iter().all(|i| !gone(&i.lot))
    });
    out
}

/// The records of `list` not at an index in `bad` and passing `ok`.
fn keep<T: Clone>(list: &[T], bad: &HashSet<usize>, ok: impl Fn(&T) -> bool) -> Vec<T> {
    list.iter().enumerate().filter(|(k, x)| !bad.contains(k) && ok(x)).map(|(_, x)| x.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule pack checks operation names against its own list; it must be the graph's vocabulary.
    #[test]
    fn rule_pack_operations_are_the_graph_vocabulary() {
        for name in origin_rules::KNOWN_OPERATIONS {
            let op = operation(name);
            assert!(op.is_some_and(|o| o.as_str() == name), "`{name}` is not a graph operation");
        }
    }
}

/// A batch's provenance graph and its trace under the pack's policy. The audit reads each lot's facts
/// from it when a BOM line names the lot (made then, not kept: memory does not grow with the lots the
/// goods name), and a stored run draws the pictures the finding page shows from it (the server never
/// reads a batch file again to draw them).
#[derive(Debug)]
pub struct TracedGraph {
    graph: Arc<ProvenanceGraph>,
    trace: Trace,
}

impl TracedGraph {
    /// The graph of `input` traced under the pack's policy; `None` when it does not build (its goods
    /// carry the build errors as findings, and no picture is drawn).
    pub fn build(rules: &RuleSet, input: &ProvenanceInput) -> Option<TracedGraph> {
        Some(TracedGraph::new(rules, Arc::new(ProvenanceGraph::build(input).ok()?)))
    }

    /// `graph` traced whole under the pack's policy.
    pub fn new(rules: &RuleSet, graph: Arc<ProvenanceGraph>) -> TracedGraph {
        let (policy, corridors) = policies(rules);
        let trace = Trace::run(&graph, &policy, &corridors);
        TracedGraph { graph, trace }
    }

    /// Whether the graph holds lot `id`.
    pub fn holds(&self, id: &str) -> bool {
        self.graph.lot(id).is_some()
    }

    /// The facts of lot `id` (origin, laundering, path signals, with their text); `None` when the graph
    /// does not hold it.
    pub fn lot_facts(&self, id: &str) -> Option<LotFacts> {
        let (graph, trace) = (&*self.graph, &self.trace);
        let ix = graph.lot(id)?;
        let r = trace.lot_report(graph, ix);
        let laundering = trace.laundering_signal(graph, ix);
        // The audit reads the single signals only when there is no laundering finding (which replaces
        // them); walking the lot's ancestry for them is the costly part, so it is skipped then.
        let signals = if laundering.is_none() { trace.path_signals(graph, ix) } else { Vec::new() };
        Some(LotFacts {
            lot: id.to_string(),
            declared_origin: r.declared_origin,
            traced_origin: r.traced_origin,
            origin_set_by: r.origin_set_by,
            laundering,
            signals,
        })
    }

    /// The SVG of one lot's provenance paths, with the suspicious path in red, and whether origin
    /// laundering is suspected on it; `None` when the graph has no such lot.
    pub fn lot_svg(&self, lot: &str) -> Option<(String, bool)> {
        let ix = self.graph.lot(lot)?;
        Some((origin_graph::render::svg(&self.graph, &self.trace, &[ix]), self.trace.laundering_suspected(ix)))
    }
}
