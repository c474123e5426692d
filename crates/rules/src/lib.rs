//! USMCA rule packs: YAML files -> checked, typed [`RuleSet`].
//!
//! Three steps with separate types: [`raw`] (serde, shape only, unknown keys rejected), `resolve`
//! (every value checked, every problem collected as a located [`Diagnostic`]), and the typed [`model`].
//! [`shift`] gives the tariff-shift semantics the engine applies to each material; [`explain`] puts a
//! rule into plain words. This crate knows nothing of provenance graphs or databases.

pub mod diag;
pub mod explain;
pub mod import;
mod load;
pub mod locate;
mod lookup;
pub mod model;
pub mod raw;
mod resolve;
pub mod shift;

pub use diag::{Diagnostic, Severity};
pub use load::{Loaded, load_pack};
pub use lookup::{Lookup, Parties, RuleQuery};
pub use model::*;
pub use resolve::KNOWN_OPERATIONS;
