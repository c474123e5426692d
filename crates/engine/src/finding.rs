//! Findings: what an auditor reviews. Each has a stable code (catalogued in docs/findings.md), a
//! severity, the legal basis, the evidence, a computed remedy, and a fingerprint that stays the same
//! across runs of the same facts so review decisions carry over.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
}

impl Code {
    /// Every code, for the catalogue.
    pub const ALL: [Code; 21] = [
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
    /// The BOM lines concerned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials: Vec<String>,
    /// What was found, with the numbers.
    pub message: String,
    /// Legal basis.
    pub citation: String,
    /// The facts it rests on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// What to do, computed from the facts.
    pub remedy: String,
    /// Same facts, same fingerprint, across runs.
    pub fingerprint: String,
}

impl Finding {
    /// A finding; the fingerprint is computed from the code, good, materials and `facts`.
    pub fn new(code: Code, severity: Severity, good: &str, message: String, citation: impl Into<String>) -> Finding {
        Finding {
            code,
            severity,
            good: good.to_string(),
            materials: Vec::new(),
            message,
            citation: citation.into(),
            evidence: Vec::new(),
            remedy: String::new(),
            fingerprint: String::new(),
        }
    }

    /// The BOM lines concerned.
    pub fn materials(mut self, lines: impl IntoIterator<Item = String>) -> Finding {
        self.materials = lines.into_iter().collect();
        self
    }

    /// Evidence lines.
    pub fn evidence(mut self, e: impl IntoIterator<Item = String>) -> Finding {
        self.evidence.extend(e);
        self
    }

    /// The remedy.
    pub fn remedy(mut self, r: impl Into<String>) -> Finding {
        self.remedy = r.into();
        self
    }

    /// Computes the fingerprint from the code, the good, the materials and the message (which carries
    /// the numbers): the same facts give the same fingerprint; changed facts give a new one.
    pub fn seal(mut self) -> Finding {
        let mut h = Fnv::default();
        h.write(self.code.as_str());
        h.write(&self.good);
        // Sorted: the same facts exported in another BOM order keep their fingerprint (and their review).
        let mut lines: Vec<&String> = self.materials.iter().collect();
        lines.sort();
        for m in lines {
            h.write(m);
        }
        h.write(&self.message);
        self.fingerprint = format!("{:016x}", h.0);
        self
    }
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

    #[test]
    fn fingerprints_follow_the_facts() {
        let f = |msg: &str| Finding::new(Code::RvcBelowThreshold, Severity::Blocking, "G1", msg.into(), "c").seal();
        assert_eq!(f("74.00% < 75.00%").fingerprint, f("74.00% < 75.00%").fingerprint);
        assert_ne!(f("74.00% < 75.00%").fingerprint, f("74.10% < 75.00%").fingerprint);
    }
}
