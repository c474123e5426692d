//! The audit of one good: a pure function of (rule set, batch facts, provenance facts, good, date).
//!
//! Order (USMCA Chapter 4; 19 U.S.C. 4531(c)(1)): each material's status; Art. 4.18 on the route;
//! criterion A where claimed; C when every material originates; B by the product-specific rule's
//! alternatives (tariff shift with de minimis, RVC by TV and NC, conditions, automotive staging); D when
//! the shift fails only for same-subheading materials. Every number and reason goes into the
//! [`Determination`] so an auditor can redo it by hand.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use origin_core::{Country, Decimal, HsCode};
use origin_rules::explain::describe_alternative;
use origin_rules::nomenclature::evaluate_shift_mapped;
use origin_rules::shift::{KindFact, MaterialShift, ShiftMaterial, Verdict};
use origin_rules::{
    AlternativeScope, Lookup, Parties, Review, Rule, RuleQuery, RuleSet, RvcRequirement, ShiftRequirement,
};
use serde::Serialize;

use crate::checks::automotive::{self, Staging};
use crate::checks::de_minimis::{self, DeMinimisOutcome};
use crate::checks::material_status::{self, Status, Why};
use crate::checks::rvc::{self, MethodResult, RvcOutcome};
use crate::checks::transit;
use crate::finding::{
    Answer, CaveatOn, ClosingLine, Code, DeMinimis, Facts, FailingMaterial, Finding, LineRef, MissingFact, ReadAs,
    RuleAt, RuleQuestion, RvcMethod, SelfProduced, Set, Severity, Shown, SubFinding, UnknownEffect, Unsupported,
};
use crate::input::{Good, Material, Role, SupplierCertification};

/// What the provenance trace says about one lot, precomputed once per batch.
#[derive(Debug, Clone)]
pub struct LotFacts {
    /// Lot id.
    pub lot: String,
    /// Declared origin.
    pub declared_origin: Country,
    /// Traced origin.
    pub traced_origin: Country,
    /// Where the traced origin was set.
    pub origin_set_by: String,
    /// The laundering finding on its path, if any.
    pub laundering: Option<origin_graph::SignalReport>,
    /// Single signals on its path (left empty when `laundering` is set: that finding replaces them).
    pub signals: Vec<origin_graph::SignalReport>,
}

/// Everything an audit reads besides the good itself. No IO happens through it.
#[derive(Debug, Clone, Copy)]
pub struct AuditContext<'a> {
    /// The checked rule pack.
    pub rules: &'a RuleSet,
    /// The determination date.
    pub as_of: NaiveDate,
    /// Supplier certifications by id.
    pub certifications: &'a HashMap<String, SupplierCertification>,
    /// Ids of certifications that could not be read.
    pub bad_certifications: &'a HashSet<String>,
    /// The traced provenance graph each lot's facts are read from (`None`: no graph built).
    pub traced: Option<&'a crate::provenance::TracedGraph>,
    /// Whether the batch has provenance data at all.
    pub has_provenance: bool,
    /// The batch currency every value is in.
    pub currency: origin_core::Currency,
    /// The Party of importation (the batch header's `importing_party`).
    pub importing_party: Country,
    /// The country of the batch's exporter, when the header names one party.
    pub exporter_country: Option<Country>,
    /// The HS edition the batch's codes are in; rules are looked up and shifts compared in the pack's.
    pub nomenclature: origin_rules::Nomenclature,
}

/// The answer for a good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Originating under the criterion given.
    Qualified,
    /// Not originating.
    NotQualified,
    /// Cannot be decided from the batch and the pack: the findings say what is needed.
    NeedsEvidence,
}

impl Outcome {
    /// The words used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Qualified => "qualified",
            Outcome::NotQualified => "not qualified",
            Outcome::NeedsEvidence => "needs evidence",
        }
    }

    /// The word files, the store and the API use (`not-qualified`).
    pub fn slug(self) -> &'static str {
        match self {
            Outcome::Qualified => "qualified",
            Outcome::NotQualified => "not-qualified",
            Outcome::NeedsEvidence => "needs-evidence",
        }
    }
}

/// The rule applied, for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// Rule id.
    pub id: String,
    /// Codes it covers.
    pub hs: String,
    /// Citation.
    pub citation: String,
    /// Review status.
    pub review: &'static str,
    /// The caveat outputs must carry, for a non-verified rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<&'static str>,
    /// Verbatim text.
    pub text: String,
    /// How the good's code was read in the rule's HS edition, when it is not the code as given
    /// ("HS 2022 `9401.99` is HS 2017 `9401.90` (UNSD correlation)").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hs_mapping: Option<String>,
}

/// Values used, in the batch currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema, Default)]
pub struct Values {
    /// Transaction value as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_value: Option<Decimal>,
    /// International shipping removed.
    pub international_shipping: Decimal,
    /// TV adjusted to FOB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted_transaction_value: Option<Decimal>,
    /// Net cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_cost: Option<Decimal>,
    /// Total cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<Decimal>,
    /// Value of non-originating materials (including undetermined), after roll-up.
    pub vnm: Decimal,
    /// Value of originating materials.
    pub originating_materials: Decimal,
}

/// One material's part in the determination. It shares the batch's [`Material`] (no copy of its
/// texts per line) and keeps the explanations as data; both are written out only when serialized,
/// with the fields in this order: `line`, `part`, `description`, `hs`, `value`, `vnm`, `role`,
/// `declared_origin`, `traced_origin`, `supplier`, `lot`, `status`, `why`, `shift`
/// ([`crate::report::v1::Material`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialOutcome {
    /// The BOM line (line id, part, description, classification, value, role, declared origin).
    pub material: Arc<Material>,
    /// Value counted in VNM (after roll-up).
    pub vnm: Decimal,
    /// Traced origin.
    pub traced_origin: Option<Country>,
    /// Status.
    pub status: Status,
    /// Why.
    pub why: Why,
    /// Tariff shift under the alternative applied or closest (meets / fails / unknown: reason).
    pub shift: Option<ShiftNote>,
}

impl Serialize for MaterialOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let m = &*self.material;
        let len = 9 + [
            m.part.is_some(),
            self.traced_origin.is_some(),
            m.supplier.is_some(),
            m.lot.is_some(),
            self.shift.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        let mut st = s.serialize_struct("MaterialOutcome", len)?;
        st.serialize_field("line", &*m.line)?;
        match &m.part {
            Some(p) => st.serialize_field("part", &**p)?,
            None => st.skip_field("part")?,
        }
        st.serialize_field("description", &*m.description)?;
        match &m.hs {
            Some(h) => st.serialize_field("hs", h)?,
            None => st.serialize_field("hs", "unknown")?,
        }
        st.serialize_field("value", &m.value)?;
        st.serialize_field("vnm", &self.vnm)?;
        st.serialize_field("role", &m.role)?;
        match &m.origin {
            Some(c) => st.serialize_field("declared_origin", c)?,
            None => st.serialize_field("declared_origin", "unknown")?,
        }
        match &self.traced_origin {
            Some(t) => st.serialize_field("traced_origin", t)?,
            None => st.skip_field("traced_origin")?,
        }
        match &m.supplier {
            Some(s) => st.serialize_field("supplier", &**s)?,
            None => st.skip_field("supplier")?,
        }
        match &m.lot {
            Some(l) => st.serialize_field("lot", &**l)?,
            None => st.skip_field("lot")?,
        }
        st.serialize_field("status", &self.status)?;
        st.serialize_field("why", &self.why)?;
        match &self.shift {
            Some(n) => st.serialize_field("shift", n)?,
            None => st.skip_field("shift")?,
        }
        st.end()
    }
}

/// A material's tariff shift under one alternative, written "(A) meets: reason".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftNote {
    /// The alternative's label.
    pub label: Arc<str>,
    /// The answer.
    pub answer: MaterialShift,
}

impl fmt::Display for ShiftNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.answer {
            MaterialShift::Meets(_) => "meets",
            MaterialShift::Fails(_) => "fails",
            MaterialShift::Unknown(_) => "unknown",
        };
        write!(f, "({}) {word}: {}", self.label, self.answer.reason())
    }
}

impl Serialize for ShiftNote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        origin_core::serialize_display(s, self)
    }
}

/// How one alternative of the rule fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlternativeOutcome {
    /// Label.
    pub label: String,
    /// The requirement in plain words.
    pub requirement: String,
    /// `met`, `not met`, `undetermined` or `not applicable`.
    pub outcome: &'static str,
    /// Tariff shift verdict, when the alternative has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shift: Option<String>,
    /// Lines that fail the shift.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing_materials: Vec<String>,
    /// De minimis, when the shift failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub de_minimis: Option<DeMinimisOutcome>,
    /// RVC, when required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rvc: Option<RvcOutcome>,
    /// Why it is not met or undetermined.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// The determination for a good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Determination {
    /// Qualified, not qualified, needs evidence.
    pub outcome: Outcome,
    /// Origin criterion A-D when qualified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criterion: Option<char>,
    /// One sentence.
    pub summary: String,
    /// The rule applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    /// The alternative that was met.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
    /// Values.
    pub values: Values,
    /// Every alternative's outcome.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<AlternativeOutcome>,
    /// Criterion D's RVC, when tried.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub criterion_d_rvc: Vec<MethodResult>,
    /// Every material.
    pub materials: Vec<MaterialOutcome>,
    /// Caveats every reader must see (unverified or incomplete rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<String>,
}

/// A good's audit: determination and findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoodAudit {
    /// Good id.
    pub good: String,
    /// Description.
    pub description: String,
    /// Classification.
    pub hs: String,
    /// Determination.
    pub determination: Determination,
    /// Findings.
    pub findings: Vec<Finding>,
}

impl GoodAudit {
    /// Whether any finding blocks a certificate.
    pub fn has_blocking(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Blocking)
    }
}

/// A material as the tariff-shift semantics see it: only a material whose classification is stated
/// (one stated `unknown` is kept out of the test and makes the shift undetermined).
struct ShiftView<'a>(&'a Material, HsCode);

impl ShiftMaterial for ShiftView<'_> {
    fn hs(&self) -> HsCode {
        self.1
    }
    fn is_kind(&self, kind: &str) -> KindFact {
        match &self.0.kinds {
            None => KindFact::Unknown,
            Some(ks) if ks.iter().any(|k| k.eq_ignore_ascii_case(kind)) => KindFact::Yes,
            Some(_) => KindFact::No,
        }
    }
}

/// A material with its decided status and VNM contribution; `i` is its position in the BOM.
struct Decided<'a> {
    i: usize,
    m: &'a Arc<Material>,
    status: Status,
    why: Why,
    traced: Option<Country>,
    vnm: Decimal,
}

/// Audits one good.
pub fn audit_good(cx: &AuditContext<'_>, good: &Good) -> GoodAudit {
    audit(cx, good, Imported::Yes)
}

/// Whether the good audited is the one imported, or a self-produced material inside it (which is
/// never imported: GN 11(p) and the vehicle requirements concern the imported good).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Imported {
    Yes,
    SelfProducedMaterial,
}

fn audit(cx: &AuditContext<'_>, good: &Good, imported: Imported) -> GoodAudit {
    let mut findings = Vec::new();
    let decided = decide_materials(cx, good, &mut findings);
    let counted: Vec<&Decided<'_>> =
        decided.iter().filter(|d| d.m.role != Role::Packing && d.m.role != Role::Indirect).collect();
    let vnm: Decimal = counted.iter().map(|d| d.vnm).sum();
    let originating_value: Decimal =
        counted.iter().filter(|d| d.status == Status::Originating).map(|d| d.m.value).sum();
    let values = Values {
        transaction_value: good.transaction_value,
        international_shipping: good.international_shipping,
        adjusted_transaction_value: good.adjusted_tv(),
        net_cost: good.net_cost,
        total_cost: good.total_cost,
        vnm,
        originating_materials: originating_value,
    };
    let mut det = Determination {
        outcome: Outcome::NeedsEvidence,
        criterion: None,
        summary: String::new(),
        rule: None,
        alternative: None,
        values,
        alternatives: Vec::new(),
        criterion_d_rvc: Vec::new(),
        materials: Vec::new(),
        caveats: Vec::new(),
    };
    let (transit_verdict, transit_findings) = transit::check(cx.rules, good);
    findings.extend(transit_findings);

    // Produced entirely in the territory of one or more Parties (every criterion requires it).
    let non_originating: Vec<&Decided<'_>> =
        counted.iter().copied().filter(|d| d.status.counts_as_non_originating()).collect();
    let mut shift_notes: Vec<Option<ShiftNote>> = vec![None; decided.len()];
    if !good.place_of_production.is_usmca_party() {
        det.outcome = Outcome::NotQualified;
        det.summary = format!("not originating: produced in `{}`, outside the USMCA Parties", good.place_of_production);
    } else if good.wholly_obtained && non_originating.is_empty() {
        det.outcome = Outcome::Qualified;
        det.criterion = Some('A');
        det.summary =
            "originating under criterion A: wholly obtained or produced in the Parties, as the producer states".into();
    } else if non_originating.is_empty() && !counted.is_empty() {
        det.outcome = Outcome::Qualified;
        det.criterion = Some('C');
        det.summary =
            "originating under criterion C: produced in the Parties exclusively from originating materials".into();
    } else {
        if good.wholly_obtained {
            findings.push(Finding::of(
                Severity::Warning,
                &good.id,
                Facts::OriginUnsupported {
                    case: Unsupported::WhollyObtained {
                        lines: non_originating.iter().map(|d| d.m.line.to_string()).collect(),
                    },
                },
            ));
        }
        criterion_b_and_d(cx, good, &non_originating, &mut det, &mut findings, &mut shift_notes);
        if det.outcome == Outcome::NotQualified {
            would_qualify_if_supported(cx, good, &non_originating, &mut det, &mut findings);
        }
    }
    // GN 11(p): listed goods imported into the United States from Mexico or Canada are originating
    // "notwithstanding any other provisions of this note": the product rule, the place of production and
    // the route before the exporting Party do not matter.
    let mut transit_verdict = transit_verdict;
    let deemed = if imported == Imported::Yes { deemed_originating(cx, good) } else { Deemed::No };
    match deemed {
        Deemed::Listed { name, code, from, note } => {
            det.outcome = Outcome::Qualified;
            det.criterion = None;
            det.alternative = None;
            let citation = cx.rules.general.deemed_originating.as_ref().map(|x| x.provision.citation.to_string());
            let citation = citation.unwrap_or_default();
            det.summary = format!(
                "deemed originating: {name} of `{code}` imported into {} from {from} ({citation}), whatever the product rule says",
                cx.importing_party
            );
            // The product rule and the route do not decide a deemed-originating good: their findings go.
            findings.retain(|f| {
                !matches!(
                    f.code,
                    Code::TransitOutsideParties
                        | Code::TariffShiftNotMet
                        | Code::RvcBelowThreshold
                        | Code::MaterialFactMissing
                        | Code::NoRuleForHs
                        | Code::RuleNeedsFacts
                        | Code::AutomotiveStagingNotEncoded
                )
            });
            transit_verdict = transit::Transit::Clean;
            findings.push(Finding::of(
                Severity::Info,
                &good.id,
                Facts::DeemedOriginating {
                    hs: good.hs,
                    listed: code,
                    name: Shown(name),
                    importing: cx.importing_party,
                    from,
                    citation: Shown(citation),
                    note: Shown(note),
                },
            ));
        }
        Deemed::Unsettled(question) if det.outcome != Outcome::Qualified => {
            det.outcome = Outcome::NeedsEvidence;
            det.criterion = None;
            det.summary = format!("needs evidence: {question}; under its product rule: {}", det.summary);
        }
        Deemed::Unsettled(_) | Deemed::No => {}
    }
    if imported == Imported::Yes {
        vehicle_requirements(good, &mut det, &mut findings);
    }
    if transit_verdict == transit::Transit::Unknown && det.outcome == Outcome::Qualified {
        det.summary = format!(
            "needs evidence: the route outside the Parties must be shown to keep the good under customs control (Art. 4.18); before transit: {}",
            det.summary
        );
        det.outcome = Outcome::NeedsEvidence;
        det.criterion = None;
        det.alternative = None;
    }
    if transit_verdict == transit::Transit::Broken && det.outcome != Outcome::NotQualified {
        det.summary = format!(
            "not originating: it lost any originating status in transit outside the Parties (Art. 4.18); before transit: {}",
            det.summary
        );
        det.outcome = Outcome::NotQualified;
        det.criterion = None;
        det.alternative = None;
    }
    // Materials whose origin the batch states `unknown` count as non-originating (Art. 4.5); the finding
    // asks for their origin, blocking when the determination could change with it.
    let unknown_origin: Vec<&Decided<'_>> = counted.iter().copied().filter(|d| d.m.origin.is_none()).collect();
    if !unknown_origin.is_empty() {
        let lines: Set<LineRef> = unknown_origin.iter().map(|d| line_ref(d.m)).collect();
        let (severity, effect) = match det.outcome {
            Outcome::NeedsEvidence => (Severity::Blocking, UnknownEffect::Waits),
            Outcome::Qualified => (Severity::Warning, UnknownEffect::QualifiesAnyway),
            Outcome::NotQualified => (Severity::Warning, UnknownEffect::FailsAnyway),
        };
        findings.push(Finding::of(
            severity,
            &good.id,
            Facts::MaterialFactMissing { question: MissingFact::UnknownOrigin { lines, effect } },
        ));
    }
    if imported == Imported::Yes {
        chokepoints(cx, good, &decided, &det.values, &mut findings);
    }
    det.materials = decided
        .into_iter()
        .zip(shift_notes)
        .map(|(d, shift)| MaterialOutcome {
            material: d.m.clone(),
            vnm: d.vnm,
            traced_origin: d.traced,
            status: d.status,
            why: d.why,
            shift,
        })
        .collect();
    findings.sort_by_key(|f| (f.severity, f.code));
    GoodAudit {
        good: good.id.clone(),
        description: good.description.clone(),
        hs: good.hs.to_string(),
        determination: det,
        findings,
    }
}

/// CHOKEPOINT_INPUT (info): the lines of each watch group's materials (the pack's
/// `transformation-policy.yaml` `watch_groups`) whose traced origin, or declared origin when no lot is
/// traced, is watched, with their share of the adjusted TV (else the NC). Packing and indirect
/// materials are left out.
fn chokepoints(
    cx: &AuditContext<'_>,
    good: &Good,
    decided: &[Decided<'_>],
    values: &Values,
    findings: &mut Vec<Finding>,
) {
    for w in &cx.rules.transformation_policy.watch_groups {
        let mut by_origin: Vec<(Country, Vec<ClosingLine>)> = Vec::new();
        for d in decided.iter().filter(|d| d.m.role != Role::Packing && d.m.role != Role::Indirect) {
            let (Some(hs), Some(origin)) = (d.m.hs, d.traced.or(d.m.origin)) else { continue };
            if !w.origins.contains(&origin) || !w.hs.0.iter().any(|r| r.overlaps_code(hs)) {
                continue;
            }
            let line = ClosingLine {
                line: d.m.line.to_string(),
                description: Shown(d.m.description.to_string()),
                vnm: d.m.value,
            };
            match by_origin.iter_mut().find(|(c, _)| *c == origin) {
                Some((_, ls)) => ls.push(line),
                None => by_origin.push((origin, vec![line])),
            }
        }
        for (origin, lines) in by_origin {
            let value: Decimal = lines.iter().map(|l| l.vnm).sum();
            let (base, share) = match (values.adjusted_transaction_value, values.net_cost) {
                (Some(tv), _) if tv > Decimal::ZERO => {
                    ("adjusted transaction value", origin_core::Percent::ratio(value, tv))
                }
                (_, Some(nc)) if nc > Decimal::ZERO => ("net cost", origin_core::Percent::ratio(value, nc)),
                _ => ("good's value", None),
            };
            findings.push(Finding::of(
                Severity::Info,
                &good.id,
                Facts::ChokepointInput {
                    group: w.id.clone(),
                    name: Shown(w.name.clone()),
                    lines: Set(lines),
                    origin,
                    value,
                    share,
                    base: Shown(base.to_string()),
                    basis: Shown(w.basis.clone()),
                    currency: cx.currency,
                },
            ));
        }
    }
}

/// Whether GN 11(p) deems the good originating.
enum Deemed {
    /// Listed, imported into the listed Party from a listed Party.
    Listed { name: String, code: String, from: Country, note: Option<String> },
    /// It may be listed or may come from a listed Party; the question settles it.
    Unsettled(String),
    /// Not deemed originating (as far as the pack encodes the list).
    No,
}

/// The Party the good is imported from: the stop before the importing Party at the end of the route,
/// else the batch exporter's country.
fn exported_from(cx: &AuditContext<'_>, good: &Good) -> Option<Country> {
    match good.route.as_slice() {
        [.., before, last] if last.country == cx.importing_party => Some(before.country),
        _ => cx.exporter_country,
    }
}

fn deemed_originating(cx: &AuditContext<'_>, good: &Good) -> Deemed {
    let Some(list) = cx.rules.general.deemed_originating.as_ref() else { return Deemed::No };
    if cx.importing_party != list.importing_party {
        return Deemed::No;
    }
    let (name, code) = match list.lookup(good.hs) {
        origin_rules::DeemedMatch::NotListed => return Deemed::No,
        origin_rules::DeemedMatch::NeedsTariffItem(items) => {
            return Deemed::Unsettled(format!(
                "GN 11(p) deems goods of {} originating: state the good's tariff item to show whether it is one",
                items.join(", ")
            ));
        }
        origin_rules::DeemedMatch::MayBeInUnreadPart => {
            return Deemed::Unsettled(format!(
                "the GN 11(p) list of goods deemed originating is cut in the copy read ({}), and its unread part may name `{}`",
                list.missing.as_deref().unwrap_or("see general.yaml"),
                good.hs
            ));
        }
        origin_rules::DeemedMatch::Listed(name, code) => (name, code),
    };
    let parties: Vec<String> = list.from_parties.iter().map(|c| c.to_string()).collect();
    match exported_from(cx, good) {
        Some(from) if list.from_parties.contains(&from) => {
            Deemed::Listed { name, code, from, note: list.certificate_note.clone() }
        }
        Some(_) => Deemed::No,
        None => Deemed::Unsettled(format!(
            "GN 11(p) deems {name} of `{code}` originating when imported into {} from {}: state the route (ending in {}) or the batch exporter to show where it is imported from",
            list.importing_party,
            parties.join(" or "),
            list.importing_party
        )),
    }
}

/// A vehicle that may be a passenger vehicle, light truck or heavy truck (the "covered vehicles" of
/// 19 U.S.C. 4532(a)(7)) is originating only if its producer also meets the labor value content
/// (Appendix Art. 7; 4532(c)(1)) and steel and aluminum purchasing (Appendix Art. 6; 4532(c)(2); 19 CFR
/// 182.94) requirements. Neither is encoded (automotive.yaml `not_encoded`) and the batch format cannot
/// carry their data, so such a vehicle is never "qualified": it needs evidence. Of headings 8701-8705,
/// GN 11(k) page 43 (A)(1) and (B)(1) name the vehicles of 8701 other than 8701.20, of 8702, of 8704.10
/// and of 8705 as the other vehicles with their own RVC; 8701.20, 8703 and the rest of 8704 may be
/// covered vehicles unless the batch states `automotive: { category: other-vehicle }`.
fn vehicle_requirements(good: &Good, det: &mut Determination, findings: &mut Vec<Finding>) {
    let digits = good.hs.plain();
    let may_be_covered = digits.starts_with("870120")
        || digits.starts_with("8703")
        || (digits.starts_with("8704") && !digits.starts_with("870410"));
    if !may_be_covered
        || good.automotive == Some(origin_rules::StagingCategory::OtherVehicle)
        || det.outcome == Outcome::NotQualified
    {
        return;
    }
    findings.push(Finding::of(Severity::Blocking, &good.id, Facts::VehicleRequirementNotEncoded { hs: good.hs }));
    if det.outcome == Outcome::Qualified {
        det.outcome = Outcome::NeedsEvidence;
        det.summary = format!(
            "needs evidence: the labor value content and steel and aluminum requirements for a covered vehicle are not encoded (Appendix Art. 6-7); before them: {}",
            det.summary
        );
        det.criterion = None;
        det.alternative = None;
    }
}

/// Status of every material, with the roll-up of self-produced ones.
fn decide_materials<'a>(cx: &AuditContext<'_>, good: &'a Good, findings: &mut Vec<Finding>) -> Vec<Decided<'a>> {
    let mut out = Vec::new();
    for (i, m) in good.materials.iter().enumerate() {
        let d = material_status::decide(cx, &good.id, m, findings);
        let mut decided = Decided { i, m, status: d.status, why: d.why, traced: d.traced_origin, vnm: Decimal::ZERO };
        if let Some(sp) = m.self_produced.as_ref().filter(|sp| sp.intermediate) {
            let nested: Vec<String> = sp
                .materials
                .iter()
                .filter(|x| x.self_produced.as_ref().is_some_and(|y| y.intermediate))
                .map(|x| format!("{}/{}", m.line, x.line))
                .collect();
            if !nested.is_empty() {
                findings.push(Finding::of(
                    Severity::Blocking,
                    &good.id,
                    Facts::SelfProducedMaterial {
                        case: SelfProduced::NestedIntermediate { line: m.line.to_string(), nested: Set(nested) },
                    },
                ));
            }
        }
        // A self-produced material always has a classification (the batch reader requires it).
        if let (Some(sp), true, Some(sub_hs)) = (&m.self_produced, d.status == Status::Originating, m.hs) {
            // Audit the self-produced material on its own BOM and rule (Art. 4.5 roll-up; 4.8 intermediate).
            // It is made for the vehicle the good goes into, so it keeps the good's vehicle use (the rules
            // of GN 11(o) ch. 87 turn on "for use in a passenger vehicle ..."); its kind is the one its BOM
            // line states, else the good's kind when it shares the good's heading.
            let sub = Good {
                id: format!("{}/{}", good.id, m.line),
                description: m.description.to_string(),
                hs: sub_hs,
                vehicle_use: good.vehicle_use,
                kind: sub_assembly_kind(good, m),
                producer: good.producer.clone(),
                place_of_production: good.place_of_production,
                wholly_obtained: false,
                transaction_value: None,
                international_shipping: Decimal::ZERO,
                net_cost: Some(sp.net_cost.unwrap_or(m.value)),
                total_cost: Some(sp.net_cost.unwrap_or(m.value)),
                operations: Vec::new(),
                route: Vec::new(),
                automotive: None,
                conditions_met: Vec::new(),
                invoice: None,
                materials: sp.materials.clone(),
            };
            let sub_audit = audit(cx, &sub, Imported::SelfProducedMaterial);
            let qualified = sub_audit.determination.outcome == Outcome::Qualified;
            // Findings about the sub-BOM's own materials (support, provenance) stay visible on the good.
            for f in sub_audit.findings.iter().filter(|f| {
                matches!(
                    f.code,
                    Code::OriginUnsupported
                        | Code::SupplierCertificationExpired
                        | Code::SupplierCertificationInvalid
                        | Code::HsDiscrepancy
                        | Code::OriginLaunderingSuspected
                        | Code::ProvenanceSignal
                        | Code::DeclaredOriginMismatch
                        | Code::ProvenanceGap
                )
            }) {
                findings.push(f.within(&good.id, &m.line));
            }
            findings.push(Finding::of(
                Severity::Info,
                &good.id,
                Facts::SelfProducedMaterial {
                    case: SelfProduced::Audited {
                        line: m.line.to_string(),
                        hs: sub_hs,
                        intermediate: sp.intermediate,
                        outcome: sub_audit.determination.outcome,
                        criterion: sub_audit.determination.criterion,
                        summary: Shown(sub_audit.determination.summary.clone()),
                        findings: sub_audit
                            .findings
                            .iter()
                            .map(|f| SubFinding {
                                code: f.code,
                                fingerprint: f.fingerprint.clone(),
                                message: Shown(f.message.clone()),
                            })
                            .collect(),
                    },
                },
            ));
            if qualified {
                decided.why = Why::Text(format!("self-produced; {}", sub_audit.determination.summary));
            } else {
                decided.status = Status::NonOriginating;
                if sp.intermediate {
                    decided.vnm = m.value;
                    decided.why = Why::Text(format!(
                        "self-produced intermediate material, not originating: its whole value counts in VNM ({})",
                        sub_audit.determination.summary
                    ));
                } else {
                    decided.vnm = sub_audit.determination.values.vnm;
                    decided.why = Why::Text(format!(
                        "self-produced, not originating: only the non-originating materials used to make it ({}) count in VNM",
                        sub_audit.determination.values.vnm
                    ));
                }
            }
        } else if d.status.counts_as_non_originating() {
            decided.vnm = m.value;
        }
        out.push(decided);
    }
    out
}

/// The kind a self-produced material is audited as: the one kind its BOM line states, else the good's
/// kind when the material shares the good's heading (a sub-assembly of the same sort of good).
fn sub_assembly_kind(good: &Good, m: &Material) -> Option<String> {
    match m.kinds.as_deref() {
        Some([k]) => Some(k.clone()),
        Some(_) => None,
        None if m.hs.and_then(|h| h.heading()).is_some_and(|h| Some(h) == good.hs.heading()) => good.kind.clone(),
        None => None,
    }
}

fn rule_ref(rule: &Rule, hs_mapping: Option<String>) -> RuleRef {
    RuleRef {
        id: rule.id.clone(),
        hs: rule.hs_key(),
        citation: rule.citation.to_string(),
        review: rule.review.as_str(),
        caveat: rule.review.caveat(),
        text: rule.text.trim().to_string(),
        hs_mapping,
    }
}

/// How the good's code was read when it was read as another code: "HS 2022 `9401.99` is HS 2017
/// `9401.90` (source)" ([`ReadAs::text`]).
fn code_reading(cx: &AuditContext<'_>, good: &Good, code: HsCode) -> Option<ReadAs> {
    if code == good.hs {
        return None;
    }
    let source = cx.rules.correlation.as_ref().map(|c| format!("{}, pack file {}", c.citation, c.file.display()));
    Some(ReadAs { from: cx.nomenclature, to: cx.rules.nomenclature, code, source: Shown(source) })
}

/// The good decided under one HS 2017 counterpart of its code: the code, the determination, its
/// findings and its per-material shift notes.
struct Reading(HsCode, Determination, Vec<Finding>, Vec<Option<ShiftNote>>);

/// Criterion B and D in the rule's HS edition. The good's code is read there through the pack's
/// correlation (GN 11(o) is written in HS 2017); with several counterparts each is tried, and only
/// when they all give the same answer is there no question (a one-to-many correlation is never
/// resolved by picking one).
fn criterion_b_and_d(
    cx: &AuditContext<'_>,
    good: &Good,
    non_originating: &[&Decided<'_>],
    det: &mut Determination,
    findings: &mut Vec<Finding>,
    notes: &mut [Option<ShiftNote>],
) {
    let codes = match cx.rules.rule_codes(good.hs, cx.nomenclature) {
        Ok(c) => c,
        Err(e) => {
            det.summary = format!("needs evidence: the good's code cannot be read in the rules' HS edition: {e}");
            findings.push(Finding::of(
                Severity::Blocking,
                &good.id,
                Facts::RuleNeedsFacts {
                    hs: good.hs,
                    question: RuleQuestion::Unreadable { nomenclature: cx.nomenclature, error: Shown(e.to_string()) },
                },
            ));
            return;
        }
    };
    if let [one] = codes.as_slice() {
        criterion_b_and_d_at(cx, good, *one, non_originating, det, findings, notes);
        return;
    }
    let tries: Vec<Reading> = codes
        .iter()
        .map(|c| {
            let mut d = det.clone();
            let mut f = Vec::new();
            let mut n = vec![None; notes.len()];
            criterion_b_and_d_at(cx, good, *c, non_originating, &mut d, &mut f, &mut n);
            Reading(*c, d, f, n)
        })
        .collect();
    let answer = |d: &Determination| (d.outcome, d.criterion);
    let listed = origin_rules::nomenclature::list_codes(&codes, 12);
    let all_same = tries.windows(2).all(|w| answer(&w[0].1) == answer(&w[1].1));
    if let Some(Reading(c, d, f, n)) = tries.first().filter(|t| all_same && t.1.outcome != Outcome::NeedsEvidence) {
        *det = d.clone();
        findings.extend(f.iter().cloned());
        notes.clone_from_slice(n);
        let note = format!(
            "{} `{}` corresponds to {} {} codes ({listed}); each gives this answer; shown under `{c}`",
            cx.nomenclature,
            good.hs,
            codes.len(),
            cx.rules.nomenclature
        );
        if let Some(r) = det.rule.as_mut() {
            r.hs_mapping = Some(note.clone());
        }
        det.caveats.push(note);
        return;
    }
    // The answer depends on the HS 2017 code: a question naming the candidates and each answer.
    let mut answers: Vec<Answer> = Vec::new();
    for Reading(c, d, _, _) in &tries {
        let answer = Answer {
            outcome: d.outcome,
            // What the question shows of each answer: the criterion of a qualified one under a rule.
            criterion: if d.outcome == Outcome::Qualified && d.rule.is_some() { d.criterion } else { None },
            rule: d.rule.as_ref().map(|r| r.id.clone()),
            no_rule: d.rule.is_none() && d.summary.contains("encodes no rule"),
            codes: Set::default(),
        };
        match answers.iter_mut().find(|a| Answer { codes: Set::default(), ..(*a).clone() } == answer) {
            Some(a) => a.codes.0.push(*c),
            None => answers.push(Answer { codes: Set(vec![*c]), ..answer }),
        }
    }
    det.summary = format!(
        "needs evidence: {} `{}` corresponds to {} {} subheadings ({listed}) and the answer depends on which one the good was classified in",
        cx.nomenclature,
        good.hs,
        codes.len(),
        cx.rules.nomenclature
    );
    findings.push(Finding::of(
        Severity::Blocking,
        &good.id,
        Facts::RuleNeedsFacts {
            hs: good.hs,
            question: RuleQuestion::Correlation {
                nomenclature: cx.nomenclature,
                rules_nomenclature: cx.rules.nomenclature,
                codes: Set(codes.clone()),
                answers: Set(answers),
                source: Shown(cx.rules.correlation.as_ref().map(|c| c.citation.to_string())),
            },
        },
    ));
}

/// Criterion B by the product-specific rule, then D, with the good read as `code` of the rules' edition.
fn criterion_b_and_d_at(
    cx: &AuditContext<'_>,
    good: &Good,
    code: HsCode,
    non_originating: &[&Decided<'_>],
    det: &mut Determination,
    findings: &mut Vec<Finding>,
    notes: &mut [Option<ShiftNote>],
) {
    let q = RuleQuery {
        hs: code,
        as_of: cx.as_of,
        vehicle_use: good.vehicle_use,
        good_kind: good.kind.as_deref(),
        parties: Some(Parties { exporting: good.place_of_production, importing: cx.importing_party }),
    };
    let read_as_facts = code_reading(cx, good, code);
    let mapping = read_as_facts.as_ref().map(|r| r.text(good.hs));
    let read_as = mapping.as_ref().map(|m| format!(" ({m})")).unwrap_or_default();
    let rule = match cx.rules.lookup(q) {
        Lookup::Found(r) => r,
        Lookup::NoRule { .. } => {
            det.summary = format!(
                "needs evidence: the rule pack encodes no rule for `{}`{read_as} in force on {}",
                good.hs, cx.as_of
            );
            findings.push(Finding::of(
                Severity::Blocking,
                &good.id,
                Facts::NoRuleForHs { hs: good.hs, read_as: read_as_facts, as_of: cx.as_of },
            ));
            return;
        }
        Lookup::NeedsUse(rules)
        | Lookup::NeedsDescription(rules)
        | Lookup::NeedsClassification(rules)
        | Lookup::NeedsParties(rules) => {
            det.summary = "needs evidence: the rule depends on a fact the batch does not give".into();
            findings.push(Finding::of(
                Severity::Blocking,
                &good.id,
                Facts::RuleNeedsFacts {
                    hs: good.hs,
                    question: RuleQuestion::SeveralRules {
                        read_as: read_as_facts,
                        rules: rules.iter().map(|r| RuleAt { id: r.id.clone(), hs: r.hs_key() }).collect(),
                    },
                },
            ));
            return;
        }
    };
    det.rule = Some(rule_ref(rule, mapping.clone()));
    if let Some(c) = rule.review.caveat() {
        det.caveats.push(format!("rule {}: {c}", rule.id));
        // A paraphrase is not the law's words: blocking, so no certificate draft leaves on it.
        let severity = if rule.review.blocks_certificate() { Severity::Blocking } else { Severity::Warning };
        findings.push(Finding::of(
            severity,
            &good.id,
            Facts::RuleTranscriptionCaveat {
                on: CaveatOn::Rule {
                    rule: rule.id.clone(),
                    review: rule.review.as_str().to_string(),
                    citation: Shown(rule.citation.to_string()),
                    caveat: Shown(c.to_string()),
                },
            },
        ));
    }
    let staging = good.automotive.map(|cat| {
        let has_tv = rule.alternatives.iter().any(|a| a.rvc.is_some_and(|r| r.tv.is_some()));
        automotive::staging(cx.rules, cat, good.hs, cx.as_of, has_tv)
    });
    if let Some(Staging::Requirement { table, caveat: Some(c), .. }) = &staging {
        det.caveats.push(format!("staging table {table}: {c}"));
    }
    if let Some(Staging::NotEncoded(why)) = &staging {
        findings.push(Finding::of(
            Severity::Blocking,
            &good.id,
            Facts::AutomotiveStagingNotEncoded {
                category: good.automotive.map(|c| c.as_str()).unwrap_or_default().to_string(),
                as_of: cx.as_of,
                why: Shown(why.clone()),
            },
        ));
    }

    // GN 11(k)(iii)(C): a Table A.1 core part "is originating only if" it meets the staged RVC, so
    // criterion D (with its own 60/50 % RVC) never qualifies it; nor does D decide a good whose staging is
    // not encoded.
    let core_part_good = good.automotive == Some(origin_rules::StagingCategory::PvLtCorePart);
    let criterion_d_barred = core_part_good || matches!(staging, Some(Staging::NotEncoded(_)));
    if let Some(Staging::Requirement { table, caveat: Some(c), .. }) = &staging {
        findings.push(Finding::of(
            Severity::Warning,
            &good.id,
            Facts::RuleTranscriptionCaveat {
                on: CaveatOn::StagingTable { table: table.to_string(), caveat: Shown(c.to_string()) },
            },
        ));
    }
    // Direct non-originating materials are tested for the shift; those classified `unknown` cannot be.
    let (direct_non_orig, unclassified): (Vec<&Decided<'_>>, Vec<&Decided<'_>>) =
        non_originating.iter().copied().filter(|d| d.m.role == Role::Direct).partition(|d| d.m.hs.is_some());
    let views: Vec<ShiftView<'_>> = direct_non_orig.iter().filter_map(|d| d.m.hs.map(|h| ShiftView(d.m, h))).collect();
    let dyn_views: Vec<&dyn ShiftMaterial> = views.iter().map(|v| v as &dyn ShiftMaterial).collect();
    // Each material's code in the rules' edition: a shift compares codes of one edition.
    let material_codes: Vec<_> =
        direct_non_orig.iter().filter_map(|d| d.m.hs.map(|h| cx.rules.rule_codes(h, cx.nomenclature))).collect();
    let vnm = det.values.vnm;
    let mut any_undetermined = false;
    let mut met: Option<usize> = None;
    let mut per_alt_shift: Vec<Vec<MaterialShift>> = Vec::new();

    for (ai, alt) in rule.alternatives.iter().enumerate() {
        let mut requirement = describe_alternative(alt);
        let staged_here = staging.as_ref().and_then(|st| st.governs(alt.rvc.is_some())) == Some(true);
        if let Some(Staging::Requirement { rvc, table, citation, .. }) = staging.as_ref().filter(|_| staged_here) {
            let staged = match (rvc.tv, rvc.nc) {
                (Some(tv), Some(nc)) => {
                    format!("{tv} under the transaction value method or {nc} under the net cost method")
                }
                (None, Some(nc)) => format!("{nc} under the net cost method"),
                (Some(tv), None) => format!("{tv} under the transaction value method"),
                (None, None) => String::new(),
            };
            requirement = format!(
                "{}; automotive staging: regional value content of not less than {staged} (table {table}, in force on {}, {citation}) {}",
                requirement.split("; regional value content").next().unwrap_or(&requirement),
                cx.as_of,
                if alt.rvc.is_some() {
                    "in place of the rule's own threshold"
                } else {
                    "required although the rule's alternative is a tariff shift only"
                }
            );
        }
        let mut out = AlternativeOutcome {
            label: alt.label.clone(),
            requirement,
            outcome: "met",
            shift: None,
            failing_materials: Vec::new(),
            de_minimis: None,
            rvc: None,
            reasons: Vec::new(),
        };
        let mut state = Verdict::Met;
        let mut shift_answers = Vec::new();
        match rule.alternative_scope(alt, code, good.kind.as_deref()) {
            AlternativeScope::OtherGoods => {
                out.outcome = "not applicable";
                out.reasons.push(format!("covers only other goods of the rule ({})", out.requirement));
                det.alternatives.push(out);
                per_alt_shift.push(shift_answers);
                continue;
            }
            AlternativeScope::NeedsKind => {
                state = Verdict::Undetermined;
                out.reasons.push("the alternative depends on what the good is: state the good's `kind`".into());
            }
            AlternativeScope::NeedsDeeperCode => {
                state = Verdict::Undetermined;
                out.reasons.push(format!(
                    "the alternative is only for goods of {}, which hold part of `{}`: classify the good to that level",
                    alt.hs.as_ref().map(|h| h.to_string()).unwrap_or_default(),
                    good.hs
                ));
            }
            AlternativeScope::Applies => {}
        }
        match &alt.shift {
            ShiftRequirement::Shift(s) => {
                // "that group" is the codes the alternative names: its own, else the rule's.
                let o = evaluate_shift_mapped(
                    s,
                    alt.hs.as_ref().unwrap_or(&rule.hs),
                    code,
                    &dyn_views,
                    &material_codes,
                    cx.nomenclature,
                    cx.rules.nomenclature,
                );
                let mut verdict = o.verdict();
                out.failing_materials = direct_non_orig
                    .iter()
                    .zip(&o.materials)
                    .filter(|(_, a)| matches!(a, MaterialShift::Fails(_)))
                    .map(|(d, _)| d.m.line.to_string())
                    .collect();
                if verdict == Verdict::NotMet {
                    let failing: Vec<(HsCode, Decimal)> = direct_non_orig
                        .iter()
                        .zip(&o.materials)
                        .filter(|(_, a)| matches!(a, MaterialShift::Fails(_)))
                        .filter_map(|(d, _)| d.m.hs.map(|h| (h, d.m.value)))
                        .collect();
                    let dm = de_minimis::evaluate(
                        &cx.rules.general.de_minimis,
                        good.hs,
                        &failing,
                        good.adjusted_tv(),
                        good.total_cost,
                    );
                    if dm.applies {
                        let unknown = o.materials.iter().any(|a| matches!(a, MaterialShift::Unknown(_)));
                        verdict = if unknown { Verdict::Undetermined } else { Verdict::Met };
                    } else if dm.excluded.is_none()
                        && dm.share_of_adjusted_tv.is_none()
                        && dm.share_of_total_cost.is_none()
                    {
                        // De minimis (Art. 4.12; 19 U.S.C. 4531(f)) could rescue the shift, but the batch
                        // states neither the transaction value nor the total cost it is measured against.
                        verdict = Verdict::Undetermined;
                        out.reasons.push(format!(
                            "tariff shift not met by {}; de minimis could apply, but the good states neither `transaction_value` nor `total_cost`: state one",
                            out.failing_materials.join(", ")
                        ));
                    } else {
                        out.reasons.push(format!("tariff shift not met by {}", out.failing_materials.join(", ")));
                    }
                    out.de_minimis = Some(dm);
                }
                for (d, a) in direct_non_orig.iter().zip(&o.materials) {
                    if let MaterialShift::Unknown(q) = a {
                        out.reasons.push(format!("BOM line {} ({}): {q}", d.m.line, d.m.description));
                    }
                }
                if !unclassified.is_empty() {
                    for d in &unclassified {
                        out.reasons.push(format!(
                            "BOM line {} ({}): its classification is stated unknown, so its tariff shift cannot be tested: classify it",
                            d.m.line, d.m.description
                        ));
                    }
                    if verdict == Verdict::Met {
                        verdict = Verdict::Undetermined;
                    }
                }
                out.shift = Some(verdict.to_string());
                state = worst(state, verdict);
                shift_answers = o.materials;
            }
            ShiftRequirement::NoChangeRequired => out.shift = Some("no change required".into()),
            ShiftRequirement::Unstated => {}
        }
        // RVC: the automotive staging replaces the rule's threshold for a staged part, and where the
        // provision requires an RVC whatever the rule (GN 11(k)(iii)(C) core parts; page 43 (B)(1)-(2);
        // Appendix Art. 4.2 Table D parts, CBP HQ H313365) it is required under a tariff-shift-only
        // alternative too. Staging that is not encoded leaves every alternative undetermined: the
        // engine never qualifies a staged good on a requirement it cannot state.
        let mut tv_not_retrieved = false;
        let req: Option<RvcRequirement> = match &staging {
            Some(Staging::Requirement { rvc, tv_not_retrieved: tv_missing, .. }) if staged_here => {
                tv_not_retrieved = *tv_missing;
                Some(*rvc)
            }
            Some(Staging::Requirement { table, citation, scope: origin_rules::StagingScope::Unknown, .. }) => {
                state = worst(state, Verdict::Undetermined);
                out.reasons.push(format!(
                    "whether the automotive staging (table {table}, {citation}) also requires a regional value content under an alternative that is a tariff shift only is not shown in the text the pack holds"
                ));
                None
            }
            Some(Staging::Requirement { .. }) => None,
            Some(Staging::NotEncoded(_)) => {
                // The finding AUTOMOTIVE_STAGING_NOT_ENCODED says what is missing.
                state = worst(state, Verdict::Undetermined);
                out.reasons.push("automotive staging not encoded for this date".into());
                None
            }
            None => alt.rvc,
        };
        if let Some(req) = req {
            let r = rvc::evaluate(&req, good.adjusted_tv(), good.net_cost, vnm);
            if r.methods.is_empty() {
                state = worst(state, Verdict::Undetermined);
                out.reasons.push(format!(
                    "no value data for the RVC method(s) the rule allows: {}",
                    r.missing_data.join(", ")
                ));
            } else if !r.met && tv_not_retrieved {
                // The law gives a staged TV figure the pack does not hold: a TV route may still be met.
                state = worst(state, Verdict::Undetermined);
                let m: Vec<String> =
                    r.methods.iter().map(|m| format!("{} {} < {}", m.method, m.rvc, m.threshold)).collect();
                out.reasons.push(format!(
                    "{}; the staged transaction-value figure for {} was not retrieved, so the transaction value method cannot be judged",
                    m.join("; "),
                    cx.as_of
                ));
            } else if !r.met {
                state = worst(state, Verdict::NotMet);
                let m: Vec<String> = r.methods.iter().map(MethodResult::comparison).collect();
                out.reasons.push(format!("RVC below threshold: {}", m.join("; ")));
            }
            if tv_not_retrieved && r.methods.is_empty() {
                out.reasons.push(format!(
                    "the staged transaction-value figure for {} was not retrieved: only the net cost method can decide",
                    cx.as_of
                ));
            }
            out.rvc = Some(r);
        }
        for c in &alt.conditions {
            if !good.conditions_met.iter().any(|x| x == &c.id) {
                state = worst(state, Verdict::Undetermined);
                out.reasons.push(format!("condition `{}` not evidenced: {}", c.id, c.text.trim()));
            }
        }
        out.outcome = match state {
            Verdict::Met => "met",
            Verdict::NotMet => "not met",
            Verdict::Undetermined => "undetermined",
        };
        if state == Verdict::Undetermined {
            any_undetermined = true;
        }
        if state == Verdict::Met && met.is_none() {
            met = Some(ai);
        }
        det.alternatives.push(out);
        per_alt_shift.push(shift_answers);
    }

    // Per-material shift notes for the alternative met, or the first one with a shift.
    let shown = met.or_else(|| per_alt_shift.iter().position(|s| !s.is_empty()));
    if let Some(i) = shown {
        let label: Arc<str> = rule.alternatives[i].label.as_str().into();
        for (d, a) in direct_non_orig.iter().zip(&per_alt_shift[i]) {
            if let Some(slot) = notes.get_mut(d.i) {
                *slot = Some(ShiftNote { label: label.clone(), answer: a.clone() });
            }
        }
    }

    if let Some(i) = met {
        let alt = &det.alternatives[i];
        det.outcome = Outcome::Qualified;
        det.criterion = Some('B');
        det.alternative = Some(alt.label.clone());
        let which = if alt.label == "-" { String::new() } else { format!(" alternative ({})", alt.label) };
        det.summary =
            format!("originating under criterion B: rule {}{which} is met: {}{read_as}", rule.id, alt.requirement);
        if let Some(dm) = alt.de_minimis.as_ref().filter(|d| d.applies) {
            findings.push(Finding::of(
                Severity::Info,
                &good.id,
                Facts::DeMinimisApplied {
                    alternative: alt.label.clone(),
                    lines: Set(alt.failing_materials.clone()),
                    de_minimis: DeMinimis::from(dm),
                    currency: cx.currency,
                    citation: Shown(cx.rules.general.de_minimis.provision.citation.to_string()),
                },
            ));
        }
        return;
    }

    // Not met by any alternative: criterion D, then the findings of each failed alternative.
    if !criterion_d_barred && try_criterion_d(cx, good, code, &direct_non_orig, &per_alt_shift, det) {
        if !unclassified.is_empty() {
            // Criterion D holds for the classified materials only: an unclassified one may fail the shift
            // outside the good's subheading.
            let lines: Vec<String> =
                unclassified.iter().map(|d| format!("{} ({})", d.m.line, d.m.description)).collect();
            det.outcome = Outcome::NeedsEvidence;
            det.criterion = None;
            det.summary = format!(
                "needs evidence: {} if line(s) {} (classification stated unknown) meet the shift or share the good's subheading",
                det.summary.replacen("originating under criterion D", "criterion D would be met", 1),
                lines.join(", ")
            );
            findings.push(Finding::of(
                Severity::Blocking,
                &good.id,
                Facts::MaterialFactMissing {
                    question: MissingFact::CriterionDClassification {
                        lines: unclassified.iter().map(|d| line_ref(d.m)).collect(),
                        citation: Shown(cx.rules.general.origin_criteria.provision.citation.to_string()),
                    },
                },
            ));
        }
        return;
    }
    for (i, alt) in det.alternatives.iter().enumerate() {
        if alt.outcome != "not met" {
            continue;
        }
        if !alt.failing_materials.is_empty() && alt.de_minimis.as_ref().is_none_or(|d| !d.applies) {
            let failing: Set<FailingMaterial> = direct_non_orig
                .iter()
                .zip(&per_alt_shift[i])
                .filter_map(|(d, a)| match a {
                    MaterialShift::Fails(r) => Some(FailingMaterial {
                        line: d.m.line.to_string(),
                        description: Shown(d.m.description.to_string()),
                        hs: d.m.hs_text(),
                        value: d.m.value,
                        origin: d.m.origin_text(),
                        why: Shown(r.to_string()),
                        part: Shown(d.m.part.as_deref().unwrap_or(&d.m.description).to_string()),
                        supplier: Shown(d.m.supplier.as_deref().map(str::to_string)),
                    }),
                    _ => None,
                })
                .collect();
            findings.push(Finding::of(
                Severity::Blocking,
                &good.id,
                Facts::TariffShiftNotMet {
                    rule: rule.id.clone(),
                    alternative: alt.label.clone(),
                    requirement: Shown(alt.requirement.clone()),
                    failing,
                    de_minimis: alt.de_minimis.as_ref().map(DeMinimis::from),
                    currency: cx.currency,
                    citation: Shown(rule.citation.to_string()),
                },
            ));
        }
        if let Some(r) = alt.rvc.as_ref().filter(|r| !r.met && !r.methods.is_empty()) {
            let gap = r.methods.iter().map(|m| m.shortfall).min().unwrap_or_default();
            let candidates: Vec<(String, Decimal)> = non_originating
                .iter()
                .filter(|d| d.vnm > Decimal::ZERO)
                .map(|d| (d.m.line.to_string(), d.vnm))
                .collect();
            let (set, closes) = rvc::smallest_closing_set(candidates, gap);
            // Each line's description looked up once (the first line of that id, as a scan would find):
            // the set can hold tens of thousands of lines (issue 14).
            let mut descriptions: HashMap<&str, &str> = HashMap::with_capacity(non_originating.len());
            for d in non_originating {
                descriptions.entry(&*d.m.line).or_insert(&*d.m.description);
            }
            let closing: Set<ClosingLine> = set
                .iter()
                .map(|(l, v)| {
                    let desc = descriptions.get(l.as_str()).copied().unwrap_or("");
                    ClosingLine { line: l.clone(), description: Shown(desc.to_string()), vnm: *v }
                })
                .collect();
            findings.push(Finding::of(
                Severity::Blocking,
                &good.id,
                Facts::RvcBelowThreshold {
                    rule: rule.id.clone(),
                    alternative: alt.label.clone(),
                    methods: r.methods.iter().map(RvcMethod::from).collect(),
                    shortfall: gap,
                    closing,
                    closes,
                    currency: cx.currency,
                    citation: Shown(format!("{}; {}", rule.citation, cx.rules.general.rvc.provision.citation)),
                },
            ));
        }
    }
    if any_undetermined {
        det.outcome = Outcome::NeedsEvidence;
        let questions: Vec<String> = det
            .alternatives
            .iter()
            .filter(|a| a.outcome == "undetermined")
            .flat_map(|a| a.reasons.iter().map(move |r| format!("({}) {r}", a.label)))
            .collect();
        det.summary = format!(
            "needs evidence: no alternative of rule {} is met and at least one depends on facts the batch does not give; first: {}",
            rule.id,
            questions.first().map(String::as_str).unwrap_or("see MATERIAL_FACT_MISSING")
        );
        findings.push(Finding::of(
            Severity::Blocking,
            &good.id,
            Facts::MaterialFactMissing {
                question: rule_questions(good, rule, det, &direct_non_orig, &unclassified, &per_alt_shift, questions),
            },
        ));
    } else if rule.review == Review::Incomplete || rule.missing.is_some() {
        // Part of the rule is not encoded (cut in the copy, or read by the importer only in part):
        // failing the encoded alternatives does not show the good fails the rule.
        det.outcome = Outcome::NeedsEvidence;
        det.summary = format!(
            "needs evidence: no encoded alternative of rule {} is met, but the rule is incomplete in the pack ({})",
            rule.id,
            rule.missing.as_deref().unwrap_or("part of its text was not retrieved")
        );
    } else if heavy_truck_part_without_category(good, rule, det) {
        // GN 11(o) subheading rules (e.g. 8708.40): "If the good is for use in a heavy truck, Articles 4.2
        // and 4.4 of the automotive appendix apply": a Table D or E part may face a staged figure below the
        // rule's final one on this date, so an RVC short of the rule's figure does not settle it.
        det.outcome = Outcome::NeedsEvidence;
        det.summary = format!(
            "needs evidence: no alternative of rule {} is met at the rule's own RVC, but for a heavy-truck part the staging of Automotive Appendix Art. 4.2 / 4.4 (Tables D and E) may set a lower figure on {}: state the good's automotive category",
            rule.id, cx.as_of
        );
        findings.push(Finding::of(
            Severity::Blocking,
            &good.id,
            Facts::RuleNeedsFacts {
                hs: good.hs,
                question: RuleQuestion::HeavyTruckCategory {
                    rule: rule.id.clone(),
                    as_of: cx.as_of,
                    citation: Shown(rule.citation.to_string()),
                },
            },
        ));
    } else {
        det.outcome = Outcome::NotQualified;
        det.summary = format!("not originating: no alternative of rule {} is met", rule.id);
    }
}

/// A BOM line with its description, for a finding's facts.
fn line_ref(m: &Material) -> LineRef {
    LineRef { line: m.line.to_string(), description: Shown(m.description.to_string()) }
}

/// The facts the undetermined alternatives' questions rest on: the alternatives, the BOM lines they
/// name (a shift that cannot be tested, a classification stated unknown), the conditions not evidenced
/// and the RVC methods lacking data. The sentences (`questions`) are shown, not hashed: they quote the
/// rules crate and the pack.
fn rule_questions(
    good: &Good,
    rule: &Rule,
    det: &Determination,
    direct_non_orig: &[&Decided<'_>],
    unclassified: &[&Decided<'_>],
    per_alt_shift: &[Vec<MaterialShift>],
    questions: Vec<String>,
) -> MissingFact {
    let (mut alternatives, mut lines, mut conditions, mut missing_data) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let add = |v: &mut Vec<String>, x: &str| {
        if !v.iter().any(|y| y == x) {
            v.push(x.to_string());
        }
    };
    for (i, (out, alt)) in det.alternatives.iter().zip(&rule.alternatives).enumerate() {
        if out.outcome != "undetermined" {
            continue;
        }
        add(&mut alternatives, &out.label);
        for (d, a) in direct_non_orig.iter().zip(per_alt_shift.get(i).map(Vec::as_slice).unwrap_or_default()) {
            if matches!(a, MaterialShift::Unknown(_)) {
                add(&mut lines, &d.m.line);
            }
        }
        if matches!(alt.shift, ShiftRequirement::Shift(_)) {
            for d in unclassified {
                add(&mut lines, &d.m.line);
            }
        }
        for c in alt.conditions.iter().filter(|c| !good.conditions_met.iter().any(|x| x == &c.id)) {
            add(&mut conditions, &c.id);
        }
        for m in out.rvc.iter().filter(|r| r.methods.is_empty()).flat_map(|r| r.missing_data.iter()) {
            add(&mut missing_data, m);
        }
    }
    MissingFact::RuleQuestions {
        rule: rule.id.clone(),
        alternatives: Set(alternatives),
        lines: Set(lines),
        conditions: Set(conditions),
        missing_data: Set(missing_data),
        questions: Shown(questions),
        citation: Shown(rule.citation.to_string()),
    }
}

/// A good for use in a heavy truck, under a rule for that use, with no automotive category stated, that
/// fails only an RVC the Appendix Art. 4.2 / 4.4 staging could lower.
fn heavy_truck_part_without_category(good: &Good, rule: &Rule, det: &Determination) -> bool {
    good.vehicle_use == Some(origin_rules::VehicleUse::HeavyTruck)
        && good.automotive.is_none()
        && rule.uses.contains(&origin_rules::VehicleUse::HeavyTruck)
        && det.alternatives.iter().any(|a| a.rvc.as_ref().is_some_and(|r| !r.met && !r.methods.is_empty()))
}

fn worst(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::NotMet, _) | (_, Verdict::NotMet) => Verdict::NotMet,
        (Verdict::Undetermined, _) | (_, Verdict::Undetermined) => Verdict::Undetermined,
        _ => Verdict::Met,
    }
}

/// Whether a material of batch code `h` is in the subheading of `code` (a code of the rules' edition):
/// every counterpart of `h` in the rules' edition must be, so a one-to-many code never guesses.
fn shares_subheading(cx: &AuditContext<'_>, h: HsCode, code: HsCode) -> bool {
    let Some(sub) = code.subheading() else { return false };
    match cx.rules.rule_codes(h, cx.nomenclature) {
        Ok(cs) => !cs.is_empty() && cs.iter().all(|c| c.subheading() == Some(sub)),
        Err(_) => false,
    }
}

/// Criterion D (19 U.S.C. 4531(c)(1)(D)): the shift fails only because non-originating parts share the
/// good's subheading, and the RVC is at least the pack's criterion-D thresholds. "The same subheading"
/// is read in the rules' HS edition (`code` is the good's code there), as the shift itself is: an HS 2022
/// 8517.13 good and an 8517.14 part are both HS 2017 8517.12.
fn try_criterion_d(
    cx: &AuditContext<'_>,
    good: &Good,
    code: HsCode,
    direct_non_orig: &[&Decided<'_>],
    per_alt_shift: &[Vec<MaterialShift>],
    det: &mut Determination,
) -> bool {
    let oc = &cx.rules.general.origin_criteria;
    if oc.criterion_d_excluded_chapters.contains(&good.hs.chapter()) {
        return false;
    }
    // The alternatives with a shift that failed only for same-subheading materials.
    let same_subheading_only = per_alt_shift.iter().any(|answers| {
        !answers.is_empty()
            && answers.iter().any(|a| matches!(a, MaterialShift::Fails(_)))
            && direct_non_orig.iter().zip(answers).all(|(d, a)| match a {
                MaterialShift::Fails(_) => d.m.hs.is_some_and(|h| shares_subheading(cx, h, code)),
                MaterialShift::Meets(_) => true,
                MaterialShift::Unknown(_) => false,
            })
    });
    if !same_subheading_only {
        return false;
    }
    let r = rvc::evaluate(&oc.criterion_d, good.adjusted_tv(), good.net_cost, det.values.vnm);
    det.criterion_d_rvc = r.methods.clone();
    if r.met {
        det.outcome = Outcome::Qualified;
        det.criterion = Some('D');
        let m: Vec<String> = r.methods.iter().filter(|m| m.met).map(MethodResult::comparison).collect();
        det.summary = format!(
            "originating under criterion D: the shift fails only for non-originating parts of the good's own subheading `{}`, and {} ({})",
            code.subheading().map(|s| s.to_string()).unwrap_or_default(),
            m.join("; "),
            oc.provision.citation
        );
        det.caveats.push("criterion D assumes the same-subheading materials are provided for as parts under the HTS; confirm before certifying".into());
        return true;
    }
    false
}

/// A good that is not originating as documented, but would be (or could be) if the USMCA origin
/// claimed for its undetermined materials were supported, needs evidence rather than a "no": the
/// findings say which certifications to request. Determined by auditing again with those materials as
/// originating. When that audit itself needs evidence (another unknown fact, such as a line's
/// classification, decides it), the answer is not "no" either: its blocking findings join the good's.
fn would_qualify_if_supported(
    cx: &AuditContext<'_>,
    good: &Good,
    non_originating: &[&Decided<'_>],
    det: &mut Determination,
    findings: &mut Vec<Finding>,
) {
    let undetermined: Vec<&Decided<'_>> =
        non_originating.iter().copied().filter(|d| d.status == Status::Undetermined).collect();
    if undetermined.is_empty() {
        return;
    }
    let rest: Vec<&Decided<'_>> =
        non_originating.iter().copied().filter(|d| d.status != Status::Undetermined).collect();
    let mut hypo = det.clone();
    hypo.alternatives.clear();
    hypo.criterion_d_rvc.clear();
    hypo.values.vnm -= undetermined.iter().map(|d| d.vnm).sum::<Decimal>();
    let mut hypo_findings = Vec::new();
    let outcome = if rest.is_empty() {
        Outcome::Qualified
    } else {
        criterion_b_and_d(cx, good, &rest, &mut hypo, &mut hypo_findings, &mut []);
        hypo.outcome
    };
    if outcome != Outcome::NotQualified {
        let lines: Vec<String> = undetermined
            .iter()
            .map(|d| match d.m.origin {
                Some(_) => format!("{} ({})", d.m.line, d.m.description),
                None => format!("{} ({}, origin stated unknown)", d.m.line, d.m.description),
            })
            .collect();
        det.outcome = Outcome::NeedsEvidence;
        let would = if outcome == Outcome::Qualified {
            "it would qualify if".to_string()
        } else {
            // What else is unknown, said once: the hypothetical audit's blocking questions.
            for f in hypo_findings.into_iter().filter(|f| f.severity == Severity::Blocking) {
                if !findings.iter().any(|g| g.fingerprint == f.fingerprint) {
                    findings.push(f);
                }
            }
            format!("it could qualify, depending on {}, if", hypo.summary.trim_start_matches("needs evidence: "))
        };
        det.summary = format!(
            "needs evidence: not originating as documented ({}); {would} the USMCA origin claimed for line(s) {} were supported",
            det.summary.trim_start_matches("not originating: "),
            lines.join(", ")
        );
    }
}
