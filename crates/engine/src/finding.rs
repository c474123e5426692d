//! Findings: what an auditor reviews. Each has a stable code (catalogued in docs/findings.md), a
//! severity, the typed [`Facts`] it rests on, and the legal basis, evidence and remedy rendered from
//! those facts. Its fingerprint hashes the code, the good and the canonical facts, never the rendered
//! text, so review decisions carry over across runs of the same facts and across rewordings.

mod facts;

use std::cell::Cell;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use facts::*;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The good cannot be certified while this is open.
    Blocking,
    /// Needs review; does not by itself block a certificate.
    Warning,
    /// For the record.
    Info,
}

impl Severity {
    /// The word used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Blocking => "blocking",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable finding codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// The batch gives the good in a form that cannot be audited.
    InputError,
    /// No rule is encoded for the good's code, use and date.
    NoRuleForHs,
    /// The rule depends on a fact the batch does not give (use, description, deeper classification).
    RuleNeedsFacts,
    /// The rule applied is an incomplete or unverified transcription.
    RuleTranscriptionCaveat,
    /// Regional value content below the threshold.
    RvcBelowThreshold,
    /// A non-originating material does not make the required tariff change.
    TariffShiftNotMet,
    /// The shift depends on a fact about a material that the batch does not give.
    MaterialFactMissing,
    /// De minimis rescued the tariff shift.
    DeMinimisApplied,
    /// A material declared USMCA-originating without valid support.
    OriginUnsupported,
    /// A supplier certification's blanket period does not cover the as-of date.
    SupplierCertificationExpired,
    /// A supplier certification is missing, invalid or does not cover the part.
    SupplierCertificationInvalid,
    /// The classification on the BOM differs from the one the supplier certified.
    HsDiscrepancy,
    /// Two or more provenance signals on one path: suspected origin laundering.
    OriginLaunderingSuspected,
    /// A single provenance signal, for review.
    ProvenanceSignal,
    /// Declared origin differs from traced origin.
    DeclaredOriginMismatch,
    /// A material's lot is not in the provenance data.
    ProvenanceGap,
    /// The good was processed outside the Parties or left customs control there (Art. 4.18).
    TransitOutsideParties,
    /// The automotive staging for the good's category and date is not encoded.
    AutomotiveStagingNotEncoded,
    /// A self-produced material was audited on its own BOM.
    SelfProducedMaterial,
    /// The good is deemed originating (GN 11(p)), whatever its product rule says.
    DeemedOriginating,
    /// A vehicle's audit needs labor value content or steel and aluminum purchase data the pack and the
    /// batch format do not carry.
    VehicleRequirementNotEncoded,
    /// Under a what-if scenario: non-originating content traced to a capped country group exceeds the
    /// scenario's cap.
    ContentCapExceeded,
    /// Under a what-if scenario: steel or aluminium must be melted and poured in the Parties, which the
    /// batch cannot show.
    MeltAndPourUnproven,
    /// A chokepoint material of a watch group (silver, gallium, ...) whose traced origin is watched.
    ChokepointInput,
}

impl Code {
    /// Every code, for the catalogue.
    pub const ALL: [Code; 24] = [
        Code::InputError,
        Code::NoRuleForHs,
        Code::RuleNeedsFacts,
        Code::RuleTranscriptionCaveat,
        Code::RvcBelowThreshold,
        Code::TariffShiftNotMet,
        Code::MaterialFactMissing,
        Code::DeMinimisApplied,
        Code::OriginUnsupported,
        Code::SupplierCertificationExpired,
        Code::SupplierCertificationInvalid,
        Code::HsDiscrepancy,
        Code::OriginLaunderingSuspected,
        Code::ProvenanceSignal,
        Code::DeclaredOriginMismatch,
        Code::ProvenanceGap,
        Code::TransitOutsideParties,
        Code::AutomotiveStagingNotEncoded,
        Code::SelfProducedMaterial,
        Code::DeemedOriginating,
        Code::VehicleRequirementNotEncoded,
        Code::ContentCapExceeded,
        Code::MeltAndPourUnproven,
        Code::ChokepointInput,
    ];

    /// The SCREAMING_SNAKE code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InputError => "INPUT_ERROR",
            Code::NoRuleForHs => "NO_RULE_FOR_HS",
            Code::RuleNeedsFacts => "RULE_NEEDS_FACTS",
            Code::RuleTranscriptionCaveat => "RULE_TRANSCRIPTION_CAVEAT",
            Code::RvcBelowThreshold => "RVC_BELOW_THRESHOLD",
            Code::TariffShiftNotMet => "TARIFF_SHIFT_NOT_MET",
            Code::MaterialFactMissing => "MATERIAL_FACT_MISSING",
            Code::DeMinimisApplied => "DE_MINIMIS_APPLIED",
            Code::OriginUnsupported => "ORIGIN_UNSUPPORTED",
            Code::SupplierCertificationExpired => "SUPPLIER_CERTIFICATION_EXPIRED",
            Code::SupplierCertificationInvalid => "SUPPLIER_CERTIFICATION_INVALID",
            Code::HsDiscrepancy => "HS_DISCREPANCY",
            Code::OriginLaunderingSuspected => "ORIGIN_LAUNDERING_SUSPECTED",
            Code::ProvenanceSignal => "PROVENANCE_SIGNAL",
            Code::DeclaredOriginMismatch => "DECLARED_ORIGIN_MISMATCH",
            Code::ProvenanceGap => "PROVENANCE_GAP",
            Code::TransitOutsideParties => "TRANSIT_OUTSIDE_PARTIES",
            Code::AutomotiveStagingNotEncoded => "AUTOMOTIVE_STAGING_NOT_ENCODED",
            Code::SelfProducedMaterial => "SELF_PRODUCED_MATERIAL",
            Code::DeemedOriginating => "DEEMED_ORIGINATING",
            Code::VehicleRequirementNotEncoded => "VEHICLE_REQUIREMENT_NOT_ENCODED",
            Code::ContentCapExceeded => "CONTENT_CAP_EXCEEDED",
            Code::MeltAndPourUnproven => "MELT_AND_POUR_UNPROVEN",
            Code::ChokepointInput => "CHOKEPOINT_INPUT",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding on one good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable code.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// The good.
    pub good: String,
    /// The self-produced materials (BOM lines, outermost first) whose own audit raised this finding,
    /// when it was carried up from a sub-BOM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub within: Vec<String>,
    /// The BOM lines concerned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials: Vec<String>,
    /// What was found, with the numbers (rendered from `facts`).
    pub message: String,
    /// Legal basis (rendered from `facts`).
    pub citation: String,
    /// The facts it rests on, as lines (rendered from `facts`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// What to do, computed from the facts.
    pub remedy: String,
    /// Same facts, same fingerprint, across runs: see [`Finding::of`].
    pub fingerprint: String,
    /// The typed facts, tagged with their kind (the code): `{"kind": "RVC_BELOW_THRESHOLD", ...}`. The
    /// engine always records them; a finding stored by a version before typed findings has none, and
    /// is read with its text and fingerprint only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<Facts>,
}

impl Finding {
    /// The finding `facts` give on `good`: the code is the facts' kind, the text is rendered from them
    /// and the fingerprint hashes the code, the good and the canonical facts.
    pub fn of(severity: Severity, good: &str, facts: Facts) -> Finding {
        Finding::build(severity, good, Vec::new(), facts)
    }

    /// This finding of a self-produced material's own audit, carried up to `good` through its BOM line
    /// `line`: the same facts, said "in self-produced material `line`", with the lines prefixed.
    pub fn within(&self, good: &str, line: &str) -> Finding {
        let mut within = vec![line.to_string()];
        within.extend(self.within.iter().cloned());
        match &self.facts {
            Some(facts) => Finding::build(self.severity, good, within, facts.clone()),
            // Only a stored finding lacks facts, and stored findings are never carried up.
            None => Finding { good: good.to_string(), within, ..self.clone() },
        }
    }

    fn build(severity: Severity, good: &str, within: Vec<String>, facts: Facts) -> Finding {
        let t = facts.render();
        let mut message = t.message;
        for w in within.iter().rev() {
            message = format!("in self-produced material `{w}`: {message}");
        }
        let prefix: String = within.iter().map(|w| format!("{w}/")).collect();
        let fingerprint = fingerprint(facts.code(), good, &within, &facts);
        Finding {
            code: facts.code(),
            severity,
            good: good.to_string(),
            materials: t.materials.into_iter().map(|l| format!("{prefix}{l}")).collect(),
            within,
            message,
            citation: t.citation,
            evidence: t.evidence,
            remedy: t.remedy,
            fingerprint,
            facts: Some(facts),
        }
    }
}

/// FNV-1a over the code, the good, the self-produced lines it came through and the facts' canonical
/// JSON: the facts with every [`Shown`] value (prose, other crates' sentences, remedy-only data) left
/// out and every [`Set`] sorted. Nothing rendered goes in, so rewording a message keeps the fingerprint.
pub fn fingerprint(code: Code, good: &str, within: &[String], facts: &Facts) -> String {
    let mut h = Fnv::default();
    h.write(code.as_str());
    h.write(good);
    for w in within {
        h.write(w);
    }
    h.write(&canonical_json(facts));
    format!("{:016x}", h.0)
}

thread_local! {
    /// Set while facts are serialized for their fingerprint: [`Shown`] then writes nothing and [`Set`]
    /// writes its items sorted.
    static CANONICAL: Cell<bool> = const { Cell::new(false) };
}

fn canonical() -> bool {
    CANONICAL.with(Cell::get)
}

/// The facts as canonical JSON (see [`fingerprint`]).
pub fn canonical_json(facts: &Facts) -> String {
    /// Restores the flag even if serialization unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            CANONICAL.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CANONICAL.with(|c| c.replace(true)));
    // Facts hold only strings, numbers, dates and lists: serde_json cannot fail on them. Should it, the
    // error text is hashed, never an empty string that would make unrelated findings share a fingerprint.
    serde_json::to_string(facts).unwrap_or_else(|e| format!("unserializable facts: {e} {facts:?}"))
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, s: &str) {
        for b in s.as_bytes().iter().chain(std::iter::once(&0xff)) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/findings.md is the catalogue users read: every code must be in it.
    #[test]
    fn every_code_is_catalogued() {
        let doc = include_str!("../../../docs/findings.md");
        for c in Code::ALL {
            assert!(doc.contains(&format!("`{}`", c.as_str())), "{} is missing from docs/findings.md", c.as_str());
        }
    }

    fn dec(s: &str) -> origin_core::Decimal {
        s.parse().unwrap_or_default()
    }

    fn failing(line: &str, value: &str) -> FailingMaterial {
        FailingMaterial {
            line: line.into(),
            description: Shown(format!("material {line}")),
            hs: "7318.15".into(),
            value: dec(value),
            origin: "CN".into(),
            why: Shown("`7318.15` is not a change from heading 73.18".into()),
            part: Shown(format!("P-{line}")),
            supplier: Shown(Some("Acme".into())),
        }
    }

    fn shift(requirement: &str, lines: Vec<FailingMaterial>) -> Facts {
        Facts::TariffShiftNotMet {
            rule: "gn11-84-001".into(),
            alternative: "a".into(),
            requirement: Shown(requirement.into()),
            failing: Set(lines),
            de_minimis: None,
            currency: origin_core::Currency::USD,
            citation: Shown("GN 11(o) chapter 84, rule 1".into()),
        }
    }

    /// The point: a finding is identified by its facts, never by its prose. Rewording the
    /// rules crate's sentence (and the citation) changes the message but not the fingerprint; the
    /// same lines in another order keep it; a changed value, line or rule gives a new one.
    #[test]
    fn fingerprints_follow_the_facts_not_the_prose() {
        let lines = || vec![failing("10", "40.00"), failing("20", "15.50")];
        let f = |facts: Facts| Finding::of(Severity::Blocking, "G1", facts);
        let base = f(shift("a change to heading 84.01 from any other heading", lines()));
        assert_eq!(
            base.message,
            "alternative (a) of rule gn11-84-001: 2 non-originating material(s) do not make the change required (a change to heading 84.01 from any other heading)"
        );
        assert_eq!(base.materials, ["10", "20"]);
        assert_eq!(
            base.evidence[0],
            "10 material 10 (7318.15, 40.00 CN): `7318.15` is not a change from heading 73.18"
        );

        let mut reworded = shift("a change to heading 8401 from any other heading (CTH)", lines());
        if let Facts::TariffShiftNotMet { citation, failing, .. } = &mut reworded {
            citation.0 = "USMCA Annex 4-B, chapter 84".into();
            failing.0[0].why.0 = "heading 73.18 is not another heading".into();
        }
        let reworded = f(reworded);
        assert_ne!(reworded.message, base.message);
        assert_ne!(reworded.evidence, base.evidence);
        assert_ne!(reworded.citation, base.citation);
        assert_eq!(reworded.fingerprint, base.fingerprint);

        let reordered =
            f(shift("a change to heading 84.01 from any other heading", lines().into_iter().rev().collect()));
        assert_eq!(reordered.materials, ["20", "10"]);
        assert_eq!(reordered.fingerprint, base.fingerprint);

        let changed_value = f(shift(
            "a change to heading 84.01 from any other heading",
            vec![failing("10", "40.01"), failing("20", "15.50")],
        ));
        assert_ne!(changed_value.fingerprint, base.fingerprint);
        let changed_line = f(shift(
            "a change to heading 84.01 from any other heading",
            vec![failing("11", "40.00"), failing("20", "15.50")],
        ));
        assert_ne!(changed_line.fingerprint, base.fingerprint);
        let mut other_rule = shift("a change to heading 84.01 from any other heading", lines());
        if let Facts::TariffShiftNotMet { rule, .. } = &mut other_rule {
            *rule = "gn11-84-002".into();
        }
        assert_ne!(f(other_rule).fingerprint, base.fingerprint);
        assert_ne!(
            Finding::of(Severity::Blocking, "G2", shift("a change to heading 84.01 from any other heading", lines()))
                .fingerprint,
            base.fingerprint
        );
    }

    /// The facts are serialized on the finding, tagged with their kind (the code), with the shown
    /// values in full; the canonical form the fingerprint hashes leaves the shown values out.
    #[test]
    fn facts_serialize_tagged_and_hash_without_prose() {
        let f = Finding::of(Severity::Warning, "G1", Facts::ProvenanceGap { line: "3".into(), lot: "L-9".into() });
        let v = serde_json::to_value(&f).unwrap_or_default();
        assert_eq!(v["facts"], serde_json::json!({"kind": "PROVENANCE_GAP", "line": "3", "lot": "L-9"}));
        assert_eq!(v["code"], "PROVENANCE_GAP");
        assert_eq!(f.message, "BOM line `3` names lot `L-9`, which the provenance data does not hold");
        let facts = shift("a change to heading 84.01 from any other heading", vec![failing("10", "40.00")]);
        let shown = serde_json::to_string(&facts).unwrap_or_default();
        assert!(shown.contains("a change to heading 84.01"), "{shown}");
        let canonical = canonical_json(&facts);
        assert!(!canonical.contains("heading 84.01") && !canonical.contains("Acme"), "{canonical}");
        assert!(canonical.contains("\"40.00\"") && canonical.contains("gn11-84-001"), "{canonical}");
        // The flag is reset: the next plain serialization shows the prose again.
        assert_eq!(serde_json::to_string(&facts).unwrap_or_default(), shown);
        // And the facts read back as written.
        let back: Result<Facts, _> = serde_json::from_str(&shown);
        assert_eq!(back.ok(), Some(facts));
    }

    /// A finding carried up from a self-produced material keeps its facts, says where it came from,
    /// and gets its own fingerprint on the good.
    #[test]
    fn findings_within_a_self_produced_material() {
        let inner =
            Finding::of(Severity::Warning, "G1/4", Facts::ProvenanceGap { line: "2".into(), lot: "L-1".into() });
        let up = inner.within("G1", "4");
        assert_eq!(up.code, Code::ProvenanceGap);
        assert_eq!(up.materials, ["4/2"]);
        assert_eq!(up.message, format!("in self-produced material `4`: {}", inner.message));
        assert_ne!(up.fingerprint, inner.fingerprint);
        assert_eq!(up.fingerprint, inner.within("G1", "4").fingerprint);
        assert_ne!(up.fingerprint, inner.within("G1", "5").fingerprint);
        let twice = up.within("G0", "7");
        assert_eq!(twice.materials, ["7/4/2"]);
        assert!(
            twice.message.starts_with("in self-produced material `7`: in self-produced material `4`: BOM line `2`")
        );
    }
}
