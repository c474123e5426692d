//! The published JSON Schemas accept exactly what the readers accept (issue 11 item 9).
//!
//! Reproduction: `docs/batch-format.schema.json` rejected the demo batch with 331 errors, because the
//! root forbade `provenance` (left out of the schema) and amounts were typed as strings only, while the
//! reader takes numbers and strings. Here every fixture batch (YAML, and the same value as JSON), every
//! provenance fixture and every file of every rule pack is validated against the schema the project
//! publishes, with an independent JSON Schema validator; invalid inputs are refused by both the engine
//! and the schema; and the patterns the schemas use for decimals, HS codes and countries are checked
//! against the parsers they stand for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use origin_core::{Country, Decimal, HsCode};
use serde_json::{Value, json};

/// A YAML file as the JSON value a JSON Schema validator sees.
fn yaml_value(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options().should_validate_formats(true).build(schema).unwrap_or_else(|e| panic!("bad schema: {e}"))
}

/// The validation errors, one line each with the instance path.
fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

/// The batch schema as published in docs/.
fn published_batch_schema() -> Value {
    let text = std::fs::read_to_string(root().join("docs/batch-format.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A schema that validates one definition of `root` (the provenance file is `ProvenanceInput`).
fn definition(root: &Value, name: &str) -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": root["definitions"].clone(),
        "$ref": format!("#/definitions/{name}"),
    })
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json"))
        .collect();
    out.sort();
    out
}

fn batch_fixtures() -> Vec<PathBuf> {
    let mut files = yaml_files(&root().join("fixtures/engine"));
    files.push(root().join("fixtures/demo/batch.yaml"));
    files
}

/// The published schema is the one `origin-audit batch schema` generates. With `UPDATE_SCHEMA_DOCS=1`
/// it writes both published schemas, as `batch schema` and `rules schema` print them.
#[test]
fn published_batch_schema_is_the_generated_one() {
    if std::env::var_os("UPDATE_SCHEMA_DOCS").is_some() {
        let write = |file: &str, v: Value| {
            std::fs::write(root().join("docs").join(file), format!("{}\n", serde_json::to_string_pretty(&v).unwrap()))
                .unwrap();
        };
        write("batch-format.schema.json", origin_engine::input::json_schema());
        write("rule-pack.schema.json", origin_rules::raw::json_schema());
        write("scenario.schema.json", origin_rules::scenario::json_schema());
    }
    assert_eq!(
        published_batch_schema(),
        origin_engine::input::json_schema(),
        "docs/batch-format.schema.json is stale: run `cargo run -p origin-cli -- batch schema > docs/batch-format.schema.json`"
    );
}

/// Issue 11 item 9, reproduction: the demo batch (with `provenance:` and numeric amounts) and every
/// other fixture batch validate against the published schema, as YAML and as JSON, and the engine
/// reads each without a header error or an input error.
#[test]
fn every_fixture_batch_validates_against_the_published_schema() {
    let v = validator(&published_batch_schema());
    let mut failures = Vec::new();
    for path in batch_fixtures() {
        let value = yaml_value(&path);
        let errs = errors(&v, &value);
        if !errs.is_empty() {
            failures.push(format!("{} ({} errors):\n  {}", path.display(), errs.len(), errs.join("\n  ")));
        }
        // The same batch written as JSON is the same instance; the engine reads it the same way.
        let as_json = serde_json::to_string_pretty(&value).unwrap();
        assert!(v.is_valid(&serde_json::from_str(&as_json).unwrap()));
        let batch = origin_engine::input::load_batch(&path)
            .unwrap_or_else(|e| panic!("{}: the engine refuses it: {e}", path.display()));
        // Errors in the batch file itself; the CSV fixtures hold bad rows on purpose, which the batch
        // schema does not describe (CSV and XLSX lines are checked by `batch check`).
        let input_errors: Vec<String> = batch
            .goods
            .iter()
            .filter_map(|g| match g {
                origin_engine::input::GoodInput::Invalid { errors, .. } => Some(errors),
                _ => None,
            })
            .flatten()
            .filter(|e| e.file == path)
            .map(|e| e.to_string())
            .collect();
        assert!(input_errors.is_empty(), "{}: {input_errors:?}", path.display());
        if value["batch"].get("bom_files").is_none() {
            let dir = tempfile::tempdir().unwrap();
            let json_path = dir.path().join("batch.json");
            std::fs::write(&json_path, &as_json).unwrap();
            let from_json = origin_engine::input::load_batch(&json_path)
                .unwrap_or_else(|e| panic!("{} as JSON: the engine refuses it: {e}", path.display()));
            assert_eq!(from_json.goods.len(), batch.goods.len());
        }
    }
    assert!(failures.is_empty(), "fixture batches the published schema rejects:\n{}", failures.join("\n"));
}

/// The provenance part of the batch schema accepts every provenance fixture, including the ones whose
/// graph is broken (a cycle, a dangling lot, a mass-balance break): those are errors of the graph,
/// which `batch check` reports, not of the file's shape.
#[test]
fn every_provenance_fixture_validates_against_the_provenance_definition() {
    let v = validator(&definition(&published_batch_schema(), "ProvenanceInput"));
    let dir = root().join("fixtures/provenance");
    let mut files = yaml_files(&dir);
    files.extend(yaml_files(&dir.join("broken")));
    assert!(files.len() >= 8);
    for path in files {
        let value = yaml_value(&path);
        let errs = errors(&v, &value);
        assert!(errs.is_empty(), "{}:\n{}", path.display(), errs.join("\n"));
        serde_yaml::from_value::<origin_graph::ProvenanceInput>(serde_yaml::to_value(&value).unwrap())
            .unwrap_or_else(|e| panic!("{}: the reader refuses it: {e}", path.display()));
    }
}

/// Every file of the bundled pack and of the minimal test pack validates against the schema
/// `origin-audit rules schema` publishes for its kind of file.
#[test]
fn every_rule_pack_file_validates_against_its_schema() {
    let text = std::fs::read_to_string(root().join("docs/rule-pack.schema.json")).unwrap();
    let published: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(published, origin_rules::raw::json_schema(), "docs/rule-pack.schema.json is stale");
    let mut checked = 0;
    let mut failures = Vec::new();
    for pack in [root().join("rules/usmca"), root().join("fixtures/rules/minimal")] {
        let mut files: Vec<(String, PathBuf)> =
            yaml_files(&pack).into_iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p)).collect();
        files.extend(yaml_files(&pack.join("psr")).into_iter().map(|p| ("psr/chNN.yaml".to_string(), p)));
        for (kind, path) in files {
            let schema = published.get(&kind).unwrap_or_else(|| panic!("{}: no schema for `{kind}`", path.display()));
            let errs = errors(&validator(schema), &yaml_value(&path));
            checked += 1;
            if !errs.is_empty() {
                failures.push(format!("{} ({} errors):\n  {}", path.display(), errs.len(), errs.join("\n  ")));
            }
        }
    }
    assert!(checked >= 15, "only {checked} pack files found");
    assert!(failures.is_empty(), "pack files their schema rejects:\n{}", failures.join("\n"));
}

/// A minimal valid batch with one good, as YAML text, with `good_fields` (which default to a
/// transaction value of 1040) and `extra` (root keys) spliced in.
fn small_batch(good_fields: &str, extra: &str) -> String {
    let good_fields = if good_fields.contains("transaction_value") {
        good_fields.to_string()
    } else {
        format!("    transaction_value: 1040\n{good_fields}")
    };
    format!(
        "batch: {{ id: b1, importing_party: US, as_of: 2026-11-01, currency: USD }}
goods:
  - id: G1
    description: \"drill\"
    hs: \"8459.29\"
    producer: p
    place_of_production: MX
    currency: USD
{good_fields}    materials:
      - {{ line: \"1\", description: \"motor\", hs: \"8501.52\", quantity: 1, unit_value: 100, currency: USD, origin: CN }}
{extra}"
    )
}

/// What the engine makes of a batch text: `Err` for a refused file, else the ids of invalid goods.
fn engine_verdict(text: &str) -> Result<Vec<String>, String> {
    match parse(text) {
        Err(e) => Err(e.to_string()),
        Ok(b) => Ok(b
            .goods
            .iter()
            .filter_map(|g| match g {
                origin_engine::input::GoodInput::Invalid { id, errors } => {
                    println!("{id}: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
                    Some(id.to_string())
                }
                _ => None,
            })
            .collect()),
    }
}

/// Inputs the engine accepts in full are accepted by the schema; inputs it refuses (the whole file,
/// or a good as an INPUT_ERROR) are rejected by the schema.
#[test]
fn schema_and_engine_agree_on_valid_and_invalid_inputs() {
    let v = validator(&published_batch_schema());
    let schema_ok = |text: &str| v.is_valid(&serde_yaml::from_str::<Value>(text).unwrap());

    let accepted = [
        ("amounts as numbers", small_batch("    transaction_value: 1040\n    international_shipping: 40\n", "")),
        ("amounts as strings", small_batch("    transaction_value: \"1040.00\"\n    net_cost: \"1e3\"\n", "")),
        (
            "a provenance section",
            small_batch(
                "",
                "provenance:\n  sites:\n    - { id: S1, country: mx, kind: plant, operator: op }\n  lots:\n    - { id: L1, hs: \"8501.52\", quantity: \"2.5\", unit: pcs, site: S1, date: 2026-01-05, declared_origin: MX, value: { amount: 10, currency: USD } }\n",
            ),
        ),
    ];
    for (what, text) in &accepted {
        assert_eq!(engine_verdict(text), Ok(vec![]), "{what}: the engine should accept it");
        assert!(schema_ok(text), "{what}: the schema should accept it");
    }

    let refused_file = [
        ("an unknown root key", small_batch("", "provenanse: {}\n")),
        (
            "an unknown site kind",
            small_batch("", "provenance:\n  sites:\n    - { id: S1, country: MX, kind: factory, operator: op }\n"),
        ),
        (
            "an unassigned country in provenance",
            small_batch("", "provenance:\n  sites:\n    - { id: S1, country: ZZ, kind: plant, operator: op }\n"),
        ),
        (
            "an HS code of chapter 98 in provenance",
            small_batch(
                "",
                "provenance:\n  sites:\n    - { id: S1, country: MX, kind: plant, operator: op }\n  lots:\n    - { id: L1, hs: \"9801.00\", quantity: 1, unit: pcs, site: S1, date: 2026-01-05, declared_origin: MX }\n",
            ),
        ),
        ("an impossible date", small_batch("", "").replace("2026-11-01", "2026-02-30")),
    ];
    for (what, text) in &refused_file {
        assert!(engine_verdict(text).is_err(), "{what}: the engine should refuse the file");
        assert!(!schema_ok(text), "{what}: the schema should reject it");
    }

    let refused_good = [
        ("an amount with a thousands separator", small_batch("    transaction_value: \"1,040.00\"\n", "")),
        ("an amount given as a boolean", small_batch("    net_cost: true\n", "")),
        ("an unknown field on a good", small_batch("    transaction_valeu: 1040\n", "")),
    ];
    for (what, text) in &refused_good {
        assert_eq!(
            engine_verdict(text),
            Ok(vec!["G1".to_string()]),
            "{what}: the engine should make G1 an input error"
        );
        assert!(!schema_ok(text), "{what}: the schema should reject it");
    }
}

/// The decimal pattern of the schemas accepts a string exactly when `rust_decimal` reads it (as the
/// engine does: `from_str`, then `from_scientific`).
#[test]
fn decimal_pattern_matches_the_decimal_reader() {
    let v = validator(&json!({ "type": "string", "pattern": origin_core::schema::DECIMAL_PATTERN }));
    for s in [
        "0", "1", "-1", "+1", "1.5", "-0.25", "1234.56", "1_000", "1_000.5", ".5", "5.", "1e3", "1E-2", "2.5e+3",
        "-1.5e2", "", " 1", "1 ", "1,000", "1.2.3", "_1", "abc", "1e", "e3", "--1", "1.5.e3", "0x10", "1..2", "+", "-",
        ".",
    ] {
        let reader = s.parse::<Decimal>().is_ok() || Decimal::from_scientific(s).is_ok();
        assert_eq!(v.is_valid(&json!(s)), reader, "`{s}`: the reader says {reader}");
    }
}

/// The HS-code pattern accepts a string exactly when [`HsCode::parse`] does.
#[test]
fn hs_code_pattern_matches_the_hs_code_parser() {
    let v = validator(&json!({ "type": "string", "pattern": origin_core::schema::HS_CODE_PATTERN }));
    for s in [
        "85",
        "8544",
        "854411",
        "85441100",
        "8544110010",
        "8544.11",
        "8544.11.00",
        "8544.11.0010",
        "8544.11.00.10",
        " 8544.11 ",
        "01",
        "97",
        "0101.21",
        "00",
        "98",
        "9801.00",
        "8",
        "854",
        "85441",
        "85.44",
        "8544.1",
        "8544.11.0",
        "8544.11.00.1",
        "8544.11.00.10.10",
        "85441100101",
        "8544..11",
        "8544.11.",
        "",
        "abcd",
        "8544-11",
    ] {
        assert_eq!(v.is_valid(&json!(s)), HsCode::parse(s).is_ok(), "`{s}`");
    }
}

/// The country pattern accepts a string exactly when [`Country::parse`] does, for every two-letter
/// combination in either case.
#[test]
fn country_pattern_matches_the_country_parser() {
    let schema = serde_json::to_value(schemars::schema_for!(Country)).unwrap();
    let v = validator(&schema);
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            for s in
                [format!("{}{}", a as char, b as char), format!("{}{}", (a as char).to_ascii_lowercase(), b as char)]
            {
                assert_eq!(v.is_valid(&json!(s)), Country::parse(&s).is_ok(), "`{s}`");
            }
        }
    }
    assert!(!v.is_valid(&json!("USA")));
}

/// docs/scenario.schema.json is the schema generated from the scenario reader's types, and every
/// shipped scenario validates against it.
#[test]
fn every_scenario_validates_against_the_published_schema() {
    let text = std::fs::read_to_string(root().join("docs/scenario.schema.json")).unwrap();
    let published: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        published,
        origin_rules::scenario::json_schema(),
        "docs/scenario.schema.json is stale: run `UPDATE_SCHEMA_DOCS=1 cargo test -p origin-engine --test schemas`"
    );
    let v = validator(&published);
    let files = yaml_files(&root().join("scenarios"));
    assert_eq!(files.len(), 3, "{files:?}");
    for path in files {
        let errs = errors(&v, &yaml_value(&path));
        assert!(errs.is_empty(), "{}:\n{}", path.display(), errs.join("\n"));
    }
}
