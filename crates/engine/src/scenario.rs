//! The checks of a what-if scenario that are not rule changes (`origin_rules::scenario`): a cap on
//! non-originating content of a country group, and melt and pour of steel and aluminium. They run on a
//! good's finished audit, because they read what the audit decided: each line's status, its value in
//! VNM and its traced origin (the provenance graph's answer, so content laundered through a third country
//! counts as the country it was traced to; a line without a traced lot counts as its declared origin).
//!
//! Example (cap CN at 10 % of the adjusted TV): TV 100.00, Chinese non-originating lines 10.00 -> 10.00 %,
//! within the cap; 10.01 -> 10.01 %, CONTENT_CAP_EXCEEDED and the good is not originating under the
//! scenario, with the fewest lines whose re-sourcing closes the 0.01 gap as the remedy.

use origin_core::{Currency, Decimal, Percent};
use origin_rules::scenario::{CapBasis, ContentCap, ScenarioChecks};

use crate::audit::{Determination, Outcome};
use crate::checks::rvc::smallest_closing_set;
use crate::finding::{CapBase, ClosingLine, Facts, Finding, LineRef, Set, Severity, Shown};
use crate::input::{Batch, Role};
use crate::run::{BatchReport, GoodReport, Progress, RunError, RunOptions, audit_batch_with, batch_report};

/// Audits `batch` under a scenario: `rules` is the pack with the overlay applied
/// (`Scenario::apply`), `checks` the scenario's checks, run on each good as it is audited.
pub fn audit_batch_under(
    rules: &origin_rules::RuleSet,
    checks: &ScenarioChecks,
    batch: &Batch,
    opts: &RunOptions,
    progress: &Progress,
) -> Result<BatchReport, RunError> {
    let mut goods = Vec::with_capacity(batch.goods.len());
    let currency = batch.header.currency;
    let (head, _) = audit_batch_with(
        rules,
        batch,
        opts,
        progress,
        |mut g| {
            apply_checks(checks, currency, &mut g);
            g
        },
        |g| {
            goods.push(g);
            Ok(())
        },
    )?;
    Ok(batch_report(head, goods))
}

/// Applies the scenario's checks to one good's report: findings added, the outcome lowered where they
/// decide it (a cap exceeded: not qualified; melt and pour unproven: a qualified good needs evidence),
/// and the certificate draft withdrawn from a good no longer qualified.
pub fn apply_checks(checks: &ScenarioChecks, currency: Currency, report: &mut GoodReport) {
    let good = report.audit.good.clone();
    let mut added = Vec::new();
    for cap in &checks.caps {
        if let Some(f) = cap_finding(&checks.scenario, cap, currency, &good, &report.audit.determination) {
            lower(&mut report.audit.determination, Outcome::NotQualified, &f.message);
            added.push(f);
        }
    }
    if let Some(mp) = &checks.melt_and_pour {
        let lines: Vec<LineRef> = report
            .audit
            .determination
            .materials
            .iter()
            .map(|m| &*m.material)
            .filter(|m| !matches!(m.role, Role::Packing | Role::Indirect))
            .filter(|m| m.hs.is_some_and(|h| mp.hs.0.iter().any(|r| r.overlaps_code(h))))
            .map(|m| LineRef { line: m.line.to_string(), description: Shown(m.description.to_string()) })
            .collect();
        if !lines.is_empty() {
            let f = Finding::of(
                Severity::Blocking,
                &good,
                Facts::MeltAndPourUnproven { scenario: checks.scenario.clone(), lines: Set(lines) },
            );
            lower(&mut report.audit.determination, Outcome::NeedsEvidence, &f.message);
            added.push(f);
        }
    }
    if added.is_empty() {
        return;
    }
    report.audit.findings.extend(added);
    report.audit.findings.sort_by_key(|f| (f.severity, f.code));
    if report.audit.determination.outcome != Outcome::Qualified {
        report.certificate = None;
    }
}

/// Lowers the outcome to `to` when it is better (qualified > needs evidence > not qualified).
fn lower(det: &mut Determination, to: Outcome, why: &str) {
    let rank = |o: Outcome| match o {
        Outcome::Qualified => 2,
        Outcome::NeedsEvidence => 1,
        Outcome::NotQualified => 0,
    };
    if rank(to) >= rank(det.outcome) {
        return;
    }
    det.summary = format!("{}: {why}; before the scenario's check: {}", to.as_str(), det.summary);
    det.outcome = to;
    det.criterion = None;
    det.alternative = None;
}

/// The finding when the good's content traced to the cap's group is above the cap on every base it
/// is measured against.
fn cap_finding(
    scenario: &str,
    cap: &ContentCap,
    currency: Currency,
    good: &str,
    det: &Determination,
) -> Option<Finding> {
    let lines: Vec<ClosingLine> = det
        .materials
        .iter()
        .filter(|m| m.status.counts_as_non_originating() && m.vnm > Decimal::ZERO)
        .filter(|m| m.traced_origin.or(m.material.origin).is_some_and(|c| cap.countries.contains(&c)))
        .map(|m| ClosingLine {
            line: m.material.line.to_string(),
            description: Shown(m.material.description.to_string()),
            vnm: m.vnm,
        })
        .collect();
    let capped: Decimal = lines.iter().map(|l| l.vnm).sum();
    if capped <= Decimal::ZERO {
        return None;
    }
    let v = &det.values;
    let wanted: Vec<(&str, Option<Decimal>)> = match cap.basis {
        CapBasis::TransactionValue => vec![("transaction-value", v.adjusted_transaction_value)],
        CapBasis::NetCost => vec![("net-cost", v.net_cost)],
        CapBasis::Either => vec![("transaction-value", v.adjusted_transaction_value), ("net-cost", v.net_cost)],
    };
    let bases: Vec<CapBase> = wanted
        .into_iter()
        .filter_map(|(method, base)| {
            let base = base.filter(|b| *b > Decimal::ZERO)?;
            Some(CapBase { method: method.to_string(), base, share: Percent::ratio(capped, base)? })
        })
        .collect();
    // "At most": a share equal to the cap is within it. No base stated: the share cannot be shown to be
    // within the cap, so the finding stands (the good cannot be shown to meet the scenario).
    if bases.iter().any(|b| b.share <= cap.max_share) {
        return None;
    }
    // The gap on the most lenient base: capped value above max_share x base.
    let gap =
        bases.iter().map(|b| capped - b.base * cap.max_share.value() / Decimal::ONE_HUNDRED).min().unwrap_or(capped);
    let (set, closes) = smallest_closing_set(lines.iter().map(|l| (l.line.clone(), l.vnm)).collect(), gap);
    let closing: Vec<ClosingLine> = if closes {
        set.iter().filter_map(|(id, _)| lines.iter().find(|l| &l.line == id).cloned()).collect()
    } else {
        Vec::new()
    };
    Some(Finding::of(
        Severity::Blocking,
        good,
        Facts::ContentCapExceeded {
            scenario: scenario.to_string(),
            group: cap.group.clone(),
            max_share: cap.max_share,
            bases,
            lines: Set(lines),
            capped,
            closing: Shown(closing),
            currency,
        },
    ))
}
