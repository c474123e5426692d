//! A rule put back into the legal wording the grammar reads: `parse_rule(&render_rule(r))` gives `r`
//! back. Used by `rules crosscheck` to show both readings of a rule side by side.

use chrono::{Datelike, NaiveDate};

use crate::raw::{RawAlternative, RawMaterialSpec, RawRule, RawRvc, RawShift};

fn level_of(code: &str) -> &'static str {
    let first = code.split('-').next().unwrap_or(code);
    match first.len() {
        2 => "chapter",
        4 => "heading",
        7 => "subheading",
        _ => "tariff item",
    }
}

fn plural(word: &str) -> String {
    match word {
        "tariff item" => "tariff items".into(),
        w => format!("{w}s"),
    }
}

fn level_word(level: &str) -> &str {
    if level == "tariff-item" { "tariff item" } else { level }
}

/// `8413.50 through 8413.60, 8466.93.15 or 8466.93.53`.
fn code_list(codes: &[String]) -> String {
    let parts: Vec<String> = codes.iter().map(|c| c.replacen('-', " through ", 1)).collect();
    match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        n => format!("{} or {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}

/// `headings 8406 or 8411`, `heading 8501, subheading 8508.19`: codes grouped by level, each group with
/// its level word.
pub(crate) fn codes_with_levels(codes: &[String]) -> String {
    let mut groups: Vec<(&'static str, Vec<String>)> = Vec::new();
    for c in codes {
        let l = level_of(c);
        match groups.iter_mut().find(|(g, _)| *g == l) {
            Some((_, v)) => v.push(c.clone()),
            None => groups.push((l, vec![c.clone()])),
        }
    }
    let rendered: Vec<String> = groups
        .iter()
        .map(|(l, cs)| {
            let word = if cs.len() > 1 || cs.iter().any(|c| c.contains('-')) { plural(l) } else { (*l).to_string() };
            format!("{word} {}", code_list(cs))
        })
        .collect();
    match rendered.len() {
        0 => String::new(),
        1 => rendered[0].clone(),
        n => format!("{} or {}", rendered[..n - 1].join(", "), rendered[n - 1]),
    }
}

fn spec(m: &RawMaterialSpec) -> String {
    match (&m.kind, m.hs.is_empty()) {
        (Some(k), true) => k.clone(),
        (Some(k), false) => format!("{k} of {}", codes_with_levels(&m.hs)),
        (None, _) => codes_with_levels(&m.hs),
    }
}

fn spec_list(specs: &[RawMaterialSpec]) -> String {
    let parts: Vec<String> = specs.iter().map(spec).collect();
    match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        n => format!("{} or {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}

fn items(specs: &[RawMaterialSpec]) -> String {
    specs.iter().enumerate().map(|(i, s)| format!("({}) {}", i + 1, spec(s))).collect::<Vec<_>>().join(", ")
}

fn rvc_words(rvc: &RawRvc) -> String {
    match (rvc.tv, rvc.nc) {
        (Some(tv), Some(nc)) => format!(
            "provided there is a regional value content of not less than:\n(1) {tv} percent where the transaction value method is used; or\n(2) {nc} percent where the net cost method is used"
        ),
        (None, Some(nc)) => format!(
            "provided there is a regional value content of not less than {nc} percent under the net cost method"
        ),
        (Some(tv), None) => {
            format!(
                "provided there is a regional value content of not less than {tv} percent under the transaction value method"
            )
        }
        (None, None) => "provided there is a regional value content of not less than [no threshold]".into(),
    }
}

fn target(hs: &[String], alt: &RawAlternative, within: bool) -> String {
    let codes = codes_with_levels(hs);
    if alt.good_kind_other_than.is_some() {
        format!("any other good of {codes}")
    } else if let Some(k) = &alt.good_kind {
        format!("{k} of {codes}")
    } else if within {
        format!("a good of {codes}")
    } else {
        codes
    }
}

fn from_words(s: &RawShift) -> String {
    let level = s.from.as_deref().map(level_word).unwrap_or("heading");
    if s.group.as_deref() == Some("outside") {
        format!("any {level} outside that group")
    } else {
        format!("any other {level}")
    }
}

/// One alternative in legal wording, without its label and final punctuation.
pub fn render_alternative(alt: &RawAlternative, hs: &[String]) -> String {
    // An alternative for some of the rule's codes names its own.
    let hs = if alt.hs.is_empty() { hs } else { &alt.hs };
    let mut out = String::new();
    if alt.no_change_required == Some(true) {
        let t = match &alt.good_kind {
            Some(k) => format!("{k} of {}", codes_with_levels(hs)),
            None => format!("a good of {}", codes_with_levels(hs)),
        };
        out.push_str(&format!("No change in tariff classification to {t}"));
    } else if let Some(s) = &alt.shift {
        let within = s.within == Some(true);
        out.push_str(&format!("A change to {} from ", target(hs, alt, within)));
        let mut sources: Vec<String> = Vec::new();
        if within {
            sources.push("within that subheading".into());
        }
        if !s.also_from.is_empty() {
            sources.push(spec_list(&s.also_from));
        }
        let whether = s.from.is_some() && !sources.is_empty();
        if s.from.is_some() && !whether {
            sources.push(from_words(s));
        }
        out.push_str(&sources.join(" or "));
        if whether {
            out.push_str(&format!(", whether or not there is also a change from {}", from_words(s)));
        }
        if s.group.as_deref() == Some("including-within") {
            let level = s.from.as_deref().map(level_word).unwrap_or("heading");
            out.push_str(&format!(", including another {level} within that group"));
        }
        if !s.except_more_than_one_of.is_empty() {
            out.push_str(&format!(
                ", except from more than one of the following: {}",
                items(&s.except_more_than_one_of)
            ));
        }
        if !s.except.is_empty() {
            out.push_str(&format!(", except from {}", spec_list(&s.except)));
        }
    } else {
        out.push_str("[no classification requirement]");
    }
    for c in &alt.conditions {
        out.push_str(&format!(", {}", c.text));
    }
    if let Some(r) = &alt.rvc {
        out.push_str(&format!(", {}", rvc_words(r)));
    } else if alt.no_change_required == Some(true) {
        out.push_str(", provided");
    }
    out
}

fn date_words(d: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!("{} {}, {}", MONTHS[d.month0() as usize], d.day(), d.year())
}

fn uses_words(uses: &[String]) -> String {
    let words: Vec<&str> = uses
        .iter()
        .map(|u| match u.as_str() {
            "passenger-vehicle" => "passenger vehicle",
            "light-truck" => "light truck",
            "heavy-truck" => "heavy truck",
            other => other,
        })
        .collect();
    match words.len() {
        0 => String::new(),
        1 => format!("a {}", words[0]),
        n => format!("a {} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// A rule in legal wording, one alternative per line.
pub fn render_rule(rule: &RawRule) -> String {
    let mut lines = Vec::new();
    let codes = codes_with_levels(&rule.hs);
    if let Some(from) = rule.effective_from {
        let until = match rule.effective_to.and_then(|d| d.succ_opt()) {
            Some(to) => format!(" until {}", date_words(to)),
            None => ", and thereafter".into(),
        };
        let plural_rules = if rule.alternatives.len() > 1 { "rules" } else { "rule" };
        lines.push(format!(
            "Subheading rule: Beginning on {}{until}, the following {plural_rules} of origin shall apply to {codes}:",
            date_words(from)
        ));
    }
    let number = rule.id.rsplit('-').next().filter(|n| n.len() == 3 && n.chars().all(|c| c.is_ascii_digit()));
    let mut first = number.map(|n| format!("{}. ", n.trim_start_matches('0'))).unwrap_or_default();
    let only_other = rule.uses.as_deref().is_some_and(|u| u == ["other"]);
    if rule.good_kind.is_some() || rule.uses.is_some() {
        let what = match (&rule.good_kind, only_other) {
            (Some(k), _) => format!("a {k}"),
            (None, true) => "any other good".into(),
            (None, false) => "a good".into(),
        };
        let uses = match rule.uses.as_deref() {
            Some(u) if !only_other => format!(" for use in {}", uses_words(u)),
            _ => String::new(),
        };
        lines.push(format!("{first}For {what} of {codes}{uses}:"));
        first = String::new();
    }
    let n = rule.alternatives.len();
    for (i, a) in rule.alternatives.iter().enumerate() {
        let label = if a.label == "-" { String::new() } else { format!("({}) ", a.label) };
        let end = if i + 1 == n { "." } else { "; or" };
        lines.push(format!("{first}{label}{}{end}", render_alternative(a, &rule.hs)));
        first = String::new();
    }
    lines.join("\n")
}
