//! The store test suite: every scenario runs on SQLite (one test each) and on PostgreSQL (one test that
//! starts a throwaway cluster and runs every scenario on a fresh database).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use origin_engine::run::{Progress, RunOptions};
use origin_engine::sink::{GoodResult, ResultSink, run_into};
use origin_rules::RuleSet;
use origin_store::runner::{self, RunRequest, StoredRun};
use origin_store::{
    Decision, FindingFilter, FindingRow, IssueRequest, ReviewRequest, Role, RunSink, Store, StoreError,
};

use common::{PgCluster, demo_copy, repo};

fn rules() -> Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES
        .get_or_init(|| Arc::new(origin_rules::load_pack(&rules_dir()).rules.expect("the bundled rule pack loads")))
        .clone()
}

fn rules_dir() -> PathBuf {
    repo().join("rules/usmca")
}

fn request(batch: &Path, chunk: usize) -> RunRequest {
    RunRequest {
        batches: vec![batch.to_path_buf()],
        pack: rules_dir().into(),
        opts: RunOptions { as_of: None, threads: Some(1) },
        actor: "tester".into(),
        chunk,
        bom_scope: Default::default(),
        upload_dir: None,
    }
}

async fn run(store: &Store, batch: &Path) -> StoredRun {
    runner::start(store, rules(), &request(batch, 4), Arc::new(Progress::default())).await.unwrap()
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
    assert_eq!(d.determination["outcome"], "qualified");
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
    async fn stored(&mut self) -> Result<std::collections::HashSet<(String, String)>, StoreError> {
        self.inner.stored().await
    }
    async fn write_chunk(&mut self, goods: &[GoodResult<'_>]) -> Result<(), StoreError> {
        if self.left == 0 {
            return Err(StoreError::Invalid("killed".into()));
        }
        self.left -= 1;
        self.inner.write_chunk(goods).await
    }
}

/// A run killed between chunks stays `running` with whole goods only; `resume` finishes it without
/// duplicates, and the result equals an uninterrupted run's (by digest).
async fn killed_run_resumes(db: String, dir: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let batch = demo_copy(&dir);
    let whole = run(&store, &batch).await;
    let req = request(&batch, 3);
    let (id, batches) = runner::begin(&store, &rules(), &req).await.unwrap();
    let mut sink = Killed { inner: RunSink { store: &store, run: id.clone(), actor: "tester".into() }, left: 2 };
    let err = run_into(rules(), batches, req.opts.clone(), Arc::new(Progress::default()), &mut sink, 3).await;
    assert!(err.is_err());
    let row = store.run(&id).await.unwrap();
    assert_eq!(row.status, "running", "a killed run never shows as completed");
    assert_eq!(row.goods_done, 6);
    assert_eq!(store.determinations(&id).await.unwrap().len(), 6);
    assert!(row.summary.is_none());
    let resumed = runner::resume(&store, rules(), &id, &rules_dir().into(), "tester", Arc::new(Progress::default()))
        .await
        .unwrap();
    assert_eq!(resumed.skipped, 6);
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
    let again =
        runner::resume(&store, rules(), &id, &rules_dir().into(), "tester", Arc::new(Progress::default())).await;
    assert!(matches!(again, Err(runner::RunnerError::Store(StoreError::Invalid(_)))));
    let (id2, _) = runner::begin(&store, &rules(), &req).await.unwrap();
    edit(&batch, GBX_NC, &gbx_nc("1000.00"));
    let changed =
        runner::resume(&store, rules(), &id2, &rules_dir().into(), "tester", Arc::new(Progress::default())).await;
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
    assert_eq!(v1.draft["blanketPeriod"]["startDate"], "2026-01-01");
    let md = origin_engine::certificate::markdown(&origin_store::draft_from_json(&v1.draft).unwrap());
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
    assert_ne!(d.outcome, "qualified");
    assert_eq!(r2.completed.withdrawn.len(), 1);
    assert_eq!(r2.completed.withdrawn[0].certificate, v2.id);
    let v2 = store.certificate(&v2.id).await.unwrap();
    assert_eq!((v2.status.as_str(), v2.withdrawn_by_run.as_deref()), ("withdrawn", Some(r2.id.as_str())));
    let summary = store.run(&r2.id).await.unwrap().summary.unwrap();
    assert_eq!(summary["withdrawn_certificates"][0]["certificate"], v2.id.as_str());
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
    let single = runner::start(&store, rules(), &req, Arc::new(Progress::default())).await.unwrap();
    let id = origin_store::worker::queue(&store, &rules(), &req).await.unwrap();
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

/// Workers need PostgreSQL; on SQLite they say so.
#[tokio::test]
async fn workers_refuse_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.db").display().to_string()).await.unwrap();
    let e = origin_store::worker::work(&store, None, "w", 5, Arc::new(Progress::default())).await.unwrap_err();
    assert!(e.to_string().contains("needs PostgreSQL"), "{e}");
}

// ---------------------------------------------------------------------------------------------------
// The same scenarios on both databases.

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let db = dir.path().join("audit.db").display().to_string();
                    let work = dir.path().join("work");
                    std::fs::create_dir_all(&work).unwrap();
                    super::$name(db, work).await;
                }
            )*
        }

        /// Every scenario on a throwaway PostgreSQL cluster, each on a fresh database.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres_suite() {
            let Some(cluster) = PgCluster::start_or_skip("store suite") else { return };
            $(
                let dir = tempfile::tempdir().unwrap();
                let db = cluster.fresh_db().await;
                eprintln!("postgres: {}", stringify!($name));
                $name(db, dir.path().to_path_buf()).await;
            )*
            let dir = tempfile::tempdir().unwrap();
            eprintln!("postgres: workers_share_a_run");
            workers_share_a_run(cluster.fresh_db().await, dir.path().to_path_buf()).await;
        }
    };
}

scenarios!(
    run_is_stored,
    killed_run_resumes,
    reruns_reproduce,
    review_workflow,
    concurrent_reviews_conflict,
    decisions_carry_over,
    certificates,
    log_verify_catches_tampering,
    export_package,
);
