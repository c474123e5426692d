//! `origin-audit rules check | explain | schema`.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use origin_core::HsCode;
use origin_rules::explain::explain_rule;
use origin_rules::{Lookup, Nomenclature, Review, RuleQuery, RuleSet, Severity, VehicleUse, load_pack};

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
pub fn review_counts(set: &RuleSet) -> [(Review, usize); 4] {
    let n = |r| set.rules.iter().filter(|x| x.review == r).count();
    [
        (Review::Verified, n(Review::Verified)),
        (Review::UnverifiedTranscription, n(Review::UnverifiedTranscription)),
        (Review::Incomplete, n(Review::Incomplete)),
        (Review::ImportedUnreviewed, n(Review::ImportedUnreviewed)),
    ]
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

/// `rules explain HS`: the rule in force, in plain words, with citation and verbatim text. The code is
/// read as HS 2022 (today's HTSUS), like a batch's codes by default.
pub fn explain(
    dir: &Path,
    hs: &str,
    as_of: NaiveDate,
    vehicle_use: Option<VehicleUse>,
    good_kind: Option<&str>,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    explain_in(dir, hs, Nomenclature::Hs2022, as_of, vehicle_use, good_kind, out)
}

/// `rules explain HS --nomenclature E`: the code is read in edition `E` and, when the pack's rules are
/// written in another (GN 11(o): HS 2017), mapped through the pack's correlation table; the output
/// names the code whose rule it shows. Several counterparts are listed with the rule of each.
pub fn explain_in(
    dir: &Path,
    hs: &str,
    nomenclature: Nomenclature,
    as_of: NaiveDate,
    vehicle_use: Option<VehicleUse>,
    good_kind: Option<&str>,
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
        [one] if *one == code => explain_code(&set, code, as_of, vehicle_use, good_kind, out),
        [one] => {
            writeln!(out, "{nomenclature} `{code}` is {} `{one}`{source}; the rule for `{one}`:", set.nomenclature)?;
            explain_code(&set, *one, as_of, vehicle_use, good_kind, out)
        }
        several => {
            writeln!(
                out,
                "{nomenclature} `{code}` corresponds to {} {} codes{source}; the rule in force on {as_of} for each:",
                several.len(),
                set.nomenclature
            )?;
            for c in several {
                let q = RuleQuery { hs: *c, as_of, vehicle_use, good_kind };
                let words = match set.lookup(q) {
                    Lookup::Found(r) => format!("rule {} ({})", r.id, r.hs_key()),
                    Lookup::NoRule { .. } => "no rule encoded".to_string(),
                    Lookup::NeedsClassification(_) => "needs a deeper classification".to_string(),
                    Lookup::NeedsUse(_) => "depends on the vehicle use (--use)".to_string(),
                    Lookup::NeedsDescription(_) => "depends on what the good is (--kind)".to_string(),
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

/// The rule for `code`, already in the rules' edition.
fn explain_code(
    set: &RuleSet,
    code: HsCode,
    as_of: NaiveDate,
    vehicle_use: Option<VehicleUse>,
    good_kind: Option<&str>,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    let q = RuleQuery { hs: code, as_of, vehicle_use, good_kind };
    let list = |rules: &[&origin_rules::Rule], out: &mut dyn Write| -> std::io::Result<()> {
        for r in rules {
            let uses: Vec<&str> = r.uses.iter().map(|u| u.as_str()).collect();
            let kind = match &r.good_kind {
                origin_rules::KindQualifier::Any => String::new(),
                origin_rules::KindQualifier::Only(k) => format!(" for `{k}`"),
                origin_rules::KindQualifier::OtherThan(ks) => format!(" for goods other than `{}`", ks.join("`, `")),
            };
            let uses = if uses.is_empty() { String::new() } else { format!(" use: {}", uses.join(", ")) };
            writeln!(
                out,
                "  - {} ({}){uses}{kind}, {} to {}",
                r.id,
                r.hs_key(),
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
    }
}

/// `rules schema`: the JSON Schema of every pack file.
pub fn schema(out: &mut dyn Write) -> std::io::Result<i32> {
    writeln!(out, "{}", serde_json::to_string_pretty(&origin_rules::raw::json_schema()).unwrap_or_default())?;
    Ok(exit::OK)
}

/// `rules coverage`: what the pack encodes per chapter and by review status, and what it does not,
/// as Markdown. `docs/rules-coverage.md` is this output; a test keeps the two equal.
pub fn coverage(dir: &Path, legal: &[std::path::PathBuf], out: &mut dyn Write) -> std::io::Result<i32> {
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
         never substitutes a default threshold. `unverified-transcription` rules were read only in a third-party \
         copy; `incomplete` rules were cut in the copy read and encode only the certain part.\n"
    );
    let _ = writeln!(o, "## Product-specific rules by chapter\n");
    let _ = writeln!(
        o,
        "| chapter | rules | verified | unverified-transcription | incomplete | imported-unreviewed | chapter rules |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    let mut chapters = set.chapters.clone();
    chapters.sort_unstable();
    chapters.dedup();
    let mut total = [0usize; 5];
    for ch in &chapters {
        let rules: Vec<&origin_rules::Rule> =
            set.rules.iter().filter(|r| r.hs.0.first().is_some_and(|h| h.start().chapter() == *ch)).collect();
        let n = |s: Review| rules.iter().filter(|r| r.review == s).count();
        let row = [
            rules.len(),
            n(Review::Verified),
            n(Review::UnverifiedTranscription),
            n(Review::Incomplete),
            n(Review::ImportedUnreviewed),
        ];
        for (t, v) in total.iter_mut().zip(row) {
            *t += v;
        }
        let cr = set.chapter_rules.iter().filter(|c| c.chapter == *ch).count();
        let _ = writeln!(o, "| {ch:02} | {} | {} | {} | {} | {} | {cr} |", row[0], row[1], row[2], row[3], row[4]);
    }
    let _ = writeln!(
        o,
        "| **all** | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** |\n",
        total[0],
        total[1],
        total[2],
        total[3],
        total[4],
        set.chapter_rules.len()
    );
    let absent: Vec<String> =
        (1u8..=97).filter(|c| !chapters.contains(c) && *c != 77).map(|c| format!("{c:02}")).collect();
    let _ = writeln!(o, "## Chapters with no rule at all\n");
    let _ = writeln!(
        o,
        "{} chapters have no encoded rule; every good classified there gets `no rule`: {}.\n",
        absent.len(),
        absent.join(", ")
    );
    let _ = writeln!(
        o,
        "Within the chapters above, only the headings listed in `shared/legal` were transcribed; a code in a gap between the ranges below also gets `no rule`.\n"
    );
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
    let _ = writeln!(o, "\n## Incomplete rules (cut in the copy read)\n");
    for r in set.rules.iter().filter(|r| r.review == Review::Incomplete) {
        let _ = writeln!(
            o,
            "- `{}` ({}): {}",
            r.id,
            r.hs_key(),
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
    }
    write!(out, "{o}")?;
    Ok(exit::OK)
}
