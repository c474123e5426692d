//! Goods deemed originating: GN 11(p) ("Notwithstanding any other provisions of this note, the following
//! goods ... shall be deemed to be originating goods when imported into the customs territory of the
//! United States from another USMCA country") and 19 U.S.C. 4531(c)(1)(E). The list read (GN page 163,
//! cut inside "Parts of automated data processing") names automated data processing machines of 8471.30,
//! 8471.41 and 8471.49, among others. CBP HQ H312426 turns on it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// A laptop of `hs` assembled in China from Chinese parts, routed `route` (YAML list of countries),
/// imported into the United States by the batch (exporter `prod`, a Mexican party).
fn laptop(hs: &str, route: &str) -> origin_engine::run::BatchReport {
    let route: String = route.split(',').map(|c| format!("      - {{ country: {} }}\n", c.trim())).collect();
    let good = format!(
        "  - id: laptop\n    description: \"portable ADP machine\"\n    hs: \"{hs}\"\n    producer: prod\n    place_of_production: CN\n    currency: USD\n    transaction_value: 500\n    route:\n{route}    materials:\n{}",
        cn_line("1", "8473.30", "300")
    );
    check(&batch_now(&good))
}

/// HQ H312426 / GN 11(p): an 8471.30 laptop made in China and imported into the United States from Mexico
/// is originating, "deemed originating" with the citation, whatever rule 200 says; the production in
/// China is not a transit (no TRANSIT_OUTSIDE_PARTIES). Today: "not qualified: produced in CN" with a
/// transit finding about CN.
#[test]
fn gn11_p_adp_machine_imported_from_mexico_is_deemed_originating() {
    let r = laptop("8471.30", "CN, MX, US");
    let g = only(&r);
    let det = &g.audit.determination;
    assert_eq!(outcome(g), Outcome::Qualified, "{}", det.summary);
    assert!(det.summary.starts_with("deemed originating"), "{}", det.summary);
    assert!(det.summary.contains("GN 11(p)") && det.summary.contains("4531(c)(1)(E)"), "{}", det.summary);
    assert!(!has(g, "TRANSIT_OUTSIDE_PARTIES"), "{:?}", codes(g));
    assert!(has(g, "DEEMED_ORIGINATING"));
    // No origin criterion of Art. 4.2 names this basis: no certificate draft (rules/usmca/general.yaml).
    assert_eq!(criterion(g), None);
    assert!(g.certificate.is_none());
}

/// The same laptop shipped from China straight to the United States is not imported "from another USMCA
/// country": not deemed originating, and it is not originating under its rule either (made in CN).
#[test]
fn gn11_p_does_not_reach_a_good_imported_from_china() {
    let r = laptop("8471.30", "CN, US");
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified, "{}", g.audit.determination.summary);
    assert!(!has(g, "DEEMED_ORIGINATING"));
}

/// GN 11(p) lists only some tariff items of 8471.60 (8471.60.10, .20, .70, .80, .90): an input or output
/// unit classified only to 8471.60 may or may not be one, so it needs evidence (state the tariff item),
/// never a guess either way.
#[test]
fn gn11_p_code_less_precise_than_the_list_needs_the_tariff_item() {
    let r = laptop("8471.60", "CN, MX, US");
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NeedsEvidence, "{}", g.audit.determination.summary);
    assert!(g.audit.determination.summary.contains("8471.60.10"), "{}", g.audit.determination.summary);
}

/// The list read is cut inside the entry "Parts of automated data processing": a part of an ADP machine
/// (8473.30) imported from Mexico may be deemed originating by the unread part, so a good that does not
/// originate under its own rule needs evidence, never "not qualified".
#[test]
fn gn11_p_cut_entry_leaves_adp_parts_open() {
    let r = laptop("8473.30", "CN, MX, US");
    let g = only(&r);
    assert!(!has(g, "DEEMED_ORIGINATING"));
    assert_eq!(outcome(g), Outcome::NeedsEvidence, "{}", g.audit.determination.summary);
}

/// A good neither on the list read nor in the cut entry's reach (gearing of 8483.40 made in China) is
/// audited under its product rule alone: made outside the Parties, not originating.
#[test]
fn gn11_p_good_outside_the_list_keeps_its_product_rule() {
    let r = laptop("8483.40", "CN, MX, US");
    let g = only(&r);
    assert!(!has(g, "DEEMED_ORIGINATING"));
    assert_eq!(outcome(g), Outcome::NotQualified, "{}", g.audit.determination.summary);
}
