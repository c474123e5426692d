//! The batch readers' fuzz corpora and crash inputs, replayed (docs/security.md, "Fuzzing"): every
//! file under `fuzz/corpus/TARGET/` and `fuzz/regressions/TARGET/` goes through the same entry point
//! as the fuzz target (`fuzz/src/batch.rs`, included here) and must not panic. Errors are fine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code, reason = "the fuzz targets' own temporary-directory variant is not used here")]
#[path = "../../../fuzz/src/batch.rs"]
mod harness;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn batch_yaml_corpus_reads_without_panic() {
    replay("batch_yaml", harness::batch_yaml);
}

#[test]
fn batch_json_corpus_reads_without_panic() {
    replay("batch_json", harness::batch_json);
}

#[test]
fn bom_csv_corpus_reads_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    harness::csv_dir(dir.path()).unwrap();
    replay("bom_csv", |d| harness::bom_csv_in(dir.path(), d));
}

#[test]
fn bom_xlsx_corpus_reads_without_panic() {
    replay("bom_xlsx", harness::bom_xlsx);
}
