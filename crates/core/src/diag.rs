//! One located diagnostic for every file a user writes: rule packs, batch input (YAML, JSON, CSV,
//! XLSX) and provenance.
//!
//! [`Located`] holds what a user needs to fix a problem (severity, a stable code, the message, a help
//! line, the file, line, column and field) and, when the file's text is at hand, that text. It
//! implements [`miette::Diagnostic`] (code, severity, help, and a label whose [`miette::SourceSpan`]
//! is computed from the line and column against the text), so any miette report handler can show it;
//! the commands print it with [`Located::render`], one plain layout for all three kinds of input:
//!
//! ```text
//! error[bad-hs-code]: `8511.9` is not an HS code
//!   --> pack/psr/ch85.yaml:5:10 (at `rules[0].hs[0]`, rule for `8511.9`)
//!   |
//! 5 |     hs: ["8511.9"]
//!   |          ^
//!   = help: write 2, 4, 6, 8 or 10 digits
//! ```
//!
//! No colour and no terminal-dependent wrapping: the same bytes on a terminal, in a pipe and in a test.
//! Where no line is known there is no snippet, only the file and the field.

use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be used as it is.
    Error,
    /// The input is legal but suspect.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem in a file a user wrote, located.
#[derive(Clone, PartialEq, Eq)]
pub struct Located {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, e.g. `bad-hs-code`, `batch-input`, `provenance-dangling-id`.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The file, as it is shown to the user.
    pub file: PathBuf,
    /// Line (from 1), where known. For CSV and XLSX, the row (the header row is 1).
    pub line: Option<usize>,
    /// Column (from 1, in characters), where known.
    pub column: Option<usize>,
    /// The field: a YAML/JSON path such as `goods[3].materials[2].hs`, or a CSV column; empty if none.
    pub field: String,
    /// What else names the place, such as "rule for `8708.40`" or "good `G1`".
    pub context: Option<String>,
    /// How many characters the underline covers (at least one caret).
    pub width: usize,
    /// The file's text, when it is at hand (the snippet and the span come from it).
    pub source: Option<Arc<String>>,
}

impl fmt::Debug for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Located")
            .field("severity", &self.severity)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("help", &self.help)
            .field("file", &self.file)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("field", &self.field)
            .field("context", &self.context)
            .field("width", &self.width)
            .field("source", &self.source.as_ref().map(|s| s.len()))
            .finish()
    }
}

impl Located {
    /// A diagnostic in `file`, not yet located within it.
    pub fn new(
        severity: Severity,
        code: impl Into<String>,
        file: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Self {
        Located {
            severity,
            code: code.into(),
            message: message.into(),
            help: None,
            file: file.into(),
            line: None,
            column: None,
            field: String::new(),
            context: None,
            width: 1,
            source: None,
        }
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        let help = help.into();
        self.help = if help.is_empty() { None } else { Some(help) };
        self
    }

    /// Sets the line and column.
    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    /// Sets the field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }

    /// Sets what else names the place.
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Attaches the file's text (`None` leaves the diagnostic without a snippet).
    pub fn with_source(mut self, source: Option<Arc<String>>) -> Self {
        self.source = source;
        self
    }

    /// Underlines the whole value at the column (a quoted string to its closing quote, a plain
    /// scalar to the next `,`, `}`, `]`, `: ` or comment), not only its first character. Needs the
    /// source.
    pub fn underline_value(mut self) -> Self {
        if let (Some(line), Some(col)) = (self.source_line(), self.column) {
            self.width = value_width(line, col);
        }
        self
    }

    /// The text of the line the diagnostic points at, without its line break.
    pub fn source_line(&self) -> Option<&str> {
        let text = self.source.as_deref()?;
        let line = self.line?;
        let start = line_start(text, line)?;
        let rest = &text[start..];
        let end = rest.find('\n').unwrap_or(rest.len());
        Some(rest[..end].strip_suffix('\r').unwrap_or(&rest[..end]))
    }

    /// Byte offset and length in the source of what the diagnostic points at: the underlined
    /// characters from the column (or the first non-blank character of the line when no column is known).
    pub fn span(&self) -> Option<miette::SourceSpan> {
        let text = self.source.as_deref()?;
        let start = line_start(text, self.line?)?;
        let line = self.source_line()?;
        let col = self.caret_column(line);
        let from = line.char_indices().nth(col - 1).map_or(line.len(), |(i, _)| i);
        let to = line[from..].char_indices().nth(self.width.max(1)).map_or(line.len(), |(i, _)| from + i);
        Some(miette::SourceSpan::new((start + from).into(), to - from))
    }

    /// The column the caret goes under: the one given, else the first non-blank character.
    fn caret_column(&self, line: &str) -> usize {
        self.column.unwrap_or_else(|| line.chars().take_while(|c| c.is_whitespace()).count() + 1).max(1)
    }

    /// The diagnostic as the commands print it: `severity[code]: message`, the location with the field
    /// and context, the source line with a caret under the column (when the line and the text are
    /// known), and the help. Ends with a line break.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}[{}]: {}", self.severity, self.code, self.message);
        let mut loc = self.file.display().to_string();
        match (self.line, self.column) {
            (Some(l), Some(c)) => {
                let _ = write!(loc, ":{l}:{c}");
            }
            (Some(l), None) => {
                let _ = write!(loc, ":{l}");
            }
            _ => {}
        }
        let mut ctx = Vec::new();
        if !self.field.is_empty() {
            ctx.push(format!("at `{}`", self.field));
        }
        if let Some(c) = &self.context {
            ctx.push(c.clone());
        }
        if ctx.is_empty() {
            let _ = writeln!(out, "  --> {loc}");
        } else {
            let _ = writeln!(out, "  --> {loc} ({})", ctx.join(", "));
        }
        if let (Some(l), Some(text)) = (self.line, self.source_line()) {
            let w = l.to_string().len();
            let col = self.caret_column(text);
            let _ = writeln!(out, "{:w$} |", "");
            let _ = writeln!(out, "{l} | {text}");
            let _ = writeln!(out, "{:w$} | {:pad$}{}", "", "", "^".repeat(self.width.max(1)), pad = col - 1);
        }
        if let Some(h) = &self.help {
            let _ = writeln!(out, "  = help: {h}");
        }
        out
    }
}

/// How many characters the YAML/JSON value starting at `column` (from 1) of `line` spans; 1 for the
/// start of a collection, a block scalar or a list item.
pub fn value_width(line: &str, column: usize) -> usize {
    let rest: String = line.chars().skip(column.saturating_sub(1)).collect();
    let mut chars = rest.chars();
    let list_dash = rest.starts_with('-') && rest[1..].chars().next().is_none_or(char::is_whitespace);
    match chars.next() {
        None | Some('{' | '[' | '|' | '>') => 1,
        Some('-') if list_dash => 1,
        Some(q @ ('"' | '\'')) => {
            let mut n = 1;
            let mut escaped = false;
            for c in chars {
                n += 1;
                if c == q && !escaped {
                    return n;
                }
                escaped = q == '"' && c == '\\' && !escaped;
            }
            n
        }
        Some(_) => {
            let token: String = rest.chars().take_while(|c| !matches!(c, ',' | '}' | ']')).collect();
            // A key ends at its colon; a comment is not part of the value.
            let token = token.split(" #").next().unwrap_or_default();
            let token = token.split(": ").next().unwrap_or_default().trim_end();
            token.strip_suffix(':').unwrap_or(token).chars().count().max(1)
        }
    }
}

/// Byte offset of the start of line `line` (from 1) in `text`.
fn line_start(text: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    (start <= text.len()).then_some(start)
}

/// The message alone (the location and help are the diagnostic's other parts).
impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Located {}

impl miette::Diagnostic for Located {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.span()?;
        self.source.as_deref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span()?;
        let label = (!self.field.is_empty()).then(|| format!("at `{}`", self.field));
        Some(Box::new(std::iter::once(miette::LabeledSpan::new_with_span(label, span))))
    }
}

/// Reads the text of the files diagnostics point at, once per file, for their snippets.
#[derive(Debug, Default)]
pub struct Sources {
    files: std::collections::HashMap<PathBuf, Option<Arc<String>>>,
}

/// Files larger than this are not read for a snippet (the diagnostic keeps its file, line and field).
pub const SNIPPET_MAX_BYTES: u64 = 256 * 1024 * 1024;

impl Sources {
    /// No file read yet.
    pub fn new() -> Self {
        Sources::default()
    }

    /// The text of `file`: `None` when it cannot be read, is not UTF-8 (an XLSX workbook) or is larger
    /// than [`SNIPPET_MAX_BYTES`].
    pub fn text(&mut self, file: &std::path::Path) -> Option<Arc<String>> {
        self.files
            .entry(file.to_path_buf())
            .or_insert_with(|| {
                let len = std::fs::metadata(file).ok()?.len();
                if len > SNIPPET_MAX_BYTES {
                    return None;
                }
                let bytes = std::fs::read(file).ok()?;
                String::from_utf8(bytes).ok().map(Arc::new)
            })
            .clone()
    }

    /// Gives `d` the text of its file, when there is one to read; renders it.
    pub fn render(&mut self, d: Located) -> String {
        let text = if d.source.is_none() && d.line.is_some() { self.text(&d.file) } else { d.source.clone() };
        d.with_source(text).render()
    }
}
