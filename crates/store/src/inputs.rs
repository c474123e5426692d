//! The files a run used, with their sha256 digests: each batch file, the BOM files its header names,
//! and every file of the rule pack. Their contents are kept in the store (content-addressed), so an
//! export holds the inputs and rules exactly as used.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use origin_engine::input::{FileScope, resolve_bom_file};
use origin_rules::PackFiles;
use sha2::{Digest, Sha256};

use crate::runs::{BLOB_PART, hex};

/// One file a run used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// `batch`, `bom` or `rules`.
    pub kind: &'static str,
    /// The batch path as given; a BOM path relative to its batch; a rule file relative to the pack.
    pub name: String,
    /// sha256 of the content, hex.
    pub digest: String,
    /// The content.
    pub content: Content,
}

/// A file's content: in memory, or (a file larger than one [`BLOB_PART`]) on disk, digested in a
/// streaming pass and stored part by part, so a 1.4 GB batch is never held whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// The bytes.
    Bytes(Vec<u8>),
    /// A large file, read again part by part when stored (and refused if its digest changed).
    File(PathBuf),
    /// A large file already digested and compressed part by part (see [`pack_ahead`]): storing it only
    /// copies the compressed parts.
    Packed(PackedParts),
}

/// A large file's parts, each compressed on its own (`packed`), kept in order in an unnamed temporary
/// file (never a path another process could open or that outlives the process) until the run is
/// recorded.
#[derive(Debug, Clone)]
pub struct PackedParts {
    spill: Arc<Mutex<std::fs::File>>,
    /// Each compressed part's length, in order.
    lens: Arc<[u64]>,
}

impl PartialEq for PackedParts {
    fn eq(&self, other: &PackedParts) -> bool {
        Arc::ptr_eq(&self.spill, &other.spill)
    }
}

impl Eq for PackedParts {}

impl PackedParts {
    /// How many parts the file was cut into.
    pub fn count(&self) -> usize {
        self.lens.len()
    }

    /// Part `seq`, compressed, read back from the temporary file.
    pub(crate) fn read(&self, seq: usize) -> std::io::Result<Vec<u8>> {
        let len = self.lens.get(seq).copied().ok_or_else(|| std::io::Error::other(format!("no part {seq}")))?;
        let at = self.lens.iter().take(seq).sum::<u64>();
        let mut spill = self.spill.lock().map_err(|_| std::io::Error::other("the kept parts were poisoned"))?;
        spill.seek(std::io::SeekFrom::Start(at))?;
        let mut bytes = vec![0; usize::try_from(len).map_err(std::io::Error::other)?];
        spill.read_exact(&mut bytes)?;
        Ok(bytes)
    }
}

/// A batch file larger than one [`BLOB_PART`], digested and compressed ahead of `record run`.
#[derive(Debug, Clone)]
pub struct PackedFile {
    /// sha256 of the whole file, over exactly the bytes compressed.
    pub digest: String,
    /// The compressed parts.
    pub parts: PackedParts,
}

/// Reads a file larger than one [`BLOB_PART`] once, digesting it and compressing each part into an unnamed
/// temporary file; `Ok(None)` for a smaller file (read whole when the run is recorded) or when `stop`
/// was set (the run did not start).
///
/// The runner calls it on one core while the engine reads the same batch on the other, so that `record
/// run` no longer reads, digests and compresses a 1.4 GB batch after the read, one core idle, the other
/// digesting it twice (docs/performance.md, "Eighth step"). The digest and the kept bytes come from the
/// same pass, so they always match. Memory: one part and its compressed bytes at a time.
pub fn pack_ahead(path: &Path, stop: &AtomicBool) -> std::io::Result<Option<PackedFile>> {
    let located = |e: std::io::Error| std::io::Error::new(e.kind(), format!("reading `{}`: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(located)?;
    if file.metadata().map_err(located)?.len() <= BLOB_PART as u64 {
        return Ok(None);
    }
    let mut spill = tempfile::tempfile()?;
    let mut hasher = Sha256::new();
    let mut lens = Vec::new();
    let mut buf = Vec::with_capacity(BLOB_PART);
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        buf.clear();
        (&mut file).take(BLOB_PART as u64).read_to_end(&mut buf).map_err(located)?;
        if buf.is_empty() {
            break;
        }
        hasher.update(&buf);
        let packed = crate::packed::pack(&buf).map_err(std::io::Error::other)?;
        spill.write_all(&packed)?;
        lens.push(packed.len() as u64);
    }
    let digest = hex(&hasher.finalize());
    Ok(Some(PackedFile { digest, parts: PackedParts { spill: Arc::new(Mutex::new(spill)), lens: lens.into() } }))
}

impl From<Vec<u8>> for Content {
    fn from(bytes: Vec<u8>) -> Content {
        Content::Bytes(bytes)
    }
}

/// Every file of a run, and the digest of the rule pack as a whole.
#[derive(Debug, Clone)]
pub struct RunInputs {
    /// The files.
    pub files: Vec<InputFile>,
    /// sha256 over the sorted `name digest` lines of the pack's files.
    pub rules_digest: String,
}

/// sha256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn file(kind: &'static str, name: String, path: &Path) -> std::io::Result<InputFile> {
    let located = |e: std::io::Error| std::io::Error::new(e.kind(), format!("reading `{}`: {e}", path.display()));
    let len = std::fs::metadata(path).map_err(located)?.len();
    if len <= BLOB_PART as u64 {
        let content = std::fs::read(path).map_err(located)?;
        return Ok(InputFile { kind, name, digest: sha256_hex(&content), content: Content::Bytes(content) });
    }
    let mut hasher = Sha256::new();
    let mut f = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).map_err(located)?);
    std::io::copy(&mut f, &mut hasher).map_err(located)?;
    let digest = hex(&hasher.finalize());
    Ok(InputFile { kind, name, digest, content: Content::File(path.to_path_buf()) })
}

/// `batch.bom_files` of a batch file (see [`bom_files`]); a large JSON batch is read as a stream.
fn bom_files_of(f: &InputFile, path: &Path) -> std::io::Result<Vec<String>> {
    match &f.content {
        Content::Bytes(b) => Ok(bom_files(b)),
        Content::File(_) | Content::Packed(_) => {
            let mut r = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
            let first = std::io::BufRead::fill_buf(&mut r)?.iter().find(|b| !b.is_ascii_whitespace()).copied();
            if first == Some(b'{') {
                return Ok(serde_json::from_reader::<_, Head>(r)
                    .ok()
                    .and_then(|h| h.batch)
                    .map(|b| b.bom_files)
                    .unwrap_or_default());
            }
            Ok(bom_files(&std::fs::read(path)?))
        }
    }
}

/// Reads the batch files and the BOM files they name (`batch.bom_files`), and takes every file of the
/// rule pack used as it was read to load the rules (never read again from disk). BOM files are resolved as
/// the engine resolves them ([`resolve_bom_file`] in `scope`): one the engine would refuse is not read
/// here either. A batch under `upload_dir` is named by its path inside it, so that a server's temporary
/// directory is never recorded.
pub fn collect_inputs(
    batches: &[PathBuf],
    pack: &PackFiles,
    scope: FileScope,
    upload_dir: Option<&Path>,
) -> std::io::Result<RunInputs> {
    let mut files = Vec::new();
    for b in batches {
        let f = file("batch", batch_name(b, upload_dir), b)?;
        let boms = bom_files_of(&f, b)?;
        files.push(f);
        add_boms(&mut files, b, boms, scope)?;
    }
    Ok(with_pack(files, pack))
}

/// [`collect_inputs`] for batches already read by the engine: their `batch.bom_files` are taken from
/// the parsed batches (`boms`, one list per batch path), not read from the files again (a streaming
/// pass over a 1.4 GB JSON batch only to find that list took about 10 s). A batch packed ahead
/// (`ahead`, by position; see [`pack_ahead`]) is taken as packed, not digested again.
pub fn collect_read_inputs(
    batches: &[PathBuf],
    boms: &[&[String]],
    ahead: Vec<Option<PackedFile>>,
    pack: &PackFiles,
    scope: FileScope,
    upload_dir: Option<&Path>,
) -> std::io::Result<RunInputs> {
    let mut files = Vec::new();
    let mut ahead = ahead.into_iter();
    for (b, names) in batches.iter().zip(boms) {
        let name = batch_name(b, upload_dir);
        files.push(match ahead.next().flatten() {
            Some(p) => InputFile { kind: "batch", name, digest: p.digest, content: Content::Packed(p.parts) },
            None => file("batch", name, b)?,
        });
        add_boms(&mut files, b, names.to_vec(), scope)?;
    }
    Ok(with_pack(files, pack))
}

/// The BOM files `names` of the batch at `batch`, each once.
fn add_boms(files: &mut Vec<InputFile>, batch: &Path, names: Vec<String>, scope: FileScope) -> std::io::Result<()> {
    for name in names {
        let Ok(path) = resolve_bom_file(batch, &name, scope) else { continue };
        if path.is_file() && !files.iter().any(|f: &InputFile| f.kind == "bom" && f.name == name) {
            files.push(file("bom", name, &path)?);
        }
    }
    Ok(())
}

/// `files` and every file of the rule pack, taken as it was read to load the rules.
fn with_pack(mut files: Vec<InputFile>, pack: &PackFiles) -> RunInputs {
    let mut listing = String::new();
    for (name, content) in pack.iter() {
        let f = InputFile {
            kind: "rules",
            name: name.to_string(),
            digest: sha256_hex(content),
            content: content.to_vec().into(),
        };
        listing.push_str(&format!("{}  {}\n", f.digest, f.name));
        files.push(f);
    }
    RunInputs { files, rules_digest: sha256_hex(listing.as_bytes()) }
}

/// The part of a batch header that names its BOM files.
#[derive(serde::Deserialize)]
struct Head {
    batch: Option<HeadBatch>,
}

#[derive(serde::Deserialize)]
struct HeadBatch {
    #[serde(default)]
    bom_files: Vec<String>,
}

/// How a run records a batch path: as given, or relative to the upload directory it is in.
pub fn batch_name(batch: &Path, upload_dir: Option<&Path>) -> String {
    match upload_dir.and_then(|d| batch.strip_prefix(d).ok()) {
        Some(rel) => rel.display().to_string(),
        None => batch.display().to_string(),
    }
}

/// `batch.bom_files` from a YAML or JSON batch; empty when it cannot be read (the engine reports that).
/// Public for the server, which places uploaded BOM files where their batch names them.
/// A JSON batch is read with serde_json into just that field, skipping the rest without building it:
/// a generic YAML value of a 1.4 GB JSON batch would take tens of gigabytes.
pub fn bom_files(content: &[u8]) -> Vec<String> {
    if content.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return serde_json::from_slice::<Head>(content)
            .ok()
            .and_then(|h| h.batch)
            .map(|b| b.bom_files)
            .unwrap_or_default();
    }
    let Ok(v) = serde_yaml::from_slice::<serde_yaml::Value>(content) else { return Vec::new() };
    v.get("batch")
        .and_then(|b| b.get("bom_files"))
        .and_then(|b| b.as_sequence())
        .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_files_from_yaml_and_json() {
        assert_eq!(bom_files(b"batch:\n  id: x\n  bom_files: [a.csv, \"b.xlsx\"]  # c\n"), vec!["a.csv", "b.xlsx"]);
        assert_eq!(bom_files(b"batch:\n  bom_files:\n    - a.csv\n    - b.csv\ngoods: []\n"), vec!["a.csv", "b.csv"]);
        assert_eq!(bom_files(br#"{"batch": {"bom_files": ["x.csv"]}}"#), vec!["x.csv"]);
        assert!(bom_files(b"batch:\n  id: x\n").is_empty());
        let json = br#"  {"goods": [{"id": "g", "bom": [1, 2]}], "batch": {"id": "x", "bom_files": ["y.csv"]}}"#;
        assert_eq!(bom_files(json), vec!["y.csv"]);
        assert!(bom_files(br#"{"batch": {"id": "x"}, "goods": []}"#).is_empty());
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
