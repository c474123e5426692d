//! Fingerprints: a finding's fingerprint stays the same across runs of the same facts, so review
//! decisions carry over, and changes when a fact it rests on changes.
//!
//! Legal basis: none directly; it serves 19 CFR 182.15 (records) and the review workflow of the issue
//! ("a fingerprint that stays the same across runs of the same facts").

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::*;
use origin_engine::run::{BatchReport, Progress, RunOptions, audit_batch};

/// Two goods: an RVC shortfall with two failing lines (8402.90, TV 100: CN 8402.90 parts of 30 and
/// 20.01, VNM 50.01, RVC 49.99 %) and an unsupported US claim on another good.
fn text(second_value: &str) -> String {
    batch_now(
        &(good_yaml(
            "boiler-part",
            "8402.90",
            "transaction_value: 100",
            "",
            &(cn_line("1", "8402.90", "30") + &cn_line("2", "8402.90", second_value)),
        ) + &good_yaml(
            "other",
            "8402.90",
            "transaction_value: 100",
            "",
            &(line("1", "7208.51", "30", "US", "acme-us", "") + &cn_line("2", "7304.19", "5")),
        )),
    )
}

fn prints(r: &BatchReport) -> BTreeMap<(String, &'static str, Vec<String>), String> {
    r.goods
        .iter()
        .flat_map(|g| g.audit.findings.iter())
        .map(|f| {
            (
                (f.good.clone(), f.code.as_str(), {
                    let mut m = f.materials.clone();
                    m.sort();
                    m
                }),
                f.fingerprint.clone(),
            )
        })
        .collect()
}

#[test]
fn same_facts_same_fingerprints_across_runs() {
    let a = check(&text("20.01"));
    let b = check(&text("20.01"));
    assert!(!prints(&a).is_empty());
    assert_eq!(prints(&a), prints(&b));
    for f in a.goods.iter().flat_map(|g| &g.audit.findings) {
        assert_eq!(f.fingerprint.len(), 16, "{}", f.fingerprint);
    }
}

/// The number of worker threads does not change anything.
#[test]
fn thread_count_does_not_change_fingerprints() {
    let batch = parse(&text("20.01")).unwrap();
    let one = audit_batch(pack(), &batch, &RunOptions { as_of: None, threads: Some(1) }, &Progress::default()).unwrap();
    let two = audit_batch(pack(), &batch, &RunOptions { as_of: None, threads: Some(2) }, &Progress::default()).unwrap();
    assert_eq!(prints(&one), prints(&two));
}

/// Changing the value of line 2 of `boiler-part` (20.01 -> 20.02) changes the RVC finding's fingerprint
/// (RVC 49.99 % -> 49.98 %) but not the fingerprint of the unrelated finding on good `other`.
#[test]
fn a_changed_number_changes_the_fingerprint() {
    let a = prints(&check(&text("20.01")));
    let b = prints(&check(&text("20.02")));
    let key = |good: &str, code: &'static str, m: &[&str]| {
        (good.to_string(), code, m.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    };
    let rvc = key("boiler-part", "RVC_BELOW_THRESHOLD", &[]);
    assert!(a.contains_key(&rvc), "{a:?}");
    assert_ne!(a[&rvc], b[&rvc]);
    let unsupported = key("other", "ORIGIN_UNSUPPORTED", &["1"]);
    assert_eq!(a[&unsupported], b[&unsupported]);
}

/// The same facts listed in another order (the BOM lines of `boiler-part` swapped, the goods swapped)
/// are the same facts: an ERP re-export must not reset the review of every finding.
#[test]
fn reordering_lines_and_goods_keeps_fingerprints() {
    let a = prints(&check(&text("20.01")));
    let swapped = batch_now(
        &(good_yaml(
            "other",
            "8402.90",
            "transaction_value: 100",
            "",
            &(cn_line("2", "7304.19", "5") + &line("1", "7208.51", "30", "US", "acme-us", "")),
        ) + &good_yaml(
            "boiler-part",
            "8402.90",
            "transaction_value: 100",
            "",
            &(cn_line("2", "8402.90", "20.01") + &cn_line("1", "8402.90", "30")),
        )),
    );
    let b = prints(&check(&swapped));
    assert_eq!(a, b);
}
