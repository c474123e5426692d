//! The parsed legal text against the encoded pack, rule by rule: a second, independent reading of the law.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;

use super::{EntryKind, LegalEntry, ParsedRule, Status, UseContext, parse_entry, render_alternative, split_preamble};
use crate::model::{Alternative, GroupQualifier, KindQualifier, Review, Rule, RuleSet, ShiftRequirement};
use crate::raw::{RawAlternative, RawCondition, RawMaterialSpec, RawRvc, RawShift};

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisagreementKind {
    /// The legal text has a rule the pack does not encode.
    MissingRule,
    /// The pack has a rule no legal entry holds.
    ExtraRule,
    /// The goods, uses, descriptions or dates covered differ.
    Scope,
    /// An alternative is in one reading only.
    Alternatives,
    /// The tariff shift differs (from, group, within, also from).
    Shift,
    /// The exceptions differ.
    Exception,
    /// The RVC thresholds differ.
    Threshold,
    /// Conditions, "no change required" or the good's kind in an alternative differ.
    Requirement,
    /// The verbatim text differs.
    Text,
    /// The pack's review status does not match the copy the legal extract read.
    Review,
}

/// One disagreement, with both readings side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// What differs.
    pub kind: DisagreementKind,
    /// The pack rule's id, when there is one.
    pub rule: Option<String>,
    /// The legal entry (heading and line), when there is one.
    pub entry: Option<String>,
    /// The chapter.
    pub chapter: u8,
    /// Plain words: what differs.
    pub what: String,
    /// The legal text's reading.
    pub legal: String,
    /// The pack's reading.
    pub pack: String,
    /// The pack records a source anomaly for this rule (`note: "source anomaly: ..."`): reported, not a failure.
    pub anomaly: bool,
}

/// The result of a cross-check.
#[derive(Debug, Clone, Serialize)]
pub struct Crosscheck {
    /// Pairs of (legal entry, pack rule) compared.
    pub compared: usize,
    /// Legal entries not compared (cut before any alternative, or not parsed), with why.
    pub not_compared: Vec<(String, String)>,
    /// Every disagreement.
    pub disagreements: Vec<Disagreement>,
}

impl Crosscheck {
    /// Disagreements that are not recorded source anomalies.
    pub fn failures(&self) -> usize {
        self.disagreements.iter().filter(|d| !d.anomaly).count()
    }
}

/// A kind of good or material compared on its words: quotes and commas do not count.
fn kind_words(k: &str) -> String {
    k.replace(['"', ',', '“', '”'], "").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn ws(s: &str) -> String {
    super::grammar::normalize(s).to_lowercase()
}

fn norm_hs(codes: &[String]) -> BTreeSet<String> {
    codes.iter().map(|c| origin_core::HsRange::parse(c).map(|r| r.to_string()).unwrap_or_else(|_| c.clone())).collect()
}

/// A material-spec list in a canonical form: codes without a kind merged; kinds with the same codes
/// joined by " or ".
fn norm_specs(specs: &[RawMaterialSpec]) -> BTreeSet<(String, BTreeSet<String>)> {
    let mut plain: BTreeSet<String> = BTreeSet::new();
    let mut by_codes: BTreeMap<BTreeSet<String>, Vec<String>> = BTreeMap::new();
    for s in specs {
        match &s.kind {
            None => plain.extend(norm_hs(&s.hs)),
            Some(k) => by_codes.entry(norm_hs(&s.hs)).or_default().push(kind_words(k)),
        }
    }
    let mut out: BTreeSet<(String, BTreeSet<String>)> =
        by_codes.into_iter().map(|(c, ks)| (ks.join(" or "), c)).collect();
    if !plain.is_empty() {
        out.insert((String::new(), plain));
    }
    out
}

fn norm_dec(d: Option<Decimal>) -> Option<Decimal> {
    d.map(|d| d.normalize())
}

/// A pack alternative in the raw form the parser produces.
pub fn model_alternative_to_raw(a: &Alternative) -> RawAlternative {
    let spec = |m: &crate::model::MaterialSpec| RawMaterialSpec {
        hs: m.hs.0.iter().map(|r| r.to_string()).collect(),
        kind: m.kind.clone(),
    };
    let (shift, no_change) = match &a.shift {
        ShiftRequirement::Shift(s) => (
            Some(RawShift {
                from: s.from.map(|l| {
                    if l == origin_core::HsLevel::TariffItem { "tariff-item".to_string() } else { l.word().to_string() }
                }),
                group: match s.group {
                    GroupQualifier::None => None,
                    GroupQualifier::Outside => Some("outside".into()),
                    GroupQualifier::IncludingWithin => Some("including-within".into()),
                },
                within: s.within_subheading.then_some(true),
                also_from: s.also_from.iter().map(spec).collect(),
                except: s.except.iter().map(spec).collect(),
                except_more_than_one_of: s.except_more_than_one_of.iter().map(spec).collect(),
            }),
            None,
        ),
        ShiftRequirement::NoChangeRequired => (None, Some(true)),
        ShiftRequirement::Unstated => (None, None),
    };
    let (good_kind, other) = match &a.good_kind {
        KindQualifier::Any => (None, None),
        KindQualifier::Only(k) => (Some(k.clone()), None),
        KindQualifier::OtherThan(ks) => (None, Some(ks.clone())),
    };
    RawAlternative {
        label: a.label.clone(),
        hs: a.hs.as_ref().map(|h| h.0.iter().map(|r| r.to_string()).collect()).unwrap_or_default(),
        good_kind,
        good_kind_other_than: other,
        shift,
        no_change_required: no_change,
        rvc: a.rvc.map(|r| RawRvc { tv: r.tv.map(|p| p.0), nc: r.nc.map(|p| p.0) }),
        conditions: a.conditions.iter().map(|c| RawCondition { id: c.id.clone(), text: c.text.clone() }).collect(),
    }
}

struct Side<'a> {
    rule_kind: Option<&'a str>,
    hs: &'a [String],
}

fn compare_alt(
    legal: &RawAlternative,
    l: &Side<'_>,
    pack: &RawAlternative,
    p: &Side<'_>,
) -> Vec<(DisagreementKind, String)> {
    let mut out = Vec::new();
    let kind = |a: &RawAlternative, s: &Side<'_>| {
        let k = a.good_kind.as_deref().map(kind_words);
        if k.as_deref() == s.rule_kind.map(kind_words).as_deref() { None } else { k }
    };
    if norm_hs(&legal.hs) != norm_hs(&pack.hs) {
        out.push((DisagreementKind::Requirement, "the codes the alternative is for differ".into()));
    }
    if kind(legal, l) != kind(pack, p) {
        out.push((DisagreementKind::Requirement, "the kind of good the alternative covers differs".into()));
    }
    let others = |a: &RawAlternative| {
        a.good_kind_other_than.as_ref().map(|v| v.iter().map(|k| kind_words(k)).collect::<BTreeSet<_>>())
    };
    if others(legal) != others(pack) {
        out.push((
            DisagreementKind::Requirement,
            "the goods the alternative excludes (\"any other good\") differ".into(),
        ));
    }
    if legal.no_change_required.unwrap_or(false) != pack.no_change_required.unwrap_or(false) {
        out.push((
            DisagreementKind::Requirement,
            "one reading requires no change in tariff classification, the other does not".into(),
        ));
    }
    match (&legal.shift, &pack.shift) {
        (Some(a), Some(b)) => {
            if a.from != b.from
                || a.group != b.group
                || a.within.unwrap_or(false) != b.within.unwrap_or(false)
                || norm_specs(&a.also_from) != norm_specs(&b.also_from)
            {
                out.push((DisagreementKind::Shift, "the tariff shift differs".into()));
            }
            if norm_specs(&a.except) != norm_specs(&b.except) {
                out.push((DisagreementKind::Exception, "the exceptions (\"except from\") differ".into()));
            }
            let items =
                |v: &[RawMaterialSpec]| v.iter().map(|s| norm_specs(std::slice::from_ref(s))).collect::<Vec<_>>();
            if items(&a.except_more_than_one_of) != items(&b.except_more_than_one_of) {
                out.push((
                    DisagreementKind::Exception,
                    "the items of \"except from more than one of the following\" differ".into(),
                ));
            }
        }
        (None, None) => {}
        _ => out.push((DisagreementKind::Shift, "one reading has a tariff shift, the other none".into())),
    }
    let rvc = |a: &RawAlternative| a.rvc.as_ref().map(|r| (norm_dec(r.tv), norm_dec(r.nc)));
    if rvc(legal) != rvc(pack) {
        out.push((DisagreementKind::Threshold, "the RVC thresholds differ".into()));
    }
    let conds = |a: &RawAlternative| a.conditions.iter().map(|c| ws(&c.text)).collect::<Vec<_>>();
    if conds(legal) != conds(pack) {
        out.push((DisagreementKind::Requirement, "the special conditions differ".into()));
    }
    let _ = (l.hs, p.hs);
    out
}

fn show(a: &RawAlternative, hs: &[String]) -> String {
    let label = if a.label == "-" { String::new() } else { format!("({}) ", a.label) };
    format!("{label}{}", render_alternative(a, hs).replace('\n', " "))
}

fn is_anomaly(r: &Rule) -> bool {
    r.note.as_deref().is_some_and(|n| n.trim_start().to_ascii_lowercase().starts_with("source anomaly:"))
}

/// Whether the pack's rule is a reviewed reading (not a rule `rules import` wrote and nobody reviewed):
/// where it and the third-party transcription disagree, the pack's reading wins and the difference is a
/// recorded defect of the transcription (fixtures/legal/secondary/README.md: 15 of 89 rules differ in
/// substance, 15 in layout), not a failure.
fn reviewed(r: &Rule) -> bool {
    !r.note.as_deref().is_some_and(|n| n.starts_with(super::MACHINE_IMPORT_NOTE))
}

fn rule_chapter(r: &Rule) -> u8 {
    r.hs.0.first().map(|h| h.start().chapter()).unwrap_or(0)
}

/// Compares the rules of the legal entries with the pack, rule by rule. Entries are matched to pack
/// rules by their verbatim text, else by goods, use, description and dates; every pack rule of the
/// entries' chapters that no entry holds is an extra rule.
pub fn crosscheck(entries: &[LegalEntry], set: &RuleSet) -> Crosscheck {
    let mut out = Crosscheck { compared: 0, not_compared: Vec::new(), disagreements: Vec::new() };
    let chapters: BTreeSet<u8> = entries.iter().filter_map(|e| e.chapter).collect();
    let mut matched: BTreeMap<usize, BTreeSet<Status>> = BTreeMap::new();
    let mut contexts: BTreeMap<u8, UseContext> = BTreeMap::new();

    for e in entries {
        let Some(chapter) = e.chapter else { continue };
        let p = parse_entry(e);
        if p.kind != EntryKind::Rule {
            continue;
        }
        let at = format!("{} (line {})", e.heading, e.line);
        let (preamble, body) = split_preamble(&e.text);
        let body_ws = ws(&body);
        let whole_ws = ws(&e.text);
        let text_matches: Vec<usize> = set
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| rule_chapter(r) == chapter)
            .filter(|(_, r)| {
                let t = ws(&r.text);
                let with_pre = ws(&format!("{}\n{}", r.preamble.as_deref().unwrap_or(""), r.text));
                !t.is_empty() && (t == body_ws || t == whole_ws || with_pre == whole_ws)
            })
            .map(|(i, _)| i)
            .collect();
        let cut = e.status == Status::Cut;
        let (parsed, partial): (Vec<ParsedRule>, bool) = match &p.result {
            Ok(r) => {
                let mut r = r.clone();
                contexts.entry(chapter).or_default().apply(&mut r);
                (r.expand_stages(), false)
            }
            Err(err) if !err.partial.is_empty() => (vec![err.partial_rule(preamble.clone())], true),
            Err(err) => {
                if !text_matches.is_empty() {
                    for i in &text_matches {
                        matched.entry(*i).or_default().insert(e.status);
                    }
                }
                out.not_compared
                    .push((at.clone(), format!("{} at `{}`", err.message, err.words_where_parsing_stopped)));
                continue;
            }
        };
        // The pack holds canonical kind names (kinds.yaml): compare the text's kinds in the same words.
        let parsed: Vec<ParsedRule> = parsed.into_iter().map(|pr| canonical_kinds(pr, &set.kinds)).collect();
        for pr in &parsed {
            // Pair by text, then by dates among text matches; else by scope.
            let mut cands: Vec<usize> = text_matches
                .iter()
                .copied()
                .filter(|i| {
                    pr.effective_from.is_none() || set.rules[*i].effective_from == pr.effective_from.unwrap_or_default()
                })
                .collect();
            let mut by_text = true;
            if cands.is_empty() && !partial {
                by_text = false;
                cands = set
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| rule_chapter(r) == chapter)
                    .filter(|(_, r)| {
                        let hs: Vec<String> = r.hs.0.iter().map(|h| h.to_string()).collect();
                        norm_hs(&hs) == norm_hs(&pr.hs)
                            && uses_of(r) == pr.uses.clone().unwrap_or_default().into_iter().collect::<BTreeSet<_>>()
                            && pr.effective_from.is_none_or(|f| r.effective_from == f)
                    })
                    .map(|(i, _)| i)
                    .collect();
            }
            if cands.is_empty() {
                // A transcription entry whose codes a reviewed pack rule holds was not imported on purpose.
                let holder = (e.status == Status::Secondary)
                    .then(|| {
                        set.rules.iter().find(|r| {
                            rule_chapter(r) == chapter
                                && reviewed(r)
                                && pr
                                    .hs
                                    .iter()
                                    .filter_map(|h| origin_core::HsRange::parse(h).ok())
                                    .any(|h| r.hs.0.iter().any(|x| x.overlaps(h)))
                        })
                    })
                    .flatten();
                if partial {
                    out.not_compared.push((at.clone(), "cut in the copy, and no pack rule has its text".into()));
                } else {
                    out.disagreements.push(Disagreement {
                        kind: DisagreementKind::MissingRule,
                        rule: None,
                        entry: Some(at.clone()),
                        chapter,
                        what: format!(
                            "the legal text has a rule for `{}` that the pack does not encode",
                            pr.hs.join(", ")
                        ),
                        legal: pr.alternatives.iter().map(|a| show(a, &pr.hs)).collect::<Vec<_>>().join("; "),
                        pack: match holder {
                            Some(h) => format!("(no rule of the transcription: the pack's reviewed rule {} holds these codes and wins)", h.id),
                            None => "(no rule)".into(),
                        },
                        anomaly: holder.is_some(),
                    });
                }
                continue;
            }
            for i in cands {
                let rule = &set.rules[i];
                matched.entry(i).or_default().insert(e.status);
                out.compared += 1;
                let anomaly = is_anomaly(rule);
                // Against the transcription, a rule read in an official copy wins on everything; a reviewed
                // reading of the transcription itself wins on layout (the verbatim text), not on substance.
                let official = matches!(rule.review, Review::Verified | Review::Incomplete) && reviewed(rule);
                let transcription = e.status == Status::Secondary;
                let mut push = |kind, what: String, legal: String, pack: String| {
                    let defect = transcription && (official || kind == DisagreementKind::Text && reviewed(rule));
                    out.disagreements.push(Disagreement {
                        kind,
                        rule: Some(rule.id.clone()),
                        entry: Some(at.clone()),
                        chapter,
                        what,
                        legal,
                        pack,
                        anomaly: anomaly || defect,
                    });
                };
                let pack_hs: Vec<String> = rule.hs.0.iter().map(|h| h.to_string()).collect();
                if !by_text {
                    push(
                        DisagreementKind::Text,
                        "the verbatim text differs".into(),
                        body.replace('\n', " "),
                        rule.text.trim().replace('\n', " "),
                    );
                }
                if !partial && !e.cut_before {
                    if norm_hs(&pr.hs) != norm_hs(&pack_hs) {
                        push(
                            DisagreementKind::Scope,
                            "the goods covered differ".into(),
                            pr.hs.join(", "),
                            pack_hs.join(", "),
                        );
                    }
                    let pu: BTreeSet<String> = pr.uses.clone().unwrap_or_default().into_iter().collect();
                    if pu != uses_of(rule) {
                        push(
                            DisagreementKind::Scope,
                            "the uses covered differ".into(),
                            format!("{pu:?}"),
                            format!("{:?}", uses_of(rule)),
                        );
                    }
                    let pk = match &rule.good_kind {
                        KindQualifier::Only(k) => Some(kind_words(k)),
                        _ => None,
                    };
                    if pr.good_kind.as_deref().map(kind_words) != pk {
                        push(
                            DisagreementKind::Scope,
                            "the description of the goods covered differs".into(),
                            format!("{:?}", pr.good_kind),
                            format!("{pk:?}"),
                        );
                    }
                    if let Some(from) = pr.effective_from
                        && (rule.effective_from != from || rule.effective_to != pr.effective_to)
                    {
                        push(
                            DisagreementKind::Scope,
                            "the dates in force differ".into(),
                            format!("{from} to {:?}", pr.effective_to),
                            format!("{} to {:?}", rule.effective_from, rule.effective_to),
                        );
                    }
                }
                let legal_side = Side { rule_kind: pr.good_kind.as_deref(), hs: &pr.hs };
                let pack_kind = match &rule.good_kind {
                    KindQualifier::Only(k) => Some(k.as_str()),
                    _ => None,
                };
                let pack_side = Side { rule_kind: pack_kind, hs: &pack_hs };
                let pack_alts: Vec<RawAlternative> = rule.alternatives.iter().map(model_alternative_to_raw).collect();
                for la in &pr.alternatives {
                    match pack_alts.iter().find(|a| a.label == la.label) {
                        Some(pa) => {
                            for (kind, what) in compare_alt(la, &legal_side, pa, &pack_side) {
                                push(
                                    kind,
                                    format!("alternative ({}): {what}", la.label),
                                    show(la, &pr.hs),
                                    show(pa, &pack_hs),
                                );
                            }
                        }
                        None => push(
                            DisagreementKind::Alternatives,
                            format!("alternative ({}) is not in the pack", la.label),
                            show(la, &pr.hs),
                            "(none)".into(),
                        ),
                    }
                }
                if partial && !cut {
                    if let Err(err) = &p.result {
                        out.not_compared.push((
                            at.clone(),
                            format!(
                                "only the alternatives before `{}` compared: {}",
                                err.words_where_parsing_stopped, err.message
                            ),
                        ));
                    }
                    continue;
                }
                for pa in &pack_alts {
                    if !pr.alternatives.iter().any(|a| a.label == pa.label) {
                        let what = if partial {
                            format!("the pack encodes alternative ({}), which the copy does not show in full", pa.label)
                        } else {
                            format!("alternative ({}) is not in the legal text", pa.label)
                        };
                        push(DisagreementKind::Alternatives, what, "(none)".into(), show(pa, &pack_hs));
                    }
                }
            }
        }
    }

    // Review statuses against the copies read, and pack rules no entry holds.
    for (i, rule) in set.rules.iter().enumerate() {
        let chapter = rule_chapter(rule);
        if !chapters.contains(&chapter) {
            continue;
        }
        let anomaly = is_anomaly(rule);
        let legal_source = matches!(rule.citation.source.as_str(), "gn11" | "origynlx" | "sor-2020-155");
        match matched.get(&i) {
            None if legal_source => out.disagreements.push(Disagreement {
                kind: DisagreementKind::ExtraRule,
                rule: Some(rule.id.clone()),
                entry: None,
                chapter,
                what: format!("the pack has a rule for `{}` that no legal entry holds", rule.hs_key()),
                legal: "(no entry)".into(),
                pack: rule.text.trim().replace('\n', " "),
                anomaly,
            }),
            None => {}
            Some(statuses) => {
                let ok = match rule.review {
                    Review::Verified => statuses.contains(&Status::Complete),
                    Review::UnverifiedTranscription => {
                        !statuses.contains(&Status::Complete) || statuses.contains(&Status::Secondary)
                    }
                    // A paraphrase is read only in the third-party transcription.
                    Review::Paraphrase => statuses.contains(&Status::Secondary),
                    // Cut in the copy read, or read by the importer only in part.
                    Review::Incomplete => statuses.contains(&Status::Cut) || rule.missing.is_some(),
                    Review::ImportedUnreviewed => true,
                };
                if !ok {
                    out.disagreements.push(Disagreement {
                        kind: DisagreementKind::Review,
                        rule: Some(rule.id.clone()),
                        entry: None,
                        chapter,
                        what: "the review status does not match the copies the legal extract read".into(),
                        legal: statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                        pack: rule.review.as_str().into(),
                        anomaly,
                    });
                }
            }
        }
    }
    out
}

fn uses_of(r: &Rule) -> BTreeSet<String> {
    r.uses.iter().map(|u| u.as_str().to_string()).collect()
}

/// The rule parsed from the legal text with each kind it names in the pack's canonical spelling, where
/// the pack declares it ("printed circuit assemblies (PCAs)" -> "printed circuit assemblies"); an
/// undeclared kind stays as printed, so it still shows as a disagreement.
fn canonical_kinds(mut pr: ParsedRule, kinds: &crate::kinds::KindVocabulary) -> ParsedRule {
    let canon = |k: &mut String| {
        if let Some(c) = kinds.resolve(k) {
            *k = c.to_string();
        }
    };
    if let Some(k) = pr.good_kind.as_mut() {
        canon(k);
    }
    for a in &mut pr.alternatives {
        if let Some(k) = a.good_kind.as_mut() {
            canon(k);
        }
        for k in a.good_kind_other_than.iter_mut().flatten() {
            canon(k);
        }
        if let Some(s) = a.shift.as_mut() {
            for m in s.also_from.iter_mut().chain(s.except.iter_mut()).chain(s.except_more_than_one_of.iter_mut()) {
                if let Some(k) = m.kind.as_mut() {
                    canon(k);
                }
            }
        }
    }
    pr
}
