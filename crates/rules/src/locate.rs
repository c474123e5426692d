//! Where each YAML path sits in its file, so that errors found after parsing still point at a line.
//!
//! serde only reports a location for the first syntax or type error; validation runs on parsed values.
//! One pass over the YAML event stream (yaml-rust2 keeps markers) maps every path such as
//! `rules[12].alternatives[1].rvc.nc` to the line and column of its value.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

/// Paths of one YAML document and their positions.
#[derive(Debug, Default)]
pub struct PathIndex {
    positions: HashMap<String, Position>,
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    /// What the parser says.
    pub message: String,
    /// Where.
    pub position: Position,
}

impl PathIndex {
    /// Indexes `text`. A syntax error is returned with its position.
    pub fn build(text: &str) -> Result<PathIndex, SyntaxError> {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        parser.load(&mut builder, false).map_err(|e| SyntaxError {
            message: e.info().to_string(),
            position: Position { line: e.marker().line(), column: e.marker().col() + 1 },
        })?;
        Ok(PathIndex { positions: builder.positions })
    }

    /// The position of `path`, or of its nearest indexed ancestor.
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

#[derive(Debug)]
enum Frame {
    Map { path: String, key: Option<String>, fresh: bool },
    Seq { path: String, next: usize },
}

#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Frame>,
    positions: HashMap<String, Position>,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() { key.to_string() } else { format!("{parent}.{key}") }
}

impl Builder {
    /// The path a value arriving now would have, and advances the parent past it.
    fn value_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { path, key, .. }) => key.take().map(|k| join(path, &k)),
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                Some(p)
            }
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn mark(&mut self, path: &str, m: Marker) {
        self.positions.insert(path.to_string(), Position { line: m.line(), column: m.col() + 1 });
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, m: Marker) {
        match ev {
            Event::Scalar(s, ..) if self.expecting_key() => {
                if let Some(Frame::Map { path, fresh, .. }) = self.stack.last_mut() {
                    let p = join(path, &s);
                    // Block mappings start where their first key does; point there, not at the colon.
                    let first = std::mem::take(fresh);
                    let parent = path.clone();
                    self.mark(&p, m);
                    if first {
                        self.mark(&parent, m);
                    }
                }
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some(s);
                }
            }
            Event::Scalar(..) | Event::Alias(_) => {
                if let Some(p) = self.value_path() {
                    self.mark(&p, m);
                }
            }
            Event::MappingStart(..) => {
                let p = self.value_path().unwrap_or_default();
                self.positions.entry(p.clone()).or_insert(Position { line: m.line(), column: m.col() + 1 });
                self.stack.push(Frame::Map { path: p, key: None, fresh: true });
            }
            Event::SequenceStart(..) => {
                let p = self.value_path().unwrap_or_default();
                self.positions.entry(p.clone()).or_insert(Position { line: m.line(), column: m.col() + 1 });
                self.stack.push(Frame::Seq { path: p, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_paths() {
        let text = "chapter: 85\nrules:\n  - id: a\n    hs: [\"8501\"]\n    alternatives:\n      - label: A\n        rvc: { tv: 60, nc: 50 }\n";
        let idx = PathIndex::build(text).unwrap_or_default();
        assert_eq!(idx.find("chapter").map(|p| p.line), Some(1));
        assert_eq!(idx.find("rules[0].id").map(|p| p.line), Some(3));
        assert_eq!(idx.find("rules[0].hs[0]"), Some(Position { line: 4, column: 10 }));
        assert_eq!(idx.find("rules[0].alternatives[0].rvc.nc").map(|p| p.line), Some(7));
        // An unknown deeper path falls back to its nearest ancestor.
        assert_eq!(idx.find("rules[0].alternatives[0].shift.from").map(|p| p.line), Some(6));
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        let e = PathIndex::build("rules:\n  - id: a\n   hs: [\n").err();
        assert!(e.is_some_and(|e| e.position.line >= 2));
    }
}
