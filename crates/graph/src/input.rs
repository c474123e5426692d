//! The provenance file: plain serde types, the shape users write in YAML or JSON.
//!
//! These types only carry what the file says. [`crate::GraphBuilder`] turns them into a checked
//! [`crate::ProvenanceGraph`]; nothing here is validated beyond what serde and the core newtypes check.
//! The crate itself never reads YAML: callers deserialize with the format of their choice.

use chrono::NaiveDate;
use origin_core::{Country, Decimal, HsCode, Money, Percent};
use schemars::JsonSchema;
use serde::Deserialize;

/// A whole provenance file: sites, lots, shipments and transformations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceInput {
    /// How much more may leave a lot (shipped or consumed) than arrived at a site before it is an
    /// error, as a percentage of what arrived; also the tolerance of the transformation mass check.
    /// Zero when absent.
    #[serde(default)]
    pub mass_balance_tolerance: Option<Percent>,
    /// Mines, mills, plants, ports, warehouses and free-trade zones.
    #[serde(default)]
    pub sites: Vec<SiteInput>,
    /// Lots of goods, raw or produced by a transformation.
    #[serde(default)]
    pub lots: Vec<LotInput>,
    /// Movements of a lot from one site to another.
    #[serde(default)]
    pub shipments: Vec<ShipmentInput>,
    /// Input lots turned into an output lot at a site.
    #[serde(default)]
    pub transformations: Vec<TransformationInput>,
}

/// A place where goods are made, stored or handled.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    /// Unique site id.
    pub id: String,
    /// Country the site is in.
    pub country: Country,
    /// What kind of site it is.
    pub kind: SiteKind,
    /// The entity operating the site.
    pub operator: String,
    /// The ultimate owner of the operator, when known.
    #[serde(default)]
    pub owner: Option<String>,
}

/// The closed list of site kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SiteKind {
    /// Extracts raw materials.
    Mine,
    /// Makes primary metal or other basic materials.
    Mill,
    /// Manufactures or assembles.
    Plant,
    /// Sea, air or land port.
    Port,
    /// Stores goods.
    Warehouse,
    /// Free-trade zone or bonded area.
    FreeTradeZone,
}

impl SiteKind {
    /// The word used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Mine => "mine",
            SiteKind::Mill => "mill",
            SiteKind::Plant => "plant",
            SiteKind::Port => "port",
            SiteKind::Warehouse => "warehouse",
            SiteKind::FreeTradeZone => "free-trade-zone",
        }
    }
}

/// A lot of goods: created at a site on a date, raw (no transformation produces it) or produced.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LotInput {
    /// Unique lot id.
    pub id: String,
    /// Classification of the goods in the lot.
    pub hs: HsCode,
    /// Quantity, in `unit`.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub quantity: Decimal,
    /// Unit of `quantity`: `kg`, `t`, `g`, `lb` are mass units and compared across lots; any other
    /// unit (`pcs`, `m`) is compared only with itself.
    pub unit: String,
    /// The site where the lot came into being (was mined, made or produced).
    pub site: String,
    /// The date the lot came into being.
    pub date: NaiveDate,
    /// The origin its supplier declares.
    pub declared_origin: Country,
    /// The lot's value, when known.
    #[serde(default)]
    pub value: Option<Money>,
    /// The material (BOM line) this lot supplies, when known; `trace --material` selects on it.
    #[serde(default)]
    pub material: Option<String>,
}

/// A lot (or part of it) moving from one site to another.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentInput {
    /// Unique event id (shared with transformations).
    pub id: String,
    /// The lot moved.
    pub lot: String,
    /// Site it left.
    pub from: String,
    /// Site it reached.
    pub to: String,
    /// Date it left.
    pub departed: NaiveDate,
    /// Date it arrived.
    pub arrived: NaiveDate,
    /// Bill of lading, airway bill or other transport document number.
    pub document: String,
    /// Whether the goods stayed under customs control for the whole movement (bonded transit).
    pub customs_control: bool,
    /// Quantity moved, in the lot's unit; the whole lot when absent.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub quantity: Option<Decimal>,
}

/// Input lots turned into one output lot at a site.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransformationInput {
    /// Unique event id (shared with shipments).
    pub id: String,
    /// The lots consumed and how much of each.
    pub inputs: Vec<InputQuantity>,
    /// The lot produced; its `site` must be this transformation's site.
    pub output: String,
    /// Where the work was done.
    pub site: String,
    /// What was done.
    pub operation: Operation,
    /// When it was done.
    pub date: NaiveDate,
    /// Value added by this step (labour, overhead, profit, non-traced materials), when known.
    #[serde(default)]
    pub value_added: Option<Money>,
}

/// One input of a transformation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputQuantity {
    /// The lot consumed.
    pub lot: String,
    /// How much of it, in the lot's unit.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub quantity: Decimal,
}

/// The closed vocabulary of operations a transformation can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Melting and pouring of metal (the "melted and poured" test for steel).
    MeltingAndPouring,
    /// Casting into a shape.
    Casting,
    /// Forging.
    Forging,
    /// Hot or cold rolling.
    Rolling,
    /// Drawing wire, bar or tube.
    Drawing,
    /// Stamping or pressing sheet.
    Stamping,
    /// Machining.
    Machining,
    /// Heat treatment (annealing, quenching, tempering).
    HeatTreatment,
    /// Welding.
    Welding,
    /// Moulding (plastics, rubber, glass).
    Moulding,
    /// Chemical reaction.
    ChemicalReaction,
    /// Weaving or knitting fabric.
    Weaving,
    /// Cutting and sewing made-up textiles.
    CuttingAndSewing,
    /// Assembly of parts into a new article.
    Assembly,
    /// Simple assembly: putting together a few parts without other processing.
    SimpleAssembly,
    /// Painting or coating.
    Painting,
    /// Labelling or marking required by the importer.
    Labelling,
    /// Replacing labels or marks, including origin marks.
    Relabelling,
    /// Repacking or changing packaging.
    Repacking,
    /// Sorting or grading.
    Sorting,
    /// Separation from bulk or splitting of a consignment.
    Splitting,
    /// Dilution with water or another substance that does not materially alter the goods.
    Dilution,
    /// Testing or inspection.
    Testing,
}

impl Operation {
    /// Every operation, in file order.
    pub const ALL: [Operation; 23] = [
        Operation::MeltingAndPouring,
        Operation::Casting,
        Operation::Forging,
        Operation::Rolling,
        Operation::Drawing,
        Operation::Stamping,
        Operation::Machining,
        Operation::HeatTreatment,
        Operation::Welding,
        Operation::Moulding,
        Operation::ChemicalReaction,
        Operation::Weaving,
        Operation::CuttingAndSewing,
        Operation::Assembly,
        Operation::SimpleAssembly,
        Operation::Painting,
        Operation::Labelling,
        Operation::Relabelling,
        Operation::Repacking,
        Operation::Sorting,
        Operation::Splitting,
        Operation::Dilution,
        Operation::Testing,
    ];

    /// The word used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::MeltingAndPouring => "melting-and-pouring",
            Operation::Casting => "casting",
            Operation::Forging => "forging",
            Operation::Rolling => "rolling",
            Operation::Drawing => "drawing",
            Operation::Stamping => "stamping",
            Operation::Machining => "machining",
            Operation::HeatTreatment => "heat-treatment",
            Operation::Welding => "welding",
            Operation::Moulding => "moulding",
            Operation::ChemicalReaction => "chemical-reaction",
            Operation::Weaving => "weaving",
            Operation::CuttingAndSewing => "cutting-and-sewing",
            Operation::Assembly => "assembly",
            Operation::SimpleAssembly => "simple-assembly",
            Operation::Painting => "painting",
            Operation::Labelling => "labelling",
            Operation::Relabelling => "relabelling",
            Operation::Repacking => "repacking",
            Operation::Sorting => "sorting",
            Operation::Splitting => "splitting",
            Operation::Dilution => "dilution",
            Operation::Testing => "testing",
        }
    }

    /// A bit for sets of operations.
    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }
}
