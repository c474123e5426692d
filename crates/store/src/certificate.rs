//! Certificates: issued from a completed run for a good that qualified there with no open (or accepted)
//! blocking finding, versioned per good; a new version withdraws the one before it, and a later run that
//! finds the good no longer qualifies withdraws it (see `complete_run`).

use chrono::NaiveDate;
use origin_engine::certificate::{CertificateDraft, check_blanket};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::log::append;
use crate::{Store, StoreError, new_id, now};

/// A certificate to issue.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The run it rests on.
    pub run: String,
    /// The good.
    pub good: String,
    /// Blanket period (at most 12 months), instead of a single shipment.
    pub blanket: Option<(NaiveDate, NaiveDate)>,
    /// Who issues it.
    pub actor: String,
}

/// A stored certificate.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CertificateRow {
    /// Id.
    pub id: String,
    /// Batch.
    pub batch: String,
    /// Good.
    pub good: String,
    /// The run it rests on.
    pub run_id: String,
    /// Version, per good, from 1.
    pub version: i64,
    /// `issued` or `withdrawn`.
    pub status: String,
    /// The Annex 5-A draft (report v1 shape).
    pub draft: CertificateDraft,
    /// Blanket period start.
    pub blanket_from: Option<String>,
    /// Blanket period end.
    pub blanket_to: Option<String>,
    /// Who issued it.
    pub issued_by: String,
    /// When.
    pub issued_at: String,
    /// When withdrawn.
    pub withdrawn_at: Option<String>,
    /// The run that withdrew it.
    pub withdrawn_by_run: Option<String>,
    /// Why.
    pub withdrawn_reason: Option<String>,
}

pub(crate) const CERT_COLUMNS: &str = "id, batch, good, run_id, version, status, draft, blanket_from, blanket_to, issued_by, issued_at, withdrawn_at, withdrawn_by_run, withdrawn_reason";

fn cert_from_row(r: &AnyRow) -> Result<CertificateRow, StoreError> {
    let draft: String = r.try_get("draft")?;
    Ok(CertificateRow {
        id: r.try_get("id")?,
        batch: r.try_get("batch")?,
        good: r.try_get("good")?,
        run_id: r.try_get("run_id")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        draft: serde_json::from_str(&draft)?,
        blanket_from: r.try_get("blanket_from")?,
        blanket_to: r.try_get("blanket_to")?,
        issued_by: r.try_get("issued_by")?,
        issued_at: r.try_get("issued_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
        withdrawn_by_run: r.try_get("withdrawn_by_run")?,
        withdrawn_reason: r.try_get("withdrawn_reason")?,
    })
}

/// The digest of a certificate row as it now stands in the transaction (after its INSERT or UPDATE), for
/// the log entry that records it.
pub(crate) async fn certificate_digest_in(tx: &mut Transaction<'static, Any>, id: &str) -> Result<String, StoreError> {
    let row = sqlx::query(&format!("SELECT {CERT_COLUMNS} FROM certificates WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    crate::bind::certificate_row_digest(&row)
}

impl Store {
    /// Issues a certificate; refuses a good that did not qualify or has an open or accepted blocking
    /// finding, and a run that is not the latest completed run for the good.
    pub async fn issue_certificate(&self, req: &IssueRequest) -> Result<CertificateRow, StoreError> {
        let blanket = req
            .blanket
            .map(|(f, t)| check_blanket(f, t))
            .transpose()
            .map_err(|e| StoreError::Invalid(format!("{e}\n  help: a blanket period runs at most 12 months")))?;
        let mut tx = self.write_tx().await?;
        let run = sqlx::query("SELECT status FROM runs WHERE id = $1")
            .bind(&req.run)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no run `{}`", req.run)))?;
        let status: String = run.try_get("status")?;
        if status != "completed" {
            return Err(StoreError::Invalid(format!(
                "run `{}` is {status}; certificates rest on completed runs only",
                req.run
            )));
        }
        let dets =
            sqlx::query("SELECT batch, outcome, summary, draft FROM determinations WHERE run_id = $1 AND good = $2")
                .bind(&req.run)
                .bind(&req.good)
                .fetch_all(&mut *tx)
                .await?;
        let det = match dets.as_slice() {
            [] => return Err(StoreError::NotFound(format!("run `{}` has no good `{}`", req.run, req.good))),
            [d] => d,
            _ => {
                return Err(StoreError::Invalid(format!(
                    "good id `{}` appears in several batches of run `{}`",
                    req.good, req.run
                )));
            }
        };
        let (batch, outcome, summary, draft): (String, String, String, Option<String>) =
            (det.try_get("batch")?, det.try_get("outcome")?, det.try_get("summary")?, det.try_get("draft")?);
        // The rows this decision rests on must be the ones the log recorded: a determination, finding
        // status or review edited in the database is refused here, not certified (issue 13 item 6).
        let problems = crate::log::check_good(&mut tx, &req.run, &batch, &req.good).await?;
        if !problems.is_empty() {
            let lines: Vec<String> =
                problems.iter().take(10).map(|p| format!("  entry {}: {}: {}", p.seq, p.kind, p.message)).collect();
            let more = problems.len().saturating_sub(10);
            return Err(StoreError::Invalid(format!(
                "refusing to certify good `{}`: its stored rows in run `{}` disagree with the audit log:\n{}{}\n  help: run `origin-audit log verify`; restore the database from a backup, or audit the batch again",
                req.good,
                req.run,
                lines.join("\n"),
                if more > 0 { format!("\n  ... and {more} more") } else { String::new() }
            )));
        }
        if outcome != "qualified" {
            return Err(StoreError::Invalid(format!(
                "good `{}` is {} in run `{}` ({summary}); only a qualified good can be certified",
                req.good,
                outcome.replace('-', " "),
                req.run
            )));
        }
        let latest = sqlx::query(
            "SELECT r.id FROM determinations d JOIN runs r ON r.id = d.run_id WHERE d.batch = $1 AND d.good = $2 AND r.status = 'completed' ORDER BY r.finished_at DESC LIMIT 1",
        )
        .bind(&batch)
        .bind(&req.good)
        .fetch_one(&mut *tx)
        .await?;
        let latest: String = latest.try_get("id")?;
        if latest != req.run {
            return Err(StoreError::Invalid(format!(
                "run `{latest}` audited good `{}` after run `{}`; issue from the latest run",
                req.good, req.run
            )));
        }
        let blocking = sqlx::query(
            "SELECT id, code, status FROM findings WHERE run_id = $1 AND batch = $2 AND good = $3 AND severity = 'blocking' AND status IN ('open', 'accepted') ORDER BY ordinal",
        )
        .bind(&req.run)
        .bind(&batch)
        .bind(&req.good)
        .fetch_all(&mut *tx)
        .await?;
        if !blocking.is_empty() {
            let list: Vec<String> = blocking
                .iter()
                .map(|b| {
                    Ok::<_, sqlx::Error>(format!(
                        "{} {} ({})",
                        b.try_get::<String, _>("code")?,
                        b.try_get::<String, _>("id")?,
                        b.try_get::<String, _>("status")?
                    ))
                })
                .collect::<Result<_, _>>()?;
            return Err(StoreError::Invalid(format!(
                "good `{}` has {} blocking finding(s) in force: {}\n  help: review them (`origin-audit findings review ID ...`); dismissed or waived findings do not block",
                req.good,
                list.len(),
                list.join(", ")
            )));
        }
        let Some(draft) = draft else {
            return Err(StoreError::Invalid(format!(
                "run `{}` holds no certificate draft for good `{}`",
                req.run, req.good
            )));
        };
        let mut draft: CertificateDraft = serde_json::from_str(&draft)?;
        if let Some(b) = blanket {
            // A blanket certification covers shipments of the period, not one invoice (Annex 5-A 8).
            draft.blanket_period = Some(b);
            for g in &mut draft.goods {
                g.invoice_number = None;
            }
            draft.missing_elements.retain(|e| !e.starts_with("6/8."));
        }
        let prev =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM certificates WHERE batch = $1 AND good = $2")
                .bind(&batch)
                .bind(&req.good)
                .fetch_one(&mut *tx)
                .await?;
        let version: i64 = prev.try_get::<i64, _>("v")? + 1;
        let id = new_id();
        let at = now();
        let older = sqlx::query("SELECT id FROM certificates WHERE batch = $1 AND good = $2 AND status = 'issued'")
            .bind(&batch)
            .bind(&req.good)
            .fetch_all(&mut *tx)
            .await?;
        for o in &older {
            let oid: String = o.try_get("id")?;
            let reason = format!("superseded by version {version} ({id})");
            sqlx::query(
                "UPDATE certificates SET status = 'withdrawn', withdrawn_at = $1, withdrawn_reason = $2 WHERE id = $3",
            )
            .bind(&at)
            .bind(&reason)
            .bind(&oid)
            .execute(&mut *tx)
            .await?;
            let payload = json!({"reason": reason, "certificate_digest": certificate_digest_in(&mut tx, &oid).await?});
            append(&mut tx, &req.actor, "certificate.withdrawn", &format!("certificate:{oid}"), &payload).await?;
        }
        sqlx::query(&format!("INSERT INTO certificates ({CERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, 'issued', $6, $7, $8, $9, $10, NULL, NULL, NULL)"))
            .bind(&id)
            .bind(&batch)
            .bind(&req.good)
            .bind(&req.run)
            .bind(version)
            .bind(serde_json::to_string(&draft)?)
            .bind(blanket.map(|b| b.start_date.to_string()))
            .bind(blanket.map(|b| b.end_date.to_string()))
            .bind(&req.actor)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        let payload = json!({"run": req.run, "batch": batch, "good": req.good, "version": version, "blanket": blanket.map(|b| [b.start_date, b.end_date]), "certificate_digest": certificate_digest_in(&mut tx, &id).await?});
        append(&mut tx, &req.actor, "certificate.issued", &format!("certificate:{id}"), &payload).await?;
        tx.commit().await?;
        self.certificate(&id).await
    }

    /// Withdraws an issued certificate by hand (an auditor learns the good no longer qualifies, or the
    /// certificate was issued in error); the reason is required and logged.
    pub async fn withdraw_certificate(
        &self,
        id: &str,
        actor: &str,
        reason: &str,
    ) -> Result<CertificateRow, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("withdrawing a certificate needs a reason".into()));
        }
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT status FROM certificates WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no certificate `{id}`")))?;
        let status: String = row.try_get("status")?;
        if status != "issued" {
            return Err(StoreError::Invalid(format!(
                "certificate `{id}` is {status}; only an issued one can be withdrawn"
            )));
        }
        sqlx::query(
            "UPDATE certificates SET status = 'withdrawn', withdrawn_at = $1, withdrawn_reason = $2 WHERE id = $3",
        )
        .bind(now())
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let payload = json!({"reason": reason, "certificate_digest": certificate_digest_in(&mut tx, id).await?});
        append(&mut tx, actor, "certificate.withdrawn", &format!("certificate:{id}"), &payload).await?;
        tx.commit().await?;
        self.certificate(id).await
    }

    /// One certificate.
    pub async fn certificate(&self, id: &str) -> Result<CertificateRow, StoreError> {
        let row = sqlx::query(&format!("SELECT {CERT_COLUMNS} FROM certificates WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no certificate `{id}`")))?;
        cert_from_row(&row)
    }

    /// Certificates resting on a run, or every certificate.
    pub async fn certificates(&self, run: Option<&str>) -> Result<Vec<CertificateRow>, StoreError> {
        let rows = match run {
            Some(r) => {
                sqlx::query(&format!(
                    "SELECT {CERT_COLUMNS} FROM certificates WHERE run_id = $1 ORDER BY good, version"
                ))
                .bind(r)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {CERT_COLUMNS} FROM certificates ORDER BY good, version"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(cert_from_row).collect()
    }
}
