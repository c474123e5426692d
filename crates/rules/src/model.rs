//! The typed rule set: what the engine and the CLI use once a pack has been checked.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use origin_core::{Country, Currency, Decimal, HsCode, HsLevel, HsSet, Percent};

/// How far an entry's transcription can be trusted; every output relying on it says so. Serialised as
/// [`Review::as_str`] spells it (the report's `rule.review`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Review {
    /// Read in full in a copy of the official text.
    Verified,
    /// Read only in a third-party transcription.
    UnverifiedTranscription,
    /// Not the law's words: a transcriber's own statement of the rule (issue 12: the 279 secondary
    /// entries taken from a record's `tariffShiftRule` field, and the chapter 61-62 rules printed from a
    /// template). A blocking caveat: no certificate draft leaves on such a rule until a rule editor has
    /// checked it against the official note and changed its status.
    Paraphrase,
    /// The copy read stops inside the entry; only the certain part is encoded.
    Incomplete,
    /// Written by `rules import`, not yet reviewed by a rule editor.
    ImportedUnreviewed,
}

impl Review {
    /// The word used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Review::Verified => "verified",
            Review::UnverifiedTranscription => "unverified-transcription",
            Review::Paraphrase => "paraphrase",
            Review::Incomplete => "incomplete",
            Review::ImportedUnreviewed => "imported-unreviewed",
        }
    }

    /// A caveat every output relying on the entry must carry, if any.
    pub fn caveat(self) -> Option<&'static str> {
        match self {
            Review::Verified => None,
            Review::UnverifiedTranscription => {
                Some("unverified transcription: read only in a third-party copy; check against the official text")
            }
            Review::Paraphrase => Some(
                "paraphrase: not the law's words but a transcriber's statement of the rule; a rule editor must check it against the official note before any certificate relies on it",
            ),
            Review::Incomplete => {
                Some("incomplete: the copy read stops inside this rule; only the certain part is encoded")
            }
            Review::ImportedUnreviewed => Some("imported, unreviewed: a rule editor has not reviewed this rule"),
        }
    }

    /// Whether a determination relying on the entry must not reach a certificate draft: a paraphrase is
    /// not the law's words (issue 12, item 2).
    pub fn blocks_certificate(self) -> bool {
        self == Review::Paraphrase
    }

    /// Every status, in the order coverage tables list them.
    pub const ALL: [Review; 5] = [
        Review::Verified,
        Review::UnverifiedTranscription,
        Review::Paraphrase,
        Review::Incomplete,
        Review::ImportedUnreviewed,
    ];
}

impl fmt::Display for Review {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an entry's text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// Source id from the pack.
    pub source: String,
    /// Where in the source.
    pub reference: String,
    /// Page of the copy read.
    pub page: Option<u32>,
    /// The copy read.
    pub url: Option<String>,
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reference)?;
        if let Some(p) = self.page {
            write!(f, ", p. {p}")?;
        }
        Ok(())
    }
}

/// The vehicle a part is for, where a rule depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VehicleUse {
    /// A passenger vehicle.
    PassengerVehicle,
    /// A light truck.
    LightTruck,
    /// A heavy truck.
    HeavyTruck,
    /// Any other use.
    Other,
}

impl VehicleUse {
    /// Parses the kebab-case word.
    pub fn parse(s: &str) -> Option<VehicleUse> {
        match s {
            "passenger-vehicle" => Some(VehicleUse::PassengerVehicle),
            "light-truck" => Some(VehicleUse::LightTruck),
            "heavy-truck" => Some(VehicleUse::HeavyTruck),
            "other" => Some(VehicleUse::Other),
            _ => None,
        }
    }

    /// The kebab-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            VehicleUse::PassengerVehicle => "passenger-vehicle",
            VehicleUse::LightTruck => "light-truck",
            VehicleUse::HeavyTruck => "heavy-truck",
            VehicleUse::Other => "other",
        }
    }

    /// Plain words.
    pub fn words(self) -> &'static str {
        match self {
            VehicleUse::PassengerVehicle => "a passenger vehicle",
            VehicleUse::LightTruck => "a light truck",
            VehicleUse::HeavyTruck => "a heavy truck",
            VehicleUse::Other => "any other use",
        }
    }
}

/// The trade a rule applies to, by exporting and importing Party (GN 11(o) chapters 51, 55 and 58:
/// "For the purposes of trade between the territory of Canada and the territory of the United States"
/// beside "For the purposes of all other trade").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TradeScope {
    /// Any trade between the Parties.
    #[default]
    Any,
    /// Trade from one of these Parties to another of them (both Parties in the set, and not the same).
    Between(Vec<Country>),
    /// All other trade: not trade between two of these Parties.
    NotBetween(Vec<Country>),
}

impl TradeScope {
    /// Whether the rule covers a good exported from `exporting` to `importing`; `None` when the scope
    /// depends on the Parties and they are not known.
    pub fn covers(&self, parties: Option<(Country, Country)>) -> Option<bool> {
        let between = |set: &[Country], (e, i): (Country, Country)| e != i && set.contains(&e) && set.contains(&i);
        match (self, parties) {
            (TradeScope::Any, _) => Some(true),
            (_, None) => None,
            (TradeScope::Between(set), Some(p)) => Some(between(set, p)),
            (TradeScope::NotBetween(set), Some(p)) => Some(!between(set, p)),
        }
    }

    /// Whether two scopes can both cover one shipment.
    pub fn overlaps(&self, other: &TradeScope) -> bool {
        match (self, other) {
            (TradeScope::Between(a), TradeScope::NotBetween(b))
            | (TradeScope::NotBetween(b), TradeScope::Between(a)) => {
                // Disjoint when every pair between `a` is a pair between `b`.
                !(a.len() >= 2 && a.iter().all(|c| b.contains(c)))
            }
            _ => true,
        }
    }

    /// Plain words, for explanations.
    pub fn words(&self) -> Option<String> {
        let names = |cs: &[Country]| cs.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" and ");
        match self {
            TradeScope::Any => None,
            TradeScope::Between(cs) => Some(format!("trade between {}", names(cs))),
            TradeScope::NotBetween(cs) => Some(format!("all trade other than between {}", names(cs))),
        }
    }
}

/// Which goods of a rule's codes an entry covers, by description.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KindQualifier {
    /// Every good of the codes.
    #[default]
    Any,
    /// Only goods of this description ("body stamping").
    Only(String),
    /// Goods other than these descriptions ("any other good").
    OtherThan(Vec<String>),
}

impl KindQualifier {
    /// Whether a good described as `kind` is covered; `None` when the description is needed but unknown.
    pub fn covers(&self, kind: Option<&str>) -> Option<bool> {
        match (self, kind) {
            (KindQualifier::Any, _) => Some(true),
            (_, None) => None,
            (KindQualifier::Only(k), Some(g)) => Some(k.eq_ignore_ascii_case(g)),
            (KindQualifier::OtherThan(ks), Some(g)) => Some(!ks.iter().any(|k| k.eq_ignore_ascii_case(g))),
        }
    }
}

/// Materials named by codes and, optionally, a kind within them ("printed circuit assemblies of 8538.90").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialSpec {
    /// Codes and ranges.
    pub hs: HsSet,
    /// A kind of material within the codes.
    pub kind: Option<String>,
}

impl fmt::Display for MaterialSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Some(k) if self.hs.0.is_empty() => write!(f, "{k}"),
            Some(k) => write!(f, "{k} of {}", self.hs),
            None => write!(f, "{}", self.hs),
        }
    }
}

/// "within / outside that group".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupQualifier {
    /// Plain "from any other ...".
    #[default]
    None,
    /// "from any heading outside that group".
    Outside,
    /// "from any other subheading, including another subheading within that group".
    IncludingWithin,
}

/// A tariff-shift requirement on each non-originating material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffShift {
    /// "from any other chapter / heading / subheading / tariff item"; `None` when only the sources in
    /// `also_from` (and `within_subheading`) are allowed.
    pub from: Option<HsLevel>,
    /// Within / outside the rule's group of codes.
    pub group: GroupQualifier,
    /// Materials of the good's own subheading are allowed.
    pub within_subheading: bool,
    /// Materials allowed besides `from`.
    pub also_from: Vec<MaterialSpec>,
    /// Materials never allowed.
    pub except: Vec<MaterialSpec>,
    /// Numbered items; the shift fails when non-originating materials fall in two or more of them.
    pub except_more_than_one_of: Vec<MaterialSpec>,
}

/// What an alternative requires of the classification of non-originating materials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftRequirement {
    /// A tariff shift.
    Shift(TariffShift),
    /// "No change in tariff classification [is required]".
    NoChangeRequired,
    /// The alternative says nothing about classification (conditions only).
    Unstated,
}

/// RVC thresholds: met by TV **or** by NC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RvcRequirement {
    /// Transaction value threshold; `None` means net cost only.
    pub tv: Option<Percent>,
    /// Net cost threshold.
    pub nc: Option<Percent>,
}

/// A special condition the BOM cannot show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Id.
    pub id: String,
    /// Verbatim text.
    pub text: String,
}

/// One alternative of a rule; meeting any one is enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// "A", "B", ... or "-".
    pub label: String,
    /// The codes it is for, when only some of the rule's ("(B) ... to a good of subheading 7106.91" in
    /// the rule for 7106.10-7106.92); `None`: all the rule's codes. Checked to lie within the rule's.
    pub hs: Option<HsSet>,
    /// Which goods of the rule it covers.
    pub good_kind: KindQualifier,
    /// The classification requirement.
    pub shift: ShiftRequirement,
    /// The RVC requirement, if any.
    pub rvc: Option<RvcRequirement>,
    /// Special conditions.
    pub conditions: Vec<Condition>,
}

/// A product-specific rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// The goods it covers.
    pub hs: HsSet,
    /// Uses it is limited to; empty = any use.
    pub uses: Vec<VehicleUse>,
    /// Which goods of its codes it covers, by description.
    pub good_kind: KindQualifier,
    /// The trade it applies to, by exporting and importing Party.
    pub trade: TradeScope,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// Last day in force.
    pub effective_to: Option<NaiveDate>,
    /// Whether GN 11(k) may apply: `Some(true)` applies, `None` unknown.
    pub motor_vehicle_provisions: Option<bool>,
    /// Source.
    pub citation: Citation,
    /// Trust.
    pub review: Review,
    /// "Subheading rule: ..." printed before it.
    pub preamble: Option<String>,
    /// Verbatim text.
    pub text: String,
    /// Alternatives.
    pub alternatives: Vec<Alternative>,
    /// What the copy does not show.
    pub missing: Option<String>,
    /// Rule editors' note.
    pub note: Option<String>,
    /// The file it was read from, relative to the pack.
    pub file: PathBuf,
    /// Its line in that file.
    pub line: Option<usize>,
}

impl Rule {
    /// Whether the rule is in force on `date`.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_to.is_none_or(|to| date <= to)
    }

    /// The deepest level its codes are written at: deeper rules win over shallower ones.
    pub fn specificity(&self) -> HsLevel {
        self.hs.deepest_level().unwrap_or(HsLevel::Chapter)
    }

    /// The HS key as written, e.g. `8510.10-8510.30`.
    pub fn hs_key(&self) -> String {
        self.hs.to_string()
    }

    /// Whether `alt`, one of this rule's alternatives, is for a good of `code` (the rules' edition)
    /// described as `kind`. An alternative with codes of its own is for goods of those codes only.
    /// "Any other good" (`OtherThan`) means other than the goods of the sibling alternatives that name
    /// those kinds: a kind a sibling names only for codes that leave this good out cannot be this good's
    /// ("(B) A change to any other good of heading 5407" after "(A) ... woven fabric ... of subheading
    /// 5407.61": a good of 5407.10 is "any other good" whatever it is).
    pub fn alternative_scope(&self, alt: &Alternative, code: HsCode, kind: Option<&str>) -> AlternativeScope {
        if let Some(own) = &alt.hs
            && !own.contains(code)
        {
            return if own.0.iter().any(|r| r.overlaps_code(code)) {
                AlternativeScope::NeedsDeeperCode
            } else {
                AlternativeScope::OtherGoods
            };
        }
        let excluded: Vec<&String> = match &alt.good_kind {
            KindQualifier::Any => return AlternativeScope::Applies,
            KindQualifier::Only(k) => {
                return match kind {
                    None => AlternativeScope::NeedsKind,
                    Some(g) if k.eq_ignore_ascii_case(g) => AlternativeScope::Applies,
                    Some(_) => AlternativeScope::OtherGoods,
                };
            }
            KindQualifier::OtherThan(ks) => ks.iter().filter(|k| self.kind_may_be_named_for(k, code)).collect(),
        };
        match kind {
            _ if excluded.is_empty() => AlternativeScope::Applies,
            None => AlternativeScope::NeedsKind,
            Some(g) if excluded.iter().any(|k| k.eq_ignore_ascii_case(g)) => AlternativeScope::OtherGoods,
            Some(_) => AlternativeScope::Applies,
        }
    }

    /// Whether a sibling alternative naming kind `k` could be for a good of `code`; a kind no
    /// alternative names is taken to be possible anywhere.
    fn kind_may_be_named_for(&self, k: &str, code: HsCode) -> bool {
        let mut naming = self
            .alternatives
            .iter()
            .filter(|a| matches!(&a.good_kind, KindQualifier::Only(x) if x.eq_ignore_ascii_case(k)))
            .peekable();
        naming.peek().is_none()
            || naming.any(|a| a.hs.as_ref().is_none_or(|h| h.0.iter().any(|r| r.overlaps_code(code))))
    }
}

/// Whether one alternative of a rule is for a given good ([`Rule::alternative_scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlternativeScope {
    /// The alternative is for this good.
    Applies,
    /// It is for other goods of the rule: its codes or its description leave this good out.
    OtherGoods,
    /// It depends on what the good is, and the good's description (`kind`) is not given.
    NeedsKind,
    /// Its codes are deeper than the good's classification and hold only part of it: classify deeper.
    NeedsDeeperCode,
}

/// A chapter rule or note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterRule {
    /// Id.
    pub id: String,
    /// Chapter.
    pub chapter: u8,
    /// Source.
    pub citation: Citation,
    /// Trust.
    pub review: Review,
    /// Verbatim text.
    pub text: String,
}

/// A legal text the pack cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Where a copy was read.
    pub url: Option<String>,
    /// Caveats.
    pub note: Option<String>,
}

/// Pack metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackMeta {
    /// Id.
    pub id: String,
    /// Agreement.
    pub agreement: String,
    /// Pack version.
    pub version: String,
    /// HS vintage.
    pub hs_vintage: String,
    /// First day.
    pub effective_from: NaiveDate,
    /// Last day.
    pub effective_to: Option<NaiveDate>,
}

/// A cited general provision with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provision {
    /// Source.
    pub citation: Citation,
    /// Trust.
    pub review: Review,
    /// Verbatim text.
    pub text: Option<String>,
}

/// The bases de minimis is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeMinimisBasis {
    /// Transaction value adjusted to exclude international shipping.
    AdjustedTransactionValue,
    /// Total cost.
    TotalCost,
}

/// A de minimis exclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeMinimisExclusion {
    /// Id.
    pub id: String,
    /// Excluded materials.
    pub materials: Vec<MaterialSpec>,
    /// Goods concerned.
    pub goods: HsSet,
    /// Legal basis.
    pub provision: Provision,
}

/// Textile de minimis by weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextileDeMinimis {
    /// Chapters 50-60 and 9619: share of the good's weight.
    pub chapters_50_60_and_9619_weight_share: Percent,
    /// Chapters 61-63: share of the classifying component's weight.
    pub chapters_61_63_component_weight_share: Percent,
    /// Cap on non-originating elastomeric yarns.
    pub elastomeric_yarn_cap: Percent,
    /// Legal basis.
    pub provision: Provision,
}

/// De minimis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeMinimis {
    /// Share of value.
    pub value_share: Percent,
    /// Bases.
    pub bases: Vec<DeMinimisBasis>,
    /// Legal basis.
    pub provision: Provision,
    /// Exclusions.
    pub exclusions: Vec<DeMinimisExclusion>,
    /// Chapters 1-27 rule.
    pub chapters_1_to_27_different_subheading_only: Option<Provision>,
    /// Textile weight rules.
    pub textiles: Option<TextileDeMinimis>,
}

/// RVC methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RvcGeneral {
    /// GN 11(c)(v).
    pub net_cost_only_when_rule_has_no_tv: bool,
    /// Legal basis.
    pub provision: Provision,
}

/// Art. 4.18.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transit {
    /// Operations allowed outside the Parties.
    pub allowed_operations: Vec<String>,
    /// Customs control required outside the Parties.
    pub customs_control_required: bool,
    /// Legal basis.
    pub provision: Provision,
}

/// A low-value waiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowValueWaiver {
    /// Importing Party.
    pub importing_party: Country,
    /// Highest value waived.
    pub max_value: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Legal basis.
    pub provision: Provision,
}

/// A named operation that never confers origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonQualifyingOperation {
    /// Id.
    pub id: String,
    /// Plain words.
    pub description: String,
    /// Legal basis.
    pub provision: Provision,
}

/// A provision the pack does not encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEncoded {
    /// What.
    pub what: String,
    /// Why.
    pub why: String,
}

/// The origin criteria (Art. 4.2; 19 U.S.C. 4531(c)(1)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginCriteria {
    /// Criterion D thresholds.
    pub criterion_d: RvcRequirement,
    /// Chapters criterion D never applies to (61-63).
    pub criterion_d_excluded_chapters: Vec<u8>,
    /// Legal basis.
    pub provision: Provision,
}

/// Chapter 4 general provisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct General {
    /// Origin criteria A-D.
    pub origin_criteria: OriginCriteria,
    /// Indirect materials, if encoded.
    pub indirect_materials: Option<Provision>,
    /// Accessories, spare parts and tools delivered with the good.
    pub accessories: Option<Provision>,
    /// Retail packaging.
    pub retail_packaging: Option<Provision>,
    /// Packing materials and containers for shipment.
    pub packing_materials: Option<Provision>,
    /// RVC.
    pub rvc: RvcGeneral,
    /// De minimis.
    pub de_minimis: DeMinimis,
    /// Sets: value share and basis.
    pub sets: Option<(Percent, Provision)>,
    /// Non-qualifying operations.
    pub non_qualifying_operations: Vec<NonQualifyingOperation>,
    /// Transit.
    pub transit: Option<Transit>,
    /// Low-value waivers.
    pub low_value_waiver: Vec<LowValueWaiver>,
    /// Goods deemed originating (GN 11(p)), if encoded.
    pub deemed_originating: Option<DeemedOriginating>,
    /// Not encoded.
    pub not_encoded: Vec<NotEncoded>,
}

/// Goods deemed originating when imported into `importing_party` from one of `from_parties`,
/// "notwithstanding any other provisions of this note" (GN 11(p); 19 U.S.C. 4531(c)(1)(E)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeemedOriginating {
    /// The Party of importation.
    pub importing_party: Country,
    /// The Parties of exportation.
    pub from_parties: Vec<Country>,
    /// Each listed good: its name and provisions.
    pub goods: Vec<(String, HsSet)>,
    /// The origin criterion a certificate names; `None`: no certificate draft.
    pub certificate_criterion: Option<char>,
    /// Why that criterion (or none).
    pub certificate_note: Option<String>,
    /// What the copy does not show.
    pub missing: Option<String>,
    /// Codes the unread part of the list may cover.
    pub unread_part_may_cover: HsSet,
    /// Legal basis.
    pub provision: Provision,
}

/// Whether a good is on a deemed-originating list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeemedMatch {
    /// Listed: the entry's name and the provision that matched.
    Listed(String, String),
    /// The good's code is less precise than a listed tariff item inside it: state the tariff item.
    NeedsTariffItem(Vec<String>),
    /// The unread part of the list may name the good.
    MayBeInUnreadPart,
    /// Not on the list (as far as it is encoded).
    NotListed,
}

impl DeemedOriginating {
    /// Whether `hs` is on the list.
    pub fn lookup(&self, hs: HsCode) -> DeemedMatch {
        for (name, set) in &self.goods {
            if let Some(r) = set.member_containing(hs) {
                return DeemedMatch::Listed(name.clone(), r.to_string());
            }
        }
        let deeper: Vec<String> = self
            .goods
            .iter()
            .flat_map(|(_, set)| set.0.iter())
            .filter(|r| r.level() > hs.level() && r.overlaps_code(hs))
            .map(|r| r.to_string())
            .collect();
        if !deeper.is_empty() {
            DeemedMatch::NeedsTariffItem(deeper)
        } else if self.unread_part_may_cover.0.iter().any(|r| r.overlaps_code(hs)) {
            DeemedMatch::MayBeInUnreadPart
        } else {
            DeemedMatch::NotListed
        }
    }
}

/// A named group of countries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryGroup {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Members.
    pub countries: Vec<Country>,
    /// Source.
    pub citation: Citation,
}

/// Which automotive goods a staging table covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StagingCategory {
    /// Passenger vehicles and light trucks.
    PvLtVehicle,
    /// Core parts (Table A.1).
    PvLtCorePart,
    /// Principal parts (Table B).
    PvLtPrincipalPart,
    /// Complementary parts (Table C).
    PvLtComplementaryPart,
    /// Heavy trucks.
    HeavyTruck,
    /// Heavy-truck principal parts.
    HeavyTruckPrincipalPart,
    /// Heavy-truck complementary parts.
    HeavyTruckComplementaryPart,
    /// Other vehicles.
    OtherVehicle,
}

impl StagingCategory {
    /// Parses the kebab-case word.
    pub fn parse(s: &str) -> Option<StagingCategory> {
        Some(match s {
            "pv-lt-vehicle" => StagingCategory::PvLtVehicle,
            "pv-lt-core-part" => StagingCategory::PvLtCorePart,
            "pv-lt-principal-part" => StagingCategory::PvLtPrincipalPart,
            "pv-lt-complementary-part" => StagingCategory::PvLtComplementaryPart,
            "heavy-truck" => StagingCategory::HeavyTruck,
            "heavy-truck-principal-part" => StagingCategory::HeavyTruckPrincipalPart,
            "heavy-truck-complementary-part" => StagingCategory::HeavyTruckComplementaryPart,
            "other-vehicle" => StagingCategory::OtherVehicle,
            _ => return None,
        })
    }

    /// The kebab-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            StagingCategory::PvLtVehicle => "pv-lt-vehicle",
            StagingCategory::PvLtCorePart => "pv-lt-core-part",
            StagingCategory::PvLtPrincipalPart => "pv-lt-principal-part",
            StagingCategory::PvLtComplementaryPart => "pv-lt-complementary-part",
            StagingCategory::HeavyTruck => "heavy-truck",
            StagingCategory::HeavyTruckPrincipalPart => "heavy-truck-principal-part",
            StagingCategory::HeavyTruckComplementaryPart => "heavy-truck-complementary-part",
            StagingCategory::OtherVehicle => "other-vehicle",
        }
    }
}

/// One step of a staging table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StagingStep {
    /// First day.
    pub from: NaiveDate,
    /// Net cost threshold.
    pub nc: Percent,
    /// Transaction value threshold.
    pub tv: Option<Percent>,
    /// The law gives a TV figure for the step, but the copy read does not show it.
    pub tv_not_retrieved: bool,
}

/// Which alternatives of the product rule a staging table's RVC applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagingScope {
    /// Only the alternatives that carry an RVC: the table replaces their threshold.
    RvcAlternatives,
    /// Every alternative: the provision requires the RVC even where the rule is a tariff shift only.
    EveryAlternative,
    /// The text read does not say whether a tariff-shift-only alternative needs the RVC.
    Unknown,
}

/// An RVC staging table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingTable {
    /// Id.
    pub id: String,
    /// Goods covered.
    pub category: StagingCategory,
    /// Plain words.
    pub description: Option<String>,
    /// Steps in date order.
    pub steps: Vec<StagingStep>,
    /// Last date the steps are known to cover.
    pub steps_known_until: Option<NaiveDate>,
    /// What the copy does not show.
    pub missing: Option<String>,
    /// Which alternatives the staged RVC applies to.
    pub applies_to: StagingScope,
    /// The only goods the table covers; empty: any good of the category.
    pub hs: HsSet,
    /// Goods for which it applies to every alternative whatever `applies_to` says.
    pub every_alternative_hs: HsSet,
    /// Legal basis.
    pub provision: Provision,
}

/// What a staging table says for a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagingAnswer {
    /// The step in force.
    Step(StagingStep),
    /// The date is before the first step.
    BeforeFirstStep,
    /// The date is after what the pack knows of the table.
    NotEncoded,
}

impl StagingTable {
    /// The scope for a good of `hs`.
    pub fn scope_for(&self, hs: HsCode) -> StagingScope {
        if self.every_alternative_hs.contains(hs) { StagingScope::EveryAlternative } else { self.applies_to }
    }

    /// The step in force on `date`.
    pub fn step_on(&self, date: NaiveDate) -> StagingAnswer {
        if self.steps_known_until.is_some_and(|until| date > until) {
            return StagingAnswer::NotEncoded;
        }
        match self.steps.iter().rev().find(|s| s.from <= date) {
            Some(s) => StagingAnswer::Step(*s),
            None => StagingAnswer::BeforeFirstStep,
        }
    }
}

/// The core-part roll-up reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupMode {
    /// A qualifying core part counts at 100 % (2023 panel).
    FullValue,
    /// Only the originating value counts (US practice).
    ActualValue,
    /// Not settled in the pack: the engine reports both.
    Unknown,
}

/// Labor value content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaborValueContent {
    /// Vehicle.
    pub vehicle: VehicleUse,
    /// Required share.
    pub share: Percent,
    /// Minimum high-wage material and manufacturing points.
    pub high_wage_material_and_manufacturing_min: Option<Percent>,
    /// Maximum technology credit.
    pub technology_credit_max: Option<Percent>,
    /// Maximum assembly credit.
    pub assembly_credit_max: Option<Percent>,
    /// High wage rate, USD per hour.
    pub high_wage_rate_usd_per_hour: Option<Decimal>,
    /// First day.
    pub effective_from: Option<NaiveDate>,
    /// Legal basis.
    pub provision: Provision,
}

/// The automotive appendix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Automotive {
    /// Roll-up mode.
    pub core_part_rollup: RollupMode,
    /// Roll-up basis.
    pub core_part_rollup_provision: Provision,
    /// Staging tables.
    pub staging_tables: Vec<StagingTable>,
    /// LVC.
    pub labor_value_content: Vec<LaborValueContent>,
    /// Steel and aluminium share and basis.
    pub steel_aluminum: Option<(Percent, Provision)>,
    /// Not encoded.
    pub not_encoded: Vec<NotEncoded>,
}

/// A transshipment-prone corridor, resolved to country sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corridor {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Each step: the countries that match it.
    pub path: Vec<Vec<Country>>,
}

/// Chokepoint materials watched by HS code (silver, gallium, ...): a BOM line of one whose traced origin is
/// in `origins` gets a CHOKEPOINT_INPUT finding (info) with its share of the good's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchGroup {
    /// Id.
    pub id: String,
    /// Plain words.
    pub name: String,
    /// The material's codes.
    pub hs: HsSet,
    /// The origins watched.
    pub origins: Vec<Country>,
    /// The HS texts read.
    pub basis: String,
}

/// The non-preferential transformation policy the provenance graph uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformationPolicy {
    /// Operations that never confer origin.
    pub non_conferring_operations: Vec<String>,
    /// Minimum tariff-shift level.
    pub min_tariff_shift: HsLevel,
    /// Minimum value added.
    pub min_value_added: Percent,
    /// Minimum dwell.
    pub min_dwell_days: u32,
    /// Corridors.
    pub corridors: Vec<Corridor>,
    /// Chokepoint inputs watched.
    pub watch_groups: Vec<WatchGroup>,
    /// Basis.
    pub provision: Provision,
}

/// A checked rule pack.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Metadata.
    pub pack: PackMeta,
    /// Sources.
    pub sources: Vec<Source>,
    /// General provisions.
    pub general: General,
    /// Country groups by id.
    pub country_groups: BTreeMap<String, CountryGroup>,
    /// Automotive appendix.
    pub automotive: Automotive,
    /// Transformation policy.
    pub transformation_policy: TransformationPolicy,
    /// Chapter rules.
    pub chapter_rules: Vec<ChapterRule>,
    /// Product-specific rules, in file order.
    pub rules: Vec<Rule>,
    /// Chapters that have a PSR file.
    pub chapters: Vec<u8>,
    /// The declared kinds of goods and materials (`kinds.yaml`); every kind in `rules` is canonical.
    pub kinds: crate::kinds::KindVocabulary,
    /// The HS edition the rules' codes are written in (GN 11(o): HS 2017).
    pub nomenclature: crate::nomenclature::Nomenclature,
    /// The correlation from the goods' edition to `nomenclature`, when the pack carries one.
    pub correlation: Option<crate::nomenclature::Correlation>,
}
