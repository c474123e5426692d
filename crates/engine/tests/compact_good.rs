//! A good is serialized once for the store and the report (`GoodResult::compact`): the report's object
//! for the good and the audit's digest input are assembled from the determination's and the findings'
//! JSON. Assembled, they must be the bytes `serde_json` writes for the whole good, or the report would
//! change with the sinks a run has and the stored digests would no longer match `log verify`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use origin_engine::sink::{CompactGood, GoodJson, GoodResult};

/// Every good of the demo batch, qualified or not, with and without findings and certificate drafts:
/// the assembled bytes are serde_json's.
#[test]
fn a_good_assembled_from_its_parts_is_the_good_serde_json_writes() {
    let mut seen = (0, 0, 0);
    let report =
        common::run(&origin_engine::input::load_batch(&common::root().join("fixtures/demo/batch.yaml")).unwrap());
    {
        for g in &report.goods {
            let parts = CompactGood::of(g).unwrap();
            let mut whole = Vec::new();
            parts.write_good(g, true, &mut whole).unwrap();
            assert_eq!(String::from_utf8(whole).unwrap(), serde_json::to_string(g).unwrap(), "good {}", g.audit.good);
            let mut audit = Vec::new();
            parts.write_good(g, false, &mut audit).unwrap();
            assert_eq!(String::from_utf8(audit).unwrap(), serde_json::to_string(&g.audit).unwrap());
            assert_eq!(parts.determination, serde_json::to_string(&g.audit.determination).unwrap());
            assert_eq!(parts.findings.len(), g.audit.findings.len());
            seen.0 += usize::from(g.certificate.is_some());
            seen.1 += usize::from(g.audit.findings.is_empty());
            seen.2 += usize::from(!g.audit.findings.is_empty());
        }
    }
    // The demo holds goods with a certificate, goods without findings and goods with them.
    assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0, "cases covered: {seen:?}");
}

/// The sinks of one good share one serialization: the second call returns the same parts, not a new
/// serialization; without a shared cell each call serializes anew, with the same bytes.
#[test]
fn the_sinks_of_a_good_share_one_serialization() {
    let report =
        common::run(&origin_engine::input::load_batch(&common::root().join("fixtures/demo/batch.yaml")).unwrap());
    let g = &report.goods[0];
    let json = GoodJson::default();
    let shared = GoodResult { batch: "b", report: g, draft_if_cleared: None, pictures: None, json: Some(&json) };
    let first = shared.compact().unwrap();
    let second = shared.compact().unwrap();
    assert!(std::ptr::eq(first.determination.as_ptr(), second.determination.as_ptr()), "serialized twice");
    let alone = GoodResult { json: None, ..shared };
    assert_eq!(alone.compact().unwrap().determination, first.determination);
}
