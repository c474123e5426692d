#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 12: one import test per chapter of the third-party transcription (`fixtures/legal/secondary/`).
//! For each chapter: the pack's `psr/chNN.yaml` is what `rules import` writes from the chapter's file
//! (merged with the rules the pack already held), every rule the import reads is in the pack or held by
//! a reviewed rule of the pack, and every rule entry of the text is either imported or listed as not read
//! with its reason (nothing vanishes).

use std::path::PathBuf;

use origin_rules::import::{EntryKind, import_chapter, merge_chapter, parse_entry, parse_legal_file, split_preamble};
use origin_rules::raw::RawChapterFile;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check_chapter(ch: u8) {
    let text = std::fs::read_to_string(root().join(format!("fixtures/legal/secondary/gn11-ch{ch:02}.md"))).unwrap();
    let entries = parse_legal_file(&text);
    assert!(entries.iter().any(|e| e.chapter == Some(ch)), "no entry of chapter {ch}");
    let imported = import_chapter(&entries, ch, None);
    let path = root().join(format!("rules/usmca/psr/ch{ch:02}.yaml"));
    let committed: RawChapterFile = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let (merged, report) = merge_chapter(Some(committed.clone()), imported.file.clone(), false);
    let first_difference = merged
        .rules
        .iter()
        .zip(&committed.rules)
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("{a:?}\n!=\n{b:?}"))
        .unwrap_or_else(|| {
            format!(
                "{} rules and {} chapter rules merged, {} and {} in the file",
                merged.rules.len(),
                merged.chapter_rules.len(),
                committed.rules.len(),
                committed.chapter_rules.len()
            )
        });
    assert!(
        merged == committed,
        "{first_difference}\n\n\
         psr/ch{ch:02}.yaml is not what `rules import` writes: run `origin-audit rules import fixtures/legal/secondary/gn11-ch{ch:02}.md --chapter {ch}`"
    );
    assert!(
        merged == committed,
        "psr/ch{ch:02}.yaml is not what `rules import` writes: run `origin-audit rules import fixtures/legal/secondary/gn11-ch{ch:02}.md --chapter {ch}`"
    );
    // Every imported rule is in the pack, or held by a reviewed rule of the pack (which wins).
    for r in &imported.file.rules {
        let in_pack = committed.rules.iter().any(|c| c == r);
        let held = report.held_by_pack.iter().any(|(id, _)| *id == r.id)
            || report.skipped_reviewed.iter().any(|(id, _)| *id == r.id);
        assert!(in_pack || held, "chapter {ch}: imported rule {} is neither in the pack nor held by a pack rule", r.id);
    }
    // Nothing vanishes: each rule entry is imported (its text is a rule's) or listed with its reason.
    for e in entries.iter().filter(|e| e.chapter == Some(ch)) {
        if parse_entry(e).kind != EntryKind::Rule {
            continue;
        }
        let (_, body) = split_preamble(&e.text);
        let imported_rule =
            imported.file.rules.iter().any(|r| r.text.as_deref().is_some_and(|t| t == e.text || t == body));
        let at = format!("{} (line {})", e.heading, e.line);
        // A rule written twice in the text is listed by its id and rule number.
        let number: String =
            e.heading.strip_prefix("Rule ").unwrap_or("").chars().take_while(char::is_ascii_digit).collect();
        let listed = imported
            .not_imported
            .iter()
            .find(|n| n.entry == at || !number.is_empty() && n.entry.contains(&format!("rule {number} (")));
        assert!(imported_rule || listed.is_some(), "chapter {ch}: entry `{at}` vanished");
        if let Some(n) = listed {
            assert!(!n.error.message.is_empty(), "chapter {ch}: `{at}` is listed without a reason");
        }
    }
}

macro_rules! chapters {
    ($($name:ident => $ch:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_chapter($ch);
            }
        )*
    };
}

chapters! {
    chapter_01 => 1, chapter_02 => 2, chapter_03 => 3, chapter_04 => 4, chapter_05 => 5, chapter_06 => 6,
    chapter_07 => 7, chapter_08 => 8, chapter_09 => 9, chapter_10 => 10, chapter_11 => 11, chapter_12 => 12,
    chapter_13 => 13, chapter_14 => 14, chapter_15 => 15, chapter_16 => 16, chapter_17 => 17, chapter_18 => 18,
    chapter_19 => 19, chapter_20 => 20, chapter_21 => 21, chapter_22 => 22, chapter_23 => 23, chapter_24 => 24,
    chapter_25 => 25, chapter_26 => 26, chapter_27 => 27, chapter_28 => 28, chapter_29 => 29, chapter_30 => 30,
    chapter_31 => 31, chapter_32 => 32, chapter_33 => 33, chapter_34 => 34, chapter_35 => 35, chapter_36 => 36,
    chapter_37 => 37, chapter_38 => 38, chapter_39 => 39, chapter_40 => 40, chapter_41 => 41, chapter_42 => 42,
    chapter_43 => 43, chapter_44 => 44, chapter_45 => 45, chapter_46 => 46, chapter_47 => 47, chapter_48 => 48,
    chapter_49 => 49, chapter_50 => 50, chapter_51 => 51, chapter_52 => 52, chapter_53 => 53, chapter_54 => 54,
    chapter_55 => 55, chapter_56 => 56, chapter_57 => 57, chapter_58 => 58, chapter_59 => 59, chapter_60 => 60,
    chapter_61 => 61, chapter_62 => 62, chapter_63 => 63, chapter_68 => 68, chapter_69 => 69, chapter_70 => 70,
    chapter_71 => 71, chapter_72 => 72, chapter_73 => 73, chapter_74 => 74, chapter_75 => 75, chapter_76 => 76,
    chapter_78 => 78, chapter_79 => 79, chapter_80 => 80, chapter_81 => 81, chapter_82 => 82, chapter_83 => 83,
    chapter_84 => 84, chapter_85 => 85, chapter_86 => 86, chapter_87 => 87, chapter_88 => 88, chapter_89 => 89,
    chapter_90 => 90, chapter_91 => 91, chapter_92 => 92, chapter_93 => 93, chapter_94 => 94, chapter_95 => 95,
    chapter_96 => 96, chapter_97 => 97,
}
