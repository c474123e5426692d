//! The fuzz targets' entry points (one file per product crate, each also included by that crate's
//! `tests/fuzz_corpus.rs`). See docs/security.md, "Fuzzing".

pub mod batch;
pub mod provenance;
pub mod rules;
