#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 12: the importer reads the law's whole grammar, nothing vanishes, every rule gets an honest
//! review status, and rules by direction of trade are told apart.

use origin_rules::import::{EntryKind, import_chapter, parse_entry, parse_legal_file, parse_rule};
use origin_rules::raw::RawReview;

/// A research-extract entry of chapter `ch` with the given compiler's note and quoted paragraphs.
fn extract(ch: u8, heading: &str, note: Option<&str>, paragraphs: &[&str]) -> String {
    let mut s = format!("## Chapter {ch}\n\n### Chapter {ch} rules\n\n#### {heading}\n\n");
    s.push_str("- Source: https://github.com/piksen-digital/origynlx/blob/c8c04ac85c127fb36f80691b721ff630688d0a95/x.ts (record `x`; third-party transcription)\n");
    s.push_str("- Status: **SECONDARY** (third-party transcription; not read in an official copy)\n");
    if let Some(n) = note {
        s.push_str(&format!("- Compiler's note: {n}\n"));
    }
    s.push('\n');
    let quoted: Vec<String> = paragraphs.iter().map(|p| format!("> {p}")).collect();
    s.push_str(&quoted.join("\n>\n"));
    s.push('\n');
    s
}

/// Issue 12, item 4: an entry whose text starts with "The underscoring of" and goes on with a rule
/// paragraph is a rule with its preamble, not a preamble: the rule is imported, not dropped.
#[test]
fn nothing_vanishes_underscoring_paragraph_followed_by_a_rule() {
    let md = extract(
        40,
        "Rule 5 — 4011.10",
        None,
        &[
            "The underscoring of the designations in subdivision (o) of this note pertain to the provisions of subdivision (k) of this note.",
            "5. A change to subheading 4011.10 from any other heading, except from heading 4012.",
        ],
    );
    let entries = parse_legal_file(&md);
    assert_eq!(entries.len(), 1);
    assert_eq!(parse_entry(&entries[0]).kind, EntryKind::Rule);
    let imported = import_chapter(&entries, 40, None);
    assert!(imported.not_imported.is_empty(), "{:?}", imported.not_imported);
    assert_eq!(imported.file.rules.len(), 1, "the rule after the underscoring sentence vanished");
    let r = &imported.file.rules[0];
    assert_eq!(r.hs, vec!["4011.10".to_string()]);
    assert!(r.preamble.as_deref().is_some_and(|p| p.starts_with("The underscoring of")));
    assert_eq!(r.motor_vehicle_provisions.as_deref(), Some("applies"));
}

/// An underscoring sentence standing alone is still a preamble (it belongs to the rule after it).
#[test]
fn underscoring_sentence_alone_is_a_preamble() {
    let md = extract(
        40,
        "Subheading rule — 4011",
        None,
        &[
            "The underscoring of the designations in subdivision (o) of this note pertain to the provisions of subdivision (k) of this note.",
        ],
    );
    let entries = parse_legal_file(&md);
    assert_eq!(parse_entry(&entries[0]).kind, EntryKind::Preamble);
}

/// Issue 12, item 2: a quotation of the transcription is `unverified-transcription`; an entry the
/// compiler flags as taken from the record's `tariffShiftRule` field is not the law's words: `paraphrase`.
#[test]
fn secondary_quotation_and_paraphrase_statuses() {
    let quoted =
        extract(1, "Rule 1 — 0101-0106", None, &["1. A change to headings 0101 through 0106 from any other chapter."]);
    let para = extract(
        1,
        "0101-0106",
        Some("text taken from the record's `tariffShiftRule` field: the record has no VERBATIM quotation of this rule"),
        &["A change to headings 0101 through 0106 from any other chapter."],
    );
    let q = import_chapter(&parse_legal_file(&quoted), 1, None);
    let p = import_chapter(&parse_legal_file(&para), 1, None);
    assert_eq!(q.file.rules[0].review, RawReview::UnverifiedTranscription);
    assert_eq!(p.file.rules[0].review, RawReview::Paraphrase);
    assert!(p.file.rules[0].note.as_deref().is_some_and(|n| n.contains("paraphrase")));
}

/// GN 11(o) chapter 51: a subheading rule for trade between Canada and the United States beside one for
/// all other trade; each is limited to its direction of trade.
#[test]
fn chapter_51_rules_by_direction_of_trade() {
    let mut md = extract(
        51,
        "5112.11 (subheading rule; Canada-US trade)",
        None,
        &[
            "Subheading rule: For the purposes of trade between the territory of Canada and the territory of the United States of goods of subheading 5112.11",
            "(a) A change to subheading 5112.11 from any other heading, except from headings 5106 through 5111.",
        ],
    );
    md.push_str("\n#### 5112.11 (subheading rule; all other trade)\n\n- Source: https://github.com/piksen-digital/origynlx/blob/c8c04ac85c127fb36f80691b721ff630688d0a95/x.ts\n- Status: **SECONDARY**\n\n> For the purposes of all other trade of subheading 5112.11 the following rule of origin applies: (a) A change to subheading 5112.11 from any other heading, except from headings 5106 through 5111 or 5113.\n");
    let imported = import_chapter(&parse_legal_file(&md), 51, None);
    assert!(imported.not_imported.is_empty(), "{:?}", imported.not_imported);
    assert_eq!(imported.file.rules.len(), 2);
    let between = imported.file.rules[0].trade.as_ref().unwrap();
    assert_eq!(between.between.as_deref(), Some(&["CA".to_string(), "US".to_string()][..]));
    let other = imported.file.rules[1].trade.as_ref().unwrap();
    assert_eq!(other.other_than_between.as_deref(), Some(&["CA".to_string(), "US".to_string()][..]));
    assert_eq!(imported.file.rules[1].hs, vec!["5112.11".to_string()]);
}

/// The textile condition "provided that the good is both cut (or knit to shape) and sewn ..." is kept
/// verbatim as a condition, after a description of the goods ("classified as part of an ensemble").
#[test]
fn chapter_61_cut_and_sewn_condition_and_ensemble_description() {
    let r = parse_rule("A change to sweaters of subheading 6110.30 classified as part of an ensemble of subheading 6103.23 from any other chapter, except from headings 5106 through 5113, chapters 54 or 55 or headings 6001 through 6006, provided that the good is both cut (or knit to shape) and sewn or otherwise assembled in the territory of one or more of the USMCA countries.").unwrap();
    assert_eq!(r.hs, vec!["6110.30".to_string()]);
    assert_eq!(r.good_kind.as_deref(), Some("sweaters classified as part of an ensemble of subheading 6103.23"));
    let a = &r.alternatives[0];
    assert_eq!(a.conditions.len(), 1);
    assert!(a.conditions[0].text.contains("both cut (or knit to shape) and sewn"));
    let shift = a.shift.as_ref().unwrap();
    assert_eq!(shift.from.as_deref(), Some("chapter"));
    assert!(shift.except[0].hs.contains(&"54".to_string()) && shift.except[0].hs.contains(&"55".to_string()));
}

/// "except from chapter 4": a single-digit chapter is chapter 04.
#[test]
fn single_digit_chapter_in_an_exception() {
    let r = parse_rule("3. A change to heading 0403 from any other heading, except from chapter 4.").unwrap();
    assert_eq!(r.alternatives[0].shift.as_ref().unwrap().except[0].hs, vec!["04".to_string()]);
}

/// "from any other subheading within chapter 20, whether or not there is also a change from any other
/// chapter" is "from any other subheading"; without the "whether or not" the materials must be of chapter
/// 20 and never of the good's own subheading.
#[test]
fn any_other_subheading_within_a_chapter() {
    let with = parse_rule("A change to subheading 2009.90 from any other subheading within chapter 20, whether or not there is also a change from any other chapter.").unwrap();
    let s = with.alternatives[0].shift.as_ref().unwrap();
    assert_eq!(s.from.as_deref(), Some("subheading"));
    assert!(s.also_from.is_empty());
    let without = parse_rule("A change to subheading 2009.90 from any other subheading within chapter 20.").unwrap();
    let s = without.alternatives[0].shift.as_ref().unwrap();
    assert_eq!(s.from, None);
    assert_eq!(s.also_from[0].hs, vec!["20".to_string()]);
    assert_eq!(s.except[0].hs, vec!["2009.90".to_string()]);
}

/// "whether or not there is also a change from subheadings 8415.20 through 8415.83": named materials
/// are allowed besides the ones the change is from.
#[test]
fn whether_or_not_a_change_from_named_subheadings() {
    let r = parse_rule("A change to subheading 8415.10 from tariff item 8415.90.40, whether or not there is also a change from subheadings 8415.20 through 8415.83, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost method is used.").unwrap();
    let s = r.alternatives[0].shift.as_ref().unwrap();
    assert_eq!(s.from, None);
    let all: Vec<String> = s.also_from.iter().flat_map(|m| m.hs.clone()).collect();
    assert!(all.contains(&"8415.90.40".to_string()) && all.contains(&"8415.20-8415.83".to_string()), "{all:?}");
}

/// The kinds in a parsed rule, wherever they are: the rule's, each alternative's and each material's.
fn kinds_of(r: &origin_rules::import::ParsedRule) -> Vec<String> {
    let mut out: Vec<String> = r.good_kind.iter().cloned().collect();
    for a in &r.alternatives {
        out.extend(a.good_kind.iter().cloned());
        out.extend(a.good_kind_other_than.iter().flatten().cloned());
        if let Some(s) = &a.shift {
            for m in s.also_from.iter().chain(&s.except).chain(&s.except_more_than_one_of) {
                out.extend(m.kind.iter().cloned());
            }
        }
    }
    out
}

/// Phrases of codes are codes, never kinds: a kind is matched against a material's description, so "any
/// other good within that heading" read as a kind would have encoded a rule no material can meet.
/// By hand from GN 11(o) chapter 74 (7404): materials of any other heading, or of 7404 itself.
#[test]
fn any_other_good_within_that_heading_is_the_rules_own_heading() {
    let r =
        parse_rule("A change to a good of heading 7404 from any other good within that heading or any other heading.")
            .unwrap();
    assert!(kinds_of(&r).is_empty(), "{:?}", kinds_of(&r));
    let s = r.alternatives[0].shift.as_ref().unwrap();
    assert_eq!(s.from.as_deref(), Some("heading"));
    assert_eq!(s.also_from[0].hs, vec!["7404".to_string()]);
}

/// "from any heading" (chapter 51, 5111) is not "from any other heading": the good's own heading is
/// allowed too; "from any chapter" (chapter 57, 5704) likewise allows chapter 57.
#[test]
fn from_any_heading_includes_the_goods_own_heading() {
    let r = parse_rule("A change to heading 5111 from any heading, except from headings 5106 through 5110.").unwrap();
    let s = r.alternatives[0].shift.as_ref().unwrap();
    assert_eq!(s.from.as_deref(), Some("heading"));
    assert_eq!(s.also_from[0].hs, vec!["5111".to_string()]);
    assert_eq!(s.except[0].hs, vec!["5106-5110".to_string()]);
    let r = parse_rule("(a) A change to heading 5704 from any chapter, except from chapters 54 or 55.").unwrap();
    let s = r.alternatives[0].shift.as_ref().unwrap();
    assert_eq!(s.from.as_deref(), Some("chapter"));
    assert_eq!(s.also_from[0].hs, vec!["57".to_string()]);
    assert!(kinds_of(&r).is_empty(), "{:?}", kinds_of(&r));
}

/// "..., or from any other heading" (chapter 48): the repeated preposition, not a kind "from any other
/// heading"; "a non-smoked good within those subheadings" (chapter 3) is a kind of the rule's own codes.
#[test]
fn repeated_from_and_a_kind_within_those_subheadings() {
    let r = parse_rule("A change to heading 4814 from strips of heading 4811, or from any other heading.").unwrap();
    let s = r.alternatives[0].shift.as_ref().unwrap();
    assert_eq!(s.from.as_deref(), Some("heading"));
    assert_eq!(kinds_of(&r), vec!["strips".to_string()]);
    let r = parse_rule("A change to a smoked good of subheadings 0306.11 through 0308.90 from a non-smoked good within those subheadings or any other subheading.").unwrap();
    let s = r.alternatives[0].shift.as_ref().unwrap();
    assert_eq!(s.from.as_deref(), Some("subheading"));
    assert_eq!(s.also_from[0].hs, vec!["0306.11-0308.90".to_string()]);
    assert_eq!(s.also_from[0].kind.as_deref(), Some("non-smoked good"));
}

/// A phrase of codes the grammar cannot express ("any other good of heading 5108" inside an exception,
/// chapter 51) stops the parse with a reason; it is never kept as a kind.
#[test]
fn an_unreadable_phrase_of_codes_is_refused_not_kept_as_a_kind() {
    let e = parse_rule("(a) A change to subheading 5112.11 from any other heading, except from headings 5106 through 5107, any other good of heading 5108, or headings 5109 through 5111.").unwrap_err();
    assert!(e.message.contains("names codes, not a description of materials"), "{e:?}");
}
