//! Hostile batch input (issue 13): a batch reads only its own files (item 2), and the small things of
//! item 9 (a YAML batch with a UTF-8 byte order mark, a CSV header naming a column twice).
//!
//! Reproductions on main: `bom_files: ["../../../../some/other/tenant.csv"]` was read, and its rows
//! audited; the error for a missing outside file differed from the one for a present one; a YAML file
//! saved with a byte order mark was "more than one document"; a CSV header with `hs` twice silently
//! took the second column.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use origin_engine::input::{FileScope, GoodInput, load_batch, load_batch_in};

/// csv-bom.yaml with its `bom_files` entry replaced by `entry`, written as `dir/batch.yaml`.
fn batch_naming(dir: &Path, entry: &str) -> PathBuf {
    let yaml = std::fs::read_to_string(fixture("csv-bom.yaml"))
        .unwrap()
        .replace("[csv-bom.csv]", &format!("[{}]", serde_json::to_string(entry).unwrap()));
    let path = dir.join("batch.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// The one header error of a refused batch.
fn refusal(path: &Path) -> origin_engine::input::InputError {
    let err = load_batch(path).expect_err("the entry is refused");
    assert_eq!(err.0.len(), 1, "{err}");
    err.0[0].clone()
}

/// Reproduction of item 2: a batch naming `../other-tenant/bom.csv` (a real CSV with rows for this
/// batch's goods) is refused before the file is read, and the error is the same whether the file
/// exists or not, so it tells nothing about the other directory.
#[test]
fn a_bom_file_outside_the_batch_directory_is_refused_and_its_existence_not_told() {
    let root = tempfile::tempdir().unwrap();
    let tenant = root.path().join("other-tenant");
    std::fs::create_dir_all(&tenant).unwrap();
    std::fs::copy(fixture("csv-bom.csv"), tenant.join("bom.csv")).unwrap();
    let mine = root.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();

    let present = refusal(&batch_naming(&mine, "../other-tenant/bom.csv"));
    assert_eq!(present.field, "batch.bom_files[0]");
    assert!(present.line.is_some(), "located on the line of `bom_files`");
    assert!(present.message.contains("not a path inside the batch's directory"), "{}", present.message);
    assert!(present.help.contains("--allow-outside"), "{}", present.help);
    let absent = refusal(&batch_naming(&mine, "../other-tenant/none.csv"));
    assert_eq!(
        present.message.replace("bom.csv", "X"),
        absent.message.replace("none.csv", "X"),
        "the same answer whether or not the file exists"
    );
}

/// Absolute paths are refused the same way.
#[test]
fn an_absolute_bom_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let abs = fixture("csv-bom.csv").canonicalize().unwrap();
    let e = refusal(&batch_naming(dir.path(), abs.to_str().unwrap()));
    assert!(e.message.contains("not a path inside"), "{}", e.message);
}

/// A symbolic link inside the batch's directory that leads out of it is refused too.
#[cfg(unix)]
#[test]
fn a_symbolic_link_leading_outside_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(fixture("csv-bom.csv").canonicalize().unwrap(), dir.path().join("link.csv")).unwrap();
    let e = refusal(&batch_naming(dir.path(), "link.csv"));
    assert!(e.message.contains("leads outside"), "{}", e.message);
}

/// A BOM file in a folder under the batch (`boms/bom.csv`) is inside and is read: good `boiler-csv`
/// gets criterion B as from csv-bom.csv beside the batch (see input_errors.rs).
#[test]
fn a_bom_file_in_a_folder_under_the_batch_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("boms")).unwrap();
    std::fs::copy(fixture("csv-bom.csv"), dir.path().join("boms/bom.csv")).unwrap();
    let batch = load_batch(&batch_naming(dir.path(), "boms/bom.csv")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(criterion(good(&run(&batch), "boiler-csv")), Some('B'));
}

/// The command line's `--allow-outside` ([`FileScope::Anywhere`]) reads `..` paths as before.
#[test]
fn allow_outside_reads_a_parent_directory_file() {
    let root = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("csv-bom.csv"), root.path().join("bom.csv")).unwrap();
    let mine = root.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    let path = batch_naming(&mine, "../bom.csv");
    assert!(load_batch(&path).is_err(), "refused by default");
    let batch = load_batch_in(&path, FileScope::Anywhere).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(criterion(good(&run(&batch), "boiler-csv")), Some('B'));
}

/// Item 9: a YAML batch saved with a UTF-8 byte order mark reads like the same file without it,
/// lines unchanged.
#[test]
fn a_yaml_batch_with_a_utf8_byte_order_mark_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("csv-bom.yaml")).unwrap();
    std::fs::copy(fixture("csv-bom.csv"), dir.path().join("csv-bom.csv")).unwrap();
    let path = dir.path().join("batch.yaml");
    std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    let batch = load_batch(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(criterion(good(&run(&batch), "boiler-csv")), Some('B'));

    // A malformed file gives the same located error with or without the mark.
    let broken = text.replace("  id: csv-bom\n", "  id: [csv-bom\n");
    std::fs::write(&path, &broken).unwrap();
    let plain = load_batch(&path).expect_err("malformed");
    std::fs::write(&path, format!("\u{feff}{broken}")).unwrap();
    let marked = load_batch(&path).expect_err("malformed");
    assert_eq!(marked.0[0].line, plain.0[0].line, "{marked}");
    assert_eq!(marked.0[0].message, plain.0[0].message);
}

/// Item 9: a CSV header naming `hs` twice (Excel users add a corrected column at the end) is a
/// located error on row 1 naming the column, not a silent choice of the second column.
#[test]
fn a_csv_header_naming_a_column_twice_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let csv = std::fs::read_to_string(fixture("csv-bom.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    lines[0].push_str(",HS");
    for l in lines.iter_mut().skip(1) {
        l.push_str(",9999.99");
    }
    std::fs::write(dir.path().join("csv-bom.csv"), lines.join("\n") + "\n").unwrap();
    let path = dir.path().join("batch.yaml");
    std::fs::copy(fixture("csv-bom.yaml"), &path).unwrap();
    let err = load_batch(&path).expect_err("a duplicate column stops the batch");
    let e = &err.0[0];
    assert_eq!((e.line, e.field.as_str()), (Some(1), "hs"), "{e:?}");
    assert!(e.file.ends_with("csv-bom.csv"));
    assert!(e.message.contains("columns 5 and 12"), "{}", e.message);
}

/// A misspelt column (`certificaton`) used to be dropped in silence: every certification of the file
/// vanished and certified materials counted as non-originating, a different determination with no
/// error. Now the header row is refused at row 1, naming the column and the columns a BOM file has.
#[test]
fn a_misspelt_bom_column_is_a_located_error_not_a_silent_drop() {
    let dir = tempfile::tempdir().unwrap();
    let csv = std::fs::read_to_string(fixture("csv-bom.csv")).unwrap();
    let misspelt = csv.replacen("certification", "certificaton", 1);
    std::fs::write(dir.path().join("csv-bom.csv"), misspelt).unwrap();
    let path = dir.path().join("batch.yaml");
    std::fs::copy(fixture("csv-bom.yaml"), &path).unwrap();
    let err = load_batch(&path).expect_err("an unknown column stops the batch");
    let e = &err.0[0];
    assert_eq!((e.line, e.field.as_str()), (Some(1), "certificaton"), "{e:?}");
    assert!(e.file.ends_with("csv-bom.csv"));
    assert!(e.help.contains("certification"), "{}", e.help);
}

/// A batch that reads is unaffected: the fixture's own BOM beside it still reads (no good is invalid
/// apart from the fixture's deliberately bad one).
#[test]
fn a_bom_file_beside_the_batch_still_reads() {
    let batch = load_batch(&fixture("csv-bom.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let invalid: Vec<&str> =
        batch.goods.iter().filter(|g| matches!(g, GoodInput::Invalid { .. })).map(|g| g.id()).collect();
    assert_eq!(invalid, vec!["bad-csv"]);
}
