//! The provenance scenarios of `fixtures/provenance/`: traced origins and signals, snapshotted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{build, trace};
use origin_core::Country;
use origin_graph::{BuildErrorKind, ProvenanceGraph, Trace, render};

fn codes(t: &Trace, g: &ProvenanceGraph, lot: &str) -> Vec<&'static str> {
    t.signals_of(g.lot(lot).unwrap()).iter().map(|s| s.code().as_str()).collect()
}

#[test]
fn relabelled_in_vietnam_is_laundering() {
    let (g, t) = trace("laundering-vietnam-relabel.yaml");
    let bar = g.lot("BAR-VN-001").unwrap();
    let caliper = g.lot("CAL-MX-001").unwrap();
    assert_eq!(t.origin(bar), Country::CN, "relabelling confers nothing");
    assert_eq!(t.origin(caliper), Country::MX, "forging with a heading shift confers MX");
    let on_bar = codes(&t, &g, "BAR-VN-001");
    for code in [
        "MINIMAL_PROCESSING_THIRD_COUNTRY",
        "SHORT_DWELL",
        "LOW_VALUE_ADDED",
        "DECLARED_ORIGIN_MISMATCH",
        "TRANSSHIPMENT_CORRIDOR",
        "NO_TARIFF_SHIFT",
        "COMMON_OWNERSHIP",
    ] {
        assert!(on_bar.contains(&code), "{code} missing from {on_bar:?}");
    }
    assert!(codes(&t, &g, "CAL-MX-001").is_empty());
    assert_eq!(t.laundering_lots().collect::<Vec<_>>(), vec![caliper]);
    let finding = t.laundering_signal(&g, caliper).unwrap();
    assert_eq!(finding.code, "ORIGIN_LAUNDERING_SUSPECTED");
    assert!(finding.evidence.lots.contains(&"BAR-VN-001".to_string()));
    insta::assert_yaml_snapshot!(t.report(&g));
}

#[test]
fn rolled_in_vietnam_is_vietnamese_and_clean() {
    let (g, t) = trace("genuine-vietnam-rolling.yaml");
    assert_eq!(t.origin(g.lot("BAR-VN-002").unwrap()), Country::parse("VN").unwrap());
    assert!(!t.origin(g.lot("BAR-VN-002").unwrap()).is_usmca_party());
    assert!(t.raw_signals().is_empty(), "{:?}", t.report(&g).signals);
    assert_eq!(t.laundering_lots().count(), 0);
    insta::assert_yaml_snapshot!(t.report(&g));
}

#[test]
fn us_mx_chain_is_clean() {
    let (g, t) = trace("clean-us-mx.yaml");
    assert_eq!(t.origin(g.lot("PAD-MX-001").unwrap()), Country::MX);
    assert_eq!(t.origin(g.lot("COIL-US-001").unwrap()), Country::US);
    assert!(t.raw_signals().is_empty(), "{:?}", t.report(&g).signals);
    insta::assert_yaml_snapshot!(t.report(&g));
}

#[test]
fn panama_free_zone_release_is_art_4_18() {
    let (g, t) = trace("transit-panama-ftz.yaml");
    assert_eq!(codes(&t, &g, "ROT-US-001"), vec!["TRANSIT_OUTSIDE_PARTIES"]);
    assert_eq!(t.laundering_lots().count(), 0, "one signal is a warning, not laundering");
    insta::assert_yaml_snapshot!(t.report(&g));
}

#[test]
fn simple_assembly_keeps_every_contributing_origin() {
    let (g, t) = trace("mixed-simple-assembly.yaml");
    let kit = g.lot("KIT-MX-010").unwrap();
    let shares: Vec<(String, String)> =
        t.lot_report(&g, kit).contributions.into_iter().map(|c| (c.country.to_string(), c.share)).collect();
    assert_eq!(shares, [("US".to_string(), "70.00%".to_string()), ("CN".to_string(), "30.00%".to_string())]);
    assert_eq!(t.origin(kit), Country::US);
    assert_eq!(codes(&t, &g, "KIT-MX-010"), vec!["NO_TARIFF_SHIFT", "DECLARED_ORIGIN_MISMATCH"]);
    assert_eq!(t.laundering_lots().count(), 0, "the mismatch follows from the missing shift: not independent");
    insta::assert_yaml_snapshot!(t.report(&g));
}

#[test]
fn broken_inputs_give_clear_errors() {
    let mut all = String::new();
    for (name, kind) in [
        ("broken/cycle.yaml", BuildErrorKind::Cycle),
        ("broken/dangling.yaml", BuildErrorKind::DanglingId),
        ("broken/mass-balance.yaml", BuildErrorKind::MassBalance),
    ] {
        let errors = build(name).expect_err(name);
        assert!(errors.0.iter().all(|e| e.kind == kind), "{name}: {errors}");
        all.push_str(&format!("== {name}\n{errors}\n"));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn pictures_show_the_laundering_path() {
    let (g, t) = trace("laundering-vietnam-relabel.yaml");
    let caliper = g.lot("CAL-MX-001").unwrap();
    let text = render::text(&g, &t, caliper);
    let dot = render::dot(&g, &t, &[caliper]);
    let svg = render::svg(&g, &t, &[caliper]);
    assert!(text.contains("!! lot BAR-VN-001"), "{text}");
    assert!(dot.contains("color=\"#c0392b\""), "{dot}");
    assert!(svg.starts_with("<svg") && svg.contains("#c0392b") && svg.contains("BAR-VN-001"));
    insta::assert_snapshot!("text", text);
    insta::assert_snapshot!("dot", dot);
    insta::assert_snapshot!("svg", svg);
}
