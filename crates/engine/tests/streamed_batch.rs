//! A JSON batch audited with its goods left in the file (`load_batch_streamed`, the read of every
//! stored `run`) gives the report the held read gives, byte for byte, whether its goods are kept as
//! first read (the first `HOLD_BYTES`), all read again, or some of each; a good read again that changed
//! in the file after the first read stops the audit with an error naming it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::pack;
use origin_engine::r#gen::{GenSpec, write_batch};
use origin_engine::input::{Batch, FileScope, load_batch_in, load_batch_streamed, load_batch_streamed_holding};
use origin_engine::run::{Progress, RunError, RunOptions, write_report_json};

fn report(batch: &Batch) -> Result<String, RunError> {
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
    let a = report(&held).unwrap();
    // Every good read again; about the first half kept as first read (whole packs of goods); all kept.
    let goods_bytes = text.len() - text.find(r#""goods": ["#).unwrap();
    let half = goods_bytes as u64 / 2;
    let mut b = String::new();
    for (hold, kept) in [(0, 0..=0), (half, 1..=149), (u64::MAX, 150..=150)] {
        let streamed = load_batch_streamed_holding(&path, FileScope::BatchDirectory, hold).unwrap();
        assert!(streamed.goods.is_empty() && streamed.goods_file.is_some());
        assert!(kept.contains(&streamed.goods_held()), "hold {hold}: {} kept", streamed.goods_held());
        // The provenance builds: the streamed read keeps its graph, not its records.
        assert!(streamed.provenance.is_none() && streamed.provenance_graph.is_some());
        b = report(&streamed).unwrap();
        assert_eq!(a, b, "hold {hold}");
    }
    assert_eq!(load_batch_streamed(&path, FileScope::BatchDirectory).unwrap().goods_held(), 150);
    assert!(held.provenance.is_some() && held.provenance_graph.is_none());
    // Not a trivial report: every good audited, some qualified, some not, lots traced.
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["summary"]["goods"], 150);
    assert!(v["summary"]["qualified"].as_u64().unwrap() > 0, "{}", v["summary"]);
    assert!(v["summary"]["not_qualified"].as_u64().unwrap() > 0, "{}", v["summary"]);
    assert!(b.contains("\"lot\":"), "no BOM line names a lot");
    let field = format!("goods[{good}].materials[{material}].kinds[0]");
    assert!(b.contains(&field) && b.contains("no-such-kind"), "{field} not in the report");
}

/// A generated batch with provenance (its sites, lots, shipments and transformations in that order).
fn with_provenance(seed: u64) -> String {
    let mut buf = Vec::new();
    write_batch(&GenSpec { goods: 60, lines: 8, seed, events: 300 }, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

/// Reads `text` held and streamed: the two reports, or the two refusals, are the same. The streamed
/// batch and its report, or the refusal.
fn held_and_streamed(text: &str) -> Result<(Batch, String), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.json");
    std::fs::write(&path, text).unwrap();
    let held = load_batch_in(&path, FileScope::BatchDirectory).map_err(|e| e.to_string());
    let streamed = load_batch_streamed(&path, FileScope::BatchDirectory).map_err(|e| e.to_string());
    match (held, streamed) {
        (Ok(h), Ok(s)) => {
            let (a, b) = (report(&h).unwrap(), report(&s).unwrap());
            assert_eq!(a, b);
            Ok((s, b))
        }
        (Err(h), Err(s)) => {
            assert_eq!(h, s);
            Err(s)
        }
        (h, s) => panic!("held: {:?}, streamed: {:?}", h.err(), s.err()),
    }
}

/// A provenance that does not build (a shipment names a lot nobody declared) is read whole by the
/// streamed read too: its error is located on the same line, the lots it touches are blocked, and the
/// other goods are audited as the held read audits them.
#[test]
fn a_provenance_that_does_not_build_is_read_whole_with_the_same_errors() {
    let text = with_provenance(13);
    let ships = text.find(r#""shipments": ["#).unwrap();
    let at = ships + text[ships..].find(r#""lot": ""#).unwrap() + r#""lot": ""#.len();
    let end = at + text[at..].find('"').unwrap();
    let text = format!("{}L999999{}", &text[..at], &text[end..]);
    let (streamed, report) = held_and_streamed(&text).unwrap();
    assert!(streamed.goods_file.is_some());
    assert!(streamed.provenance.is_some() && streamed.provenance_graph.is_none());
    let line = text[..at].lines().count();
    let located = format!("batch.json:{line}: `provenance.shipments[0]`: provenance: shipment ");
    assert!(report.contains(&located) && report.contains("names lot `L999999`"), "not located on line {line}");
}

/// A provenance whose lists are not in the builder's order, or with a record that does not read, is
/// read as the held read reads it: the same report, the same refusal.
#[test]
fn a_provenance_out_of_order_or_unreadable_is_read_as_the_held_read_reads_it() {
    let text = with_provenance(17);
    // The sites moved after the transformations.
    let (s, l) = (text.find("    \"sites\": [").unwrap(), text.find("    \"lots\": [").unwrap());
    let sites = text[s..l].trim_end().trim_end_matches(',').to_string();
    let t = text.find("\"transformations\": [").unwrap();
    let close = t + text[t..].find("\n    ]").unwrap() + "\n    ]".len();
    let moved = format!("{}{},\n{sites}{}", &text[..s], &text[l..close], &text[close..]);
    assert_ne!(moved.find("\"sites\""), text.find("\"sites\""));
    let (streamed, _) = held_and_streamed(&moved).unwrap();
    assert!(streamed.provenance.is_some() && streamed.provenance_graph.is_none());

    // A lot with a country no one has: the batch is refused whole, with the same located error.
    let bad = text.replacen(r#""declared_origin": "CA""#, r#""declared_origin": "ZZ""#, 1);
    assert_ne!(bad, text);
    let e = held_and_streamed(&bad).err().unwrap();
    assert!(e.contains("provenance.lots[") && e.contains("ZZ"), "{e}");
}

#[test]
fn a_good_changed_during_the_audit_stops_it_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.json");
    let mut buf = Vec::new();
    write_batch(&GenSpec { goods: 20, lines: 4, seed: 5, events: 0 }, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    std::fs::write(&path, &text).unwrap();
    let streamed = load_batch_streamed_holding(&path, FileScope::BatchDirectory, 0).unwrap();
    let kept = load_batch_streamed(&path, FileScope::BatchDirectory).unwrap();
    let before = report(&kept).unwrap();
    std::fs::write(&path, text.replacen("INV-2026-0000017", "INV-2026-0000071", 1)).unwrap();
    let e = report(&streamed).unwrap_err();
    assert!(matches!(e, RunError::BatchChanged(_)), "{e:?}");
    let e = e.to_string();
    assert!(e.contains("`G0000017` (goods[17], line") && e.contains("changed since the batch was read"), "{e}");
    // Goods kept as first read are audited as they were checked, whatever the file says now.
    assert_eq!(report(&kept).unwrap(), before);
}
