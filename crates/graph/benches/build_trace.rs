//! Builds and traces a provenance graph of 1,000,000 events (seeded, deterministic: mostly chains of
//! shipments and transformations, with some fan-in), and prints events per second and bytes per event.
//!
//! Run: `cargo bench -p origin-graph --bench build_trace` (release). Under `cargo test --all-targets` it
//! runs 10,000 events once, as a smoke test. Not a timed test: it prints figures
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
    let mut site_country: Vec<Country> = Vec::with_capacity(SITES);
    for s in 0..SITES {
        let c = COUNTRIES[s % COUNTRIES.len()];
        site_country.push(Country::parse(c).unwrap());
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
    let new_raw = |sink: &mut dyn FnMut(&LotInput), rng: &mut Rng, lot: &mut LotInput, lots: &mut usize| -> Active {
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
        lot.declared_origin = site_country[site];
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
            lot.declared_origin = site_country[site];
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

/// CPU time this thread has run, in seconds (`/proc/thread-self/schedstat`, nanoseconds): on a shared
/// machine this is the "one core" figure, unaffected by other processes' load.
fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).map_or(0.0, |ns| ns as f64 / 1e9)
}

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (w, c) = (Instant::now(), cpu());
    let out = f();
    (out, w.elapsed().as_secs_f64(), cpu() - c)
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
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it, and then
    // only a small smoke run is done so that tests stay fast.
    let full = std::env::args().any(|a| a == "--bench");
    let target = if full { EVENTS } else { 10_000 };
    let runs = if full { 3 } else { 1 };
    // The generator alone, to count records and to time it (its time is taken out of the figures).
    let (mut gen_wall, mut gen_cpu) = (f64::MAX, f64::MAX);
    let mut count = Count::default();
    for _ in 0..runs {
        let (c, w, u) = timed(|| {
            let mut c = Count::default();
            generate(seed, target, &mut c);
            c
        });
        count = c;
        gen_wall = gen_wall.min(w);
        gen_cpu = gen_cpu.min(u);
    }
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

    println!(
        "provenance graph: {sites} sites, {lots} lots, {shipments} shipments, {transformations} transformations = {events} events"
    );
    println!(
        "generator alone (best of {runs}): {gen_cpu:.3} s CPU, {gen_wall:.3} s wall; taken out of the figures below"
    );
    let (mut best_cpu, mut best_wall) = (f64::MAX, f64::MAX);
    let mut memory = (0, 0);
    for run in 0..runs {
        // The same records streamed into the builder, then checked and traced.
        let rss_before = status("VmRSS:");
        let (b, add_w, add_c) = timed(|| {
            let mut b = GraphBuilder::with_capacity(sites, lots, shipments, transformations);
            generate(seed, target, &mut b);
            b
        });
        let (g, fin_w, fin_c) = timed(|| b.finish());
        let g = g
            .unwrap_or_else(|e| panic!("{}", e.0.iter().take(5).map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
        let (trace, tr_w, tr_c) = timed(|| Trace::run(&g, &policy, &corridors));
        if run == 0 {
            memory = (rss_before, status("VmHWM:"));
        }
        let add_c = (add_c - gen_cpu).max(0.0);
        let add_w = (add_w - gen_wall).max(0.0);
        let (cpu_total, wall_total) = (add_c + fin_c + tr_c, add_w + fin_w + tr_w);
        best_cpu = best_cpu.min(cpu_total);
        best_wall = best_wall.min(wall_total);
        println!(
            "run {run}: CPU add {add_c:.3} s + finish (checks, toposort) {fin_c:.3} s + trace {tr_c:.3} s = {cpu_total:.3} s = {:.0} events/s (wall {wall_total:.3} s = {:.0} events/s); {} signals, {} lots with laundering suspected",
            events as f64 / cpu_total,
            events as f64 / wall_total,
            trace.raw_signals().len(),
            trace.laundering_lots().count()
        );
        assert_eq!(g.topological_order().count(), lots);
        drop(trace);
        drop(g);
    }
    println!(
        "built and traced on one core, best of {runs}: {best_cpu:.3} s CPU = {:.0} events/s (wall: {best_wall:.3} s = {:.0} events/s)",
        events as f64 / best_cpu,
        events as f64 / best_wall
    );
    let (before, hwm) = memory;
    println!(
        "memory (first run): peak RSS {:.1} MiB, before building {:.1} MiB, growth {:.1} MiB = {:.0} bytes/event",
        hwm as f64 / 1048576.0,
        before as f64 / 1048576.0,
        (hwm - before) as f64 / 1048576.0,
        (hwm - before) as f64 / events as f64
    );
}
