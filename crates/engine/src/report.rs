//! The report as a published, versioned format: [`v1`] is what `run --out`, the store, the JSON API,
//! the web pages and the exports read and write.
//!
//! Why a second set of types beside the engine's: the engine's own output types share the batch's
//! texts (`Arc<str>`), keep explanations as data and write them out only when serialised, which is what
//! keeps a 5,000,000-line batch cheap. Readers need owned values they can deserialise and match on.
//! The engine's serialiser is held to these types by tests (`crates/engine/tests/report_schema.rs`):
//! every report it writes reads back into [`v1::Report`] and writes out again to the same JSON, and
//! validates against `docs/report.schema.json`, which is generated from these types.

/// Version 1 of the report. Adding an optional field keeps the version; renaming a field, removing
/// one or changing its meaning makes a `v2` module beside this one.
pub mod v1 {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;
    use origin_core::{Country, Decimal};
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    pub use crate::audit::{Outcome, Values};
    pub use crate::certificate::CertificateDraft;
    pub use crate::checks::material_status::Status;
    pub use crate::finding::{Code, Finding, Severity};
    pub use crate::input::Role;
    pub use origin_rules::Review;

    /// The shape version this module reads and writes.
    pub const VERSION: u32 = 1;

    /// One batch's report (`run --out report.json`).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Report {
        /// Shape version: 1.
        pub version: u32,
        /// Batch id.
        pub batch: String,
        /// The batch file, as given on the command line.
        pub file: String,
        /// Party of importation.
        pub importing_party: String,
        /// Determination date.
        pub as_of: NaiveDate,
        /// Currency of every value.
        pub currency: String,
        /// Rule pack used, `id@version`.
        pub rule_pack: String,
        /// Version of the engine that wrote the report.
        pub engine_version: String,
        /// Problems outside goods (parties, rates, certifications, provenance).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub input_warnings: Vec<String>,
        /// Counts.
        pub summary: Summary,
        /// Every good, in batch order.
        pub goods: Vec<Good>,
    }

    /// Counts over the goods of a report (or of a stored run).
    #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Summary {
        /// Goods audited.
        pub goods: u64,
        /// Qualified.
        pub qualified: u64,
        /// Not qualified.
        pub not_qualified: u64,
        /// Needs evidence.
        pub needs_evidence: u64,
        /// Qualified goods by origin criterion.
        pub by_criterion: BTreeMap<Criterion, u64>,
        /// Findings by severity.
        pub findings_by_severity: BTreeMap<Severity, u64>,
        /// Findings by code.
        pub findings_by_code: BTreeMap<Code, u64>,
        /// Certificate drafts produced.
        pub certificates: u64,
    }

    /// One good: its determination, its findings and, when it qualified with nothing blocking, the
    /// certificate draft.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Good {
        /// Good id.
        pub good: String,
        /// Description.
        pub description: String,
        /// Classification as the batch gives it.
        pub hs: String,
        /// The determination.
        pub determination: Determination,
        /// The findings.
        pub findings: Vec<Finding>,
        /// The certificate draft (Annex 5-A data elements).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub certificate: Option<CertificateDraft>,
    }

    /// USMCA origin criteria (Annex 5-A element 7; Art. 4.2).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
    pub enum Criterion {
        /// Wholly obtained or produced.
        A,
        /// Produced from non-originating materials meeting the product-specific rule.
        B,
        /// Produced exclusively from originating materials.
        C,
        /// Art. 4.2(d): unassembled goods or parts classified with the good, RVC met.
        D,
    }

    /// The determination for a good: everything an auditor needs to redo it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Determination {
        /// Qualified, not qualified, needs evidence.
        pub outcome: Outcome,
        /// Origin criterion, when qualified.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub criterion: Option<Criterion>,
        /// One sentence.
        pub summary: String,
        /// The rule applied.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rule: Option<Rule>,
        /// The label of the alternative that was met.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub alternative: Option<String>,
        /// The values used, in the batch currency.
        pub values: Values,
        /// Every alternative of the rule, with how it fared.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub alternatives: Vec<Alternative>,
        /// Criterion D's RVC, when tried.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub criterion_d_rvc: Vec<RvcMethod>,
        /// Every BOM line.
        pub materials: Vec<Material>,
        /// Caveats every reader must see (unverified, paraphrased or incomplete rules).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub caveats: Vec<String>,
    }

    /// The rule applied.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Rule {
        /// Rule id in the pack.
        pub id: String,
        /// Codes it covers.
        pub hs: String,
        /// Where the law says it.
        pub citation: String,
        /// How far its text can be trusted.
        pub review: Review,
        /// The caveat outputs must carry, for a rule that is not verified.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub caveat: Option<String>,
        /// The rule's text, verbatim.
        pub text: String,
        /// How the good's code was read in the rule's HS edition, when it is not the code as given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub hs_mapping: Option<String>,
    }

    /// How an alternative of the rule fared.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
    pub enum AlternativeState {
        /// Every requirement met.
        #[serde(rename = "met")]
        Met,
        /// A requirement not met.
        #[serde(rename = "not met")]
        NotMet,
        /// A fact is missing to decide.
        #[serde(rename = "undetermined")]
        Undetermined,
        /// The alternative covers other goods of the rule.
        #[serde(rename = "not applicable")]
        NotApplicable,
    }

    /// The tariff-shift verdict of an alternative.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
    pub enum ShiftState {
        /// Every non-originating material makes the change.
        #[serde(rename = "met")]
        Met,
        /// At least one does not.
        #[serde(rename = "not met")]
        NotMet,
        /// None fails, but a fact is missing for at least one.
        #[serde(rename = "undetermined")]
        Undetermined,
        /// The alternative asks for no change in tariff classification.
        #[serde(rename = "no change required")]
        NoChangeRequired,
    }

    /// One alternative of the rule.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Alternative {
        /// Its label in the rule (`A`, `B`, ...).
        pub label: String,
        /// The requirement in plain words.
        pub requirement: String,
        /// How it fared.
        pub outcome: AlternativeState,
        /// The tariff shift's verdict, when the alternative has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub shift: Option<ShiftState>,
        /// BOM lines that fail the shift.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub failing_materials: Vec<String>,
        /// De minimis, when the shift failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub de_minimis: Option<DeMinimis>,
        /// The RVC, when required.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rvc: Option<Rvc>,
        /// Why it is not met or undetermined.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub reasons: Vec<String>,
    }

    /// De minimis (Art. 4.12) for the materials that fail a shift.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct DeMinimis {
        /// Value of the failing materials.
        #[schemars(with = "DecimalText")]
        pub failing_value: Decimal,
        /// Their share of the adjusted transaction value, percent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(with = "Option<DecimalText>")]
        pub share_of_adjusted_tv: Option<Decimal>,
        /// Their share of the total cost, percent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(with = "Option<DecimalText>")]
        pub share_of_total_cost: Option<Decimal>,
        /// The limit, percent.
        #[schemars(with = "DecimalText")]
        pub threshold: Decimal,
        /// Whether it rescues the shift.
        pub applies: bool,
        /// Why it does not, when a rule excludes the materials.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub excluded: Option<String>,
    }

    /// The RVC of an alternative.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Rvc {
        /// Each method computed.
        pub methods: Vec<RvcMethod>,
        /// Methods the rule allows that the batch lacks values for.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub missing_data: Vec<Method>,
        /// Met by at least one method.
        pub met: bool,
    }

    /// An RVC method (Art. 4.5).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "kebab-case")]
    pub enum Method {
        /// (TV - VNM) / TV.
        TransactionValue,
        /// (NC - VNM) / NC.
        NetCost,
    }

    /// One method's computation: `(base - vnm) / base x 100` against the threshold.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct RvcMethod {
        /// The method.
        pub method: Method,
        /// Adjusted transaction value or net cost.
        #[schemars(with = "DecimalText")]
        pub base: Decimal,
        /// Value of non-originating materials.
        #[schemars(with = "DecimalText")]
        pub vnm: Decimal,
        /// The RVC, percent, exact (may be negative when VNM exceeds the base).
        #[schemars(with = "DecimalText")]
        pub rvc: Decimal,
        /// The threshold, percent.
        #[schemars(with = "DecimalText")]
        pub threshold: Decimal,
        /// Whether the RVC reaches the threshold.
        pub met: bool,
        /// How much VNM must fall to meet it (0 when met).
        #[schemars(with = "DecimalText")]
        pub shortfall: Decimal,
    }

    /// One BOM line's part in the determination.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Material {
        /// BOM line id.
        pub line: String,
        /// Part number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub part: Option<String>,
        /// Description.
        pub description: String,
        /// Classification as given, or `unknown`.
        pub hs: String,
        /// Value (quantity x unit value), batch currency.
        #[schemars(with = "DecimalText")]
        pub value: Decimal,
        /// Value counted as non-originating (after roll-up).
        #[schemars(with = "DecimalText")]
        pub vnm: Decimal,
        /// How it takes part (direct, indirect, accessory, retail packaging, packing).
        pub role: Role,
        /// Declared origin, or `unknown`.
        pub declared_origin: String,
        /// Origin traced through the provenance graph, when its lot is there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub traced_origin: Option<Country>,
        /// Supplier id, as the BOM gives it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub supplier: Option<String>,
        /// Provenance lot, as the BOM gives it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lot: Option<String>,
        /// Originating, non-originating, undetermined, disregarded.
        pub status: Status,
        /// Why.
        pub why: String,
        /// The tariff shift under the alternative applied or closest: `(A) meets: reason`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub shift: Option<String>,
    }

    /// An exact decimal written as a string (`"49.79104477"`), never a floating-point number.
    #[derive(Debug)]
    pub struct DecimalText;

    impl JsonSchema for DecimalText {
        fn is_referenceable() -> bool {
            false
        }

        fn schema_name() -> String {
            "DecimalText".to_owned()
        }

        fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
            use schemars::schema::{InstanceType, Metadata, SchemaObject, StringValidation};
            SchemaObject {
                metadata: Some(Box::new(Metadata {
                    description: Some("An exact decimal as a string.".into()),
                    ..Default::default()
                })),
                instance_type: Some(InstanceType::String.into()),
                string: Some(Box::new(StringValidation {
                    pattern: Some(r"^-?[0-9]+(\.[0-9]+)?$".into()),
                    ..Default::default()
                })),
                ..Default::default()
            }
            .into()
        }
    }

    /// The JSON Schema of [`Report`] (draft-07), for docs/report.schema.json (`origin-audit report
    /// schema`).
    pub fn json_schema() -> serde_json::Value {
        let schema = schemars::r#gen::SchemaSettings::draft07().into_generator().into_root_schema_for::<Report>();
        serde_json::to_value(schema).unwrap_or_default()
    }
}
