//! Hostile XLSX BOM files (issue 13, item 1): a workbook of a few kilobytes must not make the reader
//! allocate gigabytes or panic. Each case is a header error naming the BOM file and the
//! `batch.bom_files[i]` entry, with what is wrong and how to fix it; a good workbook still reads.
//!
//! Reproductions on main: a 1.6 KB workbook with one cell at `XFD1048576` aborted the process
//! ("memory allocation of 549755813888 bytes failed"); a 4 MB zip bomb took a request to 4.4 GB; a
//! shared-string index past the workbook's strings panicked inside the reader.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::*;
use origin_engine::input::{GoodInput, load_batch};
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="BOM" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// An extra archive part: its name and what writes its content.
type ExtraPart<'a> = (&'a str, &'a dyn Fn(&mut dyn Write));

/// A workbook whose first sheet has `sheet_data` (the `<row>` elements), an optional `<dimension>`,
/// optional shared strings, and optional extra parts.
fn workbook(dimension: Option<&str>, sheet_data: &str, shared: &[&str], extra: &[ExtraPart<'_>]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut part = |name: &str, text: &str| {
        zip.start_file(name, opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    part("[Content_Types].xml", CONTENT_TYPES);
    part("_rels/.rels", RELS);
    part("xl/workbook.xml", WORKBOOK);
    part("xl/_rels/workbook.xml.rels", WORKBOOK_RELS);
    let dim = dimension.map(|d| format!("<dimension ref=\"{d}\"/>")).unwrap_or_default();
    part(
        "xl/worksheets/sheet1.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}<sheetData>{sheet_data}</sheetData></worksheet>"#
        ),
    );
    if !shared.is_empty() {
        let si: String = shared.iter().map(|s| format!("<si><t>{s}</t></si>")).collect();
        part(
            "xl/sharedStrings.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">{si}</sst>"#,
                n = shared.len()
            ),
        );
    }
    for (name, write) in extra {
        zip.start_file(*name, opts).unwrap();
        write(&mut zip);
    }
    zip.finish().unwrap().into_inner()
}

/// A row of inline-string cells starting at column A.
fn row(r: usize, cells: &[&str]) -> String {
    let cols = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"];
    let cs: String = cells
        .iter()
        .zip(cols)
        .map(|(v, c)| format!("<c r=\"{c}{r}\" t=\"inlineStr\"><is><t>{v}</t></is></c>"))
        .collect();
    format!("<row r=\"{r}\">{cs}</row>")
}

const HEAD: [&str; 11] = [
    "good",
    "line",
    "part",
    "description",
    "hs",
    "quantity",
    "unit_value",
    "currency",
    "origin",
    "supplier",
    "certification",
];

/// The rows of fixtures/engine/csv-bom.csv for good `boiler-csv`, as a sheet.
fn boiler_rows() -> String {
    row(1, &HEAD)
        + &row(2, &["boiler-csv", "1", "P-1", "steel plate", "7208.51", "2", "15.00", "USD", "US", "acme-us", "SC-US"])
        + &row(3, &["boiler-csv", "2", "P-2", "boiler tube", "8402.90", "1", "40.00", "USD", "CN", "dragon", ""])
}

/// Writes csv-bom.yaml (naming `bom.xlsx` instead of the CSV) and the workbook into a temporary
/// directory; returns the directory guard and the batch path.
fn batch_with(workbook: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string(fixture("csv-bom.yaml")).unwrap().replace("[csv-bom.csv]", "[bom.xlsx]");
    std::fs::write(dir.path().join("bom.xlsx"), workbook).unwrap();
    let path = dir.path().join("batch.yaml");
    std::fs::write(&path, yaml).unwrap();
    (dir, path)
}

/// The one header error a bad workbook gives: it names the workbook and the `bom_files` entry.
fn workbook_error(path: &Path) -> String {
    let err = load_batch(path).expect_err("the workbook is refused");
    assert_eq!(err.0.len(), 1, "{err}");
    let e = &err.0[0];
    assert!(e.file.ends_with("bom.xlsx"), "the error names the workbook: {e:?}");
    assert_eq!(e.field, "batch.bom_files[0]");
    assert!(!e.help.is_empty());
    e.message.clone()
}

/// A well-formed workbook with the rows of csv-bom.csv (inline strings in the header, shared strings
/// in the body) gives good `boiler-csv` the same determination as the CSV: VNM = the Chinese tube, 40,
/// and criterion B (see input_errors.rs, `csv_rows_with_errors_name_the_row_and_column`).
#[test]
fn a_well_formed_workbook_reads_like_the_csv() {
    let shared_row = |r: usize, vals: &[usize]| {
        let cols = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"];
        let cs: String =
            vals.iter().zip(cols).map(|(i, c)| format!("<c r=\"{c}{r}\" t=\"s\"><v>{i}</v></c>")).collect();
        format!("<row r=\"{r}\">{cs}</row>")
    };
    let shared = ["boiler-csv", "1", "P-1", "steel plate", "7208.51", "2", "15.00", "USD", "US", "acme-us", "SC-US"];
    let sheet = row(1, &HEAD)
        + &shared_row(2, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        + &row(3, &["boiler-csv", "2", "P-2", "boiler tube", "8402.90", "1", "40.00", "USD", "CN", "dragon", ""]);
    let (_dir, path) = batch_with(&workbook(Some("A1:K3"), &sheet, &shared, &[]));
    let batch = load_batch(&path).unwrap_or_else(|e| panic!("{e}"));
    let r = run(&batch);
    let g = good(&r, "boiler-csv");
    assert_eq!(g.audit.determination.materials.len(), 2);
    assert_eq!(g.audit.determination.values.vnm, d("40"));
    assert_eq!(criterion(g), Some('B'));
    // `bad-csv` has no rows in this workbook: a good with an empty BOM that is not claimed wholly
    // obtained is an input error (issue 11 item 2), read from the workbook as from a CSV file.
    assert!(matches!(batch.goods.iter().find(|g| g.id() == "bad-csv"), Some(GoodInput::Invalid { .. })));
}

/// Reproduction: one cell at `XFD1048576` (the last cell of a sheet) made the reader allocate the
/// whole 16,384 × 1,048,576 range and abort the process. Now a located error naming the cell.
#[test]
fn a_cell_at_xfd1048576_is_a_located_error_not_an_abort() {
    let sheet = boiler_rows() + "<row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c></row>";
    let bytes = workbook(Some("A1:XFD1048576"), &sheet, &[], &[]);
    assert!(bytes.len() < 4096, "the reproduction is a small file ({} bytes)", bytes.len());
    let (_dir, path) = batch_with(&bytes);
    let message = workbook_error(&path);
    assert!(message.contains("XFD1048576"), "{message}");
}

/// The same stray cell without a `<dimension>` element (the reader must not trust the dimension
/// to be there, nor to be honest).
#[test]
fn a_stray_far_cell_without_a_dimension_is_a_located_error() {
    let sheet = boiler_rows() + "<row r=\"9\"><c r=\"ZZ9\" t=\"inlineStr\"><is><t>x</t></is></c></row>";
    let (_dir, path) = batch_with(&workbook(None, &sheet, &[], &[]));
    let message = workbook_error(&path);
    assert!(message.contains("ZZ9"), "{message}");
}

/// Reproduction: a zip bomb (a part that inflates to far more than any BOM) took one request to
/// 4.4 GB. The archive is now inflated into a counting sink first and refused past 256 MiB.
#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked_into_memory() {
    let zeros = |w: &mut dyn Write| {
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..300 {
            w.write_all(&chunk).unwrap();
        }
    };
    let bytes = workbook(Some("A1:K3"), &boiler_rows(), &[], &[("xl/media/padding.xml", &zeros)]);
    assert!(bytes.len() < 2 * 1024 * 1024, "the bomb is small: {} bytes", bytes.len());
    let (_dir, path) = batch_with(&bytes);
    let message = workbook_error(&path);
    assert!(message.contains("unpacks to more than 256 MiB"), "{message}");
    assert!(message.contains("xl/media/padding.xml"), "{message}");
}

/// Reproduction: a cell naming shared string 7 of a workbook with one shared string panicked inside
/// the XLSX reader. Now a located error after the last good cell.
#[test]
fn a_shared_string_index_out_of_range_is_a_located_error_not_a_panic() {
    let sheet = row(1, &HEAD) + "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>7</v></c></row>";
    let (_dir, path) = batch_with(&workbook(Some("A1:K2"), &sheet, &["boiler-csv"], &[]));
    let message = workbook_error(&path);
    assert!(message.contains("shared string"), "{message}");
    assert!(message.contains("K1"), "located after the last cell read: {message}");
}

/// Found by fuzzing (fuzz/regressions/bom_xlsx/reversed-dimension-range): a `<dimension>` written
/// backwards (`A5:I3`) made calamine subtract with overflow, a panic in any build with overflow checks
/// (the tests', a debug server's). Every call into calamine is now under `catch_unwind`: a located
/// error there; a release build wraps inside calamine, never trusts the dimension, and reads the cells.
#[test]
fn a_dimension_written_backwards_does_not_panic() {
    let (_dir, path) = batch_with(&workbook(Some("A5:I3"), &boiler_rows(), &[], &[]));
    if cfg!(debug_assertions) {
        let message = workbook_error(&path);
        assert!(message.contains("damaged") && message.contains("first sheet"), "{message}");
    } else {
        let batch = load_batch(&path).expect("the cells are read");
        assert!(matches!(&batch.goods[0], GoodInput::Ok(g) if g.materials.len() == 2));
    }
}

/// Not a zip archive at all, under an .xlsx name: an error, not a panic.
#[test]
fn a_file_that_is_not_a_workbook_is_a_located_error() {
    let (_dir, path) = batch_with(b"good,line\nthis is a CSV\n");
    let message = workbook_error(&path);
    assert!(message.contains("cannot open the workbook"), "{message}");
}
