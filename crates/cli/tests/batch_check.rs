//! `batch check` (issue 11 items 3 and 4): provenance build errors and overflowing values are located
//! problems of the batch, never "0 problems" and never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use origin_cli::batch_cmd::check;
use origin_cli::exit;

/// The demo batch with `f` applied, written beside copies of its BOM files; `batch check`'s output and
/// exit code.
fn check_demo_with(f: impl Fn(&str) -> String) -> (String, i32) {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo");
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&demo).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    let text = std::fs::read_to_string(demo.join("batch.yaml")).unwrap();
    let changed = f(&text);
    assert_ne!(changed, text);
    let path = dir.path().join("batch.yaml");
    std::fs::write(&path, changed).unwrap();
    let mut out = Vec::new();
    let code =
        check(&path, &origin_rules::PackSource::BuiltIn, origin_engine::input::FileScope::BatchDirectory, &mut out)
            .unwrap();
    (String::from_utf8(out).unwrap(), code)
}

/// Issue 11 item 3 reproduction: `batch check` reported cyclic provenance as "0 problems".
#[test]
fn batch_check_reports_cyclic_provenance_with_its_line() {
    let (out, code) = check_demo_with(|t| {
        t.replace(
            "  transformations:\n",
            "  transformations:\n    - { id: TR-LOOP, inputs: [{ lot: HSG-MX-2609, quantity: 1 }], output: BAR-CN-2607, site: CN-TJ-MILL, operation: forging, date: 2026-07-06 }\n",
        )
    });
    assert_eq!(code, exit::INVALID, "{out}");
    assert!(out.contains("cycle") && out.contains("`provenance.transformations["), "{out}");
    assert!(!out.contains("; 0 problems"), "{out}");
}

/// A dangling shipment is a located problem of `batch check`, as `run` reports it.
#[test]
fn batch_check_reports_a_dangling_shipment() {
    let (out, code) = check_demo_with(|t| {
        t.replace(
            "  shipments:\n",
            "  shipments:\n    - { id: SH-GHOST, lot: NO-SUCH-LOT, from: CN-TJ-MILL, to: VN-HPH-WH, departed: 2026-07-20, arrived: 2026-08-07, document: \"BL X\", customs_control: false }\n",
        )
    });
    assert_eq!(code, exit::INVALID, "{out}");
    assert!(out.contains("`provenance.shipments[0]`") && out.contains("NO-SUCH-LOT"), "{out}");
    assert!(out.contains("; 1 problem\n"), "{out}");
}

/// Issue 11 item 4 reproduction: decimal overflow made `batch check` panic (exit 101).
#[test]
fn batch_check_reports_decimal_overflow_instead_of_panicking() {
    let (out, code) = check_demo_with(|t| {
        t.replacen("quantity: 11.2, unit_value: 1.10", "quantity: 1000000000000000, unit_value: 1000000000000000", 1)
    });
    assert_eq!(code, exit::INVALID, "{out}");
    assert!(out.contains("materials[0].unit_value") && out.contains("largest value accepted"), "{out}");
}
