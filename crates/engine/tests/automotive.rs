//! Automotive: a part of a passenger vehicle or light truck listed in Table A.1 (core parts) or Table B
//! (principal parts) must meet the staged RVC for the as-of date instead of the product-specific rule's
//! threshold; where the pack does not encode the step for the date, the good needs evidence and the
//! engine never falls back to the rule's own threshold or another year's step.
//!
//! Legal basis: USMCA Annex 4-B Appendix (Automotive), Art. 3; HTSUS GN 11(k)(iii)(B) items (1)-(4)
//! (66/69/72/75 % NC, 76/79/82/85 % TV "if the corresponding rule in subdivision (o) includes a
//! transaction value method"), (k)(iii)(C) (a Table A.1 part "is originating only if" it meets (B)),
//! (k)(iii)(D) (Table B: 62.5 % NC from 2020-07-01, 65 % from 2021-07-01; later steps not retrieved);
//! SOR/2020-155 s. 14(2). Rules: GN 11(o) ch. 87 rule 29 (8708.40 for a passenger vehicle or light
//! truck: no change required, RVC >= 75 % NC) and rule 30 (heavy truck: 70 % NC).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// A gear box for a passenger vehicle (8708.40) with a Chinese material of 8708.99 worth `cn`, a
/// US-certified material (certification `cert`) worth 300, audited `as_of`, with `extra` fields.
fn gear_box(as_of: &str, values: &str, extra: &str, cn: &str, cert: &str) -> origin_engine::run::BatchReport {
    let lines =
        cn_line("1", "8708.99", cn) + &line("2", "8483.40", "300", "US", "acme-us", &format!("certification: {cert}"));
    check(&batch(as_of, &good_yaml("gearbox", "8708.40", values, &format!("use: passenger-vehicle\n{extra}"), &lines)))
}

fn rule_id(g: &origin_engine::run::GoodReport) -> String {
    g.audit.determination.rule.as_ref().map(|r| r.id.clone()).unwrap_or_default()
}

/// Rule 29, no staging category given: 75 % NC. NC 1000, VNM 250: 75 % met; VNM 250.01: 74.999 %.
#[test]
fn gear_box_rule_29_is_seventy_five_percent_net_cost() {
    let at = gear_box("2026-11-01", "net_cost: 1000", "", "250", "SC-US");
    let g = only(&at);
    assert_eq!(rule_id(g), "gn11-87-029");
    assert_eq!(rvc_of(g, "A", "net-cost").threshold.value(), d("75"));
    assert_eq!(outcome(g), Outcome::Qualified);

    let below = gear_box("2026-11-01", "net_cost: 1000", "", "250.01", "SC-US");
    assert_eq!(outcome(only(&below)), Outcome::NotQualified);
}

/// Core part on 2021-09-01: step (2) from 2021-07-01, 69 % NC. NC 1000, VNM 310: (1000 - 310) / 1000
/// = 69 %: met (the rule's own 75 % is replaced, "notwithstanding subdivision (o)").
#[test]
fn core_part_on_2021_09_01_needs_sixty_nine_percent() {
    let r = gear_box("2021-09-01", "net_cost: 1000", "automotive: { category: pv-lt-core-part }", "310", "SC-2021");
    let g = only(&r);
    let m = rvc_of(g, "A", "net-cost");
    assert_eq!(m.threshold.value(), d("69"));
    assert_eq!(m.rvc.value(), d("69"));
    assert_eq!(outcome(g), Outcome::Qualified, "{}", g.audit.determination.summary);
}

/// ... and VNM 310.01 on the same date: 68.999 % < 69 %: not originating.
#[test]
fn core_part_on_2021_09_01_below_sixty_nine_percent() {
    let r = gear_box("2021-09-01", "net_cost: 1000", "automotive: { category: pv-lt-core-part }", "310.01", "SC-2021");
    let g = only(&r);
    assert_eq!(rvc_of(g, "A", "net-cost").rvc.value(), d("68.999"));
    assert_eq!(outcome(g), Outcome::NotQualified);
}

/// The same core part with VNM 310 on 2026-11-01: step (4), 75 % NC, applies: 69 % is not enough.
#[test]
fn core_part_on_2026_11_01_needs_seventy_five_percent() {
    let r = gear_box("2026-11-01", "net_cost: 1000", "automotive: { category: pv-lt-core-part }", "310", "SC-US");
    let g = only(&r);
    assert_eq!(rvc_of(g, "A", "net-cost").threshold.value(), d("75"));
    assert_eq!(outcome(g), Outcome::NotQualified);

    let at = gear_box("2026-11-01", "net_cost: 1000", "automotive: { category: pv-lt-core-part }", "250", "SC-US");
    assert_eq!(outcome(only(&at)), Outcome::Qualified);
}

/// The staged TV figure (79 % in 2021) applies only if the rule has a TV method; rule 29 is net cost
/// only, so a TV alone decides nothing: needs evidence, and no TV computation is shown.
#[test]
fn staged_transaction_value_does_not_apply_to_a_net_cost_only_rule() {
    let r = gear_box(
        "2021-09-01",
        "transaction_value: 5000",
        "automotive: { category: pv-lt-core-part }",
        "100",
        "SC-2021",
    );
    let g = only(&r);
    let rvc = alternative(g, "A").rvc.as_ref().expect("RVC attempted");
    assert!(rvc.methods.iter().all(|m| m.method != "transaction-value"));
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
}

/// Table B principal part on 2021-07-01 (step (2): 65 % NC). NC 1000, VNM 350: 65 %: met; 350.01: not.
#[test]
fn principal_part_on_its_last_known_step() {
    let at =
        gear_box("2021-07-01", "net_cost: 1000", "automotive: { category: pv-lt-principal-part }", "350", "SC-2021");
    let g = only(&at);
    assert_eq!(rvc_of(g, "A", "net-cost").threshold.value(), d("65"));
    assert_eq!(outcome(g), Outcome::Qualified);

    let below =
        gear_box("2021-07-01", "net_cost: 1000", "automotive: { category: pv-lt-principal-part }", "350.01", "SC-2021");
    assert_eq!(outcome(only(&below)), Outcome::NotQualified);
}

/// Table B principal part on 2026-11-01, after the date the pack knows the table until (2021-07-01):
/// AUTOMOTIVE_STAGING_NOT_ENCODED, needs evidence, even with an RVC of 90 % ((1000 - 100) / 1000) that
/// would meet any step: the engine does not guess.
#[test]
fn principal_part_after_the_known_steps_is_not_encoded() {
    let r = gear_box("2026-11-01", "net_cost: 1000", "automotive: { category: pv-lt-principal-part }", "100", "SC-US");
    let g = only(&r);
    assert_eq!(finding(g, "AUTOMOTIVE_STAGING_NOT_ENCODED").severity, origin_engine::finding::Severity::Blocking);
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    assert!(g.certificate.is_none());
}

/// Table C complementary parts: no staging table in the pack at all.
#[test]
fn complementary_part_staging_is_not_encoded() {
    let r =
        gear_box("2026-11-01", "net_cost: 1000", "automotive: { category: pv-lt-complementary-part }", "100", "SC-US");
    let g = only(&r);
    assert!(has(g, "AUTOMOTIVE_STAGING_NOT_ENCODED"));
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
}

/// A gear box for a heavy truck: rule 30, 70 % NC. NC 1000, VNM 300: 70 %: met.
#[test]
fn heavy_truck_gear_box_is_seventy_percent_net_cost() {
    let lines = cn_line("1", "8708.99", "300") + &us_line("2", "8483.40", "300");
    let r = check(&batch_now(&good_yaml("gearbox-ht", "8708.40", "net_cost: 1000", "use: heavy-truck", &lines)));
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-87-030");
    assert_eq!(rvc_of(g, "A", "net-cost").rvc.value(), d("70"));
    assert_eq!(outcome(g), Outcome::Qualified);
}

/// Every decision carries its reasons (an auditor must be able to redo it from the output): when the
/// staged 69 % replaces rule 29's 75 %, the determination must not say it met "not less than 75.00%".
/// Core part on 2021-09-01 with RVC exactly 69 %: the summary and the alternative's requirement state
/// the 69 % that was applied.
#[test]
fn the_determination_states_the_staged_threshold_it_applied() {
    let r = gear_box("2021-09-01", "net_cost: 1000", "automotive: { category: pv-lt-core-part }", "310", "SC-2021");
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified);
    let det = &g.audit.determination;
    assert!(!det.summary.contains("75.00%"), "the summary claims the unstaged threshold: {}", det.summary);
    assert!(det.summary.contains("69"), "the summary does not state the staged threshold: {}", det.summary);
    assert!(!alternative(g, "A").requirement.contains("75.00%"), "{}", alternative(g, "A").requirement);
}

// ---------------------------------------------------------------------------------------------------
// Issue 11 item 5: the automotive provisions as the law has them.
// ---------------------------------------------------------------------------------------------------

/// A gear box (8708.40) for a heavy truck stated a Table D principal part, with one Chinese material of
/// 8708.99 worth `cn`, net cost 1000, audited `as_of`. Rule 30 (heavy truck) reads 70 % NC.
fn heavy_truck_gear_box(as_of: &str, cn: &str) -> origin_engine::run::BatchReport {
    let lines = cn_line("1", "8708.99", cn);
    check(&batch(
        as_of,
        &good_yaml(
            "gearbox-ht",
            "8708.40",
            "net_cost: 1000",
            "use: heavy-truck\nautomotive: { category: heavy-truck-principal-part }",
            &lines,
        ),
    ))
}

/// Appendix Art. 4.2 (Table D), step (2): 64 % NC from 2024-07-01, in place of rule 30's 70 %. On
/// 2026-11-01, VNM 360 of NC 1000: (1000 - 360) / 1000 = 64 %: met; VNM 360.01: 63.999 %: not. Today the
/// rule's 70 % applies at every date and the first is "not qualified".
#[test]
fn heavy_truck_principal_part_appendix_art_4_2_is_64_percent_from_2024_07_01() {
    let r = heavy_truck_gear_box("2026-11-01", "360");
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-87-030");
    let m = rvc_of(g, "A", "net-cost");
    assert_eq!(m.threshold.value(), d("64"));
    assert_eq!(m.rvc.value(), d("64"));
    assert_eq!(outcome(g), Outcome::Qualified, "{}", g.audit.determination.summary);
    assert!(g.audit.determination.summary.contains("Art. 4.2"), "{}", g.audit.determination.summary);
    // Second-hand figures: the determination carries the caveat.
    assert!(g.audit.determination.caveats.iter().any(|c| c.contains("heavy-truck-principal-parts")));

    let below = heavy_truck_gear_box("2026-11-01", "360.01");
    assert_eq!(outcome(only(&below)), Outcome::NotQualified);
}

/// Art. 4.2 step (1): 60 % NC from 2020-07-01 (VNM 400: 60 %: met on 2021-09-01), and step (3): 70 % NC
/// from 2027-07-01 (the same VNM 360 that meets 64 % in 2026 fails on 2027-07-01).
#[test]
fn heavy_truck_principal_part_staging_steps_by_date() {
    let r = heavy_truck_gear_box("2021-09-01", "400");
    assert_eq!(rvc_of(only(&r), "A", "net-cost").threshold.value(), d("60"));
    assert_eq!(outcome(only(&r)), Outcome::Qualified);

    let r = heavy_truck_gear_box("2027-07-01", "360");
    assert_eq!(rvc_of(only(&r), "A", "net-cost").threshold.value(), d("70"));
    assert_eq!(outcome(only(&r)), Outcome::NotQualified);
}

/// A starter motor (8511.40) for heavy trucks, stated a Table D principal part: GN 11(o) ch. 85 rule 29 is
/// a change of subheading only, but the Appendix requires the staged RVC as well (CBP HQ H313365). On
/// 2026-11-01 (64 % NC), a Chinese part of 8503.00 worth `cn` of NC 1000.
fn heavy_truck_starter(cn: &str) -> origin_engine::run::BatchReport {
    let lines = cn_line("1", "8503.00", cn);
    check(&batch_now(&good_yaml(
        "starter-ht",
        "8511.40",
        "net_cost: 1000",
        "use: heavy-truck\nautomotive: { category: heavy-truck-principal-part }",
        &lines,
    )))
}

/// HQ H313365: the tariff shift alone does not make a heavy-truck starter originating. VNM 500: shift met,
/// RVC 50 % < 64 %: not originating (today "qualified B" on the shift alone); VNM 360: 64 %: originating.
#[test]
fn heavy_truck_starter_needs_the_staged_rvc_hq_h313365() {
    let r = heavy_truck_starter("500");
    let g = only(&r);
    assert_eq!(alternative(g, "-").shift.as_deref(), Some("met"));
    assert_eq!(rvc_of(g, "-", "net-cost").threshold.value(), d("64"));
    assert_eq!(outcome(g), Outcome::NotQualified, "{}", g.audit.determination.summary);
    assert!(g.certificate.is_none());

    let r = heavy_truck_starter("360");
    assert_eq!(outcome(only(&r)), Outcome::Qualified, "{}", only(&r).audit.determination.summary);
}

/// A gear box (8708.40) for a farm tractor (8701, other use: rule 31 (A), change to gear boxes from any
/// other heading), with a Chinese material of 7326.90 worth `cn`, NC 1000, stated `other-vehicle`.
fn tractor_gear_box(cn: &str) -> origin_engine::run::BatchReport {
    let lines = cn_line("1", "7326.90", cn);
    check(&batch_now(&good_yaml(
        "gearbox-tractor",
        "8708.40",
        "net_cost: 1000",
        "use: other\nkind: gear boxes\nautomotive: { category: other-vehicle }",
        &lines,
    )))
}

/// GN 11(k) page 43 (B)(2): a good of 8708.40 for use in a vehicle of (B)(1) needs 60 % NC
/// "notwithstanding the provisions of subdivision (o)", although rule 31 (A) is a change of heading only.
/// VNM 600 of NC 1000: 40 % < 60 %: the change of heading alone does not qualify it (today "qualified B");
/// VNM 400: 60 %: met.
#[test]
fn gn11_k_b2_tractor_gear_box_needs_sixty_percent_net_cost() {
    let r = tractor_gear_box("600");
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-87-031");
    assert_eq!(alternative(g, "A").shift.as_deref(), Some("met"));
    assert_eq!(rvc_of(g, "A", "net-cost").threshold.value(), d("60"));
    assert_ne!(outcome(g), Outcome::Qualified, "{}", g.audit.determination.summary);

    let r = tractor_gear_box("400");
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified, "{}", g.audit.determination.summary);
    assert!(alternative(g, "A").requirement.contains("page 43"), "{}", alternative(g, "A").requirement);
}

/// An airbag module (8708.95) for a passenger vehicle stated a Table A.1 core part, with a Chinese material
/// of its own subheading worth 450 (NC 1000). Rule 48: (A) change of heading fails (same subheading);
/// (B) no change + RVC, staged to 75 % NC: (1000 - 450) / 1000 = 55 % < 75 %. Criterion D's 50 % NC would
/// be met, but GN 11(k)(iii)(C): a core part "is originating only if" it meets the staged RVC. Today:
/// "qualified D" with a certificate draft.
#[test]
fn core_part_never_qualifies_under_criterion_d_gn11_k_iii_c() {
    let lines = cn_line("1", "8708.95", "450");
    let r = check(&batch_now(&good_yaml(
        "airbag-core",
        "8708.95",
        "net_cost: 1000",
        "use: passenger-vehicle\nautomotive: { category: pv-lt-core-part }",
        &lines,
    )));
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-87-048");
    assert_eq!(rvc_of(g, "B", "net-cost").threshold.value(), d("75"));
    assert_ne!(criterion(g), Some('D'));
    assert_eq!(outcome(g), Outcome::NotQualified, "{}", g.audit.determination.summary);
    assert!(g.certificate.is_none());
}

/// Table C complementary parts have no staging in the pack. A passenger-vehicle airbag module stated
/// `pv-lt-complementary-part` whose Chinese material (7326.90) makes rule 48 (A)'s change of heading:
/// today "qualified B" beside a blocking AUTOMOTIVE_STAGING_NOT_ENCODED; the staging that applies is not
/// known, so it needs evidence.
#[test]
fn staging_not_encoded_never_qualifies_a_tariff_shift_alternative() {
    let lines = cn_line("1", "7326.90", "100");
    let r = check(&batch_now(&good_yaml(
        "airbag-comp",
        "8708.95",
        "net_cost: 1000",
        "use: passenger-vehicle\nautomotive: { category: pv-lt-complementary-part }",
        &lines,
    )));
    let g = only(&r);
    assert!(has(g, "AUTOMOTIVE_STAGING_NOT_ENCODED"));
    assert_eq!(outcome(g), Outcome::NeedsEvidence, "{}", g.audit.determination.summary);
    assert!(g.certificate.is_none());
}

/// A heavy truck of 8704 stated `heavy-truck`: the pack's heavy-truck table covers 8701.20 only, so the
/// staging of an 8704 heavy truck is not encoded (it must not borrow the road tractor's row).
#[test]
fn heavy_truck_table_for_8701_20_is_not_applied_to_other_heavy_trucks() {
    let pack = pack();
    let st = origin_engine::checks::automotive::staging(
        pack,
        origin_rules::StagingCategory::HeavyTruck,
        origin_core::HsCode::parse("8704.23").expect("code"),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
        false,
    );
    assert!(matches!(st, origin_engine::checks::automotive::Staging::NotEncoded(_)), "{st:?}");
}

/// Art. 4.5 / 4.8 with GN 11(o) rule 29: a passenger-vehicle gear box (NC 1000) holds a self-produced
/// intermediate gear set of 8708.40 (value 400, net cost 400) made of a Chinese 8708.99 part worth 50 and
/// a US-certified part worth 100, plus a Chinese 8708.99 part worth 200. The gear set is for the same
/// passenger vehicle: rule 29, (400 - 50) / 400 = 87.5 % >= 75 %: originating, so VNM = 200 and the gear
/// box is at 80 %. Today the sub-audit loses the use (RULE_NEEDS_FACTS), the intermediate material counts
/// its whole 400 and the gear box fails at (1000 - 600) / 1000 = 40 %.
#[test]
fn self_produced_sub_assembly_keeps_the_passenger_vehicle_use() {
    let sub = cn_line("s1", "8708.99", "50") + &us_line("s2", "8483.40", "100");
    let sub: String = sub.lines().map(|l| format!("        {l}\n")).collect();
    let lines = format!(
        "      - line: S\n        description: \"self-produced gear set\"\n        hs: \"8708.40\"\n        quantity: 1\n        unit_value: 400\n        currency: USD\n        origin: MX\n        self_produced:\n          intermediate: true\n          net_cost: 400\n          materials:\n{sub}"
    ) + &cn_line("2", "8708.99", "200");
    let r = check(&batch_now(&good_yaml("gearbox-sub", "8708.40", "net_cost: 1000", "use: passenger-vehicle", &lines)));
    let g = only(&r);
    assert_eq!(g.audit.determination.values.vnm, d("200"));
    assert_eq!(rvc_of(g, "A", "net-cost").rvc.value(), d("80"));
    assert_eq!(outcome(g), Outcome::Qualified, "{}", g.audit.determination.summary);
}

/// Issue 12 item 6: a road tractor (8701.20, a heavy truck) that meets its product rule is still not
/// "qualified": the labor value content and steel and aluminum requirements (Appendix Art. 6-7) are not
/// encoded and the batch cannot carry their data. NC 1000, Chinese material of 7326.90 worth 100: CTH met,
/// RVC 90 % >= 64 % (2026-11-01). Today: "qualified B" with a certificate draft.
#[test]
fn covered_vehicle_needs_labor_value_content_and_steel_data() {
    let lines = cn_line("1", "7326.90", "100");
    let r = check(&batch_now(&good_yaml("tractor-road", "8701.20", "net_cost: 1000", "", &lines)));
    let g = only(&r);
    let f = finding(g, "VEHICLE_REQUIREMENT_NOT_ENCODED");
    assert_eq!(f.severity, origin_engine::finding::Severity::Blocking);
    assert!(f.evidence.iter().any(|e| e.contains("labor value content")), "{:?}", f.evidence);
    assert!(f.evidence.iter().any(|e| e.contains("steel and aluminum")), "{:?}", f.evidence);
    assert_eq!(outcome(g), Outcome::NeedsEvidence, "{}", g.audit.determination.summary);
    assert!(g.certificate.is_none());
}

/// A farm tractor (8701.10) is one of GN 11(k) page 43 (B)(1)'s other vehicles, not a covered vehicle:
/// no LVC or steel question; CTH and 90 % >= 60 % NC: originating.
#[test]
fn farm_tractor_is_not_a_covered_vehicle() {
    let lines = cn_line("1", "7326.90", "100");
    let r = check(&batch_now(&good_yaml("tractor-farm", "8701.10", "net_cost: 1000", "", &lines)));
    let g = only(&r);
    assert!(!has(g, "VEHICLE_REQUIREMENT_NOT_ENCODED"));
    assert_eq!(outcome(g), Outcome::Qualified, "{}", g.audit.determination.summary);
}

/// GN 11(o) ch. 87 subheading rule for 8708.40: "If the good is for use in a heavy truck, Articles 4.2 and
/// 4.4 of the automotive appendix apply". A heavy-truck gear box with no category stated and RVC 64 %
/// (VNM 360 of NC 1000) on 2026-11-01 is short of rule 30's 70 %, but as a Table D part it would meet the
/// staged 64 %: it needs its category stated, never "not originating" on the rule's final figure.
#[test]
fn heavy_truck_part_without_category_needs_it_when_short_of_the_rule_figure() {
    let lines = cn_line("1", "8708.99", "360");
    let r = check(&batch_now(&good_yaml("gearbox-ht", "8708.40", "net_cost: 1000", "use: heavy-truck", &lines)));
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-87-030");
    assert_eq!(outcome(g), Outcome::NeedsEvidence, "{}", g.audit.determination.summary);
    assert!(finding(g, "RULE_NEEDS_FACTS").remedy.contains("heavy-truck-principal-part"));
}
