//! `origin-audit rules import | crosscheck`: the legal text of product-specific rules -> a chapter YAML
//! draft, and the pack cross-checked against the legal text.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use origin_rules::PackSource;
use origin_rules::import::{
    Disagreement, EntryKind, LegalEntry, Status, chapter_yaml, crosscheck as run_crosscheck, import_chapter,
    is_legal_markdown, merge_chapter, parse_entry, parse_legal_file, split_plain_text,
};
use origin_rules::raw::RawChapterFile;

use crate::exit;

/// `rules import TEXT_FILE --chapter NN [--source ID] [--out DIR] [--force]`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The legal text: a research extract (`shared/legal/*.md`) or a plain text pasted from the note.
    pub text_file: PathBuf,
    /// The HS chapter to import.
    #[arg(long)]
    pub chapter: u8,
    /// The pack source id to cite (default: from each entry's source URL, else `gn11`).
    #[arg(long)]
    pub source: Option<String>,
    /// Where to write `psr/chNN.yaml` (default: the `--rules` directory; required with the built-in pack).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Overwrite rules a rule editor has reviewed (review not `imported-unreviewed`).
    #[arg(long)]
    pub force: bool,
    /// No progress spinner (it is drawn only when stderr is a terminal anyway).
    #[arg(short, long)]
    pub quiet: bool,
}

/// `rules crosscheck TEXT_FILE... [--chapter NN]`.
#[derive(Debug, clap::Args)]
pub struct CrosscheckArgs {
    /// The legal texts to compare the pack with.
    pub text_files: Vec<PathBuf>,
    /// The HS chapter to compare: gives a plain-text file (which has no chapter headings) its chapter, as
    /// `rules import --chapter` does, and limits research extracts (`shared/legal/*.md`) to that chapter.
    #[arg(long)]
    pub chapter: Option<u8>,
}

fn read_entries(path: &Path, chapter: Option<u8>) -> std::io::Result<Vec<LegalEntry>> {
    let text = std::fs::read_to_string(path)?;
    Ok(if is_legal_markdown(&text) { parse_legal_file(&text) } else { split_plain_text(&text, chapter) })
}

/// Imports one chapter. Exit 0 when every rule entry of the chapter parsed, 1 when some could not be
/// read (they are listed, and imported only up to where parsing stopped), 2 on bad usage or IO errors.
pub fn import(args: &ImportArgs, pack: &PackSource, out: &mut dyn Write) -> std::io::Result<i32> {
    let spinner = crate::progress::spinner(args.quiet, format!("importing chapter {}", args.chapter));
    let result = import_inner(args, pack, out);
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    result
}

fn import_inner(args: &ImportArgs, pack: &PackSource, out: &mut dyn Write) -> std::io::Result<i32> {
    let entries = match read_entries(&args.text_file, Some(args.chapter)) {
        Ok(e) => e,
        Err(e) => {
            writeln!(out, "error: cannot read `{}`: {e}", args.text_file.display())?;
            return Ok(exit::USAGE);
        }
    };
    if !entries.iter().any(|e| e.chapter == Some(args.chapter)) {
        writeln!(out, "error: `{}` holds no entry of chapter {}", args.text_file.display(), args.chapter)?;
        return Ok(exit::USAGE);
    }
    let imported = import_chapter(&entries, args.chapter, args.source.as_deref());
    let out_dir = match (&args.out, pack) {
        (Some(dir), _) => dir.clone(),
        (None, PackSource::Dir(dir)) => dir.clone(),
        (None, PackSource::BuiltIn) => {
            writeln!(out, "error: the built-in pack cannot be written to; say where the draft goes with --out DIR")?;
            writeln!(
                out,
                "help: `origin-audit rules export DIR` writes the built-in pack for editing; then pass --out DIR"
            )?;
            return Ok(exit::USAGE);
        }
    };
    let path = out_dir.join("psr").join(format!("ch{:02}.yaml", args.chapter));
    let existing_text = std::fs::read_to_string(&path).ok();
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => match serde_yaml::from_str::<RawChapterFile>(&text) {
            Ok(f) => Some(f),
            Err(e) if args.force => {
                writeln!(
                    out,
                    "warning: `{}` is not a valid chapter file ({e}); overwriting it (--force)",
                    path.display()
                )?;
                None
            }
            Err(e) => {
                writeln!(out, "error: `{}` exists but is not a valid chapter file: {e}", path.display())?;
                writeln!(out, "help: fix it, or pass --force to overwrite it")?;
                return Ok(exit::INVALID);
            }
        },
        Err(_) => None,
    };
    let before = existing.clone();
    let (file, report) = merge_chapter(existing, imported.file, args.force);
    let mut header = format!(
        "Chapter {} product-specific rules, imported by `origin-audit rules import` from {}.\nEvery imported rule has `review: imported-unreviewed`: a rule editor reviews each against the legal text,\nthen sets its review status. Comments of an existing file are not kept by the import.",
        args.chapter,
        args.text_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    );
    if !imported.not_imported.is_empty() {
        header.push_str("\nNot imported, or imported only up to where parsing stopped:");
        for n in &imported.not_imported {
            let what = n
                .partial_id
                .as_ref()
                .map_or_else(|| "not imported".to_string(), |id| format!("imported in part as {id}"));
            header.push_str(&format!(
                "\n- {} [{}]: {what}: {} at `{}`",
                n.entry,
                n.status.as_str(),
                n.error.message,
                n.error.words_where_parsing_stopped
            ));
        }
    }
    // When the import only adds rules to an existing file (the rules it already holds unchanged), the new
    // rules are appended to the file's text, so a rule editor's comments and layout are kept.
    let appended = match (&before, &existing_text) {
        (Some(old), Some(text)) => append_only(old, &file, text),
        _ => None,
    };
    let yaml = match appended {
        Some(Ok(y)) => y,
        Some(Err(e)) => {
            writeln!(out, "error: cannot write YAML: {e}")?;
            return Ok(exit::USAGE);
        }
        None => match chapter_yaml(&file, &header) {
            Ok(y) => y,
            Err(e) => {
                writeln!(out, "error: cannot write YAML: {e}")?;
                return Ok(exit::USAGE);
            }
        },
    };
    if let Err(e) = std::fs::create_dir_all(out_dir.join("psr")).and_then(|()| std::fs::write(&path, yaml)) {
        writeln!(out, "error: cannot write `{}`: {e}", path.display())?;
        return Ok(exit::USAGE);
    }
    writeln!(
        out,
        "wrote {}: {} rules and {} chapter rules written ({} rule entries parsed in full)",
        path.display(),
        report.written.len(),
        file.chapter_rules.len(),
        imported.parsed
    )?;
    for (id, review) in &report.skipped_reviewed {
        writeln!(out, "skipped {id}: the existing rule is `{review}`; pass --force to overwrite it")?;
    }
    for (id, holder) in &report.held_by_pack {
        writeln!(
            out,
            "not written {id}: the pack's reviewed rule `{holder}` holds its codes; the pack's reading wins"
        )?;
    }
    for n in &imported.not_imported {
        let what = n
            .partial_id
            .as_ref()
            .map_or_else(|| "not imported".to_string(), |id| format!("imported in part as `{id}`"));
        writeln!(
            out,
            "could not parse {} [{}]: {}: {} at `{}`",
            n.entry,
            n.status.as_str(),
            what,
            n.error.message,
            n.error.words_where_parsing_stopped
        )?;
    }
    writeln!(out, "next: review the draft, then run `origin-audit rules check {}`", out_dir.display())?;
    Ok(if imported.not_imported.is_empty() { exit::OK } else { exit::INVALID })
}

/// The existing file's text with the merged file's new rules appended, when the merge changed nothing
/// else (same chapter rules, every old rule unchanged and in place, the file ending in its `rules:` list);
/// `None` when the file must be rewritten.
fn append_only(old: &RawChapterFile, merged: &RawChapterFile, text: &str) -> Option<Result<String, serde_yaml::Error>> {
    if old.chapter_rules != merged.chapter_rules || merged.rules.len() < old.rules.len() {
        return None;
    }
    if old.rules.iter().zip(&merged.rules).any(|(a, b)| a != b) {
        return None;
    }
    let last_key = text.lines().rfind(|l| !l.starts_with([' ', '#', '-']) && !l.trim().is_empty())?;
    if !last_key.starts_with("rules:") || last_key.trim() != "rules:" {
        return None;
    }
    let new = RawChapterFile {
        chapter: merged.chapter,
        chapter_rules: Vec::new(),
        rules: merged.rules[old.rules.len()..].to_vec(),
    };
    if new.rules.is_empty() {
        return Some(Ok(text.to_string()));
    }
    let body = match chapter_yaml(&new, "") {
        Ok(b) => b,
        Err(e) => return Some(Err(e)),
    };
    // The existing list's indentation: `- id:` or `  - id:`.
    let indent = text
        .lines()
        .skip_while(|l| !l.starts_with("rules:"))
        .find_map(|l| l.trim_start().starts_with("- ").then(|| l.len() - l.trim_start().len()))
        .unwrap_or(2);
    let pad = " ".repeat(indent);
    let mut out = text.trim_end().to_string();
    out.push('\n');
    let mut in_rules = false;
    for line in body.lines() {
        if line.starts_with("rules:") {
            in_rules = true;
            continue;
        }
        if in_rules {
            out.push_str(&pad);
            out.push_str(line);
            out.push('\n');
        }
    }
    Some(Ok(out))
}

fn write_disagreement(out: &mut dyn Write, d: &Disagreement) -> std::io::Result<()> {
    let tag = if d.anomaly { " (recorded source anomaly)" } else { "" };
    let who = match (&d.rule, &d.entry) {
        (Some(r), Some(e)) => format!("{r} <- {e}"),
        (Some(r), None) => r.clone(),
        (None, Some(e)) => e.clone(),
        (None, None) => String::new(),
    };
    writeln!(out, "chapter {} {who}: {:?}{tag}: {}", d.chapter, d.kind, d.what)?;
    writeln!(out, "    legal: {}", d.legal)?;
    writeln!(out, "    pack:  {}", d.pack)?;
    Ok(())
}

/// Cross-checks the pack against the legal texts. Exit 0 when they agree (or differ only where the pack
/// records a source anomaly), 1 when they disagree, 2 when a file or the pack cannot be read.
///
/// A run that compares no rule pair never passes: a file whose entries have no chapter (a plain text
/// without `--chapter`) is a usage error (2), and texts that yield no comparable rule exit 1, each with
/// the reason, since "0 disagreements" over nothing would read as agreement.
pub fn crosscheck(args: &CrosscheckArgs, pack: &PackSource, out: &mut dyn Write) -> std::io::Result<i32> {
    let mut entries = Vec::new();
    if args.text_files.is_empty() {
        writeln!(out, "error: no legal text given; name at least one file to compare the pack with")?;
        return Ok(exit::USAGE);
    }
    for f in &args.text_files {
        match read_entries(f, args.chapter) {
            Ok(e) => {
                if !e.is_empty() && e.iter().all(|x| x.chapter.is_none()) {
                    writeln!(
                        out,
                        "error: `{}` names no chapter (a plain text has no chapter headings), so none of its {} entries can be paired with the pack's rules",
                        f.display(),
                        e.len()
                    )?;
                    writeln!(
                        out,
                        "help: pass `--chapter NN` with the HS chapter the text is from, as for `rules import`"
                    )?;
                    return Ok(exit::USAGE);
                }
                entries.extend(e);
            }
            Err(e) => {
                writeln!(out, "error: cannot read `{}`: {e}", f.display())?;
                return Ok(exit::USAGE);
            }
        }
    }
    if let Some(ch) = args.chapter {
        entries.retain(|e| e.chapter == Some(ch));
        if entries.is_empty() {
            writeln!(out, "error: the legal texts hold no entry of chapter {ch}")?;
            return Ok(exit::USAGE);
        }
    }
    let Some(set) = crate::rules_cmd::load_valid(pack, out)? else { return Ok(exit::USAGE) };
    let result = run_crosscheck(&entries, &set);
    for d in &result.disagreements {
        write_disagreement(out, d)?;
    }
    for (entry, why) in &result.not_compared {
        writeln!(out, "not compared: {entry}: {why}")?;
    }
    let anomalies = result.disagreements.len() - result.failures();
    writeln!(
        out,
        "{} rule pairs compared; {} disagreements, {} recorded source anomalies, {} entries not compared",
        result.compared,
        result.failures(),
        anomalies,
        result.not_compared.len()
    )?;
    if result.compared == 0 {
        writeln!(
            out,
            "error: no rule of the pack was compared with the legal text ({} entries read, {} not compared): the cross-check proves nothing",
            entries.len(),
            result.not_compared.len()
        )?;
        writeln!(
            out,
            "help: check that the text holds rule entries of a chapter the pack encodes, and that `--chapter` names it"
        )?;
        return Ok(exit::INVALID);
    }
    Ok(if result.failures() == 0 { exit::OK } else { exit::INVALID })
}

/// Markdown section for docs/rules-coverage.md: parse rate of the legal text by status (COMPLETE / CUT /
/// SECONDARY), per chapter.
pub fn parse_rate_section(text_files: &[PathBuf]) -> std::io::Result<String> {
    let mut counts: BTreeMap<(u8, Status), (usize, usize, usize)> = BTreeMap::new();
    for f in text_files {
        for e in read_entries(f, None)? {
            let p = parse_entry(&e);
            if p.kind != EntryKind::Rule {
                continue;
            }
            let c = counts.entry((e.chapter.unwrap_or(0), e.status)).or_default();
            c.0 += 1;
            match &p.result {
                Ok(_) => c.1 += 1,
                Err(err) if err.at_end || err.message.contains("starts inside") => c.2 += 1,
                Err(_) => {}
            }
        }
    }
    let mut s = String::from("## Parse rate of the legal text\n\n");
    s.push_str(
        "How much of the legal text in `fixtures/legal/` the rule grammar of `rules import` reads (rule entries only;\nchapter rules and stand-alone subheading rules are kept verbatim). A CUT entry never parses in full; it counts as\nread \"to the cut\" when parsing stops exactly where the copy stops.\n\n",
    );
    s.push_str("| chapter | status | rules | parsed | parse rate | stopped at the cut |\n|---|---|---|---|---|---|\n");
    let mut totals: BTreeMap<Status, (usize, usize, usize)> = BTreeMap::new();
    for ((ch, st), (n, ok, cut)) in &counts {
        let rate = if *n == 0 { 0.0 } else { *ok as f64 * 100.0 / *n as f64 };
        let cut_col = if *st == Status::Cut { format!("{cut} of {n}") } else { "-".into() };
        s.push_str(&format!("| {ch} | {} | {n} | {ok} | {rate:.0} % | {cut_col} |\n", st.as_str()));
        let t = totals.entry(*st).or_default();
        t.0 += n;
        t.1 += ok;
        t.2 += cut;
    }
    for (st, (n, ok, cut)) in &totals {
        let rate = if *n == 0 { 0.0 } else { *ok as f64 * 100.0 / *n as f64 };
        let cut_col = if *st == Status::Cut { format!("{cut} of {n}") } else { "-".into() };
        s.push_str(&format!("| **all** | {} | {n} | {ok} | {rate:.1} % | {cut_col} |\n", st.as_str()));
    }
    Ok(s)
}

/// Markdown section for docs/rules-coverage.md: every rule entry of the legal texts the grammar does not
/// read in full (CUT entries aside, which never do), with the words where parsing stopped and why.
pub fn unread_section(text_files: &[PathBuf]) -> std::io::Result<String> {
    let mut lines = Vec::new();
    for f in text_files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for e in read_entries(f, None)? {
            if e.status == Status::Cut {
                continue;
            }
            let p = parse_entry(&e);
            if p.kind != EntryKind::Rule {
                continue;
            }
            if let Err(err) = &p.result {
                let part = if err.partial.is_empty() { "not read" } else { "read in part" };
                lines.push(format!(
                    "- {name}:{} `{}` [{}]: {part}: {} at `{}`",
                    e.line,
                    e.heading,
                    e.status.as_str(),
                    err.message,
                    err.words_where_parsing_stopped.replace('`', "'")
                ));
            }
        }
    }
    // Entries read in full that `rules import` still does not write: the text gives two readings for the
    // same goods (chapter 87 rules 53-55), or an "all other trade" rule whose Parties are unknown.
    let mut unwritten = Vec::new();
    for f in text_files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let entries = read_entries(f, None)?;
        let mut chapters: Vec<u8> = entries.iter().filter_map(|e| e.chapter).collect();
        chapters.sort_unstable();
        chapters.dedup();
        for ch in chapters {
            for n in import_chapter(&entries, ch, None).not_imported {
                if n.error.partial.is_empty() && n.partial_id.is_none() && n.error.message.starts_with("the text gives")
                {
                    unwritten.push(format!("- {name}: `{}`: {}", n.entry, n.error.message));
                }
            }
        }
    }
    let mut s = String::from("\n## Entries the importer does not read in full\n\n");
    if lines.is_empty() {
        s.push_str("None.\n");
    } else {
        s.push_str(&format!(
            "{} entries (COMPLETE or SECONDARY; CUT entries are counted above). An entry \"read in part\" is in the pack \
             with the alternatives read before the stop, `missing:` saying where it stopped; an entry \"not read\" is \
             not in the pack, and its codes get `no rule` unless another rule covers them.\n\n",
            lines.len()
        ));
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
    }
    if !unwritten.is_empty() {
        s.push_str(&format!(
            "\nRead in full but not written ({}): the text gives more than one rule for the same goods, uses, \
             description, trade and dates, so which one is the law is unknown; the pack holds none of them unless \
             a rule editor wrote one from another copy.\n\n",
            unwritten.len()
        ));
        for l in unwritten {
            s.push_str(&l);
            s.push('\n');
        }
    }
    Ok(s)
}
