//! Material status: each material is originating (backed by a valid supplier certification or the
//! producer's own determination), non-originating, or undetermined, which counts as non-originating;
//! indirect materials are originating; packing for shipment is disregarded; accessories and retail
//! packaging are left out of the tariff shift but counted in the RVC.
//!
//! Legal basis: USMCA Art. 4.2 and 4.5 (VNM includes materials of undetermined origin), Art. 4.9;
//! 19 U.S.C. 4531(h) (accessories, spare parts, tools: disregarded for the shift, counted in RVC),
//! 4531(i) (retail packaging: same), 4531(j) (packing materials and containers for shipment:
//! disregarded), 4531(k) (indirect materials: originating without regard to where produced);
//! 19 CFR 182.11-182.12 and USMCA Art. 5.2 (a certification covers the certifier's goods, for a
//! blanket period of at most 12 months). Rule used: GN 11(o) ch. 84 rule 4 (8402.90: (A) CTH; or (B)
//! no change required, RVC >= 60 % TV / 50 % NC).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// A boiler part (8402.90, TV 100) whose BOM is `lines`.
fn boiler(lines: &str) -> origin_engine::run::BatchReport {
    check(&batch_now(&good_yaml("boiler-part", "8402.90", "transaction_value: 100", "", lines)))
}

/// A US plate of 8402.90 worth 30 from `supplier` with `extra` fields, plus a US-certified line of 10.
fn plate(supplier: &str, extra: &str) -> origin_engine::run::BatchReport {
    boiler(&(line("1", "8402.90", "30", "US", supplier, extra) + &us_line("2", "7208.51", "10")))
}

#[test]
fn declared_usmca_origin_with_a_valid_certification_is_originating() {
    let r = plate("acme-us", "certification: SC-US");
    let g = only(&r);
    assert_eq!(status(g, "1"), "originating");
    assert_eq!(criterion(g), Some('C'));
}

/// No certification backs the US origin: undetermined, ORIGIN_UNSUPPORTED, whose remedy asks acme-us.
/// It counts as non-originating: it fails (A) (same heading as the good) and VNM = 30.
#[test]
fn missing_certification_is_undetermined_and_counts_as_non_originating() {
    let r = plate("acme-us", "");
    let g = only(&r);
    assert_eq!(status(g, "1"), "undetermined");
    let f = finding(g, "ORIGIN_UNSUPPORTED");
    assert_eq!(f.materials, vec!["1".to_string()]);
    assert!(f.remedy.contains("acme-us"), "{}", f.remedy);
    assert_eq!(g.audit.determination.values.vnm, d("30"));
    assert_eq!(alternative(g, "A").failing_materials, vec!["1".to_string()]);
    assert_ne!(criterion(g), Some('C'));
}

/// Certification SC-OLD covers 2025 only; on 2026-11-01 it has expired.
#[test]
fn expired_certification_is_undetermined() {
    let r = plate("acme-us", "certification: SC-OLD");
    let g = only(&r);
    assert_eq!(status(g, "1"), "undetermined");
    assert_eq!(finding(g, "SUPPLIER_CERTIFICATION_EXPIRED").materials, vec!["1".to_string()]);
    assert_eq!(g.audit.determination.values.vnm, d("30"));
}

/// SC-PART lists part P-100 only: it supports P-100 and not P-200.
#[test]
fn certification_must_cover_the_part() {
    let covered = plate("acme-us", "certification: SC-PART, part: P-100");
    assert_eq!(status(only(&covered), "1"), "originating");

    let other = plate("acme-us", "certification: SC-PART, part: P-200");
    let g = only(&other);
    assert_eq!(status(g, "1"), "undetermined");
    assert!(finding(g, "SUPPLIER_CERTIFICATION_INVALID").message.contains("P-200"));
}

/// SC-CN certifies China: not a USMCA Party, so it supports nothing.
#[test]
fn certification_of_a_non_party_origin_does_not_support_the_claim() {
    let r = plate("dragon", "certification: SC-CN");
    let g = only(&r);
    assert_eq!(status(g, "1"), "undetermined");
    assert_eq!(finding(g, "SUPPLIER_CERTIFICATION_INVALID").materials, vec!["1".to_string()]);
}

#[test]
fn certification_not_in_the_batch_does_not_support_the_claim() {
    let r = plate("acme-us", "certification: SC-NOWHERE");
    let g = only(&r);
    assert_eq!(status(g, "1"), "undetermined");
    assert!(finding(g, "SUPPLIER_CERTIFICATION_INVALID").message.contains("SC-NOWHERE"));
}

/// A certification issued by acme-us covers acme-us's goods, not those bought from another supplier.
#[test]
fn certification_of_another_supplier_does_not_support_the_claim() {
    let r = plate("border-trading", "certification: SC-US");
    let g = only(&r);
    assert_eq!(status(g, "1"), "undetermined");
    assert!(has(g, "SUPPLIER_CERTIFICATION_INVALID"), "{:?}", codes(g));
}

/// A blanket period may not exceed 12 months (Annex 5-A element 8; 19 CFR 182.11): SC-LONG runs from
/// 2026-01-01 to 2027-01-01, twelve months and one day.
#[test]
fn certification_with_a_blanket_period_over_twelve_months_is_invalid() {
    let r = plate("acme-us", "certification: SC-LONG");
    let g = only(&r);
    assert_eq!(status(g, "1"), "undetermined");
    assert!(has(g, "SUPPLIER_CERTIFICATION_INVALID"), "{:?}", codes(g));
}

/// SC-FUTURE is signed 2026-12-01, after the as-of date 2026-11-01: it cannot support the claim then.
#[test]
fn certification_signed_after_the_as_of_date_does_not_support_the_claim() {
    let r = plate("acme-us", "certification: SC-FUTURE");
    let g = only(&r);
    assert_eq!(status(g, "1"), "undetermined");
    assert!(has(g, "SUPPLIER_CERTIFICATION_INVALID"), "{:?}", codes(g));
}

/// SC-HS certifies classification 7208.51; the BOM says 7208.52: originating, with HS_DISCREPANCY.
#[test]
fn classification_differing_from_the_certification_is_flagged() {
    let r =
        boiler(&(line("1", "7208.52", "30", "US", "acme-us", "certification: SC-HS") + &us_line("2", "7208.51", "10")));
    let g = only(&r);
    assert_eq!(status(g, "1"), "originating");
    assert_eq!(finding(g, "HS_DISCREPANCY").materials, vec!["1".to_string()]);
}

#[test]
fn declared_non_party_origin_is_non_originating() {
    let r = boiler(&cn_line("1", "7304.19", "30"));
    let g = only(&r);
    assert_eq!(status(g, "1"), "non-originating");
    assert_eq!(g.audit.determination.values.vnm, d("30"));
}

/// A Chinese welding gas (indirect) is originating and stays out of VNM: with a Chinese part of
/// 8402.90 worth 40, VNM = 40 and RVC(TV) of (B) = (100 - 40) / 100 = 60 %: met.
#[test]
fn indirect_material_is_originating_wherever_made() {
    let lines = cn_line("1", "8402.90", "40") + &line("2", "2804.40", "50", "CN", "dragon", "role: indirect");
    let r = boiler(&lines);
    let g = only(&r);
    assert_eq!(status(g, "2"), "originating");
    assert_eq!(g.audit.determination.values.vnm, d("40"));
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("60"));
    assert_eq!(outcome(g), Outcome::Qualified);
}

/// Packing for shipment (a Chinese crate of 50) is disregarded: VNM = 40 (the Chinese 8402.90 part),
/// RVC = 60 %.
#[test]
fn packing_for_shipment_is_disregarded() {
    let lines = cn_line("1", "8402.90", "40") + &line("2", "4415.10", "50", "CN", "dragon", "role: packing");
    let r = boiler(&lines);
    let g = only(&r);
    assert_eq!(status(g, "2"), "disregarded");
    assert_eq!(g.audit.determination.values.vnm, d("40"));
    assert_eq!(outcome(g), Outcome::Qualified);
}

/// An accessory and retail packaging classified with the good (8402.90), both Chinese, are left out of
/// the tariff shift: (A) "a change from any other heading" is met with no direct non-originating
/// material; VNM still counts them: 10 + 5 = 15.
#[test]
fn accessories_and_retail_packaging_are_not_in_the_shift() {
    let lines = us_line("1", "7208.51", "30")
        + &line("2", "8402.90", "10", "CN", "dragon", "role: accessory")
        + &line("3", "8402.90", "5", "CN", "dragon", "role: retail-packaging");
    let r = boiler(&lines);
    let g = only(&r);
    assert_eq!(alternative(g, "A").outcome, "met");
    assert!(alternative(g, "A").failing_materials.is_empty());
    assert_eq!(g.audit.determination.values.vnm, d("15"));
    assert_eq!(outcome(g), Outcome::Qualified);
}

/// ... but they count in the RVC: a Chinese 8402.90 part of 30 fails (A) (30 % > 10 % de minimis), and
/// with an accessory of 5 and retail packaging of 5, VNM = 40: (100 - 40) / 100 = 60 %, met; with the
/// packaging at 5.01, VNM = 40.01: 59.99 %, not met.
#[test]
fn accessories_and_retail_packaging_count_in_the_rvc() {
    let bom = |pack: &str| {
        cn_line("1", "8402.90", "30")
            + &line("2", "8402.90", "5", "CN", "dragon", "role: accessory")
            + &line("3", "4819.10", pack, "CN", "dragon", "role: retail-packaging")
    };
    let r = boiler(&bom("5"));
    let g = only(&r);
    assert_eq!(rvc_of(g, "B", "transaction-value").vnm, d("40"));
    assert_eq!(outcome(g), Outcome::Qualified);

    let r = boiler(&bom("5.01"));
    let g = only(&r);
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("59.99"));
    assert_eq!(outcome(g), Outcome::NotQualified);
}
