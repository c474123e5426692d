//! Issue 14 item 3: findings are identified by their facts, never by their prose. A run is stored and
//! two of its findings are reviewed; a second run of the same batch is stored with every finding
//! reworded (other crates' sentences in its facts changed and re-rendered, and the engine's own
//! message and remedy reworded): the decisions carry over. A finding whose facts changed does not carry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use std::path::Path;
use std::sync::Arc;

use origin_engine::finding::{CaveatOn, Facts, Finding, Mismatch, MissingFact};
use origin_engine::run::{GoodReport, Progress, RunOptions};
use origin_engine::sink::{Discard, GoodResult, Prep, ResultSink, no_prep, run_job};
use origin_store::runner::{self, RunPack, RunRequest};
use origin_store::{Decision, FindingFilter, FindingRow, ReviewRequest, Role, RunSink, Store, StoreError};

use common::{demo_copy, repo};

fn request(batch: &Path) -> RunRequest {
    RunRequest {
        batches: vec![batch.to_path_buf()],
        pack: RunPack::load(repo().join("rules/usmca").into()).unwrap(),
        opts: RunOptions { as_of: None, threads: Some(1) },
        actor: "tester".into(),
        chunk: 4,
        bom_scope: Default::default(),
        upload_dir: None,
    }
}

async fn finding(store: &Store, run: &str, good: &str, code: &str) -> FindingRow {
    let f = FindingFilter {
        run: Some(run.into()),
        good: Some(good.into()),
        code: Some(code.into()),
        ..FindingFilter::default()
    };
    let all = store.findings(&f).await.unwrap();
    assert_eq!(all.len(), 1, "one {code} finding on {good} in run {run}");
    all.into_iter().next().unwrap()
}

async fn decide(store: &Store, id: &str, decision: Decision, note: &str) {
    let r = ReviewRequest {
        finding: id.into(),
        decision,
        note: note.into(),
        reviewer: "ana".into(),
        role: Role::Analyst,
        expected_version: None,
    };
    store.review(&r).await.unwrap();
}

/// The same facts in other words: every sentence the facts carry from other crates or the pack
/// (`Shown` values) is replaced and the text re-rendered, then the engine's own wording is changed too.
fn reword(f: &Finding) -> Finding {
    let mut facts = f.facts.clone().expect("the engine records every finding's facts");
    match &mut facts {
        Facts::TariffShiftNotMet { requirement, citation, failing, .. } => {
            requirement.0 = format!("in other words, {}", requirement.0);
            citation.0 = "USMCA Annex 4-B, as reworded".into();
            for m in &mut failing.0 {
                m.why.0 = "its heading is the good's own".into();
            }
        }
        Facts::RvcBelowThreshold { citation, .. } => citation.0 = "USMCA Art. 4.5, as reworded".into(),
        Facts::DeclaredOriginMismatch { mismatch: Mismatch::DeclaredAndTraced { set_by, .. }, .. } => {
            set_by.0 = "a transformation recorded elsewhere".into();
        }
        Facts::OriginLaunderingSuspected { signal, .. } | Facts::ProvenanceSignal { signal, .. } => {
            signal.message.0 = "signals on one path, reworded".into();
            signal.clear.0 = "clear them, reworded".into();
        }
        Facts::RuleTranscriptionCaveat { on: CaveatOn::Rule { caveat, .. } } => caveat.0 = "reworded caveat".into(),
        Facts::MaterialFactMissing { question: MissingFact::RuleQuestions { questions, .. } } => {
            questions.0 = vec!["a reworded question".into()];
        }
        _ => {}
    }
    let mut g = if f.within.is_empty() { Finding::of(f.severity, &f.good, facts) } else { f.clone() };
    g.message = format!("Reworded: {}", g.message);
    g.remedy = format!("Reworded: {}", g.remedy);
    g
}

/// A sink that stores every finding reworded, and `changed` (good, code) with one fact changed.
struct Reworded<'a> {
    inner: RunSink<'a>,
    changed: (&'static str, &'static str),
}

impl Reworded<'_> {
    fn rewrite(&self, r: &GoodReport) -> GoodReport {
        let mut r = r.clone();
        for f in &mut r.audit.findings {
            let mut g = reword(f);
            assert_ne!(g.message, f.message);
            assert_eq!(g.fingerprint, f.fingerprint, "rewording {} changed its fingerprint", f.message);
            if (f.good.as_str(), f.code.as_str()) == self.changed {
                let Some(Facts::RvcBelowThreshold { methods, .. }) = &mut g.facts else { panic!("not an RVC finding") };
                // The VNM one cent higher: a different fact.
                methods[0].vnm += origin_core::Decimal::new(1, 2);
                g = Finding::of(g.severity, &g.good, g.facts.clone().expect("facts"));
                assert_ne!(g.fingerprint, f.fingerprint);
            }
            *f = g;
        }
        r
    }
}

impl ResultSink for Reworded<'_> {
    type Error = StoreError;
    /// Nothing made ahead: the rows are made from the reworded reports, in `write_chunk`.
    type Row = ();
    fn prep(&self) -> Prep<(), StoreError> {
        no_prep()
    }
    async fn stored(&mut self) -> Result<std::collections::HashSet<(String, String)>, StoreError> {
        self.inner.stored().await
    }
    async fn write_chunk(&mut self, goods: &[GoodResult<'_>], _rows: Vec<()>) -> Result<(), StoreError> {
        let reports: Vec<GoodReport> = goods.iter().map(|g| self.rewrite(g.report)).collect();
        let goods: Vec<GoodResult<'_>> = goods
            .iter()
            .zip(&reports)
            .map(|(g, report)| GoodResult {
                batch: g.batch,
                report,
                draft_if_cleared: g.draft_if_cleared,
                pictures: g.pictures,
                // The rewritten report is serialized anew, not the audited one's JSON.
                json: None,
            })
            .collect();
        self.inner.store.write_goods(&self.inner.run, &self.inner.actor, &goods).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reworded_findings_keep_their_reviews() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("audit.db").display().to_string()).await.unwrap();
    let batch = demo_copy(dir.path());
    let req = request(&batch);
    let r1 = runner::start(&store, &req, Arc::new(Progress::default()), &mut Discard).await.unwrap();
    // Three decisions: two findings whose facts stay the same, one whose facts will change.
    let shift = finding(&store, &r1.id, "ST-DRV-BKT", "TARIFF_SHIFT_NOT_MET").await;
    let mismatch = finding(&store, &r1.id, "CAL-BUS-2P", "DECLARED_ORIGIN_MISMATCH").await;
    let rvc = finding(&store, &r1.id, "ST-DRV-BKT", "RVC_BELOW_THRESHOLD").await;
    decide(&store, &shift.id, Decision::Accept, "supplier confirmed the classification").await;
    decide(&store, &mismatch.id, Decision::Dismiss, "traced origin is wrong: lot relabelled in error").await;
    decide(&store, &rvc.id, Decision::Accept, "confirmed with the cost accountant").await;

    // The second run stores every finding in other words, and the RVC finding with one fact changed.
    let (id, job) = runner::begin(&store, &req).await.unwrap();
    let mut sink = Reworded {
        inner: RunSink { store: &store, run: id.clone(), actor: "tester".into() },
        changed: ("ST-DRV-BKT", "RVC_BELOW_THRESHOLD"),
    };
    run_job(&job, Arc::new(Progress::default()), &mut sink).await.unwrap();
    let completed = store.complete_run(&id, "tester").await.unwrap();

    for (before, status) in [(&shift, "accepted"), (&mismatch, "dismissed")] {
        let after = finding(&store, &id, &before.good, before.code.as_str()).await;
        let message = |f: &FindingRow| f.finding.message.clone();
        assert_ne!(message(&after), message(before));
        assert!(message(&after).starts_with("Reworded: "), "{}", message(&after));
        assert_eq!(after.fingerprint, before.fingerprint);
        assert_eq!(after.status, status, "the decision on {} carried over the rewording", before.code);
        assert_eq!(after.carried_from.as_deref(), Some(before.id.as_str()));
        // The stored finding carries its facts, tagged with the code.
        assert_eq!(after.finding.facts.as_ref().map(origin_engine::finding::Facts::code), Some(before.code));
    }
    // The reworded shift finding says the new words the facts carry.
    let after = finding(&store, &id, "ST-DRV-BKT", "TARIFF_SHIFT_NOT_MET").await;
    assert!(after.finding.message.contains("(in other words, "), "{}", after.finding.message);
    assert_eq!(after.finding.citation, "USMCA Annex 4-B, as reworded");

    let changed = finding(&store, &id, "ST-DRV-BKT", "RVC_BELOW_THRESHOLD").await;
    assert_ne!(changed.fingerprint, rvc.fingerprint);
    assert_eq!(changed.status, "open", "a changed fact reopens the question");
    assert_eq!(changed.carried_from, None);
    assert_eq!(completed.carried_over, 2);
    assert!(completed.resolved.contains(&rvc.id), "the accepted RVC finding is no longer raised");
    assert!(store.verify_log().await.unwrap().ok());
}
