//! Rule import: the legal text of product-specific rules -> rule-pack YAML, and a cross-check of the
//! pack against it.
//!
//! Pure functions on text (no IO; the CLI reads and writes files):
//! - [`parse_legal_file`] / [`split_plain_text`]: a legal text -> [`LegalEntry`]s (heading, status,
//!   source URL, verbatim text).
//! - [`parse_rule`]: one rule's verbatim text -> [`ParsedRule`] (the pack's raw alternatives), or a
//!   [`ParseError`] naming the rule number and the words where parsing stopped.
//! - [`import_chapter`]: the entries of one chapter -> a [`RawChapterFile`] with verbatim text, citation and
//!   `review: imported-unreviewed`, plus what could not be imported and why; [`merge_chapter`] keeps
//!   reviewed rules of an existing file; [`chapter_yaml`] writes it in the pack format.
//! - [`render_rule`]: a rule back into legal wording.
//! - [`crosscheck`]: the parsed legal text against a loaded [`crate::RuleSet`], rule by rule.

mod crosscheck;
mod grammar;
mod legal;
mod render;

pub use crosscheck::{Crosscheck, Disagreement, DisagreementKind, crosscheck, model_alternative_to_raw};
pub use grammar::{
    ParseError, ParsedRule, RvcStage, UseContext, condition_id, parse_fragment, parse_rule, split_preamble,
};
pub use legal::{LegalEntry, Status, is_legal_markdown, parse_legal_file, split_plain_text};
pub use render::{render_alternative, render_rule};

use std::collections::BTreeMap;

use serde::Serialize;

use crate::raw::{RawChapterFile, RawChapterRule, RawCitation, RawReview, RawRule, RawTrade};

/// The note every rule written by `rules import` carries until a rule editor reviews it: a later import
/// may replace such a rule (and only such a rule, besides `imported-unreviewed` ones).
pub const MACHINE_IMPORT_NOTE: &str = "written by `rules import`; not reviewed by a rule editor";

/// The review status an imported rule gets from the copy it was read in: a quotation in the third-party
/// transcription is `unverified-transcription`, a transcriber's own statement of the rule `paraphrase`
/// (issue 12, item 2), a rule read only in part `incomplete`; a rule from an official copy stays
/// `imported-unreviewed` until a rule editor has reviewed it.
pub fn imported_review(e: &LegalEntry, read_in_full: bool) -> RawReview {
    match e.status {
        Status::Secondary if e.is_paraphrase() => RawReview::Paraphrase,
        Status::Secondary if !read_in_full => RawReview::Incomplete,
        Status::Secondary => RawReview::UnverifiedTranscription,
        _ => RawReview::ImportedUnreviewed,
    }
}

/// The direction of trade an entry is limited to (GN 11(o) chapters 51, 55, 58: "For the purposes of
/// trade between the territory of Canada and the territory of the United States" / "For the purposes of
/// all other trade"), from its text or, failing that, the compiler's heading.
pub fn entry_trade(e: &LegalEntry) -> Option<RawTrade> {
    let t = e.text.to_ascii_lowercase();
    let h = e.heading.to_ascii_lowercase();
    let party = |name: &str| match name.trim() {
        n if n.starts_with("canada") => Some("CA".to_string()),
        n if n.starts_with("mexico") => Some("MX".to_string()),
        n if n.starts_with("the united states") || n.starts_with("united states") => Some("US".to_string()),
        _ => None,
    };
    // "trade between the territory of Canada and the territory of the United States"
    let named = t.find("trade between the territory of ").and_then(|i| {
        let rest = &t[i + "trade between the territory of ".len()..];
        let (a, b) = rest.split_once(" and the territory of ")?;
        Some(vec![party(a)?, party(b)?])
    });
    if let Some(mut parties) = named {
        parties.sort();
        return Some(RawTrade { between: Some(parties), other_than_between: None });
    }
    // The compiler's heading, when the transcription dropped the lead-in: "(subheading rule; Mexico-US trade)".
    for (words, pair) in
        [("canada-us trade", ["CA", "US"]), ("mexico-us trade", ["MX", "US"]), ("canada-mexico trade", ["CA", "MX"])]
    {
        if h.contains(words) {
            return Some(RawTrade { between: Some(pair.map(String::from).to_vec()), other_than_between: None });
        }
    }
    if t.contains("for the purposes of all other trade") || h.contains("all other trade") {
        // The pair the other rule of the same codes names; the chapters' pairs are listed in the heading.
        let pair = if h.contains("mexico") || h.contains("mx-us") {
            vec!["MX".to_string(), "US".to_string()]
        } else {
            vec!["CA".to_string(), "US".to_string()]
        };
        return Some(RawTrade { between: None, other_than_between: Some(pair) });
    }
    None
}

/// What an entry of the legal text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A product-specific rule.
    Rule,
    /// A chapter rule (definitions), kept verbatim.
    ChapterRule,
    /// A "Subheading rule:" printed on its own before the rules it concerns.
    Preamble,
}

/// The kind of an entry, from its heading and text.
pub fn entry_kind(e: &LegalEntry) -> EntryKind {
    let h = e.heading.to_ascii_lowercase();
    let t = e.text.trim_start();
    // "Chapter rule 1: For the purposes of trade between ... the following rule of origin applies: (a) A
    // change to ..." states a rule (chapter 57).
    if t.contains("rule of origin applies:") && t.contains("A change to") {
        return EntryKind::Rule;
    }
    if h.contains("chapter rule")
        || h.starts_with("cr")
        || t.starts_with("Chapter Rule")
        || t.starts_with("Chapter rule")
    {
        return EntryKind::ChapterRule;
    }
    // "Heading rule: For the purposes of heading 2710, the following processes confer origin: ..." is a
    // definition the rules rely on, kept verbatim like a chapter rule; a heading rule that states a rule of
    // origin ("... the following rule of origin applies: (a) A change to ...") is a rule.
    if t.starts_with("Heading rule:") && !t.contains("rule of origin applies") {
        return EntryKind::ChapterRule;
    }
    // Only a paragraph standing alone is a preamble: "The underscoring of ..." followed by a rule
    // paragraph is a rule with its preamble (issue 12, item 4: nothing vanishes).
    let single = !t.trim_end().contains('\n');
    let dated = t.to_ascii_lowercase().starts_with("subheading rule: beginning");
    if single && (t.starts_with("The underscoring of") || (t.starts_with("Subheading rule:") && !dated)) {
        return EntryKind::Preamble;
    }
    EntryKind::Rule
}

/// An entry parsed: the rule, or where parsing stopped.
#[derive(Debug, Clone)]
pub struct EntryParse {
    /// Rule, chapter rule or preamble.
    pub kind: EntryKind,
    /// For rules: the parsed rule or the error (a cut entry always errs, naming the cut).
    pub result: Result<ParsedRule, ParseError>,
}

/// Parses one entry. A CUT entry never parses: the error names where the copy stops (or, when the
/// copy starts inside the rule, says so), and keeps the alternatives read in full before the cut.
pub fn parse_entry(e: &LegalEntry) -> EntryParse {
    let kind = entry_kind(e);
    if kind != EntryKind::Rule {
        return EntryParse { kind, result: Err(not_a_rule(kind)) };
    }
    if e.cut_before {
        let result = match parse_fragment(&e.text) {
            Ok(r) => Err(ParseError {
                rule_number: r.number,
                words_where_parsing_stopped: e.text.split_whitespace().take(12).collect::<Vec<_>>().join(" "),
                message: "the copy starts inside the rule: its number and lead-in were not retrieved".into(),
                at_end: false,
                partial: r.alternatives,
                partial_hs: r.hs,
                partial_uses: None,
            }),
            Err(mut err) => {
                err.message = format!("the copy starts inside the rule; {}", err.message);
                Err(err)
            }
        };
        return EntryParse { kind, result };
    }
    let mut result = parse_rule(&e.text);
    if e.cut_after {
        result = match result {
            Ok(mut r) => {
                // The last branch is the one the copy stops in, unless the text ends with its period.
                let end = e.text.trim_end();
                if !(end.ends_with('.') || end.ends_with(';') || end.ends_with("; or")) {
                    r.alternatives.pop();
                }
                Err(ParseError {
                    rule_number: r.number,
                    words_where_parsing_stopped: e
                        .text
                        .split_whitespace()
                        .rev()
                        .take(6)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join(" "),
                    message: "the copy stops here (CUT): the rest of the rule is not retrieved".into(),
                    at_end: true,
                    partial: r.alternatives,
                    partial_hs: r.hs,
                    partial_uses: None,
                })
            }
            Err(mut err) if err.at_end || stopped_at_last_words(&e.text, &err.words_where_parsing_stopped) => {
                err.at_end = true;
                err.message = format!("the copy stops inside the rule (CUT): {}", err.message);
                Err(err)
            }
            Err(err) => Err(err),
        };
    }
    EntryParse { kind, result }
}

/// Whether parsing stopped in the last words of the text (a word cut in half: "A chan", "fro").
fn stopped_at_last_words(text: &str, words: &str) -> bool {
    let w = words.trim();
    !w.is_empty() && w.split_whitespace().count() <= 4 && text.trim_end().ends_with(w)
}

fn not_a_rule(kind: EntryKind) -> ParseError {
    ParseError {
        rule_number: None,
        words_where_parsing_stopped: String::new(),
        message: format!("not a rule ({kind:?})"),
        at_end: false,
        partial: Vec::new(),
        partial_hs: Vec::new(),
        partial_uses: None,
    }
}

/// The pack source id a copy's URL belongs to.
pub fn source_id_for(url: Option<&str>) -> &'static str {
    match url {
        Some(u) if u.contains("justice.gc.ca") => "sor-2020-155",
        Some(u) if u.contains("origynlx") || u.contains("github.com") => "origynlx",
        _ => "gn11",
    }
}

fn page_of(url: Option<&str>) -> Option<u32> {
    let u = url?;
    let i = u.find("page=")?;
    u[i + 5..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// Dates the compiler wrote in a heading ("phase 1 (2020-07-01 until 2023-07-01 per secondary)"), used
/// only when the legal text itself states none.
fn heading_dates(heading: &str) -> Option<(chrono::NaiveDate, Option<chrono::NaiveDate>)> {
    let dates: Vec<chrono::NaiveDate> = heading
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .filter_map(|w| chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .collect();
    match dates.as_slice() {
        [from, to] if heading.contains("until") => Some((*from, to.pred_opt())),
        [from] if heading.contains("from ") => Some((*from, None)),
        _ => None,
    }
}

/// Something of the chapter that was not imported (or only in part), and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotImported {
    /// The entry's heading and line.
    pub entry: String,
    /// Its status.
    pub status: Status,
    /// The id written, when the rule was imported in part.
    pub partial_id: Option<String>,
    /// Where parsing stopped.
    pub error: ParseError,
}

/// A chapter imported from the legal text.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The chapter file, in the pack format.
    pub file: RawChapterFile,
    /// Entries not imported, or imported only up to where parsing stopped.
    pub not_imported: Vec<NotImported>,
    /// Entries read as rules (parsed in full).
    pub parsed: usize,
}

fn rule_id(prefix: &str, chapter: u8, parsed: &ParsedRule) -> String {
    match parsed.number {
        Some(n) if prefix == "gn11" => format!("gn11-{chapter:02}-{n:03}"),
        _ => {
            let first =
                parsed.hs.first().map(|h| h.split('-').next().unwrap_or(h).replace('.', "-")).unwrap_or_default();
            format!("{prefix}-{chapter:02}-{first}")
        }
    }
}

/// Imports the entries of `chapter` as a chapter file. `source` overrides the citation's source id
/// (default: from each entry's URL: `gn11`, `origynlx` or `sor-2020-155`).
pub fn import_chapter(entries: &[LegalEntry], chapter: u8, source: Option<&str>) -> Imported {
    let mut file = RawChapterFile { chapter, chapter_rules: Vec::new(), rules: Vec::new() };
    let mut not_imported = Vec::new();
    let mut parsed_count = 0;
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut pending_preamble: Option<String> = None;
    let mut uses = UseContext::default();
    let mut unique = |id: String| -> String {
        let n = ids.entry(id.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { id } else { format!("{id}-{n}") }
    };

    let in_chapter: Vec<&LegalEntry> = entries.iter().filter(|e| e.chapter == Some(chapter)).collect();
    let mut i = 0;
    while i < in_chapter.len() {
        // The readings of one heading: take the first that parses in full, else the first.
        let mut j = i + 1;
        while j < in_chapter.len() && in_chapter[j].alternate_reading && in_chapter[j].line == in_chapter[i].line {
            j += 1;
        }
        let readings: Vec<(&LegalEntry, EntryParse)> = in_chapter[i..j].iter().map(|e| (*e, parse_entry(e))).collect();
        i = j;
        let chosen = readings.iter().position(|(_, p)| p.result.is_ok()).unwrap_or(0);
        let (e, p) = &readings[chosen];
        let src = source.unwrap_or_else(|| source_id_for(e.source_url.as_deref())).to_string();
        let page = if src == "gn11" { page_of(e.source_url.as_deref()) } else { None };
        let at = format!("{} (line {})", e.heading, e.line);
        match p.kind {
            EntryKind::Preamble => {
                pending_preamble = Some(e.text.trim().to_string());
                continue;
            }
            EntryKind::ChapterRule => {
                let n: String = e
                    .text
                    .split_whitespace()
                    .nth(2)
                    .map(|w| w.chars().take_while(char::is_ascii_digit).collect())
                    .filter(|s: &String| !s.is_empty())
                    .or_else(|| {
                        let h = e.heading.to_ascii_lowercase();
                        h.find("rule")
                            .map(|k| h[k + 4..].trim_start().chars().take_while(char::is_ascii_digit).collect())
                    })
                    .unwrap_or_default();
                let prefix = if src == "sor-2020-155" { "sor" } else { "gn11" };
                let heading_rule = e.text.trim_start().starts_with("Heading rule:");
                let heading_code: String =
                    e.text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 4).unwrap_or_default().to_string();
                let (id, reference) = if heading_rule {
                    (
                        format!("{prefix}-{chapter:02}-hr{heading_code}"),
                        format!("GN 11(o), chapter {chapter}, heading rule for heading {heading_code}"),
                    )
                } else {
                    (format!("{prefix}-{chapter:02}-cr{n}"), format!("GN 11(o), chapter {chapter}, chapter rule {n}"))
                };
                file.chapter_rules.push(RawChapterRule {
                    id: unique(id),
                    citation: RawCitation { source: src.clone(), reference, page, url: e.source_url.clone() },
                    review: imported_review(e, true),
                    text: e.text.clone(),
                    missing: e.cut_after.then(|| "the copy read stops inside this chapter rule".to_string()),
                    note: (imported_review(e, true) != RawReview::ImportedUnreviewed)
                        .then(|| MACHINE_IMPORT_NOTE.to_string()),
                });
                continue;
            }
            EntryKind::Rule => {}
        }
        let (parsed, error) = match &p.result {
            Ok(r) => {
                parsed_count += 1;
                (r.clone(), None)
            }
            Err(err) if !err.partial.is_empty() && !err.partial_hs.is_empty() => {
                let mut r = err.partial_rule(None);
                grammar::lift_common_kind(&mut r.good_kind, &mut r.alternatives);
                (r, Some(err.clone()))
            }
            Err(err) => {
                not_imported.push(NotImported { entry: at, status: e.status, partial_id: None, error: err.clone() });
                continue;
            }
        };
        let (text_preamble, body) = split_preamble(&e.text);
        let preamble = text_preamble.or_else(|| pending_preamble.take());
        pending_preamble = None;
        let prefix = if src == "sor-2020-155" { "sor" } else { "gn11" };
        let mut notes = Vec::new();
        let mut parsed = parsed;
        if parsed.uses.is_none() && e.heading.contains("(any other good)") {
            // The secondary transcription drops the "For any other good of ..." lead-in; the compiler's
            // heading keeps it.
            parsed.other_use = true;
            parsed.uses = Some(vec!["other".into()]);
        }
        let use_from_heading = parsed.other_use && !e.text.contains("any other good of");
        uses.apply(&mut parsed);
        let mut rules = parsed.expand_stages();
        let staged = rules.len() > 1;
        for (k, r) in rules.iter_mut().enumerate() {
            if r.effective_from.is_none()
                && let Some((from, to)) = heading_dates(&e.heading)
            {
                r.effective_from = Some(from);
                r.effective_to = to;
                notes.push(
                    "dates taken from the compiler's heading in the legal extract, not from the legal text: check them"
                        .to_string(),
                );
            }
            let mut id = rule_id(prefix, chapter, r);
            if staged || r.effective_from.is_some() && parsed.number.is_none() {
                id = format!("{id}-p{}", k + 1);
            }
            let mvp = r.motor_vehicle_provisions.clone().or_else(|| {
                preamble
                    .as_deref()
                    .filter(|pre| pre.contains("underscoring of the designation"))
                    .map(|_| "applies".to_string())
            });
            let reference = match (src.as_str(), r.number) {
                ("sor-2020-155", _) => format!("SOR/2020-155, s. 13 table (Part 6), {}", r.hs.join(", ")),
                ("origynlx", Some(n)) => format!("GN 11(o), chapter {chapter}, rule {n} (third-party transcription)"),
                ("origynlx", None) => {
                    format!("GN 11(o), chapter {chapter}, rule for {} (third-party transcription)", r.hs.join(", "))
                }
                (_, Some(n)) => format!("GN 11(o), chapter {chapter}, rule {n}"),
                (_, None) => format!("GN 11(o), chapter {chapter}, rule for {}", r.hs.join(", ")),
            };
            let id = unique(id);
            if let Some(err) = &error {
                not_imported.push(NotImported {
                    entry: at.clone(),
                    status: e.status,
                    partial_id: Some(id.clone()),
                    error: err.clone(),
                });
            }
            let review = imported_review(e, error.is_none());
            // `imported-unreviewed` already says so; other statuses carry the marker.
            let mut note = if review == RawReview::ImportedUnreviewed {
                Vec::new()
            } else {
                vec![MACHINE_IMPORT_NOTE.to_string()]
            };
            note.extend(notes.iter().cloned());
            if use_from_heading {
                note.push("use taken from the compiler's heading \"(any other good)\": the text has no lead-in naming the use".into());
            }
            if e.status == Status::Secondary {
                note.push(
                    "read only in a third-party transcription (SECONDARY): check against the official text".into(),
                );
            }
            if let Some(cn) = e.compiler_note.as_deref().filter(|_| e.is_paraphrase()) {
                note.push(format!("not the law's words (paraphrase): compiler's note: {cn}"));
            }
            file.rules.push(RawRule {
                id,
                hs: r.hs.clone(),
                uses: r.uses.clone(),
                good_kind: r.good_kind.clone(),
                good_kind_other_than: None,
                trade: entry_trade(e),
                effective_from: r.effective_from,
                effective_to: r.effective_to,
                motor_vehicle_provisions: mvp,
                citation: Some(RawCitation { source: src.clone(), reference, page, url: e.source_url.clone() }),
                review,
                preamble: preamble.clone(),
                text: Some(if text_preamble_is_some(&e.text) { body.clone() } else { e.text.clone() }),
                alternatives: r.alternatives.clone(),
                missing: error.as_ref().map(|err| {
                    format!(
                        "rules import read only the alternatives before `{}` ({})",
                        err.words_where_parsing_stopped, err.message
                    )
                }),
                note: (!note.is_empty()).then(|| note.join("; ")),
            });
        }
    }
    resolve_all_other_trade(&mut file, &mut not_imported, &in_chapter);
    drop_ambiguous(&mut file, &mut not_imported);
    Imported { file, not_imported, parsed: parsed_count }
}

/// Rules the text gives twice for the same goods, uses, description, trade and dates (chapter 87 rules
/// 53-55, all "For any other good of subheading 8708.99" in the transcription): which one is the law is
/// unknown, so none is written; each is listed instead.
fn drop_ambiguous(file: &mut RawChapterFile, not_imported: &mut Vec<NotImported>) {
    let key = |r: &RawRule| {
        (
            r.hs.clone(),
            r.uses.clone(),
            r.good_kind.clone(),
            r.good_kind_other_than.clone(),
            r.trade.clone(),
            r.effective_from,
            r.effective_to,
        )
    };
    let keys: Vec<_> = file.rules.iter().map(key).collect();
    let mut kept = Vec::new();
    for (i, r) in std::mem::take(&mut file.rules).into_iter().enumerate() {
        let twins: Vec<usize> = (0..keys.len()).filter(|j| *j != i && keys[*j] == keys[i]).collect();
        if twins.is_empty() {
            kept.push(r);
            continue;
        }
        not_imported.push(NotImported {
            entry: format!("{} ({})", r.id, r.citation.as_ref().map(|c| c.reference.as_str()).unwrap_or("")),
            status: Status::Secondary,
            partial_id: None,
            error: ParseError {
                rule_number: None,
                words_where_parsing_stopped: r.hs.join(", "),
                message: format!(
                    "the text gives {} rules for the same goods, uses, description, trade and dates; which one applies is unknown, so none is written",
                    twins.len() + 1
                ),
                at_end: false,
                partial: Vec::new(),
                partial_hs: Vec::new(),
                partial_uses: None,
            },
        });
    }
    file.rules = kept;
}

/// "For the purposes of all other trade": the Parties it leaves out are those of the rule for trade
/// between two Parties of the same codes. Without such a rule they are unknown, and the rule is not
/// written (listed instead) rather than guessed.
fn resolve_all_other_trade(file: &mut RawChapterFile, not_imported: &mut Vec<NotImported>, entries: &[&LegalEntry]) {
    let pairs: Vec<(Vec<String>, Vec<String>)> = file
        .rules
        .iter()
        .filter_map(|r| r.trade.as_ref().and_then(|t| t.between.clone()).map(|b| (r.hs.clone(), b)))
        .collect();
    let mut kept = Vec::new();
    for mut r in std::mem::take(&mut file.rules) {
        if let Some(t) = r.trade.as_mut()
            && t.other_than_between.is_some()
        {
            // The rule for trade between two Parties may be in the text but not read (listed as not
            // imported): its heading still names the Parties.
            let unread_pair = || {
                let code = r.hs.first()?;
                entries.iter().filter(|e| e.heading.starts_with(code.as_str())).find_map(|e| entry_trade(e)?.between)
            };
            match pairs.iter().find(|(hs, _)| *hs == r.hs).map(|(_, p)| p.clone()).or_else(unread_pair) {
                Some(pair) => t.other_than_between = Some(pair),
                None => {
                    let entry = entries
                        .iter()
                        .find(|e| r.text.as_deref().is_some_and(|x| e.text.contains(x.trim())))
                        .map(|e| (format!("{} (line {})", e.heading, e.line), e.status))
                        .unwrap_or_else(|| (r.id.clone(), Status::Unknown));
                    not_imported.push(NotImported {
                        entry: entry.0,
                        status: entry.1,
                        partial_id: None,
                        error: ParseError {
                            rule_number: None,
                            words_where_parsing_stopped: r.hs.join(", "),
                            message: "a rule for \"all other trade\" whose codes have no rule for trade between two Parties: the Parties it leaves out are unknown".into(),
                            at_end: false,
                            partial: Vec::new(),
                            partial_hs: Vec::new(),
                            partial_uses: None,
                        },
                    });
                    continue;
                }
            }
        }
        kept.push(r);
    }
    file.rules = kept;
}

fn text_preamble_is_some(text: &str) -> bool {
    split_preamble(text).0.is_some()
}

/// What merging an import into an existing chapter file did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergeReport {
    /// Ids written from the import (new or replacing an imported-unreviewed rule).
    pub written: Vec<String>,
    /// Ids kept as they were because a rule editor reviewed them (review not imported-unreviewed).
    pub skipped_reviewed: Vec<(String, String)>,
    /// Imported rules not written because a reviewed rule of the pack holds their codes at the same
    /// level: (imported id, the pack's rule id). The pack's reading wins; it is never replaced silently.
    pub held_by_pack: Vec<(String, String)>,
}

fn review_word(r: RawReview) -> &'static str {
    match r {
        RawReview::Verified => "verified",
        RawReview::UnverifiedTranscription => "unverified-transcription",
        RawReview::Paraphrase => "paraphrase",
        RawReview::Incomplete => "incomplete",
        RawReview::ImportedUnreviewed => "imported-unreviewed",
    }
}

/// Whether a later import may replace the rule: it was written by `rules import` and not reviewed since.
fn replaceable(review: RawReview, note: Option<&str>) -> bool {
    review == RawReview::ImportedUnreviewed || note.is_some_and(|n| n.starts_with(MACHINE_IMPORT_NOTE))
}

/// The codes of a raw rule, for the overlap test of a merge (codes that do not parse cover nothing
/// here; `rules check` reports them).
fn raw_ranges(hs: &[String]) -> Vec<origin_core::HsRange> {
    hs.iter().filter_map(|h| origin_core::HsRange::parse(h).ok()).collect()
}

/// The reviewed rule of `base` (not replaceable by an import) that holds codes of `r`, at any level, if
/// any: the pack's reading of those codes wins over an imported one. At any level, because a deeper
/// imported rule would win a look-up over the pack's shallower one, and a shallower one would make the
/// pack's deeper rule ask for a deeper classification.
fn held_by<'a>(base: &'a [RawRule], r: &RawRule) -> Option<&'a RawRule> {
    let mine = raw_ranges(&r.hs);
    base.iter().find(|b| {
        if replaceable(b.review, b.note.as_deref()) {
            return false;
        }
        let theirs = raw_ranges(&b.hs);
        mine.iter().any(|a| theirs.iter().any(|t| a.overlaps(*t)))
    })
}

/// Merges an import into an existing chapter file: rules (and chapter rules) with the same id are
/// replaced only when the existing one is `imported-unreviewed` or `force` is set; new ones are appended;
/// existing ones the import does not hold are kept.
pub fn merge_chapter(
    existing: Option<RawChapterFile>,
    imported: RawChapterFile,
    force: bool,
) -> (RawChapterFile, MergeReport) {
    let mut report = MergeReport::default();
    let Some(mut base) = existing else {
        report.written = imported
            .chapter_rules
            .iter()
            .map(|r| r.id.clone())
            .chain(imported.rules.iter().map(|r| r.id.clone()))
            .collect();
        return (imported, report);
    };
    for cr in imported.chapter_rules {
        match base.chapter_rules.iter_mut().find(|x| x.id == cr.id) {
            Some(old) if !replaceable(old.review, old.note.as_deref()) && !force => {
                report.skipped_reviewed.push((cr.id.clone(), review_word(old.review).into()));
            }
            Some(old) => {
                report.written.push(cr.id.clone());
                *old = cr;
            }
            None => {
                report.written.push(cr.id.clone());
                base.chapter_rules.push(cr);
            }
        }
    }
    for r in imported.rules {
        if !force
            && !base.rules.iter().any(|x| x.id == r.id)
            && let Some(holder) = held_by(&base.rules, &r)
        {
            report.held_by_pack.push((r.id.clone(), holder.id.clone()));
            continue;
        }
        match base.rules.iter_mut().find(|x| x.id == r.id) {
            Some(old) if !replaceable(old.review, old.note.as_deref()) && !force => {
                report.skipped_reviewed.push((r.id.clone(), review_word(old.review).into()));
            }
            Some(old) => {
                report.written.push(r.id.clone());
                *old = r;
            }
            None => {
                report.written.push(r.id.clone());
                base.rules.push(r);
            }
        }
    }
    (base, report)
}

fn prune(v: serde_yaml::Value, key: Option<&str>) -> Option<serde_yaml::Value> {
    use serde_yaml::Value;
    match v {
        Value::Null => None,
        Value::Sequence(s) if s.is_empty() && key != Some("rules") && key != Some("chapter_rules") => None,
        Value::Sequence(s) => Some(Value::Sequence(s.into_iter().filter_map(|x| prune(x, None)).collect())),
        Value::Mapping(m) => {
            let mut out = serde_yaml::Mapping::new();
            for (k, v) in m {
                let ks = k.as_str().map(str::to_string);
                if let Some(v) = prune(v, ks.as_deref()) {
                    out.insert(k, v);
                }
            }
            Some(Value::Mapping(out))
        }
        Value::String(s) if matches!(key, Some("tv") | Some("nc")) => {
            if let Ok(i) = s.parse::<u64>() {
                Some(Value::Number(i.into()))
            } else if let Ok(f) = s.parse::<f64>() {
                Some(Value::Number(f.into()))
            } else {
                Some(Value::String(s))
            }
        }
        other => Some(other),
    }
}

/// The chapter file as YAML in the pack format (empty and absent keys left out), after a header comment.
pub fn chapter_yaml(file: &RawChapterFile, header: &str) -> Result<String, serde_yaml::Error> {
    let value = serde_yaml::to_value(file)?;
    let value = prune(value, None).unwrap_or(serde_yaml::Value::Null);
    let body = serde_yaml::to_string(&value)?;
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&body);
    Ok(out)
}
