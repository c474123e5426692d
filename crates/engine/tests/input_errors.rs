//! Input errors: every problem names the file, the line (YAML/JSON) or row (CSV) and the field; a bad
//! good gets an INPUT_ERROR finding and the other goods are audited; a bad header stops the run before
//! anything is audited.
//!
//! Legal basis: none in Chapter 4 itself; this is the evidence discipline of 19 CFR 182.15 (records
//! supporting a claim) and of the issue's "every input error names the file, the line or row and the
//! field". A good whose facts cannot be read is never given a determination it does not support.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::*;
use origin_engine::audit::Outcome;
use origin_engine::input::{GoodInput, load_batch};

/// The second of three goods has a malformed HS code on its second material (YAML line 42 of the
/// batch: the header and parties take lines 1-21, each good 10 lines plus its BOM lines).
#[test]
fn a_bad_good_gets_an_input_error_and_the_others_are_audited() {
    let ok = |id: &str| good_yaml(id, "8402.90", "transaction_value: 100", "", &us_line("1", "7208.51", "30"));
    let bad = good_yaml(
        "bad",
        "8402.90",
        "transaction_value: 100",
        "",
        &(us_line("1", "7208.51", "30") + &cn_line("2", "84X2.90", "10")),
    );
    let text = batch_now(&(ok("first") + &bad + &ok("third")));
    let bad_line = text.lines().position(|l| l.contains("84X2.90")).map(|i| i + 1);
    let batch = parse(&text).expect("the header is fine");
    let GoodInput::Invalid { errors, .. } = &batch.goods[1] else { panic!("good `bad` should be invalid") };
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(e.file, Path::new("test.yaml"));
    assert_eq!(e.field, "goods[1].materials[1].hs");
    assert_eq!(e.line, bad_line, "the error points at the line of the bad value");

    let r = run(&batch);
    assert_eq!(r.goods.len(), 3);
    let g = good(&r, "bad");
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    let f = finding(g, "INPUT_ERROR");
    assert!(
        f.evidence.iter().any(|e| e.contains("test.yaml") && e.contains("goods[1].materials[1].hs")),
        "{:?}",
        f.evidence
    );
    assert_eq!(criterion(good(&r, "first")), Some('C'));
    assert_eq!(criterion(good(&r, "third")), Some('C'));
    assert_eq!(r.summary.goods, 3);
}

/// Several problems in one good are all reported, not only the first.
#[test]
fn every_problem_of_a_good_is_reported() {
    let lines = "      - { line: \"1\", description: \"plate\", hs: \"7208.51\", quantity: -1, unit_value: 30, currency: XYZ, origin: ZZZ }\n";
    let r = check(&batch_now(&good_yaml("bad", "8402.90", "transaction_value: 100", "", lines)));
    let g = only(&r);
    let f = finding(g, "INPUT_ERROR");
    for field in ["materials[0].quantity", "materials[0].currency", "materials[0].origin"] {
        assert!(f.evidence.iter().any(|e| e.contains(field)), "{field} missing from {:?}", f.evidence);
    }
}

/// A good value in a currency without a stated exchange rate: no rate is ever assumed.
#[test]
fn a_currency_without_a_rate_is_an_input_error() {
    let lines = "      - { line: \"1\", description: \"plate\", hs: \"7208.51\", quantity: 1, unit_value: 30, currency: MXN, origin: US, supplier: acme-us, certification: SC-US }\n";
    let r = check(&batch_now(&good_yaml("bad", "8402.90", "transaction_value: 100", "", lines)));
    let f = finding(only(&r), "INPUT_ERROR");
    assert!(
        f.evidence.iter().any(|e| e.contains("goods[0].materials[0].currency") && e.contains("MXN")),
        "{:?}",
        f.evidence
    );
}

/// An unknown field in a good is an error of that good (a misspelt field is never silently ignored).
#[test]
fn an_unknown_field_in_a_good_is_an_input_error() {
    let r = check(&batch_now(&good_yaml(
        "bad",
        "8402.90",
        "transaction_value: 100, transacton_value: 90",
        "",
        &us_line("1", "7208.51", "30"),
    )));
    let f = finding(only(&r), "INPUT_ERROR");
    assert!(f.evidence.iter().any(|e| e.contains("transacton_value")), "{:?}", f.evidence);
}

/// Two goods with the same id: the batch is refused before anything is audited (issue 11 item 4: a run
/// stores one result per batch and good id, and used to stop half way); the error names the second one.
#[test]
fn a_duplicate_good_id_is_a_header_error() {
    let g = good_yaml("twin", "8402.90", "transaction_value: 100", "", &us_line("1", "7208.51", "30"));
    let err = parse(&batch_now(&(g.clone() + &g))).expect_err("a duplicate good id stops the batch");
    assert_eq!(err.0.len(), 1);
    assert_eq!(err.0[0].field, "goods[1].id");
    assert!(err.0[0].message.contains("`twin` is used twice (first as goods[0])"), "{}", err.0[0].message);
}

/// A header naming a non-Party importing country stops the run, naming the field.
#[test]
fn a_bad_header_stops_with_a_header_error() {
    let text = batch_now(&good_yaml("g", "8402.90", "transaction_value: 100", "", &us_line("1", "7208.51", "30")))
        .replace("importing_party: US", "importing_party: CN");
    let err = parse(&text).expect_err("a non-Party importing country is a header error");
    assert_eq!(err.0.len(), 1);
    assert_eq!(err.0[0].field, "batch.importing_party");
    assert_eq!(err.0[0].file, Path::new("test.yaml"));
    assert_eq!(err.0[0].line, Some(3));
}

#[test]
fn a_batch_without_a_header_stops() {
    let err = parse("goods: []\n").expect_err("no header");
    assert_eq!(err.0[0].field, "batch");
}

#[test]
fn malformed_yaml_stops_with_its_line() {
    let err = parse("batch:\n  id: x\n  as_of: [2026-11-01\n").expect_err("malformed");
    assert!(err.0[0].line.is_some());
    assert!(err.0[0].message.contains("malformed"), "{}", err.0[0].message);
}

/// CSV BOM rows: row 4 (`two` as quantity) and row 5 (`85X` as HS) make good `bad-csv` an input
/// error naming the file, the row and the column; good `boiler-csv` is audited from rows 2-3:
/// a US-certified plate 2 x 15.00 = 30 and a Chinese tube of 8402.90 worth 40, TV 100, so (A) CTH
/// fails (40 % > 10 % de minimis) and (B) RVC = (100 - 40) / 100 = 60 %: criterion B.
#[test]
fn csv_rows_with_errors_name_the_row_and_column() {
    let batch = load_batch(&fixture("csv-bom.yaml")).expect("the header is fine");
    let GoodInput::Invalid { errors, .. } = batch.goods.iter().find(|g| g.id() == "bad-csv").expect("listed") else {
        panic!("`bad-csv` should be invalid")
    };
    let at = |row: usize, col: &str| {
        errors.iter().any(|e| e.line == Some(row) && e.field == col && e.file.ends_with("csv-bom.csv"))
    };
    assert!(at(4, "quantity"), "{errors:?}");
    assert!(at(5, "hs"), "{errors:?}");

    let r = run(&batch);
    let g = good(&r, "boiler-csv");
    assert_eq!(g.audit.determination.materials.len(), 2);
    assert_eq!(g.audit.determination.values.vnm, d("40"));
    assert_eq!(rvc_of(g, "B", "transaction-value").rvc.value(), d("60"));
    assert_eq!(criterion(g), Some('B'));
    assert!(has(good(&r, "bad-csv"), "INPUT_ERROR"));
}

/// A BOM file without a required column stops the run.
#[test]
fn csv_without_a_required_column_is_a_header_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("b.csv"),
        "good,line,description,hs,quantity,unit_value,currency\ng,1,x,7208.51,1,1,USD\n",
    )
    .unwrap();
    let text = batch_now(&good_yaml("g", "8402.90", "transaction_value: 100", "", "      []\n"))
        .replace("  importer: imp\n", "  importer: imp\n  bom_files: [b.csv]\n");
    let path = dir.path().join("b.yaml");
    std::fs::write(&path, text).unwrap();
    let err = load_batch(&path).expect_err("no origin column");
    assert!(err.0[0].message.contains("`origin`"), "{}", err.0[0].message);
}

/// Excel's "CSV UTF-8" export starts the file with a byte order mark. The header row must still be
/// read: the same rows as csv-bom.csv give the same determination.
#[test]
fn csv_with_a_utf8_byte_order_mark_is_read() {
    let batch = load_batch(&fixture("csv-utf8-bom.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let r = run(&batch);
    assert_eq!(criterion(good(&r, "boiler-csv")), Some('B'));
}

/// A CSV row for a good the batch does not list (`ghost`) cannot be attached to any good. It must be
/// reported, but it must not make the innocent first good `boiler-csv` an input error: "a bad good does
/// not stop the others".
#[test]
fn csv_row_for_an_unknown_good_does_not_invalidate_another_good() {
    let batch = load_batch(&fixture("csv-unknown-good.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let r = run(&batch);
    let g = good(&r, "boiler-csv");
    assert!(!has(g, "INPUT_ERROR"), "{:?}", g.audit.findings);
    assert_eq!(criterion(g), Some('C'));
    assert!(
        r.input_warnings.iter().any(|w| w.contains("ghost") && w.contains("csv-unknown-good.csv")),
        "the orphan row is reported: {:?}",
        r.input_warnings
    );
}
