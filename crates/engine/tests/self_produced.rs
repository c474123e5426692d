//! Self-produced materials and roll-up: a self-produced material is judged on its own BOM and rule. If
//! it originates, its whole value counts as originating and the non-originating materials used to make
//! it are not counted again in the good's VNM; if it does not, only those non-originating materials
//! count (not the producer's own costs); a self-produced material designated as an intermediate
//! material that does not originate counts at its whole value.
//!
//! Legal basis: USMCA Art. 4.5 (roll-up: VNM does not include non-originating materials used to produce
//! originating materials used in the good) and Art. 4.8 (intermediate materials; one layer);
//! 19 U.S.C. 4531(d) (value of non-originating materials); SOR/2020-155 s. 14(1) (the same roll-up as
//! written for vehicles: "no account shall be taken of the non-originating material contained therein").
//! Rules: GN 11(o) ch. 84 rule 4 (8402.90) for the good, ch. 85 rule 1 (8501: (A) CTH except from
//! 8503.00.35/.45/.65; or (B) CTH including from them, RVC 60 % TV / 50 % NC) for the motor.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// A boiler part (8402.90, TV 1000) with a self-produced motor `S` (8501.52, value 400, net cost 400)
/// made from `sub` and designated intermediate or not, plus a Chinese part of 8402.90 worth 350 (which
/// fails (A) CTH, 35 % > 10 % de minimis, so (B)'s RVC decides).
fn boiler(intermediate: bool, sub: &str) -> origin_engine::run::BatchReport {
    let lines = format!(
        "      - line: S\n        description: \"self-produced motor\"\n        hs: \"8501.52\"\n        quantity: 1\n        unit_value: 400\n        currency: USD\n        origin: MX\n        self_produced:\n          intermediate: {intermediate}\n          net_cost: 400\n          materials:\n{sub}"
    ) + &cn_line("2", "8402.90", "350");
    check(&batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 1000", "", &lines)))
}

/// Sub-BOM that originates: Chinese copper wire (7408.11, another heading, not excepted) worth 100
/// and a US-certified part of 8503.00 worth 50: rule 1 (A) is met.
fn originating_sub() -> String {
    indent(&(cn_line("w", "7408.11", "100") + &us_line("p", "8503.00", "50")))
}

/// Sub-BOM that does not originate: a Chinese part of excepted tariff item 8503.00.35 worth 300 and a
/// US-certified part worth 50. (A) fails (300 / 400 = 75 % > 10 % de minimis); (B) RVC(NC) = (400 -
/// 300) / 400 = 25 % < 50 %; no criterion D (8503.00 is not the motor's subheading).
fn non_originating_sub() -> String {
    indent(&(cn_line("x", "8503.00.35", "300") + &us_line("p", "8503.00", "50")))
}

fn indent(lines: &str) -> String {
    lines.lines().map(|l| format!("        {l}\n")).collect()
}

fn line_vnm(g: &origin_engine::run::GoodReport, line: &str) -> origin_core::Decimal {
    g.audit.determination.materials.iter().find(|m| &*m.material.line == line).map(|m| m.vnm).expect("line present")
}

/// Originating motor: counts 100 % originating; the Chinese wire inside it is not counted again.
/// VNM = 350 (line 2 only); RVC(TV) = (1000 - 350) / 1000 = 65 % >= 60 %: criterion B.
#[test]
fn originating_self_produced_material_counts_wholly_originating() {
    let r = boiler(false, &originating_sub());
    let g = only(&r);
    assert_eq!(status(g, "S"), "originating");
    assert_eq!(line_vnm(g, "S"), d("0"));
    assert_eq!(g.audit.determination.values.vnm, d("350"));
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("65"));
    assert_eq!(outcome(g), Outcome::Qualified);
    assert!(has(g, "SELF_PRODUCED_MATERIAL"));
}

/// The same with the motor designated intermediate: an originating intermediate material counts at
/// its whole value as originating: VNM = 350, RVC 65 %.
#[test]
fn originating_intermediate_material_counts_wholly_originating() {
    let r = boiler(true, &originating_sub());
    let g = only(&r);
    assert_eq!(line_vnm(g, "S"), d("0"));
    assert_eq!(g.audit.determination.values.vnm, d("350"));
    assert_eq!(outcome(g), Outcome::Qualified);
}

/// Non-originating motor, not designated: only the non-originating materials used to make it count:
/// 300 (the US part and the producer's own costs do not). VNM = 350 + 300 = 650; RVC(TV) = (1000 -
/// 650) / 1000 = 35 %.
#[test]
fn non_originating_self_produced_material_counts_only_its_own_vnm() {
    let r = boiler(false, &non_originating_sub());
    let g = only(&r);
    assert_eq!(status(g, "S"), "non-originating");
    assert_eq!(line_vnm(g, "S"), d("300"));
    assert_eq!(g.audit.determination.values.vnm, d("650"));
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("35"));
    assert_eq!(outcome(g), Outcome::NotQualified);
}

/// Non-originating motor designated intermediate: its whole value counts: VNM = 350 + 400 = 750;
/// RVC(TV) = (1000 - 750) / 1000 = 25 %.
#[test]
fn non_originating_intermediate_material_counts_its_whole_value() {
    let r = boiler(true, &non_originating_sub());
    let g = only(&r);
    assert_eq!(status(g, "S"), "non-originating");
    assert_eq!(line_vnm(g, "S"), d("400"));
    assert_eq!(g.audit.determination.values.vnm, d("750"));
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("25"));
}

/// Roll-up decides the outcome: with an originating motor the good qualifies at 65 %; had the wire
/// been counted again (VNM 450) it would be 55 % and fail. The determination explains the motor.
#[test]
fn the_self_produced_finding_explains_the_sub_bom() {
    let r = boiler(false, &originating_sub());
    let g = only(&r);
    let f = finding(g, "SELF_PRODUCED_MATERIAL");
    assert_eq!(f.materials, vec!["S".to_string()]);
    assert!(f.message.contains("criterion B"), "{}", f.message);
}
