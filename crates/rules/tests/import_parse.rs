#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Every COMPLETE rule of the legal extracts parses; the parse rate of CUT and SECONDARY entries is
//! reported; CUT entries fail at the cut and the error names where.

use std::collections::BTreeMap;
use std::path::PathBuf;

use origin_rules::import::{EntryKind, LegalEntry, Status, parse_entry, parse_legal_file};

fn legal_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/legal")
}

fn entries() -> Vec<LegalEntry> {
    let mut out = Vec::new();
    for name in ["gn11-ch84-85-90-40-94-72-73.md", "gn11-ch87-automotive.md"] {
        let text = std::fs::read_to_string(legal_dir().join(name)).unwrap();
        out.extend(parse_legal_file(&text));
    }
    out
}

#[test]
fn every_complete_rule_parses() {
    let mut failures = Vec::new();
    let mut n = 0;
    for e in entries().iter().filter(|e| e.status == Status::Complete) {
        let p = parse_entry(e);
        if p.kind != EntryKind::Rule {
            continue;
        }
        n += 1;
        if let Err(err) = &p.result {
            failures.push(format!("{} (line {}): {err}", e.heading, e.line));
        }
    }
    assert!(n > 90, "only {n} COMPLETE rules found");
    assert!(failures.is_empty(), "{} of {n} COMPLETE rules do not parse:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn cut_rules_fail_at_the_cut() {
    let mut report = BTreeMap::<String, usize>::new();
    for e in entries().iter().filter(|e| e.status == Status::Cut) {
        let p = parse_entry(e);
        if p.kind != EntryKind::Rule {
            continue;
        }
        let err = p.result.as_ref().expect_err("a CUT entry never parses in full");
        assert!(!err.words_where_parsing_stopped.is_empty() || err.at_end, "{}: the error must name where", e.heading);
        let at_cut = (e.cut_after && err.at_end) || (e.cut_before && err.message.contains("starts inside"));
        *report
            .entry(if at_cut { "at the cut".into() } else { format!("elsewhere: {} -> {err}", e.heading) })
            .or_default() += 1;
    }
    println!("{report:#?}");
    assert!(report.get("at the cut").copied().unwrap_or(0) > 0);
}

#[test]
fn secondary_parse_rate() {
    let mut ok = 0;
    let mut fail = Vec::new();
    for e in entries().iter().filter(|e| e.status == Status::Secondary) {
        let p = parse_entry(e);
        if p.kind != EntryKind::Rule {
            continue;
        }
        match &p.result {
            Ok(_) => ok += 1,
            Err(err) => fail.push(format!("{}: {err}", e.heading)),
        }
    }
    println!("SECONDARY: {ok} of {} parse\n{}", ok + fail.len(), fail.join("\n"));
    assert!(ok * 10 >= (ok + fail.len()) * 8, "fewer than 80 % of the SECONDARY rules parse");
}

#[test]
fn parse_rate_by_chapter_and_status() {
    let mut counts = BTreeMap::<(u8, &'static str), (usize, usize, usize)>::new();
    for e in entries() {
        let p = parse_entry(&e);
        if p.kind != EntryKind::Rule {
            continue;
        }
        let c = counts.entry((e.chapter.unwrap_or(0), e.status.as_str())).or_default();
        c.0 += 1;
        match &p.result {
            Ok(_) => c.1 += 1,
            Err(err) if err.at_end || err.message.contains("starts inside") => c.2 += 1,
            Err(_) => {}
        }
    }
    for ((ch, st), (n, ok, cut)) in &counts {
        println!("| {ch} | {st} | {n} | {ok} | at cut {cut} |");
    }
    assert!(counts.values().all(|(n, ok, _)| ok <= n));
}
