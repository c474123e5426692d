//! The audit engine: batch input, the pure audit of each good, findings, certificate drafts, and the
//! batch runner. The audit itself ([`audit::audit_good`]) does no IO; reading files and running batches
//! live in [`input`] and [`run`].

pub mod audit;
pub mod certificate;
pub mod checks;
pub mod finding;
pub mod r#gen;
pub mod input;
pub mod provenance;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sink;
