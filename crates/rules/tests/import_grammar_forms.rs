#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 12, the last target: forms of the legal text the importer reads since the parse rate reached 98 %
//! of the reachable entries. Each test parses the entry's words as `fixtures/legal/` prints them and checks
//! the rule against a reading of the text done by hand.

use origin_rules::import::{ParsedRule, parse_rule};
use origin_rules::raw::{RawAlternative, RawShift};
use rust_decimal::Decimal;

fn shift(a: &RawAlternative) -> &RawShift {
    a.shift.as_ref().unwrap_or_else(|| panic!("alternative ({}) has no shift: {a:?}", a.label))
}

fn codes(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn rvc(a: &RawAlternative) -> (Option<Decimal>, Option<Decimal>) {
    let r = a.rvc.as_ref().unwrap_or_else(|| panic!("alternative ({}) has no RVC", a.label));
    (r.tv, r.nc)
}

fn pct(n: i64) -> Option<Decimal> {
    Some(Decimal::from(n))
}

fn labels(r: &ParsedRule) -> Vec<&str> {
    r.alternatives.iter().map(|a| a.label.as_str()).collect()
}

/// Chapter 84 rule 143 (8457): "except from heading 8459 or more than one of the following: (A) ..., (D)
/// ...": heading 8459 is excepted outright; the four lettered items are the "more than one of" list, and
/// their letters are items, not alternatives.
#[test]
fn exception_with_more_than_one_of_the_following() {
    let r = parse_rule("143. A change to heading 8457 from any other heading, except from heading 8459 or more than one of the following: (A) subheadings 8413.50 through 8413.60, (B) tariff items 8466.93.15, 8466.93.30 or 8466.93.53, (C) subheadings 8501.32 or 8501.52, (D) subheading 8537.10.").unwrap();
    assert_eq!(labels(&r), vec!["-"]);
    let s = shift(&r.alternatives[0]);
    assert_eq!(s.from.as_deref(), Some("heading"));
    assert_eq!(s.except.len(), 1);
    assert_eq!(s.except[0].hs, codes(&["8459"]));
    let items: Vec<Vec<String>> = s.except_more_than_one_of.iter().map(|m| m.hs.clone()).collect();
    assert_eq!(
        items,
        vec![
            codes(&["8413.50-8413.60"]),
            codes(&["8466.93.15", "8466.93.30", "8466.93.53"]),
            codes(&["8501.32", "8501.52"]),
            codes(&["8537.10"]),
        ]
    );
    // Rule 228 (8477.10): capitalised level words in the items.
    let r = parse_rule("228. A change to subheading 8477.10 from any other subheading, except from tariff item 8477.90.25 or more than one of the following: (A) Tariff item 8477.90.45, (B) Subheading 8537.10.").unwrap();
    let s = shift(&r.alternatives[0]);
    assert_eq!(s.except[0].hs, codes(&["8477.90.25"]));
    assert_eq!(s.except_more_than_one_of.len(), 2);
    assert_eq!(s.except_more_than_one_of[1].hs, codes(&["8537.10"]));
}

/// Slips of the transcription the importer reads, each naming its meaning unambiguously: "thatgroup"
/// (ch. 84 rule 99), "where the transaction value method;" with "is used" left out (rule 135), "where
/// the net cost is used" with "method" left out (ch. 90 rule 14), ", except headings" with "from" left
/// out (ch. 58, 5801.36), "from heading outside that group" with "any" left out (ch. 37 rule 1), and a
/// comma left out between two headings (ch. 63 rule 1).
#[test]
fn slips_of_the_transcription() {
    let r = parse_rule("99. A change to subheadings 8436.10 through 8436.80 from any other subheading, including another subheading within thatgroup.").unwrap();
    let s = shift(&r.alternatives[0]);
    assert_eq!((s.from.as_deref(), s.group.as_deref()), (Some("subheading"), Some("including-within")));

    let r = parse_rule("135. (A) A change to subheadings 8454.10 through 8454.30 from any other heading; or (B) A change to subheadings 8454.10 through 8454.30 from subheading 8454.90, whether or not there is also a change from any other heading, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method; or (2) 50 percent where the net cost method is used.").unwrap();
    assert_eq!(rvc(&r.alternatives[1]), (pct(60), pct(50)));
    assert_eq!(shift(&r.alternatives[1]).also_from[0].hs, codes(&["8454.90"]));

    let r = parse_rule("14. (A) A change to subheading 9007.20 from any other heading; or (B) A change to subheading 9007.20 from subheading 9007.92, whether or not there is also a change from any other heading, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost is used.").unwrap();
    assert_eq!(rvc(&r.alternatives[1]), (pct(60), pct(50)));
    let r = parse_rule("5. (A) A change to subheading 3006.60 from any other heading; or (B) No change in tariff classification to a good of subheading 3006.60, provided there is a regional value content of not less than: (1) 60 percent where the transaction value is used; or (2) 50 percent where the net cost method is used.").unwrap();
    assert_eq!(rvc(&r.alternatives[1]), (pct(60), pct(50)));

    let r = parse_rule("(a) A change to subheading 5801.36 from any other chapter, except headings 5106 through 5113, 5204 through 5212, 5310 through 5311, chapter 54, headings 5501 through 5502, subheadings 5503.10 through 5503.20 or 5503.40 through 5503.90 or headings 5504 through 5516.").unwrap();
    let s = shift(&r.alternatives[0]);
    assert_eq!(s.from.as_deref(), Some("chapter"));
    assert_eq!(
        s.except[0].hs,
        codes(&[
            "5106-5113",
            "5204-5212",
            "5310-5311",
            "54",
            "5501-5502",
            "5503.10-5503.20",
            "5503.40-5503.90",
            "5504-5516"
        ])
    );

    let r = parse_rule("1. A change to headings 3701 through 3703 from heading outside that group.").unwrap();
    let s = shift(&r.alternatives[0]);
    assert_eq!((s.from.as_deref(), s.group.as_deref()), (Some("heading"), Some("outside")));

    let r = parse_rule("1. A change to headings 6301 through 6302 from any other chapter, except from headings 5106 through 5113, 5204 through 5212 5310 through 5311, chapters 54 through 55, or headings 5801 through 5802 or 6001 through 6006, provided that the good is both cut (or knit to shape) and sewn or otherwise assembled in the territory of one or more of the USMCA countries.").unwrap();
    let s = shift(&r.alternatives[0]);
    assert_eq!(s.except[0].hs, codes(&["5106-5113", "5204-5212", "5310-5311", "54-55", "5801-5802", "6001-6006"]));
    assert_eq!(r.alternatives[0].conditions.len(), 1);
}

/// "provided that, with respect to printed circuit assemblies ...: (A) ...; and (B) ..." (ch. 85 rule 60):
/// in a rule of one unlabelled alternative the letters can only be the condition's own paragraphs, so the
/// whole of it is one condition (a good relying on the rule needs evidence). After a labelled alternative
/// the letters could be the next alternative's: still refused. "provided that, if bar or rod is used,
/// ..." (ch. 79, 7904) has no paragraphs and is read.
#[test]
fn condition_with_lettered_paragraphs_of_its_own() {
    let r = parse_rule("60. A change to subheadings 8525.50 through 8525.60 from any subheading outside that group, provided that, with respect to printed circuit assemblies (PCAs) of subheading 8529.90: (A) Except as provided in subparagraph (B), for each multiple of nine PCAs, or any portion thereof, that is contained in the good, only one PCA may be a nonoriginating PCA; and (B) If the good contains less than three PCAs, all of the PCAs must be originating PCAs.").unwrap();
    assert_eq!(labels(&r), vec!["-"]);
    let a = &r.alternatives[0];
    assert_eq!((shift(a).from.as_deref(), shift(a).group.as_deref()), (Some("subheading"), Some("outside")));
    assert_eq!(a.conditions.len(), 1);
    let text = &a.conditions[0].text;
    assert!(text.starts_with("provided that, with respect to printed circuit assemblies (PCAs)"), "{text}");
    assert!(text.ends_with("all of the PCAs must be originating PCAs"), "{text}");

    let e = parse_rule("(A) A change to subheading 8525.50 from any other heading; or (B) A change to subheading 8525.50 from any subheading outside that group, provided that, with respect to printed circuit assemblies (PCAs) of subheading 8529.90: (A) only one PCA may be a nonoriginating PCA; and (B) all of the PCAs must be originating PCAs.").unwrap_err();
    assert!(e.message.contains("lettered paragraphs of its own"), "{e:?}");

    let r = parse_rule("(A) A change to heading 7904 from any other heading; or (B) A change to wire of heading 7904 from within that heading, whether or not there is also a change from any other heading, provided that, if bar or rod is used, the cross-sectional area of the bar or rod is reduced by at least 50 percent.").unwrap();
    let b = &r.alternatives[1];
    assert_eq!(b.good_kind.as_deref(), Some("wire"));
    assert_eq!(
        b.conditions[0].text,
        "provided that, if bar or rod is used, the cross-sectional area of the bar or rod is reduced by at least 50 percent"
    );
}

/// "provided the nonoriginating materials of subheading 1302.39 do not exceed 50 percent by weight of the
/// good" (ch. 13 rule 4: "that" left out) is a condition, not an RVC.
#[test]
fn provided_without_that_is_a_condition() {
    let r = parse_rule("4. (A) A change to carrageenan of subheading 1302.39 from within that subheading or any other chapter, provided the nonoriginating materials of subheading 1302.39 do not exceed 50 percent by weight of the good; or (B) A change to any other good of subheading 1302.39 from any other chapter, except from concentrates of poppy straw of subheading 2939.11.").unwrap();
    let a = &r.alternatives[0];
    assert_eq!(a.good_kind.as_deref(), Some("carrageenan"));
    assert_eq!((shift(a).from.as_deref(), shift(a).within), (Some("chapter"), Some(true)));
    assert!(a.rvc.is_none());
    assert_eq!(a.conditions[0].id, "by-weight-50pct-1302-39");
    assert_eq!(r.alternatives[1].good_kind_other_than, Some(vec!["carrageenan".to_string()]));
}

/// ", whether or not motorized," (ch. 84 rule 75) and ", whether or not plaited," (ch. 68 rule 2) describe a
/// material; only "whether or not there is also a change" is a clause.
#[test]
fn whether_or_not_inside_a_description() {
    let r = parse_rule("75. A change to subheading 8422.11 from any other subheading, except from tariff items 8422.90.02, 8422.90.04, 8537.10.30 or water circulation systems incorporating a pump, whether or not motorized, and auxiliary apparatus for controlling, filtering, or dispersing a spray.").unwrap();
    let s = shift(&r.alternatives[0]);
    assert_eq!(s.except[0].hs, codes(&["8422.90.02", "8422.90.04", "8537.10.30"]));
    assert!(s.except[1].hs.is_empty());
    assert_eq!(
        s.except[1].kind.as_deref(),
        Some(
            "water circulation systems incorporating a pump, whether or not motorized, and auxiliary apparatus for controlling, filtering, or dispersing a spray"
        )
    );
    let r = parse_rule("(E) A change to woven or knitted fabric of subheading 6812.80 from any other good of subheading 6812.80 or any other subheading, except from cords or string, whether or not plaited, of subheading 6812.80.").unwrap();
    let s = shift(&r.alternatives[0]);
    assert_eq!(s.except[0].kind.as_deref(), Some("cords or string, whether or not plaited"));
    assert_eq!(s.except[0].hs, codes(&["6812.80"]));
}

/// "from any other subheading within heading 8518, whether or not there is also a change from any other
/// heading" (ch. 85 rule 52, a rule of 8518.90): another subheading of heading 8518 or any other heading,
/// which is any subheading but 8518.90 itself: "from any other subheading". Ch. 27 rule 5: "phenols of
/// that subheading" are phenols of the rule's own 2707.99.
#[test]
fn any_other_subheading_within_the_goods_own_heading() {
    let r = parse_rule("52. (A) A change to subheading 8518.90 from any other heading; or (B) A change to subheading 8518.90 from any other subheading within heading 8518, whether or not there is also a change from any other heading, provided there is a regional value content of not less than: (1) 30 percent where the transaction value method is used; or (2) 25 percent where the net cost method is used.").unwrap();
    let s = shift(&r.alternatives[1]);
    assert_eq!(s.from.as_deref(), Some("subheading"));
    assert!(s.also_from.is_empty() && s.except.is_empty(), "{s:?}");
    assert_eq!(rvc(&r.alternatives[1]), (pct(30), pct(25)));

    let r = parse_rule("5. (A) A change to subheading 2707.99 from any other heading; (B) A change to phenols of subheading 2707.99 from within that subheading or any other subheading within heading 2707, whether or not there is also a change from any other heading, provided that the good resulting from such change is the product of a chemical reaction; or (C) A change to any other good of subheading 2707.99 from phenols of that subheading or any other subheading within heading 2707, whether or not there is also a change from any other heading, provided that the good resulting from such change is the product of a chemical reaction.").unwrap();
    let b = shift(&r.alternatives[1]);
    assert_eq!((b.from.as_deref(), b.within), (Some("subheading"), Some(true)));
    let c = &r.alternatives[2];
    assert_eq!(c.good_kind_other_than, Some(vec!["phenols".to_string()]));
    assert_eq!(shift(c).from.as_deref(), Some("subheading"));
    assert_eq!(shift(c).also_from[0].hs, codes(&["2707.99"]));
    assert_eq!(shift(c).also_from[0].kind.as_deref(), Some("phenols"));

    // A scope that is not the good's own heading is still refused beside "any other heading".
    let e = parse_rule("A change to subheading 8518.90 from any other subheading within heading 8517, whether or not there is also a change from any other heading.").unwrap_err();
    assert!(e.message.contains("is not encoded"), "{e:?}");
}

/// "(B) Production of any good of heading 2710 as the result of ..." (ch. 27 rule 7): an alternative of
/// processes, with no tariff shift: kept verbatim as a condition, so a good relying on it needs evidence.
#[test]
fn production_alternative_is_a_condition() {
    let r = parse_rule("7. (A) A change to heading 2710 from any other heading, except from headings 2711 through 2715; (B) Production of any good of heading 2710 as the result of atmospheric distillation, vacuum distillation, catalytic hydroprocessing, catalytic reforming, alkylation, catalytic cracking, thermal cracking, coking or isomerization; or (C) Production of any good of heading 2710 as the result of direct blending, provided that: (1) The nonoriginating material is classified in chapter 27, (2) No component of that nonoriginating material is classified under heading 2207, and (3) The nonoriginating material constitutes no more than 25 percent by volume of the good.").unwrap();
    assert_eq!(labels(&r), vec!["A", "B", "C"]);
    for a in &r.alternatives[1..] {
        assert!(a.shift.is_none() && a.no_change_required.is_none() && a.rvc.is_none(), "{a:?}");
        assert_eq!(a.conditions.len(), 1);
        assert!(a.conditions[0].text.starts_with("Production of any good of heading 2710 as the result of"));
    }
    assert!(r.alternatives[2].conditions[0].text.ends_with("no more than 25 percent by volume of the good"));
    // Production of goods other than the rule's is not read.
    assert!(parse_rule("(A) A change to heading 2710 from any other heading; or (B) Production of any good of heading 2711 as the result of coking.").is_err());
}

/// "(B) A change from any other subheading whether or not there is also a change from any other chapter"
/// (ch. 81, 8108.20): the goods left out are the rule's; a change of chapter is a change of subheading, so
/// the alternative allows a change from any other subheading (not only from another chapter, as the
/// importer read ch. 81's 8108.90 before).
#[test]
fn change_from_with_the_goods_left_out_and_the_finer_level_kept() {
    let r = parse_rule("(A) A change to subheading 8108.20 from any other chapter; or (B) A change from any other subheading whether or not there is also a change from any other chapter, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost method is used.").unwrap();
    assert_eq!(r.hs, codes(&["8108.20"]));
    assert_eq!(shift(&r.alternatives[1]).from.as_deref(), Some("subheading"));
    assert_eq!(rvc(&r.alternatives[1]), (pct(60), pct(50)));
    let r = parse_rule("(A) A change to subheading 8108.90 from any other chapter; or (B) A change to subheading 8108.90 from any other subheading, whether or not there is also a change from any other chapter, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost method is used.").unwrap();
    assert_eq!(shift(&r.alternatives[1]).from.as_deref(), Some("subheading"));
    // The other way round the finer level is the "whether or not" one.
    let r = parse_rule("A change to subheading 8108.90 from any other chapter, whether or not there is also a change from any other heading.").unwrap();
    assert_eq!(shift(&r.alternatives[0]).from.as_deref(), Some("heading"));
}

/// "No change in tariff classification" variants: "..., whether or not there is also a change from any
/// other chapter, provided ..." (ch. 33 rule 4: adds nothing when no change is required); a description
/// of the goods before "provided" (ch. 85 rule 17 (B)); "to" left out and the RVC items printed out of
/// order (ch. 85 rule 113).
#[test]
fn no_change_variants() {
    let r = parse_rule("4. (A) A change to essential oils of geranium, jasmine, lavender, lavandin or vetiver of subheading 3301.29 from any other good of subheading 3301.29 or any other subheading; (B) A change to any other good of subheading 3301.29 from any other chapter; or (C) No change in tariff classification to a good of subheading 3301.29, whether or not there is also a change from any other chapter, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost method is used.").unwrap();
    let c = &r.alternatives[2];
    assert_eq!((c.no_change_required, c.shift.is_none()), (Some(true), true));
    assert_eq!(rvc(c), (pct(60), pct(50)));

    let r = parse_rule("17. (A) A change to a battery of subheading 8507.60, of a kind used as the primary source of electrical power for the propulsion of an electric passenger vehicle or light truck from any other subheading, excluding battery cells of 8507.90; (B) No change in tariff classification to a battery of subheading 8507.60, used as the primary source of electrical power for the propulsion of an electric passenger vehicle or light truck provided that the regional value content is: (1) 85 percent where the transaction value method is used; or (2) 75 percent where the net cost method is used; (C) A change to any other good of subheading 8507.60 from any other heading; or (D) A change to any other good of subheading 8507.60 from subheading 8507.90, whether or not there is also a change from any other heading, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost method is used.").unwrap();
    let b = &r.alternatives[1];
    assert_eq!(
        b.good_kind.as_deref(),
        Some(
            "battery, used as the primary source of electrical power for the propulsion of an electric passenger vehicle or light truck"
        )
    );
    assert_eq!((b.no_change_required, rvc(b)), (Some(true), (pct(85), pct(75))));
    assert_eq!(r.alternatives[3].good_kind_other_than.as_ref().map(Vec::len), Some(2));

    let r = parse_rule("113. (A) No change in tariff classification electronic microassemblies of subheading 8543.90; (B) A change to any other good of subheading 8543.90 from electronic microassemblies of subheading 8543.90 or any other heading; or (C) No change in tariff classification to any other good of subheading 8543.90, provided there is a regional value content of not less than: (2) 50 percent where the net cost method is used. (1) 60 percent where the transaction value method is used; or").unwrap();
    let a = &r.alternatives[0];
    assert_eq!(
        (a.good_kind.as_deref(), a.no_change_required, a.rvc.is_none()),
        (Some("electronic microassemblies"), Some(true), true)
    );
    assert_eq!(rvc(&r.alternatives[2]), (pct(60), pct(50)));
}

/// Chapter 87: "from any other good of subheadings 8708.40 or 8708.99" in a rule of 8708.40 (rule 31 as
/// transcribed) is the good's own subheading and all of 8708.99; "provided there is regional value
/// content" with "a" left out (rule 42).
#[test]
fn chapter_87_other_goods_of_own_and_another_subheading() {
    let r = parse_rule("31. For any other good of subheading 8708.40: (A) A change to gear boxes of subheading 8708.40 from any other heading; or (B) A change to gear boxes of subheading 8708.40 from any other good of subheadings 8708.40 or 8708.99, whether or not there is also a change from any other heading, provided there is a regional value content of not less than 50 percent under the net cost method; (C) A change to any other good of subheading 8708.40 from any other heading; or (D) No change in tariff classification to any other good of subheading 8708.40, provided there is a regional value content of not less than 50 percent under the net cost method.").unwrap();
    let b = shift(&r.alternatives[1]);
    assert_eq!((b.from.as_deref(), b.within), (Some("heading"), Some(true)));
    assert_eq!(b.also_from[0].hs, codes(&["8708.99"]));
    assert_eq!(rvc(&r.alternatives[1]), (None, pct(50)));

    let r = parse_rule("42. For a good of subheading 8708.92 for use in a passenger vehicle, light truck or heavy truck: (A) A change to silencers (mufflers) or exhaust pipes of subheading 8708.92 from any other heading; or (B) A change to silencers (mufflers) or exhaust pipes of subheading 8708.92 from any other good of subheading 8708.92, whether or not there is also a change from any other heading, provided there is regional value content of not less than 70 percent under the net cost method; or (C) No change in tariff classification to any other good of subheading 8708.92, provided there is a regional value content of not less than 70 percent under the net cost method").unwrap();
    assert_eq!(labels(&r), vec!["A", "B", "C"]);
    assert_eq!(rvc(&r.alternatives[1]), (None, pct(70)));
}

/// Chapter 87 rule 33: "drive-axles with differential, whether or not provided with other transmission
/// components, for vehicles of heading 8703, of subheading 8708.50": "provided with" and "of heading 8703,"
/// are part of the description; the goods are those of 8708.50.
#[test]
fn description_naming_other_codes_before_the_goods() {
    let r = parse_rule("33. For a good of subheading 8708.50 for use in a heavy truck: (A) A change to drive-axles with differential, whether or not provided with other transmission components, for vehicles of heading 8703, of subheading 8708.50 from any other heading, except from subheadings 8482.10 through 8482.80; or (B) A change to drive-axles with differential, whether or not provided with other transmission components, for vehicles of heading 8703, of subheading 8708.50 from subheading 8482.10 through 8482.80 or parts of drive-axles of subheading 8708.50, whether or not there is also a change from any other heading, provided there is a regional value content of not less than 70 percent under the net cost method; (C) A change to any other good of subheading 8708.50 from any other heading.").unwrap();
    assert_eq!(r.hs, codes(&["8708.50"]));
    assert_eq!(r.uses, Some(vec!["heavy-truck".to_string()]));
    let k = "drive-axles with differential, whether or not provided with other transmission components, for vehicles of heading 8703";
    assert_eq!(r.alternatives[0].good_kind.as_deref(), Some(k));
    assert_eq!(shift(&r.alternatives[0]).except[0].hs, codes(&["8482.10-8482.80"]));
    let b = shift(&r.alternatives[1]);
    assert_eq!(b.also_from[1].kind.as_deref(), Some("parts of drive-axles"));
    assert_eq!(r.alternatives[2].good_kind_other_than, Some(vec![k.to_string()]));
    // ", of a kind for use in a motor vehicle of tariff items ..." after the goods stays a description of
    // the goods of 4009.32 (ch. 40 rule 10).
    let r = parse_rule("(A) A change to tubes, pipes, or hoses of subheading 4009.32, of a kind for use in a motor vehicle of heading 8711, from any other heading.").unwrap();
    assert_eq!(r.hs, codes(&["4009.32"]));
}

/// Chapter 85 rule 114: "from any other subheading within that group or headings 7408, ..., whether or not
/// there is also a change from any other subheading": the change from any other subheading holds the
/// group's other subheadings. Rule 90 ("... within that group, whether or not ... any other heading") would
/// admit the good's own subheading without knowing what else heading 8538 holds: still not read.
#[test]
fn any_other_subheading_within_that_group() {
    let r = parse_rule("114. (A) A change to subheadings 8544.11 through 8544.60 from any subheading outside that group, except from headings 7408, 7413, 7605 or 7614; or (B) A change to subheadings 8544.11 through 8544.60 from any other subheading within that group or headings 7408, 7413, 7605 or 7614, whether or not there is also a change from any other subheading, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost method is used.").unwrap();
    let b = shift(&r.alternatives[1]);
    assert_eq!((b.from.as_deref(), b.group.as_deref()), (Some("subheading"), Some("including-within")));
    assert_eq!(b.also_from[0].hs, codes(&["7408", "7413", "7605", "7614"]));
    let e = parse_rule("90. (A) A change to subheadings 8538.10 through 8538.90 from any other heading; or (B) A change to subheadings 8538.10 through 8538.90 from any other subheading within that group, whether or not there is also a change from any other heading, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost method is used.").unwrap_err();
    assert!(e.message.contains("any other subheading within that group"), "{e:?}");
    assert_eq!(e.partial.len(), 1, "(A) is read");
}

/// Chapter 84 rule 207: "A change to any other tariff item within subheading 8471.80" is a rule of
/// 8471.80 (its tariff items with rules of their own, 205 and 206, are deeper and win a look-up); rule
/// 59: "any good, other than absorption-type electrical household refrigerators, of subheadings 8418.29 or
/// 8418.91" in an exception is a description of those goods.
#[test]
fn other_tariff_items_and_any_good_other_than() {
    let r = parse_rule("207. A change to any other tariff item within subheading 8471.80 from tariff items 8471.80.10 or 8471.80.40 or any other subheading, except from subheading 8471.49.").unwrap();
    assert_eq!(r.hs, codes(&["8471.80"]));
    let s = shift(&r.alternatives[0]);
    assert_eq!(s.from.as_deref(), Some("subheading"));
    assert_eq!(s.also_from[0].hs, codes(&["8471.80.10", "8471.80.40"]));
    assert_eq!(s.except[0].hs, codes(&["8471.49"]));

    let r = parse_rule("59. A change to subheadings 8418.30 through 8418.40 from any subheading outside that group, except from any good, other than absorption-type electrical household refrigerators, of subheadings 8418.29 or 8418.91, door assemblies incorporating more than one of the following: inner panel, outer panel, insulation, hinges, handles of subheading 8418.99 or assemblies incorporating more than one of the following: compressor, condenser, evaporator, connecting tubing.").unwrap();
    let ex = &shift(&r.alternatives[0]).except;
    assert_eq!(ex.len(), 3);
    assert_eq!(ex[0].hs, codes(&["8418.29", "8418.91"]));
    assert_eq!(ex[0].kind.as_deref(), Some("any good, other than absorption-type electrical household refrigerators"));
    assert_eq!(ex[1].hs, codes(&["8418.99"]));
    assert_eq!(
        ex[1].kind.as_deref(),
        Some(
            "door assemblies incorporating more than one of the following: inner panel, outer panel, insulation, hinges, handles"
        )
    );
    assert!(ex[2].hs.is_empty());
}

/// Descriptions in brackets or after "made of": a definition after a source's codes (ch. 56 rule 2), a
/// bracketed condition on the goods (ch. 58, 5801.37), and "curtains ... made of fabrics ... from yarn,
/// ..." (ch. 63 rule 3), where the first "from" is the change's because what follows reads as its sources.
#[test]
fn bracketed_and_made_of_descriptions() {
    let r = parse_rule("2. (A) A change to heading 5606 from flat yarns of subheading 5402.45 (flat yarns means 7 denier/5 filament, 10 denier/7 filament or 12 denier/5 filament, all of nylon 66, untextured (flat) semi-dull yarns, multifilament, untwisted or with a twist not exceeding 50 turns per meter, of subheading 5402.45) or any other chapter, except from headings 5106 through 5113, 5204 through 5212, 5310 through 5311 or chapters 54 through 55; or (B) A change to any other good of heading 5606 from any other chapter, except from headings 5106 through 5113, 5204 through 5212, 5310 through 5311, or chapters 54 through 55.").unwrap();
    let s = shift(&r.alternatives[0]);
    assert_eq!(s.from.as_deref(), Some("chapter"));
    assert_eq!(s.also_from[0].hs, codes(&["5402.45"]));
    let k = s.also_from[0].kind.as_deref().unwrap();
    assert!(
        k.starts_with("flat yarns (flat yarns means 7 denier/5 filament") && k.ends_with("of subheading 5402.45)"),
        "{k}"
    );

    let r = parse_rule("(a) A change to warp pile fabrics, cut, of subheading 5801.37 (if such fabrics are fabrics with pile of dry-spun acrylic staple fibers of subheading 5503.30 and dyed in the piece to a single uniform color) from any other chapter, except from headings 5106 through 5113; or (b) A change to any other good of subheading 5801.37 from any other chapter.").unwrap();
    assert_eq!(r.hs, codes(&["5801.37"]));
    assert_eq!(
        r.alternatives[0].good_kind.as_deref(),
        Some(
            "warp pile fabrics, cut (if such fabrics are fabrics with pile of dry-spun acrylic staple fibers of subheading 5503.30 and dyed in the piece to a single uniform color)"
        )
    );

    let r = parse_rule("3. (A) A change to curtains of subheading 6303.92 made of fabrics wholly of non-textured polyester filaments from yarn, with a twist of 900 or more turns per meter, wholly of polyesters other than partially oriented, measuring not less than 75 decitex but not more than 80 decitex, and having 24 filaments per yarn of subheadings 5402.44, 5402.47 or 5402.52, provided that the good is both cut and sewn or otherwise assembled in the territory of one or more of the USMCA countries, and such goods will not be subject to chapter rule 2 of this chapter; (B) A change to any other good of subheading 6303.92 from any other chapter.").unwrap();
    let a = &r.alternatives[0];
    assert_eq!(a.good_kind.as_deref(), Some("curtains made of fabrics wholly of non-textured polyester filaments"));
    let s = shift(a);
    assert_eq!(s.from, None, "only the yarn named is allowed");
    assert_eq!(s.also_from[0].hs, codes(&["5402.44", "5402.47", "5402.52"]));
    assert!(s.also_from[0].kind.as_deref().unwrap().starts_with("yarn, with a twist of 900 or more turns per meter"));
    assert_eq!(a.conditions.len(), 1);
}

/// "(D) For any other good of subheading 8708.92: (E) ..." (ch. 87, rule 42 continued as transcribed): the
/// label before the lead-in labels no alternative; the rule is for the other uses of 8708.92.
#[test]
fn label_before_a_lead_in() {
    let r = parse_rule("(D) For any other good of subheading 8708.92: (E) A change to silencers (mufflers) or exhaust pipes of subheading 8708.92 from any other heading; or (F) A change to silencers (mufflers) or exhaust pipes of subheading 8708.92 from any other good of subheading 8708.92, whether or not there is also a change from any other heading, provided there is regional value content of not less than 50 percent under the net cost method; or (G) No change in tariff classification to any other good of subheading 8708.92, provided there is a regional value content of not less than 50 percent under the net cost method").unwrap();
    assert_eq!(r.hs, codes(&["8708.92"]));
    assert_eq!(r.uses, Some(vec!["other".to_string()]));
    assert_eq!(labels(&r), vec!["E", "F", "G"]);
}

/// What stays unread, with its reason: the 8409.99 rules whose lead-in and alternative name different
/// subheadings (the pack holds rules for 8409.91, so neither reading is taken), and the transcription's
/// "[7308.xx]" template.
#[test]
fn misprints_stay_unread() {
    let e = parse_rule("30. For a good of subheading 8409.99 for use in a passenger vehicle or light truck: (A) No change in tariff classification to a good of subheading 8409.91, provided there is a regional value content of not less than 75 percent under the net cost method.").unwrap_err();
    assert!(e.message.contains("8409.91") && e.message.contains("8409.99"), "{e:?}");
    let e = parse_rule("(a) A change to subheading [7308.xx] from any other heading, except from headings 7208, 7211, 7216, 7225 or 7226.").unwrap_err();
    assert!(e.message.contains("expected an HS code"), "{e:?}");
}

/// Chapter 96 rule 16: "a good of textile wadding of heading 9619" and "any other good of textile material
/// of heading 9619" name a description before the codes; (D) "any other good of heading 9619" is the goods
/// of none of them. Chapter 90 rule 1 (B): "from any other good of heading 7002 except pre-forms" is the
/// goods of 7002 other than pre-forms (not an exception of the alternative: pre-forms are from another
/// chapter, which (B) allows too).
#[test]
fn descriptions_before_the_codes_and_other_than() {
    let r = parse_rule("16. (A) A change to sanitary towels or tampons of heading 9619 from any other chapter, except from headings 5106 through 5113, 5204 through 5212, 5310 through 5311 or chapters 54 through 55; (B) A change to a good of textile wadding of heading 9619 from any other heading, except from headings 5106 through 5113, 5204 through 5212, 5310 through 5311, chapters 54 through 56 or 61 through 62; (C) A change to any other good of textile material of heading 9619 from any other chapter, except from headings 5106 through 5113, 5204 through 5212, 5310 through 5311, chapter 54, headings 5508 through 5516 or 6001 through 6006 or chapters 61 through 62, provided the good is cut or knit to shape, or both, and sewn or otherwise assembled in the territory of one or more of the USMCA countries; or (D) A change to any other good of heading 9619 from any other heading.").unwrap();
    assert_eq!(r.hs, codes(&["9619"]));
    assert_eq!(r.alternatives[1].good_kind.as_deref(), Some("good of textile wadding"));
    assert_eq!(r.alternatives[2].good_kind.as_deref(), Some("any other good of textile material"));
    assert_eq!(r.alternatives[2].conditions.len(), 1);
    assert_eq!(
        r.alternatives[3].good_kind_other_than,
        Some(codes(&["sanitary towels or tampons", "good of textile wadding", "any other good of textile material"]))
    );
    assert_eq!(
        shift(&r.alternatives[1]).except[0].hs,
        codes(&["5106-5113", "5204-5212", "5310-5311", "54-56", "61-62"])
    );

    let r = parse_rule("1. (A) A change to subheading 9001.10 from any other chapter, except from pre-forms of heading 7002; or (B) A change to subheading 9001.10 from any other good of heading 7002 except pre-forms, whether or not there is also a change from any other chapter, provided there is a regional value content of not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where the net cost method is used.").unwrap();
    let b = shift(&r.alternatives[1]);
    assert_eq!(b.from.as_deref(), Some("chapter"));
    assert!(b.except.is_empty());
    assert_eq!(b.also_from[0].hs, codes(&["7002"]));
    assert_eq!(b.also_from[0].kind.as_deref(), Some("other than pre-forms"));
}
