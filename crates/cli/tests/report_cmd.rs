//! `origin-audit report schema | check`: the published report format as a user checks a file against it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cli(args: &[&str], dir: &Path) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_origin-audit")).args(args).current_dir(dir).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
    )
}

/// The report `run --out` writes for the demo reads as version 1 with the demo's counts
/// (fixtures/demo/EXPECTED.md: 13 goods, 8 qualified, 3 not qualified, 2 need evidence); the same file
/// with an outcome misspelt is refused with its line and column.
#[test]
fn the_demo_report_checks_and_a_misspelt_outcome_is_located() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = root().join("fixtures/demo/batch.yaml");
    let report = tmp.path().join("report.json");
    let db = tmp.path().join("s.db");
    let run = |out: &Path, pretty: bool| {
        let mut args =
            vec!["--db", db.to_str().unwrap(), "run", demo.to_str().unwrap(), "--out", out.to_str().unwrap()];
        if pretty {
            args.push("--pretty");
        }
        let (code, text) = cli(&args, tmp.path());
        assert_eq!(code, 0, "{text}");
    };
    // Compact by default (one line), indented with --pretty: the same report either way.
    let compact = tmp.path().join("compact.json");
    run(&compact, false);
    run(&report, true);
    let (code, text) = cli(&["report", "check", "report.json"], tmp.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("13 goods (8 qualified, 3 not qualified, 2 needs evidence)"), "{text}");
    let (code, text) = cli(&["report", "check", "compact.json"], tmp.path());
    assert_eq!(code, 0, "{text}");
    let compact = std::fs::read_to_string(&compact).unwrap();
    assert_eq!(compact.lines().count(), 1, "compact by default");
    let value = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
    assert_eq!(value(&compact), value(&std::fs::read_to_string(&report).unwrap()));

    let written = std::fs::read_to_string(&report).unwrap();
    let bad = written.replacen("\"outcome\": \"not-qualified\"", "\"outcome\": \"not qualified\"", 1);
    assert_ne!(bad, written, "the demo report has a good that is not qualified");
    std::fs::write(tmp.path().join("bad.json"), &bad).unwrap();
    let line = bad.lines().position(|l| l.contains("\"outcome\": \"not qualified\"")).unwrap() + 1;
    let (code, text) = cli(&["report", "check", "bad.json"], tmp.path());
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("bad.json:{line}:")), "the error names line {line}: {text}");
    assert!(text.contains("unknown variant `not qualified`"), "{text}");
}

/// `report schema` prints the published schema (docs/report.schema.json).
#[test]
fn report_schema_prints_the_published_schema() {
    let (code, text) = cli(&["report", "schema"], &root());
    assert_eq!(code, 0, "{text}");
    let printed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let published: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap()).unwrap();
    assert_eq!(printed, published);
}
