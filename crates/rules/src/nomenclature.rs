//! HS editions: the rules are written in one, goods are classified in another.
//!
//! The product-specific rules of HTSUS General Note 11(o) (USMCA Annex 4-B) are written in HS 2017
//! codes; goods and materials are classified in today's HTSUS, which follows HS 2022. Between the two,
//! subheadings were split (9401.90 -> 9401.91, 9401.99), merged or moved (8517.12 -> 8517.13, 8517.14;
//! 8548.10 -> 8549.11-8549.19) and new ones drawn from many old ones (8524, 8549.21-8549.99). The pack
//! states its edition (`nomenclature:` in pack.yaml), the batch states its own, and a code of the batch
//! is read in the pack's edition through the correlation table the pack carries (the UNSD HS 2022-HS 2017
//! correlation, `rules/usmca/hs2022-hs2017.csv`). A code with several counterparts is never resolved by
//! choosing one: callers try every counterpart and ask a question when the answers differ.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use origin_core::{HsCode, HsSet};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::locate::Position;
use crate::lookup::{Lookup, RuleQuery};
use crate::model::{Citation, RuleSet, TariffShift};
use crate::shift::{KindFact, MaterialShift, Reason, ShiftMaterial, ShiftOutcome, evaluate_shift, material_shift};

/// An edition of the Harmonized System.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
pub enum Nomenclature {
    /// HS 2017, the edition the GN 11(o) product-specific rules are written in.
    #[serde(rename = "hs2017")]
    Hs2017,
    /// HS 2022, the edition of today's HTSUS (how goods are classified now).
    #[serde(rename = "hs2022")]
    Hs2022,
}

impl Nomenclature {
    /// The word used in files: `hs2017`, `hs2022`.
    pub fn as_str(self) -> &'static str {
        match self {
            Nomenclature::Hs2017 => "hs2017",
            Nomenclature::Hs2022 => "hs2022",
        }
    }

    /// Plain words: `HS 2017`.
    pub fn label(self) -> &'static str {
        match self {
            Nomenclature::Hs2017 => "HS 2017",
            Nomenclature::Hs2022 => "HS 2022",
        }
    }

    /// Parses `hs2017` / `hs2022` (also `HS 2017`, `hs-2022`).
    pub fn parse(s: &str) -> Option<Nomenclature> {
        let k: String = s.chars().filter(|c| !c.is_whitespace() && *c != '-' && *c != '_').collect();
        match k.to_ascii_lowercase().as_str() {
            "hs2017" => Some(Nomenclature::Hs2017),
            "hs2022" => Some(Nomenclature::Hs2022),
            _ => None,
        }
    }
}

impl fmt::Display for Nomenclature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a code cannot be read in the pack's edition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NomenclatureError {
    /// The code is not a subheading (or heading, chapter) of the edition the batch says it is in.
    #[error("`{code}` is not a code of {from}{}", successors_hint(*from, *to, successors))]
    NotInNomenclature {
        /// The code as given.
        code: HsCode,
        /// The edition it was said to be in.
        from: Nomenclature,
        /// The pack's edition.
        to: Nomenclature,
        /// Codes of `from` whose counterparts include it, when it is a code of `to` (the likely mix-up).
        successors: Vec<HsCode>,
    },
    /// The pack carries no correlation from the batch's edition to its own.
    #[error("the rule pack's codes are in {to} and it carries no correlation table from {from}")]
    NoCorrelation {
        /// The batch's edition.
        from: Nomenclature,
        /// The pack's edition.
        to: Nomenclature,
    },
}

fn successors_hint(from: Nomenclature, to: Nomenclature, successors: &[HsCode]) -> String {
    if successors.is_empty() {
        return String::new();
    }
    format!(" (it is an {to} code; in {from} it became {})", list_codes(successors, 12))
}

/// `a, b, c and 40 more`.
pub fn list_codes(codes: &[HsCode], max: usize) -> String {
    let shown: Vec<String> = codes.iter().take(max).map(|c| c.to_string()).collect();
    if codes.len() > max { format!("{} and {} more", shown.join(", "), codes.len() - max) } else { shown.join(", ") }
}

/// A checked correlation table between two HS editions at six digits (UNSD correlation tables).
#[derive(Debug, Clone)]
pub struct Correlation {
    /// The edition goods are classified in.
    pub from: Nomenclature,
    /// The edition of the rules.
    pub to: Nomenclature,
    /// The CSV file, relative to the pack.
    pub file: PathBuf,
    /// Its SHA-256, as checked at load.
    pub sha256: String,
    /// Where it comes from.
    pub citation: Citation,
    /// Each `from` subheading's counterparts, sorted.
    map: BTreeMap<HsCode, Vec<HsCode>>,
    pairs: usize,
}

impl Correlation {
    /// Parses the CSV text (`hs2022,hs2017` then one pair a line). Every bad row is a located diagnostic.
    pub fn parse(
        text: &str,
        from: Nomenclature,
        to: Nomenclature,
        file: &Path,
        citation: Citation,
        sha256: String,
    ) -> Result<Correlation, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let at = |line: usize, column: usize| Some(Position { line, column });
        let header = format!("{},{}", from.as_str(), to.as_str());
        let mut lines = text.split('\n').enumerate();
        match lines.next() {
            Some((_, h)) if h.trim_end_matches('\r') == header => {}
            Some((_, h)) => errors.push(
                Diagnostic::error(
                    "bad-correlation",
                    file,
                    "",
                    format!("the first line is `{}`, not the header `{header}`", h.trim_end_matches('\r')),
                )
                .at(at(1, 1))
                .help(format!("the columns are the goods' edition then the rules' edition: write `{header}`")),
            ),
            None => {}
        }
        let mut map: BTreeMap<HsCode, Vec<HsCode>> = BTreeMap::new();
        let mut pairs = 0;
        for (i, raw) in lines {
            let n = i + 1;
            let line = raw.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            let [a, b] = fields.as_slice() else {
                errors.push(
                    Diagnostic::error(
                        "bad-correlation",
                        file,
                        "",
                        format!("line `{line}` has {} fields, not 2", fields.len()),
                    )
                    .at(at(n, 1))
                    .help(format!("write one pair a line: `{header}`, such as `940199,940190`")),
                );
                continue;
            };
            // A six-digit code, or the located error for it.
            let mut code = |s: &str, column: usize, which: Nomenclature| -> Option<HsCode> {
                let six = s.len() == 6 && s.bytes().all(|c| c.is_ascii_digit());
                match HsCode::parse(s) {
                    Ok(c) if six => Some(c),
                    _ => {
                        errors.push(
                            Diagnostic::error(
                                "bad-correlation",
                                file,
                                "",
                                format!("`{s}` is not a six-digit {which} subheading"),
                            )
                            .at(at(n, column))
                            .help("write six digits with leading zeros, as text (`010121`, not `10121`)"),
                        );
                        None
                    }
                }
            };
            let (x, y) = (code(a, 1, from), code(b, a.len() + 2, to));
            let (Some(x), Some(y)) = (x, y) else { continue };
            let entry = map.entry(x).or_default();
            if entry.contains(&y) {
                errors.push(
                    Diagnostic::error("bad-correlation", file, "", format!("the pair `{line}` is listed twice"))
                        .at(at(n, 1))
                        .help("remove the repeated line"),
                );
                continue;
            }
            entry.push(y);
            pairs += 1;
        }
        if map.is_empty() && errors.is_empty() {
            errors.push(
                Diagnostic::error("bad-correlation", file, "", "the correlation table has no pairs")
                    .help("the file must list every pair of the source table"),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for v in map.values_mut() {
            v.sort_unstable();
        }
        Ok(Correlation { from, to, file: file.to_path_buf(), sha256, citation, map, pairs })
    }

    /// Number of pairs.
    pub fn pairs(&self) -> usize {
        self.pairs
    }

    /// Every subheading of the `from` edition, in order (for coverage counts).
    pub fn subheadings(&self) -> impl Iterator<Item = HsCode> + '_ {
        self.map.keys().copied()
    }

    /// The codes of the `to` edition that `code` (of the `from` edition) corresponds to, or `None` when
    /// it is not a code of `from`. A code that corresponds only to itself keeps its national digits
    /// (`8536.50.90`); a code that changed is read at six digits (the table says nothing deeper). A
    /// heading or chapter corresponds to the headings or chapters of all its subheadings' counterparts.
    pub fn counterparts(&self, code: HsCode) -> Option<Vec<HsCode>> {
        if let Some(sub) = code.subheading() {
            let cps = self.map.get(&sub)?;
            return Some(if cps.as_slice() == [sub] { vec![code] } else { cps.clone() });
        }
        let level = code.level();
        let mut out: Vec<HsCode> = self
            .map
            .range(code..)
            .take_while(|(k, _)| code.contains(**k))
            .flat_map(|(_, v)| v.iter().filter_map(|c| c.truncate(level)))
            .collect();
        out.sort_unstable();
        out.dedup();
        if out.is_empty() { None } else { Some(out) }
    }

    /// The `from` subheadings whose counterparts include `code`'s subheading (for "did you mean").
    pub fn successors(&self, code: HsCode) -> Vec<HsCode> {
        let Some(sub) = code.subheading() else { return Vec::new() };
        self.map.iter().filter(|(_, v)| v.contains(&sub)).map(|(k, _)| *k).collect()
    }
}

impl RuleSet {
    /// The codes of the pack's edition that `code`, classified in `batch`, corresponds to: `[code]`
    /// when the editions agree or the code did not change; several when the correlation is one-to-many
    /// (the caller must try each, never pick one).
    pub fn rule_codes(&self, code: HsCode, batch: Nomenclature) -> Result<Vec<HsCode>, NomenclatureError> {
        if batch == self.nomenclature {
            return Ok(vec![code]);
        }
        let Some(c) = self.correlation.as_ref().filter(|c| c.from == batch && c.to == self.nomenclature) else {
            return Err(NomenclatureError::NoCorrelation { from: batch, to: self.nomenclature });
        };
        c.counterparts(code).ok_or_else(|| NomenclatureError::NotInNomenclature {
            code,
            from: batch,
            to: self.nomenclature,
            successors: c.successors(code),
        })
    }

    /// The rule look-up for a good classified in `batch`: one look-up per counterpart code of the
    /// pack's edition, in code order. `q.hs` is the good's code as the batch gives it.
    pub fn lookup_in(
        &self,
        q: RuleQuery<'_>,
        batch: Nomenclature,
    ) -> Result<Vec<(HsCode, Lookup<'_>)>, NomenclatureError> {
        let codes = self.rule_codes(q.hs, batch)?;
        Ok(codes.into_iter().map(|c| (c, self.lookup(RuleQuery { hs: c, ..q }))).collect())
    }
}

/// A material as classified in the batch, read at one code of the rules' edition.
struct AtCode<'a> {
    inner: &'a dyn ShiftMaterial,
    hs: HsCode,
}

impl ShiftMaterial for AtCode<'_> {
    fn hs(&self) -> HsCode {
        self.hs
    }
    fn is_kind(&self, kind: &str) -> KindFact {
        self.inner.is_kind(kind)
    }
}

fn same_answer(a: &MaterialShift, b: &MaterialShift) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// [`evaluate_shift`] in the rule's edition (Annex 4-B, Section A: the change is read in the codes the
/// rule is written in). `good` is the good's code in that edition; `codes[i]` are the counterparts of
/// material `i` (from [`RuleSet::rule_codes`]). A material with several counterparts is tried at each:
/// when every one gives the same answer that answer stands; otherwise the material's answer is the
/// question which counterpart it is, naming them.
pub fn evaluate_shift_mapped(
    shift: &TariffShift,
    group: &HsSet,
    good: HsCode,
    materials: &[&dyn ShiftMaterial],
    codes: &[Result<Vec<HsCode>, NomenclatureError>],
    batch: Nomenclature,
    rules: Nomenclature,
) -> ShiftOutcome {
    let first = |i: usize, m: &dyn ShiftMaterial| -> HsCode {
        codes.get(i).and_then(|c| c.as_ref().ok()).and_then(|v| v.first().copied()).unwrap_or(m.hs())
    };
    let views: Vec<AtCode<'_>> =
        materials.iter().enumerate().map(|(i, m)| AtCode { inner: *m, hs: first(i, *m) }).collect();
    let dyn_views: Vec<&dyn ShiftMaterial> = views.iter().map(|v| v as &dyn ShiftMaterial).collect();
    let mut out = evaluate_shift(shift, group, good, &dyn_views);
    let base = out.materials.clone();
    for (i, m) in materials.iter().enumerate() {
        let orig = m.hs();
        let cands = match codes.get(i) {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                out.materials[i] = MaterialShift::Unknown(format!(
                    "{e}: give material `{orig}`'s {batch} classification (or the batch's `nomenclature`)"
                ));
                continue;
            }
            None => continue,
        };
        if cands.len() < 2 {
            if cands.first().is_some_and(|c| *c != orig) {
                let mapped = views[i].hs;
                let note = |r: &dyn fmt::Display| Reason::Text(format!("{batch} `{orig}` is {rules} `{mapped}`: {r}"));
                out.materials[i] = match &out.materials[i] {
                    MaterialShift::Meets(r) => MaterialShift::Meets(note(r)),
                    MaterialShift::Fails(r) => MaterialShift::Fails(note(r)),
                    MaterialShift::Unknown(q) => MaterialShift::Unknown(note(q).to_string()),
                };
            }
            continue;
        }
        // Several counterparts: the answer under each.
        let mut meets = Vec::new();
        let mut fails = Vec::new();
        let mut unknown = Vec::new();
        let mut differs = vec![false; materials.len()];
        for c in cands {
            let at = AtCode { inner: *m, hs: *c };
            let answer = if shift.except_more_than_one_of.is_empty() {
                // Materials are independent: only this one's answer can change.
                material_shift(shift, group, good, &at)
            } else {
                // "More than one of" links materials: compare every material's answer.
                let mut vs = dyn_views.clone();
                vs[i] = &at;
                let o = evaluate_shift(shift, group, good, &vs);
                for (j, (a, b)) in o.materials.iter().zip(&base).enumerate() {
                    if j != i && !same_answer(a, b) {
                        differs[j] = true;
                    }
                }
                o.materials.into_iter().nth(i).unwrap_or(MaterialShift::Unknown(String::new()))
            };
            match answer {
                MaterialShift::Meets(_) => meets.push(*c),
                MaterialShift::Fails(_) => fails.push(*c),
                MaterialShift::Unknown(_) => unknown.push(*c),
            }
        }
        let kinds = [&meets, &fails, &unknown].iter().filter(|v| !v.is_empty()).count();
        let n = cands.len();
        if kinds == 1 && !differs.contains(&true) {
            let all = format!(
                "{batch} `{orig}` corresponds to {n} {rules} codes ({}), all with this answer",
                list_codes(cands, 12)
            );
            out.materials[i] = match &out.materials[i] {
                MaterialShift::Meets(r) => MaterialShift::Meets(Reason::Text(format!("{all}: {r}"))),
                MaterialShift::Fails(r) => MaterialShift::Fails(Reason::Text(format!("{all}: {r}"))),
                MaterialShift::Unknown(q) => MaterialShift::Unknown(format!("{all}: {q}")),
            };
            continue;
        }
        let mut parts = Vec::new();
        if !meets.is_empty() {
            parts.push(format!("made from {}", list_codes(&meets, 12)));
        }
        if !fails.is_empty() {
            parts.push(format!("not made from {}", list_codes(&fails, 12)));
        }
        if !unknown.is_empty() {
            parts.push(format!("undecided from {}", list_codes(&unknown, 12)));
        }
        let question = format!(
            "which {rules} subheading is material `{orig}`? In {batch} it corresponds to {n} {rules} codes ({}) and the answer depends on which: the change is {}",
            list_codes(cands, 12),
            parts.join("; ")
        );
        out.materials[i] = MaterialShift::Unknown(question.clone());
        for (j, d) in differs.iter().enumerate() {
            if *d && !matches!(out.materials[j], MaterialShift::Unknown(_)) {
                out.materials[j] =
                    MaterialShift::Unknown(format!("depends on the classification of another material: {question}"));
            }
        }
    }
    out
}

/// Checks that `to` is the pack's edition and `from` another, for the loader.
pub(crate) fn check_direction(from: Nomenclature, to: Nomenclature, pack: Nomenclature) -> Option<String> {
    if to != pack {
        return Some(format!(
            "the correlation maps to {to}, but the pack's rules are written in {pack}: it must map the goods' edition to {pack}"
        ));
    }
    if from == to {
        return Some(format!("the correlation maps {from} to itself"));
    }
    None
}
