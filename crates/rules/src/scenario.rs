//! What-if scenarios: an overlay on a rule pack, effective from a date, that models a proposed change
//! of the rules of origin (a higher RVC, a cap on content of a country group, stricter transshipment).
//!
//! Two steps, like a pack: [`parse_scenario`] reads the YAML (unknown keys rejected, every problem
//! collected and located at file:line:column), [`Scenario::apply`] checks the overlay against the pack it
//! modifies (rule ids, alternative labels, country groups, scopes that match nothing) and returns the
//! modified [`RuleSet`] plus the checks the rules cannot express (content caps, melt and pour), which the
//! engine applies to each good's audit. The pack itself is never changed. See docs/scenarios.md.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use origin_core::{Country, HsCode, HsRange, HsSet, Percent};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::locate::{PathIndex, Position};
use crate::model::{RuleSet, RvcRequirement, ShiftRequirement};

/// A scenario file as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Stable id (`rvc-plus-10`), used on the command line and in the store.
    pub id: String,
    /// One line for tables and charts.
    pub title: String,
    /// Whether the scenario is hypothetical or models a public proposal (which it must cite).
    pub basis: RawBasis,
    /// The first day the modelled rules would apply; duty rates are read as of this day.
    pub effective_from: NaiveDate,
    /// The pack the overlay is written for (`usmca`); a scenario for another pack is refused.
    pub pack: String,
    /// The changes, applied in order.
    pub overlays: Vec<RawOverlay>,
}

/// What a scenario rests on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBasis {
    /// `hypothetical` (no proposal text behind it) or `proposal` (a public proposal, cited).
    pub kind: String,
    /// For a proposal: who proposed it, where and when.
    #[serde(default)]
    pub source: Option<String>,
    /// For a proposal: where it can be read.
    #[serde(default)]
    pub url: Option<String>,
    /// What the scenario assumes and what it leaves out.
    pub note: String,
}

/// One change. Exactly one of the kind keys is given; `scope` goes with the RVC kinds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOverlay {
    /// Raise every RVC threshold in scope by this many percentage points (TV and NC alike, staging
    /// tables too).
    #[serde(default)]
    pub raise_rvc: Option<RawRaise>,
    /// Set the RVC thresholds in scope (a method left out keeps its threshold).
    #[serde(default)]
    pub set_rvc: Option<crate::raw::RawRvc>,
    /// Require this RVC in addition to the tariff shift of every alternative in scope that has none.
    #[serde(default)]
    pub require_rvc: Option<crate::raw::RawRvc>,
    /// Remove alternatives of one rule by label.
    #[serde(default)]
    pub remove_alternatives: Option<RawRemove>,
    /// Lower the de minimis share of the good's value (percent).
    #[serde(default)]
    pub de_minimis: Option<RawDeMinimis>,
    /// Cap non-originating content whose traced origin is in a country group.
    #[serde(default)]
    pub content_cap: Option<RawContentCap>,
    /// Require steel and aluminium to be melted and poured in the Parties.
    #[serde(default)]
    pub melt_and_pour: Option<RawMeltAndPour>,
    /// Replace the operations Art. 4.18 allows outside the Parties (`[]`: none at all).
    #[serde(default)]
    pub transit: Option<RawTransit>,
    /// Which rules an RVC kind changes; left out: every rule.
    #[serde(default)]
    pub scope: Option<RawScope>,
}

/// `raise_rvc`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRaise {
    /// Percentage points added to each threshold (a threshold above 100 is an error).
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub by: Decimal,
}

/// `remove_alternatives`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRemove {
    /// The rule id (`gn11-87-028`).
    pub rule: String,
    /// The labels of the alternatives removed (`[D]`); at least one alternative must remain.
    pub labels: Vec<String>,
}

/// `de_minimis`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeMinimis {
    /// The new share, percent; must be lower than the pack's.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub value_share: Decimal,
}

/// `content_cap`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawContentCap {
    /// A country group of the pack (`country-groups.yaml`) ...
    #[serde(default)]
    pub group: Option<String>,
    /// ... or the countries themselves (ISO 3166-1 alpha-2).
    #[serde(default)]
    pub countries: Vec<String>,
    /// The highest share of the base, percent ("at most 10 %": 10.00 % meets it).
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub max_share: Decimal,
    /// `transaction-value`, `net-cost`, or `either` (within the cap by one base the good has is enough,
    /// as for the RVC).
    pub basis: String,
}

/// `melt_and_pour`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMeltAndPour {
    /// The materials concerned; left out: chapters 72 (iron and steel), 73 (articles of iron or steel)
    /// and 76 (aluminium).
    #[serde(default)]
    pub hs: Vec<String>,
}

/// `transit`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTransit {
    /// The operations still allowed outside the Parties (names of `general.yaml` `transit`).
    pub allowed_operations: Vec<String>,
}

/// `scope`: one key, or none for every rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    /// Every rule of a chapter (rules whose codes are in it).
    #[serde(default)]
    pub chapter: Option<u8>,
    /// Rules whose codes overlap these codes or ranges (`8701-8708`).
    #[serde(default)]
    pub hs: Vec<String>,
    /// One rule by id.
    #[serde(default)]
    pub rule: Option<String>,
}

/// The scenarios shipped in `scenarios/`, built in (file name, text): what the web UI offers to run, so
/// the server reads no scenario file from disk.
pub const SHIPPED: [(&str, &str); 3] = [
    ("rvc-plus-10.yaml", include_str!("../../../scenarios/rvc-plus-10.yaml")),
    ("cn-content-cap-10.yaml", include_str!("../../../scenarios/cn-content-cap-10.yaml")),
    ("strict-transshipment.yaml", include_str!("../../../scenarios/strict-transshipment.yaml")),
];

/// The shipped scenarios, parsed.
pub fn shipped() -> Vec<Scenario> {
    SHIPPED.iter().filter_map(|(name, text)| parse_scenario(Path::new(name), text).ok()).collect()
}

/// The JSON Schema of a scenario file (docs/scenario.schema.json).
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::r#gen::SchemaSettings::draft07().into_generator();
    serde_json::json!(generator.into_root_schema_for::<RawScenario>())
}

/// What a scenario rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// No proposal text behind it.
    Hypothetical {
        /// What it assumes.
        note: String,
    },
    /// A public proposal.
    Proposal {
        /// Who, where, when.
        source: String,
        /// Where it can be read.
        url: Option<String>,
        /// What it assumes.
        note: String,
    },
}

impl Basis {
    /// One line for reports: `hypothetical` or `proposal: <source>`.
    pub fn words(&self) -> String {
        match self {
            Basis::Hypothetical { .. } => "hypothetical".into(),
            Basis::Proposal { source, .. } => format!("models a public proposal: {source}"),
        }
    }
}

/// Which rules an RVC change touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every rule (and every staging table, and criterion D's thresholds).
    All,
    /// Rules with a code in the chapter (and staging tables when the chapter is 87).
    Chapter(u8),
    /// Rules whose codes overlap the set (and staging tables whose codes do).
    Hs(HsSet),
    /// One rule.
    Rule(String),
}

impl Scope {
    fn covers_rule(&self, r: &crate::model::Rule) -> bool {
        match self {
            Scope::All => true,
            Scope::Chapter(c) => r.hs.0.iter().any(|x| x.start().chapter() <= *c && *c <= x.end().chapter()),
            Scope::Hs(set) => r.hs.overlaps(set),
            Scope::Rule(id) => &r.id == id,
        }
    }

    /// Staging tables replace a rule's threshold for automotive goods, so a change of "all rules" or of
    /// chapter 87 changes them too; a table limited to codes is changed when a code scope overlaps them.
    fn covers_staging(&self, t: &crate::model::StagingTable) -> bool {
        match self {
            Scope::All => true,
            Scope::Chapter(c) => *c == 87 || (!t.hs.0.is_empty() && t.hs.0.iter().all(|x| x.start().chapter() == *c)),
            Scope::Hs(set) => !t.hs.0.is_empty() && t.hs.overlaps(set),
            Scope::Rule(_) => false,
        }
    }

    /// Plain words.
    pub fn words(&self) -> String {
        match self {
            Scope::All => "every rule".into(),
            Scope::Chapter(c) => format!("the rules of chapter {c}"),
            Scope::Hs(set) => format!("the rules for {set}"),
            Scope::Rule(id) => format!("rule `{id}`"),
        }
    }
}

/// The base a content cap is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapBasis {
    /// The adjusted transaction value.
    TransactionValue,
    /// The net cost.
    NetCost,
    /// Within the cap by either base the good has.
    Either,
}

impl CapBasis {
    /// The word files use.
    pub fn as_str(self) -> &'static str {
        match self {
            CapBasis::TransactionValue => "transaction-value",
            CapBasis::NetCost => "net-cost",
            CapBasis::Either => "either",
        }
    }
}

/// A cap on non-originating content of a country group (checked by the engine on each good).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentCap {
    /// The group's name as the scenario gives it (`CN`, or a pack group id).
    pub group: String,
    /// Its countries.
    pub countries: Vec<Country>,
    /// The highest share.
    pub max_share: Percent,
    /// The base.
    pub basis: CapBasis,
}

/// The requirement that steel and aluminium be melted and poured in the Parties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeltAndPour {
    /// The materials concerned.
    pub hs: HsSet,
}

/// The checks of a scenario that are not rule changes: the engine applies them to each good's audit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScenarioChecks {
    /// Content caps.
    pub caps: Vec<ContentCap>,
    /// Melt and pour.
    pub melt_and_pour: Option<MeltAndPour>,
    /// The scenario's id, for findings.
    pub scenario: String,
}

/// One checked change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Raise RVC thresholds by points.
    RaiseRvc {
        /// Points.
        by: Decimal,
        /// Scope.
        scope: Scope,
    },
    /// Set RVC thresholds.
    SetRvc {
        /// New thresholds (a method left out keeps its threshold).
        rvc: RvcRequirement,
        /// Scope.
        scope: Scope,
    },
    /// Require an RVC besides the shift.
    RequireRvc {
        /// The RVC.
        rvc: RvcRequirement,
        /// Scope.
        scope: Scope,
    },
    /// Remove alternatives.
    RemoveAlternatives {
        /// Rule id.
        rule: String,
        /// Labels.
        labels: Vec<String>,
    },
    /// Lower de minimis.
    DeMinimis {
        /// The new share.
        value_share: Percent,
    },
    /// A content cap.
    ContentCap(ContentCap),
    /// Melt and pour.
    MeltAndPour(MeltAndPour),
    /// Transit operations allowed.
    Transit {
        /// What is still allowed.
        allowed_operations: Vec<String>,
    },
}

impl Overlay {
    /// Plain words, for reports.
    pub fn words(&self) -> String {
        match self {
            Overlay::RaiseRvc { by, scope } => format!("RVC thresholds of {} raised by {by} points", scope.words()),
            Overlay::SetRvc { rvc, scope } => format!("RVC thresholds of {} set to {}", scope.words(), rvc_words(rvc)),
            Overlay::RequireRvc { rvc, scope } => {
                format!("an RVC of {} required with every tariff shift of {}", rvc_words(rvc), scope.words())
            }
            Overlay::RemoveAlternatives { rule, labels } => {
                format!("alternative(s) {} of rule `{rule}` removed", labels.join(", "))
            }
            Overlay::DeMinimis { value_share } => format!("de minimis lowered to {value_share}"),
            Overlay::ContentCap(c) => format!(
                "non-originating content traced to {} at most {} of the {}",
                c.group,
                c.max_share,
                match c.basis {
                    CapBasis::TransactionValue => "adjusted transaction value",
                    CapBasis::NetCost => "net cost",
                    CapBasis::Either => "adjusted transaction value or net cost",
                }
            ),
            Overlay::MeltAndPour(m) => format!("steel and aluminium ({}) melted and poured in the Parties", m.hs),
            Overlay::Transit { allowed_operations } if allowed_operations.is_empty() => {
                "no operation at all outside the Parties (strict transshipment)".into()
            }
            Overlay::Transit { allowed_operations } => {
                format!("only {} allowed outside the Parties", allowed_operations.join(", "))
            }
        }
    }
}

fn rvc_words(r: &RvcRequirement) -> String {
    match (r.tv, r.nc) {
        (Some(t), Some(n)) => format!("{t} (TV) or {n} (NC)"),
        (Some(t), None) => format!("{t} (TV)"),
        (None, Some(n)) => format!("{n} (NC)"),
        (None, None) => "nothing".into(),
    }
}

/// A parsed scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Basis.
    pub basis: Basis,
    /// First day.
    pub effective_from: NaiveDate,
    /// The pack id it overlays.
    pub pack: String,
    /// The changes, in order, each with its YAML path.
    pub overlays: Vec<(String, Overlay)>,
    /// The file, as named.
    pub file: PathBuf,
    /// The file's text (stored with a scenario run).
    pub text: String,
    index: std::sync::Arc<PathIndex>,
}

impl Scenario {
    fn error(&self, code: &'static str, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, &self.file, path, message).at(self.index.find(path))
    }

    /// Applies the overlay to `rules`: the modified rule set and the checks the engine adds. Every
    /// problem (an unknown rule, label, group or operation, a scope that matches nothing, a threshold
    /// pushed above 100, a de minimis share not lower than the pack's) is collected and located.
    pub fn apply(&self, rules: &RuleSet) -> Result<(RuleSet, ScenarioChecks), Vec<Diagnostic>> {
        let mut out = rules.clone();
        let mut checks = ScenarioChecks { scenario: self.id.clone(), ..ScenarioChecks::default() };
        let mut diags = Vec::new();
        if self.pack != rules.pack.id {
            diags.push(
                self.error(
                    "wrong-pack",
                    "pack",
                    format!("the scenario is written for pack `{}`, but `{}` is loaded", self.pack, rules.pack.id),
                )
                .help("pass the pack it was written for with --rules, or fix `pack`"),
            );
        }
        for (path, o) in &self.overlays {
            match o {
                Overlay::RaiseRvc { by, scope } => {
                    if let Err(d) = self.check_scope(rules, scope, path) {
                        diags.push(d);
                        continue;
                    }
                    let raise = |p: Percent| Percent(p.value() + by);
                    change_rvc(&mut out, scope, |r| RvcRequirement { tv: r.tv.map(raise), nc: r.nc.map(raise) });
                    change_staging(&mut out, scope, |tv, nc| (tv.map(raise), raise(nc)));
                    if *scope == Scope::All {
                        let d = &mut out.general.origin_criteria.criterion_d;
                        *d = RvcRequirement { tv: d.tv.map(raise), nc: d.nc.map(raise) };
                    }
                    if let Some(d) = over_100(&out, scope) {
                        diags.push(
                            self.error("bad-threshold", &format!("{path}.raise_rvc.by"), d).help(
                                "a regional value content cannot exceed 100 percent: raise by less, or use set_rvc",
                            ),
                        );
                    }
                }
                Overlay::SetRvc { rvc, scope } => {
                    if let Err(d) = self.check_scope(rules, scope, path) {
                        diags.push(d);
                        continue;
                    }
                    let set = *rvc;
                    change_rvc(&mut out, scope, |r| RvcRequirement {
                        tv: if r.tv.is_some() { set.tv.or(r.tv) } else { None },
                        nc: set.nc.or(r.nc),
                    });
                    change_staging(&mut out, scope, |tv, nc| (tv.map(|t| set.tv.unwrap_or(t)), set.nc.unwrap_or(nc)));
                    if *scope == Scope::All {
                        let d = &mut out.general.origin_criteria.criterion_d;
                        *d = RvcRequirement { tv: set.tv.or(d.tv), nc: set.nc.or(d.nc) };
                    }
                }
                Overlay::RequireRvc { rvc, scope } => {
                    if let Err(d) = self.check_scope(rules, scope, path) {
                        diags.push(d);
                        continue;
                    }
                    for r in out.rules.iter_mut().filter(|r| scope.covers_rule(r)) {
                        for a in r.alternatives.iter_mut() {
                            if matches!(a.shift, ShiftRequirement::Shift(_)) && a.rvc.is_none() {
                                a.rvc = Some(*rvc);
                            }
                        }
                    }
                }
                Overlay::RemoveAlternatives { rule, labels } => {
                    let Some(r) = out.rules.iter_mut().find(|r| &r.id == rule) else {
                        diags.push(
                            self.error(
                                "unknown-rule",
                                &format!("{path}.remove_alternatives.rule"),
                                format!("the pack has no rule `{rule}`"),
                            )
                            .help("use a rule id as `rules explain` prints it"),
                        );
                        continue;
                    };
                    for (i, l) in labels.iter().enumerate() {
                        if !r.alternatives.iter().any(|a| &a.label == l) {
                            let have: Vec<&str> = r.alternatives.iter().map(|a| a.label.as_str()).collect();
                            diags.push(
                                self.error(
                                    "unknown-alternative",
                                    &format!("{path}.remove_alternatives.labels[{i}]"),
                                    format!("rule `{rule}` has no alternative `{l}`"),
                                )
                                .help(format!("its alternatives are {}", have.join(", "))),
                            );
                        }
                    }
                    r.alternatives.retain(|a| !labels.contains(&a.label));
                    if r.alternatives.is_empty() {
                        diags.push(
                            self.error(
                                "no-alternative-left",
                                &format!("{path}.remove_alternatives.labels"),
                                format!("removing {} leaves rule `{rule}` with no alternative", labels.join(", ")),
                            )
                            .help("keep at least one alternative: a rule that can never be met is not a rule"),
                        );
                    }
                }
                Overlay::DeMinimis { value_share } => {
                    let now = rules.general.de_minimis.value_share;
                    if *value_share >= now {
                        diags.push(
                            self.error(
                                "de-minimis-not-lower",
                                &format!("{path}.de_minimis.value_share"),
                                format!("the pack's de minimis share is {now}; {value_share} does not lower it"),
                            )
                            .help("a scenario lowers the de minimis share; give a smaller value"),
                        );
                    }
                    out.general.de_minimis.value_share = *value_share;
                }
                Overlay::ContentCap(c) => {
                    let mut c = c.clone();
                    if c.countries.is_empty() {
                        match rules.country_groups.get(&c.group) {
                            Some(g) => c.countries = g.countries.clone(),
                            None => {
                                let ids: Vec<&str> = rules.country_groups.keys().map(String::as_str).collect();
                                diags.push(
                                    self.error(
                                        "unknown-group",
                                        &format!("{path}.content_cap.group"),
                                        format!("the pack has no country group `{}`", c.group),
                                    )
                                    .help(format!("its groups are {}; or list `countries`", ids.join(", "))),
                                );
                                continue;
                            }
                        }
                    }
                    checks.caps.push(c);
                }
                Overlay::MeltAndPour(m) => checks.melt_and_pour = Some(m.clone()),
                Overlay::Transit { allowed_operations } => {
                    for (i, op) in allowed_operations.iter().enumerate() {
                        if !crate::KNOWN_OPERATIONS.contains(&op.as_str()) {
                            diags.push(
                                self.error(
                                    "unknown-operation",
                                    &format!("{path}.transit.allowed_operations[{i}]"),
                                    format!("`{op}` is not an operation the pack knows"),
                                )
                                .help(format!("use one of {}", crate::KNOWN_OPERATIONS.join(", "))),
                            );
                        }
                    }
                    match out.general.transit.as_mut() {
                        Some(t) => t.allowed_operations = allowed_operations.clone(),
                        None => diags.push(self.error(
                            "no-transit-provision",
                            path,
                            "the pack encodes no transit provision (general.yaml `transit`) to change",
                        )),
                    }
                }
            }
        }
        if diags.is_empty() { Ok((out, checks)) } else { Err(diags) }
    }

    #[expect(
        clippy::result_large_err,
        reason = "once per overlay; diagnostics are collected, not propagated up a hot path"
    )]
    fn check_scope(&self, rules: &RuleSet, scope: &Scope, path: &str) -> Result<(), Diagnostic> {
        if rules.rules.iter().any(|r| scope.covers_rule(r)) {
            return Ok(());
        }
        Err(self
            .error("empty-scope", &format!("{path}.scope"), format!("{} matches no rule of the pack", scope.words()))
            .help("check the rule id or the codes; `rules explain CODE` shows the rule for a code"))
    }
}

fn change_rvc(rules: &mut RuleSet, scope: &Scope, f: impl Fn(&RvcRequirement) -> RvcRequirement) {
    for r in rules.rules.iter_mut().filter(|r| scope.covers_rule(r)) {
        for a in r.alternatives.iter_mut() {
            if let Some(rvc) = a.rvc.as_mut() {
                *rvc = f(rvc);
            }
        }
    }
}

fn change_staging(
    rules: &mut RuleSet,
    scope: &Scope,
    f: impl Fn(Option<Percent>, Percent) -> (Option<Percent>, Percent),
) {
    for t in rules.automotive.staging_tables.iter_mut().filter(|t| scope.covers_staging(t)) {
        for s in t.steps.iter_mut() {
            (s.tv, s.nc) = f(s.tv, s.nc);
        }
    }
}

/// The first threshold in scope above 100, in words.
fn over_100(rules: &RuleSet, scope: &Scope) -> Option<String> {
    let hundred = Decimal::ONE_HUNDRED;
    for r in rules.rules.iter().filter(|r| scope.covers_rule(r)) {
        for a in &r.alternatives {
            if let Some(rvc) = &a.rvc
                && (rvc.tv.is_some_and(|t| t.value() > hundred) || rvc.nc.is_some_and(|n| n.value() > hundred))
            {
                return Some(format!("raising rule `{}` alternative ({}) goes above 100 percent", r.id, a.label));
            }
        }
    }
    for t in rules.automotive.staging_tables.iter().filter(|t| scope.covers_staging(t)) {
        if t.steps.iter().any(|s| s.nc.value() > hundred || s.tv.is_some_and(|t| t.value() > hundred)) {
            return Some(format!("raising staging table `{}` goes above 100 percent", t.id));
        }
    }
    None
}

/// Reads a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, Vec<Diagnostic>> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_scenario(path, &text),
        Err(e) => Err(vec![
            Diagnostic::error("missing-file", path, "", format!("cannot read `{}`: {e}", path.display()))
                .help("give the path of a scenario file (see scenarios/ and docs/scenarios.md)"),
        ]),
    }
}

/// Parses and checks a scenario's text; `file` names it in diagnostics. Collects every problem.
pub fn parse_scenario(file: &Path, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let index = match PathIndex::build(text) {
        Ok(i) => std::sync::Arc::new(i),
        Err(e) => {
            return Err(vec![
                Diagnostic::error("yaml-syntax", file, "", format!("malformed YAML: {}", e.message))
                    .at(Some(e.position))
                    .help("check the indentation and the quoting on this line and the one before it"),
            ]);
        }
    };
    let at =
        |code: &'static str, path: &str, msg: String| Diagnostic::error(code, file, path, msg).at(index.find(path));
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let pos = e.location().map(|l| Position { line: l.line(), column: l.column() });
        vec![Diagnostic::error("yaml-syntax", file, "", format!("malformed YAML: {e}")).at(pos)]
    })?;
    let raw: RawScenario = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let msg = e.into_inner().to_string();
        vec![at("bad-shape", &path, msg).help("the keys and types allowed are in docs/scenarios.md")]
    })?;
    let mut diags = Vec::new();
    let basis = match raw.basis.kind.as_str() {
        "hypothetical" => Basis::Hypothetical { note: raw.basis.note.clone() },
        "proposal" => match raw.basis.source.clone() {
            Some(source) if !source.trim().is_empty() => {
                Basis::Proposal { source, url: raw.basis.url.clone(), note: raw.basis.note.clone() }
            }
            _ => {
                diags.push(
                    at("uncited-proposal", "basis", "a scenario that models a proposal must cite it".into())
                        .help("add `source:` (who proposed it, where, when) and `url:`, or say `kind: hypothetical`"),
                );
                Basis::Hypothetical { note: raw.basis.note.clone() }
            }
        },
        other => {
            diags.push(
                at("bad-basis", "basis.kind", format!("`{other}` is not a basis"))
                    .help("write `hypothetical` or `proposal`"),
            );
            Basis::Hypothetical { note: raw.basis.note.clone() }
        }
    };
    if raw.overlays.is_empty() {
        diags
            .push(at("no-overlay", "overlays", "the scenario changes nothing".into()).help("add at least one overlay"));
    }
    let mut overlays = Vec::new();
    for (i, o) in raw.overlays.iter().enumerate() {
        let path = format!("overlays[{i}]");
        match overlay(o, &path, &at) {
            Ok(ov) => overlays.push((path, ov)),
            Err(mut d) => diags.append(&mut d),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Scenario {
        id: raw.id,
        title: raw.title,
        basis,
        effective_from: raw.effective_from,
        pack: raw.pack,
        overlays,
        file: file.to_path_buf(),
        text: text.to_string(),
        index,
    })
}

#[expect(clippy::result_large_err, reason = "once per value; diagnostics are collected, not propagated up a hot path")]
fn percent(
    v: Decimal,
    path: &str,
    at: &impl Fn(&'static str, &str, String) -> Diagnostic,
) -> Result<Percent, Diagnostic> {
    Percent::bounded(v).map_err(|e| at("bad-threshold", path, e.0).help("a percentage is between 0 and 100"))
}

fn rvc_of(
    r: &crate::raw::RawRvc,
    path: &str,
    at: &impl Fn(&'static str, &str, String) -> Diagnostic,
) -> Result<RvcRequirement, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut get = |v: Option<Decimal>, key: &str| {
        v.and_then(|v| percent(v, &format!("{path}.{key}"), at).map_err(|d| diags.push(d)).ok())
    };
    let out = RvcRequirement { tv: get(r.tv, "tv"), nc: get(r.nc, "nc") };
    if r.tv.is_none() && r.nc.is_none() {
        diags.push(at("empty-rvc", path, "the RVC names no threshold".into()).help("give `tv:`, `nc:` or both"));
    }
    if diags.is_empty() { Ok(out) } else { Err(diags) }
}

fn hs_set(
    codes: &[String],
    path: &str,
    at: &impl Fn(&'static str, &str, String) -> Diagnostic,
) -> Result<HsSet, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut set = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        match HsRange::parse(c) {
            Ok(r) => set.push(r),
            Err(e) => diags.push(
                at("bad-hs-code", &format!("{path}[{i}]"), format!("`{c}`: {e}"))
                    .help("write a code (`72`, `7208`, `7208.10`) or a range of one level (`7201-7229`)"),
            ),
        }
    }
    if diags.is_empty() { Ok(HsSet(set)) } else { Err(diags) }
}

fn overlay(
    o: &RawOverlay,
    path: &str,
    at: &impl Fn(&'static str, &str, String) -> Diagnostic,
) -> Result<Overlay, Vec<Diagnostic>> {
    let kinds = [
        o.raise_rvc.is_some(),
        o.set_rvc.is_some(),
        o.require_rvc.is_some(),
        o.remove_alternatives.is_some(),
        o.de_minimis.is_some(),
        o.content_cap.is_some(),
        o.melt_and_pour.is_some(),
        o.transit.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(vec![at("one-kind", path, "an overlay names exactly one kind of change".into()).help(
            "split it: one of raise_rvc, set_rvc, require_rvc, remove_alternatives, de_minimis, content_cap, melt_and_pour, transit per list item",
        )]);
    }
    let takes_scope = o.raise_rvc.is_some() || o.set_rvc.is_some() || o.require_rvc.is_some();
    let scope = match (&o.scope, takes_scope) {
        (Some(_), false) => {
            return Err(vec![
                at("scope-not-allowed", &format!("{path}.scope"), "only the RVC changes take a scope".into())
                    .help("remove `scope`; remove_alternatives names its rule"),
            ]);
        }
        (None, _) => Scope::All,
        (Some(s), true) => {
            let spath = format!("{path}.scope");
            let n = usize::from(s.chapter.is_some()) + usize::from(!s.hs.is_empty()) + usize::from(s.rule.is_some());
            if n != 1 {
                return Err(vec![
                    at("bad-scope", &spath, "a scope names one of `chapter`, `hs` or `rule`".into())
                        .help("leave `scope` out for every rule"),
                ]);
            }
            if let Some(c) = s.chapter {
                if !(1..=97).contains(&c) {
                    return Err(vec![
                        at("bad-scope", &format!("{spath}.chapter"), format!("`{c}` is not an HS chapter"))
                            .help("chapters are 1 to 97"),
                    ]);
                }
                Scope::Chapter(c)
            } else if let Some(r) = &s.rule {
                Scope::Rule(r.clone())
            } else {
                Scope::Hs(hs_set(&s.hs, &format!("{spath}.hs"), at)?)
            }
        }
    };
    if let Some(r) = &o.raise_rvc {
        if r.by <= Decimal::ZERO || r.by > Decimal::ONE_HUNDRED {
            return Err(vec![
                at("bad-threshold", &format!("{path}.raise_rvc.by"), format!("`{}` points is not a raise", r.by))
                    .help("give a number of points above 0 (and at most 100)"),
            ]);
        }
        return Ok(Overlay::RaiseRvc { by: r.by, scope });
    }
    if let Some(r) = &o.set_rvc {
        return Ok(Overlay::SetRvc { rvc: rvc_of(r, &format!("{path}.set_rvc"), at)?, scope });
    }
    if let Some(r) = &o.require_rvc {
        return Ok(Overlay::RequireRvc { rvc: rvc_of(r, &format!("{path}.require_rvc"), at)?, scope });
    }
    if let Some(r) = &o.remove_alternatives {
        if r.labels.is_empty() {
            return Err(vec![
                at("empty-labels", &format!("{path}.remove_alternatives.labels"), "no label to remove".into())
                    .help("list the labels, e.g. `[D]`"),
            ]);
        }
        return Ok(Overlay::RemoveAlternatives { rule: r.rule.clone(), labels: r.labels.clone() });
    }
    if let Some(d) = &o.de_minimis {
        return Ok(Overlay::DeMinimis {
            value_share: percent(d.value_share, &format!("{path}.de_minimis.value_share"), at).map_err(|d| vec![d])?,
        });
    }
    if let Some(c) = &o.content_cap {
        let cpath = format!("{path}.content_cap");
        let mut diags = Vec::new();
        let basis = match c.basis.as_str() {
            "transaction-value" => CapBasis::TransactionValue,
            "net-cost" => CapBasis::NetCost,
            "either" => CapBasis::Either,
            other => {
                diags.push(
                    at("bad-basis", &format!("{cpath}.basis"), format!("`{other}` is not a base"))
                        .help("write transaction-value, net-cost or either"),
                );
                CapBasis::Either
            }
        };
        let max_share = percent(c.max_share, &format!("{cpath}.max_share"), at).map_err(|d| diags.push(d)).ok();
        let mut countries = Vec::new();
        for (i, s) in c.countries.iter().enumerate() {
            match Country::parse(s) {
                Ok(k) => countries.push(k),
                Err(e) => diags.push(
                    at("bad-country", &format!("{cpath}.countries[{i}]"), e.0).help("write an ISO 3166-1 alpha-2 code"),
                ),
            }
        }
        let group = match (&c.group, countries.is_empty()) {
            (Some(g), true) if c.countries.is_empty() => g.clone(),
            (None, false) => countries.iter().map(Country::to_string).collect::<Vec<_>>().join(", "),
            _ if !diags.is_empty() => String::new(),
            _ => {
                diags.push(
                    at("bad-group", &cpath, "a content cap names either `group` or `countries`".into())
                        .help("`group: trade-remedy-watch` or `countries: [CN]`"),
                );
                String::new()
            }
        };
        if !diags.is_empty() {
            return Err(diags);
        }
        let max_share = max_share.unwrap_or(Percent(Decimal::ZERO));
        return Ok(Overlay::ContentCap(ContentCap { group, countries, max_share, basis }));
    }
    if let Some(m) = &o.melt_and_pour {
        let hs = if m.hs.is_empty() {
            HsSet(["72", "73", "76"].iter().filter_map(|c| HsCode::parse(c).ok()).map(HsRange::single).collect())
        } else {
            hs_set(&m.hs, &format!("{path}.melt_and_pour.hs"), at)?
        };
        return Ok(Overlay::MeltAndPour(MeltAndPour { hs }));
    }
    if let Some(t) = &o.transit {
        return Ok(Overlay::Transit { allowed_operations: t.allowed_operations.clone() });
    }
    Err(vec![at("one-kind", path, "an overlay names exactly one kind of change".into())])
}
