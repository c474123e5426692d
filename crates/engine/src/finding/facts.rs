//! The typed facts of each finding code, and the one function per kind that renders its message,
//! citation, evidence and remedy from them.
//!
//! What is a fact and what is only shown is said by the types: a field is part of the fingerprint
//! unless it is a [`Shown`] (prose: another crate's sentence, a pack citation, a description, or data
//! only the remedy uses), and a [`Set`] is a list whose order does not matter (it is hashed sorted, and
//! shown in the order given). docs/findings.md lists what goes into each code's fingerprint.

use std::fmt;
use std::ops::Deref;

use chrono::NaiveDate;
use origin_core::{Amount, Country, Currency, Decimal, HsCode, Percent};
use origin_rules::Nomenclature;
use origin_rules::nomenclature::list_codes;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};

use super::{Code, canonical};
use crate::audit::Outcome;
use crate::checks::de_minimis::DeMinimisOutcome;
use crate::checks::rvc;

/// A value carried for the rendered text only: never part of the fingerprint, so rewording or
/// re-citing it keeps every review decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Shown<T>(pub T);

impl<T: Serialize> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if canonical() { s.serialize_unit() } else { self.0.serialize(s) }
    }
}

impl<T> Deref for Shown<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Display> fmt::Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A list whose order is not a fact (BOM lines, lots): shown in the order given, hashed sorted, so the
/// same facts exported in another order keep their fingerprint and their review.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Set<T>(pub Vec<T>);

impl<T> Default for Set<T> {
    fn default() -> Self {
        Set(Vec::new())
    }
}

impl<T: Serialize> Serialize for Set<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !canonical() {
            return self.0.serialize(s);
        }
        let mut items = Vec::with_capacity(self.0.len());
        for x in &self.0 {
            let v = serde_json::to_value(x).map_err(serde::ser::Error::custom)?;
            items.push((v.to_string(), v));
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.into_iter().map(|(_, v)| v).collect::<Vec<_>>().serialize(s)
    }
}

impl<T> Deref for Set<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(i: I) -> Self {
        Set(i.into_iter().collect())
    }
}

/// A BOM line and its description (the description is shown, the line identifies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineRef {
    /// BOM line.
    pub line: String,
    /// The batch's description of it.
    pub description: Shown<String>,
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.line, self.description)
    }
}

/// How the good's code was read in the rules' HS edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReadAs {
    /// The batch's edition.
    pub from: Nomenclature,
    /// The rules' edition.
    pub to: Nomenclature,
    /// The code read in the rules' edition.
    pub code: HsCode,
    /// The correlation's citation and pack file.
    pub source: Shown<Option<String>>,
}

impl ReadAs {
    /// "HS 2022 `9401.99` is HS 2017 `9401.90` (source)", for the good's code `hs`.
    pub fn text(&self, hs: HsCode) -> String {
        let source = self.source.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
        format!("{} `{hs}` is {} `{}`{source}", self.from, self.to, self.code)
    }

    /// " (HS 2022 `9401.99` is ...)", or nothing when the code was read as given.
    fn note(read_as: &Option<ReadAs>, hs: HsCode) -> String {
        read_as.as_ref().map(|r| format!(" ({})", r.text(hs))).unwrap_or_default()
    }
}

/// A rule and the codes it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleAt {
    /// Rule id.
    pub id: String,
    /// The codes it covers.
    pub hs: String,
}

/// The answer the good gets under some of the HS 2017 counterparts of its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Answer {
    /// Outcome.
    pub outcome: Outcome,
    /// Criterion, when qualified.
    pub criterion: Option<char>,
    /// The rule applied.
    pub rule: Option<String>,
    /// No rule is encoded for these codes.
    pub no_rule: bool,
    /// The HS 2017 codes giving this answer.
    pub codes: Set<HsCode>,
}

impl Answer {
    fn words(&self) -> String {
        match (self.outcome, self.criterion, &self.rule) {
            (Outcome::Qualified, Some(k), Some(r)) => format!("qualified ({k}) under rule {r}"),
            (o, _, Some(r)) => format!("{} under rule {r}", o.as_str()),
            (o, _, None) if self.no_rule => format!("{}: no rule encoded", o.as_str()),
            (o, _, None) => o.as_str().to_string(),
        }
    }
}

/// Why the rule for the good cannot be chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum RuleQuestion {
    /// The good's code cannot be read in the rules' edition.
    Unreadable {
        /// The batch's edition.
        nomenclature: Nomenclature,
        /// The rules crate's explanation.
        error: Shown<String>,
    },
    /// Several rules could apply (vehicle use, description, deeper classification, parties).
    SeveralRules {
        /// How the code was read.
        read_as: Option<ReadAs>,
        /// The candidate rules.
        rules: Set<RuleAt>,
    },
    /// The code corresponds to several HS 2017 subheadings that give different answers.
    Correlation {
        /// The batch's edition.
        nomenclature: Nomenclature,
        /// The rules' edition.
        rules_nomenclature: Nomenclature,
        /// The counterparts.
        codes: Set<HsCode>,
        /// The answer under each.
        answers: Set<Answer>,
        /// The correlation's citation.
        source: Shown<Option<String>>,
    },
    /// A heavy-truck part whose automotive category decides the RVC in force.
    HeavyTruckCategory {
        /// Rule id.
        rule: String,
        /// The date.
        as_of: NaiveDate,
        /// The rule's citation.
        citation: Shown<String>,
    },
}

/// What the transcription caveat is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum CaveatOn {
    /// A rule whose review status is not `verified`.
    Rule {
        /// Rule id.
        rule: String,
        /// Its review status (`paraphrase`, `incomplete`, ...).
        review: String,
        /// Its citation.
        citation: Shown<String>,
        /// The rules crate's caveat sentence for that status.
        caveat: Shown<String>,
    },
    /// An automotive staging table not read in full.
    StagingTable {
        /// Table id.
        table: String,
        /// The caveat sentence.
        caveat: Shown<String>,
    },
}

/// One RVC method's computation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RvcMethod {
    /// `transaction-value` or `net-cost`.
    pub method: String,
    /// Adjusted TV or NC.
    pub base: Decimal,
    /// VNM.
    pub vnm: Decimal,
    /// The RVC, exact.
    pub rvc: Percent,
    /// The threshold.
    pub threshold: Percent,
    /// Whether it is met.
    pub met: bool,
}

impl From<&rvc::MethodResult> for RvcMethod {
    fn from(m: &rvc::MethodResult) -> Self {
        RvcMethod {
            method: m.method.to_string(),
            base: m.base,
            vnm: m.vnm,
            rvc: m.rvc,
            threshold: m.threshold,
            met: m.met,
        }
    }
}

/// A BOM line whose origin would help close an RVC gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClosingLine {
    /// BOM line.
    pub line: String,
    /// Its description.
    pub description: Shown<String>,
    /// Its value counted in VNM.
    pub vnm: Decimal,
}

/// De minimis measured on the failing materials (see [`DeMinimisOutcome`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeMinimis {
    /// Value of the failing materials.
    pub failing_value: Decimal,
    /// Their share of the adjusted TV.
    pub share_of_adjusted_tv: Option<Percent>,
    /// Their share of the total cost.
    pub share_of_total_cost: Option<Percent>,
    /// The threshold.
    pub threshold: Percent,
    /// Whether it rescues the shift.
    pub applies: bool,
    /// Whether an exclusion applies (and its sentence).
    pub excluded: Option<Shown<String>>,
}

impl From<&DeMinimisOutcome> for DeMinimis {
    fn from(d: &DeMinimisOutcome) -> Self {
        DeMinimis {
            failing_value: d.failing_value,
            share_of_adjusted_tv: d.share_of_adjusted_tv,
            share_of_total_cost: d.share_of_total_cost,
            threshold: d.threshold,
            applies: d.applies,
            excluded: d.excluded.clone().map(Shown),
        }
    }
}

impl DeMinimis {
    fn outcome(&self) -> DeMinimisOutcome {
        DeMinimisOutcome {
            failing_value: self.failing_value,
            share_of_adjusted_tv: self.share_of_adjusted_tv,
            share_of_total_cost: self.share_of_total_cost,
            threshold: self.threshold,
            applies: self.applies,
            excluded: self.excluded.as_ref().map(|s| s.0.clone()),
        }
    }
}

/// A non-originating material that does not make the required change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FailingMaterial {
    /// BOM line.
    pub line: String,
    /// Description.
    pub description: Shown<String>,
    /// Its classification as written (`unknown` when not given).
    pub hs: String,
    /// Value.
    pub value: Decimal,
    /// Declared origin as written.
    pub origin: String,
    /// The rules crate's reason it fails.
    pub why: Shown<String>,
    /// Part number (or description) and supplier, for the remedy.
    pub part: Shown<String>,
    /// The supplier.
    pub supplier: Shown<Option<String>>,
}

/// What the audit needs that the batch does not give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum MissingFact {
    /// Materials whose origin is stated `unknown`.
    UnknownOrigin {
        /// The lines.
        lines: Set<LineRef>,
        /// What it does to the determination.
        effect: UnknownEffect,
    },
    /// Criterion D depends on materials whose classification is stated `unknown`.
    CriterionDClassification {
        /// The lines.
        lines: Set<LineRef>,
        /// The criteria's citation.
        citation: Shown<String>,
    },
    /// Alternatives of the rule are undetermined.
    RuleQuestions {
        /// Rule id.
        rule: String,
        /// The labels of the undetermined alternatives.
        alternatives: Set<String>,
        /// The BOM lines the questions name (shift unknown, classification unknown).
        lines: Set<String>,
        /// The rule's conditions not evidenced.
        conditions: Set<String>,
        /// The RVC methods lacking value data.
        missing_data: Set<String>,
        /// The questions as sentences (they quote the rules crate and the pack).
        questions: Shown<Vec<String>>,
        /// The rule's citation.
        citation: Shown<String>,
    },
}

/// What materials of unknown origin do to the determination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownEffect {
    /// The determination waits on them.
    Waits,
    /// The good qualifies even with them non-originating.
    QualifiesAnyway,
    /// The good would not qualify even if they were originating.
    FailsAnyway,
}

/// Why an origin claim is unsupported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum Unsupported {
    /// The good is stated wholly obtained but materials count as non-originating.
    WhollyObtained {
        /// The non-originating lines.
        lines: Set<String>,
    },
    /// A material declared USMCA-originating has no certification.
    NoCertification {
        /// The line.
        line: LineRef,
        /// Its supplier, for the remedy.
        supplier: Shown<String>,
        /// Its part, for the remedy.
        part: Shown<String>,
        /// The date to cover, for the remedy.
        as_of: Shown<NaiveDate>,
    },
}

/// What is wrong with a supplier certification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum CertificationProblem {
    /// Not in the batch.
    NotInBatch {
        /// Supplier, for the remedy.
        supplier: Shown<String>,
        /// Part, for the remedy.
        part: Shown<String>,
    },
    /// In the batch but unreadable.
    Unreadable {
        /// Supplier, for the remedy.
        supplier: Shown<String>,
        /// Part, for the remedy.
        part: Shown<String>,
    },
    /// Certifies a non-Party.
    NotParty {
        /// The country certified.
        country: Country,
        /// Issuer, for the remedy.
        issuer: Shown<String>,
        /// Part, for the remedy.
        part: Shown<String>,
    },
    /// Issued by another supplier than the line's.
    OtherSupplier {
        /// Issuer.
        issuer: String,
        /// The line's supplier.
        supplier: String,
        /// Part, for the remedy.
        part: Shown<String>,
    },
    /// Does not list the part.
    PartNotListed {
        /// The part.
        part: String,
        /// Issuer, for the remedy.
        issuer: Shown<String>,
    },
    /// Signed after the as-of date.
    SignedAfter {
        /// Signed.
        signed: NaiveDate,
        /// The as-of date.
        as_of: NaiveDate,
    },
    /// Blanket period over 12 months.
    BlanketTooLong {
        /// From.
        from: NaiveDate,
        /// To.
        to: NaiveDate,
        /// Issuer, for the remedy.
        issuer: Shown<String>,
    },
}

/// A provenance signal from the graph, by its stable code and the records it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Signal {
    /// The graph's stable signal code (`SHORT_DWELL`, `ORIGIN_LAUNDERING_SUSPECTED`, ...).
    pub code: String,
    /// The lot it is attached to.
    pub lot: String,
    /// Lots on the path.
    pub lots: Set<String>,
    /// Sites on the path.
    pub sites: Set<String>,
    /// Shipments and transformations on the path.
    pub events: Set<String>,
    /// The graph's sentence.
    pub message: Shown<String>,
    /// The graph's sentence on what clears it.
    pub clear: Shown<String>,
}

impl From<&origin_graph::SignalReport> for Signal {
    fn from(s: &origin_graph::SignalReport) -> Self {
        Signal {
            code: s.code.to_string(),
            lot: s.lot.clone(),
            lots: Set(s.evidence.lots.clone()),
            sites: Set(s.evidence.sites.clone()),
            events: Set(s.evidence.events.clone()),
            message: Shown(s.message.clone()),
            clear: Shown(s.clear.clone()),
        }
    }
}

impl Signal {
    fn evidence(&self) -> Vec<String> {
        let mut e = Vec::new();
        for (name, xs) in [("lots", &self.lots), ("sites", &self.sites), ("events", &self.events)] {
            if !xs.is_empty() {
                e.push(format!("{name}: {}", xs.join(", ")));
            }
        }
        e
    }
}

/// Which origins disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum Mismatch {
    /// The BOM line's declared origin differs from its lot's.
    BomAndLot {
        /// The BOM's.
        bom: Country,
        /// The lot's.
        lot_declared: Country,
    },
    /// The lot's declared origin differs from its traced origin.
    DeclaredAndTraced {
        /// Declared.
        declared: Country,
        /// Traced.
        traced: Country,
        /// The graph's account of where the traced origin was set.
        set_by: Shown<String>,
    },
}

/// What the route does outside the Parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum TransitProblem {
    /// The pack encodes no transit provision.
    NoProvision,
    /// Customs control at a stop is not stated.
    CustomsControlUnknown {
        /// Stop number, from 1.
        stop: usize,
        /// Its country.
        country: Country,
        /// The provision's citation.
        citation: Shown<String>,
    },
    /// A stop breaks Art. 4.18.
    Broken {
        /// Stop number, from 1.
        stop: usize,
        /// Its country.
        country: Country,
        /// Operations not allowed.
        operations: Set<String>,
        /// The good left customs control.
        left_customs_control: bool,
        /// The whole route.
        route: Vec<Country>,
        /// The operations allowed, for the remedy.
        allowed: Shown<Vec<String>>,
        /// The provision's citation.
        citation: Shown<String>,
    },
}

/// A finding of a self-produced material's audit, for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubFinding {
    /// Its code.
    pub code: Code,
    /// Its fingerprint (which hashes its facts).
    pub fingerprint: String,
    /// Its message.
    pub message: Shown<String>,
}

/// A self-produced material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum SelfProduced {
    /// An intermediate material built from materials also designated intermediate.
    NestedIntermediate {
        /// The material.
        line: String,
        /// The inner designated lines (`line/inner`).
        nested: Set<String>,
    },
    /// Audited on its own BOM.
    Audited {
        /// The material.
        line: String,
        /// Its classification.
        hs: HsCode,
        /// Designated intermediate.
        intermediate: bool,
        /// Its own outcome.
        outcome: Outcome,
        /// Its criterion, when qualified.
        criterion: Option<char>,
        /// Its own determination's summary.
        summary: Shown<String>,
        /// Its own findings.
        findings: Set<SubFinding>,
    },
}

/// An input error, by where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InputErrorAt {
    /// The file (a server upload's temporary path differs every time: shown only).
    pub file: Shown<String>,
    /// Line or row.
    pub line: Option<usize>,
    /// The field.
    pub field: String,
    /// What is wrong.
    pub message: Shown<String>,
    /// How to fix it.
    pub help: Shown<String>,
}

impl From<&crate::input::InputError> for InputErrorAt {
    fn from(e: &crate::input::InputError) -> Self {
        InputErrorAt {
            file: Shown(e.file.display().to_string()),
            line: e.line,
            field: e.field.clone(),
            message: Shown(e.message.clone()),
            help: Shown(e.help.clone()),
        }
    }
}

/// The facts of a finding, one kind per code (the tag `kind` is the code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Facts {
    /// The good's input, or the provenance of its lots, has errors.
    InputError {
        /// The lines whose provenance has errors; none when the good itself could not be read.
        provenance_of: Option<Set<String>>,
        /// The errors.
        errors: Set<InputErrorAt>,
    },
    /// No rule is encoded for the good's code on the date.
    NoRuleForHs {
        /// The good's code.
        hs: HsCode,
        /// How it was read in the rules' edition.
        read_as: Option<ReadAs>,
        /// The date.
        as_of: NaiveDate,
    },
    /// The rule depends on a fact the batch does not give.
    RuleNeedsFacts {
        /// The good's code.
        hs: HsCode,
        /// What is needed.
        question: RuleQuestion,
    },
    /// The rule (or staging table) applied is not verified.
    RuleTranscriptionCaveat {
        /// On what.
        on: CaveatOn,
    },
    /// RVC below the threshold by every method computed.
    RvcBelowThreshold {
        /// Rule id.
        rule: String,
        /// Alternative label.
        alternative: String,
        /// The methods computed.
        methods: Vec<RvcMethod>,
        /// How much VNM must fall.
        shortfall: Decimal,
        /// The smallest set of lines (largest first) whose origin would close the gap.
        closing: Set<ClosingLine>,
        /// Whether they close it (else even all non-originating materials do not).
        closes: bool,
        /// The batch currency.
        currency: Currency,
        /// The rule's and the RVC provision's citations.
        citation: Shown<String>,
    },
    /// Non-originating materials do not make the required change.
    TariffShiftNotMet {
        /// Rule id.
        rule: String,
        /// Alternative label.
        alternative: String,
        /// The rules crate's statement of the alternative.
        requirement: Shown<String>,
        /// The failing materials.
        failing: Set<FailingMaterial>,
        /// De minimis on them.
        de_minimis: Option<DeMinimis>,
        /// The batch currency.
        currency: Currency,
        /// The rule's citation.
        citation: Shown<String>,
    },
    /// A fact the determination needs is missing.
    MaterialFactMissing {
        /// Which.
        question: MissingFact,
    },
    /// De minimis rescued the shift.
    DeMinimisApplied {
        /// Alternative label.
        alternative: String,
        /// The failing lines.
        lines: Set<String>,
        /// De minimis.
        de_minimis: DeMinimis,
        /// The batch currency.
        currency: Currency,
        /// The de minimis provision's citation.
        citation: Shown<String>,
    },
    /// An origin claim without valid support.
    OriginUnsupported {
        /// Why.
        case: Unsupported,
    },
    /// A certification's blanket period does not cover the date.
    SupplierCertificationExpired {
        /// The line.
        line: LineRef,
        /// Certification id.
        certification: String,
        /// From.
        from: NaiveDate,
        /// To.
        to: NaiveDate,
        /// The as-of date.
        as_of: NaiveDate,
        /// Issuer, for the remedy.
        issuer: Shown<String>,
        /// Part, for the remedy.
        part: Shown<String>,
    },
    /// A certification is missing, invalid or does not cover the part.
    SupplierCertificationInvalid {
        /// The line.
        line: LineRef,
        /// Certification id.
        certification: String,
        /// What is wrong.
        problem: CertificationProblem,
    },
    /// The BOM's classification differs from the certified one.
    HsDiscrepancy {
        /// BOM line.
        line: String,
        /// Part number.
        part: Option<String>,
        /// The BOM's code.
        bom: HsCode,
        /// Certification id.
        certification: String,
        /// The certified code.
        certified: HsCode,
        /// Issuer, for the remedy.
        issuer: Shown<String>,
    },
    /// Two or more provenance signals on one path.
    OriginLaunderingSuspected {
        /// BOM line.
        line: String,
        /// Its lot.
        lot: String,
        /// The line claims a USMCA origin.
        claimed: bool,
        /// The graph's laundering signal.
        signal: Signal,
    },
    /// One provenance signal.
    ProvenanceSignal {
        /// BOM line.
        line: String,
        /// Its lot.
        lot: String,
        /// The signal.
        signal: Signal,
    },
    /// Declared and traced origins differ.
    DeclaredOriginMismatch {
        /// BOM line.
        line: String,
        /// Its lot.
        lot: String,
        /// Which.
        mismatch: Mismatch,
    },
    /// A lot the provenance data does not hold.
    ProvenanceGap {
        /// BOM line.
        line: String,
        /// The lot.
        lot: String,
    },
    /// Art. 4.18 on the route.
    TransitOutsideParties {
        /// What.
        problem: TransitProblem,
    },
    /// The staging for the good's category and date is not encoded.
    AutomotiveStagingNotEncoded {
        /// The category.
        category: String,
        /// The date.
        as_of: NaiveDate,
        /// Why (which table, which step).
        why: Shown<String>,
    },
    /// A self-produced material.
    SelfProducedMaterial {
        /// What.
        case: SelfProduced,
    },
    /// Deemed originating under GN 11(p).
    DeemedOriginating {
        /// The good's code.
        hs: HsCode,
        /// The listed code.
        listed: String,
        /// The list's name for the goods.
        name: Shown<String>,
        /// Importing Party.
        importing: Country,
        /// Imported from.
        from: Country,
        /// The provision's citation.
        citation: Shown<String>,
        /// The pack's note on certificates.
        note: Shown<Option<String>>,
    },
    /// A covered vehicle's LVC and steel/aluminum requirements are not encoded.
    VehicleRequirementNotEncoded {
        /// The good's code.
        hs: HsCode,
    },
    /// Under scenario `scenario`, content traced to `group` is above the cap on every base measured.
    ContentCapExceeded {
        /// The scenario id.
        scenario: String,
        /// The capped group as the scenario names it.
        group: String,
        /// The cap.
        max_share: Percent,
        /// Each base measured: (`transaction-value` or `net-cost`, base, share).
        bases: Vec<CapBase>,
        /// The capped lines (non-originating, traced or declared origin in the group).
        lines: Set<ClosingLine>,
        /// Their value.
        capped: Decimal,
        /// The fewest lines (cheapest last) whose re-sourcing brings the share within the cap.
        closing: Shown<Vec<ClosingLine>>,
        /// The batch currency.
        currency: Currency,
    },
    /// Under scenario `scenario`, the lines are steel or aluminium whose melt and pour the batch cannot
    /// show.
    MeltAndPourUnproven {
        /// The scenario id.
        scenario: String,
        /// The lines.
        lines: Set<LineRef>,
    },
    /// Lines of a watch group's chokepoint material whose (traced) origin is watched.
    ChokepointInput {
        /// The watch group's id.
        group: String,
        /// Its name.
        name: Shown<String>,
        /// The lines, with their value.
        lines: Set<ClosingLine>,
        /// Their origin (traced where the lot is traced, else declared).
        origin: Country,
        /// Their value.
        value: Decimal,
        /// Their share of the good's value.
        share: Option<Percent>,
        /// What the share is of (`adjusted transaction value`, `net cost`).
        base: Shown<String>,
        /// The HS texts the group's codes are read from.
        basis: Shown<String>,
        /// The batch currency.
        currency: Currency,
    },
}

/// One base of a content cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CapBase {
    /// `transaction-value` or `net-cost`.
    pub method: String,
    /// The adjusted TV or the NC.
    pub base: Decimal,
    /// The capped value's share of it.
    pub share: Percent,
}

/// The rendered text of a finding.
#[derive(Debug, Clone, Default)]
pub(crate) struct Text {
    pub message: String,
    pub citation: String,
    pub evidence: Vec<String>,
    pub remedy: String,
    pub materials: Vec<String>,
}

const CERTIFICATION_CITATION: &str = "Art. 4.5 (VNM includes materials of undetermined origin); 19 CFR 182.11-182.12";

fn joined<T: fmt::Display>(xs: &[T], sep: &str) -> String {
    xs.iter().map(ToString::to_string).collect::<Vec<_>>().join(sep)
}

impl Facts {
    /// The finding code these facts are of.
    pub fn code(&self) -> Code {
        match self {
            Facts::InputError { .. } => Code::InputError,
            Facts::NoRuleForHs { .. } => Code::NoRuleForHs,
            Facts::RuleNeedsFacts { .. } => Code::RuleNeedsFacts,
            Facts::RuleTranscriptionCaveat { .. } => Code::RuleTranscriptionCaveat,
            Facts::RvcBelowThreshold { .. } => Code::RvcBelowThreshold,
            Facts::TariffShiftNotMet { .. } => Code::TariffShiftNotMet,
            Facts::MaterialFactMissing { .. } => Code::MaterialFactMissing,
            Facts::DeMinimisApplied { .. } => Code::DeMinimisApplied,
            Facts::OriginUnsupported { .. } => Code::OriginUnsupported,
            Facts::SupplierCertificationExpired { .. } => Code::SupplierCertificationExpired,
            Facts::SupplierCertificationInvalid { .. } => Code::SupplierCertificationInvalid,
            Facts::HsDiscrepancy { .. } => Code::HsDiscrepancy,
            Facts::OriginLaunderingSuspected { .. } => Code::OriginLaunderingSuspected,
            Facts::ProvenanceSignal { .. } => Code::ProvenanceSignal,
            Facts::DeclaredOriginMismatch { .. } => Code::DeclaredOriginMismatch,
            Facts::ProvenanceGap { .. } => Code::ProvenanceGap,
            Facts::TransitOutsideParties { .. } => Code::TransitOutsideParties,
            Facts::AutomotiveStagingNotEncoded { .. } => Code::AutomotiveStagingNotEncoded,
            Facts::SelfProducedMaterial { .. } => Code::SelfProducedMaterial,
            Facts::DeemedOriginating { .. } => Code::DeemedOriginating,
            Facts::VehicleRequirementNotEncoded { .. } => Code::VehicleRequirementNotEncoded,
            Facts::ContentCapExceeded { .. } => Code::ContentCapExceeded,
            Facts::MeltAndPourUnproven { .. } => Code::MeltAndPourUnproven,
            Facts::ChokepointInput { .. } => Code::ChokepointInput,
        }
    }

    /// Why a certification does not support a line's origin ("certification `SC-7` covers ..."), for
    /// the three certification kinds; the material's status repeats it.
    pub fn certification_problem(&self) -> Option<String> {
        Some(match self {
            Facts::OriginUnsupported { case: Unsupported::NoCertification { .. } } => {
                "no supplier certification backs the USMCA origin".to_string()
            }
            Facts::SupplierCertificationExpired { certification: id, from, to, as_of, .. } => {
                format!("certification `{id}` covers {from} to {to}, not the as-of date {as_of}")
            }
            Facts::SupplierCertificationInvalid { certification: id, problem, .. } => match problem {
                CertificationProblem::NotInBatch { .. } => format!("certification `{id}` is not in the batch"),
                CertificationProblem::Unreadable { .. } => {
                    format!("certification `{id}` could not be read (see the input errors)")
                }
                CertificationProblem::NotParty { country, .. } => {
                    format!("certification `{id}` certifies `{country}`, not a USMCA Party")
                }
                CertificationProblem::OtherSupplier { issuer, supplier, .. } => {
                    format!("certification `{id}` was issued by {issuer}, not by this line's supplier {supplier}")
                }
                CertificationProblem::PartNotListed { part, .. } => {
                    format!("certification `{id}` does not list part {part}")
                }
                CertificationProblem::SignedAfter { signed, as_of } => {
                    format!("certification `{id}` is signed {signed} , after the as-of date {as_of}")
                }
                CertificationProblem::BlanketTooLong { from, to, .. } => {
                    format!("certification `{id}` has a blanket period of {from} to {to}, longer than 12 months")
                }
            },
            _ => return None,
        })
    }

    /// The message, citation, evidence, remedy and BOM lines: one function of the facts.
    pub(crate) fn render(&self) -> Text {
        let mut t = Text::default();
        match self {
            Facts::InputError { provenance_of, errors } => {
                t.message = match provenance_of {
                    Some(lines) => format!(
                        "the provenance of BOM line(s) {} has errors, so their origin cannot be traced: {} problem(s)",
                        lines.join(", "),
                        errors.len()
                    ),
                    None => format!("the good could not be read: {} problem(s)", errors.len()),
                };
                t.citation = "batch input (docs/batch-format.md)".into();
                t.evidence = errors
                    .iter()
                    .map(|e| {
                        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                        format!("{}{line}: `{}`: {} (help: {})", e.file, e.field, e.message, e.help)
                    })
                    .collect();
                t.remedy = errors.iter().map(|e| e.help.0.clone()).collect::<Vec<_>>().join("; ");
            }
            Facts::NoRuleForHs { hs, read_as, as_of } => {
                t.message = format!(
                    "no product-specific rule is encoded for `{hs}`{} on {as_of}; origin is not decided by a default",
                    ReadAs::note(read_as, *hs)
                );
                t.citation = "Annex 4-B / GN 11(o) (rule not in the pack: see docs/rules-coverage.md)".into();
                t.remedy =
                    format!("add the rule for `{hs}` from the official GN 11(o) text to the rule pack, then re-run");
            }
            Facts::RuleNeedsFacts { hs, question } => match question {
                RuleQuestion::Unreadable { nomenclature, error } => {
                    t.message = format!("the rule for `{hs}` cannot be found: {error}");
                    t.citation = "GN 11(o) (rules written in HS 2017); UNSD HS 2022-HS 2017 correlation".into();
                    t.remedy = format!(
                        "give the good's {nomenclature} code, or set the batch header's `nomenclature` to the edition its codes are in"
                    );
                }
                RuleQuestion::SeveralRules { read_as, rules } => {
                    let ids: Vec<String> = rules.iter().map(|r| format!("{} ({})", r.id, r.hs)).collect();
                    t.message = format!(
                        "several rules could apply to `{hs}`{}: {}",
                        ReadAs::note(read_as, *hs),
                        ids.join("; ")
                    );
                    t.citation = "Annex 4-B / GN 11(o)".into();
                    t.remedy = "state the good's `use` (vehicle), its `kind` as the rule describes it, or a deeper HS classification".into();
                }
                RuleQuestion::Correlation { nomenclature, rules_nomenclature, codes, answers, source } => {
                    t.message = format!(
                        "the rules of GN 11(o) are written in {rules_nomenclature}; {nomenclature} `{hs}` corresponds to {} of its subheadings ({}), and they give different answers",
                        codes.len(),
                        list_codes(codes, 12)
                    );
                    t.citation =
                        source.as_deref().map(|c| format!("GN 11(o); {c}")).unwrap_or_else(|| "GN 11(o)".into());
                    t.evidence =
                        answers.iter().map(|a| format!("{}: {}", a.words(), list_codes(&a.codes, 40))).collect();
                    t.remedy = format!(
                        "state which {rules_nomenclature} subheading the good was classified in (write it with the batch header `nomenclature: {}`), or show that one answer holds",
                        rules_nomenclature.as_str()
                    );
                }
                RuleQuestion::HeavyTruckCategory { rule, as_of, citation } => {
                    t.message = format!(
                        "rule {rule} is for use in a heavy truck and its RVC is not met; whether the good is a Table D principal part or a Table E complementary part (Appendix Art. 4.2, 4.4) decides the figure in force on {as_of}"
                    );
                    t.citation = format!("{citation}; Automotive Appendix Art. 4.2, 4.4");
                    t.remedy = "state `automotive: { category: heavy-truck-principal-part }` or `heavy-truck-complementary-part`; if the part is in neither table, a reviewer confirms the rule's own figure".into();
                }
            },
            Facts::RuleTranscriptionCaveat { on } => match on {
                CaveatOn::Rule { rule, citation, caveat, .. } => {
                    t.message = format!("the determination relies on rule {rule} ({citation}), {caveat}");
                    t.citation = citation.0.clone();
                    t.remedy = "check the rule against the official GN 11(o) text before certifying; then mark it verified in the pack".into();
                }
                CaveatOn::StagingTable { table, caveat } => {
                    t.message = format!("the determination relies on automotive staging table {table}: {caveat}");
                    t.citation = "GN 11(k); automotive.yaml".into();
                    t.remedy = "check the staging step against the official GN 11(k) text before certifying".into();
                }
            },
            Facts::RvcBelowThreshold {
                rule,
                alternative,
                methods,
                shortfall,
                closing,
                closes,
                currency: cur,
                citation,
            } => {
                let nums: Vec<String> =
                    methods.iter().map(|m| rvc::worked(&m.method, m.base, m.vnm, m.rvc, m.threshold, m.met)).collect();
                t.message = format!(
                    "alternative ({alternative}) of rule {rule}: regional value content below the threshold ({})",
                    nums.join("; ")
                );
                t.citation = citation.0.clone();
                t.evidence = nums;
                t.remedy = if *closes {
                    let lines: Vec<String> = closing
                        .iter()
                        .map(|c| format!("line {} ({}, {} {cur})", c.line, c.description, Amount(c.vnm)))
                        .collect();
                    format!(
                        "non-originating value must fall by {} {cur}; the smallest set of materials whose origin would close the gap: {} (source them from USMCA-originating suppliers with certifications)",
                        Amount::at_least(*shortfall),
                        lines.join(", ")
                    )
                } else {
                    format!(
                        "non-originating value must fall by {} {cur}; even all non-originating materials together do not close it",
                        Amount::at_least(*shortfall)
                    )
                };
            }
            Facts::TariffShiftNotMet { rule, alternative, requirement, failing, de_minimis, currency, citation } => {
                t.message = format!(
                    "alternative ({alternative}) of rule {rule}: {} non-originating material(s) do not make the change required ({requirement})",
                    failing.len()
                );
                t.citation = citation.0.clone();
                t.evidence = failing
                    .iter()
                    .map(|m| {
                        format!("{} {} ({}, {} {}): {}", m.line, m.description, m.hs, Amount(m.value), m.origin, m.why)
                    })
                    .collect();
                let suppliers: Vec<String> = failing
                    .iter()
                    .map(|m| format!("{} from {}", m.part, m.supplier.as_deref().unwrap_or("its supplier")))
                    .collect();
                t.remedy = format!(
                    "source originating (certified USMCA) material for: {}; or meet another alternative of the rule{}",
                    suppliers.join("; "),
                    de_minimis.as_ref().map(|d| format!(" ({})", d.outcome().why_not(*currency))).unwrap_or_default()
                );
                t.materials = failing.iter().map(|m| m.line.clone()).collect();
            }
            Facts::MaterialFactMissing { question } => match question {
                MissingFact::UnknownOrigin { lines, effect } => {
                    let effect = match effect {
                        UnknownEffect::Waits => "the determination waits on it",
                        UnknownEffect::QualifiesAnyway => {
                            "the good qualifies even with them counted as non-originating"
                        }
                        UnknownEffect::FailsAnyway => "the good would not qualify even if they were originating",
                    };
                    t.message = format!(
                        "the origin of {} BOM line(s) is stated unknown: {}; counted as non-originating ({effect})",
                        lines.len(),
                        joined(lines, ", ")
                    );
                    t.citation = "Art. 4.5 (VNM includes materials of undetermined origin)".into();
                    t.remedy = "obtain each material's country of origin from its supplier (with a certification for a USMCA origin) and re-run".into();
                    t.materials = lines.iter().map(|l| l.line.clone()).collect();
                }
                MissingFact::CriterionDClassification { lines, citation } => {
                    t.message = format!(
                        "criterion D depends on the classification of line(s) {}, stated unknown",
                        joined(lines, ", ")
                    );
                    t.citation = citation.0.clone();
                    t.remedy = "classify these materials (HS subheading) and re-run".into();
                    t.materials = lines.iter().map(|l| l.line.clone()).collect();
                }
                MissingFact::RuleQuestions { rule, questions, citation, .. } => {
                    t.message = format!("the determination under rule {rule} needs facts the batch does not give");
                    t.citation = citation.0.clone();
                    t.evidence = questions.0.clone();
                    t.remedy = format!("answer: {}", questions.join("; "));
                }
            },
            Facts::DeMinimisApplied { alternative, lines, de_minimis, currency, citation } => {
                t.message = format!(
                    "the shift of alternative ({alternative}) is met through de minimis: {}",
                    de_minimis.outcome().shares(*currency)
                );
                t.citation = citation.0.clone();
                t.remedy =
                    "none; keep the values and the classification of these materials on file (they still count in VNM)"
                        .into();
                t.materials = lines.to_vec();
            }
            Facts::OriginUnsupported { case: Unsupported::WhollyObtained { lines } } => {
                t.message = format!(
                    "the good is stated wholly obtained, but {} material(s) count as non-originating",
                    lines.len()
                );
                t.citation = "Art. 4.3 (wholly obtained goods)".into();
                t.remedy = "correct the wholly-obtained claim or support the materials' origin".into();
                t.materials = lines.to_vec();
            }
            Facts::OriginUnsupported { case: Unsupported::NoCertification { line, supplier, part, as_of } } => {
                t.remedy =
                    format!("request a USMCA certification of origin from {supplier} for part {part} covering {as_of}");
                self.certification_text(line, &mut t);
            }
            Facts::SupplierCertificationExpired { line, as_of, issuer, part, .. } => {
                t.remedy = format!(
                    "request a current certification from {issuer} for part {part} (blanket period including {as_of})"
                );
                self.certification_text(line, &mut t);
            }
            Facts::SupplierCertificationInvalid { line, certification: id, problem } => {
                t.remedy = match problem {
                    CertificationProblem::NotInBatch { supplier, part }
                    | CertificationProblem::Unreadable { supplier, part } => format!(
                        "add certification `{id}` to `supplier_certifications`, or request one from {supplier} for part {part}"
                    ),
                    CertificationProblem::NotParty { issuer, part, .. } => {
                        format!("treat part {part} as non-originating, or obtain a valid certification from {issuer}")
                    }
                    CertificationProblem::OtherSupplier { supplier, part, .. } => {
                        format!("cite {supplier}'s own certification for part {part}, or correct the BOM's supplier")
                    }
                    CertificationProblem::PartNotListed { part, issuer } => {
                        format!("ask {issuer} to add part {part} to the certification")
                    }
                    CertificationProblem::SignedAfter { as_of, .. } => {
                        format!("audit as of a date the certification covers, or obtain one signed by {as_of}")
                    }
                    CertificationProblem::BlanketTooLong { issuer, .. } => {
                        format!("obtain a certification from {issuer} with a blanket period of at most 12 months")
                    }
                };
                self.certification_text(line, &mut t);
            }
            Facts::HsDiscrepancy { line, part, bom, certification, certified, issuer } => {
                t.message = format!(
                    "BOM line `{line}` classifies part {} as `{bom}`, but certification `{certification}` certifies `{certified}`",
                    part.as_deref().unwrap_or("-")
                );
                t.citation = "Art. 4.5 / 19 CFR 182.11 (certification data element 6: HS classification)".into();
                t.remedy = format!(
                    "confirm the classification with {issuer}; correct the BOM or obtain a corrected certification"
                );
                t.materials = vec![line.clone()];
            }
            Facts::OriginLaunderingSuspected { line, lot, claimed, signal } => {
                let effect = if *claimed {
                    "the USMCA origin claimed for it is in doubt"
                } else {
                    "it already counts as non-originating, so the USMCA determination stands, but its country of origin for marking and trade remedies is in doubt"
                };
                t.message = format!("BOM line `{line}` (lot `{lot}`): {} ({effect})", signal.message);
                t.citation =
                    "Art. 4.2, 4.18 and the transshipment scrutiny of 19 U.S.C. 1517 / EO of 2025-07-31".into();
                t.evidence = signal.evidence();
                t.remedy = signal.clear.0.clone();
                t.materials = vec![line.clone()];
            }
            Facts::ProvenanceSignal { line, lot, signal } => {
                t.message = format!("BOM line `{line}` (lot `{lot}`): {} {}", signal.code, signal.message);
                t.citation = "provenance screening (transformation policy of the rule pack)".into();
                t.evidence = signal.evidence();
                t.remedy = signal.clear.0.clone();
                t.materials = vec![line.clone()];
            }
            Facts::DeclaredOriginMismatch { line, lot, mismatch } => {
                match mismatch {
                    Mismatch::BomAndLot { bom, lot_declared } => {
                        t.message = format!(
                            "BOM line `{line}` declares origin `{bom}`, but its lot `{lot}` is declared `{lot_declared}` in the provenance data"
                        );
                        t.citation = "19 CFR 182.15 (records supporting origin); Annex 5-A".into();
                        t.remedy =
                            format!("reconcile the BOM with the lot records of `{lot}` and the supplier's documents");
                    }
                    Mismatch::DeclaredAndTraced { declared, traced, set_by } => {
                        t.message = format!(
                            "BOM line `{line}` lot `{lot}` is declared `{declared}`, traced `{traced}` (origin set by {set_by})"
                        );
                        t.citation = "Art. 4.2; substantial transformation (CBP HQ H300226)".into();
                        t.remedy = format!(
                            "obtain production records for lot `{lot}` showing where it was transformed, or correct the declared origin"
                        );
                    }
                }
                t.materials = vec![line.clone()];
            }
            Facts::ProvenanceGap { line, lot } => {
                t.message = format!("BOM line `{line}` names lot `{lot}`, which the provenance data does not hold");
                t.citation = "19 CFR 182.15 (records supporting the origin of materials)".into();
                t.remedy = format!("add the shipments and transformations of lot `{lot}` to the provenance data");
                t.materials = vec![line.clone()];
            }
            Facts::TransitOutsideParties { problem } => match problem {
                TransitProblem::NoProvision => {
                    t.message =
                        "the route passes outside the Parties and the rule pack encodes no transit provision to judge it"
                            .into();
                    t.citation = "Art. 4.18 (not encoded in the pack)".into();
                    t.remedy = "add the transit provision to general.yaml, or have a reviewer judge the route".into();
                }
                TransitProblem::CustomsControlUnknown { stop, country, citation } => {
                    t.message = format!(
                        "route stop {stop} in `{country}`: the batch does not say whether the good stayed under customs control there"
                    );
                    t.citation = citation.0.clone();
                    t.remedy = format!(
                        "provide the customs documents showing the good stayed under customs control in `{country}` (and set `customs_control: true` on the stop)"
                    );
                }
                TransitProblem::Broken {
                    stop,
                    country,
                    operations,
                    left_customs_control,
                    route,
                    allowed,
                    citation,
                } => {
                    let mut why = Vec::new();
                    if !operations.is_empty() {
                        why.push(format!("operations not allowed outside the Parties: {}", operations.join(", ")));
                    }
                    if *left_customs_control {
                        why.push("the good left customs control".to_string());
                    }
                    t.message = format!("route stop {stop} in `{country}`: {}", why.join("; "));
                    t.citation = citation.0.clone();
                    t.evidence = vec![format!("route: {}", joined(route, " -> "))];
                    t.remedy = if allowed.is_empty() {
                        // A scenario that allows no operation outside the Parties (docs/scenarios.md).
                        format!(
                            "ship without any operation in `{country}` (route directly, or keep the good untouched under customs control); otherwise the good is not originating"
                        )
                    } else {
                        format!(
                            "provide customs documents showing the good stayed under customs control in `{country}` and underwent only {}; otherwise the good is not originating",
                            allowed.join(", ")
                        )
                    };
                }
            },
            Facts::AutomotiveStagingNotEncoded { as_of, why, .. } => {
                t.message = format!("the automotive RVC for this good's category on {as_of} is not encoded: {why}");
                t.citation = "GN 11(k); Automotive Appendix to Annex 4-B".into();
                t.remedy = "add the staging step from the official text to automotive.yaml, then re-run".into();
            }
            Facts::SelfProducedMaterial { case } => match case {
                SelfProduced::NestedIntermediate { line, nested } => {
                    t.message = format!(
                        "intermediate material `{line}` is built from other materials also designated intermediate ({}); only one layer may be designated",
                        nested.join(", ")
                    );
                    t.citation = "Art. 4.8; 19 U.S.C. 4531(d)(9)(B)".into();
                    t.remedy = "withdraw the designation of the inner materials (or of this one) and re-run".into();
                    t.materials = nested.to_vec();
                }
                SelfProduced::Audited { line, hs, intermediate, outcome, summary, findings, .. } => {
                    t.message = format!(
                        "self-produced material `{line}` ({hs}) audited on its own BOM: {summary}{}",
                        if *intermediate { " (designated intermediate material)" } else { "" }
                    );
                    t.citation =
                        "Art. 4.5 (roll-up), Art. 4.8 (intermediate materials); 19 U.S.C. 4531(d)(4), (d)(9)".into();
                    t.evidence = findings.iter().map(|f| format!("{}: {}", f.code.as_str(), f.message)).collect();
                    t.remedy =
                        if *outcome == Outcome::Qualified { "none" } else { "see the sub-BOM's findings" }.into();
                    t.materials = vec![line.clone()];
                }
            },
            Facts::DeemedOriginating { hs, listed, name, importing, from, citation, note } => {
                t.message = format!(
                    "`{hs}` is listed in GN 11(p) as {name} (`{listed}`) and is imported into {importing} from {from}: deemed originating"
                );
                t.citation = citation.0.clone();
                t.remedy = note.0.clone().unwrap_or_else(|| "none".to_string());
            }
            Facts::VehicleRequirementNotEncoded { hs } => {
                t.message = format!(
                    "`{hs}` may be a passenger vehicle, light truck or heavy truck: it is originating only if its producer also meets the labor value content requirement and the steel and aluminum purchasing requirement, which the rule pack does not encode and the batch format cannot carry"
                );
                t.citation =
                    "Automotive Appendix Art. 6 and 7; 19 U.S.C. 4532(a)(7), (c)(1), (c)(2); 19 CFR 182.93, 182.94"
                        .into();
                t.evidence = vec![
                    "missing: the producer's labor value content certification and calculation (Appendix Art. 7; 19 U.S.C. 4532(c)(1))".to_string(),
                    "missing: the producer's steel and aluminum purchasing certification (Appendix Art. 6; 19 U.S.C. 4532(c)(2); 19 CFR 182.94)".to_string(),
                ];
                t.remedy = "have a reviewer check the producer's LVC and steel/aluminum certifications; if the vehicle is not a passenger vehicle, light truck or heavy truck, state `automotive: { category: other-vehicle }`".into();
            }
            Facts::ContentCapExceeded { scenario, group, max_share, bases, lines, capped, closing, currency } => {
                let shares: Vec<String> = bases
                    .iter()
                    .map(|b| format!("{} {} / {} = {}", b.method, Amount(*capped), Amount(b.base), b.share))
                    .collect();
                t.message = format!(
                    "under scenario `{scenario}`: non-originating content traced to {group} is above the cap of {max_share} ({})",
                    shares.join("; ")
                );
                t.citation = format!("what-if scenario `{scenario}` (not law; see its file)");
                t.evidence = lines
                    .iter()
                    .map(|l| format!("{} ({}): {} {currency}", l.line, l.description, Amount(l.vnm)))
                    .collect();
                t.remedy = if closing.is_empty() {
                    format!(
                        "re-source content traced to {group}: even all of it does not bring the share within the cap"
                    )
                } else {
                    format!(
                        "re-source from outside {group} (or make originating): {}",
                        closing
                            .iter()
                            .map(|l| format!("{} ({} {currency})", l.line, Amount(l.vnm)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                t.materials = lines.iter().map(|l| l.line.clone()).collect();
            }
            Facts::MeltAndPourUnproven { scenario, lines } => {
                t.message = format!(
                    "under scenario `{scenario}`: steel or aluminium must be melted and poured in the Parties; the batch cannot show where {} {} melted and poured",
                    joined(lines, ", "),
                    if lines.len() == 1 { "was" } else { "were" }
                );
                t.citation = format!("what-if scenario `{scenario}` (not law; see its file)");
                t.remedy = "obtain mill test certificates naming the country of melt and pour for these lines".into();
                t.materials = lines.iter().map(|l| l.line.clone()).collect();
            }
            Facts::ChokepointInput { group, name, lines, origin, value, share, base, basis, currency } => {
                let share = match share {
                    Some(p) => format!(", {p} of the {base}"),
                    None => " (the good states no value to measure a share against)".to_string(),
                };
                t.message = format!(
                    "chokepoint input `{group}` ({name}) of origin {origin}: {} {currency}{share}",
                    Amount(*value)
                );
                t.citation = format!("screening watch group `{group}` of the rule pack (not law): {basis}");
                t.evidence = lines
                    .iter()
                    .map(|l| format!("{} ({}): {} {currency}", l.line, l.description, Amount(l.vnm)))
                    .collect();
                t.remedy =
                    "for the record: consider a second source outside the watched origin for supply security".into();
                t.materials = lines.iter().map(|l| l.line.clone()).collect();
            }
        }
        t
    }

    /// The message, citation and lines shared by the three certification kinds.
    fn certification_text(&self, line: &LineRef, t: &mut Text) {
        let why = self.certification_problem().unwrap_or_default();
        t.message = format!("BOM line `{}` ({}): {why}", line.line, line.description);
        t.citation = CERTIFICATION_CITATION.into();
        t.materials = vec![line.line.clone()];
    }
}
