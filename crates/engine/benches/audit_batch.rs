//! End to end: a synthetic JSON batch (100,000 goods x 50 BOM lines = 5,000,000 lines, 1,000,000
//! provenance events) read, traced, audited and written as a JSON report, with the time split between
//! parsing, graph build and trace, evaluation and output, the peak memory, and the evaluation throughput.
//!
//! Run: `cargo bench -p origin-engine --bench audit_batch` (release). Not a timed test: it prints figures
//! and asserts only that every good was audited. Under `cargo test --all-targets` (no `--bench`
//! argument) it runs a small batch once, as a smoke test. `AUDIT_BENCH_GOODS`, `AUDIT_BENCH_LINES`,
//! `AUDIT_BENCH_EVENTS` and `AUDIT_BENCH_THREADS` override the sizes; `AUDIT_BENCH_KEEP=DIR` keeps the
//! batch and the report there. Then one good of 80,000 BOM lines (issue 14; `AUDIT_BENCH_CASE=one-good`
//! runs only that case).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use origin_engine::r#gen::{GenSpec, write_batch};
use origin_engine::input::{GoodInput, Material, load_batch};
use origin_engine::run::{Progress, RunOptions, audit_batch_with, write_report_file};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn status(field: &str) -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time of the whole process (all threads), seconds.
fn process_cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn lines(ms: &[std::sync::Arc<Material>]) -> usize {
    ms.iter().map(|m| 1 + m.self_produced.as_ref().map_or(0, |s| lines(&s.materials))).sum()
}

struct Phase {
    wall: Duration,
    cpu: f64,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Phase) {
    let (w, c) = (Instant::now(), process_cpu());
    let out = f();
    (out, Phase { wall: w.elapsed(), cpu: process_cpu() - c })
}

/// Issue 14: one good with 80,000 BOM lines (16,000 provenance events, as `gen-batch` makes by default),
/// read, traced, audited and written as a report, `ONE_GOOD_RUNS` times; each phase's best and the
/// end-to-end times are printed. Target: under 1 s end to end. `AUDIT_BENCH_ONE_GOOD_LINES` sets the
/// size (2,000 without `--bench`).
fn one_good(rules: &origin_rules::RuleSet, full: bool, dir: &Path) {
    const ONE_GOOD_RUNS: usize = 5;
    let lines = env("AUDIT_BENCH_ONE_GOOD_LINES", if full { 80_000 } else { 2_000 });
    let spec = GenSpec { goods: 1, lines, seed: 42, events: lines / 5 };
    let batch_path = dir.join("one-good.json");
    let report_path = dir.join("one-good-report.json");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&batch_path).unwrap());
    let stats = write_batch(&spec, &mut w).unwrap();
    w.into_inner().unwrap();
    println!(
        "\none good, {} BOM lines ({} naming a lot), {} events, {:.1} MiB JSON; {ONE_GOOD_RUNS} runs; load average at start: {}",
        stats.materials,
        stats.materials_with_lot,
        stats.shipments + stats.transformations,
        stats.bytes as f64 / 1048576.0,
        loadavg()
    );
    let opts = RunOptions::default();
    let mut rows: Vec<[f64; 4]> = Vec::with_capacity(ONE_GOOD_RUNS);
    for _ in 0..ONE_GOOD_RUNS {
        let start = Instant::now();
        let (batch, parse_t) = timed(|| load_batch(&batch_path).unwrap_or_else(|e| panic!("{e}")));
        let ((summary, times), _) = timed(|| {
            write_report_file(rules, &batch, &opts, &Progress::default(), &report_path)
                .unwrap_or_else(|e| panic!("{e}"))
        });
        let total = start.elapsed().as_secs_f64();
        assert_eq!(summary.goods, 1);
        let graph = times.graph.as_secs_f64();
        let audit_and_output = times.evaluation.as_secs_f64();
        rows.push([parse_t.wall.as_secs_f64(), graph, audit_and_output, total]);
        drop(batch);
    }
    let best = |i: usize| rows.iter().map(|r| r[i]).fold(f64::INFINITY, f64::min);
    let report_mib = std::fs::metadata(&report_path).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    println!("  phase (wall, seconds)           best    all runs");
    for (i, name) in ["parse (read + JSON + checks)", "graph build + trace", "audit + report output"].iter().enumerate()
    {
        let all: Vec<String> = rows.iter().map(|r| format!("{:.3}", r[i])).collect();
        println!("  {name:<30} {:>6.3}   {}", best(i), all.join(" "));
    }
    let all: Vec<String> = rows.iter().map(|r| format!("{:.3}", r[3])).collect();
    println!("  {:<30} {:>6.3}   {}   (target 1 s; report {report_mib:.1} MiB)", "end to end", best(3), all.join(" "));
    println!("load average at end: {}", loadavg());
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // `AUDIT_BENCH_CASE=one-good`: only the single good of 80,000 BOM lines (issue 14).
    let case = std::env::var("AUDIT_BENCH_CASE").unwrap_or_default();
    let spec = GenSpec {
        goods: env("AUDIT_BENCH_GOODS", if full { 100_000 } else { 300 }),
        lines: env("AUDIT_BENCH_LINES", if full { 50 } else { 10 }),
        seed: 42,
        events: env("AUDIT_BENCH_EVENTS", if full { 1_000_000 } else { 3_000 }),
    };
    let threads = std::env::var("AUDIT_BENCH_THREADS").ok().and_then(|t| t.parse().ok());
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/usmca");
    let rules = origin_rules::load_pack(&rules_dir).rules.expect("the USMCA rule pack loads");
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir: PathBuf = std::env::var_os("AUDIT_BENCH_KEEP").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    let batch_path = dir.join("batch.json");
    let report_path = dir.join("report.json");
    if case == "one-good" {
        one_good(&rules, full, &dir);
        return;
    }

    println!(
        "load average at start: {}; threads: {}",
        loadavg(),
        threads.map_or("all".into(), |t: usize| t.to_string())
    );
    let (stats, gen_t) = timed(|| {
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&batch_path).unwrap());
        let s = write_batch(&spec, &mut w).unwrap();
        w.into_inner().unwrap();
        s
    });
    println!(
        "generated (not timed below): {} goods x {} lines = {} BOM lines ({} naming a lot), {} events ({} lots), {:.0} MiB JSON, in {:.2} s",
        stats.goods,
        spec.lines,
        stats.materials,
        stats.materials_with_lot,
        stats.shipments + stats.transformations,
        stats.lots,
        stats.bytes as f64 / 1048576.0,
        gen_t.wall.as_secs_f64()
    );
    let rss0 = status("VmRSS:");

    // End to end: read, graph, evaluate and write the report (streamed).
    let opts = RunOptions { as_of: None, threads };
    let progress = Progress::default();
    let total_start = Instant::now();
    let (batch, parse_t) = timed(|| load_batch(&batch_path).unwrap_or_else(|e| panic!("{e}")));
    let rss_parsed = status("VmRSS:");
    let bom_lines: usize =
        batch.goods.iter().map(|g| if let GoodInput::Ok(g) = g { lines(&g.materials) } else { 0 }).sum();
    let invalid = batch.goods.iter().filter(|g| matches!(g, GoodInput::Invalid { .. })).count();
    let ((summary, times), run_t) =
        timed(|| write_report_file(&rules, &batch, &opts, &progress, &report_path).unwrap_or_else(|e| panic!("{e}")));
    let total = total_start.elapsed();
    let hwm = status("VmHWM:");
    assert_eq!(summary.goods, stats.goods);
    let report_mib = std::fs::metadata(&report_path).map_or(0.0, |m| m.len() as f64 / 1048576.0);

    // The evaluation alone: the same audit, each report dropped instead of serialized.
    let progress = Progress::default();
    let ((_, eval_only), eval_t) = timed(|| {
        audit_batch_with(&rules, &batch, &opts, &progress, |g| g.audit.determination.materials.len(), |_| Ok(()))
            .unwrap_or_else(|e| panic!("{e}"))
    });
    let graph = times.graph.as_secs_f64();
    let eval = eval_only.evaluation.as_secs_f64();
    let eval_and_output = times.evaluation.as_secs_f64();
    let output = (eval_and_output - eval).max(0.0);
    println!("batch: {} goods ({invalid} input errors), {bom_lines} BOM lines audited", batch.goods.len());
    println!(
        "summary: {} qualified, {} not qualified, {} needs evidence; {} certificate drafts; findings {:?}",
        summary.qualified,
        summary.not_qualified,
        summary.needs_evidence,
        summary.certificates,
        summary.findings_by_severity
    );
    println!("time split (wall, seconds; CPU of all threads in brackets):");
    println!("  parse (read + JSON + validate)   {:>7.3}   [{:.2} CPU]", parse_t.wall.as_secs_f64(), parse_t.cpu);
    println!("  graph build + trace             {graph:>7.3}");
    println!("  evaluation (audit of the goods) {eval:>7.3}   [alone: {:.2} CPU]", eval_t.cpu);
    println!(
        "  output (serialize + write)      {output:>7.3}   ({report_mib:.0} MiB report; audit+output {eval_and_output:.3} s, [{:.2} CPU] with the graph)",
        run_t.cpu
    );
    println!("  end to end                      {:>7.3}", total.as_secs_f64());
    println!(
        "evaluation throughput: {:.0} BOM lines/s ({:.0} goods/s)",
        bom_lines as f64 / eval,
        batch.goods.len() as f64 / eval
    );
    println!(
        "memory: peak RSS (VmHWM) {:.0} MiB ({:.2} GiB); RSS before parsing {rss0:.0} MiB, after parsing {rss_parsed:.0} MiB = {:.0} bytes per BOM line held",
        hwm,
        hwm / 1024.0,
        (rss_parsed - rss0) * 1048576.0 / bom_lines.max(1) as f64
    );
    println!("load average at end: {}", loadavg());
    drop(batch);
    one_good(&rules, full, &dir);
    drop(tmp);
}
