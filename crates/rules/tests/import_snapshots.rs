#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The parsed structure of every COMPLETE rule of the legal extracts, as an insta YAML snapshot.

use std::path::PathBuf;

use origin_rules::import::{EntryKind, Status, parse_entry, parse_legal_file};

#[test]
fn complete_rules_snapshots() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/legal");
    let mut n = 0;
    for name in ["gn11-ch84-85-90-40-94-72-73.md", "gn11-ch87-automotive.md"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        for e in parse_legal_file(&text).iter().filter(|e| e.status == Status::Complete) {
            let p = parse_entry(e);
            if p.kind != EntryKind::Rule {
                continue;
            }
            let parsed = p.result.unwrap_or_else(|err| panic!("{}: {err}", e.heading));
            let ch = e.chapter.unwrap_or(0);
            let name = format!("ch{ch:02}-line{:04}", e.line);
            insta::with_settings!({ description => e.heading.clone(), snapshot_suffix => name, prepend_module_to_snapshot => false }, {
                insta::assert_yaml_snapshot!("import", parsed);
            });
            n += 1;
        }
    }
    assert!(n > 90);
}
