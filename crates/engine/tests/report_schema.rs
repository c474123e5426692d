//! Issue 14 item 1: the report is a published, versioned format. Every report the engine writes (the
//! streamed `run --out` path) reads back into `report::v1::Report`, writes out again to the same JSON
//! (so no field is dropped, renamed or written in a form the types do not know), and validates against
//! `docs/report.schema.json`, which is the schema generated from those types.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{pack, root};
use origin_engine::input::{GoodInput, load_batch};
use origin_engine::report::v1;
use origin_engine::run::{Progress, RunOptions, write_report_json};
use origin_engine::sink::{AuditJob, ReportSink, run_job};
use serde_json::Value;

/// Every fixture batch and the demo batch.
fn batches() -> Vec<PathBuf> {
    let dir = root().join("fixtures/engine");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    out.sort();
    out.push(root().join("fixtures/demo/batch.yaml"));
    out
}

/// The report `run --out` writes for `path`, as text.
fn report_text(path: &Path) -> String {
    let batch = load_batch(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    write_report_json(pack(), &batch, &RunOptions { as_of: None, threads: Some(1) }, &Progress::default(), &mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8(out).unwrap()
}

fn published_schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap()).unwrap()
}

/// docs/report.schema.json is the schema of the v1 types (`origin-audit report schema` prints it). With
/// `UPDATE_SCHEMA_DOCS=1` the test writes it.
#[test]
fn published_report_schema_is_the_generated_one() {
    if std::env::var_os("UPDATE_SCHEMA_DOCS").is_some() {
        let text = format!("{}\n", serde_json::to_string_pretty(&v1::json_schema()).unwrap());
        std::fs::write(root().join("docs/report.schema.json"), text).unwrap();
    }
    assert_eq!(
        published_schema(),
        v1::json_schema(),
        "docs/report.schema.json is stale: run `cargo run -p origin-cli -- report schema > docs/report.schema.json`"
    );
}

/// Each report reads into the v1 types and writes back to the same JSON, and the schema accepts it.
#[test]
fn every_report_reads_back_into_v1_and_validates() {
    let validator = jsonschema::validator_for(&published_schema()).unwrap();
    for path in batches() {
        let text = report_text(&path);
        let written: Value = serde_json::from_str(&text).unwrap();
        let typed: v1::Report = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: the report does not read as report v1: {e}", path.display()));
        assert_eq!(typed.version, v1::VERSION);
        let again = serde_json::to_value(&typed).unwrap();
        assert_eq!(again, written, "{}: report v1 does not write back the same report", path.display());
        // The report held in memory (`BatchReport`, what the tests audit) and the streamed one are one
        // format.
        let held = serde_json::to_value(common::run(&load_batch(&path).unwrap())).unwrap();
        assert_eq!(held, written, "{}: the held and the streamed report differ", path.display());
        let errors: Vec<String> =
            validator.iter_errors(&written).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

/// A report whose outcome or state is spelt in a way v1 does not know is refused, not read as a default.
#[test]
fn an_unknown_state_is_refused() {
    let text = report_text(&root().join("fixtures/demo/batch.yaml"));
    let misspelt = text.replacen("\"outcome\":\"qualified\"", "\"outcome\":\"qualifed\"", 1);
    assert_ne!(misspelt, text, "the demo report has a qualified good");
    let e = serde_json::from_str::<v1::Report>(&misspelt).unwrap_err();
    assert!(e.to_string().contains("unknown variant `qualifed`"), "{e}");
}

/// Each material line carries its supplier and lot as the batch gives them, and its traced origin: the
/// demo's SB-FR-3PT line L01 (fixtures/demo/batch.yaml: supplier SUP-SRN-MX, declared MX, lot named in
/// the BOM) is read from the report, not from the batch again.
#[test]
fn material_lines_carry_supplier_lot_and_traced_origin() {
    let report: v1::Report = serde_json::from_str(&report_text(&root().join("fixtures/demo/batch.yaml"))).unwrap();
    let batch = load_batch(&root().join("fixtures/demo/batch.yaml")).unwrap();
    let mut lines = 0;
    for g in &report.goods {
        let Some(good) = batch.goods.iter().find_map(|x| match x {
            GoodInput::Ok(b) if b.id == g.good => Some(b),
            _ => None,
        }) else {
            continue;
        };
        for m in &g.determination.materials {
            let b = good.materials.iter().find(|b| *b.line == *m.line).unwrap();
            assert_eq!(m.supplier.as_deref(), b.supplier.as_deref(), "{} {}", g.good, m.line);
            assert_eq!(m.lot.as_deref(), b.lot.as_deref(), "{} {}", g.good, m.line);
            lines += 1;
        }
    }
    assert!(lines > 30, "the demo has more than 30 BOM lines, {lines} compared");
    let with_lot = report.goods.iter().flat_map(|g| &g.determination.materials).filter(|m| m.lot.is_some()).count();
    let traced =
        report.goods.iter().flat_map(|g| &g.determination.materials).filter(|m| m.traced_origin.is_some()).count();
    assert!(with_lot > 0 && traced > 0, "the demo's provenance traces some lots: {with_lot} lots, {traced} traced");
}

/// A rule's review status is written as the pack files and `rules explain` spell it.
#[test]
fn review_statuses_are_written_as_the_pack_spells_them() {
    use origin_rules::Review;
    for r in [
        Review::Verified,
        Review::UnverifiedTranscription,
        Review::Paraphrase,
        Review::Incomplete,
        Review::ImportedUnreviewed,
    ] {
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        assert_eq!(serde_json::from_value::<v1::Review>(r.as_str().into()).unwrap(), r);
    }
}

/// `run --out` streams the report through the one pipeline (`run_job` into a `ReportSink`, chunk by
/// chunk): compact or indented, for one batch file or several (an array), it is the JSON of the reports
/// held in memory, and the compact form is one line.
#[test]
fn the_pipeline_writes_the_held_reports_compact_or_pretty() {
    let paths = batches();
    let held: Vec<Value> =
        paths.iter().map(|p| serde_json::to_value(common::run(&load_batch(p).unwrap())).unwrap()).collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for pretty in [false, true] {
        for n in [1, paths.len()] {
            let batches = paths[..n].iter().map(|p| load_batch(p).unwrap()).collect();
            let opts = RunOptions { as_of: None, threads: Some(1) };
            // Chunks of 3 goods: the demo's 13 goods reach the sink in 5 chunks.
            let job = AuditJob::new(Arc::new(pack().clone()), batches, opts, 3);
            let mut sink = ReportSink::writer(Vec::new(), pretty, n).unwrap();
            let done = rt.block_on(run_job(&job, Arc::new(Progress::default()), &mut sink)).unwrap();
            assert_eq!(done.batches.len(), n);
            let text = String::from_utf8(sink.into_inner().unwrap()).unwrap();
            let written: Value = serde_json::from_str(&text).unwrap();
            let want = if n == 1 { held[0].clone() } else { Value::Array(held[..n].to_vec()) };
            assert_eq!(written, want, "pretty {pretty}, {n} batch(es)");
            assert_eq!(text.lines().count() == 1, !pretty, "pretty {pretty}: {} lines", text.lines().count());
        }
    }
}
