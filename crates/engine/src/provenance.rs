//! From the rule pack's policy to the graph's plain-data policy, and from a batch's provenance events to
//! the per-lot facts the audit reads. The `rules` and `graph` crates never depend on each other; this
//! is where they meet.

use std::collections::{HashMap, HashSet};

use origin_graph::{
    Corridor, CorridorPolicy, Operation, ProvenanceGraph, ProvenanceInput, Trace, TransformationPolicy,
};
use origin_rules::RuleSet;

use crate::audit::LotFacts;

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

/// Builds and traces the provenance of a batch: the facts for the lots in `wanted` (those a BOM line
/// names), or every build error. The graph is built, checked and traced whole; the per-lot reports
/// (origin, laundering, path signals, with their text) are made only for the lots asked for, which is
/// where most of the time went, on all cores (each lot's report reads the trace only).
pub fn lot_facts(
    rules: &RuleSet,
    input: &ProvenanceInput,
    wanted: &HashSet<&str>,
) -> Result<HashMap<String, LotFacts>, Vec<String>> {
    let graph = ProvenanceGraph::build(input).map_err(|e| e.0.iter().map(|x| x.to_string()).collect::<Vec<_>>())?;
    let (policy, corridors) = policies(rules);
    let trace = Trace::run(&graph, &policy, &corridors);
    let wanted: Vec<&str> = wanted.iter().copied().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let per = wanted.len().div_ceil(threads).max(1);
    let (graph, trace) = (&graph, &trace);
    let parts: Result<Vec<Vec<(String, LotFacts)>>, _> = std::thread::scope(|s| {
        let handles: Vec<_> = wanted
            .chunks(per)
            .map(|ids| s.spawn(move || ids.iter().filter_map(|id| facts_of(graph, trace, id)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let parts = parts.map_err(|_| vec!["internal error: a provenance thread panicked".to_string()])?;
    let mut out = HashMap::with_capacity(wanted.len());
    out.extend(parts.into_iter().flatten());
    Ok(out)
}

/// The facts of one lot; `None` when the graph does not hold it.
fn facts_of(graph: &ProvenanceGraph, trace: &Trace, id: &str) -> Option<(String, LotFacts)> {
    let ix = graph.lot(id)?;
    let r = trace.lot_report(graph, ix);
    let laundering = trace.laundering_signal(graph, ix);
    // The audit reads the single signals only when there is no laundering finding (which replaces
    // them); walking the lot's ancestry for them is the costly part, so it is skipped then.
    let signals = if laundering.is_none() { trace.path_signals(graph, ix) } else { Vec::new() };
    Some((
        id.to_string(),
        LotFacts {
            lot: id.to_string(),
            declared_origin: r.declared_origin,
            traced_origin: r.traced_origin,
            origin_set_by: r.origin_set_by,
            laundering,
            signals,
        },
    ))
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
