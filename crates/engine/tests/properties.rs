//! Property tests of the arithmetic against the legal text:
//! - RVC never rises when a material becomes non-originating (Art. 4.5; 19 U.S.C. 4531(d)(2)-(3):
//!   VNM can only grow, so (base - VNM) / base can only fall);
//! - de minimis never rescues a good whose failing materials exceed 10 % of both the adjusted TV and
//!   the total cost (Art. 4.12; 4531(f)(1)(A)), and always rescues one at or under 10 % of the
//!   adjusted TV when nothing else fails;
//! - the determination does not depend on the order of the BOM lines (Annex 4-B applies to the
//!   materials as a set).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;
use proptest::prelude::*;

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A BOM line: originating (US, certified) or not (CN).
fn bom_line(id: &str, hs: &str, cents: u64, originating: bool) -> String {
    if originating { us_line(id, hs, &money(cents)) } else { cn_line(id, hs, &money(cents)) }
}

/// RVC by TV and NC under 8402.90 rule 4 (B) ("no change in tariff classification", 60 % TV / 50 %
/// NC). Line `anchor` is a Chinese part of 8402.90, so the good never becomes criterion C and (B) is
/// always evaluated.
fn rvcs(tv: u64, nc: u64, anchor: u64, lines: &[(u64, bool)]) -> (origin_core::Decimal, origin_core::Decimal) {
    let mut bom = cn_line("anchor", "8402.90", &money(anchor));
    for (i, (v, o)) in lines.iter().enumerate() {
        bom.push_str(&bom_line(&format!("m{i}"), "7208.51", *v, *o));
    }
    let r = check(&batch_now(&good_yaml(
        "boiler-part",
        "8402.90",
        &format!("transaction_value: {}, net_cost: {}", money(tv), money(nc)),
        "",
        &bom,
    )));
    let g = only(&r);
    (rvc_of(g, "B", "transaction-value").rvc.value(), rvc_of(g, "B", "net-cost").rvc.value())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rvc_never_rises_when_a_material_becomes_non_originating(
        lines in prop::collection::vec((1u64..500_000, any::<bool>()), 1..6),
        anchor in 1u64..500_000,
        extra_tv in 1u64..2_000_000,
        extra_nc in 1u64..2_000_000,
        pick in any::<prop::sample::Index>(),
    ) {
        let total: u64 = anchor + lines.iter().map(|(v, _)| v).sum::<u64>();
        let (tv, nc) = (total + extra_tv, total + extra_nc);
        let i = pick.index(lines.len());
        let mut flipped = lines.clone();
        flipped[i].1 = false;
        let (tv_before, nc_before) = rvcs(tv, nc, anchor, &lines);
        let (tv_after, nc_after) = rvcs(tv, nc, anchor, &flipped);
        prop_assert!(tv_after <= tv_before, "TV RVC rose from {tv_before} to {tv_after}");
        prop_assert!(nc_after <= nc_before, "NC RVC rose from {nc_before} to {nc_after}");
        if lines[i].1 {
            // It really flipped: VNM grew by the line's value, so the RVC fell by value / base x 100.
            prop_assert!(tv_after < tv_before);
        }
    }

    /// Drilling machine of 8459.29 (rule 150, no RVC alternative): the only failing material is an
    /// excepted Chinese motor of 8501.52 worth `failing`.
    #[test]
    fn de_minimis_never_rescues_above_ten_percent_of_both_bases(
        tv in 10_000u64..5_000_000,
        tc in 10_000u64..5_000_000,
        over in 1u64..1_000_000,
        others in prop::collection::vec(1u64..100_000, 0..4),
    ) {
        // Strictly above 10 % of both: failing x 10 > max(tv, tc).
        let failing = tv.max(tc) / 10 + over;
        let mut bom = cn_line("motor", "8501.52", &money(failing));
        for (i, v) in others.iter().enumerate() {
            bom.push_str(&cn_line(&format!("g{i}"), "8483.40", &money(*v)));
        }
        let r = check(&batch_now(&good_yaml(
            "drill",
            "8459.29",
            &format!("transaction_value: {}, total_cost: {}", money(tv), money(tc)),
            "",
            &bom,
        )));
        let g = only(&r);
        prop_assert_ne!(outcome(g), Outcome::Qualified);
        prop_assert!(!has(g, "DE_MINIMIS_APPLIED"));
    }

    #[test]
    fn de_minimis_rescues_at_or_under_ten_percent_of_adjusted_tv(
        tv in 10_000u64..5_000_000,
        shipping in 0u64..5_000,
        share_permille in 1u64..=100,
    ) {
        let adjusted = tv - shipping;
        // failing <= 10 % of the adjusted TV: adjusted x share / 1000 with share <= 100.
        let failing = (adjusted * share_permille / 1000).max(1);
        let bom = cn_line("motor", "8501.52", &money(failing)) + &us_line("frame", "7308.90", "10");
        let r = check(&batch_now(&good_yaml(
            "drill",
            "8459.29",
            &format!("transaction_value: {}, international_shipping: {}", money(tv), money(shipping)),
            "",
            &bom,
        )));
        let g = only(&r);
        prop_assert_eq!(outcome(g), Outcome::Qualified);
        prop_assert!(has(g, "DE_MINIMIS_APPLIED"));
    }

    /// Boring-milling machine of 8459.31 (rule 151: "except from more than one of"), a random BOM from
    /// listed items, other headings, the good's own subheading, originating or not, in any order.
    #[test]
    fn determination_is_invariant_under_reordering_bom_lines(
        lines in prop::collection::vec((0usize..6, 1u64..300_000, any::<bool>()), 1..7)
            .prop_flat_map(|v| { let n = v.len(); (Just(v.clone()), Just(v).prop_shuffle(), Just(n)) }),
        tv in 1_000_000u64..3_000_000,
    ) {
        const HS: [&str; 6] = ["8501.32", "8537.10", "8413.50", "8483.40", "8459.31", "7308.90"];
        let (original, shuffled, _) = lines;
        let bom = |ls: &[(usize, u64, bool)]| {
            // Line ids follow the content, not the position, so both orders describe the same lines.
            ls.iter().map(|(h, v, o)| bom_line(&format!("{}-{v}-{o}", HS[*h]), HS[*h], *v, *o)).collect::<String>()
        };
        // Identical lines would get identical ids (an input error): keep only distinct ones.
        let mut seen = std::collections::HashSet::new();
        let dedup = |ls: &[(usize, u64, bool)], seen: &mut std::collections::HashSet<(usize, u64, bool)>| {
            ls.iter().copied().filter(|l| seen.insert(*l)).collect::<Vec<_>>()
        };
        let a = dedup(&original, &mut seen);
        seen.clear();
        let b = dedup(&shuffled, &mut seen);
        let audit = |ls: &[(usize, u64, bool)]| {
            check(&batch_now(&good_yaml("mill", "8459.31", &format!("transaction_value: {}", money(tv)), "", &bom(ls))))
        };
        let (ra, rb) = (audit(&a), audit(&b));
        let (ga, gb) = (only(&ra), only(&rb));
        prop_assert_eq!(outcome(ga), outcome(gb));
        prop_assert_eq!(criterion(ga), criterion(gb));
        prop_assert_eq!(&ga.audit.determination.alternative, &gb.audit.determination.alternative);
        prop_assert_eq!(ga.audit.determination.values.vnm, gb.audit.determination.values.vnm);
    }
}
