//! Shared helpers for the engine's integration tests: load the real USMCA rule pack once, parse a batch
//! written inline, audit it, and look at the result in the words of the domain.

#![allow(dead_code, reason = "each test file uses a different subset of these helpers")]

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use origin_core::Decimal;
use origin_engine::audit::Outcome;
use origin_engine::input::{Batch, HeaderError, load_batch, parse_batch};
use origin_engine::run::{BatchReport, GoodReport, Progress, RunOptions, audit_batch};
use origin_rules::{RuleSet, load_pack};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled USMCA rule pack, loaded and checked once per test binary.
pub fn pack() -> &'static RuleSet {
    static PACK: OnceLock<RuleSet> = OnceLock::new();
    PACK.get_or_init(|| {
        let loaded = load_pack(&root().join("rules/usmca"));
        let errors: Vec<String> = loaded.diagnostics.iter().map(|d| format!("{d:?}")).collect();
        loaded.rules.unwrap_or_else(|| panic!("the bundled rule pack does not load: {errors:#?}"))
    })
}

/// Parses `batch_yaml` (named `test.yaml`), audits it against the real pack, returns the report.
pub fn check(batch_yaml: &str) -> BatchReport {
    let batch = parse(batch_yaml).unwrap_or_else(|e| panic!("the test batch has a header error: {e}"));
    run(&batch)
}

/// Parses a batch as `test.yaml`.
pub fn parse(batch_yaml: &str) -> Result<Batch, HeaderError> {
    parse_batch(Path::new("test.yaml"), batch_yaml)
}

/// Audits a parsed batch with one worker thread (results do not depend on the thread count).
pub fn run(batch: &Batch) -> BatchReport {
    audit_batch(pack(), batch, &RunOptions { as_of: None, threads: Some(1) }, &Progress::default())
        .unwrap_or_else(|e| panic!("the run failed: {e}"))
}

/// Loads and audits a fixture under `fixtures/engine/`.
pub fn check_fixture(name: &str) -> BatchReport {
    let batch = load_batch(&fixture(name)).unwrap_or_else(|e| panic!("fixture `{name}` has a header error: {e}"));
    run(&batch)
}

/// The path of a fixture under `fixtures/engine/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/engine").join(name)
}

/// The report of good `id`.
pub fn good<'a>(r: &'a BatchReport, id: &str) -> &'a GoodReport {
    r.goods.iter().find(|g| g.audit.good == id).unwrap_or_else(|| panic!("good `{id}` is not in the report"))
}

/// The only good of a one-good batch.
pub fn only(r: &BatchReport) -> &GoodReport {
    assert_eq!(r.goods.len(), 1, "expected one good, got {}", r.goods.len());
    &r.goods[0]
}

/// The finding codes of a good, in report order.
pub fn codes(g: &GoodReport) -> Vec<&'static str> {
    g.audit.findings.iter().map(|f| f.code.as_str()).collect()
}

/// Whether the good has a finding with `code`.
pub fn has(g: &GoodReport, code: &str) -> bool {
    codes(g).contains(&code)
}

/// The finding with `code` (the first one).
pub fn finding<'a>(g: &'a GoodReport, code: &str) -> &'a origin_engine::finding::Finding {
    g.audit
        .findings
        .iter()
        .find(|f| f.code.as_str() == code)
        .unwrap_or_else(|| panic!("good `{}` has no {code} finding; it has {:?}", g.audit.good, codes(g)))
}

/// The outcome of a good.
pub fn outcome(g: &GoodReport) -> Outcome {
    g.audit.determination.outcome
}

/// The criterion of a qualified good.
pub fn criterion(g: &GoodReport) -> Option<char> {
    g.audit.determination.criterion
}

/// The status of BOM line `line`, as output (`originating`, `non-originating`, ...).
pub fn status(g: &GoodReport, line: &str) -> String {
    let m = g
        .audit
        .determination
        .materials
        .iter()
        .find(|m| &*m.material.line == line)
        .unwrap_or_else(|| panic!("good `{}` has no BOM line `{line}`", g.audit.good));
    serde_json::to_value(m.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The alternative labelled `label` of the rule applied.
pub fn alternative<'a>(g: &'a GoodReport, label: &str) -> &'a origin_engine::audit::AlternativeOutcome {
    g.audit
        .determination
        .alternatives
        .iter()
        .find(|a| a.label == label)
        .unwrap_or_else(|| panic!("good `{}` has no alternative ({label})", g.audit.good))
}

/// The computed RVC of `method` (`transaction-value` / `net-cost`) under alternative `label`.
pub fn rvc_of<'a>(g: &'a GoodReport, label: &str, method: &str) -> &'a origin_engine::checks::rvc::MethodResult {
    let a = alternative(g, label);
    let r = a.rvc.as_ref().unwrap_or_else(|| panic!("alternative ({label}) has no RVC"));
    r.methods
        .iter()
        .find(|m| m.method == method)
        .unwrap_or_else(|| panic!("alternative ({label}) has no {method} result; it has {:?}", r.methods))
}

/// An exact decimal.
pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("`{s}` is not a decimal: {e}"))
}

/// The standard batch header, parties and supplier certifications, audited as of `as_of`, followed by
/// `goods` (a YAML list, indented by two spaces, starting with `  - id: ...`).
///
/// Parties: `prod` (producer, certifier and exporter, Monterrey MX) and `imp` (importer, Detroit US).
/// Certifications (all signed 2025-12-15):
/// - `SC-US`: supplier `acme-us`, US, criterion B, blanket 2026-01-01 to 2026-12-31, every part;
/// - `SC-CA`: supplier `maple-ca`, CA, criterion C, blanket 2026-01-01 to 2026-12-31, every part;
/// - `SC-OLD`: supplier `acme-us`, US, criterion B, blanket 2025-01-01 to 2025-12-31 (expired on 2026);
/// - `SC-PART`: supplier `acme-us`, US, criterion B, blanket 2026-01-01 to 2026-12-31, part `P-100` only;
/// - `SC-CN`: supplier `dragon`, country CN (not a Party);
/// - `SC-2021`: supplier `acme-us`, US, criterion B, blanket 2021-07-01 to 2022-06-30, signed 2021-06-15;
/// - `SC-LONG`: supplier `acme-us`, US, blanket 2026-01-01 to 2027-01-01 (12 months and a day);
/// - `SC-FUTURE`: supplier `acme-us`, US, blanket 2026-01-01 to 2026-12-31, signed 2026-12-01;
/// - `SC-HS`: supplier `acme-us`, US, certifies classification 7208.51, blanket 2026-01-01 to 2026-12-31.
pub fn batch(as_of: &str, goods: &str) -> String {
    format!(
        r#"batch:
  id: test-batch
  importing_party: US
  as_of: {as_of}
  currency: USD
  certifier: prod
  exporter: prod
  importer: imp
parties:
  - {{ id: prod, name: "Aceros del Norte SA de CV", title: "Compliance Director", address: "Av. Industrial 100, Monterrey, NL", country: MX, phone: "+52 81 5555 0100", email: "origen@aceros.example" }}
  - {{ id: imp, name: "Lakeside Imports Inc", address: "1 Harbor Rd, Detroit, MI", country: US, phone: "+1 313 555 0100", email: "imports@lakeside.example" }}
supplier_certifications:
  - {{ id: SC-US, supplier: acme-us, origin_criterion: B, country: US, blanket_from: 2026-01-01, blanket_to: 2026-12-31, signed: 2025-12-15 }}
  - {{ id: SC-CA, supplier: maple-ca, origin_criterion: C, country: CA, blanket_from: 2026-01-01, blanket_to: 2026-12-31, signed: 2025-12-15 }}
  - {{ id: SC-OLD, supplier: acme-us, origin_criterion: B, country: US, blanket_from: 2025-01-01, blanket_to: 2025-12-31, signed: 2024-12-15 }}
  - {{ id: SC-PART, supplier: acme-us, parts: [P-100], origin_criterion: B, country: US, blanket_from: 2026-01-01, blanket_to: 2026-12-31, signed: 2025-12-15 }}
  - {{ id: SC-CN, supplier: dragon, origin_criterion: B, country: CN, blanket_from: 2026-01-01, blanket_to: 2026-12-31, signed: 2025-12-15 }}
  - {{ id: SC-2021, supplier: acme-us, origin_criterion: B, country: US, blanket_from: 2021-07-01, blanket_to: 2022-06-30, signed: 2021-06-15 }}
  - {{ id: SC-LONG, supplier: acme-us, origin_criterion: B, country: US, blanket_from: 2026-01-01, blanket_to: 2027-01-01, signed: 2025-12-15 }}
  - {{ id: SC-FUTURE, supplier: acme-us, origin_criterion: B, country: US, blanket_from: 2026-01-01, blanket_to: 2026-12-31, signed: 2026-12-01 }}
  - {{ id: SC-HS, supplier: acme-us, hs: "7208.51", origin_criterion: B, country: US, blanket_from: 2026-01-01, blanket_to: 2026-12-31, signed: 2025-12-15 }}
goods:
{goods}"#
    )
}

/// A batch as of 2026-11-01.
pub fn batch_now(goods: &str) -> String {
    batch("2026-11-01", goods)
}

/// A BOM line of a US material certified by `SC-US` (originating on 2026-11-01).
pub fn us_line(line: &str, hs: &str, value: &str) -> String {
    format!(
        "      - {{ line: \"{line}\", description: \"US part {line}\", hs: \"{hs}\", quantity: 1, unit_value: {value}, currency: USD, origin: US, supplier: acme-us, certification: SC-US }}\n"
    )
}

/// A BOM line of a Chinese material (non-originating).
pub fn cn_line(line: &str, hs: &str, value: &str) -> String {
    format!(
        "      - {{ line: \"{line}\", description: \"CN part {line}\", hs: \"{hs}\", quantity: 1, unit_value: {value}, currency: USD, origin: CN, supplier: dragon }}\n"
    )
}

/// A good produced by `prod` in MX, in USD. `values` is the YAML for the value fields (e.g.
/// `transaction_value: 100`), `extra` more fields (e.g. `use: passenger-vehicle`), `lines` the BOM.
pub fn good_yaml(id: &str, hs: &str, values: &str, extra: &str, lines: &str) -> String {
    let mut s = format!(
        "  - id: {id}\n    description: \"good {id}\"\n    hs: \"{hs}\"\n    producer: prod\n    place_of_production: MX\n    currency: USD\n"
    );
    for v in values.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        s.push_str(&format!("    {v}\n"));
    }
    for v in extra.lines().filter(|v| !v.trim().is_empty()) {
        s.push_str(&format!("    {v}\n"));
    }
    s.push_str("    materials:\n");
    s.push_str(lines);
    s
}

/// A BOM line declared `origin`, from `supplier`, with `extra` YAML fields (e.g. `certification: SC-US`,
/// `part: P-100`, `role: accessory`).
pub fn line(line: &str, hs: &str, value: &str, origin: &str, supplier: &str, extra: &str) -> String {
    let extra = if extra.is_empty() { String::new() } else { format!(", {extra}") };
    format!(
        "      - {{ line: \"{line}\", description: \"part {line}\", hs: \"{hs}\", quantity: 1, unit_value: {value}, currency: USD, origin: {origin}, supplier: {supplier}{extra} }}\n"
    )
}
