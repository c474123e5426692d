//! Kinds are a vocabulary, not free text: a good's `kind` and a material's `kinds` are mapped onto the
//! kinds the rule pack declares (`kinds.yaml`), and anything else is a located input error with the
//! kinds the line's rules can ask about and a "did you mean".
//!
//! Why: a rule such as GN 11(o) chapter 85 rule 89 ("except from printed circuit assemblies of
//! subheading 8538.90") turns on whether a material is of a named kind. Compared as free text,
//! "printed circuit assembly" was silently *not* a printed circuit assembly and an 8537.10 panel went
//! from not originating to "qualified B (A)". Here every spelling the pack declares (case, plural,
//! hyphens, `PCA`) becomes the one canonical name the rules use, and an undeclared one never reaches
//! the audit.

use std::path::PathBuf;
use std::sync::Arc;

use origin_core::HsCode;
use origin_rules::RuleSet;

use super::{Batch, Good, GoodInput, InputError, Material};

/// Maps every good's kinds onto the pack's vocabulary: canonical names are stored in the goods, and a
/// good that states an undeclared kind becomes [`GoodInput::Invalid`] with located errors. `batch
/// check` and `run` call this after reading; the audit applies the same check to any good not
/// mapped yet, so a caller that skips this step gets the same determinations.
pub fn resolve_kinds(batch: &mut Batch, rules: &RuleSet) {
    let loc = Locator::new(batch);
    let mut changes = Vec::new();
    for (i, g) in batch.goods.iter().enumerate() {
        if let GoodInput::Ok(good) = g {
            match check_good(rules, &loc, i, good) {
                Ok(None) => {}
                Ok(Some(canonical)) => changes.push((i, GoodInput::Ok(Box::new(canonical)))),
                Err(errors) => changes.push((i, GoodInput::Invalid { id: good.id.clone(), errors })),
            }
        }
    }
    for (i, g) in changes {
        batch.goods[i] = g;
    }
}

/// Good `index` of `batch` with its kinds in canonical form: `Ok(None)` when they already are,
/// `Ok(Some(copy))` when a spelling was mapped, `Err` with located errors when a kind is not declared.
/// (The index, not the good's place in `batch.goods`: a good left in the file is not there.)
pub fn canonical_good(
    rules: &RuleSet,
    batch: &Batch,
    index: usize,
    good: &Good,
) -> Result<Option<Good>, Vec<InputError>> {
    if all_canonical(rules, good.kind.as_deref(), &good.materials) {
        return Ok(None);
    }
    check_good(rules, &Locator::new(batch), index, good)
}

/// Cheap test, run on every good the audit sees: every kind already a declared canonical name.
fn all_canonical(rules: &RuleSet, kind: Option<&str>, materials: &[Arc<Material>]) -> bool {
    let ok = |k: &str| rules.kinds.resolve(k) == Some(k);
    kind.is_none_or(ok)
        && materials.iter().all(|m| {
            m.kinds.as_ref().is_none_or(|ks| ks.iter().all(|k| ok(k)))
                && m.self_produced.as_ref().is_none_or(|sp| all_canonical(rules, None, &sp.materials))
        })
}

/// Finds the line of a field, only when an error needs one: the batch file is indexed then, once per
/// batch (kinds errors are rare; indexing every file up front would cost every batch), CSV/XLSX rows
/// come from the rows the BOM reader noted.
struct Locator<'a> {
    batch: &'a Batch,
}

impl<'a> Locator<'a> {
    fn new(batch: &'a Batch) -> Self {
        Locator { batch }
    }

    fn yaml_line(&self, field: &str) -> Option<usize> {
        // A good left in the file is located in its own text.
        if let Some(f) = &self.batch.goods_file {
            let i = field.strip_prefix("goods[")?.split_once(']')?.0.parse().ok()?;
            return f.line_of(i, field);
        }
        self.batch.file_index().and_then(|ix| ix.find(field)).map(|p| p.line)
    }

    /// File, line and field of material `path` (`goods[i].materials[j]`...) of good `gi`.
    fn material(&self, gi: usize, top: Option<usize>, path: &str, k: usize) -> (PathBuf, Option<usize>, String) {
        if let Some((file, row)) = top.and_then(|j| self.batch.bom_kind_rows.get(&(gi, j))) {
            return (file.clone(), Some(*row), "kinds".to_string());
        }
        let field = format!("{path}.kinds[{k}]");
        (self.batch.file.clone(), self.yaml_line(&field), field)
    }
}

/// One kind as written, checked against the vocabulary; `asked` are the kinds this line's rules name.
fn resolve_one(
    rules: &RuleSet,
    written: &str,
    asked: &std::collections::BTreeSet<String>,
    what: &str,
    hs: HsCode,
    at: impl FnOnce() -> (PathBuf, Option<usize>, String),
    errors: &mut Vec<InputError>,
) -> Option<String> {
    if let Some(k) = rules.kinds.resolve(written) {
        return Some(k.to_string());
    }
    let (file, line, field) = at();
    let mut help = String::new();
    if let Some(s) = rules.kinds.suggest(written) {
        help.push_str(&format!("did you mean `{s}`? "));
    }
    if asked.is_empty() {
        help.push_str(&format!("no rule for `{hs}` names a kind of {what}; remove it"));
    } else {
        let list: Vec<String> = asked.iter().map(|k| format!("`{k}`")).collect();
        help.push_str(&format!("the rules for `{hs}` ask whether the {what} is {}", list.join(", ")));
    }
    help.push_str("; the declared kinds and their spellings are in the rule pack's kinds.yaml");
    errors.push(InputError {
        code: "undeclared-kind",
        file,
        line,
        column: None,
        field,
        message: format!("kind `{written}` is not declared in the rule pack"),
        help,
    });
    None
}

fn check_good(rules: &RuleSet, loc: &Locator<'_>, gi: usize, good: &Good) -> Result<Option<Good>, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut changed = false;
    let asked = rules.kinds_asked(good.hs);
    let base = format!("goods[{gi}]");
    let kind = good.kind.as_deref().and_then(|k| {
        let field = format!("{base}.kind");
        let c = resolve_one(
            rules,
            k,
            &asked.good,
            "good",
            good.hs,
            || (loc.batch.file.clone(), loc.yaml_line(&field), field.clone()),
            &mut errors,
        );
        changed |= c.as_deref().is_some_and(|c| c != k);
        c
    });
    let materials = check_materials(
        rules,
        loc,
        gi,
        &good.materials,
        good.hs,
        &format!("{base}.materials"),
        true,
        &mut errors,
        &mut changed,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    if !changed {
        return Ok(None);
    }
    Ok(Some(Good { kind, materials, ..good.clone() }))
}

/// The materials of a good (or of a self-produced material, whose own rules are those of its HS).
#[allow(clippy::too_many_arguments)]
fn check_materials(
    rules: &RuleSet,
    loc: &Locator<'_>,
    gi: usize,
    materials: &[Arc<Material>],
    parent_hs: HsCode,
    path: &str,
    top: bool,
    errors: &mut Vec<InputError>,
    changed: &mut bool,
) -> Vec<Arc<Material>> {
    let asked = rules.kinds_asked(parent_hs).material;
    let mut out = Vec::with_capacity(materials.len());
    for (j, m) in materials.iter().enumerate() {
        let mp = format!("{path}[{j}]");
        let mut mine = false;
        let kinds = m.kinds.as_ref().map(|ks| {
            ks.iter()
                .enumerate()
                .filter_map(|(k, written)| {
                    let c = resolve_one(
                        rules,
                        written,
                        &asked,
                        "material",
                        parent_hs,
                        || loc.material(gi, top.then_some(j), &mp, k),
                        errors,
                    );
                    mine |= c.as_deref().is_some_and(|c| c != written);
                    c
                })
                .collect::<Vec<_>>()
        });
        // A self-produced material always has a classification (the batch reader requires one).
        let sub = m.self_produced.as_ref().zip(m.hs).map(|(sp, sub_hs)| {
            let mut sub_changed = false;
            let ms = check_materials(
                rules,
                loc,
                gi,
                &sp.materials,
                sub_hs,
                &format!("{mp}.self_produced.materials"),
                false,
                errors,
                &mut sub_changed,
            );
            mine |= sub_changed;
            ms
        });
        if mine {
            *changed = true;
            let mut copy = (**m).clone();
            copy.kinds = kinds;
            if let (Some(sp), Some(ms)) = (copy.self_produced.as_mut(), sub) {
                sp.materials = ms;
            }
            out.push(Arc::new(copy));
        } else {
            out.push(m.clone());
        }
    }
    out
}
