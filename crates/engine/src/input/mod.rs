//! Batch input: YAML or JSON of one shape, plus CSV or XLSX BOM lines beside the header.
//!
//! Errors in the header stop the run before anything is written ([`HeaderError`]). Errors in one good
//! become [`InputError`]s attached to that good, which is then reported with an INPUT_ERROR finding,
//! while the other goods are audited as usual.

mod bom;
mod json;
mod kinds;
pub mod raw;
pub mod xlsx;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use origin_core::diag::{Located, Severity, Sources};
use origin_core::{Country, Currency, Decimal, HsCode};
use origin_graph::{ProvenanceGraph, ProvenanceInput};
use origin_rules::locate::PathIndex;
use origin_rules::{StagingCategory, VehicleUse};
use serde::Serialize;

pub use bom::BOM_COLUMNS;
pub use kinds::{canonical_good, resolve_kinds};
use raw::*;

/// A good of the general path and its BOM lines, moved into the type the checks read.
fn split_good(mut g: RawGood) -> (RawGood, Vec<RawMaterialIn<'static>>) {
    let bom = std::mem::take(&mut g.materials).into_iter().map(RawMaterialIn::from).collect();
    (g, bom)
}

/// A problem in the batch input, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    /// Stable code of the kind of problem, printed as `error[code]` (`batch-input`, `bom-input`,
    /// `malformed-batch`, `duplicate-id`, `undeclared-kind`, `provenance-dangling-id`, ...). Not part of
    /// the serialized shape.
    #[serde(skip)]
    pub code: &'static str,
    /// The file.
    pub file: PathBuf,
    /// Line (YAML/JSON) or row (CSV/XLSX, 1 = header row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Column (YAML/JSON, from 1), where the path index knows it. CSV columns are found when the
    /// diagnostic is rendered ([`InputError::located`]), from the header row and the row's text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The field: a path such as `goods[3].materials[2].hs`, or a CSV column.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": `{}`: {} (help: {})", self.field, self.message, self.help)
    }
}

impl InputError {
    /// The error as the one located diagnostic every input shares, with `severity`; every field is
    /// kept. With the file's `source` text the snippet is shown, and a column not known yet is found:
    /// in a CSV file, the cell of the column named by `field` (from the header row); in YAML/JSON, the
    /// value of the field's last key on its line.
    pub fn located(&self, severity: Severity, source: Option<Arc<String>>) -> Located {
        let mut d = Located::new(severity, self.code, self.file.clone(), self.message.clone())
            .at(self.line, self.column)
            .field(self.field.clone())
            .help(self.help.clone())
            .with_source(source);
        if d.column.is_some() {
            return d.underline_value();
        }
        if let (Some(row), Some(text)) = (self.line, d.source.clone()) {
            let csv = self.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let found = if csv { csv_cell(&text, row, &self.field) } else { key_value(&text, row, &self.field) };
            if let Some((column, width)) = found {
                d.column = Some(column);
                d.width = width;
            }
        }
        d
    }
}

/// Renders input errors for people, each with its source line (each file read once by `sources`).
pub fn render_errors<'a>(
    errors: impl IntoIterator<Item = &'a InputError>,
    severity: Severity,
    context: Option<&str>,
    sources: &mut Sources,
) -> Vec<String> {
    errors
        .into_iter()
        .map(|e| {
            let text = if e.line.is_some() { sources.text(&e.file) } else { None };
            let mut d = e.located(severity, text);
            if let Some(c) = context {
                d = d.context(c);
            }
            d.render()
        })
        .collect()
}

/// Line `n` (from 1) of `text`.
fn nth_line(text: &str, n: usize) -> Option<&str> {
    let line = text.lines().nth(n.checked_sub(1)?)?;
    Some(line.strip_suffix('\r').unwrap_or(line))
}

/// Cells of one CSV line: the character column (from 1) where each starts and its width in
/// characters. Quoted cells are read as written (a cell spanning lines is cut at the line's end).
fn csv_cells(line: &str) -> Vec<(usize, usize)> {
    let mut cells = Vec::new();
    let (mut start, mut width, mut quoted) = (1, 0, false);
    for (i, c) in line.chars().enumerate() {
        match c {
            '"' => {
                quoted = !quoted;
                width += 1;
            }
            ',' if !quoted => {
                cells.push((start, width));
                start = i + 2;
                width = 0;
            }
            _ => width += 1,
        }
    }
    cells.push((start, width));
    cells
}

/// The column and width of the cell of `column` (a header name, matched as the reader matches it) on
/// row `row` of a CSV text.
fn csv_cell(text: &str, row: usize, column: &str) -> Option<(usize, usize)> {
    let header = nth_line(text, 1)?;
    let header = header.strip_prefix('\u{feff}').unwrap_or(header);
    let names: Vec<String> =
        header.split(',').map(|h| h.trim().trim_matches('"').trim().to_ascii_lowercase().replace(' ', "_")).collect();
    let want = column.trim().to_ascii_lowercase().replace(' ', "_");
    let k = names.iter().position(|n| *n == want)?;
    let (start, width) = *csv_cells(nth_line(text, row)?).get(k)?;
    Some((start, width.max(1)))
}

/// The column and width of the value of the last key of `field` (`goods[0].materials[1].hs` -> `hs`)
/// on line `line` of a YAML or JSON text; for a path ending in an index, the first character after
/// the list item's dash.
fn key_value(text: &str, line: usize, field: &str) -> Option<(usize, usize)> {
    let l = nth_line(text, line)?;
    let last = field.rsplit('.').next().unwrap_or(field);
    let key = last.split('[').next().unwrap_or(last);
    let at = |byte: usize| l[..byte].chars().count();
    if !key.is_empty() && !last.ends_with(']') {
        for pat in [format!("\"{key}\""), key.to_string()] {
            let mut from = 0;
            while let Some(i) = l[from..].find(&pat) {
                let b = from + i;
                let before_ok = b == 0 || !l[..b].ends_with(|c: char| c.is_alphanumeric() || c == '_');
                let after = l[b + pat.len()..].trim_start();
                if before_ok && after.starts_with(':') {
                    let value = after[1..].trim_start();
                    let col = at(l.len() - value.len()) + 1;
                    return Some((col, origin_core::diag::value_width(l, col)));
                }
                from = b + pat.len();
            }
        }
    }
    let first = l.chars().position(|c| !c.is_whitespace() && c != '-')?;
    Some((first + 1, 1))
}

/// A batch that cannot be audited at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError(pub Vec<InputError>);

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the batch cannot be audited; nothing was written:")?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for HeaderError {}

impl HeaderError {
    /// For people (the commands, the server's 422 and the runs page): what it means, then each error
    /// with its source line. [`fmt::Display`] stays the one-line-per-error form.
    pub fn render(&self, sources: &mut Sources) -> String {
        let mut out = String::from("the batch cannot be audited; nothing was written:\n\n");
        out.push_str(&render_errors(&self.0, Severity::Error, None, sources).join("\n"));
        out
    }
}

/// The batch header, checked.
#[derive(Debug, Clone)]
pub struct Header {
    /// Batch id.
    pub id: String,
    /// Importing Party.
    pub importing_party: Country,
    /// Determination date.
    pub as_of: NaiveDate,
    /// Reporting currency.
    pub currency: Currency,
    /// Expected rule pack.
    pub rule_pack: Option<String>,
    /// The HS edition the batch's codes are in (`nomenclature:`, default HS 2022).
    pub nomenclature: origin_rules::Nomenclature,
    /// Certifier party id.
    pub certifier: Option<String>,
    /// Exporter party id or `various`.
    pub exporter: Option<String>,
    /// Importer party id or `various`.
    pub importer: Option<String>,
}

/// A party (Annex 5-A).
#[derive(Debug, Clone, Serialize)]
pub struct Party {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Address.
    pub address: String,
    /// Country.
    pub country: Country,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
}

/// A supplier certification, checked.
#[derive(Debug, Clone)]
pub struct SupplierCertification {
    /// Id.
    pub id: String,
    /// Supplier.
    pub supplier: String,
    /// Parts covered (empty = all of the supplier's parts).
    pub parts: Vec<String>,
    /// Classification certified.
    pub hs: Option<HsCode>,
    /// Criterion.
    pub criterion: char,
    /// Country certified.
    pub country: Country,
    /// Blanket period.
    pub blanket: Option<(NaiveDate, NaiveDate)>,
    /// Signed.
    pub signed: NaiveDate,
}

/// How a material takes part in the determination (19 U.S.C. 4531(h)-(k)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A material incorporated in the good.
    Direct,
    /// An indirect material: originating wherever made.
    Indirect,
    /// An accessory, spare part or tool delivered with the good: no shift, counted in RVC.
    Accessory,
    /// Retail packaging classified with the good: no shift, counted in RVC.
    RetailPackaging,
    /// Packing for shipment: disregarded.
    Packing,
}

/// A BOM line, checked; values converted to the batch currency. Its texts are shared `Arc<str>`s:
/// line ids, descriptions, suppliers and certification ids repeat across millions of lines and are
/// stored once per batch (see [`Interner`]), and the audit's outcome shares them instead of copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    /// Line id.
    pub line: Arc<str>,
    /// Part number.
    pub part: Option<Arc<str>>,
    /// Description.
    pub description: Arc<str>,
    /// Classification; `None` when the batch states it `unknown` (a tariff shift that needs it is then
    /// undetermined, and the good needs evidence that names the line).
    pub hs: Option<HsCode>,
    /// Quantity.
    pub quantity: Decimal,
    /// Value (quantity x unit value), in the batch currency.
    pub value: Decimal,
    /// Declared origin; `None` when the batch states it `unknown`: counted as non-originating (a material
    /// of undetermined origin counts in VNM as non-originating, Art. 4.5), and the
    /// good needs evidence when its origin could change the answer.
    pub origin: Option<Country>,
    /// Supplier.
    pub supplier: Option<Arc<str>>,
    /// Supplier certification id.
    pub certification: Option<Arc<str>>,
    /// Kinds (None = unknown; Some = complete list).
    pub kinds: Option<Vec<String>>,
    /// Role.
    pub role: Role,
    /// Provenance lot.
    pub lot: Option<Arc<str>>,
    /// Self-produced: its BOM (boxed: rare, and it would double the size of every line).
    pub self_produced: Option<Box<SelfProduced>>,
    /// Weight, kg.
    pub weight_kg: Option<Decimal>,
}

impl Material {
    /// The classification as written in reports: the code, or `unknown`.
    pub fn hs_text(&self) -> String {
        self.hs.map_or_else(|| "unknown".to_string(), |h| h.to_string())
    }

    /// The declared origin as written in reports: the country code, or `unknown`.
    pub fn origin_text(&self) -> String {
        self.origin.map_or_else(|| "unknown".to_string(), |c| c.to_string())
    }
}

/// Shares the texts that repeat across BOM lines: one allocation per distinct text. Bounded, so a
/// batch whose texts never repeat does not grow a table for nothing.
#[derive(Debug, Default)]
pub(crate) struct Interner(std::collections::HashSet<Arc<str>, std::hash::BuildHasherDefault<FxHasher>>);

impl Interner {
    /// Distinct texts kept; beyond this, texts are allocated on their own.
    const LIMIT: usize = 1 << 16;

    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        if self.0.len() < Self::LIMIT {
            self.0.insert(a.clone());
        }
        a
    }
}

/// A small multiplicative hasher for short keys (the std SipHash is several times slower on them).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A self-produced material's BOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfProduced {
    /// Designated intermediate.
    pub intermediate: bool,
    /// Net cost, batch currency.
    pub net_cost: Option<Decimal>,
    /// Materials.
    pub materials: Vec<Arc<Material>>,
}

/// A stop on the route.
#[derive(Debug, Clone)]
pub struct RouteStop {
    /// Country.
    pub country: Country,
    /// Operations there.
    pub operations: Vec<String>,
    /// Under customs control; `None` when the batch does not say.
    pub customs_control: Option<bool>,
}

/// A good, checked; values in the batch currency.
#[derive(Debug, Clone)]
pub struct Good {
    /// Id.
    pub id: String,
    /// Description.
    pub description: String,
    /// Classification.
    pub hs: HsCode,
    /// Vehicle use.
    pub vehicle_use: Option<VehicleUse>,
    /// Description a rule names.
    pub kind: Option<String>,
    /// Producer.
    pub producer: String,
    /// Place of production.
    pub place_of_production: Country,
    /// Wholly obtained claim.
    pub wholly_obtained: bool,
    /// Transaction value.
    pub transaction_value: Option<Decimal>,
    /// International shipping in the TV.
    pub international_shipping: Decimal,
    /// Net cost.
    pub net_cost: Option<Decimal>,
    /// Total cost.
    pub total_cost: Option<Decimal>,
    /// Operations.
    pub operations: Vec<String>,
    /// Route.
    pub route: Vec<RouteStop>,
    /// Automotive staging category.
    pub automotive: Option<StagingCategory>,
    /// Conditions with evidence.
    pub conditions_met: Vec<String>,
    /// Invoice.
    pub invoice: Option<String>,
    /// BOM (each line shared with the audit's outcome for it).
    pub materials: Vec<Arc<Material>>,
}

impl Good {
    /// Transaction value adjusted to exclude international shipping (the FOB basis).
    pub fn adjusted_tv(&self) -> Option<Decimal> {
        self.transaction_value.map(|tv| tv - self.international_shipping)
    }
}

/// A good as read: checked, or the errors that keep it from being audited.
#[derive(Debug, Clone)]
pub enum GoodInput {
    /// Ready to audit.
    Ok(Box<Good>),
    /// Could not be read; audited as an INPUT_ERROR finding.
    Invalid {
        /// Its id, as far as it could be read.
        id: String,
        /// What is wrong.
        errors: Vec<InputError>,
    },
}

impl GoodInput {
    /// The good's id.
    pub fn id(&self) -> &str {
        match self {
            GoodInput::Ok(g) => &g.id,
            GoodInput::Invalid { id, .. } => id,
        }
    }
}

/// A batch ready to audit.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The file it came from.
    pub file: PathBuf,
    /// Header.
    pub header: Header,
    /// Parties by id.
    pub parties: HashMap<String, Party>,
    /// Supplier certifications by id.
    pub certifications: HashMap<String, SupplierCertification>,
    /// Certifications that could not be read, by id, with why.
    pub bad_certifications: HashMap<String, Vec<InputError>>,
    /// Goods in file order.
    pub goods: Vec<GoodInput>,
    /// Provenance events, as read (`None` when the streamed read built them into
    /// `provenance_graph` instead).
    pub provenance: Option<ProvenanceInput>,
    /// The provenance built into its graph as the batch was read (by [`load_batch_streamed`], when it
    /// builds without an error): the records are never held.
    pub provenance_graph: Option<Arc<ProvenanceGraph>>,
    /// Non-fatal problems outside goods (parties, rates).
    pub warnings: Vec<InputError>,
    /// CSV/XLSX rows with a `kinds` cell, by (good index, material index): where a kind error points.
    pub bom_kind_rows: HashMap<(usize, usize), (PathBuf, usize)>,
    /// `batch.bom_files` as written (the store records these files with the run without reading the
    /// batch again).
    pub bom_files: Vec<String>,
    /// The goods left in the file, when the batch was read by [`load_batch_streamed`] (then `goods`
    /// is empty): read them with [`Batch::good`].
    pub goods_file: Option<Arc<GoodsFile>>,
    /// The batch file's YAML path index, built the first time an error needs a line (see
    /// [`Batch::file_index`]).
    file_index: Arc<std::sync::OnceLock<Option<PathIndex>>>,
}

impl Batch {
    /// Goods in the batch, held or left in the file.
    pub fn good_count(&self) -> usize {
        self.goods_file.as_ref().map_or(self.goods.len(), |f| f.entries.len())
    }

    /// The batch file's path index, to find the line of a field: built from the file once, the first
    /// time an error of a held good needs it, then kept for the batch (the errors of many goods would
    /// otherwise each read and index the whole file again). `None` when the file no longer reads.
    pub(crate) fn file_index(&self) -> Option<&PathIndex> {
        self.file_index
            .get_or_init(|| {
                let text = std::fs::read_to_string(&self.file).ok()?;
                PathIndex::build(&text).ok()
            })
            .as_ref()
    }

    /// Whether the batch has a provenance section (read as records or built into its graph).
    pub fn has_provenance(&self) -> bool {
        self.provenance.is_some() || self.provenance_graph.is_some()
    }

    /// The id of good `i` (`None` past the end).
    pub fn good_id(&self, i: usize) -> Option<&str> {
        match &self.goods_file {
            Some(f) => f.entries.get(i).map(|e| &*e.id),
            None => self.goods.get(i).map(GoodInput::id),
        }
    }

    /// Goods kept as first read: all of a held batch, those of a streamed batch within its
    /// [`HOLD_BYTES`].
    pub fn goods_held(&self) -> usize {
        self.goods_file.as_ref().map_or(self.goods.len(), |f| f.entries.iter().filter(|e| e.held.is_some()).count())
    }

    /// Good `i`: the held one, or read again from the file and checked as on the first read.
    pub fn good(&self, i: usize) -> Result<std::borrow::Cow<'_, GoodInput>, GoodsFileError> {
        match &self.goods_file {
            Some(f) => match f.entries.get(i).and_then(|e| e.held.as_ref()) {
                Some(g) => Ok(std::borrow::Cow::Borrowed(g)),
                None => f.read(i, &mut Interner::default()).map(std::borrow::Cow::Owned),
            },
            None => self.goods.get(i).map(std::borrow::Cow::Borrowed).ok_or_else(|| GoodsFileError {
                file: self.file.clone(),
                message: format!("the batch has no good {i}"),
            }),
        }
    }

    /// BOM lines of good `i`, sub-BOMs included (for the `-v` log).
    pub fn bom_line_count(&self, i: usize) -> usize {
        match &self.goods_file {
            Some(f) => f.entries.get(i).map_or(0, |e| e.lines),
            None => match self.goods.get(i) {
                Some(GoodInput::Ok(g)) => {
                    let mut n = 0;
                    walk_materials(&g.materials, &mut |_| n += 1);
                    n
                }
                _ => 0,
            },
        }
    }

    /// The lots the batch's BOM lines name (sub-BOMs included): the only ones whose provenance facts
    /// the audit reads.
    pub fn lots_named(&self) -> std::collections::HashSet<&str> {
        if let Some(f) = &self.goods_file {
            return f.lots.iter().map(|l| &**l).collect();
        }
        let mut out = std::collections::HashSet::new();
        for g in &self.goods {
            if let GoodInput::Ok(g) = g {
                walk_materials(&g.materials, &mut |m| {
                    if let Some(l) = &m.lot {
                        out.insert(&**l);
                    }
                });
            }
        }
        out
    }
}

/// Calls `f` with every BOM line of `ms`, sub-BOMs included, depth first.
pub(crate) fn walk_materials<'a>(ms: &'a [Arc<Material>], f: &mut impl FnMut(&'a Material)) {
    for m in ms {
        f(m);
        if let Some(sp) = &m.self_produced {
            walk_materials(&sp.materials, f);
        }
    }
}

/// The goods of a JSON batch left in its file ([`load_batch_streamed`]): each was read and checked
/// once, and is read again, chunk by chunk, when it is audited, so memory does not grow with the batch
/// (those within [`HOLD_BYTES`] are kept as first read instead).
/// Each good's bytes are hashed on the first read; a good whose bytes changed since is an error, never
/// a different good audited under the first read's checks.
#[derive(Debug)]
pub struct GoodsFile {
    path: PathBuf,
    file: std::sync::Mutex<std::fs::File>,
    entries: Vec<GoodEntry>,
    lots: std::collections::HashSet<Arc<str>>,
    rates: HashMap<Currency, Decimal>,
}

/// Where a good is in its file, and what the checks on the whole batch need of it.
#[derive(Debug)]
struct GoodEntry {
    id: Box<str>,
    offset: u64,
    len: usize,
    line: usize,
    hash: u64,
    lines: usize,
    /// The good as first read, when it is within the bytes held ([`HOLD_BYTES`]).
    held: Option<GoodInput>,
}

/// A good of a [`GoodsFile`] that could not be read again as it was first read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("reading `{}` again: {message}", file.display())]
pub struct GoodsFileError {
    /// The batch file.
    pub file: PathBuf,
    /// What went wrong, and what to do.
    pub message: String,
}

impl GoodsFile {
    fn open(
        path: &Path,
        entries: Vec<GoodEntry>,
        lots: std::collections::HashSet<Arc<str>>,
        rates: HashMap<Currency, Decimal>,
    ) -> std::io::Result<GoodsFile> {
        let file = std::sync::Mutex::new(std::fs::File::open(path)?);
        Ok(GoodsFile { path: path.to_path_buf(), file, entries, lots, rates })
    }

    /// The hash a good's bytes are checked with (SipHash: accidental changes, not an adversary, who
    /// could change the file before the first read as well).
    fn hash(bytes: &[u8]) -> u64 {
        use std::hash::Hasher;
        let mut h = std::hash::DefaultHasher::new();
        h.write(bytes);
        h.finish()
    }

    /// The line of `field` (a path under `goods[i]`), found in that good's own text: the whole file is
    /// never read to locate one error.
    pub(crate) fn line_of(&self, i: usize, field: &str) -> Option<usize> {
        let (e, text) = self.text(i).ok()?;
        let p = format!("goods[{i}]");
        Locate::part(&p, e.line, &text).line(field)
    }

    /// Good `i`, read and checked again.
    fn read(&self, i: usize, intern: &mut Interner) -> Result<GoodInput, GoodsFileError> {
        let (e, text) = self.text(i)?;
        let changed = || self.changed(i, e);
        let mut g = json::read_good(&self.path, i, e.line, &text, &self.rates, intern).ok_or_else(changed)?;
        let p = format!("goods[{i}]");
        no_bom(&self.path, i, &mut g, || Locate::part(&p, e.line, &text).line(&format!("{p}.id")));
        if g.id() != &*e.id {
            return Err(changed());
        }
        Ok(g)
    }

    fn changed(&self, i: usize, e: &GoodEntry) -> GoodsFileError {
        GoodsFileError {
            file: self.path.clone(),
            message: format!(
                "good `{}` (goods[{i}], line {}) changed since the batch was read; nothing is audited from the \
                 changed file\n  help: leave the batch file as it is until the run completes, then run it again",
                e.id, e.line
            ),
        }
    }

    /// The text of good `i`, as it was on the first read.
    fn text(&self, i: usize) -> Result<(&GoodEntry, String), GoodsFileError> {
        let fail = |message: String| GoodsFileError { file: self.path.clone(), message };
        let e = self.entries.get(i).ok_or_else(|| fail(format!("the batch has no good {i}")))?;
        let changed = || self.changed(i, e);
        let mut bytes = vec![0; e.len];
        {
            use std::io::{Read, Seek};
            let mut f = self.file.lock().map_err(|_| fail("a reader failed".into()))?;
            f.seek(std::io::SeekFrom::Start(e.offset)).map_err(|err| fail(err.to_string()))?;
            f.read_exact(&mut bytes).map_err(|_| changed())?;
        }
        if Self::hash(&bytes) != e.hash {
            return Err(changed());
        }
        let text = String::from_utf8(bytes).map_err(|_| changed())?;
        Ok((e, text))
    }
}

/// Where the BOM files a batch names (`batch.bom_files`) may be.
///
/// A batch read on a server comes from someone else: `bom_files: ["../../other-tenant/x.csv"]` must not
/// read another file of the server (issue 13). So by default an entry is a relative path of plain
/// names that stays inside the batch's directory, also after following symbolic links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FileScope {
    /// Only files in the batch's directory or below it (the default; the server's only scope).
    #[default]
    BatchDirectory,
    /// Any path, `..` and absolute ones included (the command line's `--allow-outside`).
    Anywhere,
}

/// Resolves a `batch.bom_files` entry of the batch at `batch`. The refusal of a path outside the
/// batch's directory is decided on the text of the entry before the file system is asked, so it does
/// not tell whether such a file exists.
pub fn resolve_bom_file(batch: &Path, entry: &str, scope: FileScope) -> Result<PathBuf, (String, String)> {
    let base = batch.parent().unwrap_or(Path::new("."));
    if scope == FileScope::Anywhere {
        return Ok(base.join(entry));
    }
    let help = "name a BOM file beside the batch file or in a folder under it, relative to the batch \
                (e.g. `bom.csv` or `boms/bom.csv`); on the command line `--allow-outside` lifts this";
    let rel = Path::new(entry);
    let plain = !entry.is_empty()
        && !entry.contains('\\')
        && rel.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir));
    if !plain {
        return Err((format!("`{entry}` is not a path inside the batch's directory"), help.to_string()));
    }
    let path = base.join(rel);
    // A symbolic link inside the directory may still lead out of it.
    if let (Ok(real), Ok(real_base)) = (path.canonicalize(), base.canonicalize())
        && !real.starts_with(&real_base)
    {
        return Err((format!("`{entry}` leads outside the batch's directory (a symbolic link)"), help.to_string()));
    }
    Ok(path)
}

/// Reads a batch file (`.yaml`, `.yml` or `.json`) and the BOM files its header names, which must be
/// inside the batch's directory ([`FileScope::BatchDirectory`]).
pub fn load_batch(path: &Path) -> Result<Batch, HeaderError> {
    load_batch_in(path, FileScope::BatchDirectory)
}

/// [`load_batch`] with BOM files allowed in `scope`.
pub fn load_batch_in(path: &Path, scope: FileScope) -> Result<Batch, HeaderError> {
    let fail = |field: &str, message: String, help: &str| {
        HeaderError(vec![InputError {
            code: "unreadable-file",
            file: path.to_path_buf(),
            line: None,
            column: None,
            field: field.to_string(),
            message,
            help: help.to_string(),
        }])
    };
    if is_json(path) {
        let file = std::fs::File::open(path)
            .map_err(|e| fail("", format!("cannot read the batch file: {e}"), "check the path"))?;
        let reread = |offset: u64, len: usize| reread_at(path, offset, len);
        match json::parse(path, file, &reread, scope, false, 0) {
            Ok(Some(batch)) => return batch,
            // Not the plain shape the fast path reads (or malformed): the general path says why.
            Ok(None) => {}
            Err(e) => return Err(fail("", format!("cannot read the batch file: {e}"), "check the path")),
        }
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail("", format!("cannot read the batch file: {e}"), "check the path"))?;
    parse_text(path, &text, scope)
}

/// How many bytes of a streamed batch's goods list [`load_batch_streamed`] keeps as first read: 64 MiB,
/// a batch of some 4,000 goods of 50 BOM lines or 35,000 of 10. Those goods are audited without being
/// read a second time (the second read was a tenth of a stored run's CPU on such batches); the goods
/// after them are read again when audited, so memory stays bounded whatever the batch's size (about
/// 150 MB held at most, parsed).
pub const HOLD_BYTES: u64 = 64 << 20;

/// [`load_batch_in`] for an audit that reads goods once more when it audits them: a JSON batch whose
/// header and exchange rates precede its goods and that names no BOM files comes back indexed
/// ([`Batch::goods_file`]): every good checked as always, the goods in the first [`HOLD_BYTES`] of its
/// goods list kept as read, the others left in the file, so memory does not grow with the batch. Any
/// other batch comes back with its goods held, as [`load_batch_in`] reads it; the answers are the same.
pub fn load_batch_streamed(path: &Path, scope: FileScope) -> Result<Batch, HeaderError> {
    load_batch_streamed_holding(path, scope, HOLD_BYTES)
}

/// [`load_batch_streamed`] keeping the goods in the first `hold` bytes of the goods list instead of
/// [`HOLD_BYTES`] (0: every good is read again when audited).
pub fn load_batch_streamed_holding(path: &Path, scope: FileScope, hold: u64) -> Result<Batch, HeaderError> {
    if is_json(path)
        && let Ok(file) = std::fs::File::open(path)
    {
        let reread = |offset: u64, len: usize| reread_at(path, offset, len);
        if let Ok(Some(batch)) = json::parse(path, file, &reread, scope, true, hold) {
            return batch;
        }
    }
    load_batch_in(path, scope)
}

/// `len` bytes of the file at `path` from `offset` (for the line of a duplicate good id).
fn reread_at(path: &Path, offset: u64, len: usize) -> Option<String> {
    use std::io::{Read, Seek};
    let mut f = std::fs::File::open(path).ok()?;
    f.seek(std::io::SeekFrom::Start(offset)).ok()?;
    let mut b = vec![0; len];
    f.read_exact(&mut b).ok()?;
    String::from_utf8(b).ok()
}

/// The byte offset of the first character YAML refuses anywhere in a file ("control characters are not
/// allowed") that JSON allows in a string: DEL, the C1 controls but NEL, U+FFFE and U+FFFF.
pub(super) fn yaml_refuses(s: &[u8]) -> Option<usize> {
    memchr::memchr3_iter(0x7F, 0xC2, 0xEF, s).find(|&i| match s[i] {
        0x7F => true,
        0xC2 => matches!(s.get(i + 1), Some(0x80..=0x84 | 0x86..=0x9F)),
        _ => matches!(s.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])),
    })
}

fn is_json(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Parses a batch from text; `path` names it in errors and anchors relative BOM files. A `.json` path
/// takes the JSON fast path (streamed, goods parsed in parallel); anything else, or JSON the fast path
/// does not take, is read as YAML (JSON being YAML), with the same results.
pub fn parse_batch(path: &Path, text: &str) -> Result<Batch, HeaderError> {
    parse_batch_in(path, text, FileScope::BatchDirectory)
}

/// [`parse_batch`] with BOM files allowed in `scope`.
pub fn parse_batch_in(path: &Path, text: &str, scope: FileScope) -> Result<Batch, HeaderError> {
    let reread = |offset: u64, len: usize| {
        let start = usize::try_from(offset).ok()?;
        text.get(start..start.checked_add(len)?).map(str::to_string)
    };
    if is_json(path)
        && let Ok(Some(batch)) = json::parse(path, text.as_bytes(), &reread, scope, false, 0)
    {
        return batch;
    }
    parse_text(path, text, scope)
}

/// The general path: the whole file as a YAML value (JSON is YAML), then each part deserialized on its
/// own so that a bad part becomes an input error of that part.
fn parse_text(path: &Path, text: &str, scope: FileScope) -> Result<Batch, HeaderError> {
    // Editors on Windows save UTF-8 with a byte order mark; YAML would read it as content before the
    // first document ("more than one document"). It is not content: dropped, lines unchanged.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(at) = yaml_refuses(text.as_bytes()) {
        // libyaml names only a byte offset for these; the line and column are worked out here.
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        let c = text[at..].chars().next().unwrap_or_default() as u32;
        return Err(HeaderError(vec![InputError {
            code: "malformed-batch",
            file: path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            field: String::new(),
            message: format!(
                "malformed YAML/JSON: control characters are not allowed: U+{c:04X} (YAML refuses DEL, the C1 \
                 controls but NEL, U+FFFE and U+FFFF anywhere in a file)"
            ),
            help: format!("delete it, or write it as the escape \"\\u{c:04x}\" inside a double-quoted string"),
        }]));
    }
    let index = PathIndex::build(text).map_err(|e| {
        HeaderError(vec![InputError {
            code: "malformed-batch",
            file: path.to_path_buf(),
            line: Some(e.position.line),
            column: Some(e.position.column),
            field: String::new(),
            message: format!("malformed YAML/JSON: {}", e.message),
            help: "check the indentation, brackets and quoting on this line".into(),
        }])
    })?;
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        HeaderError(vec![InputError {
            code: "malformed-batch",
            file: path.to_path_buf(),
            line: e.location().map(|l| l.line()),
            column: e.location().map(|l| l.column()),
            field: String::new(),
            message: format!("malformed YAML/JSON: {e}"),
            help: "check the indentation, brackets and quoting on this line".into(),
        }])
    })?;
    let mut cx = Cx { file: path.to_path_buf(), locate: Locate::Index(index), errors: Vec::new() };
    let serde_yaml::Value::Mapping(mut map) = value else {
        return Err(HeaderError(vec![cx.err(
            "",
            "a batch is a mapping with `batch`, `goods`, ...",
            "see docs/batch-format.md",
        )]));
    };
    for k in map.keys() {
        let key = k.as_str().unwrap_or_default();
        if !["batch", "parties", "exchange_rates", "supplier_certifications", "goods", "provenance"].contains(&key) {
            return Err(HeaderError(vec![cx.err(
                key,
                &format!("unknown field `{key}`"),
                "a batch has `batch`, `parties`, `exchange_rates`, `supplier_certifications`, `goods` and `provenance`",
            )]));
        }
    }
    let take = |map: &mut serde_yaml::Mapping, k: &str| map.remove(serde_yaml::Value::String(k.to_string()));

    // The header: any error stops the run.
    let raw_header: RawHeader = match take(&mut map, "batch") {
        Some(v) => cx.de(v, "batch").map_err(|e| HeaderError(vec![e]))?,
        None => {
            return Err(HeaderError(vec![cx.err(
                "batch",
                "missing field `batch`",
                "add the batch header: id, importing_party, as_of, currency",
            )]));
        }
    };
    let header = cx.header(&raw_header);
    if !cx.errors.is_empty() {
        return Err(HeaderError(std::mem::take(&mut cx.errors)));
    }

    let mut warnings = Vec::new();
    let mut parties = HashMap::new();
    for (i, v) in seq(take(&mut map, "parties")).into_iter().enumerate() {
        let p = format!("parties[{i}]");
        add_party(&cx, cx.de::<RawParty>(v, &p), &p, &mut parties, &mut warnings);
    }
    // Exchange rates: into the batch currency only.
    let mut rates: HashMap<Currency, Decimal> = HashMap::new();
    rates.insert(header.currency, Decimal::ONE);
    for (i, v) in seq(take(&mut map, "exchange_rates")).into_iter().enumerate() {
        let p = format!("exchange_rates[{i}]");
        add_rate(&cx, cx.de::<RawRate>(v, &p), &p, header.currency, &mut rates, &mut warnings);
    }
    let mut certifications = HashMap::new();
    let mut bad_certifications: HashMap<String, Vec<InputError>> = HashMap::new();
    for (i, v) in seq(take(&mut map, "supplier_certifications")).into_iter().enumerate() {
        let p = format!("supplier_certifications[{i}]");
        let id = v.get("id").and_then(|x| x.as_str()).unwrap_or_default().to_string();
        add_certification(
            &cx,
            cx.de::<RawSupplierCertification>(v, &p),
            &p,
            id,
            &mut certifications,
            &mut bad_certifications,
        );
    }
    let provenance = match take(&mut map, "provenance") {
        Some(v) => match cx.de::<ProvenanceInput>(v, "provenance") {
            Ok(p) => Some(p),
            Err(e) => return Err(HeaderError(vec![e])),
        },
        None => None,
    };

    let mut goods = Vec::new();
    let mut intern = Interner::default();
    for (i, v) in seq(take(&mut map, "goods")).into_iter().enumerate() {
        let p = format!("goods[{i}]");
        let id = v.get("id").and_then(|x| x.as_str()).map(str::to_string).unwrap_or_else(|| format!("goods[{i}]"));
        match cx.de::<RawGood>(v, &p) {
            Ok(r) => goods.push(cx.good(split_good(r), &p, &rates, &mut intern)),
            Err(e) => goods.push(GoodInput::Invalid { id, errors: vec![e] }),
        }
    }
    let parts =
        Parts { header, parties, certifications, bad_certifications, provenance, provenance_graph: None, warnings };
    finish(
        &cx,
        path,
        &raw_header,
        parts,
        GoodsRead::Held(goods),
        &rates,
        &|i| cx.locate.line(&format!("goods[{i}].id")),
        scope,
    )
}

/// What a batch holds besides its goods.
struct Parts {
    header: Header,
    parties: HashMap<String, Party>,
    certifications: HashMap<String, SupplierCertification>,
    bad_certifications: HashMap<String, Vec<InputError>>,
    provenance: Option<ProvenanceInput>,
    provenance_graph: Option<ProvenanceGraph>,
    warnings: Vec<InputError>,
}

fn add_party(
    cx: &Cx<'_>,
    r: Result<RawParty, InputError>,
    p: &str,
    parties: &mut HashMap<String, Party>,
    warnings: &mut Vec<InputError>,
) {
    match r {
        Ok(r) => match Country::parse(&r.country) {
            Ok(country) => {
                parties.insert(
                    r.id.clone(),
                    Party {
                        id: r.id,
                        name: r.name,
                        title: r.title,
                        address: r.address,
                        country,
                        phone: r.phone,
                        email: r.email,
                    },
                );
            }
            Err(e) => warnings.push(cx.err(&format!("{p}.country"), &e.to_string(), "use an ISO 3166-1 alpha-2 code")),
        },
        Err(e) => warnings.push(e),
    }
}

fn add_rate(
    cx: &Cx<'_>,
    r: Result<RawRate, InputError>,
    p: &str,
    currency: Currency,
    rates: &mut HashMap<Currency, Decimal>,
    warnings: &mut Vec<InputError>,
) {
    match r {
        Ok(r) => match (Currency::parse(&r.from), Currency::parse(&r.to)) {
            (Ok(from), Ok(to)) if to == currency && r.rate > Decimal::ZERO => {
                rates.insert(from, r.rate);
            }
            (Ok(_), Ok(to)) if to != currency => warnings.push(cx.err(
                &format!("{p}.to"),
                &format!("rate into `{to}`, but the batch currency is `{currency}`"),
                "state rates into the batch currency; no other conversion is made",
            )),
            (Ok(_), Ok(_)) => warnings.push(cx.err(
                &format!("{p}.rate"),
                "the rate is not positive",
                "state units of `to` per unit of `from`",
            )),
            (Err(e), _) | (_, Err(e)) => warnings.push(cx.err(p, &e.to_string(), "use ISO 4217 codes")),
        },
        Err(e) => warnings.push(e),
    }
}

fn add_certification(
    cx: &Cx<'_>,
    r: Result<RawSupplierCertification, InputError>,
    p: &str,
    id: String,
    certifications: &mut HashMap<String, SupplierCertification>,
    bad: &mut HashMap<String, Vec<InputError>>,
) {
    match r {
        Ok(r) => match cx.certification(r, p) {
            Ok(c) => {
                certifications.insert(c.id.clone(), c);
            }
            Err(errs) => {
                bad.insert(id, errs);
            }
        },
        Err(e) => {
            bad.insert(id, vec![e]);
        }
    }
}

/// Refuses batches that share a batch id: a run stores results by batch and good id, so two batch files
/// with one id given to one run would collide half way. Each later file's `batch.id` is located.
pub fn check_distinct_batch_ids(batches: &[Batch]) -> Result<(), HeaderError> {
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    let mut errs = Vec::new();
    for b in batches {
        if let Some(first) = seen.insert(&b.header.id, &b.file) {
            let pos = std::fs::read_to_string(&b.file)
                .ok()
                .and_then(|t| PathIndex::build(&t).ok())
                .and_then(|ix| ix.find("batch.id"));
            errs.push(InputError {
                code: "duplicate-id",
                file: b.file.clone(),
                line: pos.map(|p| p.line),
                column: pos.map(|p| p.column),
                field: "batch.id".into(),
                message: format!("batch id `{}` is also the id of `{}` in this run", b.header.id, first.display()),
                help: "give every batch its own id (or run the files separately)".into(),
            });
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(HeaderError(errs)) }
}

/// The checks on the whole list of goods, and the BOM files; `cx` locates top-level fields.
#[expect(clippy::too_many_arguments, reason = "one call site in each of the two parsers")]
fn finish(
    cx: &Cx<'_>,
    path: &Path,
    raw_header: &RawHeader,
    parts: Parts,
    goods: GoodsRead,
    rates: &HashMap<Currency, Decimal>,
    id_line: &dyn Fn(usize) -> Option<usize>,
    scope: FileScope,
) -> Result<Batch, HeaderError> {
    let Parts { header, parties, certifications, bad_certifications, provenance, provenance_graph, mut warnings } =
        parts;
    let (mut goods, mut goods_file) = match goods {
        GoodsRead::Held(g) => (g, None),
        GoodsRead::InFile(f) => (Vec::new(), Some(f)),
    };
    let count = goods_file.as_ref().map_or(goods.len(), |f| f.entries.len());
    if count == 0 && raw_header.bom_files.is_empty() {
        return Err(HeaderError(vec![cx.err(
            "goods",
            "the batch has no goods",
            "list the goods to audit under `goods`",
        )]));
    }
    let mut bom_kind_rows = HashMap::new();
    for (i, f) in raw_header.bom_files.iter().enumerate() {
        let field = format!("batch.bom_files[{i}]");
        let bom_path = resolve_bom_file(path, f, scope)
            .map_err(|(message, help)| HeaderError(vec![cx.err(&field, &message, &help)]))?;
        let orphans = bom::attach(&bom_path, &field, &mut goods, rates, header.currency, &mut bom_kind_rows)
            .map_err(HeaderError)?;
        warnings.extend(orphans);
    }
    // An empty BOM is an error unless claimed wholly obtained (see `no_bom`). (Goods left in the file get
    // this check when they are read again.)
    for (i, g) in goods.iter_mut().enumerate() {
        no_bom(path, i, g, || id_line(i));
    }
    if let Some(f) = &mut goods_file {
        for (i, e) in f.entries.iter_mut().enumerate() {
            if let Some(g) = &mut e.held {
                no_bom(path, i, g, || id_line(i));
            }
        }
    }
    // Duplicate good ids make results ambiguous, and a run stores one result per batch and good id: the
    // batch is refused whole, before anything is written (a stored run never holds half a batch).
    let id = |i: usize| -> &str {
        match &goods_file {
            Some(f) => f.entries.get(i).map_or("", |e| &*e.id),
            None => goods.get(i).map_or("", GoodInput::id),
        }
    };
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(count);
    let mut dups = Vec::new();
    for i in 0..count {
        if let Some(first) = seen.insert(id(i), i) {
            dups.push((i, first));
        }
    }
    drop(seen);
    if !dups.is_empty() {
        return Err(HeaderError(
            dups.into_iter()
                .map(|(i, first)| InputError {
                    code: "duplicate-id",
                    file: path.to_path_buf(),
                    line: id_line(i),
                    column: None,
                    field: format!("goods[{i}].id"),
                    message: format!("good id `{}` is used twice (first as goods[{first}])", id(i)),
                    help: "give every good a unique id".into(),
                })
                .collect(),
        ));
    }
    Ok(Batch {
        file: path.to_path_buf(),
        header,
        parties,
        certifications,
        bad_certifications,
        goods,
        provenance,
        provenance_graph: provenance_graph.map(Arc::new),
        warnings,
        bom_kind_rows,
        bom_files: raw_header.bom_files.clone(),
        goods_file: goods_file.map(Arc::new),
        file_index: Arc::default(),
    })
}

/// The goods a parser read: held, or left in the file (JSON, [`load_batch_streamed`]).
enum GoodsRead {
    Held(Vec<GoodInput>),
    InFile(GoodsFile),
}

/// A good is made of its materials: an empty BOM would pass every tariff shift and count no
/// non-originating value, so it is an error unless the good is claimed wholly obtained (Art. 4.3).
fn no_bom(path: &Path, i: usize, g: &mut GoodInput, id_line: impl FnOnce() -> Option<usize>) {
    if let GoodInput::Ok(good) = g
        && good.materials.is_empty()
        && !good.wholly_obtained
    {
        let e = InputError {
            code: "batch-input",
            file: path.to_path_buf(),
            line: id_line(),
            column: None,
            field: format!("goods[{i}].materials"),
            message: format!("good `{}` has no BOM lines and is not claimed wholly obtained", good.id),
            help: "list its materials (under `materials` or in a BOM file), or state `wholly_obtained: true` if the producer claims it".into(),
        };
        *g = GoodInput::Invalid { id: good.id.clone(), errors: vec![e] };
    }
}

fn seq(v: Option<serde_yaml::Value>) -> Vec<serde_yaml::Value> {
    match v {
        Some(serde_yaml::Value::Sequence(s)) => s,
        _ => Vec::new(),
    }
}

/// Validation context: the file, and where its paths are.
struct Cx<'a> {
    file: PathBuf,
    locate: Locate<'a>,
    errors: Vec<InputError>,
}

/// How an error's path is turned into a line.
enum Locate<'a> {
    /// The path index of the whole file (the general path).
    Index(PathIndex),
    /// One part of a JSON file (the fast path): a good, a party, the header... at `prefix`, starting on
    /// `line`. Its own path index is built only when an error needs a line, which keeps the lines
    /// those of the general path without indexing millions of paths that have none.
    Part { prefix: &'a str, line: usize, text: &'a str, index: std::cell::OnceCell<Option<PathIndex>> },
    /// Top-level fields of a JSON file, by their first line.
    Top(&'a [(&'a str, usize)]),
}

impl<'a> Locate<'a> {
    fn part(prefix: &'a str, line: usize, text: &'a str) -> Locate<'a> {
        Locate::Part { prefix, line, text, index: std::cell::OnceCell::new() }
    }

    fn line(&self, field: &str) -> Option<usize> {
        self.position(field).map(|(l, _)| l)
    }

    /// The line of `field`, and its column where known.
    fn position(&self, field: &str) -> Option<(usize, Option<usize>)> {
        match self {
            Locate::Index(index) => index.find(field).map(|p| (p.line, Some(p.column))),
            Locate::Part { prefix, line, text, index } => {
                let rel = field.strip_prefix(prefix).unwrap_or(field);
                let rel = rel.strip_prefix('.').unwrap_or(rel);
                let index = index.get_or_init(|| PathIndex::build(text).ok());
                let found = index.as_ref().and_then(|ix| ix.find(rel).or_else(|| ix.find("")));
                // A part's first line may start mid-line in the file: its columns are those of the
                // file only from its second line on.
                Some(found.map_or((*line, None), |p| (line + p.line - 1, (p.line > 1).then_some(p.column))))
            }
            Locate::Top(fields) => {
                let key = field.split(['.', '[']).next().unwrap_or(field);
                fields.iter().find(|(k, _)| *k == key).map(|(_, l)| (*l, None))
            }
        }
    }
}

/// Whether `text` is JSON the general path reads without a syntax error: valid JSON with no key twice
/// in one object (YAML refuses a duplicate key; serde_json's own types keep the last one).
pub(crate) fn well_formed(text: &str) -> bool {
    struct WellFormed;
    impl<'de> serde::Deserialize<'de> for WellFormed {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(WellFormed)
        }
    }
    impl<'de> serde::de::Visitor<'de> for WellFormed {
        type Value = WellFormed;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<WellFormed, E> {
            Ok(WellFormed)
        }
        fn visit_i64<E>(self, _: i64) -> Result<WellFormed, E> {
            Ok(WellFormed)
        }
        fn visit_u64<E>(self, _: u64) -> Result<WellFormed, E> {
            Ok(WellFormed)
        }
        fn visit_f64<E>(self, _: f64) -> Result<WellFormed, E> {
            Ok(WellFormed)
        }
        fn visit_str<E>(self, _: &str) -> Result<WellFormed, E> {
            Ok(WellFormed)
        }
        fn visit_unit<E>(self) -> Result<WellFormed, E> {
            Ok(WellFormed)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<WellFormed, A::Error> {
            while a.next_element::<WellFormed>()?.is_some() {}
            Ok(WellFormed)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<WellFormed, A::Error> {
            let mut keys = std::collections::HashSet::new();
            while let Some(k) = a.next_key::<String>()? {
                if !keys.insert(k) {
                    return Err(serde::de::Error::custom("duplicate key"));
                }
                a.next_value::<WellFormed>()?;
            }
            Ok(WellFormed)
        }
    }
    serde_json::from_str::<WellFormed>(text).is_ok()
}

/// A deserialization problem of the JSON fast path.
enum DeError {
    /// Located, as the general path reports it.
    Input(InputError),
    /// Malformed JSON, or a case the general path reports differently (a duplicate key): take the
    /// general path.
    Fallback,
}

impl Cx<'_> {
    fn err(&self, field: &str, message: &str, help: &str) -> InputError {
        let pos = self.locate.position(field);
        InputError {
            code: "batch-input",
            file: self.file.clone(),
            line: pos.map(|(l, _)| l),
            column: pos.and_then(|(_, c)| c),
            field: field.to_string(),
            message: message.to_string(),
            help: help.to_string(),
        }
    }

    #[expect(clippy::result_large_err, reason = "an error is rare and becomes a stored InputError as it is")]
    fn de<T: serde::de::DeserializeOwned>(&self, v: serde_yaml::Value, base: &str) -> Result<T, InputError> {
        serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
            let inner = e.path().to_string();
            let msg = e.into_inner().to_string();
            self.de_error(base, &inner, msg)
        })
    }

    /// [`Cx::de`] from JSON text.
    #[expect(clippy::result_large_err, reason = "an error is rare and becomes a stored InputError as it is")]
    fn de_json<'de, T: serde::Deserialize<'de>>(&self, text: &'de str, base: &str) -> Result<T, DeError> {
        // Plain serde_json first: tracking the path of every field costs as much again, and only an
        // error needs it. On an error the part is read again with the path tracked.
        let mut d = serde_json::Deserializer::from_str(text);
        if let Ok(v) = T::deserialize(&mut d) {
            return match d.end() {
                Ok(()) => Ok(v),
                // Trailing characters after a part: malformed.
                Err(_) => Err(DeError::Fallback),
            };
        }
        let mut d = serde_json::Deserializer::from_str(text);
        let r = serde_path_to_error::deserialize::<_, T>(&mut d);
        // Trailing characters after a part: malformed.
        if r.is_ok() && d.end().is_err() {
            return Err(DeError::Fallback);
        }
        r.map_err(|e| {
            let inner = e.path().to_string();
            let e = e.into_inner();
            if matches!(
                e.classify(),
                serde_json::error::Category::Syntax
                    | serde_json::error::Category::Eof
                    | serde_json::error::Category::Io
            ) {
                return DeError::Fallback;
            }
            let mut msg = e.to_string();
            if let Some(m) = msg.strip_suffix(&format!(" at line {} column {}", e.line(), e.column())) {
                msg = m.to_string();
            }
            // A duplicate key is malformed on the general path; a `null` where a list is expected is an
            // empty list there (YAML reads `null` as nothing): in both cases its answer is the one given.
            if msg.starts_with("duplicate field") || msg.starts_with("invalid type: null") {
                return DeError::Fallback;
            }
            // serde stops at the first wrong field; text after it may not be JSON at all (`"a"x: 1`),
            // or hold a key twice. The general path reads the whole file first: malformed.
            if !well_formed(text) {
                return DeError::Fallback;
            }
            DeError::Input(self.de_error(base, &inner, msg))
        })
    }

    fn de_error(&self, base: &str, inner: &str, msg: String) -> InputError {
        let path = if inner == "." || inner.is_empty() {
            base.to_string()
        } else if inner.starts_with('[') {
            format!("{base}{inner}")
        } else {
            format!("{base}.{inner}")
        };
        let help = if msg.contains("unknown field") {
            "check the spelling; docs/batch-format.md lists the fields"
        } else if msg.contains("missing field") {
            "add the field; docs/batch-format.md says what each entry needs"
        } else {
            "docs/batch-format.md gives the type of this field"
        };
        self.err(&path, &msg, help)
    }

    fn header(&mut self, h: &RawHeader) -> Header {
        let importing_party = match Country::parse(&h.importing_party) {
            Ok(c) if c.is_usmca_party() => c,
            Ok(c) => {
                self.errors.push(self.err(
                    "batch.importing_party",
                    &format!("`{c}` is not a USMCA Party"),
                    "write `US`, `MX` or `CA`",
                ));
                Country::US
            }
            Err(e) => {
                self.errors.push(self.err("batch.importing_party", &e.to_string(), "write `US`, `MX` or `CA`"));
                Country::US
            }
        };
        let currency = Currency::parse(&h.currency).unwrap_or_else(|e| {
            self.errors.push(self.err("batch.currency", &e.to_string(), "write the reporting currency, such as `USD`"));
            Currency::USD
        });
        if h.id.trim().is_empty() {
            self.errors.push(self.err("batch.id", "the batch id is empty", "give the batch an id"));
        }
        Header {
            id: h.id.clone(),
            importing_party,
            as_of: h.as_of,
            currency,
            rule_pack: h.rule_pack.clone(),
            nomenclature: h.nomenclature.unwrap_or(origin_rules::Nomenclature::Hs2022),
            certifier: h.certifier.clone(),
            exporter: h.exporter.clone(),
            importer: h.importer.clone(),
        }
    }

    fn certification(&self, r: RawSupplierCertification, p: &str) -> Result<SupplierCertification, Vec<InputError>> {
        let mut errs = Vec::new();
        let criterion = match r.origin_criterion.trim() {
            c @ ("A" | "B" | "C" | "D") => c.chars().next().unwrap_or('B'),
            other => {
                errs.push(self.err(
                    &format!("{p}.origin_criterion"),
                    &format!("`{other}` is not an origin criterion"),
                    "write A, B, C or D",
                ));
                'B'
            }
        };
        let country = Country::parse(&r.country).map_err(|e| {
            errs.push(self.err(&format!("{p}.country"), &e.to_string(), "use an ISO 3166-1 alpha-2 code"))
        });
        let hs = match &r.hs {
            Some(h) => HsCode::parse(h).map(Some).unwrap_or_else(|e| {
                errs.push(self.err(&format!("{p}.hs"), &e.to_string(), "write the certified classification"));
                None
            }),
            None => None,
        };
        let blanket = match (r.blanket_from, r.blanket_to) {
            (Some(f), Some(t)) => Some((f, t)),
            (None, None) => None,
            _ => {
                errs.push(self.err(
                    p,
                    "a blanket period needs both `blanket_from` and `blanket_to`",
                    "give both dates or neither",
                ));
                None
            }
        };
        match (country, errs.is_empty()) {
            (Ok(country), true) => Ok(SupplierCertification {
                id: r.id,
                supplier: r.supplier,
                parts: r.parts,
                hs,
                criterion,
                country,
                blanket,
                signed: r.signed,
            }),
            _ => Err(errs),
        }
    }

    fn good(
        &self,
        (r, bom): (RawGood, Vec<RawMaterialIn<'_>>),
        p: &str,
        rates: &HashMap<Currency, Decimal>,
        intern: &mut Interner,
    ) -> GoodInput {
        let mut errs = Vec::new();
        let hs = HsCode::parse(&r.hs).map_err(|e| {
            errs.push(self.err(&format!("{p}.hs"), &e.to_string(), "classify the good to 6 digits at least"))
        });
        if let Ok(h) = hs
            && h.level() < origin_core::HsLevel::Subheading
        {
            errs.push(self.err(
                &format!("{p}.hs"),
                &format!("`{h}` is not classified to a subheading"),
                "give at least the 6-digit subheading",
            ));
        }
        let vehicle_use = match &r.vehicle_use {
            Some(u) => VehicleUse::parse(u).or_else(|| {
                errs.push(self.err(
                    &format!("{p}.use"),
                    &format!("`{u}` is not a use"),
                    "write passenger-vehicle, light-truck, heavy-truck or other",
                ));
                None
            }),
            None => None,
        };
        let place = Country::parse(&r.place_of_production).map_err(|e| {
            errs.push(self.err(&format!("{p}.place_of_production"), &e.to_string(), "use an ISO 3166-1 alpha-2 code"))
        });
        let rate = self.rate(&r.currency, || format!("{p}.currency"), rates, &mut errs);
        for (field, v) in
            [("transaction_value", r.transaction_value), ("net_cost", r.net_cost), ("total_cost", r.total_cost)]
        {
            if v.is_some_and(|x| x <= Decimal::ZERO) {
                errs.push(self.err(
                    &format!("{p}.{field}"),
                    &format!("`{field}` must be positive"),
                    "state the value in the good's currency",
                ));
            }
        }
        // Converted into the batch currency, bounded (see `MAX_AMOUNT`): an overflow is a located error.
        let mut conv = |field: &str, v: Option<Decimal>| -> Option<Decimal> {
            let v = v?;
            let x = amount(v, rate.unwrap_or(Decimal::ONE));
            if x.is_none() {
                errs.push(self.err(&format!("{p}.{field}"), &too_large(v), TOO_LARGE_HELP));
            }
            x
        };
        let transaction_value = conv("transaction_value", r.transaction_value);
        let international_shipping = conv("international_shipping", r.international_shipping);
        let net_cost = conv("net_cost", r.net_cost);
        let total_cost = conv("total_cost", r.total_cost);
        // The FOB adjustment removes shipping from the transaction value (Art. 4.1 "adjusted value"): it can
        // be neither negative nor as large as the value it is taken from.
        if let Some(s) = r.international_shipping {
            if s < Decimal::ZERO {
                errs.push(self.err(
                    &format!("{p}.international_shipping"),
                    "`international_shipping` is negative",
                    "state the international shipping included in the transaction value (0 or more)",
                ));
            } else if let Some(tv) = r.transaction_value
                && s >= tv
            {
                errs.push(self.err(
                    &format!("{p}.international_shipping"),
                    &format!("`international_shipping` {s} is not below the transaction value {tv}"),
                    "state the shipping included in the transaction value; it must be less than that value",
                ));
            }
        }
        // No value is required here: the transaction value, net cost and total cost are needed only by an
        // RVC or de minimis test the good's rule calls for, and a good that needs one without its value
        // is audited as needing evidence that names it (see docs/batch-format.md).
        let mut route = Vec::new();
        for (i, s) in r.route.iter().enumerate() {
            match Country::parse(&s.country) {
                Ok(c) => route.push(RouteStop {
                    country: c,
                    operations: s.operations.clone(),
                    customs_control: s.customs_control,
                }),
                Err(e) => errs.push(self.err(
                    &format!("{p}.route[{i}].country"),
                    &e.to_string(),
                    "use an ISO 3166-1 alpha-2 code",
                )),
            }
        }
        let automotive = match &r.automotive {
            Some(a) => StagingCategory::parse(&a.category).or_else(|| {
                errs.push(self.err(
                    &format!("{p}.automotive.category"),
                    &format!("`{}` is not a staging category", a.category),
                    "write pv-lt-core-part, pv-lt-principal-part, pv-lt-complementary-part, heavy-truck, ...",
                ));
                None
            }),
            None => None,
        };
        let materials = self.materials(bom, &format!("{p}.materials"), rates, &mut errs, 0, intern);
        match (hs, place, errs.is_empty()) {
            (Ok(hs), Ok(place), true) => GoodInput::Ok(Box::new(Good {
                id: r.id,
                description: r.description,
                hs,
                vehicle_use,
                kind: r.kind,
                producer: r.producer,
                place_of_production: place,
                wholly_obtained: r.wholly_obtained,
                transaction_value,
                international_shipping: international_shipping.unwrap_or(Decimal::ZERO),
                net_cost,
                total_cost,
                operations: r.operations,
                route,
                automotive,
                conditions_met: r.conditions_met,
                invoice: r.invoice,
                materials,
            })),
            _ => GoodInput::Invalid { id: r.id, errors: errs },
        }
    }

    fn rate(
        &self,
        currency: &str,
        field: impl Fn() -> String,
        rates: &HashMap<Currency, Decimal>,
        errs: &mut Vec<InputError>,
    ) -> Option<Decimal> {
        match cached_currency(currency) {
            Ok(c) => match rates.get(&c) {
                Some(r) => Some(*r),
                None => {
                    errs.push(self.err(
                        &field(),
                        &format!("no exchange rate from `{c}` into the batch currency"),
                        "add it under `exchange_rates`; no other rate is ever assumed",
                    ));
                    None
                }
            },
            Err(e) => {
                errs.push(self.err(&field(), &e.to_string(), "use an ISO 4217 code"));
                None
            }
        }
    }

    fn materials(
        &self,
        raw: Vec<RawMaterialIn<'_>>,
        p: &str,
        rates: &HashMap<Currency, Decimal>,
        errs: &mut Vec<InputError>,
        depth: u8,
        intern: &mut Interner,
    ) -> Vec<Arc<Material>> {
        // Duplicate line ids, found first so that the strings can then be moved, not copied.
        let mut firsts: HashMap<&str, usize, std::hash::BuildHasherDefault<FxHasher>> =
            HashMap::with_capacity_and_hasher(raw.len(), Default::default());
        let dup_of: Vec<Option<(usize, String)>> = raw
            .iter()
            .enumerate()
            .map(|(i, m)| firsts.insert(&*m.line, i).map(|first| (first, m.line.to_string())))
            .collect();
        drop(firsts);
        let mut out = Vec::with_capacity(raw.len());
        for ((i, m), dup) in raw.into_iter().enumerate().zip(dup_of) {
            // The path is only built for an error.
            let mp = || format!("{p}[{i}]");
            if let Some((first, line)) = dup {
                errs.push(self.err(
                    &format!("{}.line", mp()),
                    &format!("line `{line}` is used twice (first at {p}[{first}])"),
                    "give every BOM line a unique id",
                ));
            }
            let before = errs.len();
            let hs = stated(&m.hs, HsCode::parse).map_err(|e| {
                errs.push(self.err(
                    &format!("{}.hs", mp()),
                    &e.to_string(),
                    "classify the material, or write `unknown` (the good then needs evidence)",
                ))
            });
            let origin = stated(&m.origin, cached_country).map_err(|e| {
                errs.push(self.err(
                    &format!("{}.origin", mp()),
                    &e.to_string(),
                    "use an ISO 3166-1 alpha-2 code (the supplier's declared origin), or write `unknown`",
                ))
            });
            if m.self_produced.is_some() && matches!(hs, Ok(None)) {
                errs.push(self.err(
                    &format!("{}.hs", mp()),
                    "a self-produced material is audited on its own rule, which its classification selects",
                    "classify the self-produced material",
                ));
            }
            let rate = self.rate(&m.currency, || format!("{}.currency", mp()), rates, errs);
            if m.quantity <= Decimal::ZERO {
                errs.push(self.err(
                    &format!("{}.quantity", mp()),
                    "the quantity must be positive",
                    "state the quantity per good",
                ));
            }
            if m.unit_value < Decimal::ZERO {
                errs.push(self.err(
                    &format!("{}.unit_value", mp()),
                    "the unit value is negative",
                    "state the value per unit",
                ));
            }
            let role = match m.role.as_deref() {
                None | Some("direct") => Role::Direct,
                Some("indirect") => Role::Indirect,
                Some("accessory") => Role::Accessory,
                Some("retail-packaging") => Role::RetailPackaging,
                Some("packing") => Role::Packing,
                Some(other) => {
                    errs.push(self.err(
                        &format!("{}.role", mp()),
                        &format!("`{other}` is not a role"),
                        "write direct, indirect, accessory, retail-packaging or packing",
                    ));
                    Role::Direct
                }
            };
            let self_produced = match m.self_produced {
                Some(_) if depth >= 3 => {
                    errs.push(self.err(
                        &format!("{}.self_produced", mp()),
                        "self-produced materials nest more than 3 levels",
                        "flatten the sub-BOMs",
                    ));
                    None
                }
                Some(sp) if sp.materials.is_empty() => {
                    errs.push(self.err(
                        &format!("{}.self_produced.materials", mp()),
                        "a self-produced material has no BOM lines of its own",
                        "list the materials it is made of, or drop `self_produced` and state its origin",
                    ));
                    None
                }
                Some(sp) => Some(Box::new(SelfProduced {
                    intermediate: sp.intermediate,
                    net_cost: sp.net_cost.and_then(|v| {
                        let x = amount(v, rate.unwrap_or(Decimal::ONE));
                        if x.is_none() {
                            errs.push(self.err(
                                &format!("{}.self_produced.net_cost", mp()),
                                &too_large(v),
                                TOO_LARGE_HELP,
                            ));
                        }
                        x
                    }),
                    materials: self.materials(
                        sp.materials,
                        &format!("{}.self_produced.materials", mp()),
                        rates,
                        errs,
                        depth + 1,
                        intern,
                    ),
                })),
                None => None,
            };
            let value = rate.and_then(|r| line_value(m.quantity, m.unit_value, r));
            if rate.is_some() && value.is_none() {
                errs.push(self.err(
                    &format!("{}.unit_value", mp()),
                    &format!("quantity {} x unit value {} {}", m.quantity, m.unit_value, too_large_tail()),
                    TOO_LARGE_HELP,
                ));
            }
            if errs.len() > before {
                continue;
            }
            if let (Ok(hs), Ok(origin), Some(value)) = (hs, origin, value) {
                out.push(Arc::new(Material {
                    line: intern.get(&m.line),
                    part: m.part.map(|x| Arc::from(&*x)),
                    description: intern.get(&m.description),
                    hs,
                    quantity: m.quantity,
                    value,
                    origin,
                    supplier: m.supplier.map(|x| intern.get(&x)),
                    certification: m.certification.map(|x| intern.get(&x)),
                    kinds: m.kinds,
                    role,
                    lot: m.lot.map(|x| Arc::from(&*x)),
                    self_produced,
                    weight_kg: m.weight_kg,
                }));
            }
        }
        out
    }
}

/// The largest amount accepted for a value, in the good's currency and in the batch currency: 10^15,
/// far above the value of any good or material, and low enough that the sums and ratios of a batch of
/// millions of lines stay well inside the decimal range (about 7.9 x 10^28) and never overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

const TOO_LARGE_HELP: &str =
    "check the number (a misplaced decimal point or a pasted total?); values are at most 10^15";

/// `v` converted at `rate`, or `None` when either is above [`MAX_AMOUNT`] or the product overflows.
pub(crate) fn amount(v: Decimal, rate: Decimal) -> Option<Decimal> {
    let max = Decimal::from(MAX_AMOUNT);
    if v.abs() > max {
        return None;
    }
    v.checked_mul(rate).filter(|x| x.abs() <= max)
}

/// A BOM line's value (quantity x unit value) in the batch currency, bounded as [`amount`] is.
pub(crate) fn line_value(quantity: Decimal, unit_value: Decimal, rate: Decimal) -> Option<Decimal> {
    let max = Decimal::from(MAX_AMOUNT);
    if unit_value.abs() > max {
        return None;
    }
    amount(quantity.checked_mul(unit_value)?, rate)
}

fn too_large_tail() -> String {
    format!("is above the largest value accepted ({MAX_AMOUNT}) or overflows in the batch currency")
}

fn too_large(v: Decimal) -> String {
    format!("{v} {}", too_large_tail())
}

thread_local! {
    /// Codes already parsed on this thread: a batch uses a handful, millions of times, and parsing one
    /// searches the ISO list.
    static COUNTRIES: std::cell::RefCell<Vec<(Box<str>, Country)>> = const { std::cell::RefCell::new(Vec::new()) };
    static CURRENCIES: std::cell::RefCell<Vec<(Box<str>, Currency)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether a material's HS code or origin is stated as not known: the word `unknown`, any case.
pub(crate) fn is_unknown(s: &str) -> bool {
    s.trim().eq_ignore_ascii_case("unknown")
}

/// A fact that may be stated `unknown` (`Ok(None)`), else parsed.
pub(crate) fn stated<T, E>(s: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<Option<T>, E> {
    if is_unknown(s) { Ok(None) } else { parse(s).map(Some) }
}

/// [`Country::parse`], remembering the codes that parsed.
fn cached_country(s: &str) -> Result<Country, origin_core::CountryError> {
    COUNTRIES.with_borrow_mut(|cache| {
        if let Some((_, c)) = cache.iter().find(|(k, _)| &**k == s) {
            return Ok(*c);
        }
        let c = Country::parse(s)?;
        if cache.len() < 64 {
            cache.push((s.into(), c));
        }
        Ok(c)
    })
}

/// [`Currency::parse`], remembering the codes that parsed.
fn cached_currency(s: &str) -> Result<Currency, origin_core::CurrencyError> {
    CURRENCIES.with_borrow_mut(|cache| {
        if let Some((_, c)) = cache.iter().find(|(k, _)| &**k == s) {
            return Ok(*c);
        }
        let c = Currency::parse(s)?;
        if cache.len() < 64 {
            cache.push((s.into(), c));
        }
        Ok(c)
    })
}

/// The JSON Schema of the batch file (YAML or JSON), for docs/batch-format.schema.json.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::r#gen::SchemaSettings::draft07().into_generator().into_root_schema_for::<RawBatch>();
    serde_json::json!(schema)
}
