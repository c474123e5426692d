//! The store through the `origin-audit` binary: a run on a fresh directory creates `origin-audit.db` and
//! says where it is; review, certificate, export and `log verify` commands; a run killed with SIGKILL and
//! resumed equals an uninterrupted run. (PostgreSQL is covered by crates/store/tests/store_suite.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{big_batch, repo};

fn bin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_origin-audit"))
        .current_dir(dir)
        .env_remove("ORIGIN_AUDIT_DB")
        .arg("--rules")
        .arg(repo().join("rules/usmca"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn demo(dir: &Path) {
    let d = dir.join("demo");
    std::fs::create_dir_all(&d).unwrap();
    for e in std::fs::read_dir(repo().join("fixtures/demo")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
    }
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(&bin(dir, args))).unwrap()
}

fn latest_run(dir: &Path) -> String {
    json(dir, &["runs", "list", "--format", "json"])[0]["id"].as_str().unwrap().to_string()
}

#[test]
fn a_run_on_a_fresh_directory_creates_the_database_and_says_where() {
    let tmp = tempfile::tempdir().unwrap();
    demo(tmp.path());
    let out = ok(&bin(tmp.path(), &["run", "demo/batch.yaml"]));
    assert!(out.contains("stored as run ") && out.contains("in origin-audit.db (new SQLite database)"), "{out}");
    assert!(tmp.path().join("origin-audit.db").is_file());
    let out = ok(&bin(tmp.path(), &["run", "demo/batch.yaml"]));
    assert!(out.contains("in origin-audit.db\n"), "{out}");
    let runs = json(tmp.path(), &["runs", "list", "--format", "json"]);
    assert_eq!(runs.as_array().unwrap().len(), 2);
    assert!(runs.as_array().unwrap().iter().all(|r| r["status"] == "completed"));
    let id = latest_run(tmp.path());
    let show = ok(&bin(tmp.path(), &["runs", "show", &id[..8]]));
    assert!(show.contains("completed") && show.contains("demo/batch.yaml") && show.contains("GBX-6MT-PV"), "{show}");
    let verify = ok(&bin(tmp.path(), &["log", "verify"]));
    assert!(verify.starts_with("audit log intact"), "{verify}");
    // --db elsewhere.
    let other = tmp.path().join("elsewhere.db");
    let out = ok(&bin(tmp.path(), &["--db", other.to_str().unwrap(), "run", "demo/batch.yaml"]));
    assert!(out.contains("elsewhere.db (new SQLite database)"), "{out}");
}

#[tokio::test]
async fn review_certificate_export_and_log_verify_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    demo(dir);
    ok(&bin(dir, &["run", "demo/batch.yaml"]));
    let run = latest_run(dir);
    let list =
        json(dir, &["findings", "list", "--run", &run, "--code", "DECLARED_ORIGIN_MISMATCH", "--format", "json"]);
    let f = list[0]["id"].as_str().unwrap().to_string();
    let o = bin(dir, &["findings", "review", &f, "--decision", "dismiss", "--as", "ana"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs a justification"));
    let out = ok(&bin(
        dir,
        &[
            "findings",
            "review",
            &f,
            "--decision",
            "dismiss",
            "--note",
            "lot relabelled in error",
            "--as",
            "ana",
            "--version",
            "1",
        ],
    ));
    assert!(out.contains("is now dismissed (version 2)"), "{out}");
    // Ben reviewed version 1 too: his decision is refused with a clear conflict.
    let o = bin(dir, &["findings", "review", &f, "--decision", "accept", "--as", "ben", "--version", "1"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("conflict") && err.contains("dismiss by ana") && err.contains("was not recorded"), "{err}");
    let show = ok(&bin(dir, &["findings", "show", &f]));
    assert!(
        show.contains("dismissed -> ")
            || show.contains("open -> dismissed (v2)  by ana (analyst): lot relabelled in error"),
        "{show}"
    );
    // Certificates.
    let o = bin(dir, &["certificate", "issue", "--run", &run, "--good", "SB-FR-3PT", "--as", "carla"]);
    assert_eq!(o.status.code(), Some(1));
    let out = ok(&bin(
        dir,
        &[
            "certificate",
            "issue",
            "--run",
            &run,
            "--good",
            "WH-ENG-110",
            "--blanket-from",
            "2026-11-01",
            "--blanket-to",
            "2027-10-31",
            "--as",
            "carla",
        ],
    ));
    let cert = out.split_whitespace().nth(1).unwrap().to_string();
    let md = ok(&bin(dir, &["certificate", "show", &cert]));
    assert!(
        md.contains("| 8. Blanket period | 2026-11-01 to 2027-10-31 |") && md.contains("| 7. Origin criterion | C |"),
        "{md}"
    );
    let cj = json(dir, &["certificate", "show", &cert, "--format", "json"]);
    assert_eq!((cj["status"].as_str(), cj["version"].as_i64()), (Some("issued"), Some(1)));
    // Export.
    let out = ok(&bin(dir, &["export", &run, "package"]));
    assert!(out.contains("exported run"), "{out}");
    for f in [
        "SHA256SUMS",
        "run.json",
        "determinations.json",
        "findings.json",
        "certificates.json",
        "log.json",
        "inputs/batch.yaml",
        "rules/pack.yaml",
    ] {
        assert!(dir.join("package").join(f).is_file(), "{f} missing from the package");
    }
    // Edit the review's log entry directly in the database: `log verify` names it.
    let store = origin_store::Store::open(dir.join("origin-audit.db").to_str().unwrap()).await.unwrap();
    let seq =
        store.log_entries(1, i64::MAX).await.unwrap().into_iter().find(|e| e.action == "finding.reviewed").unwrap().seq;
    sqlx::query("UPDATE audit_log SET payload = replace(payload, 'ana', 'bob') WHERE seq = $1")
        .bind(seq)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'bob' WHERE seq = $1").bind(seq).execute(store.pool()).await.unwrap();
    store.close().await;
    let o = bin(dir, &["log", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(&format!("entry {seq}: edited: entry {seq} (finding.reviewed finding:{f} by bob")), "{out}");
}

async fn digests(db: &Path, run: &str) -> BTreeMap<String, String> {
    let store = origin_store::Store::open(db.to_str().unwrap()).await.unwrap();
    let d = store
        .determinations(run)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (format!("{}/{}", d.batch, d.good), d.digest))
        .collect();
    store.close().await;
    d
}

/// `kill -9` in the middle of a run: the run stays `running`, shows as not completed, and `run --resume`
/// finishes it with the same determinations as an uninterrupted run.
#[tokio::test]
async fn a_run_killed_with_sigkill_resumes_to_the_same_result() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let total = big_batch(&dir.join("big.json"), 300) as i64;
    let db = dir.join("origin-audit.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_origin-audit"))
        .current_dir(dir)
        .env_remove("ORIGIN_AUDIT_DB")
        .arg("--rules")
        .arg(repo().join("rules/usmca"))
        .args(["run", "big.json", "--chunk", "50", "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some chunks are committed, then kill -9.
    let start = Instant::now();
    let mut killed_at = 0;
    while start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(50));
        if !db.exists() {
            continue;
        }
        let store = origin_store::Store::open(db.to_str().unwrap()).await.unwrap();
        let runs = store.runs().await.unwrap();
        store.close().await;
        if let Some(r) = runs.first()
            && r.goods_done >= 100
        {
            child.kill().unwrap();
            killed_at = r.goods_done;
            break;
        }
    }
    child.wait().unwrap();
    assert!(killed_at >= 100, "the run was not seen storing chunks");
    let run = latest_run(dir);
    let r = &json(dir, &["runs", "show", &run, "--format", "json"])["run"];
    assert_eq!(r["status"], "running", "a killed run never shows as completed");
    let done = r["goods_done"].as_i64().unwrap();
    assert!(done < total && done % 50 == 0, "whole chunks only: {done}");
    let show = ok(&bin(dir, &["runs", "show", &run]));
    assert!(show.contains("NOT COMPLETED"), "{show}");
    let out = ok(&bin(dir, &["run", "--resume", &run[..8]]));
    assert!(out.contains(&format!("resumed run {run}: {done} good(s) were already stored")), "{out}");
    let r = &json(dir, &["runs", "show", &run, "--format", "json"])["run"];
    assert_eq!((r["status"].as_str(), r["goods_done"].as_i64()), (Some("completed"), Some(total)));
    ok(&bin(dir, &["run", "big.json", "--chunk", "500"]));
    let whole = latest_run(dir);
    assert_ne!(whole, run);
    let (a, b) = (digests(&db, &run).await, digests(&db, &whole).await);
    assert_eq!(a.len() as i64, total);
    assert!(a == b, "a killed and resumed run equals an uninterrupted one");
}

/// Runs SQL on the store file directly, as someone with access to the database can.
async fn tamper(dir: &Path, steps: &[&str]) {
    let store = origin_store::Store::open(dir.join("origin-audit.db").to_str().unwrap()).await.unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    for s in steps {
        sqlx::query(s).execute(&mut *tx).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    tx.commit().await.unwrap();
    store.close().await;
}

/// Issue 13 item 6 through the binary: data edited in SQL makes `log verify` exit 1 naming the entry
/// and the row, `certificate issue` refuse, and `log anchor` refuse to vouch for it; an anchor kept in a
/// file catches a log cut short; wrong-typed entries are named (exit 1), never a read failure (exit 2).
#[tokio::test]
async fn data_edited_in_sql_is_named_refused_and_anchored() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    demo(dir);
    ok(&bin(dir, &["run", "demo/batch.yaml"]));
    let run = latest_run(dir);
    let out = ok(&bin(dir, &["log", "verify"]));
    assert!(out.contains("stored data matches the log: 1 run(s), 13 determination(s)"), "{out}");
    let anchor = ok(&bin(dir, &["log", "anchor"]));
    let (seq, hash) = anchor.trim().split_once(':').unwrap();
    assert_eq!((seq, hash.len()), ("3", 64), "{anchor}");
    std::fs::write(dir.join("anchor.txt"), &anchor).unwrap();
    let out = ok(&bin(dir, &["log", "verify", "--anchor", "anchor.txt"]));
    assert!(out.contains(&format!("matches the anchor {}", anchor.trim())), "{out}");

    // CP-HVAC-01 needs evidence: made qualified in SQL, a draft copied in, its findings waived.
    tamper(
        dir,
        &[
            "UPDATE determinations SET outcome = 'qualified', draft = (SELECT draft FROM determinations WHERE good = 'WH-IP-220') WHERE good = 'CP-HVAC-01'",
            "UPDATE findings SET status = 'waived' WHERE good = 'CP-HVAC-01'",
        ],
    )
    .await;
    let o = bin(dir, &["log", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("entry 2: row-edited: the determination of good `CP-HVAC-01`")
            && out.contains("says `qualified`, but entry 2 (run.chunk_stored) recorded `needs-evidence`"),
        "{out}"
    );
    assert!(
        out.contains(
            "is `waived` at version 1, but the last entry about it, entry 2 (run.chunk_stored), left it `open`"
        ),
        "{out}"
    );
    let o = bin(dir, &["certificate", "issue", "--run", &run, "--good", "CP-HVAC-01", "--as", "carla"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("refusing to certify good `CP-HVAC-01`") && err.contains("help: run `origin-audit log verify`"),
        "{err}"
    );
    let store = origin_store::Store::open(dir.join("origin-audit.db").to_str().unwrap()).await.unwrap();
    assert!(store.certificates(None).await.unwrap().is_empty(), "nothing was issued");
    store.close().await;
    let o = bin(dir, &["log", "anchor"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no anchor printed"));
    tamper(
        dir,
        &[
            "UPDATE determinations SET outcome = 'needs-evidence', draft = NULL WHERE good = 'CP-HVAC-01'",
            "UPDATE findings SET status = 'open' WHERE good = 'CP-HVAC-01'",
        ],
    )
    .await;
    ok(&bin(dir, &["log", "verify", "--anchor", anchor.trim()]));

    // Cut short: the last entry removed and the head set back to the one before.
    tamper(
        dir,
        &[
            "DELETE FROM audit_log WHERE seq = 3",
            "UPDATE log_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)",
            "UPDATE runs SET status = 'running'",
        ],
    )
    .await;
    ok(&bin(dir, &["log", "verify"]));
    let o = bin(dir, &["log", "verify", "--anchor", "anchor.txt"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("entry 3: truncated: the log ends at entry 2, but the anchor"), "{out}");
    let o = bin(dir, &["log", "verify", "--anchor", "3:abc"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is neither SEQ:HASH nor a file"));

    // Wrong-typed entries in a log table replaced by an untyped one: named, exit 1.
    tamper(
        dir,
        &[
            "CREATE TABLE lax (seq, at, actor, action, subject, payload, prev_hash, hash)",
            "INSERT INTO lax SELECT * FROM audit_log",
            "DROP TABLE audit_log",
            "ALTER TABLE lax RENAME TO audit_log",
            "INSERT INTO audit_log VALUES (2.5, 'x', 'mallory', 'finding.reviewed', 'finding:x', '{}', 'x', 'x')",
            "UPDATE audit_log SET payload = CAST(payload AS BLOB) WHERE seq = 1",
        ],
    )
    .await;
    let o = bin(dir, &["log", "verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("schema: the audit_log table is no longer a STRICT table"), "{out}");
    assert!(out.contains("malformed: an entry stored with seq 2.5 (finding.reviewed finding:x)"), "{out}");
    assert!(out.contains("entry 1: malformed: an entry stored with seq 1 (run.started"), "{out}");
}
