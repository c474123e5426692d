#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! parse(render(rule)) == rule, over generated rules; and render of the pack's own rules parses back.

use chrono::NaiveDate;
use origin_rules::import::{parse_rule, render_rule};
use origin_rules::raw::{RawAlternative, RawMaterialSpec, RawReview, RawRule, RawRvc, RawShift};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn codes(level: usize) -> impl Strategy<Value = Vec<String>> {
    let pool: Vec<&'static str> = match level {
        0 => vec!["8406", "8411", "8501", "8503", "7208"],
        1 => vec!["8538.90", "8501.32", "8708.99", "8413.50-8413.60"],
        _ => vec!["8466.93.15", "8538.90.40", "8548.10.05"],
    };
    proptest::sample::subsequence(pool, 1..=3).prop_map(|v| v.into_iter().map(String::from).collect())
}

fn spec() -> impl Strategy<Value = RawMaterialSpec> {
    (0usize..3).prop_flat_map(codes).prop_map(|hs| RawMaterialSpec { hs, kind: None })
}

fn kind_spec() -> impl Strategy<Value = RawMaterialSpec> {
    (
        prop_oneof![Just("housings"), Just("printed circuit assemblies"), Just("moulded parts")],
        prop_oneof![Just("8538.90"), Just("8508.70")],
    )
        .prop_map(|(k, c)| RawMaterialSpec { hs: vec![c.into()], kind: Some(k.into()) })
}

fn rvc() -> impl Strategy<Value = RawRvc> {
    prop_oneof![
        (45u32..90, 5u32..20)
            .prop_map(|(tv, d)| RawRvc { tv: Some(Decimal::from(tv)), nc: Some(Decimal::from(tv - d)) }),
        (30u32..90).prop_map(|nc| RawRvc { tv: None, nc: Some(Decimal::from(nc)) }),
    ]
}

fn shift() -> impl Strategy<Value = RawShift> {
    let from = prop_oneof![Just("chapter"), Just("heading"), Just("subheading"), Just("tariff-item")];
    (
        from,
        any::<u8>(),
        proptest::option::of(spec()),
        proptest::option::of(spec()),
        proptest::option::of(kind_spec()),
        proptest::collection::vec(spec(), 0..=3),
    )
        .prop_map(|(from, flags, also, except, except_kind, more)| {
            let mut s = RawShift {
                from: Some(from.into()),
                group: None,
                within: None,
                also_from: Vec::new(),
                except: Vec::new(),
                except_more_than_one_of: Vec::new(),
            };
            match flags % 5 {
                0 => s.group = Some("outside".into()),
                1 => s.group = Some("including-within".into()),
                2 if from == "subheading" => s.within = Some(true),
                _ => {}
            }
            if s.group.as_deref() != Some("outside") {
                s.also_from.extend(also);
            }
            if flags & 0x10 != 0 && !s.also_from.is_empty() {
                s.from = None;
                s.group = None;
            }
            s.except.extend(except);
            s.except.extend(except_kind);
            if more.len() >= 2 {
                s.except_more_than_one_of = more;
            }
            s
        })
}

fn alternative() -> impl Strategy<Value = RawAlternative> {
    prop_oneof![
        (shift(), proptest::option::of(rvc())).prop_map(|(s, r)| RawAlternative {
            label: String::new(),
            hs: Vec::new(),
            good_kind: None,
            good_kind_other_than: None,
            shift: Some(s),
            no_change_required: None,
            rvc: r,
            conditions: Vec::new(),
        }),
        rvc().prop_map(|r| RawAlternative {
            label: String::new(),
            hs: Vec::new(),
            good_kind: None,
            good_kind_other_than: None,
            shift: None,
            no_change_required: Some(true),
            rvc: Some(r),
            conditions: Vec::new(),
        }),
    ]
}

fn rule() -> impl Strategy<Value = RawRule> {
    let hs = prop_oneof![Just("8510.10-8510.30"), Just("8511.90"), Just("8537"), Just("8536.30.40")];
    let uses = proptest::option::of(prop_oneof![
        Just(vec!["passenger-vehicle".to_string(), "light-truck".to_string()]),
        Just(vec!["heavy-truck".to_string()]),
        Just(vec!["passenger-vehicle".to_string(), "light-truck".to_string(), "heavy-truck".to_string()]),
    ]);
    let dates = proptest::option::of(proptest::option::of(Just(NaiveDate::from_ymd_opt(2025, 6, 30).unwrap())));
    (hs, uses, dates, proptest::collection::vec(alternative(), 1..=3), 1u32..300).prop_map(
        |(hs, uses, dates, mut alts, n)| {
            let single = alts.len() == 1;
            for (i, a) in alts.iter_mut().enumerate() {
                a.label = if single { "-".into() } else { ((b'A' + i as u8) as char).to_string() };
            }
            let dated = dates.is_some() && uses.is_none();
            RawRule {
                id: if dated { "gn11-85-x".into() } else { format!("gn11-85-{n:03}") },
                hs: vec![hs.into()],
                uses,
                good_kind: None,
                good_kind_other_than: None,
                trade: None,
                effective_from: dated.then(|| NaiveDate::from_ymd_opt(2020, 7, 1).unwrap()),
                effective_to: if dated { dates.flatten() } else { None },
                motor_vehicle_provisions: None,
                citation: None,
                review: RawReview::ImportedUnreviewed,
                preamble: None,
                text: None,
                alternatives: alts,
                missing: None,
                note: None,
            }
        },
    )
}

fn key(
    hs: &[String],
    uses: &Option<Vec<String>>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    alts: &[RawAlternative],
) -> serde_json::Value {
    serde_json::json!({ "hs": hs, "uses": uses, "from": from, "to": to, "alternatives": alts })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn parse_of_render_is_the_rule(r in rule()) {
        let text = render_rule(&r);
        let parsed = parse_rule(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(
            key(&parsed.hs, &parsed.uses, parsed.effective_from, parsed.effective_to, &parsed.alternatives),
            key(&r.hs, &r.uses, r.effective_from, r.effective_to, &r.alternatives),
            "{}", text
        );
    }
}
