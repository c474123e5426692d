#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The invalid rule-pack corpus: each case in `tests/invalid/NN-name/` holds only the files that differ
//! from the valid pack `fixtures/rules/minimal` (and an `expect.txt`). The test lays the case over a copy
//! of the minimal pack, loads it, snapshots every diagnostic as `rules check` renders it, and checks in
//! code that the expected diagnostics are there, in the right file and on the right line.
//!
//! `expect.txt`, one directive a line (`#` starts a comment):
//! - `error CODE FILE LINE` / `warning CODE FILE LINE`: a diagnostic that must be reported (`LINE` is
//!   `-` when the diagnostic has no line, such as a missing file);
//! - `errors N` / `warnings N`: exactly that many errors / warnings;
//! - `delete FILE`: remove that file of the minimal pack before loading.

use std::path::{Path, PathBuf};

use origin_rules::{Diagnostic, Severity, load_pack};

fn minimal_pack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/minimal")
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid")
}

/// Copies the directory `from` into `to`, recursively, skipping `skip` (file names).
fn copy_dir(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == **s) {
            continue;
        }
        let dest = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest, skip);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// One expected diagnostic.
#[derive(Debug)]
struct Expected {
    severity: Severity,
    code: String,
    file: PathBuf,
    line: Option<usize>,
}

/// The content of an `expect.txt`.
#[derive(Debug, Default)]
struct Expect {
    deletes: Vec<String>,
    diagnostics: Vec<Expected>,
    errors: Option<usize>,
    warnings: Option<usize>,
    comment: Vec<String>,
}

fn parse_expect(text: &str) -> Expect {
    let mut e = Expect::default();
    for raw in text.lines() {
        let line = raw.trim();
        if let Some(c) = line.strip_prefix('#') {
            e.comment.push(c.trim().to_string());
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            ["delete", file] => e.deletes.push((*file).to_string()),
            ["errors", n] => e.errors = Some(n.parse().unwrap()),
            ["warnings", n] => e.warnings = Some(n.parse().unwrap()),
            [sev @ ("error" | "warning"), code, file, line] => e.diagnostics.push(Expected {
                severity: if *sev == "error" { Severity::Error } else { Severity::Warning },
                code: (*code).to_string(),
                file: PathBuf::from(file),
                line: if *line == "-" { None } else { Some(line.parse().unwrap()) },
            }),
            other => panic!("bad expect.txt line: {other:?}"),
        }
    }
    e
}

/// Every diagnostic rendered as `rules check` prints it, with the temporary directory shown as `<pack>`.
fn render_all(diags: &[Diagnostic], dir: &Path) -> String {
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diags.len() - errors;
    let mut out = format!("{errors} error(s), {warnings} warning(s)\n\n");
    for d in diags {
        out.push_str(&d.render(dir));
        out.push('\n');
    }
    out.replace(&dir.display().to_string(), "<pack>")
}

/// Loads the minimal pack with case `name` laid over it, snapshots the rendered diagnostics, and checks
/// them against the case's `expect.txt`.
fn check(name: &str) {
    let case = corpus().join(name);
    assert!(case.is_dir(), "no case directory {}", case.display());
    let expect = parse_expect(&std::fs::read_to_string(case.join("expect.txt")).unwrap());
    assert!(!expect.diagnostics.is_empty(), "{name}: expect.txt names no diagnostic");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pack");
    copy_dir(&minimal_pack(), &dir, &[]);
    copy_dir(&case, &dir, &["expect.txt"]);
    for file in &expect.deletes {
        std::fs::remove_file(dir.join(file)).unwrap();
    }

    let loaded = load_pack(&dir);
    let diags = &loaded.diagnostics;
    let text = render_all(diags, &dir);

    let mut failures = Vec::new();
    for e in &expect.diagnostics {
        let found =
            diags.iter().any(|d| d.severity == e.severity && d.code == e.code && d.file == e.file && d.line == e.line);
        if !found {
            failures.push(format!(
                "missing {:?} `{}` in {} at line {:?}",
                e.severity,
                e.code,
                e.file.display(),
                e.line
            ));
        }
    }
    let errors = loaded.error_count();
    let warnings = diags.len() - errors;
    if let Some(n) = expect.errors
        && n != errors
    {
        failures.push(format!("expected {n} error(s), got {errors}"));
    }
    if let Some(n) = expect.warnings
        && n != warnings
    {
        failures.push(format!("expected {n} warning(s), got {warnings}"));
    }
    // A pack with an error yields no rule set; a pack with warnings only still loads.
    if errors > 0 && loaded.rules.is_some() {
        failures.push("the pack has errors but a rule set was returned".into());
    }
    if errors == 0 && loaded.rules.is_none() {
        failures.push("the pack has no error but no rule set was returned".into());
    }
    // Every diagnostic names a file of the pack; every one with a line points inside that file.
    for d in diags {
        if let Some(l) = d.line {
            let src = std::fs::read_to_string(dir.join(&d.file)).unwrap_or_default();
            if l == 0 || l > src.lines().count() {
                failures.push(format!("`{}` points at line {l}, outside {}", d.code, d.file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{name}:\n  {}\n\nrendered:\n{text}", failures.join("\n  "));

    // Only once the expectations hold is the rendering compared with (or written to) its snapshot.
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/invalid");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(describe(&case, &expect));
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// The case's comments: those of `expect.txt`, then the first-line comment of each file laid over the pack.
fn describe(case: &Path, expect: &Expect) -> String {
    let mut lines = expect.comment.clone();
    let mut files = Vec::new();
    collect_files(case, &mut files);
    files.sort();
    for f in files {
        if f.file_name().is_some_and(|n| n == "expect.txt") {
            continue;
        }
        let first = std::fs::read_to_string(&f).unwrap_or_default().lines().next().unwrap_or_default().to_string();
        if let Some(c) = first.strip_prefix('#') {
            let rel = f.strip_prefix(case).unwrap_or(&f).display().to_string();
            lines.push(format!("{rel}: {}", c.trim()));
        }
    }
    lines.join("\n")
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { collect_files(&path, out) } else { out.push(path) }
    }
}

macro_rules! cases {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check($dir);
            }
        )*

        /// Every directory of the corpus has its test (a new case cannot be silently skipped).
        #[test]
        fn every_case_directory_is_listed() {
            let listed = [$($dir),*];
            let mut dirs: Vec<String> = std::fs::read_dir(corpus())
                .unwrap()
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().unwrap().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            for d in &dirs {
                assert!(listed.contains(&d.as_str()), "tests/invalid/{d} has no test in invalid_packs.rs");
            }
            assert!(dirs.len() >= 25, "the corpus must hold at least 25 cases, it holds {}", dirs.len());
        }
    };
}

cases! {
    c01_yaml_bad_indentation => "01-yaml-bad-indentation",
    c02_yaml_unclosed_bracket => "02-yaml-unclosed-bracket",
    c03_unknown_field_rule => "03-unknown-field-rule",
    c04_unknown_field_alternative => "04-unknown-field-alternative",
    c05_unknown_field_in_shift => "05-unknown-field-in-shift",
    c06_bad_hs_short_group => "06-bad-hs-short-group",
    c07_bad_hs_dot_after_chapter => "07-bad-hs-dot-after-chapter",
    c08_bad_hs_letters => "08-bad-hs-letters",
    c09_reversed_range => "09-reversed-range",
    c10_mixed_level_range => "10-mixed-level-range",
    c11_overlapping_rules_same_code => "11-overlapping-rules-same-code",
    c12_overlapping_dated_variants => "12-overlapping-dated-variants",
    c13_threshold_above_100 => "13-threshold-above-100",
    c14_threshold_negative => "14-threshold-negative",
    c15_tv_not_above_nc => "15-tv-not-above-nc",
    c16_empty_rvc => "16-empty-rvc",
    c17_threshold_with_percent_sign => "17-threshold-with-percent-sign",
    c18_unknown_country_in_group => "18-unknown-country-in-group",
    c19_unknown_group_in_corridor => "19-unknown-group-in-corridor",
    c20_unknown_operation => "20-unknown-operation",
    c21_unknown_source_in_citation => "21-unknown-source-in-citation",
    c22_effective_to_before_from => "22-effective-to-before-from",
    c23_duplicate_id_across_files => "23-duplicate-id-across-files",
    c24_no_alternatives => "24-no-alternatives",
    c25_no_citation => "25-no-citation",
    c26_empty_citation_ref => "26-empty-citation-ref",
    c27_no_text => "27-no-text",
    c28_alternative_requires_nothing => "28-alternative-requires-nothing",
    c29_shift_and_no_change_required => "29-shift-and-no-change-required",
    c30_rvc_without_shift => "30-rvc-without-shift",
    c31_bad_use => "31-bad-use",
    c32_bad_shift_level => "32-bad-shift-level",
    c33_good_kind_and_other_than => "33-good-kind-and-other-than",
    c34_missing_general_file => "34-missing-general-file",
    c35_staging_steps_out_of_order => "35-staging-steps-out-of-order",
    c36_chapter_number_wrong => "36-chapter-number-wrong",
    c37_several_errors_in_one_file => "37-several-errors-in-one-file",
    c38_bad_entry_does_not_hide_later_entries => "38-bad-entry-does-not-hide-later-entries",
    c39_more_than_one_of_single_item => "39-more-than-one-of-single-item",
    c40_incomplete_without_missing => "40-incomplete-without-missing",
    c41_bad_date => "41-bad-date",
    c42_misnamed_file => "42-misnamed-file",
    c43_bad_motor_vehicle_provisions => "43-bad-motor-vehicle-provisions",
    c44_shift_names_no_source => "44-shift-names-no-source",
    c45_broken_pack_yaml_does_not_hide_rule_errors => "45-broken-pack-yaml-does-not-hide-rule-errors",
    c46_undeclared_kind_in_rule => "46-undeclared-kind-in-rule",
    c47_kind_spelling_names_two_kinds => "47-kind-spelling-names-two-kinds",
    c48_kind_without_kinds_file => "48-kind-without-kinds-file",
    c49_alternative_codes_outside_rule => "49-alternative-codes-outside-rule",
}
