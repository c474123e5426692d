//! The JSON fast path: the file is streamed, never held whole. A small scanner splits the top-level
//! object into its parts; the goods are cut out one by one and parsed and checked in parallel by worker
//! threads (serde_json straight into the raw structs, then the same checks as the general path), while
//! the scanner reads on. Each part is deserialized on its own, so a bad good is still an input error of
//! that good only, with the same field path and line as the general path gives: a part's path index is
//! built only when one of its errors needs a line.
//!
//! Anything the fast path does not take as it is (malformed JSON, an unknown or repeated top-level key, a
//! repeated key inside a part) returns `None`, and the caller reads the file on the general path, which
//! says what is wrong exactly as it always has.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use origin_core::{Currency, Decimal};
use serde_json::value::RawValue;

use super::raw::{RawGood, RawGoodIn, RawHeader, RawMaterialIn, RawParty, RawRate, RawSupplierCertification};
use super::{
    Batch, Cx, DeError, GoodInput, HeaderError, Locate, Parts, add_certification, add_party, add_rate, finish,
};

mod provenance;

use provenance::Provenance;

const KEYS: [&str; 6] = ["batch", "parties", "exchange_rates", "supplier_certifications", "goods", "provenance"];

/// Bytes read at a time.
const CHUNK: usize = 4 << 20;

/// Goods handed to a worker at a time (or fewer, when they reach `PACK_BYTES`).
const PACK_GOODS: usize = 64;
const PACK_BYTES: usize = 2 << 20;

/// Reads a JSON batch from `r`. `Ok(None)`: take the general path (or, with `index`, read the batch
/// with its goods held). `reread(offset, len)` gives back bytes of the input (for the line of a
/// duplicate good id).
///
/// With `index`, a batch whose header and exchange rates come before its goods and that names no BOM
/// files is indexed: each good is checked as always, then its id, the lots it names and where it is
/// are kept ([`super::GoodsFile`]); the goods in the first `hold` bytes of the goods list are kept as
/// read, and the audit reads the others again. Otherwise the goods are held.
pub(super) fn parse<R: Read>(
    path: &Path,
    r: R,
    reread: &dyn Fn(u64, usize) -> Option<String>,
    scope: super::FileScope,
    index: bool,
    hold: u64,
) -> io::Result<Option<Result<Batch, HeaderError>>> {
    let mut sc = Scanner { r, buf: vec![0; CHUNK], pos: 0, len: 0, eof: false, line: 1, offset: 0 };
    if sc.skip_ws()? != Some(b'{') {
        return Ok(None);
    }
    sc.pos += 1;
    let mut tops: Vec<(&'static str, usize)> = Vec::new();
    let mut texts: HashMap<&'static str, (usize, String)> = HashMap::new();
    let mut provenance: Option<Provenance> = None;
    let mut goods: Option<Goods> = None;
    let mut first = true;
    loop {
        match sc.skip_ws()? {
            Some(b'"') => sc.pos += 1,
            Some(b'}') if first => {
                sc.pos += 1;
                break;
            }
            _ => return Ok(None),
        }
        first = false;
        let Some(key) = sc.key()? else { return Ok(None) };
        let Some(&k) = KEYS.iter().find(|k| **k == key) else { return Ok(None) };
        if tops.iter().any(|(t, _)| *t == k) {
            return Ok(None);
        }
        // YAML takes a key only with its `:` on the same line (see `Value::after`).
        let key_line = sc.line;
        if sc.skip_ws()? != Some(b':') || sc.line != key_line {
            return Ok(None);
        }
        sc.pos += 1;
        let Some(c) = sc.skip_ws()? else { return Ok(None) };
        let line = sc.line;
        tops.push((k, line));
        if k == "goods" && c == b'[' {
            sc.pos += 1;
            let mut g = Goods::start(path, &tops, &texts, index, hold);
            if !scan_goods(&mut sc, &mut g)? {
                return Ok(None);
            }
            goods = Some(g);
        } else if k == "provenance" && index && c == b'{' {
            // A streamed run keeps the graph, not the records.
            let Some(p) = provenance::stream(&mut sc, line)? else { return Ok(None) };
            provenance = Some(p);
        } else {
            let mut v = Vec::new();
            if !sc.capture(&mut v)? || !yaml_reads(&v) {
                return Ok(None);
            }
            let Ok(text) = String::from_utf8(v) else { return Ok(None) };
            // `goods` that is not a list is never parsed below (the batch has no goods): its text must
            // still be JSON, as the general path requires of the whole file.
            if k == "goods" && !super::well_formed(&text) {
                return Ok(None);
            }
            if k == "provenance" {
                // Parsed beside the goods; its own thread.
                provenance = Some(Provenance::whole(path, line, text));
            } else {
                texts.insert(k, (line, text));
            }
        }
        match sc.skip_ws()? {
            Some(b',') => sc.pos += 1,
            Some(b'}') => {
                sc.pos += 1;
                break;
            }
            _ => return Ok(None),
        }
    }
    if sc.skip_ws()?.is_some() {
        return Ok(None);
    }
    drop(sc);

    // The goods, in file order (their workers have been running while the rest was read).
    let (goods, rates_at_start) = match goods {
        Some(g) => match g.finish() {
            Some(r) => r,
            None => return Ok(None),
        },
        None => (Collected::default(), None),
    };

    let top = Cx { file: path.to_path_buf(), locate: Locate::Top(&tops), errors: Vec::new() };
    // A header error stops the run before the other parts are read; the general path reads the whole
    // file first, so a part that is not JSON is reported (as malformed) before any header error.
    let mut provenance = provenance;
    let mut header_error = |errors: Vec<super::InputError>| {
        let malformed = texts.values().any(|(_, t)| !super::well_formed(t))
            || provenance.take().is_some_and(|p| p.join(path, reread).is_none());
        if malformed { Ok(None) } else { Ok(Some(Err(HeaderError(errors)))) }
    };
    // The header: any error stops the run.
    let Some((hline, htext)) = texts.get("batch") else {
        return header_error(vec![top.err(
            "batch",
            "missing field `batch`",
            "add the batch header: id, importing_party, as_of, currency",
        )]);
    };
    let mut hcx = Cx { file: path.to_path_buf(), locate: Locate::part("batch", *hline, htext), errors: Vec::new() };
    let raw_header: RawHeader = match hcx.de_json(htext, "batch") {
        Ok(h) => h,
        Err(DeError::Input(e)) => return header_error(vec![e]),
        Err(DeError::Fallback) => return Ok(None),
    };
    let header = hcx.header(&raw_header);
    if !hcx.errors.is_empty() {
        return header_error(std::mem::take(&mut hcx.errors));
    }

    let mut warnings = Vec::new();
    let mut parties = HashMap::new();
    let Some(()) = each(path, texts.get("parties"), "parties", |cx, text, p, _| {
        add_party(cx, input(cx.de_json::<RawParty>(text, p))?, p, &mut parties, &mut warnings);
        Some(())
    }) else {
        return Ok(None);
    };
    let rates = rates_from(path, &texts, header.currency, &mut warnings);
    let Some(rates) = rates else { return Ok(None) };
    let mut certifications = HashMap::new();
    let mut bad_certifications = HashMap::new();
    let done = each(path, texts.get("supplier_certifications"), "supplier_certifications", |cx, text, p, _| {
        let r = input(cx.de_json::<RawSupplierCertification>(text, p))?;
        let id = if r.is_ok() { String::new() } else { id_of(text).unwrap_or_default() };
        let id = match &r {
            Ok(c) => c.id.clone(),
            Err(_) => id,
        };
        add_certification(cx, r, p, id, &mut certifications, &mut bad_certifications);
        Some(())
    });
    if done.is_none() {
        return Ok(None);
    }
    let (provenance, provenance_graph) = match provenance.map(|p| p.join(path, reread)) {
        None => (None, None),
        Some(Some(Ok(provenance::Read::Input(p)))) => (Some(p), None),
        Some(Some(Ok(provenance::Read::Graph(g)))) => (None, Some(*g)),
        Some(Some(Err(e))) => return Ok(Some(Err(HeaderError(vec![e])))),
        Some(None) => return Ok(None),
    };

    // Goods read before the exchange rates were known are checked now.
    let mut list = Vec::with_capacity(goods.items.len());
    let mut indexed = Vec::new();
    let mut lots: std::collections::HashSet<Arc<str>> = std::collections::HashSet::new();
    let same_rates = rates_at_start.as_ref().is_some_and(|r| *r == rates);
    let mut intern = super::Interner::default();
    for item in goods.items {
        match item {
            Item::Done(g) if same_rates => list.push(g),
            Item::Indexed(mut x) if same_rates => {
                lots.extend(x.lots.drain(..));
                indexed.push(x);
            }
            // Checked under rates the file changes later: read the goods again, held (or, without
            // `index`, on the general path).
            Item::Done(_) | Item::Indexed(_) => return Ok(None),
            Item::Raw { i, line, text, raw } => {
                let p = format!("goods[{i}]");
                let cx = Cx { file: path.to_path_buf(), locate: Locate::part(&p, line, &text), errors: Vec::new() };
                list.push(cx.good(*raw, &p, &rates, &mut intern));
            }
        }
    }
    let parts = Parts { header, parties, certifications, bad_certifications, provenance, provenance_graph, warnings };
    let starts = goods.starts;
    let goods = if indexed.is_empty() {
        super::GoodsRead::Held(list)
    } else {
        let entries = indexed
            .into_iter()
            .zip(&starts)
            .map(|(x, &(offset, len, line))| super::GoodEntry {
                id: x.id,
                offset,
                len,
                line,
                hash: x.hash,
                lines: x.lines,
                held: x.held,
            })
            .collect();
        match super::GoodsFile::open(path, entries, lots, rates.clone()) {
            Ok(f) => super::GoodsRead::InFile(f),
            Err(_) => return Ok(None),
        }
    };
    let id_line = |i: usize| -> Option<usize> {
        let &(offset, len, line) = starts.get(i)?;
        let Some(text) = reread(offset, len) else { return Some(line) };
        let p = format!("goods[{i}]");
        Locate::part(&p, line, &text).line(&format!("{p}.id"))
    };
    Ok(Some(finish(&top, path, &raw_header, parts, goods, &rates, &id_line, scope)))
}

/// The rates, as the general path reads them; `None`: take the general path.
fn rates_from(
    path: &Path,
    texts: &HashMap<&'static str, (usize, String)>,
    currency: Currency,
    warnings: &mut Vec<super::InputError>,
) -> Option<HashMap<Currency, Decimal>> {
    let mut rates: HashMap<Currency, Decimal> = HashMap::new();
    rates.insert(currency, Decimal::ONE);
    each(path, texts.get("exchange_rates"), "exchange_rates", |cx, text, p, _| {
        add_rate(cx, input(cx.de_json::<RawRate>(text, p))?, p, currency, &mut rates, warnings);
        Some(())
    })?;
    Some(rates)
}

fn input<T>(r: Result<T, DeError>) -> Option<Result<T, super::InputError>> {
    match r {
        Ok(v) => Some(Ok(v)),
        Err(DeError::Input(e)) => Some(Err(e)),
        Err(DeError::Fallback) => None,
    }
}

/// The `id` of a part that did not deserialize, as the general path finds it.
fn id_of(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.get("id").and_then(|x| x.as_str()).map(str::to_string)
}

/// Calls `f` with each element of a top-level list (none when it is not a list, as in the general
/// path), with a context that locates the element's lines. `None`: take the general path.
fn each(
    path: &Path,
    list: Option<&(usize, String)>,
    name: &str,
    mut f: impl FnMut(&Cx<'_>, &str, &str, usize) -> Option<()>,
) -> Option<()> {
    let Some((line, text)) = list else { return Some(()) };
    let elems: Vec<&RawValue> = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) if e.is_syntax() || e.is_eof() => return None,
        // Not a list: serde_json stopped at its first byte, so the rest must still be checked. Text that
        // is not JSON (`{"x": "a"b}`) is malformed on the general path, which reads the whole file.
        Err(_) if !super::well_formed(text) => return None,
        Err(_) => return Some(()),
    };
    for (i, e) in elems.iter().enumerate() {
        let t = e.get();
        let offset = t.as_ptr() as usize - text.as_ptr() as usize;
        let eline = line + memchr::memchr_iter(b'\n', &text.as_bytes()[..offset]).count();
        let p = format!("{name}[{i}]");
        let cx = Cx { file: path.to_path_buf(), locate: Locate::part(&p, eline, t), errors: Vec::new() };
        f(&cx, t, &p, i)?;
    }
    Some(())
}

/// Reads the elements of `goods` after its `[`; false: malformed.
fn scan_goods<R: Read>(sc: &mut Scanner<R>, g: &mut Goods) -> io::Result<bool> {
    let mut pack = Pack::new(0);
    let mut n = 0;
    let read = sc.elements(|sc| {
        let (line, start, offset) = (sc.line, pack.buf.len(), sc.offset + sc.pos as u64);
        if !sc.capture(&mut pack.buf)? {
            return Ok(false);
        }
        pack.items.push((start, pack.buf.len(), line));
        g.starts.push((offset, pack.buf.len() - start, line));
        n += 1;
        if pack.items.len() >= PACK_GOODS || pack.buf.len() >= PACK_BYTES {
            let full = std::mem::replace(&mut pack, Pack::new(n));
            return Ok(g.send(full));
        }
        Ok(true)
    })?;
    Ok(read && (pack.items.is_empty() || g.send(pack)))
}

/// Goods cut out of the file, their text in one buffer.
struct Pack {
    /// Index of the first good.
    first: usize,
    buf: Vec<u8>,
    /// (start, end, line) of each good in `buf`.
    items: Vec<(usize, usize, usize)>,
    /// Whether its goods are kept as read (index mode; see [`Goods::send`]).
    hold: bool,
}

impl Pack {
    fn new(first: usize) -> Pack {
        Pack {
            first,
            buf: Vec::with_capacity(PACK_BYTES + (64 << 10)),
            items: Vec::with_capacity(PACK_GOODS),
            hold: false,
        }
    }
}

/// A good as a worker left it.
enum Item {
    /// Read and checked.
    Done(GoodInput),
    /// Read and checked: what index mode keeps of it.
    Indexed(Indexed),
    /// Read before the exchange rates were known: checked at the end.
    Raw { i: usize, line: usize, text: String, raw: Box<(RawGood, Vec<RawMaterialIn<'static>>)> },
}

/// What index mode keeps of a good: its id for the checks on the whole batch, the lots its BOM lines
/// name (the provenance traced for the batch), its BOM line count (for the log) and the hash that the
/// second read checks its bytes against; and the good itself when it is within the bytes held.
struct Indexed {
    id: Box<str>,
    lots: Vec<Arc<str>>,
    lines: usize,
    hash: u64,
    held: Option<GoodInput>,
}

impl Indexed {
    fn of(g: GoodInput, text: &str, hold: bool) -> Indexed {
        let (mut lots, mut lines) = (Vec::new(), 0);
        if let GoodInput::Ok(good) = &g {
            super::walk_materials(&good.materials, &mut |m| {
                lines += 1;
                if let Some(l) = &m.lot {
                    lots.push(l.clone());
                }
            });
        }
        let (id, hash) = (g.id().into(), super::GoodsFile::hash(text.as_bytes()));
        Indexed { id, lots, lines, hash, held: hold.then_some(g) }
    }
}

/// What the workers produced, in file order, and where each good is: (offset, length, line).
#[derive(Default)]
struct Collected {
    items: Vec<Item>,
    starts: Vec<(u64, usize, usize)>,
}

/// The pool of workers reading goods.
struct Goods {
    tx: Option<mpsc::SyncSender<Pack>>,
    results: mpsc::Receiver<Option<(usize, Vec<Item>)>>,
    workers: Vec<std::thread::JoinHandle<()>>,
    rates: Option<HashMap<Currency, Decimal>>,
    starts: Vec<(u64, usize, usize)>,
    /// Bytes of goods still to be kept as read (index mode).
    hold: u64,
}

impl Goods {
    /// Starts the workers. When the header and the exchange rates came before the goods, workers check
    /// each good completely; otherwise they only deserialize it.
    fn start(
        path: &Path,
        tops: &[(&'static str, usize)],
        texts: &HashMap<&'static str, (usize, String)>,
        index: bool,
        hold: u64,
    ) -> Goods {
        // BOM files add lines to goods after this read: such a batch keeps its goods held.
        let index = index && texts.get("batch").is_some_and(|(_, h)| !names_bom_files(h));
        let rates = early_rates(path, tops, texts, index);
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).max(1);
        let (tx, rx) = mpsc::sync_channel::<Pack>(threads * 2);
        let rx = Arc::new(Mutex::new(rx));
        let (rtx, results) = mpsc::channel();
        let shared = Arc::new((path.to_path_buf(), rates.clone(), index));
        let workers = (0..threads)
            .map(|_| {
                let (rx, rtx, shared) = (rx.clone(), rtx.clone(), shared.clone());
                std::thread::spawn(move || {
                    let mut intern = super::Interner::default();
                    loop {
                        let pack = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(pack) = pack else { return };
                        let out = read_pack(&shared.0, shared.1.as_ref(), shared.2, &pack, &mut intern);
                        if rtx.send(out.map(|items| (pack.first, items))).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        Goods { tx: Some(tx), results, workers, rates, starts: Vec::new(), hold }
    }

    fn send(&mut self, mut p: Pack) -> bool {
        // Whole packs are held or not, in file order: which goods are held does not depend on timing.
        let bytes = p.buf.len() as u64;
        p.hold = bytes <= self.hold;
        if p.hold {
            self.hold -= bytes;
        } else {
            self.hold = 0;
        }
        self.tx.as_ref().is_some_and(|tx| tx.send(p).is_ok())
    }

    /// Waits for the workers; `None`: take the general path.
    fn finish(mut self) -> Option<(Collected, Option<HashMap<Currency, Decimal>>)> {
        drop(self.tx.take());
        let mut packs: Vec<(usize, Vec<Item>)> = Vec::new();
        let mut ok = true;
        for r in self.results.iter() {
            match r {
                Some(p) => packs.push(p),
                None => ok = false,
            }
        }
        for w in self.workers.drain(..) {
            ok &= w.join().is_ok();
        }
        if !ok {
            return None;
        }
        packs.sort_by_key(|p| p.0);
        let mut c =
            Collected { items: Vec::with_capacity(self.starts.len()), starts: std::mem::take(&mut self.starts) };
        for (_, items) in packs {
            c.items.extend(items);
        }
        Some((c, self.rates))
    }
}

/// Whether the header text names BOM files (or cannot be read to tell: then it is treated as if it did).
fn names_bom_files(header: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(header) {
        Ok(v) => v.get("bom_files").is_some_and(|f| f.as_array().is_none_or(|a| !a.is_empty())),
        Err(_) => true,
    }
}

/// The rates, when the header and the exchange rates precede the goods; `None` otherwise (or when
/// either has an error, which the end of [`parse`] reports). With `provisional` (index mode), a header
/// with no exchange rates before the goods gives the batch currency's own rate: the goods are checked
/// with it, and read again held if the file gives other rates after them.
fn early_rates(
    path: &Path,
    tops: &[(&'static str, usize)],
    texts: &HashMap<&'static str, (usize, String)>,
    provisional: bool,
) -> Option<HashMap<Currency, Decimal>> {
    if !provisional && !tops.iter().any(|(k, _)| *k == "exchange_rates") {
        return None;
    }
    let (hline, htext) = texts.get("batch")?;
    let mut hcx = Cx { file: path.to_path_buf(), locate: Locate::part("batch", *hline, htext), errors: Vec::new() };
    let raw: RawHeader = hcx.de_json(htext, "batch").ok()?;
    let header = hcx.header(&raw);
    if !hcx.errors.is_empty() {
        return None;
    }
    rates_from(path, texts, header.currency, &mut Vec::new())
}

/// Reads (and, with `rates`, checks) the goods of a pack; with `index` and `rates`, keeps only what
/// [`Indexed`] says. `None`: take the general path.
fn read_pack(
    file: &Path,
    rates: Option<&HashMap<Currency, Decimal>>,
    index: bool,
    pack: &Pack,
    intern: &mut super::Interner,
) -> Option<Vec<Item>> {
    if !yaml_reads(&pack.buf) {
        return None;
    }
    let text = std::str::from_utf8(&pack.buf).ok()?;
    let mut out = Vec::with_capacity(pack.items.len());
    for (k, &(start, end, line)) in pack.items.iter().enumerate() {
        let t = text.get(start..end)?;
        let i = pack.first + k;
        let item = match rates {
            Some(rates) => {
                let g = read_good(file, i, line, t, rates, intern)?;
                if index { Item::Indexed(Indexed::of(g, t, pack.hold)) } else { Item::Done(g) }
            }
            None => {
                let p = format!("goods[{i}]");
                let cx = Cx { file: file.to_path_buf(), locate: Locate::part(&p, line, t), errors: Vec::new() };
                match cx.de_json::<RawGoodIn<'_>>(t, &p) {
                    Ok(r) => {
                        let (good, bom) = r.split();
                        let bom = bom.into_iter().map(RawMaterialIn::into_owned).collect();
                        Item::Raw { i, line, text: t.to_string(), raw: Box::new((good, bom)) }
                    }
                    Err(DeError::Input(e)) => {
                        Item::Done(GoodInput::Invalid { id: id_of(t).unwrap_or(p), errors: vec![e] })
                    }
                    Err(DeError::Fallback) => return None,
                }
            }
        };
        out.push(item);
    }
    Some(out)
}

/// Reads and checks good `i`, whose text `t` starts on `line`: on the first read of a JSON batch and
/// again when an indexed good is audited ([`super::GoodsFile::read`]), so both give the same good.
/// `None`: take the general path.
pub(super) fn read_good(
    file: &Path,
    i: usize,
    line: usize,
    t: &str,
    rates: &HashMap<Currency, Decimal>,
    intern: &mut super::Interner,
) -> Option<GoodInput> {
    let p = format!("goods[{i}]");
    let cx = Cx { file: file.to_path_buf(), locate: Locate::part(&p, line, t), errors: Vec::new() };
    // BOM lines borrow their texts from the pack (see `Text`).
    match cx.de_json::<RawGoodIn<'_>>(t, &p) {
        Ok(r) => Some(cx.good(r.split(), &p, rates, intern)),
        Err(DeError::Input(e)) => Some(GoodInput::Invalid { id: id_of(t).unwrap_or(p), errors: vec![e] }),
        Err(DeError::Fallback) => None,
    }
}

/// Whether the general path (YAML) reads these bytes: JSON allows in a string characters that YAML
/// refuses ([`super::yaml_refuses`]). A file with one takes the general path, which gives the located
/// error, so both paths answer alike. Every byte outside the captured values is whitespace, punctuation
/// or a known key, so checking the values checks the file.
fn yaml_reads(s: &[u8]) -> bool {
    super::yaml_refuses(s).is_none() && !surrogate_escape(s)
}

/// Whether `s` holds a `\uD800`-`\uDFFF` escape: JSON writes a character beyond U+FFFF (an emoji) as two
/// of them, YAML refuses each ("found invalid Unicode character escape code"). (An escaped backslash
/// before `u` matches too: such a file is only read more slowly, by the general path.)
fn surrogate_escape(s: &[u8]) -> bool {
    memchr::memmem::find_iter(s, b"\\u")
        .any(|i| matches!(s.get(i + 2..i + 4), Some([b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'])))
}

/// Splits JSON read in chunks: whitespace, keys, and whole values (copied out), counting lines.
struct Scanner<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Line of `buf[pos]`, from 1.
    line: usize,
    /// Bytes consumed before `buf[0]`.
    offset: u64,
}

impl<R: Read> Scanner<R> {
    /// Makes sure a byte is buffered; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.offset += self.len as u64;
        self.pos = 0;
        self.len = 0;
        loop {
            match self.r.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Skips whitespace; the next byte, not consumed.
    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        while self.fill()? {
            let s = &self.buf[self.pos..self.len];
            match s.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
                Some(k) => {
                    self.line += s[..k].iter().filter(|b| **b == b'\n').count();
                    self.pos += k;
                    return Ok(Some(s[k]));
                }
                None => {
                    self.line += s.iter().filter(|b| **b == b'\n').count();
                    self.pos = self.len;
                }
            }
        }
        Ok(None)
    }

    /// A key after its opening quote: plain characters only (anything else: `None`).
    fn key(&mut self) -> io::Result<Option<String>> {
        let mut k = Vec::new();
        while self.fill()? {
            let b = self.buf[self.pos];
            self.pos += 1;
            match b {
                b'"' => return Ok(String::from_utf8(k).ok()),
                b'\\' | b'\n' => return Ok(None),
                _ if k.len() > 64 => return Ok(None),
                _ => k.push(b),
            }
        }
        Ok(None)
    }

    /// Calls `each` at every element of the list whose `[` was just read, the scanner at the element's
    /// first byte; false (from `each`, or a list that is not one): malformed.
    fn elements(&mut self, mut each: impl FnMut(&mut Self) -> io::Result<bool>) -> io::Result<bool> {
        if self.skip_ws()? == Some(b']') {
            self.pos += 1;
            return Ok(true);
        }
        loop {
            if self.skip_ws()?.is_none() || !each(self)? {
                return Ok(false);
            }
            match self.skip_ws()? {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(true);
                }
                _ => return Ok(false),
            }
        }
    }

    /// Copies the value starting at the current byte into `out`; false when the input ends first or
    /// the brackets do not balance.
    fn capture(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        let mut v = Value::default();
        while self.fill()? {
            let s = &self.buf[self.pos..self.len];
            let r = v.feed(s);
            let used = match r {
                Feed::End(n) => n,
                Feed::More => s.len(),
                Feed::Bad => return Ok(false),
            };
            out.extend_from_slice(&s[..used]);
            self.line += memchr::memchr_iter(b'\n', &s[..used]).count();
            self.pos += used;
            if let Feed::End(_) = r {
                return Ok(true);
            }
        }
        Ok(v.scalar && v.started)
    }
}

/// Where the end of a value is, as far as brackets and strings tell (serde_json checks the rest).
///
/// It also refuses (sends to the general path) the one JSON layout YAML does not read: libyaml takes a
/// key in `{...}` only when its `:` is on the key's line and at most 1,024 characters from its start
/// ("did not find expected ',' or '}'"), where JSON allows any whitespace, newlines included.
#[derive(Default)]
struct Value {
    started: bool,
    scalar: bool,
    depth: u32,
    in_str: bool,
    escaped: bool,
    /// Bytes of the string being read, before the current slice.
    str_bytes: usize,
    /// Where the current string started in the current slice (0 when it started in an earlier one).
    str_from: usize,
    /// After a string: (bytes since its opening quote, a newline seen); a `:` next makes it a key.
    after: Option<(usize, bool)>,
}

/// Bytes from a key's opening quote to its `:` above which the general path reads the file (libyaml's
/// limit is 1,024 characters; bytes are at least as many, and a margin costs only a slower read).
const KEY_SPAN: usize = 1000;

enum Feed {
    /// The value ends after this many bytes.
    End(usize),
    /// It goes on past this slice.
    More,
    /// Unbalanced.
    Bad,
}

impl Value {
    fn feed(&mut self, s: &[u8]) -> Feed {
        let mut i = 0;
        if !self.started {
            let Some(&b) = s.first() else { return Feed::More };
            self.started = true;
            match b {
                b'{' | b'[' => self.depth = 1,
                b'"' => {
                    self.in_str = true;
                    self.str_from = 0;
                }
                b'}' | b']' | b',' | b':' => return Feed::Bad,
                _ => self.scalar = true,
            }
            i = 1;
        }
        if self.scalar {
            return match s[i..].iter().position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')) {
                Some(k) => Feed::End(i + k),
                None => Feed::More,
            };
        }
        while i < s.len() {
            if self.in_str {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &s[i..]) {
                    None => {
                        self.str_bytes += s.len() - self.str_from;
                        self.str_from = 0;
                        return Feed::More;
                    }
                    Some(k) => {
                        i += k;
                        if s[i] == b'\\' {
                            self.escaped = true;
                            i += 1;
                        } else {
                            self.in_str = false;
                            i += 1;
                            if self.depth == 0 {
                                return Feed::End(i);
                            }
                            self.after = Some((self.str_bytes + i - self.str_from, false));
                        }
                    }
                }
            } else {
                if let Some((n, newline)) = &mut self.after {
                    match s[i] {
                        b' ' | b'\t' | b'\r' => *n += 1,
                        b'\n' => *newline = true,
                        b':' if *newline || *n > KEY_SPAN => return Feed::Bad,
                        _ => self.after = None,
                    }
                }
                match s[i] {
                    b'"' => {
                        self.in_str = true;
                        self.str_bytes = 0;
                        self.str_from = i;
                    }
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            return Feed::End(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        if self.in_str {
            self.str_bytes += s.len() - self.str_from;
            self.str_from = 0;
        }
        Feed::More
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use crate::r#gen::{GenSpec, write_batch};
    use crate::input::{
        FileScope, GoodInput, load_batch_in, load_batch_streamed, load_batch_streamed_holding, parse_batch, parse_text,
    };

    /// Every input error, as text, in order.
    fn errors(b: &crate::input::Batch) -> Vec<String> {
        let mut out: Vec<String> = b.warnings.iter().map(ToString::to_string).collect();
        let mut bad: Vec<String> = b.bad_certifications.values().flatten().map(ToString::to_string).collect();
        bad.sort();
        out.extend(bad);
        for g in &b.goods {
            match g {
                GoodInput::Ok(g) => out.push(format!("{} ok, {} materials", g.id, g.materials.len())),
                GoodInput::Invalid { id, errors } => out.extend(errors.iter().map(|e| format!("{id}: {e}"))),
            }
        }
        out
    }

    /// What the fast path and the general path read from `t`: each batch's errors, or its header error.
    fn both(path: &Path, t: &str) -> (Result<Vec<String>, String>, Result<Vec<String>, String>) {
        let fast = parse_batch(path, t).map(|b| errors(&b)).map_err(|e| e.to_string());
        let general =
            parse_text(path, t, crate::input::FileScope::BatchDirectory).map(|b| errors(&b)).map_err(|e| e.to_string());
        (fast, general)
    }

    /// The fast path gives what the general path gives: the same goods, and the same errors with the
    /// same fields and lines.
    #[test]
    fn fast_path_matches_the_general_path_errors_included() {
        let (text, broken) = generated_and_broken();
        let broken = broken.replacen(r#""country": "US"}"#, r#""country": "USA"}"#, 1).replacen(
            r#""origin_criterion": "B""#,
            r#""origin_criterion": "E""#,
            1,
        );
        assert_ne!(broken, text);
        let path = Path::new("batch.json");
        for t in [&text, &broken] {
            let (fast, general) = both(path, t);
            assert_eq!(fast, general);
        }
        let e = parse_batch(path, &broken).map(|b| errors(&b)).unwrap_or_else(|e| vec![e.to_string()]);
        assert!(e.iter().any(|e| e.contains("batch.json:2746: `goods[0].materials[5].quantity`")), "{e:#?}");
        // A duplicate good id stops the batch (a header error), on both paths alike.
        let twin = text.replacen(r#""id": "G0000004""#, r#""id": "G0000003""#, 1);
        assert_ne!(twin, text);
        let (fast, general) = both(path, &twin);
        assert_eq!(fast, general);
        let dup = fast.err().unwrap_or_default();
        assert!(dup.contains("goods[4].id") && dup.contains("used twice"), "{dup}");
        assert!(e.iter().any(|e| e.contains("unknown field `colour`")), "{e:#?}");
    }

    /// A generated batch of 12 goods, and a copy with input errors in some goods: a wrong HS code, an
    /// unknown country, a quantity that is not a number, an unknown field, an unknown currency.
    fn generated_and_broken() -> (String, String) {
        let mut buf = Vec::new();
        let _ = write_batch(&GenSpec { goods: 12, lines: 6, seed: 3, events: 300 }, &mut buf);
        let text = String::from_utf8(buf).unwrap_or_default();
        let broken = text
            .replacen(r#"hot rolled", "hs": "7214.20""#, r#"hot rolled", "hs": "72x4""#, 1)
            .replacen(r#""origin": "CN""#, r#""origin": "ZZ""#, 1)
            .replacen(r#""quantity": 2,"#, r#""quantity": "two","#, 1)
            .replacen(r#""invoice": "INV-2026-0000006","#, r#""invoice": "INV-2026-0000006", "colour": "red","#, 1)
            .replacen(r#""currency": "USD", "transaction_value""#, r#""currency": "XXQ", "transaction_value""#, 1);
        (text, broken)
    }

    /// The line of a generated batch that holds its exchange rates.
    fn rates_line(text: &str) -> &str {
        text.lines().find(|l| l.trim_start().starts_with(r#""exchange_rates""#)).unwrap()
    }

    /// The broken batch of [`generated_and_broken`] with one more good, which has no BOM lines.
    fn mixed_batch() -> String {
        let (_, broken) = generated_and_broken();
        let end = broken.rfind("\n  ]").unwrap_or(0);
        let empty = r#"
    ,{"id": "EMPTY", "description": "Nothing", "hs": "8483.40", "producer": "coahuila-transmisiones", "place_of_production": "MX", "currency": "USD", "transaction_value": 10, "materials": []}"#;
        format!("{}{empty}{}", &broken[..end], &broken[end..])
    }

    /// A batch read with its goods left in the file gives, good by good, what the held read gives:
    /// the same goods, the same input errors on the same lines (the no-BOM error included), the same
    /// ids, lots and line counts; and a duplicate id is refused alike.
    #[test]
    fn goods_left_in_the_file_are_the_goods_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.json");
        let text = mixed_batch();
        for needle in [r#""id": "EMPTY""#, "colour", "XXQ", "\"two\"", "ZZ"] {
            assert!(text.contains(needle), "{needle}");
        }
        std::fs::write(&path, &text).unwrap();
        let held = load_batch_in(&path, FileScope::BatchDirectory).unwrap();
        assert!(held.goods_file.is_none());
        assert_eq!(held.good_count(), 13);
        // Each good read again, then each kept as first read.
        for (hold, kept) in [(0, 0), (crate::input::HOLD_BYTES, 13)] {
            let streamed = load_batch_streamed_holding(&path, FileScope::BatchDirectory, hold).unwrap();
            assert!(streamed.goods.is_empty() && streamed.goods_file.is_some());
            assert_eq!(streamed.good_count(), 13);
            assert_eq!(streamed.goods_held(), kept);
            let mut invalid = 0;
            for i in 0..13 {
                let (h, s) = (held.good(i).unwrap(), streamed.good(i).unwrap());
                assert_eq!(format!("{h:?}"), format!("{s:?}"), "goods[{i}], hold {hold}");
                assert_eq!(held.good_id(i), streamed.good_id(i));
                assert_eq!(held.bom_line_count(i), streamed.bom_line_count(i));
                invalid += usize::from(matches!(*s, GoodInput::Invalid { .. }));
            }
            // Bad goods stay input errors of their own good; the rest are read.
            assert!(invalid >= 3, "{invalid}");
            let empty = streamed.good(12).unwrap();
            assert!(format!("{empty:?}").contains("has no BOM lines"), "{empty:?}");
        }
        let streamed = load_batch_streamed(&path, FileScope::BatchDirectory).unwrap();
        assert!(!held.lots_named().is_empty());
        assert_eq!(held.lots_named(), streamed.lots_named());
        assert_eq!(format!("{:?}", held.warnings), format!("{:?}", streamed.warnings));
        assert!(streamed.good(13).is_err());

        let twin = text.replacen(r#""id": "G0000004""#, r#""id": "G0000003""#, 1);
        std::fs::write(&path, &twin).unwrap();
        let (h, s) =
            (load_batch_in(&path, FileScope::BatchDirectory), load_batch_streamed(&path, FileScope::BatchDirectory));
        let (h, s) = (h.err().map(|e| e.to_string()), s.err().map(|e| e.to_string()));
        assert_eq!(h, s);
        assert!(s.unwrap_or_default().contains("goods[4].id"));
    }

    /// A good whose bytes change after the batch was read is an error naming the good when it is read
    /// again, never that other good audited; a file cut short likewise; the goods before it still read.
    #[test]
    fn a_good_changed_after_the_first_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.json");
        let text = mixed_batch();
        std::fs::write(&path, &text).unwrap();
        let streamed = load_batch_streamed_holding(&path, FileScope::BatchDirectory, 0).unwrap();
        // Same length, one digit of good 5's invoice changed.
        let edited = text.replacen("INV-2026-0000005", "INV-2026-0000015", 1);
        assert_eq!(edited.len(), text.len());
        std::fs::write(&path, &edited).unwrap();
        assert!(streamed.good(4).is_ok());
        let e = streamed.good(5).unwrap_err().to_string();
        assert!(e.contains("`G0000005` (goods[5], line") && e.contains("changed since the batch was read"), "{e}");
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        let e = streamed.good(11).unwrap_err().to_string();
        assert!(e.contains("`G0000011`") && e.contains("changed"), "{e}");
    }

    /// A batch with no exchange rates (one currency) keeps its goods in the file too, read alike;
    /// lines in another currency are the same input errors on both reads.
    #[test]
    fn goods_without_exchange_rates_are_left_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.json");
        let text = mixed_batch();
        let rates_line = rates_line(&text);
        let without = text.replacen(&format!("{rates_line}\n"), "", 1);
        assert!(!without.contains("exchange_rates") && without.contains(r#""currency": "MXN""#));
        std::fs::write(&path, &without).unwrap();
        let held = load_batch_in(&path, FileScope::BatchDirectory).unwrap();
        let streamed = load_batch_streamed(&path, FileScope::BatchDirectory).unwrap();
        assert!(streamed.goods_file.is_some());
        assert_eq!(streamed.good_count(), held.good_count());
        // Held, a bad good sends this file to the general path, which also knows an error's column;
        // printed, the fast path finds it from the line (`InputError::located`): compared as shown.
        let shown = |g: &GoodInput| match g {
            GoodInput::Ok(g) => format!("{g:?}"),
            GoodInput::Invalid { id, errors } => {
                format!("{id}: {}", errors.iter().map(|e| format!("{e}\n")).collect::<String>())
            }
        };
        for i in 0..held.good_count() {
            assert_eq!(shown(&held.good(i).unwrap()), shown(&streamed.good(i).unwrap()), "goods[{i}]");
        }
        let no_rate = |g: &GoodInput| {
            matches!(g, GoodInput::Invalid { errors, .. }
                if errors.iter().any(|e| e.message == "no exchange rate from `MXN` into the batch currency"))
        };
        let missing = (0..streamed.good_count()).filter(|&i| no_rate(&streamed.good(i).unwrap())).count();
        assert!(missing > 0, "a line in MXN has no rate");
    }

    /// A batch naming BOM files (their lines join goods after the batch is read) keeps its goods held,
    /// decided from the header before the goods are read, with the goods the held read gives.
    #[test]
    fn goods_are_held_when_the_batch_names_bom_files() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/engine");
        let yaml: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(fixtures.join("csv-bom.yaml")).unwrap()).unwrap();
        std::fs::write(dir.path().join("batch.json"), serde_json::to_string_pretty(&yaml).unwrap()).unwrap();
        std::fs::copy(fixtures.join("csv-bom.csv"), dir.path().join("csv-bom.csv")).unwrap();
        let path = dir.path().join("batch.json");
        let held = load_batch_in(&path, FileScope::BatchDirectory).unwrap();
        let streamed = load_batch_streamed(&path, FileScope::BatchDirectory).unwrap();
        assert!(streamed.goods_file.is_none() && !streamed.bom_files.is_empty());
        assert!(held.goods.iter().any(|g| matches!(g, GoodInput::Ok(g) if !g.materials.is_empty())));
        assert_eq!(format!("{:?}", held.goods), format!("{:?}", streamed.goods));
        assert!(super::names_bom_files(r#"{"bom_files": ["a.csv"]}"#) && super::names_bom_files("{not json"));
        assert!(!super::names_bom_files(r#"{"id": "b"}"#) && !super::names_bom_files(r#"{"bom_files": []}"#));
    }

    /// Goods are left in the file only when each can be checked on the first read as it will be on
    /// the second: exchange rates after the goods, or a header after them, and the goods are held;
    /// the answers are the same.
    #[test]
    fn goods_are_held_when_the_rates_come_after_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.json");
        let text = mixed_batch();
        let rates_line = rates_line(&text);
        let moved = text.replacen(&format!("{rates_line}\n"), "", 1);
        let end = moved.rfind("\n}").unwrap();
        let moved = format!("{},\n{}{}", &moved[..end], rates_line.trim_end_matches(','), &moved[end..]);
        std::fs::write(&path, &moved).unwrap();
        let held = load_batch_in(&path, FileScope::BatchDirectory).unwrap();
        let streamed = load_batch_streamed(&path, FileScope::BatchDirectory).unwrap();
        assert!(streamed.goods_file.is_none());
        assert_eq!(held.good_count(), 13);
        assert_eq!(format!("{:?}", held.goods), format!("{:?}", streamed.goods));
    }

    /// Found by fuzzing (fuzz/regressions/batch_json/): a misspelt header key followed by text that is
    /// not JSON (`"importing_pytr"a: "US"`) was reported by the fast path as an unknown field on the
    /// batch's line, by the general path as malformed on the key's line. Both now say malformed; and a
    /// header error with a malformed part elsewhere (`parties`), or a part with a wrong field and then a
    /// key given twice (`supplier_certifications[0]`), is malformed on both paths too.
    #[test]
    fn a_header_error_beside_malformed_text_is_reported_as_malformed() {
        let path = Path::new("batch.json");
        let header = r#""id": "b", "importing_party": "US", "as_of": "2026-11-01", "currency": "USD""#;
        for t in [
            format!("{{\n\"batch\": {{\n{header},\n\"importing_pytr\"a: \"US\"}},\n\"goods\": []}}"),
            format!("{{\n\"batch\": {{{header}, \"colour\": 1}},\n\"parties\": [{{\"id\": \"p\" \"name\": \"x\"}}]}}"),
            // A wrong field, then a key given twice: serde stopped at the first.
            format!(
                "{{\n\"batch\": {{{header}}},\n\"supplier_certifications\": [{{\"id\": \"c\", \"y\": 1, \"id\": \"d\"}}]}}"
            ),
        ] {
            let (fast, general) = both(path, &t);
            assert_eq!(fast, general, "{t}");
            let e = fast.err().unwrap_or_default();
            assert!(e.contains("malformed YAML/JSON"), "{e}");
        }
    }

    /// Found by fuzzing (fuzz/regressions/batch_json/fast-path-accepts-trailing-content-after-a-string):
    /// a top-level part that is not a list (`parties`, `exchange_rates`, `supplier_certifications`,
    /// `goods`) was skipped by the fast path at its first byte, so text after a string in it
    /// (`"a"b`) went unnoticed; the general path says malformed, with the line. Both say it now; a
    /// well-formed part that is not a list is still read alike by both.
    #[test]
    fn a_part_that_is_not_a_list_must_still_be_json() {
        let path = Path::new("batch.json");
        let header = r#""batch": {"id": "b", "importing_party": "US", "as_of": "2026-11-01", "currency": "USD"}"#;
        for part in ["parties", "exchange_rates", "supplier_certifications", "goods"] {
            for (value, malformed) in [(r#"{"x": "a"b}"#, true), (r#"{"x": "a", "y": 1}"#, false), (r#""a""#, false)] {
                let t = format!("{{{header},\n\"{part}\": {value}}}");
                let (fast, general) = both(path, &t);
                assert_eq!(fast, general, "{t}");
                let e = fast.err().unwrap_or_default();
                // Malformed: located on the part's line; otherwise the batch has no goods.
                if malformed {
                    assert!(e.contains("batch.json:2: ``: malformed YAML/JSON"), "{t}: {e}");
                } else {
                    assert!(e.contains("the batch has no goods"), "{t}: {e}");
                }
            }
        }
    }

    /// Found by fuzzing (fuzz/regressions/batch_json/fast-path-accepts-a-del-character-in-a-string): JSON
    /// allows DEL, the C1 controls, U+FFFE and U+FFFF inside a string, YAML refuses them, and the fast
    /// path read a batch the general path refuses. Both refuse it now, on the character's line, in any
    /// part; NEL (U+0085) and the characters next to the refused ones are read by both.
    #[test]
    fn characters_yaml_refuses_are_refused_on_both_paths() {
        let path = Path::new("batch.json");
        let mut buf = Vec::new();
        let _ = write_batch(&GenSpec { goods: 3, lines: 2, seed: 1, events: 0 }, &mut buf);
        let text = String::from_utf8(buf).unwrap_or_default();
        let (fast, _) = both(path, &text);
        assert!(fast.is_ok(), "{fast:?}");
        let name = r#""name": "Autopartes"#;
        assert!(text.contains(name) && text.contains(r#""invoice": "INV"#));
        let line_of = |t: &str, at: &str| t[..t.find(at).unwrap_or(0)].matches('\n').count() + 1;
        for (c, refused) in [
            ('\u{7f}', true),
            ('\u{80}', true),
            ('\u{9f}', true),
            ('\u{fffe}', true),
            ('\u{ffff}', true),
            ('\u{7e}', false),
            ('\u{85}', false),
            ('\u{a0}', false),
            ('\u{fffd}', false),
            ('\u{10000}', false),
        ] {
            // In a party's name (a part read whole) and in a good's invoice (read by the workers).
            for at in [name, r#""invoice": "INV"#] {
                let t = text.replacen(at, &format!("{at}{c}"), 1);
                let (fast, general) = both(path, &t);
                assert_eq!(fast, general, "U+{:04X} in {at}", c as u32);
                if refused {
                    let e = fast.err().unwrap_or_default();
                    let want = format!("batch.json:{}:", line_of(&t, at));
                    assert!(e.contains("control characters are not allowed") && e.contains(&want), "{e}");
                } else {
                    assert!(fast.is_ok(), "U+{:04X}: {fast:?}", c as u32);
                }
            }
        }
    }

    /// Found by fuzzing (fuzz/regressions/batch_json/fast-path-accepts-a-newline-between-key-and-colon):
    /// JSON allows a newline between a key and its `:`, YAML does not (nor a key 1,024 characters from
    /// its `:`), and it refuses the `\uD83D\uDE00` escapes JSON writes an emoji with. The fast path read
    /// such batches, the general path refused them; both give the general path's answer now, in the
    /// header, a list part and a good alike. The same text with the `:` on the key's line, a long value
    /// (not a key), and the emoji written as itself are read by both.
    #[test]
    fn json_layouts_yaml_refuses_get_the_general_answer() {
        let path = Path::new("batch.json");
        let mut buf = Vec::new();
        let _ = write_batch(&GenSpec { goods: 3, lines: 2, seed: 1, events: 0 }, &mut buf);
        let text = String::from_utf8(buf).unwrap_or_default();
        let long = "x".repeat(1100);
        for (from, to, refused) in [
            (r#""as_of": "#, "\"as_of\"\n  : ", true),
            (r#""country": "MX""#, "\"country\"\n: \"MX\"", true),
            (r#""invoice": "#, "\"invoice\"\r\n   : ", true),
            (r#""invoice": "#, "\"invoice\"   : ", false),
            ("\"invoice\": \"", &format!("\"{long}\": 1, \"invoice\": \""), true),
            ("\"invoice\": \"", &format!("\"invoice\": \"{long}"), false),
            (r#""name": "Autopartes"#, r#""name": "Autopartes \ud83d\ude00"#, true),
            (r#""name": "Autopartes"#, "\"name\": \"Autopartes \u{1f600}", false),
        ] {
            assert!(text.contains(from), "{from}");
            let t = text.replacen(from, to, 1);
            let (fast, general) = both(path, &t);
            assert_eq!(fast, general, "{to}");
            match fast {
                Err(e) => assert!(refused && e.contains("malformed YAML/JSON"), "{to}: {e}"),
                Ok(e) => assert!(!refused || !e.is_empty(), "{to}: read without a word: {e:?}"),
            }
        }
    }

    /// Malformed JSON and header errors are reported as the general path reports them.
    #[test]
    fn header_and_syntax_errors_match_the_general_path() {
        let mut buf = Vec::new();
        let _ = write_batch(&GenSpec { goods: 3, lines: 2, seed: 1, events: 0 }, &mut buf);
        let text = String::from_utf8(buf).unwrap_or_default();
        let path = Path::new("batch.json");
        for t in [
            text.replacen(r#""importing_party": "US""#, r#""importing_party": "CN""#, 1),
            text.replacen(r#""as_of": "2026-11-01""#, r#""as_of": "2026-13-01""#, 1),
            text.replacen(r#""parties""#, r#""partys""#, 1),
            text.replacen("}", "", 1),
            text.replacen(r#""line": "10""#, r#""line": "10", "line": "11""#, 1),
        ] {
            let (fast, general) = both(path, &t);
            assert_eq!(fast, general);
        }
    }
}
