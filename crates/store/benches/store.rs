//! Storage benchmark: findings per second into SQLite through the store's chunk writer, against a bare
//! multi-row INSERT of the same finding rows measured in the same process.
//!
//! `cargo bench -p origin-store --bench store` (release). `ORIGIN_BENCH_GOODS` (default 100,000 goods,
//! 5 findings each), `ORIGIN_BENCH_CHUNK` (goods per transaction, default 2,000) and `ORIGIN_BENCH_ROWS`
//! (rows per bare INSERT statement, default 500) change the run.
//! Figures are recorded in docs/store.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark")]

use std::time::Instant;

use origin_engine::audit::{Determination, GoodAudit, Outcome};
use origin_engine::finding::{Code, Finding, Severity};
use origin_engine::run::GoodReport;
use origin_engine::sink::GoodResult;
use origin_store::{InputFile, NewRun, RunInputs, Store};
use sqlx::Connection;

const FINDINGS_PER_GOOD: usize = 5;

fn good(i: usize) -> GoodReport {
    let id = format!("G{i:07}");
    let codes = [
        Code::RvcBelowThreshold,
        Code::TariffShiftNotMet,
        Code::DeclaredOriginMismatch,
        Code::HsDiscrepancy,
        Code::DeMinimisApplied,
    ];
    let sev = [Severity::Blocking, Severity::Blocking, Severity::Warning, Severity::Warning, Severity::Info];
    let findings = (0..FINDINGS_PER_GOOD)
        .map(|k| {
            Finding::new(
                codes[k],
                sev[k],
                &id,
                format!(
                    "BOM line `L{k:02}`: value {}.{:02} USD, RVC {}.{:02}% < 75.00%",
                    100 + i % 900,
                    i % 100,
                    60 + k,
                    i % 100
                ),
                "Art. 4.5; Annex 4-B",
            )
            .materials([format!("L{k:02}")])
            .evidence([format!("supplier certification SC-{i} does not cover part P-{k}")])
            .remedy("source the line from a USMCA supplier with a valid certification")
            .seal()
        })
        .collect();
    GoodReport {
        audit: GoodAudit {
            good: id,
            description: "Synthetic good".into(),
            hs: "8708.40".into(),
            determination: Determination {
                outcome: Outcome::NotQualified,
                criterion: None,
                summary: "not originating: no alternative of rule gn11-87-029 is met".into(),
                rule: None,
                alternative: None,
                values: Default::default(),
                alternatives: Vec::new(),
                criterion_d_rvc: Vec::new(),
                materials: Vec::new(),
                caveats: Vec::new(),
            },
            findings,
        },
        certificate: None,
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let n_goods = env("ORIGIN_BENCH_GOODS", 100_000);
    let chunk = env("ORIGIN_BENCH_CHUNK", 2_000);
    let rows_per_insert = env("ORIGIN_BENCH_ROWS", 500);
    // `?` placeholders by default (the fast form on SQLite); ORIGIN_BENCH_PLACEHOLDER='$' shows the cost
    // of `$N` ones.
    let question = std::env::var("ORIGIN_BENCH_PLACEHOLDER").map_or(true, |p| p != "$");
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let goods: Vec<GoodReport> = (0..n_goods).map(good).collect();
    let n_findings = n_goods * FINDINGS_PER_GOOD;
    eprintln!("{n_goods} goods, {n_findings} findings generated in {:.2?}", t.elapsed());

    // 0. The CPU part of the store's path alone: JSON of every audit, its digest, JSON of every finding.
    let t = Instant::now();
    let mut bytes = 0usize;
    for g in &goods {
        let a = serde_json::to_string(&g.audit).unwrap();
        bytes +=
            origin_store::sha256_hex(a.as_bytes()).len() + serde_json::to_string(&g.audit.determination).unwrap().len();
        for f in &g.audit.findings {
            bytes += serde_json::to_string(f).unwrap().len() + uuid::Uuid::new_v4().to_string().len();
        }
    }
    let cpu_secs = t.elapsed().as_secs_f64();
    eprintln!("serialization + digests + ids alone: {cpu_secs:.2} s ({bytes} bytes)");

    // 1. The store's path: determinations + findings + log entry, one transaction per chunk.
    let store = Store::open(&dir.path().join("store.db").display().to_string()).await.unwrap();
    let content = b"batch".to_vec();
    let inputs = RunInputs {
        files: vec![InputFile {
            kind: "batch",
            name: "bench.json".into(),
            digest: origin_store::sha256_hex(&content),
            content,
        }],
        rules_digest: "0".repeat(64),
    };
    let new = NewRun {
        actor: "bench".into(),
        engine_version: "bench".into(),
        rule_pack: "usmca@bench".into(),
        as_of: None,
        options: serde_json::json!({}),
        goods_total: n_goods as i64,
        inputs,
    };
    let run = store.begin_run(&new).await.unwrap();
    let t = Instant::now();
    for part in goods.chunks(chunk) {
        let results: Vec<GoodResult<'_>> =
            part.iter().map(|g| GoodResult { batch: "bench", report: g, draft_if_cleared: None }).collect();
        store.write_goods(&run, "bench", &results).await.unwrap();
    }
    let store_secs = t.elapsed().as_secs_f64();
    store.complete_run(&run, "bench").await.unwrap();
    store.close().await;

    // 2. A bare multi-row INSERT of the same finding rows (same table shape, native SQLite driver).
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bare.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("PRAGMA journal_mode = WAL").execute(&mut conn).await.unwrap();
    sqlx::query(
        "CREATE TABLE findings (id TEXT PRIMARY KEY, run_id TEXT NOT NULL, batch TEXT NOT NULL, good TEXT NOT NULL, ordinal BIGINT NOT NULL, code TEXT NOT NULL, severity TEXT NOT NULL, fingerprint TEXT NOT NULL, status TEXT NOT NULL, version BIGINT NOT NULL, carried_from TEXT, finding TEXT NOT NULL, updated_at TEXT NOT NULL)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let rows: Vec<(String, &GoodReport, usize, &Finding, String)> = goods
        .iter()
        .flat_map(|g| {
            g.audit
                .findings
                .iter()
                .enumerate()
                .map(move |(k, f)| (uuid::Uuid::new_v4().to_string(), g, k, f, serde_json::to_string(f).unwrap()))
        })
        .collect();
    let t = Instant::now();
    for part in rows.chunks(chunk * FINDINGS_PER_GOOD) {
        let mut tx = conn.begin().await.unwrap();
        for stmt in part.chunks(rows_per_insert) {
            let mut sql = String::from(
                "INSERT INTO findings (id, run_id, batch, good, ordinal, code, severity, fingerprint, status, carried_from, finding, updated_at, version) VALUES ",
            );
            for i in 0..stmt.len() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for c in 0..12 {
                    if question {
                        sql.push_str(if c == 0 { "?" } else { ", ?" });
                    } else {
                        sql.push_str(&format!("{}${}", if c == 0 { "" } else { ", " }, i * 12 + c + 1));
                    }
                }
                sql.push_str(", 1)");
            }
            let mut q = sqlx::query(&sql);
            for (id, g, k, f, json) in stmt {
                q = q
                    .bind(id)
                    .bind(&run)
                    .bind("bench")
                    .bind(&g.audit.good)
                    .bind(*k as i64)
                    .bind(f.code.as_str())
                    .bind(f.severity.as_str())
                    .bind(&f.fingerprint)
                    .bind("open")
                    .bind(None::<String>)
                    .bind(json)
                    .bind("2026-11-28T00:00:00.000000Z");
            }
            q.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let bare_secs = t.elapsed().as_secs_f64();
    let (store_rate, bare_rate) = (n_findings as f64 / store_secs, n_findings as f64 / bare_secs);
    println!("findings stored:           {n_findings} ({n_goods} goods, {chunk} goods per transaction)");
    println!("store (determinations + findings + log): {store_secs:.2} s, {store_rate:.0} findings/s");
    println!("bare multi-row INSERT of the findings:   {bare_secs:.2} s, {bare_rate:.0} findings/s");
    println!("store / bare:              {:.0}%", 100.0 * store_rate / bare_rate);
}
