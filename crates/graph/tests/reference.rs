//! Property test: traced origins on random small DAGs equal a brute-force reference that enumerates
//! every path back to the points where origin is fixed (raw lots and conferring transformations).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use origin_core::{Country, Currency, Decimal, HsCode, Money};
use origin_graph::{
    InputQuantity, LotInput, Operation, ProvenanceGraph, ProvenanceInput, ShipmentInput, SiteInput, SiteKind, Trace,
    TransformationInput,
};
use proptest::prelude::*;

const COUNTRIES: [&str; 4] = ["CN", "VN", "MX", "US"];
const HS: [&str; 4] = ["7207.11", "7214.20", "8708.30", "7208.51"];
const OPS: [Operation; 4] = [Operation::Relabelling, Operation::Forging, Operation::Assembly, Operation::Rolling];

/// How a generated lot was made: input lots with consumed quantities, operation, value added.
type Made = (Vec<(usize, u32)>, usize, Option<u32>);

#[derive(Debug, Clone)]
struct GenLot {
    site: usize,
    hs: usize,
    declared: usize,
    value: Option<u32>,
    /// Input lots (all earlier) with consumed quantities, operation, value added.
    made: Option<Made>,
    /// Days after its date an extra shipment leaves its site, if any.
    export: Option<(u32, usize)>,
}

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(u64::from(n))
}

fn arb_lots() -> impl Strategy<Value = Vec<GenLot>> {
    prop::collection::vec(
        (
            0..4usize,
            0..4usize,
            0..4usize,
            prop::option::of(1..1000u32),
            any::<bool>(),
            1..256u32,
            prop::collection::vec(1..14u32, 8),
            0..4usize,
            prop::option::of(1..1000u32),
            prop::option::of((1..9u32, 0..4usize)),
        ),
        1..=8,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (site, hs, declared, value, made, mask, qty, op, va, export))| {
                let made = (i > 0 && made).then(|| {
                    let mut inputs: Vec<(usize, u32)> =
                        (0..i).filter(|j| mask & (1 << j) != 0).map(|j| (j, qty[j])).collect();
                    if inputs.is_empty() {
                        inputs.push((i - 1, qty[0]));
                    }
                    (inputs, op, va)
                });
                GenLot { site, hs, declared, value, made, export: export.filter(|(_, s)| *s != site) }
            })
            .collect()
    })
}

fn to_input(lots: &[GenLot]) -> ProvenanceInput {
    let usd = Currency::USD;
    let mut p = ProvenanceInput::default();
    for (k, c) in COUNTRIES.iter().enumerate() {
        p.sites.push(SiteInput {
            id: format!("S{k}"),
            country: Country::parse(c).unwrap(),
            kind: SiteKind::Plant,
            operator: format!("operator {k}"),
            owner: None,
        });
    }
    let mut shipped: Vec<(usize, usize)> = Vec::new();
    for (i, l) in lots.iter().enumerate() {
        p.lots.push(LotInput {
            id: format!("L{i}"),
            hs: HsCode::parse(HS[l.hs]).unwrap(),
            quantity: Decimal::from(1000),
            unit: "kg".to_string(),
            site: format!("S{}", l.site),
            date: day(10 * i as u32),
            declared_origin: Country::parse(COUNTRIES[l.declared]).unwrap(),
            value: l.value.map(|v| Money::new(Decimal::from(v), usd)),
            material: None,
        });
        if let Some((to_day, to)) = l.export {
            p.shipments.push(ShipmentInput {
                id: format!("X{i}"),
                lot: format!("L{i}"),
                from: format!("S{}", l.site),
                to: format!("S{to}"),
                departed: day(10 * i as u32 + to_day),
                arrived: day(10 * i as u32 + to_day + 1),
                document: "doc".to_string(),
                customs_control: false,
                quantity: Some(Decimal::from(100)),
            });
        }
        if let Some((inputs, op, va)) = &l.made {
            for &(j, _) in inputs {
                if lots[j].site != l.site && !shipped.contains(&(j, l.site)) {
                    shipped.push((j, l.site));
                    p.shipments.push(ShipmentInput {
                        id: format!("H{j}-{i}"),
                        lot: format!("L{j}"),
                        from: format!("S{}", lots[j].site),
                        to: format!("S{}", l.site),
                        departed: day(10 * j as u32 + 1),
                        arrived: day(10 * j as u32 + 2),
                        document: "doc".to_string(),
                        customs_control: false,
                        quantity: Some(Decimal::from(100)),
                    });
                }
            }
            p.transformations.push(TransformationInput {
                id: format!("T{i}"),
                inputs: inputs
                    .iter()
                    .map(|&(j, q)| InputQuantity { lot: format!("L{j}"), quantity: Decimal::from(q) })
                    .collect(),
                output: format!("L{i}"),
                site: format!("S{}", l.site),
                operation: OPS[*op],
                date: day(10 * i as u32),
                value_added: va.map(|v| Money::new(Decimal::from(v), usd)),
            });
        }
    }
    p
}

/// The reference: does lot `i`'s transformation confer origin? Written from the policy's words.
fn confers(lots: &[GenLot], p: &ProvenanceInput, i: usize) -> bool {
    let l = &lots[i];
    let Some((inputs, op, va)) = &l.made else { return false };
    if matches!(OPS[*op], Operation::Relabelling) {
        return false;
    }
    let heading = |h: usize| &HS[h][..4];
    if inputs.iter().any(|&(j, _)| heading(lots[j].hs) == heading(l.hs)) {
        return false;
    }
    let Some(va) = va else { return false };
    let va = Decimal::from(*va);
    let denom = match l.value {
        Some(v) => Decimal::from(v),
        None => {
            let mut sum = va;
            for &(j, q) in inputs {
                match lots[j].value {
                    Some(v) => sum += Decimal::from(v) * Decimal::from(q) / Decimal::from(1000),
                    None => return false,
                }
            }
            sum
        }
    };
    if va * Decimal::from(100) < Decimal::TEN * denom {
        return false;
    }
    let arrived = inputs
        .iter()
        .map(|&(j, _)| if lots[j].site == l.site { 10 * j as i64 } else { 10 * j as i64 + 2 })
        .max()
        .unwrap();
    let here = format!("S{}", l.site);
    let left = p
        .shipments
        .iter()
        .filter(|s| s.lot == format!("L{i}") && s.from == here)
        .map(|s| (s.departed - day(0)).num_days())
        .min()
        .or_else(|| {
            lots.iter()
                .enumerate()
                .filter(|(_, k)| k.site == l.site && k.made.as_ref().is_some_and(|m| m.0.iter().any(|&(j, _)| j == i)))
                .map(|(k, _)| 10 * k as i64)
                .min()
        });
    left.is_none_or(|left| left - arrived >= 5)
}

/// Every path back from lot `i` to a raw lot or a conferring transformation, with its weight.
fn reference(lots: &[GenLot], p: &ProvenanceInput, i: usize, acc: Decimal, out: &mut BTreeMap<Country, Decimal>) {
    let l = &lots[i];
    let fixed = match &l.made {
        None => Some(Country::parse(COUNTRIES[l.declared]).unwrap()),
        Some(_) if confers(lots, p, i) => Some(Country::parse(COUNTRIES[l.site]).unwrap()),
        Some(_) => None,
    };
    if let Some(c) = fixed {
        *out.entry(c).or_default() += acc;
        return;
    }
    let Some((inputs, _, _)) = &l.made else { return };
    let by_value = inputs.iter().all(|&(j, _)| lots[j].value.is_some());
    let w: Vec<Decimal> = inputs
        .iter()
        .map(|&(j, q)| match (by_value, lots[j].value) {
            (true, Some(v)) => Decimal::from(v) * Decimal::from(q) / Decimal::from(1000),
            _ => Decimal::from(q),
        })
        .collect();
    let total: Decimal = w.iter().copied().sum();
    for (k, &(j, _)) in inputs.iter().enumerate() {
        reference(lots, p, j, acc * (w[k] / total), out);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn traced_origins_equal_the_path_enumeration(lots in arb_lots()) {
        let input = to_input(&lots);
        let g = ProvenanceGraph::build(&input).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let t = Trace::run(&g, &common::policy(), &common::corridors());
        let eps = Decimal::new(1, 18);
        for i in 0..lots.len() {
            let mut want = BTreeMap::new();
            reference(&lots, &input, i, Decimal::ONE, &mut want);
            let lot = g.lot(&format!("L{i}")).unwrap();
            let got: BTreeMap<Country, Decimal> = t.contributions(lot).into_iter().collect();
            prop_assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "lot L{}", i);
            for (c, w) in &want {
                prop_assert!((got[c] - w).abs() < eps, "lot L{} {}: got {} want {}", i, c, got[c], w);
            }
            let top = want.values().copied().max().unwrap();
            let leaders: Vec<_> = want.iter().filter(|(_, w)| top - **w < eps).collect();
            if leaders.len() == 1 {
                prop_assert_eq!(t.origin(lot), *leaders[0].0, "lot L{}", i);
            }
        }
    }
}
