//! Chokepoint inputs: the pack's watch groups (transformation-policy.yaml `watch_groups`) name
//! materials by HS code; a line of one whose origin is watched (CN) gets CHOKEPOINT_INPUT (info) with
//! its share of the good's value. It never changes the determination.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;
use origin_engine::finding::Severity;

/// Boiler parts (8402.90; (A) CTH) with Chinese gallium (8112.92) worth 5.00 and Chinese tungsten
/// (8101.96) worth 2.50, a US plate worth 30, TV 100: gallium 5.00 / 100.00 = 5.00 %, tungsten 2.50 %.
#[test]
fn chinese_gallium_and_tungsten_are_reported_with_their_share() {
    let lines = cn_line("1", "8112.92", "5.00") + &cn_line("2", "8101.96", "2.50") + &us_line("3", "7208.51", "30");
    let r = check(&batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified, "a screening finding never decides origin");
    let found: Vec<&origin_engine::finding::Finding> =
        g.audit.findings.iter().filter(|f| f.code.as_str() == "CHOKEPOINT_INPUT").collect();
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|f| f.severity == Severity::Info));
    let gallium = found.iter().find(|f| f.materials == ["1"]).unwrap();
    assert!(gallium.message.starts_with("chokepoint input `gallium`"), "{}", gallium.message);
    assert!(
        gallium.message.contains("of origin CN: 5.00 USD, 5.00% of the adjusted transaction value"),
        "{}",
        gallium.message
    );
    let tungsten = found.iter().find(|f| f.materials == ["2"]).unwrap();
    assert!(tungsten.message.contains("2.50 USD, 2.50%"), "{}", tungsten.message);
}

/// The same gallium from a certified US supplier, or Chinese antimony used as packing, is not reported.
#[test]
fn other_origins_and_packing_are_not_reported() {
    let lines = us_line("1", "8112.92", "5.00")
        + &line("2", "8110.10", "1.00", "CN", "dragon", "role: packing")
        + &us_line("3", "7208.51", "30");
    let r = check(&batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines)));
    assert!(!has(only(&r), "CHOKEPOINT_INPUT"), "{:?}", codes(only(&r)));
}

/// Every watch group of the bundled pack names at least one code and watches CN.
#[test]
fn the_pack_watches_the_six_chokepoint_materials() {
    let groups = &pack().transformation_policy.watch_groups;
    let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["silver", "gallium", "antimony", "tungsten", "lithium-compounds", "rare-earths"]);
    let cn = origin_core::Country::parse("CN").unwrap();
    assert!(groups.iter().all(|g| !g.hs.0.is_empty() && g.origins == [cn] && !g.basis.is_empty()));
}
