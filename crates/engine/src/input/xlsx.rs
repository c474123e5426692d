//! The first sheet of an XLSX BOM workbook as rows of text, within bounds checked before anything is
//! allocated for the workbook: an upload of a few kilobytes must not make the reader allocate
//! gigabytes. A workbook is a zip archive of XML parts; a hostile one can declare a cell at
//! `XFD1048576` (a dense sheet of 16,384 × 1,048,576 cells), pack gigabytes of XML into a few
//! megabytes (a zip bomb), or refer to shared strings it does not have. Each becomes a located error.

use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};

/// A workbook file larger than this is refused before it is opened.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// All parts of the archive together, decompressed: counted on the bytes actually inflated, never
/// on the sizes the archive declares (a zip bomb declares small ones).
pub const MAX_UNZIPPED_BYTES: u64 = 256 * 1024 * 1024;
/// Parts in the archive (a real workbook has a few dozen).
pub const MAX_PARTS: usize = 10_000;
/// The last column a BOM cell may be in: 256 columns (`IV`); a BOM has about fifteen.
pub const MAX_COLUMNS: u32 = 256;
/// The last row a BOM cell may be in: Excel's own limit.
pub const MAX_ROWS: u32 = 1_048_576;
/// Non-empty cells on the sheet.
pub const MAX_CELLS: usize = 4_000_000;

/// Why a workbook was not read: a message and what to do, for the caller to locate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XlsxProblem {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

fn problem(message: impl Into<String>, help: impl Into<String>) -> XlsxProblem {
    XlsxProblem { message: message.into(), help: help.into() }
}

/// `A1`-style name of a zero-based (row, column) position, for messages.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = u64::from(col) + 1;
    while c > 0 {
        let rem = u8::try_from((c - 1) % 26).unwrap_or(0);
        letters.push(char::from(b'A' + rem));
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), u64::from(row) + 1)
}

/// Reads the first sheet of the workbook at `path` as rows of trimmed cell texts.
pub fn read_rows(path: &Path) -> Result<Vec<Vec<String>>, XlsxProblem> {
    let save_again = "save the BOM again as .xlsx with the lines on the first sheet";
    let file = std::fs::File::open(path).map_err(|e| problem(format!("cannot read the BOM file: {e}"), save_again))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| problem(format!("cannot read the BOM file: {e}"), save_again))?;
    read_rows_from(bytes)
}

/// Reads the first sheet of a workbook held in memory (see [`read_rows`]).
pub fn read_rows_from(bytes: Vec<u8>) -> Result<Vec<Vec<String>>, XlsxProblem> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(problem(
            format!("the workbook is larger than {} MiB", MAX_FILE_BYTES / (1024 * 1024)),
            "split the BOM into several files, or export it as CSV",
        ));
    }
    check_archive(&bytes)?;
    // calamine panics on some damaged workbooks: a `<dimension>` range written backwards (`B3:A1`)
    // overflows a subtraction in builds with overflow checks, a shared-string index past the strings
    // is used unchecked (caught again per cell below, to say which cell). Every call into it runs
    // here, so such a workbook is a located error and never stops the process.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| first_sheet(bytes))).unwrap_or_else(|_| {
        Err(problem(
            "the workbook is damaged: its first sheet could not be read",
            "open it in a spreadsheet program and save it again as .xlsx",
        ))
    })
}

/// The first sheet's cells, read with calamine, as rows of trimmed texts (see [`read_rows_from`]).
fn first_sheet(bytes: Vec<u8>) -> Result<Vec<Vec<String>>, XlsxProblem> {
    let save_again = "save the BOM again as .xlsx with the lines on the first sheet";
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| problem(format!("cannot open the workbook: {e}"), save_again))?;
    let Some(first) = wb.sheet_names().first().cloned() else {
        return Err(problem("the workbook has no sheet", "put the BOM lines on the first sheet"));
    };
    let mut cells = wb
        .worksheet_cells_reader(&first)
        .map_err(|e| problem(format!("cannot read the first sheet: {e}"), save_again))?;
    let dim = cells.dimensions();
    if dim.end.1 >= MAX_COLUMNS || dim.end.0 >= MAX_ROWS {
        return Err(problem(
            format!(
                "the first sheet declares its used range up to cell {}, beyond the {MAX_COLUMNS} columns and {MAX_ROWS} rows a BOM may use",
                cell_name(dim.end.0, dim.end.1)
            ),
            "delete the stray cells far from the BOM lines (Ctrl+End shows the last one) and save again",
        ));
    }
    let mut found: Vec<(u32, u32, String)> = Vec::new();
    let mut last: Option<(u32, u32)> = None;
    loop {
        // calamine indexes the shared strings without checking (`strings[idx]`): a cell naming a shared
        // string the workbook does not have panics inside it. That panic is caught here and becomes an
        // error located after the last cell read, so a hostile workbook cannot stop the process.
        let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cells.next_cell().map(|c| c.map(|c| (c.get_position(), text(c.get_value()))))
        }));
        let after = || match last {
            Some((r, c)) => format!(" (the cell after {})", cell_name(r, c)),
            None => " (the first cell)".to_string(),
        };
        let cell = match next {
            Ok(Ok(Some(cell))) => cell,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Err(problem(format!("cannot read the first sheet{}: {e}", after()), save_again)),
            Err(_) => {
                return Err(problem(
                    format!(
                        "a cell of the first sheet{} refers to a shared string the workbook does not have",
                        after()
                    ),
                    "the workbook is damaged: open it in a spreadsheet program and save it again as .xlsx",
                ));
            }
        };
        let ((row, col), value) = cell;
        if col >= MAX_COLUMNS || row >= MAX_ROWS {
            return Err(problem(
                format!(
                    "the first sheet has a cell at {}, beyond the {MAX_COLUMNS} columns and {MAX_ROWS} rows a BOM may use",
                    cell_name(row, col)
                ),
                "delete the stray cells far from the BOM lines (Ctrl+End shows the last one) and save again",
            ));
        }
        last = Some((row, col));
        if value.is_empty() {
            continue;
        }
        if found.len() >= MAX_CELLS {
            return Err(problem(
                format!("the first sheet has more than {MAX_CELLS} non-empty cells"),
                "split the BOM into several files",
            ));
        }
        found.push((row, col, value));
    }
    // Rows are sized by the cells found, never by the range the sheet declares; like calamine's own
    // range, they start at the first non-empty row and column.
    let top = found.iter().map(|(r, _, _)| *r).min().unwrap_or(0);
    let left = found.iter().map(|(_, c, _)| *c).min().unwrap_or(0);
    let rows_needed = found.iter().map(|(r, _, _)| (*r - top) as usize + 1).max().unwrap_or(0);
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); rows_needed];
    for (r, c, v) in found {
        let row = &mut rows[(r - top) as usize];
        let c = (c - left) as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = v;
    }
    Ok(rows)
}

/// Inflates every part of the archive into a counting sink, stopping at the bounds: the sizes an
/// archive declares are not trusted.
fn check_archive(bytes: &[u8]) -> Result<(), XlsxProblem> {
    let save_again = "save the BOM again as .xlsx with the lines on the first sheet";
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        // Not a zip: calamine says what it is (an encrypted or old .xls workbook, say).
        Err(_) => return Ok(()),
    };
    if zip.len() > MAX_PARTS {
        return Err(problem(format!("the workbook has {} parts, more than {MAX_PARTS}", zip.len()), save_again));
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part =
            zip.by_index(i).map_err(|e| problem(format!("the workbook archive is damaged: {e}"), save_again))?;
        loop {
            let n = part
                .read(&mut buf)
                .map_err(|e| problem(format!("the workbook archive is damaged: {e}"), save_again))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > MAX_UNZIPPED_BYTES {
                return Err(problem(
                    format!(
                        "the workbook unpacks to more than {} MiB (part `{}`): it is not a BOM workbook, or too large for one",
                        MAX_UNZIPPED_BYTES / (1024 * 1024),
                        part.name()
                    ),
                    "split the BOM into several files, or export it as CSV",
                ));
            }
        }
    }
    Ok(())
}

fn text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Float(f) => {
            // Spreadsheets store numbers as floats; print the shortest form that reads back the same.
            let s = format!("{f}");
            s.trim_end_matches(".0").to_string()
        }
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        other => calamine::Data::from(other.clone()).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::cell_name;

    #[test]
    fn cell_names_are_spreadsheet_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(1, 25), "Z2");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }
}
