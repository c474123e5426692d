//! USMCA rule packs: YAML files -> checked, typed [`RuleSet`].
//!
//! Three steps with separate types: [`raw`] (serde, shape only, unknown keys rejected), `resolve`
//! (every value checked, every problem collected as a located [`Diagnostic`]), and the typed [`model`].
//! [`shift`] gives the tariff-shift semantics the engine applies to each material; [`explain`] puts a
//! rule into plain words. [`PackSource`] names the pack used: the USMCA pack built into the crate (from
//! `rules/usmca` at build time, the default) or a directory. This crate knows nothing of provenance
//! graphs or databases.
//! [`nomenclature`] reads codes of the goods' HS edition in the edition the rules are written in.

pub mod diag;
pub mod explain;
pub mod import;
pub mod kinds;
mod load;
pub mod locate;
mod lookup;
pub mod model;
pub mod nomenclature;
pub mod raw;
mod resolve;
pub mod scenario;
pub mod shift;
mod source;

pub use diag::{Diagnostic, Severity};
pub use kinds::{Kind, KindVocabulary, KindsAsked};
pub use load::{Loaded, load_files, load_pack};
pub use lookup::{Lookup, Parties, RuleQuery};
pub use model::*;
pub use nomenclature::{Correlation, Nomenclature, NomenclatureError};
pub use resolve::KNOWN_OPERATIONS;
pub use source::{BUILTIN_NAME, PackError, PackFiles, PackSource};
