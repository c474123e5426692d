//! Starting a run: its input files kept once per content (large ones part by part from disk) and the
//! `running` row; reopening a stopped run for `--resume`.

use super::*;
use crate::packed;

/// Files larger than this are kept in parts of this size (`blob_parts`): both databases refuse a single
/// value of 1 GB or more.
pub const BLOB_PART: usize = 64 * 1024 * 1024;

/// Parts of a large file read, digested and compressed at a time: the two cores share the work (one
/// digests the bytes and compresses the second part while the other compresses the first), where one
/// part at a time left a core idle for the whole `record run` phase.
const PARTS_AT_ONCE: usize = 2;

/// Reads up to [`PARTS_AT_ONCE`] parts of `file`, feeds them to `hasher` in order and compresses each;
/// fewer parts than asked means the file's end was reached.
fn read_and_pack_parts(file: &mut std::fs::File, mut hasher: Sha256) -> (Result<Vec<Vec<u8>>, StoreError>, Sha256) {
    let mut raw = Vec::with_capacity(PARTS_AT_ONCE);
    for _ in 0..PARTS_AT_ONCE {
        let mut buf = Vec::with_capacity(BLOB_PART);
        if let Err(e) = std::io::Read::read_to_end(&mut std::io::Read::take(&mut *file, BLOB_PART as u64), &mut buf) {
            return (Err(e.into()), hasher);
        }
        if buf.is_empty() {
            break;
        }
        raw.push(buf);
    }
    let raw = &raw;
    let Some((first, rest)) = raw.split_first() else { return (Ok(Vec::new()), hasher) };
    std::thread::scope(|s| {
        let other = s.spawn(move || {
            raw.iter().for_each(|r| hasher.update(r));
            let packed: Result<Vec<_>, StoreError> = rest.iter().map(|r| packed::pack(r)).collect();
            (hasher, packed)
        });
        let packed_first = packed::pack(first);
        match other.join() {
            Ok((hasher, packed_rest)) => {
                let all = packed_first.and_then(|f| Ok(std::iter::once(f).chain(packed_rest?).collect()));
                (all, hasher)
            }
            Err(_) => (Err(StoreError::Invalid("compressing a kept file stopped unexpectedly".into())), Sha256::new()),
        }
    })
}

/// Keeps one input file's content under its digest (once: a digest already kept is not written again).
/// A large file is read part by part and hashed again as it is stored; if it changed since it was
/// digested, the run is refused (the transaction rolls back) instead of keeping bytes that do not match.
async fn store_blob(tx: &mut sqlx::Transaction<'_, sqlx::Any>, f: &InputFile) -> Result<(), StoreError> {
    let path = match &f.content {
        Content::Bytes(bytes) if bytes.len() <= BLOB_PART => {
            sqlx::query(
                "INSERT INTO blobs (digest, content, encoding) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING",
            )
            .bind(&f.digest)
            .bind(packed::pack(bytes)?)
            .bind(packed::ZSTD)
            .execute(&mut **tx)
            .await?;
            return Ok(());
        }
        Content::Bytes(_) | Content::Packed(_) => None,
        Content::File(path) => Some(path.clone()),
    };
    let stored = sqlx::query("INSERT INTO blobs (digest, content) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
        .bind(&f.digest)
        .bind(Vec::<u8>::new())
        .execute(&mut **tx)
        .await?;
    if stored.rows_affected() == 0 {
        return Ok(());
    }
    // Each part compressed on its own (`packed`), so a reader needs one part at a time.
    let part = |seq: usize, packed: Vec<u8>| {
        sqlx::query("INSERT INTO blob_parts (digest, seq, content, encoding) VALUES ($1, $2, $3, $4)")
            .bind(f.digest.clone())
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(packed)
            .bind(packed::ZSTD)
    };
    match (path, &f.content) {
        (None, Content::Bytes(bytes)) => {
            for (seq, p) in bytes.chunks(BLOB_PART).enumerate() {
                part(seq, packed::pack(p)?).execute(&mut **tx).await?;
            }
        }
        (Some(path), _) => {
            let mut file = std::fs::File::open(&path)?;
            let mut hasher = Sha256::new();
            let mut seq = 0;
            loop {
                let (back, h, packed) = tokio::task::spawn_blocking(move || {
                    let (parts, hasher) = read_and_pack_parts(&mut file, hasher);
                    (file, hasher, parts)
                })
                .await
                .map_err(|e| StoreError::Invalid(format!("reading `{}` stopped: {e}", path.display())))?;
                (file, hasher) = (back, h);
                let packed = packed?;
                let last = packed.len() < PARTS_AT_ONCE;
                for p in packed {
                    part(seq, p).execute(&mut **tx).await?;
                    seq += 1;
                }
                if last {
                    break;
                }
            }
            let digest = hex(&hasher.finalize());
            if digest != f.digest {
                return Err(StoreError::Invalid(format!(
                    "`{}` changed while the run started (sha256 {} when read, {digest} when kept); nothing was stored\n  help: run again once the file is final",
                    path.display(),
                    f.digest
                )));
            }
        }
        (None, Content::Packed(parts)) => {
            // Digested and compressed in one pass beside the engine's read (`pack_ahead`): the digest is
            // of exactly these bytes, so there is nothing to check again.
            for seq in 0..parts.count() {
                let p = parts.clone();
                let packed = tokio::task::spawn_blocking(move || p.read(seq))
                    .await
                    .map_err(|e| StoreError::Invalid(format!("keeping `{}` stopped: {e}", f.name)))??;
                part(seq, packed).execute(&mut **tx).await?;
            }
        }
        (None, Content::File(_)) => {}
    }
    Ok(())
}

impl Store {
    /// Starts a run: stores the files it uses and a `running` row. Returns the run id.
    pub async fn begin_run(&self, new: &NewRun) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write_tx().await?;
        for f in &new.inputs.files {
            store_blob(&mut tx, f).await?;
        }
        sqlx::query(
            "INSERT INTO runs (id, started_at, status, actor, engine_version, rule_pack, rules_digest, as_of, options, goods_total, read_facts) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9, 1)",
        )
        .bind(&id)
        .bind(now())
        .bind(&new.actor)
        .bind(&new.engine_version)
        .bind(&new.rule_pack)
        .bind(&new.inputs.rules_digest)
        .bind(new.as_of.map(|d| d.to_string()))
        .bind(serde_json::to_string(&new.options)?)
        .bind(new.goods_total)
        .execute(&mut *tx)
        .await?;
        for f in &new.inputs.files {
            sqlx::query("INSERT INTO run_files (run_id, kind, name, digest) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, kind, name) DO NOTHING")
                .bind(&id)
                .bind(f.kind)
                .bind(&f.name)
                .bind(&f.digest)
                .execute(&mut *tx)
                .await?;
        }
        let files: Vec<_> =
            new.inputs.files.iter().map(|f| json!({"kind": f.kind, "name": f.name, "digest": f.digest})).collect();
        let payload = json!({
            "engine_version": new.engine_version,
            "rule_pack": new.rule_pack,
            "rules_digest": new.inputs.rules_digest,
            "as_of": new.as_of.map(|d| d.to_string()),
            "goods_total": new.goods_total,
            "files": files,
        });
        append(&mut tx, &new.actor, "run.started", &format!("run:{id}"), &payload).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Makes a stopped (failed, cancelled or killed) run resumable again.
    pub async fn reopen_run(&self, run: &str, actor: &str) -> Result<RunRow, StoreError> {
        let mut tx = self.write_tx().await?;
        let r = sqlx::query("SELECT status FROM runs WHERE id = $1")
            .bind(run)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no run `{run}`")))?;
        let status: String = r.try_get("status")?;
        if status == "completed" {
            return Err(StoreError::Invalid(format!("run `{run}` is already completed; nothing to resume")));
        }
        sqlx::query("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = $1")
            .bind(run)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, actor, "run.resumed", &format!("run:{run}"), &json!({"from_status": status})).await?;
        tx.commit().await?;
        self.run(run).await
    }
}
