//! Provenance as a graph: sites, lots, shipments and transformations; the traced origin of every lot;
//! transshipment and laundering signals with their evidence; pictures of a lot's path.
//!
//! The steps are separate, each with its own types:
//! 1. [`ProvenanceInput`] (or [`GraphBuilder`] record by record): plain serde data as the user wrote it.
//! 2. [`ProvenanceGraph::build`]: checks everything and returns every error ([`BuildErrors`]).
//! 3. [`Trace::run`]: traced origin of every lot under a [`TransformationPolicy`], and signals under a
//!    [`CorridorPolicy`], in one pass over the lots in topological order.
//! 4. [`render`]: a text tree, Graphviz DOT or SVG of the path of one lot (DOT and SVG: of several).
//!
//! The crate reads no files and knows no file format: callers deserialize [`ProvenanceInput`].

mod build;
mod input;
mod intern;
mod policy;
pub mod render;
mod report;
mod trace;

pub use build::{BuildError, BuildErrorKind, BuildErrors, GraphBuilder, LotIx, ProvenanceGraph, SiteIx};
pub use input::{
    InputQuantity, LotInput, Operation, ProvenanceInput, ShipmentInput, SiteInput, SiteKind, TransformationInput,
};
pub use policy::{Corridor, CorridorPolicy, TransformationPolicy};
pub use report::{Contribution, Evidence, LotReport, REPORT_VERSION, SignalReport, TraceReport};
pub use trace::{Assessment, RawSignal, ShareBasis, SignalCode, Trace};
