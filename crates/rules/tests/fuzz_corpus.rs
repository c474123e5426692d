//! The fuzz corpora and crash inputs of the rule-pack loader and the legal-text importer, replayed
//! (docs/security.md, "Fuzzing"): every file under `fuzz/corpus/TARGET/` and `fuzz/regressions/TARGET/`
//! goes through the same entry point as the fuzz target (`fuzz/src/rules.rs`, included here) and must
//! not panic. Errors are fine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../fuzz/src/rules.rs"]
mod harness;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn rule_pack_corpus_loads_without_panic() {
    replay("rule_pack", harness::rule_pack);
}

#[test]
fn legal_import_corpus_imports_without_panic() {
    replay("legal_import", harness::legal_import);
}
