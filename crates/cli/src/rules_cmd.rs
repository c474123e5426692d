//! `origin-audit rules check | explain | schema | coverage | export`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use origin_store::runner::RunPack;

use chrono::NaiveDate;
use origin_core::HsCode;
use origin_rules::explain::explain_rule;
use origin_rules::{
    Lookup, Nomenclature, PackFiles, PackSource, Parties, Review, RuleQuery, RuleSet, Severity, StagingCategory,
    VehicleUse,
};

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

/// `rules check [DIR]`: every diagnostic, then a summary. Exit 0 when there is no error.
pub fn check(pack: &PackSource, format: CheckFormat, out: &mut dyn Write) -> std::io::Result<i32> {
    let files = pack.files();
    let loaded = match &files {
        Ok(f) => origin_rules::load_files(f),
        Err(e) => origin_rules::Loaded { rules: None, diagnostics: vec![e.diagnostic()] },
    };
    let errors = loaded.error_count();
    let warnings = loaded.diagnostics.len() - errors;
    let root = pack.display_root();
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
                "pack": pack.record(),
                "valid": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": loaded.diagnostics,
                "summary": summary,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        }
        CheckFormat::Text => {
            if let Err(e) = &files {
                writeln!(out, "error: {e}")?;
                return Ok(exit::INVALID);
            }
            for d in &loaded.diagnostics {
                writeln!(out, "{}", render(d, files.as_ref().ok(), &root))?;
            }
            match &loaded.rules {
                Some(set) => {
                    let counts: Vec<String> =
                        review_counts(set).iter().filter(|(_, n)| *n > 0).map(|(r, n)| format!("{n} {r}")).collect();
                    writeln!(
                        out,
                        "{}: valid. {} product-specific rules in {} chapters ({}); {} warning{}",
                        root.display(),
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
                    root.display(),
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" }
                )?,
            }
        }
    }
    Ok(if errors == 0 { exit::OK } else { exit::INVALID })
}

/// A diagnostic with the line it points at, taken from the files that were checked.
fn render(d: &origin_rules::Diagnostic, files: Option<&PackFiles>, root: &Path) -> String {
    let name = d.file.to_string_lossy().replace('\\', "/");
    let source = files.and_then(|f| f.get(&name)).and_then(|b| std::str::from_utf8(b).ok());
    d.render_with(source, root)
}

/// Loads a pack for a command that needs a valid one; prints the errors otherwise. A `--rules`
/// directory that does not exist is one message saying so (and what to do), nothing more.
pub fn load_valid(pack: &PackSource, err: &mut dyn Write) -> std::io::Result<Option<RuleSet>> {
    Ok(load_valid_pack(pack, err)?.map(|p| Arc::unwrap_or_clone(p.rules)))
}

/// [`load_valid`] keeping the files the rules were loaded from, for a run to digest and keep exactly
/// the pack it audits with.
pub fn load_valid_pack(pack: &PackSource, err: &mut dyn Write) -> std::io::Result<Option<RunPack>> {
    let files = match pack.files() {
        Ok(f) => f,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(None);
        }
    };
    let loaded = origin_rules::load_files(&files);
    if loaded.rules.is_none() {
        let root = pack.display_root();
        for d in loaded.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            writeln!(err, "{}", render(d, Some(&files), &root))?;
        }
        let check = match pack {
            PackSource::BuiltIn => "origin-audit rules check".to_string(),
            PackSource::Dir(d) => format!("origin-audit rules check {}", d.display()),
        };
        writeln!(err, "{pack} has errors; run `{check}`")?;
    }
    Ok(loaded.rules.map(|rules| RunPack { source: pack.clone(), files: Arc::new(files), rules: Arc::new(rules) }))
}

/// `rules export DIR`: writes the built-in pack (or the `--rules` pack) into DIR for editing; refuses to
/// overwrite a file that is already there, so an edited pack is never lost.
pub fn export(pack: &PackSource, dir: &Path, out: &mut dyn Write) -> std::io::Result<i32> {
    let files = match pack.files() {
        Ok(f) => f,
        Err(e) => {
            writeln!(out, "error: {e}")?;
            return Ok(exit::USAGE);
        }
    };
    let existing: Vec<&str> = files
        .iter()
        .map(|(n, _)| n)
        .filter(|n| n.split('/').fold(dir.to_path_buf(), |p, s| p.join(s)).exists())
        .collect();
    if !existing.is_empty() {
        writeln!(
            out,
            "error: `{}` already holds {} of the pack's files ({}); nothing was written\n  help: export into a new or empty directory",
            dir.display(),
            existing.len(),
            existing.iter().take(3).copied().collect::<Vec<_>>().join(", ")
        )?;
        return Ok(exit::USAGE);
    }
    files.write_to(dir)?;
    writeln!(
        out,
        "wrote {} files of {pack} to `{}`\nedit them, check with `origin-audit rules check {}`, and use them with `--rules {}` (or ORIGIN_AUDIT_RULES)",
        files.len(),
        dir.display(),
        dir.display(),
        dir.display()
    )?;
    Ok(exit::OK)
}

/// `rules explain HS`: the rule in force, in plain words, with citation and verbatim text. The code is
/// read as HS 2022 (today's HTSUS), like a batch's codes by default.
pub fn explain(
    pack: &PackSource,
    hs: &str,
    as_of: NaiveDate,
    vehicle_use: Option<VehicleUse>,
    good_kind: Option<&str>,
    parties: Option<Parties>,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    explain_full(pack, hs, Nomenclature::Hs2022, as_of, vehicle_use, good_kind, parties, None, out)
}

/// `rules explain HS [--nomenclature E] [--category C]`: everything the command line can ask.
#[expect(clippy::too_many_arguments, reason = "one argument per command-line option")]
pub fn explain_full(
    pack: &PackSource,
    hs: &str,
    nomenclature: Nomenclature,
    as_of: NaiveDate,
    vehicle_use: Option<VehicleUse>,
    good_kind: Option<&str>,
    parties: Option<Parties>,
    category: Option<StagingCategory>,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    let code = match HsCode::parse(hs) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "error: {e}")?;
            return Ok(exit::USAGE);
        }
    };
    let Some(set) = load_valid(pack, out)? else { return Ok(exit::INVALID) };
    // `--kind` goes through the pack's vocabulary, as a batch's `kind` does: "body stampings" is the
    // kind rule 24 names, and a kind the pack does not declare is an error, never "other than".
    let good_kind = match good_kind {
        None => None,
        Some(written) => match set.kinds.resolve(written) {
            Some(k) => Some(k),
            None => {
                writeln!(out, "error: kind `{written}` is not declared in the rule pack's kinds.yaml")?;
                if let Some(s) = set.kinds.suggest(written) {
                    writeln!(out, "help: did you mean `{s}`?")?;
                }
                let asked = set.kinds_asked(code).good;
                if !asked.is_empty() {
                    let asked: Vec<String> = asked.iter().map(|k| format!("`{k}`")).collect();
                    writeln!(out, "help: the rules for `{code}` ask whether the good is {}", asked.join(", "))?;
                }
                return Ok(exit::USAGE);
            }
        },
    };
    let codes = match set.rule_codes(code, nomenclature) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "error: {e}")?;
            writeln!(
                out,
                "help: give an {nomenclature} code, or pass `--nomenclature {}` for a code of the rules' edition",
                set.nomenclature.as_str()
            )?;
            return Ok(exit::USAGE);
        }
    };
    let source = set.correlation.as_ref().map(|c| format!(" ({})", c.citation)).unwrap_or_default();
    match codes.as_slice() {
        [one] if *one == code => explain_code(&set, code, as_of, vehicle_use, good_kind, parties, category, out),
        [one] => {
            writeln!(out, "{nomenclature} `{code}` is {} `{one}`{source}; the rule for `{one}`:", set.nomenclature)?;
            explain_code(&set, *one, as_of, vehicle_use, good_kind, parties, category, out)
        }
        several => {
            writeln!(
                out,
                "{nomenclature} `{code}` corresponds to {} {} codes{source}; the rule in force on {as_of} for each:",
                several.len(),
                set.nomenclature
            )?;
            for c in several {
                let q = RuleQuery { hs: *c, as_of, vehicle_use, good_kind, parties };
                let words = match set.lookup(q) {
                    Lookup::Found(r) => format!("rule {} ({})", r.id, r.hs_key()),
                    Lookup::NoRule { .. } => "no rule encoded".to_string(),
                    Lookup::NeedsClassification(_) => "needs a deeper classification".to_string(),
                    Lookup::NeedsUse(_) => "depends on the vehicle use (--use)".to_string(),
                    Lookup::NeedsDescription(_) => "depends on what the good is (--kind)".to_string(),
                    Lookup::NeedsParties(_) => {
                        "depends on the direction of trade (--exporting, --importing)".to_string()
                    }
                };
                writeln!(out, "  - {c}: {words}")?;
            }
            writeln!(
                out,
                "the answer for such a good depends on which {} code it was classified in; a batch audit asks that question rather than choosing one.",
                set.nomenclature
            )?;
            writeln!(out, "help: explain one of them with `--nomenclature {} CODE`", set.nomenclature.as_str())?;
            Ok(exit::USAGE)
        }
    }
}

/// Which alternatives are for a good of `code`, when some alternative names only some of the rule's
/// codes: the engine tests only those.
fn explain_alternative_scopes(
    rule: &origin_rules::Rule,
    code: HsCode,
    good_kind: Option<&str>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use origin_rules::AlternativeScope;
    if rule.alternatives.iter().all(|a| a.hs.is_none()) {
        return Ok(());
    }
    writeln!(out, "  alternatives for a good of {code}:")?;
    for a in &rule.alternatives {
        let own = a.hs.as_ref().map(|h| h.to_string()).unwrap_or_else(|| rule.hs_key());
        let said = match rule.alternative_scope(a, code, good_kind) {
            AlternativeScope::Applies => "applies".to_string(),
            AlternativeScope::OtherGoods if a.hs.as_ref().is_some_and(|h| !h.contains(code)) => {
                format!("does not apply: only for goods of {own}")
            }
            AlternativeScope::OtherGoods => "does not apply: for goods of another description".to_string(),
            AlternativeScope::NeedsKind => "applies only to goods of its description: give --kind".to_string(),
            AlternativeScope::NeedsDeeperCode => {
                format!("applies only to goods of {own}: classify the good to that level")
            }
        };
        writeln!(out, "    ({}) {said}", a.label)?;
    }
    Ok(())
}

/// The rule for `code`, already in the rules' edition.
#[expect(clippy::too_many_arguments, reason = "one argument per command-line option")]
fn explain_code(
    set: &RuleSet,
    code: HsCode,
    as_of: NaiveDate,
    vehicle_use: Option<VehicleUse>,
    good_kind: Option<&str>,
    parties: Option<Parties>,
    category: Option<StagingCategory>,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
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
            write!(out, "{}", explain_rule(set, rule))?;
            explain_alternative_scopes(rule, code, good_kind, out)?;
            if let Some(cat) = category {
                explain_staging(set, rule, code, cat, as_of, out)?;
            }
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
pub fn hs2022_section(set: &RuleSet, correlation: &origin_rules::Correlation) -> String {
    use std::fmt::Write as _;
    let Ok(as_of) = NaiveDate::parse_from_str(COVERAGE_DATE, "%Y-%m-%d") else { return String::new() };
    let mut by_status: std::collections::BTreeMap<u8, usize> = std::collections::BTreeMap::new();
    let (mut total, mut covered, mut partial, mut none, mut excluded) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut none_by_chapter: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for h22 in correlation.subheadings() {
        let h17s = correlation.counterparts(h22).unwrap_or_default();
        let ch = h22.chapter();
        if CHAPTERS_WITHOUT_TEXT.contains(&ch) {
            excluded += 1;
            continue;
        }
        total += 1;
        let found: Vec<Option<Review>> = h17s.iter().map(|code| explain_status(set, *code, as_of)).collect();
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
        "Each HS 2022 six-digit subheading of the pack's correlation table `{}` ({}) is mapped to its HS 2017 counterparts, the nomenclature of the pack's rules, and \
         each counterpart is looked up as `rules explain CODE --as-of {COVERAGE_DATE}` would. A subheading counts \
         as covered when every counterpart finds a rule (a rule in force, or rules that need the good's use, \
         description, Parties or a deeper code to choose between); it is listed under the weakest review status \
         of those rules. Chapters 64-67 are left out: no text of their rules was read anywhere.\n",
        correlation.file.display(),
        correlation.citation.reference
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
pub fn coverage(pack: &PackSource, legal: &[std::path::PathBuf], out: &mut dyn Write) -> std::io::Result<i32> {
    use std::fmt::Write as _;
    let Some(set) = load_valid(pack, out)? else { return Ok(exit::INVALID) };
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
    if let Some(correlation) = &set.correlation {
        o.push_str(&hs2022_section(&set, correlation));
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
                None if s.tv_not_retrieved => format!("{}: {} NC / TV not retrieved", s.from, s.nc),
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

/// The automotive staging a good of `category` gets under `rule` on `as_of`, as `run` applies it.
fn explain_staging(
    set: &RuleSet,
    rule: &origin_rules::Rule,
    code: HsCode,
    category: StagingCategory,
    as_of: NaiveDate,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use origin_engine::checks::automotive::{Staging, staging};
    let has_tv = rule.alternatives.iter().any(|a| a.rvc.is_some_and(|r| r.tv.is_some()));
    let st = staging(set, category, code, as_of, has_tv);
    writeln!(out, "automotive staging ({}) on {as_of}:", category.as_str())?;
    match &st {
        Staging::Requirement { rvc, table, citation, caveat, tv_not_retrieved, .. } => {
            let mut figures = Vec::new();
            if let Some(nc) = rvc.nc {
                figures.push(format!("{nc} under the net cost method"));
            }
            if let Some(tv) = rvc.tv {
                figures.push(format!("{tv} under the transaction value method"));
            }
            writeln!(
                out,
                "  regional value content of not less than {} (table {table}, {citation})",
                figures.join(" or ")
            )?;
            if *tv_not_retrieved {
                writeln!(
                    out,
                    "  the staged transaction-value figure for this date was not retrieved: a good that does not meet the net cost figure needs evidence"
                )?;
            }
            if let Some(c) = caveat {
                writeln!(out, "  caveat: {c}")?;
            }
            for alt in &rule.alternatives {
                let what = match st.governs(alt.rvc.is_some()) {
                    Some(true) if alt.rvc.is_some() => "the staged RVC replaces the rule's own threshold",
                    Some(true) => "the staged RVC is required although the alternative is a tariff shift only",
                    Some(false) => "not staged (the alternative carries no RVC)",
                    None => {
                        "undetermined: the text read does not say whether a tariff-shift-only alternative needs the staged RVC"
                    }
                };
                writeln!(out, "  ({}) {what}", alt.label)?;
            }
            if category == StagingCategory::PvLtCorePart {
                writeln!(
                    out,
                    "  criterion D never qualifies a Table A.1 core part: it is originating only if it meets the staged RVC (GN 11(k)(iii)(C))"
                )?;
            }
        }
        Staging::NotEncoded(why) => {
            writeln!(out, "  not encoded: {why}")?;
            writeln!(
                out,
                "  a good of this category needs evidence on this date; it is never qualified on the rule's own threshold"
            )?;
        }
    }
    Ok(())
}
