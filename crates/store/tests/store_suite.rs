//! The store test suite: every scenario runs on SQLite (one test each) and on PostgreSQL (one test that
//! starts a throwaway cluster and runs every scenario on a fresh database).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use origin_engine::run::{Progress, RunOptions};
use origin_engine::sink::{Discard, GoodResult, Prep, ResultSink, run_job};
use origin_store::runner::{self, RunPack, RunRequest, StoredRun};
use origin_store::{
    Decision, FindingFilter, FindingRow, GoodRows, IssueRequest, ReviewRequest, Role, RunSink, Store, StoreError,
};

use common::{demo_copy, repo};

fn pack() -> RunPack {
    static PACK: OnceLock<RunPack> = OnceLock::new();
    PACK.get_or_init(|| RunPack::load(rules_dir().into()).expect("the bundled rule pack loads")).clone()
}

fn rules_dir() -> PathBuf {
    repo().join("rules/usmca")
}

fn request(batch: &Path, chunk: usize) -> RunRequest {
    RunRequest {
        batches: vec![batch.to_path_buf()],
        pack: pack(),
        opts: RunOptions { as_of: None, threads: Some(1) },
        actor: "tester".into(),
        chunk,
        bom_scope: Default::default(),
        upload_dir: None,
    }
}

async fn run(store: &Store, batch: &Path) -> StoredRun {
    runner::start(store, &request(batch, 4), Arc::new(Progress::default()), &mut Discard).await.unwrap()
}

async fn digests(store: &Store, run: &str) -> BTreeMap<String, String> {
    store.determinations(run).await.unwrap().into_iter().map(|d| (d.good, d.digest)).collect()
}

async fn finding(store: &Store, run: &str, good: &str, code: &str) -> FindingRow {
    let all = store
        .findings(&FindingFilter {
            run: Some(run.into()),
            good: Some(good.into()),
            code: Some(code.into()),
            ..FindingFilter::default()
        })
        .await
        .unwrap();
    all.into_iter().next().unwrap_or_else(|| panic!("no {code} finding on {good} in run {run}"))
}

fn review(id: &str, decision: Decision, note: &str, who: &str, role: Role, version: Option<i64>) -> ReviewRequest {
    ReviewRequest {
        finding: id.into(),
        decision,
        note: note.into(),
        reviewer: who.into(),
        role,
        expected_version: version,
    }
}

/// Replaces `from` by `to` in the batch file (a change of facts between runs).
fn edit(batch: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(batch).unwrap();
    assert!(text.contains(from), "the demo batch no longer contains `{from}`");
    std::fs::write(batch, text.replacen(from, to, 1)).unwrap();
}

/// GBX-6MT-PV's net cost: 1300.00 qualifies it (RVC(NC) 75.40%); less does not.
const GBX_NC: &str = "transaction_value: 1480.00\n    international_shipping: 35.00\n    net_cost: 1300.00";
fn gbx_nc(v: &str) -> String {
    GBX_NC.replace("1300.00", v)
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

/// A run is stored whole: status, digests of every file, engine version, counts, log entries.
async fn run_is_stored(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let batch = demo_copy(&dir);
    let r = run(&store, &batch).await;
    let row = store.run(&r.id).await.unwrap();
    assert_eq!(row.status, "completed");
    assert!(row.finished_at.is_some());
    let dets = store.determinations(&r.id).await.unwrap();
    assert_eq!(dets.len() as i64, row.goods_total);
    assert_eq!(row.goods_done, row.goods_total);
    assert_eq!(row.qualified + row.not_qualified + row.needs_evidence, row.goods_total);
    assert_eq!(row.engine_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(row.rules_digest.len(), 64);
    let files = store.run_files(&r.id).await.unwrap();
    assert_eq!(files.iter().filter(|f| f.kind == "batch").count(), 1);
    assert_eq!(files.iter().filter(|f| f.kind == "bom").count(), 2, "both BOM files are digested");
    assert!(files.iter().any(|f| f.kind == "rules" && f.name == "pack.yaml"));
    let batch_file = files.iter().find(|f| f.kind == "batch").unwrap();
    assert_eq!(store.blob(&batch_file.digest).await.unwrap(), std::fs::read(&batch).unwrap());
    let findings =
        store.findings(&FindingFilter { run: Some(r.id.clone()), ..FindingFilter::default() }).await.unwrap();
    assert_eq!(findings.len() as i64, row.findings);
    assert!(findings.iter().all(|f| f.status == "open" && f.version == 1 && f.fingerprint.len() == 16));
    let d = dets.iter().find(|d| d.good == "GBX-6MT-PV").unwrap();
    assert_eq!((d.outcome.as_str(), d.criterion.as_deref()), ("qualified", Some("B")));
    assert_eq!(d.determination.outcome, origin_engine::audit::Outcome::Qualified);
    let log = store.log_entries(1, i64::MAX).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.first(), Some(&"run.started"));
    assert_eq!(actions.last(), Some(&"run.completed"));
    assert!(
        actions.iter().filter(|a| **a == "run.chunk_stored").count() >= 2,
        "goods are stored in several chunks: {actions:?}"
    );
    assert!(store.verify_log().await.unwrap().ok());
}

/// A sink that dies after `left` chunks, as a `kill -9` would: nothing marks the run stopped.
struct Killed<'a> {
    inner: RunSink<'a>,
    left: usize,
}

impl ResultSink for Killed<'_> {
    type Error = StoreError;
    type Row = GoodRows;
    fn prep(&self) -> Prep<GoodRows, StoreError> {
        self.inner.prep()
    }
    async fn stored(&mut self) -> Result<std::collections::HashSet<(String, String)>, StoreError> {
        self.inner.stored().await
    }
    async fn write_chunk(&mut self, goods: &[GoodResult<'_>], rows: Vec<GoodRows>) -> Result<(), StoreError> {
        if self.left == 0 {
            return Err(StoreError::Invalid("killed".into()));
        }
        self.left -= 1;
        self.inner.write_chunk(goods, rows).await
    }
}

/// A run killed between chunks stays `running` with whole goods only; `resume` finishes it without
/// duplicates, and the result equals an uninterrupted run's (by digest).
async fn killed_run_resumes(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let batch = demo_copy(&dir);
    let whole = run(&store, &batch).await;
    let req = request(&batch, 3);
    let (id, job) = runner::begin(&store, &req).await.unwrap();
    let mut sink = Killed { inner: RunSink { store: &store, run: id.clone(), actor: "tester".into() }, left: 2 };
    let err = run_job(&job, Arc::new(Progress::default()), &mut sink).await;
    assert!(err.is_err());
    let row = store.run(&id).await.unwrap();
    assert_eq!(row.status, "running", "a killed run never shows as completed");
    assert_eq!(row.goods_done, 6);
    assert_eq!(store.determinations(&id).await.unwrap().len(), 6);
    assert!(row.summary.is_none());
    let resumed = runner::resume(&store, &id, &pack(), "tester", Arc::new(Progress::default())).await.unwrap();
    assert_eq!(resumed.job.skipped, 6);
    let row = store.run(&id).await.unwrap();
    assert_eq!(row.status, "completed");
    assert_eq!(row.goods_done, row.goods_total);
    assert_eq!(
        digests(&store, &id).await,
        digests(&store, &whole.id).await,
        "resumed run equals the uninterrupted one"
    );
    let findings = store.findings(&FindingFilter { run: Some(id.clone()), ..FindingFilter::default() }).await.unwrap();
    assert_eq!(
        findings.len(),
        store.findings(&FindingFilter { run: Some(whole.id.clone()), ..FindingFilter::default() }).await.unwrap().len()
    );
    // Completed runs are not resumed; changed inputs are refused.
    let again = runner::resume(&store, &id, &pack(), "tester", Arc::new(Progress::default())).await;
    assert!(matches!(again, Err(runner::RunnerError::Store(StoreError::Invalid(_)))));
    let (id2, _) = runner::begin(&store, &req).await.unwrap();
    edit(&batch, GBX_NC, &gbx_nc("1000.00"));
    let changed = runner::resume(&store, &id2, &pack(), "tester", Arc::new(Progress::default())).await;
    let msg = changed.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("changed since run"), "{msg}");
    assert!(store.verify_log().await.unwrap().ok());
}

/// The same inputs and rules give identical determinations.
async fn reruns_reproduce(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let batch = demo_copy(&dir);
    let a = run(&store, &batch).await;
    let b = run(&store, &batch).await;
    let (da, db_) = (digests(&store, &a.id).await, digests(&store, &b.id).await);
    assert!(!da.is_empty());
    assert_eq!(da, db_);
    edit(&batch, GBX_NC, &gbx_nc("1000.00"));
    let c = run(&store, &batch).await;
    let dc = digests(&store, &c.id).await;
    assert_ne!(da["GBX-6MT-PV"], dc["GBX-6MT-PV"], "changed facts change the digest");
    assert_eq!(da["WH-ENG-110"], dc["WH-ENG-110"]);
}

/// Review rules: justification for dismiss and waive, the auditor role for waive, transitions.
async fn review_workflow(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let r = run(&store, &demo_copy(&dir)).await;
    let f = finding(&store, &r.id, "CAL-BUS-2P", "DECLARED_ORIGIN_MISMATCH").await;
    let e = store.review(&review(&f.id, Decision::Dismiss, "  ", "ana", Role::Analyst, None)).await.unwrap_err();
    assert!(e.to_string().contains("needs a justification"), "{e}");
    let e =
        store.review(&review(&f.id, Decision::Waive, "risk accepted", "ana", Role::Analyst, None)).await.unwrap_err();
    assert!(e.to_string().contains("only an auditor"), "{e}");
    let after = store.review(&review(&f.id, Decision::Accept, "", "ana", Role::Analyst, Some(1))).await.unwrap();
    assert_eq!((after.status.as_str(), after.version), ("accepted", 2));
    let e = store.review(&review(&f.id, Decision::Accept, "", "ana", Role::Analyst, None)).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    let after = store
        .review(&review(
            &f.id,
            Decision::Waive,
            "supplier re-certified; CBP ruling N123456",
            "olga",
            Role::Auditor,
            Some(2),
        ))
        .await
        .unwrap();
    assert_eq!((after.status.as_str(), after.version), ("waived", 3));
    let e = store.review(&review(&f.id, Decision::Dismiss, "no", "ana", Role::Analyst, None)).await.unwrap_err();
    assert!(e.to_string().contains("is waived"), "{e}");
    let reviews = store.reviews(&f.id).await.unwrap();
    assert_eq!(reviews.len(), 2);
    assert_eq!(
        (reviews[1].reviewer.as_str(), reviews[1].role.as_str(), reviews[1].to_status.as_str()),
        ("olga", "auditor", "waived")
    );
    assert_eq!(reviews[1].note, "supplier re-certified; CBP ruling N123456");
    let log = store.log_entries(1, i64::MAX).await.unwrap();
    let reviewed: Vec<_> = log.iter().filter(|e| e.action == "finding.reviewed").collect();
    assert_eq!(reviewed.len(), 2);
    assert_eq!(reviewed[1].actor, "olga");
    assert_eq!(reviewed[1].subject, format!("finding:{}", f.id));
}

/// Two reviewers act on the same version at once: one decision, one clear conflict, nothing lost.
async fn concurrent_reviews_conflict(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let r = run(&store, &demo_copy(&dir)).await;
    let f = finding(&store, &r.id, "CAL-BUS-2P", "DECLARED_ORIGIN_MISMATCH").await;
    let other = Store::open(&db).await.unwrap();
    let a = review(
        &f.id,
        Decision::Dismiss,
        "the mill certificate shows MX melt and pour",
        "ana",
        Role::Analyst,
        Some(f.version),
    );
    let b = review(&f.id, Decision::Accept, "", "ben", Role::Analyst, Some(f.version));
    let (ra, rb) = tokio::join!(store.review(&a), other.review(&b));
    let (winner, loser) = match (&ra, &rb) {
        (Ok(w), Err(l)) => ((w, "ana"), l),
        (Err(l), Ok(w)) => ((w, "ben"), l),
        other => panic!("expected one decision and one conflict, got {other:?}"),
    };
    assert!(matches!(loser, StoreError::Conflict { expected: 1, current: 2, .. }), "{loser}");
    let msg = loser.to_string();
    assert!(msg.starts_with("conflict:") && msg.contains(winner.1) && msg.contains("was not recorded"), "{msg}");
    let now = store.finding(&f.id).await.unwrap();
    assert_eq!((now.status.as_str(), now.version), (winner.0.status.as_str(), 2));
    let reviews = store.reviews(&f.id).await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].reviewer, winner.1);
    assert!(store.verify_log().await.unwrap().ok());
}

/// Later runs carry decisions over by fingerprint, open new findings when the facts change, and resolve
/// findings they no longer raise.
async fn decisions_carry_over(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let batch = demo_copy(&dir);
    let r1 = run(&store, &batch).await;
    let f = finding(&store, &r1.id, "CAL-BUS-2P", "DECLARED_ORIGIN_MISMATCH").await;
    store
        .review(&review(
            &f.id,
            Decision::Dismiss,
            "traced origin is wrong: lot relabelled in error",
            "ana",
            Role::Analyst,
            None,
        ))
        .await
        .unwrap();
    let r2 = run(&store, &batch).await;
    let g = finding(&store, &r2.id, "CAL-BUS-2P", "DECLARED_ORIGIN_MISMATCH").await;
    assert_eq!(g.fingerprint, f.fingerprint);
    assert_eq!(g.status, "dismissed");
    assert_eq!(g.carried_from.as_deref(), Some(f.id.as_str()));
    assert!(r2.completed.carried_over >= 1);
    // Facts change: GBX-6MT-PV's net cost drops, an RVC finding opens; accept it.
    edit(&batch, GBX_NC, &gbx_nc("1000.00"));
    let r3 = run(&store, &batch).await;
    let rvc = finding(&store, &r3.id, "GBX-6MT-PV", "RVC_BELOW_THRESHOLD").await;
    assert_eq!(rvc.status, "open");
    store
        .review(&review(&rvc.id, Decision::Accept, "confirmed with the cost accountant", "ana", Role::Analyst, None))
        .await
        .unwrap();
    // Different numbers: a new fingerprint, so the finding is open again; the accepted one is resolved.
    edit(&batch, &gbx_nc("1000.00"), &gbx_nc("1010.00"));
    let r4 = run(&store, &batch).await;
    let rvc4 = finding(&store, &r4.id, "GBX-6MT-PV", "RVC_BELOW_THRESHOLD").await;
    assert_ne!(rvc4.fingerprint, rvc.fingerprint);
    assert_eq!(rvc4.status, "open", "changed facts reopen the question");
    let old = store.finding(&rvc.id).await.unwrap();
    assert_eq!((old.status.as_str(), old.version), ("resolved", 3));
    assert!(r4.completed.resolved.contains(&rvc.id));
    let history = store.reviews(&rvc.id).await.unwrap();
    assert_eq!(history.last().map(|r| r.decision.as_str()), Some("resolve"));
    // Facts restored: the RVC finding is gone, so the open one is resolved too.
    edit(&batch, &gbx_nc("1010.00"), GBX_NC);
    let r5 = run(&store, &batch).await;
    assert_eq!(store.finding(&rvc4.id).await.unwrap().status, "resolved");
    assert!(r5.completed.resolved.contains(&rvc4.id));
    assert!(store.verify_log().await.unwrap().ok());
}

/// Certificates: only qualified goods without blocking findings in force; blanket periods; versions; a
/// later run withdraws the certificate of a good that no longer qualifies.
async fn certificates(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let batch = demo_copy(&dir);
    // Declared Mexican, the laundered bar makes CAL-BUS-2P's blocking findings while it still qualifies.
    edit(&batch, "origin: VN, supplier: \"Haiphong", "origin: MX, supplier: \"Haiphong");
    let r1 = run(&store, &batch).await;
    let issue = |good: &str, blanket: Option<(&str, &str)>| IssueRequest {
        run: r1.id.clone(),
        good: good.into(),
        blanket: blanket.map(|(a, b)| (a.parse().unwrap(), b.parse().unwrap())),
        actor: "carla".into(),
    };
    let e = store.issue_certificate(&issue("SB-FR-3PT", None)).await.unwrap_err();
    assert!(e.to_string().contains("only a qualified good"), "{e}");
    let e = store.issue_certificate(&issue("CAL-BUS-2P", None)).await.unwrap_err();
    assert!(e.to_string().contains("ORIGIN_LAUNDERING_SUSPECTED"), "{e}");
    let blocking = finding(&store, &r1.id, "CAL-BUS-2P", "ORIGIN_LAUNDERING_SUSPECTED").await;
    store.review(&review(&blocking.id, Decision::Accept, "", "ana", Role::Analyst, None)).await.unwrap();
    assert!(
        store.issue_certificate(&issue("CAL-BUS-2P", None)).await.is_err(),
        "an accepted blocking finding still blocks"
    );
    let all_blocking = store
        .findings(&FindingFilter {
            run: Some(r1.id.clone()),
            good: Some("CAL-BUS-2P".into()),
            severity: Some("blocking".into()),
            ..FindingFilter::default()
        })
        .await
        .unwrap();
    assert!(all_blocking.len() >= 2);
    for b in &all_blocking {
        store
            .review(&review(
                &b.id,
                Decision::Waive,
                "bar melted and poured in MX, verified on site, report V-2026-114",
                "olga",
                Role::Auditor,
                None,
            ))
            .await
            .unwrap();
    }
    let cal = store.issue_certificate(&issue("CAL-BUS-2P", None)).await.unwrap();
    assert_eq!((cal.status.as_str(), cal.version), ("issued", 1));
    let e = store.issue_certificate(&issue("GBX-6MT-PV", Some(("2026-01-01", "2027-01-31")))).await.unwrap_err();
    assert!(e.to_string().contains("blanket period"), "{e}");
    let v1 = store.issue_certificate(&issue("GBX-6MT-PV", Some(("2026-01-01", "2026-12-31")))).await.unwrap();
    assert_eq!(v1.draft.blanket_period.map(|b| b.start_date.to_string()).as_deref(), Some("2026-01-01"));
    let md = origin_engine::certificate::markdown(&v1.draft);
    assert!(md.contains("| 8. Blanket period | 2026-01-01 to 2026-12-31 |"), "{md}");
    let v2 = store.issue_certificate(&issue("GBX-6MT-PV", None)).await.unwrap();
    assert_eq!(v2.version, 2);
    let v1 = store.certificate(&v1.id).await.unwrap();
    assert_eq!(v1.status, "withdrawn");
    assert!(v1.withdrawn_reason.unwrap_or_default().contains("superseded by version 2"));
    // GBX-6MT-PV no longer qualifies in a later run: its certificate is withdrawn, and the run says so.
    edit(&batch, GBX_NC, &gbx_nc("1000.00"));
    let r2 = run(&store, &batch).await;
    let d = store.determinations(&r2.id).await.unwrap().into_iter().find(|d| d.good == "GBX-6MT-PV").unwrap();
    assert_ne!(d.outcome, origin_engine::audit::Outcome::Qualified);
    assert_eq!(r2.completed.withdrawn.len(), 1);
    assert_eq!(r2.completed.withdrawn[0].certificate, v2.id);
    let v2 = store.certificate(&v2.id).await.unwrap();
    assert_eq!((v2.status.as_str(), v2.withdrawn_by_run.as_deref()), ("withdrawn", Some(r2.id.as_str())));
    let summary = store.run(&r2.id).await.unwrap().summary.unwrap();
    assert_eq!(summary.withdrawn_certificates[0].certificate, v2.id);
    assert_eq!(store.certificate(&cal.id).await.unwrap().status, "issued", "CAL-BUS-2P still qualifies");
    let e = store.issue_certificate(&issue("WH-ENG-110", None)).await.unwrap_err();
    assert!(e.to_string().contains("issue from the latest run"), "{e}");
    assert!(store.verify_log().await.unwrap().ok());
}

/// `log verify` names an edited, a deleted and an inserted entry.
async fn log_verify_catches_tampering(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let r = run(&store, &demo_copy(&dir)).await;
    let f = finding(&store, &r.id, "CAL-BUS-2P", "DECLARED_ORIGIN_MISMATCH").await;
    store.review(&review(&f.id, Decision::Dismiss, "false positive", "ana", Role::Analyst, None)).await.unwrap();
    let ok = store.verify_log().await.unwrap();
    assert!(ok.ok() && ok.entries >= 4, "{:?}", ok.problems);
    let last = ok.head_seq;
    // Edit the review entry's reviewer directly in the database.
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = $1")
        .bind(last)
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.verify_log().await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!((report.problems[0].seq, report.problems[0].kind), (last, "edited"));
    assert!(
        report.problems[0].message.contains(&format!("entry {last} (finding.reviewed")),
        "{}",
        report.problems[0].message
    );
    sqlx::query("UPDATE audit_log SET actor = 'ana' WHERE seq = $1").bind(last).execute(store.pool()).await.unwrap();
    assert!(store.verify_log().await.unwrap().ok());
    // Delete an entry in the middle.
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(store.pool()).await.unwrap();
    let report = store.verify_log().await.unwrap();
    assert!(
        report.problems.iter().any(|p| p.seq == 2 && p.kind == "deleted" && p.message.contains("entry 2 is missing")),
        "{:?}",
        report.problems
    );
    // Append a forged entry after the head.
    sqlx::query("INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES ($1, 'x', 'mallory', 'finding.reviewed', 'finding:x', '{}', 'x', 'x')")
        .bind(last + 1)
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.verify_log().await.unwrap();
    assert!(report.problems.iter().any(|p| p.seq == last + 1 && p.kind == "inserted"), "{:?}", report.problems);
}

/// Runs `sql` with binds on the store's pool (a direct edit, as someone with database access makes it).
async fn sql(store: &Store, q: &str, binds: &[&str]) {
    let mut query = sqlx::query(q);
    for b in binds {
        query = query.bind(*b);
    }
    query.execute(store.pool()).await.unwrap_or_else(|e| panic!("{q}: {e}"));
}

/// Runs statements in order in one transaction on one connection (schema changes, as a script would).
async fn script(store: &Store, steps: &[&str]) {
    let mut tx = store.pool().begin().await.unwrap();
    for step in steps {
        sqlx::query(step).execute(&mut *tx).await.unwrap_or_else(|e| panic!("{step}: {e}"));
    }
    tx.commit().await.unwrap();
}

/// The problems of `log verify`, as `kind: message` lines, for assertions and failure output.
async fn problems(store: &Store) -> Vec<(i64, &'static str, String)> {
    store.verify_log().await.unwrap().problems.into_iter().map(|p| (p.seq, p.kind, p.message)).collect()
}

/// The `run.chunk_stored` entry that recorded `good`.
async fn chunk_entry_of(store: &Store, run: &str, good: &str) -> i64 {
    let log = store.log_entries(1, i64::MAX).await.unwrap();
    log.iter()
        .find(|e| {
            e.action == "run.chunk_stored"
                && e.subject == format!("run:{run}")
                && e.payload.contains(&format!("\"good\":\"{good}\""))
        })
        .unwrap_or_else(|| panic!("no chunk entry records {good}"))
        .seq
}

/// Issue 13 item 6: a direct `UPDATE findings SET status = 'waived'` or `UPDATE determinations SET
/// outcome = 'qualified'` is named by `log verify` (the entry that recorded the row, the row, the value)
/// and `certificate issue` refuses the good; putting the rows back makes both pass again.
async fn log_binds_the_data(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let batch = demo_copy(&dir);
    // Declared Mexican, CAL-BUS-2P qualifies but carries blocking ORIGIN_LAUNDERING_SUSPECTED findings.
    edit(&batch, "origin: VN, supplier: \"Haiphong", "origin: MX, supplier: \"Haiphong");
    let r = run(&store, &batch).await;
    let report = store.verify_log().await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!((report.rows.runs, report.rows.determinations), (1, 13));
    assert_eq!(report.rows.findings as i64, store.run(&r.id).await.unwrap().findings);
    assert_eq!(report.unbound_goods, 0, "a new store binds every good");
    let issue =
        |good: &str| IssueRequest { run: r.id.clone(), good: good.into(), blanket: None, actor: "carla".into() };

    // 1. The blocking findings waived in SQL, without a review.
    let cal = chunk_entry_of(&store, &r.id, "CAL-BUS-2P").await;
    sql(
        &store,
        "UPDATE findings SET status = 'waived' WHERE run_id = $1 AND good = 'CAL-BUS-2P' AND severity = 'blocking'",
        &[&r.id],
    )
    .await;
    let found = problems(&store).await;
    let blocking = store
        .findings(&FindingFilter {
            run: Some(r.id.clone()),
            good: Some("CAL-BUS-2P".into()),
            severity: Some("blocking".into()),
            ..FindingFilter::default()
        })
        .await
        .unwrap();
    assert!(blocking.len() >= 2);
    assert_eq!(found.len(), blocking.len(), "{found:#?}");
    for (b, (seq, kind, message)) in blocking.iter().zip(&found) {
        assert_eq!((*seq, *kind), (cal, "row-edited"), "{message}");
        assert!(
            message.contains(&format!("finding {} of good `CAL-BUS-2P`", b.id))
                && message.contains("is `waived` at version 1")
                && message.contains(&format!("entry {cal} (run.chunk_stored), left it `open` at version 1")),
            "{message}"
        );
    }
    let e = store.issue_certificate(&issue("CAL-BUS-2P")).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("refusing to certify good `CAL-BUS-2P`") && text.contains("is `waived` at version 1"),
        "{text}"
    );
    assert!(store.certificates(None).await.unwrap().is_empty(), "nothing was issued");
    sql(&store, "UPDATE findings SET status = 'open' WHERE run_id = $1 AND good = 'CAL-BUS-2P'", &[&r.id]).await;
    assert!(problems(&store).await.is_empty());

    // 2. A good that needs evidence made qualified in SQL (with a certificate draft copied from another
    //    good, and its blocking findings waived, so that every check of `certificate issue` passes).
    let cp = chunk_entry_of(&store, &r.id, "CP-HVAC-01").await;
    sql(&store, "UPDATE determinations SET outcome = 'qualified', draft = (SELECT draft FROM determinations WHERE run_id = $1 AND good = 'WH-IP-220') WHERE run_id = $1 AND good = 'CP-HVAC-01'", &[&r.id]).await;
    sql(&store, "UPDATE findings SET status = 'waived' WHERE run_id = $1 AND good = 'CP-HVAC-01'", &[&r.id]).await;
    let found = problems(&store).await;
    assert!(
        found.iter().any(|(seq, kind, m)| *seq == cp
            && *kind == "row-edited"
            && m.contains("the determination of good `CP-HVAC-01`")
            && m.contains(&format!("says `qualified`, but entry {cp} (run.chunk_stored) recorded `needs-evidence`"))),
        "{found:#?}"
    );
    let e = store.issue_certificate(&issue("CP-HVAC-01")).await.unwrap_err();
    assert!(e.to_string().contains("recorded `needs-evidence`"), "{e}");
    // The outcome put back but the draft left: the row's digest still differs.
    sql(
        &store,
        "UPDATE determinations SET outcome = 'needs-evidence' WHERE run_id = $1 AND good = 'CP-HVAC-01'",
        &[&r.id],
    )
    .await;
    sql(&store, "UPDATE findings SET status = 'open' WHERE run_id = $1 AND good = 'CP-HVAC-01'", &[&r.id]).await;
    let found = problems(&store).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].2.contains("no longer matches the digest entry") && found[0].2.contains("CP-HVAC-01"),
        "{found:#?}"
    );
    sql(&store, "UPDATE determinations SET draft = NULL WHERE run_id = $1 AND good = 'CP-HVAC-01'", &[&r.id]).await;
    assert!(problems(&store).await.is_empty());

    // 3. The content of a finding: a blocking finding made a warning.
    sql(
        &store,
        "UPDATE findings SET severity = 'warning' WHERE run_id = $1 AND good = 'CAL-BUS-2P' AND severity = 'blocking'",
        &[&r.id],
    )
    .await;
    let found = problems(&store).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].0, found[0].1), (cal, "row-edited"));
    assert!(found[0].2.contains("the findings of good `CAL-BUS-2P`"), "{found:#?}");
    for b in &blocking {
        sql(&store, "UPDATE findings SET severity = 'blocking' WHERE id = $1", &[&b.id]).await;
    }
    assert!(problems(&store).await.is_empty(), "{:#?}", problems(&store).await);

    // 4. Reviews, certificates and runs: legitimate changes verify; edits of their rows are named.
    for b in &blocking {
        store
            .review(&review(&b.id, Decision::Waive, "verified on site, report V-2026-114", "olga", Role::Auditor, None))
            .await
            .unwrap();
    }
    let cert = store.issue_certificate(&issue("CAL-BUS-2P")).await.unwrap();
    let report = store.verify_log().await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!((report.rows.reviews, report.rows.certificates), (blocking.len(), 1));
    let review_seq = report.head_seq - 1;
    sql(
        &store,
        "UPDATE reviews SET note = 'no reason needed' WHERE finding_id = $1",
        &[&blocking[blocking.len() - 1].id],
    )
    .await;
    sql(
        &store,
        "UPDATE certificates SET draft = replace(draft, 'CAL-BUS-2P', 'CAL-BUS-9X') WHERE id = $1",
        &[&cert.id],
    )
    .await;
    sql(&store, "UPDATE runs SET status = 'running' WHERE id = $1", &[&r.id]).await;
    let found = problems(&store).await;
    assert_eq!(found.len(), 3, "{found:#?}");
    let review_row = &found.iter().find(|p| p.2.contains("review ")).unwrap();
    assert_eq!((review_row.0, review_row.1), (review_seq, "row-edited"), "{found:#?}");
    let cert_row = &found.iter().find(|p| p.2.contains(&format!("certificate {}", cert.id))).unwrap();
    assert_eq!((cert_row.0, cert_row.1), (review_seq + 1, "row-edited"), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|p| p.2.contains(&format!("run {} is `running`", r.id)) && p.2.contains("left it `completed`")),
        "{found:#?}"
    );
    // A review row deleted, a certificate row forged.
    sql(&store, "DELETE FROM reviews WHERE finding_id = $1", &[&blocking[0].id]).await;
    sql(&store, "INSERT INTO certificates (id, batch, good, run_id, version, status, draft, issued_by, issued_at) SELECT 'forged', batch, 'SB-FR-3PT', run_id, 1, 'issued', draft, 'mallory', issued_at FROM certificates WHERE id = $1", &[&cert.id]).await;
    let found = problems(&store).await;
    assert!(
        found.iter().any(|p| p.1 == "row-deleted" && p.2.contains(&format!("of finding {}", blocking[0].id))),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| (p.0, p.1) == (0, "row-inserted") && p.2.contains("certificate forged")),
        "{found:#?}"
    );
}

/// Puts the chain back together after edits of entries (as someone who can write the database can):
/// every `prev_hash` and `hash` recomputed from entry 1, and the head set to the last entry.
async fn rehash(store: &Store) {
    let mut prev = "0".repeat(64);
    for mut e in store.log_entries(1, i64::MAX).await.unwrap() {
        e.prev_hash = prev;
        e.hash = e.expected_hash(&e.prev_hash);
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .bind(e.seq)
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE log_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(e.seq)
            .bind(&e.hash)
            .execute(store.pool())
            .await
            .unwrap();
        prev = e.hash;
    }
}

/// An anchor kept outside the database catches what the chain cannot: a log cut short with its head set
/// back, and a log rebuilt whole after an edit.
async fn anchor_catches_truncation_and_rebuild(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let r = run(&store, &demo_copy(&dir)).await;
    let f = finding(&store, &r.id, "CAL-BUS-2P", "DECLARED_ORIGIN_MISMATCH").await;
    store.review(&review(&f.id, Decision::Dismiss, "false positive", "ana", Role::Analyst, None)).await.unwrap();
    let head = store.verify_log().await.unwrap();
    assert!(head.ok(), "{:?}", head.problems);
    let anchor: origin_store::Anchor = format!("{}:{}", head.head_seq, head.head_hash).parse().unwrap();
    let checked = store.verify_log_anchored(Some(&anchor)).await.unwrap();
    assert!(checked.ok() && checked.anchor.as_deref() == Some(anchor.to_string().as_str()), "{:?}", checked.problems);

    // Truncated: the review's entry and row removed, the finding set back, the head moved back.
    let last = store.log_entries(head.head_seq - 1, head.head_seq - 1).await.unwrap().remove(0);
    sql(&store, "DELETE FROM reviews WHERE finding_id = $1", &[&f.id]).await;
    sql(&store, "UPDATE findings SET status = 'open', version = 1 WHERE id = $1", &[&f.id]).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = $1").bind(head.head_seq).execute(store.pool()).await.unwrap();
    sqlx::query("UPDATE log_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last.seq)
        .bind(&last.hash)
        .execute(store.pool())
        .await
        .unwrap();
    assert!(problems(&store).await.is_empty(), "without the anchor a clean cut is not seen");
    let report = store.verify_log_anchored(Some(&anchor)).await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!((report.problems[0].seq, report.problems[0].kind), (anchor.seq, "truncated"));
    assert!(
        report.problems[0].message.contains(&format!("the log ends at entry {}", last.seq)),
        "{}",
        report.problems[0].message
    );

    // Rebuilt: the run's first entry edited and every hash after it recomputed, head included.
    sql(&store, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", &[]).await;
    rehash(&store).await;
    assert!(problems(&store).await.is_empty(), "without the anchor a rebuilt chain is not seen");
    let later: origin_store::Anchor = format!("{}:{}", last.seq, last.hash).parse().unwrap();
    let report = store.verify_log_anchored(Some(&later)).await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!((report.problems[0].seq, report.problems[0].kind), (later.seq, "rewritten"));
    assert!(report.problems[0].message.contains("the log was rebuilt"), "{}", report.problems[0].message);
}

/// `export RUN DIR`: inputs and rules as used with their digests, determinations, findings with
/// reviews, certificates, the log segment.
async fn export_package(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let r = run(&store, &demo_copy(&src)).await;
    let f = finding(&store, &r.id, "CAL-BUS-2P", "DECLARED_ORIGIN_MISMATCH").await;
    store.review(&review(&f.id, Decision::Dismiss, "false positive", "ana", Role::Analyst, None)).await.unwrap();
    store
        .issue_certificate(&IssueRequest {
            run: r.id.clone(),
            good: "WH-ENG-110".into(),
            blanket: None,
            actor: "carla".into(),
        })
        .await
        .unwrap();
    let out = dir.join("package");
    origin_store::export_run(&store, &r.id, &out).await.unwrap();
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let mut n = 0;
    for line in sums.lines() {
        let (digest, name) = line.split_once("  ").unwrap();
        assert_eq!(origin_store::sha256_hex(&std::fs::read(out.join(name)).unwrap()), digest, "{name}");
        n += 1;
    }
    assert!(n > 5);
    assert_eq!(std::fs::read(out.join("inputs/batch.yaml")).unwrap(), std::fs::read(src.join("batch.yaml")).unwrap());
    assert!(out.join("inputs/bom-electrical.csv").is_file());
    assert!(out.join("rules/pack.yaml").is_file());
    let json = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    assert_eq!(json("run.json")["run"]["id"], r.id.as_str());
    assert_eq!(
        json("determinations.json").as_array().unwrap().len() as i64,
        store.run(&r.id).await.unwrap().goods_total
    );
    let findings = json("findings.json");
    let reviewed = findings.as_array().unwrap().iter().find(|x| x["id"] == f.id.as_str()).unwrap();
    assert_eq!(reviewed["reviews"][0]["reviewer"], "ana");
    assert_eq!(json("certificates.json").as_array().unwrap().len(), 1);
    let log = json("log.json");
    let actions: Vec<&str> = log.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(
        actions.contains(&"run.started")
            && actions.contains(&"finding.reviewed")
            && actions.contains(&"certificate.issued"),
        "{actions:?}"
    );
    assert!(origin_store::export_run(&store, &r.id, &out).await.is_err(), "never exports over an existing package");
}

/// Three workers share one run through PostgreSQL while a fourth dies holding a chunk: every good is
/// stored exactly once and the result equals a single-process run.
async fn workers_share_a_run(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let demo = demo_copy(&dir);
    let spec = origin_engine::r#gen::GenSpec { goods: 150, lines: 8, seed: 11, events: 0 };
    let big = dir.join("synthetic.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    origin_engine::r#gen::write_batch(&spec, &mut f).unwrap();
    drop(f);
    let mut req = request(&demo, 7);
    req.batches.push(big);
    let single = runner::start(&store, &req, Arc::new(Progress::default()), &mut Discard).await.unwrap();
    let id = origin_store::worker::queue(&store, &req).await.unwrap();
    // A worker that claims the first chunk and dies before committing.
    let mut dead = store.pool().begin().await.unwrap();
    let held = sqlx::query(
        "SELECT ordinal FROM run_goods WHERE run_id = $1 AND done = 0 ORDER BY ordinal LIMIT 7 FOR UPDATE SKIP LOCKED",
    )
    .bind(&id)
    .fetch_all(&mut *dead)
    .await
    .unwrap();
    assert_eq!(held.len(), 7);
    let workers: Vec<_> = (0..3)
        .map(|i| {
            let (db, id) = (db.clone(), id.clone());
            tokio::spawn(async move {
                let s = Store::open(&db).await.unwrap();
                origin_store::worker::work(&s, Some(&id), &format!("worker-{i}"), 5, Arc::new(Progress::default()))
                    .await
                    .unwrap()
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(store.run(&id).await.unwrap().status, "running", "the held goods keep the run open");
    dead.rollback().await.unwrap();
    let mut reports = Vec::new();
    for w in workers {
        reports.push(w.await.unwrap());
    }
    let total: usize = reports.iter().map(|r| r.goods).sum();
    let row = store.run(&id).await.unwrap();
    assert_eq!(row.status, "completed");
    assert_eq!(total as i64, row.goods_total, "each good audited exactly once");
    assert_eq!(reports.iter().filter(|r| r.completed.is_some()).count(), 1, "one final commit");
    assert!(
        reports.iter().filter(|r| r.goods > 0).count() >= 2,
        "the goods were shared: {:?}",
        reports.iter().map(|r| r.goods).collect::<Vec<_>>()
    );
    let key = |d: origin_store::DeterminationRow| (format!("{}/{}", d.batch, d.good), d.digest);
    let a: BTreeMap<_, _> = store.determinations(&single.id).await.unwrap().into_iter().map(key).collect();
    let b: BTreeMap<_, _> = store.determinations(&id).await.unwrap().into_iter().map(key).collect();
    assert_eq!(a.len() as i64, row.goods_total);
    assert!(a == b, "workers give the single-process result");
    assert_eq!(
        (row.qualified, row.findings),
        (store.run(&single.id).await.unwrap().qualified, store.run(&single.id).await.unwrap().findings)
    );
    assert!(store.verify_log().await.unwrap().ok());
}

/// A fresh SQLite store with the demo run in it (its log has 3 entries).
async fn sqlite_demo() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.db").display().to_string()).await.unwrap();
    run(&store, &demo_copy(dir.path())).await;
    (dir, store)
}

/// Issue 13 item 6: the log's columns are strictly typed. A `seq` stored as TEXT sorted after every
/// number and escaped `log verify`; a REAL `seq` or a BLOB payload made it fail to read (exit 2). SQLite
/// now refuses all three.
#[tokio::test]
async fn sqlite_log_columns_are_strictly_typed() {
    let (_dir, store) = sqlite_demo().await;
    for (what, insert) in [
        (
            "a TEXT seq",
            "INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES ('4x', 'x', 'mallory', 'finding.reviewed', 'finding:x', '{}', 'x', 'x')",
        ),
        (
            "a REAL seq",
            "INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (3.5, 'x', 'mallory', 'finding.reviewed', 'finding:x', '{}', 'x', 'x')",
        ),
        (
            "a BLOB payload",
            "INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (99, 'x', 'mallory', 'finding.reviewed', 'finding:x', X'7B7D', 'x', 'x')",
        ),
    ] {
        let e = sqlx::query(insert).execute(store.pool()).await.expect_err(what).to_string();
        assert!(e.contains("datatype mismatch") || e.contains("cannot store"), "{what}: {e}");
    }
    let e = sqlx::query("UPDATE audit_log SET payload = CAST(payload AS BLOB) WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cannot store BLOB value in TEXT column"), "{e}");
    assert!(store.verify_log().await.unwrap().ok());
}

/// The same reproductions on a log table someone replaced by an untyped one: `log verify` names each
/// wrong-typed entry (and the lost typing) instead of skipping it or failing to read.
#[tokio::test]
async fn sqlite_wrong_typed_entries_in_a_replaced_table_are_named() {
    let (_dir, store) = sqlite_demo().await;
    script(
        &store,
        &[
            "CREATE TABLE lax (seq, at, actor, action, subject, payload, prev_hash, hash)",
            "INSERT INTO lax SELECT * FROM audit_log",
            "DROP TABLE audit_log",
            "ALTER TABLE lax RENAME TO audit_log",
        ],
    )
    .await;
    let found = problems(&store).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].1, "schema");
    // A forged entry whose seq is TEXT: before, it sorted after every number and was never read.
    sql(
        &store,
        "INSERT INTO audit_log VALUES ('4x', 'x', 'mallory', 'finding.reviewed', 'finding:x', '{}', 'x', 'x')",
        &[],
    )
    .await;
    let found = problems(&store).await;
    assert!(
        found.iter().any(|p| p.1 == "malformed"
            && p.2.contains("seq '4x' (finding.reviewed finding:x)")
            && p.2.contains("seq is text, not integer")),
        "{found:#?}"
    );
    // A REAL seq and a BLOB payload: named, where reading them made `log verify` fail.
    sql(
        &store,
        "INSERT INTO audit_log VALUES (3.5, 'x', 'mallory', 'finding.reviewed', 'finding:y', '{}', 'x', 'x')",
        &[],
    )
    .await;
    sql(&store, "UPDATE audit_log SET payload = CAST(payload AS BLOB) WHERE seq = 2", &[]).await;
    let report = store.verify_log().await.unwrap();
    let found: Vec<_> = report.problems.iter().map(|p| (p.seq, p.kind, p.message.as_str())).collect();
    assert!(
        found.iter().any(|p| p.1 == "malformed" && p.2.contains("seq 3.5") && p.2.contains("seq is real")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| (p.0, p.1) == (2, "malformed")
            && p.2.contains("seq 2 (run.chunk_stored")
            && p.2.contains("payload is blob, not text")),
        "{found:#?}"
    );
    assert!(!report.ok());
}

/// A store made by a version before data binding: migration 0007 keeps its entries (and moves a
/// wrong-typed one aside, named by `log verify`), marks where binding starts, and `log verify` still
/// checks what the old entries hold: outcomes, finding ids and states.
#[tokio::test]
async fn sqlite_store_from_before_binding_migrates_and_verifies() {
    let (_dir, store) = sqlite_demo().await;
    let f =
        store.findings(&FindingFilter { good: Some("CAL-BUS-2P".into()), ..FindingFilter::default() }).await.unwrap();
    store.review(&review(&f[0].id, Decision::Dismiss, "false positive", "ana", Role::Analyst, None)).await.unwrap();
    // Back to the shape of an older store: payloads without digests, the log tables as 0001 made them.
    for e in store.log_entries(1, i64::MAX).await.unwrap() {
        let mut p: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
        for g in p.get_mut("goods").and_then(|g| g.as_array_mut()).into_iter().flatten() {
            let g = g.as_object_mut().unwrap();
            g.remove("row_digest");
            g.remove("findings_digest");
        }
        let o = p.as_object_mut().unwrap();
        o.remove("review");
        o.remove("review_digest");
        sql(&store, "UPDATE audit_log SET payload = $1 WHERE seq = $2", &[&p.to_string(), &e.seq.to_string()]).await;
    }
    rehash(&store).await;
    let before = store.verify_log().await.unwrap().head_seq;
    script(&store, &[
        "CREATE TABLE old_log (seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
        "INSERT INTO old_log SELECT * FROM audit_log",
        "DROP TABLE audit_log",
        "ALTER TABLE old_log RENAME TO audit_log",
        "CREATE TABLE old_head (id BIGINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL, touched_at TEXT NOT NULL)",
        "INSERT INTO old_head SELECT * FROM log_head",
        "DROP TABLE log_head",
        "ALTER TABLE old_head RENAME TO log_head",
        "DROP TABLE log_binding",
        "DROP TABLE audit_log_malformed",
        "DELETE FROM _sqlx_migrations WHERE version = 7",
        // What the old schema let in: a forged entry with a TEXT seq.
        "INSERT INTO audit_log VALUES ('9x', 'x', 'mallory', 'finding.reviewed', 'finding:x', '{}', 'x', 'x')",
    ]).await;
    let path = store.location().to_string();
    store.close().await;
    let store = Store::open(&path).await.unwrap();
    let report = store.verify_log().await.unwrap();
    assert_eq!(report.bound_from, before + 1, "binding starts after the old entries");
    assert_eq!(report.unbound_goods, 13);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].kind, "malformed");
    assert!(
        report.problems[0].message.contains("seq '9x'")
            && report.problems[0].message.contains("moved to audit_log_malformed"),
        "{:?}",
        report.problems
    );
    sql(&store, "DELETE FROM audit_log_malformed", &[]).await;
    assert!(problems(&store).await.is_empty());
    // The old entries still bind the outcome and the finding states.
    sql(&store, "UPDATE determinations SET outcome = 'qualified' WHERE good = 'CP-HVAC-01'", &[]).await;
    sql(&store, "UPDATE findings SET status = 'waived' WHERE id = $1", &[&f[0].id]).await;
    let found = problems(&store).await;
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found.iter().any(|p| p.2.contains("CP-HVAC-01") && p.2.contains("recorded `needs-evidence`")),
        "{found:#?}"
    );
    assert!(found.iter().any(|p| p.0 == before && p.2.contains("left it `dismissed` at version 2")), "{found:#?}");
    sql(&store, "UPDATE determinations SET outcome = 'needs-evidence' WHERE good = 'CP-HVAC-01'", &[]).await;
    sql(&store, "UPDATE findings SET status = 'dismissed' WHERE id = $1", &[&f[0].id]).await;
    // New entries are bound: a review after the migration carries its digest.
    let g =
        store.findings(&FindingFilter { good: Some("SB-FR-3PT".into()), ..FindingFilter::default() }).await.unwrap();
    store.review(&review(&g[0].id, Decision::Accept, "", "ana", Role::Analyst, None)).await.unwrap();
    let last = store.log_entries(before + 1, before + 1).await.unwrap().remove(0);
    assert!(last.payload.contains("\"review_digest\""), "{}", last.payload);
    assert!(problems(&store).await.is_empty());
    sql(&store, "UPDATE reviews SET reviewer = 'olga' WHERE finding_id = $1", &[&g[0].id]).await;
    let found = problems(&store).await;
    assert!(found.len() == 1 && found[0].0 == before + 1 && found[0].1 == "row-edited", "{found:#?}");
}

/// Workers need PostgreSQL; on SQLite they say so.
#[tokio::test]
async fn workers_refuse_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.db").display().to_string()).await.unwrap();
    let e = origin_store::worker::work(&store, None, "w", 5, Arc::new(Progress::default())).await.unwrap_err();
    assert!(e.to_string().contains("needs PostgreSQL"), "{e}");
}

/// A what-if scenario (docs/scenarios.md) re-audits a stored run from the store's blobs (the batch files
/// are deleted first) and stores the goods that change, linked to the base run. The demo batch under the
/// Chinese content cap: 7 goods change, 2 qualify, 10 do not, 1 needs evidence (hand-worked in
/// fixtures/demo/EXPECTED-scenarios.md); the base run and the audit log are untouched.
async fn what_if_scenario_runs(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let batch = demo_copy(&dir);
    let r = run(&store, &batch).await;
    for e in std::fs::read_dir(&dir).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let before = digests(&store, &r.id).await;
    let s = origin_rules::scenario::load_scenario(&repo().join("scenarios/cn-content-cap-10.yaml")).unwrap();
    let row = store.run_scenario(&s, &r.id, "tester", Some(1)).await.unwrap();
    assert_eq!((row.goods, row.qualified, row.not_qualified, row.needs_evidence, row.changed), (13, 2, 10, 1, 7));
    assert_eq!(row.base_run, r.id);
    assert_eq!(store.scenario_runs(Some(&r.id)).await.unwrap(), vec![row.clone()]);
    assert_eq!(store.scenario_run(&row.id).await.unwrap(), row);
    assert_eq!(store.scenario_content(&row.id).await.unwrap(), s.text);
    let goods = store.scenario_goods(&row.id).await.unwrap();
    let cal = goods.iter().find(|g| g.good == "CAL-BUS-2P").unwrap();
    assert_eq!(cal.outcome, origin_engine::audit::Outcome::NotQualified);
    assert_eq!(cal.customs_value, Some("93.80".parse().unwrap()));
    assert_eq!(cal.fix_lines.len(), 1);
    assert_eq!(
        (cal.fix_lines[0].line.as_str(), cal.fix_lines[0].origin.as_deref()),
        ("L01", Some("CN")),
        "traced, not declared VN"
    );
    assert!(cal.codes.contains(&"CONTENT_CAP_EXCEEDED".to_string()));
    assert_eq!(digests(&store, &r.id).await, before, "the base run is not changed");
    assert!(store.verify_log().await.unwrap().ok());
    // A scenario that does not apply to the run's pack is refused with its located problems.
    let bad = origin_rules::scenario::parse_scenario(
        Path::new("bad.yaml"),
        "id: x\ntitle: x\nbasis: { kind: hypothetical, note: x }\neffective_from: 2026-07-01\npack: usmca\noverlays:\n  - remove_alternatives: { rule: no-such-rule, labels: [A] }\n",
    )
    .unwrap();
    match store.run_scenario(&bad, &r.id, "tester", Some(1)).await {
        Err(origin_store::scenarios::ScenarioError::Scenario(d)) => {
            assert_eq!((d[0].code, d[0].line), ("unknown-rule", Some(7)))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.scenario_runs(None).await.unwrap().len(), 1);
}

/// Issue 13: sign-in sessions were logged nowhere and not bound, so a session row inserted in SQL
/// signed its holder in as any user (an admin) with `log verify` "intact". Now opening and closing a
/// session are log entries carrying the row's digest, and `log verify` names a session no entry opened,
/// one edited (made someone else's), and one put back after sign-out.
async fn sessions_are_bound_in_the_log(db: String, _dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let (_, ana_token) = store.add_user("ana", origin_store::UserRole::Analyst, "setup").await.unwrap();
    store.add_user("ada", origin_store::UserRole::Admin, "setup").await.unwrap();
    let (cookie, _) = store.open_session("ana", &ana_token).await.unwrap().unwrap();
    let report = store.verify_log().await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.rows.sessions, 1);
    let log = store.log_entries(1, i64::MAX).await.unwrap();
    let opened = log.iter().find(|e| e.action == "session.opened").expect("a session.opened entry");
    assert_eq!(opened.actor, "ana");
    assert!(!opened.payload.contains("csrf"), "the session's secret is not in the log: {}", opened.payload);

    // 1. A session inserted in SQL for the admin: it signs its holder in, and is named.
    sql(
        &store,
        "INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at) VALUES ('forged', 'ada', 'x', '2026-01-01T00:00:00.000000Z', '2999-01-01T00:00:00.000000Z')",
        &[],
    )
    .await;
    let found = problems(&store).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (0, "row-inserted"));
    assert!(found[0].2.contains("a session of `ada`"), "{found:?}");
    sql(&store, "DELETE FROM sessions WHERE id_hash = 'forged'", &[]).await;
    assert!(problems(&store).await.is_empty());

    // 2. Ana's session made the admin's.
    sql(&store, "UPDATE sessions SET user_name = 'ada'", &[]).await;
    let found = problems(&store).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (opened.seq, "row-edited"));
    sql(&store, "UPDATE sessions SET user_name = 'ana'", &[]).await;
    assert!(problems(&store).await.is_empty());

    // 3. Signed out (an entry), then the row put back as it was.
    let row = sqlx::query("SELECT id_hash, csrf, created_at, expires_at FROM sessions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let cols: Vec<String> = ["id_hash", "csrf", "created_at", "expires_at"]
        .iter()
        .map(|c| sqlx::Row::try_get::<String, _>(&row, *c).unwrap())
        .collect();
    store.close_session(&cookie).await.unwrap();
    let report = store.verify_log().await.unwrap();
    assert!(report.ok() && report.rows.sessions == 0, "{:?}", report.problems);
    assert_eq!(store.log_entries(1, i64::MAX).await.unwrap().last().unwrap().action, "session.closed");
    sql(
        &store,
        "INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at) VALUES ($1, 'ana', $2, $3, $4)",
        &[&cols[0], &cols[1], &cols[2], &cols[3]],
    )
    .await;
    let found = problems(&store).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "row-inserted");
}

// ---------------------------------------------------------------------------------------------------
// The same scenarios on both databases.

/// Determinations are kept compressed (migration 0011): the text column is left empty, the log binds the
/// JSON itself, so damaged compressed bytes are named by `log verify` like any edit; a row kept the older
/// way (text, no compressed bytes) is read and verifies as before.
async fn compressed_determinations(db: String, dir: PathBuf) {
    use sqlx::Row as _;
    let store = Store::open(&db).await.unwrap();
    let r = run(&store, &demo_copy(&dir)).await;
    let before = store.determination(&r.id, "demo-nl-autoparts-2026-11", "CP-HVAC-01").await.unwrap();
    let row = sqlx::query(
        "SELECT determination, determination_z FROM determinations WHERE run_id = $1 AND good = 'CP-HVAC-01'",
    )
    .bind(&r.id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(row.try_get::<String, _>("determination").unwrap(), "");
    let z: Vec<u8> = row.try_get("determination_z").unwrap();
    let text = String::from_utf8(zstd::bulk::decompress(&z, 1 << 20).unwrap()).unwrap();
    assert!(text.len() > 4 * z.len(), "{} bytes kept as {}", text.len(), z.len());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        serde_json::to_value(&before.determination).unwrap()
    );

    // The compressed bytes cut short: reading says so, and `log verify` names the good's row.
    let cp = chunk_entry_of(&store, &r.id, "CP-HVAC-01").await;
    sql(&store, "UPDATE determinations SET determination_z = substring(determination_z, 1, 12) WHERE run_id = $1 AND good = 'CP-HVAC-01'", &[&r.id]).await;
    let e = store.determination(&r.id, "demo-nl-autoparts-2026-11", "CP-HVAC-01").await.unwrap_err().to_string();
    assert!(e.contains("a determination") && e.contains("damaged"), "{e}");
    let found = problems(&store).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].0, found[0].1), (cp, "row-edited"));
    assert!(found[0].2.contains("the determination of good `CP-HVAC-01`"), "{found:#?}");

    // The row as a store from before migration 0011 keeps it: the same JSON as text, no compressed bytes.
    sql(&store, "UPDATE determinations SET determination = $2, determination_z = NULL WHERE run_id = $1 AND good = 'CP-HVAC-01'", &[&r.id, &text]).await;
    assert!(problems(&store).await.is_empty(), "{:#?}", problems(&store).await);
    let after = store.determination(&r.id, "demo-nl-autoparts-2026-11", "CP-HVAC-01").await.unwrap();
    assert_eq!(serde_json::to_value(&after).unwrap(), serde_json::to_value(&before).unwrap());
    // Its text edited (one word of the summary inside the JSON): named, as any edit is.
    let edited = text.replacen("needs", "lacks", 1);
    assert_ne!(edited, text);
    sql(
        &store,
        "UPDATE determinations SET determination = $2 WHERE run_id = $1 AND good = 'CP-HVAC-01'",
        &[&r.id, &edited],
    )
    .await;
    let found = problems(&store).await;
    assert_eq!((found.len(), found[0].0), (1, cp), "{found:#?}");
}

scenarios_on_both!(
    postgres_suite,
    "store suite",
    [
        run_is_stored,
        killed_run_resumes,
        reruns_reproduce,
        review_workflow,
        concurrent_reviews_conflict,
        decisions_carry_over,
        certificates,
        log_verify_catches_tampering,
        log_binds_the_data,
        anchor_catches_truncation_and_rebuild,
        sessions_are_bound_in_the_log,
        export_package,
        what_if_scenario_runs,
        compressed_determinations,
    ],
    postgres_only: [workers_share_a_run],
);
