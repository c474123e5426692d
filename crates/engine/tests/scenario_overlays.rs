//! What-if scenarios (docs/scenarios.md): each overlay kind at its boundary, values worked by hand.
//! A good exactly at the scenario's new threshold qualifies; one cent beyond it does not.
//!
//! Rules used: GN 11(o) ch. 84 rule 4 (8402.90: (A) CTH; or (B) no change required, RVC >= 60 % TV /
//! 50 % NC) and rule 6 (8403.90: CTH only); de minimis 10 % of the adjusted TV (4531(f)(1)); Art. 4.18
//! transit (unloading, reloading, storing ... allowed outside the Parties).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::*;
use origin_engine::audit::Outcome;
use origin_engine::run::{BatchReport, Progress, RunOptions};
use origin_engine::scenario::audit_batch_under;
use origin_rules::scenario::parse_scenario;

/// The batch audited under a scenario whose `overlays:` list is `overlays` (YAML, indented by two).
fn under(overlays: &str, batch_yaml: &str) -> BatchReport {
    let text = format!(
        "id: test\ntitle: test\nbasis: {{ kind: hypothetical, note: test }}\neffective_from: 2026-07-01\npack: usmca\noverlays:\n{overlays}"
    );
    let s = parse_scenario(Path::new("test-scenario.yaml"), &text).unwrap_or_else(|d| panic!("{d:#?}"));
    let (rules, checks) = s.apply(pack()).unwrap_or_else(|d| panic!("{d:#?}"));
    let batch = parse(batch_yaml).unwrap();
    audit_batch_under(&rules, &checks, &batch, &RunOptions { as_of: None, threads: Some(1) }, &Progress::default())
        .unwrap()
}

/// Boiler parts (8402.90) with a Chinese part of the same subheading worth `cn` (so (A) CTH fails and
/// (B)'s RVC, or criterion D, decides) and a US-certified plate worth 30; TV 100.
fn boiler(cn: &str) -> String {
    let lines = cn_line("1", "8402.90", cn) + &us_line("2", "7208.51", "30");
    batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines))
}

/// +10 points on every rule: (B) needs 70 % TV. VNM 30.00 -> (100 - 30) / 100 = 70.00 %: qualifies;
/// VNM 30.01 -> 69.99 %: not (criterion D's 60 % is raised to 70 % as well, so D does not rescue it).
#[test]
fn raise_rvc_by_ten_points_moves_the_boundary() {
    let raise = "  - raise_rvc: { by: 10 }\n";
    let g = under(raise, &boiler("30.00"));
    let m = rvc_of(only(&g), "B", "transaction-value");
    assert_eq!((m.rvc.value(), m.threshold.value()), (d("70"), d("70")));
    assert_eq!(outcome(only(&g)), Outcome::Qualified);
    let r = under(raise, &boiler("30.01"));
    let g = only(&r);
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("69.99"));
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert!(finding(g, "RVC_BELOW_THRESHOLD").remedy.contains("0.01"), "{}", finding(g, "RVC_BELOW_THRESHOLD").remedy);
    // Without the scenario the same good qualifies (69.99 % >= 60 %).
    assert_eq!(outcome(only(&check(&boiler("30.01")))), Outcome::Qualified);
}

/// A set threshold for one rule: 65 % TV for gn11-84-004. VNM 35.00 -> 65.00 %: qualifies; 35.01 ->
/// 64.99 %: (B) fails, and criterion D (still 60 %: the scope is one rule) qualifies it instead.
#[test]
fn set_rvc_for_one_rule() {
    let set = "  - set_rvc: { tv: 65 }\n    scope: { rule: gn11-84-004 }\n";
    let r = under(set, &boiler("35.00"));
    assert_eq!(rvc_of(only(&r), "B", "transaction-value").threshold.value(), d("65"));
    assert_eq!(only(&r).audit.determination.alternative.as_deref(), Some("B"));
    let r = under(set, &boiler("35.01"));
    let g = only(&r);
    assert!(!alternative(g, "B").rvc.as_ref().unwrap().met);
    assert_eq!(criterion(g), Some('D'), "criterion D keeps the pack's 60 %");
}

/// An RVC required besides the shift of (A): a Chinese plate of another heading (7208.51) meets the
/// CTH; with 60 % TV also required, VNM 40.00 -> 60.00 % qualifies under (A), 40.01 -> 59.99 % meets
/// neither (A) nor (B).
#[test]
fn require_rvc_with_the_tariff_shift() {
    let req = "  - require_rvc: { tv: 60, nc: 50 }\n    scope: { hs: [\"8402\"] }\n";
    let good = |cn: &str| {
        let lines = cn_line("1", "7208.51", cn) + &us_line("2", "7208.52", "30");
        batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines))
    };
    let r = under(req, &good("40.00"));
    assert_eq!(only(&r).audit.determination.alternative.as_deref(), Some("A"));
    assert_eq!(rvc_of(only(&r), "A", "transaction-value").rvc.value(), d("60"));
    let r = under(req, &good("40.01"));
    assert_eq!(outcome(only(&r)), Outcome::NotQualified);
    // The pack alone: (A) is a tariff shift only, met whatever the value.
    assert_eq!(outcome(only(&check(&good("40.01")))), Outcome::Qualified);
}

/// Removing (B) of gn11-84-004: a Chinese part of 8402.11 (same heading, another subheading: neither
/// (A), at 20 % beyond de minimis, nor criterion D) leaves nothing to meet; the pack alone qualifies it
/// under (B) (VNM 20 -> 80 %).
#[test]
fn remove_alternatives() {
    let lines = cn_line("1", "8402.11", "20") + &us_line("2", "7208.51", "30");
    let b = batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines));
    assert_eq!(only(&check(&b)).audit.determination.alternative.as_deref(), Some("B"));
    let r = under("  - remove_alternatives: { rule: gn11-84-004, labels: [B] }\n", &b);
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert!(g.audit.determination.alternatives.iter().all(|a| a.label != "B"));
}

/// De minimis lowered to 7 %: 8403.90 (CTH only) with a Chinese part of 8403.10 worth 7.00 of an
/// adjusted TV of 100 -> 7.00 %, rescued; 7.01 -> 7.01 % > 7 %, not (the pack's 10 % rescues both).
#[test]
fn lower_de_minimis() {
    let b = |cn: &str| {
        let lines = cn_line("1", "8403.10", cn) + &us_line("2", "7208.51", "30");
        batch_now(&good_yaml("boiler-part", "8403.90", "transaction_value: 100", "", &lines))
    };
    let dm = "  - de_minimis: { value_share: 7 }\n";
    let r = under(dm, &b("7.00"));
    assert_eq!(outcome(only(&r)), Outcome::Qualified);
    assert!(has(only(&r), "DE_MINIMIS_APPLIED"));
    assert_eq!(outcome(only(&under(dm, &b("7.01")))), Outcome::NotQualified);
    assert_eq!(outcome(only(&check(&b("7.01")))), Outcome::Qualified);
}

/// A cap of 10 % on Chinese content by transaction value: a good that qualifies under (A) (Chinese
/// plate of another heading) with Chinese content 10.00 of 100 -> 10.00 %, within; 10.01 -> 10.01 %,
/// CONTENT_CAP_EXCEEDED, not qualified, remedy: re-source line 1.
#[test]
fn content_cap_at_its_boundary() {
    let cap = "  - content_cap: { countries: [CN], max_share: 10, basis: transaction-value }\n";
    let b = |cn: &str| {
        let lines = cn_line("1", "7208.51", cn) + &us_line("2", "7208.52", "30");
        batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines))
    };
    let r = under(cap, &b("10.00"));
    assert_eq!(outcome(only(&r)), Outcome::Qualified);
    assert!(!has(only(&r), "CONTENT_CAP_EXCEEDED"));
    let r = under(cap, &b("10.01"));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert!(g.certificate.is_none());
    let f = finding(g, "CONTENT_CAP_EXCEEDED");
    assert_eq!(f.severity, origin_engine::finding::Severity::Blocking);
    assert!(f.message.contains("10.01 / 100.00 = 10.01%"), "{}", f.message);
    assert_eq!(f.remedy, "re-source from outside CN (or make originating): 1 (10.01 USD)");
}

/// With `either`, within the cap by one base is enough: 12 of TV 100 (12 %) but of NC 150 (8 %).
#[test]
fn content_cap_either_base() {
    let cap = "  - content_cap: { countries: [CN], max_share: 10, basis: either }\n";
    let lines = cn_line("1", "7208.51", "12") + &us_line("2", "7208.52", "30");
    let b = batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100, net_cost: 150", "", &lines));
    assert_eq!(outcome(only(&under(cap, &b))), Outcome::Qualified);
    let tv_only = cap.replace("either", "transaction-value");
    assert_eq!(outcome(only(&under(&tv_only, &b))), Outcome::NotQualified);
}

/// Melt and pour: an originating US steel plate (7208.52) cannot be shown to be melted and poured in
/// the Parties from the batch: the good needs evidence, never "qualified".
#[test]
fn melt_and_pour_needs_evidence() {
    let lines = cn_line("1", "8402.11", "10") + &us_line("2", "7208.52", "30");
    let b = batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines));
    let r = under("  - melt_and_pour: {}\n", &b);
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    let f = finding(g, "MELT_AND_POUR_UNPROVEN");
    assert_eq!(f.materials, vec!["2"]);
    // A good with no steel or aluminium is untouched.
    let lines = cn_line("1", "8402.11", "10") + &us_line("2", "4016.93", "30");
    let b = batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines));
    assert_eq!(outcome(only(&under("  - melt_and_pour: {}\n", &b))), Outcome::Qualified);
}

/// Strict transshipment: unloading and storing in Panama under customs control keeps the status under
/// the pack (Art. 4.18) and loses it when no operation at all is allowed outside the Parties; a stop
/// with no operation keeps it either way.
#[test]
fn strict_transshipment() {
    let b = |ops: &str| {
        let lines = cn_line("1", "7208.51", "10") + &us_line("2", "7208.52", "30");
        let route = format!(
            "route: [{{ country: MX }}, {{ country: PA, operations: [{ops}], customs_control: true }}, {{ country: US }}]"
        );
        batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", &route, &lines))
    };
    let strict = "  - transit: { allowed_operations: [] }\n";
    assert_eq!(outcome(only(&check(&b("unloading, storing")))), Outcome::Qualified);
    let r = under(strict, &b("unloading, storing"));
    assert_eq!(outcome(only(&r)), Outcome::NotQualified);
    assert!(has(only(&r), "TRANSIT_OUTSIDE_PARTIES"));
    assert_eq!(outcome(only(&under(strict, &b("")))), Outcome::Qualified);
}

/// The laundering case of the demo batch: CAL-BUS-2P's forging bar (L01, 12.32) is declared VN but
/// traced to CN through the provenance graph, so it counts against a cap on Chinese content. Chinese
/// content = 12.32 + 0.22 + 0.04 + 0.30 + 0.10 = 12.98: 13.84 % of the adjusted TV 93.80 and 16.02 % of
/// the NC 81.00, above 10 % by both; declared origins alone would give 0.66 (0.70 %).
#[test]
fn content_cap_counts_traced_origin() {
    let cap = "  - content_cap: { countries: [CN], max_share: 10, basis: either }\n";
    let text = std::fs::read_to_string(root().join("fixtures/demo/batch.yaml")).unwrap();
    let s = parse_scenario(
        Path::new("t.yaml"),
        &format!("id: t\ntitle: t\nbasis: {{ kind: hypothetical, note: t }}\neffective_from: 2026-07-01\npack: usmca\noverlays:\n{cap}"),
    )
    .unwrap();
    let (rules, checks) = s.apply(pack()).unwrap();
    let batch = origin_engine::input::load_batch(&root().join("fixtures/demo/batch.yaml")).unwrap();
    let _ = text;
    let r =
        audit_batch_under(&rules, &checks, &batch, &RunOptions { as_of: None, threads: Some(1) }, &Progress::default())
            .unwrap();
    let g = good(&r, "CAL-BUS-2P");
    assert_eq!(outcome(g), Outcome::NotQualified);
    let f = finding(g, "CONTENT_CAP_EXCEEDED");
    assert!(f.message.contains("12.98 / 93.80 = 13.84%"), "{}", f.message);
    assert!(f.message.contains("12.98 / 81.00 = 16.02%"), "{}", f.message);
    assert!(f.materials.contains(&"L01".to_string()));
    // The closing set: the gap on the lenient base is 12.98 - 9.38 = 3.60; L01 alone closes it.
    assert!(f.remedy.contains("L01 (12.32 USD)"), "{}", f.remedy);
}

/// Scenario files are checked like rule packs: every problem located at file:line:column.
#[test]
fn scenario_errors_are_located() {
    let text = "id: bad\ntitle: bad\nbasis: { kind: proposal, note: x }\neffective_from: 2026-07-01\npack: usmca\noverlays:\n  - raise_rvc: { by: 10 }\n    de_minimis: { value_share: 5 }\n  - content_cap: { countries: [XX], max_share: 110, basis: tv }\n";
    let d = parse_scenario(Path::new("bad.yaml"), text).unwrap_err();
    let got: Vec<(&str, Option<usize>)> = d.iter().map(|d| (d.code, d.line)).collect();
    assert!(got.contains(&("uncited-proposal", Some(3))), "{got:?}");
    assert!(got.contains(&("one-kind", Some(7))), "{got:?}");
    assert!(got.contains(&("bad-basis", Some(9))), "{got:?}");
    assert!(got.contains(&("bad-threshold", Some(9))), "{got:?}");
    assert!(got.contains(&("bad-country", Some(9))), "{got:?}");
    let unknown = "id: x\ntitle: x\nbasis: { kind: hypothetical, note: x }\neffective_from: 2026-07-01\npack: usmca\noverlays:\n  - rase_rvc: { by: 10 }\n";
    let d = parse_scenario(Path::new("x.yaml"), unknown).unwrap_err();
    assert_eq!((d[0].code, d[0].line, d[0].path.as_str()), ("bad-shape", Some(7), "overlays[0].rase_rvc"), "{d:#?}");
    // Checked against the pack: an unknown rule, label, group and an empty scope, each at its line.
    let against = "id: x\ntitle: x\nbasis: { kind: hypothetical, note: x }\neffective_from: 2026-07-01\npack: usmca\noverlays:\n  - remove_alternatives: { rule: gn11-84-004, labels: [Z] }\n  - content_cap: { group: nowhere, max_share: 10, basis: either }\n  - raise_rvc: { by: 95 }\n  - raise_rvc: { by: 5 }\n    scope: { rule: no-such-rule }\n  - de_minimis: { value_share: 12 }\n";
    let s = parse_scenario(Path::new("x.yaml"), against).unwrap();
    let d = s.apply(pack()).unwrap_err();
    let got: Vec<(&str, Option<usize>)> = d.iter().map(|d| (d.code, d.line)).collect();
    assert_eq!(
        got,
        [
            ("unknown-alternative", Some(7)),
            ("unknown-group", Some(8)),
            ("bad-threshold", Some(9)),
            ("empty-scope", Some(11)),
            ("de-minimis-not-lower", Some(12)),
        ],
        "{d:#?}"
    );
}

/// The three shipped scenarios parse, apply to the bundled pack, and say what they rest on.
#[test]
fn shipped_scenarios_load() {
    let mut ids = Vec::new();
    for e in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yaml") {
            let s = origin_rules::scenario::load_scenario(&p).unwrap_or_else(|d| panic!("{}: {d:#?}", p.display()));
            s.apply(pack()).unwrap_or_else(|d| panic!("{}: {d:#?}", p.display()));
            ids.push(s.id.clone());
        }
    }
    ids.sort();
    assert_eq!(ids, ["cn-content-cap-10", "rvc-plus-10", "strict-transshipment"]);
}
