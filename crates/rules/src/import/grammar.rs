//! The grammar of the product-specific rules as GN 11(o) (and SOR/2020-155) print them, parsed into the
//! rule-pack's raw types. A recursive-descent parser over words; the source's typos are accepted
//! ("includinganother", "aregional", "8466.93.53,or", "2) 50 percent", "c) No change", "250,").

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::raw::{RawAlternative, RawCondition, RawMaterialSpec, RawRvc, RawShift};

/// A rule parsed from its legal text.
#[derive(Debug, Clone, Serialize)]
pub struct ParsedRule {
    /// The rule number printed before it (`27.`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// A "Subheading rule: ..." paragraph printed before the rule, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preamble: Option<String>,
    /// The goods the rule covers, as the pack writes them (`8510.10-8510.30`).
    pub hs: Vec<String>,
    /// Uses the rule is limited to (`passenger-vehicle`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses: Option<Vec<String>>,
    /// "For a body stamping of subheading 8708.29 ...".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub good_kind: Option<String>,
    /// First day in force ("Beginning on July 1, 2020 ...").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<NaiveDate>,
    /// Last day in force ("... until July 1, 2025" = 2025-06-30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_to: Option<NaiveDate>,
    /// `applies` when an underscoring preamble names this rule's designation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motor_vehicle_provisions: Option<String>,
    /// The alternatives, as the pack encodes them.
    pub alternatives: Vec<RawAlternative>,
    /// An RVC staged by date (SOR/2020-155 8701.20): the rule is one rule per stage.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rvc_stages: Vec<RvcStage>,
    /// "For any other good of subheading X:" with no use named: the uses not covered by the rules for X
    /// before it (see [`UseContext`]).
    #[serde(skip)]
    pub other_use: bool,
}

/// The uses the rules of a chapter cover so far, per HS key: "For any other good of subheading 8408.20"
/// after rules for light trucks and heavy trucks covers passenger vehicles and other uses.
#[derive(Debug, Default)]
pub struct UseContext {
    covered: std::collections::BTreeMap<String, Vec<String>>,
}

impl UseContext {
    /// Records `r`'s uses, and gives an "any other good" rule the uses not covered before it.
    pub fn apply(&mut self, r: &mut ParsedRule) {
        let key = r.hs.join(",");
        let covered = self.covered.entry(key).or_default();
        if r.other_use {
            let uses: Vec<String> = ["passenger-vehicle", "light-truck", "heavy-truck", "other"]
                .iter()
                .filter(|u| **u == "other" || !covered.iter().any(|c| c == *u))
                .map(|u| u.to_string())
                .collect();
            r.uses = Some(if covered.is_empty() { vec!["other".into()] } else { uses });
        } else if let Some(us) = &r.uses {
            covered.extend(us.iter().cloned());
        }
    }
}

/// One step of an RVC staged by date; applies to the alternative at `alternative`.
#[derive(Debug, Clone, Serialize)]
pub struct RvcStage {
    /// Index of the alternative the thresholds belong to.
    pub alternative: usize,
    /// The item's label (`a`).
    pub label: String,
    /// First day.
    pub effective_from: NaiveDate,
    /// Last day (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_to: Option<NaiveDate>,
    /// Thresholds.
    pub rvc: RawRvc,
}

impl ParsedRule {
    /// One rule per RVC stage (or the rule itself when it is not staged).
    pub fn expand_stages(&self) -> Vec<ParsedRule> {
        if self.rvc_stages.is_empty() {
            return vec![self.clone()];
        }
        self.rvc_stages
            .iter()
            .map(|s| {
                let mut r = self.clone();
                r.rvc_stages.clear();
                r.effective_from = Some(s.effective_from);
                r.effective_to = s.effective_to;
                if let Some(a) = r.alternatives.get_mut(s.alternative) {
                    a.rvc = Some(s.rvc.clone());
                }
                r
            })
            .collect()
    }
}

/// Text the parser could not read: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("rule {}: {message}, at `{words_where_parsing_stopped}`", rule_number.map_or_else(|| "(unnumbered)".to_string(), |n| n.to_string()))]
pub struct ParseError {
    /// The rule number, when it was read.
    pub rule_number: Option<u32>,
    /// The words where parsing stopped (up to a dozen), or `end of text`.
    pub words_where_parsing_stopped: String,
    /// What was expected there.
    pub message: String,
    /// The text ends where parsing stopped (a cut copy).
    pub at_end: bool,
    /// Alternatives read in full before the one parsing stopped in.
    #[serde(skip)]
    pub partial: Vec<RawAlternative>,
    /// The goods of the partial rule, when read.
    #[serde(skip)]
    pub partial_hs: Vec<String>,
    /// The uses the rule's lead-in names ("For a good of subheading 8708.80 for use in a heavy truck:"),
    /// when it was read before parsing stopped.
    #[serde(skip)]
    pub partial_uses: Option<Box<LeadUses>>,
}

/// The uses a rule's lead-in names (boxed in [`ParseError`] to keep the error small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadUses(pub Vec<String>);

impl ParseError {
    /// The rule as far as it was read before parsing stopped: its codes and the alternatives read in
    /// full, with no scope qualifiers (the lead-in that would carry them is what is missing or cut).
    pub fn partial_rule(&self, preamble: Option<String>) -> ParsedRule {
        ParsedRule {
            number: self.rule_number,
            preamble,
            hs: self.partial_hs.clone(),
            uses: self.partial_uses.as_ref().map(|u| u.0.clone()),
            good_kind: None,
            effective_from: None,
            effective_to: None,
            motor_vehicle_provisions: None,
            alternatives: self.partial.clone(),
            rvc_stages: Vec::new(),
            other_use: false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Tok {
    s: String,
    pos: usize,
}

/// Fixes the source's run-together words and strips compiler's notes and page headers, for parsing
/// only (the verbatim text is kept as printed).
pub(crate) fn normalize(text: &str) -> String {
    let mut s = text.replace('\n', " ");
    // Bracketed compiler's notes and page headers are not rule text.
    for open in ["[Compiler's note", "[Compiler’s note", "[page ", "[CUT"] {
        while let Some(i) = s.find(open) {
            let Some(j) = s[i..].find(']') else { break };
            s.replace_range(i..i + j + 1, " ");
        }
    }
    let fixes: [(&str, &str); 10] = [
        ("includinganother", "including another"),
        ("thatgroup", "that group"),
        ("aregional", "a regional"),
        (",or ", ", or "),
        (".;", ";"),
        (")A ", ") A "),
        ("•", " "),
        ("–", " through "),
        ("%", " percent"),
        ("”", "\""),
    ];
    for (a, b) in fixes {
        s = s.replace(a, b);
    }
    s = s.replace('“', "\"");
    // "8701.10A change" (SOR table rows): a code run into the next word.
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        out.push(*c);
        if c.is_ascii_digit() && chars.get(i + 1).is_some_and(|n| n.is_ascii_uppercase()) {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn tokenize(norm: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut pos = 0;
    for chunk in norm.split(' ') {
        let start = pos;
        pos += chunk.len() + 1;
        if chunk.is_empty() {
            continue;
        }
        let mut core = chunk;
        let mut trail = Vec::new();
        while core.len() > 1 && core.ends_with([',', ';', ':', '.']) {
            let c = &core[core.len() - 1..];
            trail.push((c.to_string(), start + core.len() - 1));
            core = &core[..core.len() - 1];
        }
        toks.push(Tok { s: core.to_string(), pos: start });
        for (c, p) in trail.into_iter().rev() {
            toks.push(Tok { s: c, pos: p });
        }
    }
    toks
}

fn is_code(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    let ok_first = parts[0].len() == 4 && parts[0].chars().all(|c| c.is_ascii_digit());
    ok_first && parts.len() <= 4 && parts[1..].iter().all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_digit()))
}

/// `20`, and the single-digit chapters as printed ("except from chapter 4").
fn is_chapter_code(s: &str) -> bool {
    (1..=2).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit())
}

/// A chapter written with two digits, as the pack writes it (`4` -> `04`).
fn two_digit_chapter(s: String) -> String {
    if s.len() == 1 { format!("0{s}") } else { s }
}

/// `(A)`, `A)`, `(b)`, `c)`: the label of an alternative.
fn alt_label(s: &str) -> Option<String> {
    let inner = s.strip_suffix(')')?;
    let inner = inner.strip_prefix('(').unwrap_or(inner);
    let mut cs = inner.chars();
    let c = cs.next()?;
    // (i), (v), (x) are numbered items, never alternatives.
    (cs.next().is_none() && c.is_ascii_alphabetic() && !matches!(c, 'i' | 'v' | 'x')).then(|| c.to_string())
}

/// `(1)`, `4)`, `(ii)`: the label of a numbered item.
fn item_label(s: &str) -> Option<String> {
    let inner = s.strip_suffix(')')?;
    let inner = inner.strip_prefix('(').unwrap_or(inner);
    let numeric = !inner.is_empty() && inner.len() <= 2 && inner.chars().all(|c| c.is_ascii_digit());
    let roman = !inner.is_empty() && inner.len() <= 4 && inner.chars().all(|c| matches!(c, 'i' | 'v' | 'x'));
    (numeric || roman).then(|| inner.to_string())
}

const CLAUSE_WORDS: [&str; 5] = ["whether", "including", "except", "excluding", "provided"];

#[derive(Debug, Clone, PartialEq)]
enum Source {
    Any(&'static str, bool),
    Within,
    Spec(RawMaterialSpec),
    Items(Vec<RawMaterialSpec>),
    /// "any other subheading within chapter 20": another code of the level, inside these codes.
    AnyWithin(&'static str, Vec<String>),
    /// "any other good within those subheadings": the rule's own group of codes.
    GroupGoods,
    /// "any other subheading within that group": read beside [`Source::GroupGoods`], or beside a change from
    /// any other code of the same level.
    GroupOther(&'static str),
    /// "from any heading" / "from any chapter" (not "any other"): a code of any heading, the good's own
    /// included.
    AnyOwnIncluded(&'static str),
    /// "any other good of subheadings 8708.40 or 8708.99" in a rule of 8708.40: within the good's own
    /// subheading, and these codes.
    WithinAnd(Vec<String>),
}

#[derive(Debug)]
struct Target {
    codes: Vec<String>,
    kind: Option<String>,
    other: bool,
}

struct P {
    toks: Vec<Tok>,
    i: usize,
    norm: String,
    number: Option<u32>,
    done: Vec<RawAlternative>,
    hs: Vec<String>,
    /// The uses the lead-in named, kept for a rule read only in part.
    lead_uses: Option<Vec<String>>,
    /// An alternative named goods other than the rule's (set by `apply_target`, reported by the caller).
    codes_differ: Option<String>,
    /// `hs` was named before the alternatives (a lead-in, a dated rule's goods, a SOR row label): an
    /// alternative for more goods cannot widen it.
    hs_from_lead_in: bool,
}

type R<T> = Result<T, ParseError>;

impl P {
    fn peek(&self, k: usize) -> Option<&str> {
        self.toks.get(self.i + k).map(|t| t.s.as_str())
    }

    fn at_end(&self) -> bool {
        self.i >= self.toks.len()
    }

    fn is(&self, words: &str) -> bool {
        words.split(' ').enumerate().all(|(k, w)| self.peek(k).is_some_and(|t| t.eq_ignore_ascii_case(w)))
    }

    fn eat(&mut self, words: &str) -> bool {
        if self.is(words) {
            self.i += words.split(' ').count();
            true
        } else {
            false
        }
    }

    fn err(&self, message: impl Into<String>) -> ParseError {
        let words = match self.toks.get(self.i) {
            Some(t) => {
                let rest = &self.norm[t.pos.min(self.norm.len())..];
                rest.split(' ').take(12).collect::<Vec<_>>().join(" ")
            }
            None => {
                let tail: Vec<&str> = self.norm.split(' ').collect();
                let from = tail.len().saturating_sub(6);
                format!("end of text (after `{}`)", tail[from..].join(" "))
            }
        };
        ParseError {
            rule_number: self.number,
            words_where_parsing_stopped: words,
            message: message.into(),
            at_end: self.at_end(),
            partial: self.done.clone(),
            partial_hs: self.hs.clone(),
            partial_uses: self.lead_uses.clone().map(|u| Box::new(LeadUses(u))),
        }
    }

    fn expect(&mut self, words: &str) -> R<()> {
        if self.eat(words) { Ok(()) } else { Err(self.err(format!("expected `{words}`"))) }
    }

    /// `heading`, `subheadings`, `tariff item`, ... -> its level word.
    fn level_word(&self) -> Option<(&'static str, usize)> {
        let w = self.peek(0)?.to_ascii_lowercase();
        match w.as_str() {
            "chapter" | "chapters" => Some(("chapter", 1)),
            "heading" | "headings" => Some(("heading", 1)),
            "subheading" | "subheadings" => Some(("subheading", 1)),
            "tariff" => {
                let n = self.peek(1)?.to_ascii_lowercase();
                (n == "item" || n == "items").then_some(("tariff-item", 2))
            }
            _ => None,
        }
    }

    /// [`Self::level_word`], `k` words ahead.
    fn level_word_at(&self, k: usize) -> Option<&'static str> {
        let w = self.peek(k)?.to_ascii_lowercase();
        match w.as_str() {
            "chapter" | "chapters" => Some("chapter"),
            "heading" | "headings" => Some("heading"),
            "subheading" | "subheadings" => Some("subheading"),
            "tariff"
                if self
                    .peek(k + 1)
                    .is_some_and(|n| n.eq_ignore_ascii_case("item") || n.eq_ignore_ascii_case("items")) =>
            {
                Some("tariff-item")
            }
            _ => None,
        }
    }

    fn code_here(&self, k: usize) -> bool {
        self.peek(k).is_some_and(is_code)
    }

    fn code_or_chapter(&self, k: usize, chapter: bool) -> bool {
        self.peek(k).is_some_and(|s| is_code(s) || chapter && is_chapter_code(s))
    }

    /// `8413.50 through 8413.60, 8466.93.15 or 8466.93.53` (two-digit codes after `chapter`).
    fn codes(&mut self) -> R<Vec<String>> {
        let chapter = self.i > 0 && self.toks[self.i - 1].s.to_ascii_lowercase().starts_with("chapter");
        let mut out = Vec::new();
        loop {
            if !self.code_or_chapter(0, chapter) {
                return Err(self.err("expected an HS code"));
            }
            let a = two_digit_chapter(self.toks[self.i].s.clone());
            self.i += 1;
            if self.is("through") && self.code_or_chapter(1, chapter) {
                let b = two_digit_chapter(self.toks[self.i + 1].s.clone());
                self.i += 2;
                out.push(format!("{a}-{b}"));
            } else {
                out.push(a);
            }
            // Separators only if a code follows.
            let save = self.i;
            let mut k = 0;
            while matches!(self.peek(k), Some(",") | Some("or") | Some("and")) {
                k += 1;
            }
            if k > 0 && self.code_or_chapter(k, chapter) {
                self.i += k;
                continue;
            }
            // "5204 through 5212 5310 through 5311" (chapter 63 as transcribed): a code of the same length
            // right after the last, the comma left out.
            let last_len = self.toks[self.i - 1].s.len();
            if k == 0 && self.peek(0).is_some_and(|w| is_code(w) && w.len() == last_len) {
                continue;
            }
            self.i = save;
            return Ok(out);
        }
    }

    /// Whether the list of sources ends here (a clause, a label, the end of the alternative).
    fn list_ends(&self, k: usize) -> bool {
        match self.peek(k) {
            None => true,
            Some(";") | Some(".") => true,
            // ", whether or not plaited," / ", whether or not motorized," describe a material; only
            // "whether or not there is also a change" is a clause.
            Some(s) if s.eq_ignore_ascii_case("whether") => {
                self.peek(k + 3).is_some_and(|w| w.eq_ignore_ascii_case("there"))
            }
            Some(s) => {
                alt_label(s).is_some()
                    || item_label(s).is_some()
                    || CLAUSE_WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
            }
        }
    }

    /// Words of a kind of material, up to "of <code>" or the end of the list.
    fn kind_words(&mut self) -> R<(String, Vec<String>)> {
        let mut words: Vec<String> = Vec::new();
        loop {
            if self.at_end() || matches!(self.peek(0), Some(";") | Some(".")) {
                break;
            }
            // "klystrons within that subheading", "phenols of that subheading": a kind of the good's own codes.
            if !words.is_empty() && (self.eat("within that subheading") || self.eat("of that subheading")) {
                return Ok((join_words(&words), self.hs.clone()));
            }
            // "a non-smoked good within those subheadings": a kind of the rule's own codes.
            if !words.is_empty() && (self.eat("within those subheadings") || self.eat("within these subheadings")) {
                let k = join_words(&words);
                let k = k.strip_prefix("a ").or_else(|| k.strip_prefix("an ")).unwrap_or(&k).to_string();
                return Ok((k, self.hs.clone()));
            }
            if self.is("of") {
                let save = self.i;
                self.i += 1;
                if let Some((_, n)) = self.level_word() {
                    self.i += n;
                }
                if self.code_here(0) {
                    let codes = self.codes()?;
                    // "flat yarns of subheading 5402.45 (flat yarns means 7 denier/5 filament, ...)": a definition
                    // in brackets after the codes is part of the description.
                    if let Some(p) = self.parenthetical() {
                        words.push(p);
                    }
                    return Ok((join_words(&words), codes));
                }
                self.i = save;
            }
            if self.peek(0) == Some(",") {
                let mut k = 1;
                while self.peek(k) == Some("or") {
                    k += 1;
                }
                if self.list_ends(k) {
                    break;
                }
            }
            if let Some(s) = self.peek(0)
                && (alt_label(s).is_some() || item_label(s).is_some())
            {
                break;
            }
            words.push(self.toks[self.i].s.clone());
            self.i += 1;
        }
        if words.is_empty() {
            return Err(self.err("expected the materials a change is from"));
        }
        Ok((join_words(&words), Vec::new()))
    }

    fn source_item(&mut self) -> R<Source> {
        // "..., or from any other heading": the preposition repeated inside a list of sources.
        if self.is("from") {
            self.i += 1;
        }
        if self.eat("any other good within that subheading") || self.eat("within that subheading") {
            return Ok(Source::Within);
        }
        // "any other good within those subheadings", "... within that heading" (a rule of one heading),
        // "(any other good) within these / those subheadings": the rule's own group of codes.
        if self.eat("any other good within those subheadings")
            || self.eat("any other good within those headings")
            || self.eat("any other good within that heading")
            || self.eat("any other good within these subheadings")
            || self.eat("any other good within these headings")
            || self.eat("within that heading")
            || self.eat("within those subheadings")
            || self.eat("within these subheadings")
        {
            return Ok(Source::GroupGoods);
        }
        // "any other good within subheading 8406.90": the goods of the codes named.
        if self.is("any other good within") {
            let save = self.i;
            self.i += 4;
            if let Some((_, n)) = self.level_word() {
                self.i += n;
                if self.code_here(0) {
                    let codes = self.codes()?;
                    return Ok(Source::Spec(RawMaterialSpec { hs: codes, kind: None }));
                }
            }
            self.i = save;
        }
        // "from any other good of subheading 8525.80": the good's own subheading.
        if self.is("any other good of") {
            let save = self.i;
            self.i += 4;
            if let Some((_, n)) = self.level_word() {
                self.i += n;
            }
            if self.code_here(0) {
                let codes = self.codes()?;
                if codes == self.hs || self.hs.is_empty() {
                    return Ok(Source::Within);
                }
                // "from any other good of subheadings 8708.40 or 8708.99" in a rule of 8708.40: the good's own
                // subheading, and every good of the others.
                let others: Vec<String> = codes.iter().filter(|c| !self.hs.contains(c)).cloned().collect();
                if self.hs.len() == 1 && !self.hs[0].contains('-') && others.len() + 1 == codes.len() {
                    return Ok(Source::WithinAnd(others));
                }
                // "from any other good of heading 7002 except pre-forms" (chapter 90 rule 1 (B)): the goods of
                // those codes other than the kind named.
                if !codes.iter().any(|c| self.hs.contains(c)) && self.is("except") && !self.is("except from") {
                    self.i += 1;
                    let mut words: Vec<String> = Vec::new();
                    while !self.list_ends(0) && self.peek(0) != Some(",") {
                        words.push(self.toks[self.i].s.clone());
                        self.i += 1;
                    }
                    if !words.is_empty() {
                        return Ok(Source::Spec(RawMaterialSpec {
                            hs: codes,
                            kind: Some(format!("other than {}", join_words(&words))),
                        }));
                    }
                }
            }
            self.i = save;
        }
        // "except from any subheading within that group": the rule's own codes.
        if self.is("any") {
            let save = self.i;
            self.i += 1;
            if let Some((_, n)) = self.level_word() {
                self.i += n;
                if self.eat("within that group") {
                    return Ok(Source::Spec(RawMaterialSpec { hs: self.hs.clone(), kind: None }));
                }
            }
            self.i = save;
        }
        // "whether or not there is also a change from another subheading" (chapter 71): any other subheading.
        if self.is("another") {
            let save = self.i;
            self.i += 1;
            if let Some((lvl, n)) = self.level_word() {
                self.i += n;
                if !self.code_here(0) {
                    return Ok(Source::Any(lvl, false));
                }
            }
            self.i = save;
        }
        if self.is("any other") {
            let save = self.i;
            self.i += 2;
            if let Some((lvl, n)) = self.level_word() {
                self.i += n;
                if self.eat("within that group") {
                    return Ok(Source::GroupOther(lvl));
                }
                // "from any other heading outside that group" reads as "from any heading outside that group".
                if self.eat("outside that group") {
                    return Ok(Source::Any(lvl, true));
                }
                if self.is("within") {
                    let inner = self.i;
                    self.i += 1;
                    if let Some((_, m)) = self.level_word() {
                        self.i += m;
                        if self.code_or_chapter(0, true) {
                            let codes = self.codes()?;
                            return Ok(Source::AnyWithin(lvl, codes));
                        }
                    }
                    self.i = inner;
                }
                return Ok(Source::Any(lvl, false));
            }
            self.i = save;
        }
        if self.is("any") {
            let save = self.i;
            self.i += 1;
            if let Some((lvl, n)) = self.level_word() {
                self.i += n;
                if self.eat("outside that group") {
                    return Ok(Source::Any(lvl, true));
                }
            }
            self.i = save;
        }
        // "from any heading, except from ..." / "from any chapter": unlike "any other heading", the good's
        // own heading (chapter) is allowed too.
        if self.is("any")
            && let Some(w) = self.peek(1)
            && let lvl @ ("heading" | "chapter" | "subheading") = w.to_ascii_lowercase().as_str()
            && !self.peek(2).is_some_and(|w| w.eq_ignore_ascii_case("outside") || w.eq_ignore_ascii_case("within"))
        {
            self.i += 2;
            return Ok(Source::AnyOwnIncluded(match lvl {
                "heading" => "heading",
                "chapter" => "chapter",
                _ => "subheading",
            }));
        }
        // "from heading outside that group" (chapter 37 as transcribed, "any" left out).
        if let Some((lvl, n)) = self.level_word()
            && self.toks.get(self.i + n).is_some_and(|t| t.s.eq_ignore_ascii_case("outside"))
        {
            self.i += n;
            if self.eat("outside that group") {
                return Ok(Source::Any(lvl, true));
            }
            self.i -= n;
        }
        if self.eat("more than one of the following") {
            let _ = self.eat(":");
            return Ok(Source::Items(self.items()?));
        }
        if let Some((_, n)) = self.level_word() {
            self.i += n;
            let codes = self.codes()?;
            return Ok(Source::Spec(RawMaterialSpec { hs: codes, kind: None }));
        }
        if self.code_here(0) {
            let codes = self.codes()?;
            return Ok(Source::Spec(RawMaterialSpec { hs: codes, kind: None }));
        }
        let (kind, hs) = self.kind_words()?;
        if reads_as_codes(&kind) {
            // A phrase of codes the grammar does not know must never become a "kind" (it would be matched
            // against materials' descriptions and encode a wrong rule): the entry is listed as not read.
            return Err(self.err(format!(
                "`{kind}` names codes, not a description of materials, in a form the importer does not read"
            )));
        }
        Ok(Source::Spec(RawMaterialSpec { hs, kind: Some(kind) }))
    }

    /// A list of sources: items separated by `,`, `or`, `and`.
    fn sources(&mut self) -> R<Vec<Source>> {
        let mut out = vec![self.source_item()?];
        loop {
            let save = self.i;
            let mut k = 0;
            while matches!(self.peek(k), Some(",") | Some("or") | Some("and")) {
                k += 1;
            }
            if k == 0 || self.list_ends(k) {
                self.i = save;
                return Ok(out);
            }
            self.i += k;
            out.push(self.source_item()?);
        }
    }

    /// `(1) subheadings 8413.50 through 8413.60, (2) ...`: each item one material spec.
    fn items(&mut self) -> R<Vec<RawMaterialSpec>> {
        let mut out = Vec::new();
        // "except from more than one of the following: (A) tariff items ..., (B) subheading 8537.10, ...":
        // items may be lettered too; then a letter is an item until the list ends (`;`).
        let lettered = self.peek(0).and_then(alt_label).is_some();
        let label = |s: &str| item_label(s).or_else(|| if lettered { alt_label(s) } else { None });
        loop {
            let Some(_) = self.peek(0).and_then(label) else {
                if out.is_empty() {
                    return Err(self.err("expected a numbered item `(1)`"));
                }
                return Ok(out);
            };
            self.i += 1;
            let srcs = self.sources()?;
            let specs = specs_of(&srcs);
            if specs.len() != 1 || srcs.iter().any(|s| !matches!(s, Source::Spec(_))) {
                return Err(self.err("a numbered item must name one group of materials"));
            }
            out.extend(specs);
            // Separator to the next item.
            let save = self.i;
            let mut k = 0;
            while matches!(self.peek(k), Some(",") | Some("or") | Some("and")) {
                k += 1;
            }
            if self.peek(k).and_then(label).is_some() {
                self.i += k;
            } else {
                self.i = save;
                return Ok(out);
            }
        }
    }

    /// What a change is to: `subheadings 8510.10 through 8510.30`, `a good of subheading 8531.20`,
    /// `mounted brake linings of subheading 8708.30`, `any other good of heading 8469`.
    fn target(&mut self) -> R<Target> {
        let mut other = false;
        let mut kind = None;
        // "any other good of textile material of heading 9619", "a good of textile wadding of heading 9619"
        // (chapter 96 rule 16): words before the codes are a description, read below.
        let codes_follow = |p: &Self, k: usize| p.level_word_at(k).is_some() || p.code_here(k);
        if self.is("any other good of") && codes_follow(self, 4) {
            self.i += 4;
            other = true;
        } else if self.is("any other tariff item within") && self.level_word_at(5).is_some() {
            // "A change to any other tariff item within subheading 8471.80": the subheading's goods; its tariff
            // items with rules of their own are governed by those (the deeper rule wins a look-up).
            self.i += 5;
        } else if self.is("any other good")
            && self.peek(3).is_some_and(|w| {
                matches!(w.to_ascii_lowercase().as_str(), "subheading" | "subheadings" | "heading" | "headings")
            })
        {
            // "A change to any other good subheading 8708.80" (chapter 87 rule 38 as transcribed).
            self.i += 3;
            other = true;
        } else if self.is("a good of any of") && codes_follow(self, 5) {
            self.i += 5;
        } else if self.is("a good of") && codes_follow(self, 3) {
            self.i += 3;
        } else if self.level_word().is_none() && !self.code_here(0) {
            let mut words = Vec::new();
            loop {
                if self.at_end() {
                    return Err(self.err("expected the goods of the rule (`of subheading ...`)"));
                }
                if self.is("of") {
                    let save = self.i;
                    self.i += 1;
                    let lw = self.level_word().is_some();
                    let code = self.code_here(0);
                    self.i = save;
                    if (lw || code) && !self.codes_inside_description() {
                        self.i += 1;
                        break;
                    }
                }
                // "drive-axles with differential, whether or not provided with other transmission components":
                // "provided with" describes the goods; "provided there is / that" is a clause.
                let provided_clause = self.is("provided") && !self.is("provided with");
                if self.is("from") || provided_clause || self.is(",") && self.peek(1) == Some("provided") {
                    return Err(self.err("expected the goods of the rule (`of subheading ...`)"));
                }
                words.push(self.toks[self.i].s.clone());
                self.i += 1;
            }
            let k = join_words(&words);
            let k = k.strip_prefix("a ").or_else(|| k.strip_prefix("an ")).unwrap_or(&k).to_string();
            kind = Some(k);
        }
        if let Some((_, n)) = self.level_word() {
            self.i += n;
        }
        let codes = self.codes()?;
        // A description after the codes, up to `from`: ", of a kind for use in a motor vehicle of ...",
        // "which have undergone a tanning ...", "classified as part of an ensemble of subheading 6103.23",
        // ", other than those of a kind ...". It narrows the goods: part of the good's kind.
        let desc = self.description_before_from();
        let kind = match (kind, desc) {
            (k, None) => k,
            (Some(k), Some(d)) if d.starts_with(',') => Some(format!("{k}{d}")),
            (Some(k), Some(d)) => Some(format!("{k} {d}")),
            (None, Some(d)) => Some(d.trim_start_matches(", ").to_string()),
        };
        Ok(Target { codes, kind, other })
    }

    /// Words between a target's codes and `from` (`, from` or `from any ...`), when there are any and the
    /// text reaches `from` before the alternative ends; `None` (and nothing consumed) otherwise.
    fn description_before_from(&mut self) -> Option<String> {
        // ", except for a good of subheading 2916.32" takes codes out of the goods (read by the caller).
        if self.is("from") || self.is(", from") || self.at_end() || self.is(", except for a good of") {
            return None;
        }
        let starts = matches!(self.peek(0), Some(","))
            && self.peek(1).is_some_and(|w| !w.eq_ignore_ascii_case("provided") && !w.eq_ignore_ascii_case("whether"))
            || self.peek(0).is_some_and(|w| {
                ["which", "classified", "that", "other", "except", "having", "containing", "not", "put", "made"]
                    .iter()
                    .any(|x| w.eq_ignore_ascii_case(x))
                    || w.starts_with('(') && alt_label(w).is_none() && item_label(w).is_none()
            });
        if !starts {
            return None;
        }
        let save = self.i;
        let mut words: Vec<String> = Vec::new();
        while let Some(w) = self.peek(0).map(str::to_string) {
            let w = w.as_str();
            if matches!(w, ";" | "." | ":") || alt_label(w).is_some() && self.peek(1) == Some("A") {
                break;
            }
            if w.eq_ignore_ascii_case("from") {
                let next = self.peek(1).unwrap_or("");
                let source_start = next.eq_ignore_ascii_case("any")
                    || next.eq_ignore_ascii_case("within")
                    || is_code(next)
                    || matches!(
                        next.to_ascii_lowercase().as_str(),
                        "chapter" | "chapters" | "heading" | "headings" | "subheading" | "subheadings" | "tariff"
                    );
                // "curtains ... made of fabrics wholly of non-textured polyester filaments from yarn, with a twist
                // ..., of subheadings 5402.44, 5402.47 or 5402.52, provided ...": a "from" before materials
                // described in words starts the sources when what follows reads as sources to the end.
                let described_sources = !source_start && !words.is_empty() && {
                    let at = self.i;
                    self.i += 1;
                    let ok = self.sources().is_ok()
                        && (self.at_end()
                            || self.alt_ends()
                            || self.is(", provided")
                            || self.is(", except")
                            || self.is(", whether"));
                    self.i = at;
                    ok
                };
                if source_start || described_sources {
                    let desc = join_words(&words);
                    if desc.is_empty() {
                        break;
                    }
                    // A leading comma is kept: ", of a kind ..." reads as printed after the kind.
                    return Some(desc);
                }
            }
            words.push(w.to_string());
            self.i += 1;
        }
        self.i = save;
        None
    }

    /// A bracketed phrase starting here ("(if such fabrics are ... color)"), brackets inside it balanced,
    /// consumed and returned as printed; `None` (nothing consumed) when there is none or it is a label.
    fn parenthetical(&mut self) -> Option<String> {
        let first = self.peek(0)?;
        if !first.starts_with('(') || alt_label(first).is_some() || item_label(first).is_some() {
            return None;
        }
        let save = self.i;
        let mut depth = 0i32;
        let mut words: Vec<String> = Vec::new();
        while let Some(w) = self.peek(0) {
            depth += w.matches('(').count() as i32 - w.matches(')').count() as i32;
            words.push(w.to_string());
            self.i += 1;
            if depth <= 0 {
                return Some(join_words(&words));
            }
        }
        self.i = save;
        None
    }

    /// At `of <codes>` inside the goods of a change: whether the codes are followed by `, of <codes>`
    /// ("drive-axles ..., for vehicles of heading 8703, of subheading 8708.50 from ..."): then they are part
    /// of the description, and the goods are the later codes.
    fn codes_inside_description(&self) -> bool {
        let mut k = 1;
        if let Some(l) = self.level_word_at(k) {
            k += if l == "tariff-item" { 2 } else { 1 };
        }
        while self.peek(k).is_some_and(|w| is_code(w) || matches!(w, "," | "or" | "and" | "through")) {
            if self.peek(k) == Some(",") && !self.peek(k + 1).is_some_and(is_code) {
                break;
            }
            k += 1;
        }
        // ", of subheading 8708.50" right after the codes (", of a kind for use in ..." is a description
        // after the goods, read by `description_before_from`).
        self.peek(k) == Some(",")
            && self.peek(k + 1).is_some_and(|w| w.eq_ignore_ascii_case("of"))
            && (self.level_word_at(k + 2).is_some() || self.peek(k + 2).is_some_and(is_code))
    }

    /// Words between a "No change ... to <goods>" target's codes and `provided` (", used as the primary
    /// source of electrical power ... light truck provided that ..."): they narrow the goods, as after a
    /// change's target; `None` (and nothing consumed) when the text does not reach `provided`.
    fn description_before_provided(&mut self) -> Option<String> {
        let starts = self.is(",")
            && self.peek(1).is_some_and(|w| !w.eq_ignore_ascii_case("provided") && !w.eq_ignore_ascii_case("whether"));
        if !starts {
            return None;
        }
        let save = self.i;
        let mut words: Vec<String> = Vec::new();
        while let Some(w) = self.peek(0) {
            if matches!(w, ";" | "." | ":") {
                break;
            }
            if w.eq_ignore_ascii_case("provided") && words.len() > 1 {
                return Some(join_words(&words));
            }
            words.push(w.to_string());
            self.i += 1;
        }
        self.i = save;
        None
    }

    fn percent(&mut self) -> R<Decimal> {
        let Some(s) = self.peek(0) else { return Err(self.err("expected a percentage")) };
        let d: Decimal = s.parse().map_err(|_| self.err("expected a percentage"))?;
        self.i += 1;
        if !self.eat("percent") {
            return Err(self.err("expected `percent`"));
        }
        Ok(d)
    }

    fn method(&mut self) -> R<&'static str> {
        if self.eat("transaction value method") {
            Ok("tv")
        } else if self.eat("net cost method") {
            Ok("nc")
        } else {
            Err(self.err("expected `transaction value method` or `net cost method`"))
        }
    }

    fn date(&mut self) -> R<NaiveDate> {
        const MONTHS: [&str; 12] = [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ];
        let m = self.peek(0).map(str::to_ascii_lowercase).and_then(|m| MONTHS.iter().position(|x| *x == m));
        let Some(m) = m else { return Err(self.err("expected a date such as `July 1, 2020`")) };
        let day: Option<u32> = self.peek(1).and_then(|d| d.parse().ok());
        let year: Option<i32> =
            if self.peek(2) == Some(",") { self.peek(3).and_then(|y| y.parse().ok()) } else { None };
        let date = match (day, year) {
            (Some(d), Some(y)) => NaiveDate::from_ymd_opt(y, m as u32 + 1, d),
            _ => None,
        };
        let Some(date) = date else { return Err(self.err("expected a date such as `July 1, 2020`")) };
        self.i += 4;
        Ok(date)
    }

    /// After `provided`: an RVC requirement (maybe staged by date) or a condition.
    fn provided(
        &mut self,
        alt: &mut RawAlternative,
        alt_index: usize,
        stages: &mut Vec<RvcStage>,
        start: usize,
    ) -> R<()> {
        let rvc_follows = self.is("that the regional value content is");
        // "provided the nonoriginating materials ... do not exceed 50 percent by weight" ("that" left out).
        if (self.is("that") || self.is("the")) && !rvc_follows {
            // A condition the BOM cannot show: "provided that at least 70 percent by weight ...", "provided
            // that the good is both cut (or knit to shape) and sewn or otherwise assembled ...", "provided
            // that a single juice ingredient ... no more than 60 percent by volume", "provided that, with
            // respect to ...". Kept verbatim as a condition a reviewer answers.
            let from = self.toks[start].pos;
            // "provided that, with respect to ...: (A) ...; and (B) ...": a condition with lettered paragraphs of
            // its own. In a rule of one unlabelled alternative the letters can only be the condition's, so the
            // condition runs to the end of the text; after a labelled alternative they cannot be told from
            // the next alternative's label: not read. "provided that, if bar or rod is used, ..." has none.
            let lettered = self.peek(1) == Some(",");
            if lettered && alt.label == "-" {
                self.i = self.toks.len();
            }
            let cond_start = self.i;
            while !self.at_end() && !self.alt_ends() {
                self.i += 1;
            }
            if lettered && self.toks[cond_start..self.i].iter().any(|t| t.s == ":") {
                self.i = cond_start;
                return Err(self.err("a condition with lettered paragraphs of its own (\"provided that, with respect to ...\") is not read"));
            }
            let to = self.toks.get(self.i).map_or(self.norm.len(), |t| t.pos);
            let text = self.norm[from..to].trim().trim_end_matches([',', ';', '.']).trim().to_string();
            alt.conditions.push(RawCondition { id: condition_id(&text), text });
            return Ok(());
        }
        let mut staged_method = None;
        if self.eat("that the regional value content is") {
        } else {
            self.expect("there is")?;
            let _ = self.eat("also");
            // "provided there is regional value content of ..." (chapter 87 rule 42 as transcribed).
            if !(self.eat("a regional value content") || self.eat("an RVC") || self.eat("regional value content")) {
                return Err(self.err("expected `a regional value content`"));
            }
            if self.eat("under the") {
                staged_method = Some(self.method()?);
            }
            self.expect("of")?;
            if !(self.eat("not less than") || self.eat("at least")) {
                return Err(self.err("expected `not less than`"));
            }
        }
        let _ = self.eat(":");
        let mut rvc = RawRvc { tv: None, nc: None };
        if self.peek(0).and_then(item_label).is_none() && self.peek(0).and_then(alt_label).is_none() {
            let pct = self.percent()?;
            let m = match staged_method {
                Some(m) => m,
                None => {
                    self.expect("under the")?;
                    self.method()?
                }
            };
            set_method(&mut rvc, m, pct);
            alt.rvc = Some(rvc);
            return Ok(());
        }
        // Numbered thresholds: "(1) 60 percent where the transaction value method is used; or (2) ...".
        while let Some(label) = self.peek(0).and_then(|s| item_label(s).or_else(|| alt_label(s))) {
            self.i += 1;
            let pct = self.percent()?;
            if self.eat("where the") {
                // The transcription's slips: "where the net cost is used" ("method" left out), "where the
                // transaction value method; or" ("is used" left out). The method is named either way.
                let m = if self.eat("transaction value is used") {
                    "tv"
                } else if self.eat("net cost is used") {
                    "nc"
                } else {
                    let m = self.method()?;
                    if !self.eat("is used") && !matches!(self.peek(0), Some(";") | Some(".") | None) {
                        return Err(self.err("expected `is used`"));
                    }
                    m
                };
                set_method(&mut rvc, m, pct);
            } else if self.eat("under the") {
                let m = self.method()?;
                set_method(&mut rvc, m, pct);
            } else if self.eat(", beginning on") {
                let from = self.date()?;
                let to = if self.eat("and ending on") { Some(self.date()?) } else { None };
                let mut r = RawRvc { tv: None, nc: None };
                set_method(&mut r, staged_method.unwrap_or("nc"), pct);
                stages.push(RvcStage { alternative: alt_index, label, effective_from: from, effective_to: to, rvc: r });
            } else {
                return Err(self.err("expected `where the ... method is used` or `under the ... method`"));
            }
            let save = self.i;
            let mut k = 0;
            // "(2) 50 percent where the net cost method is used. (1) 60 percent ..." (chapter 85 rule 113 as
            // transcribed: the thresholds printed out of order, a full stop between them).
            while matches!(self.peek(k), Some(";") | Some(",") | Some(".") | Some("or") | Some("and")) {
                k += 1;
            }
            let next_is_item = self.peek(k).and_then(|s| item_label(s).or_else(|| alt_label(s))).is_some();
            let next_is_threshold =
                next_is_item && self.toks.get(self.i + k + 1).is_some_and(|t| t.s.parse::<Decimal>().is_ok());
            if next_is_threshold {
                self.i += k;
            } else {
                self.i = save;
                break;
            }
        }
        if stages.is_empty() {
            if rvc.tv.is_none() && rvc.nc.is_none() {
                return Err(self.err("expected the RVC thresholds"));
            }
            alt.rvc = Some(rvc);
        }
        Ok(())
    }

    /// Whether the alternative ends here: `;`, `.`, `, or (B)`, the end of the text.
    fn alt_ends(&self) -> bool {
        let mut k = 0;
        while matches!(self.peek(k), Some(";") | Some(",") | Some(".") | Some("or") | Some("and")) {
            k += 1;
        }
        match self.peek(k) {
            None => k > 0 || self.at_end(),
            Some(s) => k > 0 && alt_label(s).is_some() && self.peek(0) != Some("or"),
        }
    }

    /// One alternative's body, after its label.
    fn alternative(
        &mut self,
        label: String,
        rule_kind: &Option<String>,
        kinds_seen: &mut Vec<String>,
        stages: &mut Vec<RvcStage>,
    ) -> R<RawAlternative> {
        let mut alt = RawAlternative {
            label,
            hs: Vec::new(),
            good_kind: None,
            good_kind_other_than: None,
            shift: None,
            no_change_required: None,
            rvc: None,
            conditions: Vec::new(),
        };
        let index = self.done.len();
        if self.eat("No change in tariff classification")
            || self.eat("No required tariff change")
            || self.eat("No required change in tariff classification")
        {
            // "No change in tariff classification electronic microassemblies of subheading 8543.90" (chapter
            // 85 rule 113 as transcribed): "to" left out before the goods.
            let to_left_out = !self.is("to")
                && !self.is("is")
                && !self.is(",")
                && !self.is("provided")
                && !self.at_end()
                && !self.alt_ends();
            if self.eat("to") || to_left_out {
                let mut t = self.target()?;
                // "to a good of subheadings 2901.10 through 2942.00, except for a good of subheading 2916.32"
                // (chapter 29 rule 1 (B)): the goods of the range but that subheading.
                if self.eat(", except for a good of") || self.eat("except for a good of") {
                    if let Some((_, n)) = self.level_word() {
                        self.i += n;
                    }
                    let out = self.codes()?;
                    t.codes = carve(&t.codes, &out).ok_or_else(|| {
                        self.err(format!(
                            "\"except for a good of {}\" is not one code inside one range of the goods",
                            out.join(", ")
                        ))
                    })?;
                }
                if let Some(d) = self.description_before_provided() {
                    t.kind = Some(match t.kind {
                        Some(k) => format!("{k}{d}"),
                        None => d.trim_start_matches(", ").to_string(),
                    });
                }
                self.apply_target(&mut alt, &t, rule_kind, kinds_seen);
            }
            let _ = self.eat("is required");
            alt.no_change_required = Some(true);
            // "(A) No change in tariff classification to electronic microassemblies of subheading 8548.90; or"
            if self.at_end() || self.alt_ends() {
                return Ok(alt);
            }
            // "No change ... to a good of subheading 3301.29, whether or not there is also a change from any
            // other chapter, provided ...": with no change required, a change from any other chapter is
            // allowed anyway; the clause adds nothing.
            // (" whether ..." without the comma: chapter 81 as transcribed.)
            if self.eat(", whether or not there is also a change from")
                || self.eat("whether or not there is also a change from")
            {
                let also = self.sources()?;
                if also.iter().any(|s| !matches!(s, Source::Any(..))) {
                    return Err(self.err("expected `any other ...` after `whether or not there is also a change from`"));
                }
            }
            let _ = self.eat(",");
            let start = self.i;
            self.expect("provided")?;
            self.provided(&mut alt, index, stages, start)?;
            return Ok(alt);
        }
        if self.is("No change in tariff classification") {
            return Err(self.err("expected `No change in tariff classification ... provided`"));
        }
        // "(B) Production of any good of heading 2710 as the result of atmospheric distillation, ...": an
        // alternative of processes only, kept verbatim as a condition a reviewer answers.
        if self.is("Production of any good of") {
            let from = self.toks[self.i].pos;
            self.i += 5;
            if let Some((_, n)) = self.level_word() {
                self.i += n;
            }
            let codes = self.codes()?;
            if !same_codes(&codes, &self.hs) {
                return Err(self.err(format!(
                    "this alternative is for goods of {}, not the rule's {}",
                    codes.join(", "),
                    self.hs.join(", ")
                )));
            }
            while !self.at_end() && !self.alt_ends() {
                self.i += 1;
            }
            let to = self.toks.get(self.i).map_or(self.norm.len(), |t| t.pos);
            let text = self.norm[from..to].trim().trim_end_matches([',', ';', '.']).trim().to_string();
            alt.conditions.push(RawCondition { id: condition_id(&text), text });
            return Ok(alt);
        }
        // "(B) A change from any other subheading ..." (chapter 81 as transcribed): the goods left out after
        // an alternative that named them; the change is to the rule's goods.
        let t = if self.is("A change from") && !self.hs.is_empty() && !self.done.is_empty() {
            self.i += 2;
            Target { codes: self.hs.clone(), kind: None, other: false }
        } else {
            if !self.eat("A change to") {
                return Err(
                    self.err("expected `A change to`, `No change in tariff classification` or `Whether or not`")
                );
            }
            self.target()?
        };
        self.apply_target(&mut alt, &t, rule_kind, kinds_seen);
        if self.is(",") && !self.is(", from") {
            // ", of a kind used as ..." and similar descriptions before "from" are not read.
            return Err(self.err("expected `from` after the goods of the change"));
        }
        let _ = self.eat(",");
        self.expect("from")?;
        let srcs = self.sources()?;
        let mut shift = RawShift {
            from: None,
            group: None,
            within: None,
            also_from: Vec::new(),
            except: Vec::new(),
            except_more_than_one_of: Vec::new(),
        };
        let mut any: Option<(&'static str, bool)> = None;
        let mut any_within: Option<(&'static str, Vec<String>)> = None;
        let group_goods = srcs.contains(&Source::GroupGoods);
        let mut group_other: Option<&'static str> = None;
        for s in &srcs {
            match s {
                Source::Any(l, o) => any = Some((l, *o)),
                Source::Within => shift.within = Some(true),
                Source::Items(items) => shift.also_from.extend(items.iter().cloned()),
                Source::AnyWithin(l, codes) => any_within = Some((l, codes.clone())),
                Source::GroupGoods => shift.also_from.push(RawMaterialSpec { hs: self.hs.clone(), kind: None }),
                Source::GroupOther(_) if group_goods => {}
                Source::GroupOther(l) => group_other = Some(*l),
                Source::AnyOwnIncluded(l) => {
                    any = Some((l, false));
                    shift.also_from.push(RawMaterialSpec { hs: codes_at_level(&self.hs, l), kind: None });
                }
                Source::WithinAnd(codes) => {
                    shift.within = Some(true);
                    shift.also_from.push(RawMaterialSpec { hs: codes.clone(), kind: None });
                }
                Source::Spec(_) => {}
            }
        }
        shift.also_from.extend(specs_of(&srcs));
        loop {
            // "... of subheading 8538.90 or, whether or not ..." (rule 89 as transcribed).
            if self.is("or ,") && self.peek(2).is_some_and(|w| CLAUSE_WORDS.iter().any(|c| w.eq_ignore_ascii_case(c))) {
                self.i += 1;
            }
            // (" whether ..." without the comma: chapter 81 as transcribed.)
            if self.eat(", whether or not there is also a change from")
                || self.eat("whether or not there is also a change from")
            {
                // "any other heading", or named materials ("subheadings 8415.20 through 8415.83"): allowed too.
                let also = self.sources()?;
                for src in &also {
                    match src {
                        // "from any other subheading, whether or not there is also a change from any other
                        // chapter": a change of chapter is a change of subheading; the finer level stays.
                        Source::Any(l, o) if any.is_none_or(|(prev, _)| level_rank(l) > level_rank(prev)) => {
                            any = Some((l, *o))
                        }
                        Source::Any(..) => {}
                        Source::Spec(_) => {}
                        _ => {
                            return Err(self.err(
                                "expected `any other heading` or named materials after `whether or not there is also a change from`",
                            ));
                        }
                    }
                }
                shift.also_from.extend(specs_of(&also));
            } else if self.is(", including another") {
                self.i += 3;
                if let Some((_, n)) = self.level_word() {
                    self.i += n;
                }
                self.expect("within that group")?;
                shift.group = Some("including-within".into());
            } else if self.eat(", except from more than one of the following") {
                let _ = self.eat(":");
                shift.except_more_than_one_of = self.items()?;
            } else if self.eat(", except from")
                || self.eat(", excluding")
                || self.is(", except") && self.level_word_at(2).is_some() && {
                    // ", except headings 5106 through 5113, ..." (chapter 58 as transcribed): "from" left out.
                    self.i += 2;
                    true
                }
            {
                let ex = self.sources()?;
                for s in &ex {
                    match s {
                        Source::Spec(_) => {}
                        // "except from heading 8459 or more than one of the following: (A) ..., (B) ...".
                        Source::Items(items) if shift.except_more_than_one_of.is_empty() => {
                            shift.except_more_than_one_of = items.clone();
                        }
                        _ => return Err(self.err("an exception must name materials")),
                    }
                }
                shift.except.extend(specs_of(&ex));
            } else if self.is(", except for") {
                let from = self.toks[self.i + 1].pos;
                while !self.at_end() && !self.alt_ends() {
                    self.i += 1;
                }
                let to = self.toks.get(self.i).map_or(self.norm.len(), |t| t.pos);
                let text = self.norm[from..to].trim().trim_end_matches([',', ';']).trim().to_string();
                alt.conditions.push(RawCondition { id: condition_id(&text), text });
            } else if self.is(", provided") {
                self.i += 1;
                let start = self.i;
                self.i += 1;
                self.provided(&mut alt, index, stages, start)?;
            } else {
                break;
            }
        }
        if let Some((l, outside)) = any {
            shift.from = Some(l.to_string());
            if outside {
                shift.group = Some("outside".into());
            }
        }
        // "from any other subheading within that group ..., whether or not there is also a change from any
        // other subheading": the change from any other subheading covers the group's other subheadings,
        // which the text names: "including another subheading within that group". Beside anything else it
        // would admit the good's own subheading (or need the nomenclature to say what else the group holds).
        if let Some(l) = group_other {
            if shift.from.as_deref() == Some(l) && shift.group.is_none() {
                shift.group = Some("including-within".into());
            } else {
                return Err(self.err(
                    "\"any other subheading within that group\" without \"any other good within those subheadings\" or a change from any other subheading is not encoded (it would admit the good's own subheading)",
                ));
            }
        }
        // "from any other subheading within chapter 20[, whether or not there is also a change from any other
        // chapter]": with the whole chapter as the scope and the other chapters allowed too, that is "from any
        // other subheading"; otherwise the materials allowed are the scope's codes, never the good's own.
        if let Some((lvl, scope)) = any_within {
            let chapter_scope = scope.len() == 1 && scope[0].len() == 2;
            // "from any other subheading within heading 8518, whether or not there is also a change from any
            // other heading" in a rule of 8518.90: another subheading of the good's own heading or any other
            // heading, which is "from any other subheading".
            let own_heading_scope = scope.len() == 1
                && scope[0].len() == 4
                && scope[0].chars().all(|c| c.is_ascii_digit())
                && !self.hs.is_empty()
                && self.hs.iter().all(|h| h.split('-').all(|c| c.starts_with(scope[0].as_str())));
            if chapter_scope && shift.from.as_deref() == Some("chapter")
                || own_heading_scope && shift.from.as_deref() == Some("heading")
            {
                shift.from = Some(lvl.to_string());
            } else if shift.from.is_none() || shift.from.as_deref() == Some("chapter") {
                shift.also_from.push(RawMaterialSpec { hs: scope, kind: None });
                shift.except.push(RawMaterialSpec { hs: self.hs.clone(), kind: None });
            } else {
                return Err(self.err(format!(
                    "\"any other {lvl} within ...\" beside a change from any other {} is not encoded",
                    shift.from.as_deref().unwrap_or("")
                )));
            }
        }
        // "from parts thereof of subheadings 8708.94 or 8708.99": parts of the goods of the change.
        if let Some(k) = t.kind.as_deref() {
            for m in shift.also_from.iter_mut().chain(shift.except.iter_mut()) {
                if m.kind.as_deref() == Some("parts thereof") {
                    m.kind = Some(format!("parts of {k}"));
                }
            }
        }
        if shift.from.is_none() && shift.also_from.is_empty() && shift.within != Some(true) {
            return Err(self.err("the change names no source"));
        }
        for list in [&mut shift.also_from, &mut shift.except] {
            *list = std::mem::take(list).into_iter().flat_map(|m| split_kind_list(m, kinds_seen)).collect();
        }
        alt.shift = Some(shift);
        Ok(alt)
    }

    fn apply_target(
        &mut self,
        alt: &mut RawAlternative,
        t: &Target,
        rule_kind: &Option<String>,
        kinds_seen: &mut Vec<String>,
    ) {
        if self.hs.is_empty() {
            self.hs = t.codes.clone();
        } else if !same_codes(&t.codes, &self.hs) {
            let (inner, outer) = (code_set(&t.codes), code_set(&self.hs));
            if inner.as_ref().zip(outer.as_ref()).is_some_and(|(i, o)| o.covers(i)) {
                // "(B) No change in tariff classification to a good of subheading 7106.91" in the rule for
                // 7106.10-7106.92: the alternative is for those goods only.
                alt.hs = t.codes.clone();
            } else if !self.hs_from_lead_in && inner.as_ref().zip(outer.as_ref()).is_some_and(|(i, o)| i.covers(o)) {
                // "(A) A change to woven fabric ... of subheading 5407.61 ...; or (B) A change to any other good
                // of heading 5407": the rule is for heading 5407, the alternatives read before for 5407.61 only.
                for a in self.done.iter_mut().filter(|a| a.hs.is_empty()) {
                    a.hs = self.hs.clone();
                }
                self.hs = t.codes.clone();
            } else {
                // "(a) A change to sweaters of subheading 6110.30 classified as part of an ensemble ...; or (b)
                // A change to any other good of subheading 6103.23": goods outside the rule's codes (or a
                // lead-in's) cannot be an alternative of it, so the entry is not read.
                self.codes_differ = Some(t.codes.join(", "));
            }
        }
        if t.other {
            if !kinds_seen.is_empty() {
                alt.good_kind_other_than = Some(kinds_seen.clone());
            }
        } else if let Some(k) = &t.kind
            && rule_kind.as_deref() != Some(k.as_str())
        {
            if !kinds_seen.contains(k) {
                kinds_seen.push(k.clone());
            }
            alt.good_kind = Some(k.clone());
        }
    }
}

/// Chapter < heading < subheading < tariff item: "from any other <level>" allows more the finer the level.
fn level_rank(level: &str) -> u8 {
    match level {
        "chapter" => 0,
        "heading" => 1,
        "subheading" => 2,
        _ => 3,
    }
}

fn set_method(rvc: &mut RawRvc, m: &str, pct: Decimal) {
    if m == "tv" {
        rvc.tv = Some(pct);
    } else {
        rvc.nc = Some(pct);
    }
}

/// Whether two lists of codes name the same goods (order aside).
/// "from fabricated asbestos fibers ..., yarn or thread, cords or string, whether or not plaited, or woven
/// or knitted fabric of subheading 6812.99" (chapter 68 rules 2 and 4, the last alternative): a list of
/// descriptions of the same codes, read as one phrase because a description may hold commas. Where the
/// items after the first are kinds the rule's earlier alternatives name, each item is a material spec of
/// its own (a material of any of them is allowed); otherwise the phrase stays one kind.
fn split_kind_list(m: RawMaterialSpec, known: &[String]) -> Vec<RawMaterialSpec> {
    let Some(kind) = m.kind.as_deref() else { return vec![m] };
    let mut rest = kind.to_string();
    let mut items: Vec<String> = Vec::new();
    'strip: loop {
        for k in known {
            for sep in [", or ", ", "] {
                let tail = format!("{sep}{k}");
                if rest.len() > tail.len() && rest.to_ascii_lowercase().ends_with(&tail.to_ascii_lowercase()) {
                    items.push(rest[rest.len() - k.len()..].to_string());
                    rest.truncate(rest.len() - tail.len());
                    continue 'strip;
                }
            }
        }
        break;
    }
    if items.is_empty() {
        return vec![m];
    }
    items.push(rest);
    items.reverse();
    items.into_iter().map(|k| RawMaterialSpec { hs: m.hs.clone(), kind: Some(k) }).collect()
}

/// A range of codes with one code of its level taken out: `2901.10-2942.00` less `2916.32` is
/// `2901.10-2916.31` and `2916.33-2942.00` (every subheading in between, whether the HS uses it or not).
/// `None` unless `out` is one code lying inside one of `codes`' ranges at the range's level.
fn carve(codes: &[String], out: &[String]) -> Option<Vec<String>> {
    let [out] = out else { return None };
    let x = origin_core::HsCode::parse(out).ok()?;
    let mut result = Vec::new();
    let mut carved = false;
    for c in codes {
        let r = origin_core::HsRange::parse(c).ok()?;
        if carved || r.level() != x.level() || !r.contains(x) {
            result.push(c.clone());
            continue;
        }
        carved = true;
        let digits = x.plain();
        let n: u64 = digits.parse().ok()?;
        let width = digits.len();
        let at = |v: u64| -> Option<origin_core::HsCode> {
            origin_core::HsCode::parse(&format!("{v:0width$}")).ok().filter(|c| c.level() == x.level())
        };
        if r.start() < x {
            let before = at(n.checked_sub(1)?)?;
            result.push(origin_core::HsRange::new(r.start(), before).ok()?.to_string());
        }
        if x < r.end() {
            let after = at(n + 1)?;
            result.push(origin_core::HsRange::new(after, r.end()).ok()?.to_string());
        }
    }
    carved.then_some(result)
}

/// Codes as written by the parser (`7106.10-7106.92`), as a set; `None` if one does not parse.
fn code_set(codes: &[String]) -> Option<origin_core::HsSet> {
    codes.iter().map(|c| origin_core::HsRange::parse(c).ok()).collect::<Option<Vec<_>>>().map(origin_core::HsSet)
}

fn same_codes(a: &[String], b: &[String]) -> bool {
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort();
    y.sort();
    x == y
}

/// Joins words back into text: punctuation without a space before it (a trailing comma dropped).
fn join_words(words: &[String]) -> String {
    let words = match words.last().map(String::as_str) {
        Some(",") => &words[..words.len() - 1],
        _ => words,
    };
    let mut s = String::new();
    for w in words {
        if !s.is_empty() && !matches!(w.as_str(), "," | ";" | ":" | ".") {
            s.push(' ');
        }
        s.push_str(w);
    }
    s
}

/// Whether a phrase read where a description of materials was expected is in fact a phrase of codes
/// ("any heading", "any other good within that heading or any other heading", "from any other chapter").
fn reads_as_codes(kind: &str) -> bool {
    let k = kind.to_ascii_lowercase();
    // "any good, other than absorption-type electrical household refrigerators, of subheadings 8418.29 or
    // 8418.91": a description of the goods of the codes that follow, not a phrase of codes.
    if k.starts_with("any good, other than ") || k.starts_with("any good other than ") {
        return false;
    }
    ["any ", "from ", "within "].iter().any(|p| k.starts_with(p))
        || [" within th", "any other heading", "any other subheading", "any other chapter", "any other tariff item"]
            .iter()
            .any(|p| k.contains(p))
}

/// The rule's codes cut to a level: heading 5111 for "from any heading" in a rule of 5111, chapter 57 for
/// "from any chapter" in a rule of 5704 (a range keeps both ends cut).
fn codes_at_level(codes: &[String], level: &str) -> Vec<String> {
    let cut = |c: &str| -> String {
        let digits: String = c.chars().filter(char::is_ascii_digit).collect();
        match level {
            "chapter" => digits.chars().take(2).collect(),
            "heading" => digits.chars().take(4).collect(),
            "subheading" if digits.len() >= 6 => format!("{}.{}", &digits[..4], &digits[4..6]),
            _ => c.to_string(),
        }
    };
    let mut out: Vec<String> = Vec::new();
    for c in codes {
        let v = match c.split_once('-') {
            Some((a, b)) if cut(a) == cut(b) => cut(a),
            Some((a, b)) => format!("{}-{}", cut(a), cut(b)),
            None => cut(c),
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The material specs of a list of sources: the codes named without a kind merged into one spec (at the
/// place of the first), each kind its own spec.
fn specs_of(srcs: &[Source]) -> Vec<RawMaterialSpec> {
    let mut out: Vec<RawMaterialSpec> = Vec::new();
    let mut plain: Option<usize> = None;
    for s in srcs {
        if let Source::Spec(m) = s {
            if m.kind.is_none() {
                match plain {
                    Some(i) => out[i].hs.extend(m.hs.iter().cloned()),
                    None => {
                        plain = Some(out.len());
                        out.push(m.clone());
                    }
                }
            } else {
                out.push(m.clone());
            }
        }
    }
    out
}

/// When every alternative covers the same kind of good ("(A) A change to parts of other "smart cards" of
/// ...; (B) No change ... to parts of other "smart cards" of ..."), the rule covers only that kind.
pub fn lift_common_kind(rule_kind: &mut Option<String>, alts: &mut [RawAlternative]) {
    if rule_kind.is_some() || alts.is_empty() {
        return;
    }
    let first = alts[0].good_kind.clone();
    if first.is_some() && alts.iter().all(|a| a.good_kind == first && a.good_kind_other_than.is_none()) {
        *rule_kind = first;
        for a in alts.iter_mut() {
            a.good_kind = None;
        }
    }
}

/// A stable id for a condition, from its text: `by-weight-70pct-7208-7229-7301-7326`.
pub fn condition_id(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let pct: String = lower
        .split(' ')
        .zip(lower.split(' ').skip(1))
        .find(|(_, b)| *b == "percent")
        .map(|(a, _)| a.to_string())
        .unwrap_or_default();
    let codes: Vec<String> = lower
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|w| is_code(w.trim_end_matches('.')))
        .map(|w| w.trim_end_matches('.').replace('.', "-"))
        .collect();
    let head = if lower.contains("by weight") {
        "by-weight"
    } else if lower.contains("processes") {
        "no-change-from-processes"
    } else {
        "condition"
    };
    let mut id = head.to_string();
    if !pct.is_empty() {
        id.push_str(&format!("-{pct}pct"));
    }
    for c in codes {
        id.push('-');
        id.push_str(&c);
    }
    id
}

fn uses_of(words: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    // "a passenger vehicle, light truck, or heavy truck": the serial comma leaves an empty part.
    for part in words.replace(" or ", ", ").split(", ").filter(|p| !p.trim().is_empty()) {
        let p = part.trim().trim_end_matches(',').trim_start_matches("a ").trim_start_matches("an ").trim();
        let u = match p {
            "passenger vehicle" => "passenger-vehicle",
            "light truck" => "light-truck",
            "heavy truck" => "heavy-truck",
            _ => return None,
        };
        out.push(u.to_string());
    }
    Some(out)
}

/// Whether a "Subheading rule:" paragraph marks underscored designations that include `number`.
fn underscoring_applies(preamble: &str, number: Option<u32>) -> bool {
    let p = preamble.to_ascii_lowercase();
    if !p.contains("underscoring of the designation") {
        return false;
    }
    let Some(n) = number else { return true };
    let Some(i) = p.find("subdivision") else { return true };
    let nums: Vec<u32> = p[i..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .take(2)
        .filter_map(|w| w.parse().ok())
        .collect();
    let through = p[i..].split(" pertain").next().is_some_and(|s| s.contains("through"));
    match nums.as_slice() {
        [a, b] if through => (*a..=*b).contains(&n),
        [a, ..] => *a == n,
        [] => true,
    }
}

/// Whether a paragraph is a "Subheading rule:" that dates the rule after it.
fn is_dated(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    l.starts_with("subheading rule: beginning on") || l.starts_with("beginning on")
}

/// Splits an undated "Subheading rule: ..." first paragraph from the rule text.
pub fn split_preamble(text: &str) -> (Option<String>, String) {
    let mut lines = text.lines();
    match lines.next() {
        Some(first) if first.starts_with("Subheading rule:") || first.starts_with("The underscoring of") => {
            (Some(first.trim().to_string()), lines.collect::<Vec<_>>().join("\n"))
        }
        Some(_) => (None, text.to_string()),
        None => (None, String::new()),
    }
}

/// Parses one rule's verbatim text (one paragraph per line, as printed), including an optional
/// "Subheading rule:" paragraph before it.
pub fn parse_rule(text: &str) -> Result<ParsedRule, ParseError> {
    parse_rule_inner(text, false)
}

/// Parses the branches of a rule whose beginning the copy does not show (`(A) ...; (B) ...`).
pub fn parse_fragment(text: &str) -> Result<ParsedRule, ParseError> {
    parse_rule_inner(text, true)
}

fn parse_rule_inner(text: &str, fragment: bool) -> Result<ParsedRule, ParseError> {
    let (preamble, body) = split_preamble(text);
    let dated_preamble = preamble.as_deref().is_some_and(is_dated);
    let parse_text = if dated_preamble { text.to_string() } else { body };
    let norm = normalize(&parse_text);
    let toks = tokenize(&norm);
    let mut p = P {
        toks,
        i: 0,
        norm,
        number: None,
        done: Vec::new(),
        hs: Vec::new(),
        lead_uses: None,
        codes_differ: None,
        hs_from_lead_in: false,
    };
    let mut rule = ParsedRule {
        number: None,
        preamble: preamble.clone(),
        hs: Vec::new(),
        uses: None,
        good_kind: None,
        effective_from: None,
        effective_to: None,
        motor_vehicle_provisions: None,
        alternatives: Vec::new(),
        rvc_stages: Vec::new(),
        other_use: false,
    };
    if p.at_end() {
        return Err(p.err("the rule has no text"));
    }
    // "27." / "250," (typo)
    if let (Some(n), Some(sep)) = (p.peek(0), p.peek(1))
        && n.len() <= 3
        && n.chars().all(|c| c.is_ascii_digit())
        && (sep == "." || sep == ",")
    {
        p.number = n.parse().ok();
        rule.number = p.number;
        p.i += 2;
    }
    // SOR/2020-155 table rows begin with the HS label: "8701.30 – 8701.90A change ...".
    if p.code_here(0) {
        let codes = p.codes()?;
        p.hs = codes;
    }
    let _ = p.eat("Subheading rule :") || p.eat("Heading rule :");
    // "Chapter rule 1: For the purposes of trade between the territory of Mexico and the territory of the
    // United States of goods of subheadings 5703.20 through 5703.30 the following rule of origin applies:"
    // and "For the purposes of all other trade of subheading 5112.11 the following rule of origin applies:".
    // The Parties are read by the importer (`entry_trade`); here the goods.
    if p.is("Chapter rule")
        && p.peek(2).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
        && p.peek(3) == Some(":")
    {
        p.i += 4;
    }
    if p.eat("For the purposes of") {
        while !p.at_end() && !p.is("the following rule of origin applies") {
            if p.hs.is_empty() && p.code_here(0) {
                p.hs = p.codes()?;
                continue;
            }
            p.i += 1;
        }
        p.expect("the following rule of origin applies")?;
        let _ = p.eat(":");
        if p.hs.is_empty() {
            return Err(p.err("the lead-in \"For the purposes of ...\" names no goods"));
        }
    }
    if p.eat("Beginning on") {
        let from = p.date()?;
        rule.effective_from = Some(from);
        if p.eat("until") {
            let to = p.date()?;
            rule.effective_to = to.pred_opt();
            let _ = p.eat(",");
        } else {
            p.expect(", and thereafter ,")?;
        }
        if !(p.eat("the following rules of origin shall apply to")
            || p.eat("the following rule of origin shall apply to"))
        {
            return Err(p.err("expected `the following rules of origin shall apply to`"));
        }
        if let Some((_, n)) = p.level_word() {
            p.i += n;
        }
        p.hs = p.codes()?;
        p.expect(":")?;
    }
    if p.eat("The following rule applies to a good of") {
        if let Some((_, n)) = p.level_word() {
            p.i += n;
        }
        p.hs = p.codes()?;
        let mut words = Vec::new();
        while !p.at_end() && p.peek(0) != Some(":") {
            words.push(p.toks[p.i].s.clone());
            p.i += 1;
        }
        p.expect(":")?;
        rule.good_kind = Some(format!("good {}", join_words(&words)));
    }
    // "(D) For any other good of subheading 8708.92: (E) ..." (chapter 87 rule 42 continued, as transcribed):
    // a label printed before the lead-in labels no alternative.
    if p.number.is_none() && p.peek(0).and_then(alt_label).is_some() && p.peek(1) == Some("For") {
        p.i += 1;
    }
    if p.is("For") {
        p.i += 1;
        let t = p.target()?;
        p.hs = t.codes.clone();
        if let Some(k) = t.kind {
            rule.good_kind = Some(k);
        }
        if p.eat("for use in") || p.eat("used for") {
            let mut words = Vec::new();
            while !p.at_end() && p.peek(0) != Some(":") {
                words.push(p.toks[p.i].s.clone());
                p.i += 1;
            }
            match uses_of(&join_words(&words)) {
                Some(u) => rule.uses = Some(u),
                None => return Err(p.err(format!("`{}` is not a use this parser knows", join_words(&words)))),
            }
        } else if t.other {
            rule.uses = Some(vec!["other".into()]);
            rule.other_use = true;
        }
        p.expect(":")?;
        p.lead_uses = rule.uses.clone();
    }
    p.hs_from_lead_in = !p.hs.is_empty();
    let mut kinds_seen: Vec<String> = Vec::new();
    let mut stages = Vec::new();
    let rule_kind = rule.good_kind.clone();
    loop {
        let label = match p.peek(0).and_then(|s| {
            alt_label(s).or_else(|| if !p.hs.is_empty() && p.number.is_none() { item_label(s) } else { None })
        }) {
            Some(l) => {
                p.i += 1;
                l
            }
            None if p.done.is_empty() => "-".to_string(),
            None => return Err(p.err("expected the label of the next alternative")),
        };
        if fragment && p.done.is_empty() && label == "-" {
            return Err(p.err("expected a lettered branch"));
        }
        if p.eat("Whether or not there is also a change from") {
            // "(C) Whether or not there is also a change from any other heading, provided ...": qualifies the
            // alternative before it (rules 151, 155).
            let Some(mut prev) = p.done.pop() else {
                return Err(p.err("`Whether or not` with no alternative before it"));
            };
            let src = p.source_item()?;
            let Source::Any(l, o) = src else { return Err(p.err("expected `any other heading`")) };
            if let Some(s) = prev.shift.as_mut() {
                s.from = Some(l.to_string());
                if o {
                    s.group = Some("outside".into());
                }
            }
            p.expect(",")?;
            let start = p.i;
            p.expect("provided")?;
            let idx = p.done.len();
            p.provided(&mut prev, idx, &mut stages, start)?;
            p.done.push(prev);
        } else {
            let start = p.i;
            let alt = p.alternative(label, &rule_kind, &mut kinds_seen, &mut stages)?;
            if let Some(codes) = p.codes_differ.take() {
                // Which goods the rule is for is not certain: nothing of it is imported.
                p.i = start;
                p.done.clear();
                return Err(p.err(format!(
                    "this alternative is for goods of {codes}, not within the rule's {}: an alternative names only some of the rule's codes",
                    p.hs.join(", ")
                )));
            }
            p.done.push(alt);
        }
        // Separator.
        let mut k = 0;
        while matches!(p.peek(k), Some(";") | Some(",") | Some(".") | Some("or") | Some("and")) {
            k += 1;
        }
        p.i += k;
        if p.at_end() {
            break;
        }
        if k == 0 {
            // Parsing stopped inside the alternative just read: it is not kept as read in full.
            p.done.pop();
            return Err(p.err("expected the end of the alternative (`;`, `; or` or `.`)"));
        }
    }
    rule.alternatives = std::mem::take(&mut p.done);
    rule.rvc_stages = stages;
    rule.hs = p.hs.clone();
    if rule.hs.is_empty() {
        return Err(p.err("the rule names no goods"));
    }
    lift_common_kind(&mut rule.good_kind, &mut rule.alternatives);
    if let Some(pre) = &preamble
        && underscoring_applies(pre, rule.number)
    {
        rule.motor_vehicle_provisions = Some("applies".into());
    }
    Ok(rule)
}
