//! The stored data bound into the audit log (issue 13 item 6).
//!
//! The entry that records a row carries a digest of the row's canonical content, so the hash chain
//! covers the data and not only the events: a direct `UPDATE determinations SET outcome = ...` or
//! `UPDATE findings SET status = 'waived'` no longer leaves `log verify` "intact".
//!
//! Canonical content: the JSON array of the columns in the order below (`null` for SQL NULL), then, for
//! a determination or finding, a line feed and the stored JSON text as it is. The key columns (run,
//! batch, good; ids) are not in the digest: they are how the row is looked up, so a row moved to another
//! key is missing under one and unrecorded under the other.
//!
//! | row | bound by | digest over |
//! |---|---|---|
//! | determination | `run.chunk_stored`, `goods[].row_digest` | `[hs, outcome, criterion, rule_id, summary, digest, draft]` + determination JSON |
//! | a good's findings | `run.chunk_stored`, `goods[].findings_digest` | per finding by ordinal: `[id, ordinal, code, severity, fingerprint]` + finding JSON |
//! | finding state | `run.chunk_stored` (open, or the carried-over status; version 1), `finding.reviewed`, `finding.resolved` | `status`, `version`, `carried_from` compared as values |
//! | review | `finding.reviewed`, `finding.resolved`, `review_digest` | `[id, finding_id, decision, from_status, to_status, version, note, reviewer, role, at]` |
//! | certificate | `certificate.issued`, `certificate.withdrawn`, `certificate_digest` | every column, `[id, batch, good, run_id, version, status, draft, blanket_from, blanket_to, issued_by, issued_at, withdrawn_at, withdrawn_by_run, withdrawn_reason]` |
//! | run status | `run.started`, `run.resumed`, `run.completed`, `run.failed`, `run.cancelled` | `status` compared as a value |
//!
//! Entries written before migration 0007 (`log_binding.from_seq`) carry no digests; for them the
//! outcome, the finding ids, the finding states and the certificate and run statuses are still checked,
//! from what those entries always held.

use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::log::{LogEntry, LogProblem};
use crate::runs::hex;

/// Digest of a determination row's bound columns.
#[allow(clippy::too_many_arguments, reason = "one argument per bound column")]
pub(crate) fn determination_digest(
    hs: &str,
    outcome: &str,
    criterion: Option<&str>,
    rule_id: Option<&str>,
    summary: &str,
    digest: &str,
    draft: Option<&str>,
    determination: &str,
) -> Result<String, serde_json::Error> {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(&(hs, outcome, criterion, rule_id, summary, digest, draft))?);
    h.update(b"\n");
    h.update(determination.as_bytes());
    Ok(hex(&h.finalize()))
}

/// Digest of one good's findings, fed in ordinal order.
#[derive(Debug, Clone, Default)]
pub(crate) struct FindingsDigest(Sha256);

impl FindingsDigest {
    /// Adds one finding's bound columns.
    pub(crate) fn add(
        &mut self,
        id: &str,
        ordinal: i64,
        code: &str,
        severity: &str,
        fingerprint: &str,
        finding: &str,
    ) -> Result<(), serde_json::Error> {
        self.0.update(serde_json::to_vec(&(id, ordinal, code, severity, fingerprint))?);
        self.0.update(b"\n");
        self.0.update(finding.as_bytes());
        self.0.update(b"\n");
        Ok(())
    }

    pub(crate) fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

/// Digest of a review row.
#[allow(clippy::too_many_arguments, reason = "one argument per bound column")]
pub(crate) fn review_digest(
    id: &str,
    finding_id: &str,
    decision: &str,
    from_status: &str,
    to_status: &str,
    version: i64,
    note: &str,
    reviewer: &str,
    role: &str,
    at: &str,
) -> Result<String, serde_json::Error> {
    Ok(hex(&Sha256::digest(serde_json::to_vec(&(
        id,
        finding_id,
        decision,
        from_status,
        to_status,
        version,
        note,
        reviewer,
        role,
        at,
    ))?)))
}

/// Digest of a sign-in session row (issue 13: sessions are bound like the data, so a session inserted
/// or edited in SQL, to sign in as someone, is named by `log verify`). The CSRF secret is part of the
/// digest, never of the log.
pub(crate) fn session_digest(
    id_hash: &str,
    user_name: &str,
    csrf: &str,
    created_at: &str,
    expires_at: &str,
) -> Result<String, serde_json::Error> {
    Ok(hex(&Sha256::digest(serde_json::to_vec(&(id_hash, user_name, csrf, created_at, expires_at))?)))
}

/// The session columns, in the order of [`session_digest`].
pub(crate) const SESSION_COLUMNS: &str = "id_hash, user_name, csrf, created_at, expires_at";

/// A session row against the log: opened by an entry with its digest and not closed since. Sessions
/// deleted without an entry (expired, or ended by a re-key or a disabled account) are not a problem:
/// a missing session signs nobody in.
pub(crate) fn check_session(
    exp: &mut Expected,
    r: &AnyRow,
    problems: &mut Vec<LogProblem>,
) -> Result<(), crate::StoreError> {
    let s = |c: &str| r.try_get::<String, _>(c);
    let (id_hash, user) = (s("id_hash")?, s("user_name")?);
    let digest = session_digest(&id_hash, &user, &s("csrf")?, &s("created_at")?, &s("expires_at")?)?;
    match exp.sessions.remove(&id_hash) {
        Some((want, _)) if want == digest => {}
        Some((_, seq)) => problems.push(LogProblem {
            seq,
            kind: "row-edited",
            message: format!(
                "the session of `{user}` opened by entry {seq} no longer matches its digest (account, secret or times changed): the row was edited"
            ),
        }),
        None => problems.push(LogProblem {
            seq: 0,
            kind: "row-inserted",
            message: format!(
                "a session of `{user}` (created {}) is recorded by no open `session.opened` entry: it was inserted (or reopened after sign-out), and signs its holder in as `{user}`",
                s("created_at")?
            ),
        }),
    }
    Ok(())
}

/// The review columns, in the order of [`review_digest`].
pub(crate) const REVIEW_COLUMNS: &str =
    "id, finding_id, decision, from_status, to_status, version, note, reviewer, role, at";

/// Digest of a review as read with [`REVIEW_COLUMNS`].
pub(crate) fn review_row_digest(r: &AnyRow) -> Result<String, crate::StoreError> {
    Ok(review_digest(
        &r.try_get::<String, _>("id")?,
        &r.try_get::<String, _>("finding_id")?,
        &r.try_get::<String, _>("decision")?,
        &r.try_get::<String, _>("from_status")?,
        &r.try_get::<String, _>("to_status")?,
        r.try_get("version")?,
        &r.try_get::<String, _>("note")?,
        &r.try_get::<String, _>("reviewer")?,
        &r.try_get::<String, _>("role")?,
        &r.try_get::<String, _>("at")?,
    )?)
}

/// Digest of a certificate as read with `certificate::CERT_COLUMNS` (every column).
pub(crate) fn certificate_row_digest(r: &AnyRow) -> Result<String, crate::StoreError> {
    let s = |c: &str| r.try_get::<String, _>(c);
    let o = |c: &str| r.try_get::<Option<String>, _>(c);
    let cols = (
        s("id")?,
        s("batch")?,
        s("good")?,
        s("run_id")?,
        r.try_get::<i64, _>("version")?,
        s("status")?,
        s("draft")?,
        o("blanket_from")?,
        o("blanket_to")?,
        s("issued_by")?,
        s("issued_at")?,
        o("withdrawn_at")?,
        o("withdrawn_by_run")?,
        o("withdrawn_reason")?,
    );
    Ok(hex(&Sha256::digest(serde_json::to_vec(&cols)?)))
}

/// The digest of a good with no findings.
pub(crate) fn no_findings_digest() -> String {
    FindingsDigest::default().finish()
}

/// A good as its `run.chunk_stored` entry recorded it.
#[derive(Debug)]
pub(crate) struct GoodExp {
    pub seq: i64,
    pub outcome: String,
    /// `None` before data binding.
    pub row_digest: Option<String>,
    pub findings_digest: Option<String>,
    /// The finding ids, in order (checked for entries before data binding).
    pub finding_ids: Vec<String>,
    pub det_seen: bool,
    pub findings_seen: bool,
}

/// A finding's state as the log last recorded it.
#[derive(Debug, Clone)]
pub(crate) struct FindingExp {
    pub seq: i64,
    pub action: String,
    pub status: String,
    pub version: i64,
    pub carried_from: Option<String>,
}

/// What the log says the rows hold.
#[derive(Debug, Default)]
pub(crate) struct Expected {
    /// By (run, batch, good).
    pub goods: HashMap<(String, String, String), GoodExp>,
    /// Findings whose state is not the default (open, version 1, not carried over).
    pub findings: HashMap<String, FindingExp>,
    /// Review id -> (digest, entry, finding id).
    pub reviews: HashMap<String, (String, i64, String)>,
    /// Certificate id -> (status, digest if bound, entry).
    pub certificates: HashMap<String, (&'static str, Option<String>, i64)>,
    /// Run id -> (status, entry).
    pub runs: HashMap<String, (String, i64)>,
    /// Open sessions: id hash -> (digest, entry).
    pub sessions: HashMap<String, (String, i64)>,
    /// Seq of the last entry that records data without digests, and of the first with them.
    pub last_unbound: Option<i64>,
    pub first_bound: Option<i64>,
    /// Goods recorded without digests (before data binding), once the rows were checked.
    pub unbound_goods_checked: usize,
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

impl Expected {
    /// Reads one entry (in log order). An entry whose payload cannot be read is a problem.
    pub(crate) fn feed(&mut self, e: &LogEntry, problems: &mut Vec<LogProblem>) {
        if let Some(id_hash) = e.subject.strip_prefix("session:") {
            match e.action.as_str() {
                "session.opened" => {
                    let digest = serde_json::from_str::<Value>(&e.payload)
                        .ok()
                        .and_then(|p| text(&p, "session_digest").map(String::from));
                    match digest {
                        Some(d) => {
                            self.sessions.insert(id_hash.to_string(), (d, e.seq));
                        }
                        None => problems.push(LogProblem {
                            seq: e.seq,
                            kind: "malformed",
                            message: format!("entry {} (session.opened): its payload has no session_digest", e.seq),
                        }),
                    }
                }
                "session.closed" => {
                    self.sessions.remove(id_hash);
                }
                _ => {}
            }
            return;
        }
        let kind = match e.action.as_str() {
            "run.started"
            | "run.resumed"
            | "run.completed"
            | "run.failed"
            | "run.cancelled"
            | "run.chunk_stored"
            | "finding.reviewed"
            | "finding.resolved"
            | "certificate.issued"
            | "certificate.withdrawn" => e.action.as_str(),
            _ => return,
        };
        let unreadable = |why: &str| LogProblem {
            seq: e.seq,
            kind: "malformed",
            message: format!("entry {} ({} {}): {why}", e.seq, e.action, e.subject),
        };
        let payload: Value = match serde_json::from_str(&e.payload) {
            Ok(v) => v,
            Err(err) => {
                problems.push(unreadable(&format!("its payload is not JSON ({err})")));
                return;
            }
        };
        let id = e.subject.split_once(':').map_or("", |(_, id)| id).to_string();
        let mut bound = None;
        match kind {
            "run.started" | "run.resumed" => {
                self.runs.insert(id, ("running".into(), e.seq));
            }
            "run.completed" => {
                self.runs.insert(id, ("completed".into(), e.seq));
            }
            "run.failed" => {
                self.runs.insert(id, ("failed".into(), e.seq));
            }
            "run.cancelled" => {
                self.runs.insert(id, ("cancelled".into(), e.seq));
            }
            "run.chunk_stored" => {
                let Some(goods) = payload.get("goods").and_then(Value::as_array) else {
                    problems.push(unreadable("its payload lists no goods"));
                    return;
                };
                for g in goods {
                    let (Some(batch), Some(good), Some(outcome)) =
                        (text(g, "batch"), text(g, "good"), text(g, "outcome"))
                    else {
                        problems.push(unreadable("a good in its payload lacks batch, good or outcome"));
                        continue;
                    };
                    let row_digest = text(g, "row_digest").map(String::from);
                    bound = Some(row_digest.is_some());
                    let finding_ids = g
                        .get("findings")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                        .unwrap_or_default();
                    self.goods.insert(
                        (id.clone(), batch.to_string(), good.to_string()),
                        GoodExp {
                            seq: e.seq,
                            outcome: outcome.to_string(),
                            row_digest,
                            findings_digest: text(g, "findings_digest").map(String::from),
                            finding_ids,
                            det_seen: false,
                            findings_seen: false,
                        },
                    );
                }
                for c in payload.get("carried_over").and_then(Value::as_array).into_iter().flatten() {
                    if let (Some(f), Some(from), Some(status)) =
                        (text(c, "finding"), text(c, "from"), text(c, "status"))
                    {
                        self.findings.insert(
                            f.to_string(),
                            FindingExp {
                                seq: e.seq,
                                action: e.action.clone(),
                                status: status.to_string(),
                                version: 1,
                                carried_from: Some(from.to_string()),
                            },
                        );
                    }
                }
            }
            "finding.reviewed" | "finding.resolved" => {
                let to = if kind == "finding.resolved" { Some("resolved") } else { text(&payload, "to_status") };
                let (Some(to), Some(version)) = (to, payload.get("version").and_then(Value::as_i64)) else {
                    problems.push(unreadable("its payload lacks the new status or version"));
                    return;
                };
                let carried_from = self.findings.get(&id).and_then(|f| f.carried_from.clone());
                self.findings.insert(
                    id.clone(),
                    FindingExp { seq: e.seq, action: e.action.clone(), status: to.to_string(), version, carried_from },
                );
                bound = Some(false);
                if let (Some(review), Some(d)) = (text(&payload, "review"), text(&payload, "review_digest")) {
                    self.reviews.insert(review.to_string(), (d.to_string(), e.seq, id));
                    bound = Some(true);
                }
            }
            _ => {
                let status = if kind == "certificate.issued" { "issued" } else { "withdrawn" };
                let digest = text(&payload, "certificate_digest").map(String::from);
                bound = Some(digest.is_some());
                self.certificates.insert(id, (status, digest, e.seq));
            }
        }
        match bound {
            Some(true) => self.first_bound = Some(self.first_bound.map_or(e.seq, |s| s.min(e.seq))),
            Some(false) => self.last_unbound = Some(self.last_unbound.map_or(e.seq, |s| s.max(e.seq))),
            None => {}
        }
    }

    /// Checks `log_binding.from_seq` against the entries: every data entry from it on carries digests,
    /// none before it does (so raising or lowering it is seen).
    pub(crate) fn check_binding(&self, from_seq: i64, problems: &mut Vec<LogProblem>) {
        if let Some(s) = self.last_unbound.filter(|s| *s >= from_seq) {
            problems.push(LogProblem {
                seq: s,
                kind: "unbound",
                message: format!(
                    "entry {s} records stored data without its digests, but data binding starts at entry {from_seq} (log_binding): the entry was forged or log_binding was edited"
                ),
            });
        }
        if let Some(s) = self.first_bound.filter(|s| *s < from_seq) {
            problems.push(LogProblem {
                seq: s,
                kind: "unbound",
                message: format!(
                    "entry {s} carries data digests, but log_binding says binding starts at entry {from_seq}: log_binding was edited"
                ),
            });
        }
    }
}

/// The key of a good, for messages.
pub(crate) fn good_name(run: &str, batch: &str, good: &str) -> String {
    format!("good `{good}` (batch `{batch}`, run {run})")
}

/// A determination row against the log.
pub(crate) fn check_determination(
    exp: &mut Expected,
    r: &AnyRow,
    problems: &mut Vec<LogProblem>,
) -> Result<(), crate::StoreError> {
    let s = |c: &str| r.try_get::<String, _>(c);
    let o = |c: &str| r.try_get::<Option<String>, _>(c);
    let (run, batch, good, outcome) = (s("run_id")?, s("batch")?, s("good")?, s("outcome")?);
    let name = good_name(&run, &batch, &good);
    let Some(g) = exp.goods.get_mut(&(run, batch, good)) else {
        problems.push(LogProblem {
            seq: 0,
            kind: "row-inserted",
            message: format!("the determination of {name} is recorded by no log entry: it was inserted"),
        });
        return Ok(());
    };
    g.det_seen = true;
    if g.outcome != outcome {
        problems.push(LogProblem {
            seq: g.seq,
            kind: "row-edited",
            message: format!(
                "the determination of {name} says `{outcome}`, but entry {} (run.chunk_stored) recorded `{}`: the row was edited",
                g.seq, g.outcome
            ),
        });
    } else if let Some(want) = &g.row_digest {
        let criterion = o("criterion")?;
        let rule_id = o("rule_id")?;
        let draft = o("draft")?;
        // Compressed bytes that no longer decompress were edited as surely as a changed value.
        let got = match crate::packed::determination_text(r) {
            Ok(text) => Some(determination_digest(
                &s("hs")?,
                &outcome,
                criterion.as_deref(),
                rule_id.as_deref(),
                &s("summary")?,
                &s("digest")?,
                draft.as_deref(),
                &text,
            )?),
            Err(_) => None,
        };
        if got.as_ref() != Some(want) {
            problems.push(LogProblem {
                seq: g.seq,
                kind: "row-edited",
                message: format!(
                    "the determination of {name} no longer matches the digest entry {} (run.chunk_stored) recorded (hs, criterion, rule, summary, determination or certificate draft changed): the row was edited",
                    g.seq
                ),
            });
        }
    }
    Ok(())
}

/// One finding row, read for [`FindingsGroup`].
#[derive(Debug)]
pub(crate) struct FindingRowData {
    pub id: String,
    pub status: String,
    pub version: i64,
    pub carried_from: Option<String>,
}

/// The findings of one good, read in ordinal order.
#[derive(Debug)]
pub(crate) struct FindingsGroup {
    pub key: (String, String, String),
    pub digest: FindingsDigest,
    pub rows: Vec<FindingRowData>,
}

impl FindingsGroup {
    pub(crate) fn new(key: (String, String, String)) -> FindingsGroup {
        FindingsGroup { key, digest: FindingsDigest::default(), rows: Vec::new() }
    }

    /// Adds a row read with `FINDING_BIND_COLUMNS`.
    pub(crate) fn add(&mut self, r: &AnyRow) -> Result<(), crate::StoreError> {
        let id: String = r.try_get("id")?;
        self.digest.add(
            &id,
            r.try_get("ordinal")?,
            &r.try_get::<String, _>("code")?,
            &r.try_get::<String, _>("severity")?,
            &r.try_get::<String, _>("fingerprint")?,
            &r.try_get::<String, _>("finding")?,
        )?;
        self.rows.push(FindingRowData {
            id,
            status: r.try_get("status")?,
            version: r.try_get("version")?,
            carried_from: r.try_get("carried_from")?,
        });
        Ok(())
    }
}

/// The finding columns [`FindingsGroup::add`] reads.
pub(crate) const FINDING_BIND_COLUMNS: &str =
    "id, run_id, batch, good, ordinal, code, severity, fingerprint, finding, status, version, carried_from";

/// A good's findings against the log: their content (or ids, before binding) and each one's state.
pub(crate) fn check_findings(exp: &mut Expected, group: FindingsGroup, problems: &mut Vec<LogProblem>) {
    let (run, batch, good) = &group.key;
    let name = good_name(run, batch, good);
    let Some(g) = exp.goods.get_mut(&group.key) else {
        problems.push(LogProblem {
            seq: 0,
            kind: "row-inserted",
            message: format!(
                "{} finding(s) of {name} are recorded by no log entry (first: {}): inserted",
                group.rows.len(),
                group.rows.first().map_or("", |f| f.id.as_str())
            ),
        });
        return;
    };
    g.findings_seen = true;
    let chunk_seq = g.seq;
    let content_ok = match &g.findings_digest {
        Some(want) => &group.digest.finish() == want,
        None => group.rows.iter().map(|f| &f.id).eq(g.finding_ids.iter()),
    };
    if !content_ok {
        problems.push(LogProblem {
            seq: chunk_seq,
            kind: "row-edited",
            message: format!(
                "the findings of {name} no longer match what entry {chunk_seq} (run.chunk_stored) recorded (a finding was added, removed, or its code, severity, fingerprint or text changed)"
            ),
        });
    }
    for f in &group.rows {
        let (seq, action, status, version, carried_from) = match exp.findings.get(&f.id) {
            Some(x) => (x.seq, x.action.as_str(), x.status.as_str(), x.version, x.carried_from.as_deref()),
            None => (chunk_seq, "run.chunk_stored", "open", 1, None),
        };
        if f.status != status || f.version != version {
            problems.push(LogProblem {
                seq,
                kind: "row-edited",
                message: format!(
                    "finding {} of {name} is `{}` at version {}, but the last entry about it, entry {seq} ({action}), left it `{status}` at version {version}: the row was edited",
                    f.id, f.status, f.version
                ),
            });
        } else if f.carried_from.as_deref() != carried_from {
            problems.push(LogProblem {
                seq,
                kind: "row-edited",
                message: format!(
                    "finding {} of {name} says its decision was carried over from {}, but entry {seq} ({action}) records {}: the row was edited",
                    f.id,
                    f.carried_from.as_deref().unwrap_or("nothing"),
                    carried_from.unwrap_or("nothing")
                ),
            });
        }
    }
}

/// A good whose rows the log records but the tables no longer hold.
pub(crate) fn check_good_present(key: &(String, String, String), g: &GoodExp, problems: &mut Vec<LogProblem>) {
    let name = good_name(&key.0, &key.1, &key.2);
    if !g.det_seen {
        problems.push(LogProblem {
            seq: g.seq,
            kind: "row-deleted",
            message: format!("the determination of {name}, recorded by entry {}, is missing: deleted", g.seq),
        });
    }
    let had_findings = match &g.findings_digest {
        Some(d) => *d != no_findings_digest(),
        None => !g.finding_ids.is_empty(),
    };
    if !g.findings_seen && had_findings {
        problems.push(LogProblem {
            seq: g.seq,
            kind: "row-deleted",
            message: format!("the findings of {name}, recorded by entry {}, are missing: deleted", g.seq),
        });
    }
}

/// A review row against the log. `legacy_before`: the time of the last entry before data binding
/// (reviews up to it were recorded without a digest).
pub(crate) fn check_review(
    exp: &mut Expected,
    r: &AnyRow,
    legacy_before: Option<&str>,
    problems: &mut Vec<LogProblem>,
) -> Result<(), crate::StoreError> {
    let id: String = r.try_get("id")?;
    let finding: String = r.try_get("finding_id")?;
    match exp.reviews.remove(&id) {
        Some((want, seq, _)) => {
            if review_row_digest(r)? != want {
                problems.push(LogProblem {
                    seq,
                    kind: "row-edited",
                    message: format!(
                        "review {id} of finding {finding} no longer matches the digest entry {seq} recorded (decision, note, reviewer, role, statuses or time changed): the row was edited"
                    ),
                });
            }
        }
        None => {
            let at: String = r.try_get("at")?;
            if legacy_before.is_none_or(|t| at.as_str() > t) {
                problems.push(LogProblem {
                    seq: 0,
                    kind: "row-inserted",
                    message: format!(
                        "review {id} of finding {finding} (at {at}) is recorded by no log entry: it was inserted"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A certificate row against the log.
pub(crate) fn check_certificate(
    exp: &mut Expected,
    r: &AnyRow,
    problems: &mut Vec<LogProblem>,
) -> Result<(), crate::StoreError> {
    let id: String = r.try_get("id")?;
    let status: String = r.try_get("status")?;
    let good: String = r.try_get("good")?;
    let Some((want_status, digest, seq)) = exp.certificates.remove(&id) else {
        problems.push(LogProblem {
            seq: 0,
            kind: "row-inserted",
            message: format!("certificate {id} (good `{good}`, {status}) is recorded by no log entry: it was inserted"),
        });
        return Ok(());
    };
    if status != want_status {
        problems.push(LogProblem {
            seq,
            kind: "row-edited",
            message: format!(
                "certificate {id} (good `{good}`) is `{status}`, but entry {seq} left it `{want_status}`: the row was edited"
            ),
        });
    } else if digest.map(|want| certificate_row_digest(r).map(|got| got != want)).transpose()? == Some(true) {
        problems.push(LogProblem {
            seq,
            kind: "row-edited",
            message: format!(
                "certificate {id} (good `{good}`) no longer matches the digest entry {seq} recorded (draft, good, run, version, dates or withdrawal changed): the row was edited"
            ),
        });
    }
    Ok(())
}

/// A run's status against the log.
pub(crate) fn check_run(exp: &mut Expected, id: &str, status: &str, problems: &mut Vec<LogProblem>) {
    match exp.runs.remove(id) {
        None => problems.push(LogProblem {
            seq: 0,
            kind: "row-inserted",
            message: format!("run {id} ({status}) is recorded by no log entry: it was inserted"),
        }),
        Some((want, seq)) if want != status => problems.push(LogProblem {
            seq,
            kind: "row-edited",
            message: format!("run {id} is `{status}`, but entry {seq} left it `{want}`: the row was edited"),
        }),
        Some(_) => {}
    }
}
