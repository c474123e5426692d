//! Results as an Excel workbook, the format compliance teams hand results on in (`run --format xlsx`,
//! `export RUN FILE --format xlsx`). Three sheets, each with a bold frozen header row and an autofilter:
//! `Goods` (one row per good: determination, criterion, rule, values, finding counts), `Findings` (one
//! row per finding) and `Materials` (one row per BOM line of each good: value, VNM, origin, status, why).
//! Both sources, a fresh run's reports and a stored run, are first turned into the same rows, so the
//! two workbooks have the same columns (a stored run's findings add their review status).

use std::path::Path;

use origin_engine::run::BatchReport;
use origin_store::{DeterminationRow, FindingRow};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::Value;

/// Rows of one sheet: Excel's limit less the header.
pub const MAX_ROWS: usize = 1_048_575;
/// Characters in one cell (Excel's limit is 32,767).
const MAX_CELL: usize = 32_000;

/// Why a workbook was not written.
#[derive(Debug, thiserror::Error)]
pub enum XlsxOutError {
    /// More rows than a sheet holds.
    #[error(
        "the `{sheet}` sheet would have {rows} rows, more than the {MAX_ROWS} an XLSX sheet holds\n  help: write the full report as JSON with --format json --out FILE"
    )]
    TooManyRows {
        /// The sheet.
        sheet: &'static str,
        /// Rows it would have.
        rows: usize,
    },
    /// The writer failed.
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    /// Serializing a report.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// Writing the file.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number (values, counts), so the sheet sums and filters it.
    Number(f64),
    /// Nothing known.
    Empty,
}

/// One sheet's header and rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Sheet name.
    pub name: &'static str,
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<Cell>>,
}

/// The three sheets.
#[derive(Debug, Clone)]
pub struct Results {
    /// One row per good.
    pub goods: Sheet,
    /// One row per finding.
    pub findings: Sheet,
    /// One row per material line.
    pub materials: Sheet,
}

const GOOD_HEADERS: [&str; 19] = [
    "Batch",
    "Good",
    "Description",
    "HS",
    "Determination",
    "Criterion",
    "Rule",
    "Rule citation",
    "Rule review",
    "Alternative met",
    "Summary",
    "Transaction value",
    "Net cost",
    "VNM",
    "Originating materials",
    "Blocking findings",
    "Warning findings",
    "Info findings",
    "Caveats",
];

const MATERIAL_HEADERS: [&str; 15] = [
    "Batch",
    "Good",
    "Line",
    "Part",
    "Description",
    "HS",
    "Value",
    "VNM",
    "Role",
    "Declared origin",
    "Traced origin",
    "Status",
    "Why",
    "Tariff shift",
    "Determination",
];

/// Text of a JSON value: strings as they are, numbers and others compact.
fn text(v: Option<&Value>) -> Cell {
    match v {
        None | Some(Value::Null) => Cell::Empty,
        Some(Value::String(s)) => Cell::Text(s.clone()),
        Some(Value::Array(a)) if a.is_empty() => Cell::Empty,
        Some(Value::Array(a)) => Cell::Text(
            a.iter()
                .map(|x| x.as_str().map(String::from).unwrap_or_else(|| x.to_string()))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Some(other) => Cell::Text(other.to_string()),
    }
}

/// A decimal as a number cell. The report writes decimals as strings (exact); Excel stores every number as
/// a double, and the double parsed from the exact text is the one Excel itself stores for that text.
fn number(v: Option<&Value>) -> Cell {
    match v {
        Some(Value::Number(n)) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Some(Value::String(s)) => s.parse::<f64>().map_or_else(|_| Cell::Text(s.clone()), Cell::Number),
        _ => Cell::Empty,
    }
}

fn count(n: usize) -> Cell {
    Cell::Number(n as f64)
}

/// One good's rows, from its determination (as the report and the store serialize it) and findings.
struct GoodIn<'a> {
    batch: &'a str,
    good: &'a str,
    description: Option<&'a str>,
    hs: &'a str,
    determination: &'a Value,
    /// Each finding, with its review status when it comes from the store.
    findings: Vec<(&'a Value, Option<&'a str>)>,
}

fn build(goods: &[GoodIn<'_>], with_status: bool) -> Results {
    let mut good_rows = Vec::with_capacity(goods.len());
    let mut finding_rows = Vec::new();
    let mut material_rows = Vec::new();
    for g in goods {
        let d = g.determination;
        let sev =
            |s: &str| g.findings.iter().filter(|(f, _)| f.get("severity").and_then(Value::as_str) == Some(s)).count();
        let rule = d.get("rule");
        let values = d.get("values");
        good_rows.push(vec![
            Cell::Text(g.batch.into()),
            Cell::Text(g.good.into()),
            g.description.map_or(Cell::Empty, |s| Cell::Text(s.into())),
            Cell::Text(g.hs.into()),
            text(d.get("outcome")),
            text(d.get("criterion")),
            text(rule.and_then(|r| r.get("id"))),
            text(rule.and_then(|r| r.get("citation"))),
            text(rule.and_then(|r| r.get("review"))),
            text(d.get("alternative")),
            text(d.get("summary")),
            number(values.and_then(|v| v.get("transaction_value"))),
            number(values.and_then(|v| v.get("net_cost"))),
            number(values.and_then(|v| v.get("vnm"))),
            number(values.and_then(|v| v.get("originating_materials"))),
            count(sev("blocking")),
            count(sev("warning")),
            count(sev("info")),
            text(d.get("caveats")),
        ]);
        for (f, status) in &g.findings {
            let mut row = vec![
                Cell::Text(g.batch.into()),
                Cell::Text(g.good.into()),
                text(f.get("code")),
                text(f.get("severity")),
            ];
            if with_status {
                row.push(status.map_or(Cell::Empty, |s| Cell::Text(s.into())));
            }
            row.extend([
                text(f.get("materials")),
                text(f.get("message")),
                text(f.get("citation")),
                text(f.get("evidence")),
                text(f.get("remedy")),
                text(f.get("fingerprint")),
            ]);
            finding_rows.push(row);
        }
        for m in d.get("materials").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            material_rows.push(vec![
                Cell::Text(g.batch.into()),
                Cell::Text(g.good.into()),
                text(m.get("line")),
                text(m.get("part")),
                text(m.get("description")),
                text(m.get("hs")),
                number(m.get("value")),
                number(m.get("vnm")),
                text(m.get("role")),
                text(m.get("declared_origin")),
                text(m.get("traced_origin")),
                text(m.get("status")),
                text(m.get("why")),
                text(m.get("shift")),
                text(d.get("outcome")),
            ]);
        }
    }
    let mut finding_headers = vec!["Batch", "Good", "Code", "Severity"];
    if with_status {
        finding_headers.push("Review status");
    }
    finding_headers.extend(["Materials", "Message", "Citation", "Evidence", "Remedy", "Fingerprint"]);
    Results {
        goods: Sheet { name: "Goods", headers: GOOD_HEADERS.to_vec(), rows: good_rows },
        findings: Sheet { name: "Findings", headers: finding_headers, rows: finding_rows },
        materials: Sheet { name: "Materials", headers: MATERIAL_HEADERS.to_vec(), rows: material_rows },
    }
}

/// The rows of a fresh run's reports.
pub fn from_reports(reports: &[BatchReport]) -> Result<Results, XlsxOutError> {
    let mut values = Vec::new();
    for r in reports {
        for g in &r.goods {
            let findings: Vec<Value> = g.audit.findings.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
            values.push((r.batch.as_str(), g, serde_json::to_value(&g.audit.determination)?, findings));
        }
    }
    let goods: Vec<GoodIn<'_>> = values
        .iter()
        .map(|(batch, g, d, fs)| GoodIn {
            batch,
            good: &g.audit.good,
            description: Some(&g.audit.description),
            hs: &g.audit.hs,
            determination: d,
            findings: fs.iter().map(|f| (f, None)).collect(),
        })
        .collect();
    Ok(build(&goods, false))
}

/// The rows of a stored run: its determinations and its findings with their review status.
pub fn from_store(determinations: &[DeterminationRow], findings: &[FindingRow]) -> Results {
    let goods: Vec<GoodIn<'_>> = determinations
        .iter()
        .map(|d| GoodIn {
            batch: &d.batch,
            good: &d.good,
            description: None,
            hs: &d.hs,
            determination: &d.determination,
            findings: findings
                .iter()
                .filter(|f| f.batch == d.batch && f.good == d.good)
                .map(|f| (&f.finding, Some(f.status.as_str())))
                .collect(),
        })
        .collect();
    build(&goods, true)
}

fn write_sheet(wb: &mut Workbook, sheet: &Sheet) -> Result<(), XlsxOutError> {
    if sheet.rows.len() > MAX_ROWS {
        return Err(XlsxOutError::TooManyRows { sheet: sheet.name, rows: sheet.rows.len() });
    }
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet.name)?;
    let mut widths: Vec<usize> = sheet.headers.iter().map(|h| h.len()).collect();
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, col(c), *h, &bold)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(s) => {
                    let s = if s.chars().count() > MAX_CELL {
                        let cut: String = s.chars().take(MAX_CELL).collect();
                        format!("{cut} [cut at {MAX_CELL} characters; the JSON report has the whole text]")
                    } else {
                        s.clone()
                    };
                    if let Some(w) = widths.get_mut(c) {
                        *w = (*w).max(s.chars().count().min(60));
                    }
                    ws.write_string(r, col(c), s)?;
                }
                Cell::Number(n) => {
                    ws.write_number(r, col(c), *n)?;
                }
                Cell::Empty => {}
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(col(c), (*w as f64) + 2.0)?;
    }
    let last_row = u32::try_from(sheet.rows.len()).unwrap_or(u32::MAX);
    ws.autofilter(0, 0, last_row, col(sheet.headers.len().saturating_sub(1)))?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// The workbook's bytes.
pub fn workbook(results: &Results) -> Result<Vec<u8>, XlsxOutError> {
    let mut wb = Workbook::new();
    for s in [&results.goods, &results.findings, &results.materials] {
        write_sheet(&mut wb, s)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// Writes the workbook to `path`, whole or not at all.
pub fn write(results: &Results, path: &Path) -> Result<(), XlsxOutError> {
    let bytes = workbook(results)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    origin_engine::run::write_atomically(path, &bytes)?;
    Ok(())
}
