//! End to end in headless Chromium: an auditor signs in with the login form, opens the review queue,
//! opens a finding, dismisses it with a justification, and sees the decision on the page; the
//! screenshots are kept as test artifacts (`target/test-artifacts/review-queue.png`,
//! `review-decision.png`, `provenance.png`); then runs a what-if scenario from the scenarios page
//! (`scenario-impact.png`). Skips loudly
//! without a browser locally; fails under CI (`.ci/run` installs chromium and chromium-driver).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn an_auditor_signs_in_reviews_a_finding_and_sees_the_decision() {
    let Some(browser) = support::browser::require_browser() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fx = rt.block_on(support::app::fixture());
    let finding = rt.block_on(fx.finding("HS_DISCREPANCY"));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = fx.app();
    rt.spawn(async move { axum::serve(listener, app).await });

    // Not signed in: the queue sends us to the login form, which brings us back after.
    browser.goto(&format!("{base}/queue")).unwrap();
    let name = browser.wait_for("#name", WAIT).unwrap();
    assert!(browser.current_url().unwrap().contains("/login?next=/queue"), "{}", browser.current_url().unwrap());
    browser.send_keys(&name, "aud").unwrap();
    browser.send_keys(&browser.find("#token").unwrap(), fx.token("aud")).unwrap();
    browser.click(&browser.find("#sign-in").unwrap()).unwrap();

    // The queue: open findings with their counts; 20 findings in the demo run, all open.
    let counts = browser.wait_for("#counts", WAIT).unwrap();
    assert!(browser.text(&counts).unwrap().contains("20 finding(s)"), "{}", browser.text(&counts).unwrap());
    browser.screenshot_png(artifacts().join("review-queue.png")).unwrap();
    let link = browser.find(&format!("a.finding-link[href=\"/findings/{finding}\"]")).unwrap();
    browser.click(&link).unwrap();

    // The finding: message and review form; dismiss it with a justification.
    browser.wait_for("#review-form", WAIT).unwrap();
    let message = browser.text(&browser.find("#message").unwrap()).unwrap();
    assert!(message.contains("HS") || message.contains("classif"), "{message}");
    browser.click(&browser.find("#d-dismiss").unwrap()).unwrap();
    let note = "Supplier's ruling NY N312345 confirms the declared classification";
    browser.send_keys(&browser.find("#note").unwrap(), note).unwrap();
    browser.click(&browser.find("#submit-review").unwrap()).unwrap();

    // The page shows the decision, and the store holds it under the signed-in auditor's name.
    let flash = browser.wait_for("#flash", WAIT).unwrap();
    assert!(browser.text(&flash).unwrap().contains("Your decision was recorded"));
    assert_eq!(browser.text(&browser.find("#status").unwrap()).unwrap(), "dismissed");
    let reviews = browser.text(&browser.find("#reviews").unwrap()).unwrap();
    assert!(reviews.contains("open") && reviews.contains("dismissed") && reviews.contains(note), "{reviews}");
    let shot = artifacts().join("review-decision.png");
    browser.screenshot_png(&shot).unwrap();
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot");
    let stored = rt.block_on(fx.store().reviews(&finding)).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].reviewer.as_str(), stored[0].to_status.as_str()), ("aud", "dismissed"));

    // Back in the queue, the dismissed finding is listed under its status filter.
    browser.goto(&format!("{base}/queue?status=dismissed")).unwrap();
    let table = browser.wait_for("#findings", WAIT).unwrap();
    assert!(browser.text(&table).unwrap().contains("HS_DISCREPANCY"));

    // The laundering case: the finding page draws the lot's provenance as an SVG picture.
    let laundering = rt.block_on(fx.finding("ORIGIN_LAUNDERING_SUSPECTED"));
    browser.goto(&format!("{base}/findings/{laundering}")).unwrap();
    let picture = browser.wait_for("#provenance svg", WAIT).unwrap();
    let svg = browser.text(&picture).unwrap();
    assert!(svg.contains("BAR-VN-2608") && svg.contains("BAR-CN-2607"), "{svg}");
    browser.execute("document.getElementById('provenance').scrollIntoView()", vec![]).unwrap();
    browser.screenshot_png(artifacts().join("provenance.png")).unwrap();

    // What-if: the auditor re-audits the demo run under the Chinese content cap from the scenarios page
    // and sees the goods it would cost, each with its cheapest fix, and the chart by supplier.
    browser.goto(&format!("{base}/scenarios")).unwrap();
    browser.wait_for("#scenario-form", WAIT).unwrap();
    browser.click(&browser.find("#scenario option[value=\"cn-content-cap-10\"]").unwrap()).unwrap();
    browser.click(&browser.find("#run-scenario").unwrap()).unwrap();
    let changed = browser.wait_for("#goods-changed", WAIT).unwrap();
    let text = browser.text(&changed).unwrap();
    assert!(text.contains("CAL-BUS-2P") && text.contains("CONTENT_CAP_EXCEEDED"), "{text}");
    assert_eq!(browser.text(&browser.find("#changed").unwrap()).unwrap(), "7 good(s)");
    let chart = browser.text(&browser.find("#chart-by-supplier").unwrap()).unwrap();
    assert!(chart.contains("Ningbo Huada Electrical"), "{chart}");
    let shot = artifacts().join("scenario-impact.png");
    browser.screenshot_png(&shot).unwrap();
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
    drop(browser);
}
