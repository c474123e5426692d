//! The plain-data policies the graph is traced under. The values come from the rule pack; the graph
//! never guesses one.

use origin_core::{Country, HsLevel, Percent};

use crate::input::Operation;

/// When a transformation confers the origin of the country where it happens.
///
/// A transformation confers origin only when it meets every test that is set: its operation is not
/// in `non_conferring`, every input's HS code differs from the output's at `min_tariff_shift`, value
/// added is at least `min_value_added` of the output's value, and the inputs stayed at the site at least
/// `min_dwell_days`. A test left at `None` is not applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransformationPolicy {
    /// Operations that never confer origin (relabelling, repacking, dilution...).
    pub non_conferring: Vec<Operation>,
    /// Operations allowed on a good outside the Parties without losing its status (USMCA Art. 4.18:
    /// unloading, reloading, separation from bulk, storing, labelling required by the importer).
    pub transit_permitted: Vec<Operation>,
    /// The level at which the output's HS code must differ from every input's.
    pub min_tariff_shift: Option<HsLevel>,
    /// Minimum value added, as a share of the output's value.
    pub min_value_added: Option<Percent>,
    /// Minimum whole days between the inputs reaching the site and the output leaving it.
    pub min_dwell_days: Option<u32>,
}

impl TransformationPolicy {
    pub(crate) fn op_bits(ops: &[Operation]) -> u32 {
        ops.iter().fold(0, |acc, op| acc | op.bit())
    }
}

/// Routes known for transshipment, e.g. China -> an ASEAN member -> Mexico.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorridorPolicy {
    /// The named corridors; the first 8 are used.
    pub corridors: Vec<Corridor>,
}

/// A named corridor: a sequence of country sets a material passes through in order.
///
/// A material's route matches when the countries it visits, with repeats collapsed, contain the legs
/// one after another with nothing between them; a leg may span several visits (Vietnam then
/// Thailand both count as one ASEAN leg). A transformation that confers origin starts a new route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corridor {
    /// Name shown in signals, e.g. `china-asean-mexico`.
    pub name: String,
    /// The legs, 2 to 7 of them (legs after the seventh are not matched).
    pub legs: Vec<Vec<Country>>,
}
