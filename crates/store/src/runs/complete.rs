//! Ending a run: the final commit (earlier findings resolved, certificates withdrawn, counts), a stop
//! (failed or cancelled), and the store as the pipeline's result sink.

use super::*;

impl Store {
    /// The final commit: resolves earlier findings this run no longer raises, withdraws certificates of
    /// goods that no longer qualify, writes the counts and marks the run `completed`.
    pub async fn complete_run(&self, run: &str, actor: &str) -> Result<CompletedRun, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT status, goods_total, goods_done FROM runs WHERE id = $1")
            .bind(run)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no run `{run}`")))?;
        let status: String = row.try_get("status")?;
        if status != "running" {
            return Err(StoreError::Invalid(format!("run `{run}` is {status}; only a running run can be completed")));
        }
        let at = now();
        let subject = format!("run:{run}");
        let stale = stale_findings(&mut tx, self.backend, run).await?;
        let mut resolved = Vec::with_capacity(stale.len());
        for r in &stale {
            let (id, version, from): (String, i64, String) =
                (r.try_get("id")?, r.try_get("version")?, r.try_get("status")?);
            sqlx::query("UPDATE findings SET status = 'resolved', version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
                .bind(&at)
                .bind(&id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            let note = format!("cleared by run {run}: the run no longer raises this finding");
            let review = new_id();
            sqlx::query("INSERT INTO reviews (id, finding_id, decision, from_status, to_status, version, note, reviewer, role, at) VALUES ($1, $2, 'resolve', $3, 'resolved', $4, $5, $6, 'system', $7)")
                .bind(&review)
                .bind(&id)
                .bind(&from)
                .bind(version + 1)
                .bind(&note)
                .bind(&subject)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            append(
                &mut tx,
                actor,
                "finding.resolved",
                &format!("finding:{id}"),
                &json!({
                    "run": run, "from_status": from, "version": version + 1, "review": review,
                    "review_digest": review_digest(&review, &id, "resolve", &from, "resolved", version + 1, &note, &subject, "system", &at)?,
                }),
            )
            .await?;
            resolved.push(id);
        }
        // Issued certificates of goods that this run finds not qualified: withdrawn.
        let certs = sqlx::query(
            "SELECT c.id, c.version, c.good, d.outcome, d.summary FROM certificates c JOIN determinations d ON d.run_id = $1 AND d.batch = c.batch AND d.good = c.good \
             WHERE c.status = 'issued' AND d.outcome <> 'qualified' ORDER BY c.id",
        )
        .bind(run)
        .fetch_all(&mut *tx)
        .await?;
        let mut withdrawn = Vec::with_capacity(certs.len());
        for c in &certs {
            let (id, version, good, outcome, summary): (String, i64, String, String, String) = (
                c.try_get("id")?,
                c.try_get("version")?,
                c.try_get("good")?,
                c.try_get("outcome")?,
                c.try_get("summary")?,
            );
            let reason = format!("run {run} finds good `{good}` {}: {summary}", outcome.replace('-', " "));
            sqlx::query("UPDATE certificates SET status = 'withdrawn', withdrawn_at = $1, withdrawn_by_run = $2, withdrawn_reason = $3 WHERE id = $4")
                .bind(&at)
                .bind(run)
                .bind(&reason)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            let certificate_digest = certificate_digest_in(&mut tx, &id).await?;
            append(
                &mut tx,
                actor,
                "certificate.withdrawn",
                &format!("certificate:{id}"),
                &json!({"run": run, "good": good, "version": version, "reason": reason, "certificate_digest": certificate_digest}),
            )
            .await?;
            withdrawn.push(Withdrawal { certificate: id, version, good, reason });
        }
        let counts =
            sqlx::query("SELECT outcome, COUNT(*) AS n FROM determinations WHERE run_id = $1 GROUP BY outcome")
                .bind(run)
                .fetch_all(&mut *tx)
                .await?;
        let (mut qualified, mut not_qualified, mut needs_evidence, mut goods) = (0i64, 0i64, 0i64, 0i64);
        for c in &counts {
            let (o, n): (String, i64) = (c.try_get("outcome")?, c.try_get("n")?);
            goods += n;
            match from_word::<Outcome>(&o)? {
                Outcome::Qualified => qualified += n,
                Outcome::NotQualified => not_qualified += n,
                Outcome::NeedsEvidence => needs_evidence += n,
            }
        }
        // One pass over the run's findings for both counts.
        let sev = sqlx::query(
            "SELECT severity, COUNT(*) AS n, COUNT(carried_from) AS carried FROM findings WHERE run_id = $1 GROUP BY severity ORDER BY severity",
        )
        .bind(run)
        .fetch_all(&mut *tx)
        .await?;
        let mut summary = RunSummary {
            goods,
            qualified,
            not_qualified,
            needs_evidence,
            resolved: resolved.clone(),
            withdrawn_certificates: withdrawn.clone(),
            ..RunSummary::default()
        };
        for s in &sev {
            let (k, n, carried): (String, i64, i64) = (s.try_get("severity")?, s.try_get("n")?, s.try_get("carried")?);
            summary.findings += n;
            summary.carried_over += carried;
            summary.findings_by_severity.insert(from_word(&k)?, n);
        }
        let (findings, carried_over) = (summary.findings, summary.carried_over);
        sqlx::query(
            "UPDATE runs SET status = 'completed', finished_at = $1, qualified = $2, not_qualified = $3, needs_evidence = $4, findings = $5, summary = $6 WHERE id = $7",
        )
        .bind(&at)
        .bind(qualified)
        .bind(not_qualified)
        .bind(needs_evidence)
        .bind(findings)
        .bind(serde_json::to_string(&summary)?)
        .bind(run)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, actor, "run.completed", &subject, &serde_json::to_value(&summary)?).await?;
        tx.commit().await?;
        Ok(CompletedRun { run: self.run(run).await?, resolved, carried_over, withdrawn })
    }

    /// Marks a running run failed or cancelled (it stays resumable).
    pub async fn stop_run(&self, run: &str, actor: &str, status: RunStatus, reason: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query("UPDATE runs SET status = $1, finished_at = $2 WHERE id = $3 AND status = 'running'")
            .bind(status.as_str())
            .bind(now())
            .bind(run)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n > 0 {
            append(
                &mut tx,
                actor,
                &format!("run.{}", status.as_str()),
                &format!("run:{run}"),
                &json!({"reason": reason}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The store as the engine's result sink for one run.
#[derive(Debug)]
pub struct RunSink<'a> {
    /// The store.
    pub store: &'a Store,
    /// The run.
    pub run: String,
    /// Who runs it.
    pub actor: String,
}

impl ResultSink for RunSink<'_> {
    type Error = StoreError;
    type Row = GoodRows;

    fn prep(&self) -> Prep<GoodRows, StoreError> {
        Arc::new(GoodRows::make)
    }

    async fn stored(&mut self) -> Result<HashSet<(String, String)>, StoreError> {
        self.store.stored_goods(&self.run).await
    }

    async fn write_chunk(&mut self, goods: &[GoodResult<'_>], rows: Vec<GoodRows>) -> Result<(), StoreError> {
        self.store.write_prepared(&self.run, &self.actor, goods, &rows).await
    }
}

/// Earlier findings on the goods of `run` that `run` no longer raises (to be resolved), in id order.
///
/// None when no other run is completed: a store's first run skips the query. Otherwise one query per
/// dialect, each with a plan that cannot go quadratic in the run's findings:
/// - SQLite: `NOT IN` over this run's (batch, good, fingerprint), which SQLite reads once into an
///   ephemeral index. A correlated `NOT EXISTS` scanned the good's findings once per earlier finding
///   (no index has the fingerprint): 6,829 findings on one good of 80,000 lines, run again, took 36-45 s.
/// - PostgreSQL: `NOT EXISTS`, which it plans as an anti-join (hashed, or by the findings' unique index on
///   (run_id, batch, good, ...)). Its `NOT IN` over a subquery is hashed only when the subquery fits in
///   `work_mem` (4 MB by default); at 100,000 goods (719,000 findings) it was not, and the final commit of
///   the store's first run was still running after 11 minutes.
///
/// The columns are NOT NULL, so the two say the same.
async fn stale_findings(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    run: &str,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let earlier: Option<String> =
        sqlx::query_scalar("SELECT id FROM runs WHERE status = 'completed' AND id <> $1 LIMIT 1")
            .bind(run)
            .fetch_optional(&mut **tx)
            .await?;
    if earlier.is_none() {
        return Ok(Vec::new());
    }
    let not_raised = match backend {
        Backend::Sqlite => {
            "(f.batch, f.good, f.fingerprint) NOT IN (SELECT n.batch, n.good, n.fingerprint FROM findings n WHERE n.run_id = $1)"
        }
        Backend::Postgres => {
            "NOT EXISTS (SELECT 1 FROM findings n WHERE n.run_id = $1 AND n.batch = f.batch AND n.good = f.good AND n.fingerprint = f.fingerprint)"
        }
    };
    let sql = format!(
        "SELECT f.id, f.version, f.status FROM findings f WHERE f.run_id <> $1 AND f.status IN ('open', 'accepted') \
         AND f.run_id IN (SELECT id FROM runs WHERE status = 'completed') \
         AND EXISTS (SELECT 1 FROM determinations d WHERE d.run_id = $1 AND d.batch = f.batch AND d.good = f.good) \
         AND {not_raised} ORDER BY f.id"
    );
    Ok(sqlx::query(&sql).bind(run).fetch_all(&mut **tx).await?)
}
