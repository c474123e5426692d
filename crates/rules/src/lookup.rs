//! Finding the rule in force for a good: HS code, vehicle use, description and date.

use chrono::NaiveDate;
use origin_core::{Country, HsCode};

use crate::model::{Rule, RuleSet, VehicleUse};

/// What the caller knows about the good.
#[derive(Debug, Clone, Copy)]
pub struct RuleQuery<'a> {
    /// The good's classification.
    pub hs: HsCode,
    /// The date the determination is made for.
    pub as_of: NaiveDate,
    /// The vehicle the good is for, where known.
    pub vehicle_use: Option<VehicleUse>,
    /// The good's description where a rule depends on it ("body stamping").
    pub good_kind: Option<&'a str>,
    /// The exporting and importing Party, where a rule depends on the direction of trade.
    pub parties: Option<Parties>,
}

/// The Parties of a shipment: the exporting Party (where the good was produced) and the importing
/// Party (the batch's `importing_party`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parties {
    /// Where the good was produced and exported from.
    pub exporting: Country,
    /// Where it is imported.
    pub importing: Country,
}

/// The answer of a look-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'r> {
    /// Exactly one rule applies.
    Found(&'r Rule),
    /// The pack encodes no rule for this code on this date: never guessed.
    NoRule {
        /// Rules for the code on other dates, for the explanation.
        other_dates: Vec<&'r Rule>,
    },
    /// Rules exist but the good must be classified deeper to choose.
    NeedsClassification(Vec<&'r Rule>),
    /// The rules differ by vehicle use and the use is not given.
    NeedsUse(Vec<&'r Rule>),
    /// The rules differ by the good's description and it is not given (or matches none).
    NeedsDescription(Vec<&'r Rule>),
    /// The rules differ by the direction of trade (exporting and importing Party) and it is not given.
    NeedsParties(Vec<&'r Rule>),
}

impl RuleSet {
    /// The rule in force for `q`: the deepest-written rule whose codes contain the good, filtered by
    /// date, use and description.
    pub fn lookup(&self, q: RuleQuery<'_>) -> Lookup<'_> {
        // The rules whose codes contain the good's or lie under it, in file order: the only ones any
        // step below reads (a range that contains a code overlaps it). One pass over the pack: this
        // look-up runs for every good, and its full passes were a fifth of the engine's time.
        let near: Vec<&Rule> = self.rules.iter().filter(|r| r.hs.0.iter().any(|x| x.overlaps_code(q.hs))).collect();
        let covering: Vec<&Rule> = near.iter().copied().filter(|r| r.hs.contains(q.hs)).collect();
        let in_force: Vec<&Rule> = covering.iter().copied().filter(|r| r.in_force(q.as_of)).collect();
        if in_force.is_empty() {
            let deeper: Vec<&Rule> = near
                .iter()
                .copied()
                .filter(|r| r.in_force(q.as_of) && r.hs.0.iter().any(|x| x.overlaps_code(q.hs) && !x.contains(q.hs)))
                .collect();
            if !deeper.is_empty() {
                return Lookup::NeedsClassification(deeper);
            }
            return Lookup::NoRule { other_dates: covering };
        }
        // A deeper rule may exist for part of this code ("tariff item 8536.30.40" inside "8536.30"):
        // a good classified only to 8536.30 cannot tell which applies.
        let deepest = in_force.iter().map(|r| r.specificity()).max();
        let finer: Vec<&Rule> =
            near.iter().copied().filter(|r| r.in_force(q.as_of) && Some(r.specificity()) > deepest).collect();
        if !finer.is_empty() {
            let mut all = finer;
            all.extend(in_force.iter().copied());
            return Lookup::NeedsClassification(all);
        }
        let level: Vec<&Rule> = in_force.into_iter().filter(|r| Some(r.specificity()) == deepest).collect();

        let by_use: Vec<&Rule> = match q.vehicle_use {
            Some(u) => level.iter().copied().filter(|r| r.uses.is_empty() || r.uses.contains(&u)).collect(),
            None => {
                if level.iter().any(|r| !r.uses.is_empty()) {
                    return Lookup::NeedsUse(level);
                }
                level.clone()
            }
        };
        if by_use.is_empty() {
            return Lookup::NoRule { other_dates: Vec::new() };
        }
        let parties = q.parties.map(|p| (p.exporting, p.importing));
        if by_use.iter().any(|r| r.trade.covers(parties).is_none()) {
            return Lookup::NeedsParties(by_use);
        }
        let by_use: Vec<&Rule> = by_use.into_iter().filter(|r| r.trade.covers(parties) == Some(true)).collect();
        if by_use.is_empty() {
            return Lookup::NoRule { other_dates: Vec::new() };
        }
        let mut needs_kind = false;
        let by_kind: Vec<&Rule> = by_use
            .iter()
            .copied()
            .filter(|r| match r.good_kind.covers(q.good_kind) {
                Some(b) => b,
                None => {
                    needs_kind = true;
                    false
                }
            })
            .collect();
        if needs_kind {
            return Lookup::NeedsDescription(by_use);
        }
        match by_kind.as_slice() {
            [one] => Lookup::Found(one),
            [] => Lookup::NeedsDescription(by_use),
            // The checker rejects overlapping rules, so this is only reached with an unchecked pack.
            _ => Lookup::NeedsDescription(by_kind),
        }
    }
}
