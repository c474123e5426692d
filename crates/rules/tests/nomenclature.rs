//! The pack's HS edition and its correlation table: GN 11(o) rules are written in HS 2017; the pack
//! carries the UNSD HS 2022-HS 2017 correlation (rules/usmca/hs2022-hs2017.csv, cited in pack.yaml) and
//! the rules crate reads HS 2022 codes in HS 2017 through it. Figures checked against
//! /work/shared/data/README.md (15,656 pairs, 5,612 HS 2022 subheadings, SHA-256 7abbd26f...).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use origin_core::HsCode;
use origin_rules::nomenclature::evaluate_shift_mapped;
use origin_rules::shift::{MaterialShift, PlainMaterial, ShiftMaterial};
use origin_rules::{Lookup, Nomenclature, NomenclatureError, RuleQuery, RuleSet, ShiftRequirement, load_pack};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn real() -> RuleSet {
    load_pack(&root().join("rules/usmca")).rules.expect("the bundled pack loads")
}

fn hs(s: &str) -> HsCode {
    HsCode::parse(s).unwrap()
}

fn date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

fn codes(set: &RuleSet, code: &str) -> Vec<String> {
    set.rule_codes(hs(code), Nomenclature::Hs2022).unwrap().iter().map(|c| c.to_string()).collect()
}

#[test]
fn pack_states_hs2017_and_carries_the_unsd_hs2022_hs2017_correlation() {
    let set = real();
    assert_eq!(set.nomenclature, Nomenclature::Hs2017);
    let c = set.correlation.as_ref().expect("the pack carries the correlation");
    assert_eq!((c.from, c.to), (Nomenclature::Hs2022, Nomenclature::Hs2017));
    assert_eq!(c.pairs(), 15_656);
    assert_eq!(c.subheadings().count(), 5_612);
    assert_eq!(c.sha256, "7abbd26ff38118147fecc1710084c4eb2986e7f613ea2d4bb74f6175f948a804");
    assert_eq!(c.citation.source, "unsd-hs2022-hs2017");
    // 124 HS 2022 subheadings have more than one HS 2017 counterpart (README "By code").
    let several = c.subheadings().filter(|s| c.counterparts(*s).is_some_and(|v| v.len() > 1)).count();
    assert_eq!(several, 124);
}

/// The splits the issue names: 9401.91/9401.99 -> 9401.90, 8517.13/8517.14 -> 8517.12,
/// 8549.11-8549.19 -> 8548.10; unchanged codes keep their national digits.
#[test]
fn hs2022_codes_read_in_hs2017() {
    let set = real();
    assert_eq!(codes(&set, "9401.99"), ["9401.90"]);
    assert_eq!(codes(&set, "9401.91"), ["9401.90"]);
    assert_eq!(codes(&set, "8517.13"), ["8517.12"]);
    assert_eq!(codes(&set, "8517.14.00"), ["8517.12"]);
    assert_eq!(codes(&set, "8549.11"), ["8548.10"]);
    assert_eq!(codes(&set, "8536.50.90"), ["8536.50.90"], "an unchanged code keeps its tariff item");
    assert_eq!(codes(&set, "9401"), ["9401"], "a heading whose subheadings all stay in it");
    assert_eq!(codes(&set, "8524.11").len(), 483);
    assert_eq!(codes(&set, "8549.21").len(), 1_019);
    // A batch in HS 2017 is read as written.
    assert_eq!(set.rule_codes(hs("9401.90"), Nomenclature::Hs2017).unwrap(), [hs("9401.90")]);
}

/// An HS 2017 code given as HS 2022 is not a code of HS 2022: the error names what it became.
#[test]
fn hs2017_code_given_as_hs2022_names_its_hs2022_successors() {
    let set = real();
    let e = set.rule_codes(hs("9401.90"), Nomenclature::Hs2022).unwrap_err();
    match &e {
        NomenclatureError::NotInNomenclature { successors, .. } => {
            assert_eq!(successors, &[hs("9401.91"), hs("9401.99")]);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("in HS 2022 it became 9401.91, 9401.99"), "{e}");
}

/// Reproduction: 9401.99 goods had no rule; `lookup_in` reads them as 9401.90 and finds its rule.
#[test]
fn gn11_94_rule_for_9401_90_is_found_for_hs2022_9401_99() {
    let set = real();
    let q = RuleQuery { hs: hs("9401.99"), as_of: date(), vehicle_use: None, good_kind: None, parties: None };
    assert!(matches!(set.lookup(q), Lookup::NoRule { .. }), "as written, 9401.99 matches no rule");
    let found = set.lookup_in(q, Nomenclature::Hs2022).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, hs("9401.90"));
    match &found[0].1 {
        Lookup::Found(r) => assert_eq!(r.id, "gn11-94-9401-90"),
        other => panic!("{other:?}"),
    }
}

/// Rule gn11-94-001 (B): "from subheading 9401.90". A leg assembly of HS 2022 9401.99 meets it once
/// read in HS 2017; as written it does not.
#[test]
fn gn11_94_rule_1_b_shift_is_compared_in_hs2017() {
    let set = real();
    let rule = set.rules.iter().find(|r| r.id == "gn11-94-001").unwrap();
    let ShiftRequirement::Shift(b) = &rule.alternatives[1].shift else { panic!("(B) has a shift") };
    let legs = PlainMaterial::new(hs("9401.99"), &[]);
    let ms: [&dyn ShiftMaterial; 1] = [&legs];
    let as_written = origin_rules::shift::evaluate_shift(b, &rule.hs, hs("9401.71"), &ms);
    assert!(matches!(as_written.materials[0], MaterialShift::Fails(_)));
    let cs = [set.rule_codes(hs("9401.99"), Nomenclature::Hs2022)];
    let o = evaluate_shift_mapped(b, &rule.hs, hs("9401.71"), &ms, &cs, Nomenclature::Hs2022, Nomenclature::Hs2017);
    assert!(matches!(o.materials[0], MaterialShift::Meets(_)), "{:?}", o.materials[0]);
}

/// A material with several HS 2017 counterparts: the same answer under each is that answer; different
/// answers are a question naming the counterparts (8524.11 under "from any other heading" for 8529.10:
/// 8529.90 is the same heading, 8413.11 is not).
#[test]
fn one_to_many_material_is_a_question_only_when_the_answers_differ() {
    let set = real();
    let chair = set.rules.iter().find(|r| r.id == "gn11-94-001").unwrap();
    let ShiftRequirement::Shift(a) = &chair.alternatives[0].shift else { panic!() };
    let module = PlainMaterial::new(hs("8524.11"), &[]);
    let ms: [&dyn ShiftMaterial; 1] = [&module];
    let cs = [set.rule_codes(hs("8524.11"), Nomenclature::Hs2022)];
    let o = evaluate_shift_mapped(a, &chair.hs, hs("9401.71"), &ms, &cs, Nomenclature::Hs2022, Nomenclature::Hs2017);
    assert!(matches!(o.materials[0], MaterialShift::Meets(_)), "no candidate is in chapter 94: {:?}", o.materials[0]);

    let aerial = set.rules.iter().find(|r| r.id == "gn11-85-065").unwrap();
    let ShiftRequirement::Shift(a) = &aerial.alternatives[0].shift else { panic!() };
    let o = evaluate_shift_mapped(a, &aerial.hs, hs("8529.10"), &ms, &cs, Nomenclature::Hs2022, Nomenclature::Hs2017);
    match &o.materials[0] {
        MaterialShift::Unknown(q) => {
            assert!(q.contains("which HS 2017 subheading is material `8524.11`"), "{q}");
            assert!(q.contains("not made from") && q.contains("8529.90"), "{q}");
        }
        other => panic!("{other:?}"),
    }
}

/// Copies the minimal pack to a temporary directory and writes `csv` as its correlation table, with
/// pack.yaml citing `sha` (the file's own checksum when `None`).
fn pack_with_correlation(csv: &str, sha: Option<&str>) -> tempfile::TempDir {
    use sha2::Digest as _;
    let tmp = tempfile::tempdir().unwrap();
    let from = root().join("fixtures/rules/minimal");
    copy_dir(&from, tmp.path());
    std::fs::write(tmp.path().join("hs2022-hs2017.csv"), csv).unwrap();
    let sum = sha.map(str::to_string).unwrap_or_else(|| format!("{:x}", sha2::Sha256::digest(csv.as_bytes())));
    let pack = std::fs::read_to_string(tmp.path().join("pack.yaml")).unwrap();
    let start = pack.find("sha256: ").unwrap() + "sha256: ".len();
    let end = start + pack[start..].find('\n').unwrap();
    std::fs::write(tmp.path().join("pack.yaml"), format!("{}{sum}{}", &pack[..start], &pack[end..])).unwrap();
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Every bad row of the correlation table is a located error (file and line) with a help line.
#[test]
fn bad_correlation_rows_are_located_errors() {
    let csv = "hs2022,hs2017\n940199,940190\n94019,940190\n940199,940190\n851713,851712,x\n851714,85171A\n";
    let tmp = pack_with_correlation(csv, None);
    let loaded = load_pack(tmp.path());
    assert!(loaded.rules.is_none());
    let bad: Vec<(Option<usize>, String)> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == "bad-correlation")
        .map(|d| (d.line, d.message.clone()))
        .collect();
    assert!(loaded.diagnostics.iter().all(|d| d.code != "bad-correlation" || d.file == Path::new("hs2022-hs2017.csv")));
    let lines: Vec<Option<usize>> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [Some(3), Some(4), Some(5), Some(6)], "{bad:?}");
    assert!(bad[0].1.contains("`94019` is not a six-digit HS 2022 subheading"), "{bad:?}");
    assert!(bad[1].1.contains("listed twice"), "{bad:?}");
    assert!(bad[2].1.contains("3 fields"), "{bad:?}");
    assert!(bad[3].1.contains("`85171A`"), "{bad:?}");
}

/// A table that is not the one cited (its SHA-256 differs) is refused, at pack.yaml's `sha256`.
#[test]
fn edited_correlation_table_is_refused_by_its_checksum() {
    let tmp = pack_with_correlation("hs2022,hs2017\n940199,940190\n", Some(&"0".repeat(64)));
    let loaded = load_pack(tmp.path());
    assert!(loaded.rules.is_none());
    let d = loaded.diagnostics.iter().find(|d| d.code == "correlation-checksum").expect("a checksum error");
    assert_eq!(d.file, Path::new("pack.yaml"));
    assert_eq!(d.path, "correlation.sha256");
    assert!(d.line.is_some());
}

/// The header names the two editions in order.
#[test]
fn correlation_header_must_name_the_two_editions() {
    let tmp = pack_with_correlation("hs2017,hs2022\n940190,940199\n", None);
    let loaded = load_pack(tmp.path());
    let d = loaded.diagnostics.iter().find(|d| d.code == "bad-correlation").expect("a header error");
    assert_eq!(d.line, Some(1));
    assert!(d.message.contains("not the header `hs2022,hs2017`"), "{}", d.message);
}
