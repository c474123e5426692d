//! No rule, no default: where the rule pack encodes no product-specific rule for the good's code, use
//! and date, the good needs evidence with NO_RULE_FOR_HS; where the rule depends on a fact the batch
//! does not give (the vehicle the part is for, a deeper classification), RULE_NEEDS_FACTS. Origin is
//! never decided by a guessed threshold.
//!
//! Legal basis: USMCA Art. 4.2(b) and Annex 4-B (a good qualifies under criterion B only by "all
//! applicable requirements" of its own product-specific rule); 19 U.S.C. 4531(c)(1)(B); GN 11(o)
//! ch. 87 rules 29-31 (8708.40, by vehicle use), ch. 73 (7321.11.30 at tariff-item level).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// 6403.99 (footwear): no text of the chapter 64 rules was read anywhere (docs/rules-coverage.md), so
/// the pack has no rule. With a Chinese material the good needs evidence; the finding is blocking and no
/// certificate is drafted.
#[test]
fn code_without_an_encoded_rule_is_no_rule_for_hs() {
    let lines = cn_line("1", "3926.90", "100") + &us_line("2", "8523.51", "80");
    let r = check(&batch_now(&good_yaml("shoe", "6403.99", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    let f = finding(g, "NO_RULE_FOR_HS");
    assert_eq!(f.severity, origin_engine::finding::Severity::Blocking);
    assert!(g.audit.determination.rule.is_none());
    assert!(g.audit.determination.alternatives.is_empty(), "no alternative is invented");
    assert!(g.certificate.is_none());
}

/// A chapter the pack has no file for at all (chapter 65, headgear: no text read anywhere).
#[test]
fn chapter_without_rules_is_no_rule_for_hs() {
    let lines = cn_line("1", "3901.10", "100");
    let r = check(&batch_now(&good_yaml("hat", "6505.00", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    assert!(has(g, "NO_RULE_FOR_HS"));
}

/// Before the pack's first day (2020-07-01) no rule is in force: no rule, not the 2020 rule.
#[test]
fn date_before_the_rules_are_in_force_is_no_rule_for_hs() {
    let lines = cn_line("1", "8402.90", "10") + &cn_line("2", "7304.19", "10");
    let r = check(&batch("2020-06-30", &good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    assert!(has(g, "NO_RULE_FOR_HS"));
}

/// 8708.40 has three rules by vehicle use (29 passenger vehicle / light truck, 30 heavy truck, 31
/// other); without `use` the engine cannot choose: RULE_NEEDS_FACTS naming them.
#[test]
fn use_dependent_rule_without_use_needs_facts() {
    let lines = cn_line("1", "8708.99", "100");
    let r = check(&batch_now(&good_yaml("gearbox", "8708.40", "net_cost: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    let f = finding(g, "RULE_NEEDS_FACTS");
    assert!(f.message.contains("gn11-87-029") && f.message.contains("gn11-87-030"), "{}", f.message);
    assert!(!has(g, "NO_RULE_FOR_HS"));
}

/// 7321.11 has a rule for the subheading and a deeper rule for tariff item 7321.11.30: a good
/// classified only to 7321.11 cannot tell which applies.
#[test]
fn good_classified_too_shallow_for_a_tariff_item_rule_needs_facts() {
    let lines = cn_line("1", "7321.90", "100");
    let r = check(&batch_now(&good_yaml("stove", "7321.11", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    assert!(finding(g, "RULE_NEEDS_FACTS").message.contains("7321.11.30"));
}

/// With the use given, the same good is judged by its rule (here rule 29, 75 % NC: (1000 - 100) / 1000
/// = 90 %).
#[test]
fn use_given_selects_the_rule() {
    let lines = cn_line("1", "8708.99", "100");
    let r = check(&batch_now(&good_yaml("gearbox", "8708.40", "net_cost: 1000", "use: light-truck", &lines)));
    let g = only(&r);
    assert_eq!(g.audit.determination.rule.as_ref().map(|r| r.id.as_str()), Some("gn11-87-029"));
    assert_eq!(rvc_of(g, "A", "net-cost").rvc.value(), d("90"));
    assert_eq!(outcome(g), Outcome::Qualified);
}
