//! Automotive staging: a part listed in Table A.1 (core parts) and other staged categories must meet the
//! staging table's RVC for the as-of date instead of the product-specific rule's threshold.
//!
//! Legal basis: GN 11(k)(iii)(B)-(D) ("Notwithstanding subdivision (o) ... is originating only if it
//! satisfies the regional value content requirement"); SOR/2020-155 s. 14(2); the pack's
//! `automotive.staging_tables`. Where the table is not encoded for the date, the good needs evidence:
//! the engine never falls back to the product-specific rule's own threshold or to another year's step.
//!
//! Example: a core part on 2021-09-01 faces 69 % NC (or 79 % TV where the rule has a TV method);
//! on 2026-11-01, 75 % / 85 %.

use origin_rules::{RuleSet, RvcRequirement, StagingAnswer, StagingCategory};

/// What the staging says for a good of `category` on the as-of date.
#[derive(Debug, Clone)]
pub enum Staging {
    /// The requirement that replaces the rule's RVC, and where it comes from.
    Requirement { rvc: RvcRequirement, table: String, citation: String, caveat: Option<&'static str> },
    /// The pack does not encode the category on that date.
    NotEncoded(String),
}

/// The staging requirement; `rule_has_tv` says whether the product-specific rule has a TV method (the
/// staged TV threshold applies only then).
pub fn staging(rules: &RuleSet, category: StagingCategory, as_of: chrono::NaiveDate, rule_has_tv: bool) -> Staging {
    let Some(t) = rules.automotive.staging_tables.iter().find(|t| t.category == category) else {
        return Staging::NotEncoded(
            "the rule pack has no staging table for this category; see automotive.yaml `not_encoded`".to_string(),
        );
    };
    match t.step_on(as_of) {
        StagingAnswer::Step(s) => Staging::Requirement {
            rvc: RvcRequirement { tv: if rule_has_tv { s.tv } else { None }, nc: Some(s.nc) },
            table: t.id.clone(),
            citation: t.provision.citation.to_string(),
            caveat: t.provision.review.caveat(),
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
