//! Reading a pack (a directory or the built-in files, see `source`): each file parsed, each entry
//! deserialized on its own so that one bad entry does not hide the problems of the next, and every
//! problem located.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::diag::Diagnostic;
use crate::locate::{PathIndex, Position};
use crate::model::{Citation, RuleSet};
use crate::nomenclature::{Correlation, Nomenclature, check_direction};
use crate::raw::{
    RawAutomotive, RawChapterFile, RawChapterRule, RawCountryGroups, RawGeneral, RawKinds, RawPack, RawRule,
    RawTransformationPolicy,
};
use crate::resolve::Resolver;
use crate::source::{PackFiles, PackSource};

/// The result of loading a pack: the rule set when there was no error, and every diagnostic.
#[derive(Debug)]
pub struct Loaded {
    /// The checked rule set; `None` when any error was found.
    pub rules: Option<RuleSet>,
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == crate::Severity::Error).count()
    }
}

/// One YAML file of the pack, with its path index.
#[derive(Debug)]
pub(crate) struct FileCtx {
    /// Path relative to the pack directory.
    pub rel: PathBuf,
    index: PathIndex,
}

impl FileCtx {
    /// Position of a YAML path in this file.
    pub fn pos(&self, path: &str) -> Option<Position> {
        self.index.find(path)
    }

    /// An error located at `path`.
    pub fn error(&self, code: &'static str, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, &self.rel, path, message).at(self.pos(path))
    }

    /// A warning located at `path`.
    pub fn warning(&self, code: &'static str, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(code, &self.rel, path, message).at(self.pos(path))
    }
}

/// Known top-level files besides `psr/`.
const FILES: [&str; 6] =
    ["pack.yaml", "general.yaml", "country-groups.yaml", "automotive.yaml", "transformation-policy.yaml", "kinds.yaml"];

/// Loads and checks the pack in `dir`; a missing directory is one `missing-pack` error.
pub fn load_pack(dir: &Path) -> Loaded {
    PackSource::Dir(dir.to_path_buf()).load()
}

/// Checks a pack held as files (the built-in pack, or a directory read into memory), with the same
/// diagnostics as a directory: file names are as in the pack (`psr/ch85.yaml`).
pub fn load_files(files: &PackFiles) -> Loaded {
    let mut diags = Vec::new();
    let mut r = Resolver::default();

    // Unknown files are probably misnamed: warn, so an edit is never silently ignored.
    for (name, _) in files.iter() {
        let top_level = !name.contains('/');
        let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if top_level && is_yaml && !FILES.contains(&name) {
            diags.push(
                Diagnostic::warning(
                    "unknown-file",
                    Path::new(name),
                    "",
                    format!("`{name}` is not a rule-pack file and is ignored"),
                )
                .help(format!("the pack reads {}, and psr/chNN.yaml", FILES.join(", "))),
            );
        }
    }

    // The readers below take the pack's files where they once took its directory.
    let dir = files;
    let pack: Option<(RawPack, FileCtx)> = read_whole(dir, "pack.yaml", &mut diags);
    let general: Option<(RawGeneral, FileCtx)> = read_whole(dir, "general.yaml", &mut diags);
    let groups: Option<(RawCountryGroups, FileCtx)> = read_whole(dir, "country-groups.yaml", &mut diags);
    let auto: Option<(RawAutomotive, FileCtx)> = read_whole(dir, "automotive.yaml", &mut diags);
    let policy: Option<(RawTransformationPolicy, FileCtx)> = read_whole(dir, "transformation-policy.yaml", &mut diags);
    // Optional: a pack whose rules name no kind needs no vocabulary; a rule that names one without it
    // is reported as an undeclared kind.
    let kinds: Option<(RawKinds, FileCtx)> =
        if dir.get("kinds.yaml").is_some() { read_whole(dir, "kinds.yaml", &mut diags) } else { None };

    let mut chapters = Vec::new();
    let psr_files: Vec<&str> = files
        .iter()
        .map(|(name, _)| name)
        .filter(|n| n.strip_prefix("psr/").is_some_and(|rest| !rest.contains('/')))
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .collect();
    if psr_files.is_empty() {
        diags.push(
            Diagnostic::warning("no-rules", Path::new("psr"), "", "the pack has no product-specific rules")
                .help("add psr/chNN.yaml files; every HS code without a rule is reported as `no rule`"),
        );
    }
    for name in psr_files {
        if let Some(ch) = read_chapter(dir, Path::new(name), &mut diags) {
            chapters.push(ch);
        }
    }

    r.kinds_unreadable = dir.get("kinds.yaml").is_some() && kinds.is_none();
    let nomenclature = pack.as_ref().map(|(p, ctx)| read_correlation(dir, p, ctx, &mut diags));
    let rules = r.resolve(pack, general, groups, auto, policy, kinds, chapters, nomenclature, &mut diags);
    diags.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let rules = if diags.iter().any(|d| d.severity == crate::Severity::Error) { None } else { rules };
    Loaded { rules, diagnostics: diags }
}

/// Reads a file and builds its path index; reports a missing file or a syntax error.
fn read_file(dir: &PackFiles, rel: &Path, diags: &mut Vec<Diagnostic>) -> Option<(serde_yaml::Value, FileCtx)> {
    let name = rel.to_string_lossy().replace('\\', "/");
    let text = match dir.get(&name).map(std::str::from_utf8) {
        Some(Ok(t)) => t.to_string(),
        Some(Err(e)) => {
            diags.push(
                Diagnostic::error("not-utf8", rel, "", format!("`{name}` is not UTF-8 text: {e}"))
                    .help("save the file as UTF-8"),
            );
            return None;
        }
        None => {
            diags.push(
                Diagnostic::error("missing-file", rel, "", format!("cannot read `{name}`: the pack has no such file"))
                    .help("every pack holds pack.yaml, general.yaml, country-groups.yaml, automotive.yaml and transformation-policy.yaml; see docs/rules-format.md"),
            );
            return None;
        }
    };
    let index = match PathIndex::build(&text) {
        Ok(i) => i,
        Err(e) => {
            diags.push(
                Diagnostic::error("yaml-syntax", rel, "", format!("malformed YAML: {}", e.message))
                    .at(Some(e.position))
                    .help("check the indentation and the quoting on this line and the one before it"),
            );
            return None;
        }
    };
    let ctx = FileCtx { rel: rel.to_path_buf(), index };
    match serde_yaml::from_str::<serde_yaml::Value>(&text) {
        Ok(v) => Some((v, ctx)),
        Err(e) => {
            let pos = e.location().map(|l| Position { line: l.line(), column: l.column() });
            diags.push(
                Diagnostic::error("yaml-syntax", rel, "", format!("malformed YAML: {e}"))
                    .at(pos)
                    .help("check the indentation and the quoting on this line"),
            );
            None
        }
    }
}

/// Deserializes `value` as `T`, turning a failure into a located diagnostic under `base`.
#[expect(
    clippy::result_large_err,
    reason = "built once per entry; diagnostics are collected, not propagated up a hot path"
)]
pub(crate) fn deserialize_at<T: DeserializeOwned>(
    value: serde_yaml::Value,
    base: &str,
    ctx: &FileCtx,
) -> Result<T, Diagnostic> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let inner = e.path().to_string();
        let inner = if inner == "." { String::new() } else { inner };
        let path = match (base.is_empty(), inner.is_empty()) {
            (true, _) => inner,
            (false, true) => base.to_string(),
            (false, false) if inner.starts_with('[') => format!("{base}{inner}"),
            (false, false) => format!("{base}.{inner}"),
        };
        let msg = e.into_inner().to_string();
        let help = if msg.contains("unknown field") {
            "check the spelling; the keys allowed here are listed in docs/rules-format.md"
        } else if msg.contains("missing field") {
            "add the missing key; see docs/rules-format.md for what each entry needs"
        } else {
            "see docs/rules-format.md for the type this key takes"
        };
        ctx.error("bad-shape", &path, msg).help(help)
    })
}

fn read_whole<T: DeserializeOwned>(dir: &PackFiles, name: &str, diags: &mut Vec<Diagnostic>) -> Option<(T, FileCtx)> {
    let (value, ctx) = read_file(dir, Path::new(name), diags)?;
    match deserialize_at::<T>(value, "", &ctx) {
        Ok(t) => Some((t, ctx)),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// A chapter file read entry by entry.
#[derive(Debug)]
pub(crate) struct ChapterInput {
    pub file: RawChapterFile,
    pub ctx: FileCtx,
    /// Index in the file of each rule kept (rules that failed to deserialize are dropped).
    pub rule_indexes: Vec<usize>,
    /// Same for chapter rules.
    pub chapter_rule_indexes: Vec<usize>,
}

fn read_chapter(dir: &PackFiles, rel: &Path, diags: &mut Vec<Diagnostic>) -> Option<ChapterInput> {
    let (value, ctx) = read_file(dir, rel, diags)?;
    let serde_yaml::Value::Mapping(map) = value else {
        diags.push(ctx.error(
            "bad-shape",
            "",
            "a chapter file is a mapping with `chapter`, `chapter_rules` and `rules`",
        ));
        return None;
    };
    let mut chapter = None;
    let mut rules = Vec::new();
    let mut rule_indexes = Vec::new();
    let mut chapter_rules = Vec::new();
    let mut chapter_rule_indexes = Vec::new();
    for (k, v) in map {
        let key = k.as_str().unwrap_or_default().to_string();
        match key.as_str() {
            "chapter" => match deserialize_at::<u8>(v, "chapter", &ctx) {
                Ok(c) => chapter = Some(c),
                Err(d) => diags.push(d),
            },
            "rules" | "chapter_rules" => {
                let serde_yaml::Value::Sequence(items) = v else {
                    diags.push(ctx.error("bad-shape", &key, format!("`{key}` must be a list")));
                    continue;
                };
                for (i, item) in items.into_iter().enumerate() {
                    let base = format!("{key}[{i}]");
                    if key == "rules" {
                        match deserialize_at::<RawRule>(item, &base, &ctx) {
                            Ok(r) => {
                                rules.push(r);
                                rule_indexes.push(i);
                            }
                            Err(d) => diags.push(d),
                        }
                    } else {
                        match deserialize_at::<RawChapterRule>(item, &base, &ctx) {
                            Ok(r) => {
                                chapter_rules.push(r);
                                chapter_rule_indexes.push(i);
                            }
                            Err(d) => diags.push(d),
                        }
                    }
                }
            }
            other => diags.push(
                ctx.error("bad-shape", other, format!("unknown field `{other}` in a chapter file"))
                    .help("a chapter file has `chapter`, `chapter_rules` and `rules`"),
            ),
        }
    }
    let Some(chapter) = chapter else {
        diags.push(
            ctx.error("bad-shape", "", "missing field `chapter`").help("add `chapter: NN` at the top of the file"),
        );
        return None;
    };
    Some(ChapterInput {
        file: RawChapterFile { chapter, chapter_rules, rules },
        ctx,
        rule_indexes,
        chapter_rule_indexes,
    })
}

/// The pack's HS edition and its correlation table (pack.yaml `nomenclature`, `correlation`): the CSV
/// is read, its SHA-256 compared with the one pack.yaml cites, and every bad row located.
fn read_correlation(
    dir: &PackFiles,
    p: &RawPack,
    ctx: &FileCtx,
    diags: &mut Vec<Diagnostic>,
) -> (Nomenclature, Option<Correlation>) {
    let Some(c) = &p.correlation else { return (p.nomenclature, None) };
    if let Some(msg) = check_direction(c.from, c.to, p.nomenclature) {
        diags.push(
            ctx.error("bad-correlation", "correlation.to", msg)
                .help("`from` is the edition goods are classified in (`hs2022`), `to` the pack's `nomenclature`"),
        );
        return (p.nomenclature, None);
    }
    if !p.sources.iter().any(|s| s.id == c.citation.source) {
        diags.push(
            ctx.error(
                "unknown-source",
                "correlation.citation.source",
                format!("source `{}` is not declared in pack.yaml", c.citation.source),
            )
            .help("declare the correlation table's publisher under `sources`"),
        );
    }
    let rel = PathBuf::from(&c.file);
    let bytes = match dir.get(&c.file) {
        Some(b) => b.to_vec(),
        None => {
            diags.push(
                ctx.error(
                    "missing-file",
                    "correlation.file",
                    format!("cannot read `{}`: no such file in the pack", c.file),
                )
                .help("the path is relative to the pack directory, such as `hs2022-hs2017.csv`"),
            );
            return (p.nomenclature, None);
        }
    };
    use sha2::Digest as _;
    let digest = format!("{:x}", sha2::Sha256::digest(&bytes));
    let checksum_ok = digest.eq_ignore_ascii_case(c.sha256.trim());
    if !checksum_ok {
        diags.push(
            ctx.error(
                "correlation-checksum",
                "correlation.sha256",
                format!("`{}` has SHA-256 `{digest}`, not the `{}` of the cited table", c.file, c.sha256.trim()),
            )
            .help("the file differs from the published table: restore it, or review the change and cite its source and new checksum"),
        );
    }
    let Ok(text) = String::from_utf8(bytes) else {
        diags.push(Diagnostic::error("bad-correlation", &rel, "", "the correlation table is not UTF-8 text"));
        return (p.nomenclature, None);
    };
    let citation = Citation {
        source: c.citation.source.clone(),
        reference: c.citation.reference.clone(),
        page: c.citation.page,
        url: c.citation.url.clone(),
    };
    match Correlation::parse(&text, c.from, c.to, &rel, citation, digest) {
        Ok(t) if checksum_ok => (p.nomenclature, Some(t)),
        Ok(_) => (p.nomenclature, None),
        Err(errors) => {
            diags.extend(errors);
            (p.nomenclature, None)
        }
    }
}
