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

/// A copy of fixtures/demo in `dir/demo`; returns that folder.
fn demo_in(dir: &Path) -> std::path::PathBuf {
    let d = dir.join("demo");
    std::fs::create_dir_all(&d).unwrap();
    for e in std::fs::read_dir(repo().join("fixtures/demo")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
    }
    d
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
    demo_in(tmp.path());

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

/// `origin-audit -v` in `dir` with the repository's pack, the database and log level left to the
/// command line.
fn verbose_in(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_origin-audit"));
    cmd.current_dir(dir).env_remove("ORIGIN_AUDIT_DB").env_remove("RUST_LOG").arg("-v");
    cmd.arg("--rules").arg(repo().join("rules/usmca"));
    cmd
}

/// A stored run of a large-batch-shaped JSON file indexes its goods in the file (memory bounded by the
/// chunk; docs/batch-format.md "Large batches"), keeps those of its first 64 MiB as first read (all of
/// this small batch: none read twice) and says so at `-v`; the YAML demo batch is held. Both audit every
/// good.
#[test]
fn verbose_run_says_whether_the_goods_were_left_in_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let made = Command::new(env!("CARGO_BIN_EXE_origin-audit"))
        .current_dir(tmp.path())
        .args(["gen-batch", "--goods", "40", "--lines", "5", "--seed", "2", "--out", "big.json"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let out = verbose_in(tmp.path()).args(["run", "big.json", "--out", "report.json", "-q"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some_and(|c| c == 0 || c == 1), "{stderr}");
    assert!(
        stderr.contains("1 batch(es), 40 good(s); 1 batch(es) with goods left in the file, 0 good(s) to read again"),
        "{stderr}"
    );
    assert!(stderr.contains("40 good(s), 200 BOM line(s)"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["goods"].as_array().map(Vec::len), Some(40));

    demo_in(tmp.path());
    let stderr = String::from_utf8_lossy(&run(tmp.path(), true).stderr).to_string();
    assert!(stderr.contains("1 batch(es), 13 good(s); 0 batch(es) with goods left in the file"), "{stderr}");
}

/// The table's line per good (kept in a temporary file while the run goes, read back at the end):
/// every demo good once, in batch order, with the outcomes of fixtures/demo/EXPECTED.md (7 qualified
/// under B, 1 under C, 3 not qualified, 2 needs evidence), the columns aligned on the longest id.
#[test]
fn the_table_lists_every_good_once_in_batch_order() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo_in(tmp.path());
    let stdout = String::from_utf8_lossy(&run(tmp.path(), false).stdout).to_string();
    let header = stdout.lines().position(|l| l.starts_with("  good ")).expect("the goods' header");
    let rows: Vec<&str> = stdout.lines().skip(header + 1).take_while(|l| !l.is_empty()).collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.split_whitespace().next().unwrap()).collect();
    let batch = std::fs::read_to_string(d.join("batch.yaml")).unwrap();
    let in_file: Vec<&str> = batch
        .lines()
        .skip_while(|l| *l != "goods:")
        .take_while(|l| *l == "goods:" || !l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|l| l.strip_prefix("  - id: ").or_else(|| l.strip_prefix("- id: ")))
        .map(|s| s.trim().trim_matches('"'))
        .collect();
    assert_eq!(ids, in_file, "{stdout}");
    assert_eq!(ids.len(), 13);
    let count = |s: &str| rows.iter().filter(|r| r.contains(s)).count();
    assert_eq!(
        (count(" qualified B "), count(" qualified C "), count(" not qualified "), count(" needs evidence ")),
        (7, 1, 3, 2),
        "{stdout}"
    );
    // The hs column starts two spaces after the longest id (RLY-MICRO-35, 12 characters) on every row.
    assert!(rows.iter().all(|r| r.get(2 + 12..2 + 14) == Some("  ") && r.as_bytes()[16] != b' '), "{stdout}");
}

/// A stored lot picture: lot, laundering, the SVG (plain or compressed).
type Picture = (String, i64, Option<String>, Option<Vec<u8>>);

/// A stored run of a JSON batch whose provenance builds keeps only the graph it traced, and draws the
/// lots' pictures from it; the same batch with its provenance lists out of the builder's order is read
/// held (records and goods). The two stores hold the same pictures, byte for byte, and more than none.
#[tokio::test]
async fn pictures_drawn_from_the_traced_graph_are_those_drawn_from_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let made = Command::new(env!("CARGO_BIN_EXE_origin-audit"))
        .current_dir(tmp.path())
        .args("gen-batch --goods 80 --lines 8 --seed 4 --events 400 --out in-order.json".split(' '))
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let text = std::fs::read_to_string(tmp.path().join("in-order.json")).unwrap();
    // The sites moved after the transformations: valid, but not the order the builder takes.
    let (s, l) = (text.find("    \"sites\": [").unwrap(), text.find("    \"lots\": [").unwrap());
    let sites = text[s..l].trim_end().trim_end_matches(',').to_string();
    let t = text.find("\"transformations\": [").unwrap();
    let close = t + text[t..].find("\n    ]").unwrap() + "\n    ]".len();
    std::fs::write(
        tmp.path().join("moved.json"),
        format!("{}{},\n{sites}{}", &text[..s], &text[l..close], &text[close..]),
    )
    .unwrap();
    let mut pictures = Vec::new();
    for (file, left_in_file) in [("in-order.json", 1), ("moved.json", 0)] {
        let db = tmp.path().join(format!("{file}.db"));
        let out = verbose_in(tmp.path()).arg("--db").arg(&db).args(["run", file, "-q"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.code().is_some_and(|c| c == 0 || c == 1), "{stderr}");
        let said = format!("1 batch(es), 80 good(s); {left_in_file} batch(es) with goods left in the file");
        assert!(stderr.contains(&said), "{file}: {stderr}");
        let store = origin_store::Store::open(db.to_str().unwrap()).await.unwrap();
        let rows: Vec<Picture> = sqlx::query_as("SELECT lot, laundering, svg, svg_z FROM lot_pictures ORDER BY lot")
            .fetch_all(store.pool())
            .await
            .unwrap();
        store.close().await;
        pictures.push(rows);
    }
    assert!(!pictures[0].is_empty(), "no lot picture stored");
    assert_eq!(pictures[0], pictures[1]);
}
