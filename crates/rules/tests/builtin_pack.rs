//! Issue 17: the USMCA pack is built into the crate from `rules/usmca`, every file of it (walked
//! generically at build time, so a new chapter or data file is in the binary without a hand list), and
//! it loads with the same result and diagnostics as the directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::path::{Path, PathBuf};

use origin_rules::{PackFiles, PackSource, Severity, load_files, load_pack};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/usmca")
}

#[test]
fn built_in_pack_holds_every_file_of_rules_usmca() {
    let built_in = PackFiles::builtin();
    let on_disk = PackFiles::read_dir(&dir()).unwrap();
    let names = |p: &PackFiles| p.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&built_in), names(&on_disk));
    assert_eq!(built_in, on_disk, "same bytes");
    assert!(built_in.get("pack.yaml").is_some() && built_in.iter().any(|(n, _)| n.starts_with("psr/")));
}

#[test]
fn built_in_pack_loads_as_the_directory_does() {
    let built_in = PackSource::BuiltIn.load();
    let from_dir = load_pack(&dir());
    let (a, b) = (built_in.rules.expect("the built-in pack loads"), from_dir.rules.expect("the directory loads"));
    assert_eq!(a.pack.id, "usmca");
    assert_eq!(a.rules.len(), b.rules.len());
    assert_eq!(built_in.diagnostics, from_dir.diagnostics, "same warnings, same file names");
}

/// The embedded loader gives the diagnostics a directory gives, with file names as in the pack.
#[test]
fn files_in_memory_get_located_diagnostics() {
    let mut pairs: Vec<(String, Vec<u8>)> =
        PackFiles::builtin().iter().map(|(n, b)| (n.to_string(), b.to_vec())).collect();
    for (name, bytes) in &mut pairs {
        if name == "psr/ch87.yaml" {
            let text = String::from_utf8(bytes.clone()).unwrap().replacen("rvc: { nc: 75 }", "rvc: { nc: 175 }", 1);
            *bytes = text.into_bytes();
        }
    }
    pairs.retain(|(n, _)| n != "general.yaml");
    let files = PackFiles::from_pairs(pairs.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    let loaded = load_files(&files);
    assert!(loaded.rules.is_none());
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    let range = errors.iter().find(|d| d.code == "threshold-out-of-range").expect("the bad threshold");
    assert_eq!(range.file, Path::new("psr/ch87.yaml"));
    assert!(range.line.is_some());
    assert!(errors.iter().any(|d| d.code == "missing-file" && d.file == Path::new("general.yaml")));
}

#[test]
fn a_missing_directory_is_one_error_saying_so() {
    let loaded = load_pack(Path::new("no/such/pack"));
    assert_eq!(loaded.diagnostics.len(), 1);
    let d = &loaded.diagnostics[0];
    assert_eq!(d.code, "missing-pack");
    assert!(d.message.contains("does not exist"), "{}", d.message);
}
