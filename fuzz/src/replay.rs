//! Replays a fuzz target's committed inputs in `cargo test`, shared by the `fuzz_corpus.rs` tests of
//! engine, rules and graph (each includes this file by path beside its harness; docs/security.md,
//! "Fuzzing"). Not part of the fuzz crate.

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
pub fn replay(target: &str, f: impl Fn(&[u8])) {
    let mut panicked = Vec::new();
    for p in inputs(target) {
        let data = std::fs::read(&p).unwrap();
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&data))).is_err() {
            panicked.push(p.display().to_string());
        }
    }
    assert!(panicked.is_empty(), "{target}: these inputs panicked: {panicked:#?}");
}
