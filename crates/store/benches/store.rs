//! Storage benchmark: findings per second into SQLite through the store's chunk writer, against a bare
//! multi-row INSERT of the same finding rows measured in the same process.
//!
//! `cargo bench -p origin-store --bench store` (release). `ORIGIN_BENCH_GOODS` (default 100,000 goods,
//! 5 findings each), `ORIGIN_BENCH_CHUNK` (goods per transaction, default 2,000) and `ORIGIN_BENCH_ROWS`
//! (rows per bare INSERT statement, default 1,000: the store's own statement size on SQLite) change the run.
//! Figures are recorded in docs/store.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark")]

use std::time::Instant;

use origin_core::{Country, Currency, Decimal, Percent};
use origin_engine::audit::{Determination, GoodAudit, Outcome};
use origin_engine::finding::{
    ClosingLine, DeMinimis, Facts, FailingMaterial, Finding, Mismatch, RvcMethod, Set, Severity, Shown,
};
use origin_engine::run::GoodReport;
use origin_engine::sink::GoodResult;
use origin_store::{InputFile, NewRun, RunInputs, Store};
use sqlx::Connection;

const FINDINGS_PER_GOOD: usize = 5;

/// Finding `k` of good `i`: five codes with facts of the sizes a real audit gives.
fn finding(id: &str, i: usize, k: usize) -> Finding {
    let line = format!("L{k:02}");
    let value: Decimal = format!("{}.{:02}", 100 + i % 900, i % 100).parse().unwrap();
    let pct = |s: &str| Percent(s.parse().unwrap());
    let de_minimis = DeMinimis {
        failing_value: value,
        share_of_adjusted_tv: Some(pct("9.5")),
        share_of_total_cost: None,
        threshold: pct("10"),
        applies: k == 4,
        excluded: None,
    };
    let (severity, facts) = match k % 5 {
        0 => (
            Severity::Blocking,
            Facts::RvcBelowThreshold {
                rule: "gn11-87-029".into(),
                alternative: "B".into(),
                methods: vec![RvcMethod {
                    method: "net-cost".into(),
                    base: value * Decimal::from(4),
                    vnm: value,
                    rvc: pct(&format!("{}.{:02}", 60 + k, i % 100)),
                    threshold: pct("75"),
                    met: false,
                }],
                shortfall: value,
                closing: Set(vec![ClosingLine {
                    line: line.clone(),
                    description: Shown("Synthetic part".into()),
                    vnm: value,
                }]),
                closes: true,
                currency: Currency::USD,
                citation: Shown("GN 11(o), chapter 87, rule 29; Art. 4.5".into()),
            },
        ),
        1 => (
            Severity::Blocking,
            Facts::TariffShiftNotMet {
                rule: "gn11-87-029".into(),
                alternative: "A".into(),
                requirement: Shown("a change to subheading 8708.40 from any other heading".into()),
                failing: Set(vec![FailingMaterial {
                    line: line.clone(),
                    description: Shown("Synthetic part".into()),
                    hs: "8708.40".into(),
                    value,
                    origin: "CN".into(),
                    why: Shown("`8708.40` is the good's own subheading".into()),
                    part: Shown(format!("P-{k}")),
                    supplier: Shown(Some(format!("Supplier {i}"))),
                }]),
                de_minimis: Some(de_minimis),
                currency: Currency::USD,
                citation: Shown("GN 11(o), chapter 87, rule 29".into()),
            },
        ),
        2 => (
            Severity::Warning,
            Facts::DeclaredOriginMismatch {
                line: line.clone(),
                lot: format!("LOT-{i}-{k}"),
                mismatch: Mismatch::BomAndLot { bom: Country::MX, lot_declared: Country::CN },
            },
        ),
        3 => (
            Severity::Warning,
            Facts::HsDiscrepancy {
                line: line.clone(),
                part: Some(format!("P-{k}")),
                bom: "8708.40".parse().unwrap(),
                certification: format!("SC-{i}"),
                certified: "8708.50".parse().unwrap(),
                issuer: Shown(format!("Supplier {i}")),
            },
        ),
        _ => (
            Severity::Info,
            Facts::DeMinimisApplied {
                alternative: "A".into(),
                lines: Set(vec![line]),
                de_minimis,
                currency: Currency::USD,
                citation: Shown("19 U.S.C. 4531(f)(1) (USMCA Art. 4.12)".into()),
            },
        ),
    };
    Finding::of(severity, id, facts)
}

fn good(i: usize) -> GoodReport {
    let id = format!("G{i:07}");
    let findings = (0..FINDINGS_PER_GOOD).map(|k| finding(&id, i, k)).collect();
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
    let rows_per_insert = env("ORIGIN_BENCH_ROWS", 1000);
    let dir = tempfile::tempdir().unwrap();
    // ORIGIN_BENCH_KEEP=1 keeps the databases (the path is printed).
    let t = Instant::now();
    let goods: Vec<GoodReport> = (0..n_goods).map(good).collect();
    let n_findings = n_goods * FINDINGS_PER_GOOD;
    eprintln!("{n_goods} goods, {n_findings} findings generated in {:.2?}", t.elapsed());

    // 0. A CPU reference, the store's path before it serialized each row once: JSON of every audit, its
    // digest, JSON of every determination and finding again, v4 ids.
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
    eprintln!("CPU reference (the old path: serialization twice, digests, v4 ids): {cpu_secs:.2} s ({bytes} bytes)");

    // 1. The store's path: determinations + findings + log entry, one transaction per chunk.
    let store = Store::open(&dir.path().join("store.db").display().to_string()).await.unwrap();
    let content = b"batch".to_vec();
    let inputs = RunInputs {
        files: vec![InputFile {
            kind: "batch",
            name: "bench.json".into(),
            digest: origin_store::sha256_hex(&content),
            content: content.into(),
        }],
        rules_digest: "0".repeat(64),
    };
    let new = NewRun {
        actor: "bench".into(),
        engine_version: "bench".into(),
        rule_pack: "usmca@bench".into(),
        as_of: None,
        options: origin_store::RunSettings::default(),
        goods_total: n_goods as i64,
        inputs,
    };
    let run = store.begin_run(&new).await.unwrap();
    let t = Instant::now();
    for part in goods.chunks(chunk) {
        let results: Vec<GoodResult<'_>> = part
            .iter()
            .map(|g| GoodResult { batch: "bench", report: g, draft_if_cleared: None, pictures: None, json: None })
            .collect();
        store.write_goods(&run, "bench", &results).await.unwrap();
    }
    let chunks_secs = t.elapsed().as_secs_f64();
    // The final commit and a checkpoint belong to storing the run: the bare INSERT below ends with one too.
    store.complete_run(&run, "bench").await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(store.pool()).await.unwrap();
    let store_secs = t.elapsed().as_secs_f64();
    store.close().await;

    // The rows the store wrote, read back in the order written: the baselines insert exactly these.
    let store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    let mut src = sqlx::SqliteConnection::connect(&store_url).await.unwrap();
    let findings: Vec<Vec<Value>> = read_rows(&mut src, "findings", FINDING_COLS).await;
    let dets: Vec<Vec<Value>> = read_rows(&mut src, "determinations", DET_COLS).await;
    let log: Vec<Vec<Value>> = read_rows(&mut src, "audit_log WHERE action = 'run.chunk_stored'", LOG_COLS).await;
    let run_row: Vec<Vec<Value>> = read_rows(&mut src, "runs", RUN_COLS).await;
    src.close().await.unwrap();
    assert_eq!(findings.len(), n_findings);

    // 2. Bare multi-row INSERTs of the same rows -- each chunk's determinations, findings and log entry --
    // into the same schema (a fresh store's migrations: same tables, keys and indexes), on a connection
    // with the store's chunk-writer settings, statements of the store's sizes, one transaction per chunk
    // as the store, then a checkpoint. No JSON, digests, ids, checks or hashing: only SQLite's own work.
    let same = Store::open(&dir.path().join("bare.db").display().to_string()).await.unwrap();
    same.close().await;
    let url = format!("sqlite://{}", dir.path().join("bare.db").display());
    let mut conn =
        sqlx::SqliteConnection::connect_with(&origin_store::sqlite_writer_options(&url).unwrap()).await.unwrap();
    insert(&mut conn, "runs", RUN_COLS, &run_row, 1).await;
    let t = Instant::now();
    for (c, part) in dets.chunks(chunk).enumerate() {
        let mut tx = conn.begin().await.unwrap();
        insert(&mut tx, "determinations", DET_COLS, part, 500).await;
        let f = &findings[c * chunk * FINDINGS_PER_GOOD..((c + 1) * chunk * FINDINGS_PER_GOOD).min(findings.len())];
        insert(&mut tx, "findings", FINDING_COLS, f, rows_per_insert).await;
        insert(&mut tx, "audit_log", LOG_COLS, &log[c..=c], 1).await;
        tx.commit().await.unwrap();
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
    let same_secs = t.elapsed().as_secs_f64();
    conn.close().await.unwrap();

    // 3. The narrower baseline used before: the finding rows alone into a findings table with its primary
    // key and no other index or constraint.
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bare-findings.db").display());
    let mut conn =
        sqlx::SqliteConnection::connect_with(&origin_store::sqlite_writer_options(&url).unwrap()).await.unwrap();
    sqlx::query(
        "CREATE TABLE findings (id TEXT PRIMARY KEY, run_id TEXT NOT NULL, batch TEXT NOT NULL, good TEXT NOT NULL, ordinal BIGINT NOT NULL, code TEXT NOT NULL, severity TEXT NOT NULL, fingerprint TEXT NOT NULL, status TEXT NOT NULL, version BIGINT NOT NULL, carried_from TEXT, finding TEXT NOT NULL, updated_at TEXT NOT NULL)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let t = Instant::now();
    for part in findings.chunks(chunk * FINDINGS_PER_GOOD) {
        let mut tx = conn.begin().await.unwrap();
        insert(&mut tx, "findings", FINDING_COLS, part, rows_per_insert).await;
        tx.commit().await.unwrap();
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
    let bare_secs = t.elapsed().as_secs_f64();
    conn.close().await.unwrap();

    if std::env::var_os("ORIGIN_BENCH_KEEP").is_some() {
        eprintln!("databases kept in {}", dir.keep().display());
    }
    let rate = |secs: f64| n_findings as f64 / secs;
    println!("findings stored:           {n_findings} ({n_goods} goods, {chunk} goods per transaction)");
    println!(
        "store (determinations + findings + log, final commit, checkpoint): {store_secs:.2} s, {:.0} findings/s (chunks alone {chunks_secs:.2} s)",
        rate(store_secs)
    );
    println!(
        "bare INSERT, same rows (determinations + findings + log) into the same schema: {same_secs:.2} s, {:.0} findings/s",
        rate(same_secs)
    );
    println!("bare INSERT, finding rows alone, primary key only: {bare_secs:.2} s, {:.0} findings/s", rate(bare_secs));
    println!("store / bare (same rows, same schema): {:.0}%", 100.0 * same_secs / store_secs);
    println!("store / bare (finding rows alone):     {:.0}%", 100.0 * bare_secs / store_secs);
}

const FINDING_COLS: &str =
    "id, run_id, batch, good, ordinal, code, severity, fingerprint, status, version, carried_from, finding, updated_at";
const DET_COLS: &str = "run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, digest, draft";
const LOG_COLS: &str = "seq, at, actor, action, subject, payload, prev_hash, hash";
const RUN_COLS: &str = "id, started_at, finished_at, status, actor, engine_version, rule_pack, rules_digest, as_of, options, goods_total, goods_done, qualified, not_qualified, needs_evidence, findings, summary";

/// A column value as read back (the store's columns are text or integers).
#[derive(Clone)]
enum Value {
    Null,
    Int(i64),
    Text(String),
}

async fn read_rows(conn: &mut sqlx::SqliteConnection, from: &str, cols: &str) -> Vec<Vec<Value>> {
    use sqlx::{Row, ValueRef};
    let n = cols.split(',').count();
    let rows = sqlx::query(&format!("SELECT {cols} FROM {from} ORDER BY rowid")).fetch_all(conn).await.unwrap();
    rows.iter()
        .map(|r| {
            (0..n)
                .map(|i| {
                    let raw = r.try_get_raw(i).unwrap();
                    if raw.is_null() {
                        Value::Null
                    } else if let Ok(v) = r.try_get::<i64, _>(i) {
                        Value::Int(v)
                    } else {
                        Value::Text(r.try_get::<String, _>(i).unwrap())
                    }
                })
                .collect()
        })
        .collect()
}

/// Multi-row INSERTs of `rows` into `table`, `per` rows a statement, `?` placeholders.
async fn insert(conn: &mut sqlx::SqliteConnection, table: &str, cols: &str, rows: &[Vec<Value>], per: usize) {
    let n = cols.split(',').count();
    for stmt in rows.chunks(per) {
        let mut sql = format!("INSERT INTO {table} ({cols}) VALUES ");
        for i in 0..stmt.len() {
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for c in 0..n {
                sql.push_str(if c == 0 { "?" } else { ", ?" });
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for r in stmt {
            for v in r {
                q = match v {
                    Value::Null => q.bind(None::<&str>),
                    Value::Int(i) => q.bind(*i),
                    Value::Text(t) => q.bind(t.as_str()),
                };
            }
        }
        q.execute(&mut *conn).await.unwrap();
    }
}
