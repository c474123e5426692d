//! A JSON batch audited with its goods left in the file (`load_batch_streamed`, the read of every
//! stored `run`) gives the report the held read gives, byte for byte; a good changed in the file
//! after the first read stops the audit with an error naming it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::pack;
use origin_engine::r#gen::{GenSpec, write_batch};
use origin_engine::input::{FileScope, load_batch_in, load_batch_streamed};
use origin_engine::run::{Progress, RunError, RunOptions, write_report_json};

fn report(batch: &origin_engine::input::Batch) -> Result<String, RunError> {
    let mut out = Vec::new();
    write_report_json(pack(), batch, &RunOptions { as_of: None, threads: Some(2) }, &Progress::default(), &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn a_streamed_batch_gives_the_held_batchs_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.json");
    let mut buf = Vec::new();
    write_batch(&GenSpec { goods: 150, lines: 8, seed: 11, events: 400 }, &mut buf).unwrap();
    // One BOM line states a kind the pack does not declare: an input error of its good, located by
    // the good's index in the batch (a good left in the file is not in `batch.goods`).
    let text = String::from_utf8(buf).unwrap();
    let at = text.match_indices(r#""part": "#).nth(300).unwrap().0;
    let good = text[..at].matches(r#"{"id": "G"#).count() - 1;
    let line = text[..at].rfind("{\"line\"").map(|l| text[..l].matches(r#"{"line": "#).count()).unwrap();
    let first_line_of_good =
        text[..at].rfind(r#"{"id": "G"#).map(|g| text[..g].matches(r#"{"line": "#).count()).unwrap();
    let material = line - first_line_of_good;
    let text = format!("{}\"kinds\": [\"no-such-kind\"], {}", &text[..at], &text[at..]);
    std::fs::write(&path, &text).unwrap();
    let held = load_batch_in(&path, FileScope::BatchDirectory).unwrap();
    let streamed = load_batch_streamed(&path, FileScope::BatchDirectory).unwrap();
    assert!(streamed.goods.is_empty() && streamed.goods_file.is_some());
    let (a, b) = (report(&held).unwrap(), report(&streamed).unwrap());
    assert_eq!(a, b);
    // Not a trivial report: every good audited, some qualified, some not, lots traced.
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["summary"]["goods"], 150);
    assert!(v["summary"]["qualified"].as_u64().unwrap() > 0, "{}", v["summary"]);
    assert!(v["summary"]["not_qualified"].as_u64().unwrap() > 0, "{}", v["summary"]);
    assert!(b.contains("\"lot\":"), "no BOM line names a lot");
    let field = format!("goods[{good}].materials[{material}].kinds[0]");
    assert!(b.contains(&field) && b.contains("no-such-kind"), "{field} not in the report");
}

#[test]
fn a_good_changed_during_the_audit_stops_it_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.json");
    let mut buf = Vec::new();
    write_batch(&GenSpec { goods: 20, lines: 4, seed: 5, events: 0 }, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    std::fs::write(&path, &text).unwrap();
    let streamed = load_batch_streamed(&path, FileScope::BatchDirectory).unwrap();
    std::fs::write(&path, text.replacen("INV-2026-0000017", "INV-2026-0000071", 1)).unwrap();
    let e = report(&streamed).unwrap_err();
    assert!(matches!(e, RunError::BatchChanged(_)), "{e:?}");
    let e = e.to_string();
    assert!(e.contains("`G0000017` (goods[17], line") && e.contains("changed since the batch was read"), "{e}");
}
