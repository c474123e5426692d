//! BOM lines from CSV or from the first sheet of an XLSX workbook, with the columns an ERP export has:
//! good, line, part, description, hs, quantity, unit_value, currency, origin, supplier, certification
//! (and optionally role, kinds, lot). Each row's errors name the file, the row and the column; a bad row
//! makes its good an input error and leaves the other goods alone.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use origin_core::{Country, Currency, Decimal, HsCode};

use super::{GoodInput, InputError, Material, Role};

/// Every column a BOM file may have, in the order the `init` templates write them (docs/batch-format.md,
/// "CSV / XLSX BOM lines"). A header naming any other column is refused: a misspelt optional column
/// (`certificaton`) would otherwise be dropped in silence, and its materials counted non-originating.
pub const BOM_COLUMNS: [&str; 14] = [
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
    "role",
    "kinds",
    "lot",
];

/// The columns a BOM file must have.
const REQUIRED: [&str; 8] = ["good", "line", "description", "hs", "quantity", "unit_value", "currency", "origin"];

/// Reads `path` and appends its rows to the goods they name. Fatal only when the file cannot be read
/// or lacks a required column.
pub(super) fn attach(
    path: &Path,
    field: &str,
    goods: &mut [GoodInput],
    rates: &HashMap<Currency, Decimal>,
    batch_currency: Currency,
    kind_rows: &mut HashMap<(usize, usize), (std::path::PathBuf, usize)>,
) -> Result<Vec<InputError>, Vec<InputError>> {
    let fatal = |message: String, help: &str| {
        vec![InputError {
            code: "bom-input",
            column: None,
            file: path.to_path_buf(),
            line: None,
            field: field.to_string(),
            message,
            help: help.to_string(),
        }]
    };
    let rows: Vec<Vec<String>> = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref()
    {
        Some("csv") => {
            let mut rdr =
                csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(path).map_err(|e| {
                    fatal(format!("cannot read the BOM file: {e}"), "check the path in `batch.bom_files`")
                })?;
            let mut rows = Vec::new();
            for rec in rdr.records() {
                let rec = rec.map_err(|e| fatal(format!("malformed CSV: {e}"), "check quoting and separators"))?;
                rows.push(rec.iter().map(|s| s.trim().to_string()).collect());
            }
            rows
        }
        Some("xlsx") => super::xlsx::read_rows(path).map_err(|p| fatal(p.message, &p.help))?,
        _ => {
            return Err(fatal(
                format!("`{}` is neither .csv nor .xlsx", path.display()),
                "export the BOM as CSV or XLSX",
            ));
        }
    };
    let Some((head, body)) = rows.split_first() else {
        return Err(fatal("the BOM file is empty".into(), "the first row names the columns"));
    };
    let mut col: HashMap<String, usize> = HashMap::with_capacity(head.len());
    for (i, h) in head.iter().enumerate() {
        let name = h.trim().to_ascii_lowercase().replace(' ', "_");
        if name.is_empty() {
            continue;
        }
        // Two columns of one name: which one holds the value is a guess, so neither is taken.
        if let Some(first) = col.insert(name.clone(), i) {
            return Err(vec![InputError {
                code: "bom-input",
                column: None,
                file: path.to_path_buf(),
                line: Some(1),
                field: name.clone(),
                message: format!("the header row names column `{name}` twice (columns {} and {})", first + 1, i + 1),
                help: format!("keep one `{name}` column and rename or delete the other"),
            }]);
        }
    }
    let mut unknown: Vec<InputError> = col
        .iter()
        .filter(|(name, _)| !BOM_COLUMNS.contains(&name.as_str()))
        .map(|(name, i)| InputError {
            code: "bom-input",
            column: None,
            file: path.to_path_buf(),
            line: Some(1),
            field: name.clone(),
            message: format!("the header row names column `{name}` (column {}), which a BOM file does not have", i + 1),
            help: format!("rename it to one of: {}", BOM_COLUMNS.join(", ")),
        })
        .collect();
    if !unknown.is_empty() {
        unknown.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(unknown);
    }
    for c in REQUIRED {
        if !col.contains_key(c) {
            return Err(fatal(
                format!("the BOM file has no `{c}` column"),
                &format!("the first row must name the columns: {}", REQUIRED.join(", ")),
            ));
        }
    }
    let index: HashMap<String, usize> = goods.iter().enumerate().map(|(i, g)| (g.id().to_string(), i)).collect();
    let mut orphans = Vec::new();
    for (r, row) in body.iter().enumerate() {
        let row_no = r + 2; // 1-based, after the header row
        let get = |c: &str| col.get(c).and_then(|i| row.get(*i)).map(String::as_str).unwrap_or("").trim();
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut errs = Vec::new();
        let mut err = |column: &str, message: String, help: &str| {
            errs.push(InputError {
                code: "bom-input",
                column: None,
                file: path.to_path_buf(),
                line: Some(row_no),
                field: column.to_string(),
                message,
                help: help.to_string(),
            })
        };
        let good_id = get("good").to_string();
        let Some(&gi) = index.get(&good_id) else {
            err(
                "good",
                format!("good `{good_id}` is not in the batch header"),
                "list the good under `goods` in the batch file",
            );
            // A row for an unknown good cannot be attached anywhere: a batch warning, so that no innocent
            // good becomes an input error.
            orphans.extend(errs);
            continue;
        };
        let hs = super::stated(&spreadsheet_hs(get("hs")), HsCode::parse)
            .map_err(|e| err("hs", e.to_string(), "classify the material, or write `unknown`"));
        let origin = super::stated(get("origin"), Country::parse)
            .map_err(|e| err("origin", e.to_string(), "the supplier's declared origin, ISO alpha-2, or `unknown`"));
        let quantity = Decimal::from_str(get("quantity")).map_err(|_| {
            err("quantity", format!("`{}` is not a number", get("quantity")), "write the quantity per good")
        });
        let unit_value = Decimal::from_str(get("unit_value")).map_err(|_| {
            err(
                "unit_value",
                format!("`{}` is not a number", get("unit_value")),
                "write the value per unit, with a dot for decimals",
            )
        });
        // The same value checks as a BOM line in the batch file (`Cx::materials`).
        if let Ok(q) = quantity
            && q <= Decimal::ZERO
        {
            err("quantity", format!("the quantity `{q}` is not positive"), "state the quantity per good");
        }
        if let Ok(u) = unit_value
            && u < Decimal::ZERO
        {
            err("unit_value", format!("the unit value `{u}` is negative"), "state the value per unit");
        }
        let rate = match Currency::parse(get("currency")) {
            Ok(c) => rates.get(&c).copied().ok_or_else(|| {
                err(
                    "currency",
                    format!("no exchange rate from `{c}` into `{batch_currency}`"),
                    "add it under `exchange_rates` in the batch file",
                )
            }),
            Err(e) => {
                err("currency", e.to_string(), "use an ISO 4217 code");
                Err(())
            }
        };
        let role = match get("role") {
            "" | "direct" => Ok(Role::Direct),
            "indirect" => Ok(Role::Indirect),
            "accessory" => Ok(Role::Accessory),
            "retail-packaging" => Ok(Role::RetailPackaging),
            "packing" => Ok(Role::Packing),
            other => {
                err(
                    "role",
                    format!("`{other}` is not a role"),
                    "write direct, indirect, accessory, retail-packaging or packing",
                );
                Err(())
            }
        };
        let opt = |c: &str| Some(get(c)).filter(|s| !s.is_empty()).map(std::sync::Arc::<str>::from);
        // A blank cell is "not stated" (a rule naming a kind then asks); `none` or `-` states that the
        // material is of none of the kinds rules name. A blank is never read as "none".
        let kinds = match get("kinds") {
            "" => None,
            "none" | "-" => Some(Vec::new()),
            list => Some(list.split(';').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect()),
        };
        let value = match (quantity, unit_value, rate) {
            (Ok(q), Ok(u), Ok(rate)) => super::line_value(q, u, rate).ok_or_else(|| {
                err(
                    "unit_value",
                    format!("quantity {q} x unit value {u} {}", super::too_large_tail()),
                    super::TOO_LARGE_HELP,
                )
            }),
            _ => Err(()),
        };
        match (hs, origin, quantity, value, role) {
            (Ok(hs), Ok(origin), Ok(q), Ok(value), Ok(role)) if errs.is_empty() => {
                if let GoodInput::Ok(g) = &mut goods[gi] {
                    // Kinds are checked against the pack's vocabulary later; this row is where to point.
                    if kinds.as_ref().is_some_and(|k| !k.is_empty()) {
                        kind_rows.insert((gi, g.materials.len()), (path.to_path_buf(), row_no));
                    }
                    g.materials.push(std::sync::Arc::new(Material {
                        line: get("line").into(),
                        part: opt("part"),
                        description: get("description").into(),
                        hs,
                        quantity: q,
                        value,
                        origin,
                        supplier: opt("supplier"),
                        certification: opt("certification"),
                        kinds,
                        role,
                        lot: opt("lot"),
                        self_produced: None,
                        weight_kg: None,
                    }));
                }
            }
            _ => invalidate(&mut goods[gi], errs),
        }
    }
    Ok(orphans)
}

fn invalidate(g: &mut GoodInput, errs: Vec<InputError>) {
    match g {
        GoodInput::Invalid { errors, .. } => errors.extend(errs),
        GoodInput::Ok(good) => *g = GoodInput::Invalid { id: good.id.clone(), errors: errs },
    }
}

/// Undoes what a spreadsheet does to an HS code stored as a number: `8708.4` was `8708.40`, `101.21`
/// was `0101.21`. Text cells pass through unchanged.
fn spreadsheet_hs(s: &str) -> String {
    let Some((head, tail)) = s.split_once('.') else { return s.to_string() };
    if !head.bytes().all(|b| b.is_ascii_digit()) || !tail.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let head = if head.len() == 3 { format!("0{head}") } else { head.to_string() };
    let tail = if tail.len() == 1 { format!("{tail}0") } else { tail.to_string() };
    format!("{head}.{tail}")
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_hs;

    #[test]
    fn numeric_hs_cells_get_their_zeros_back() {
        assert_eq!(spreadsheet_hs("8708.4"), "8708.40");
        assert_eq!(spreadsheet_hs("101.21"), "0101.21");
        assert_eq!(spreadsheet_hs("8708.40.50"), "8708.40.50");
        assert_eq!(spreadsheet_hs("870840"), "870840");
    }
}
