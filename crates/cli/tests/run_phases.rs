//! `origin-audit -v run`: the phases of a stored run with their wall times on stderr (issue 14: "`-v`
//! shows the phases of a stored run with their times"); without `-v`, none of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::repo;

/// Every phase a new stored run with `--out` goes through, in the order they end.
const PHASES: [&str; 9] = [
    "load rules",
    "open store",
    "read inputs",
    "record run",
    "trace provenance",
    "audit",
    "store results",
    "complete run",
    "write report",
];

fn run(dir: &Path, verbose: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_origin-audit"));
    cmd.current_dir(dir).env_remove("ORIGIN_AUDIT_DB").env_remove("RUST_LOG");
    if verbose {
        cmd.arg("-v");
    }
    let out = cmd
        .arg("--rules")
        .arg(repo().join("rules/usmca"))
        .args(["run", "demo/batch.yaml", "--out", "report.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The seconds of `phase NAME: 0.123 s` on stderr, once per line that names it.
fn times(stderr: &str, phase: &str) -> Vec<f64> {
    let key = format!("phase {phase}: ");
    stderr
        .lines()
        .filter_map(|l| l.split_once(&key))
        .map(|(_, rest)| rest.split_once(" s").unwrap().0.parse::<f64>().unwrap())
        .collect()
}

#[test]
fn verbose_run_shows_each_phase_with_its_time_and_a_plain_run_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("demo");
    std::fs::create_dir_all(&d).unwrap();
    for e in std::fs::read_dir(repo().join("fixtures/demo")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
    }

    let out = run(tmp.path(), true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut last = 0;
    for phase in PHASES {
        let t = times(&stderr, phase);
        assert_eq!(t.len(), 1, "`{phase}` logged once (one batch):\n{stderr}");
        assert!(t[0] >= 0.0 && t[0] < 60.0, "{phase}: {t:?}");
        let at = stderr.find(&format!("phase {phase}: ")).unwrap();
        assert!(at >= last, "`{phase}` out of order:\n{stderr}");
        last = at;
    }
    // The demo batch (13 goods) and the run's own total, after the phases.
    assert!(stderr.contains("(batch demo-nl-autoparts-2026-11, 13 good(s), "), "{stderr}");
    let total = times(&stderr, "run");
    assert_eq!(total.len(), 1, "{stderr}");
    let parts: f64 = PHASES.iter().map(|p| times(&stderr, p)[0]).sum();
    assert!(total[0] + 0.005 >= parts, "the total {total:?} covers the phases ({parts})");
    // The report is still written, and stdout is what it is without -v.
    assert!(tmp.path().join("report.json").is_file());
    assert!(String::from_utf8_lossy(&out.stdout).contains("full report: report.json"));

    let quiet = run(tmp.path(), false);
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    for phase in PHASES {
        assert!(times(&stderr, phase).is_empty(), "`{phase}` shown without -v:\n{stderr}");
    }
    assert!(!stderr.contains("phase "), "{stderr}");
}
