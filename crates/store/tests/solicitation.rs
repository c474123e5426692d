//! Supplier evidence (issue 16) on SQLite and PostgreSQL: the plan asks exactly what the demo run's
//! open findings need; a request goes from draft to accepted through a supplier's one-time invitation;
//! the accepted certification re-audits only SB-FR-3PT, which then qualifies (fixtures/demo/EXPECTED.md,
//! case 2); reminders, expiry and the outbox; everything in the log and the export.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::type_complexity, reason = "tests")]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use origin_engine::audit::Outcome;
use origin_engine::run::{Progress, RunOptions};
use origin_store::evidence::{self, RerunRequest};
use origin_store::runner::{self, RunRequest};
use origin_store::solicit::{AnswerBody, AskKind, CertificationAnswer, Plan};
use origin_store::{Decision, FindingFilter, ReviewRequest, Role, Store};

use common::{demo_copy, repo};

const SRN: &str = "Sistemas de Retencion del Norte S.A. de C.V.";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn rules_dir() -> PathBuf {
    repo().join("rules/usmca")
}

fn pack() -> origin_store::runner::RunPack {
    origin_store::runner::RunPack::load(rules_dir().into()).expect("the bundled rule pack loads")
}

async fn demo_run(store: &Store, work: &Path) -> String {
    let req = RunRequest {
        batches: vec![demo_copy(work)],
        pack: pack(),
        opts: RunOptions { as_of: None, threads: Some(1) },
        actor: "tester".into(),
        chunk: 64,
        bom_scope: Default::default(),
        upload_dir: None,
    };
    runner::start(store, &req, Arc::new(Progress::default()), &mut origin_engine::sink::Discard).await.unwrap().id
}

async fn plan(store: &Store, run: &str) -> Plan {
    let (_d, _p, batches) = evidence::load_run_batches(store, run).await.unwrap();
    store.solicitation_plan(run, &evidence::currencies(&batches)).await.unwrap()
}

fn certification(doc: origin_store::solicit::Document) -> CertificationAnswer {
    CertificationAnswer {
        id: "SC-SRN-2026".into(),
        certifier_name: "Sistemas de Retencion del Norte S.A. de C.V.".into(),
        certifier_role: "producer".into(),
        certifier_address: "Av. Industrial 100, Saltillo, Coahuila, MX".into(),
        producer: SRN.into(),
        parts: vec!["SRN-RTR-PT7".into()],
        description: "Retractor assembly with pyrotechnic pretensioner".into(),
        hs: "8708.99".into(),
        criterion: "B".into(),
        country: "MX".into(),
        blanket_from: date("2026-01-01"),
        blanket_to: date("2026-12-31"),
        signed_by: "Ing. Laura Garza".into(),
        signed: date("2025-12-15"),
        document: doc,
    }
}

/// The demo run's plan, checked against EXPECTED.md by hand: four suppliers, each ask tied to an open
/// finding of a code a supplier can answer, SB-FR-3PT's L01 worth 12.65 USD; nothing for the goods
/// whose findings are the engine's own (RVC, shift, transit, caveats).
async fn plan_asks_only_what_findings_need(db: String, work: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let run = demo_run(&store, &work).await;
    let p = plan(&store, &run).await;
    let got: Vec<(String, Vec<(String, String, AskKind, String)>)> = p
        .suppliers
        .iter()
        .map(|s| {
            (
                s.supplier.clone(),
                s.asks.iter().map(|a| (a.good.clone(), a.line.clone(), a.kind, a.value.clone())).collect(),
            )
        })
        .collect();
    let want = vec![
        (
            "Conectores de Chihuahua S.A. de C.V.".to_string(),
            vec![("WH-IP-220".to_string(), "L05".to_string(), AskKind::Classification, "0".to_string())],
        ),
        (
            "Dongguan Everwin Electronics Co., Ltd.".to_string(),
            vec![
                ("CP-HVAC-01".to_string(), "L01".to_string(), AskKind::Question, "0".to_string()),
                ("CP-HVAC-01".to_string(), "L02".to_string(), AskKind::Question, "0".to_string()),
            ],
        ),
        (
            "Haiphong Metal Trading JSC".to_string(),
            vec![("CAL-BUS-2P".to_string(), "L01".to_string(), AskKind::ClearSignal, "0".to_string())],
        ),
        (
            SRN.to_string(),
            vec![("SB-FR-3PT".to_string(), "L01".to_string(), AskKind::Certification, "12.65".to_string())],
        ),
    ];
    assert_eq!(got, want);
    assert!(p.unassigned.is_empty());
    let srn = &p.suppliers[3];
    assert_eq!((srn.value.as_str(), srn.asks[0].currency.as_str()), ("12.65", "USD"));
    assert_eq!(srn.asks[0].covers, Some(date("2026-11-01")));
    assert_eq!(srn.asks[0].code, "SUPPLIER_CERTIFICATION_EXPIRED");
    assert!(srn.asks[0].questions[0].contains("SC-SRN-2025") && srn.asks[0].questions[0].contains("2026-11-01"));
    // The L01 question names L01's part and not L02's, and the other way round.
    let dge = &p.suppliers[1];
    assert!(dge.asks[0].questions.iter().any(|q| q.contains("L01")), "{:?}", dge.asks[0].questions);
    // Every ask rests on an open finding of its good with the code it names.
    for a in p.suppliers.iter().flat_map(|s| &s.asks) {
        let f = store.finding(&a.finding).await.unwrap();
        assert_eq!((f.code.as_str(), f.good.as_str(), f.status.as_str()), (a.code.as_str(), a.good.as_str(), "open"));
    }
    // A finding dismissed no longer asks anything: the classification question goes.
    let hs = p.suppliers[0].asks[0].finding.clone();
    store
        .review(&ReviewRequest {
            finding: hs,
            decision: Decision::Dismiss,
            note: "ruling confirms 8536.69".into(),
            reviewer: "aud".into(),
            role: Role::Auditor,
            expected_version: None,
        })
        .await
        .unwrap();
    let after = plan(&store, &run).await;
    assert!(!after.suppliers.iter().any(|s| s.supplier.starts_with("Conectores")), "{:?}", after.suppliers);
    assert_eq!(after.suppliers.len(), 3);
}

/// Draft -> sent -> answered -> accepted, through the supplier's own account; the re-run with the
/// evidence audits only SB-FR-3PT and finds it qualified; the log verifies; the export holds it all.
async fn campaign_to_rerun(db: String, work: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let run = demo_run(&store, &work).await;
    let p = plan(&store, &run).await;
    let contacts: HashMap<String, String> = [(SRN.to_string(), "origen@srn.example".to_string())].into();
    let made = store.create_requests(&p, Some(&[SRN.to_string()]), date("2026-10-15"), &contacts, "aud").await.unwrap();
    assert_eq!(made.len(), 1);
    let req = &made[0];
    assert_eq!((req.state.as_str(), req.asks.len()), ("draft", 1));
    // A second request for the same supplier while one is open is refused.
    assert!(store.create_requests(&p, Some(&[SRN.to_string()]), date("2026-10-15"), &contacts, "aud").await.is_err());
    let (sent, link) = store.send_request(&req.id, "https://audit.example", "aud").await.unwrap();
    assert_eq!(sent.state, "sent");
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(link.starts_with("https://audit.example/invite/oai_"), "{link}");

    // The link signs the supplier in once.
    let (_sid, session, for_request) = store.redeem_invitation(&token).await.unwrap().unwrap();
    assert_eq!(for_request, req.id);
    assert_eq!(session.user.role, origin_store::UserRole::Supplier);
    assert_eq!(session.user.supplier_id.as_deref(), Some(SRN));
    assert!(store.redeem_invitation(&token).await.unwrap().is_none(), "a used link does not sign in again");
    assert!(store.redeem_invitation("oai_0000").await.unwrap().is_none());

    // Documents are checked by content and size.
    assert!(store.put_document("cert.pdf", b"MZ\x90\x00 not a pdf", &["application/pdf"]).await.is_err());
    let big = [b"%PDF-".as_slice(), &vec![b'x'; origin_store::solicit::DOCUMENT_LIMIT]].concat();
    assert!(store.put_document("big.pdf", &big, &["application/pdf"]).await.is_err());
    let doc = store.put_document("../../SC-SRN-2026.pdf", PDF, &["application/pdf"]).await.unwrap();
    assert_eq!((doc.name.as_str(), doc.content_type.as_str()), ("SC-SRN-2026.pdf", "application/pdf"));

    // A certification with a 13-month period is refused, naming the field; a good one is recorded.
    let mut long = certification(doc.clone());
    long.blanket_to = date("2027-01-31");
    let e = store
        .answer_request(
            &req.id,
            &session.user,
            &AnswerBody { certification: Some(long), ..Default::default() },
            date("2026-10-01"),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("blanket_to"), "{e}");
    let body = AnswerBody { certification: Some(certification(doc.clone())), ..Default::default() };
    // Another supplier's account cannot answer it.
    let mut other = session.user.clone();
    other.supplier_id = Some("Hebillas y Componentes de Saltillo S.A. de C.V.".into());
    assert!(store.answer_request(&req.id, &other, &body, date("2026-10-01")).await.is_err());
    let answered = store.answer_request(&req.id, &session.user, &body, date("2026-10-01")).await.unwrap();
    assert_eq!(answered.state, "answered");
    // Rejecting needs a note; accepting at a stale version is refused.
    assert!(store.decide_request(&req.id, false, " ", "aud", None).await.is_err());
    assert!(store.decide_request(&req.id, true, "", "aud", Some(answered.version - 1)).await.is_err());
    let accepted = store
        .decide_request(&req.id, true, "matches the supplier's file", "aud", Some(answered.version))
        .await
        .unwrap();
    assert_eq!(accepted.state, "accepted");

    // The re-run audits only SB-FR-3PT, now qualified under (A) (EXPECTED.md case 2).
    let rerun = evidence::rerun_with_evidence(
        &store,
        &RerunRequest { run: run.clone(), pack: pack(), actor: "aud".into(), chunk: 16 },
        Arc::new(Progress::default()),
    )
    .await
    .unwrap();
    let dets = store.determinations(&rerun.id).await.unwrap();
    assert_eq!(dets.len(), 1);
    assert_eq!((dets[0].good.as_str(), dets[0].outcome), ("SB-FR-3PT", Outcome::Qualified));
    assert_eq!(dets[0].determination.alternative.as_deref(), Some("A"));
    let l01 = dets[0].determination.materials.iter().find(|m| m.line == "L01").unwrap();
    assert!(l01.why.contains("SC-SRN-2026"), "{}", l01.why);
    assert_eq!(l01.vnm, origin_core::Decimal::ZERO);
    let old = store
        .findings(&FindingFilter { run: Some(run.clone()), good: Some("SB-FR-3PT".into()), ..Default::default() })
        .await
        .unwrap();
    assert!(
        old.iter().all(|f| f.status == "resolved"),
        "{:?}",
        old.iter().map(|f| (&f.code, &f.status)).collect::<Vec<_>>()
    );
    assert_eq!(store.run_evidence(&rerun.id).await.unwrap().len(), 1);

    // The finding page's lookup finds the request from the earlier run's finding.
    let expired = old.iter().find(|f| f.code.as_str() == "SUPPLIER_CERTIFICATION_EXPIRED").unwrap();
    let linked =
        store.requests_for_finding(&expired.batch, &expired.good, &["L01".into()], &expired.fingerprint).await.unwrap();
    assert_eq!(linked.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(), vec![req.id.as_str()]);

    // The log has every step and verifies.
    let log = store.log_entries(i64::MIN, i64::MAX).await.unwrap();
    let actions: Vec<&str> =
        log.iter().filter(|e| e.subject == format!("request:{}", req.id)).map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "solicitation.requested",
            "solicitation.sent",
            "invitation.redeemed",
            "solicitation.answered",
            "solicitation.accepted"
        ]
    );
    assert!(log.iter().any(|e| e.action == "run.evidence_applied" && e.subject == format!("run:{}", rerun.id)));
    let report = store.verify_log().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // The export of either run holds the requests, answers, the PDF and the log entries.
    let out = work.join("package");
    origin_store::export_run(&store, &run, &out).await.unwrap();
    let sol: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("solicitation.json")).unwrap()).unwrap();
    assert_eq!(sol[0]["state"], "accepted");
    assert_eq!(sol[0]["answers"][0]["answer"]["certification"]["id"], "SC-SRN-2026");
    assert_eq!(std::fs::read(out.join(format!("documents/{}.pdf", doc.digest))).unwrap(), PDF);
    assert!(std::fs::read_to_string(out.join("SHA256SUMS")).unwrap().contains(&doc.digest));
    assert!(std::fs::read_to_string(out.join("log.json")).unwrap().contains("solicitation.accepted"));
    let out2 = work.join("package2");
    origin_store::export_run(&store, &rerun.id, &out2).await.unwrap();
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("evidence.json")).unwrap()).unwrap();
    assert_eq!(ev[0]["certification_id"], "SC-SRN-2026");

    // The expiry calendar: on 2026-11-15 the 2026 certifications end within 60 days, with their goods.
    let cal = evidence::expiring(&store, &run, date("2026-11-15")).await.unwrap();
    let srn = cal.iter().find(|c| c.certification == "SC-SRN-2026").unwrap();
    assert_eq!(
        (srn.days_left, srn.within, srn.goods.clone()),
        (46, 60, vec!["demo-nl-autoparts-2026-11/SB-FR-3PT".to_string()])
    );
    let gear = cal.iter().find(|c| c.certification == "SC-OPG-2026").unwrap();
    assert_eq!(gear.source, "batch");
    assert!(gear.goods.iter().any(|g| g.ends_with("/GBX-6MT-PV")), "{:?}", gear.goods);
    assert!(!cal.iter().any(|c| c.certification == "SC-SRN-2025"), "an expired certification is not 'expiring'");
}

/// Reminders by due date, expiry, and the outbox without SMTP (undelivered, with why) and through an
/// in-process SMTP sink (delivered, link removed from the stored body).
async fn reminders_and_outbox(db: String, work: PathBuf) {
    let store = Store::open(&db).await.unwrap();
    let run = demo_run(&store, &work).await;
    let p = plan(&store, &run).await;
    let contacts: HashMap<String, String> = [(SRN.to_string(), "origen@srn.example".to_string())].into();
    let now = chrono::Utc::now();
    let day = |n: i64| now + chrono::Duration::days(n);
    let due = day(10).date_naive();
    let made = store.create_requests(&p, None, due, &contacts, "aud").await.unwrap();
    assert_eq!(made.len(), 4);
    for r in &made {
        store.send_request(&r.id, "https://audit.example", "aud").await.unwrap();
    }
    // 9 days before the due date: nothing; 5 days before: a reminder each; the next day: none (every 3 days).
    assert!(store.remind(day(1), 7, 3, "https://audit.example", "cron").await.unwrap().reminded.is_empty());
    let r = store.remind(day(5), 7, 3, "https://audit.example", "cron").await.unwrap();
    assert_eq!((r.reminded.len(), r.expired.len()), (4, 0));
    assert!(store.requests(Some(&run), None).await.unwrap().iter().all(|r| r.state == "reminded" && r.reminders == 1));
    assert!(store.remind(day(6), 7, 3, "https://audit.example", "cron").await.unwrap().reminded.is_empty());
    // After the due date every unanswered request expires.
    let r = store.remind(day(11), 7, 3, "https://audit.example", "cron").await.unwrap();
    assert_eq!(r.expired.len(), 4);
    assert!(store.requests(Some(&run), None).await.unwrap().iter().all(|r| r.state == "expired"));
    // Invitations and reminders: 8 mails.
    assert_eq!(store.outbox().await.unwrap().len(), 8);

    // No SMTP: every mail undelivered, saying why.
    let d = store.deliver_outbox(None).await.unwrap();
    assert_eq!(d.delivered, 0);
    let outbox = store.outbox().await.unwrap();
    assert!(outbox.iter().all(|m| m.state == "undelivered"));
    assert!(outbox.iter().any(|m| m.last_error.as_deref().unwrap().contains("no SMTP server configured")));
    assert!(outbox.iter().any(|m| m.last_error.as_deref().unwrap().contains("no mail address")));

    // Through the sink: the mails with an address are delivered and their stored link removed.
    let (cfg, received) = smtp_sink().await;
    let d = store.deliver_outbox(Some(&cfg)).await.unwrap();
    let with_address = outbox.iter().filter(|m| m.to_address.is_some()).count();
    assert_eq!(d.delivered, with_address);
    let mails = received.lock().unwrap().clone();
    assert_eq!(mails.len(), with_address);
    assert!(mails.iter().all(|m| m.0 == "origen@srn.example" && m.1.contains("/invite/oai_")));
    let after = store.outbox().await.unwrap();
    for m in after.iter().filter(|m| m.state == "delivered") {
        assert!(!m.body.contains("/invite/"), "{}", m.body);
    }
    assert!(store.verify_log().await.unwrap().problems.is_empty());
}

/// Mails received by the sink: (recipient, message).
type Received = Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// An in-process SMTP server on a free port that accepts every mail and keeps it.
async fn smtp_sink() -> (origin_store::smtp::SmtpConfig, Received) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let keep = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 sink ready\r\n").await.unwrap();
                let (mut to, mut data, mut in_data) = (String::new(), String::new(), false);
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            keep.lock().unwrap().push((to.clone(), std::mem::take(&mut data)));
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                        }
                        continue;
                    }
                    let reply: &[u8] = match line.get(..4).unwrap_or("") {
                        "EHLO" => b"250-sink\r\n250 OK\r\n",
                        "MAIL" => b"250 OK\r\n",
                        "RCPT" => {
                            to = line.trim_end().trim_start_matches("RCPT TO:<").trim_end_matches('>').to_string();
                            b"250 OK\r\n"
                        }
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"500 what\r\n",
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    let cfg = origin_store::smtp::SmtpConfig::parse(&format!("smtp://127.0.0.1:{port}"), "audit@example.com").unwrap();
    (cfg, received)
}

scenarios_on_both!(
    postgres_solicitation,
    "solicitation suite",
    [plan_asks_only_what_findings_need, campaign_to_rerun, reminders_and_outbox]
);
