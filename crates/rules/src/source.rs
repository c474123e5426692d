//! Where a rule pack comes from: the USMCA pack built into the binary (the default, so an installed
//! `origin-audit` needs no checkout), or a directory given with `--rules DIR` / ORIGIN_AUDIT_RULES.
//! Both are read into the same [`PackFiles`] (path relative to the pack, bytes), which the loader
//! checks with the same diagnostics and the store digests, so the digest recorded with a run is the
//! digest of exactly the pack the run used.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::load::{Loaded, load_files};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_pack.rs"));
}

/// How the built-in pack is named in messages and in a run's record.
pub const BUILTIN_NAME: &str = "built-in";

/// The files of one pack: '/'-separated path relative to the pack root -> content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackFiles {
    files: BTreeMap<String, Cow<'static, [u8]>>,
}

impl PackFiles {
    /// The pack built into this binary: every file of `rules/usmca` at build time.
    pub fn builtin() -> Self {
        PackFiles {
            files: builtin::FILES.iter().map(|(name, bytes)| ((*name).to_string(), Cow::Borrowed(*bytes))).collect(),
        }
    }

    /// Every file under `dir`, recursively; names starting with `.` (editor swap files, `.git`) are skipped.
    pub fn read_dir(dir: &Path) -> std::io::Result<Self> {
        let mut files = BTreeMap::new();
        walk(dir, dir, &mut files)?;
        Ok(PackFiles { files })
    }

    /// Pairs of (relative path, bytes), as a test or an embedding program holds them.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        PackFiles { files: pairs.into_iter().map(|(n, b)| (n.to_string(), Cow::Owned(b.to_vec()))).collect() }
    }

    /// The content of `name` (relative, '/'-separated).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(|b| b.as_ref())
    }

    /// Every file, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(n, b)| (n.as_str(), b.as_ref()))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// No file at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes every file under `dir` (created when missing), keeping the relative paths.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for (name, bytes) in self.iter() {
            let path = name.split('/').fold(dir.to_path_buf(), |p, part| p.join(part));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)
                .map_err(|e| std::io::Error::new(e.kind(), format!("writing `{}`: {e}", path.display())))?;
        }
        Ok(())
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Cow<'static, [u8]>>) -> std::io::Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("reading the rule pack `{}`: {e}", dir.display())))?;
    for entry in entries {
        let path = entry?.path();
        if path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.')) {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if path.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let name: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            let bytes = std::fs::read(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("reading `{}`: {e}", path.display())))?;
            out.insert(name.join("/"), Cow::Owned(bytes));
        }
    }
    Ok(())
}

/// The pack a command uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackSource {
    /// The USMCA pack built into the binary (the default).
    BuiltIn,
    /// A pack directory (`--rules DIR` or ORIGIN_AUDIT_RULES).
    Dir(PathBuf),
}

impl PackSource {
    /// `--rules` when given, else the built-in pack.
    pub fn from_option(dir: Option<PathBuf>) -> Self {
        dir.map_or(PackSource::BuiltIn, PackSource::Dir)
    }

    /// The pack's files. A directory that does not exist is [`PackError::MissingDir`], with one message
    /// that says what to do.
    pub fn files(&self) -> Result<PackFiles, PackError> {
        match self {
            PackSource::BuiltIn => Ok(PackFiles::builtin()),
            PackSource::Dir(dir) if !dir.is_dir() => Err(PackError::MissingDir(dir.clone())),
            PackSource::Dir(dir) => PackFiles::read_dir(dir).map_err(PackError::Io),
        }
    }

    /// Reads and checks the pack. A missing directory is one `missing-pack` error.
    pub fn load(&self) -> Loaded {
        match self.files() {
            Ok(files) => load_files(&files),
            Err(e) => Loaded { rules: None, diagnostics: vec![e.diagnostic()] },
        }
    }

    /// Where diagnostics point: the directory, or `<built-in>` for the embedded pack.
    pub fn display_root(&self) -> PathBuf {
        match self {
            PackSource::BuiltIn => PathBuf::from("<built-in>"),
            PackSource::Dir(d) => d.clone(),
        }
    }

    /// How a run records its pack: `built-in` or the directory as given.
    pub fn record(&self) -> String {
        match self {
            PackSource::BuiltIn => BUILTIN_NAME.to_string(),
            PackSource::Dir(d) => d.display().to_string(),
        }
    }
}

impl From<PathBuf> for PackSource {
    fn from(dir: PathBuf) -> Self {
        PackSource::Dir(dir)
    }
}

impl From<&Path> for PackSource {
    fn from(dir: &Path) -> Self {
        PackSource::Dir(dir.to_path_buf())
    }
}

/// "the built-in USMCA pack" or "the rule pack `DIR`", to start or end a sentence.
impl fmt::Display for PackSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackSource::BuiltIn => write!(f, "the built-in USMCA pack"),
            PackSource::Dir(d) => write!(f, "the rule pack `{}`", d.display()),
        }
    }
}

/// Why a pack's files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// `--rules DIR` names no directory.
    #[error(
        "the rule-pack directory `{}` does not exist\n  help: leave out --rules (and ORIGIN_AUDIT_RULES) to use the built-in USMCA pack, or write it for editing with `origin-audit rules export DIR`",
        .0.display()
    )]
    MissingDir(PathBuf),
    /// A file could not be read.
    #[error("{0}")]
    Io(std::io::Error),
}

impl PackError {
    /// The same problem as a diagnostic, for `rules check`.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            PackError::MissingDir(dir) => Diagnostic::error(
                "missing-pack",
                Path::new(""),
                "",
                format!("the rule-pack directory `{}` does not exist", dir.display()),
            )
            .help("leave out --rules (and ORIGIN_AUDIT_RULES) to use the built-in USMCA pack, or write it for editing with `origin-audit rules export DIR`"),
            PackError::Io(e) => Diagnostic::error("missing-pack", Path::new(""), "", e.to_string()),
        }
    }
}
