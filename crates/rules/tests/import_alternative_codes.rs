#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 12, the 98 % target: rules whose alternatives cover only some of the rule's codes. Each test parses
//! the entry's words as `fixtures/legal/secondary/` prints them and checks the reading against the text,
//! read by hand; the last ones check that the pack's rules apply an alternative only to goods of its codes.

use chrono::NaiveDate;
use origin_core::HsCode;
use origin_rules::import::{ParsedRule, parse_rule};
use origin_rules::raw::{RawAlternative, RawShift};
use origin_rules::{AlternativeScope, Lookup, PackSource, RuleQuery, RuleSet};
use rust_decimal::Decimal;

fn shift(a: &RawAlternative) -> &RawShift {
    a.shift.as_ref().unwrap_or_else(|| panic!("alternative ({}) has no shift: {a:?}", a.label))
}

fn codes(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn labels(r: &ParsedRule) -> Vec<&str> {
    r.alternatives.iter().map(|a| a.label.as_str()).collect()
}

/// Chapter 71 rule 2: (A) is for every good of 7106.10-7106.92; (B) "No change in tariff classification to
/// a good of subheading 7106.91, whether or not there is also a change from another subheading, provided
/// that ... separation or alloying" is for 7106.91 only (the condition kept verbatim). Rule 4 (7108.12 in
/// 7108.11-7108.20) is printed in the same words.
#[test]
fn no_change_alternative_for_one_subheading_of_the_rule() {
    let r = parse_rule("2. (A) A change to subheadings 7106.10 through 7106.92 from any other subheading, including another subheading within that group; or (B) No change in tariff classification to a good of subheading 7106.91, whether or not there is also a change from another subheading, provided that the nonoriginating materials undergo electrolytic, thermal or chemical separation or alloying.").unwrap();
    assert_eq!(r.hs, codes(&["7106.10-7106.92"]));
    assert_eq!(labels(&r), vec!["A", "B"]);
    let (a, b) = (&r.alternatives[0], &r.alternatives[1]);
    assert!(a.hs.is_empty(), "(A) is for all the rule's codes: {a:?}");
    assert_eq!((shift(a).from.as_deref(), shift(a).group.as_deref()), (Some("subheading"), Some("including-within")));
    assert_eq!(b.hs, codes(&["7106.91"]));
    assert_eq!(b.no_change_required, Some(true));
    assert_eq!(b.conditions.len(), 1);
    assert!(b.conditions[0].text.contains("electrolytic, thermal or chemical separation or alloying"), "{b:?}");

    let r = parse_rule("4. (A) A change to subheadings 7108.11 through 7108.20 from any other subheading, including another subheading within that group; or (B) No change in tariff classification to a good of subheading 7108.12, whether or not there is also a change from another subheading, provided that the nonoriginating materials undergo electrolytic, thermal or chemical separation or alloying.").unwrap();
    assert_eq!(r.hs, codes(&["7108.11-7108.20"]));
    assert_eq!(r.alternatives[1].hs, codes(&["7108.12"]));
}

/// Chapter 78, 7804.11-7804.20: (B) is for foil of a thickness not exceeding 0.15 mm of 7804.11 only, "from
/// within that subheading, whether or not there is also a change from any other subheading".
#[test]
fn kind_of_one_subheading_of_the_rule() {
    let r = parse_rule("(A) A change to subheadings 7804.11 through 7804.20 from any other subheading, including another subheading within that group; or (B) A change to foil of a thickness not exceeding 0.15 mm (excluding backing) of subheading 7804.11 from within that subheading, whether or not there is also a change from any other subheading.").unwrap();
    assert_eq!(r.hs, codes(&["7804.11-7804.20"]));
    let b = &r.alternatives[1];
    assert_eq!(b.hs, codes(&["7804.11"]));
    assert_eq!(b.good_kind.as_deref(), Some("foil of a thickness not exceeding 0.15 mm (excluding backing)"));
    assert_eq!((shift(b).from.as_deref(), shift(b).within), (Some("subheading"), Some(true)));
    assert!(r.good_kind.is_none() && r.alternatives[0].good_kind.is_none());
}

/// Chapter 54 rule 2: (A) names a kind of 5407.61, (B) "any other good of heading 5407": the rule is for
/// heading 5407 and (A) for 5407.61 only; (B) is for the goods other than (A)'s. (A)'s yarns of 5402.44,
/// 5402.47 or 5402.52 are allowed beside any other chapter; both except 5106-5110, 5205-5206, 5509-5510.
#[test]
fn later_alternative_for_the_whole_heading_widens_the_rule() {
    let r = parse_rule("2. (A) A change to woven fabric of non-textured polyester filaments of subheading 5407.61 from yarns, with a twist of 900 or more turns per meter, wholly of polyesters other than partially oriented measuring no less than 75 decitex but not more than 80 decitex, and having 24 filaments per yarn of subheadings 5402.44, 5402.47 or 5402.52, or any other chapter, except from headings 5106 through 5110, 5205 through 5206 or 5509 through 5510; or (B) A change to any other good of heading 5407 from any other chapter, except from headings 5106 through 5110, 5205 through 5206 or 5509 through 5510.").unwrap();
    assert_eq!(r.hs, codes(&["5407"]));
    let (a, b) = (&r.alternatives[0], &r.alternatives[1]);
    assert_eq!(a.hs, codes(&["5407.61"]));
    assert_eq!(a.good_kind.as_deref(), Some("woven fabric of non-textured polyester filaments"));
    assert_eq!(shift(a).from.as_deref(), Some("chapter"));
    assert_eq!(shift(a).also_from.len(), 1);
    assert_eq!(shift(a).also_from[0].hs, codes(&["5402.44", "5402.47", "5402.52"]));
    assert!(shift(a).also_from[0].kind.as_deref().is_some_and(|k| k.starts_with("yarns, with a twist of 900")));
    assert!(b.hs.is_empty(), "(B) is for the whole heading, the rule's codes: {b:?}");
    assert_eq!(b.good_kind_other_than, Some(codes(&["woven fabric of non-textured polyester filaments"])));
    for alt in [a, b] {
        assert_eq!(shift(alt).except[0].hs, codes(&["5106-5110", "5205-5206", "5509-5510"]));
    }
}

/// Chapter 68 rule 4: (A)-(D) name kinds of 6812.99, (E) "any other good of subheadings 6812.92 through
/// 6812.99 from [four kinds] of subheading 6812.99 or from any subheading outside that group". The rule is
/// for 6812.92-6812.99, (A)-(D) for 6812.99; (E)'s list of materials is four specs, one per kind (the last
/// three are the kinds (B)-(D) name; the first is printed shorter than (A)'s and kept as printed).
#[test]
fn last_alternative_for_a_range_and_a_list_of_kinds_as_sources() {
    let r = parse_rule("4. (A) A change to fabricated asbestos fibers or mixtures with a basis of asbestos or with a basis of asbestos and magnesium carbonate of subheading 6812.99 from any other chapter; (B) A change to yarn or thread of subheading 6812.99 from any other good of subheading 6812.99 or any other subheading; (C) A change to cords or string, whether or not plaited, of subheading 6812.99 from any other good of subheading 6812.99 or any other subheading, except from woven or knitted fabric of subheading 6812.99; (D) A change to woven or knitted fabric of subheading 6812.99 from any other good of subheading 6812.99 or any other subheading, except from cords or string, whether or not plaited, of subheading 6812.99; or (E) A change to any other good of subheadings 6812.92 through 6812.99 from fabricated asbestos fibers or mixtures with a basis of asbestos and magnesium carbonate, yarn or thread, cords or string, whether or not plaited, or woven or knitted fabric of subheading 6812.99 or from any subheading outside that group.").unwrap();
    assert_eq!(r.hs, codes(&["6812.92-6812.99"]));
    assert_eq!(labels(&r), vec!["A", "B", "C", "D", "E"]);
    for a in &r.alternatives[..4] {
        assert_eq!(a.hs, codes(&["6812.99"]), "({}) is for 6812.99", a.label);
    }
    let e = &r.alternatives[4];
    assert!(e.hs.is_empty());
    assert_eq!(e.good_kind_other_than.as_ref().map(Vec::len), Some(4));
    let s = shift(e);
    assert_eq!((s.from.as_deref(), s.group.as_deref()), (Some("subheading"), Some("outside")));
    let kinds: Vec<&str> = s.also_from.iter().map(|m| m.kind.as_deref().unwrap_or("")).collect();
    assert_eq!(
        kinds,
        vec![
            "fabricated asbestos fibers or mixtures with a basis of asbestos and magnesium carbonate",
            "yarn or thread",
            "cords or string, whether or not plaited",
            "woven or knitted fabric"
        ]
    );
    assert!(s.also_from.iter().all(|m| m.hs == codes(&["6812.99"])));
}

/// Chapter 29 rule 1 (B): "No change in tariff classification to a good of subheadings 2901.10 through
/// 2942.00, except for a good of subheading 2916.32 whether or not ..., provided there is a regional value
/// content of not less than: (1) 40 percent ... transaction value ...; or (2) 30 percent ... net cost": (B)
/// is for every subheading of the range but 2916.32.
#[test]
fn no_change_alternative_for_a_range_less_one_subheading() {
    let r = parse_rule("1. (A) A change to subheadings 2901.10 through 2942.00 from any other subheading, including another subheading within that group; or (B) No change in tariff classification to a good of subheadings 2901.10 through 2942.00, except for a good of subheading 2916.32 whether or not there is also a change from any other subheading, provided there is a regional value content of not less than: (1) 40 percent where the transaction value method is used; or (2) 30 percent where the net cost method is used.").unwrap();
    assert_eq!(r.hs, codes(&["2901.10-2942.00"]));
    let b = &r.alternatives[1];
    assert_eq!(b.hs, codes(&["2901.10-2916.31", "2916.33-2942.00"]));
    assert_eq!(b.no_change_required, Some(true));
    let rvc = b.rvc.as_ref().unwrap();
    assert_eq!((rvc.tv, rvc.nc), (Some(Decimal::from(40)), Some(Decimal::from(30))));
}

/// Goods outside the rule's codes stay unread (chapter 61, 6103.23 for Mexico-US trade: (a) is for sweaters
/// of 6110.30, not a code of the rule's 6103.23), as does an alternative wider than a lead-in's goods.
#[test]
fn alternatives_outside_the_rules_codes_stay_unread() {
    let e = parse_rule("(a) A change to sweaters of subheading 6110.30 classified as part of an ensemble of subheading 6103.23 from any other chapter, except from headings 5106 through 5113; or (b) A change to any other good of subheading 6103.23 from any other chapter, except from headings 5106 through 5113.").unwrap_err();
    assert!(e.message.contains("6103.23") && e.message.contains("not within the rule's 6110.30"), "{e:?}");
    let e = parse_rule("30. For a good of subheading 8409.99 for use in a passenger vehicle or light truck: (A) No change in tariff classification to a good of subheading 8409.91, provided there is a regional value content of not less than 75 percent under the net cost method.").unwrap_err();
    assert!(e.message.contains("8409.91") && e.message.contains("8409.99"), "{e:?}");
    let e = parse_rule("9. For a good of subheading 7106.91: (A) A change to subheadings 7106.10 through 7106.92 from any other heading.").unwrap_err();
    assert!(e.message.contains("not within the rule's 7106.91"), "{e:?}");
}

fn pack() -> RuleSet {
    PackSource::BuiltIn.load().rules.expect("the built-in pack loads")
}

fn hs(s: &str) -> HsCode {
    HsCode::parse(s).unwrap()
}

fn scopes(set: &RuleSet, code: &str, kind: Option<&str>) -> Vec<(String, AlternativeScope)> {
    let q = RuleQuery {
        hs: hs(code),
        as_of: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
        vehicle_use: None,
        good_kind: kind,
        parties: None,
    };
    let Lookup::Found(rule) = set.lookup(q) else { panic!("no single rule for {code}") };
    rule.alternatives.iter().map(|a| (a.label.clone(), rule.alternative_scope(a, hs(code), kind))).collect()
}

/// The pack as imported: (B) of chapter 71 rule 2 applies to 7106.91 and its tariff items, not to 7106.92.
#[test]
fn pack_applies_an_alternative_only_to_goods_of_its_codes() {
    use AlternativeScope::*;
    let set = pack();
    let names = |v: &[(&str, AlternativeScope)]| v.iter().map(|(l, s)| (l.to_string(), *s)).collect::<Vec<_>>();
    assert_eq!(scopes(&set, "7106.91", None), names(&[("A", Applies), ("B", Applies)]));
    assert_eq!(scopes(&set, "7106.91.50", None), names(&[("A", Applies), ("B", Applies)]));
    assert_eq!(scopes(&set, "7106.92", None), names(&[("A", Applies), ("B", OtherGoods)]));
    // Chapter 29: (B) is for every subheading of 2901.10-2942.00 but 2916.32.
    assert_eq!(scopes(&set, "2916.32", None), names(&[("A", Applies), ("B", OtherGoods)]));
    assert_eq!(scopes(&set, "2916.31", None), names(&[("A", Applies), ("B", Applies)]));
}

/// "Any other good" is other than the goods of the alternatives naming those kinds: a good of 5407.10 is
/// covered by (B) whatever it is (it cannot be (A)'s fabric of 5407.61), so its description is not asked;
/// a good of 5407.61 must say whether it is (A)'s fabric. Likewise chapter 68 rule 4 (E) for 6812.92.
#[test]
fn any_other_good_is_other_than_the_goods_of_the_sibling_alternatives() {
    use AlternativeScope::*;
    let set = pack();
    let names = |v: &[(&str, AlternativeScope)]| v.iter().map(|(l, s)| (l.to_string(), *s)).collect::<Vec<_>>();
    assert_eq!(scopes(&set, "5407.10", None), names(&[("A", OtherGoods), ("B", Applies)]));
    // Described as (A)'s fabric but of 5407.52: not (A)'s good (that is of 5407.61), so "any other good".
    let fabric = Some("woven fabric of non-textured polyester filaments");
    assert_eq!(scopes(&set, "5407.52", fabric), names(&[("A", OtherGoods), ("B", Applies)]));
    assert_eq!(scopes(&set, "5407.61", None), names(&[("A", NeedsKind), ("B", NeedsKind)]));
    assert_eq!(scopes(&set, "5407.61", fabric), names(&[("A", Applies), ("B", OtherGoods)]));
    assert_eq!(
        scopes(&set, "6812.92", None),
        names(&[("A", OtherGoods), ("B", OtherGoods), ("C", OtherGoods), ("D", OtherGoods), ("E", Applies)])
    );
    assert_eq!(scopes(&set, "6812.99", Some("yarn or thread"))[1], ("B".to_string(), Applies));
    assert_eq!(scopes(&set, "6812.99", Some("yarn or thread"))[4], ("E".to_string(), OtherGoods));
}
