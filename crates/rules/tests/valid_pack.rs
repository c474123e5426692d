#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The valid pack `fixtures/rules/minimal` loads without a diagnostic, and a few of its rules resolve to
//! the typed model their legal text says. Each snapshot is the `{:#?}` of the typed `Rule`; the legal text
//! is in the snapshot too (the `text` field), so the two can be read side by side.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use origin_core::HsCode;
use origin_rules::{
    KindQualifier, Lookup, Review, Rule, RuleQuery, RuleSet, ShiftRequirement, StagingAnswer, VehicleUse, load_pack,
};
use rust_decimal::Decimal;

fn minimal_pack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/minimal")
}

fn load() -> RuleSet {
    let dir = minimal_pack();
    let loaded = load_pack(&dir);
    let rendered: Vec<String> = loaded.diagnostics.iter().map(|d| d.render(&dir)).collect();
    assert!(loaded.diagnostics.is_empty(), "the minimal pack must load cleanly:\n{}", rendered.join("\n"));
    loaded.rules.expect("a pack without errors yields a rule set")
}

fn rule<'a>(rules: &'a RuleSet, id: &str) -> &'a Rule {
    rules.rules.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no rule `{id}` in the minimal pack"))
}

fn hs(s: &str) -> HsCode {
    HsCode::parse(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn pct(v: i64) -> Decimal {
    Decimal::from(v)
}

/// Looks up `code` for `use_` and `kind` on `on`, and returns the id of the rule found.
fn found(rules: &RuleSet, code: &str, on: &str, use_: Option<VehicleUse>, kind: Option<&str>) -> String {
    match rules.lookup(RuleQuery { hs: hs(code), as_of: date(on), vehicle_use: use_, good_kind: kind, parties: None }) {
        Lookup::Found(r) => r.id.clone(),
        other => panic!("{code} on {on} ({use_:?}, {kind:?}): expected one rule, got {other:?}"),
    }
}

fn snapshot(name: &str, r: &Rule) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/valid");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, format!("{r:#?}")));
}

#[test]
fn minimal_pack_loads_without_diagnostics() {
    let rules = load();
    assert_eq!(rules.pack.id, "minimal");
    assert_eq!(rules.chapters, vec![85, 87]);
    assert_eq!(rules.rules.len(), 13);
    assert_eq!(rules.chapter_rules.len(), 1);
    assert_eq!(rules.country_groups.len(), 3);
    assert_eq!(rules.transformation_policy.corridors.len(), 2);
    // Corridor steps are resolved to countries: trade-remedy-watch -> [CN], asean -> 11 members, MX.
    let corridor = &rules.transformation_policy.corridors[0];
    assert_eq!(corridor.path.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 11, 1]);
}

/// GN 11(o), chapter 87, rule 29: "For a good of subheading 8708.40 for use in a passenger vehicle or light truck:
/// (A) No change in tariff classification to a good of subheading 8708.40, provided there is a regional
/// value content of not less than 75 percent under the net cost method."
#[test]
fn rule_87_029_no_change_required_75_nc() {
    let rules = load();
    let r = rule(&rules, "gn11-87-029");
    assert_eq!(r.uses, vec![VehicleUse::PassengerVehicle, VehicleUse::LightTruck]);
    assert_eq!(r.alternatives.len(), 1);
    let a = &r.alternatives[0];
    assert_eq!(a.shift, ShiftRequirement::NoChangeRequired);
    let rvc = a.rvc.unwrap();
    assert_eq!(rvc.tv, None, "net cost only: the rule has no transaction value threshold");
    assert_eq!(rvc.nc.map(|p| p.0), Some(pct(75)));
    snapshot("gn11-87-029", r);
}

/// GN 11(o), chapter 85, rule 89: "(A) A change to heading 8537 from any other heading, except from printed circuit assemblies of
/// subheading 8538.90 or moulded parts of subheading 8538.90; or (B) A change to heading 8537 from printed
/// circuit assemblies of subheading 8538.90 or moulded parts of subheading 8538.90 or, whether or not there
/// is also a change from any other heading, provided there is a regional value content of not less than:
/// (1) 50 percent where the transaction value method is used; or (2) 40 percent where the net cost method
/// is used."
#[test]
fn rule_85_089_exceptions_name_kinds_of_material() {
    let rules = load();
    let r = rule(&rules, "gn11-85-089");
    assert_eq!(r.review, Review::UnverifiedTranscription);
    assert!(r.review.caveat().is_some());
    let ShiftRequirement::Shift(a) = &r.alternatives[0].shift else { panic!("(A) is a tariff shift") };
    let kinds: Vec<_> = a.except.iter().map(|m| (m.hs.to_string(), m.kind.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            ("8538.90".to_string(), Some("printed circuit assemblies".to_string())),
            ("8538.90".to_string(), Some("moulded parts".to_string())),
        ]
    );
    let ShiftRequirement::Shift(b) = &r.alternatives[1].shift else { panic!("(B) is a tariff shift") };
    assert_eq!(b.also_from, a.except, "(B) allows exactly the materials (A) excepts");
    let rvc = r.alternatives[1].rvc.unwrap();
    assert_eq!((rvc.tv.map(|p| p.0), rvc.nc.map(|p| p.0)), (Some(pct(50)), Some(pct(40))));
    snapshot("gn11-85-089", r);
}

/// GN 11(o), chapter 85, rule 29: "A change to subheadings 8511.10 through 8511.80 from any other subheading, including another
/// subheading within that group."
#[test]
fn rule_85_029_range_including_within_group() {
    let rules = load();
    let r = rule(&rules, "gn11-85-029");
    assert_eq!(r.hs.to_string(), "8511.10-8511.80");
    assert_eq!(r.motor_vehicle_provisions, Some(true));
    assert!(r.preamble.as_deref().is_some_and(|p| p.starts_with("Subheading rule:")));
    snapshot("gn11-85-029", r);
}

/// Beginning on July 1, 2020 until July 1, 2025, ... (a) A change to subheadings 8504.21 through 8504.34
/// from any other heading; or (b) ... from subheading 8504.90 ... 60 percent TV / 50 percent NC.
/// Beginning on July 1, 2025, and thereafter, ... (a) ... from any other heading, except from headings
/// 7225, 7226 or 7326; or (b) No change in tariff classification ... 65 percent TV / 55 percent NC.
#[test]
fn rules_85_8504_21_dated_variants() {
    let rules = load();
    let p1 = rule(&rules, "gn11-85-8504-21-p1");
    let p2 = rule(&rules, "gn11-85-8504-21-p2");
    assert_eq!((p1.effective_from, p1.effective_to), (date("2020-07-01"), Some(date("2025-06-30"))));
    assert_eq!((p2.effective_from, p2.effective_to), (date("2025-07-01"), None));
    // "until July 1, 2025": the last day of the first variant is June 30; July 1 belongs to the second.
    assert_eq!(found(&rules, "8504.31", "2025-06-30", None, None), "gn11-85-8504-21-p1");
    assert_eq!(found(&rules, "8504.31", "2025-07-01", None, None), "gn11-85-8504-21-p2");
    assert_eq!(p2.alternatives[1].shift, ShiftRequirement::NoChangeRequired);
    snapshot("gn11-85-8504-21-p1", p1);
    snapshot("gn11-85-8504-21-p2", p2);
}

/// GN 11(o), chapter 87, rule 24: "For a body stamping of subheading 8708.29 for use in a passenger vehicle or light truck: (A) No
/// change in tariff classification to a body stamping of subheading 8708.29, provided there is a regional
/// value content of at least 75 percent under the net cost method."
/// Rule 25: "For any other good of subheading 8708.29 for use in a passenger vehicle, light truck or heavy truck:
/// (A) A change to subheading 8708.29 from any other heading; or (B) No change in" [cut in the copy]
#[test]
fn rules_87_024_025_split_by_description() {
    let rules = load();
    let r24 = rule(&rules, "gn11-87-024");
    let r25 = rule(&rules, "gn11-87-025");
    assert_eq!(r24.good_kind, KindQualifier::Only("body stamping".into()));
    assert_eq!(r25.good_kind, KindQualifier::OtherThan(vec!["body stamping".into()]));
    assert_eq!(r25.review, Review::Incomplete);
    let pv = Some(VehicleUse::PassengerVehicle);
    assert_eq!(found(&rules, "8708.29", "2026-07-01", pv, Some("body stamping")), "gn11-87-024");
    assert_eq!(found(&rules, "8708.29", "2026-07-01", pv, Some("door hinge")), "gn11-87-025");
    assert!(matches!(
        rules.lookup(RuleQuery {
            hs: hs("8708.29"),
            as_of: date("2026-07-01"),
            vehicle_use: pv,
            good_kind: None,
            parties: None
        }),
        Lookup::NeedsDescription(_)
    ));
    snapshot("gn11-87-024", r24);
}

/// The 8708.40 rules differ by use only: 29 (passenger vehicle, light truck: 75 NC), 30 (heavy truck:
/// 70 NC), 31 ("any other good": gear boxes from any other heading).
#[test]
fn rules_87_8708_40_by_use() {
    let rules = load();
    let on = "2026-07-01";
    assert_eq!(found(&rules, "8708.40", on, Some(VehicleUse::PassengerVehicle), None), "gn11-87-029");
    assert_eq!(found(&rules, "8708.40", on, Some(VehicleUse::LightTruck), None), "gn11-87-029");
    assert_eq!(found(&rules, "8708.40.50", on, Some(VehicleUse::HeavyTruck), None), "gn11-87-030");
    assert_eq!(found(&rules, "8708.40", on, Some(VehicleUse::Other), Some("gear boxes")), "gn11-87-031");
    assert!(matches!(
        rules.lookup(RuleQuery {
            hs: hs("8708.40"),
            as_of: date(on),
            vehicle_use: None,
            good_kind: None,
            parties: None
        }),
        Lookup::NeedsUse(_)
    ));
    // Before the pack's first day there is no rule.
    assert!(matches!(
        rules.lookup(RuleQuery {
            hs: hs("8708.40"),
            as_of: date("2020-06-30"),
            vehicle_use: Some(VehicleUse::PassengerVehicle),
            good_kind: None,
            parties: None
        }),
        Lookup::NoRule { .. }
    ));
}

/// GN 11(k)(iii)(B): 66 / 69 / 72 / 75 percent NC (76 / 79 / 82 / 85 TV) beginning July 1 of 2020-2023.
#[test]
fn staging_table_core_parts() {
    let rules = load();
    let t = rules.automotive.staging_tables.iter().find(|t| t.id == "pv-lt-core-parts").unwrap();
    let nc_on = |d: &str| match t.step_on(date(d)) {
        StagingAnswer::Step(s) => (s.nc.0, s.tv.map(|p| p.0)),
        other => panic!("{d}: {other:?}"),
    };
    assert_eq!(nc_on("2021-06-30"), (pct(66), Some(pct(76))));
    assert_eq!(nc_on("2021-07-01"), (pct(69), Some(pct(79))));
    assert_eq!(nc_on("2026-07-01"), (pct(75), Some(pct(85))));
    assert_eq!(t.step_on(date("2020-06-30")), StagingAnswer::BeforeFirstStep);
}
