//! zstd for the largest things a run stores: each good's determination JSON (about 19 KB for a 50-line
//! good), the kept batch file's parts (64 MiB each) and the lots' provenance pictures (SVG). The store's writer is bound by the bytes it
//! writes (each byte goes through SQLite's WAL and back), and JSON shrinks about sixfold. Digests are
//! always over the uncompressed bytes, so what the log binds, and `log verify` recomputes, does not depend
//! on how a row is kept; rows written before migration 0011 stay as they were and are read as before.

use crate::StoreError;

/// zstd level 1: the fastest of the standard levels, several hundred MB/s per core; higher levels cost
/// the audit workers more time than the few percent of bytes they save.
const LEVEL: i32 = 1;

/// The encoding name kept beside a compressed file part (`blobs.encoding`, `blob_parts.encoding`).
pub(crate) const ZSTD: &str = "zstd";

thread_local! {
    /// One compression context per thread (the audit workers), kept: making one per value showed in the
    /// profile of a stored run.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Compresses `bytes` into one zstd frame that records its own size.
pub(crate) fn pack(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        let c = match &mut *c {
            Some(c) => c,
            none => none.insert(zstd::bulk::Compressor::new(LEVEL)?),
        };
        Ok(c.compress(bytes)?)
    })
}

/// Decompresses one frame made by [`pack`], refusing a frame that says it holds more than `limit` bytes
/// (a damaged or edited row must not make the reader allocate without bound).
pub(crate) fn unpack(frame: &[u8], limit: usize, what: &str) -> Result<Vec<u8>, StoreError> {
    let damaged = |why: String| StoreError::Invalid(format!("{what}: the stored compressed bytes are damaged ({why})"));
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(n)) => n,
        Ok(None) => return Err(damaged("no content size".into())),
        Err(_) => return Err(damaged("no zstd frame header".into())),
    };
    let size = usize::try_from(size).ok().filter(|n| *n <= limit).ok_or_else(|| {
        damaged(format!("it says it holds {size} bytes, more than the {limit} such a value can hold"))
    })?;
    let out = zstd::bulk::decompress(frame, size).map_err(|e| damaged(e.to_string()))?;
    if out.len() != size {
        return Err(damaged(format!("{} bytes instead of {size}", out.len())));
    }
    Ok(out)
}

/// A stored text kept compressed in `z_col` (migration 0011), or as text in `text_col` in rows written
/// before it (`z_col` NULL): a determination's JSON, a lot's SVG.
pub(crate) fn text_column(
    r: &sqlx::any::AnyRow,
    z_col: &str,
    text_col: &str,
    what: &str,
) -> Result<String, StoreError> {
    use sqlx::Row as _;
    match r.try_get::<Option<Vec<u8>>, _>(z_col)? {
        Some(z) => String::from_utf8(unpack(&z, VALUE_LIMIT, what)?)
            .map_err(|_| StoreError::Invalid(format!("{what}: the stored text is not UTF-8"))),
        None => Ok(r.try_get(text_col)?),
    }
}

/// A stored determination's JSON text.
pub(crate) fn determination_text(r: &sqlx::any::AnyRow) -> Result<String, StoreError> {
    text_column(r, "determination_z", "determination", "a determination")
}

/// The largest text read back: 1 GiB, what either database holds in one value.
const VALUE_LIMIT: usize = 1 << 30;

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame comes back as it went in; a frame that claims more than the limit, or bytes that are not a
    /// frame, are errors that say what was being read, never a panic or a huge allocation.
    #[test]
    fn round_trip_and_damaged_frames() {
        let text = r#"{"outcome":"qualified","materials":[{"line":"10","origin":"MX"}]}"#.repeat(200);
        let z = pack(text.as_bytes()).unwrap_or_default();
        assert!(z.len() * 10 < text.len(), "{} -> {}", text.len(), z.len());
        assert_eq!(unpack(&z, text.len(), "x").ok().as_deref(), Some(text.as_bytes()));
        let e = unpack(&z, text.len() - 1, "a determination").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("a determination") && e.contains("more than"), "{e}");
        let e = unpack(b"not zstd", 100, "part 3").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("part 3") && e.contains("damaged"), "{e}");
        let mut cut = z.clone();
        cut.truncate(z.len() / 2);
        assert!(unpack(&cut, text.len(), "x").is_err());
    }
}
