//! Rules in plain words, for `rules explain` and for determinations.

use std::fmt::Write as _;

use crate::model::{Alternative, GroupQualifier, KindQualifier, Rule, RuleSet, ShiftRequirement, TariffShift};

/// One alternative in plain words, e.g. "a change from any other heading, except from 8503.00.35".
pub fn describe_alternative(a: &Alternative) -> String {
    let mut parts = Vec::new();
    match (&a.hs, &a.good_kind) {
        (None, KindQualifier::Any) => {}
        (None, KindQualifier::Only(k)) => parts.push(format!("for {k}")),
        (None, KindQualifier::OtherThan(ks)) => parts.push(format!("for goods other than {}", ks.join(", "))),
        (Some(hs), KindQualifier::Any) => parts.push(format!("only for goods of {hs}")),
        (Some(hs), KindQualifier::Only(k)) => parts.push(format!("only for {k} of {hs}")),
        (Some(hs), KindQualifier::OtherThan(ks)) => {
            parts.push(format!("only for goods of {hs} other than {}", ks.join(", ")))
        }
    }
    match &a.shift {
        ShiftRequirement::Shift(s) => parts.push(describe_shift(s)),
        ShiftRequirement::NoChangeRequired => parts.push("no change in tariff classification required".into()),
        ShiftRequirement::Unstated => {}
    }
    if let Some(r) = &a.rvc {
        let mut t = String::from("regional value content of not less than ");
        match (r.tv, r.nc) {
            (Some(tv), Some(nc)) => {
                let _ = write!(t, "{tv} under the transaction value method or {nc} under the net cost method");
            }
            (None, Some(nc)) => {
                let _ = write!(t, "{nc} under the net cost method (net cost only)");
            }
            (Some(tv), None) => {
                let _ = write!(t, "{tv} under the transaction value method");
            }
            (None, None) => {}
        }
        parts.push(t);
    }
    for c in &a.conditions {
        parts.push(format!("condition `{}`: {}", c.id, c.text.trim()));
    }
    parts.join("; ")
}

/// A tariff shift in plain words.
pub fn describe_shift(s: &TariffShift) -> String {
    let also: Vec<String> = s.also_from.iter().map(|m| m.to_string()).collect();
    let mut t = match (s.from, s.group) {
        (None, _) => format!("a change only from {}", also.join(" or ")),
        (Some(l), GroupQualifier::Outside) => format!("a change from any {} outside the rule's group", l.word()),
        (Some(l), GroupQualifier::IncludingWithin) => {
            format!("a change from any other {0}, including another {0} within the group", l.word())
        }
        (Some(l), GroupQualifier::None) => format!("a change from any other {}", l.word()),
    };
    if s.within_subheading {
        t.push_str(", or from any other good within the same subheading");
    }
    if s.from.is_some() && !also.is_empty() {
        let _ = write!(t, ", or from {}", also.join(" or "));
    }
    if !s.except.is_empty() {
        let list: Vec<String> = s.except.iter().map(|m| m.to_string()).collect();
        let _ = write!(t, ", except from {}", list.join(" or "));
    }
    if !s.except_more_than_one_of.is_empty() {
        let list: Vec<String> =
            s.except_more_than_one_of.iter().enumerate().map(|(i, m)| format!("({}) {m}", i + 1)).collect();
        let _ = write!(t, ", except from more than one of: {}", list.join("; "));
    }
    t
}

/// A whole rule for a person: scope, alternatives, citation, caveats and verbatim text.
pub fn explain_rule(set: &RuleSet, rule: &Rule) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "rule {} covers {}", rule.id, rule.hs_key());
    if !rule.uses.is_empty() {
        let uses: Vec<&str> = rule.uses.iter().map(|u| u.words()).collect();
        let _ = writeln!(o, "  for use in: {}", uses.join(", "));
    }
    if let Some(t) = rule.trade.words() {
        let _ = writeln!(o, "  for {t} (exporting and importing Party)");
    }
    match &rule.good_kind {
        KindQualifier::Any => {}
        KindQualifier::Only(k) => {
            let _ = writeln!(o, "  for goods described as: {k}");
        }
        KindQualifier::OtherThan(ks) => {
            let _ = writeln!(o, "  for goods other than: {}", ks.join(", "));
        }
    }
    let _ = writeln!(o, "  in force: {}", span(rule.effective_from, rule.effective_to));
    let n = rule.alternatives.len();
    let _ = writeln!(o, "  {}:", if n == 1 { "requirement" } else { "alternatives (any one is enough)" });
    for a in &rule.alternatives {
        let _ = writeln!(o, "    ({}) {}", a.label, describe_alternative(a));
    }
    let source = set.sources.iter().find(|s| s.id == rule.citation.source);
    let _ = write!(o, "  citation: {}", rule.citation);
    if let Some(s) = source {
        let _ = write!(o, " [{}]", s.title);
    }
    let _ = writeln!(o);
    if let Some(u) = &rule.citation.url {
        let _ = writeln!(o, "  copy read: {u}");
    }
    let _ = writeln!(o, "  review: {}", rule.review);
    if let Some(c) = rule.review.caveat() {
        let _ = writeln!(o, "  caution: {c}");
    }
    if let Some(m) = &rule.missing {
        let _ = writeln!(o, "  missing from the copy read: {m}");
    }
    if rule.motor_vehicle_provisions.is_none() {
        let _ =
            writeln!(o, "  GN 11(k) motor-vehicle provisions: unknown (underscoring is not visible in text copies)");
    } else {
        let _ = writeln!(o, "  GN 11(k) motor-vehicle provisions: may apply to goods for use in a motor vehicle");
    }
    if let Some(n) = &rule.note {
        let _ = writeln!(o, "  note: {}", n.trim());
    }
    let _ =
        writeln!(o, "  defined in: {}{}", rule.file.display(), rule.line.map(|l| format!(":{l}")).unwrap_or_default());
    let _ = writeln!(o, "  legal text:");
    if let Some(p) = &rule.preamble {
        for line in p.trim().lines() {
            let _ = writeln!(o, "    | {line}");
        }
    }
    for line in rule.text.trim().lines() {
        let _ = writeln!(o, "    | {line}");
    }
    o
}

/// "from 2020-07-01" or "2020-07-01 to 2025-06-30".
fn span(from: chrono::NaiveDate, to: Option<chrono::NaiveDate>) -> String {
    match to {
        Some(t) => format!("{from} to {t} (last day)"),
        None => format!("from {from}, with no end date in the pack"),
    }
}
