//! Issue 17: `origin-audit` installed anywhere. The binary cargo built for these tests is copied into a
//! temporary `bin/` (what `cargo install --path crates/cli --root TMP` produces, without building a
//! release binary again on a 2-core machine) and run from another directory with no `--rules`: it audits
//! with the built-in pack, hands the results over as XLSX, writes a starter batch, its completions and
//! man page, and a missing `--rules` directory gets one true message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader, Xlsx, open_workbook};
use origin_rules::{PackFiles, PackSource};
use support::repo;

/// Copies the test build of `origin-audit` into `root/bin`, as an install would.
fn install(root: &Path) -> PathBuf {
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let dest = bin.join("origin-audit");
    std::fs::copy(env!("CARGO_BIN_EXE_origin-audit"), &dest).unwrap();
    dest
}

/// Runs the installed binary in `dir` with none of the variables that could point it at the checkout.
///
/// A copy just written can be "busy" for a moment: a test running beside this one may fork while the
/// copy's file is still open for writing, and until that child execs it holds the descriptor, so the
/// kernel refuses to run the copy (ETXTBSY; rust-lang/rust#114554). That is retried, nothing else.
fn run_in(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    let mut tries = 0;
    loop {
        let run = Command::new(bin)
            .current_dir(dir)
            .env_remove("ORIGIN_AUDIT_RULES")
            .env_remove("ORIGIN_AUDIT_DB")
            .args(args)
            .output();
        match run {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.unwrap(),
        }
    }
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

/// The demo batch copied into `dir` (batch.yaml and its two BOM files).
fn demo_into(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for e in std::fs::read_dir(repo().join("fixtures/demo")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
}

/// A sheet as strings, header row first.
fn sheet(path: &Path, name: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn column<'a>(rows: &'a [Vec<String>], header: &str) -> Vec<&'a str> {
    let i = rows[0].iter().position(|h| h == header).unwrap_or_else(|| panic!("no column `{header}` in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].as_str()).collect()
}

fn tally<'a>(values: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for v in values {
        *m.entry(v).or_default() += 1;
    }
    m
}

/// The XML of one worksheet part of an XLSX file (`xl/worksheets/sheetN.xml`).
fn sheet_xml(path: &Path, n: usize) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name(&format!("xl/worksheets/sheet{n}.xml")).unwrap().read_to_string(&mut xml).unwrap();
    xml
}

/// The hand-worked totals of fixtures/demo/EXPECTED.md: 13 goods, 8 qualified (1 C, 7 B), 3 not
/// qualified, 2 needs evidence.
fn assert_demo_goods(goods: &[Vec<String>]) {
    assert_eq!(goods.len() - 1, 13, "13 goods");
    let outcomes = tally(column(goods, "Determination"));
    assert_eq!(outcomes, BTreeMap::from([("needs-evidence", 2), ("not-qualified", 3), ("qualified", 8)]));
    let criteria = tally(column(goods, "Criterion").into_iter().filter(|c| !c.is_empty()));
    assert_eq!(criteria, BTreeMap::from([("B", 7), ("C", 1)]));
    let ids: Vec<&str> = column(goods, "Good");
    for id in ["CAL-BUS-2P", "SB-FR-3PT", "CP-HVAC-01", "CAL-TRC-1P", "RLY-MICRO-35"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
}

/// Issue 17, "Done when": installed into a temporary directory and run from another one with no
/// `--rules`, the binary audits the demo batch with its built-in pack (13 goods: 8 qualified, 3 not,
/// 2 needs evidence), records the pack as built-in with the digest of `rules/usmca`, and its XLSX output
/// opens with a reader crate holding the 13 goods and 20 findings, on sheets with filters and frozen headers.
#[test]
fn installed_binary_audits_the_demo_from_another_directory_with_the_built_in_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = install(&tmp.path().join("install"));
    let work = tmp.path().join("elsewhere");
    demo_into(&work.join("demo"));

    let out = ok(&run_in(&bin, &work, &["run", "demo/batch.yaml", "--format", "xlsx", "--out", "results.xlsx"]));
    let summary = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for line in ["goods audited 13", "originating 8 (criterion B: 7, C: 1)", "not originating 3", "needs evidence 2"] {
        assert!(summary.contains(line), "{line}: {out}");
    }

    let xlsx = work.join("results.xlsx");
    let goods = sheet(&xlsx, "Goods");
    assert_demo_goods(&goods);
    // 20 findings, per good as EXPECTED.md's table lists them (2 + 3 + 2 + 1 + 3 + 4 + 3 + 1 = 19), plus the
    // pack caveat (RULE_TRANSCRIPTION_CAVEAT) on GBX-6MT-PV, whose staging table is `incomplete`.
    let findings = sheet(&xlsx, "Findings");
    assert_eq!(findings.len() - 1, 20, "20 findings: {:?}", column(&findings, "Code"));
    let by_good = tally(column(&findings, "Good"));
    let expected = [
        ("CAL-BUS-2P", 2),
        ("SB-FR-3PT", 3),
        ("WH-IP-220", 2),
        ("LMP-FOG-LED", 1),
        ("ST-DRV-BKT", 3),
        ("GBX-6MT-PV", 1),
        ("SW-WIN-DRV", 4),
        ("CP-HVAC-01", 3),
        ("CAL-TRC-1P", 1),
    ];
    assert_eq!(by_good, BTreeMap::from(expected));
    let codes = column(&findings, "Code");
    assert!(codes.contains(&"TRANSIT_OUTSIDE_PARTIES") && codes.contains(&"MATERIAL_FACT_MISSING"), "{codes:?}");
    let materials = sheet(&xlsx, "Materials");
    assert_eq!(materials.len() - 1, 206, "the demo's 206 BOM lines");
    for n in 1..=3 {
        let xml = sheet_xml(&xlsx, n);
        assert!(xml.contains("<autoFilter ref=\"A1:"), "sheet {n} has a filter");
        assert!(xml.contains("state=\"frozen\""), "sheet {n} has a frozen header");
    }

    // The run records the pack it used: built in, with the digest of the very files of rules/usmca.
    let run =
        serde_json::from_str::<serde_json::Value>(&ok(&run_in(&bin, &work, &["runs", "list", "--format", "json"])))
            .unwrap()[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
    let show = ok(&run_in(&bin, &work, &["runs", "show", &run]));
    let dir_digest = origin_store::collect_inputs(
        &[],
        &PackSource::Dir(repo().join("rules/usmca")).files().unwrap(),
        origin_engine::input::FileScope::BatchDirectory,
        None,
    )
    .unwrap()
    .rules_digest;
    assert!(show.contains(&format!("from built-in (sha256 {dir_digest})")), "{show}");

    // The stored run exported as a workbook: the same goods and findings, with their review status.
    let out = ok(&run_in(&bin, &work, &["export", &run, "stored.xlsx", "--format", "xlsx"]));
    assert!(out.contains("13 goods, 20 findings"), "{out}");
    let stored = work.join("stored.xlsx");
    assert_demo_goods(&sheet(&stored, "Goods"));
    let findings = sheet(&stored, "Findings");
    assert_eq!(findings.len() - 1, 20);
    assert_eq!(tally(column(&findings, "Review status")), BTreeMap::from([("open", 20)]));
    assert_eq!(sheet(&stored, "Materials").len() - 1, 206);
}

/// Issue 17: "A missing `--rules` directory gives one true message" (not a second sentence claiming the
/// pack has errors), and says how to get back to the built-in pack.
#[test]
fn a_missing_rules_directory_gets_one_true_message() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = install(tmp.path());
    demo_into(&tmp.path().join("demo"));
    let o = run_in(&bin, tmp.path(), &["--rules", "no/such/pack", "run", "demo/batch.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the rule-pack directory `no/such/pack` does not exist"), "{err}");
    assert!(err.contains("leave out --rules"), "{err}");
    assert!(!err.contains("has errors"), "{err}");
    assert_eq!(err.matches("error").count(), 1, "{err}");
    assert!(!tmp.path().join("origin-audit.db").exists(), "nothing stored");
}

/// Issue 17: `rules export DIR` writes the built-in pack for editing: the same files as `rules/usmca`,
/// a clean `rules check`, usable with `--rules`; it never overwrites a pack being edited.
#[test]
fn rules_export_writes_the_built_in_pack_for_editing() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = install(tmp.path());
    let out = ok(&run_in(&bin, tmp.path(), &["rules", "export", "mypack"]));
    assert!(out.contains("mypack"), "{out}");
    let exported = PackFiles::read_dir(&tmp.path().join("mypack")).unwrap();
    assert_eq!(exported, PackFiles::read_dir(&repo().join("rules/usmca")).unwrap());
    let check = ok(&run_in(&bin, tmp.path(), &["rules", "check", "mypack"]));
    assert!(check.contains("valid."), "{check}");
    let explain = ok(&run_in(
        &bin,
        tmp.path(),
        &["--rules", "mypack", "rules", "explain", "8708.40", "--use", "passenger-vehicle", "--as-of", "2026-07-01"],
    ));
    assert!(explain.contains("8708.40"), "{explain}");
    let again = run_in(&bin, tmp.path(), &["rules", "export", "mypack"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing was written"));
}

/// Issue 17: `init DIR` writes a starter batch that `batch check` accepts as written, with the BOM
/// template as CSV and as XLSX holding the expected columns and one example row; the XLSX template is
/// valid batch input too.
#[test]
fn init_writes_a_starter_batch_that_batch_check_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = install(tmp.path());
    let out = ok(&run_in(&bin, tmp.path(), &["init", "starter"]));
    assert!(out.contains("batch check starter/batch.yaml"), "{out}");
    let dir = tmp.path().join("starter");
    let yaml = std::fs::read_to_string(dir.join("batch.yaml")).unwrap();
    assert!(yaml.starts_with("# Starter batch"), "a commented header");
    assert!(std::fs::read_to_string(dir.join("README.md")).unwrap().contains("origin-audit batch check batch.yaml"));

    let check = ok(&run_in(&bin, &dir, &["batch", "check", "batch.yaml"]));
    assert!(!check.contains("cannot be audited"), "{check}");

    let csv = std::fs::read_to_string(dir.join("bom.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "header and one example row");
    assert_eq!(lines[0], origin_cli::init_cmd::BOM_COLUMNS.join(","));
    let xlsx = sheet(&dir.join("bom.xlsx"), "BOM");
    assert_eq!(xlsx.len(), 2, "header and one example row");
    assert_eq!(xlsx[0], origin_cli::init_cmd::BOM_COLUMNS.map(String::from).to_vec());
    assert_eq!(column(&xlsx, "hs"), ["7214.99"], "HS kept as text");

    // Switched to the XLSX template, as its README says, the batch still checks and audits.
    std::fs::write(dir.join("batch.yaml"), yaml.replace("bom_files: [bom.csv]", "bom_files: [bom.xlsx]")).unwrap();
    let check = ok(&run_in(&bin, &dir, &["batch", "check", "batch.yaml"]));
    assert!(!check.contains("cannot be audited"), "{check}");
    ok(&run_in(&bin, &dir, &["run", "batch.yaml", "--quiet"]));

    let again = run_in(&bin, tmp.path(), &["init", "starter"]);
    assert_eq!(again.status.code(), Some(2), "never overwrites a batch being filled in");
}

/// Issue 17: shell completions and man pages generated from the command definitions.
#[test]
fn completions_and_man_pages_come_from_the_command_definitions() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = install(tmp.path());
    let bash = ok(&run_in(&bin, tmp.path(), &["completions", "bash"]));
    assert!(bash.contains("_origin__audit()") && bash.contains("complete -F _origin__audit"), "{bash}");
    assert!(bash.contains("init") && bash.contains("completions") && bash.contains("--rules"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(ok(&run_in(&bin, tmp.path(), &["completions", shell])).contains("origin-audit"), "{shell}");
    }
    let man = ok(&run_in(&bin, tmp.path(), &["man"]));
    assert!(man.starts_with(".ie") || man.contains(".TH origin-audit"), "{man}");
    assert!(man.contains("built into this binary"), "the --rules option is documented");
    ok(&run_in(&bin, tmp.path(), &["man", "--dir", "man1"]));
    let run_page = std::fs::read_to_string(tmp.path().join("man1/origin-audit-run.1")).unwrap();
    assert!(run_page.contains("xlsx"), "{run_page}");
    assert!(tmp.path().join("man1/origin-audit-rules-export.1").is_file());
}

/// Issue 17: progress is drawn only on a terminal; piped, stderr carries no progress line.
#[test]
fn piped_runs_print_no_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = install(tmp.path());
    demo_into(&tmp.path().join("demo"));
    let o = run_in(&bin, tmp.path(), &["run", "demo/batch.yaml"]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("auditing") && !err.contains('\r'), "{err}");
}
