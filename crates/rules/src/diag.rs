//! Diagnostics: every problem found in a rule pack, located and rendered with its source line.
//!
//! Conventions (from cedar's error style guide): messages are lowercase, user values are in backticks,
//! and a `help` line says how to fix the problem.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use origin_core::diag::Located;

use serde::Serialize;

use crate::locate::Position;

pub use origin_core::diag::Severity;

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
        self.located(pack_dir).with_source(source.map(|s| Arc::new(s.to_string()))).underline_value().render()
    }

    /// The diagnostic as the one located type every input shares, its file under `pack_dir`; every
    /// field is kept (the YAML path is the field, the rule's HS key the context).
    pub fn located(&self, pack_dir: &Path) -> Located {
        let mut d = Located::new(self.severity, self.code, pack_dir.join(&self.file), self.message.clone())
            .at(self.line, self.column)
            .field(self.path.clone());
        if let Some(h) = &self.help {
            d = d.help(h.clone());
        }
        if let Some(hs) = &self.hs {
            d = d.context(format!("rule for `{hs}`"));
        }
        d
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_with(None, Path::new("")))
    }
}
