#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 14 item 5: one located diagnostic for rules, batch input and provenance, printed the same
//! way by every command a user runs: `severity[code]: message`, `--> file:line:column (at `field`)`,
//! the source line with the value underlined, and `= help: ...`.
//!
//! Each test writes a broken file, runs the command on it and checks the printed location, line and
//! help. The lines and columns are counted by hand from the text written here (noted beside each).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use origin_cli::exit;
use origin_engine::input::FileScope;
use origin_rules::PackSource;

/// The two parties every batch below names (lines 10 and 11 of each batch).
const PARTIES: &str = r#"parties:
  - { id: prod, name: "Aceros del Norte SA de CV", title: "Compliance Director", address: "Av. Industrial 100, Monterrey, NL", country: MX, phone: "+52 81 5555 0100", email: "origen@aceros.example" }
  - { id: imp, name: "Lakeside Imports Inc", address: "1 Harbor Rd, Detroit, MI", country: US, phone: "+1 313 555 0100", email: "imports@lakeside.example" }
"#;

/// `batch check` on `path` with the built-in pack: (exit code, output).
fn batch_check(path: &Path) -> (i32, String) {
    let mut out = Vec::new();
    let code = origin_cli::batch_cmd::check(path, &PackSource::BuiltIn, FileScope::BatchDirectory, &mut out).unwrap();
    (code, String::from_utf8(out).unwrap())
}

/// Writes `text` as `name` in `dir`.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The binary run in `dir` with the built-in pack and a database in `dir`.
fn binary(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_origin-audit"))
        .current_dir(dir)
        .env_remove("ORIGIN_AUDIT_RULES")
        .env_remove("ORIGIN_AUDIT_DB")
        .args(args)
        .output()
        .unwrap()
}

/// `rules check` on a copy of the minimal pack whose first `rvc: { tv: 60, nc: 50 }` (psr/ch85.yaml,
/// line 23) reads `tv: 600`: `        rvc: { tv: ` is 19 characters, so `600` starts at column 20.
#[test]
fn rules_check_prints_the_file_line_column_source_line_and_help() {
    let minimal = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/minimal");
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    std::fs::create_dir_all(pack.join("psr")).unwrap();
    for entry in ["automotive.yaml", "country-groups.yaml", "general.yaml", "hs2022-hs2017.csv", "kinds.yaml"] {
        std::fs::copy(minimal.join(entry), pack.join(entry)).unwrap();
    }
    for entry in ["pack.yaml", "transformation-policy.yaml", "psr/ch87.yaml"] {
        std::fs::copy(minimal.join(entry), pack.join(entry)).unwrap();
    }
    let ch85 = std::fs::read_to_string(minimal.join("psr/ch85.yaml")).unwrap();
    assert_eq!(ch85.lines().nth(22), Some("        rvc: { tv: 60, nc: 50 }"), "the fixture changed");
    std::fs::write(pack.join("psr/ch85.yaml"), ch85.replacen("rvc: { tv: 60, nc: 50 }", "rvc: { tv: 600, nc: 50 }", 1))
        .unwrap();
    let mut out = Vec::new();
    let code = origin_cli::rules_cmd::check(
        &PackSource::Dir(pack.clone()),
        origin_cli::rules_cmd::CheckFormat::Text,
        &mut out,
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, exit::INVALID, "{out}");
    let expected = format!(
        "error[threshold-out-of-range]: `600` is outside 0-100\n  --> {}:23:20 (at `rules[0].alternatives[1].rvc.tv`)\n   |\n23 |         rvc: {{ tv: 600, nc: 50 }}\n   |                    ^^^\n  = help: percentages are plain numbers between 0 and 100, such as `60` or `62.5`\n",
        pack.join("psr/ch85.yaml").display()
    );
    assert!(out.contains(&expected), "expected\n{expected}\nin\n{out}");
}

/// `batch check` on a YAML batch whose second BOM line (line 22) has `quantity: 0`: the value starts at
/// column 75 of that line.
#[test]
fn batch_check_prints_a_yaml_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"batch:
  id: located-yaml
  importing_party: US
  as_of: 2026-11-01
  currency: USD
  certifier: prod
  exporter: prod
  importer: imp
{PARTIES}goods:
  - id: boiler
    description: "parts of boilers"
    hs: "8402.90"
    producer: prod
    place_of_production: MX
    currency: USD
    transaction_value: 100
    materials:
      - {{ line: L01, description: "steel plate", hs: "7208.51", quantity: 2, unit_value: 15, currency: USD, origin: US }}
      - {{ line: L02, description: "boiler tube", hs: "8402.90", quantity: 0, unit_value: 40, currency: USD, origin: CN }}
"#
    );
    let line = "      - { line: L02, description: \"boiler tube\", hs: \"8402.90\", quantity: 0, unit_value: 40, currency: USD, origin: CN }";
    assert_eq!(text.lines().nth(21), Some(line));
    let path = write(dir.path(), "batch.yaml", &text);
    let (code, out) = batch_check(&path);
    assert_eq!(code, exit::INVALID, "{out}");
    let expected = format!(
        "good `boiler` cannot be audited:\nerror[batch-input]: the quantity must be positive\n  --> {}:22:75 (at `goods[0].materials[1].quantity`, good `boiler`)\n   |\n22 | {line}\n   | {}^\n  = help: state the quantity per good\n",
        path.display(),
        " ".repeat(74)
    );
    assert!(out.contains(&expected), "expected\n{expected}\nin\n{out}");
    assert!(out.ends_with("; 1 problem\n"), "{out}");
}

/// `batch check` on a JSON batch whose header names `CN` as the importing Party (line 4,
/// `    "importing_party": ` is 23 characters, so `"CN"` starts at column 24 and spans 4).
#[test]
fn batch_check_prints_a_json_header_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{
  "batch": {
    "id": "located-json",
    "importing_party": "CN",
    "as_of": "2026-11-01",
    "currency": "USD",
    "certifier": "prod",
    "exporter": "prod",
    "importer": "imp"
  },
  "parties": [
    { "id": "prod", "name": "Aceros del Norte SA de CV", "title": "Compliance Director", "address": "Av. Industrial 100, Monterrey, NL", "country": "MX", "phone": "+52 81 5555 0100", "email": "origen@aceros.example" },
    { "id": "imp", "name": "Lakeside Imports Inc", "address": "1 Harbor Rd, Detroit, MI", "country": "US", "phone": "+1 313 555 0100", "email": "imports@lakeside.example" }
  ],
  "goods": [
    { "id": "boiler", "description": "parts of boilers", "hs": "8402.90", "producer": "prod", "place_of_production": "MX", "currency": "USD", "transaction_value": 100, "wholly_obtained": true }
  ]
}
"#;
    let path = write(dir.path(), "batch.json", text);
    let (code, out) = batch_check(&path);
    assert_eq!(code, exit::INVALID, "{out}");
    let expected = format!(
        "the batch cannot be audited; nothing was written:\n\nerror[batch-input]: `CN` is not a USMCA Party\n  --> {}:4:24 (at `batch.importing_party`)\n  |\n4 |     \"importing_party\": \"CN\",\n  | {}^^^^\n  = help: write `US`, `MX` or `CA`\n",
        path.display(),
        " ".repeat(23)
    );
    assert!(out.starts_with(&expected), "expected\n{expected}\nin\n{out}");
}

/// `batch check` on a batch whose BOM comes from a CSV file with `two` as a quantity: row 3 of the
/// CSV; `boiler,L02,P-2,boiler tube,8402.90,` is 35 characters, so the cell starts at column 36 and
/// spans 3. The line shown is the CSV file's.
#[test]
fn batch_check_prints_a_csv_error_with_the_row_of_the_bom_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "good,line,part,description,hs,quantity,unit_value,currency,origin,supplier,certification\n\
               boiler,L01,P-1,steel plate,7208.51,2,15.00,USD,US,,\n\
               boiler,L02,P-2,boiler tube,8402.90,two,40.00,USD,CN,dragon,\n";
    let bom = write(dir.path(), "bom.csv", csv);
    let text = format!(
        r#"batch:
  id: located-csv
  importing_party: US
  as_of: 2026-11-01
  currency: USD
  certifier: prod
  exporter: prod
  importer: imp
  bom_files: [bom.csv]
{PARTIES}goods:
  - id: boiler
    description: "parts of boilers"
    hs: "8402.90"
    producer: prod
    place_of_production: MX
    currency: USD
    transaction_value: 100
"#
    );
    let path = write(dir.path(), "batch.yaml", &text);
    let (code, out) = batch_check(&path);
    assert_eq!(code, exit::INVALID, "{out}");
    let expected = format!(
        "error[bom-input]: `two` is not a number\n  --> {}:3:36 (at `quantity`, good `boiler`)\n  |\n3 | boiler,L02,P-2,boiler tube,8402.90,two,40.00,USD,CN,dragon,\n  | {}^^^\n  = help: write the quantity per good\n",
        bom.display(),
        " ".repeat(35)
    );
    assert!(out.contains(&expected), "expected\n{expected}\nin\n{out}");
}

/// `batch check` on a batch whose provenance ships a lot nobody declared: the shipment's record is
/// line 21 of the batch. A record is located at its first key (as rule-pack records are): `    - { `
/// is 8 characters, so `id` starts at column 9.
#[test]
fn batch_check_prints_a_provenance_error_with_the_line_of_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"batch:
  id: located-provenance
  importing_party: US
  as_of: 2026-11-01
  currency: USD
  certifier: prod
  exporter: prod
  importer: imp
{PARTIES}goods:
  - {{ id: boiler, description: "parts of boilers", hs: "8402.90", producer: prod, place_of_production: MX, currency: USD, transaction_value: 100, wholly_obtained: true }}
provenance:
  sites:
    - {{ id: MX-PLANT, country: MX, kind: plant, operator: "Planta Norte" }}
    - {{ id: US-PORT, country: US, kind: port, operator: "Port of Laredo" }}
  lots:
    - {{ id: LOT-1, hs: "7208.51", quantity: 10, unit: kg, site: MX-PLANT, date: 2026-07-06, declared_origin: MX }}
  shipments:
    - {{ id: SH-1, lot: NO-SUCH-LOT, from: MX-PLANT, to: US-PORT, departed: 2026-07-20, arrived: 2026-07-22, document: "BL 1", customs_control: false }}
"#
    );
    let line = "    - { id: SH-1, lot: NO-SUCH-LOT, from: MX-PLANT, to: US-PORT, departed: 2026-07-20, arrived: 2026-07-22, document: \"BL 1\", customs_control: false }";
    assert_eq!(text.lines().nth(20), Some(line));
    let path = write(dir.path(), "batch.yaml", &text);
    let (code, out) = batch_check(&path);
    assert_eq!(code, exit::INVALID, "{out}");
    let expected = format!(
        "error[provenance-dangling-id]: provenance: shipment `SH-1` names lot `NO-SUCH-LOT` in `lot`, but no lot has that id\n  --> {}:21:9 (at `provenance.shipments[0]`)\n   |\n21 | {line}\n   |         ^^\n  = help: add lot `NO-SUCH-LOT` to `lots`, or correct the id\n",
        path.display()
    );
    assert!(out.contains(&expected), "expected\n{expected}\nin\n{out}");
    assert!(out.ends_with("; 1 problem\n"), "{out}");
}

/// `trace` on a provenance file of its own prints the same diagnostic, its field without the
/// `provenance.` prefix (the shipment is line 7; `  - { ` is 6 characters, so `id` is at column 7).
#[test]
fn trace_prints_a_provenance_file_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"sites:
  - { id: MX-PLANT, country: MX, kind: plant, operator: "Planta Norte" }
  - { id: US-PORT, country: US, kind: port, operator: "Port of Laredo" }
lots:
  - { id: LOT-1, hs: "7208.51", quantity: 10, unit: kg, site: MX-PLANT, date: 2026-07-06, declared_origin: MX }
shipments:
  - { id: SH-1, lot: NO-SUCH-LOT, from: MX-PLANT, to: US-PORT, departed: 2026-07-20, arrived: 2026-07-22, document: "BL 1", customs_control: false }
"#;
    write(dir.path(), "provenance.yaml", text);
    let o = binary(dir.path(), &["trace", "provenance.yaml", "--lot", "LOT-1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let expected = "error[provenance-dangling-id]: provenance: shipment `SH-1` names lot `NO-SUCH-LOT` in `lot`, but no lot has that id\n  --> provenance.yaml:7:7 (at `shipments[0]`)\n  |\n7 |   - { id: SH-1, lot: NO-SUCH-LOT, from: MX-PLANT, to: US-PORT, departed: 2026-07-20, arrived: 2026-07-22, document: \"BL 1\", customs_control: false }\n  |       ^^\n  = help: add lot `NO-SUCH-LOT` to `lots`, or correct the id\n";
    assert!(err.contains(expected), "expected\n{expected}\nin\n{err}");
}

/// `run` on a batch whose header names `CN` as the importing Party: nothing is audited, and the error
/// is printed as `batch check` prints it (line 3, `  importing_party: ` is 19 characters: column 20).
#[test]
fn run_prints_a_header_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"batch:
  id: located-run
  importing_party: CN
  as_of: 2026-11-01
  currency: USD
  certifier: prod
  exporter: prod
  importer: imp
{PARTIES}goods:
  - {{ id: boiler, description: "parts of boilers", hs: "8402.90", producer: prod, place_of_production: MX, currency: USD, transaction_value: 100, wholly_obtained: true }}
"#
    );
    write(dir.path(), "batch.yaml", &text);
    let o = binary(dir.path(), &["run", "batch.yaml", "--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(exit::INVALID), "{err}");
    let expected = "the batch cannot be audited; nothing was written:\n\nerror[batch-input]: `CN` is not a USMCA Party\n  --> batch.yaml:3:20 (at `batch.importing_party`)\n  |\n3 |   importing_party: CN\n  |                    ^^\n  = help: write `US`, `MX` or `CA`\n";
    assert!(err.contains(expected), "expected\n{expected}\nin\n{err}");
}

/// `run` prints a batch's non-fatal input warnings located, as `batch check` does (they were one-line
/// strings before): here a third party whose country `ZZ` is no ISO code, on line 12 of the batch; the
/// good is still audited. The column is where `ZZ` starts in that line, plus one.
#[test]
fn run_prints_an_input_warning_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let other = r#"  - { id: other, name: "Other Co", address: "1 Main St", country: ZZ }"#;
    let text = format!(
        r#"batch:
  id: located-warning
  importing_party: US
  as_of: 2026-11-01
  currency: USD
  certifier: prod
  exporter: prod
  importer: imp
{PARTIES}{other}
goods:
  - {{ id: boiler, description: "parts of boilers", hs: "8402.90", producer: prod, place_of_production: MX, currency: USD, transaction_value: 100, wholly_obtained: true }}
"#
    );
    assert_eq!(text.lines().nth(11), Some(other));
    write(dir.path(), "batch.yaml", &text);
    let o = binary(dir.path(), &["--db", "o.db", "run", "batch.yaml", "--quiet"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let col = other.find("ZZ").unwrap() + 1;
    let expected = format!("  input warnings{:>12}\n    warning[batch-input]: ", 1);
    assert!(out.contains(&expected), "expected\n{expected}\nin\n{out}");
    let located = format!("    --> batch.yaml:12:{col} (at `parties[2].country`)\n");
    assert!(out.contains(&located), "expected\n{located}\nin\n{out}");
    assert!(out.contains(&format!("    12 | {other}\n")), "{out}");
    assert!(out.contains("= help: use an ISO 3166-1 alpha-2 code"), "{out}");
    // The good was audited all the same.
    assert!(out.contains(&format!("  goods audited{:>13}\n", 1)), "{out}");
}

/// The diagnostic is a `miette::Diagnostic` too: its code, help and a label whose span covers the
/// value in the file's text (byte offsets counted by hand: `a: 1\nbb: xyz\n`, `xyz` at 9..12).
#[test]
fn located_is_a_miette_diagnostic_with_the_span_of_the_value() {
    use miette::Diagnostic as _;
    use origin_core::diag::{Located, Severity};
    let d = Located::new(Severity::Warning, "bad-thing", "f.yaml", "`xyz` is odd")
        .help("write `abc`")
        .at(Some(2), Some(5))
        .field("bb")
        .with_source(Some(std::sync::Arc::new("a: 1\nbb: xyz\n".to_string())))
        .underline_value();
    assert_eq!(d.code().unwrap().to_string(), "bad-thing");
    assert_eq!(miette::Diagnostic::help(&d).unwrap().to_string(), "write `abc`");
    assert_eq!(d.severity(), Some(miette::Severity::Warning));
    let labels: Vec<_> = d.labels().unwrap().collect();
    assert_eq!(labels.len(), 1);
    assert_eq!((labels[0].offset(), labels[0].len()), (9, 3));
    assert_eq!(labels[0].label(), Some("at `bb`"));
    assert_eq!(
        d.render(),
        "warning[bad-thing]: `xyz` is odd\n  --> f.yaml:2:5 (at `bb`)\n  |\n2 | bb: xyz\n  |     ^^^\n  = help: write `abc`\n"
    );
    // Without the text: the location and help, no snippet and no label.
    let bare = Located { source: None, ..d };
    assert!(bare.labels().is_none());
    assert_eq!(bare.render(), "warning[bad-thing]: `xyz` is odd\n  --> f.yaml:2:5 (at `bb`)\n  = help: write `abc`\n");
}

/// The graph's build error converts without losing a field: its kind is the code, its path the field
/// (under the prefix of the file it was read from), its message and help kept.
#[test]
fn a_provenance_build_error_converts_into_the_located_diagnostic() {
    use origin_graph::{BuildError, BuildErrorKind};
    let e = BuildError {
        kind: BuildErrorKind::TimeTravel,
        path: Some("shipments[2]".into()),
        ids: vec!["SH-3".into()],
        message: "shipment `SH-3` arrives on 2026-07-01, before it left on 2026-07-05".into(),
        help: "check the two dates".into(),
    };
    let d = e.located(Path::new("batch.yaml"), "provenance.");
    assert_eq!(d.code, "provenance-time-travel");
    assert_eq!(d.field, "provenance.shipments[2]");
    assert_eq!(d.message, e.message);
    assert_eq!(d.help.as_deref(), Some("check the two dates"));
    assert_eq!(d.file, Path::new("batch.yaml"));
    assert_eq!(
        d.render(),
        "error[provenance-time-travel]: shipment `SH-3` arrives on 2026-07-01, before it left on 2026-07-05\n  --> batch.yaml (at `provenance.shipments[2]`)\n  = help: check the two dates\n"
    );
}
