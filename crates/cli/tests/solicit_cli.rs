//! `solicit` and `rerun` through the `origin-audit` binary on the demo run: the plan, a request made and
//! sent with its link, a second one refused, reminders with the outbox undelivered without SMTP (and
//! why), decisions and re-runs refused with the reason, the expiry calendar. (The whole flow with an
//! answer is in crates/store/tests/solicitation.rs and the browser test.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::repo;

const SRN: &str = "Sistemas de Retencion del Norte S.A. de C.V.";

fn bin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_origin-audit"))
        .current_dir(dir)
        .env_remove("ORIGIN_AUDIT_DB")
        .env_remove("ORIGIN_AUDIT_SMTP")
        .env_remove("ORIGIN_AUDIT_PUBLIC_URL")
        .arg("--rules")
        .arg(repo().join("rules/usmca"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (Option<i32>, String, String) {
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn plan_send_remind_and_refusals_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("demo");
    std::fs::create_dir_all(&d).unwrap();
    for e in std::fs::read_dir(repo().join("fixtures/demo")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
    }
    let dir = tmp.path();
    assert_eq!(bin(dir, &["run", "demo/batch.yaml", "-q"]).status.code(), Some(0));
    let runs: serde_json::Value =
        serde_json::from_slice(&bin(dir, &["runs", "list", "--format", "json"]).stdout).unwrap();
    let run = runs[0]["id"].as_str().unwrap().to_string();

    // The plan: four suppliers; SB-FR-3PT's L01 is worth 12.65 USD.
    let (code, out, _) = text(&bin(dir, &["solicit", "plan", "--run", &run[..8], "--format", "json"]));
    assert_eq!(code, Some(0));
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let suppliers: Vec<&str> =
        plan["suppliers"].as_array().unwrap().iter().map(|s| s["supplier"].as_str().unwrap()).collect();
    assert_eq!(suppliers.len(), 4, "{suppliers:?}");
    let srn = plan["suppliers"].as_array().unwrap().iter().find(|s| s["supplier"] == SRN).unwrap();
    assert_eq!((srn["value"].as_str(), srn["asks"][0]["line"].as_str()), (Some("12.65"), Some("L01")));
    let (_, table, _) = text(&bin(dir, &["solicit", "plan", "--run", &run]));
    assert!(
        table.contains("answers would make 12.65 USD originating") && table.contains("period to include 2026-11-01"),
        "{table}"
    );

    // One request, sent: its link is printed; a second request for the same supplier is refused.
    let due = (chrono::Utc::now() + chrono::Duration::days(5)).date_naive().to_string();
    let contact = format!("{SRN}=origen@srn.example");
    let args = [
        "solicit",
        "create",
        "--run",
        &run,
        "--due",
        &due,
        "--supplier",
        SRN,
        "--contact",
        &contact,
        "--send",
        "--as",
        "aud",
    ];
    let (code, out, err) = text(&bin(dir, &args));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("sent; invitation link") && out.contains("http://localhost:8080/invite/oai_"), "{out}");
    let (code, _, err) = text(&bin(dir, &args));
    assert_eq!(code, Some(1));
    assert!(err.contains("already has request"), "{err}");
    let list: serde_json::Value =
        serde_json::from_slice(&bin(dir, &["solicit", "list", "--run", &run, "--format", "json"]).stdout).unwrap();
    assert_eq!((list[0]["state"].as_str(), list[0]["supplier"].as_str()), (Some("sent"), Some(SRN)));
    let request = list[0]["id"].as_str().unwrap().to_string();

    // Reminders: sent today, so not reminded yet (every 3 days); without SMTP the mail is undelivered, saying why.
    let (code, out, _) = text(&bin(dir, &["solicit", "remind"]));
    assert_eq!(code, Some(0));
    assert!(
        out.contains("reminded 0 request(s), 0 expired")
            && out.contains("1 undelivered")
            && out.contains("no SMTP server configured"),
        "{out}"
    );
    let (_, out, _) = text(&bin(dir, &["solicit", "outbox"]));
    assert!(out.contains("undelivered") && out.contains("origen@srn.example"), "{out}");
    // A relay that is not an smtp:// URL is a usage error.
    let o = Command::new(env!("CARGO_BIN_EXE_origin-audit"))
        .current_dir(dir)
        .env("ORIGIN_AUDIT_SMTP", "https://relay")
        .env("ORIGIN_AUDIT_MAIL_FROM", "audit@example.com")
        .args(["solicit", "remind"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));

    // Nothing answered: no decision, no re-run, each saying why.
    let (code, _, err) = text(&bin(dir, &["solicit", "decide", &request[..8], "--decision", "accept"]));
    assert_eq!(code, Some(1));
    assert!(err.contains("only an answered request is decided"), "{err}");
    let (code, _, err) = text(&bin(dir, &["rerun", &run, "--with-evidence"]));
    assert_eq!(code, Some(1));
    assert!(err.contains("no accepted certification"), "{err}");

    // The expiry calendar on 2026-12-01: the 25 certifications of 2026 end within 30 days; 2025's is past.
    let (code, out, _) = text(&bin(dir, &["solicit", "expiring", "--run", &run, "--today", "2026-12-01"]));
    assert_eq!(code, Some(0));
    assert!(out.contains("25 certification(s) end within 90 days") && out.contains("within 30 days: 25"), "{out}");
    assert!(out.contains("SC-OPG-2026") && out.contains("GBX-6MT-PV") && !out.contains("SC-SRN-2025"), "{out}");
}
