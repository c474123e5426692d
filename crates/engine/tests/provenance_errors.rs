//! Issue 11, item 3: provenance errors are never dropped. A graph build error is a located input warning
//! of the batch and blocks the goods whose lots it touches (INPUT_ERROR); the goods it does not touch are
//! audited with the graph that could be built.
//!
//! Legal basis: the records supporting a material's origin (19 CFR 182.15) are what the provenance data
//! holds; a determination is never made on records the engine could not read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;
use origin_engine::input::parse_batch;
use origin_engine::run::BatchReport;

/// The demo batch with `f` applied to its text, read from the demo directory (its BOM files attach).
fn demo_with(f: impl Fn(&str) -> String) -> BatchReport {
    let path = root().join("fixtures/demo/batch.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = f(&text);
    assert_ne!(changed, text, "the change applies");
    run(&parse_batch(&path, &changed).unwrap())
}

fn outcomes(r: &BatchReport) -> Vec<(String, Outcome, Option<char>)> {
    r.goods.iter().map(|g| (g.audit.good.clone(), outcome(g), criterion(g))).collect()
}

/// Issue 11 item 3 reproduction: one dangling shipment (`lot: NO-SUCH-LOT`) made the engine audit without
/// any lots: the laundering finding on CAL-BUS-2P disappeared and a false PROVENANCE_GAP appeared. The
/// shipment is reported, and every good keeps the determination and findings of the demo.
#[test]
fn a_dangling_shipment_keeps_the_laundering_finding_and_is_reported() {
    let demo = demo_with(|t| t.to_string() + "\n");
    let r = demo_with(|t| {
        t.replace(
            "  shipments:\n",
            "  shipments:\n    - { id: SH-GHOST, lot: NO-SUCH-LOT, from: CN-TJ-MILL, to: VN-HPH-WH, departed: 2026-07-20, arrived: 2026-08-07, document: \"BL X\", customs_control: false }\n",
        )
    });
    let cal = good(&r, "CAL-BUS-2P");
    assert!(has(cal, "ORIGIN_LAUNDERING_SUSPECTED"), "{:?}", codes(cal));
    assert!(!has(cal, "PROVENANCE_GAP"), "{:?}", codes(cal));
    assert_eq!(outcomes(&r), outcomes(&demo));
    for (a, b) in r.goods.iter().zip(&demo.goods) {
        assert_eq!(codes(a), codes(b), "{}", a.audit.good);
    }
    let w = r.input_warnings.join("\n");
    assert!(w.contains("NO-SUCH-LOT") && w.contains("provenance.shipments[0]"), "{w}");
}

/// A cycle through the lots of CAL-BUS-2P's forging bar: that good cannot be audited on its provenance
/// (INPUT_ERROR naming the line and the cycle); every other good keeps the demo's determination.
#[test]
fn a_provenance_cycle_blocks_the_goods_whose_lots_it_touches_only() {
    let demo = demo_with(|t| t.to_string() + "\n");
    let r = demo_with(|t| {
        t.replace(
            "  transformations:\n",
            "  transformations:\n    - { id: TR-LOOP, inputs: [{ lot: HSG-MX-2609, quantity: 1 }], output: BAR-CN-2607, site: CN-TJ-MILL, operation: forging, date: 2026-07-06 }\n",
        )
    });
    let cal = good(&r, "CAL-BUS-2P");
    assert_eq!(outcome(cal), Outcome::NeedsEvidence);
    let f = finding(cal, "INPUT_ERROR");
    assert!(f.message.contains("L01 (lot `BAR-VN-2608`)"), "{}", f.message);
    assert!(f.evidence.iter().any(|e| e.contains("cycle")), "{:?}", f.evidence);
    assert!(cal.certificate.is_none());
    for (a, b) in outcomes(&r).iter().zip(outcomes(&demo)).filter(|(a, _)| a.0 != "CAL-BUS-2P") {
        assert_eq!(*a, b);
    }
    assert!(r.input_warnings.iter().any(|w| w.contains("cycle")), "{:?}", r.input_warnings);
}

/// `batch check` and `run` see the same errors: located under `provenance`, with a line of the file.
#[test]
fn provenance_build_errors_are_located_in_the_batch_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("fixtures/demo/batch.yaml")).unwrap().replace(
        "  shipments:\n",
        "  shipments:\n    - { id: SH-GHOST, lot: NO-SUCH-LOT, from: CN-TJ-MILL, to: VN-HPH-WH, departed: 2026-07-20, arrived: 2026-08-07, document: \"BL X\", customs_control: false }\n",
    );
    let line = text.lines().position(|l| l.contains("SH-GHOST")).map(|i| i + 1);
    for csv in ["bom-electrical.csv", "bom-lighting.csv"] {
        std::fs::copy(root().join("fixtures/demo").join(csv), dir.path().join(csv)).unwrap();
    }
    let path = dir.path().join("batch.yaml");
    std::fs::write(&path, &text).unwrap();
    let batch = parse_batch(&path, &text).unwrap();
    let errors = origin_engine::provenance::check(&path, batch.provenance.as_ref().unwrap());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "provenance.shipments[0]");
    assert_eq!(errors[0].line, line);
    assert!(errors[0].message.contains("NO-SUCH-LOT"));
}

/// Errors found only once the first ones' records are left out (here a lot produced twice, behind a
/// dangling input) are located at their records in the file, not in the pruned lists.
#[test]
fn errors_of_a_later_round_are_located_at_their_records_in_the_file() {
    let text = r#"provenance:
  sites:
    - { id: CN-MILL, country: CN, kind: mill, operator: Mill Co }
    - { id: MX-PLANT, country: MX, kind: plant, operator: Plant SA }
  lots:
    - { id: BAR, hs: "7214.20", quantity: 100, unit: kg, site: MX-PLANT, date: 2025-01-01, declared_origin: CN }
    - { id: CAL, hs: "8708.30", quantity: 10, unit: pcs, site: MX-PLANT, date: 2025-03-01, declared_origin: MX }
    - { id: ODD, hs: "8708.30", quantity: 10, unit: pcs, site: MX-PLANT, date: 2025-03-01, declared_origin: MX }
  shipments: []
  transformations:
    - { id: TR-DANG, inputs: [{ lot: NOPE, quantity: 1 }], output: ODD, site: MX-PLANT, operation: forging, date: 2025-03-01 }
    - { id: TR-A, inputs: [{ lot: BAR, quantity: 50 }], output: CAL, site: MX-PLANT, operation: forging, date: 2025-03-01 }
    - { id: TR-B, inputs: [{ lot: BAR, quantity: 50 }], output: CAL, site: MX-PLANT, operation: forging, date: 2025-03-01 }
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.yaml");
    std::fs::write(&path, text).unwrap();
    let value: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    let input: origin_graph::ProvenanceInput = serde_yaml::from_value(value["provenance"].clone()).unwrap();
    let facts = origin_engine::provenance::lot_facts(pack(), &path, &input);
    let fields: Vec<&str> = facts.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["provenance.transformations[0]", "provenance.transformations[2].output"], "{:?}", facts.errors);
    let line = text.lines().position(|l| l.contains("id: TR-B")).map(|i| i + 1);
    assert_eq!(facts.errors[1].line, line);
    // ODD (its production names a missing lot) and CAL (produced twice) are in doubt; BAR is not.
    assert!(facts.tainted.contains_key("ODD") && facts.tainted.contains_key("CAL"));
    assert!(!facts.tainted.contains_key("BAR"), "{:?}", facts.tainted);
    // The others are audited with the graph built without the records at fault: BAR's facts are there,
    // ODD and CAL are not in it; that pruned graph is not the batch's, so no picture is drawn from it.
    let traced = facts.traced.as_deref().unwrap();
    assert!(traced.lot_facts("BAR").is_some() && traced.lot_facts("ODD").is_none() && !traced.holds("CAL"));
    assert!(facts.pictures.is_none());
}
