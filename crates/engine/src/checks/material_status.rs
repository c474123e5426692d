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
use crate::finding::{CertificationProblem, Facts, Finding, LineRef, Mismatch, Severity, Shown, Signal, Unsupported};
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
    let facts = m.lot.as_deref().and_then(|l| cx.traced?.lot_facts(l));
    let facts = facts.as_ref();
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
                findings.push(Finding::of(
                    Severity::Warning,
                    good,
                    Facts::HsDiscrepancy {
                        line: m.line.to_string(),
                        part: m.part.as_deref().map(str::to_string),
                        bom: hs,
                        certification: c.id.to_string(),
                        certified,
                        issuer: Shown(c.supplier.to_string()),
                    },
                ));
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
        Support::Problem(facts) => {
            let why = facts.certification_problem().unwrap_or_default();
            findings.push(Finding::of(Severity::Warning, good, *facts));
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
    /// The facts of the finding (ORIGIN_UNSUPPORTED or SUPPLIER_CERTIFICATION_*).
    Problem(Box<Facts>),
}

fn support<'a>(cx: &'a AuditContext<'_>, m: &Material) -> Support<'a> {
    let who = || Shown(m.supplier.as_deref().unwrap_or("the supplier").to_string());
    let part = || Shown(m.part.as_deref().unwrap_or(&m.description).to_string());
    let line = || LineRef { line: m.line.to_string(), description: Shown(m.description.to_string()) };
    if m.self_produced.is_some() {
        // The caller replaces this with the sub-BOM's own determination.
        return Support::SelfProduced;
    }
    let Some(id) = &m.certification else {
        return Support::Problem(Box::new(Facts::OriginUnsupported {
            case: Unsupported::NoCertification { line: line(), supplier: who(), part: part(), as_of: Shown(cx.as_of) },
        }));
    };
    let invalid = |problem| {
        Support::Problem(Box::new(Facts::SupplierCertificationInvalid {
            line: line(),
            certification: id.to_string(),
            problem,
        }))
    };
    let Some(c) = cx.certifications.get(&**id) else {
        return invalid(if cx.bad_certifications.contains(&**id) {
            CertificationProblem::Unreadable { supplier: who(), part: part() }
        } else {
            CertificationProblem::NotInBatch { supplier: who(), part: part() }
        });
    };
    let issuer = || Shown(c.supplier.to_string());
    if !c.country.is_usmca_party() {
        return invalid(CertificationProblem::NotParty { country: c.country, issuer: issuer(), part: part() });
    }
    if let Some(s) = &m.supplier
        && !s.trim().eq_ignore_ascii_case(c.supplier.trim())
    {
        return invalid(CertificationProblem::OtherSupplier {
            issuer: c.supplier.to_string(),
            supplier: s.to_string(),
            part: part(),
        });
    }
    if !c.parts.is_empty() && !m.part.as_deref().is_some_and(|p| c.parts.iter().any(|x| x == p)) {
        return invalid(CertificationProblem::PartNotListed { part: part().0, issuer: issuer() });
    }
    if c.signed > cx.as_of {
        return invalid(CertificationProblem::SignedAfter { signed: c.signed, as_of: cx.as_of });
    }
    if let Some((from, to)) = c.blanket {
        if !covers(from, to, cx.as_of) {
            return Support::Problem(Box::new(Facts::SupplierCertificationExpired {
                line: line(),
                certification: id.to_string(),
                from,
                to,
                as_of: cx.as_of,
                issuer: issuer(),
                part: part(),
            }));
        }
        if crate::certificate::check_blanket(from, to).is_err() {
            return invalid(CertificationProblem::BlanketTooLong { from, to, issuer: issuer() });
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
            findings.push(Finding::of(
                Severity::Warning,
                good,
                Facts::ProvenanceGap { line: m.line.to_string(), lot: lot.to_string() },
            ));
        }
        return;
    };
    // Blocking when the line claims a USMCA origin the records contradict (or may have laundered); a
    // warning otherwise.
    let claimed = m.origin.is_some_and(|o| o.is_usmca_party());
    if let Some(l) = &f.laundering {
        // A material claimed USMCA-originating that may be laundered blocks the claim. One already
        // counted non-originating does not change the USMCA determination, but its true origin still
        // matters for marking, Section 232/301 duties and transshipment penalties: a warning.
        findings.push(Finding::of(
            if claimed { Severity::Blocking } else { Severity::Warning },
            good,
            Facts::OriginLaunderingSuspected {
                line: m.line.to_string(),
                lot: f.lot.clone(),
                claimed,
                signal: Signal::from(l),
            },
        ));
    }
    let mismatch = |mismatch| {
        Finding::of(
            if claimed { Severity::Blocking } else { Severity::Warning },
            good,
            Facts::DeclaredOriginMismatch { line: m.line.to_string(), lot: f.lot.clone(), mismatch },
        )
    };
    if let Some(origin) = m.origin
        && origin != f.declared_origin
    {
        findings.push(mismatch(Mismatch::BomAndLot { bom: origin, lot_declared: f.declared_origin }));
    }
    if f.declared_origin != f.traced_origin {
        findings.push(mismatch(Mismatch::DeclaredAndTraced {
            declared: f.declared_origin,
            traced: f.traced_origin,
            set_by: Shown(f.origin_set_by.clone()),
        }));
    }
    if f.laundering.is_none() {
        for s in f.signals.iter().filter(|s| s.code != "DECLARED_ORIGIN_MISMATCH") {
            findings.push(Finding::of(
                Severity::Warning,
                good,
                Facts::ProvenanceSignal { line: m.line.to_string(), lot: f.lot.clone(), signal: Signal::from(s) },
            ));
        }
    }
}
