//! Results as an Excel workbook, the format compliance teams hand results on in (`run --format xlsx`,
//! `export RUN FILE --format xlsx`). Three sheets, each with a bold frozen header row and an autofilter:
//! `Goods` (one row per good: determination, criterion, rule, values, finding counts), `Findings` (one
//! row per finding) and `Materials` (one row per BOM line of each good: value, VNM, origin, status, why).
//! Both sources, a fresh run's reports and a stored run, are first turned into the same rows, so the
//! two workbooks have the same columns (a stored run's findings add their review status).

use std::path::Path;

use origin_core::Decimal;
use origin_engine::finding::{Finding, Severity};
use origin_engine::report::v1;
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

fn count(n: usize) -> Cell {
    Cell::Number(n as f64)
}

/// One good's rows, from its determination (report v1, as the report and the store write it) and
/// findings.
struct GoodIn<'a> {
    batch: &'a str,
    good: &'a str,
    description: Option<&'a str>,
    hs: &'a str,
    determination: &'a v1::Determination,
    /// Each finding, with its review status when it comes from the store.
    findings: Vec<(&'a Finding, Option<&'a str>)>,
}

/// A state as the report spells it (`not met`, `needs-evidence`).
fn word<T: serde::Serialize>(v: T) -> Cell {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => Cell::Text(s),
        _ => Cell::Empty,
    }
}

fn opt_text(s: Option<&str>) -> Cell {
    s.map_or(Cell::Empty, |s| Cell::Text(s.into()))
}

fn list(items: &[String]) -> Cell {
    if items.is_empty() { Cell::Empty } else { Cell::Text(items.join("; ")) }
}

/// A decimal as a number cell. The report keeps decimals exact; Excel stores every number as a double,
/// and the double parsed from the exact text is the one Excel itself stores for that text.
fn decimal(d: Option<Decimal>) -> Cell {
    d.and_then(|d| d.to_string().parse::<f64>().ok()).map_or(Cell::Empty, Cell::Number)
}

fn build(goods: &[GoodIn<'_>], with_status: bool) -> Results {
    let mut good_rows = Vec::with_capacity(goods.len());
    let mut finding_rows = Vec::new();
    let mut material_rows = Vec::new();
    for g in goods {
        let d = g.determination;
        let sev = |s: Severity| g.findings.iter().filter(|(f, _)| f.severity == s).count();
        let rule = d.rule.as_ref();
        good_rows.push(vec![
            Cell::Text(g.batch.into()),
            Cell::Text(g.good.into()),
            opt_text(g.description),
            Cell::Text(g.hs.into()),
            word(d.outcome),
            d.criterion.map_or(Cell::Empty, word),
            opt_text(rule.map(|r| r.id.as_str())),
            opt_text(rule.map(|r| r.citation.as_str())),
            rule.map_or(Cell::Empty, |r| word(r.review)),
            opt_text(d.alternative.as_deref()),
            Cell::Text(d.summary.clone()),
            decimal(d.values.transaction_value),
            decimal(d.values.net_cost),
            decimal(Some(d.values.vnm)),
            decimal(Some(d.values.originating_materials)),
            count(sev(Severity::Blocking)),
            count(sev(Severity::Warning)),
            count(sev(Severity::Info)),
            list(&d.caveats),
        ]);
        for (f, status) in &g.findings {
            let mut row = vec![
                Cell::Text(g.batch.into()),
                Cell::Text(g.good.into()),
                Cell::Text(f.code.as_str().into()),
                Cell::Text(f.severity.as_str().into()),
            ];
            if with_status {
                row.push(opt_text(*status));
            }
            row.extend([
                list(&f.materials),
                Cell::Text(f.message.clone()),
                Cell::Text(f.citation.clone()),
                list(&f.evidence),
                if f.remedy.is_empty() { Cell::Empty } else { Cell::Text(f.remedy.clone()) },
                Cell::Text(f.fingerprint.clone()),
            ]);
            finding_rows.push(row);
        }
        for m in &d.materials {
            material_rows.push(vec![
                Cell::Text(g.batch.into()),
                Cell::Text(g.good.into()),
                Cell::Text(m.line.clone()),
                opt_text(m.part.as_deref()),
                Cell::Text(m.description.clone()),
                Cell::Text(m.hs.clone()),
                decimal(Some(m.value)),
                decimal(Some(m.vnm)),
                word(m.role),
                Cell::Text(m.declared_origin.clone()),
                m.traced_origin.map_or(Cell::Empty, |c| Cell::Text(c.to_string())),
                word(m.status),
                Cell::Text(m.why.clone()),
                opt_text(m.shift.as_deref()),
                word(d.outcome),
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

/// The impact of scenario runs as a workbook (`scenario run|show --format xlsx`): `Goods` (one row per
/// changed good with its fix and duty at stake) and one sheet per grouping (`By supplier`, `By origin`,
/// `By chapter`), with the scenario run's id on every row so several runs share the sheets.
pub fn impact_workbook(impacts: &[origin_store::impact::Impact]) -> Result<Vec<u8>, XlsxOutError> {
    let text = |s: &str| Cell::Text(s.to_string());
    let mut goods = Sheet {
        name: "Goods",
        headers: vec![
            "Scenario run",
            "Scenario",
            "Base run",
            "Batch",
            "Good",
            "HS",
            "Base outcome",
            "Scenario outcome",
            "Cheapest fix",
            "Suppliers",
            "Origins",
            "Customs value",
            "Currency",
            "Annual volume",
            "Rate without %",
            "Rate with %",
            "Duty at stake",
            "Missing",
        ],
        rows: Vec::new(),
    };
    let group_headers = vec!["Scenario run", "Scenario", "Key", "Goods", "Lose", "Gain", "Duty at stake", "Currency"];
    let mut groups = [
        Sheet { name: "By supplier", headers: group_headers.clone(), rows: Vec::new() },
        Sheet { name: "By origin", headers: group_headers.clone(), rows: Vec::new() },
        Sheet { name: "By chapter", headers: group_headers, rows: Vec::new() },
    ];
    for i in impacts {
        for g in &i.goods {
            let c = &g.good;
            let mut sup: Vec<String> = c.fix_lines.iter().filter_map(|l| l.supplier.clone()).collect();
            sup.sort();
            sup.dedup();
            let mut ori: Vec<String> = c.fix_lines.iter().filter_map(|l| l.origin.clone()).collect();
            ori.sort();
            ori.dedup();
            goods.rows.push(vec![
                text(&i.scenario.id),
                text(&i.scenario.scenario),
                text(&i.scenario.base_run),
                text(&c.batch),
                text(&c.good),
                text(&c.hs),
                text(c.base_outcome.as_str()),
                text(c.outcome.as_str()),
                text(&c.fix),
                list(&sup),
                list(&ori),
                decimal(c.customs_value),
                text(&c.currency),
                decimal(g.volume),
                decimal(g.rate_without),
                decimal(g.rate_with),
                decimal(g.exposure),
                opt_text(g.missing.as_deref()),
            ]);
        }
        for (sheet, gs) in groups.iter_mut().zip([&i.by_supplier, &i.by_origin, &i.by_chapter]) {
            for g in gs {
                let (exposure, currency) = match g.exposure.iter().next() {
                    Some((c, v)) if g.exposure.len() == 1 => (decimal(Some(*v)), text(c)),
                    _ => (Cell::Empty, Cell::Empty),
                };
                sheet.rows.push(vec![
                    text(&i.scenario.id),
                    text(&i.scenario.scenario),
                    text(&g.key),
                    list(&g.goods),
                    count(g.lost),
                    count(g.gained),
                    exposure,
                    currency,
                ]);
            }
        }
    }
    let mut wb = Workbook::new();
    write_sheet(&mut wb, &goods)?;
    for s in &groups {
        write_sheet(&mut wb, s)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// Writes the impact workbook to `path`, whole or not at all.
pub fn write_impact(impacts: &[origin_store::impact::Impact], path: &Path) -> Result<(), XlsxOutError> {
    let bytes = impact_workbook(impacts)?;
    origin_engine::run::write_atomically(path, &bytes)?;
    Ok(())
}
