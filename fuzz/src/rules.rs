//! What the rule-pack and legal-text fuzz targets run, shared with `crates/rules/tests/fuzz_corpus.rs`
//! (which includes this file) so that the committed corpora and crash inputs replay in `cargo test`.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use origin_rules::import::{
    chapter_yaml, crosscheck, import_chapter, is_legal_markdown, merge_chapter, parse_entry, parse_fragment,
    parse_legal_file, parse_rule, render_rule, split_plain_text,
};
use origin_rules::{PackFiles, RuleSet, load_files};

/// The files of `fixtures/rules/minimal`, the pack a fuzzed file is put into.
const MINIMAL: [(&str, &[u8]); 9] = [
    ("pack.yaml", include_bytes!("../../fixtures/rules/minimal/pack.yaml")),
    ("general.yaml", include_bytes!("../../fixtures/rules/minimal/general.yaml")),
    ("country-groups.yaml", include_bytes!("../../fixtures/rules/minimal/country-groups.yaml")),
    ("automotive.yaml", include_bytes!("../../fixtures/rules/minimal/automotive.yaml")),
    ("transformation-policy.yaml", include_bytes!("../../fixtures/rules/minimal/transformation-policy.yaml")),
    ("kinds.yaml", include_bytes!("../../fixtures/rules/minimal/kinds.yaml")),
    ("hs2022-hs2017.csv", include_bytes!("../../fixtures/rules/minimal/hs2022-hs2017.csv")),
    ("psr/ch85.yaml", include_bytes!("../../fixtures/rules/minimal/psr/ch85.yaml")),
    ("psr/ch87.yaml", include_bytes!("../../fixtures/rules/minimal/psr/ch87.yaml")),
];

/// The file names a fuzzed file may take: the minimal pack's, plus a new chapter file.
pub const SLOTS: [&str; 10] = [
    "pack.yaml",
    "general.yaml",
    "country-groups.yaml",
    "automotive.yaml",
    "transformation-policy.yaml",
    "kinds.yaml",
    "hs2022-hs2017.csv",
    "psr/ch85.yaml",
    "psr/ch87.yaml",
    "psr/ch84.yaml",
];

/// A rule pack: the first byte picks a file of the minimal pack (`SLOTS[b % 10]`), the rest is that
/// file's new content (bytes as they are: a pack file that is not UTF-8 is a finding to report).
/// The whole pack is then loaded and checked as `rules check` does.
pub fn rule_pack(data: &[u8]) {
    let Some((&slot, content)) = data.split_first() else { return };
    let name = SLOTS[usize::from(slot) % SLOTS.len()];
    let files = PackFiles::from_pairs(
        MINIMAL.iter().filter(|(n, _)| *n != name).copied().chain(std::iter::once((name, content))),
    );
    let loaded = load_files(&files);
    let _ = loaded.error_count();
    for d in &loaded.diagnostics {
        let _ = format!("{d:?}");
    }
}

/// The minimal pack, which the legal-text target cross-checks against. (The built-in pack has eight
/// chapters of rules; the cross-check compares each entry with every rule of its chapter, which under
/// the sanitizer made one input of 8 KB take seconds.)
fn minimal() -> Option<&'static RuleSet> {
    static PACK: OnceLock<Option<RuleSet>> = OnceLock::new();
    PACK.get_or_init(|| load_files(&PackFiles::from_pairs(MINIMAL)).rules).as_ref()
}

/// A legal text, through everything `rules import` and `rules crosscheck` do with it: split into
/// entries (as the compiled markdown and as plain text), each entry parsed and rendered back, each
/// chapter imported, merged into itself and written as YAML, and the entries cross-checked against
/// the minimal pack. The whole text is also parsed as one rule and as a fragment.
pub fn legal_import(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = is_legal_markdown(&text);
    let _ = parse_rule(&text);
    let _ = parse_fragment(&text);
    for entries in [parse_legal_file(&text), split_plain_text(&text, Some(85))] {
        for e in &entries {
            let p = parse_entry(e);
            if let Ok(rule) = &p.result {
                let _ = rule.expand_stages();
            }
        }
        let chapters: BTreeSet<u8> = entries.iter().filter_map(|e| e.chapter).collect();
        for ch in chapters {
            let imported = import_chapter(&entries, ch, None);
            for r in &imported.file.rules {
                let _ = render_rule(r);
            }
            let _ = chapter_yaml(&imported.file, "# fuzz\n");
            let (merged, _) = merge_chapter(Some(imported.file.clone()), imported.file, false);
            let _ = chapter_yaml(&merged, "# fuzz\n");
        }
        if let Some(set) = minimal() {
            let _ = crosscheck(&entries, set).failures();
        }
    }
}
