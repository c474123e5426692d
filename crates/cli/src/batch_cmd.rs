//! `origin-audit batch check | schema` and `report schema | check`: validate a batch's input without auditing it, print the
//! batch JSON Schema.

use std::io::Write;
use std::path::Path;

use origin_core::diag::{Severity, Sources};
use origin_engine::input::{FileScope, GoodInput, HeaderError, load_batch_in, render_errors, resolve_kinds};
use origin_rules::PackSource;

use crate::exit;

/// `batch check FILE`: every input problem with file, line, column and field, and the line itself
/// (the batch file's, or the BOM CSV file's); exit 1 when any. Kinds are checked against the vocabulary
/// of the rule pack `pack`, as `run` checks them. BOM files are read only in `scope` (the batch's
/// directory unless `--allow-outside`).
pub fn check(path: &Path, pack: &PackSource, scope: FileScope, out: &mut dyn Write) -> std::io::Result<i32> {
    let Some(rules) = crate::rules_cmd::load_valid(pack, out)? else { return Ok(exit::INVALID) };
    let mut sources = Sources::new();
    let mut batch = match load_batch_in(path, scope) {
        Ok(b) => b,
        Err(e) => {
            write!(out, "{}", header_error(&e, &mut sources))?;
            return Ok(exit::INVALID);
        }
    };
    resolve_kinds(&mut batch, &rules);
    let mut problems = 0;
    for g in &batch.goods {
        if let GoodInput::Invalid { id, errors } = g {
            writeln!(out, "good `{id}` cannot be audited:")?;
            let context = format!("good `{id}`");
            for e in render_errors(errors, Severity::Error, Some(&context), &mut sources) {
                writeln!(out, "{e}")?;
                problems += 1;
            }
        }
    }
    for errs in batch.bad_certifications.values() {
        for e in render_errors(errs, Severity::Error, Some("supplier certification"), &mut sources) {
            writeln!(out, "{e}")?;
            problems += 1;
        }
    }
    for w in render_errors(&batch.warnings, Severity::Warning, None, &mut sources) {
        writeln!(out, "{w}")?;
        problems += 1;
    }
    // The provenance graph is built here as `run` builds it: each error blocks the goods whose lots it
    // touches, so it is a problem of the batch, located.
    if let Some(p) = &batch.provenance {
        let errors = origin_engine::provenance::check(&batch.file, p);
        for e in render_errors(&errors, Severity::Error, None, &mut sources) {
            writeln!(out, "{e}")?;
            problems += 1;
        }
    }
    let ok = batch.goods.iter().filter(|g| matches!(g, GoodInput::Ok(_))).count();
    let lines: usize = batch.goods.iter().map(|g| if let GoodInput::Ok(g) = g { g.materials.len() } else { 0 }).sum();
    writeln!(
        out,
        "{}: batch `{}`, {} goods ({} ready to audit), {} BOM lines, {} supplier certifications, provenance: {}; {} problem{}",
        path.display(),
        batch.header.id,
        batch.goods.len(),
        ok,
        lines,
        batch.certifications.len(),
        batch.provenance.as_ref().map(|p| format!("{} lots", p.lots.len())).unwrap_or_else(|| "none".into()),
        problems,
        if problems == 1 { "" } else { "s" }
    )?;
    Ok(if problems == 0 { exit::OK } else { exit::INVALID })
}

/// A batch that cannot be audited, for people: what it means, then each error with its source line.
pub fn header_error(e: &HeaderError, sources: &mut Sources) -> String {
    e.render(sources)
}

/// `batch schema`: the JSON Schema of the batch file.
pub fn schema(out: &mut dyn Write) -> std::io::Result<i32> {
    writeln!(out, "{}", serde_json::to_string_pretty(&origin_engine::input::json_schema()).unwrap_or_default())?;
    Ok(exit::OK)
}

/// `report schema`: the JSON Schema of the report, version 1.
pub fn report_schema(out: &mut dyn Write) -> std::io::Result<i32> {
    writeln!(out, "{}", serde_json::to_string_pretty(&origin_engine::report::v1::json_schema()).unwrap_or_default())?;
    Ok(crate::exit::OK)
}

/// `report check FILE`: reads the file as a version 1 report (the types every reader uses), so a
/// consumer learns before it relies on a file whether it is one, and where it is not.
pub fn report_check(file: &Path, out: &mut dyn Write) -> std::io::Result<i32> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            writeln!(out, "error: cannot read `{}`: {e}", file.display())?;
            return Ok(crate::exit::INVALID);
        }
    };
    use origin_engine::report::v1::{Report, VERSION};
    // `run --out` writes one report for one batch, an array of them for several.
    let read = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<Report>>(&text)
    } else {
        serde_json::from_str::<Report>(&text).map(|r| vec![r])
    };
    match read {
        Ok(reports) => {
            let mut code = crate::exit::OK;
            for r in &reports {
                if r.version != VERSION {
                    writeln!(
                        out,
                        "error: {}: batch `{}`: report version {} is not version 1",
                        file.display(),
                        r.batch,
                        r.version
                    )?;
                    code = crate::exit::INVALID;
                    continue;
                }
                let s = &r.summary;
                writeln!(
                    out,
                    "{}: report version {}, batch `{}`, {} goods ({} qualified, {} not qualified, {} needs evidence)",
                    file.display(),
                    r.version,
                    r.batch,
                    s.goods,
                    s.qualified,
                    s.not_qualified,
                    s.needs_evidence
                )?;
            }
            Ok(code)
        }
        Err(e) => {
            writeln!(
                out,
                "error: {}:{}:{}: not a version 1 report: {e}\n  help: `origin-audit report schema` prints the format",
                file.display(),
                e.line(),
                e.column()
            )?;
            Ok(crate::exit::INVALID)
        }
    }
}
