//! Synthetic batches for benchmarks: seeded and deterministic, written as JSON while they are generated
//! (one good at a time; the batch is never held in memory).
//!
//! The batch looks like an auto-parts producer's: goods of subheadings the USMCA pack has rules for
//! (starter motors 8511.40, lamps 8512.20, switches 8536.50, wiring harnesses 8544.30, gear boxes 8708.40
//! for passenger vehicles, regulators 9032.89, gearing 8483.40), BOM lines from suppliers in the US,
//! Mexico and Canada (most with a supplier certification, some expired, some missing); 3% of BOM lines name a provenance lot and in China,
//! Vietnam and Thailand, a few indirect and packing materials, values in USD and MXN, and provenance
//! events (chains of shipments and transformations, as in the graph benchmark) whose lots some BOM lines
//! name. Every BOM line sits on a line of its own, so input errors have useful line numbers.

use std::io::{self, Write};

use chrono::NaiveDate;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenSpec {
    /// Goods.
    pub goods: usize,
    /// BOM lines per good.
    pub lines: usize,
    /// Seed of the generator; the same seed gives the same file.
    pub seed: u64,
    /// Provenance events (shipments and transformations); 0 for no provenance section.
    pub events: usize,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Goods.
    pub goods: usize,
    /// BOM lines.
    pub materials: usize,
    /// BOM lines that name a provenance lot.
    pub materials_with_lot: usize,
    /// Supplier certifications.
    pub certifications: usize,
    /// Provenance sites.
    pub sites: usize,
    /// Provenance lots.
    pub lots: usize,
    /// Shipments.
    pub shipments: usize,
    /// Transformations.
    pub transformations: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// splitmix64: small, fast, and good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A good template: description, HS, use, kind, automotive category.
struct GoodKind {
    description: &'static str,
    hs: &'static str,
    vehicle_use: Option<&'static str>,
    kind: Option<&'static str>,
    automotive: Option<&'static str>,
}

const GOODS: [GoodKind; 7] = [
    GoodKind {
        description: "Starter motor, 12 V, 1.4 kW",
        hs: "8511.40.00",
        vehicle_use: None,
        kind: None,
        automotive: None,
    },
    GoodKind {
        description: "LED headlamp assembly",
        hs: "8512.20.20",
        vehicle_use: None,
        kind: None,
        automotive: None,
    },
    GoodKind { description: "Power window switch", hs: "8536.50.90", vehicle_use: None, kind: None, automotive: None },
    GoodKind {
        description: "Engine wiring harness",
        hs: "8544.30.00",
        vehicle_use: None,
        kind: None,
        automotive: None,
    },
    GoodKind {
        description: "Manual gear box, 6 speed",
        hs: "8708.40.75",
        vehicle_use: Some("passenger-vehicle"),
        kind: Some("gear boxes"),
        automotive: Some("pv-lt-core-part"),
    },
    GoodKind {
        description: "Electronic throttle regulator",
        hs: "9032.89.60",
        vehicle_use: None,
        kind: None,
        automotive: None,
    },
    GoodKind {
        description: "Differential gear set",
        hs: "8483.40.50",
        vehicle_use: None,
        kind: None,
        automotive: None,
    },
];

/// BOM materials: description, part prefix, HS, unit value range in cents (low, high).
const MATERIALS: [(&str, &str, &str, u64, u64); 36] = [
    ("Steel bar, hot rolled", "BAR", "7214.20", 800, 4_000),
    ("Aluminium casting", "CST", "7616.99", 1_500, 9_000),
    ("Housing, die-cast aluminium", "HSG", "7616.99", 2_500, 14_000),
    ("Copper wire, insulated", "WIR", "8544.49", 300, 2_500),
    ("Printed circuit assembly", "PCA", "8538.90", 1_200, 8_000),
    ("Ball bearing", "BRG", "8482.10", 250, 3_000),
    ("Gear set", "GRS", "8483.40", 4_000, 31_000),
    ("Shaft, forged steel", "SHF", "8483.10", 1_800, 9_500),
    ("Hex bolt M8", "BLT", "7318.15", 5, 60),
    ("Washer, zinc plated", "WSH", "7318.22", 2, 20),
    ("Coil spring", "SPR", "7320.20", 40, 400),
    ("O-ring, rubber", "ORG", "4016.93", 5, 90),
    ("Oil seal", "SEL", "4016.93", 60, 600),
    ("Gasket, multilayer steel", "GSK", "8484.10", 150, 1_800),
    ("Connector, 12-pin", "CON", "8536.69", 40, 700),
    ("Terminal, crimp", "TRM", "8536.90", 1, 15),
    ("Relay, 12 V", "RLY", "8536.41", 90, 900),
    ("Blade fuse", "FUS", "8536.10", 5, 60),
    ("DC motor", "MOT", "8501.31", 900, 6_500),
    ("Armature", "ARM", "8503.00", 700, 4_500),
    ("Solenoid", "SOL", "8505.90", 300, 2_400),
    ("Plastic housing, moulded", "PHS", "3926.90", 60, 900),
    ("LED module", "LED", "8541.41", 100, 1_500),
    ("Lens, polycarbonate", "LNS", "3926.90", 200, 2_200),
    ("Reflector", "RFL", "8512.90", 150, 1_600),
    ("Heat sink, aluminium", "HSK", "7616.99", 120, 1_400),
    ("Harness tape", "TAP", "3919.10", 10, 90),
    ("Cable tie", "TIE", "3926.90", 1, 10),
    ("Microcontroller", "MCU", "8542.31", 180, 2_400),
    ("Capacitor, ceramic", "CAP", "8532.24", 1, 40),
    ("Resistor, thick film", "RES", "8533.21", 1, 15),
    ("Pressure sensor", "SNS", "9026.20", 600, 4_800),
    ("Synchronizer ring", "SYN", "8708.40", 400, 2_600),
    ("Clutch fork", "CLF", "8708.93", 350, 1_900),
    ("Paint, powder coat", "PNT", "3208.20", 40, 400),
    ("Shift lever", "SHL", "8708.40", 500, 3_200),
];

/// Indirect and packing materials, with their role.
const OTHER: [(&str, &str, &str, &str); 3] = [
    ("Cutting fluid", "CUT", "3403.19", "indirect"),
    ("Shipping crate", "CRT", "4415.10", "packing"),
    ("Retail carton", "CTN", "4819.10", "retail-packaging"),
];

/// Supplier name stems by country.
const SUPPLIERS: [(&str, &[&str]); 7] = [
    (
        "US",
        &["Midwest Castings", "Great Lakes Wire", "Ohio Fastener", "Carolina Bearings", "Detroit Electric Components"],
    ),
    (
        "MX",
        &[
            "Aceros del Norte",
            "Fundiciones del Bajio",
            "Arneses de Chihuahua",
            "Plasticos de Monterrey",
            "Electro Partes Queretaro",
        ],
    ),
    ("CA", &["Ontario Precision Gear", "Windsor Stampings", "Quebec Aluminium"]),
    ("CN", &["Ningbo Gears", "Shenzhen Circuits", "Wuxi Bearings", "Dongguan Plastics"]),
    ("VN", &["Haiphong Metal Trading", "Saigon Cable"]),
    ("TH", &["Rayong Electronics", "Bangkok Rubber"]),
    ("CN", &["Suzhou Motors", "Tianjin Forging"]),
];

/// Plants of each supplier stem (so the batch has about 140 suppliers).
const PLANTS: usize = 6;

/// Sites of the provenance graph and their countries.
const SITES: usize = 200;
const SITE_COUNTRIES: [&str; 10] = ["CN", "CN", "VN", "TH", "MY", "MX", "MX", "US", "US", "CA"];
const LOT_HS: [&str; 6] = ["7207.11", "7214.20", "7318.15", "8708.30", "8708.40", "8483.40"];
const OPERATIONS: [&str; 8] =
    ["forging", "machining", "rolling", "assembly", "relabelling", "painting", "heat-treatment", "repacking"];

struct Supplier {
    name: String,
    country: &'static str,
    /// Certification id, for a supplier in a USMCA Party.
    certification: Option<String>,
}

fn suppliers() -> Vec<Supplier> {
    let mut out = Vec::new();
    let mut cert = 0;
    for (country, stems) in SUPPLIERS {
        for stem in stems {
            for plant in 1..=PLANTS {
                let usmca = matches!(country, "US" | "MX" | "CA");
                let certification = usmca.then(|| {
                    cert += 1;
                    format!("SC-{cert:04}")
                });
                out.push(Supplier { name: format!("{stem} plant {plant}"), country, certification });
            }
        }
    }
    out
}

/// Counts bytes as they are written.
struct Counting<'a, W: Write + ?Sized> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: Write + ?Sized> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A money amount in cents as a JSON number with two decimals.
struct Cents(u64);

impl std::fmt::Display for Cents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Writes a batch of `spec` as JSON to `w` (buffer it: many small writes are made).
pub fn write_batch<W: Write + ?Sized>(spec: &GenSpec, w: &mut W) -> io::Result<GenStats> {
    let mut w = Counting { inner: w, bytes: 0 };
    let mut stats = GenStats::default();
    let suppliers = suppliers();
    stats.certifications = suppliers.iter().filter(|s| s.certification.is_some()).count();
    let as_of = "2026-11-01";

    writeln!(w, "{{")?;
    writeln!(
        w,
        r#"  "batch": {{"id": "synthetic-{}x{}-seed{}", "importing_party": "US", "as_of": "{as_of}", "currency": "USD", "certifier": "nl-autopartes", "exporter": "nl-autopartes", "importer": "detroit-imports"}},"#,
        spec.goods, spec.lines, spec.seed
    )?;
    writeln!(w, r#"  "parties": ["#)?;
    writeln!(
        w,
        r#"    {{"id": "nl-autopartes", "name": "Autopartes de Nuevo Leon S.A. de C.V.", "title": "Director de Comercio Exterior", "address": "Av. Industrial 1200, Apodaca, N.L. 66600", "country": "MX", "phone": "+52 81 5555 0100", "email": "comex@nl-autopartes.mx", "tax_id": "ANL990101AB1"}},"#
    )?;
    writeln!(
        w,
        r#"    {{"id": "coahuila-transmisiones", "name": "Transmisiones de Coahuila S.A. de C.V.", "address": "Blvd. Fundadores 455, Ramos Arizpe, Coah. 25900", "country": "MX"}},"#
    )?;
    writeln!(
        w,
        r#"    {{"id": "detroit-imports", "name": "Detroit Auto Imports LLC", "address": "2200 Michigan Ave, Detroit, MI 48216", "country": "US"}}"#
    )?;
    writeln!(w, "  ],")?;
    writeln!(
        w,
        r#"  "exchange_rates": [{{"from": "MXN", "to": "USD", "rate": 0.0550, "date": "2026-10-31"}}, {{"from": "CAD", "to": "USD", "rate": 0.7300, "date": "2026-10-31"}}],"#
    )?;
    writeln!(w, r#"  "supplier_certifications": ["#)?;
    let mut first = true;
    for (i, s) in suppliers.iter().enumerate() {
        let Some(id) = &s.certification else { continue };
        // One in sixteen certifications has expired: its blanket period ended before the as-of date.
        let (from, to, signed) = if i % 16 == 5 {
            ("2025-01-01", "2025-12-31", "2024-12-15")
        } else {
            ("2026-01-01", "2026-12-31", "2025-12-15")
        };
        writeln!(
            w,
            r#"    {}{{"id": "{id}", "supplier": "{}", "origin_criterion": "B", "country": "{}", "blanket_from": "{from}", "blanket_to": "{to}", "signed": "{signed}"}}"#,
            if first { "" } else { "," },
            s.name,
            s.country
        )?;
        first = false;
    }
    writeln!(w, "  ],")?;

    // Provenance first, so that BOM lines can name lots of the right country.
    let mut lots_by_country: Vec<(&str, Vec<u32>)> = Vec::new();
    if spec.events > 0 {
        writeln!(w, r#"  "provenance": {{"#)?;
        writeln!(w, r#"    "mass_balance_tolerance": 0.5,"#)?;
        writeln!(w, r#"    "sites": ["#)?;
        for s in 0..SITES {
            let kind = ["mill", "plant", "port", "warehouse"][s % 4];
            writeln!(
                w,
                r#"      {}{{"id": "S{s}", "country": "{}", "kind": "{kind}", "operator": "operator {s}", "owner": "group {}"}}"#,
                if s == 0 { "" } else { "," },
                SITE_COUNTRIES[s % SITE_COUNTRIES.len()],
                s % 37
            )?;
        }
        writeln!(w, "    ],")?;
        stats.sites = SITES;
        for (section, pass) in
            [("lots", Pass::Lots), ("shipments", Pass::Shipments), ("transformations", Pass::Transformations)]
        {
            writeln!(w, r#"    "{section}": ["#)?;
            let mut sink = JsonSink { w: &mut w, pass, first: true, lot_sites: Vec::new() };
            let counts = provenance(spec.seed, spec.events, &mut sink)?;
            if pass == Pass::Lots {
                for (lot, site) in sink.lot_sites.iter().enumerate() {
                    let c = SITE_COUNTRIES[*site as usize % SITE_COUNTRIES.len()];
                    match lots_by_country.iter_mut().find(|(k, _)| *k == c) {
                        Some((_, v)) => v.push(lot as u32),
                        None => lots_by_country.push((c, vec![lot as u32])),
                    }
                }
            }
            (stats.lots, stats.shipments, stats.transformations) = counts;
            let close = if pass == Pass::Transformations { "    ]" } else { "    ]," };
            writeln!(w, "{close}")?;
        }
        writeln!(w, "  }},")?;
    }

    writeln!(w, r#"  "goods": ["#)?;
    let mut rng = SplitMix64::new(spec.seed ^ 0x600D_5EED);
    let mut lines: Vec<Line> = Vec::with_capacity(spec.lines);
    for g in 0..spec.goods {
        let kind = &GOODS[rng.below(GOODS.len())];
        // Each good has its own share of non-originating supply, so some qualify and some do not.
        let foreign_share = 5 + rng.below(60);
        lines.clear();
        let mut total = 0u64;
        for l in 0..spec.lines {
            let line = material(&mut rng, &suppliers, &lots_by_country, foreign_share, l);
            total += line.quantity * line.unit_cents_usd;
            lines.push(line);
        }
        let tv = total * (130 + rng.below(70) as u64) / 100 + 100;
        let shipping = tv / 50;
        let net_cost = tv * 85 / 100;
        let total_cost = tv * 90 / 100;
        writeln!(
            w,
            r#"    {}{{"id": "G{g:07}", "description": "{}", "hs": "{}", {}{}"producer": "{}", "place_of_production": "MX", "currency": "USD", "transaction_value": {}, "international_shipping": {}, "net_cost": {}, "total_cost": {}, "operations": ["machining", "assembly", "testing"], "route": [{{"country": "MX"}}, {{"country": "US"}}], {}"invoice": "INV-2026-{g:07}", "materials": ["#,
            if g == 0 { "" } else { "," },
            kind.description,
            kind.hs,
            kind.vehicle_use.map(|u| format!(r#""use": "{u}", "#)).unwrap_or_default(),
            kind.kind.map(|k| format!(r#""kind": "{k}", "#)).unwrap_or_default(),
            if g % 3 == 0 { "coahuila-transmisiones" } else { "nl-autopartes" },
            Cents(tv),
            Cents(shipping),
            Cents(net_cost),
            Cents(total_cost),
            kind.automotive.map(|c| format!(r#""automotive": {{"category": "{c}"}}, "#)).unwrap_or_default(),
        )?;
        for (l, line) in lines.iter().enumerate() {
            let s = &suppliers[line.supplier];
            write!(
                w,
                r#"      {}{{"line": "{}", "part": "{}-{:05}", "description": "{}", "hs": "{}", "quantity": {}, "unit_value": {}, "currency": "{}", "origin": "{}", "supplier": "{}""#,
                if l == 0 { "" } else { "," },
                (l + 1) * 10,
                line.prefix,
                line.part,
                line.description,
                line.hs,
                line.quantity,
                Cents(line.unit_cents),
                line.currency,
                s.country,
                s.name,
            )?;
            if let Some(c) = line.certification.then_some(s.certification.as_deref()).flatten() {
                write!(w, r#", "certification": "{c}""#)?;
            }
            if let Some(role) = line.role {
                write!(w, r#", "role": "{role}""#)?;
            }
            if let Some(lot) = line.lot {
                write!(w, r#", "lot": "L{lot}""#)?;
                stats.materials_with_lot += 1;
            }
            writeln!(w, "}}")?;
        }
        writeln!(w, "    ]}}")?;
        stats.goods += 1;
        stats.materials += lines.len();
    }
    writeln!(w, "  ]")?;
    writeln!(w, "}}")?;
    w.flush()?;
    stats.bytes = w.bytes;
    Ok(stats)
}

/// One BOM line, before it is written.
struct Line {
    description: &'static str,
    prefix: &'static str,
    hs: &'static str,
    part: usize,
    quantity: u64,
    /// Unit value in the line's currency.
    unit_cents: u64,
    /// Unit value in USD.
    unit_cents_usd: u64,
    currency: &'static str,
    supplier: usize,
    certification: bool,
    role: Option<&'static str>,
    lot: Option<u32>,
}

fn material(
    rng: &mut SplitMix64,
    suppliers: &[Supplier],
    lots: &[(&str, Vec<u32>)],
    foreign_share: usize,
    l: usize,
) -> Line {
    let (description, prefix, hs, low, high, role) = if l > 0 && rng.percent(4) {
        let (d, p, h, r) = OTHER[rng.below(OTHER.len())];
        (d, p, h, 50, 900, Some(r))
    } else {
        let (d, p, h, lo, hi) = MATERIALS[rng.below(MATERIALS.len())];
        (d, p, h, lo, hi, None)
    };
    let foreign = rng.percent(foreign_share);
    let supplier = loop {
        let i = rng.below(suppliers.len());
        if suppliers[i].certification.is_none() == foreign {
            break i;
        }
    };
    let unit_cents_usd = low + rng.below((high - low) as usize + 1) as u64;
    let quantity = [1, 1, 1, 2, 2, 4, 6, 8][rng.below(8)];
    let country = suppliers[supplier].country;
    // Mexican suppliers invoice in pesos a third of the time.
    let (currency, unit_cents) = if country == "MX" && rng.percent(33) {
        ("MXN", unit_cents_usd * 10_000 / 550)
    } else {
        ("USD", unit_cents_usd)
    };
    // One in ten USMCA lines lacks its certification reference (origin unsupported).
    let certification = !foreign && !rng.percent(10);
    let lot = if !lots.is_empty() && rng.percent(3) {
        let pool = lots.iter().find(|(c, _)| *c == country).unwrap_or(&lots[0]);
        Some(pool.1[rng.below(pool.1.len())])
    } else {
        None
    };
    Line {
        description,
        prefix,
        hs,
        part: rng.below(100_000),
        quantity,
        unit_cents,
        unit_cents_usd,
        currency,
        supplier,
        certification,
        role,
        lot,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Lots,
    Shipments,
    Transformations,
}

/// Writes one kind of record per pass; the generator runs once per pass with the same seed.
struct JsonSink<'a, W: Write> {
    w: &'a mut W,
    pass: Pass,
    first: bool,
    /// Lot number -> site, collected in the lots pass.
    lot_sites: Vec<u16>,
}

impl<W: Write> JsonSink<'_, W> {
    fn sep(&mut self) -> &'static str {
        if std::mem::replace(&mut self.first, false) { "" } else { "," }
    }
}

fn day(d: u32) -> NaiveDate {
    let base = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    base + chrono::Days::new(u64::from(d))
}

/// Where an unconsumed lot is now: (lot number, site, day, quantity, transformations behind it).
type Active = (usize, usize, u32, u64, u32);

/// Transformations behind a lot at most: a lot that has gone through this many is delivered and leaves
/// the pool, so ancestries stay as shallow as real supply chains (a few steps), not thousands deep.
const MAX_DEPTH: u32 = 6;

/// The provenance generator of the graph benchmark: lots created at sites, shipped on, and transformed
/// (12% with one or two more input lots), each chain ending after [`MAX_DEPTH`] transformations.
/// Returns (lots, shipments, transformations).
fn provenance<W: Write>(seed: u64, events: usize, sink: &mut JsonSink<'_, W>) -> io::Result<(usize, usize, usize)> {
    let mut rng = SplitMix64::new(seed ^ 0x0BAD_CAFE);
    let mut active: Vec<Active> = Vec::new();
    let (mut lots, mut shipments, mut transformations) = (0usize, 0usize, 0usize);
    let lot = |sink: &mut JsonSink<'_, W>,
               rng: &mut SplitMix64,
               n: usize,
               site: usize,
               d: u32,
               q: u64,
               hs: &str|
     -> io::Result<()> {
        let value = 500 + rng.below(4_500);
        if sink.pass == Pass::Lots {
            let sep = sink.sep();
            writeln!(
                sink.w,
                r#"      {sep}{{"id": "L{n}", "hs": "{hs}", "quantity": {q}, "unit": "kg", "site": "S{site}", "date": "{}", "declared_origin": "{}", "value": {{"amount": "{value}.00", "currency": "USD"}}}}"#,
                day(d),
                SITE_COUNTRIES[site % SITE_COUNTRIES.len()]
            )?;
            sink.lot_sites.push(site as u16);
        }
        Ok(())
    };
    let ship = |sink: &mut JsonSink<'_, W>,
                id: usize,
                n: usize,
                from: usize,
                to: usize,
                dep: u32,
                arr: u32,
                bonded: bool|
     -> io::Result<()> {
        if sink.pass == Pass::Shipments {
            let sep = sink.sep();
            writeln!(
                sink.w,
                r#"      {sep}{{"id": "E{id}", "lot": "L{n}", "from": "S{from}", "to": "S{to}", "departed": "{}", "arrived": "{}", "document": "BL{id}", "customs_control": {bonded}}}"#,
                day(dep),
                day(arr)
            )?;
        }
        Ok(())
    };
    while shipments + transformations < events {
        if active.len() < 2000 {
            let site = rng.below(SITES);
            let n = lots;
            lots += 1;
            let hs = LOT_HS[rng.below(2)];
            lot(sink, &mut rng, n, site, 0, 1000, hs)?;
            active.push((n, site, 0, 1000, 0));
            continue;
        }
        let pick = active.len() - 1 - rng.below(64);
        if active[pick].4 >= MAX_DEPTH {
            active.swap_remove(pick);
            continue;
        }
        if rng.percent(55) {
            let (n, from, d, q, depth) = active[pick];
            let mut to = rng.below(SITES);
            if to == from {
                to = (to + 1) % SITES;
            }
            let (dep, arr) = (d + 1 + rng.below(5) as u32, d + 6 + rng.below(20) as u32);
            let bonded = rng.below(4) == 0;
            ship(sink, shipments + transformations, n, from, to, dep, arr, bonded)?;
            shipments += 1;
            active[pick] = (n, to, arr, q, depth);
            let last = active.len() - 1;
            active.swap(pick, last);
        } else {
            let (n, site, d, q, depth) = active.swap_remove(pick);
            let mut ins: Vec<(usize, u64)> = vec![(n, q)];
            let mut ready = d;
            let mut depth = depth;
            if rng.percent(12) {
                for _ in 0..1 + rng.below(2) {
                    let k = rng.below(active.len());
                    let (m, other, od, oq, odepth) = active.swap_remove(k);
                    depth = depth.max(odepth);
                    let mut arrive = od;
                    if other != site {
                        let (dep, arr) = (od + 1, od + 4 + rng.below(10) as u32);
                        ship(sink, shipments + transformations, m, other, site, dep, arr, false)?;
                        shipments += 1;
                        arrive = arr;
                    }
                    ready = ready.max(arrive);
                    ins.push((m, oq));
                }
            }
            let date = ready + rng.below(12) as u32;
            let out = lots;
            lots += 1;
            let total: u64 = ins.iter().map(|i| i.1).sum();
            let out_q = total - total / 50;
            let hs = LOT_HS[2 + rng.below(4)];
            lot(sink, &mut rng, out, site, date, out_q, hs)?;
            let op = OPERATIONS[rng.below(OPERATIONS.len())];
            let value_added = 50 + rng.below(900);
            if sink.pass == Pass::Transformations {
                let sep = sink.sep();
                let inputs: Vec<String> =
                    ins.iter().map(|(m, q)| format!(r#"{{"lot": "L{m}", "quantity": {q}}}"#)).collect();
                writeln!(
                    sink.w,
                    r#"      {sep}{{"id": "E{}", "inputs": [{}], "output": "L{out}", "site": "S{site}", "operation": "{op}", "date": "{}", "value_added": {{"amount": "{value_added}.00", "currency": "USD"}}}}"#,
                    shipments + transformations,
                    inputs.join(", "),
                    day(date)
                )?;
            }
            transformations += 1;
            active.push((out, site, date, out_q, depth + 1));
        }
    }
    Ok((lots, shipments, transformations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_batch_and_it_parses() {
        let spec = GenSpec { goods: 20, lines: 12, seed: 7, events: 3_000 };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let stats = write_batch(&spec, &mut a).unwrap_or_default();
        let _ = write_batch(&spec, &mut b);
        assert_eq!(a, b);
        assert_eq!(stats.goods, 20);
        assert_eq!(stats.materials, 240);
        assert!((3_000..3_003).contains(&(stats.shipments + stats.transformations)));
        assert_eq!(stats.bytes, a.len() as u64);
        let v: serde_json::Value = serde_json::from_slice(&a).unwrap_or_default();
        assert_eq!(v["goods"].as_array().map(Vec::len), Some(20));
        let other = GenSpec { seed: 8, ..spec };
        let mut c = Vec::new();
        let _ = write_batch(&other, &mut c);
        assert_ne!(a, c);
    }
}
