//! Builds and traces a provenance graph of 1,000,000 events (seeded, deterministic: mostly chains of
//! shipments and transformations, with some fan-in), and prints events per second and bytes per event.
//!
//! Run: `cargo bench -p origin-graph --bench build_trace` (release). Not a timed test: it prints figures
//! and asserts only that the graph builds and traces. Memory is the growth of peak RSS (`VmHWM` in
//! `/proc/self/status`) over the resident size before building, divided by the number of events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use origin_core::{Country, Currency, Decimal, HsCode, Money};
use origin_graph::{
    CorridorPolicy, GraphBuilder, InputQuantity, LotInput, Operation, ShipmentInput, SiteInput, SiteKind, Trace,
    TransformationInput,
};

const EVENTS: usize = 1_000_000;
const SITES: usize = 200;
const COUNTRIES: [&str; 10] = ["CN", "CN", "VN", "TH", "MY", "MX", "MX", "US", "US", "CA"];
const HS: [&str; 6] = ["7207.11", "7214.20", "7318.15", "8708.30", "8708.40", "8483.40"];
const OPS: [Operation; 8] = [
    Operation::Forging,
    Operation::Machining,
    Operation::Rolling,
    Operation::Assembly,
    Operation::Relabelling,
    Operation::Painting,
    Operation::HeatTreatment,
    Operation::Repacking,
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

trait Sink {
    fn site(&mut self, s: &SiteInput);
    fn lot(&mut self, l: &LotInput);
    fn shipment(&mut self, s: &ShipmentInput);
    fn transformation(&mut self, t: &TransformationInput);
}

#[derive(Default)]
struct Count([usize; 4]);
impl Sink for Count {
    fn site(&mut self, s: &SiteInput) {
        black_box(s);
        self.0[0] += 1;
    }
    fn lot(&mut self, l: &LotInput) {
        black_box(l);
        self.0[1] += 1;
    }
    fn shipment(&mut self, s: &ShipmentInput) {
        black_box(s);
        self.0[2] += 1;
    }
    fn transformation(&mut self, t: &TransformationInput) {
        black_box(t);
        self.0[3] += 1;
    }
}

impl Sink for GraphBuilder {
    fn site(&mut self, s: &SiteInput) {
        self.add_site(s);
    }
    fn lot(&mut self, l: &LotInput) {
        self.add_lot(l);
    }
    fn shipment(&mut self, s: &ShipmentInput) {
        self.add_shipment(s);
    }
    fn transformation(&mut self, t: &TransformationInput) {
        self.add_transformation(t);
    }
}

/// Where an unconsumed lot is now: (lot number, site, day, quantity).
type Active = (usize, usize, u32, u64);

fn generate(seed: u64, events: usize, sink: &mut impl Sink) {
    let mut rng = Rng(seed);
    let base = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let day = |d: u32| base + chrono::Days::new(u64::from(d));
    let usd = Currency::USD;
    let mut site_country = Vec::with_capacity(SITES);
    for s in 0..SITES {
        let c = COUNTRIES[s % COUNTRIES.len()];
        site_country.push(c);
        sink.site(&SiteInput {
            id: format!("S{s}"),
            country: Country::parse(c).unwrap(),
            kind: [SiteKind::Mill, SiteKind::Plant, SiteKind::Port, SiteKind::Warehouse][s % 4],
            operator: format!("operator {s}"),
            owner: Some(format!("group {}", s % 37)),
        });
    }
    let hs: Vec<HsCode> = HS.iter().map(|h| HsCode::parse(h).unwrap()).collect();
    let mut lot = LotInput {
        id: String::new(),
        hs: hs[0],
        quantity: Decimal::ZERO,
        unit: "kg".to_string(),
        site: String::new(),
        date: base,
        declared_origin: Country::CN,
        value: None,
        material: None,
    };
    let mut ship = ShipmentInput {
        id: String::new(),
        lot: String::new(),
        from: String::new(),
        to: String::new(),
        departed: base,
        arrived: base,
        document: String::new(),
        customs_control: false,
        quantity: None,
    };
    let mut tr = TransformationInput {
        id: String::new(),
        inputs: Vec::new(),
        output: String::new(),
        site: String::new(),
        operation: Operation::Forging,
        date: base,
        value_added: None,
    };
    let mut active: Vec<Active> = Vec::new();
    let (mut lots, mut done) = (0usize, 0usize);
    let mut new_raw = |sink: &mut dyn FnMut(&LotInput), rng: &mut Rng, lot: &mut LotInput, lots: &mut usize| -> Active {
        let site = rng.below(SITES);
        let n = *lots;
        *lots += 1;
        lot.id.clear();
        let _ = write!(lot.id, "L{n}");
        lot.site.clear();
        let _ = write!(lot.site, "S{site}");
        lot.hs = hs[rng.below(2)];
        lot.quantity = Decimal::from(1000u64);
        lot.date = day(0);
        lot.declared_origin = Country::parse(site_country[site]).unwrap();
        lot.value = Some(Money::new(Decimal::from(500 + rng.below(500) as u64), usd));
        sink(lot);
        (n, site, 0, 1000)
    };
    while done < events {
        if active.len() < 2000 {
            let a = new_raw(&mut |l| sink.lot(l), &mut rng, &mut lot, &mut lots);
            active.push(a);
            continue;
        }
        let pick = active.len() - 1 - rng.below(64);
        let r = rng.below(100);
        if r < 55 {
            // Ship the lot on.
            let (n, from, d, q) = active[pick];
            let mut to = rng.below(SITES);
            if to == from {
                to = (to + 1) % SITES;
            }
            let (dep, arr) = (d + 1 + rng.below(5) as u32, d + 6 + rng.below(20) as u32);
            ship.id.clear();
            let _ = write!(ship.id, "E{done}");
            ship.lot.clear();
            let _ = write!(ship.lot, "L{n}");
            ship.from.clear();
            let _ = write!(ship.from, "S{from}");
            ship.to.clear();
            let _ = write!(ship.to, "S{to}");
            ship.departed = day(dep);
            ship.arrived = day(arr);
            ship.document.clear();
            let _ = write!(ship.document, "BL{done}");
            ship.customs_control = rng.below(4) == 0;
            sink.shipment(&ship);
            done += 1;
            active[pick] = (n, to, arr, q);
            // Keep chains moving: the shipped lot becomes the most recent.
            let last = active.len() - 1;
            active.swap(pick, last);
        } else {
            // Transform it, sometimes with one or two more lots brought to the same site (fan-in).
            let (n, site, d, q) = active.swap_remove(pick);
            let mut ins: Vec<(usize, u64)> = vec![(n, q)];
            let mut ready = d;
            if rng.below(100) < 12 {
                for _ in 0..1 + rng.below(2) {
                    let k = rng.below(active.len());
                    let (m, other, od, oq) = active.swap_remove(k);
                    let mut arrive = od;
                    if other != site {
                        let (dep, arr) = (od + 1, od + 4 + rng.below(10) as u32);
                        ship.id.clear();
                        let _ = write!(ship.id, "E{done}");
                        ship.lot.clear();
                        let _ = write!(ship.lot, "L{m}");
                        ship.from.clear();
                        let _ = write!(ship.from, "S{other}");
                        ship.to.clear();
                        let _ = write!(ship.to, "S{site}");
                        ship.departed = day(dep);
                        ship.arrived = day(arr);
                        ship.document.clear();
                        let _ = write!(ship.document, "BL{done}");
                        sink.shipment(&ship);
                        done += 1;
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
            lot.id.clear();
            let _ = write!(lot.id, "L{out}");
            lot.site.clear();
            let _ = write!(lot.site, "S{site}");
            lot.hs = hs[2 + rng.below(4)];
            lot.quantity = Decimal::from(out_q);
            lot.date = day(date);
            lot.declared_origin = Country::parse(site_country[site]).unwrap();
            lot.value = Some(Money::new(Decimal::from(1000 + rng.below(4000) as u64), usd));
            sink.lot(&lot);
            tr.id.clear();
            let _ = write!(tr.id, "E{done}");
            tr.inputs.resize_with(ins.len(), || InputQuantity { lot: String::new(), quantity: Decimal::ZERO });
            for (slot, (m, q)) in tr.inputs.iter_mut().zip(&ins) {
                slot.lot.clear();
                let _ = write!(slot.lot, "L{m}");
                slot.quantity = Decimal::from(*q);
            }
            tr.output.clear();
            let _ = write!(tr.output, "L{out}");
            tr.site.clear();
            let _ = write!(tr.site, "S{site}");
            tr.operation = OPS[rng.below(OPS.len())];
            tr.date = day(date);
            tr.value_added = Some(Money::new(Decimal::from(50 + rng.below(900) as u64), usd));
            sink.transformation(&tr);
            done += 1;
            active.push((out, site, date, out_q));
        }
    }
}

fn status(field: &str) -> usize {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn main() {
    let seed = 0x5EED_0F0F_1234_5678;
    // Pass 1: the generator alone, to count records and time it.
    let t = Instant::now();
    let mut count = Count::default();
    generate(seed, EVENTS, &mut count);
    let gen_secs = t.elapsed().as_secs_f64();
    let [sites, lots, shipments, transformations] = count.0;
    let events = shipments + transformations;

    let policy = origin_graph::TransformationPolicy {
        non_conferring: vec![Operation::Relabelling, Operation::Repacking, Operation::Painting],
        transit_permitted: vec![Operation::Labelling],
        min_tariff_shift: Some(origin_core::HsLevel::Heading),
        min_value_added: Some(origin_core::Percent(Decimal::TEN)),
        min_dwell_days: Some(5),
    };
    let asean = ["VN", "TH", "MY"].map(|c| Country::parse(c).unwrap()).to_vec();
    let corridors = CorridorPolicy {
        corridors: vec![origin_graph::Corridor {
            name: "china-asean-mexico".into(),
            legs: vec![vec![Country::CN], asean, vec![Country::MX]],
        }],
    };

    // Pass 2: the same records streamed into the builder.
    let rss_before = status("VmRSS:");
    let t = Instant::now();
    let mut b = GraphBuilder::with_capacity(sites, lots, shipments, transformations);
    generate(seed, EVENTS, &mut b);
    let t_add = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let g = b.finish().unwrap_or_else(|e| panic!("{}", e.0.iter().take(5).map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
    let t_finish = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let trace = Trace::run(&g, &policy, &corridors);
    let t_trace = t.elapsed().as_secs_f64();
    let hwm = status("VmHWM:");

    let build_net = (t_add - gen_secs).max(0.0) + t_finish;
    let total = build_net + t_trace;
    let signals = trace.raw_signals().len();
    let laundering = trace.laundering_lots().count();
    println!("provenance graph: {sites} sites, {lots} lots, {shipments} shipments, {transformations} transformations = {events} events");
    println!("generator alone:            {gen_secs:8.3} s (excluded)");
    println!("add records (incl. gen):    {t_add:8.3} s");
    println!("finish (checks, toposort):  {t_finish:8.3} s");
    println!("trace (origins, signals):   {t_trace:8.3} s");
    println!("built and traced:           {total:8.3} s = {:.0} events/s", events as f64 / total);
    println!(
        "memory: peak RSS {:.1} MiB, before {:.1} MiB, growth {:.1} MiB = {:.0} bytes/event",
        hwm as f64 / 1048576.0,
        rss_before as f64 / 1048576.0,
        (hwm - rss_before) as f64 / 1048576.0,
        (hwm - rss_before) as f64 / events as f64
    );
    println!("signals: {signals}, lots with laundering suspected: {laundering}");
    assert_eq!(g.topological_order().count(), lots);
}
