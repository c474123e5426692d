//! Reads that scale (issue 13, item 7): the finding list comes in pages with a keyset cursor and a
//! bounded size, and no request reads a run's batch files again: the queue, the finding list and the
//! finding page read what they show from the store's own columns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use origin_engine::run::{Progress, RunOptions};
use origin_store::runner::{self, DEFAULT_CHUNK, RunRequest};
use support::app::{Fixture, api, fixture, page, repo, send};

/// Stores the demo batch once more, as the fixture did.
async fn store_demo_again(fx: &Fixture) {
    let req = RunRequest {
        batches: vec![repo().join("fixtures/demo/batch.yaml")],
        pack: fx.state.config().pack.clone(),
        opts: RunOptions { as_of: None, threads: Some(1) },
        actor: "fixture".into(),
        chunk: DEFAULT_CHUNK,
        bom_scope: Default::default(),
        upload_dir: None,
    };
    runner::start(fx.store(), &req, Arc::new(Progress::default()), &mut origin_engine::sink::Discard).await.unwrap();
}

/// The findings of every page, following `next` from `first`; asserts each page's size and counts.
async fn walk(fx: &Fixture, first: &str, limit: usize, total: usize) -> Vec<serde_json::Value> {
    let tok = Some(fx.token("ana"));
    let mut out = Vec::new();
    let mut uri = Some(first.to_string());
    let mut pages = 0;
    while let Some(u) = uri {
        let a = send(fx.app(), api(Method::GET, &u, tok, None)).await;
        assert_eq!(a.status, StatusCode::OK, "{u}: {}", a.text());
        let page = a.json();
        let rows = page["findings"].as_array().unwrap().clone();
        assert_eq!(page["total"], total, "every page reports the total of the filter");
        assert_eq!(page["limit"], limit);
        pages += 1;
        uri = page["next"].as_str().map(String::from);
        if uri.is_some() {
            assert_eq!(rows.len(), limit, "only the last page is short");
            assert_eq!(page["after"], rows.last().unwrap()["id"], "the cursor is the page's last finding");
        } else {
            assert!(rows.len() <= limit && page["after"].is_null());
        }
        out.extend(rows);
        assert!(pages <= total + 1, "the pages end");
    }
    assert_eq!(pages, total.div_ceil(limit).max(1));
    out
}

#[tokio::test]
async fn pages_list_every_finding_once_in_order_and_keep_the_filters() {
    let fx = fixture().await;
    let all = fx.store().findings(&Default::default()).await.unwrap();
    assert_eq!(all.len(), 20, "the demo run raises 20 findings");
    // 7 + 7 + 6, in the store's order, none twice, none missing.
    let listed = walk(&fx, "/api/findings?limit=7", 7, 20).await;
    let ids: Vec<&str> = listed.iter().map(|f| f["id"].as_str().unwrap()).collect();
    let want: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, want);
    // A filter is kept from page to page: the 10 blocking findings in pages of 3 (3 + 3 + 3 + 1).
    let blocking = walk(&fx, "/api/findings?severity=blocking&limit=3", 3, 10).await;
    assert!(blocking.iter().all(|f| f["severity"] == "blocking"));
    assert_eq!(blocking.iter().map(|f| f["id"].as_str().unwrap()).collect::<HashSet<_>>().len(), 10);
    // The counts cover the whole filter on every page, not the page.
    let p = send(fx.app(), api(Method::GET, "/api/findings?limit=1", Some(fx.token("ana")), None)).await.json();
    assert_eq!(p["counts"]["severity"]["blocking"], 10);
    assert_eq!(p["findings"].as_array().unwrap().len(), 1);
    assert_eq!(p["next"].as_str().unwrap(), format!("/api/findings?limit=1&after={}", want[0]));
}

#[tokio::test]
async fn a_page_holds_at_most_1000_findings_and_a_bad_page_says_why() {
    let fx = fixture().await;
    let tok = Some(fx.token("ana"));
    let ok = send(fx.app(), api(Method::GET, "/api/findings?limit=1000", tok, None)).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["limit"], 1000);
    for (uri, says) in [
        ("/api/findings?limit=1001", "a page holds 1 to 1000 findings"),
        ("/api/findings?limit=0", "a page holds 1 to 1000 findings"),
        ("/api/findings?limit=lots", "`limit` is `lots`, not a number"),
        ("/api/findings?after=not-a-finding", "`after` is `not-a-finding`, which is no finding"),
    ] {
        let a = send(fx.app(), api(Method::GET, uri, tok, None)).await;
        assert!(a.status.is_client_error(), "{uri}: {}", a.status);
        assert!(a.text().contains(says), "{uri}: {}", a.text());
    }
}

/// The reproduction of the issue: with 9 runs and more, the run-context cache (8 runs) emptied itself
/// and every queue request parsed every batch again; a call to `/api/findings` returned every finding.
/// Here 10 runs are stored, then their batch files are spoiled inside the store: the pages and the API
/// still show the suppliers, the materials' suppliers and the provenance pictures, so no request reads
/// a batch file, and the list comes in pages.
#[tokio::test]
async fn ten_runs_with_their_batch_files_spoiled_still_show_everything_in_pages() {
    let fx = fixture().await;
    for _ in 0..9 {
        store_demo_again(&fx).await;
    }
    let pool = fx.store().pool();
    let spoiled = sqlx::query(
        "UPDATE blobs SET content = $1 WHERE digest IN (SELECT digest FROM run_files WHERE kind <> 'rules')",
    )
    .bind(b"not a batch any more".to_vec())
    .execute(pool)
    .await
    .unwrap();
    assert!(spoiled.rows_affected() >= 3, "the batch and its two BOM files");
    sqlx::query("DELETE FROM blob_parts").execute(pool).await.unwrap();

    let tok = Some(fx.token("ana"));
    // 10 runs x 20 findings: the first page holds 100, with the next page's link.
    let first = send(fx.app(), api(Method::GET, "/api/findings", tok, None)).await;
    assert_eq!(first.status, StatusCode::OK);
    let first = first.json();
    assert_eq!(first["total"], 200);
    assert_eq!(first["findings"].as_array().unwrap().len(), 100);
    assert!(first["next"].is_string());
    // The supplier filter and counts still know the caliper's steel-bar supplier in every run.
    let laundering = fx
        .store()
        .findings(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.code.as_str() == "ORIGIN_LAUNDERING_SUSPECTED")
        .unwrap();
    let one =
        send(fx.app(), api(Method::GET, "/api/findings?code=ORIGIN_LAUNDERING_SUSPECTED", tok, None)).await.json();
    assert_eq!(one["total"], 10, "one laundering finding per run");
    let supplier =
        one["findings"][0]["suppliers"][0].as_str().expect("the finding's supplier, from the store").to_string();
    let word = supplier.split_whitespace().next().unwrap().to_uppercase();
    let by_supplier = send(
        fx.app(),
        api(Method::GET, &format!("/api/findings?supplier={word}&code=ORIGIN_LAUNDERING_SUSPECTED"), tok, None),
    )
    .await
    .json();
    assert_eq!(by_supplier["total"], 10, "the filter ignores case: {word}");
    assert_eq!(by_supplier["counts"]["supplier"][&supplier], 10);
    // The queue page: the supplier column and a next-page link.
    let (sid, _) = fx.session("ana").await;
    let q = send(fx.app(), page(Method::GET, "/queue?code=ORIGIN_LAUNDERING_SUSPECTED", Some(&sid), None)).await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(q.text().contains(&supplier), "the queue shows the supplier");
    let q = send(fx.app(), page(Method::GET, "/queue?status=", Some(&sid), None)).await.text();
    assert!(q.contains("id=\"next-page\"") && q.contains("200 finding(s)"), "{q}");
    // The finding page: the materials' suppliers and the provenance picture.
    let p = send(fx.app(), page(Method::GET, &format!("/findings/{}", laundering.id), Some(&sid), None)).await;
    assert_eq!(p.status, StatusCode::OK);
    let html = p.text();
    assert!(html.contains("<svg") && html.contains("BAR-VN-2608") && html.contains("BAR-CN-2607"), "the picture");
    assert!(html.contains("origin laundering suspected"));
    assert!(html.contains(&supplier), "the materials table's supplier column");
}

/// A run stored before the read facts existed (migration 0006 leaves its new columns empty) gets them
/// once from its stored batches, as `serve` does at start; a second fill finds nothing to do.
#[tokio::test]
async fn an_older_run_gets_its_read_facts_once_from_its_stored_batches() {
    let fx = fixture().await;
    let pool = fx.store().pool();
    for sql in [
        "UPDATE findings SET hs = '', suppliers = '[]', supplier_key = ''",
        "UPDATE determinations SET lines = '{}'",
        "DELETE FROM lot_pictures",
        "UPDATE runs SET read_facts = 0",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    let tok = Some(fx.token("ana"));
    let before = send(fx.app(), api(Method::GET, "/api/findings?chapter=87", tok, None)).await.json();
    assert_eq!(before["total"], 0, "no HS codes: the emptied run is what an older store holds");
    let filled = fx.store().fill_read_facts(fx.state.rules()).await.unwrap();
    assert_eq!(filled, vec![fx.run.clone()]);
    assert!(fx.store().fill_read_facts(fx.state.rules()).await.unwrap().is_empty(), "filled once");
    let after =
        send(fx.app(), api(Method::GET, "/api/findings?code=ORIGIN_LAUNDERING_SUSPECTED", tok, None)).await.json();
    assert_eq!(after["total"], 1);
    let f = &after["findings"][0];
    assert!(f["hs"].as_str().unwrap().starts_with("87"), "{f}");
    assert!(!f["suppliers"].as_array().unwrap().is_empty(), "{f}");
    let (sid, _) = fx.session("ana").await;
    let html = send(fx.app(), page(Method::GET, &format!("/findings/{}", f["id"].as_str().unwrap()), Some(&sid), None))
        .await
        .text();
    assert!(html.contains("<svg") && html.contains("BAR-CN-2607"), "the picture drawn again");
}
