//! Diagnostics: every problem found in a rule pack, located and rendered with its source line.
//!
//! Conventions (from cedar's error style guide): messages are lowercase, user values are in backticks,
//! and a `help` line says how to fix the problem.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::locate::Position;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The pack cannot be used.
    Error,
    /// The pack is legal but suspect.
    Warning,
}

/// One problem in a rule pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, e.g. `bad-hs-code`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The file, relative to the pack directory.
    pub file: PathBuf,
    /// The YAML path, e.g. `rules[12].alternatives[1].rvc.nc`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Line and column, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Column, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The HS key of the rule concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hs: Option<String>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, file: &Path, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
            file: file.to_path_buf(),
            path: path.into(),
            line: None,
            column: None,
            hs: None,
        }
    }

    /// A warning.
    pub fn warning(code: &'static str, file: &Path, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, file, path, message) }
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Names the rule's HS key.
    pub fn hs(mut self, hs: impl Into<String>) -> Self {
        self.hs = Some(hs.into());
        self
    }

    /// Sets the position.
    pub fn at(mut self, pos: Option<Position>) -> Self {
        if let Some(p) = pos {
            self.line = Some(p.line);
            self.column = Some(p.column);
        }
        self
    }

    /// Renders the diagnostic with the offending source line, given the pack directory.
    pub fn render(&self, pack_dir: &Path) -> String {
        let source = std::fs::read_to_string(pack_dir.join(&self.file)).ok();
        self.render_with(source.as_deref(), pack_dir)
    }

    /// Renders with the file's text already at hand.
    pub fn render_with(&self, source: Option<&str>, pack_dir: &Path) -> String {
        let mut out = String::new();
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{sev}[{}]: {}", self.code, self.message);
        let shown = pack_dir.join(&self.file);
        let mut loc = shown.display().to_string();
        if let (Some(l), Some(c)) = (self.line, self.column) {
            let _ = write!(loc, ":{l}:{c}");
        }
        let mut ctx = Vec::new();
        if !self.path.is_empty() {
            ctx.push(format!("at `{}`", self.path));
        }
        if let Some(hs) = &self.hs {
            ctx.push(format!("rule for `{hs}`"));
        }
        if ctx.is_empty() {
            let _ = writeln!(out, "  --> {loc}");
        } else {
            let _ = writeln!(out, "  --> {loc} ({})", ctx.join(", "));
        }
        if let (Some(src), Some(l), Some(c)) = (source, self.line, self.column)
            && let Some(text) = src.lines().nth(l.saturating_sub(1))
        {
            let w = l.to_string().len();
            let _ = writeln!(out, "{:w$} |", "");
            let _ = writeln!(out, "{l} | {text}");
            let _ = writeln!(out, "{:w$} | {:>c$}", "", "^");
        }
        if let Some(h) = &self.help {
            let _ = writeln!(out, "  = help: {h}");
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_with(None, Path::new("")))
    }
}
