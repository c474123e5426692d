//! Tariff shift: under criterion B, every non-originating material must make the change in tariff
//! classification the product-specific rule requires; "except from" lists materials that may not be
//! non-originating; "except from more than one of the following" lets one listed item pass; a rule's
//! alternatives are joined by "or" and meeting one is enough; where an exception names a kind of
//! material within a code, the batch must say whether the material is of that kind.
//!
//! Legal basis: USMCA Art. 4.2(b) and Annex 4-B, Section A (interpretation of the product-specific
//! rules); 19 U.S.C. 4531(c)(1)(B); HTSUS GN 11(o) rules cited per test (ch. 84 rule 151, ch. 85
//! rules 29, 79 and 89, ch. 84 rules 4 and 150). The shift applies only to non-originating materials.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

fn rule_id(g: &origin_engine::run::GoodReport) -> &str {
    g.audit.determination.rule.as_ref().map(|r| r.id.as_str()).unwrap_or("")
}

// ---- GN 11(o) ch. 85 rule 29: 8511.10-8511.80 "from any other subheading, including another
// ---- subheading within that group".

/// A starter motor (8511.40) from Chinese parts of 8511.90 and a Chinese generator of 8511.50: both
/// are other subheadings (8511.50 is inside the group, which the rule allows).
#[test]
fn starter_motor_from_parts_and_another_subheading_of_the_group_makes_the_shift() {
    let lines = cn_line("1", "8511.90", "30") + &cn_line("2", "8511.50", "20") + &us_line("3", "7318.15", "5");
    let r = check(&batch_now(&good_yaml("starter", "8511.40", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-85-029");
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(criterion(g), Some('B'));
    assert!(alternative(g, "-").failing_materials.is_empty());
}

/// A Chinese starter-motor subassembly of the good's own subheading 8511.40 does not change subheading.
/// Worth 45 of a TV of 100 it is above de minimis (45 % > 10 %), and criterion D needs RVC >= 60 %
/// TV: (100 - 45) / 100 = 55 % < 60 %. Not originating; the finding names the breaking line.
#[test]
fn material_of_the_same_subheading_breaks_the_shift() {
    let lines = cn_line("1", "8511.40", "45") + &us_line("2", "8511.90", "20");
    let r = check(&batch_now(&good_yaml("starter", "8511.40", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified, "{}", g.audit.determination.summary);
    let f = finding(g, "TARIFF_SHIFT_NOT_MET");
    assert_eq!(f.materials, vec!["1".to_string()]);
    assert_eq!(alternative(g, "-").failing_materials, vec!["1".to_string()]);
}

/// The shift applies only to non-originating materials: a US-certified subassembly of 8511.40 does
/// not need to change classification.
#[test]
fn originating_material_of_the_same_subheading_does_not_need_to_shift() {
    let lines = us_line("1", "8511.40", "45") + &cn_line("2", "8511.90", "20");
    let r = check(&batch_now(&good_yaml("starter", "8511.40", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(criterion(g), Some('B'));
}

// ---- GN 11(o) ch. 85 rule 79 (8535): (A) CTH except from 8538.90.10, .30, .60; or (B) CTH including
// ---- from them, with RVC >= 60 % TV / 50 % NC.

/// A Chinese contact part of tariff item 8538.90.10 is excepted in (A), but (B) allows it with RVC:
/// VNM = 20 + 10 = 30, RVC(TV) = (100 - 30) / 100 = 70 % >= 60 %: criterion B under (B).
#[test]
fn excepted_tariff_item_fails_a_but_b_with_rvc_is_met() {
    let lines = cn_line("1", "8538.90.10", "20") + &cn_line("2", "8536.10", "10") + &us_line("3", "7318.15", "5");
    let r = check(&batch_now(&good_yaml("breaker", "8535.21", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-85-079");
    assert_eq!(alternative(g, "A").outcome, "not met");
    assert_eq!(alternative(g, "A").failing_materials, vec!["1".to_string()]);
    assert_eq!(alternative(g, "B").outcome, "met");
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("70"));
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(g.audit.determination.alternative.as_deref(), Some("B"));
}

/// The same good with the 8538.90.10 part worth 45: (A) fails on line 1 (45 % > 10 % de minimis);
/// (B) RVC = (100 - 55) / 100 = 45 % < 60 %. Two blocking findings: the shift of (A) and the RVC of (B).
#[test]
fn excepted_tariff_item_and_low_rvc_is_not_originating() {
    let lines = cn_line("1", "8538.90.10", "45") + &cn_line("2", "8536.10", "10");
    let r = check(&batch_now(&good_yaml("breaker", "8535.21", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert_eq!(finding(g, "TARIFF_SHIFT_NOT_MET").materials, vec!["1".to_string()]);
    assert!(has(g, "RVC_BELOW_THRESHOLD"));
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("45"));
}

/// A material classified only to 8538.90 may or may not be one of the excepted tariff items: (A) cannot
/// be decided; (B) fails on RVC (45 %), so the good needs evidence and the finding asks to classify it.
#[test]
fn material_classified_too_shallow_for_the_exception_needs_evidence() {
    let lines = cn_line("1", "8538.90", "45") + &cn_line("2", "8536.10", "10");
    let r = check(&batch_now(&good_yaml("breaker", "8535.21", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(alternative(g, "A").outcome, "undetermined");
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    let f = finding(g, "MATERIAL_FACT_MISSING");
    assert!(f.remedy.contains("8538.90"), "{}", f.remedy);
}

// ---- GN 11(o) ch. 84 rule 151 (8459.31): (A) CTH except from more than one of (1) 8413.50-8413.60,
// ---- (2) 8466.93.15/.30/.53, (3) 8501.32/8501.52, (4) 8537.10; or (B) CTH including from them, RVC 60/50.

/// One listed item may pass: a Chinese motor of 8501.32 (item 3) and Chinese gears (8483.40, not
/// listed) make (A).
#[test]
fn one_item_of_more_than_one_of_passes() {
    let lines = cn_line("1", "8501.32", "300") + &cn_line("2", "8483.40", "200") + &us_line("3", "7308.90", "100");
    let r = check(&batch_now(&good_yaml("boring-mill", "8459.31", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-84-151");
    assert_eq!(alternative(g, "A").outcome, "met");
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(g.audit.determination.alternative.as_deref(), Some("A"));
}

/// Two materials of the same item (two motors, 8501.32 and 8501.52, item 3) are still one item.
#[test]
fn two_materials_of_the_same_item_count_once() {
    let lines = cn_line("1", "8501.32", "300") + &cn_line("2", "8501.52", "200");
    let r = check(&batch_now(&good_yaml("boring-mill", "8459.31", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(alternative(g, "A").outcome, "met");
    assert_eq!(outcome(g), Outcome::Qualified);
}

/// A motor (item 3) and a numerical control board of 8537.10 (item 4) are two items: (A) fails; (B)
/// allows them with RVC: VNM = 300 + 150 = 450, RVC(TV) = (1000 - 450) / 1000 = 55 % < 60 %; no NC
/// given. Not originating.
#[test]
fn materials_of_two_items_fail_a_and_need_the_rvc_of_b() {
    let lines = cn_line("1", "8501.32", "300") + &cn_line("2", "8537.10", "150");
    let r = check(&batch_now(&good_yaml("boring-mill", "8459.31", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    let a = alternative(g, "A");
    assert_eq!(a.outcome, "not met");
    let mut failing = a.failing_materials.clone();
    failing.sort();
    assert_eq!(failing, vec!["1".to_string(), "2".to_string()]);
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("55"));
    assert_eq!(outcome(g), Outcome::NotQualified);
}

/// Same two items, with a net cost of 900: RVC(NC) = (900 - 450) / 900 = 50 % >= 50 %: (B) is met.
#[test]
fn materials_of_two_items_with_enough_net_cost_rvc_meet_b() {
    let lines = cn_line("1", "8501.32", "300") + &cn_line("2", "8537.10", "150");
    let r =
        check(&batch_now(&good_yaml("boring-mill", "8459.31", "transaction_value: 1000, net_cost: 900", "", &lines)));
    let g = only(&r);
    assert_eq!(rvc_of(g, "B", "net-cost").rvc.value(), d("50"));
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(g.audit.determination.alternative.as_deref(), Some("B"));
}

/// A Chinese part classified only to 8466.93 may be item (2) (tariff items 8466.93.15/.30/.53): with
/// a motor of item (3), whether two items are present cannot be decided; (B) fails on RVC
/// ((1000 - 600) / 1000 = 40 %), so the good needs evidence.
#[test]
fn a_maybe_item_with_a_sure_item_needs_evidence() {
    let lines = cn_line("1", "8501.32", "300") + &cn_line("2", "8466.93", "300");
    let r = check(&batch_now(&good_yaml("boring-mill", "8459.31", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(alternative(g, "A").outcome, "undetermined");
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    assert!(has(g, "MATERIAL_FACT_MISSING"));
}

// ---- GN 11(o) ch. 85 rule 89 (8537): (A) CTH except from printed circuit assemblies or moulded parts
// ---- of 8538.90; or (B) CTH including from them, RVC 50 % TV / 40 % NC.

/// A Chinese part of 8538.90 whose kind the batch does not state: (A) turns on whether it is a printed
/// circuit assembly; (B) fails on RVC ((100 - 60) / 100 = 40 % < 50 %). The finding asks exactly that.
#[test]
fn unknown_kind_of_material_in_an_exception_is_asked_not_assumed() {
    let lines = cn_line("1", "8538.90", "60") + &us_line("2", "7326.90", "10");
    let r = check(&batch_now(&good_yaml("panel", "8537.10", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-85-089");
    assert_eq!(alternative(g, "A").outcome, "undetermined");
    assert_eq!(alternative(g, "B").outcome, "not met");
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    let f = finding(g, "MATERIAL_FACT_MISSING");
    assert!(f.remedy.contains("printed circuit assemblies"), "{}", f.remedy);
    // Rule 89 is a third-party transcription: every output relying on it says so.
    assert!(has(g, "RULE_TRANSCRIPTION_CAVEAT"));
}

/// The batch states the 8538.90 part is neither a printed circuit assembly nor a moulded part
/// (`kinds: []` is the complete list): (A) CTH is met.
#[test]
fn material_stated_not_of_the_excepted_kind_makes_the_shift() {
    let lines = "      - { line: \"1\", description: \"busbar support\", hs: \"8538.90\", quantity: 1, unit_value: 60, currency: USD, origin: CN, kinds: [] }\n".to_string()
        + &us_line("2", "7326.90", "10");
    let r = check(&batch_now(&good_yaml("panel", "8537.10", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(alternative(g, "A").outcome, "met");
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(g.audit.determination.alternative.as_deref(), Some("A"));
}

/// A non-originating printed circuit assembly of 8538.90 fails (A); (B) allows it with RVC:
/// (100 - 40) / 100 = 60 % >= 50 %.
#[test]
fn printed_circuit_assembly_fails_a_and_qualifies_under_b_with_rvc() {
    let lines = "      - { line: \"1\", description: \"control PCA\", hs: \"8538.90\", quantity: 1, unit_value: 40, currency: USD, origin: CN, kinds: [printed circuit assemblies] }\n".to_string()
        + &us_line("2", "7326.90", "10");
    let r = check(&batch_now(&good_yaml("panel", "8537.10", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(alternative(g, "A").outcome, "not met");
    assert_eq!(alternative(g, "B").outcome, "met");
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("60"));
    assert_eq!(g.audit.determination.alternative.as_deref(), Some("B"));
}

// ---- GN 11(o) ch. 84 rule 150 (8459.29): CTH except from 8466.93.15/.30/.53 or 8501.32/8501.52.

/// An excepted Chinese motor (8501.52) breaks the only alternative; the remedy names its supplier.
#[test]
fn excepted_material_breaks_the_single_alternative() {
    let lines = cn_line("1", "8501.52", "200") + &cn_line("2", "8483.40", "100");
    let r = check(&batch_now(&good_yaml("drill", "8459.29", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(rule_id(g), "gn11-84-150");
    assert_eq!(outcome(g), Outcome::NotQualified);
    let f = finding(g, "TARIFF_SHIFT_NOT_MET");
    assert_eq!(f.materials, vec!["1".to_string()]);
    assert!(f.remedy.contains("dragon"), "{}", f.remedy);
}
