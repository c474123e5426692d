//! The provenance builder's fuzz corpus and crash inputs, replayed (docs/security.md, "Fuzzing"): every
//! file under `fuzz/corpus/TARGET/` and `fuzz/regressions/TARGET/` goes through the same entry point
//! as the fuzz target (`fuzz/src/provenance.rs`, included here) and must not panic. Errors are fine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../fuzz/src/provenance.rs"]
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
fn provenance_corpus_builds_and_traces_without_panic() {
    replay("provenance", harness::provenance);
}
