//! Shared test data: the policy and corridors the scenarios are traced under. These are test values;
//! the real ones come from the rule pack.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use origin_core::{Country, Decimal, HsLevel, Percent};
use origin_graph::{
    BuildErrors, Corridor, CorridorPolicy, Operation, ProvenanceGraph, ProvenanceInput, Trace, TransformationPolicy,
};

pub fn policy() -> TransformationPolicy {
    TransformationPolicy {
        non_conferring: vec![
            Operation::Relabelling,
            Operation::Labelling,
            Operation::Repacking,
            Operation::Sorting,
            Operation::Splitting,
            Operation::Dilution,
            Operation::Testing,
            Operation::SimpleAssembly,
            Operation::Painting,
        ],
        transit_permitted: vec![Operation::Labelling, Operation::Splitting],
        min_tariff_shift: Some(HsLevel::Heading),
        min_value_added: Some(Percent(Decimal::TEN)),
        min_dwell_days: Some(5),
    }
}

pub fn corridors() -> CorridorPolicy {
    let c = |s: &str| Country::parse(s).unwrap();
    let asean = ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"].map(c).to_vec();
    CorridorPolicy {
        corridors: vec![Corridor {
            name: "china-asean-mexico".to_string(),
            legs: vec![vec![Country::CN], asean, vec![Country::MX]],
        }],
    }
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/provenance").join(name)
}

pub fn load(name: &str) -> ProvenanceInput {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn build(name: &str) -> Result<ProvenanceGraph, BuildErrors> {
    ProvenanceGraph::build(&load(name))
}

pub fn trace(name: &str) -> (ProvenanceGraph, Trace) {
    let g = build(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let t = Trace::run(&g, &policy(), &corridors());
    (g, t)
}
