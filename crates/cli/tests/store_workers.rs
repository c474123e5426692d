//! Three `origin-audit worker` processes share one run through a throwaway PostgreSQL cluster; the
//! result equals a single-process run. Skipped loudly without PostgreSQL binaries (fails under CI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

#[path = "../../store/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};
use support::big_batch;

fn bin(dir: &Path, db: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_origin-audit"));
    c.current_dir(dir)
        .env_remove("ORIGIN_AUDIT_DB")
        .arg("--rules")
        .arg(common::repo().join("rules/usmca"))
        .args(["--db", db])
        .args(args);
    c
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_worker_processes_equal_a_single_process_run() {
    let Some(cluster) = common::PgCluster::start_or_skip("three_worker_processes_equal_a_single_process_run") else {
        return;
    };
    let db = cluster.fresh_db().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let total = big_batch(&dir.join("big.json"), 120) as i64;
    let out = ok(bin(dir, &db, &["run", "big.json", "--queue"]).output().unwrap());
    let run = out.split_whitespace().nth(1).unwrap().to_string();
    assert!(out.contains("queued"), "{out}");
    let children: Vec<_> = (0..3)
        .map(|i| bin(dir, &db, &["worker", "--run", &run, "--chunk", "20", "--as", &format!("w{i}")]).spawn().unwrap())
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    ok(bin(dir, &db, &["run", "big.json"]).output().unwrap());
    let store = origin_store::Store::open(&db).await.unwrap();
    let runs = store.runs().await.unwrap();
    let single = runs.iter().find(|r| r.id != run).unwrap().id.clone();
    let shared = store.run(&run).await.unwrap();
    assert_eq!((shared.status.as_str(), shared.goods_done, shared.goods_total), ("completed", total, total));
    let digests = |rows: Vec<origin_store::DeterminationRow>| {
        rows.into_iter().map(|d| (format!("{}/{}", d.batch, d.good), d.digest)).collect::<BTreeMap<_, _>>()
    };
    let (a, b) =
        (digests(store.determinations(&run).await.unwrap()), digests(store.determinations(&single).await.unwrap()));
    assert_eq!(a.len() as i64, total);
    assert!(a == b, "three workers give the single-process result");
    let actors: BTreeSet<String> = store
        .log_entries(1, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "run.chunk_stored" && e.subject == format!("run:{run}"))
        .map(|e| e.actor)
        .collect();
    assert!(actors.len() >= 2, "the goods were shared between workers: {actors:?}");
    assert!(store.verify_log().await.unwrap().ok());
    store.close().await;
}
