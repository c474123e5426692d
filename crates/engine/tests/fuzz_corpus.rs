//! The batch readers' fuzz corpora and crash inputs, replayed (docs/security.md, "Fuzzing"): every
//! file under `fuzz/corpus/TARGET/` and `fuzz/regressions/TARGET/` goes through the same entry point
//! as the fuzz target (`fuzz/src/batch.rs`, included here) and must not panic. Errors are fine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code, reason = "the fuzz targets' own temporary-directory variant is not used here")]
#[path = "../../../fuzz/src/batch.rs"]
mod harness;

use std::path::{Path, PathBuf};

/// The committed inputs of `target`: its minimised corpus, then its regression inputs.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut out = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(rd) = std::fs::read_dir(fuzz.join(dir).join(target)) {
            out.extend(rd.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
        }
    }
    out.sort();
    assert!(out.len() >= 5, "fuzz/corpus/{target} holds {} files; the corpus is committed", out.len());
    out
}

/// Runs `f` on every input of `target`; fails naming each input that panicked.
fn replay(target: &str, f: impl Fn(&[u8])) {
    let mut panicked = Vec::new();
    for p in inputs(target) {
        let data = std::fs::read(&p).unwrap();
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&data))).is_err() {
            panicked.push(p.display().to_string());
        }
    }
    assert!(panicked.is_empty(), "{target}: these inputs panicked: {panicked:#?}");
}

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
