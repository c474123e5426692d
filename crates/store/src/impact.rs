//! The impact of a scenario run: the goods that changed, grouped by supplier, by (traced) origin country
//! and by chapter, each with its cheapest fix, and the duty at stake.
//!
//! Duty at stake (docs/scenarios.md, "Duty at stake"): for a good that loses the preference,
//! `annual volume x customs value x (rate without preference - rate with it) / 100`; for a good that
//! gains it, the same with the sign reversed. Rates come from a duty table (CSV: MFN ad valorem rates
//! and additional duties by country of origin, with effective dates) read as of the scenario's
//! `effective_from`; volumes from a CSV. Exact decimals throughout; a good without a rate, a volume or
//! a customs value gets no exposure and is listed as such, never counted as zero.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use origin_core::{Country, Decimal};
use serde::Serialize;

use crate::scenarios::{ChangedGood, ScenarioRunRow};

/// A problem in a duty or volume file, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}\n  help: {help}")]
pub struct TableError {
    /// The file.
    pub file: String,
    /// 1-based line (1: the header).
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Which duty a row gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DutyKind {
    /// The MFN (column 1 general) ad valorem rate: not paid under the USMCA preference.
    Mfn,
    /// An additional duty (Section 232, 301, a scenario's surcharge) on goods of `country`.
    Additional,
}

/// One row of the duty table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyRow {
    /// The HS digits the row covers (a prefix: `8708` covers `8708.30`).
    pub hs_prefix: String,
    /// MFN or additional.
    pub kind: DutyKind,
    /// The country of origin it applies to; `None`: every country.
    pub country: Option<Country>,
    /// Ad valorem rate, percent.
    pub rate: Decimal,
    /// The program (`MFN`, `Section 232 steel`); for additional duties the longest prefix of each
    /// program applies.
    pub name: String,
    /// Whether it is paid even when the good claims the USMCA preference.
    pub with_preference: bool,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// Last day in force.
    pub effective_to: Option<NaiveDate>,
    /// The file's line.
    pub line: usize,
}

/// A duty table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DutyTable {
    /// Rows.
    pub rows: Vec<DutyRow>,
}

const DUTY_HEADER: [&str; 9] =
    ["hs_prefix", "kind", "country", "rate", "name", "with_preference", "effective_from", "effective_to", "source"];

fn csv_records(path: &Path) -> Result<(String, Vec<(usize, csv::StringRecord)>), TableError> {
    let file = path.display().to_string();
    let err = |line: usize, message: String, help: &str| TableError {
        file: file.clone(),
        line,
        message,
        help: help.to_string(),
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, format!("cannot read: {e}"), "give a CSV file"))?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).comment(Some(b'#')).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
            err(line, e.to_string(), "check the quoting and the number of fields")
        })?;
        let line = rec.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
        out.push((line, rec));
    }
    Ok((file, out))
}

impl DutyTable {
    /// Reads a duty table CSV (docs/scenarios.md). Every bad row is an error at its line.
    pub fn load(path: &Path) -> Result<DutyTable, Vec<TableError>> {
        let (file, recs) = csv_records(path).map_err(|e| vec![e])?;
        let err = |line: usize, message: String, help: &str| TableError {
            file: file.clone(),
            line,
            message,
            help: help.to_string(),
        };
        let mut it = recs.into_iter();
        let Some((hline, header)) = it.next() else {
            return Err(vec![err(
                1,
                "the file is empty".into(),
                &format!("start with the header {}", DUTY_HEADER.join(",")),
            )]);
        };
        let got: Vec<&str> = header.iter().map(str::trim).collect();
        if got != DUTY_HEADER {
            return Err(vec![err(
                hline,
                format!("the header is `{}`", got.join(",")),
                &format!("write {}", DUTY_HEADER.join(",")),
            )]);
        }
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        for (line, r) in it {
            let f = |i: usize| r.get(i).map(str::trim).unwrap_or("");
            if r.len() != DUTY_HEADER.len() {
                errors.push(err(
                    line,
                    format!("{} fields, not {}", r.len(), DUTY_HEADER.len()),
                    "one value per column",
                ));
                continue;
            }
            let mut bad = |m: String, h: &str| errors.push(err(line, m, h));
            let hs: String = if f(0) == "*" { String::new() } else { f(0).chars().filter(|c| *c != '.').collect() };
            if (hs.is_empty() && f(0) != "*") || hs.len() > 10 || !hs.chars().all(|c| c.is_ascii_digit()) {
                bad(
                    format!("`{}` is not an HS prefix", f(0)),
                    "write 2 to 10 digits, dots allowed (`8708.30`), or * for every code",
                );
                continue;
            }
            let kind = match f(1) {
                "mfn" => DutyKind::Mfn,
                "additional" => DutyKind::Additional,
                k => {
                    bad(format!("`{k}` is not a kind"), "write mfn or additional");
                    continue;
                }
            };
            let country = match f(2) {
                "" | "*" => None,
                c => match Country::parse(c) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        bad(e.0, "write an ISO 3166-1 alpha-2 code, or * for every country");
                        continue;
                    }
                },
            };
            if kind == DutyKind::Mfn && country.is_some() {
                bad("an MFN row names no country".into(), "leave `country` empty or *");
                continue;
            }
            let rate = match f(3).parse::<Decimal>() {
                Ok(r) if r >= Decimal::ZERO && r <= Decimal::ONE_THOUSAND => r,
                _ => {
                    bad(format!("`{}` is not a rate", f(3)), "write the ad valorem rate in percent, e.g. 2.5");
                    continue;
                }
            };
            let with_preference = match f(5) {
                "yes" => true,
                "no" | "" => false,
                v => {
                    bad(format!("`{v}` is not yes or no"), "yes: paid even with the USMCA preference");
                    continue;
                }
            };
            if kind == DutyKind::Mfn && with_preference {
                bad("the MFN rate is never paid with the preference".into(), "write no");
                continue;
            }
            let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d");
            let Ok(effective_from) = date(f(6)) else {
                bad(format!("`{}` is not a date", f(6)), "write YYYY-MM-DD");
                continue;
            };
            let effective_to = match f(7) {
                "" => None,
                s => match date(s) {
                    Ok(d) if d >= effective_from => Some(d),
                    _ => {
                        bad(
                            format!("`{s}` is not a date on or after {effective_from}"),
                            "write YYYY-MM-DD, or leave it empty",
                        );
                        continue;
                    }
                },
            };
            let name = if f(4).is_empty() && kind == DutyKind::Mfn { "MFN".to_string() } else { f(4).to_string() };
            if name.is_empty() {
                bad("an additional duty needs a name".into(), "name the program, e.g. Section 301");
                continue;
            }
            rows.push(DutyRow {
                hs_prefix: hs,
                kind,
                country,
                rate,
                name,
                with_preference,
                effective_from,
                effective_to,
                line,
            });
        }
        if errors.is_empty() { Ok(DutyTable { rows }) } else { Err(errors) }
    }

    /// The rates for a good of `hs` from `country` on `date`: (without the preference, with it, the
    /// programs applied). `None` when no MFN row covers the code: the exposure is unknown, not zero.
    pub fn rates(
        &self,
        hs: &str,
        country: Option<Country>,
        date: NaiveDate,
    ) -> Option<(Decimal, Decimal, Vec<String>)> {
        let digits: String = hs.chars().filter(char::is_ascii_digit).collect();
        let live = |r: &&DutyRow| {
            digits.starts_with(&r.hs_prefix) && r.effective_from <= date && r.effective_to.is_none_or(|t| date <= t)
        };
        let mfn =
            self.rows.iter().filter(live).filter(|r| r.kind == DutyKind::Mfn).max_by_key(|r| r.hs_prefix.len())?;
        // Per program, the most specific row: the longest prefix, a named country before `*`.
        let mut programs: BTreeMap<&str, &DutyRow> = BTreeMap::new();
        for r in self.rows.iter().filter(live).filter(|r| r.kind == DutyKind::Additional) {
            if r.country.is_some_and(|c| Some(c) != country) {
                continue;
            }
            let better =
                |old: &DutyRow| (r.hs_prefix.len(), r.country.is_some()) > (old.hs_prefix.len(), old.country.is_some());
            match programs.get(r.name.as_str()) {
                Some(old) if !better(old) => {}
                _ => {
                    programs.insert(&r.name, r);
                }
            }
        }
        let mut without = mfn.rate;
        let mut with = Decimal::ZERO;
        let mut names = vec![format!("MFN {}%", mfn.rate)];
        for r in programs.values() {
            without += r.rate;
            if r.with_preference {
                with += r.rate;
            }
            names.push(format!(
                "{} {}%{}",
                r.name,
                r.rate,
                if r.with_preference { " (also with preference)" } else { "" }
            ));
        }
        Some((without, with, names))
    }
}

/// Annual volumes per good: `good,annual_volume` (an optional first column `batch` when good ids repeat
/// across batches).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Volumes {
    by_good: BTreeMap<(Option<String>, String), Decimal>,
}

impl Volumes {
    /// Reads a volumes CSV; every bad row is an error at its line.
    pub fn load(path: &Path) -> Result<Volumes, Vec<TableError>> {
        let (file, recs) = csv_records(path).map_err(|e| vec![e])?;
        let err = |line: usize, message: String, help: &str| TableError {
            file: file.clone(),
            line,
            message,
            help: help.to_string(),
        };
        let mut it = recs.into_iter();
        let Some((hline, header)) = it.next() else {
            return Err(vec![err(1, "the file is empty".into(), "start with the header good,annual_volume")]);
        };
        let got: Vec<&str> = header.iter().map(str::trim).collect();
        let with_batch = match got.as_slice() {
            ["good", "annual_volume"] => false,
            ["batch", "good", "annual_volume"] => true,
            _ => {
                return Err(vec![err(
                    hline,
                    format!("the header is `{}`", got.join(",")),
                    "write good,annual_volume or batch,good,annual_volume",
                )]);
            }
        };
        let mut v = Volumes::default();
        let mut errors = Vec::new();
        for (line, r) in it {
            let f: Vec<&str> = r.iter().map(str::trim).collect();
            let (batch, good, vol) = match (with_batch, f.as_slice()) {
                (false, [g, v]) => (None, *g, *v),
                (true, [b, g, v]) => (Some(b.to_string()), *g, *v),
                _ => {
                    errors.push(err(line, format!("{} fields", f.len()), "one value per column"));
                    continue;
                }
            };
            match vol.parse::<Decimal>() {
                Ok(n) if n >= Decimal::ZERO && !good.is_empty() => {
                    if v.by_good.insert((batch, good.to_string()), n).is_some() {
                        errors.push(err(line, format!("good `{good}` is listed twice"), "keep one row per good"));
                    }
                }
                _ => errors.push(err(
                    line,
                    format!("`{vol}` is not a volume"),
                    "write a number of units per year, 0 or more",
                )),
            }
        }
        if errors.is_empty() { Ok(v) } else { Err(errors) }
    }

    /// The volume of a good.
    pub fn get(&self, batch: &str, good: &str) -> Option<Decimal> {
        self.by_good
            .get(&(Some(batch.to_string()), good.to_string()))
            .or_else(|| self.by_good.get(&(None, good.to_string())))
            .copied()
    }

    /// Whether any volume is given.
    pub fn is_empty(&self) -> bool {
        self.by_good.is_empty()
    }
}

/// One changed good with its duty at stake.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GoodImpact {
    /// The good.
    #[serde(flatten)]
    pub good: ChangedGood,
    /// Units per year.
    #[schemars(with = "Option<String>")]
    pub volume: Option<Decimal>,
    /// Rate without the preference, percent.
    #[schemars(with = "Option<String>")]
    pub rate_without: Option<Decimal>,
    /// Rate with it.
    #[schemars(with = "Option<String>")]
    pub rate_with: Option<Decimal>,
    /// The programs applied.
    pub programs: Vec<String>,
    /// Duty at stake per year (positive: more duty), in `currency`; `None` when a figure is missing.
    #[schemars(with = "Option<String>")]
    pub exposure: Option<Decimal>,
    /// Why there is no exposure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// The changed goods of one key (a supplier, a country, a chapter).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Group {
    /// The supplier, country or chapter (`-` when a good's fix names no line).
    pub key: String,
    /// Its goods.
    pub goods: Vec<String>,
    /// Goods that lost the preference.
    pub lost: usize,
    /// Goods that gained it.
    pub gained: usize,
    /// Exposure of its goods, per currency.
    #[schemars(with = "BTreeMap<String, String>")]
    pub exposure: BTreeMap<String, Decimal>,
}

/// The impact of one scenario run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Impact {
    /// The scenario run.
    pub scenario: ScenarioRunRow,
    /// Every changed good.
    pub goods: Vec<GoodImpact>,
    /// By supplier of the lines the good's fix names (a good with several suppliers is under each).
    pub by_supplier: Vec<Group>,
    /// By the traced origin of those lines.
    pub by_origin: Vec<Group>,
    /// By the good's HS chapter.
    pub by_chapter: Vec<Group>,
    /// Total exposure per currency.
    #[schemars(with = "BTreeMap<String, String>")]
    pub total: BTreeMap<String, Decimal>,
    /// The date the duty table is read at (the scenario's `effective_from`).
    pub rates_as_of: String,
}

/// The impact of a scenario run's changed goods, with the duty at stake when a table and volumes are
/// given.
pub fn impact(
    scenario: ScenarioRunRow,
    changed: Vec<ChangedGood>,
    duties: Option<&DutyTable>,
    volumes: Option<&Volumes>,
) -> Impact {
    let date = NaiveDate::parse_from_str(&scenario.effective_from, "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    let goods: Vec<GoodImpact> = changed
        .into_iter()
        .map(|g| {
            let volume = volumes.and_then(|v| v.get(&g.batch, &g.good));
            let rates = duties.and_then(|d| d.rates(&g.hs, Country::parse(&g.country).ok(), date));
            let sign = if g.lost() {
                Decimal::ONE
            } else if g.gained() {
                -Decimal::ONE
            } else {
                Decimal::ZERO
            };
            let missing = match (duties, volumes, &rates, volume, g.customs_value) {
                (None, _, _, _, _) => Some("no duty table given".to_string()),
                (_, None, _, _, _) => Some("no volumes given".to_string()),
                (_, _, None, _, _) => Some(format!("the duty table has no MFN rate for `{}` on {date}", g.hs)),
                (_, _, _, None, _) => Some("no annual volume for the good".to_string()),
                (_, _, _, _, None) => Some("the good states no transaction value".to_string()),
                _ => None,
            };
            let exposure = match (&rates, volume, g.customs_value, &missing) {
                (Some((without, with, _)), Some(v), Some(cv), None) => {
                    Some(sign * v * cv * (without - with) / Decimal::ONE_HUNDRED)
                }
                _ => None,
            };
            GoodImpact {
                volume,
                rate_without: rates.as_ref().map(|r| r.0),
                rate_with: rates.as_ref().map(|r| r.1),
                programs: rates.map(|r| r.2).unwrap_or_default(),
                exposure,
                missing,
                good: g,
            }
        })
        .collect();
    let group = |keys: &dyn Fn(&ChangedGood) -> Vec<String>| -> Vec<Group> {
        let mut m: BTreeMap<String, Group> = BTreeMap::new();
        for g in &goods {
            let mut ks = keys(&g.good);
            ks.sort();
            ks.dedup();
            if ks.is_empty() {
                ks.push("-".into());
            }
            for k in ks {
                let e = m.entry(k.clone()).or_insert_with(|| Group {
                    key: k,
                    goods: Vec::new(),
                    lost: 0,
                    gained: 0,
                    exposure: BTreeMap::new(),
                });
                e.goods.push(g.good.good.clone());
                e.lost += usize::from(g.good.lost());
                e.gained += usize::from(g.good.gained());
                if let Some(x) = g.exposure {
                    *e.exposure.entry(g.good.currency.clone()).or_default() += x;
                }
            }
        }
        let mut v: Vec<Group> = m.into_values().collect();
        // Largest exposure first, then most goods, then the key.
        v.sort_by(|a, b| {
            let ea: Decimal = a.exposure.values().sum();
            let eb: Decimal = b.exposure.values().sum();
            eb.cmp(&ea).then(b.goods.len().cmp(&a.goods.len())).then(a.key.cmp(&b.key))
        });
        v
    };
    let by_supplier = group(&|g| g.fix_lines.iter().filter_map(|l| l.supplier.clone()).collect());
    let by_origin = group(&|g| g.fix_lines.iter().filter_map(|l| l.origin.clone()).collect());
    let by_chapter = group(&|g| vec![g.chapter()]);
    let mut total: BTreeMap<String, Decimal> = BTreeMap::new();
    for g in &goods {
        if let Some(x) = g.exposure {
            *total.entry(g.good.currency.clone()).or_default() += x;
        }
    }
    Impact { rates_as_of: date.to_string(), scenario, goods, by_supplier, by_origin, by_chapter, total }
}
