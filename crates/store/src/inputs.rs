//! The files a run used, with their sha256 digests: each batch file, the BOM files its header names,
//! and every file of the rule pack. Their contents are kept in the store (content-addressed), so an
//! export holds the inputs and rules exactly as used.

use std::path::{Path, PathBuf};

use origin_engine::input::{FileScope, resolve_bom_file};
use origin_rules::{PackError, PackSource};
use sha2::{Digest, Sha256};

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
    pub content: Vec<u8>,
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
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn file(kind: &'static str, name: String, path: &Path) -> std::io::Result<InputFile> {
    let content =
        std::fs::read(path).map_err(|e| std::io::Error::new(e.kind(), format!("reading `{}`: {e}", path.display())))?;
    Ok(InputFile { kind, name, digest: sha256_hex(&content), content })
}

/// Reads the batch files, the BOM files they name (`batch.bom_files`), and every file of the rule pack
/// used (the built-in pack's embedded files, or the `--rules` directory's). BOM files are resolved as
/// the engine resolves them ([`resolve_bom_file`] in `scope`): one the engine would refuse is not read
/// here either. A batch under `upload_dir` is named by its path inside it, so that a server's temporary
/// directory is never recorded.
pub fn collect_inputs(
    batches: &[PathBuf],
    pack: &PackSource,
    scope: FileScope,
    upload_dir: Option<&Path>,
) -> std::io::Result<RunInputs> {
    let mut files = Vec::new();
    for b in batches {
        let f = file("batch", batch_name(b, upload_dir), b)?;
        let boms = bom_files(&f.content);
        files.push(f);
        for name in boms {
            let Ok(path) = resolve_bom_file(b, &name, scope) else { continue };
            if path.is_file() && !files.iter().any(|f: &InputFile| f.kind == "bom" && f.name == name) {
                files.push(file("bom", name, &path)?);
            }
        }
    }
    let rules = pack.files().map_err(|e| match e {
        PackError::Io(e) => e,
        e @ PackError::MissingDir(_) => std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string()),
    })?;
    let mut listing = String::new();
    for (name, content) in rules.iter() {
        let f =
            InputFile { kind: "rules", name: name.to_string(), digest: sha256_hex(content), content: content.to_vec() };
        listing.push_str(&format!("{}  {}\n", f.digest, f.name));
        files.push(f);
    }
    Ok(RunInputs { files, rules_digest: sha256_hex(listing.as_bytes()) })
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
    #[derive(serde::Deserialize)]
    struct Head {
        batch: Option<HeadBatch>,
    }
    #[derive(serde::Deserialize)]
    struct HeadBatch {
        #[serde(default)]
        bom_files: Vec<String>,
    }
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
