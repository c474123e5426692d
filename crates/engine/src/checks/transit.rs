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

/// Findings for every stop outside the Parties that breaks Art. 4.18. Empty when the route is clean.
pub fn check(rules: &RuleSet, good: &Good) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(t) = &rules.general.transit else {
        if good.route.iter().any(|s| !s.country.is_usmca_party()) {
            out.push(
                Finding::new(
                    Code::TransitOutsideParties,
                    Severity::Warning,
                    &good.id,
                    "the route passes outside the Parties and the rule pack encodes no transit provision to judge it".into(),
                    "Art. 4.18 (not encoded in the pack)",
                )
                .remedy("add the transit provision to general.yaml, or have a reviewer judge the route")
                .seal(),
            );
        }
        return out;
    };
    for (i, stop) in good.route.iter().enumerate().filter(|(_, s)| !s.country.is_usmca_party()) {
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
        if t.customs_control_required && !stop.customs_control {
            why.push("the good left customs control".to_string());
        }
        if !why.is_empty() {
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
    out
}
