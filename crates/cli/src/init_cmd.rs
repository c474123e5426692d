//! `origin-audit init DIR`: a starter batch a compliance team fills in. It writes the batch file with its
//! header commented field by field, the BOM template as CSV and as XLSX (the columns `batch check`
//! expects, one example row each), and a README of the next commands. Every example value says EXAMPLE,
//! and the example is a valid batch (`batch check` passes on it), so the first check a team runs shows
//! the tool working before any value is theirs.

use std::io::Write;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Format, Workbook};

use crate::exit;

/// The BOM columns, in the order the templates hold them: the reader's own list.
pub use origin_engine::input::BOM_COLUMNS;

/// The example BOM row, column by column.
const EXAMPLE_ROW: [&str; 14] = [
    "EXAMPLE-CAL-01",
    "L01",
    "EX-BAR-1045",
    "EXAMPLE: forging bar SAE 1045, hot-rolled round 60 mm (kg)",
    "7214.99",
    "11.2",
    "1.10",
    "USD",
    "MX",
    "EXAMPLE Aceros S.A. de C.V.",
    "SC-EXAMPLE",
    "direct",
    "",
    "",
];

fn batch_yaml(today: NaiveDate) -> String {
    let year = today.year();
    format!(
        r#"# Starter batch written by `origin-audit init`. Every value that says EXAMPLE is a placeholder:
# replace it with your own, then run `origin-audit batch check batch.yaml` (every problem is shown with
# its line and field) and `origin-audit run batch.yaml`. Field reference: docs/batch-format.md.
batch:
  id: example-batch-{year}            # your name for this audit (shown in every report)
  importing_party: US                 # the Party importing the goods: US, MX or CA
  as_of: {today}                 # rules, certifications and staging in force on this date apply
  currency: USD                       # every value is reported in this currency
  rule_pack: usmca                    # the run stops if another pack is loaded
  certifier: example-producer         # party ids below (USMCA Annex 5-A elements 1-5)
  exporter: example-producer          # `various` is allowed for exporter and importer
  importer: example-importer
  bom_files: [bom.csv]                # BOM lines from CSV or XLSX, relative to this file; to fill in the
                                      # spreadsheet instead, write [bom.xlsx] here (never both: the lines
                                      # would be counted twice)

parties:
  - id: example-producer
    name: "EXAMPLE Producer S.A. de C.V."
    title: "EXAMPLE Trade Compliance Manager"
    address: "EXAMPLE street, city, postal code, Mexico"
    country: MX
    phone: "+52 00 0000 0000"
    email: "compliance@example.invalid"
  - id: example-importer
    name: "EXAMPLE Importer LLC"
    address: "EXAMPLE street, city, state, United States"
    country: US
    phone: "+1 000 000 0000"
    email: "imports@example.invalid"

# Rates into the batch currency, one per foreign currency your values use. No rate is ever assumed.
exchange_rates: []
#  - {{ from: MXN, to: USD, rate: 0.0550, date: {today} }}

# Certifications of origin your suppliers in the Parties gave you. A material's USMCA origin counts
# only when a valid certification (or your own determination) supports it.
supplier_certifications:
  - id: SC-EXAMPLE
    supplier: "EXAMPLE Aceros S.A. de C.V."
    origin_criterion: B
    country: MX
    blanket_from: {year}-01-01
    blanket_to: {year}-12-31
    signed: {prev}-12-15

# One entry per good to audit. Its BOM lines come from bom.csv (column `good` names the good), or are
# listed under `materials:` here.
goods:
  - id: EXAMPLE-CAL-01
    description: "EXAMPLE: disc brake caliper, forged steel housing, for passenger vehicles"
    hs: "8708.30"                     # at least 6 digits; 8 where the rule is at tariff-item level
    use: passenger-vehicle            # where the rule depends on it: passenger-vehicle, light-truck, heavy-truck, other
    kind: "disc brake caliper"        # where the rule names a description of the good
    producer: example-producer
    place_of_production: MX
    currency: USD
    transaction_value: 96.00          # price, including the international shipping below
    international_shipping: 2.20      # removed to put the transaction value on an FOB basis
    net_cost: 81.00
    operations: [forging, machining, assembly]
    route:                            # after production, on the way to the importing Party
      - {{ country: MX }}
      - {{ country: US }}
    materials: []                     # the BOM lines are in bom.csv
"#,
        prev = year - 1,
    )
}

fn bom_csv() -> String {
    let quote = |s: &str| {
        if s.contains(',') || s.contains('"') { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    format!("{}\n{}\n", BOM_COLUMNS.join(","), EXAMPLE_ROW.iter().map(|s| quote(s)).collect::<Vec<_>>().join(","))
}

fn bom_xlsx() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name("BOM")?;
    for (c, (h, v)) in BOM_COLUMNS.iter().zip(EXAMPLE_ROW).enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, c, *h, &bold)?;
        // Numbers as numbers; HS codes and every other field as text (a numeric 8708.40 would lose its 0).
        let numeric = if matches!(*h, "quantity" | "unit_value") { v.parse::<f64>().ok() } else { None };
        if let Some(n) = numeric {
            ws.write_number(1, c, n)?;
        } else if !v.is_empty() {
            ws.write_string_with_format(1, c, v, &text)?;
        }
        ws.set_column_width(c, (v.len().max(h.len()) as f64 + 2.0).min(50.0))?;
    }
    ws.set_column_format(4, &text)?;
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

const README: &str = r#"# Starter batch

Written by `origin-audit init`. Every value that says EXAMPLE is a placeholder.

1. Fill in `batch.yaml`: the header (who certifies, exports and imports), your suppliers'
   certifications, and one entry per good with its values (transaction value, net cost).
2. Fill in the BOM, one row per material line, in `bom.csv` or in `bom.xlsx` (then write
   `bom_files: [bom.xlsx]` in `batch.yaml`). Required columns: good, line, description, hs, quantity,
   unit_value, currency, origin. Keep HS codes as text (`8708.30`, not a number).
3. Check the input; every problem is shown with its file, line and field:

       origin-audit batch check batch.yaml

4. Audit, and hand the results on as a spreadsheet (sheets Goods, Findings, Materials):

       origin-audit run batch.yaml --format xlsx --out results.xlsx

   or as JSON with certificate drafts for the goods that qualify:

       origin-audit run batch.yaml --out report.json --certificates certificates

5. Review the findings: `origin-audit findings list`, or in the web UI (`origin-audit serve`).

The USMCA rule pack is built into `origin-audit`; `origin-audit rules explain 8708.30 --use
passenger-vehicle` shows the rule for a code, and `origin-audit rules export DIR` writes the pack for
editing (use it with `--rules DIR`).
"#;

/// `init DIR`: writes `batch.yaml`, `bom.csv`, `bom.xlsx` and `README.md` into DIR (created when missing).
/// Refuses to overwrite any of them, so a batch being filled in is never lost.
pub fn init(dir: &Path, today: NaiveDate, out: &mut dyn Write) -> std::io::Result<i32> {
    let names = ["batch.yaml", "bom.csv", "bom.xlsx", "README.md"];
    let existing: Vec<&str> = names.iter().copied().filter(|n| dir.join(n).exists()).collect();
    if !existing.is_empty() {
        writeln!(
            out,
            "error: `{}` already holds {}; nothing was written\n  help: choose a new directory",
            dir.display(),
            existing.join(", ")
        )?;
        return Ok(exit::USAGE);
    }
    let xlsx = bom_xlsx().map_err(std::io::Error::other)?;
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("batch.yaml"), batch_yaml(today))?;
    std::fs::write(dir.join("bom.csv"), bom_csv())?;
    std::fs::write(dir.join("bom.xlsx"), xlsx)?;
    std::fs::write(dir.join("README.md"), README)?;
    let d = dir.display();
    writeln!(out, "wrote a starter batch in `{d}`: batch.yaml, bom.csv, bom.xlsx, README.md")?;
    writeln!(out, "next: replace the EXAMPLE values, then")?;
    writeln!(out, "  origin-audit batch check {d}/batch.yaml")?;
    writeln!(out, "  origin-audit run {d}/batch.yaml --format xlsx --out results.xlsx")?;
    Ok(exit::OK)
}
