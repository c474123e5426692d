//! What the batch-reader fuzz targets run, shared with `crates/engine/tests/fuzz_corpus.rs` (which
//! includes this file) so that the committed corpora and crash inputs replay in `cargo test`.
//!
//! Each function takes the fuzzer's bytes and must return without panicking: a located error is a
//! fine answer, a panic, a hang or a huge allocation is a finding.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use origin_engine::input::{
    Batch, FileScope, GoodInput, HeaderError, load_batch, load_batch_in, load_batch_streamed,
    load_batch_streamed_holding, parse_batch, resolve_kinds, xlsx,
};
use origin_graph::ProvenanceGraph;
use origin_rules::{PackFiles, RuleSet, load_files};

/// A directory that does not exist: a `bom_files` entry of a fuzzed batch resolves under it and is
/// never found, so the YAML/JSON targets read no file.
const NOWHERE: &str = "/nonexistent-origin-audit-fuzz";

/// The built-in pack, for resolving the kinds of the goods read.
fn pack() -> Option<&'static RuleSet> {
    static PACK: OnceLock<Option<RuleSet>> = OnceLock::new();
    PACK.get_or_init(|| load_files(&PackFiles::builtin()).rules).as_ref()
}

/// Touches every part of a read batch (and resolves its kinds), so that a reader returning
/// something inconsistent shows up here rather than in the audit.
fn inspect(result: Result<Batch, HeaderError>) {
    match result {
        Ok(mut batch) => {
            for g in &batch.goods {
                match g {
                    GoodInput::Ok(good) => {
                        let _ = good.adjusted_tv();
                        for m in &good.materials {
                            let _ = (m.hs_text(), m.origin_text());
                        }
                    }
                    GoodInput::Invalid { errors, .. } => {
                        let _ = errors.iter().map(ToString::to_string).count();
                    }
                }
            }
            let _ = batch.warnings.iter().map(ToString::to_string).count();
            if let Some(rules) = pack() {
                resolve_kinds(&mut batch, rules);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// A batch file as YAML (the general path).
pub fn batch_yaml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    inspect(parse_batch(&Path::new(NOWHERE).join("batch.yaml"), &text));
}

/// A batch file as JSON: the streamed fast path, and the general path when the fast path declines.
/// The two paths must agree (docs/batch-format.md: "with the same results"): the same text read as
/// `.yaml` (the general path only) gives the same goods, warnings and errors, lines included.
pub fn batch_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let fast = parse_batch(&Path::new(NOWHERE).join("batch.json"), &text);
    let general = parse_batch(&Path::new(NOWHERE).join("batch.yaml"), &text);
    let (fast_summary, general_summary) = (summary(&fast), summary(&general).replace("batch.yaml", "batch.json"));
    assert!(
        fast_summary == general_summary,
        "the JSON fast path and the general path disagree\nfast:\n{fast_summary}\ngeneral:\n{general_summary}"
    );
    inspect(fast);
    streamed(data);
}

/// The same bytes as a `batch.json` file read as a stored run reads it (`load_batch_streamed`: goods
/// kept as first read or left in the file, the provenance built into its graph as it is read) and held
/// (`load_batch_in`): they must say the same, goods kept, goods read again from the file and provenance
/// included.
fn streamed(data: &[u8]) {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("origin-audit-fuzz-json-{}", std::process::id()));
        std::fs::create_dir_all(&d).ok().map(|()| d)
    });
    let Some(path) = dir.as_ref().map(|d| d.join("batch.json")) else { return };
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let held = summary(&load_batch_in(&path, FileScope::BatchDirectory));
    let streamed = summary(&load_batch_streamed(&path, FileScope::BatchDirectory));
    assert!(held == streamed, "the streamed read and the held read disagree\nheld:\n{held}\nstreamed:\n{streamed}");
    let reread = summary(&load_batch_streamed_holding(&path, FileScope::BatchDirectory, 0));
    assert!(
        held == reread,
        "the streamed read (goods read again) and the held read disagree\nheld:\n{held}\nstreamed:\n{reread}"
    );
}

/// What a reader's result says, as text: the header error, or each warning, each bad certification
/// (sorted: they are kept by id) and each good (its material count, or its errors).
fn summary(result: &Result<Batch, HeaderError>) -> String {
    let b = match result {
        Ok(b) => b,
        Err(e) => return e.to_string(),
    };
    let mut out: Vec<String> = b.warnings.iter().map(ToString::to_string).collect();
    let mut bad: Vec<String> = b.bad_certifications.values().flatten().map(ToString::to_string).collect();
    bad.sort();
    out.extend(bad);
    // Goods held or left in the file alike (a good left in the file is read again here).
    for i in 0..b.good_count() {
        match b.good(i).as_deref() {
            Ok(GoodInput::Ok(g)) => out.push(format!("{} ok, {} materials", g.id, g.materials.len())),
            Ok(GoodInput::Invalid { id, errors }) => out.extend(errors.iter().map(|e| format!("{id}: {e}"))),
            Err(e) => out.push(format!("goods[{i}]: {e}")),
        }
    }
    // The provenance, kept as records or as their graph: what its graph holds, or why it does not build.
    let graph = match (&b.provenance, &b.provenance_graph) {
        (Some(p), _) => ProvenanceGraph::build(p).map(|g| g.counts()).map_err(|e| e.to_string()),
        (None, Some(g)) => Ok(g.counts()),
        (None, None) => Err("none".to_string()),
    };
    out.push(format!("provenance: {graph:?}"));
    out.join("\n")
}

/// The batch header the BOM-file target attaches its CSV to (two goods, as `fixtures/engine/csv-bom.yaml`).
const CSV_BATCH: &str = r#"batch:
  id: fuzz-csv
  importing_party: US
  as_of: 2026-11-01
  currency: USD
  certifier: prod
  exporter: prod
  importer: imp
  bom_files: [bom.csv]
parties:
  - { id: prod, name: "P", address: "A", country: MX }
  - { id: imp, name: "I", address: "A", country: US }
exchange_rates:
  - { from: MXN, to: USD, rate: "0.055" }
goods:
  - { id: g1, description: "parts of boilers", hs: "8402.90", producer: prod, place_of_production: MX, currency: USD, transaction_value: 100 }
  - { id: g2, description: "lamps", hs: "9405.11", producer: prod, place_of_production: MX, currency: MXN, transaction_value: 2000 }
"#;

/// A directory holding `batch.yaml` (the header above) for [`bom_csv_in`].
pub fn csv_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::write(dir.join("batch.yaml"), CSV_BATCH)
}

/// A CSV BOM file, read through `load_batch` as a batch naming it: the CSV reader, the header-row
/// checks and every row's cells. `dir` was prepared by [`csv_dir`].
pub fn bom_csv_in(dir: &Path, data: &[u8]) {
    if std::fs::File::create(dir.join("bom.csv")).and_then(|mut f| f.write_all(data)).is_err() {
        return;
    }
    inspect(load_batch(&dir.join("batch.yaml")));
}

/// [`bom_csv_in`] in a directory of this process under the system's temporary directory.
pub fn bom_csv(data: &[u8]) {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("origin-audit-fuzz-csv-{}", std::process::id()));
        std::fs::create_dir_all(&d).ok()?;
        csv_dir(&d).ok()?;
        Some(d)
    });
    if let Some(d) = dir {
        bom_csv_in(d, data);
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="BOM" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// An XLSX BOM workbook. An input starting with an even byte is the workbook's bytes as they are
/// (the archive layer: a zip bomb, a damaged directory). An odd first byte: the rest is the XML of
/// the first sheet, then (after a NUL byte) the shared strings and then the workbook part, zipped
/// here with correct checksums, so that mutations reach the XML readers rather than stop at a CRC.
pub fn bom_xlsx(data: &[u8]) {
    let_caught_calamine_panic_unwind();
    let Some((&mode, rest)) = data.split_first() else {
        let _ = xlsx::read_rows_from(Vec::new());
        return;
    };
    let bytes = if mode % 2 == 0 { rest.to_vec() } else { zip_parts(rest) };
    if let Err(p) = xlsx::read_rows_from(bytes) {
        let _ = (p.message.len(), p.help.len());
    }
}

/// `xlsx::read_rows_from` runs every call into calamine under `catch_unwind` and turns a panic there
/// into a located error (docs/security.md). The fuzzer's panic hook aborts before any unwinding, so it
/// would report each such handled input as a crash: this hook lets a panic raised inside calamine's
/// own source unwind to the reader, and hands every other panic (ours, zip's, ...) to the hook that
/// was there (libFuzzer's, or the test harness's).
fn let_caught_calamine_panic_unwind() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.location().is_some_and(|l| l.file().contains("/calamine-")) {
                previous(info);
            }
        }));
    });
}

/// The workbook of the structured mode of [`bom_xlsx`] (stored, not compressed).
pub fn zip_parts(rest: &[u8]) -> Vec<u8> {
    let mut parts = rest.split(|b| *b == 0);
    let sheet = parts.next().unwrap_or_default();
    let shared = parts.next();
    let workbook = parts.next().unwrap_or(WORKBOOK.as_bytes());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut add = |name: &str, bytes: &[u8]| zip.start_file(name, opts).and_then(|()| Ok(zip.write_all(bytes)?));
    let written = add("[Content_Types].xml", CONTENT_TYPES.as_bytes())
        .and_then(|()| add("_rels/.rels", RELS.as_bytes()))
        .and_then(|()| add("xl/workbook.xml", workbook))
        .and_then(|()| add("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()))
        .and_then(|()| add("xl/worksheets/sheet1.xml", sheet))
        .and_then(|()| shared.map_or(Ok(()), |s| add("xl/sharedStrings.xml", s)));
    match written.and_then(|()| zip.finish()) {
        Ok(c) => c.into_inner(),
        Err(_) => Vec::new(),
    }
}
