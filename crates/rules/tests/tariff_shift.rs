#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Tariff-shift semantics, one test per legal pattern. Each test quotes the rule it applies, builds the
//! shift as the pack encodes it (or reads it from `fixtures/rules/minimal`, a copy of the real rules), and
//! asks `material_shift` / `evaluate_shift` about materials chosen from the legal text.

use std::path::Path;

use origin_core::{HsCode, HsLevel, HsRange, HsSet};
use origin_rules::shift::{MaterialShift, PlainMaterial, ShiftMaterial, Verdict, evaluate_shift, material_shift};
use origin_rules::{GroupQualifier, MaterialSpec, RuleSet, ShiftRequirement, TariffShift, load_pack};

fn code(s: &str) -> HsCode {
    HsCode::parse(s).unwrap()
}

fn set(items: &[&str]) -> HsSet {
    HsSet(items.iter().map(|s| HsRange::parse(s).unwrap()).collect())
}

fn spec(hs: &[&str]) -> MaterialSpec {
    MaterialSpec { hs: set(hs), kind: None }
}

fn kind_spec(hs: &[&str], kind: &str) -> MaterialSpec {
    MaterialSpec { hs: set(hs), kind: Some(kind.to_string()) }
}

fn shift(from: Option<HsLevel>) -> TariffShift {
    TariffShift {
        from,
        group: GroupQualifier::None,
        within_subheading: false,
        also_from: Vec::new(),
        except: Vec::new(),
        except_more_than_one_of: Vec::new(),
    }
}

/// A material whose kinds are all known: it is of `kinds` and of no other kind.
fn mat(hs: &str, kinds: &[&str]) -> PlainMaterial {
    PlainMaterial::new(code(hs), kinds)
}

/// A material the batch says nothing about beyond its code.
fn undescribed(hs: &str) -> PlainMaterial {
    PlainMaterial { hs: code(hs), kinds: Vec::new(), kinds_complete: false }
}

fn minimal() -> RuleSet {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/minimal");
    load_pack(&dir).rules.expect("the minimal pack loads")
}

/// The shift of alternative `label` of rule `id` in the minimal pack, and the rule's codes (its group).
fn encoded(rules: &RuleSet, id: &str, label: &str) -> (TariffShift, HsSet) {
    let r = rules.rules.iter().find(|r| r.id == id).unwrap();
    let a = r.alternatives.iter().find(|a| a.label == label).unwrap();
    let ShiftRequirement::Shift(s) = &a.shift else { panic!("{id} ({label}) is not a tariff shift") };
    (s.clone(), r.hs.clone())
}

#[track_caller]
fn meets(s: &TariffShift, group: &HsSet, good: &str, m: &PlainMaterial) {
    let r = material_shift(s, group, code(good), m);
    assert!(matches!(r, MaterialShift::Meets(_)), "material {} for good {good}: expected Meets, got {r:?}", m.hs);
}

#[track_caller]
fn fails(s: &TariffShift, group: &HsSet, good: &str, m: &PlainMaterial) {
    let r = material_shift(s, group, code(good), m);
    assert!(matches!(r, MaterialShift::Fails(_)), "material {} for good {good}: expected Fails, got {r:?}", m.hs);
}

/// Asserts the answer is Unknown and returns the question asked.
#[track_caller]
fn unknown(s: &TariffShift, group: &HsSet, good: &str, m: &PlainMaterial) -> String {
    match material_shift(s, group, code(good), m) {
        MaterialShift::Unknown(q) => q,
        other => panic!("material {} for good {good}: expected Unknown, got {other:?}", m.hs),
    }
}

fn verdict(s: &TariffShift, group: &HsSet, good: &str, materials: &[PlainMaterial]) -> (Verdict, Vec<usize>) {
    let refs: Vec<&dyn ShiftMaterial> = materials.iter().map(|m| m as &dyn ShiftMaterial).collect();
    let out = evaluate_shift(s, group, code(good), &refs);
    (out.verdict(), out.more_than_one_of_items)
}

/// GN 11(o), chapter 72, heading 7201: "A change to heading 7201 from any other chapter."
#[test]
fn cc_change_of_chapter() {
    let s = shift(Some(HsLevel::Chapter));
    let g = set(&["7201"]);
    // Iron ore (chapter 26) smelted into pig iron makes the change.
    meets(&s, &g, "7201.10", &mat("2601.11", &[]));
    // Ferrous scrap is chapter 72 too: no change of chapter.
    fails(&s, &g, "7201.10", &mat("7204.41", &[]));
}

/// GN 11(o), chapter 85, rule 30: "(A) A change to subheading 8511.90 from any other heading; ..."
#[test]
fn cth_change_of_heading_fails_for_same_heading() {
    let rules = minimal();
    let (s, g) = encoded(&rules, "gn11-85-030", "A");
    assert_eq!(s.from, Some(HsLevel::Heading));
    // Insulated wire (8544) for ignition parts: another heading.
    meets(&s, &g, "8511.90", &mat("8544.30", &[]));
    // A part of 8511.90 and a finished starter motor of 8511.40 are both of heading 8511.
    fails(&s, &g, "8511.90", &mat("8511.90", &[]));
    fails(&s, &g, "8511.90", &mat("8511.40", &[]));
}

/// GN 11(o), chapter 85, rule 4: "A change to subheading 8504.10 from any other subheading."
#[test]
fn ctsh_change_of_subheading_allows_another_subheading_of_the_same_heading() {
    let s = shift(Some(HsLevel::Subheading));
    let g = set(&["8504.10"]);
    // Parts of 8504.90 for a ballast of 8504.10: same heading, another subheading.
    meets(&s, &g, "8504.10", &mat("8504.90", &[]));
    fails(&s, &g, "8504.10", &mat("8504.10", &[]));
}

/// GN 11(o), chapter 85, rule 9: "A change to tariff item 8504.90.65 or 8504.90.75 from any other tariff
/// item."
#[test]
fn tariff_item_level_change_within_one_subheading() {
    let s = shift(Some(HsLevel::TariffItem));
    let g = set(&["8504.90.65", "8504.90.75"]);
    // Another tariff item of the same subheading is enough.
    meets(&s, &g, "8504.90.65", &mat("8504.90.75", &[]));
    fails(&s, &g, "8504.90.65", &mat("8504.90.65", &[]));
    // A material known only to 8504.90 may or may not be of tariff item 8504.90.65.
    let q = unknown(&s, &g, "8504.90.65", &mat("8504.90", &[]));
    assert!(q.contains("tariff item"), "{q}");
}

/// GN 11(o), chapter 85, rule 79: "(A) A change to heading 8535 from any other heading, except from tariff
/// items 8538.90.10, 8538.90.30 or 8538.90.60; or (B) A change to heading 8535 from tariff items
/// 8538.90.10, 8538.90.30 or 8538.90.60, whether or not there is also a change from any other heading,
/// provided there is a regional value content of not less than: (1) 60 percent ... (2) 50 percent ..."
#[test]
fn except_from_listed_tariff_items() {
    let rules = minimal();
    let (a, g) = encoded(&rules, "gn11-85-079", "A");
    let (b, _) = encoded(&rules, "gn11-85-079", "B");
    // (A): the listed part 8538.90.10 is excepted although it is of another heading.
    fails(&a, &g, "8535.10", &mat("8538.90.10", &[]));
    fails(&a, &g, "8535.10", &mat("8538.90.60", &[]));
    // A part of 8538.90 at a tariff item that is not listed makes the change.
    meets(&a, &g, "8535.10", &mat("8538.90.20", &[]));
    meets(&a, &g, "8535.10", &mat("8538.10", &[]));
    // Known only to 8538.90: it may be 8538.90.10.
    let q = unknown(&a, &g, "8535.10", &mat("8538.90", &[]));
    assert!(q.contains("8538.90"), "{q}");
    // (B) allows exactly those parts.
    meets(&b, &g, "8535.10", &mat("8538.90.10", &[]));
    meets(&b, &g, "8535.10", &mat("8538.90.20", &[]));
    // Neither branch allows a material of heading 8535 itself.
    fails(&a, &g, "8535.10", &mat("8535.90", &[]));
    fails(&b, &g, "8535.10", &mat("8535.90", &[]));
}

/// GN 11(o), chapter 85, rule 89: "(A) A change to heading 8537 from any other heading, except from
/// printed circuit assemblies of subheading 8538.90 or moulded parts of subheading 8538.90; or (B) A change
/// to heading 8537 from printed circuit assemblies of subheading 8538.90 or moulded parts of subheading
/// 8538.90 or, whether or not there is also a change from any other heading, provided there is a regional
/// value content of not less than: (1) 50 percent ... (2) 40 percent ..."
#[test]
fn except_names_a_kind_of_material_within_a_code() {
    let rules = minimal();
    let (a, g) = encoded(&rules, "gn11-85-089", "A");
    let (b, _) = encoded(&rules, "gn11-85-089", "B");
    let good = "8537.10";
    // (A): a printed circuit assembly of 8538.90 is excepted.
    fails(&a, &g, good, &mat("8538.90", &["printed circuit assemblies"]));
    fails(&a, &g, good, &mat("8538.90", &["moulded parts"]));
    // A part of 8538.90 known to be neither (say, a metal bracket) makes the change.
    meets(&a, &g, good, &mat("8538.90", &["bracket"]));
    // A printed circuit assembly classified elsewhere (8473.30) is not "of subheading 8538.90".
    meets(&a, &g, good, &mat("8473.30", &["printed circuit assemblies"]));
    // (B) allows them.
    meets(&b, &g, good, &mat("8538.90", &["printed circuit assemblies"]));
}

/// Same rule 89 (A): when the batch does not say what a part of 8538.90 is, the audit must ask. Both kinds
/// are excepted, so the question has to name both: answering only "is it a moulded part?" cannot settle
/// whether it is a printed circuit assembly.
#[test]
fn except_names_a_kind_of_material_asks_when_the_batch_does_not_say() {
    let rules = minimal();
    let (a, g) = encoded(&rules, "gn11-85-089", "A");
    let q = unknown(&a, &g, "8537.10", &undescribed("8538.90"));
    assert!(q.contains("printed circuit assemblies"), "the question must ask about printed circuit assemblies: {q}");
    assert!(q.contains("moulded parts"), "the question must ask about moulded parts: {q}");
    // A part of another subheading needs no answer: it makes the change whatever it is.
    meets(&a, &g, "8537.10", &undescribed("8538.10"));
}

fn rule_151_a() -> (TariffShift, HsSet) {
    let mut s = shift(Some(HsLevel::Heading));
    s.except_more_than_one_of = vec![
        spec(&["8413.50-8413.60"]),
        spec(&["8466.93.15", "8466.93.30", "8466.93.53"]),
        spec(&["8501.32", "8501.52"]),
        spec(&["8537.10"]),
    ];
    (s, set(&["8459.31"]))
}

/// GN 11(o), chapter 84, rule 151: "(A) A change to subheading 8459.31 from any other heading, except from
/// more than one of the following: (1) subheadings 8413.50 through 8413.60, (2) tariff items 8466.93.15,
/// 8466.93.30 or 8466.93.53, (3) subheadings 8501.32 or 8501.52, (4) subheading 8537.10; or ..."
#[test]
fn except_from_more_than_one_of_lets_one_item_pass() {
    let (s, g) = rule_151_a();
    // A non-originating pump (item 1) with other materials from outside the list: met.
    let (v, items) = verdict(&s, &g, "8459.31", &[mat("8413.50", &[]), mat("7326.90", &[])]);
    assert_eq!((v, items), (Verdict::Met, vec![0]));
    // Two materials of the same item (1) are still one item.
    let (v, items) = verdict(&s, &g, "8459.31", &[mat("8413.50", &[]), mat("8413.60", &[])]);
    assert_eq!((v, items), (Verdict::Met, vec![0]));
    // Only a motor (item 3): met.
    let (v, _) = verdict(&s, &g, "8459.31", &[mat("8501.32", &[])]);
    assert_eq!(v, Verdict::Met);
}

/// Same rule 151 (A): materials of two different items fail the shift.
#[test]
fn except_from_more_than_one_of_fails_with_two_items() {
    let (s, g) = rule_151_a();
    let materials = [mat("8413.60", &[]), mat("8501.32", &[]), mat("7326.90", &[])];
    let refs: Vec<&dyn ShiftMaterial> = materials.iter().map(|m| m as &dyn ShiftMaterial).collect();
    let out = evaluate_shift(&s, &g, code("8459.31"), &refs);
    assert_eq!(out.verdict(), Verdict::NotMet);
    assert_eq!(out.more_than_one_of_items, vec![0, 2]);
    assert!(matches!(out.materials[0], MaterialShift::Fails(_)));
    assert!(matches!(out.materials[1], MaterialShift::Fails(_)));
    // The unlisted material still makes the change on its own.
    assert!(matches!(out.materials[2], MaterialShift::Meets(_)));
    // A pump known only to heading 8413 may fall in item (1): with a motor of item (3), undetermined.
    let (v, _) = verdict(&s, &g, "8459.31", &[mat("8501.32", &[]), mat("8413", &[])]);
    assert_eq!(v, Verdict::Undetermined);
}

/// GN 11(o), chapter 87, rule 22: "(A) A change to subheading 8708.21 from any other heading; or (B) A
/// change to subheading 8708.21 from subheading 8708.99, whether or not there is also a change from any
/// other heading, provided there is a regional value content of not less than 70 percent under the net
/// cost method."
#[test]
fn also_from_whether_or_not_there_is_also_a_change() {
    let rules = minimal();
    let (a, g) = encoded(&rules, "gn11-87-022", "A");
    let (b, _) = encoded(&rules, "gn11-87-022", "B");
    // A part of 8708.99 is of the same heading: (A) fails, (B) allows it.
    fails(&a, &g, "8708.21", &mat("8708.99", &[]));
    meets(&b, &g, "8708.21", &mat("8708.99", &[]));
    // "whether or not there is also a change from any other heading": webbing of 5806 passes (B) too.
    meets(&b, &g, "8708.21", &mat("5806.32", &[]));
    // Only 8708.99 is named: a part of 8708.29 passes neither.
    fails(&b, &g, "8708.21", &mat("8708.29", &[]));
}

/// GN 11(o), chapter 84, rule 50: "(A) A change to subheadings 8415.20 through 8415.83 from any subheading
/// outside that group, except from "split-systems" of subheading 8415.10, tariff item 8415.90.40 or
/// assemblies incorporating more than one of the following: compressor, condenser, evaporator, connecting
/// tubing; or ..."
#[test]
fn outside_that_group() {
    let assemblies =
        "assemblies incorporating more than one of the following: compressor, condenser, evaporator, connecting tubing";
    let mut s = shift(Some(HsLevel::Subheading));
    s.group = GroupQualifier::Outside;
    s.except = vec![
        kind_spec(&["8415.10"], "split-systems"),
        spec(&["8415.90.40"]),
        MaterialSpec { hs: HsSet::default(), kind: Some(assemblies.to_string()) },
    ];
    let g = set(&["8415.20-8415.83"]);
    let good = "8415.82";
    // 8415.81 is inside the group 8415.20-8415.83 (so is the good's own 8415.82).
    fails(&s, &g, good, &mat("8415.81", &[]));
    fails(&s, &g, good, &mat("8415.82", &[]));
    // 8415.90 (parts) is outside the group: allowed, unless it is tariff item 8415.90.40.
    meets(&s, &g, good, &mat("8415.90.80", &[]));
    fails(&s, &g, good, &mat("8415.90.40", &[]));
    // 8415.10 is outside the group, but its split-systems are excepted.
    meets(&s, &g, good, &mat("8415.10", &["window unit"]));
    fails(&s, &g, good, &mat("8415.10", &["split-systems"]));
    // A compressor of 8414.30 makes the change; an assembly of compressor and condenser does not.
    meets(&s, &g, good, &mat("8414.30", &["compressor"]));
    fails(&s, &g, good, &mat("8418.99", &[assemblies]));
    // A material known only to heading 8415 may be inside or outside the group.
    unknown(&s, &g, good, &mat("8415", &[]));
}

/// GN 11(o), chapter 85, rule 29: "A change to subheadings 8511.10 through 8511.80 from any other
/// subheading, including another subheading within that group."
#[test]
fn including_another_subheading_within_that_group() {
    let rules = minimal();
    let (s, g) = encoded(&rules, "gn11-85-029", "-");
    assert_eq!(s.group, GroupQualifier::IncludingWithin);
    // A distributor of 8511.30 for a starter motor of 8511.40: another subheading within the group.
    meets(&s, &g, "8511.40", &mat("8511.30", &[]));
    meets(&s, &g, "8511.40", &mat("8511.90", &[]));
    fails(&s, &g, "8511.40", &mat("8511.40", &[]));
}

/// GN 11(o), chapter 84, rule 200: "A change to a good of subheading 8471.30 from any other good within
/// that subheading or any other subheading, except from subheadings 8471.41 through 8471.50."
#[test]
fn intra_subheading_change_within_that_subheading() {
    let mut s = shift(Some(HsLevel::Subheading));
    s.within_subheading = true;
    s.except = vec![spec(&["8471.41-8471.50"])];
    let g = set(&["8471.30"]);
    // Another good of 8471.30 (a laptop made from a laptop base unit) is allowed.
    meets(&s, &g, "8471.30", &mat("8471.30", &[]));
    meets(&s, &g, "8471.30.01", &mat("8471.30", &[]));
    // 8471.41 through 8471.50 are excepted.
    fails(&s, &g, "8471.30", &mat("8471.41", &[]));
    fails(&s, &g, "8471.30", &mat("8471.50", &[]));
    // Other subheadings: 8471.60 (input units), 8473.30 (parts).
    meets(&s, &g, "8471.30", &mat("8471.60", &[]));
    meets(&s, &g, "8471.30", &mat("8473.30", &[]));
}

/// GN 11(o), chapter 84, rule 49: "(C) A change to "split-systems" of subheading 8415.10 from tariff item
/// 8415.90.40 or assemblies incorporating more than one of the following: compressor, condenser,
/// evaporator, connecting tubing, whether or not there is also a change from subheadings 8415.20 through
/// 8415.83, provided there is a regional value content ..." (no "from any other ...": only these sources).
#[test]
fn only_listed_sources_without_from() {
    let assemblies =
        "assemblies incorporating more than one of the following: compressor, condenser, evaporator, connecting tubing";
    let mut s = shift(None);
    s.also_from = vec![
        spec(&["8415.90.40"]),
        MaterialSpec { hs: HsSet::default(), kind: Some(assemblies.to_string()) },
        spec(&["8415.20-8415.83"]),
    ];
    let g = set(&["8415.10"]);
    let good = "8415.10";
    meets(&s, &g, good, &mat("8415.90.40", &[]));
    meets(&s, &g, good, &mat("8418.99", &[assemblies]));
    meets(&s, &g, good, &mat("8415.83", &[]));
    // Copper tubing of 7411.10 is of another heading, but the rule names no "any other heading".
    fails(&s, &g, good, &mat("7411.10", &["connecting tubing"]));
    // Whether an undescribed 8418.99 part is such an assembly decides: ask.
    let q = unknown(&s, &g, good, &undescribed("8418.99"));
    assert!(q.contains("assemblies incorporating"), "{q}");
}

/// GN 11(o), chapter 87, rule 29: "(A) No change in tariff classification to a good of subheading 8708.40,
/// provided there is a regional value content of not less than 75 percent under the net cost method."
/// There is no shift to test materials against: the requirement is the RVC alone.
#[test]
fn no_change_required_accepts_every_material() {
    let rules = minimal();
    let r = rules.rules.iter().find(|r| r.id == "gn11-87-029").unwrap();
    assert_eq!(r.alternatives[0].shift, ShiftRequirement::NoChangeRequired);
    let words = origin_rules::explain::describe_alternative(&r.alternatives[0]);
    assert!(words.contains("no change in tariff classification required"), "{words}");
    assert!(words.contains("75"), "{words}");
}

/// A material classified only to a shallower level than the rule needs: the answer is a question, not a
/// guess, unless the shallow code already settles it.
#[test]
fn material_classified_too_shallowly_is_unknown() {
    let rules = minimal();
    let (cth, g) = encoded(&rules, "gn11-85-030", "A");
    // Chapter 85 only: may or may not be heading 8511.
    let q = unknown(&cth, &g, "8511.90", &mat("85", &[]));
    assert!(q.contains("heading"), "{q}");
    // Chapter 84 is certainly another heading.
    meets(&cth, &g, "8511.90", &mat("84", &[]));
    // Rule 89 (A): heading 8538 only may be the excepted 8538.90.
    let (a, g) = encoded(&rules, "gn11-85-089", "A");
    unknown(&a, &g, "8537.10", &mat("8538", &[]));
    // CTSH (rule 4): heading 8504 only.
    let s = shift(Some(HsLevel::Subheading));
    unknown(&s, &set(&["8504.10"]), "8504.10", &mat("8504", &[]));
}
