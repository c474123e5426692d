//! Traced origin of every lot and the signals found on the way, in one pass in topological order.

use origin_core::{Country, Decimal, Percent};

use crate::build::{Lot, NONE, ProvenanceGraph, Transformation};
use crate::policy::{CorridorPolicy, TransformationPolicy};

/// The stable codes of the signals, in the order of their bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignalCode {
    /// Only non-conferring operations in a third country on a lot of foreign, non-Party origin.
    MinimalProcessingThirdCountry,
    /// In and out of a site faster than the policy's minimum dwell for the transformation claimed.
    ShortDwell,
    /// Value added at a third-country step below the policy's minimum.
    LowValueAdded,
    /// A lot's declared origin differs from its traced origin.
    DeclaredOriginMismatch,
    /// The material's route matches a transshipment-prone corridor.
    TransshipmentCorridor,
    /// No tariff shift between an input and the output at a step claimed to transform.
    NoTariffShift,
    /// More output (by mass) than the inputs explain.
    MassBalanceBreak,
    /// The third-country processor and the foreign supplier have the same owner.
    CommonOwnership,
    /// USMCA Art. 4.18: a Party-origin good processed outside the Parties, or leaving customs control
    /// there, on its way to a Party.
    TransitOutsideParties,
    /// At least two independent signals on one path.
    OriginLaunderingSuspected,
}

impl SignalCode {
    /// Every code, in bit order.
    pub const ALL: [SignalCode; 10] = [
        SignalCode::MinimalProcessingThirdCountry,
        SignalCode::ShortDwell,
        SignalCode::LowValueAdded,
        SignalCode::DeclaredOriginMismatch,
        SignalCode::TransshipmentCorridor,
        SignalCode::NoTariffShift,
        SignalCode::MassBalanceBreak,
        SignalCode::CommonOwnership,
        SignalCode::TransitOutsideParties,
        SignalCode::OriginLaunderingSuspected,
    ];

    /// The SCREAMING_SNAKE code shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalCode::MinimalProcessingThirdCountry => "MINIMAL_PROCESSING_THIRD_COUNTRY",
            SignalCode::ShortDwell => "SHORT_DWELL",
            SignalCode::LowValueAdded => "LOW_VALUE_ADDED",
            SignalCode::DeclaredOriginMismatch => "DECLARED_ORIGIN_MISMATCH",
            SignalCode::TransshipmentCorridor => "TRANSSHIPMENT_CORRIDOR",
            SignalCode::NoTariffShift => "NO_TARIFF_SHIFT",
            SignalCode::MassBalanceBreak => "MASS_BALANCE_BREAK",
            SignalCode::CommonOwnership => "COMMON_OWNERSHIP",
            SignalCode::TransitOutsideParties => "TRANSIT_OUTSIDE_PARTIES",
            SignalCode::OriginLaunderingSuspected => "ORIGIN_LAUNDERING_SUSPECTED",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }

    pub(crate) fn from_index(i: u8) -> SignalCode {
        SignalCode::ALL.get(usize::from(i)).copied().unwrap_or(SignalCode::OriginLaunderingSuspected)
    }
}

/// How the shares of a mixed lot's contributing origins were weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ShareBasis {
    /// By the value of each input consumed (every input lot states a value, in one currency).
    Value,
    /// By the quantity of each input consumed (values missing; units comparable).
    Quantity,
    /// Equal shares per input (neither values nor comparable quantities are stated).
    Unweighted,
}

impl ShareBasis {
    /// The word shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareBasis::Value => "value",
            ShareBasis::Quantity => "quantity",
            ShareBasis::Unweighted => "unweighted",
        }
    }
}

/// A signal as stored: its code and the records it points at. [`Trace::signal`] renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawSignal {
    pub(crate) code: u8,
    pub(crate) lot: u32,
    /// Transformation index, or `NONE`.
    pub(crate) t: u32,
    /// Shipment index, or `NONE`.
    pub(crate) ship: u32,
    /// Extra: input index, corridor index or second shipment, depending on the code.
    pub(crate) aux: u32,
}

impl RawSignal {
    /// The signal's code.
    pub fn code(&self) -> SignalCode {
        SignalCode::from_index(self.code)
    }

    /// The lot the signal is attached to.
    pub fn lot(&self) -> crate::LotIx {
        crate::LotIx(self.lot)
    }
}

/// Whether a transformation confers origin, and the numbers behind the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    /// Whether the output takes the country of the transformation's site.
    pub confers: bool,
    /// The operation is one that never confers origin.
    pub non_conferring_operation: bool,
    /// The first input (index into the transformation's inputs) whose HS code does not shift at the
    /// policy's level, or cannot be compared at it.
    pub no_shift_input: Option<u32>,
    /// Whether that input's code is too short to compare (rather than equal).
    pub shift_unknown: bool,
    /// Value added as a share of the output's value, when it can be computed.
    pub value_added_share: Option<Percent>,
    /// Whole days from the last input reaching the site to the output leaving it (or being used again).
    pub dwell_days: Option<i64>,
    /// The value-added test failed or could not be computed while the policy sets one.
    pub value_added_fails: bool,
    /// Value added could be computed and is below the policy's minimum.
    pub value_added_low: bool,
    /// The dwell test failed.
    pub dwell_fails: bool,
}

/// The traced origin of every lot and every signal, computed once per lot in topological order.
#[derive(Debug)]
pub struct Trace {
    pub(crate) policy: TransformationPolicy,
    pub(crate) corridors: CorridorPolicy,
    pub(crate) origin: Vec<Country>,
    /// `[start, len]` into `shares`; `len == 0` means the lot has the single origin in `origin`.
    pub(crate) comp: Vec<[u32; 2]>,
    /// Fractions (0..=1) of each contributing origin of mixed lots.
    pub(crate) shares: Vec<(Country, Decimal)>,
    pub(crate) origin_event: Vec<u32>,
    pub(crate) origin_site: Vec<u32>,
    pub(crate) basis: Vec<ShareBasis>,
    /// Signal bits attached to the lot itself.
    pub(crate) local: Vec<u16>,
    /// Signal bits on some path ending at the lot; bit 15: some single path carries two or more codes.
    pub(crate) any: Vec<u16>,
    /// Corridor progress when the lot came into being (8 bits per corridor).
    pub(crate) corridor_state: Vec<u64>,
    pub(crate) sig_first: Vec<u32>,
    pub(crate) signals: Vec<RawSignal>,
    pub(crate) laundering: Vec<u32>,
    non_conferring: u32,
    transit_permitted: u32,
    unit_kg: Vec<Option<Decimal>>,
}

const TWO: u16 = 1 << 15;

/// The codes that count as independent evidence toward laundering. `DECLARED_ORIGIN_MISMATCH` follows
/// from whichever conferral test failed, so it corroborates but never counts on its own.
pub(crate) const INDEPENDENT: u16 = !(1 << SignalCode::DeclaredOriginMismatch as u16) & 0x1FF;

pub(crate) fn kg_factor(unit: &str) -> Option<Decimal> {
    match unit {
        "kg" => Some(Decimal::ONE),
        "t" => Some(Decimal::ONE_THOUSAND),
        "g" => Some(Decimal::new(1, 3)),
        "lb" => Some(Decimal::new(45_359_237, 8)),
        _ => None,
    }
}

/// Feeds one visited country to the corridor automata. Per corridor, bit `k` (1..=7) means the last
/// countries visited matched the first `k` legs.
pub(crate) fn feed(corridors: &CorridorPolicy, state: u64, c: Country) -> u64 {
    let mut out = 0u64;
    for (ci, corr) in corridors.corridors.iter().take(8).enumerate() {
        let legs = &corr.legs[..corr.legs.len().min(7)];
        let bits = (state >> (ci * 8)) & 0xFF;
        let mut next = 0u64;
        if legs.first().is_some_and(|l| l.contains(&c)) {
            next |= 1 << 1;
        }
        for k in 1..=legs.len() {
            if bits & (1 << k) == 0 {
                continue;
            }
            if legs[k - 1].contains(&c) {
                next |= 1 << k;
            }
            if k < legs.len() && legs[k].contains(&c) {
                next |= 1 << (k + 1);
            }
        }
        out |= next << (ci * 8);
    }
    out
}

/// Corridors completed in `state`, as a bitmask of corridor indexes.
pub(crate) fn completed(corridors: &CorridorPolicy, state: u64) -> u8 {
    let mut done = 0u8;
    for (ci, corr) in corridors.corridors.iter().take(8).enumerate() {
        let n = corr.legs.len().min(7);
        if n >= 2 && (state >> (ci * 8)) & (1 << n) != 0 {
            done |= 1 << ci;
        }
    }
    done
}

impl Trace {
    /// Traces every lot of `graph` under `policy`, and looks for signals along `corridors`.
    pub fn run(graph: &ProvenanceGraph, policy: &TransformationPolicy, corridors: &CorridorPolicy) -> Trace {
        let n = graph.lots.len();
        let mut tr = Trace {
            policy: policy.clone(),
            corridors: corridors.clone(),
            origin: vec![Country::US; n],
            comp: vec![[0, 0]; n],
            shares: Vec::new(),
            origin_event: vec![NONE; n],
            origin_site: vec![NONE; n],
            basis: vec![ShareBasis::Value; n],
            local: vec![0; n],
            any: vec![0; n],
            corridor_state: vec![0; n],
            sig_first: vec![0; n],
            signals: Vec::new(),
            laundering: Vec::new(),
            non_conferring: TransformationPolicy::op_bits(&policy.non_conferring),
            transit_permitted: TransformationPolicy::op_bits(&policy.transit_permitted),
            unit_kg: (0..graph.units.len() as u32).map(|u| kg_factor(graph.units.get(u))).collect(),
        };
        let mut scratch = Scratch::default();
        for &l in &graph.order {
            tr.sig_first[l as usize] = tr.signals.len() as u32;
            tr.trace_lot(graph, l, &mut scratch);
            tr.shipment_signals(graph, l, &mut scratch);
            tr.propagate(graph, l);
        }
        for &l in &graph.order {
            if tr.any[l as usize] & TWO != 0 && graph.uses_of(l).is_empty() {
                tr.laundering.push(l);
            }
        }
        tr
    }

    fn push(&mut self, code: SignalCode, lot: u32, t: u32, ship: u32, aux: u32) {
        let bit = code.bit();
        if self.local[lot as usize] & bit != 0 {
            return;
        }
        self.local[lot as usize] |= bit;
        self.signals.push(RawSignal { code: code as u8, lot, t, ship, aux });
    }

    /// The single or dominant traced origin of a lot.
    pub fn origin(&self, lot: crate::LotIx) -> Country {
        self.origin[lot.0 as usize]
    }

    /// Every contributing origin of a lot and its share (fractions that sum to one).
    pub fn contributions(&self, lot: crate::LotIx) -> Vec<(Country, Decimal)> {
        let [s, len] = self.comp[lot.0 as usize];
        if len == 0 {
            vec![(self.origin[lot.0 as usize], Decimal::ONE)]
        } else {
            self.shares[s as usize..(s + len) as usize].to_vec()
        }
    }

    fn comp_of(&self, lot: u32) -> &[(Country, Decimal)] {
        let [s, len] = self.comp[lot as usize];
        &self.shares[s as usize..(s + len) as usize]
    }

    /// Whether the transformation that produced `lot` confers origin under the policy, with the
    /// numbers; `None` for a raw lot.
    pub fn assessment(&self, graph: &ProvenanceGraph, lot: crate::LotIx) -> Option<Assessment> {
        let t = graph.lots.get(lot.0 as usize)?.produced_by;
        (t != NONE).then(|| self.assess(graph, t))
    }

    pub(crate) fn assess(&self, graph: &ProvenanceGraph, t: u32) -> Assessment {
        assess(graph, &self.policy, self.non_conferring, t, true)
    }

    fn trace_lot(&mut self, graph: &ProvenanceGraph, l: u32, scratch: &mut Scratch) {
        let lot = &graph.lots[l as usize];
        let li = l as usize;
        if lot.produced_by == NONE {
            self.origin[li] = lot.declared;
            self.origin_site[li] = lot.site;
            self.corridor_state[li] = feed(&self.corridors, 0, graph.sites[lot.site as usize].country);
            return;
        }
        let ti = lot.produced_by;
        let t = &graph.transformations[ti as usize];
        let site = &graph.sites[t.site as usize];
        let c = site.country;
        // The share itself (a division) is left out here; reports compute it with `Trace::assess`.
        let a = assess(graph, &self.policy, self.non_conferring, ti, false);
        let inputs = graph.inputs_of(t);
        if a.confers {
            self.origin[li] = c;
            self.origin_site[li] = t.site;
            self.origin_event[li] = ti;
            self.corridor_state[li] = feed(&self.corridors, 0, c);
        } else {
            // Weights of the inputs: value consumed, else comparable quantity, else equal.
            scratch.weights.clear();
            let mut basis = ShareBasis::Value;
            let currency = graph.lots[inputs[0].lot as usize].value.map(|m| m.currency);
            let by_value = inputs.iter().all(|i| {
                let il = &graph.lots[i.lot as usize];
                il.value.is_some_and(|v| Some(v.currency) == currency) && !il.quantity.is_zero()
            });
            if by_value {
                for i in inputs {
                    let il = &graph.lots[i.lot as usize];
                    let v = il.value.map(|m| m.amount).unwrap_or_default();
                    scratch.weights.push(v * i.quantity / il.quantity);
                }
            } else {
                basis = ShareBasis::Quantity;
                let unit0 = graph.lots[inputs[0].lot as usize].unit;
                let same = inputs.iter().all(|i| graph.lots[i.lot as usize].unit == unit0);
                let mass = inputs.iter().all(|i| self.unit_kg[graph.lots[i.lot as usize].unit as usize].is_some());
                for i in inputs {
                    let il = &graph.lots[i.lot as usize];
                    let w = if same {
                        i.quantity
                    } else if mass {
                        i.quantity * self.unit_kg[il.unit as usize].unwrap_or(Decimal::ONE)
                    } else {
                        basis = ShareBasis::Unweighted;
                        Decimal::ONE
                    };
                    scratch.weights.push(w);
                }
            }
            let mut total: Decimal = scratch.weights.iter().copied().sum();
            if total.is_zero() {
                scratch.weights.iter_mut().for_each(|w| *w = Decimal::ONE);
                total = Decimal::from(inputs.len());
                basis = ShareBasis::Unweighted;
            }
            let mut result_basis = if inputs.len() > 1 { basis } else { ShareBasis::Value };
            scratch.mix.clear();
            let mut state = 0u64;
            let mut best: Option<(usize, Decimal)> = None;
            for (k, i) in inputs.iter().enumerate() {
                let w = scratch.weights[k] / total;
                let il = i.lot as usize;
                result_basis = result_basis.max(self.basis[il]);
                let comp = self.comp_of(i.lot);
                if comp.is_empty() {
                    scratch.mix.push((self.origin[il], w));
                } else {
                    scratch.mix.extend(comp.iter().map(|&(c, s)| (c, s * w)));
                }
                if best.is_none_or(|(_, bw)| w > bw) {
                    best = Some((k, w));
                }
                state |= state_at(graph, &self.corridors, self.corridor_state[il], i.lot, t.site, &mut scratch.states);
            }
            self.corridor_state[li] = feed(&self.corridors, state, c);
            scratch.mix.sort_by_key(|e| e.0);
            let mut merged: Vec<(Country, Decimal)> = Vec::with_capacity(scratch.mix.len());
            for &(c, s) in &scratch.mix {
                match merged.last_mut() {
                    Some(last) if last.0 == c => last.1 += s,
                    _ => merged.push((c, s)),
                }
            }
            let mut dominant = merged.first().map(|e| e.0).unwrap_or(Country::US);
            let mut top = Decimal::MIN;
            for &(c, s) in &merged {
                if s > top {
                    top = s;
                    dominant = c;
                }
            }
            self.origin[li] = dominant;
            // The origin site and event come from the heaviest input of the dominant origin.
            let from = inputs
                .iter()
                .enumerate()
                .filter(|(_, i)| self.origin[i.lot as usize] == dominant)
                .max_by(|a, b| scratch.weights[a.0].cmp(&scratch.weights[b.0]).then(b.0.cmp(&a.0)))
                .map(|(k, _)| k)
                .or(best.map(|b| b.0))
                .unwrap_or(0);
            let src = inputs[from].lot as usize;
            self.origin_site[li] = self.origin_site[src];
            self.origin_event[li] = self.origin_event[src];
            self.basis[li] = result_basis;
            if merged.len() > 1 {
                self.comp[li] = [self.shares.len() as u32, merged.len() as u32];
                self.shares.extend(merged);
            }
        }
        self.transformation_signals(graph, l, ti, t, &a);
    }

    fn transformation_signals(&mut self, graph: &ProvenanceGraph, l: u32, ti: u32, t: &Transformation, a: &Assessment) {
        let lot: &Lot = &graph.lots[l as usize];
        let site = &graph.sites[t.site as usize];
        let c = site.country;
        let third = !c.is_usmca_party();
        let inputs = graph.inputs_of(t);
        let foreign = inputs.iter().position(|i| {
            let o = self.origin[i.lot as usize];
            o != c && !o.is_usmca_party()
        });
        let start = t.inputs_start;
        if let Some(k) = foreign {
            let aux = start + k as u32;
            if third && a.non_conferring_operation {
                self.push(SignalCode::MinimalProcessingThirdCountry, l, ti, NONE, aux);
            }
            if third && a.value_added_low {
                self.push(SignalCode::LowValueAdded, l, ti, NONE, aux);
            }
        }
        if let (Some(min), Some(d)) = (self.policy.min_dwell_days, a.dwell_days)
            && d < i64::from(min)
        {
            self.push(SignalCode::ShortDwell, l, ti, NONE, NONE);
        }
        if let Some(k) = a.no_shift_input
            && !a.shift_unknown
        {
            let input = inputs[k as usize].lot as usize;
            let claimed = !a.non_conferring_operation || lot.declared == c;
            if claimed && self.origin[input] != c {
                self.push(SignalCode::NoTariffShift, l, ti, NONE, start + k);
            }
        }
        if let Some(out_kg) = self.unit_kg[lot.unit as usize] {
            let mut sum = Decimal::ZERO;
            let mut all = true;
            for i in inputs {
                match self.unit_kg[graph.lots[i.lot as usize].unit as usize] {
                    Some(f) => sum += i.quantity * f,
                    None => all = false,
                }
            }
            let factor = Decimal::ONE + graph.tolerance.value() / Decimal::ONE_HUNDRED;
            if all && lot.quantity * out_kg > sum * factor {
                self.push(SignalCode::MassBalanceBreak, l, ti, NONE, NONE);
            }
        }
        if third {
            for (k, i) in inputs.iter().enumerate() {
                let o = self.origin[i.lot as usize];
                let os = self.origin_site[i.lot as usize];
                if o != c && !o.is_usmca_party() && os != NONE {
                    let supplier = &graph.sites[os as usize];
                    if supplier.owner == site.owner && supplier.country != c {
                        self.push(SignalCode::CommonOwnership, l, ti, NONE, start + k as u32);
                        break;
                    }
                }
            }
        }
        if lot.declared != self.origin[l as usize] {
            self.push(SignalCode::DeclaredOriginMismatch, l, ti, NONE, NONE);
        }
        if third
            && !a.confers
            && self.origin[l as usize].is_usmca_party()
            && self.transit_permitted & t.operation.bit() == 0
            && let Some(&s) = graph
                .ships_of(l)
                .iter()
                .find(|&&s| graph.sites[graph.shipments[s as usize].to as usize].country.is_usmca_party())
        {
            self.push(SignalCode::TransitOutsideParties, l, ti, s, NONE);
        }
    }

    fn shipment_signals(&mut self, graph: &ProvenanceGraph, l: u32, scratch: &mut Scratch) {
        let ships = graph.ships_of(l);
        if ships.is_empty() {
            return;
        }
        let lot = &graph.lots[l as usize];
        if !self.corridors.corridors.is_empty() {
            let states = &mut scratch.states;
            states.clear();
            states.push((lot.site, self.corridor_state[l as usize]));
            let mut fired = None;
            for &si in ships {
                let s = &graph.shipments[si as usize];
                let from = states.iter().find(|e| e.0 == s.from).map(|e| e.1).unwrap_or(0);
                let next = feed(&self.corridors, from, graph.sites[s.to as usize].country);
                let newly = completed(&self.corridors, next) & !completed(&self.corridors, from);
                if newly != 0 && fired.is_none() {
                    fired = Some((si, newly.trailing_zeros()));
                }
                match states.iter_mut().find(|e| e.0 == s.to) {
                    Some(e) => e.1 |= next,
                    None => states.push((s.to, next)),
                }
            }
            if let Some((si, ci)) = fired {
                self.push(SignalCode::TransshipmentCorridor, l, NONE, si, ci);
            }
        }
        if self.origin[l as usize].is_usmca_party() {
            'outer: for (k, &si) in ships.iter().enumerate() {
                let s = &graph.shipments[si as usize];
                if graph.sites[s.to as usize].country.is_usmca_party() {
                    continue;
                }
                for &so in &ships[k + 1..] {
                    let o = &graph.shipments[so as usize];
                    if o.from == s.to
                        && graph.sites[o.to as usize].country.is_usmca_party()
                        && (!s.customs_control || !o.customs_control)
                    {
                        self.push(SignalCode::TransitOutsideParties, l, NONE, so, si);
                        break 'outer;
                    }
                }
            }
        }
    }

    fn propagate(&mut self, graph: &ProvenanceGraph, l: u32) {
        let li = l as usize;
        let local = self.local[li] & INDEPENDENT;
        let mut any = local;
        let mut two = local.count_ones() >= 2;
        let p = graph.lots[li].produced_by;
        if p != NONE {
            for i in graph.inputs_of(&graph.transformations[p as usize]) {
                let pa = self.any[i.lot as usize];
                any |= pa & !TWO;
                two |= pa & TWO != 0 || (local != 0 && (pa & !TWO & !local) != 0);
            }
        }
        self.any[li] = any | if two { TWO } else { 0 };
    }

    /// The signals attached to each lot, in topological order of the lots.
    pub fn raw_signals(&self) -> &[RawSignal] {
        &self.signals
    }

    /// The signals attached to one lot.
    pub fn signals_of(&self, lot: crate::LotIx) -> &[RawSignal] {
        let s = self.sig_first[lot.0 as usize] as usize;
        let n = self.local[lot.0 as usize].count_ones() as usize;
        self.signals.get(s..s + n).unwrap_or(&[])
    }

    /// Lots not consumed by any transformation that carry two or more independent signals on one path.
    pub fn laundering_lots(&self) -> impl Iterator<Item = crate::LotIx> + '_ {
        self.laundering.iter().map(|&l| crate::LotIx(l))
    }

    /// Whether some path ending at `lot` carries two or more independent signals (different codes, not
    /// counting `DECLARED_ORIGIN_MISMATCH`).
    pub fn laundering_suspected(&self, lot: crate::LotIx) -> bool {
        self.any[lot.0 as usize] & TWO != 0
    }

    /// The codes of the signals found on any path ending at `lot`.
    pub fn codes_upstream(&self, lot: crate::LotIx) -> Vec<SignalCode> {
        let bits = self.any[lot.0 as usize];
        SignalCode::ALL.iter().copied().filter(|c| bits & c.bit() != 0).collect()
    }

    /// One path (the lot first, then back through inputs) carrying at least two independent signals,
    /// or `None` when there is none.
    pub fn laundering_path(&self, graph: &ProvenanceGraph, lot: crate::LotIx) -> Option<Vec<crate::LotIx>> {
        if !self.laundering_suspected(lot) {
            return None;
        }
        let mut chain = Vec::new();
        let mut cur = lot.0;
        let mut have = 0u16;
        for _ in 0..=graph.lots.len() {
            chain.push(crate::LotIx(cur));
            have |= self.local[cur as usize] & INDEPENDENT;
            if have.count_ones() >= 2 {
                return Some(chain);
            }
            let p = graph.lots[cur as usize].produced_by;
            if p == NONE {
                break;
            }
            let inputs = graph.inputs_of(&graph.transformations[p as usize]);
            let next = inputs
                .iter()
                .find(|i| self.any[i.lot as usize] & TWO != 0)
                .or_else(|| inputs.iter().find(|i| have != 0 && self.any[i.lot as usize] & !TWO & !have != 0));
            match next {
                Some(i) => cur = i.lot,
                None => break,
            }
        }
        Some(chain)
    }
}

#[derive(Debug, Default)]
struct Scratch {
    weights: Vec<Decimal>,
    mix: Vec<(Country, Decimal)>,
    states: Vec<(u32, u64)>,
}

/// Corridor progress of `lot` when it is at `site`: its creation state carried along its shipments.
pub(crate) fn state_at(
    graph: &ProvenanceGraph,
    corridors: &CorridorPolicy,
    created: u64,
    lot: u32,
    site: u32,
    states: &mut Vec<(u32, u64)>,
) -> u64 {
    if corridors.corridors.is_empty() {
        return 0;
    }
    let ships = graph.ships_of(lot);
    let home = graph.lots[lot as usize].site;
    if ships.is_empty() {
        return if home == site { created } else { 0 };
    }
    states.clear();
    states.push((home, created));
    for &si in ships {
        let s = &graph.shipments[si as usize];
        let from = states.iter().find(|e| e.0 == s.from).map(|e| e.1).unwrap_or(0);
        let next = feed(corridors, from, graph.sites[s.to as usize].country);
        match states.iter_mut().find(|e| e.0 == s.to) {
            Some(e) => e.1 |= next,
            None => states.push((s.to, next)),
        }
    }
    states.iter().find(|e| e.0 == site).map(|e| e.1).unwrap_or(0)
}

pub(crate) fn assess(
    graph: &ProvenanceGraph,
    policy: &TransformationPolicy,
    non_conferring: u32,
    ti: u32,
    exact: bool,
) -> Assessment {
    let t = &graph.transformations[ti as usize];
    let out = &graph.lots[t.output as usize];
    let inputs = graph.inputs_of(t);
    let non_conferring_operation = non_conferring & t.operation.bit() != 0;
    let mut no_shift_input = None;
    let mut shift_unknown = false;
    if let Some(level) = policy.min_tariff_shift {
        let o = out.hs.truncate(level);
        for (k, i) in inputs.iter().enumerate() {
            let ic = graph.lots[i.lot as usize].hs.truncate(level);
            match (ic, o) {
                (Some(a), Some(b)) if a != b => {}
                (Some(_), Some(_)) => {
                    no_shift_input = Some(k as u32);
                    break;
                }
                _ => {
                    no_shift_input = Some(k as u32);
                    shift_unknown = true;
                    break;
                }
            }
        }
    }
    // Value added and the value it is a share of, in one currency.
    let value_basis = t.value_added.and_then(|va| {
        let denom = match out.value {
            Some(v) if v.currency == va.currency => Some(v.amount),
            _ => {
                let mut sum = va.amount;
                for i in inputs {
                    let il = &graph.lots[i.lot as usize];
                    match il.value {
                        Some(v) if v.currency == va.currency && !il.quantity.is_zero() => {
                            sum += v.amount * i.quantity / il.quantity;
                        }
                        _ => return None,
                    }
                }
                Some(sum)
            }
        }?;
        (denom > Decimal::ZERO).then_some((va.amount, denom))
    });
    let value_added_share = if exact { value_basis.and_then(|(va, d)| Percent::ratio(va, d)) } else { None };
    // `va / denom < min / 100`, compared without dividing.
    let value_added_low = match (policy.min_value_added, value_basis) {
        (Some(min), Some((va, d))) => va * Decimal::ONE_HUNDRED < min.value() * d,
        _ => false,
    };
    let value_added_fails = policy.min_value_added.is_some() && (value_basis.is_none() || value_added_low);
    let arrived = inputs.iter().map(|i| i.available).max();
    let left = graph
        .ships_of(t.output)
        .iter()
        .map(|&s| &graph.shipments[s as usize])
        .find(|s| s.from == t.site)
        .map(|s| s.departed)
        .or_else(|| {
            graph
                .uses_of(t.output)
                .iter()
                .map(|&k| &graph.transformations[graph.consumer_of_input[k as usize] as usize])
                .filter(|u| u.site == t.site)
                .map(|u| u.date)
                .min()
        });
    let dwell_days = match (arrived, left) {
        (Some(a), Some(b)) => Some((b - a).num_days()),
        _ => None,
    };
    let dwell_fails = match (policy.min_dwell_days, dwell_days) {
        (Some(min), Some(d)) => d < i64::from(min),
        _ => false,
    };
    let confers = !non_conferring_operation && no_shift_input.is_none() && !value_added_fails && !dwell_fails;
    Assessment {
        confers,
        non_conferring_operation,
        no_shift_input,
        shift_unknown,
        value_added_share,
        dwell_days,
        value_added_fails,
        value_added_low,
        dwell_fails,
    }
}
