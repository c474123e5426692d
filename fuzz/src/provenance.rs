//! What the provenance fuzz target runs, shared with `crates/graph/tests/fuzz_corpus.rs` (which
//! includes this file) so that the committed corpus and crash inputs replay in `cargo test`.

use origin_core::{Country, Decimal, HsLevel, Percent};
use origin_graph::{
    Corridor, CorridorPolicy, Operation, ProvenanceGraph, ProvenanceInput, Trace, TransformationPolicy, render,
};

/// The policy of the graph crate's tests (the real one comes from the rule pack).
fn policy() -> TransformationPolicy {
    TransformationPolicy {
        non_conferring: vec![Operation::Relabelling, Operation::Repacking, Operation::SimpleAssembly],
        transit_permitted: vec![Operation::Labelling, Operation::Splitting],
        min_tariff_shift: Some(HsLevel::Heading),
        min_value_added: Some(Percent(Decimal::TEN)),
        min_dwell_days: Some(5),
    }
}

fn corridors() -> CorridorPolicy {
    CorridorPolicy {
        corridors: vec![Corridor {
            name: "cn-vn-mx".to_string(),
            legs: vec![vec![Country::CN], vec![Country::parse("VN").unwrap_or(Country::CN)], vec![Country::MX]],
        }],
    }
}

/// A provenance section (YAML or JSON), deserialized as a batch's `provenance:` is; when it builds,
/// every lot is traced, reported and drawn, as `origin-audit trace` does.
pub fn provenance(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(input) = serde_yaml::from_str::<ProvenanceInput>(&text) else { return };
    let graph = match ProvenanceGraph::build(&input) {
        Ok(g) => g,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let trace = Trace::run(&graph, &policy(), &corridors());
    let _ = trace.report(&graph);
    let lots: Vec<_> = graph.topological_order().collect();
    for &lot in &lots {
        let _ = (trace.assessment(&graph, lot), trace.laundering_path(&graph, lot));
        let _ = render::text(&graph, &trace, lot);
    }
    let _ = render::dot(&graph, &trace, &lots);
    let _ = render::svg(&graph, &trace, &lots);
}
