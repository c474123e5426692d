//! Certificate drafts: a good that qualifies with no blocking finding gets a draft with the nine
//! minimum data elements; the blanket period is at most 12 months; no draft for a good that does not
//! qualify or has a blocking finding.
//!
//! Legal basis: USMCA Art. 5.2 and Annex 5-A (data elements 1-9: certifier role; certifier; exporter;
//! producer; importer; description and HS classification; origin criterion; blanket period "not
//! exceeding 12 months"; authorized signature, date and the certification statement); 19 CFR
//! 182.11-182.12.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::NaiveDate;
use common::*;
use origin_engine::audit::Outcome;
use origin_engine::certificate::{DraftError, STATEMENT, check_blanket, draft, markdown};
use origin_engine::finding::{Code, Facts, Finding, Set, Severity, Shown, Signal};
use origin_engine::input::GoodInput;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn criterion_c_batch() -> String {
    batch_now(&good_yaml(
        "boiler-part",
        "8402.90",
        "transaction_value: 1000",
        "invoice: INV-2026-0042",
        &(us_line("1", "7208.51", "300") + &us_line("2", "7304.19", "100")),
    ))
}

/// The nine data elements, from the batch's parties and the determination.
#[test]
fn draft_has_the_nine_data_elements() {
    let r = check(&criterion_c_batch());
    let g = only(&r);
    let c = g.certificate.as_ref().expect("draft for a criterion C good");
    // 1. certifier role: `prod` certifies and exports.
    assert_eq!(c.certifier_role, "exporter");
    // 2. certifier: name, title, address, telephone, email.
    let cert = c.certifier.as_ref().expect("2. certifier");
    assert_eq!(cert.name, "Aceros del Norte SA de CV");
    assert_eq!(cert.title.as_deref(), Some("Compliance Director"));
    assert!(cert.telephone.is_some() && cert.email.is_some() && !cert.address.is_empty());
    // 3. exporter, 4. producer, 5. importer.
    assert_eq!(c.exporter.as_ref().map(|p| p.name.as_str()), Some("Aceros del Norte SA de CV"));
    assert_eq!(c.producer.as_ref().map(|p| p.name.as_str()), Some("Aceros del Norte SA de CV"));
    assert_eq!(c.importer.as_ref().map(|p| p.name.as_str()), Some("Lakeside Imports Inc"));
    // 6. description, HS to 6 digits, invoice for a single shipment; 7. origin criterion.
    assert_eq!(c.goods.len(), 1);
    assert_eq!(c.goods[0].description, "good boiler-part");
    assert_eq!(c.goods[0].hs_tariff_classification, "8402.90");
    assert_eq!(c.goods[0].invoice_number.as_deref(), Some("INV-2026-0042"));
    assert_eq!(c.goods[0].origin_criterion, "C");
    // 8. single shipment here: no blanket period, and nothing left to complete.
    assert!(c.blanket_period.is_none());
    assert!(c.missing_elements.is_empty(), "{:?}", c.missing_elements);
    // 9. the certification statement (signature and date are the certifier's).
    assert_eq!(c.certification_statement, STATEMENT);
    let md = markdown(c);
    for element in [
        "1. Certifier",
        "2. Certifier",
        "3. Exporter",
        "4. Producer",
        "5. Importer",
        "6. Description and HS classification",
        "7. Origin criterion",
        "8. Blanket period",
        "9. Signature and date",
    ] {
        assert!(md.contains(element), "markdown lacks `{element}`:\n{md}");
    }
    assert!(md.contains(STATEMENT));
}

/// A rule written at tariff-item level (GN 11(o) ch. 73, 7321.11.30) puts 8 digits on the certificate.
/// Cooking stove of 7321.11.30 with Chinese screws (7318.15): a change from another subheading.
#[test]
fn tariff_item_rule_gives_eight_digits() {
    let r = check(&batch_now(&good_yaml(
        "stove",
        "7321.11.30",
        "transaction_value: 1000",
        "invoice: INV-1",
        &(cn_line("1", "7318.15", "50") + &us_line("2", "7208.51", "300")),
    )));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified, "{}", g.audit.determination.summary);
    let c = g.certificate.as_ref().expect("draft");
    assert_eq!(c.goods[0].hs_tariff_classification, "7321.11.30");
    assert_eq!(c.goods[0].origin_criterion, "B");
    assert!(!c.caveats.is_empty(), "the rule is a third-party transcription: the draft says so");
}

/// Blanket period: 2026-01-01 to 2026-12-31 is 12 months; to 2027-01-01 is 12 months and a day;
/// a period ending before it starts is no period.
#[test]
fn blanket_period_is_at_most_twelve_months() {
    assert!(check_blanket(date("2026-01-01"), date("2026-12-31")).is_ok());
    assert!(check_blanket(date("2026-03-15"), date("2027-03-14")).is_ok());
    assert_eq!(
        check_blanket(date("2026-01-01"), date("2027-01-01")),
        Err(DraftError::BlanketPeriod(date("2026-01-01"), date("2027-01-01")))
    );
    assert!(check_blanket(date("2026-03-15"), date("2027-03-15")).is_err());
    assert!(check_blanket(date("2026-06-01"), date("2026-05-31")).is_err());
}

/// `draft` refuses a blanket period over 12 months for a qualifying good.
#[test]
fn draft_rejects_a_blanket_period_over_twelve_months() {
    let text = criterion_c_batch();
    let batch = parse(&text).unwrap();
    let r = run(&batch);
    let GoodInput::Ok(good) = &batch.goods[0] else { panic!("valid good") };
    let audit = &only(&r).audit;
    assert!(draft(&batch, good, audit, Some((date("2026-01-01"), date("2026-12-31")))).is_ok());
    assert_eq!(
        draft(&batch, good, audit, Some((date("2026-01-01"), date("2027-01-01")))).err(),
        Some(DraftError::BlanketPeriod(date("2026-01-01"), date("2027-01-01")))
    );
}

/// No draft while a blocking finding is open, even for a qualifying determination.
#[test]
fn no_draft_with_a_blocking_finding() {
    let text = criterion_c_batch();
    let batch = parse(&text).unwrap();
    let r = run(&batch);
    let GoodInput::Ok(good) = &batch.goods[0] else { panic!("valid good") };
    let mut audit = only(&r).audit.clone();
    assert_eq!(audit.determination.outcome, Outcome::Qualified);
    let signal = Signal {
        code: "ORIGIN_LAUNDERING_SUSPECTED".into(),
        lot: "L1".into(),
        lots: Set(vec!["L1".into()]),
        sites: Set::default(),
        events: Set::default(),
        message: Shown("test".into()),
        clear: Shown("clear it".into()),
    };
    audit.findings.push(Finding::of(
        Severity::Blocking,
        "boiler-part",
        Facts::OriginLaunderingSuspected { line: "1".into(), lot: "L1".into(), claimed: true, signal },
    ));
    assert_eq!(audit.findings.last().map(|f| f.code), Some(Code::OriginLaunderingSuspected));
    assert_eq!(draft(&batch, good, &audit, None).err(), Some(DraftError::Blocking("boiler-part".into())));
}

/// No draft for a good that does not qualify.
#[test]
fn no_draft_for_a_good_that_does_not_qualify() {
    let r = check(&batch_now(&good_yaml(
        "drill",
        "8459.29",
        "transaction_value: 1000",
        "",
        &(cn_line("1", "8501.52", "200") + &us_line("2", "7308.90", "300")),
    )));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified);
    assert!(g.certificate.is_none());
    assert_eq!(r.summary.certificates, 0);
}

/// A draft without an invoice or a blanket period, and without a certifier, lists what the certifier
/// must complete before signing.
#[test]
fn missing_elements_are_listed() {
    let text = criterion_c_batch().replace("  certifier: prod\n", "").replace("    invoice: INV-2026-0042\n", "");
    let r = check(&text);
    let c = only(&r).certificate.as_ref().expect("draft");
    assert!(c.certifier.is_none());
    assert!(c.missing_elements.iter().any(|m| m.starts_with("2.")), "{:?}", c.missing_elements);
    assert!(
        c.missing_elements.iter().any(|m| m.contains("invoice") && m.contains("blanket")),
        "{:?}",
        c.missing_elements
    );
}
