//! Splitting a legal text into entries: the research extracts in `shared/legal/*.md` (each rule a `####`
//! heading, a `- Source:` and a `- Status:` line, then the rule as `> ` quoted paragraphs), or a plain
//! text pasted from the official note (each rule starting with its number).

use serde::Serialize;

/// How much of an entry the copy read shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The whole entry was read in a copy of the official text.
    Complete,
    /// The copy stops inside the entry (or starts inside it).
    Cut,
    /// Read only in a third-party transcription.
    Secondary,
    /// A plain text given to `rules import`: no status known.
    Unknown,
}

impl Status {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "COMPLETE",
            Status::Cut => "CUT",
            Status::Secondary => "SECONDARY",
            Status::Unknown => "UNKNOWN",
        }
    }
}

/// One entry of a legal text: a rule, a chapter rule, or a subheading rule printed on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalEntry {
    /// The compiler's heading (`Rule 27 — 8510.10-8510.30`); a navigation aid, not legal text.
    pub heading: String,
    /// The chapter, from the heading's HS code, a "Chapter NN rule" heading, or the section.
    pub chapter: Option<u8>,
    /// The copy read.
    pub source_url: Option<String>,
    /// COMPLETE, CUT or SECONDARY.
    pub status: Status,
    /// The verbatim text, one source paragraph per line, with the `[CUT ...]` markers removed.
    pub text: String,
    /// The copy starts inside the entry: its beginning was not retrieved.
    pub cut_before: bool,
    /// The copy stops inside the entry.
    pub cut_after: bool,
    /// Line of the heading in the file (1-based).
    pub line: usize,
    /// This is a second reading of the heading's entry (e.g. the secondary text given after a cut one).
    pub alternate_reading: bool,
    /// The extract compiler's notes on the entry (`- Compiler's note:` lines), joined by "; ".
    pub compiler_note: Option<String>,
}

impl LegalEntry {
    /// Whether the text is not the law's words but a transcriber's statement of the rule: the
    /// secondary files flag entries taken from a record's `tariffShiftRule` field and those composed
    /// from the transcription's template constants (`shared/legal/secondary/README.md`).
    pub fn is_paraphrase(&self) -> bool {
        self.compiler_note.as_deref().is_some_and(|n| {
            n.contains("tariffShiftRule")
                || n.contains("not a quotation")
                || n.contains("composed from the transcription's template")
                || n.contains("without quoting it")
        })
    }
}

fn is_cut_marker(p: &str) -> bool {
    let t = p.trim_start_matches('*').trim();
    t.starts_with("[CUT") || t.starts_with("[retrievable text stops here")
}

/// The chapter named in a `## Chapter 85 ...` or `## Part 1 — GN 11(o), Chapter 87: ...` section.
fn section_chapter(line: &str) -> Option<u8> {
    let idx = line.find("Chapter ")?;
    let rest = &line[idx + "Chapter ".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok().filter(|n: &u8| (1..=97).contains(n))
}

/// The first 4-digit HS code in a heading (not inside `SOR/2020-155`).
fn heading_code_chapter(heading: &str) -> Option<u8> {
    let b = heading.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        let starts = i == 0 || matches!(b[i - 1], b' ' | b'(' | b'[');
        if starts && b[i..i + 4].iter().all(u8::is_ascii_digit) {
            let after = b.get(i + 4).copied();
            if matches!(after, None | Some(b'.') | Some(b'-') | Some(b' ') | Some(b',') | Some(b'/')) {
                let ch = (b[i] - b'0') * 10 + (b[i + 1] - b'0');
                if (1..=97).contains(&ch) {
                    return Some(ch);
                }
            }
        }
        i += 1;
    }
    None
}

fn heading_rule_chapter(heading: &str) -> Option<u8> {
    // "Chapter 84 rule 5 — 8403.10"
    let idx = heading.find("Chapter ")?;
    let rest = &heading[idx + "Chapter ".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if rest[digits.len()..].trim_start().starts_with("rule") { digits.parse().ok() } else { None }
}

/// Splits a research extract (`shared/legal/*.md`) into entries. Only `####` headings are entries; an
/// entry with several `- Source:`/`- Status:` blocks (a cut primary text followed by a secondary one)
/// gives one entry per block.
pub fn parse_legal_file(markdown: &str) -> Vec<LegalEntry> {
    let mut out = Vec::new();
    let mut section: Option<u8> = None;
    let mut current: Option<Builder> = None;

    #[derive(Debug)]
    struct Builder {
        heading: String,
        chapter: Option<u8>,
        line: usize,
        blocks: Vec<Block>,
    }
    #[derive(Debug, Default)]
    struct Block {
        source: Option<String>,
        status: Option<Status>,
        start_missing: bool,
        paragraphs: Vec<String>,
        notes: Vec<String>,
    }

    fn flush(b: Builder, out: &mut Vec<LegalEntry>) {
        for (i, blk) in b.blocks.into_iter().enumerate() {
            let Some(status) = blk.status else { continue };
            if blk.paragraphs.is_empty() {
                continue;
            }
            let first_cut = blk.paragraphs.first().is_some_and(|p| is_cut_marker(p));
            let last_cut = blk.paragraphs.last().is_some_and(|p| is_cut_marker(p));
            let text: Vec<&str> = blk.paragraphs.iter().map(String::as_str).filter(|p| !is_cut_marker(p)).collect();
            out.push(LegalEntry {
                heading: b.heading.clone(),
                chapter: b.chapter,
                source_url: blk.source,
                status,
                text: text.join("\n"),
                cut_before: first_cut || blk.start_missing,
                cut_after: last_cut || (status == Status::Cut && !first_cut && !blk.start_missing),
                line: b.line,
                alternate_reading: i > 0,
                compiler_note: (!blk.notes.is_empty()).then(|| blk.notes.join("; ")),
            });
        }
    }

    for (n, raw) in markdown.lines().enumerate() {
        let line = raw.trim_end();
        if let Some(h) = line.strip_prefix("#### ") {
            if let Some(b) = current.take() {
                flush(b, &mut out);
            }
            let chapter = heading_rule_chapter(h).or_else(|| heading_code_chapter(h)).or(section);
            current = Some(Builder { heading: h.trim().to_string(), chapter, line: n + 1, blocks: Vec::new() });
            continue;
        }
        if line.starts_with("## ") || line.starts_with("### ") {
            if let Some(b) = current.take() {
                flush(b, &mut out);
            }
            if line.starts_with("## ") {
                section = section_chapter(line);
            }
            continue;
        }
        let Some(b) = current.as_mut() else { continue };
        if let Some(src) = line.strip_prefix("- Source:") {
            let url = src
                .split_whitespace()
                .find(|w| w.starts_with("http"))
                .map(|w| w.trim_end_matches([',', ';', ')']).to_string());
            b.blocks.push(Block { source: url, ..Block::default() });
        } else if let Some(st) = line.strip_prefix("- Status:") {
            let status = if st.contains("**COMPLETE") {
                Some(Status::Complete)
            } else if st.contains("**CUT") {
                Some(Status::Cut)
            } else if st.contains("**SECONDARY") {
                Some(Status::Secondary)
            } else {
                None
            };
            if b.blocks.is_empty() {
                b.blocks.push(Block::default());
            }
            if let Some(last) = b.blocks.last_mut() {
                last.status = status;
                last.start_missing = st.contains("start missing");
            }
        } else if let Some(note) =
            line.strip_prefix("- Compiler's note:").or_else(|| line.strip_prefix("- Compiler’s note:"))
        {
            if let Some(last) = b.blocks.last_mut() {
                last.notes.push(note.trim().to_string());
            }
        } else if let Some(q) = line.strip_prefix('>') {
            let q = q.trim();
            if q.is_empty() {
                continue;
            }
            if let Some(last) = b.blocks.last_mut()
                && last.status.is_some()
            {
                last.paragraphs.push(q.to_string());
            }
        } else if (line.starts_with("**[retrievable") || line.starts_with("[CUT"))
            && let Some(last) = b.blocks.last_mut()
        {
            last.paragraphs.push(line.to_string());
        }
    }
    if let Some(b) = current.take() {
        flush(b, &mut out);
    }
    out
}

/// Whether a text looks like a research extract (`####` entries with `> ` quotes).
pub fn is_legal_markdown(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("#### ")) && text.lines().any(|l| l.starts_with("> "))
}

fn starts_rule_number(line: &str) -> bool {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (1..=3).contains(&digits)
        && matches!(line[digits..].chars().next(), Some('.') | Some(','))
        && line[digits + 1..].starts_with(' ')
}

/// Splits a plain text pasted from the official note into entries: a rule starts at a line beginning
/// with its number (`27. (A) ...`), a "Chapter rule N:" line, or a dated "Subheading rule: Beginning
/// on ..." line; an undated "Subheading rule:" line belongs to the rule after it. Lines starting with a
/// label (`(B)`, `(1)`) continue the entry before them.
pub fn split_plain_text(text: &str, chapter: Option<u8>) -> Vec<LegalEntry> {
    let mut out: Vec<LegalEntry> = Vec::new();
    let mut pending_preamble: Option<(String, usize)> = None;
    let mut current: Option<(Vec<String>, usize)> = None;
    let push = |cur: Option<(Vec<String>, usize)>, out: &mut Vec<LegalEntry>| {
        if let Some((paras, line)) = cur {
            let first = paras.iter().find(|p| !p.starts_with("Subheading rule:")).cloned().unwrap_or_default();
            out.push(LegalEntry {
                heading: first.chars().take(60).collect(),
                chapter,
                source_url: None,
                status: Status::Unknown,
                text: paras.join("\n"),
                cut_before: false,
                cut_after: false,
                line,
                alternate_reading: false,
                compiler_note: None,
            });
        }
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let dated = lower.starts_with("subheading rule: beginning on") || lower.starts_with("beginning on");
        if lower.starts_with("subheading rule:") && !dated {
            push(current.take(), &mut out);
            pending_preamble = Some((line.to_string(), n + 1));
            continue;
        }
        if starts_rule_number(line) || lower.starts_with("chapter rule") || dated {
            push(current.take(), &mut out);
            let mut paras = Vec::new();
            let mut at = n + 1;
            if let Some((p, l)) = pending_preamble.take() {
                paras.push(p);
                at = l;
            }
            paras.push(line.to_string());
            current = Some((paras, at));
            continue;
        }
        match current.as_mut() {
            Some((paras, _)) => paras.push(line.to_string()),
            None => current = Some((vec![line.to_string()], n + 1)),
        }
    }
    push(current.take(), &mut out);
    if let Some((p, l)) = pending_preamble {
        out.push(LegalEntry {
            heading: "Subheading rule".into(),
            chapter,
            source_url: None,
            status: Status::Unknown,
            text: p,
            cut_before: false,
            cut_after: false,
            line: l,
            alternate_reading: false,
            compiler_note: None,
        });
    }
    out
}
