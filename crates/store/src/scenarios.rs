//! Scenario runs: a stored run re-audited under a what-if scenario (docs/scenarios.md), from what the
//! store holds (the run's batch, BOM and rule-pack blobs: no input file is read again), goods in
//! parallel, and the goods whose outcome changed stored linked to the base run (migration 0008).
//!
//! The re-audit keeps the base run's date and options, so the only difference from the base run is the
//! overlay. For each changed good it keeps the cheapest fix the engine's remedies compute (the RVC's and
//! the content cap's smallest closing sets; otherwise the blocking finding's remedy) with the BOM lines it
//! names, their suppliers and (traced) origins: what the impact groups by (`crate::impact`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use origin_core::Decimal;
use origin_engine::audit::Outcome;
use origin_engine::finding::{Facts, Severity};
use origin_engine::input::{Good, GoodInput};
use origin_engine::run::{GoodReport, Progress, RunError, RunOptions, audit_prepared_with, log_phase, prepare};
use origin_engine::scenario::apply_checks;
use origin_rules::Diagnostic;
use origin_rules::scenario::Scenario;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::runner::RunnerError;
use crate::runs::from_word;
use crate::worker::{materialize, tempfile_dir};
use crate::{Store, StoreError, new_id, now, sha256_hex};

/// Why a scenario run did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The scenario does not apply to the run's rule pack (each problem located in the scenario file).
    #[error("the scenario does not apply to the run's rule pack: {} problem(s)", .0.len())]
    Scenario(Vec<Diagnostic>),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Re-auditing.
    #[error(transparent)]
    Run(#[from] RunnerError),
}

impl From<sqlx::Error> for ScenarioError {
    fn from(e: sqlx::Error) -> Self {
        ScenarioError::Store(StoreError::from(e))
    }
}

/// A stored scenario run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScenarioRunRow {
    /// Id.
    pub id: String,
    /// The run re-audited.
    pub base_run: String,
    /// The scenario's id.
    pub scenario: String,
    /// Its title.
    pub title: String,
    /// `hypothetical`, or the proposal it models.
    pub basis: String,
    /// The scenario's first day (duty rates are read as of it).
    pub effective_from: String,
    /// sha256 of the scenario file as run.
    pub digest: String,
    /// Who ran it.
    pub actor: String,
    /// Started.
    pub started_at: String,
    /// Finished.
    pub finished_at: String,
    /// Goods re-audited.
    pub goods: i64,
    /// Qualified under the scenario.
    pub qualified: i64,
    /// Not qualified under the scenario.
    pub not_qualified: i64,
    /// Needing evidence under the scenario.
    pub needs_evidence: i64,
    /// Goods whose outcome differs from the base run's.
    pub changed: i64,
}

/// A BOM line a fix (or the cause) names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FixLine {
    /// BOM line.
    pub line: String,
    /// Its supplier, as the BOM names it.
    pub supplier: Option<String>,
    /// Its traced origin where the provenance data traces its lot, else its declared origin.
    pub origin: Option<String>,
    /// Its value counted in VNM.
    #[schemars(with = "String")]
    pub value: Decimal,
}

/// A good whose outcome changed under the scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChangedGood {
    /// Batch id.
    pub batch: String,
    /// Good id.
    pub good: String,
    /// Classification.
    pub hs: String,
    /// Description.
    pub description: String,
    /// The base run's outcome.
    pub base_outcome: Outcome,
    /// The outcome under the scenario.
    pub outcome: Outcome,
    /// The determination's sentence under the scenario.
    pub summary: String,
    /// The cheapest fix, in words (`none needed` for a good that now qualifies).
    pub fix: String,
    /// The lines the fix names (or the lines of the finding that decides the good).
    pub fix_lines: Vec<FixLine>,
    /// The blocking finding codes under the scenario.
    pub codes: Vec<String>,
    /// The good's place of production: its country of origin for duty.
    pub country: String,
    /// The adjusted transaction value (customs value), in `currency`.
    #[schemars(with = "Option<String>")]
    pub customs_value: Option<Decimal>,
    /// The batch currency.
    pub currency: String,
}

impl ChangedGood {
    /// Whether the good lost the preference (was qualified, is not).
    pub fn lost(&self) -> bool {
        self.base_outcome == Outcome::Qualified && self.outcome != Outcome::Qualified
    }

    /// Whether the good gained it.
    pub fn gained(&self) -> bool {
        self.base_outcome != Outcome::Qualified && self.outcome == Outcome::Qualified
    }

    /// The good's chapter (two digits).
    pub fn chapter(&self) -> String {
        self.hs.chars().filter(char::is_ascii_digit).take(2).collect()
    }
}

/// The cheapest fix of a good not qualified under a scenario. The scenario's own blockers come first
/// (a content cap, melt and pour, transit: nothing else makes the good qualify while they stand); then,
/// among the blocking findings with a closing set (RVC), the one that re-sources the least value; else
/// the first blocking finding's remedy. The other blocking findings are named after it.
fn cheapest_fix(r: &GoodReport) -> (String, Vec<FixLine>) {
    use origin_engine::finding::Code;
    if r.audit.determination.outcome == Outcome::Qualified {
        return ("none needed: qualifies under the scenario".into(), Vec::new());
    }
    let blocking: Vec<&origin_engine::finding::Finding> =
        r.audit.findings.iter().filter(|f| f.severity == Severity::Blocking).collect();
    let own = [Code::ContentCapExceeded, Code::MeltAndPourUnproven, Code::TransitOutsideParties];
    let closing = |f: &origin_engine::finding::Finding| -> Option<Vec<(String, Decimal)>> {
        match f.facts.as_ref()? {
            Facts::RvcBelowThreshold { closing, closes: true, .. } => {
                Some(closing.iter().map(|c| (c.line.clone(), c.vnm)).collect())
            }
            Facts::ContentCapExceeded { closing, .. } if !closing.is_empty() => {
                Some(closing.iter().map(|c| (c.line.clone(), c.vnm)).collect())
            }
            _ => None,
        }
    };
    let lines_of = |f: &origin_engine::finding::Finding| {
        closing(f).map(|c| c.into_iter().map(|l| l.0).collect()).unwrap_or_else(|| f.materials.clone())
    };
    let chosen = own
        .iter()
        .find_map(|c| blocking.iter().find(|f| f.code == *c))
        .or_else(|| {
            blocking
                .iter()
                .filter_map(|f| closing(f).map(|c| (c.iter().map(|l| l.1).sum::<Decimal>(), f)))
                .min_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, f)| f)
        })
        .or_else(|| blocking.first());
    let Some(f) = chosen else {
        return ("no blocking finding names a fix: see the determination".into(), Vec::new());
    };
    let lines = lines_of(f);
    let fix_lines = lines
        .iter()
        .filter_map(|l| r.audit.determination.materials.iter().find(|m| &*m.material.line == l))
        .map(|m| FixLine {
            line: m.material.line.to_string(),
            supplier: m.material.supplier.as_ref().map(|s| s.to_string()),
            origin: m.traced_origin.or(m.material.origin).map(|c| c.to_string()),
            value: m.vnm,
        })
        .collect();
    let mut others: Vec<&str> = blocking.iter().filter(|o| !std::ptr::eq(**o, *f)).map(|o| o.code.as_str()).collect();
    others.dedup();
    let also = if others.is_empty() { String::new() } else { format!(" (also open: {})", others.join(", ")) };
    (format!("{}: {}{also}", f.code.as_str(), f.remedy), fix_lines)
}

/// What a re-audited good gives back: its outcome, and its row when it changed.
struct Reaudited {
    outcome: Outcome,
    changed: Option<ChangedGood>,
}

impl Store {
    /// Re-audits the completed run `base_run` under `scenario` and stores the result linked to it.
    /// `threads`: audit threads (default: the machine's parallelism).
    pub async fn run_scenario(
        &self,
        scenario: &Scenario,
        base_run: &str,
        actor: &str,
        threads: Option<usize>,
    ) -> Result<ScenarioRunRow, ScenarioError> {
        let started_at = now();
        let started = Instant::now();
        let run = self.run(base_run).await?;
        if run.status != "completed" {
            return Err(StoreError::Invalid(format!(
                "run `{base_run}` is {}, not completed: a scenario compares against a finished run",
                run.status
            ))
            .into());
        }
        let rows = sqlx::query("SELECT batch, good, outcome FROM determinations WHERE run_id = $1")
            .bind(base_run)
            .fetch_all(self.pool())
            .await?;
        let mut base: HashMap<(String, String), Outcome> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let o: String = r.try_get("outcome")?;
            base.insert((r.try_get("batch")?, r.try_get("good")?), from_word(&o)?);
        }
        drop(rows);
        let dir = tempfile_dir().map_err(RunnerError::Io)?;
        let (rules, batches, mut opts) = materialize(self, base_run, dir.path()).await?;
        log_phase("read stored inputs", started.elapsed(), format_args!("run {base_run}"));
        opts.threads = threads;
        let (rules, checks) = scenario.apply(&rules).map_err(ScenarioError::Scenario)?;
        let started_audit = Instant::now();
        let (counts, changed) = tokio::task::spawn_blocking(move || reaudit(&rules, &checks, &batches, &opts, &base))
            .await
            .map_err(|e| RunnerError::NotStarted(RunError::Internal(e.to_string())))?
            .map_err(RunnerError::NotStarted)?;
        log_phase(
            "re-audit",
            started_audit.elapsed(),
            format_args!("{} good(s), {} changed", counts[3], changed.len()),
        );
        let row = ScenarioRunRow {
            id: new_id(),
            base_run: base_run.to_string(),
            scenario: scenario.id.clone(),
            title: scenario.title.clone(),
            basis: scenario.basis.words(),
            effective_from: scenario.effective_from.to_string(),
            digest: sha256_hex(scenario.text.as_bytes()),
            actor: actor.to_string(),
            started_at,
            finished_at: now(),
            goods: counts[3],
            qualified: counts[0],
            not_qualified: counts[1],
            needs_evidence: counts[2],
            changed: i64::try_from(changed.len()).unwrap_or(i64::MAX),
        };
        let started_store = Instant::now();
        self.store_scenario(&row, &scenario.text, &changed).await?;
        log_phase("store scenario", started_store.elapsed(), format_args!("{} changed good(s)", changed.len()));
        Ok(row)
    }

    async fn store_scenario(
        &self,
        row: &ScenarioRunRow,
        content: &str,
        changed: &[ChangedGood],
    ) -> Result<(), ScenarioError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO scenario_runs (id, base_run, scenario, title, basis, effective_from, digest, content, actor, started_at, finished_at, goods, qualified, not_qualified, needs_evidence, changed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&row.id)
        .bind(&row.base_run)
        .bind(&row.scenario)
        .bind(&row.title)
        .bind(&row.basis)
        .bind(&row.effective_from)
        .bind(&row.digest)
        .bind(content)
        .bind(&row.actor)
        .bind(&row.started_at)
        .bind(&row.finished_at)
        .bind(row.goods)
        .bind(row.qualified)
        .bind(row.not_qualified)
        .bind(row.needs_evidence)
        .bind(row.changed)
        .execute(&mut *tx)
        .await?;
        for g in changed {
            sqlx::query(
                "INSERT INTO scenario_goods (scenario_run, batch, good, hs, description, base_outcome, outcome, summary, fix, fix_lines, codes, country, customs_value, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&row.id)
            .bind(&g.batch)
            .bind(&g.good)
            .bind(&g.hs)
            .bind(&g.description)
            .bind(g.base_outcome.slug())
            .bind(g.outcome.slug())
            .bind(&g.summary)
            .bind(&g.fix)
            .bind(serde_json::to_string(&g.fix_lines).map_err(StoreError::from)?)
            .bind(serde_json::to_string(&g.codes).map_err(StoreError::from)?)
            .bind(&g.country)
            .bind(g.customs_value.map(|v| v.to_string()))
            .bind(&g.currency)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Scenario runs, newest first; of one base run when `base_run` is given.
    pub async fn scenario_runs(&self, base_run: Option<&str>) -> Result<Vec<ScenarioRunRow>, StoreError> {
        let rows = match base_run {
            Some(b) => {
                sqlx::query(&format!("SELECT {COLS} FROM scenario_runs WHERE base_run = $1 ORDER BY started_at DESC"))
                    .bind(b)
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query(&format!("SELECT {COLS} FROM scenario_runs ORDER BY started_at DESC"))
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(scenario_row).collect()
    }

    /// One scenario run.
    pub async fn scenario_run(&self, id: &str) -> Result<ScenarioRunRow, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM scenario_runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no scenario run `{id}`")))?;
        scenario_row(&row)
    }

    /// The scenario file a scenario run used, as it was.
    pub async fn scenario_content(&self, id: &str) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT content FROM scenario_runs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no scenario run `{id}`")))?;
        Ok(row.try_get("content")?)
    }

    /// The goods whose outcome changed in a scenario run, by batch and good.
    pub async fn scenario_goods(&self, id: &str) -> Result<Vec<ChangedGood>, StoreError> {
        let rows = sqlx::query(
            "SELECT batch, good, hs, description, base_outcome, outcome, summary, fix, fix_lines, codes, country, customs_value, currency FROM scenario_goods WHERE scenario_run = $1 ORDER BY batch, good",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let value: Option<String> = r.try_get("customs_value")?;
                let customs_value = match value {
                    Some(v) => Some(
                        v.parse::<Decimal>()
                            .map_err(|e| StoreError::Invalid(format!("stored customs value `{v}`: {e}")))?,
                    ),
                    None => None,
                };
                Ok(ChangedGood {
                    batch: r.try_get("batch")?,
                    good: r.try_get("good")?,
                    hs: r.try_get("hs")?,
                    description: r.try_get("description")?,
                    base_outcome: from_word(&r.try_get::<String, _>("base_outcome")?)?,
                    outcome: from_word(&r.try_get::<String, _>("outcome")?)?,
                    summary: r.try_get("summary")?,
                    fix: r.try_get("fix")?,
                    fix_lines: serde_json::from_str(&r.try_get::<String, _>("fix_lines")?)?,
                    codes: serde_json::from_str(&r.try_get::<String, _>("codes")?)?,
                    country: r.try_get("country")?,
                    customs_value,
                    currency: r.try_get("currency")?,
                })
            })
            .collect()
    }
}

const COLS: &str = "id, base_run, scenario, title, basis, effective_from, digest, actor, started_at, finished_at, goods, qualified, not_qualified, needs_evidence, changed";

fn scenario_row(r: &sqlx::any::AnyRow) -> Result<ScenarioRunRow, StoreError> {
    Ok(ScenarioRunRow {
        id: r.try_get("id")?,
        base_run: r.try_get("base_run")?,
        scenario: r.try_get("scenario")?,
        title: r.try_get("title")?,
        basis: r.try_get("basis")?,
        effective_from: r.try_get("effective_from")?,
        digest: r.try_get("digest")?,
        actor: r.try_get("actor")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        goods: r.try_get("goods")?,
        qualified: r.try_get("qualified")?,
        not_qualified: r.try_get("not_qualified")?,
        needs_evidence: r.try_get("needs_evidence")?,
        changed: r.try_get("changed")?,
    })
}

/// Audits every good of every batch under the scenario (goods in parallel, `audit_prepared_with`);
/// returns the outcome counts `[qualified, not qualified, needs evidence, goods]` and the changed goods.
fn reaudit(
    rules: &origin_rules::RuleSet,
    checks: &origin_rules::scenario::ScenarioChecks,
    batches: &[origin_engine::input::Batch],
    opts: &RunOptions,
    base: &HashMap<(String, String), Outcome>,
) -> Result<([i64; 4], Vec<ChangedGood>), RunError> {
    let progress = Arc::new(Progress::default());
    let mut counts = [0i64; 4];
    let mut changed = Vec::new();
    for batch in batches {
        let prepared = prepare(rules, batch, opts)?;
        let goods: HashMap<&str, &Good> = batch
            .goods
            .iter()
            .filter_map(|g| match g {
                GoodInput::Ok(g) => Some((g.id.as_str(), &**g)),
                _ => None,
            })
            .collect();
        let all: Vec<usize> = (0..batch.good_count()).collect();
        let id = batch.header.id.as_str();
        let currency = batch.header.currency;
        audit_prepared_with(
            rules,
            batch,
            &prepared,
            &all,
            opts,
            &progress,
            |_, mut g| {
                apply_checks(checks, currency, &mut g);
                let outcome = g.audit.determination.outcome;
                let was = base.get(&(id.to_string(), g.audit.good.clone())).copied();
                let changed = match was {
                    Some(was) if was != outcome => {
                        let (fix, fix_lines) = cheapest_fix(&g);
                        let input = goods.get(g.audit.good.as_str());
                        let det = &g.audit.determination;
                        Some(ChangedGood {
                            batch: id.to_string(),
                            good: g.audit.good.clone(),
                            hs: g.audit.hs.clone(),
                            description: g.audit.description.clone(),
                            base_outcome: was,
                            outcome,
                            summary: det.summary.clone(),
                            fix,
                            fix_lines,
                            codes: g
                                .audit
                                .findings
                                .iter()
                                .filter(|f| f.severity == Severity::Blocking)
                                .map(|f| f.code.as_str().to_string())
                                .collect(),
                            country: input.map(|g| g.place_of_production.to_string()).unwrap_or_default(),
                            customs_value: det.values.adjusted_transaction_value,
                            currency: currency.to_string(),
                        })
                    }
                    _ => None,
                };
                Reaudited { outcome, changed }
            },
            |r| {
                counts[3] += 1;
                match r.outcome {
                    Outcome::Qualified => counts[0] += 1,
                    Outcome::NotQualified => counts[1] += 1,
                    Outcome::NeedsEvidence => counts[2] += 1,
                }
                changed.extend(r.changed);
                Ok(())
            },
        )?;
    }
    Ok((counts, changed))
}
