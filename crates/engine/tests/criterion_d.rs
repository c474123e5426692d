//! Criterion D: a good produced entirely in the Parties whose non-originating parts fail the tariff
//! shift only because they are classified in the same subheading as the good (or the same heading not
//! further subdivided) originates if its RVC is at least 60 % (TV) or 50 % (NC). Not for chapters 61-63.
//!
//! Legal basis: USMCA Art. 4.2(d); 19 U.S.C. 4531(c)(1)(D)(i)-(iii). Rules used: GN 11(o) ch. 85 rule 29
//! (8511.10-8511.80: a change from any other subheading, including within that group) and ch. 84 rule
//! 150 (8459.29: CTH except from 8466.93.15/.30/.53, 8501.32, 8501.52).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// A starter motor (8511.40) with a Chinese starter subassembly of 8511.40 worth `cn` and a
/// US-certified bracket worth 10.
fn starter(values: &str, cn: &str) -> origin_engine::run::BatchReport {
    let lines = cn_line("1", "8511.40", cn) + &us_line("2", "7326.90", "10");
    check(&batch_now(&good_yaml("starter", "8511.40", values, "", &lines)))
}

/// TV 100, same-subheading part worth 30: the shift fails (30 % is above de minimis) only for a part
/// of the good's own subheading; RVC(TV) = (100 - 30) / 100 = 70 % >= 60 %: criterion D.
#[test]
fn same_subheading_part_with_enough_rvc_is_criterion_d() {
    let r = starter("transaction_value: 100", "30");
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified, "{}", g.audit.determination.summary);
    assert_eq!(criterion(g), Some('D'));
    let d_tv =
        g.audit.determination.criterion_d_rvc.iter().find(|m| m.method == "transaction-value").expect("TV computed");
    assert_eq!(d_tv.rvc.value(), d("70"));
    assert!(!g.audit.determination.caveats.is_empty(), "criterion D carries its caveat about parts");
    assert_eq!(g.certificate.as_ref().map(|c| c.goods[0].origin_criterion.as_str()), Some("D"));
}

/// Exactly 60 %: part worth 40, (100 - 40) / 100 = 60 %: criterion D.
#[test]
fn criterion_d_at_exactly_sixty_percent() {
    let r = starter("transaction_value: 100", "40");
    assert_eq!(criterion(only(&r)), Some('D'));
}

/// 59.99 %: part worth 40.01: not originating.
#[test]
fn criterion_d_below_sixty_percent_is_not_met() {
    let r = starter("transaction_value: 100", "40.01");
    let g = only(&r);
    // (100 - 40.01) / 100 = 59.99 %.
    assert_eq!(g.audit.determination.criterion_d_rvc[0].rvc.value(), d("59.99"));
    assert_eq!(outcome(g), Outcome::NotQualified);
}

/// Net cost: NC 80, part 40: (80 - 40) / 80 = 50 % >= 50 %: criterion D.
#[test]
fn criterion_d_by_net_cost_at_exactly_fifty_percent() {
    let r = starter("net_cost: 80", "40");
    let g = only(&r);
    assert_eq!(criterion(g), Some('D'));
    assert_eq!(g.audit.determination.criterion_d_rvc[0].rvc.value(), d("50"));
}

/// A drilling machine (8459.29) with a Chinese part of 8459.29 (same subheading) and an excepted motor
/// of 8501.32: the shift fails also for a material of another subheading, so criterion D is not
/// available although RVC = (1000 - 250) / 1000 = 75 %.
#[test]
fn a_failing_material_of_another_subheading_rules_out_criterion_d() {
    let lines = cn_line("1", "8459.29", "150") + &cn_line("2", "8501.32", "100") + &us_line("3", "7308.90", "300");
    let r = check(&batch_now(&good_yaml("drill", "8459.29", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert!(g.audit.determination.criterion_d_rvc.is_empty());
}

/// The same machine with only the same-subheading part failing: criterion D at 85 % ((1000 - 150) / 1000).
#[test]
fn only_same_subheading_failures_allow_criterion_d() {
    let lines = cn_line("1", "8459.29", "150") + &us_line("3", "7308.90", "300");
    let r = check(&batch_now(&good_yaml("drill", "8459.29", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(criterion(g), Some('D'));
    assert_eq!(g.audit.determination.criterion_d_rvc[0].rvc.value(), d("85"));
}

/// A part of the same heading but another subheading (8459.21 in an 8459.29 machine) fails the heading
/// change, and D(ii)(I) needs the same subheading where the heading is subdivided: no criterion D.
#[test]
fn same_heading_other_subheading_is_not_criterion_d() {
    let lines = cn_line("1", "8459.21", "150") + &us_line("3", "7308.90", "300");
    let r = check(&batch_now(&good_yaml("drill", "8459.29", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert_ne!(criterion(g), Some('D'));
}
