//! The facts of a stored run that the web pages read and the report does not repeat: each BOM line's
//! supplier and lot, each finding's suppliers and HS code, and the provenance picture of each lot a
//! finding names. Written with the run's rows (issue 13, item 7: a page never reads a batch file again);
//! runs stored before they existed get them once from their stored batches ([`Store::fill_read_facts`]).

use std::collections::{BTreeMap, HashMap};

use origin_engine::input::{GoodInput, load_batch};
use origin_engine::provenance::TracedGraph;
use origin_rules::RuleSet;
use sqlx::Row;

use crate::{Store, StoreError};

/// A good's BOM lines: line id -> (supplier, lot).
pub(crate) type Lines<'a> = HashMap<&'a str, (Option<&'a str>, Option<&'a str>)>;

/// The `determinations.lines` JSON: line id -> [supplier, lot], for the lines that name either, in line
/// id order (the same bytes on every backend and every run).
pub(crate) fn lines_json(lines: &Lines<'_>) -> Result<String, serde_json::Error> {
    let kept: BTreeMap<&str, (Option<&str>, Option<&str>)> =
        lines.iter().filter(|(_, (s, l))| s.is_some() || l.is_some()).map(|(k, v)| (*k, *v)).collect();
    serde_json::to_string(&kept)
}

/// The suppliers of the lines a finding names, deduplicated in the order named; of every line of the
/// good, sorted, when it names none (a finding about the whole good).
pub(crate) fn finding_suppliers<'a>(lines: &Lines<'a>, named: &[&str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    if named.is_empty() {
        out = lines.values().filter_map(|(s, _)| *s).collect();
        out.sort_unstable();
        out.dedup();
    } else {
        for l in named {
            if let Some(s) = lines.get(l).and_then(|(s, _)| *s)
                && !out.contains(&s)
            {
                out.push(s);
            }
        }
    }
    out
}

/// The suppliers lowercased, each between newlines: `supplier_key LIKE '%text%'` then matches a name
/// containing `text` and never spans two names (a filter text holds no newline).
pub(crate) fn supplier_key(suppliers: &[&str]) -> String {
    if suppliers.is_empty() {
        return String::new();
    }
    let mut key = String::from("\n");
    for s in suppliers {
        key.push_str(&s.to_lowercase());
        key.push('\n');
    }
    key
}

/// The lots the named lines draw from, in line order, each once.
pub(crate) fn named_lots<'a>(lines: &Lines<'a>, named: &[&str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for l in named {
        if let Some(lot) = lines.get(l).and_then(|(_, lot)| *lot)
            && !out.contains(&lot)
        {
            out.push(lot);
        }
    }
    out
}

/// A lot's picture as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotPicture {
    /// The lot id.
    pub lot: String,
    /// The SVG.
    pub svg: String,
    /// Whether origin laundering is suspected on its path.
    pub laundering: bool,
}

impl Store {
    /// A good's BOM lines as stored: line id -> (supplier, lot). Empty for a good without lines.
    pub async fn good_lines(
        &self,
        run: &str,
        batch: &str,
        good: &str,
    ) -> Result<BTreeMap<String, (Option<String>, Option<String>)>, StoreError> {
        let row = sqlx::query("SELECT lines FROM determinations WHERE run_id = $1 AND batch = $2 AND good = $3")
            .bind(run)
            .bind(batch)
            .bind(good)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(serde_json::from_str(&r.try_get::<String, _>("lines")?)?),
            None => Ok(BTreeMap::new()),
        }
    }

    /// The stored pictures of these lots of a run's batch, in the order asked (a lot without one is left
    /// out: the batch had no provenance, or its graph did not hold the lot).
    pub async fn lot_pictures(&self, run: &str, batch: &str, lots: &[String]) -> Result<Vec<LotPicture>, StoreError> {
        let mut out = Vec::with_capacity(lots.len());
        for lot in lots {
            let row = sqlx::query(
                "SELECT laundering, svg, svg_z FROM lot_pictures WHERE run_id = $1 AND batch = $2 AND lot = $3",
            )
            .bind(run)
            .bind(batch)
            .bind(lot)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = row {
                out.push(LotPicture {
                    lot: lot.clone(),
                    svg: crate::packed::text_column(&r, "svg_z", "svg", "a lot picture")?,
                    laundering: r.try_get::<i64, _>("laundering")? != 0,
                });
            }
        }
        Ok(out)
    }

    /// Runs stored before the read facts existed (migration 0006) get them now, from their stored
    /// batches, each run in one transaction: findings' HS codes and suppliers, determinations' lines,
    /// the lots' pictures. Returns the runs filled. A batch that no longer reads contributes nothing (it
    /// read when the run stored it); the run is marked filled all the same, so this reads it once.
    pub async fn fill_read_facts(&self, rules: &std::sync::Arc<RuleSet>) -> Result<Vec<String>, StoreError> {
        let runs: Vec<String> = sqlx::query("SELECT id FROM runs WHERE read_facts = 0 ORDER BY started_at")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        for run in &runs {
            self.fill_run(rules.clone(), run).await?;
        }
        Ok(runs)
    }

    async fn fill_run(&self, rules: std::sync::Arc<RuleSet>, run: &str) -> Result<(), StoreError> {
        let dir = crate::worker::tempfile_dir()?;
        let paths = crate::restore_inputs(self, run, dir.path()).await?;
        let batches = tokio::task::spawn_blocking(move || {
            let batches: Vec<_> = paths.iter().filter_map(|p| load_batch(p).ok()).collect();
            let pictures: Vec<Option<TracedGraph>> =
                batches.iter().map(|b| b.provenance.as_ref().and_then(|p| TracedGraph::build(&rules, p))).collect();
            (batches, pictures)
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("reading the batches of run `{run}`: {e}")))?;
        let (batches, pictures) = batches;
        let findings = sqlx::query("SELECT id, batch, good, finding FROM findings WHERE run_id = $1")
            .bind(run)
            .fetch_all(&self.pool)
            .await?;
        let mut by_good: HashMap<(String, String), Vec<(String, origin_engine::finding::Finding)>> = HashMap::new();
        for f in &findings {
            let json: String = f.try_get("finding")?;
            by_good
                .entry((f.try_get("batch")?, f.try_get("good")?))
                .or_default()
                .push((f.try_get("id")?, serde_json::from_str(&json)?));
        }
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE findings SET hs = COALESCE((SELECT d.hs FROM determinations d WHERE d.run_id = findings.run_id AND d.batch = findings.batch AND d.good = findings.good), '') WHERE run_id = $1",
        )
        .bind(run)
        .execute(&mut *tx)
        .await?;
        for (batch, pics) in batches.iter().zip(&pictures) {
            let mut drawn: std::collections::HashSet<&str> = std::collections::HashSet::new();
            for g in &batch.goods {
                let GoodInput::Ok(good) = g else { continue };
                let lines: Lines<'_> =
                    good.materials.iter().map(|m| (&*m.line, (m.supplier.as_deref(), m.lot.as_deref()))).collect();
                sqlx::query("UPDATE determinations SET lines = $1 WHERE run_id = $2 AND batch = $3 AND good = $4")
                    .bind(lines_json(&lines)?)
                    .bind(run)
                    .bind(&batch.header.id)
                    .bind(&good.id)
                    .execute(&mut *tx)
                    .await?;
                let Some(fs) = by_good.get(&(batch.header.id.clone(), good.id.clone())) else { continue };
                for (id, f) in fs {
                    let named: Vec<&str> = f.materials.iter().map(String::as_str).collect();
                    let suppliers = finding_suppliers(&lines, &named);
                    sqlx::query("UPDATE findings SET suppliers = $1, supplier_key = $2 WHERE id = $3")
                        .bind(serde_json::to_string(&suppliers)?)
                        .bind(supplier_key(&suppliers))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let Some(p) = pics else { continue };
                    for lot in named_lots(&lines, &named) {
                        if !drawn.insert(lot) {
                            continue;
                        }
                        if let Some((svg, laundering)) = p.lot_svg(lot) {
                            sqlx::query("INSERT INTO lot_pictures (run_id, batch, lot, laundering, svg) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, batch, lot) DO NOTHING")
                                .bind(run)
                                .bind(&batch.header.id)
                                .bind(lot)
                                .bind(i64::from(laundering))
                                .bind(svg)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
            }
        }
        sqlx::query("UPDATE runs SET read_facts = 1 WHERE id = $1").bind(run).execute(&mut *tx).await?;
        tx.commit().await?;
        drop(dir);
        Ok(())
    }
}
