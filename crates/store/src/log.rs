//! The audit log: append-only, one entry per state change, hash-chained.
//!
//! Entry `n` holds `prev_hash` (entry `n-1`'s hash; 64 zeros for the first) and
//! `hash = sha256(prev_hash || "\n" || canonical)`, where `canonical` is the JSON array
//! `[seq, at, actor, action, subject, payload]`. `log_head` holds the last seq and hash, so deleting the
//! last entries is caught too. [`Store::verify_log`] recomputes the chain and names every entry that was
//! edited, inserted or deleted.

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::{Store, StoreError, inputs::sha256_hex, now};

/// The hash before the first entry.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LogEntry {
    /// Position, from 1, without gaps.
    pub seq: i64,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Who: a reviewer's name, or the user running the audit.
    pub actor: String,
    /// What: `run.started`, `run.chunk_stored`, `run.completed`, `finding.reviewed`, ...
    pub action: String,
    /// On what: `run:ID`, `finding:ID`, `certificate:ID`.
    pub subject: String,
    /// Details (JSON text).
    pub payload: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl LogEntry {
    /// The hash this entry's content calls for, given the previous hash.
    pub fn expected_hash(&self, prev_hash: &str) -> String {
        entry_hash(prev_hash, self.seq, &self.at, &self.actor, &self.action, &self.subject, &self.payload)
    }
}

fn entry_hash(prev: &str, seq: i64, at: &str, actor: &str, action: &str, subject: &str, payload: &str) -> String {
    let canonical = serde_json::json!([seq, at, actor, action, subject, payload]).to_string();
    sha256_hex(format!("{prev}\n{canonical}").as_bytes())
}

/// A break in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LogProblem {
    /// The entry concerned.
    pub seq: i64,
    /// `edited`, `deleted`, `inserted` or `reordered`.
    pub kind: &'static str,
    /// In words.
    pub message: String,
}

/// What `log verify` found.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LogReport {
    /// Entries read.
    pub entries: usize,
    /// The head's seq.
    pub head_seq: i64,
    /// The head's hash.
    pub head_hash: String,
    /// Problems, in log order; empty when the log is intact.
    pub problems: Vec<LogProblem>,
}

impl LogReport {
    /// Whether the chain is intact.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Appends an entry inside the caller's transaction (which took the writers' lock first).
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    actor: &str,
    action: &str,
    subject: &str,
    payload: &serde_json::Value,
) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM log_head WHERE id = 1").fetch_one(&mut **tx).await?;
    let (seq, prev): (i64, String) = (row.try_get("seq")?, row.try_get("hash")?);
    let seq = seq + 1;
    let at = now();
    let payload = payload.to_string();
    let hash = entry_hash(&prev, seq, &at, actor, action, subject, &payload);
    sqlx::query("INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(seq)
        .bind(&at)
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(&payload)
        .bind(&prev)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE log_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

pub(crate) fn entry_from_row(r: &sqlx::any::AnyRow) -> Result<LogEntry, sqlx::Error> {
    Ok(LogEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        payload: r.try_get("payload")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// Checks a sequence of entries read in seq order against the head.
pub fn verify_entries(entries: &[LogEntry], head_seq: i64, head_hash: &str) -> Vec<LogProblem> {
    let mut problems = Vec::new();
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_string();
    for e in entries {
        let what = format!("entry {} ({} {} by {} at {})", e.seq, e.action, e.subject, e.actor, e.at);
        if e.seq > head_seq {
            problems.push(LogProblem {
                seq: e.seq,
                kind: "inserted",
                message: format!("{what} lies beyond the log head (seq {head_seq}): it was inserted"),
            });
        }
        if e.seq > expected_seq {
            let gap = if e.seq - 1 == expected_seq {
                format!("entry {expected_seq} is")
            } else {
                format!("entries {expected_seq} to {} are", e.seq - 1)
            };
            problems.push(LogProblem {
                seq: expected_seq,
                kind: "deleted",
                message: format!("{gap} missing: deleted from the log"),
            });
        } else if e.prev_hash != prev {
            problems.push(LogProblem {
                seq: e.seq,
                kind: "inserted",
                message: format!("{what} does not chain to the entry before it (prev_hash differs): an entry was inserted, replaced or reordered here"),
            });
        }
        if e.expected_hash(&e.prev_hash) != e.hash {
            problems.push(LogProblem {
                seq: e.seq,
                kind: "edited",
                message: format!("{what} was edited: its content no longer matches its hash"),
            });
        }
        expected_seq = e.seq + 1;
        prev = e.hash.clone();
    }
    if head_seq >= expected_seq {
        let gap = if head_seq == expected_seq {
            format!("entry {head_seq} is")
        } else {
            format!("entries {expected_seq} to {head_seq} are")
        };
        problems.push(LogProblem {
            seq: expected_seq,
            kind: "deleted",
            message: format!("{gap} missing at the end of the log: deleted"),
        });
    } else if head_seq > 0 && prev != head_hash && problems.is_empty() {
        problems.push(LogProblem {
            seq: head_seq,
            kind: "edited",
            message: format!("the last entry ({head_seq}) does not match the log head's hash"),
        });
    }
    problems
}

impl Store {
    /// Entries from `from` (inclusive) to `to` (inclusive), in order.
    pub async fn log_entries(&self, from: i64, to: i64) -> Result<Vec<LogEntry>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq")
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(entry_from_row).collect::<Result<_, _>>()?)
    }

    /// Recomputes the whole chain.
    pub async fn verify_log(&self) -> Result<LogReport, StoreError> {
        let head = sqlx::query("SELECT seq, hash FROM log_head WHERE id = 1").fetch_one(&self.pool).await?;
        let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
        let entries = self.log_entries(i64::MIN, i64::MAX).await?;
        let problems = verify_entries(&entries, head_seq, &head_hash);
        Ok(LogReport { entries: entries.len(), head_seq, head_hash, problems })
    }
}
