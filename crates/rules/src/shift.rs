//! What a tariff-shift requirement means for each non-originating material.
//!
//! Legal basis: Annex 4-B, Section A (interpretation of the product-specific rules) as enacted in GN 11(o):
//! a rule's tariff change applies only to non-originating materials; "except from" lists materials that
//! may not be non-originating; "except from more than one of the following" lets one listed item pass.
//! This module is pure: the engine decides which materials are non-originating and calls it.

use std::cell::OnceCell;
use std::fmt;
use std::sync::Arc;

use origin_core::{HsCode, HsLevel, HsSet};

use crate::model::{GroupQualifier, MaterialSpec, TariffShift};

/// What the batch says about whether a material is of a named kind ("printed circuit assemblies").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFact {
    /// It is.
    Yes,
    /// It is not.
    No,
    /// The batch does not say.
    Unknown,
}

/// A non-originating material as the shift sees it.
pub trait ShiftMaterial {
    /// Its classification.
    fn hs(&self) -> HsCode;
    /// Whether it is of `kind`.
    fn is_kind(&self, kind: &str) -> KindFact;
}

/// A plain material for tests and simple callers.
#[derive(Debug, Clone)]
pub struct PlainMaterial {
    /// Classification.
    pub hs: HsCode,
    /// Kinds it is known to be.
    pub kinds: Vec<String>,
    /// Whether `kinds` is the full truth (otherwise other kinds are unknown).
    pub kinds_complete: bool,
}

impl PlainMaterial {
    /// A material whose kinds are all known to be `kinds`.
    pub fn new(hs: HsCode, kinds: &[&str]) -> PlainMaterial {
        PlainMaterial { hs, kinds: kinds.iter().map(|k| k.to_string()).collect(), kinds_complete: true }
    }
}

impl ShiftMaterial for PlainMaterial {
    fn hs(&self) -> HsCode {
        self.hs
    }
    fn is_kind(&self, kind: &str) -> KindFact {
        if self.kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            KindFact::Yes
        } else if self.kinds_complete {
            KindFact::No
        } else {
            KindFact::Unknown
        }
    }
}

/// The answer for one material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaterialShift {
    /// The material makes the change.
    Meets(Reason),
    /// It does not.
    Fails(Reason),
    /// The batch does not say enough: the question to ask.
    Unknown(String),
}

impl MaterialShift {
    /// The reason or question, printable.
    pub fn reason(&self) -> &dyn fmt::Display {
        match self {
            MaterialShift::Meets(r) | MaterialShift::Fails(r) => r,
            MaterialShift::Unknown(q) => q,
        }
    }
}

/// Why a material meets or fails a shift. The common answers are kept as data and written out only
/// when shown: a large batch asks millions of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// "`code` is in another {level} than the good `good`".
    OtherLevel {
        /// The material's code.
        code: HsCode,
        /// The level compared.
        level: HsLevel,
        /// The good's code.
        good: HsCode,
    },
    /// "`code` is in the same {level} as the good `good`: no change from another {level}".
    SameLevel {
        /// The material's code.
        code: HsCode,
        /// The level compared.
        level: HsLevel,
        /// The good's code.
        good: HsCode,
    },
    /// "`code` is a {level} outside the group {group}".
    OutsideGroup {
        /// The material's code.
        code: HsCode,
        /// The level compared.
        level: HsLevel,
        /// The group, as written (shared by every material of one evaluation).
        group: Arc<str>,
    },
    /// "`code` is inside the group {group}: no change from a {level} outside it".
    InsideGroup {
        /// The material's code.
        code: HsCode,
        /// The level compared.
        level: HsLevel,
        /// The group, as written.
        group: Arc<str>,
    },
    /// Any other sentence.
    Text(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::OtherLevel { code, level, good } => {
                write!(f, "`{code}` is in another {} than the good `{good}`", level.word())
            }
            Reason::SameLevel { code, level, good } => write!(
                f,
                "`{code}` is in the same {} as the good `{good}`: no change from another {}",
                level.word(),
                level.word()
            ),
            Reason::OutsideGroup { code, level, group } => {
                write!(f, "`{code}` is a {} outside the group {group}", level.word())
            }
            Reason::InsideGroup { code, level, group } => {
                write!(f, "`{code}` is inside the group {group}: no change from a {} outside it", level.word())
            }
            Reason::Text(s) => f.write_str(s),
        }
    }
}

/// Whether a material falls under a spec: codes, then kind.
fn matches(spec: &MaterialSpec, m: &dyn ShiftMaterial) -> KindFact {
    // A spec with no codes names a kind of material wherever it is classified.
    if !spec.hs.0.is_empty() && !spec.hs.contains(m.hs()) {
        // A material classified shallower than the spec's codes may or may not fall in it.
        if spec.hs.0.iter().any(|r| r.overlaps_code(m.hs())) {
            return KindFact::Unknown;
        }
        return KindFact::No;
    }
    match &spec.kind {
        None => KindFact::Yes,
        Some(k) => m.is_kind(k),
    }
}

/// Whether the material's code differs from the good's at `level` ("from any other heading").
fn differs_at(level: HsLevel, good: HsCode, material: HsCode) -> Option<bool> {
    let g = good.truncate(level)?;
    match material.truncate(level) {
        Some(m) => Some(m != g),
        None => {
            // The material is classified shallower than `level`: differs for sure if it differs there.
            let lvl = material.level();
            if good.truncate(lvl) == Some(material) { None } else { Some(true) }
        }
    }
}

fn outside_group(level: HsLevel, group: &HsSet, material: HsCode) -> Option<bool> {
    let code = material.truncate(level)?;
    Some(!group.0.iter().any(|r| r.overlaps_code(code)))
}

/// The shift of one material, ignoring `except_more_than_one_of` (which depends on all materials).
pub fn material_shift(shift: &TariffShift, group: &HsSet, good: HsCode, m: &dyn ShiftMaterial) -> MaterialShift {
    shift_of(shift, group, &OnceCell::new(), good, m)
}

/// [`material_shift`], with the group's text written once per evaluation (`group_text`).
fn shift_of(
    shift: &TariffShift,
    group: &HsSet,
    group_text: &OnceCell<Arc<str>>,
    good: HsCode,
    m: &dyn ShiftMaterial,
) -> MaterialShift {
    let group_text = || group_text.get_or_init(|| group.to_string().into()).clone();
    let code = m.hs();
    // 1. Exceptions win over every permission.
    let mut unknown_except: Vec<String> = Vec::new();
    for spec in &shift.except {
        match matches(spec, m) {
            KindFact::Yes => {
                return MaterialShift::Fails(Reason::Text(format!("`{code}` is excepted: \"except from {spec}\"")));
            }
            KindFact::Unknown => {
                unknown_except.push(match &spec.kind {
                    Some(k) if spec.hs.0.is_empty() || spec.hs.contains(code) => {
                        format!("is material `{code}` {k}? the rule excepts {spec}")
                    }
                    _ => format!("classify material `{code}` more precisely: the rule excepts {spec}"),
                });
            }
            KindFact::No => {}
        }
    }
    // 2. Permissions: from any other <level> (inside/outside the group), within the subheading, also from.
    let level = shift.from.unwrap_or(HsLevel::Heading);
    let base = match (shift.from, shift.group) {
        // Only the listed sources are allowed.
        (None, _) => Some(false),
        (Some(level), GroupQualifier::Outside) => outside_group(level, group, code),
        (Some(level), GroupQualifier::None | GroupQualifier::IncludingWithin) => differs_at(level, good, code),
    };
    let mut allowed: Option<Reason> = match base {
        Some(true) => Some(match shift.group {
            GroupQualifier::Outside => Reason::OutsideGroup { code, level, group: group_text() },
            _ => Reason::OtherLevel { code, level, good },
        }),
        _ => None,
    };
    let mut unknown_allow: Vec<String> = Vec::new();
    if base.is_none() {
        unknown_allow.push(format!("classify material `{code}` to the {} level to decide the change", level.word()));
    }
    if allowed.is_none()
        && shift.within_subheading
        && good.subheading().is_some()
        && code.subheading() == good.subheading()
    {
        allowed = Some(Reason::Text(format!(
            "`{code}` is another good within subheading `{}`, which the rule allows",
            good.subheading().map(|s| s.to_string()).unwrap_or_default()
        )));
    }
    if allowed.is_none() {
        for spec in &shift.also_from {
            match matches(spec, m) {
                KindFact::Yes => {
                    allowed = Some(Reason::Text(format!("the rule allows a change from {spec}")));
                    break;
                }
                KindFact::Unknown => {
                    unknown_allow.push(match &spec.kind {
                        Some(k) if spec.hs.0.is_empty() || spec.hs.contains(code) => {
                            format!("is material `{code}` {k}? the rule allows a change from {spec}")
                        }
                        _ => format!("classify material `{code}` more precisely: the rule allows a change from {spec}"),
                    });
                }
                KindFact::No => {}
            }
        }
    }
    match (allowed, unknown_except.is_empty(), unknown_allow.is_empty()) {
        (Some(_), false, _) => MaterialShift::Unknown(unknown_except.join("; ")),
        (Some(why), true, _) => MaterialShift::Meets(why),
        (None, _, false) => MaterialShift::Unknown(unknown_allow.join("; ")),
        (None, _, true) if shift.from.is_none() => MaterialShift::Fails(Reason::Text(format!(
            "`{code}` is not among the sources this alternative allows ({})",
            shift.also_from.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" or ")
        ))),
        (None, _, true) => MaterialShift::Fails(match shift.group {
            GroupQualifier::Outside => Reason::InsideGroup { code, level, group: group_text() },
            _ => Reason::SameLevel { code, level, good },
        }),
    }
}

/// The shift outcome over all non-originating materials of one good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftOutcome {
    /// One answer per material, in input order.
    pub materials: Vec<MaterialShift>,
    /// The numbered items of "except from more than one of" that non-originating materials fall in.
    pub more_than_one_of_items: Vec<usize>,
}

/// Overall answer of a shift outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every material makes the change.
    Met,
    /// At least one material does not.
    NotMet,
    /// None fails, but at least one is unknown.
    Undetermined,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Met => "met",
            Verdict::NotMet => "not met",
            Verdict::Undetermined => "undetermined",
        })
    }
}

impl ShiftOutcome {
    /// Met, not met, or undetermined.
    pub fn verdict(&self) -> Verdict {
        if self.materials.iter().any(|m| matches!(m, MaterialShift::Fails(_))) {
            Verdict::NotMet
        } else if self.materials.iter().any(|m| matches!(m, MaterialShift::Unknown(_))) {
            Verdict::Undetermined
        } else {
            Verdict::Met
        }
    }
}

/// Applies `shift` to every non-originating material of a good classified `good`, whose rule covers `group`.
pub fn evaluate_shift(
    shift: &TariffShift,
    group: &HsSet,
    good: HsCode,
    materials: &[&dyn ShiftMaterial],
) -> ShiftOutcome {
    let group_text = OnceCell::new();
    let mut out: Vec<MaterialShift> = materials.iter().map(|m| shift_of(shift, group, &group_text, good, *m)).collect();
    let mut items = Vec::new();
    if !shift.except_more_than_one_of.is_empty() {
        // Which numbered item each material falls in (definitely, or maybe).
        let mut hits: Vec<Option<(usize, KindFact)>> = Vec::with_capacity(materials.len());
        for m in materials {
            let hit = shift
                .except_more_than_one_of
                .iter()
                .enumerate()
                .map(|(i, spec)| (i, matches(spec, *m)))
                .find(|(_, f)| *f != KindFact::No);
            hits.push(hit);
        }
        for (i, _) in hits.iter().flatten().filter(|(_, f)| *f == KindFact::Yes) {
            if !items.contains(i) {
                items.push(*i);
            }
        }
        items.sort_unstable();
        let maybe = hits.iter().flatten().any(|(i, f)| *f == KindFact::Unknown && !items.contains(i));
        let list = |items: &[usize]| items.iter().map(|i| format!("({})", i + 1)).collect::<Vec<_>>().join(", ");
        for (m, hit) in out.iter_mut().zip(&hits) {
            let Some((item, fact)) = hit else { continue };
            if matches!(m, MaterialShift::Fails(_)) {
                continue;
            }
            let spec = &shift.except_more_than_one_of[*item];
            if items.len() > 1 && *fact == KindFact::Yes {
                *m = MaterialShift::Fails(Reason::Text(format!(
                    "non-originating materials fall in more than one of the excepted items ({}); this one is item ({}) {spec}",
                    list(&items),
                    item + 1
                )));
            } else if (items.len() == 1 && maybe) || (*fact == KindFact::Unknown && !items.is_empty()) {
                *m = MaterialShift::Unknown(format!(
                    "whether non-originating materials fall in more than one excepted item decides this: is `{}` within ({}) {spec}?",
                    materials
                        .iter()
                        .zip(&hits)
                        .find(|(_, h)| h.is_some_and(|(_, f)| f == KindFact::Unknown))
                        .map(|(m, _)| m.hs().to_string())
                        .unwrap_or_default(),
                    item + 1
                ));
            }
        }
    }
    ShiftOutcome { materials: out, more_than_one_of_items: items }
}
