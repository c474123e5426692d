//! A run's input files are kept whatever their size: a 5,000,000-line JSON batch is 1.4 GB, over the
//! 1 GB a single SQLite or PostgreSQL value may hold, so large files are kept in parts and read back
//! whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use origin_store::{BLOB_PART, InputFile, NewRun, RunInputs, Store, sha256_hex};

#[tokio::test]
async fn an_input_file_larger_than_a_part_is_kept_in_parts_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("o.db").to_str().unwrap()).await.unwrap();
    // Two whole parts and a tail, with bytes that differ by position so a reordering would show.
    let content: Vec<u8> = (0..2 * BLOB_PART + 1234).map(|i| (i % 251) as u8).collect();
    let small = b"batch:\n  id: small\n".to_vec();
    let files = vec![
        InputFile { kind: "batch", name: "big.json".into(), digest: sha256_hex(&content), content: content.clone() },
        InputFile { kind: "batch", name: "small.yaml".into(), digest: sha256_hex(&small), content: small.clone() },
    ];
    let new = NewRun {
        actor: "test".into(),
        engine_version: "test".into(),
        rule_pack: "usmca@test".into(),
        as_of: None,
        options: origin_store::RunSettings::default(),
        goods_total: 0,
        inputs: RunInputs { files, rules_digest: "0".repeat(64) },
    };
    store.begin_run(&new).await.unwrap();
    // The same file again (a second run on the same input) is not stored twice.
    store.begin_run(&new).await.unwrap();
    assert_eq!(store.blob(&sha256_hex(&content)).await.unwrap(), content);
    assert_eq!(store.blob(&sha256_hex(&small)).await.unwrap(), small);
    use sqlx::Row;
    let parts = sqlx::query("SELECT COUNT(*) AS n FROM blob_parts").fetch_one(store.pool()).await.unwrap();
    assert_eq!(parts.try_get::<i64, _>("n").unwrap(), 3);
}
