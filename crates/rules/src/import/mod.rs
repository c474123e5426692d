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

use crate::raw::{RawChapterFile, RawChapterRule, RawCitation, RawReview, RawRule};

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
    if h.contains("chapter rule")
        || h.starts_with("cr")
        || t.starts_with("Chapter Rule")
        || t.starts_with("Chapter rule")
    {
        return EntryKind::ChapterRule;
    }
    let single = !t.contains('\n');
    let dated = t.to_ascii_lowercase().starts_with("subheading rule: beginning");
    if t.starts_with("The underscoring of") || (t.starts_with("Subheading rule:") && single && !dated) {
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
                file.chapter_rules.push(RawChapterRule {
                    id: unique(format!("{prefix}-{chapter:02}-cr{n}")),
                    citation: RawCitation {
                        source: src.clone(),
                        reference: format!("GN 11(o), chapter {chapter}, chapter rule {n}"),
                        page,
                        url: e.source_url.clone(),
                    },
                    review: RawReview::ImportedUnreviewed,
                    text: e.text.clone(),
                    missing: e.cut_after.then(|| "the copy read stops inside this chapter rule".to_string()),
                    note: None,
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
            let mut note = notes.clone();
            if use_from_heading {
                note.push("use taken from the compiler's heading \"(any other good)\": the text has no lead-in naming the use".into());
            }
            if e.status == Status::Secondary {
                note.push(
                    "read only in a third-party transcription (SECONDARY): check against the official text".into(),
                );
            }
            file.rules.push(RawRule {
                id,
                hs: r.hs.clone(),
                uses: r.uses.clone(),
                good_kind: r.good_kind.clone(),
                good_kind_other_than: None,
                effective_from: r.effective_from,
                effective_to: r.effective_to,
                motor_vehicle_provisions: mvp,
                citation: Some(RawCitation { source: src.clone(), reference, page, url: e.source_url.clone() }),
                review: RawReview::ImportedUnreviewed,
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
    Imported { file, not_imported, parsed: parsed_count }
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
}

fn review_word(r: RawReview) -> &'static str {
    match r {
        RawReview::Verified => "verified",
        RawReview::UnverifiedTranscription => "unverified-transcription",
        RawReview::Incomplete => "incomplete",
        RawReview::ImportedUnreviewed => "imported-unreviewed",
    }
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
            Some(old) if old.review != RawReview::ImportedUnreviewed && !force => {
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
        match base.rules.iter_mut().find(|x| x.id == r.id) {
            Some(old) if old.review != RawReview::ImportedUnreviewed && !force => {
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
