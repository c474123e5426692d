//! Automotive staging: a part listed in Table A.1 (core parts) and other staged categories must meet the
//! staging table's RVC for the as-of date instead of the product-specific rule's threshold.
//!
//! Legal basis: GN 11(k)(iii)(B)-(D) ("Notwithstanding subdivision (o) ... is originating only if it
//! satisfies the regional value content requirement"); GN 11(k) page 43 paragraph (B) (60 % net cost for
//! the other vehicles and their 8407/8408/8708.40 goods, "notwithstanding the provisions of subdivision
//! (o)"); Automotive Appendix Art. 4.2 (heavy-truck principal parts, Table D; CBP HQ H313365: the RVC is
//! required even where the product rule is a tariff shift only); SOR/2020-155 s. 14(2); the pack's
//! `automotive.staging_tables`. Where the table is not encoded for the date or the good, the good needs
//! evidence: the engine never falls back to the product-specific rule's own threshold or to another
//! year's step.
//!
//! Example: a core part on 2021-09-01 faces 69 % NC (or 79 % TV where the rule has a TV method);
//! on 2026-11-01, 75 % / 85 %.

use origin_core::HsCode;
use origin_rules::{RuleSet, RvcRequirement, StagingAnswer, StagingCategory, StagingScope};

/// What the staging says for a good of `category` on the as-of date.
#[derive(Debug, Clone)]
pub enum Staging {
    /// The requirement that replaces the rule's RVC, and where it comes from.
    Requirement {
        /// The staged thresholds (TV only where the rule has a TV method and the figure was read).
        rvc: RvcRequirement,
        /// The table's id.
        table: String,
        /// The table's citation.
        citation: String,
        /// The caveat of a table not read in full in an official copy.
        caveat: Option<&'static str>,
        /// Which alternatives of the rule must meet it.
        scope: StagingScope,
        /// The rule has a TV method and the law gives a staged TV figure for the date that the pack
        /// does not hold: only the NC figure can decide the good.
        tv_not_retrieved: bool,
    },
    /// The pack does not encode the category on that date (or for that good).
    NotEncoded(String),
}

impl Staging {
    /// Whether the staged RVC governs an alternative (`has_rvc`: the alternative carries an RVC of
    /// its own). `None`: the text read does not say.
    pub fn governs(&self, has_rvc: bool) -> Option<bool> {
        match self {
            Staging::Requirement { scope: StagingScope::EveryAlternative, .. } => Some(true),
            Staging::Requirement { scope: StagingScope::RvcAlternatives, .. } => Some(has_rvc),
            Staging::Requirement { scope: StagingScope::Unknown, .. } => has_rvc.then_some(true),
            Staging::NotEncoded(_) => None,
        }
    }
}

/// The staging requirement for a good of `hs`; `rule_has_tv` says whether the product-specific rule has
/// a TV method (the staged TV threshold applies only then).
pub fn staging(
    rules: &RuleSet,
    category: StagingCategory,
    hs: HsCode,
    as_of: chrono::NaiveDate,
    rule_has_tv: bool,
) -> Staging {
    let Some(t) = rules.automotive.staging_tables.iter().find(|t| t.category == category) else {
        return Staging::NotEncoded(
            "the rule pack has no staging table for this category; see automotive.yaml `not_encoded`".to_string(),
        );
    };
    if !t.hs.0.is_empty() && !t.hs.contains(hs) {
        let covers: Vec<String> = t.hs.0.iter().map(|r| r.to_string()).collect();
        return Staging::NotEncoded(format!(
            "staging table `{}` covers only {}; the staging for `{hs}` is not encoded",
            t.id,
            covers.join(", ")
        ));
    }
    match t.step_on(as_of) {
        StagingAnswer::Step(s) => Staging::Requirement {
            rvc: RvcRequirement { tv: if rule_has_tv { s.tv } else { None }, nc: Some(s.nc) },
            table: t.id.clone(),
            citation: t.provision.citation.to_string(),
            caveat: t.provision.review.caveat(),
            scope: t.scope_for(hs),
            tv_not_retrieved: rule_has_tv && s.tv_not_retrieved,
        },
        StagingAnswer::BeforeFirstStep => Staging::NotEncoded(format!("staging table `{}` starts after {as_of}", t.id)),
        StagingAnswer::NotEncoded => Staging::NotEncoded(format!(
            "staging table `{}` is known only until {}; {}",
            t.id,
            t.steps_known_until.map(|d| d.to_string()).unwrap_or_default(),
            t.missing.as_deref().unwrap_or("later steps were not retrieved")
        )),
    }
}
