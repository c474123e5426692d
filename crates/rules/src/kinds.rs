//! The vocabulary of kinds: the descriptions of goods and materials the rules name ("printed circuit
//! assemblies", "body stamping"), declared in `kinds.yaml` with the spellings users write.
//!
//! A rule that turns on a kind ("except from printed circuit assemblies of subheading 8538.90") must
//! know whether a material *is* of that kind. Matching free text by luck gave different determinations
//! for "printed circuit assembly" and "printed circuit assemblies"; every spelling is therefore mapped
//! onto one declared canonical name, and anything undeclared is an error, never a silent "not of that
//! kind".

use std::collections::{BTreeSet, HashMap};

use origin_core::HsCode;

use crate::model::{Citation, KindQualifier, MaterialSpec, RuleSet, ShiftRequirement};

/// One declared kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    /// Canonical name, as the legal text prints it.
    pub name: String,
    /// Other spellings declared for it.
    pub aliases: Vec<String>,
    /// Where the legal text names it; `None` for a description the law does not print (see `note`).
    pub citation: Option<Citation>,
    /// Free text.
    pub note: Option<String>,
}

/// The declared kinds and every spelling that maps onto each.
#[derive(Debug, Clone, Default)]
pub struct KindVocabulary {
    kinds: Vec<Kind>,
    /// Normalised spelling -> index in `kinds`.
    by_spelling: HashMap<String, usize>,
}

/// The form spellings are compared in: lower case; hyphens, underscores and slashes read as spaces;
/// straight and curly double quotes and commas dropped (copies of the text differ in them); runs of
/// spaces collapsed. Plural/singular and
/// abbreviations are not guessed: they are declared as aliases.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '-' | '_' | '/' => ' ',
            '"' | '\u{201c}' | '\u{201d}' | ',' => continue,
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

impl KindVocabulary {
    /// Declares `kind`; on a spelling already taken by another kind, returns that spelling and the
    /// other kind's canonical name (the vocabulary is left without the clash).
    pub(crate) fn declare(&mut self, kind: Kind) -> Vec<(String, String)> {
        let i = self.kinds.len();
        let mut clashes = Vec::new();
        for s in std::iter::once(&kind.name).chain(&kind.aliases) {
            let n = normalize(s);
            match self.by_spelling.get(&n) {
                Some(&j) if j != i => clashes.push((s.clone(), self.kinds[j].name.clone())),
                Some(_) => {}
                None => {
                    self.by_spelling.insert(n, i);
                }
            }
        }
        self.kinds.push(kind);
        clashes
    }

    /// The declared kinds, in file order.
    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// The canonical name of what was written, if it is a declared spelling.
    pub fn resolve(&self, written: &str) -> Option<&str> {
        self.by_spelling.get(&normalize(written)).map(|&i| self.kinds[i].name.as_str())
    }

    /// The declared kind whose spelling is nearest to `written`, for a "did you mean": a small edit
    /// distance, or a declared spelling that contains every word written.
    pub fn suggest(&self, written: &str) -> Option<&str> {
        let w = normalize(written);
        if w.is_empty() {
            return None;
        }
        let best = self
            .by_spelling
            .iter()
            .map(|(s, &i)| (edit_distance(&w, s), s, i))
            .min_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        if let Some((d, s, i)) = best
            && d <= (s.chars().count() / 4).max(2)
        {
            return Some(self.kinds[i].name.as_str());
        }
        let words: Vec<&str> = w.split(' ').collect();
        let mut hits: Vec<(&String, usize)> = self
            .by_spelling
            .iter()
            .filter(|(s, _)| words.iter().all(|x| s.split(' ').any(|y| y == *x)))
            .map(|(s, &i)| (s, i))
            .collect();
        hits.sort();
        hits.first().map(|&(_, i)| self.kinds[i].name.as_str())
    }
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The kinds the rules covering one HS code can ask about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindsAsked {
    /// Descriptions of the good itself (`good_kind`, `good_kind_other_than`).
    pub good: BTreeSet<String>,
    /// Kinds of material (`kind` in `also_from`, `except`, `except_more_than_one_of`).
    pub material: BTreeSet<String>,
}

impl RuleSet {
    /// The kinds the rules whose codes contain `hs` name, of the good and of its materials (every use
    /// and date: the list tells a user what a kind field on this line can mean).
    pub fn kinds_asked(&self, hs: HsCode) -> KindsAsked {
        let mut out = KindsAsked::default();
        let quals = |q: &KindQualifier, out: &mut KindsAsked| match q {
            KindQualifier::Any => {}
            KindQualifier::Only(k) => {
                out.good.insert(k.clone());
            }
            KindQualifier::OtherThan(ks) => out.good.extend(ks.iter().cloned()),
        };
        let specs = |list: &[MaterialSpec], out: &mut KindsAsked| {
            out.material.extend(list.iter().filter_map(|m| m.kind.clone()));
        };
        for r in self.rules.iter().filter(|r| r.hs.contains(hs)) {
            quals(&r.good_kind, &mut out);
            for a in &r.alternatives {
                quals(&a.good_kind, &mut out);
                if let ShiftRequirement::Shift(s) = &a.shift {
                    specs(&s.also_from, &mut out);
                    specs(&s.except, &mut out);
                    specs(&s.except_more_than_one_of, &mut out);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> KindVocabulary {
        let mut v = KindVocabulary::default();
        let c = Citation { source: "gn11".into(), reference: "r".into(), page: None, url: None };
        let clashes = v.declare(Kind {
            name: "printed circuit assemblies".into(),
            aliases: vec!["printed circuit assembly".into(), "PCA".into(), "PCAs".into()],
            citation: Some(c.clone()),
            note: None,
        });
        assert!(clashes.is_empty());
        let clashes = v.declare(Kind {
            name: "split-systems".into(),
            aliases: vec!["PCA".into()],
            citation: Some(c),
            note: None,
        });
        assert_eq!(clashes, vec![("PCA".to_string(), "printed circuit assemblies".to_string())]);
        v
    }

    #[test]
    fn case_hyphens_quotes_and_spaces_need_no_alias() {
        let v = vocab();
        assert_eq!(v.resolve("Printed  Circuit-Assembly"), Some("printed circuit assemblies"));
        assert_eq!(v.resolve("pcas"), Some("printed circuit assemblies"));
        assert_eq!(v.resolve("split systems"), Some("split-systems"));
        assert_eq!(v.resolve("\"split_systems\""), Some("split-systems"));
        assert_eq!(v.resolve("printed circuit"), None);
    }

    #[test]
    fn did_you_mean_names_the_nearest_declared_kind() {
        let v = vocab();
        assert_eq!(v.suggest("printed circiut assembles"), Some("printed circuit assemblies"));
        assert_eq!(v.suggest("circuit assemblies"), Some("printed circuit assemblies"));
        assert_eq!(v.suggest("gear boxes"), None);
    }
}
