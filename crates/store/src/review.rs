//! Findings and their review: open -> accepted | dismissed (justification required) | waived
//! (justification and the auditor role required); accepted may still be dismissed or waived; a later
//! run that no longer raises a finding marks it resolved. Every change bumps `version`; a review names
//! the version it acted on and loses with a [`StoreError::Conflict`] when someone else changed it first.

use origin_engine::finding::{Code, Finding, Severity};

use crate::runs::from_word;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::log::append;
use crate::{Store, StoreError, new_id, now};

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The finding is right; it stands.
    Accept,
    /// A false positive (justification required).
    Dismiss,
    /// Known and accepted risk (justification and the auditor role required).
    Waive,
}

impl Decision {
    /// The word used in commands.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::Dismiss => "dismiss",
            Decision::Waive => "waive",
        }
    }

    /// The status it leads to.
    pub fn status(self) -> &'static str {
        match self {
            Decision::Accept => "accepted",
            Decision::Dismiss => "dismissed",
            Decision::Waive => "waived",
        }
    }
}

/// The reviewer's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Compliance analyst.
    Analyst,
    /// Auditor (may waive).
    Auditor,
}

impl Role {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
        }
    }
}

/// A review to record.
#[derive(Debug, Clone)]
pub struct ReviewRequest {
    /// Finding id.
    pub finding: String,
    /// Decision.
    pub decision: Decision,
    /// Justification.
    pub note: String,
    /// Who.
    pub reviewer: String,
    /// Role.
    pub role: Role,
    /// The version the reviewer saw (`None`: whatever is current).
    pub expected_version: Option<i64>,
}

/// A stored finding.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FindingRow {
    /// Id.
    pub id: String,
    /// Run.
    pub run_id: String,
    /// Batch.
    pub batch: String,
    /// Good.
    pub good: String,
    /// Code.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// Fingerprint.
    pub fingerprint: String,
    /// Status.
    pub status: String,
    /// Version.
    pub version: i64,
    /// The earlier finding whose decision was carried over.
    pub carried_from: Option<String>,
    /// The finding (message, citation, evidence, remedy), as report v1 writes it.
    pub finding: Finding,
    /// Last change.
    pub updated_at: String,
}

/// A recorded review.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReviewRow {
    /// Id.
    pub id: String,
    /// Finding.
    pub finding_id: String,
    /// `accept`, `dismiss`, `waive`, or `resolve` (by a later run).
    pub decision: String,
    /// Status before.
    pub from_status: String,
    /// Status after.
    pub to_status: String,
    /// The finding's version after.
    pub version: i64,
    /// Justification.
    pub note: String,
    /// Who.
    pub reviewer: String,
    /// Role.
    pub role: String,
    /// When.
    pub at: String,
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// Run (default: every run).
    pub run: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Severity.
    pub severity: Option<String>,
    /// Code.
    pub code: Option<String>,
    /// Good.
    pub good: Option<String>,
    /// A supplier name, or part of one (any case), of a line the finding names (of the good's lines
    /// when it names none).
    pub supplier: Option<String>,
    /// The start of the good's HS code, e.g. the chapter `87`.
    pub chapter: Option<String>,
}

impl FindingFilter {
    /// ` AND ...` for each filter given, with its values to bind in order (`$first`, `$first + 1`, ...).
    fn conditions(&self, first: usize) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut binds: Vec<String> = Vec::new();
        for (col, v) in [
            ("run_id", &self.run),
            ("status", &self.status),
            ("severity", &self.severity),
            ("code", &self.code),
            ("good", &self.good),
        ] {
            if let Some(v) = v {
                binds.push(v.clone());
                sql.push_str(&format!(" AND {col} = ${}", first + binds.len() - 1));
            }
        }
        if let Some(c) = &self.chapter {
            binds.push(c.clone());
            sql.push_str(&format!(" AND substr(hs, 1, {}) = ${}", c.chars().count(), first + binds.len() - 1));
        }
        if let Some(s) = &self.supplier {
            // Lowercased as the key is (Rust's Unicode lowercase on both sides), LIKE's wildcards
            // escaped: the text is matched as written, never as a pattern.
            let mut pattern = String::from("%");
            for ch in s.to_lowercase().chars().filter(|c| *c != '\n') {
                if matches!(ch, '%' | '_' | '!') {
                    pattern.push('!');
                }
                pattern.push(ch);
            }
            pattern.push('%');
            binds.push(pattern);
            sql.push_str(&format!(" AND supplier_key LIKE ${} ESCAPE '!'", first + binds.len() - 1));
        }
        (sql, binds)
    }
}

/// A finding in a list, with what the list shows and filters on besides the finding itself.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ListedFinding {
    /// The finding.
    #[serde(flatten)]
    pub row: FindingRow,
    /// The good's HS code.
    pub hs: String,
    /// Suppliers of the materials it names (of the whole good when it names none).
    pub suppliers: Vec<String>,
}

/// Counts of findings: dimension (severity, code, status, chapter, supplier) -> value -> count.
pub type FindingCounts = std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>;

const FINDING_COLUMNS: &str =
    "id, run_id, batch, good, code, severity, fingerprint, status, version, carried_from, finding, updated_at";

fn finding_from_row(r: &AnyRow) -> Result<FindingRow, StoreError> {
    let f: String = r.try_get("finding")?;
    Ok(FindingRow {
        id: r.try_get("id")?,
        run_id: r.try_get("run_id")?,
        batch: r.try_get("batch")?,
        good: r.try_get("good")?,
        code: from_word(&r.try_get::<String, _>("code")?)?,
        severity: from_word(&r.try_get::<String, _>("severity")?)?,
        fingerprint: r.try_get("fingerprint")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        carried_from: r.try_get("carried_from")?,
        finding: serde_json::from_str(&f)?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn review_from_row(r: &AnyRow) -> Result<ReviewRow, sqlx::Error> {
    Ok(ReviewRow {
        id: r.try_get("id")?,
        finding_id: r.try_get("finding_id")?,
        decision: r.try_get("decision")?,
        from_status: r.try_get("from_status")?,
        to_status: r.try_get("to_status")?,
        version: r.try_get("version")?,
        note: r.try_get("note")?,
        reviewer: r.try_get("reviewer")?,
        role: r.try_get("role")?,
        at: r.try_get("at")?,
    })
}

impl Store {
    /// Findings matching the filter, by run, batch, good and position.
    pub async fn findings(&self, f: &FindingFilter) -> Result<Vec<FindingRow>, StoreError> {
        let (cond, binds) = f.conditions(1);
        let sql =
            format!("SELECT {FINDING_COLUMNS} FROM findings WHERE 1 = 1{cond} ORDER BY run_id, batch, good, ordinal");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(finding_from_row).collect()
    }

    /// One page of the findings matching the filter, in the order of [`Store::findings`]: at most
    /// `limit`, those after the finding `after` (a keyset cursor: the id of the last finding of the
    /// page before; a page never repeats or skips a finding, however the store grows between pages).
    pub async fn findings_page(
        &self,
        f: &FindingFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ListedFinding>, StoreError> {
        let (mut cond, mut binds) = f.conditions(1);
        let mut ordinal = None;
        if let Some(id) = after {
            let key = sqlx::query("SELECT run_id, batch, good, ordinal FROM findings WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "`after` is `{id}`, which is no finding\n  help: pass the `after` of the page before, or leave it out for the first page"
                    ))
                })?;
            let n = binds.len() + 1;
            cond.push_str(&format!(" AND (run_id, batch, good, ordinal) > (${n}, ${}, ${}, ${})", n + 1, n + 2, n + 3));
            binds.push(key.try_get("run_id")?);
            binds.push(key.try_get("batch")?);
            binds.push(key.try_get("good")?);
            ordinal = Some(key.try_get::<i64, _>("ordinal")?);
        }
        let sql = format!(
            "SELECT {FINDING_COLUMNS}, hs, suppliers FROM findings WHERE 1 = 1{cond} ORDER BY run_id, batch, good, ordinal LIMIT {limit}"
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        if let Some(o) = ordinal {
            q = q.bind(o);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let suppliers: String = r.try_get("suppliers")?;
                Ok(ListedFinding {
                    row: finding_from_row(r)?,
                    hs: r.try_get("hs")?,
                    suppliers: serde_json::from_str(&suppliers)?,
                })
            })
            .collect()
    }

    /// Counts of the findings matching the filter by severity, code, status, chapter (`??` for a good
    /// without a code) and supplier (a finding counts once under each of its suppliers). One pass over
    /// the matching rows.
    pub async fn finding_counts(&self, f: &FindingFilter) -> Result<FindingCounts, StoreError> {
        let (cond, binds) = f.conditions(1);
        let sql = format!(
            "SELECT severity, code, status, substr(hs, 1, 2) AS chapter, suppliers, COUNT(*) AS n FROM findings WHERE 1 = 1{cond} GROUP BY severity, code, status, substr(hs, 1, 2), suppliers"
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let mut counts = FindingCounts::new();
        for r in q.fetch_all(&self.pool).await? {
            let n = u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0);
            let mut bump =
                |dim: &str, v: &str| *counts.entry(dim.into()).or_default().entry(v.into()).or_default() += n;
            bump("severity", &r.try_get::<String, _>("severity")?);
            bump("code", &r.try_get::<String, _>("code")?);
            bump("status", &r.try_get::<String, _>("status")?);
            let chapter: String = r.try_get("chapter")?;
            bump("chapter", if chapter.len() == 2 { &chapter } else { "??" });
            let suppliers: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("suppliers")?)?;
            for s in &suppliers {
                bump("supplier", s);
            }
        }
        Ok(counts)
    }

    /// A marker that changes with every committed write (each writing transaction updates `log_head`
    /// first): what a reader may key a cache of query results on.
    pub async fn version(&self) -> Result<String, StoreError> {
        let r = sqlx::query("SELECT seq, touched_at FROM log_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(format!("{}/{}", r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("touched_at")?))
    }

    /// One finding.
    pub async fn finding(&self, id: &str) -> Result<FindingRow, StoreError> {
        let row = sqlx::query(&format!("SELECT {FINDING_COLUMNS} FROM findings WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "no finding `{id}`\n  help: `origin-audit findings list` shows the findings"
                ))
            })?;
        finding_from_row(&row)
    }

    /// A finding's reviews, oldest first.
    pub async fn reviews(&self, finding: &str) -> Result<Vec<ReviewRow>, StoreError> {
        let rows = sqlx::query("SELECT id, finding_id, decision, from_status, to_status, version, note, reviewer, role, at FROM reviews WHERE finding_id = $1 ORDER BY version, at")
            .bind(finding)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(review_from_row).collect::<Result<_, _>>()?)
    }

    /// Records a review; returns the finding as it is afterwards.
    pub async fn review(&self, req: &ReviewRequest) -> Result<FindingRow, StoreError> {
        let note = req.note.trim();
        if req.reviewer.trim().is_empty() {
            return Err(StoreError::Invalid("a review needs the reviewer's name\n  help: pass --as NAME".into()));
        }
        if matches!(req.decision, Decision::Dismiss | Decision::Waive) && note.is_empty() {
            return Err(StoreError::Invalid(format!(
                "`{}` needs a justification\n  help: pass --note \"why this finding is {}\"",
                req.decision.as_str(),
                if req.decision == Decision::Dismiss { "a false positive" } else { "waived" }
            )));
        }
        if req.decision == Decision::Waive && req.role != Role::Auditor {
            return Err(StoreError::Invalid(
                "only an auditor may waive a finding\n  help: ask an auditor, who passes --role auditor".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT status, version FROM findings WHERE id = $1")
            .bind(&req.finding)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no finding `{}`", req.finding)))?;
        let (status, version): (String, i64) = (row.try_get("status")?, row.try_get("version")?);
        let expected = req.expected_version.unwrap_or(version);
        if expected != version {
            let last = sqlx::query(
                "SELECT reviewer, decision FROM reviews WHERE finding_id = $1 ORDER BY version DESC LIMIT 1",
            )
            .bind(&req.finding)
            .fetch_optional(&mut *tx)
            .await?;
            let by = match last {
                Some(l) => {
                    format!(", {} by {}", l.try_get::<String, _>("decision")?, l.try_get::<String, _>("reviewer")?)
                }
                None => String::new(),
            };
            return Err(StoreError::Conflict { finding: req.finding.clone(), expected, current: version, status, by });
        }
        if !matches!(status.as_str(), "open" | "accepted") || (status == "accepted" && req.decision == Decision::Accept)
        {
            return Err(StoreError::Invalid(format!(
                "finding `{}` is {status}; only an open finding can be reviewed (an accepted one may still be dismissed or waived)",
                req.finding
            )));
        }
        let to = req.decision.status();
        let at = now();
        let changed = sqlx::query(
            "UPDATE findings SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
        )
        .bind(to)
        .bind(&at)
        .bind(&req.finding)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict {
                finding: req.finding.clone(),
                expected,
                current: version + 1,
                status,
                by: String::new(),
            });
        }
        let review = new_id();
        sqlx::query("INSERT INTO reviews (id, finding_id, decision, from_status, to_status, version, note, reviewer, role, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&review)
            .bind(&req.finding)
            .bind(req.decision.as_str())
            .bind(&status)
            .bind(to)
            .bind(version + 1)
            .bind(note)
            .bind(req.reviewer.trim())
            .bind(req.role.as_str())
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        let review_digest = crate::bind::review_digest(
            &review,
            &req.finding,
            req.decision.as_str(),
            &status,
            to,
            version + 1,
            note,
            req.reviewer.trim(),
            req.role.as_str(),
            &at,
        )?;
        let payload = json!({"decision": req.decision.as_str(), "from_status": status, "to_status": to, "version": version + 1, "note": note, "role": req.role.as_str(), "review": review, "review_digest": review_digest});
        append(&mut tx, req.reviewer.trim(), "finding.reviewed", &format!("finding:{}", req.finding), &payload).await?;
        tx.commit().await?;
        self.finding(&req.finding).await
    }
}
