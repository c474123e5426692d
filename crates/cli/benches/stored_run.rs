//! The command users run against the engine alone, in the same benchmark run (issue 14 item 6): not a
//! timed test, it prints figures with the load average.
//!
//! - `stored` (default): generates the synthetic batch (`gen-batch`'s generator, seed 42), audits it with
//!   the engine alone in this process (read, trace, audit, compact report: `run::write_report_file`),
//!   then runs `origin-audit run BATCH --out REPORT` (the CLI binary, SQLite store) and, with
//!   `OA_BENCH_PG=postgres://...`, the same run into PostgreSQL. Prints wall, CPU, peak RSS and the
//!   stored/engine ratio. Sizes: `OA_BENCH_GOODS`, `OA_BENCH_LINES`, `OA_BENCH_EVENTS` (full size under
//!   `cargo bench`: 100,000 x 50 with 1,000,000 events; a small smoke size otherwise);
//!   `OA_BENCH_BATCH=FILE` uses an existing batch instead. `OA_BENCH_SCENARIO=FILE` then re-audits the
//!   stored run under that scenario (`origin-audit scenario run`) and compares it with the engine.
//! - `OA_BENCH_CASE=peer`: the side-by-side workload with originshift 0.3.0 (benches/peer, see
//!   docs/performance.md): 200, 2,000 and 20,000 goods through `origin-audit run` and through the engine
//!   alone in this process (no store: the most a stored run could reach), and, with
//!   `OA_BENCH_PEER=PATH/originshift`, 200 and 2,000 through the peer; per-good throughput end to end and
//!   per added good.
//!
//! `cargo bench -p origin-cli --bench stored_run` (release build).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use origin_cli::progress::{Usage, own_usage};
use origin_engine::r#gen::{GenSpec, write_batch};
use origin_engine::input::{FileScope, load_batch_streamed};
use origin_engine::run::{Progress, RunOptions, write_report_file};

const BIN: &str = env!("CARGO_BIN_EXE_origin-audit");

/// The allocator `origin-audit` uses (its main.rs), so that the engine alone is timed as the command is.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Figures of one command.
struct Figures {
    wall: Duration,
    cpu: f64,
    peak_mib: f64,
}

/// Runs the CLI with `args` and `-v`; its stderr (the phases) is kept in `log`. CPU and peak memory are
/// what the command prints on its last `-v` line (`phase run: ... CPU S s, peak memory M MiB`).
fn cli(args: &[&str], log: &Path) -> Figures {
    let start = Instant::now();
    let out = Command::new(BIN).arg("-v").args(args).output().expect("origin-audit runs");
    let wall = start.elapsed();
    std::fs::write(log, &out.stderr).unwrap();
    assert!(out.status.success(), "origin-audit {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stderr);
    let last = text.lines().rev().find(|l| l.contains("phase run:")).unwrap_or_default();
    let number_after = |key: &str| -> f64 {
        last.split_once(key)
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(f64::NAN)
    };
    Figures { wall, cpu: number_after("CPU "), peak_mib: number_after("peak memory ") }
}

fn print(name: &str, f: &Figures) {
    println!(
        "  {name:<34} {:>8.2} s wall  {:>8.2} s CPU  peak RSS {:>6.0} MiB",
        f.wall.as_secs_f64(),
        f.cpu,
        f.peak_mib
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("OA_BENCH_KEEP").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    if std::env::var("OA_BENCH_CASE").as_deref() == Ok("peer") {
        peer(&dir, full);
        return;
    }
    let batch = match std::env::var_os("OA_BENCH_BATCH") {
        Some(b) => PathBuf::from(b),
        None => {
            let spec = GenSpec {
                goods: env("OA_BENCH_GOODS", if full { 100_000 } else { 200 }),
                lines: env("OA_BENCH_LINES", if full { 50 } else { 10 }),
                seed: 42,
                events: env("OA_BENCH_EVENTS", if full { 1_000_000 } else { 2_000 }),
            };
            let path = dir.join("batch.json");
            let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
            let s = write_batch(&spec, &mut w).unwrap();
            w.into_inner().unwrap();
            println!(
                "batch: {} goods x {} lines, {} events, {:.0} MiB (generated, not timed)",
                s.goods,
                spec.lines,
                s.shipments + s.transformations,
                s.bytes as f64 / 1048576.0
            );
            path
        }
    };
    println!("load average at start: {}", loadavg());

    let (engine, goods) = engine_alone(&batch, &dir.join("engine-report.json"));
    println!("goods: {goods}; load average after the engine: {}", loadavg());

    // The command a user types, stored into SQLite (a fresh store each time).
    let db = fresh_sqlite(&dir.join("store.db"));
    let (batch_s, report_s, db_s) =
        (batch.display().to_string(), dir.join("report.json").display().to_string(), db.display().to_string());
    let sqlite = cli(&["--db", &db_s, "run", &batch_s, "--out", &report_s, "-q"], &dir.join("sqlite.log"));
    println!("load average after the stored run: {}", loadavg());
    // The stored run re-audited under a scenario from what the store holds (issue 15 item 2).
    let scenario = std::env::var("OA_BENCH_SCENARIO").ok().map(|file| {
        let log = std::fs::read_to_string(dir.join("sqlite.log")).unwrap();
        let run = log
            .split_once("(run ")
            .and_then(|(_, rest)| rest.split([',', ' ']).next())
            .expect("the stored run's id in its -v log")
            .to_string();
        let out = dir.join("scenario.json").display().to_string();
        let f = cli(
            &["--db", &db_s, "scenario", "run", &file, "--run", &run, "--format", "json", "--out", &out],
            &dir.join("scenario.log"),
        );
        println!("load average after the scenario run: {}", loadavg());
        f
    });
    let pg = std::env::var("OA_BENCH_PG").ok().map(|url| {
        let f = cli(&["--db", &url, "run", &batch_s, "--out", &report_s, "-q"], &dir.join("postgres.log"));
        println!("load average after the PostgreSQL run: {}", loadavg());
        f
    });
    println!("results ({goods} goods; phases of the stored runs in {}):", dir.display());
    print("engine alone (read+trace+audit+report)", &engine);
    print("origin-audit run (SQLite)", &sqlite);
    if let Some(pg) = &pg {
        print("origin-audit run (PostgreSQL)", pg);
    }
    if let Some(sc) = &scenario {
        print("origin-audit scenario run", sc);
        println!(
            "  scenario run / engine: {:.2}x wall, {:.2}x CPU (target 1.5x)",
            sc.wall.as_secs_f64() / engine.wall.as_secs_f64(),
            sc.cpu / engine.cpu.max(1e-9)
        );
    }
    println!(
        "  stored run / engine: {:.2}x wall, {:.2}x CPU (target 1.3x wall)",
        sqlite.wall.as_secs_f64() / engine.wall.as_secs_f64(),
        sqlite.cpu / engine.cpu.max(1e-9)
    );
    let db_mib = std::fs::metadata(&db).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    println!("  SQLite store {db_mib:.0} MiB; load average at end: {}", loadavg());
}

/// `path` with no SQLite store at it (nor its WAL): with `OA_BENCH_KEEP` the directory outlives the
/// benchmark, and a second run into the same store is a re-audit, not what the figures describe.
fn fresh_sqlite(path: &Path) -> PathBuf {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("cannot remove {}: {e}", Path::new(&p).display()),
        }
    }
    path.to_path_buf()
}

/// The engine alone, in this process: load the pack, read, trace, audit, compact report (no store). Its
/// figures and the goods audited. Peak memory is the process's, so only the first call's is its own.
fn engine_alone(batch: &Path, report: &Path) -> (Figures, usize) {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/usmca");
    let cpu0 = own_usage().map_or(0.0, |u| u.cpu_s);
    let start = Instant::now();
    let rules = origin_rules::load_pack(&rules_dir).rules.expect("the USMCA rule pack loads");
    let b = load_batch_streamed(batch, FileScope::BatchDirectory).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions { as_of: None, threads: None };
    let (summary, _) =
        write_report_file(&rules, &b, &opts, &Progress::default(), report).unwrap_or_else(|e| panic!("{e}"));
    drop(b);
    let used = own_usage().map_or(Usage { cpu_s: 0.0, peak_mib: 0.0 }, |u| Usage { cpu_s: u.cpu_s - cpu0, ..u });
    (Figures { wall: start.elapsed(), cpu: used.cpu_s, peak_mib: used.peak_mib }, summary.goods)
}

/// The peer workload (benches/peer): `n` goods through `origin-audit run` (stored, as a user runs it),
/// through the engine alone (no store: the most any stored run could reach) and through the peer.
fn peer(dir: &Path, full: bool) {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer");
    // The peer runs the 200 and 2,000 goods; ours also 20,000, because 1,800 added goods take
    // ours about a tenth of a second, inside the run-to-run noise of a command that takes half a second.
    let sizes = if full { [200, 2000, 20000] } else { [20, 40, 80] };
    let peer_bin = std::env::var("OA_BENCH_PEER").ok();
    println!("load average at start: {}", loadavg());
    let mut ours = Vec::new();
    let mut engine = Vec::new();
    let mut theirs = Vec::new();
    for (i, n) in sizes.into_iter().enumerate() {
        let csv = dir.join(format!("peer-{n}.csv"));
        let json = dir.join(format!("oa-{n}.json"));
        let py = |args: &[&str]| {
            let ok = Command::new("python3").args(args).status().expect("python3 runs").success();
            assert!(ok, "python3 {args:?} failed");
        };
        py(&[&scripts.join("peer_gen.py").display().to_string(), &n.to_string(), &csv.display().to_string()]);
        py(&[
            &scripts.join("to_batch.py").display().to_string(),
            &csv.display().to_string(),
            &json.display().to_string(),
        ]);
        let db = fresh_sqlite(&dir.join(format!("peer-{n}.db"))).display().to_string();
        let report = dir.join(format!("oa-{n}-report.json")).display().to_string();
        let f =
            cli(&["--db", &db, "run", &json.display().to_string(), "--out", &report, "-q"], &dir.join("peer-oa.log"));
        println!("  origin-audit run, {n:>5} goods: {:.3} s wall, {:.3} s CPU", f.wall.as_secs_f64(), f.cpu);
        ours.push(f.wall.as_secs_f64());
        let (e, _) = engine_alone(&json, &dir.join(format!("oa-{n}-engine.json")));
        println!("  engine alone,     {n:>5} goods: {:.3} s wall, {:.3} s CPU", e.wall.as_secs_f64(), e.cpu);
        engine.push(e.wall.as_secs_f64());
        if let Some(p) = peer_bin.as_ref().filter(|_| i < 2) {
            let start = Instant::now();
            let out = dir.join(format!("peer-{n}-out.csv")).display().to_string();
            let ok = Command::new(p)
                .args(["resolve", "--csv", &csv.display().to_string(), "--out", &out])
                .status()
                .expect("originshift runs")
                .success();
            assert!(ok, "originshift failed");
            let t = start.elapsed().as_secs_f64();
            println!("  originshift resolve, {n:>5} goods: {t:.3} s wall");
            theirs.push(t);
        }
    }
    // Milliseconds per good added from `sizes[from]` to `sizes[from + 1]`.
    let per_added = |t: &[f64], from: usize| (t[from + 1] - t[from]) / (sizes[from + 1] - sizes[from]) as f64 * 1000.0;
    let end_to_end = |t: &[f64]| t[1] / sizes[1] as f64 * 1000.0;
    for (name, t) in [("origin-audit run", &ours), ("engine alone", &engine)] {
        println!(
            "{name}: {:.3} ms per good end to end ({} goods); per added good {:.3} ms from {} to {} goods, {:.4} ms from {} to {}",
            end_to_end(t),
            sizes[1],
            per_added(t, 0),
            sizes[0],
            sizes[1],
            per_added(t, 1),
            sizes[1],
            sizes[2]
        );
    }
    if theirs.len() == 2 {
        let peer_added = per_added(&theirs, 0);
        println!(
            "originshift: {:.3} ms per good end to end, {peer_added:.3} ms per added good ({} to {} goods)",
            end_to_end(&theirs),
            sizes[0],
            sizes[1]
        );
        for (name, t) in [("origin-audit run", &ours), ("engine alone", &engine)] {
            println!(
                "  {name} against originshift: {:.0}x end to end at {} goods, {:.0}x per added good ({} to {} goods for ours)",
                theirs[1] / t[1],
                sizes[1],
                peer_added / per_added(t, 1).max(1e-9),
                sizes[1],
                sizes[2]
            );
        }
    }
    println!("load average at end: {}", loadavg());
}
