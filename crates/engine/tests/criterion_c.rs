//! Criterion C: a good produced entirely in the Parties exclusively from originating materials is
//! originating, whatever its product-specific rule says; criterion A: a good wholly obtained or
//! produced entirely in the Parties.
//!
//! Legal basis: USMCA Art. 4.2(a) and (c); 19 U.S.C. 4531(c)(1)(A) and (C). Indirect materials are
//! originating wherever made (19 U.S.C. 4531(k), Art. 4.9) and packing for shipment is disregarded
//! (19 U.S.C. 4531(j)), so neither stops criterion C. Production outside the Parties never originates
//! (Art. 4.2: "produced entirely in the territory of one or more of the Parties").

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// Boiler parts (8402.90) made in Monterrey from a US-certified plate and a Canadian-certified tube.
#[test]
fn all_materials_certified_originating_is_criterion_c() {
    let lines = us_line("1", "7208.51", "300")
        + "      - { line: \"2\", description: \"CA tube\", hs: \"7304.19\", quantity: 2, unit_value: 50, currency: USD, origin: CA, supplier: maple-ca, certification: SC-CA }\n";
    let r = check(&batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(criterion(g), Some('C'));
    // VNM = 0; originating materials = 300 + 2 x 50 = 400.
    assert_eq!(g.audit.determination.values.vnm, d("0"));
    assert_eq!(g.audit.determination.values.originating_materials, d("400"));
    assert_eq!(status(g, "1"), "originating");
    assert_eq!(status(g, "2"), "originating");
    assert!(!g.audit.has_blocking(), "{:?}", codes(g));
    // Criterion C needs no product-specific rule: none is applied or reported.
    assert!(g.audit.determination.rule.is_none());
    let cert = g.certificate.as_ref().expect("a qualifying good with no blocking finding gets a draft");
    assert_eq!(cert.goods[0].origin_criterion, "C");
}

/// Criterion C is decided before the product-specific rule is looked up: a good whose code has no
/// encoded rule (6403.99, footwear: no chapter 64 rules in the pack, their text was read nowhere) still originates when every material
/// originates.
#[test]
fn criterion_c_does_not_need_an_encoded_rule() {
    let lines = us_line("1", "3926.90", "120") + &us_line("2", "8523.51", "80");
    let r = check(&batch_now(&good_yaml("shoe", "6403.99", "transaction_value: 500", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(criterion(g), Some('C'));
    assert!(!has(g, "NO_RULE_FOR_HS"));
}

/// One non-originating material takes the good out of criterion C: it is judged under criterion B by
/// its rule (8402.90 rule 4 (A): a change from any other heading; the Chinese tube of heading 7304 makes it).
#[test]
fn one_non_originating_material_sends_the_good_to_criterion_b() {
    let lines = us_line("1", "7208.51", "300") + &cn_line("2", "7304.19", "100");
    let r = check(&batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(criterion(g), Some('B'));
    assert_eq!(g.audit.determination.alternative.as_deref(), Some("A"));
    // VNM = the Chinese tube = 100.
    assert_eq!(g.audit.determination.values.vnm, d("100"));
    assert_eq!(status(g, "2"), "non-originating");
}

/// Indirect materials (a Chinese cutting fluid) are originating wherever made, and packing for shipment
/// (a Chinese crate) is disregarded: the good stays criterion C.
#[test]
fn indirect_and_packing_materials_do_not_stop_criterion_c() {
    let lines = us_line("1", "7208.51", "300")
        + "      - { line: \"2\", description: \"cutting fluid\", hs: \"3403.19\", quantity: 1, unit_value: 15, currency: USD, origin: CN, role: indirect }\n"
        + "      - { line: \"3\", description: \"export crate\", hs: \"4415.10\", quantity: 1, unit_value: 25, currency: USD, origin: CN, role: packing }\n";
    let r = check(&batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(criterion(g), Some('C'), "{}", g.audit.determination.summary);
    assert_eq!(status(g, "2"), "originating");
    assert_eq!(status(g, "3"), "disregarded");
    // Neither counts in VNM: 0.
    assert_eq!(g.audit.determination.values.vnm, d("0"));
}

/// A good made in China from US-certified materials is not produced in the Parties: not originating.
#[test]
fn production_outside_the_parties_never_originates() {
    let lines = us_line("1", "7208.51", "300");
    let goods = good_yaml("boiler-part", "8402.90", "transaction_value: 1000", "", &lines)
        .replace("place_of_production: MX", "place_of_production: CN");
    let r = check(&batch_now(&goods));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert_eq!(criterion(g), None);
    assert!(g.certificate.is_none());
}

/// Criterion A: the producer states the good is wholly obtained (Art. 4.3) and nothing in the BOM
/// contradicts it.
#[test]
fn wholly_obtained_good_is_criterion_a() {
    let lines = us_line("1", "2601.11", "40");
    let r = check(&batch_now(&good_yaml("ore", "2601.11", "transaction_value: 100", "wholly_obtained: true", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(criterion(g), Some('A'));
}

/// A wholly-obtained claim contradicted by a Chinese material is not criterion A; the engine says so.
#[test]
fn wholly_obtained_claim_with_a_non_originating_material_is_not_criterion_a() {
    let lines = us_line("1", "7208.51", "300") + &cn_line("2", "7304.19", "100");
    let r = check(&batch_now(&good_yaml(
        "boiler-part",
        "8402.90",
        "transaction_value: 1000",
        "wholly_obtained: true",
        &lines,
    )));
    let g = only(&r);
    assert_ne!(criterion(g), Some('A'));
    let f = finding(g, "ORIGIN_UNSUPPORTED");
    assert_eq!(f.materials, vec!["2".to_string()]);
}
