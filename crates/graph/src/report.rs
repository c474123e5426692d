//! Explicit output types: what a trace says about lots and signals, ready to print or serialize.
//! These are the boundary: internal types do not derive `Serialize`.

use origin_core::{Country, Percent};
use serde::Serialize;

use crate::LotIx;
use crate::build::{NONE, ProvenanceGraph, backticked};
use crate::trace::{RawSignal, SignalCode, Trace, state_at};

/// Version of the report shape.
pub const REPORT_VERSION: u32 = 1;

/// The traced origin of every lot and every signal of a provenance graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceReport {
    /// Shape version, [`REPORT_VERSION`].
    pub version: u32,
    /// Every lot, in input order.
    pub lots: Vec<LotReport>,
    /// Every signal, lot by lot in topological order, then the laundering findings.
    pub signals: Vec<SignalReport>,
}

/// What the trace says about one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotReport {
    /// Lot id.
    pub lot: String,
    /// HS code, dotted.
    pub hs: String,
    /// The site where the lot came into being.
    pub site: String,
    /// The declared origin.
    pub declared_origin: Country,
    /// The traced origin: the single origin, or the largest contributor of a mixed lot.
    pub traced_origin: Country,
    /// Every contributing origin with its share, largest first (one entry at 100.00% when single).
    pub contributions: Vec<Contribution>,
    /// How shares were weighted, for a mixed lot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_basis: Option<&'static str>,
    /// Where the traced origin was set.
    pub origin_set_by: String,
    /// Codes of the signals attached to this lot.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<&'static str>,
    /// Whether two or more independent signals lie on one path ending at this lot.
    pub laundering_suspected: bool,
}

/// One contributing origin of a lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contribution {
    /// The country.
    pub country: Country,
    /// Its share, to two decimals.
    pub share: String,
}

/// A signal with its evidence and what would clear it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalReport {
    /// Stable code, e.g. `SHORT_DWELL`.
    pub code: &'static str,
    /// `warning` (one signal, for review) or `suspected` (laundering: two or more on one path).
    pub severity: &'static str,
    /// The lot the signal is attached to.
    pub lot: String,
    /// What was found, with the numbers.
    pub message: String,
    /// The document or fact that would clear it.
    pub clear: String,
    /// The lots, sites and events on the path.
    pub evidence: Evidence,
}

/// The records a signal rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Lot ids.
    pub lots: Vec<String>,
    /// Site ids.
    pub sites: Vec<String>,
    /// Shipment and transformation ids.
    pub events: Vec<String>,
}

impl Evidence {
    fn lot(&mut self, g: &ProvenanceGraph, l: u32) {
        push_unique(&mut self.lots, g.lot_ids.get(l));
    }
    fn site(&mut self, g: &ProvenanceGraph, s: u32) {
        if s != NONE {
            push_unique(&mut self.sites, g.site_ids.get(s));
        }
    }
    fn event(&mut self, g: &ProvenanceGraph, e: u32) {
        push_unique(&mut self.events, g.event_ids.get(e));
    }
    fn merge(&mut self, other: &Evidence) {
        other.lots.iter().for_each(|x| push_unique(&mut self.lots, x));
        other.sites.iter().for_each(|x| push_unique(&mut self.sites, x));
        other.events.iter().for_each(|x| push_unique(&mut self.events, x));
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn pct(d: origin_core::Decimal) -> String {
    Percent(d * origin_core::Decimal::ONE_HUNDRED).to_string()
}

impl Trace {
    /// The whole report: every lot and every signal.
    pub fn report(&self, g: &ProvenanceGraph) -> TraceReport {
        let lots = (0..g.lots.len() as u32).map(|l| self.lot_report(g, LotIx(l))).collect();
        let mut signals: Vec<SignalReport> = self.signals.iter().map(|s| self.signal(g, s)).collect();
        signals.extend(self.laundering.iter().filter_map(|&l| self.laundering_signal(g, LotIx(l))));
        TraceReport { version: REPORT_VERSION, lots, signals }
    }

    /// What the trace says about one lot.
    pub fn lot_report(&self, g: &ProvenanceGraph, lot: LotIx) -> LotReport {
        let l = lot.0 as usize;
        let rec = &g.lots[l];
        let mut contributions = self.contributions(lot);
        contributions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mixed = contributions.len() > 1;
        LotReport {
            lot: g.lot_ids.get(lot.0).to_string(),
            hs: rec.hs.to_string(),
            site: g.site_ids.get(rec.site).to_string(),
            declared_origin: rec.declared,
            traced_origin: self.origin[l],
            contributions: contributions
                .into_iter()
                .map(|(country, s)| Contribution { country, share: pct(s) })
                .collect(),
            share_basis: mixed.then(|| self.basis[l].as_str()),
            origin_set_by: self.origin_set_by(g, lot.0),
            signals: self.signals_of(lot).iter().map(|s| s.code().as_str()).collect(),
            laundering_suspected: self.laundering_suspected(lot),
        }
    }

    fn origin_set_by(&self, g: &ProvenanceGraph, l: u32) -> String {
        let e = self.origin_event[l as usize];
        let s = self.origin_site[l as usize];
        if e == NONE {
            format!("declared origin of a raw lot at site `{}`", g.site_ids.get(s))
        } else {
            let t = &g.transformations[e as usize];
            format!(
                "transformation `{}` ({}) at site `{}`",
                g.event_ids.get(t.id),
                t.operation.as_str(),
                g.site_ids.get(t.site)
            )
        }
    }

    /// The signals on every path ending at `lot` (its own and its ancestors'), then the laundering
    /// finding when two or more independent signals lie on one path.
    pub fn path_signals(&self, g: &ProvenanceGraph, lot: LotIx) -> Vec<SignalReport> {
        let mut out: Vec<SignalReport> = ancestors(g, lot.0)
            .into_iter()
            .flat_map(|a| self.signals_of(LotIx(a)).iter().map(|s| self.signal(g, s)).collect::<Vec<_>>())
            .collect();
        out.extend(self.laundering_signal(g, lot));
        out
    }

    /// The laundering finding for `lot`, when two or more independent signals lie on one path to it.
    pub fn laundering_signal(&self, g: &ProvenanceGraph, lot: LotIx) -> Option<SignalReport> {
        let chain = self.laundering_path(g, lot)?;
        let mut evidence = Evidence::default();
        let mut codes: Vec<&'static str> = Vec::new();
        let mut treat: Vec<String> = Vec::new();
        for l in chain.iter().rev() {
            evidence.lot(g, l.0);
            let rec = &g.lots[l.0 as usize];
            evidence.site(g, rec.site);
            if rec.produced_by != NONE {
                evidence.event(g, g.transformations[rec.produced_by as usize].id);
            }
            if !self.signals_of(*l).is_empty() {
                treat.push(format!("lot `{}` as of `{}` origin", g.lot_ids.get(l.0), self.origin[l.0 as usize]));
            }
            for s in self.signals_of(*l) {
                let r = self.signal(g, s);
                evidence.merge(&r.evidence);
                if !codes.contains(&r.code) {
                    codes.push(r.code);
                }
            }
        }
        let path: Vec<&str> = chain.iter().rev().map(|l| g.lot_ids.get(l.0)).collect();
        let mismatch = SignalCode::DeclaredOriginMismatch.as_str();
        let also =
            if codes.contains(&mismatch) { ", with a declared origin that differs from the traced one" } else { "" };
        codes.retain(|c| *c != mismatch);
        let id = g.lot_ids.get(lot.0);
        Some(SignalReport {
            code: SignalCode::OriginLaunderingSuspected.as_str(),
            severity: "suspected",
            lot: id.to_string(),
            message: format!(
                "{} independent signals ({}) lie on one path to lot `{id}` (through lots {}){also}: the origin of its materials may have been laundered",
                codes.len(),
                codes.join(", "),
                backticked(&path)
            ),
            clear: format!(
                "clear each signal listed with its document; until then treat {}, whatever its declaration says",
                treat.join(" and ")
            ),
            evidence,
        })
    }

    /// Renders a stored signal with its message, evidence and what would clear it.
    pub fn signal(&self, g: &ProvenanceGraph, s: &RawSignal) -> SignalReport {
        let mut ev = Evidence::default();
        let lid = g.lot_ids.get(s.lot);
        let lot = &g.lots[s.lot as usize];
        let t = (s.t != NONE).then(|| &g.transformations[s.t as usize]);
        let (tid, op, site, sid, country) = match t {
            Some(t) => (
                g.event_ids.get(t.id),
                t.operation.as_str(),
                t.site,
                g.site_ids.get(t.site),
                g.sites[t.site as usize].country,
            ),
            None => ("", "", lot.site, g.site_ids.get(lot.site), g.sites[lot.site as usize].country),
        };
        let input = (s.aux != NONE && t.is_some()).then(|| g.inputs.get(s.aux as usize)).flatten();
        if let Some(i) = input {
            ev.lot(g, i.lot);
            ev.site(g, self.origin_site[i.lot as usize]);
        }
        ev.lot(g, s.lot);
        if let Some(t) = t {
            ev.site(g, t.site);
            ev.event(g, t.id);
        }
        let code = s.code();
        let (message, clear) = match code {
            SignalCode::MinimalProcessingThirdCountry => {
                let (iid, o) =
                    input.map(|i| (g.lot_ids.get(i.lot), self.origin[i.lot as usize])).unwrap_or(("", lot.declared));
                (
                    format!(
                        "lot `{lid}` was only processed by `{op}` (transformation `{tid}`) at site `{sid}` in `{country}`, a third country, from lot `{iid}` of traced origin `{o}`; `{op}` never confers origin, so it stays `{o}`"
                    ),
                    format!(
                        "production records at `{sid}` showing an operation that confers origin under the rule, or proof that lot `{iid}` is not of `{o}` origin"
                    ),
                )
            }
            SignalCode::ShortDwell => {
                let a = self.assess(g, s.t);
                let d = a.dwell_days.unwrap_or_default();
                let min = self.policy.min_dwell_days.unwrap_or_default();
                if let Some(t) = t {
                    for i in g.inputs_of(t) {
                        ev.lot(g, i.lot);
                        for &si in g.ships_of(i.lot) {
                            if g.shipments[si as usize].to == t.site {
                                ev.event(g, g.shipments[si as usize].id);
                            }
                        }
                    }
                    if let Some(&si) = g.ships_of(s.lot).iter().find(|&&si| g.shipments[si as usize].from == t.site) {
                        ev.event(g, g.shipments[si as usize].id);
                    }
                }
                (
                    format!(
                        "lot `{lid}` moved on {d} day{} after its inputs reached site `{sid}`, where transformation `{tid}` (`{op}`) is claimed; the policy expects at least {min} days",
                        if d == 1 { "" } else { "s" }
                    ),
                    format!(
                        "receiving and dispatch records of `{sid}` and the production order of `{tid}` showing the goods stayed at least {min} days"
                    ),
                )
            }
            SignalCode::LowValueAdded => {
                let a = self.assess(g, s.t);
                // Shown with enough decimals that "added 9.999%" never reads "added 10.00%; at least 10.00%".
                let (share, min) = match (a.value_added_share, self.policy.min_value_added) {
                    (Some(p), Some(m)) => p.shown_against(m),
                    (p, m) => {
                        (p.map(|p| p.to_string()).unwrap_or_default(), m.map(|m| m.to_string()).unwrap_or_default())
                    }
                };
                (
                    format!(
                        "transformation `{tid}` (`{op}`) at site `{sid}` in `{country}` added {share} of the value of lot `{lid}`; the policy expects at least {min}"
                    ),
                    format!(
                        "a cost statement for `{tid}` (labour, overhead, materials bought in `{country}`) showing value added of at least {min}"
                    ),
                )
            }
            SignalCode::DeclaredOriginMismatch => {
                ev.site(g, self.origin_site[s.lot as usize]);
                let oe = self.origin_event[s.lot as usize];
                if oe != NONE {
                    ev.event(g, g.transformations[oe as usize].id);
                }
                let o = self.origin[s.lot as usize];
                let mut parts = self.contributions(LotIx(s.lot));
                let mixed = if parts.len() > 1 {
                    parts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    let list: Vec<String> = parts.iter().map(|(c, d)| format!("`{c}` {}", pct(*d))).collect();
                    format!(
                        ", the largest of its origins: {} by {}",
                        list.join(", "),
                        self.basis[s.lot as usize].as_str()
                    )
                } else {
                    String::new()
                };
                (
                    format!(
                        "lot `{lid}` is declared `{}` but traces to `{o}` ({}){mixed}",
                        lot.declared,
                        self.origin_set_by(g, s.lot)
                    ),
                    format!(
                        "production records showing a transformation that confers `{}` origin under the rule, or a declaration corrected to `{o}`",
                        lot.declared
                    ),
                )
            }
            SignalCode::TransshipmentCorridor => {
                let (name, route) = self.corridor_route(g, s, &mut ev);
                (
                    format!("lot `{lid}` travelled {} through corridor `{name}`, known for transshipment, without a transformation that confers origin on the way", route),
                    "transport documents for every leg and production records at each intermediate site showing what was done there, or a certificate of origin from the country of production".to_string(),
                )
            }
            SignalCode::NoTariffShift => {
                let (iid, ihs) =
                    input.map(|i| (g.lot_ids.get(i.lot), g.lots[i.lot as usize].hs.to_string())).unwrap_or_default();
                let level = self.policy.min_tariff_shift.map(|l| l.word()).unwrap_or("heading");
                (
                    format!(
                        "transformation `{tid}` (`{op}`) at site `{sid}` is claimed to transform lot `{iid}` ({ihs}) into lot `{lid}` ({}), but both are in the same {level}; the policy requires a change of {level}",
                        lot.hs
                    ),
                    format!(
                        "the bill of materials and a classification ruling showing the {level} of lot `{lid}` differs from that of every input, or the rule that allows this step without a shift"
                    ),
                )
            }
            SignalCode::MassBalanceBreak => {
                let mut sum = origin_core::Decimal::ZERO;
                if let Some(t) = t {
                    for i in g.inputs_of(t) {
                        ev.lot(g, i.lot);
                        let f = crate::trace::kg_factor(g.units.get(g.lots[i.lot as usize].unit)).unwrap_or_default();
                        sum += i.quantity * f;
                    }
                }
                let f = crate::trace::kg_factor(g.units.get(lot.unit)).unwrap_or_default();
                (
                    format!(
                        "transformation `{tid}` at site `{sid}` produced {} kg of lot `{lid}` from {} kg of inputs (tolerance {})",
                        (lot.quantity * f).normalize(),
                        sum.normalize(),
                        g.tolerance
                    ),
                    format!(
                        "the bill of materials and receipts for every input of `{tid}`, including any not declared (undeclared inputs may be foreign)"
                    ),
                )
            }
            SignalCode::CommonOwnership => {
                let (iid, os) =
                    input.map(|i| (g.lot_ids.get(i.lot), self.origin_site[i.lot as usize])).unwrap_or(("", NONE));
                let owner = g.entities.get(g.sites[site as usize].owner);
                let (osid, oc) =
                    if os == NONE { ("", Country::US) } else { (g.site_ids.get(os), g.sites[os as usize].country) };
                (
                    format!(
                        "the processor at site `{sid}` (`{country}`) and the supplier of lot `{iid}` at site `{osid}` (`{oc}`) have the same owner `{owner}`"
                    ),
                    format!(
                        "corporate records showing the two are independent, or arm's-length contracts and prices between `{sid}` and `{osid}`"
                    ),
                )
            }
            SignalCode::TransitOutsideParties => {
                let o = self.origin[s.lot as usize];
                let out = g.shipments.get(s.ship as usize);
                if let Some(out) = out {
                    ev.event(g, out.id);
                    ev.site(g, out.from);
                    ev.site(g, out.to);
                }
                let dest = out.map(|o| g.site_ids.get(o.to)).unwrap_or_default();
                if t.is_some() {
                    (
                        format!(
                            "lot `{lid}`, of `{o}` origin, underwent `{op}` (transformation `{tid}`) at site `{sid}` in `{country}`, outside the Parties, on its way to `{dest}`; USMCA Art. 4.18 allows there only unloading, reloading, separation from bulk, storing, labelling required by the importer, and what preserves or transports the good"
                        ),
                        format!(
                            "transit records (19 CFR 182.15) showing that only those operations were done at `{sid}`, or a new determination of origin for lot `{lid}`"
                        ),
                    )
                } else {
                    let inbound = g.shipments.get(s.aux as usize);
                    if let Some(i) = inbound {
                        ev.event(g, i.id);
                    }
                    let via = out.map(|o| o.from).unwrap_or(NONE);
                    let (vid, vc) = if via == NONE {
                        ("", Country::US)
                    } else {
                        (g.site_ids.get(via), g.sites[via as usize].country)
                    };
                    (
                        format!(
                            "lot `{lid}`, of `{o}` origin, passed through site `{vid}` in `{vc}`, outside the Parties, on its way to `{dest}` and was not under customs control throughout (USMCA Art. 4.18)"
                        ),
                        format!(
                            "customs transit or bonded-warehouse documents for `{vid}` showing the goods stayed under customs control"
                        ),
                    )
                }
            }
            SignalCode::OriginLaunderingSuspected => (String::new(), String::new()),
        };
        SignalReport { code: code.as_str(), severity: "warning", lot: lid.to_string(), message, clear, evidence: ev }
    }

    /// Walks back along a corridor match to name the route, collecting its evidence.
    fn corridor_route(&self, g: &ProvenanceGraph, s: &RawSignal, ev: &mut Evidence) -> (String, String) {
        let ci = s.aux as usize;
        let Some(corr) = self.corridors.corridors.get(ci) else {
            return (String::new(), String::new());
        };
        let mask = 0xFFu64 << (ci * 8);
        let mut countries: Vec<Country> = Vec::new();
        let mut states = Vec::new();
        // The completing shipment and the lot's earlier shipments, newest first.
        let mut cur = s.lot;
        let mut until = g.shipments.get(s.ship as usize).map(|x| x.departed);
        for _ in 0..64 {
            let ships = g.ships_of(cur);
            for &si in ships.iter().rev() {
                let sh = &g.shipments[si as usize];
                if until.is_some_and(|d| sh.departed > d) {
                    continue;
                }
                ev.event(g, sh.id);
                ev.site(g, sh.to);
                ev.site(g, sh.from);
                countries.push(g.sites[sh.to as usize].country);
            }
            ev.lot(g, cur);
            let lot = &g.lots[cur as usize];
            ev.site(g, lot.site);
            countries.push(g.sites[lot.site as usize].country);
            let p = lot.produced_by;
            if p == NONE || self.origin_event[cur as usize] == p {
                break;
            }
            let t = &g.transformations[p as usize];
            ev.event(g, t.id);
            let next = g.inputs_of(t).iter().find(|i| {
                state_at(g, &self.corridors, self.corridor_state[i.lot as usize], i.lot, t.site, &mut states) & mask
                    != 0
            });
            match next {
                Some(i) => {
                    cur = i.lot;
                    until = g
                        .ships_of(cur)
                        .iter()
                        .map(|&x| &g.shipments[x as usize])
                        .filter(|x| x.to == t.site)
                        .map(|x| x.departed)
                        .max();
                }
                None => break,
            }
        }
        countries.reverse();
        countries.dedup();
        let route: Vec<String> = countries.iter().map(|c| format!("`{c}`")).collect();
        (corr.name.clone(), route.join(" -> "))
    }
}

/// `lot` and every lot it was made from, each after its inputs.
pub(crate) fn ancestors(g: &ProvenanceGraph, lot: u32) -> Vec<u32> {
    let mut seen = hashbrown::HashSet::new();
    let mut out = Vec::new();
    let mut stack = vec![(lot, false)];
    while let Some((l, done)) = stack.pop() {
        if done {
            out.push(l);
            continue;
        }
        if !seen.insert(l) {
            continue;
        }
        stack.push((l, true));
        let p = g.lots[l as usize].produced_by;
        if p != NONE {
            for i in g.inputs_of(&g.transformations[p as usize]).iter().rev() {
                if !seen.contains(&i.lot) {
                    stack.push((i.lot, false));
                }
            }
        }
    }
    out
}
