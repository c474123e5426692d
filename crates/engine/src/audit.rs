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
use origin_rules::shift::{KindFact, MaterialShift, ShiftMaterial, Verdict, evaluate_shift};
use origin_rules::{Lookup, Parties, Review, Rule, RuleQuery, RuleSet, RvcRequirement, ShiftRequirement};
use serde::Serialize;

use crate::checks::automotive::{self, Staging};
use crate::checks::de_minimis::{self, DeMinimisOutcome};
use crate::checks::material_status::{self, Status, Why};
use crate::checks::rvc::{self, MethodResult, RvcOutcome};
use crate::checks::transit;
use crate::finding::{Code, Finding, Severity};
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
    /// Provenance facts by lot id.
    pub lots: &'a HashMap<String, LotFacts>,
    /// Whether the batch has provenance data at all.
    pub has_provenance: bool,
    /// The batch currency every value is in.
    pub currency: origin_core::Currency,
    /// The batch's importing Party: with each good's place of production, it picks the rule of a
    /// chapter whose rules differ by direction of trade (GN 11(o) chapters 51, 55, 58).
    pub importing_party: origin_core::Country,
}

/// The answer for a good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
}

/// Values used, in the batch currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Values {
    /// Transaction value as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_value: Option<Decimal>,
    /// International shipping removed.
    pub international_shipping: Decimal,
    /// TV adjusted to FOB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjusted_transaction_value: Option<Decimal>,
    /// Net cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_cost: Option<Decimal>,
    /// Total cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<Decimal>,
    /// Value of non-originating materials (including undetermined), after roll-up.
    pub vnm: Decimal,
    /// Value of originating materials.
    pub originating_materials: Decimal,
}

/// One material's part in the determination. It shares the batch's [`Material`] (no copy of its
/// texts per line) and keeps the explanations as data; both are written out only when serialized,
/// with the fields in this order: `line`, `part`, `description`, `hs`, `value`, `vnm`, `role`,
/// `declared_origin`, `traced_origin`, `status`, `why`, `shift`.
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
        let len =
            9 + [m.part.is_some(), self.traced_origin.is_some(), self.shift.is_some()].iter().filter(|x| **x).count();
        let mut st = s.serialize_struct("MaterialOutcome", len)?;
        st.serialize_field("line", &*m.line)?;
        match &m.part {
            Some(p) => st.serialize_field("part", &**p)?,
            None => st.skip_field("part")?,
        }
        st.serialize_field("description", &*m.description)?;
        st.serialize_field("hs", &m.hs)?;
        st.serialize_field("value", &m.value)?;
        st.serialize_field("vnm", &self.vnm)?;
        st.serialize_field("role", &m.role)?;
        st.serialize_field("declared_origin", &m.origin)?;
        match &self.traced_origin {
            Some(t) => st.serialize_field("traced_origin", t)?,
            None => st.skip_field("traced_origin")?,
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

/// A material as the tariff-shift semantics see it.
struct ShiftView<'a>(&'a Material);

impl ShiftMaterial for ShiftView<'_> {
    fn hs(&self) -> HsCode {
        self.0.hs
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
            findings.push(
                Finding::new(
                    Code::OriginUnsupported,
                    Severity::Warning,
                    &good.id,
                    format!(
                        "the good is stated wholly obtained, but {} material(s) count as non-originating",
                        non_originating.len()
                    ),
                    "Art. 4.3 (wholly obtained goods)",
                )
                .materials(non_originating.iter().map(|d| d.m.line.to_string()))
                .remedy("correct the wholly-obtained claim or support the materials' origin")
                .seal(),
            );
        }
        criterion_b_and_d(cx, good, &non_originating, &mut det, &mut findings, &mut shift_notes);
        if det.outcome == Outcome::NotQualified {
            would_qualify_if_supported(cx, good, &non_originating, &mut det);
        }
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
                findings.push(
                    Finding::new(
                        Code::SelfProducedMaterial,
                        Severity::Blocking,
                        &good.id,
                        format!(
                            "intermediate material `{}` is built from other materials also designated intermediate ({}); only one layer may be designated",
                            m.line,
                            nested.join(", ")
                        ),
                        "Art. 4.8; 19 U.S.C. 4531(d)(9)(B)",
                    )
                    .materials(nested)
                    .remedy("withdraw the designation of the inner materials (or of this one) and re-run")
                    .seal(),
                );
            }
        }
        if let (Some(sp), true) = (&m.self_produced, d.status == Status::Originating) {
            // Audit the self-produced material on its own BOM and rule (Art. 4.5 roll-up; 4.8 intermediate).
            let sub = Good {
                id: format!("{}/{}", good.id, m.line),
                description: m.description.to_string(),
                hs: m.hs,
                vehicle_use: None,
                kind: None,
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
            let sub_audit = audit_good(cx, &sub);
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
                findings.push(
                    Finding::new(
                        f.code,
                        f.severity,
                        &good.id,
                        format!("in self-produced material `{}`: {}", m.line, f.message),
                        f.citation.clone(),
                    )
                    .materials(f.materials.iter().map(|l| format!("{}/{l}", m.line)))
                    .evidence(f.evidence.clone())
                    .remedy(f.remedy.clone())
                    .seal(),
                );
            }
            findings.push(
                Finding::new(
                    Code::SelfProducedMaterial,
                    Severity::Info,
                    &good.id,
                    format!(
                        "self-produced material `{}` ({}) audited on its own BOM: {}{}",
                        m.line,
                        m.hs,
                        sub_audit.determination.summary,
                        if sp.intermediate { " (designated intermediate material)" } else { "" }
                    ),
                    "Art. 4.5 (roll-up), Art. 4.8 (intermediate materials); 19 U.S.C. 4531(d)(4), (d)(9)",
                )
                .materials([m.line.to_string()])
                .evidence(sub_audit.findings.iter().map(|f| format!("{}: {}", f.code.as_str(), f.message)))
                .remedy(if qualified { "none".to_string() } else { "see the sub-BOM's findings".to_string() })
                .seal(),
            );
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

fn rule_ref(rule: &Rule) -> RuleRef {
    RuleRef {
        id: rule.id.clone(),
        hs: rule.hs_key(),
        citation: rule.citation.to_string(),
        review: rule.review.as_str(),
        caveat: rule.review.caveat(),
        text: rule.text.trim().to_string(),
    }
}

/// Criterion B by the product-specific rule, then D.
fn criterion_b_and_d(
    cx: &AuditContext<'_>,
    good: &Good,
    non_originating: &[&Decided<'_>],
    det: &mut Determination,
    findings: &mut Vec<Finding>,
    notes: &mut [Option<ShiftNote>],
) {
    let q = RuleQuery {
        hs: good.hs,
        as_of: cx.as_of,
        vehicle_use: good.vehicle_use,
        good_kind: good.kind.as_deref(),
        parties: Some(Parties { exporting: good.place_of_production, importing: cx.importing_party }),
    };
    let rule = match cx.rules.lookup(q) {
        Lookup::Found(r) => r,
        Lookup::NoRule { .. } => {
            det.summary =
                format!("needs evidence: the rule pack encodes no rule for `{}` in force on {}", good.hs, cx.as_of);
            findings.push(
                Finding::new(
                    Code::NoRuleForHs,
                    Severity::Blocking,
                    &good.id,
                    format!(
                        "no product-specific rule is encoded for `{}` on {}; origin is not decided by a default",
                        good.hs, cx.as_of
                    ),
                    "Annex 4-B / GN 11(o) (rule not in the pack: see docs/rules-coverage.md)",
                )
                .remedy(format!(
                    "add the rule for `{}` from the official GN 11(o) text to the rule pack, then re-run",
                    good.hs
                ))
                .seal(),
            );
            return;
        }
        Lookup::NeedsUse(rules)
        | Lookup::NeedsDescription(rules)
        | Lookup::NeedsClassification(rules)
        | Lookup::NeedsParties(rules) => {
            let ids: Vec<String> = rules.iter().map(|r| format!("{} ({})", r.id, r.hs_key())).collect();
            det.summary = "needs evidence: the rule depends on a fact the batch does not give".into();
            findings.push(
                Finding::new(
                    Code::RuleNeedsFacts,
                    Severity::Blocking,
                    &good.id,
                    format!("several rules could apply to `{}`: {}", good.hs, ids.join("; ")),
                    "Annex 4-B / GN 11(o)",
                )
                .remedy("state the good's `use` (vehicle), its `kind` as the rule describes it, or a deeper HS classification")
                .seal(),
            );
            return;
        }
    };
    det.rule = Some(rule_ref(rule));
    if let Some(c) = rule.review.caveat() {
        det.caveats.push(format!("rule {}: {c}", rule.id));
        // A paraphrase is not the law's words: blocking, so no certificate draft leaves on it.
        let severity = if rule.review.blocks_certificate() { Severity::Blocking } else { Severity::Warning };
        findings.push(
            Finding::new(
                Code::RuleTranscriptionCaveat,
                severity,
                &good.id,
                format!("the determination relies on rule {} ({}), {c}", rule.id, rule.citation),
                rule.citation.to_string(),
            )
            .remedy("check the rule against the official GN 11(o) text before certifying; then mark it verified in the pack")
            .seal(),
        );
    }
    let staging = good.automotive.map(|cat| {
        let has_tv = rule.alternatives.iter().any(|a| a.rvc.is_some_and(|r| r.tv.is_some()));
        automotive::staging(cx.rules, cat, cx.as_of, has_tv)
    });
    if let Some(Staging::Requirement { table, caveat: Some(c), .. }) = &staging {
        det.caveats.push(format!("staging table {table}: {c}"));
    }
    if let Some(Staging::NotEncoded(why)) = &staging {
        findings.push(
            Finding::new(
                Code::AutomotiveStagingNotEncoded,
                Severity::Blocking,
                &good.id,
                format!("the automotive RVC for this good's category on {} is not encoded: {why}", cx.as_of),
                "GN 11(k); Automotive Appendix to Annex 4-B",
            )
            .remedy("add the staging step from the official text to automotive.yaml, then re-run")
            .seal(),
        );
    }

    let core_part_good = good.automotive == Some(origin_rules::StagingCategory::PvLtCorePart);
    if let Some(Staging::Requirement { table, caveat: Some(c), .. }) = &staging {
        findings.push(
            Finding::new(
                Code::RuleTranscriptionCaveat,
                Severity::Warning,
                &good.id,
                format!("the determination relies on automotive staging table {table}: {c}"),
                "GN 11(k); automotive.yaml",
            )
            .remedy("check the staging step against the official GN 11(k) text before certifying")
            .seal(),
        );
    }
    let direct_non_orig: Vec<&Decided<'_>> =
        non_originating.iter().copied().filter(|d| d.m.role == Role::Direct).collect();
    let views: Vec<ShiftView<'_>> = direct_non_orig.iter().map(|d| ShiftView(d.m)).collect();
    let dyn_views: Vec<&dyn ShiftMaterial> = views.iter().map(|v| v as &dyn ShiftMaterial).collect();
    let vnm = det.values.vnm;
    let mut any_undetermined = false;
    let mut met: Option<usize> = None;
    let mut per_alt_shift: Vec<Vec<MaterialShift>> = Vec::new();

    for (ai, alt) in rule.alternatives.iter().enumerate() {
        let mut requirement = describe_alternative(alt);
        if let Some(Staging::Requirement { rvc, table, citation, .. }) = &staging {
            let staged = match (rvc.tv, rvc.nc) {
                (Some(tv), Some(nc)) => {
                    format!("{tv} under the transaction value method or {nc} under the net cost method")
                }
                (None, Some(nc)) => format!("{nc} under the net cost method"),
                (Some(tv), None) => format!("{tv} under the transaction value method"),
                (None, None) => String::new(),
            };
            if core_part_good || alt.rvc.is_some() {
                requirement = format!(
                    "{}; automotive staging: regional value content of not less than {staged} (table {table}, in force on {}, {citation}) in place of the rule's own threshold",
                    requirement.split("; regional value content").next().unwrap_or(&requirement),
                    cx.as_of
                );
            }
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
        match alt.good_kind.covers(good.kind.as_deref()) {
            Some(false) => {
                out.outcome = "not applicable";
                out.reasons.push(format!("covers only other goods of the rule ({})", out.requirement));
                det.alternatives.push(out);
                per_alt_shift.push(shift_answers);
                continue;
            }
            None => {
                state = Verdict::Undetermined;
                out.reasons.push("the alternative depends on what the good is: state the good's `kind`".into());
            }
            Some(true) => {}
        }
        match &alt.shift {
            ShiftRequirement::Shift(s) => {
                let o = evaluate_shift(s, &rule.hs, good.hs, &dyn_views);
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
                        .map(|(d, _)| (d.m.hs, d.m.value))
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
                out.shift = Some(verdict.to_string());
                state = worst(state, verdict);
                shift_answers = o.materials;
            }
            ShiftRequirement::NoChangeRequired => out.shift = Some("no change required".into()),
            ShiftRequirement::Unstated => {}
        }
        // RVC: the automotive staging replaces the rule's threshold for a staged part.
        let core_part = core_part_good;
        let req: Option<RvcRequirement> = match &staging {
            // GN 11(k)(iii)(C): a Table A.1 core part "is originating only if" it meets the staged RVC,
            // whatever the alternative; for other staged categories the table replaces the RVC
            // requirement of the alternatives that have one ((k)(iii)(D): "the regional value content
            // requirement for a part listed in Table B ... is").
            Some(Staging::Requirement { rvc, .. }) if core_part || alt.rvc.is_some() => Some(*rvc),
            Some(Staging::Requirement { .. }) => None,
            Some(Staging::NotEncoded(_)) if !core_part && alt.rvc.is_none() => None,
            Some(Staging::NotEncoded(_)) => {
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
            } else if !r.met {
                state = worst(state, Verdict::NotMet);
                let m: Vec<String> =
                    r.methods.iter().map(|m| format!("{} {} < {}", m.method, m.rvc, m.threshold)).collect();
                out.reasons.push(format!("RVC below threshold: {}", m.join("; ")));
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
        det.summary = format!("originating under criterion B: rule {}{which} is met: {}", rule.id, alt.requirement);
        if let Some(dm) = alt.de_minimis.as_ref().filter(|d| d.applies) {
            findings.push(
                Finding::new(
                    Code::DeMinimisApplied,
                    Severity::Info,
                    &good.id,
                    format!(
                        "the shift of alternative ({}) is met through de minimis: failing materials worth {} are {} of the adjusted TV / {} of total cost (at most {})",
                        alt.label,
                        dm.failing_value.round_dp(2),
                        dm.share_of_adjusted_tv.map(|p| p.to_string()).unwrap_or_else(|| "n/a".into()),
                        dm.share_of_total_cost.map(|p| p.to_string()).unwrap_or_else(|| "n/a".into()),
                        dm.threshold
                    ),
                    cx.rules.general.de_minimis.provision.citation.to_string(),
                )
                .materials(alt.failing_materials.clone())
                .remedy("none; keep the values and the classification of these materials on file (they still count in VNM)")
                .seal(),
            );
        }
        return;
    }

    // Not met by any alternative: criterion D, then the findings of each failed alternative.
    if try_criterion_d(cx, good, &direct_non_orig, &per_alt_shift, det) {
        return;
    }
    for (i, alt) in det.alternatives.iter().enumerate() {
        if alt.outcome != "not met" {
            continue;
        }
        if !alt.failing_materials.is_empty() && alt.de_minimis.as_ref().is_none_or(|d| !d.applies) {
            let breaking: Vec<String> = direct_non_orig
                .iter()
                .zip(&per_alt_shift[i])
                .filter_map(|(d, a)| match a {
                    MaterialShift::Fails(r) => Some(format!(
                        "{} {} ({}, {} {}): {r}",
                        d.m.line,
                        d.m.description,
                        d.m.hs,
                        d.m.value.round_dp(2),
                        d.m.origin
                    )),
                    _ => None,
                })
                .collect();
            let suppliers: Vec<String> = direct_non_orig
                .iter()
                .filter(|d| alt.failing_materials.iter().any(|l| **l == *d.m.line))
                .map(|d| {
                    format!(
                        "{} from {}",
                        d.m.part.as_deref().unwrap_or(&d.m.description),
                        d.m.supplier.as_deref().unwrap_or("its supplier")
                    )
                })
                .collect();
            findings.push(
                Finding::new(
                    Code::TariffShiftNotMet,
                    Severity::Blocking,
                    &good.id,
                    format!("alternative ({}) of rule {}: {} non-originating material(s) do not make the change required ({})", alt.label, rule.id, alt.failing_materials.len(), alt.requirement),
                    rule.citation.to_string(),
                )
                .materials(alt.failing_materials.clone())
                .evidence(breaking)
                .remedy(format!(
                    "source originating (certified USMCA) material for: {}; or meet another alternative of the rule{}",
                    suppliers.join("; "),
                    alt.de_minimis.as_ref().map(|d| format!(" (de minimis: {} failing value is above {})", d.failing_value.round_dp(2), d.threshold)).unwrap_or_default()
                ))
                .seal(),
            );
        }
        if let Some(r) = alt.rvc.as_ref().filter(|r| !r.met && !r.methods.is_empty()) {
            let gap = r.methods.iter().map(|m| m.shortfall).min().unwrap_or_default();
            let candidates: Vec<(String, Decimal)> = non_originating
                .iter()
                .filter(|d| d.vnm > Decimal::ZERO)
                .map(|d| (d.m.line.to_string(), d.vnm))
                .collect();
            let (set, closes) = rvc::smallest_closing_set(candidates, gap);
            let cur = cx.currency;
            let lines: Vec<String> = set
                .iter()
                .map(|(l, v)| {
                    let desc =
                        non_originating.iter().find(|d| *d.m.line == **l).map(|d| &*d.m.description).unwrap_or("");
                    format!("line {l} ({desc}, {} {cur})", v.round_dp(2))
                })
                .collect();
            let nums: Vec<String> = r
                .methods
                .iter()
                .map(|m| {
                    format!(
                        "{}: ({} - {}) / {} = {} < {}",
                        m.method,
                        m.base.round_dp(2),
                        m.vnm.round_dp(2),
                        m.base.round_dp(2),
                        m.rvc,
                        m.threshold
                    )
                })
                .collect();
            findings.push(
                Finding::new(
                    Code::RvcBelowThreshold,
                    Severity::Blocking,
                    &good.id,
                    format!("alternative ({}) of rule {}: regional value content below the threshold ({})", alt.label, rule.id, nums.join("; ")),
                    format!("{}; {}", rule.citation, cx.rules.general.rvc.provision.citation),
                )
                .evidence(nums)
                .remedy(if closes {
                    format!(
                        "non-originating value must fall by {} {cur}; the smallest set of materials whose origin would close the gap: {} (source them from USMCA-originating suppliers with certifications)",
                        gap.round_dp(2),
                        lines.join(", ")
                    )
                } else {
                    format!("non-originating value must fall by {} {cur}; even all non-originating materials together do not close it", gap.round_dp(2))
                })
                .seal(),
            );
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
        findings.push(
            Finding::new(
                Code::MaterialFactMissing,
                Severity::Blocking,
                &good.id,
                format!("the determination under rule {} needs facts the batch does not give", rule.id),
                rule.citation.to_string(),
            )
            .evidence(questions.clone())
            .remedy(format!("answer: {}", questions.join("; ")))
            .seal(),
        );
    } else if rule.review == Review::Incomplete || rule.missing.is_some() {
        // Part of the rule is not encoded (cut in the copy, or read by the importer only in part):
        // failing the encoded alternatives does not show the good fails the rule.
        det.outcome = Outcome::NeedsEvidence;
        det.summary = format!(
            "needs evidence: no encoded alternative of rule {} is met, but the rule is incomplete in the pack ({})",
            rule.id,
            rule.missing.as_deref().unwrap_or("part of its text was not retrieved")
        );
    } else {
        det.outcome = Outcome::NotQualified;
        det.summary = format!("not originating: no alternative of rule {} is met", rule.id);
    }
}

fn worst(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::NotMet, _) | (_, Verdict::NotMet) => Verdict::NotMet,
        (Verdict::Undetermined, _) | (_, Verdict::Undetermined) => Verdict::Undetermined,
        _ => Verdict::Met,
    }
}

/// Criterion D (19 U.S.C. 4531(c)(1)(D)): the shift fails only because non-originating parts share the
/// good's subheading, and the RVC is at least the pack's criterion-D thresholds.
fn try_criterion_d(
    cx: &AuditContext<'_>,
    good: &Good,
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
                MaterialShift::Fails(_) => d.m.hs.subheading() == good.hs.subheading(),
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
        let m: Vec<String> =
            r.methods.iter().filter(|m| m.met).map(|m| format!("{} {} >= {}", m.method, m.rvc, m.threshold)).collect();
        det.summary = format!(
            "originating under criterion D: the shift fails only for non-originating parts of the good's own subheading `{}`, and {} ({})",
            good.hs.subheading().map(|s| s.to_string()).unwrap_or_default(),
            m.join("; "),
            oc.provision.citation
        );
        det.caveats.push("criterion D assumes the same-subheading materials are provided for as parts under the HTS; confirm before certifying".into());
        return true;
    }
    false
}

/// A good that is not originating as documented, but would be if the USMCA origin claimed for its
/// undetermined materials were supported, needs evidence rather than a "no": the findings say which
/// certifications to request. Determined by auditing again with those materials as originating.
fn would_qualify_if_supported(
    cx: &AuditContext<'_>,
    good: &Good,
    non_originating: &[&Decided<'_>],
    det: &mut Determination,
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
    let qualifies = if rest.is_empty() {
        true
    } else {
        criterion_b_and_d(cx, good, &rest, &mut hypo, &mut Vec::new(), &mut []);
        hypo.outcome == Outcome::Qualified
    };
    if qualifies {
        let lines: Vec<String> = undetermined.iter().map(|d| format!("{} ({})", d.m.line, d.m.description)).collect();
        det.outcome = Outcome::NeedsEvidence;
        det.summary = format!(
            "needs evidence: not originating as documented ({}); it would qualify if the USMCA origin claimed for line(s) {} were supported",
            det.summary.trim_start_matches("not originating: "),
            lines.join(", ")
        );
    }
}
