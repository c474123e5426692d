//! Transit and transshipment: an originating good loses its status if, outside the Parties, it
//! undergoes any operation other than unloading, reloading, separation from bulk, storing, labelling or
//! marking required by the importing Party, or what preserves it or transports it to the importing
//! Party; or if it does not stay under customs control in a non-Party.
//!
//! Legal basis: USMCA Art. 4.18; 19 U.S.C. 4531(l)(1)(A)-(B) and (l)(2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// A criterion C boiler part (all materials US-certified) shipped along `route`.
fn shipped(route: &str) -> origin_engine::run::BatchReport {
    let lines = us_line("1", "7208.51", "300") + &us_line("2", "7304.19", "100");
    check(&batch_now(&good_yaml(
        "boiler-part",
        "8402.90",
        "transaction_value: 1000",
        &format!("route: {route}"),
        &lines,
    )))
}

#[test]
fn direct_shipment_between_parties_keeps_the_status() {
    let r = shipped("[{ country: MX }, { country: US }]");
    let g = only(&r);
    assert_eq!(criterion(g), Some('C'));
    assert!(!has(g, "TRANSIT_OUTSIDE_PARTIES"));
}

/// Panama: unloading, storing and reloading under customs control: allowed operations.
#[test]
fn storing_under_customs_control_in_a_non_party_keeps_the_status() {
    let r = shipped(
        "[{ country: PA, operations: [unloading, storing, reloading], customs_control: true }, { country: US }]",
    );
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified);
    assert_eq!(criterion(g), Some('C'));
    assert!(!has(g, "TRANSIT_OUTSIDE_PARTIES"));
}

/// Repackaging in Panama is none of the allowed operations: the good is not originating.
#[test]
fn further_operation_in_a_non_party_loses_the_status() {
    let r = shipped("[{ country: PA, operations: [unloading, repackaging], customs_control: true }, { country: US }]");
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert_eq!(criterion(g), None);
    let f = finding(g, "TRANSIT_OUTSIDE_PARTIES");
    assert!(f.message.contains("repackaging"), "{}", f.message);
    assert!(g.certificate.is_none());
}

/// Released from customs control in Panama (only storing done): not originating (4531(l)(2)).
#[test]
fn leaving_customs_control_in_a_non_party_loses_the_status() {
    let r = shipped("[{ country: PA, operations: [storing], customs_control: false }, { country: US }]");
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert!(finding(g, "TRANSIT_OUTSIDE_PARTIES").message.contains("customs control"));
}

/// Operations in a Party are production in the territory, not transit: assembly in Canada on the way
/// to the US does not trigger Art. 4.18.
#[test]
fn operations_inside_the_parties_are_not_transit() {
    let r = shipped("[{ country: CA, operations: [repackaging], customs_control: false }, { country: US }]");
    let g = only(&r);
    assert_eq!(criterion(g), Some('C'));
    assert!(!has(g, "TRANSIT_OUTSIDE_PARTIES"));
}

/// A good that qualifies under criterion B loses its status the same way.
#[test]
fn criterion_b_good_also_loses_its_status_in_transit() {
    let lines = us_line("1", "7208.51", "300") + &cn_line("2", "7304.19", "100");
    let r = check(&batch_now(&good_yaml(
        "boiler-part",
        "8402.90",
        "transaction_value: 1000",
        "route: [{ country: PA, operations: [assembly], customs_control: true }, { country: US }]",
        &lines,
    )));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert!(has(g, "TRANSIT_OUTSIDE_PARTIES"));
}

/// A stop in a non-Party that does not say whether the good stayed under customs control: the law
/// makes customs control a condition (4531(l)(2)) and the importer must be able to show it (19 CFR
/// 182.15), so the engine may not assume it. The good must not be certified as if it were shown: it
/// needs evidence (or a TRANSIT_OUTSIDE_PARTIES finding asks for the customs documents).
#[test]
fn customs_control_in_a_non_party_is_not_assumed_when_unstated() {
    let r = shipped("[{ country: PA, operations: [storing] }, { country: US }]");
    let g = only(&r);
    assert!(
        outcome(g) != Outcome::Qualified || has(g, "TRANSIT_OUTSIDE_PARTIES"),
        "customs control in PA was assumed: {} {:?}",
        g.audit.determination.summary,
        codes(g)
    );
    assert!(g.certificate.is_none(), "a certificate was drafted on an unstated customs-control fact");
}
