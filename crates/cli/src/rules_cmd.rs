//! `origin-audit rules check | explain | schema`.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use origin_core::HsCode;
use origin_rules::explain::explain_rule;
use origin_rules::{Lookup, Parties, Review, RuleQuery, RuleSet, Severity, VehicleUse, load_pack};

use crate::exit;

/// Output format of `rules check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// Diagnostics with their source lines, for people.
    Text,
    /// One JSON document, for machines.
    Json,
}

/// Counts of rules by review status, for summaries and coverage.
pub fn review_counts(set: &RuleSet) -> [(Review, usize); 5] {
    Review::ALL.map(|r| (r, set.rules.iter().filter(|x| x.review == r).count()))
}

/// `rules check DIR`: every diagnostic, then a summary. Exit 0 when there is no error.
pub fn check(dir: &Path, format: CheckFormat, out: &mut dyn Write) -> std::io::Result<i32> {
    let loaded = load_pack(dir);
    let errors = loaded.error_count();
    let warnings = loaded.diagnostics.len() - errors;
    match format {
        CheckFormat::Json => {
            let summary = loaded.rules.as_ref().map(|set| {
                serde_json::json!({
                    "rules": set.rules.len(),
                    "chapters": set.chapters,
                    "by_review": review_counts(set).iter().map(|(r, n)| (r.as_str(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
                })
            });
            let doc = serde_json::json!({
                "pack": dir.display().to_string(),
                "valid": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": loaded.diagnostics,
                "summary": summary,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        }
        CheckFormat::Text => {
            for d in &loaded.diagnostics {
                writeln!(out, "{}", d.render(dir))?;
            }
            match &loaded.rules {
                Some(set) => {
                    let counts: Vec<String> =
                        review_counts(set).iter().filter(|(_, n)| *n > 0).map(|(r, n)| format!("{n} {r}")).collect();
                    writeln!(
                        out,
                        "{}: valid. {} product-specific rules in {} chapters ({}); {} warning{}",
                        dir.display(),
                        set.rules.len(),
                        set.chapters.len(),
                        counts.join(", "),
                        warnings,
                        if warnings == 1 { "" } else { "s" }
                    )?;
                }
                None => writeln!(
                    out,
                    "{}: {errors} error{}, {warnings} warning{}; the pack cannot be used until the errors are fixed",
                    dir.display(),
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" }
                )?,
            }
        }
    }
    Ok(if errors == 0 { exit::OK } else { exit::INVALID })
}

/// Loads a pack for a command that needs a valid one; prints the errors otherwise.
pub fn load_valid(dir: &Path, err: &mut dyn Write) -> std::io::Result<Option<RuleSet>> {
    let loaded = load_pack(dir);
    if loaded.rules.is_none() {
        for d in loaded.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            writeln!(err, "{}", d.render(dir))?;
        }
        writeln!(
            err,
            "the rule pack at `{}` has errors; run `origin-audit rules check {}`",
            dir.display(),
            dir.display()
        )?;
    }
    Ok(loaded.rules)
}

/// `rules explain HS`: the rule in force, in plain words, with citation and verbatim text.
pub fn explain(
    dir: &Path,
    hs: &str,
    as_of: NaiveDate,
    vehicle_use: Option<VehicleUse>,
    good_kind: Option<&str>,
    parties: Option<Parties>,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    let code = match HsCode::parse(hs) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "error: {e}")?;
            return Ok(exit::USAGE);
        }
    };
    let Some(set) = load_valid(dir, out)? else { return Ok(exit::INVALID) };
    let q = RuleQuery { hs: code, as_of, vehicle_use, good_kind, parties };
    let list = |rules: &[&origin_rules::Rule], out: &mut dyn Write| -> std::io::Result<()> {
        for r in rules {
            let uses: Vec<&str> = r.uses.iter().map(|u| u.as_str()).collect();
            let kind = match &r.good_kind {
                origin_rules::KindQualifier::Any => String::new(),
                origin_rules::KindQualifier::Only(k) => format!(" for `{k}`"),
                origin_rules::KindQualifier::OtherThan(ks) => format!(" for goods other than `{}`", ks.join("`, `")),
            };
            let uses = if uses.is_empty() { String::new() } else { format!(" use: {}", uses.join(", ")) };
            let trade = r.trade.words().map(|t| format!(" for {t}")).unwrap_or_default();
            writeln!(
                out,
                "  - {} ({}){uses}{kind}{trade} [{}], {} to {}",
                r.id,
                r.hs_key(),
                r.review,
                r.effective_from,
                r.effective_to.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
            )?;
        }
        Ok(())
    };
    match set.lookup(q) {
        Lookup::Found(rule) => {
            writeln!(out, "{code} on {as_of}:")?;
            write!(out, "{}", explain_rule(&set, rule))?;
            Ok(exit::OK)
        }
        Lookup::NoRule { other_dates } => {
            writeln!(out, "no rule: the pack encodes no product-specific rule for `{code}` in force on {as_of}.")?;
            writeln!(
                out,
                "origin cannot be determined from this pack for such a good; it is never replaced by a default."
            )?;
            if !other_dates.is_empty() {
                writeln!(out, "rules for this code on other dates:")?;
                list(&other_dates, out)?;
            }
            writeln!(
                out,
                "help: add the rule from the official text of GN 11(o) to psr/ch{:02}.yaml (see docs/rules-coverage.md for what is missing)",
                code.chapter()
            )?;
            Ok(exit::NO_RULE)
        }
        Lookup::NeedsClassification(rules) => {
            writeln!(
                out,
                "`{code}` is not classified deeply enough to choose the rule; these rules cover parts of it:"
            )?;
            list(&rules, out)?;
            writeln!(out, "help: give the 8-digit tariff item or 6-digit subheading")?;
            Ok(exit::USAGE)
        }
        Lookup::NeedsUse(rules) => {
            writeln!(out, "the rule for `{code}` depends on the vehicle the good is for:")?;
            list(&rules, out)?;
            writeln!(out, "help: add `--use passenger-vehicle`, `light-truck`, `heavy-truck` or `other`")?;
            Ok(exit::USAGE)
        }
        Lookup::NeedsDescription(rules) => {
            writeln!(out, "the rule for `{code}` depends on what the good is:")?;
            list(&rules, out)?;
            writeln!(out, "help: add `--kind \"...\"` with the description the rule names")?;
            Ok(exit::USAGE)
        }
        Lookup::NeedsParties(rules) => {
            writeln!(out, "the rule for `{code}` depends on the direction of trade (exporting and importing Party):")?;
            list(&rules, out)?;
            writeln!(
                out,
                "help: add `--exporting CA --importing US` (the Party the good is produced in and the importing Party)"
            )?;
            Ok(exit::USAGE)
        }
    }
}

/// `rules schema`: the JSON Schema of every pack file.
pub fn schema(out: &mut dyn Write) -> std::io::Result<i32> {
    writeln!(out, "{}", serde_json::to_string_pretty(&origin_rules::raw::json_schema()).unwrap_or_default())?;
    Ok(exit::OK)
}

/// The HS 2022 -> HS 2017 correlation (`hs2022,hs2017` six-digit pairs, UNSD via the R package
/// `concordance`; fixtures/hs/README.md), as HS 2022 code -> its HS 2017 counterparts.
pub fn read_correlation(path: &Path) -> std::io::Result<std::collections::BTreeMap<String, Vec<String>>> {
    let text = std::fs::read_to_string(path)?;
    let mut map: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let mut it = line.split(',');
        match (it.next(), it.next()) {
            (Some(a), Some(b)) if a.len() == 6 && b.len() == 6 => {
                map.entry(a.to_string()).or_default().push(b.to_string())
            }
            _ => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}:{}: expected `hs2022,hs2017` six-digit codes, found `{line}`", path.display(), n + 1),
                ));
            }
        }
    }
    Ok(map)
}

/// How far to trust a rule, from most to least: the weakest status of the rules a code depends on.
fn trust_rank(r: Review) -> u8 {
    match r {
        Review::Verified => 0,
        Review::UnverifiedTranscription => 1,
        Review::Incomplete => 2,
        Review::ImportedUnreviewed => 3,
        Review::Paraphrase => 4,
    }
}

/// What `rules explain` finds for one HS 2017 subheading on `as_of`: the weakest status of the rules it
/// names (a rule found, or the rules it needs a fact to choose between), or `None` for `no rule`.
pub fn explain_status(set: &RuleSet, hs: HsCode, as_of: NaiveDate) -> Option<Review> {
    let q = RuleQuery { hs, as_of, vehicle_use: None, good_kind: None, parties: None };
    let rules: Vec<&origin_rules::Rule> = match set.lookup(q) {
        Lookup::Found(r) => vec![r],
        Lookup::NoRule { .. } => Vec::new(),
        Lookup::NeedsClassification(rs)
        | Lookup::NeedsUse(rs)
        | Lookup::NeedsDescription(rs)
        | Lookup::NeedsParties(rs) => rs,
    };
    rules.iter().map(|r| r.review).max_by_key(|r| trust_rank(*r))
}

/// The date the HS 2022 coverage figure is measured on: the July 2026 joint review (issue 12).
pub const COVERAGE_DATE: &str = "2026-07-01";

/// Chapters the pack has no legal text for at all: not in the official-copy extracts, not in the
/// third-party transcription (`shared/legal/secondary/README.md`). 77 is reserved in the HS.
pub const CHAPTERS_WITHOUT_TEXT: [u8; 4] = [64, 65, 66, 67];

/// The Markdown section on HS 2022 coverage: per HS 2022 six-digit subheading, the HS 2017 counterparts'
/// look-ups; a subheading counts as covered when `rules explain` finds a rule for every counterpart.
pub fn hs2022_section(set: &RuleSet, correlation: &std::collections::BTreeMap<String, Vec<String>>) -> String {
    use std::fmt::Write as _;
    let Ok(as_of) = NaiveDate::parse_from_str(COVERAGE_DATE, "%Y-%m-%d") else { return String::new() };
    let mut by_status: std::collections::BTreeMap<u8, usize> = std::collections::BTreeMap::new();
    let (mut total, mut covered, mut partial, mut none, mut excluded) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut none_by_chapter: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (h22, h17s) in correlation {
        let ch = h22.get(..2).and_then(|c| c.parse::<u8>().ok()).unwrap_or(0);
        if CHAPTERS_WITHOUT_TEXT.contains(&ch) {
            excluded += 1;
            continue;
        }
        total += 1;
        let found: Vec<Option<Review>> =
            h17s.iter().map(|c| HsCode::parse(c).ok().and_then(|code| explain_status(set, code, as_of))).collect();
        if found.iter().all(Option::is_some) {
            covered += 1;
            let worst = found.iter().flatten().map(|r| trust_rank(*r)).max().unwrap_or(0);
            *by_status.entry(worst).or_default() += 1;
        } else if found.iter().any(Option::is_some) {
            partial += 1;
            *none_by_chapter.entry(format!("{ch:02}")).or_default() += 1;
        } else {
            none += 1;
            *none_by_chapter.entry(format!("{ch:02}")).or_default() += 1;
        }
    }
    let pct = |n: usize| if total == 0 { "0.0".to_string() } else { format!("{:.1}", n as f64 * 100.0 / total as f64) };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "## HS 2022 subheadings with a rule
"
    );
    let _ = writeln!(
        o,
        "Each HS 2022 six-digit subheading of `fixtures/hs/hs2022-hs2017.csv` (UNSD correlation; see \
         fixtures/hs/README.md) is mapped to its HS 2017 counterparts, the nomenclature of the pack's rules, and \
         each counterpart is looked up as `rules explain CODE --as-of {COVERAGE_DATE}` would. A subheading counts \
         as covered when every counterpart finds a rule (a rule in force, or rules that need the good's use, \
         description, Parties or a deeper code to choose between); it is listed under the weakest review status \
         of those rules. Chapters 64-67 are left out: no text of their rules was read anywhere.\n"
    );
    let _ = writeln!(o, "| HS 2022 subheadings (outside chapters 64-67) | count | share |");
    let _ = writeln!(o, "|---|---|---|");
    let _ = writeln!(o, "| covered | {covered} | {} % |", pct(covered));
    for r in Review::ALL {
        let n = by_status.get(&trust_rank(r)).copied().unwrap_or(0);
        let _ = writeln!(o, "| - weakest rule `{}` | {n} | {} % |", r.as_str(), pct(n));
    }
    let _ = writeln!(o, "| some counterparts only | {partial} | {} % |", pct(partial));
    let _ = writeln!(o, "| no rule | {none} | {} % |", pct(none));
    let _ = writeln!(o, "| **all** | **{total}** | **100 %** |\n");
    let _ = writeln!(o, "{excluded} HS 2022 subheadings of chapters 64-67 are not counted (no text).\n");
    if !none_by_chapter.is_empty() {
        let list: Vec<String> = none_by_chapter.iter().map(|(c, n)| format!("{c}: {n}")).collect();
        let _ = writeln!(o, "Not covered (in full), by chapter: {}.\n", list.join(", "));
    }
    o
}

/// `rules coverage`: what the pack encodes per chapter and by review status, and what it does not,
/// as Markdown. `docs/rules-coverage.md` is this output; a test keeps the two equal.
pub fn coverage(
    dir: &Path,
    legal: &[std::path::PathBuf],
    hs2022: Option<&Path>,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    use std::fmt::Write as _;
    let Some(set) = load_valid(dir, out)? else { return Ok(exit::INVALID) };
    let mut o = String::new();
    let _ = writeln!(o, "# Rule-pack coverage\n");
    let _ = writeln!(
        o,
        "Generated by `origin-audit rules coverage` from the `{}` pack, version {}. Do not edit by hand: a test \
         fails when this file and the pack disagree.\n",
        set.pack.id, set.pack.version
    );
    let _ = writeln!(
        o,
        "An HS code that no rule below covers is reported as `no rule` (finding NO_RULE_FOR_HS); the engine \
         never substitutes a default threshold. Review statuses: `verified` rules were read in an official copy; \
         `unverified-transcription` rules are quotations read only in a third-party copy (a warning on every \
         output); `paraphrase` rules are not the law's words but the transcriber's statement of the rule (a \
         blocking finding: no certificate draft leaves on one until a rule editor has checked it against the \
         official note and changed its status); `incomplete` rules were cut in the copy read, or read by the \
         importer only in part, and encode only the certain part.\n"
    );
    let _ = writeln!(
        o,
        "The third-party transcription (`fixtures/legal/secondary/`, status SECONDARY) was measured against the 89 \
         rules also held in an official copy: 59 identical, 15 differing only in layout, 15 differing in substance \
         (dropped \"except from\" clauses, a dropped transaction-value branch, silently corrected typos), an error \
         rate of 15 in 89 (17 %) in substance (fixtures/legal/secondary/README.md). Where the pack already held a \
         reviewed rule for the same codes, the pack's rule was kept and the transcription's was not imported.\n"
    );
    let _ = writeln!(o, "## Product-specific rules by chapter\n");
    let _ = writeln!(
        o,
        "| chapter | rules | verified | unverified-transcription | paraphrase | incomplete | imported-unreviewed | chapter rules |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    let mut chapters = set.chapters.clone();
    chapters.sort_unstable();
    chapters.dedup();
    let mut total = [0usize; 6];
    for ch in &chapters {
        let rules: Vec<&origin_rules::Rule> =
            set.rules.iter().filter(|r| r.hs.0.first().is_some_and(|h| h.start().chapter() == *ch)).collect();
        let n = |s: Review| rules.iter().filter(|r| r.review == s).count();
        let row = [
            rules.len(),
            n(Review::Verified),
            n(Review::UnverifiedTranscription),
            n(Review::Paraphrase),
            n(Review::Incomplete),
            n(Review::ImportedUnreviewed),
        ];
        for (t, v) in total.iter_mut().zip(row) {
            *t += v;
        }
        let cr = set.chapter_rules.iter().filter(|c| c.chapter == *ch).count();
        let _ = writeln!(
            o,
            "| {ch:02} | {} | {} | {} | {} | {} | {} | {cr} |",
            row[0], row[1], row[2], row[3], row[4], row[5]
        );
    }
    let _ = writeln!(
        o,
        "| **all** | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** |\n",
        total[0],
        total[1],
        total[2],
        total[3],
        total[4],
        total[5],
        set.chapter_rules.len()
    );
    let absent: Vec<String> =
        (1u8..=97).filter(|c| !chapters.contains(c) && *c != 77).map(|c| format!("{c:02}")).collect();
    let _ = writeln!(o, "## Chapters with no rule at all\n");
    let _ = writeln!(
        o,
        "{} chapters have no encoded rule; every good classified there gets `no rule`: {}.\n",
        absent.len(),
        if absent.is_empty() { "none".to_string() } else { absent.join(", ") }
    );
    let _ = writeln!(
        o,
        "Chapters {} have no text anywhere: neither the official-copy extracts nor the third-party transcription \
         hold their rules, so nothing is encoded and nothing is guessed; a rule editor adds them from the official \
         USITC General Note 11. Chapter 77 is reserved in the HS.\n",
        CHAPTERS_WITHOUT_TEXT.map(|c| c.to_string()).join(", ")
    );
    let _ = writeln!(o, "Within the chapters above, a code in a gap between the ranges below also gets `no rule`.\n");
    if let Some(path) = hs2022 {
        let correlation = read_correlation(path)?;
        o.push_str(&hs2022_section(&set, &correlation));
    }
    let _ = writeln!(o, "## Codes covered, per chapter\n");
    for ch in &chapters {
        let mut keys: Vec<String> = set
            .rules
            .iter()
            .filter(|r| r.hs.0.first().is_some_and(|h| h.start().chapter() == *ch))
            .map(|r| r.hs_key())
            .collect();
        keys.sort();
        keys.dedup();
        let _ = writeln!(o, "- **{ch:02}**: {}", keys.join("; "));
    }
    let _ = writeln!(o, "\n## Incomplete rules (cut in the copy read, or read only in part)\n");
    for r in set.rules.iter().filter(|r| r.review == Review::Incomplete || r.missing.is_some()) {
        let _ = writeln!(
            o,
            "- `{}` ({}, {}): {}",
            r.id,
            r.hs_key(),
            r.review,
            r.missing.as_deref().unwrap_or("not stated").trim().replace('\n', " ")
        );
    }
    let _ = writeln!(o, "\n## General and automotive provisions not encoded\n");
    for n in set.general.not_encoded.iter().chain(&set.automotive.not_encoded) {
        let _ = writeln!(o, "- **{}**: {}", n.what.trim(), n.why.trim().replace('\n', " "));
    }
    let _ = writeln!(o, "\n## Automotive staging tables\n");
    for t in &set.automotive.staging_tables {
        let steps: Vec<String> = t
            .steps
            .iter()
            .map(|s| match s.tv {
                Some(tv) => format!("{}: {} NC / {} TV", s.from, s.nc, tv),
                None => format!("{}: {} NC", s.from, s.nc),
            })
            .collect();
        let until = t.steps_known_until.map(|d| format!("; known until {d}")).unwrap_or_default();
        let _ = writeln!(o, "- `{}` ({}): {}{until}", t.id, t.provision.review, steps.join(", "));
    }
    if !legal.is_empty() {
        let _ = writeln!(o);
        o.push_str(&crate::import_cmd::parse_rate_section(legal)?);
        o.push_str(&crate::import_cmd::unread_section(legal)?);
    }
    write!(out, "{o}")?;
    Ok(exit::OK)
}

/// Every distinct kind string (a description of goods or materials) the rules use, with the ids of the
/// rules using it, as Markdown. `imported_only` keeps the rules written by `rules import` and not reviewed
/// since (their note starts with the import's marker). `docs/rules-imported-kinds.md` is this output for
/// the imported rules, so that the pack's kinds vocabulary can declare them; a test keeps the two equal.
pub fn kinds(dir: &Path, imported_only: bool, out: &mut dyn Write) -> std::io::Result<i32> {
    use origin_rules::{KindQualifier, ShiftRequirement};
    let Some(set) = load_valid(dir, out)? else { return Ok(exit::INVALID) };
    let mut kinds: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    let marker = origin_rules::import::MACHINE_IMPORT_NOTE;
    for r in &set.rules {
        if imported_only && !r.note.as_deref().is_some_and(|n| n.starts_with(marker)) {
            continue;
        }
        let mut add = |k: &str| {
            kinds.entry(k.to_string()).or_default().insert(r.id.clone());
        };
        let qualifier = |q: &KindQualifier, add: &mut dyn FnMut(&str)| match q {
            KindQualifier::Any => {}
            KindQualifier::Only(k) => add(k),
            KindQualifier::OtherThan(ks) => ks.iter().for_each(|k| add(k)),
        };
        qualifier(&r.good_kind, &mut add);
        for a in &r.alternatives {
            qualifier(&a.good_kind, &mut add);
            if let ShiftRequirement::Shift(s) = &a.shift {
                for m in s.also_from.iter().chain(&s.except).chain(&s.except_more_than_one_of) {
                    if let Some(k) = &m.kind {
                        add(k);
                    }
                }
            }
        }
    }
    writeln!(out, "# Kinds of goods and materials named by the imported rules\n")?;
    writeln!(
        out,
        "Generated by `origin-audit rules kinds --imported`: every distinct kind string (a description that \
         narrows a rule's goods or an alternative's materials) used by the rules `rules import` wrote from the \
         third-party transcription, with the rules using it, so the pack's kinds vocabulary can declare them. \
         Do not edit by hand: a test fails when this file and the pack disagree.\n"
    )?;
    writeln!(out, "{} kinds.\n", kinds.len())?;
    for (k, ids) in &kinds {
        writeln!(out, "- `{}`: {}", k.replace('`', "'"), ids.iter().cloned().collect::<Vec<_>>().join(", "))?;
    }
    Ok(exit::OK)
}
