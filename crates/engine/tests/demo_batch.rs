//! The bundled demo batch (fixtures/demo/batch.yaml) gives the determinations worked out by hand, from
//! the legal text of each rule, in fixtures/demo/EXPECTED.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use origin_engine::audit::Outcome;
use origin_engine::input::load_batch;
use origin_engine::run::{BatchReport, GoodReport, Progress, RunOptions, audit_batch};

fn demo() -> BatchReport {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = origin_rules::load_pack(&root.join("rules/usmca")).rules.expect("the bundled pack is valid");
    let batch = load_batch(&root.join("fixtures/demo/batch.yaml")).expect("the demo batch reads");
    audit_batch(&rules, &batch, &RunOptions::default(), &Progress::default()).expect("the demo batch audits")
}

fn good<'a>(r: &'a BatchReport, id: &str) -> &'a GoodReport {
    r.goods.iter().find(|g| g.audit.good == id).unwrap_or_else(|| panic!("no good {id}"))
}

fn codes(g: &GoodReport) -> Vec<(&'static str, &'static str)> {
    g.audit.findings.iter().map(|f| (f.code.as_str(), f.severity.as_str())).collect()
}

#[test]
fn demo_batch_size_is_realistic() {
    let r = demo();
    assert!(r.summary.goods >= 12, "at least 12 goods");
    let lines: usize = r.goods.iter().map(|g| g.audit.determination.materials.len()).sum();
    assert!(lines >= 150, "at least 150 BOM lines, got {lines}");
    assert!(r.input_warnings.is_empty(), "{:?}", r.input_warnings);
}

#[test]
fn every_demo_good_gets_its_expected_determination() {
    let r = demo();
    let expect: [(&str, Outcome, Option<char>); 13] = [
        ("CAL-BUS-2P", Outcome::Qualified, Some('B')),
        ("SB-FR-3PT", Outcome::NeedsEvidence, None),
        ("WH-IP-220", Outcome::Qualified, Some('B')),
        ("LMP-FOG-LED", Outcome::Qualified, Some('B')),
        ("ST-DRV-BKT", Outcome::NotQualified, None),
        ("WH-ENG-110", Outcome::Qualified, Some('C')),
        ("GBX-6MT-PV", Outcome::Qualified, Some('B')),
        ("STM-12V-14", Outcome::Qualified, Some('B')),
        ("AB-DRV-MOD", Outcome::Qualified, Some('B')),
        ("SW-WIN-DRV", Outcome::NotQualified, None),
        ("CP-HVAC-01", Outcome::NeedsEvidence, None),
        ("CAL-TRC-1P", Outcome::NotQualified, None),
        ("RLY-MICRO-35", Outcome::Qualified, Some('B')),
    ];
    for (id, outcome, criterion) in expect {
        let d = &good(&r, id).audit.determination;
        assert_eq!((d.outcome, d.criterion), (outcome, criterion), "{id}: {}", d.summary);
    }
    assert_eq!(r.summary.certificates, 8);
}

/// Case 1: Chinese steel relabelled in Vietnam, forged in Mexico: laundering flagged; the caliper still
/// qualifies (the bar is non-originating whether CN or VN, and 7214 -> 8708.30 changes heading).
#[test]
fn laundering_case_is_flagged_with_its_evidence() {
    let r = demo();
    let g = good(&r, "CAL-BUS-2P");
    let f =
        g.audit.findings.iter().find(|f| f.code.as_str() == "ORIGIN_LAUNDERING_SUSPECTED").expect("laundering flagged");
    assert_eq!(f.severity.as_str(), "warning", "the material is declared VN: non-originating either way");
    assert!(f.evidence.iter().any(|e| e.contains("BAR-VN-2608")), "{:?}", f.evidence);
    assert_eq!(g.audit.determination.alternative.as_deref(), Some("C"));
}

/// Case 2: expired certification on L01 -> counted non-originating; the good would qualify with it.
#[test]
fn expired_certification_needs_a_current_one() {
    let r = demo();
    let g = good(&r, "SB-FR-3PT");
    assert!(codes(g).contains(&("SUPPLIER_CERTIFICATION_EXPIRED", "warning")));
    let rvc = g.audit.findings.iter().find(|f| f.code.as_str() == "RVC_BELOW_THRESHOLD").unwrap();
    // NC 33.50, VNM 16.82: (33.50 - 16.82) / 33.50 = 49.79 % < 70 %; allowed VNM 33.50 x 0.30 = 10.05,
    // so VNM must fall by 16.82 - 10.05 = 6.77.
    assert!(rvc.message.contains("49.79% < 70.00%"), "{}", rvc.message);
    assert!(rvc.remedy.contains("6.77 USD") && rvc.remedy.contains("L01"), "{}", rvc.remedy);
}

/// Case 4: the reflector fails the shift but is 9.33 % of the adjusted TV: de minimis saves (A).
#[test]
fn de_minimis_save() {
    let r = demo();
    let g = good(&r, "LMP-FOG-LED");
    assert_eq!(codes(g), vec![("DE_MINIMIS_APPLIED", "info")]);
    let alt = g.audit.determination.alternatives.iter().find(|a| a.label == "A").unwrap();
    let dm = alt.de_minimis.as_ref().unwrap();
    assert!(dm.applies);
    assert_eq!(dm.share_of_adjusted_tv.unwrap().to_string(), "9.33%");
}

/// Case 5: the seat's RVC falls short by 3.30 under NC; the cheapest single line closing it is L08 (6.30).
#[test]
fn rvc_failure_has_a_computed_remedy() {
    let r = demo();
    let g = good(&r, "ST-DRV-BKT");
    let f = g.audit.findings.iter().find(|f| f.code.as_str() == "RVC_BELOW_THRESHOLD").unwrap();
    assert!(f.remedy.contains("3.30 USD"), "{}", f.remedy);
    assert!(f.remedy.contains("line L08") && !f.remedy.contains("line L01"), "{}", f.remedy);
}

/// Case 7: the core part's net-cost RVC is 75.40 % against the 75 % staged for 2026-11-01.
#[test]
fn core_part_just_above_its_threshold() {
    let r = demo();
    let d = &good(&r, "GBX-6MT-PV").audit.determination;
    let rvc = d.alternatives[0].rvc.as_ref().unwrap();
    let nc = rvc.methods.iter().find(|m| m.method == "net-cost").unwrap();
    assert_eq!(nc.rvc.to_string(), "75.40%");
    assert_eq!(nc.threshold.to_string(), "75.00%");
    assert!(d.caveats.iter().any(|c| c.contains("pv-lt-core-parts")), "{:?}", d.caveats);
}

/// Case 11: 8537 with an 8538.90 part of unknown kind: the finding asks exactly that question.
#[test]
fn unknown_kind_of_material_is_asked_not_assumed() {
    let r = demo();
    let g = good(&r, "CP-HVAC-01");
    let f = g.audit.findings.iter().find(|f| f.code.as_str() == "MATERIAL_FACT_MISSING").unwrap();
    assert!(f.remedy.contains("printed circuit assemblies") && f.remedy.contains("moulded parts"), "{}", f.remedy);
    assert!(f.remedy.contains("BOM line L01"), "{}", f.remedy);
}

#[test]
fn report_is_stable_across_runs() {
    let a = serde_json::to_string(&demo().goods).unwrap();
    let b = serde_json::to_string(&demo().goods).unwrap();
    assert_eq!(a, b);
}
