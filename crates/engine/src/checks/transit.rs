//! Transit and transshipment: an originating good loses its status if, outside the Parties, it undergoes
//! any operation other than those the rule pack allows, or leaves customs control there.
//!
//! Legal basis: Art. 4.18; 19 U.S.C. 4531(l) (the pack's `transit` provision).
//!
//! Example: a good routed MX -> PA (unloading, storing, under customs control) -> US keeps its status;
//! the same good relabelled for retail in Panama, or released from customs control there, does not.

use origin_rules::RuleSet;

use crate::finding::{Code, Finding, Severity};
use crate::input::Good;

/// What the route does to an originating status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transit {
    /// No stop outside the Parties breaks Art. 4.18.
    Clean,
    /// A stop outside the Parties lacks the facts to judge it (customs control unstated).
    Unknown,
    /// A stop outside the Parties breaks Art. 4.18: the good is not originating.
    Broken,
}

/// The route's verdict, with a finding for every stop outside the Parties that breaks Art. 4.18 or
/// cannot be judged.
pub fn check(rules: &RuleSet, good: &Good) -> (Transit, Vec<Finding>) {
    let mut out = Vec::new();
    let mut verdict = Transit::Clean;
    // The stops that open the route in the place of production are where the good was made, not a
    // transit: Art. 4.18 concerns the good after production.
    let produced_at = good.route.iter().take_while(|s| s.country == good.place_of_production).count();
    let Some(t) = &rules.general.transit else {
        if good.route.iter().skip(produced_at).any(|s| !s.country.is_usmca_party()) {
            out.push(
                Finding::new(
                    Code::TransitOutsideParties,
                    Severity::Warning,
                    &good.id,
                    "the route passes outside the Parties and the rule pack encodes no transit provision to judge it"
                        .into(),
                    "Art. 4.18 (not encoded in the pack)",
                )
                .remedy("add the transit provision to general.yaml, or have a reviewer judge the route")
                .seal(),
            );
            return (Transit::Unknown, out);
        }
        return (Transit::Clean, out);
    };
    for (i, stop) in good.route.iter().enumerate().skip(produced_at).filter(|(_, s)| !s.country.is_usmca_party()) {
        let bad_ops: Vec<&str> = stop
            .operations
            .iter()
            .map(String::as_str)
            .filter(|op| !t.allowed_operations.iter().any(|a| a == op))
            .collect();
        let mut why = Vec::new();
        if !bad_ops.is_empty() {
            why.push(format!("operations not allowed outside the Parties: {}", bad_ops.join(", ")));
        }
        if t.customs_control_required && stop.customs_control == Some(false) {
            why.push("the good left customs control".to_string());
        }
        if why.is_empty() && t.customs_control_required && stop.customs_control.is_none() {
            out.push(
                Finding::new(
                    Code::TransitOutsideParties,
                    Severity::Blocking,
                    &good.id,
                    format!(
                        "route stop {} in `{}`: the batch does not say whether the good stayed under customs control there",
                        i + 1,
                        stop.country
                    ),
                    t.provision.citation.to_string(),
                )
                .remedy(format!(
                    "provide the customs documents showing the good stayed under customs control in `{}` (and set `customs_control: true` on the stop)",
                    stop.country
                ))
                .seal(),
            );
            if verdict == Transit::Clean {
                verdict = Transit::Unknown;
            }
            continue;
        }
        if !why.is_empty() {
            verdict = Transit::Broken;
            out.push(
                Finding::new(
                    Code::TransitOutsideParties,
                    Severity::Blocking,
                    &good.id,
                    format!("route stop {} in `{}`: {}", i + 1, stop.country, why.join("; ")),
                    t.provision.citation.to_string(),
                )
                .evidence([format!(
                    "route: {}",
                    good.route.iter().map(|s| s.country.to_string()).collect::<Vec<_>>().join(" -> ")
                )])
                .remedy(format!(
                    "provide customs documents showing the good stayed under customs control in `{}` and underwent only {}; otherwise the good is not originating",
                    stop.country,
                    t.allowed_operations.join(", ")
                ))
                .seal(),
            );
        }
    }
    (verdict, out)
}
