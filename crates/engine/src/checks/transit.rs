//! Transit and transshipment: an originating good loses its status if, outside the Parties, it undergoes
//! any operation other than those the rule pack allows, or leaves customs control there.
//!
//! Legal basis: Art. 4.18; 19 U.S.C. 4531(l) (the pack's `transit` provision).
//!
//! Example: a good routed MX -> PA (unloading, storing, under customs control) -> US keeps its status;
//! the same good relabelled for retail in Panama, or released from customs control there, does not.

use origin_rules::RuleSet;

use crate::finding::{Facts, Finding, Severity, Shown, TransitProblem};
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
            out.push(Finding::of(
                Severity::Warning,
                &good.id,
                Facts::TransitOutsideParties { problem: TransitProblem::NoProvision },
            ));
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
        let left_customs_control = t.customs_control_required && stop.customs_control == Some(false);
        let broken = !bad_ops.is_empty() || left_customs_control;
        if !broken && t.customs_control_required && stop.customs_control.is_none() {
            out.push(Finding::of(
                Severity::Blocking,
                &good.id,
                Facts::TransitOutsideParties {
                    problem: TransitProblem::CustomsControlUnknown {
                        stop: i + 1,
                        country: stop.country,
                        citation: Shown(t.provision.citation.to_string()),
                    },
                },
            ));
            if verdict == Transit::Clean {
                verdict = Transit::Unknown;
            }
            continue;
        }
        if broken {
            verdict = Transit::Broken;
            out.push(Finding::of(
                Severity::Blocking,
                &good.id,
                Facts::TransitOutsideParties {
                    problem: TransitProblem::Broken {
                        stop: i + 1,
                        country: stop.country,
                        operations: bad_ops.iter().map(|op| op.to_string()).collect(),
                        left_customs_control,
                        route: good.route.iter().map(|s| s.country).collect(),
                        allowed: Shown(t.allowed_operations.clone()),
                        citation: Shown(t.provision.citation.to_string()),
                    },
                },
            ));
        }
    }
    (verdict, out)
}
