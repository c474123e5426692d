//! The audit log: append-only, one entry per state change, hash-chained.
//!
//! Entry `n` holds `prev_hash` (entry `n-1`'s hash; 64 zeros for the first) and
//! `hash = sha256(prev_hash || "\n" || canonical)`, where `canonical` is the JSON array
//! `[seq, at, actor, action, subject, payload]`. `log_head` holds the last seq and hash, so deleting the
//! last entries is caught too. [`Store::verify_log`] recomputes the chain and names every entry that was
//! edited, inserted or deleted; it also recomputes the digests of the stored rows the entries recorded
//! (see `bind.rs`) and names every row that no longer matches. An [`Anchor`] kept outside the database
//! catches a log that was cut short or rebuilt whole, which the chain alone cannot.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::bind::{self, Expected, FINDING_BIND_COLUMNS, FindingsGroup, REVIEW_COLUMNS};
use crate::certificate::CERT_COLUMNS;
use crate::{Backend, Store, StoreError, inputs::sha256_hex, now};

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
    /// Of the chain: `edited`, `deleted`, `inserted`; of a stored row: `row-edited`, `row-deleted`,
    /// `row-inserted`; `malformed` (a wrong-typed or unreadable entry), `unbound` (data binding
    /// inconsistent), `schema` (the log table lost its typing), `truncated` and `rewritten` (against an
    /// anchor). `seq` is 0 for a row no entry records.
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
    /// Problems, in log order (rows no entry records last); empty when the log is intact.
    pub problems: Vec<LogProblem>,
    /// The first entry that carries digests of the rows it records (`log_binding`).
    pub bound_from: i64,
    /// Stored rows checked against the log.
    pub rows: RowCounts,
    /// Goods recorded before data binding: their outcome, finding ids and finding states were checked,
    /// not the rest of their content.
    pub unbound_goods: usize,
    /// The anchor checked, as `SEQ:HASH`.
    pub anchor: Option<String>,
}

/// Stored rows checked by `log verify`.
#[derive(Debug, Clone, Copy, Default, Serialize, schemars::JsonSchema)]
pub struct RowCounts {
    /// Runs (status).
    pub runs: usize,
    /// Determinations.
    pub determinations: usize,
    /// Findings (content and state).
    pub findings: usize,
    /// Reviews.
    pub reviews: usize,
    /// Certificates.
    pub certificates: usize,
    /// Sign-in sessions.
    pub sessions: usize,
}

/// The log's head as kept outside the database (`log anchor`): `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The entry.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl FromStr for Anchor {
    type Err = String;

    fn from_str(s: &str) -> Result<Anchor, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "`{s}` is not an anchor: expected SEQ:HASH as `origin-audit log anchor` prints it, e.g. 12:{GENESIS}"
            )
        };
        let (seq, hash) = s.split_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        if seq < 1 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(bad());
        }
        Ok(Anchor { seq, hash: hash.to_string() })
    }
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
    append_on::<Any>(&mut **tx, actor, action, subject, &payload.to_string()).await
}

/// [`append`] on any connection inside a transaction the caller holds: the `Any` pool's, or the native
/// SQLite connection that writes result chunks. One place builds an entry and moves the head, whichever
/// connection writes it. `payload` is the canonical JSON text.
pub(crate) async fn append_on<DB>(
    conn: &mut DB::Connection,
    actor: &str,
    action: &str,
    subject: &str,
    payload: &str,
) -> Result<i64, StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB> + sqlx::Decode<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'i> &'i str: sqlx::ColumnIndex<DB::Row>,
{
    let row = sqlx::query::<DB>("SELECT seq, hash FROM log_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let (seq, prev): (i64, String) = (row.try_get("seq")?, row.try_get("hash")?);
    let seq = seq + 1;
    let at = now();
    let hash = entry_hash(&prev, seq, &at, actor, action, subject, payload);
    sqlx::query::<DB>("INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(seq)
        .bind(at.as_str())
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(payload)
        .bind(prev.as_str())
        .bind(hash.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query::<DB>("UPDATE log_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(hash.as_str())
        .execute(&mut *conn)
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

const ENTRY_COLUMNS: &str = "seq, at, actor, action, subject, payload, prev_hash, hash";

/// On SQLite: an entry whose every column holds its declared type. The table is STRICT since migration
/// 0007, but a table replaced by a lax one must not make `log verify` fail to read (exit 2) or skip an
/// entry in silence: rows outside this filter are named as `malformed`.
const SQLITE_WELL_TYPED: &str = "typeof(seq) = 'integer' AND typeof(at) = 'text' AND typeof(actor) = 'text' AND typeof(action) = 'text' AND typeof(subject) = 'text' AND typeof(payload) = 'text' AND typeof(prev_hash) = 'text' AND typeof(hash) = 'text'";

/// On SQLite, an entry's action and subject for a message: as they are when text, quoted (a blob in hex)
/// otherwise.
const SHOWN: &str = "(CASE typeof(action) WHEN 'text' THEN action ELSE quote(action) END) || ' ' || (CASE typeof(subject) WHEN 'text' THEN subject ELSE quote(subject) END)";

/// Rows per page when reading the stored data (determinations run to kilobytes each).
const PAGE: i64 = 1000;

/// Begins the read transaction `log verify` works in: one snapshot for the log and every table.
async fn snapshot(store: &Store) -> Result<Transaction<'static, Any>, StoreError> {
    let mut tx = store.pool.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    }
    Ok(tx)
}

/// Where data binding starts; a missing `log_binding` row is a problem and counts as "from the start".
async fn bound_from(tx: &mut Transaction<'static, Any>, problems: &mut Vec<LogProblem>) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT from_seq FROM log_binding WHERE id = 1").fetch_optional(&mut **tx).await?;
    match row {
        Some(r) => Ok(r.try_get("from_seq")?),
        None => {
            problems.push(LogProblem {
                seq: 0,
                kind: "unbound",
                message: "the log_binding row is missing (deleted): every entry is checked as if bound".into(),
            });
            Ok(1)
        }
    }
}

/// Entries that are not well typed (SQLite), and rows migration 0007 moved aside.
async fn malformed(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    problems: &mut Vec<LogProblem>,
) -> Result<(), StoreError> {
    if backend == Backend::Sqlite {
        let strict = sqlx::query("SELECT strict FROM pragma_table_list WHERE name = 'audit_log' AND schema = 'main'")
            .fetch_optional(&mut **tx)
            .await?;
        if strict.map(|r| r.try_get::<i64, _>("strict")).transpose()? != Some(1) {
            problems.push(LogProblem {
                seq: 0,
                kind: "schema",
                message: "the audit_log table is no longer a STRICT table: it was replaced".into(),
            });
        }
        let cols = ["seq", "at", "actor", "action", "subject", "payload", "prev_hash", "hash"];
        let types: Vec<String> = cols.iter().map(|c| format!("typeof({c}) AS t_{c}")).collect();
        let sql = format!(
            "SELECT quote(seq) AS q_seq, {SHOWN} AS q_action, {} FROM audit_log WHERE NOT ({SQLITE_WELL_TYPED}) ORDER BY rowid",
            types.join(", ")
        );
        for r in sqlx::query(&sql).fetch_all(&mut **tx).await? {
            let mut wrong = Vec::new();
            for c in cols {
                let t: String = r.try_get(format!("t_{c}").as_str())?;
                let want = if c == "seq" { "integer" } else { "text" };
                if t != want {
                    wrong.push(format!("{c} is {t}, not {want}"));
                }
            }
            let (q_seq, action): (String, String) = (r.try_get("q_seq")?, r.try_get("q_action")?);
            problems.push(LogProblem {
                seq: q_seq.parse().unwrap_or(0),
                kind: "malformed",
                message: format!(
                    "an entry stored with seq {q_seq} ({action}) has the wrong column types ({}): it was inserted or edited outside origin-audit",
                    wrong.join(", ")
                ),
            });
        }
    }
    let sql = match backend {
        Backend::Sqlite => {
            format!("SELECT quote(seq) AS q_seq, {SHOWN} AS q_action FROM audit_log_malformed ORDER BY rowid")
        }
        Backend::Postgres => {
            "SELECT COALESCE(seq, 'NULL') AS q_seq, COALESCE(action, 'NULL') || ' ' || COALESCE(subject, 'NULL') AS q_action FROM audit_log_malformed".to_string()
        }
    };
    for r in sqlx::query(&sql).fetch_all(&mut **tx).await? {
        let (q_seq, action): (String, String) = (r.try_get("q_seq")?, r.try_get("q_action")?);
        problems.push(LogProblem {
            seq: q_seq.parse().unwrap_or(0),
            kind: "malformed",
            message: format!(
                "an entry stored with seq {q_seq} ({action}) did not fit the typed log table when migration 0007 ran and was moved to audit_log_malformed: it had been inserted or edited outside origin-audit"
            ),
        });
    }
    Ok(())
}

/// The log entries, in order (on SQLite only the well-typed ones; see [`malformed`]).
async fn read_entries(tx: &mut Transaction<'static, Any>, backend: Backend) -> Result<Vec<LogEntry>, StoreError> {
    let sql = match backend {
        Backend::Sqlite => format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE {SQLITE_WELL_TYPED} ORDER BY seq"),
        Backend::Postgres => format!("SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY seq"),
    };
    let rows = sqlx::query(&sql).fetch_all(&mut **tx).await?;
    Ok(rows.iter().map(entry_from_row).collect::<Result<_, _>>()?)
}

/// The time of the last entry before data binding: reviews up to it were recorded without digests.
fn legacy_before(entries: &[LogEntry], from_seq: i64) -> Option<&str> {
    entries.iter().take_while(|e| e.seq < from_seq).last().map(|e| e.at.as_str())
}

/// Every stored row against what the log recorded.
async fn check_rows(
    tx: &mut Transaction<'static, Any>,
    exp: &mut Expected,
    legacy_before: Option<&str>,
    problems: &mut Vec<LogProblem>,
) -> Result<RowCounts, StoreError> {
    let mut counts = RowCounts::default();
    for r in sqlx::query("SELECT id, status FROM runs ORDER BY id").fetch_all(&mut **tx).await? {
        let (id, status): (String, String) = (r.try_get("id")?, r.try_get("status")?);
        bind::check_run(exp, &id, &status, problems);
        counts.runs += 1;
    }
    for (id, (status, seq)) in exp.runs.drain() {
        problems.push(LogProblem {
            seq,
            kind: "row-deleted",
            message: format!("run {id} ({status} as of entry {seq}) is missing: deleted"),
        });
    }
    // Determinations, a page at a time in key order.
    let det_cols =
        "run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, determination_z, digest, draft";
    let mut after: Option<(String, String, String)> = None;
    loop {
        let rows = match &after {
            None => {
                sqlx::query(&format!("SELECT {det_cols} FROM determinations ORDER BY run_id, batch, good LIMIT {PAGE}"))
                    .fetch_all(&mut **tx)
                    .await?
            }
            Some((r, b, g)) => sqlx::query(&format!(
                "SELECT {det_cols} FROM determinations WHERE (run_id, batch, good) > ($1, $2, $3) ORDER BY run_id, batch, good LIMIT {PAGE}"
            ))
            .bind(r)
            .bind(b)
            .bind(g)
            .fetch_all(&mut **tx)
            .await?,
        };
        for r in &rows {
            bind::check_determination(exp, r, problems)?;
        }
        counts.determinations += rows.len();
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE => {
                after = Some((last.try_get("run_id")?, last.try_get("batch")?, last.try_get("good")?));
            }
            _ => break,
        }
    }
    // Findings, grouped by good, in key and ordinal order.
    let mut group: Option<FindingsGroup> = None;
    let mut after: Option<(String, String, String, i64)> = None;
    loop {
        let rows = match &after {
            None => sqlx::query(&format!(
                "SELECT {FINDING_BIND_COLUMNS} FROM findings ORDER BY run_id, batch, good, ordinal LIMIT {}",
                PAGE * 5
            ))
            .fetch_all(&mut **tx)
            .await?,
            Some((r, b, g, o)) => sqlx::query(&format!(
                "SELECT {FINDING_BIND_COLUMNS} FROM findings WHERE (run_id, batch, good, ordinal) > ($1, $2, $3, $4) ORDER BY run_id, batch, good, ordinal LIMIT {}",
                PAGE * 5
            ))
            .bind(r)
            .bind(b)
            .bind(g)
            .bind(o)
            .fetch_all(&mut **tx)
            .await?,
        };
        for r in &rows {
            let key: (String, String, String) = (r.try_get("run_id")?, r.try_get("batch")?, r.try_get("good")?);
            if group.as_ref().is_some_and(|g| g.key != key)
                && let Some(done) = group.take()
            {
                bind::check_findings(exp, done, problems);
            }
            group.get_or_insert_with(|| FindingsGroup::new(key)).add(r)?;
        }
        counts.findings += rows.len();
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE * 5 => {
                after = Some((
                    last.try_get("run_id")?,
                    last.try_get("batch")?,
                    last.try_get("good")?,
                    last.try_get("ordinal")?,
                ));
            }
            _ => break,
        }
    }
    if let Some(done) = group.take() {
        bind::check_findings(exp, done, problems);
    }
    let mut goods: Vec<_> = exp.goods.iter().collect();
    goods.sort_by_key(|(_, g)| g.seq);
    for (key, g) in goods {
        bind::check_good_present(key, g, problems);
    }
    exp.unbound_goods_checked = exp.goods.values().filter(|g| g.row_digest.is_none()).count();
    // Reviews, by id.
    let mut after: Option<String> = None;
    loop {
        let rows = match &after {
            None => {
                sqlx::query(&format!("SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY id LIMIT {PAGE}"))
                    .fetch_all(&mut **tx)
                    .await?
            }
            Some(id) => {
                sqlx::query(&format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE id > $1 ORDER BY id LIMIT {PAGE}"))
                    .bind(id)
                    .fetch_all(&mut **tx)
                    .await?
            }
        };
        for r in &rows {
            bind::check_review(exp, r, legacy_before, problems)?;
        }
        counts.reviews += rows.len();
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE => after = Some(last.try_get("id")?),
            _ => break,
        }
    }
    let mut missing: Vec<_> = exp.reviews.drain().collect();
    missing.sort_by_key(|(_, (_, seq, _))| *seq);
    for (id, (_, seq, finding)) in missing {
        problems.push(LogProblem {
            seq,
            kind: "row-deleted",
            message: format!("review {id} of finding {finding}, recorded by entry {seq}, is missing: deleted"),
        });
    }
    for r in sqlx::query(&format!("SELECT {CERT_COLUMNS} FROM certificates ORDER BY id")).fetch_all(&mut **tx).await? {
        bind::check_certificate(exp, &r, problems)?;
        counts.certificates += 1;
    }
    for r in sqlx::query(&format!("SELECT {} FROM sessions ORDER BY id_hash", bind::SESSION_COLUMNS))
        .fetch_all(&mut **tx)
        .await?
    {
        bind::check_session(exp, &r, problems)?;
        counts.sessions += 1;
    }
    let mut missing: Vec<_> = exp.certificates.drain().collect();
    missing.sort_by_key(|(_, (_, _, seq))| *seq);
    for (id, (status, _, seq)) in missing {
        problems.push(LogProblem {
            seq,
            kind: "row-deleted",
            message: format!("certificate {id} ({status} as of entry {seq}) is missing: deleted"),
        });
    }
    Ok(counts)
}

/// The log against an anchor kept elsewhere.
fn check_anchor(entries: &[LogEntry], head_seq: i64, anchor: &Anchor, problems: &mut Vec<LogProblem>) {
    if head_seq < anchor.seq {
        problems.push(LogProblem {
            seq: anchor.seq,
            kind: "truncated",
            message: format!(
                "the log ends at entry {head_seq}, but the anchor {anchor} was taken at entry {}: entries {} to {} were removed and the head set back",
                anchor.seq,
                head_seq + 1,
                anchor.seq
            ),
        });
        return;
    }
    match entries.iter().find(|e| e.seq == anchor.seq) {
        None => problems.push(LogProblem {
            seq: anchor.seq,
            kind: "truncated",
            message: format!("entry {}, which the anchor {anchor} names, is missing", anchor.seq),
        }),
        Some(e) if e.hash != anchor.hash => problems.push(LogProblem {
            seq: anchor.seq,
            kind: "rewritten",
            message: format!(
                "entry {}'s hash is {}, but the anchor says {}: the log was rebuilt from entry {} or earlier",
                anchor.seq, e.hash, anchor.hash, anchor.seq
            ),
        }),
        Some(_) => {}
    }
}

/// Log order, rows that no entry records last.
fn sort_problems(problems: &mut [LogProblem]) {
    problems.sort_by_key(|p| (p.seq == 0, p.seq));
}

impl Store {
    /// Entries from `from` (inclusive) to `to` (inclusive), in order.
    pub async fn log_entries(&self, from: i64, to: i64) -> Result<Vec<LogEntry>, StoreError> {
        let rows =
            sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq"))
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(entry_from_row).collect::<Result<_, _>>()?)
    }

    /// Recomputes the whole chain and every stored row's digest.
    pub async fn verify_log(&self) -> Result<LogReport, StoreError> {
        self.verify_log_anchored(None).await
    }

    /// [`Store::verify_log`], and the log against an anchor kept elsewhere: a log cut short below the
    /// anchor, or rebuilt (every hash recomputed after an edit at or before it), is reported.
    pub async fn verify_log_anchored(&self, anchor: Option<&Anchor>) -> Result<LogReport, StoreError> {
        let mut tx = snapshot(self).await?;
        let mut problems = Vec::new();
        let head = sqlx::query("SELECT seq, hash FROM log_head WHERE id = 1").fetch_one(&mut *tx).await?;
        let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
        let from_seq = bound_from(&mut tx, &mut problems).await?;
        malformed(&mut tx, self.backend, &mut problems).await?;
        let entries = read_entries(&mut tx, self.backend).await?;
        problems.extend(verify_entries(&entries, head_seq, &head_hash));
        let mut exp = Expected::default();
        for e in &entries {
            exp.feed(e, &mut problems);
        }
        exp.check_binding(from_seq, &mut problems);
        let rows = check_rows(&mut tx, &mut exp, legacy_before(&entries, from_seq), &mut problems).await?;
        if let Some(a) = anchor {
            check_anchor(&entries, head_seq, a, &mut problems);
        }
        tx.rollback().await?;
        sort_problems(&mut problems);
        Ok(LogReport {
            entries: entries.len(),
            head_seq,
            head_hash,
            problems,
            bound_from: from_seq,
            rows,
            unbound_goods: exp.unbound_goods_checked,
            anchor: anchor.map(ToString::to_string),
        })
    }
}

/// One good's stored rows (its determination in `run`, its findings and their reviews, the run's
/// status) against the entries about them, inside the caller's transaction. What `certificate issue`
/// checks before it certifies: a full `log verify` reads the whole store, this reads the run's entries
/// and the good's findings' entries (by subject, indexed). It checks each entry's own hash, not the
/// whole chain, and not against an anchor: `log verify` does that.
pub(crate) async fn check_good(
    tx: &mut Transaction<'static, Any>,
    run: &str,
    batch: &str,
    good: &str,
) -> Result<Vec<LogProblem>, StoreError> {
    let mut problems = Vec::new();
    let from_seq = bound_from(tx, &mut problems).await?;
    let mut entries: Vec<LogEntry> =
        sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE subject = $1 ORDER BY seq"))
            .bind(format!("run:{run}"))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(entry_from_row)
            .collect::<Result<_, _>>()?;
    let rows = sqlx::query(&format!(
        "SELECT {FINDING_BIND_COLUMNS} FROM findings WHERE run_id = $1 AND batch = $2 AND good = $3 ORDER BY ordinal"
    ))
    .bind(run)
    .bind(batch)
    .bind(good)
    .fetch_all(&mut **tx)
    .await?;
    let mut exp = Expected::default();
    let mut scratch = Vec::new();
    for e in &entries {
        exp.feed(e, &mut scratch);
    }
    let key = (run.to_string(), batch.to_string(), good.to_string());
    let mut ids: Vec<String> = exp.goods.get(&key).map(|g| g.finding_ids.clone()).unwrap_or_default();
    for r in &rows {
        let id: String = r.try_get("id")?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    for part in ids.chunks(500) {
        let marks: Vec<String> = (1..=part.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE subject IN ({}) ORDER BY seq", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for id in part {
            q = q.bind(format!("finding:{id}"));
        }
        for r in q.fetch_all(&mut **tx).await? {
            entries.push(entry_from_row(&r)?);
        }
    }
    entries.sort_by_key(|e| e.seq);
    let mut exp = Expected::default();
    for e in &entries {
        if e.expected_hash(&e.prev_hash) != e.hash {
            problems.push(LogProblem {
                seq: e.seq,
                kind: "edited",
                message: format!(
                    "entry {} ({} {}) was edited: its content no longer matches its hash",
                    e.seq, e.action, e.subject
                ),
            });
        }
        exp.feed(e, &mut problems);
    }
    exp.check_binding(from_seq, &mut problems);
    let det = sqlx::query("SELECT run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, determination_z, digest, draft FROM determinations WHERE run_id = $1 AND batch = $2 AND good = $3")
        .bind(run)
        .bind(batch)
        .bind(good)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(d) = &det {
        bind::check_determination(&mut exp, d, &mut problems)?;
    }
    let mut group = FindingsGroup::new(key.clone());
    for r in &rows {
        group.add(r)?;
    }
    bind::check_findings(&mut exp, group, &mut problems);
    if let Some(g) = exp.goods.get(&key) {
        bind::check_good_present(&key, g, &mut problems);
    }
    // The good's findings' reviews.
    let before = match from_seq {
        1 => None,
        s => sqlx::query("SELECT at FROM audit_log WHERE seq = $1")
            .bind(s - 1)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get::<String, _>("at"))
            .transpose()?,
    };
    for part in ids.chunks(500) {
        let marks: Vec<String> = (1..=part.len()).map(|i| format!("${i}")).collect();
        let sql =
            format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE finding_id IN ({}) ORDER BY id", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for id in part {
            q = q.bind(id);
        }
        for r in q.fetch_all(&mut **tx).await? {
            bind::check_review(&mut exp, &r, before.as_deref(), &mut problems)?;
        }
    }
    for (id, (_, seq, finding)) in exp.reviews.drain() {
        problems.push(LogProblem {
            seq,
            kind: "row-deleted",
            message: format!("review {id} of finding {finding}, recorded by entry {seq}, is missing: deleted"),
        });
    }
    let status = sqlx::query("SELECT status FROM runs WHERE id = $1").bind(run).fetch_optional(&mut **tx).await?;
    if let Some(s) = status {
        bind::check_run(&mut exp, run, &s.try_get::<String, _>("status")?, &mut problems);
    }
    sort_problems(&mut problems);
    Ok(problems)
}
