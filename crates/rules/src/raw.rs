//! The rule-pack files exactly as written: serde structs that reject unknown keys.
//!
//! Values that need checking (HS codes, thresholds, country codes, ids) stay as written here, so that the
//! resolve step can check *all* of them and report every problem with its path; only the shape is
//! enforced by serde. The JSON Schema in `docs/rule-pack.schema.json` is generated from these types.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `pack.yaml`: what the pack is and where its text comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPack {
    /// Short id, e.g. `usmca`.
    pub id: String,
    /// The agreement's full name.
    pub agreement: String,
    /// Version of this pack (not of the law).
    pub version: String,
    /// The HS nomenclature the codes follow, in words (what the copies read show).
    pub hs_vintage: String,
    /// The HS edition the rules' codes are written in (GN 11(o): `hs2017`); goods classified in another
    /// edition are mapped through `correlation`.
    pub nomenclature: crate::nomenclature::Nomenclature,
    /// The correlation table from the goods' HS edition to `nomenclature`, if the pack carries one.
    #[serde(default)]
    pub correlation: Option<RawCorrelation>,
    /// First day the pack applies.
    pub effective_from: NaiveDate,
    /// Last day the pack applies, if it ends.
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    /// The legal texts cited by the pack's entries.
    pub sources: Vec<RawSource>,
    /// Free text for rule editors.
    #[serde(default)]
    pub note: Option<String>,
}

/// A correlation table between two HS editions, carried in the pack as a CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    /// The CSV file, relative to the pack directory (header `hs2022,hs2017`, six-digit codes).
    pub file: String,
    /// The edition goods are classified in (the CSV's first column).
    pub from: crate::nomenclature::Nomenclature,
    /// The edition of the rules (the CSV's second column); must be the pack's `nomenclature`.
    pub to: crate::nomenclature::Nomenclature,
    /// SHA-256 of the file as published by its source, in lowercase hex: an edited file is refused.
    pub sha256: String,
    /// Where the table comes from.
    pub citation: RawCitation,
    /// Free text for rule editors.
    #[serde(default)]
    pub note: Option<String>,
}

/// A legal text the pack cites.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Id used in `citation.source`.
    pub id: String,
    /// Title of the text.
    pub title: String,
    /// Where a copy was read.
    #[serde(default)]
    pub url: Option<String>,
    /// Caveats about the copy (revision shown, completeness).
    #[serde(default)]
    pub note: Option<String>,
}

/// Where an entry's legal text comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCitation {
    /// A source id from `pack.yaml`.
    pub source: String,
    /// Where in the source, e.g. `GN 11(o), chapter 85, rule 27`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Page of the copy read.
    #[serde(default)]
    pub page: Option<u32>,
    /// The copy read.
    #[serde(default)]
    pub url: Option<String>,
}

/// How far an entry's transcription can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawReview {
    /// Read in full in a copy of the official text.
    Verified,
    /// Read only in a third-party transcription.
    UnverifiedTranscription,
    /// Not the law's words (a transcriber's statement of the rule): blocks certificates until reviewed.
    Paraphrase,
    /// The copy read stops inside the entry; only the certain part is encoded.
    Incomplete,
    /// Written by `rules import`, not yet reviewed.
    ImportedUnreviewed,
}

/// `psr/chNN.yaml`: the product-specific rules of one chapter.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChapterFile {
    /// The HS chapter, 1-97.
    pub chapter: u8,
    /// Chapter rules and notes, verbatim.
    #[serde(default)]
    pub chapter_rules: Vec<RawChapterRule>,
    /// The product-specific rules.
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

/// A chapter rule or note (definitions the rules rely on).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChapterRule {
    /// Unique id.
    pub id: String,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    pub text: String,
    /// What the copy does not show.
    #[serde(default)]
    pub missing: Option<String>,
    /// Free text for rule editors.
    #[serde(default)]
    pub note: Option<String>,
}

/// A product-specific rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Unique id.
    pub id: String,
    /// Codes and ranges the rule covers, as written (`8708.40`, `8413.50-8413.60`).
    pub hs: Vec<String>,
    /// Uses the rule is limited to; absent = any use.
    #[serde(default, rename = "use")]
    pub uses: Option<Vec<String>>,
    /// The rule covers only goods of this description.
    #[serde(default)]
    pub good_kind: Option<String>,
    /// The rule covers goods of its codes other than these descriptions.
    #[serde(default)]
    pub good_kind_other_than: Option<Vec<String>>,
    /// The trade the rule applies to, by exporting and importing Party; absent = all trade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade: Option<RawTrade>,
    /// First day in force (default: the pack's).
    #[serde(default)]
    pub effective_from: Option<NaiveDate>,
    /// Last day in force (default: the pack's).
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    /// Whether GN 11(k) may apply (`applies` / `unknown`).
    #[serde(default)]
    pub motor_vehicle_provisions: Option<String>,
    /// Source.
    pub citation: Option<RawCitation>,
    /// Trust.
    pub review: RawReview,
    /// A "Subheading rule: ..." sentence printed before the rule.
    #[serde(default)]
    pub preamble: Option<String>,
    /// Verbatim text.
    pub text: Option<String>,
    /// Alternatives; any one met is enough.
    #[serde(default)]
    pub alternatives: Vec<RawAlternative>,
    /// With `review: incomplete`: what the copy does not show.
    #[serde(default)]
    pub missing: Option<String>,
    /// Free text for rule editors.
    #[serde(default)]
    pub note: Option<String>,
}

/// The trade a rule applies to (GN 11(o) chapters 51, 55, 58): exactly one key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTrade {
    /// "trade between the territory of Canada and the territory of the United States": `[CA, US]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<Vec<String>>,
    /// "all other trade": every trade other than between these Parties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_than_between: Option<Vec<String>>,
}

/// One alternative of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAlternative {
    /// The letter the text uses, or `-`.
    pub label: String,
    /// The goods this alternative is for, when it names only some of the rule's codes ("(B) No change in
    /// tariff classification to a good of subheading 7106.91" in the rule for 7106.10-7106.92). Absent:
    /// every code of the rule. Each code must lie within the rule's `hs`; a good outside them cannot use
    /// the alternative.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hs: Vec<String>,
    /// The alternative covers only goods of this description.
    #[serde(default)]
    pub good_kind: Option<String>,
    /// The alternative covers goods other than these descriptions.
    #[serde(default)]
    pub good_kind_other_than: Option<Vec<String>>,
    /// Tariff-shift requirement.
    #[serde(default)]
    pub shift: Option<RawShift>,
    /// "No change in tariff classification ... provided ...".
    #[serde(default)]
    pub no_change_required: Option<bool>,
    /// Regional value content requirement.
    #[serde(default)]
    pub rvc: Option<RawRvc>,
    /// Named special conditions.
    #[serde(default)]
    pub conditions: Vec<RawCondition>,
}

/// A tariff-shift requirement on each non-originating material.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawShift {
    /// `chapter`, `heading`, `subheading` or `tariff-item`: "from any other ...". Absent when the text
    /// allows only the listed sources ("A change to ... from tariff item 8415.90.40 or ...").
    #[serde(default)]
    pub from: Option<String>,
    /// `outside` or `including-within`.
    #[serde(default)]
    pub group: Option<String>,
    /// Materials of the good's own subheading are allowed ("from any other good within that subheading").
    #[serde(default)]
    pub within: Option<bool>,
    /// Materials allowed besides `from`.
    #[serde(default)]
    pub also_from: Vec<RawMaterialSpec>,
    /// Materials never allowed.
    #[serde(default)]
    pub except: Vec<RawMaterialSpec>,
    /// Numbered items; the shift fails when non-originating materials fall in two or more of them.
    #[serde(default)]
    pub except_more_than_one_of: Vec<RawMaterialSpec>,
}

/// Materials named by codes and, optionally, a kind within them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMaterialSpec {
    /// Codes and ranges; may be absent when the text names a kind of material only
    /// ("assemblies incorporating more than one of the following: ...").
    #[serde(default)]
    pub hs: Vec<String>,
    /// A kind of material within the codes ("printed circuit assemblies").
    #[serde(default)]
    pub kind: Option<String>,
}

/// RVC thresholds: met by TV **or** NC; NC alone means net cost only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRvc {
    /// Threshold under the transaction value method, percent.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub tv: Option<Decimal>,
    /// Threshold under the net cost method, percent.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub nc: Option<Decimal>,
}

/// A special condition the BOM cannot show.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    /// Id, unique within the rule.
    pub id: String,
    /// Verbatim condition text.
    pub text: String,
}

/// `general.yaml`: Chapter 4 general provisions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGeneral {
    /// The origin criteria A-D (Art. 4.2) and criterion D's RVC thresholds.
    pub origin_criteria: RawOriginCriteria,
    /// Indirect materials are originating wherever produced (Art. 4.9).
    #[serde(default)]
    pub indirect_materials: Option<RawProvision>,
    /// Accessories, spare parts, tools delivered with the good (Art. 4.14): disregarded for the shift,
    /// counted in RVC.
    #[serde(default)]
    pub accessories: Option<RawProvision>,
    /// Retail packaging classified with the good (Art. 4.15): disregarded for the shift, counted in RVC.
    #[serde(default)]
    pub retail_packaging: Option<RawProvision>,
    /// Packing materials and containers for shipment (Art. 4.16): disregarded entirely.
    #[serde(default)]
    pub packing_materials: Option<RawProvision>,
    /// Regional value content methods.
    pub rvc: RawRvcGeneral,
    /// De minimis.
    pub de_minimis: RawDeMinimis,
    /// Sets of goods.
    #[serde(default)]
    pub sets: Option<RawSets>,
    /// Operations that never make a good originating.
    #[serde(default)]
    pub non_qualifying_operations: Vec<RawOperation>,
    /// Art. 4.18 transit and transshipment.
    #[serde(default)]
    pub transit: Option<RawTransit>,
    /// Low-value waivers of certification per importing Party.
    #[serde(default)]
    pub low_value_waiver: Vec<RawLowValueWaiver>,
    /// Goods deemed originating whatever the product rule says (GN 11(p); 19 U.S.C. 4531(c)(1)(E)).
    #[serde(default)]
    pub deemed_originating: Option<RawDeemedOriginating>,
    /// Provisions deliberately not encoded, with why.
    #[serde(default)]
    pub not_encoded: Vec<RawNotEncoded>,
}

/// Goods deemed originating when imported into one Party from another (GN 11(p)).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeemedOriginating {
    /// The Party the goods must be imported into, ISO alpha-2 (`US` for GN 11(p)).
    pub importing_party: String,
    /// The Parties they must be imported from, ISO alpha-2.
    pub from_parties: Vec<String>,
    /// The goods as the list names them, each with its HS codes (subheadings or tariff items).
    pub goods: Vec<RawDeemedGood>,
    /// Origin criterion a certificate names for such a good, or none: then no certificate draft.
    #[serde(default)]
    pub certificate_criterion: Option<String>,
    /// Why that criterion (or none).
    #[serde(default)]
    pub certificate_note: Option<String>,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// What the copy does not show (the cut part of the list).
    #[serde(default)]
    pub missing: Option<String>,
    /// Codes the cut (unread) part of the list may cover: such goods need evidence, never a "no".
    #[serde(default)]
    pub unread_part_may_cover: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// One entry of a deemed-originating list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeemedGood {
    /// The name in the first column.
    pub name: String,
    /// The provisions in the second column.
    pub hs: Vec<String>,
}

/// The origin criteria and criterion D's thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOriginCriteria {
    /// Criterion D: RVC by transaction value, percent.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub criterion_d_tv: Decimal,
    /// Criterion D: RVC by net cost, percent.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub criterion_d_nc: Decimal,
    /// Chapters criterion D never applies to.
    pub criterion_d_excluded_chapters: Vec<u8>,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// RVC methods and how thresholds compare.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRvcGeneral {
    /// `transaction-value`, `net-cost`.
    pub methods: Vec<String>,
    /// GN 11(c)(v): a rule without a TV threshold is net cost only.
    pub net_cost_only_when_rule_has_no_tv: bool,
    /// `not-less-than`: 60.00 % meets a 60 % threshold.
    pub comparison: String,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// De minimis (Art. 4.12; GN 11(e)).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeMinimis {
    /// Share of the good's value, percent.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub value_share: Decimal,
    /// `adjusted-transaction-value`, `total-cost`.
    pub bases: Vec<String>,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Materials and goods for which de minimis does not apply.
    #[serde(default)]
    pub exclusions: Vec<RawDeMinimisExclusion>,
    /// Chapters 1-27: de minimis only for a material of a different subheading.
    #[serde(default)]
    pub chapters_1_to_27_different_subheading_only: Option<RawProvision>,
    /// Textile weight rules.
    #[serde(default)]
    pub textiles: Option<RawTextiles>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// One de minimis exclusion.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeMinimisExclusion {
    /// Id.
    pub id: String,
    /// The excluded materials.
    pub materials: Vec<RawMaterialSpec>,
    /// The goods whose production the exclusion concerns.
    pub goods: Vec<String>,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A cited provision with no parameters of its own.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProvision {
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Textile de minimis by weight.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTextiles {
    /// Chapters 50-60 and heading 9619: share of the good's weight.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub chapters_50_60_and_9619_weight_share: Decimal,
    /// Chapters 61-63: share of the classifying component's weight.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub chapters_61_63_component_weight_share: Decimal,
    /// Cap on non-originating elastomeric yarns.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub elastomeric_yarn_cap: Decimal,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Sets of goods (Art. 4.17).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSets {
    /// Non-originating goods' share of the set's value, percent.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub value_share: Decimal,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A named operation with its legal basis.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOperation {
    /// Id.
    pub id: String,
    /// Plain words.
    pub description: String,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Art. 4.18: what may happen to an originating good outside the Parties.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTransit {
    /// Operations allowed outside the Parties.
    pub allowed_operations: Vec<String>,
    /// The good must stay under customs control outside the Parties.
    pub customs_control_required: bool,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A low-value waiver of the certification of origin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLowValueWaiver {
    /// The importing Party, ISO alpha-2.
    pub importing_party: String,
    /// Highest value waived.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub max_value: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A provision the pack does not encode, and why (so the engine can say "missing", never guess).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNotEncoded {
    /// What is missing.
    pub what: String,
    /// Why.
    pub why: String,
}

/// `country-groups.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCountryGroups {
    /// The groups.
    pub groups: Vec<RawCountryGroup>,
}

/// A named group of countries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCountryGroup {
    /// Id, used by corridors and rules.
    pub id: String,
    /// Plain name.
    pub name: String,
    /// ISO alpha-2 codes.
    pub countries: Vec<String>,
    /// Source.
    pub citation: RawCitation,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// `automotive.yaml`: the automotive appendix.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAutomotive {
    /// How a qualifying core part counts in the vehicle's RVC.
    pub core_part_rollup: RawRollup,
    /// RVC staging tables by date.
    #[serde(default)]
    pub staging_tables: Vec<RawStagingTable>,
    /// Labor value content requirements.
    #[serde(default)]
    pub labor_value_content: Vec<RawLvc>,
    /// Steel and aluminium purchase requirement.
    #[serde(default)]
    pub steel_aluminum: Option<RawSteelAluminum>,
    /// Provisions not encoded, and why.
    #[serde(default)]
    pub not_encoded: Vec<RawNotEncoded>,
}

/// The core-part roll-up switch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRollup {
    /// `full-value`, `actual-value` or `unknown`.
    pub mode: String,
    /// The readings, each with its source.
    #[serde(default)]
    pub options: Vec<String>,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// An RVC staging table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStagingTable {
    /// Id.
    pub id: String,
    /// Which goods: `pv-lt-vehicle`, `pv-lt-core-part`, `pv-lt-principal-part`, ...
    pub category: String,
    /// Plain words.
    #[serde(default)]
    pub description: Option<String>,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Steps, in date order.
    pub steps: Vec<RawStagingStep>,
    /// Last date the steps are known to cover.
    #[serde(default)]
    pub steps_known_until: Option<NaiveDate>,
    /// What the copy does not show.
    #[serde(default)]
    pub missing: Option<String>,
    /// Which alternatives of the product rule must meet the staged RVC: `rvc-alternatives` (only those
    /// that carry an RVC; the default), `every-alternative` (the provision requires an RVC even where
    /// the rule is a tariff shift only) or `unknown` (the text read does not say: tariff-shift-only
    /// alternatives are undetermined).
    #[serde(default)]
    pub applies_to: Option<String>,
    /// The only goods (HS codes) the table covers; empty: any good of the category.
    #[serde(default)]
    pub hs: Vec<String>,
    /// Goods (HS codes) for which the table applies to every alternative although `applies_to` is
    /// `rvc-alternatives` (GN 11(k) page 43 (B)(1)-(2) goods beside (B)(3) Table F goods).
    #[serde(default)]
    pub every_alternative_hs: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// One step of a staging table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStagingStep {
    /// First day of the step.
    pub from: NaiveDate,
    /// Net cost threshold.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub nc: Decimal,
    /// Transaction value threshold, where the rule has a TV method.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub tv: Option<Decimal>,
    /// The law gives a TV figure for this step but the copy read does not show it.
    #[serde(default)]
    pub tv_not_retrieved: bool,
}

/// A labor value content requirement.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLvc {
    /// `passenger-vehicle`, `light-truck` or `heavy-truck`.
    pub vehicle: String,
    /// Required LVC, percent.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub share: Decimal,
    /// Minimum points from high-wage material and manufacturing expenditure.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub high_wage_material_and_manufacturing_min: Option<Decimal>,
    /// Maximum points of technology expenditure credit.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub technology_credit_max: Option<Decimal>,
    /// Maximum points of assembly plant credit.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub assembly_credit_max: Option<Decimal>,
    /// High wage rate, US dollars per hour.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub high_wage_rate_usd_per_hour: Option<Decimal>,
    /// First day in force.
    #[serde(default)]
    pub effective_from: Option<NaiveDate>,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Steel and aluminium purchase requirement.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSteelAluminum {
    /// Share of purchases that must be originating, percent.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub share: Decimal,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Verbatim text.
    #[serde(default)]
    pub text: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// `transformation-policy.yaml`: what the provenance graph counts as conferring origin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTransformationPolicy {
    /// Operations that never confer origin.
    pub non_conferring_operations: Vec<String>,
    /// Minimum tariff-shift level from inputs to output: `chapter`, `heading`, `subheading`.
    pub min_tariff_shift: String,
    /// Minimum value added at the step, percent of the output's value.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub min_value_added: Decimal,
    /// Minimum days a lot stays at a site for a transformation there to count.
    pub min_dwell_days: u32,
    /// Transshipment-prone corridors: each a sequence of country-group ids or country codes.
    #[serde(default)]
    pub corridors: Vec<RawCorridor>,
    /// Chokepoint inputs: materials watched by HS code where their traced origin is in given countries
    /// (CHOKEPOINT_INPUT, info).
    #[serde(default)]
    pub watch_groups: Vec<RawWatchGroup>,
    /// Source.
    pub citation: RawCitation,
    /// Trust.
    pub review: RawReview,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A watch group of chokepoint materials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWatchGroup {
    /// Id.
    pub id: String,
    /// Plain words (`gallium`).
    pub name: String,
    /// The HS codes or ranges of the material (HS 2022, as batches classify).
    pub hs: Vec<String>,
    /// Country-group ids or ISO codes: a line whose traced origin is one of them is reported.
    pub origins: Vec<String>,
    /// The HS texts the codes are read from, quoted.
    pub basis: String,
}

/// A named corridor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCorridor {
    /// Id.
    pub id: String,
    /// Plain words.
    pub name: String,
    /// Each step a group id or an ISO alpha-2 code.
    pub path: Vec<String>,
}

/// `kinds.yaml`: the vocabulary of kinds of goods and materials the rules name ("printed circuit
/// assemblies", "body stamping"), with the spellings users write. A kind a rule or a batch uses must be
/// declared here: a kind is a word of the law, never free text matched by luck.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawKinds {
    /// The declared kinds.
    pub kinds: Vec<RawKind>,
}

/// One kind of good or material.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawKind {
    /// The canonical name, as the legal text prints it.
    pub name: String,
    /// Other spellings that mean this kind: singular or plural, abbreviations (`PCA`), other printings.
    /// Case, hyphens, underscores, double quotes, commas and runs of spaces never need an alias.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Where the legal text names the kind. A kind the legal text does not print (a description users
    /// write for goods no rule tells apart, such as `disc brake caliper`) has none and says so in `note`.
    #[serde(default)]
    pub citation: Option<RawCitation>,
    /// Free text for rule editors; required when there is no citation.
    #[serde(default)]
    pub note: Option<String>,
}

/// The JSON Schema of every rule-pack file, keyed by file kind.
pub fn json_schema() -> serde_json::Value {
    let mut out = serde_json::Map::new();
    let schema_gen = || schemars::r#gen::SchemaSettings::draft07().into_generator();
    out.insert("pack.yaml".into(), serde_json::json!(schema_gen().into_root_schema_for::<RawPack>()));
    out.insert("general.yaml".into(), serde_json::json!(schema_gen().into_root_schema_for::<RawGeneral>()));
    out.insert(
        "country-groups.yaml".into(),
        serde_json::json!(schema_gen().into_root_schema_for::<RawCountryGroups>()),
    );
    out.insert("automotive.yaml".into(), serde_json::json!(schema_gen().into_root_schema_for::<RawAutomotive>()));
    out.insert(
        "transformation-policy.yaml".into(),
        serde_json::json!(schema_gen().into_root_schema_for::<RawTransformationPolicy>()),
    );
    out.insert("kinds.yaml".into(), serde_json::json!(schema_gen().into_root_schema_for::<RawKinds>()));
    out.insert("psr/chNN.yaml".into(), serde_json::json!(schema_gen().into_root_schema_for::<RawChapterFile>()));
    serde_json::Value::Object(out)
}
