//! Embeds the USMCA rule pack (`rules/usmca` at the workspace root) in the crate, so an installed
//! `origin-audit` audits with no checkout at hand. Every file of the directory is taken, walked
//! generically (a new chapter file or data file is picked up without editing this script); files and
//! directories whose name starts with `.` (editor swap files) are skipped, as the directory reader skips
//! them, so the built-in pack and the same directory have the same digest.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if path.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let name: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push((name.join("/"), path));
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let pack = manifest.join("../../rules/usmca");
    let pack = pack.canonicalize().map_err(|e| format!("the built-in rule pack `{}`: {e}", pack.display()))?;
    println!("cargo:rerun-if-changed={}", pack.display());
    let mut files = Vec::new();
    walk(&pack, &pack, &mut files)?;
    files.sort();
    let mut src = String::from(
        "/// The files of `rules/usmca` at build time: path relative to the pack ('/'-separated), bytes.\n\
         pub(crate) static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let abs = path.to_str().ok_or_else(|| format!("`{}` is not UTF-8", path.display()))?;
        writeln!(src, "    ({name:?}, include_bytes!({abs:?})),")?;
    }
    src.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("builtin_pack.rs");
    std::fs::write(out, src)?;
    Ok(())
}
