//! Each material's origin status: originating, non-originating, undetermined (counted as
//! non-originating), or disregarded.
//!
//! Legal basis: Art. 4.2 and 4.5 (VNM includes materials of undetermined origin); 19 U.S.C. 4531(k)
//! (indirect materials are originating), 4531(j) (packing for shipment is disregarded); 19 CFR 182
//! (a USMCA origin claimed for a material must be supported, e.g. by the supplier's certification).
//!
//! Example: a caliper housing declared `MX` with certification `SC-7` whose blanket period ended
//! before the as-of date is *undetermined*: it counts as non-originating and raises
//! SUPPLIER_CERTIFICATION_EXPIRED, whose remedy asks that supplier for a current certification.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use origin_core::Country;
use serde::Serialize;

use crate::audit::{AuditContext, LotFacts};
use crate::finding::{Code, Finding, Severity};
use crate::input::{Material, Role, SupplierCertification};

/// A material's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Originating.
    Originating,
    /// Non-originating.
    NonOriginating,
    /// Origin claimed but not supported: counted as non-originating.
    Undetermined,
    /// Packing for shipment: left out of the determination.
    Disregarded,
}

impl Status {
    /// Whether the material counts as non-originating (for shifts and VNM).
    pub fn counts_as_non_originating(self) -> bool {
        matches!(self, Status::NonOriginating | Status::Undetermined)
    }
}

/// Why a material has its status. Kept as data and written out only with the report: one sentence
/// per BOM line is millions of strings in a large batch, most of them one of a few shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// A fixed sentence.
    Fixed(&'static str),
    /// Declared outside the Parties.
    NotParty(Country),
    /// Declared a Party origin, supported by a supplier certification.
    Certified {
        /// Declared origin.
        origin: Country,
        /// Certification id.
        id: Arc<str>,
        /// Its origin criterion.
        criterion: char,
        /// Signed.
        signed: NaiveDate,
        /// Blanket period.
        blanket: Option<(NaiveDate, NaiveDate)>,
    },
    /// Any other sentence.
    Text(String),
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Fixed(s) => f.write_str(s),
            Why::NotParty(c) => write!(f, "declared origin `{c}` is not a USMCA Party"),
            Why::Certified { origin, id, criterion, signed, blanket } => {
                write!(
                    f,
                    "declared `{origin}`, supported by supplier certification `{id}` (criterion {criterion}, signed {signed}"
                )?;
                if let Some((from, to)) = blanket {
                    write!(f, ", blanket {from} to {to}")?;
                }
                f.write_str(")")
            }
            Why::Text(s) => f.write_str(s),
        }
    }
}

impl Serialize for Why {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        origin_core::serialize_display(s, self)
    }
}

/// The status and why.
#[derive(Debug, Clone)]
pub struct Decided {
    /// Status.
    pub status: Status,
    /// Why.
    pub why: Why,
    /// The traced origin, when the provenance graph has the material's lot.
    pub traced_origin: Option<Country>,
}

/// Decides `m`'s status; pushes findings for unsupported claims, certification problems and provenance
/// signals.
pub fn decide(cx: &AuditContext<'_>, good: &str, m: &Material, findings: &mut Vec<Finding>) -> Decided {
    let line = || vec![m.line.to_string()];
    match m.role {
        Role::Packing => {
            return Decided {
                status: Status::Disregarded,
                why: Why::Fixed("packing material for shipment: disregarded (19 U.S.C. 4531(j))"),
                traced_origin: None,
            };
        }
        Role::Indirect => {
            return Decided {
                status: Status::Originating,
                why: Why::Fixed("indirect material: originating wherever produced (19 U.S.C. 4531(k))"),
                traced_origin: None,
            };
        }
        _ => {}
    }
    let facts = m.lot.as_deref().and_then(|l| cx.lots.get(l));
    let traced = facts.map(|f| f.traced_origin);
    provenance_findings(cx, good, m, facts, findings);

    let Some(origin) = m.origin else {
        // Stated `unknown`: a material whose origin is not shown is non-originating for the shift and the
        // VNM (Art. 4.5); the audit asks for it (MATERIAL_FACT_MISSING) where it could change the answer.
        return Decided {
            status: Status::Undetermined,
            why: Why::Fixed("origin stated unknown: counted as non-originating (Art. 4.5) until it is shown"),
            traced_origin: traced,
        };
    };
    if !origin.is_usmca_party() {
        return Decided { status: Status::NonOriginating, why: Why::NotParty(origin), traced_origin: traced };
    }
    // Declared a Party origin: the provenance graph can contradict it.
    if let Some(f) = facts {
        if !f.traced_origin.is_usmca_party() {
            return Decided {
                status: Status::NonOriginating,
                why: Why::Text(format!(
                    "declared `{}` but the provenance trace of lot `{}` gives `{}`",
                    origin, f.lot, f.traced_origin
                )),
                traced_origin: traced,
            };
        }
        if f.laundering.is_some() {
            return Decided {
                status: Status::Undetermined,
                why: Why::Text(format!("declared `{}` but origin laundering is suspected on lot `{}`", origin, f.lot)),
                traced_origin: traced,
            };
        }
    }
    let support = support(cx, m);
    match support {
        Support::Certified(c) => {
            if let (Some(certified), Some(hs)) = (c.hs, m.hs)
                && certified.subheading() != hs.subheading()
            {
                findings.push(
                    Finding::new(
                        Code::HsDiscrepancy,
                        Severity::Warning,
                        good,
                        format!(
                            "BOM line `{}` classifies part {} as `{}`, but certification `{}` certifies `{certified}`",
                            m.line,
                            m.part.as_deref().unwrap_or("-"),
                            hs,
                            c.id
                        ),
                        "Art. 4.5 / 19 CFR 182.11 (certification data element 6: HS classification)",
                    )
                    .materials(line())
                    .remedy(format!(
                        "confirm the classification with {}; correct the BOM or obtain a corrected certification",
                        c.supplier
                    ))
                    .seal(),
                );
            }
            Decided {
                status: Status::Originating,
                why: Why::Certified {
                    origin,
                    // The line's own id text is the certification's (it was looked up by it): shared.
                    id: m.certification.clone().unwrap_or_else(|| c.id.as_str().into()),
                    criterion: c.criterion,
                    signed: c.signed,
                    blanket: c.blanket,
                },
                traced_origin: traced,
            }
        }
        Support::SelfProduced => Decided {
            status: Status::Originating,
            why: Why::Fixed("self-produced material shown originating on its own BOM"),
            traced_origin: traced,
        },
        Support::Problem { code, why, remedy } => {
            let citation = "Art. 4.5 (VNM includes materials of undetermined origin); 19 CFR 182.11-182.12";
            findings.push(
                Finding::new(
                    code,
                    Severity::Warning,
                    good,
                    format!("BOM line `{}` ({}): {why}", m.line, m.description),
                    citation,
                )
                .materials(line())
                .remedy(remedy)
                .seal(),
            );
            Decided {
                status: Status::Undetermined,
                why: Why::Text(format!("declared `{origin}` but {why}; counted as non-originating")),
                traced_origin: traced,
            }
        }
    }
}

enum Support<'a> {
    Certified(&'a SupplierCertification),
    SelfProduced,
    Problem { code: Code, why: String, remedy: String },
}

fn support<'a>(cx: &'a AuditContext<'_>, m: &Material) -> Support<'a> {
    let who = m.supplier.as_deref().unwrap_or("the supplier");
    let part = m.part.as_deref().unwrap_or(&m.description);
    if m.self_produced.is_some() {
        // The caller replaces this with the sub-BOM's own determination.
        return Support::SelfProduced;
    }
    let Some(id) = &m.certification else {
        return Support::Problem {
            code: Code::OriginUnsupported,
            why: "no supplier certification backs the USMCA origin".into(),
            remedy: format!("request a USMCA certification of origin from {who} for part {part} covering {}", cx.as_of),
        };
    };
    let Some(c) = cx.certifications.get(&**id) else {
        let why = if cx.bad_certifications.contains(&**id) {
            format!("certification `{id}` could not be read (see the input errors)")
        } else {
            format!("certification `{id}` is not in the batch")
        };
        return Support::Problem {
            code: Code::SupplierCertificationInvalid,
            why,
            remedy: format!(
                "add certification `{id}` to `supplier_certifications`, or request one from {who} for part {part}"
            ),
        };
    };
    if !c.country.is_usmca_party() {
        return Support::Problem {
            code: Code::SupplierCertificationInvalid,
            why: format!("certification `{id}` certifies `{}`, not a USMCA Party", c.country),
            remedy: format!(
                "treat part {part} as non-originating, or obtain a valid certification from {}",
                c.supplier
            ),
        };
    }
    if let Some(s) = &m.supplier
        && !s.trim().eq_ignore_ascii_case(c.supplier.trim())
    {
        return Support::Problem {
            code: Code::SupplierCertificationInvalid,
            why: format!("certification `{id}` was issued by {}, not by this line's supplier {s}", c.supplier),
            remedy: format!("cite {s}'s own certification for part {part}, or correct the BOM's supplier"),
        };
    }
    if !c.parts.is_empty() && !m.part.as_deref().is_some_and(|p| c.parts.iter().any(|x| x == p)) {
        return Support::Problem {
            code: Code::SupplierCertificationInvalid,
            why: format!("certification `{id}` does not list part {part}"),
            remedy: format!("ask {} to add part {part} to the certification", c.supplier),
        };
    }
    if c.signed > cx.as_of {
        return Support::Problem {
            code: Code::SupplierCertificationInvalid,
            why: format!("certification `{id}` is signed {} , after the as-of date {}", c.signed, cx.as_of),
            remedy: format!("audit as of a date the certification covers, or obtain one signed by {}", cx.as_of),
        };
    }
    if let Some((from, to)) = c.blanket {
        if !covers(from, to, cx.as_of) {
            return Support::Problem {
                code: Code::SupplierCertificationExpired,
                why: format!("certification `{id}` covers {from} to {to}, not the as-of date {}", cx.as_of),
                remedy: format!(
                    "request a current certification from {} for part {part} (blanket period including {})",
                    c.supplier, cx.as_of
                ),
            };
        }
        if crate::certificate::check_blanket(from, to).is_err() {
            return Support::Problem {
                code: Code::SupplierCertificationInvalid,
                why: format!("certification `{id}` has a blanket period of {from} to {to}, longer than 12 months"),
                remedy: format!(
                    "obtain a certification from {} with a blanket period of at most 12 months",
                    c.supplier
                ),
            };
        }
    }
    Support::Certified(c)
}

fn covers(from: NaiveDate, to: NaiveDate, d: NaiveDate) -> bool {
    from <= d && d <= to
}

/// Findings from the provenance trace of the material's lot.
fn provenance_findings(
    cx: &AuditContext<'_>,
    good: &str,
    m: &Material,
    facts: Option<&LotFacts>,
    findings: &mut Vec<Finding>,
) {
    let Some(lot) = &m.lot else { return };
    let Some(f) = facts else {
        if cx.has_provenance {
            findings.push(
                Finding::new(
                    Code::ProvenanceGap,
                    Severity::Warning,
                    good,
                    format!("BOM line `{}` names lot `{lot}`, which the provenance data does not hold", m.line),
                    "19 CFR 182.15 (records supporting the origin of materials)",
                )
                .materials([m.line.to_string()])
                .remedy(format!("add the shipments and transformations of lot `{lot}` to the provenance data"))
                .seal(),
            );
        }
        return;
    };
    if let Some(l) = &f.laundering {
        // A material claimed USMCA-originating that may be laundered blocks the claim. One already
        // counted non-originating does not change the USMCA determination, but its true origin still
        // matters for marking, Section 232/301 duties and transshipment penalties: a warning.
        let (severity, effect) = if m.origin.is_some_and(|o| o.is_usmca_party()) {
            (Severity::Blocking, "the USMCA origin claimed for it is in doubt")
        } else {
            (
                Severity::Warning,
                "it already counts as non-originating, so the USMCA determination stands, but its country of origin for marking and trade remedies is in doubt",
            )
        };
        findings.push(
            Finding::new(
                Code::OriginLaunderingSuspected,
                severity,
                good,
                format!("BOM line `{}` (lot `{}`): {} ({effect})", m.line, f.lot, l.message),
                "Art. 4.2, 4.18 and the transshipment scrutiny of 19 U.S.C. 1517 / EO of 2025-07-31",
            )
            .materials([m.line.to_string()])
            .evidence(evidence(l))
            .remedy(l.clear.clone())
            .seal(),
        );
    }
    // Blocking when the line claims a USMCA origin the records contradict; a warning otherwise.
    let mismatch = |message: String, citation: &str, remedy: String| {
        Finding::new(
            Code::DeclaredOriginMismatch,
            if m.origin.is_some_and(|o| o.is_usmca_party()) { Severity::Blocking } else { Severity::Warning },
            good,
            message,
            citation.to_string(),
        )
        .materials([m.line.to_string()])
        .remedy(remedy)
        .seal()
    };
    if let Some(origin) = m.origin
        && origin != f.declared_origin
    {
        findings.push(mismatch(
            format!(
                "BOM line `{}` declares origin `{}`, but its lot `{}` is declared `{}` in the provenance data",
                m.line, origin, f.lot, f.declared_origin
            ),
            "19 CFR 182.15 (records supporting origin); Annex 5-A",
            format!("reconcile the BOM with the lot records of `{}` and the supplier's documents", f.lot),
        ));
    }
    if f.declared_origin != f.traced_origin {
        findings.push(mismatch(
            format!(
                "BOM line `{}` lot `{}` is declared `{}`, traced `{}` (origin set by {})",
                m.line, f.lot, f.declared_origin, f.traced_origin, f.origin_set_by
            ),
            "Art. 4.2; substantial transformation (CBP HQ H300226)",
            format!("obtain production records for lot `{}` showing where it was transformed, or correct the declared origin", f.lot),
        ));
    }
    if f.laundering.is_none() {
        for s in f.signals.iter().filter(|s| s.code != "DECLARED_ORIGIN_MISMATCH") {
            findings.push(
                Finding::new(
                    Code::ProvenanceSignal,
                    Severity::Warning,
                    good,
                    format!("BOM line `{}` (lot `{}`): {} {}", m.line, f.lot, s.code, s.message),
                    "provenance screening (transformation policy of the rule pack)",
                )
                .materials([m.line.to_string()])
                .evidence(evidence(s))
                .remedy(s.clear.clone())
                .seal(),
            );
        }
    }
}

fn evidence(s: &origin_graph::SignalReport) -> Vec<String> {
    let mut e = Vec::new();
    if !s.evidence.lots.is_empty() {
        e.push(format!("lots: {}", s.evidence.lots.join(", ")));
    }
    if !s.evidence.sites.is_empty() {
        e.push(format!("sites: {}", s.evidence.sites.join(", ")));
    }
    if !s.evidence.events.is_empty() {
        e.push(format!("events: {}", s.evidence.events.join(", ")));
    }
    e
}
