//! `origin-audit scenario`: the demo batch stored, then re-audited from the store under the three shipped
//! scenarios; the goods that change, their fix lines, the counts and the duty at stake agree with the
//! hand-worked fixtures/demo/EXPECTED-scenarios.md (its "Machine-checked summary" tables).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::str::FromStr;

use origin_core::Decimal;
use support::repo;

fn bin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_origin-audit"))
        .current_dir(dir)
        .env_remove("ORIGIN_AUDIT_DB")
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn dec(v: &serde_json::Value) -> Decimal {
    let s = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    Decimal::from_str(&s).unwrap_or_else(|e| panic!("`{s}`: {e}"))
}

/// The rows of the Markdown tables under "## Machine-checked summary", each as its cells.
fn expected() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(repo().join("fixtures/demo/EXPECTED-scenarios.md")).unwrap();
    let summary = text.split("## Machine-checked summary").nth(1).unwrap();
    let rows: Vec<Vec<String>> = summary
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_string()).collect())
        .collect();
    rows.into_iter().partition(|r| r.len() == 6)
}

#[test]
fn the_demo_batch_under_the_shipped_scenarios_matches_the_hand_worked_impact() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let d = dir.join("demo");
    std::fs::create_dir_all(&d).unwrap();
    for f in ["batch.yaml", "bom-electrical.csv", "bom-lighting.csv"] {
        std::fs::copy(repo().join("fixtures/demo").join(f), d.join(f)).unwrap();
    }
    ok(&bin(dir, &["run", "demo/batch.yaml"]));
    // The scenario run reads the stored inputs only: the batch directory is gone.
    std::fs::remove_dir_all(&d).unwrap();
    let runs: serde_json::Value = serde_json::from_str(&ok(&bin(dir, &["runs", "list", "--format", "json"]))).unwrap();
    let run = runs[0]["id"].as_str().unwrap().to_string();
    let (goods, totals) = expected();
    assert_eq!(totals.len(), 3);
    let duties = repo().join("fixtures/duties/sample-duties.csv");
    let volumes = repo().join("fixtures/demo/volumes.csv");
    for t in &totals {
        let scenario = &t[0];
        let file = repo().join("scenarios").join(format!("{scenario}.yaml"));
        let out = ok(&bin(
            dir,
            &[
                "scenario",
                "run",
                file.to_str().unwrap(),
                "--run",
                &run,
                "--duties",
                duties.to_str().unwrap(),
                "--volumes",
                volumes.to_str().unwrap(),
                "--format",
                "json",
            ],
        ));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let imp = &v[0];
        let s = &imp["scenario"];
        assert_eq!(s["scenario"], scenario.as_str());
        assert_eq!(s["base_run"], run.as_str());
        let counts =
            [&s["qualified"], &s["not_qualified"], &s["needs_evidence"]].map(|x| x.as_i64().unwrap().to_string());
        assert_eq!(counts.as_slice(), &t[1..4], "{scenario}: counts");
        assert_eq!(dec(&imp["total"]["USD"]), Decimal::from_str(&t[4]).unwrap(), "{scenario}: total");
        let want: Vec<&Vec<String>> = goods.iter().filter(|g| &g[0] == scenario).collect();
        let got = imp["goods"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{scenario}: changed goods {got:#?}");
        for w in want {
            let g = got
                .iter()
                .find(|g| g["good"] == w[1].as_str())
                .unwrap_or_else(|| panic!("{scenario}: {} missing", w[1]));
            assert_eq!(g["base_outcome"], w[2].as_str(), "{scenario} {}", w[1]);
            assert_eq!(g["outcome"], w[3].as_str(), "{scenario} {}", w[1]);
            let mut lines: Vec<&str> =
                g["fix_lines"].as_array().unwrap().iter().map(|l| l["line"].as_str().unwrap()).collect();
            lines.sort_unstable();
            assert_eq!(lines.join(" "), w[4], "{scenario} {}: fix lines", w[1]);
            assert_eq!(dec(&g["exposure"]), Decimal::from_str(&w[5]).unwrap(), "{scenario} {}: exposure", w[1]);
        }
    }
    // Stored, linked to the base run, and shown again from the store.
    let list = ok(&bin(dir, &["scenario", "list", "--run", &run]));
    assert_eq!(list.lines().count(), 3, "{list}");
    let id = list.lines().find(|l| l.contains("strict-transshipment")).unwrap().split_whitespace().next().unwrap();
    let md = ok(&bin(dir, &["scenario", "show", id]));
    assert!(md.contains("| demo-nl-autoparts-2026-11 | STM-12V-14 | 8511.40 | qualified | not qualified | TRANSIT_OUTSIDE_PARTIES: ship without any operation in `JM`"), "{md}");
    // CSV and XLSX exports of the same impact.
    let csv = ok(&bin(
        dir,
        &[
            "scenario",
            "show",
            id,
            "--format",
            "csv",
            "--duties",
            duties.to_str().unwrap(),
            "--volumes",
            volumes.to_str().unwrap(),
        ],
    ));
    let mut rows = csv.lines();
    assert!(rows.next().unwrap().starts_with("scenario_run,scenario,base_run,batch,good,hs,chapter,"));
    let row = rows.next().unwrap();
    assert!(row.contains(",STM-12V-14,8511.40,85,qualified,not-qualified,") && row.ends_with(",924487.50,"), "{row}");
    ok(&bin(dir, &["scenario", "show", id, "--format", "xlsx", "--out", "impact.xlsx"]));
    let bytes = std::fs::read(dir.join("impact.xlsx")).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
}

/// A scenario file with problems: each reported at file:line:column, exit 1.
#[test]
fn scenario_check_locates_problems() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("bad.yaml"),
        "id: bad\ntitle: bad\nbasis: { kind: hypothetical, note: x }\neffective_from: 2026-07-01\npack: usmca\noverlays:\n  - remove_alternatives: { rule: gn11-84-004, labels: [Z] }\n",
    )
    .unwrap();
    let o = bin(tmp.path(), &["scenario", "check", "bad.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("error[unknown-alternative]: rule `gn11-84-004` has no alternative `Z`"), "{out}");
    assert!(out.contains("bad.yaml:7:"), "{out}");
}
