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
