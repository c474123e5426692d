//! `run --out /dev/null` (as the benchmarks write it) must not replace the device: the report is written
//! through a temporary file and a rename only when the target is a regular file. Seen on this machine:
//! run as root, the rename turned /dev/null into a plain file and PostgreSQL's initdb then failed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use origin_engine::run::{write_atomically, write_json_atomically};

#[test]
fn a_report_written_to_dev_null_leaves_the_device_in_place() {
    let null = Path::new("/dev/null");
    assert!(std::fs::metadata(null).unwrap().file_type().is_char_device(), "/dev/null is not a device before the test");
    write_atomically(null, b"{}").unwrap();
    write_json_atomically(null, &serde_json::json!({"goods": []})).unwrap();
    assert!(std::fs::metadata(null).unwrap().file_type().is_char_device(), "/dev/null was replaced");
}

/// A regular file is still replaced whole, through a temporary file that does not stay behind.
#[test]
fn a_report_file_is_replaced_whole_and_no_temporary_file_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, "old, longer content").unwrap();
    write_atomically(&path, b"{}").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("report.json")]);
}

/// The streamed report's file: renamed into place only when committed; dropped before (a failed or
/// cancelled run), no file and no temporary file stays; written to /dev/null, the device stays.
#[test]
fn a_streamed_report_appears_only_when_committed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/report.json");
    let mut f = origin_engine::sink::AtomicFile::create(&path).unwrap();
    f.write_all(b"{\"goods\":[").unwrap();
    drop(f);
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path().join("out")).unwrap().count(), 0, "no temporary file stays");
    let mut f = origin_engine::sink::AtomicFile::create(&path).unwrap();
    f.write_all(b"{}").unwrap();
    assert!(!path.exists(), "not there before the commit");
    f.commit().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
    let mut f = origin_engine::sink::AtomicFile::create(Path::new("/dev/null")).unwrap();
    f.write_all(b"{}").unwrap();
    f.commit().unwrap();
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device(), "/dev/null was replaced");
}
