//! A run's input files are kept whatever their size: a 5,000,000-line JSON batch is 1.4 GB, over the
//! 1 GB a single SQLite or PostgreSQL value may hold, so large files are kept in parts and read back
//! whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use origin_store::{BLOB_PART, Content, InputFile, NewRun, RunInputs, Store, sha256_hex};

/// A run of `files`, nothing else: what `begin_run` keeps.
fn run_of(files: Vec<InputFile>) -> NewRun {
    NewRun {
        actor: "test".into(),
        engine_version: "test".into(),
        rule_pack: "usmca@test".into(),
        as_of: None,
        options: origin_store::RunSettings::default(),
        goods_total: 0,
        inputs: RunInputs { files, rules_digest: "0".repeat(64) },
    }
}

/// The batch file `big.json` with `digest` and `content`.
fn big(digest: String, content: Content) -> Vec<InputFile> {
    vec![InputFile { kind: "batch", name: "big.json".into(), digest, content }]
}

#[tokio::test]
async fn an_input_file_larger_than_a_part_is_kept_in_parts_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("o.db").to_str().unwrap()).await.unwrap();
    // Two whole parts and a tail, with bytes that differ by position so a reordering would show.
    let content: Vec<u8> = (0..2 * BLOB_PART + 1234).map(|i| (i % 251) as u8).collect();
    let small = b"batch:\n  id: small\n".to_vec();
    let files = vec![
        InputFile {
            kind: "batch",
            name: "big.json".into(),
            digest: sha256_hex(&content),
            content: content.clone().into(),
        },
        InputFile {
            kind: "batch",
            name: "small.yaml".into(),
            digest: sha256_hex(&small),
            content: small.clone().into(),
        },
    ];
    let new = run_of(files);
    store.begin_run(&new).await.unwrap();
    // The same file again (a second run on the same input) is not stored twice.
    store.begin_run(&new).await.unwrap();
    assert_eq!(store.blob(&sha256_hex(&content)).await.unwrap(), content);
    assert_eq!(store.blob(&sha256_hex(&small)).await.unwrap(), small);
    use sqlx::Row;
    let parts = sqlx::query("SELECT COUNT(*) AS n FROM blob_parts").fetch_one(store.pool()).await.unwrap();
    assert_eq!(parts.try_get::<i64, _>("n").unwrap(), 3);
    // Kept compressed (migration 0011), each part on its own: far fewer bytes than the file, and each
    // part says how it is kept.
    let kept = sqlx::query("SELECT SUM(LENGTH(content)) AS n, COUNT(*) AS z FROM blob_parts WHERE encoding = 'zstd'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(kept.try_get::<i64, _>("z").unwrap(), 3);
    assert!(kept.try_get::<i64, _>("n").unwrap() * 10 < content.len() as i64);
    // An encoding this build does not know is an error naming the part, never bytes passed on as they are.
    sqlx::query("UPDATE blob_parts SET encoding = 'lz4' WHERE seq = 1").execute(store.pool()).await.unwrap();
    let e = store.blob(&sha256_hex(&content)).await.unwrap_err().to_string();
    assert!(e.contains("part 1 of stored file") && e.contains("unknown encoding `lz4`"), "{e}");
}

/// A batch larger than a part is digested as a stream and kept part by part from the file, never held
/// whole; a file that changed between its digest and its keeping is refused, and nothing is stored.
#[tokio::test]
async fn a_large_file_is_kept_from_disk_and_refused_if_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("o.db").to_str().unwrap()).await.unwrap();
    // Three parts: more than are read and compressed at a time, so the order across reads shows.
    let content: Vec<u8> = (0..2 * BLOB_PART + 77).map(|i| (i % 241) as u8).collect();
    let path = dir.path().join("big.json");
    std::fs::write(&path, &content).unwrap();
    let new = |digest: String| run_of(big(digest, Content::File(path.clone())));
    // Digested before the file changes: the digest no longer matches what is read when kept.
    let stale = new(sha256_hex(b"what the file held before"));
    let e = store.begin_run(&stale).await.unwrap_err().to_string();
    assert!(e.contains("changed while the run started"), "{e}");
    assert!(store.runs().await.unwrap().is_empty(), "nothing stored");
    store.begin_run(&new(sha256_hex(&content))).await.unwrap();
    assert_eq!(store.blob(&sha256_hex(&content)).await.unwrap(), content);
    use sqlx::Row;
    let parts = sqlx::query("SELECT COUNT(*) AS n FROM blob_parts").fetch_one(store.pool()).await.unwrap();
    assert_eq!(parts.try_get::<i64, _>("n").unwrap(), 3);
}

/// A large batch digested and compressed ahead of `record run` (while the engine reads it) is kept as
/// those compressed parts: the digest is the file's sha256 and the file reads back whole. A small file
/// is left to `record run`, and a run that will not start stops the pass.
#[tokio::test]
async fn a_large_file_packed_ahead_is_kept_as_packed() {
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("o.db").to_str().unwrap()).await.unwrap();
    let content: Vec<u8> = (0..2 * BLOB_PART + 501).map(|i| (i % 239) as u8).collect();
    let path = dir.path().join("big.json");
    std::fs::write(&path, &content).unwrap();
    let small = dir.path().join("small.json");
    std::fs::write(&small, b"{}").unwrap();
    let go = AtomicBool::new(false);
    assert!(origin_store::pack_ahead(&small, &go).unwrap().is_none());
    assert!(origin_store::pack_ahead(&path, &AtomicBool::new(true)).unwrap().is_none(), "stopped");
    let e = origin_store::pack_ahead(&dir.path().join("gone.json"), &go).unwrap_err().to_string();
    assert!(e.contains("gone.json"), "{e}");

    let packed = origin_store::pack_ahead(&path, &go).unwrap().unwrap();
    assert_eq!(packed.digest, sha256_hex(&content));
    assert_eq!(packed.parts.count(), 3);
    let new = run_of(big(packed.digest.clone(), Content::Packed(packed.parts)));
    store.begin_run(&new).await.unwrap();
    assert_eq!(store.blob(&sha256_hex(&content)).await.unwrap(), content);
    use sqlx::Row;
    let parts = sqlx::query("SELECT COUNT(*) AS n FROM blob_parts WHERE encoding = 'zstd'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(parts.try_get::<i64, _>("n").unwrap(), 3);
}
