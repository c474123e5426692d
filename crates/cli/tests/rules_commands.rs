//! The `rules` commands as a user runs them: on the bundled pack, on a broken copy, and through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use origin_cli::rules_cmd::{self, CheckFormat};
use origin_rules::{PackSource, VehicleUse};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pack() -> PackSource {
    PackSource::Dir(root().join("rules/usmca"))
}

fn run(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<i32>) -> (i32, String) {
    let mut out = Vec::new();
    let code = f(&mut out).unwrap();
    (code, String::from_utf8(out).unwrap())
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn bundled_pack_is_clean() {
    let (code, out) = run(|o| rules_cmd::check(&pack(), CheckFormat::Text, o));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("valid."), "{out}");
    assert!(!out.contains("warning["), "the bundled pack should have no warnings either:\n{out}");
}

/// Issue 2, "Done when": 8708.40 for a passenger vehicle on 2026-07-01 is GN 11(o) ch. 87 rule 29:
/// no change in tariff classification required, 75 % RVC under the net cost method.
#[test]
fn explain_gear_boxes_for_passenger_vehicles() {
    let (code, out) = run(|o| {
        rules_cmd::explain(&pack(), "8708.40", date("2026-07-01"), Some(VehicleUse::PassengerVehicle), None, None, o)
    });
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no change in tariff classification required"), "{out}");
    assert!(out.contains("75.00% under the net cost method (net cost only)"), "{out}");
    assert!(out.contains("GN 11(o), chapter 87, rule 29"), "{out}");
    assert!(out.contains("review: verified"), "{out}");
    assert!(
        out.contains("| 29. For a good of subheading 8708.40 for use in a passenger vehicle or light truck:"),
        "{out}"
    );
}

#[test]
fn explain_asks_for_the_use_when_the_rule_depends_on_it() {
    let (code, out) = run(|o| rules_cmd::explain(&pack(), "870840", date("2026-07-01"), None, None, None, o));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("depends on the vehicle"), "{out}");
    assert!(out.contains("--use"), "{out}");
}

#[test]
fn explain_heavy_truck_gear_boxes_is_seventy_percent_net_cost() {
    let (code, out) = run(|o| {
        rules_cmd::explain(&pack(), "8708.40.50", date("2026-07-01"), Some(VehicleUse::HeavyTruck), None, None, o)
    });
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("70.00% under the net cost method (net cost only)"), "{out}");
    assert!(out.contains("rule 30"), "{out}");
}

#[test]
fn explain_reports_no_rule_instead_of_a_default() {
    // Chapter 64 (footwear): no text of its rules was read anywhere.
    let (code, out) = run(|o| rules_cmd::explain(&pack(), "6403.99", date("2026-07-01"), None, None, None, o));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no rule"), "{out}");
    assert!(out.contains("never replaced by a default"), "{out}");
}

#[test]
fn explain_flags_unverified_transcriptions() {
    let (code, out) = run(|o| rules_cmd::explain(&pack(), "8537.10", date("2026-07-01"), None, None, None, o));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("caution: unverified transcription"), "{out}");
    assert!(out.contains("except from printed circuit assemblies of 8538.90"), "{out}");
}

#[test]
fn explain_picks_the_dated_variant_in_force() {
    // 8504.21-8504.34: one rule until 2025-06-30, another from 2025-07-01 (65/55 with steel exceptions).
    let (_, before) = run(|o| rules_cmd::explain(&pack(), "8504.21", date("2024-01-01"), None, None, None, o));
    let (_, after) = run(|o| rules_cmd::explain(&pack(), "8504.21", date("2026-01-01"), None, None, None, o));
    assert!(before.contains("60.00% under the transaction value method or 50.00%"), "{before}");
    assert!(after.contains("65.00% under the transaction value method or 55.00%"), "{after}");
    assert!(after.contains("7225"), "{after}");
}

/// Issue 11 item 7 (reproduction): GN 11(o) is written in HS 2017. `rules explain 9401.99` (an HS 2022
/// code) used to answer "no rule"; it reads the code as HS 2017 9401.90 and says so.
#[test]
fn explain_reads_hs2022_9401_99_as_hs2017_9401_90() {
    let (code, out) = run(|o| rules_cmd::explain(&pack(), "9401.99", date("2026-11-01"), None, None, None, o));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("HS 2022 `9401.99` is HS 2017 `9401.90`"), "{out}");
    assert!(out.contains("rule gn11-94-9401-90 covers 9401.90"), "{out}");
}

/// A one-to-many HS 2022 code lists the rule of every HS 2017 counterpart and exits 2 (needs a fact).
#[test]
fn explain_lists_the_rule_of_each_hs2017_counterpart_of_8524_11() {
    let (code, out) = run(|o| rules_cmd::explain(&pack(), "8524.11", date("2026-11-01"), None, None, None, o));
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("HS 2022 `8524.11` corresponds to 483 HS 2017 codes"), "{out}");
    assert!(out.contains("  - 8529.90: rule gn11-85-066 (8529.90)"), "{out}");
    assert!(out.contains(": no rule encoded"), "{out}");
}

/// `--nomenclature hs2017` explains the rules' own codes without mapping; without it, the HS 2017 code
/// 9401.90 (deleted in HS 2022) is an error naming the codes it became.
#[test]
fn explain_nomenclature_hs2017_skips_the_mapping() {
    let (code, out) = run(|o| {
        rules_cmd::explain_full(
            &pack(),
            "9401.90",
            origin_rules::Nomenclature::Hs2017,
            date("2026-11-01"),
            None,
            None,
            None,
            None,
            o,
        )
    });
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("9401.90 on 2026-11-01:"), "{out}");
    let (code, out) = run(|o| rules_cmd::explain(&pack(), "9401.90", date("2026-11-01"), None, None, None, o));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("`9401.90` is not a code of HS 2022") && out.contains("9401.91, 9401.99"), "{out}");
}

/// Every legal text the pack was read from: the official-copy extracts and the 92 chapter files of the
/// third-party transcription.
fn legal_files() -> Vec<PathBuf> {
    let mut legal: Vec<PathBuf> = ["gn11-ch84-85-90-40-94-72-73.md", "gn11-ch87-automotive.md"]
        .iter()
        .map(|f| root().join("fixtures/legal").join(f))
        .collect();
    let mut secondary: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/legal/secondary"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("gn11-ch")))
        .collect();
    secondary.sort();
    legal.extend(secondary);
    legal
}

#[test]
fn rules_coverage_doc_is_up_to_date() {
    let (code, out) = run(|o| rules_cmd::coverage(&pack(), &legal_files(), o));
    assert_eq!(code, 0);
    let doc = std::fs::read_to_string(root().join("docs/rules-coverage.md")).unwrap_or_default();
    assert!(
        doc == out,
        "docs/rules-coverage.md is stale: run `cargo run -p origin-cli -- rules coverage --legal fixtures/legal/gn11-ch84-85-90-40-94-72-73.md --legal fixtures/legal/gn11-ch87-automotive.md --legal fixtures/legal/secondary/gn11-ch01.md ... (every chapter file) > docs/rules-coverage.md`"
    );
}

/// Issue 12, item 7: a rule for at least 95 % of the HS 2022 subheadings outside chapters 64-67, and the
/// chapters with no text named.
#[test]
fn rules_coverage_reaches_95_percent_of_hs2022_subheadings() {
    let (_, out) = run(|o| rules_cmd::coverage(&pack(), &[], o));
    let row = out.lines().find(|l| l.starts_with("| covered |")).unwrap();
    let share: f64 = row.split('|').nth(3).unwrap().trim().trim_end_matches('%').trim().parse().unwrap();
    assert!(share >= 95.0, "{row}");
    assert!(out.contains("Chapters 64, 65, 66, 67 have no text anywhere"), "{out}");
}

#[test]
fn rule_pack_schema_doc_is_up_to_date() {
    let (_, out) = run(|o| rules_cmd::schema(o));
    let doc = std::fs::read_to_string(root().join("docs/rule-pack.schema.json")).unwrap_or_default();
    assert!(
        doc == out,
        "docs/rule-pack.schema.json is stale: run `cargo run -p origin-cli -- rules schema > docs/rule-pack.schema.json`"
    );
}

/// Copies the bundled pack to a temp dir, applies `edit` to one file, and returns the dir.
fn broken_copy(file: &str, edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("rules/usmca"), tmp.path());
    let p = tmp.path().join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, edit(text)).unwrap();
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

/// Issue 2, "Done when": a broken copy of a pack file gets a diagnostic naming the file and the line.
#[test]
fn broken_copy_names_file_and_line() {
    let tmp = broken_copy("psr/ch87.yaml", |t| t.replacen("rvc: { nc: 75 }", "rvc: { nc: 175 }", 1));
    let text = std::fs::read_to_string(tmp.path().join("psr/ch87.yaml")).unwrap();
    let line = text.lines().position(|l| l.contains("nc: 175")).unwrap() + 1;
    let (code, out) = run(|o| rules_cmd::check(&tmp.path().into(), CheckFormat::Text, o));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[threshold-out-of-range]: `175` is outside 0-100"), "{out}");
    assert!(out.contains(&format!("psr/ch87.yaml:{line}:")), "{out}");
    assert!(out.contains("1 error"), "{out}");
}

#[test]
fn check_json_lists_every_diagnostic() {
    let tmp = broken_copy("psr/ch85.yaml", |t| t.replacen("hs: [\"8501\"]", "hs: [\"8501.9\"]", 1));
    let (code, out) = run(|o| rules_cmd::check(&tmp.path().into(), CheckFormat::Json, o));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "bad-hs-code");
    assert_eq!(d["file"], "psr/ch85.yaml");
    assert!(d["line"].as_u64().is_some());
}

#[test]
fn binary_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_origin-audit");
    let ok = Command::new(bin).current_dir(root()).args(["rules", "check"]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    let tmp = broken_copy("pack.yaml", |t| t.replacen("effective_from: 2020-07-01", "efective_from: 2020-07-01", 1));
    let bad = Command::new(bin).args(["rules", "check"]).arg(tmp.path()).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(out.contains("unknown field `efective_from`"), "{out}");
    let env = Command::new(bin)
        .env("ORIGIN_AUDIT_RULES", tmp.path())
        .args(["rules", "explain", "8708.40", "--use", "passenger-vehicle"])
        .output()
        .unwrap();
    assert_eq!(env.status.code(), Some(1), "ORIGIN_AUDIT_RULES must select the (broken) pack");
}

/// Issue 12: an alternative for some of the rule's codes says so, and `explain` says which alternatives a
/// good of the code asked can use (chapter 71 rule 2 (B) is for 7106.91 only).
#[test]
fn explain_shows_an_alternative_for_some_of_the_rules_codes() {
    let (code, out) = run(|o| rules_cmd::explain(&pack(), "7106.92", date("2026-07-01"), None, None, None, o));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("rule gn11-71-002 covers 7106.10-7106.92"), "{out}");
    assert!(out.contains("(B) only for goods of 7106.91; no change in tariff classification required"), "{out}");
    assert!(
        out.contains(
            "alternatives for a good of 7106.92:\n    (A) applies\n    (B) does not apply: only for goods of 7106.91"
        ),
        "{out}"
    );
    let (_, out) = run(|o| rules_cmd::explain(&pack(), "7106.91", date("2026-07-01"), None, None, None, o));
    assert!(out.contains("alternatives for a good of 7106.91:\n    (A) applies\n    (B) applies"), "{out}");
}
