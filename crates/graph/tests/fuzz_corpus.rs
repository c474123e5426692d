//! The provenance builder's fuzz corpus and crash inputs, replayed (docs/security.md, "Fuzzing"): every
//! file under `fuzz/corpus/TARGET/` and `fuzz/regressions/TARGET/` goes through the same entry point
//! as the fuzz target (`fuzz/src/provenance.rs`, included here) and must not panic. Errors are fine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../fuzz/src/provenance.rs"]
mod harness;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn provenance_corpus_builds_and_traces_without_panic() {
    replay("provenance", harness::provenance);
}
