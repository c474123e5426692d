//! Storing a chunk of audited goods in one transaction: determinations, findings (earlier review
//! decisions carried over by fingerprint) and the log entry that binds them. One writer per dialect:
//! SQLite through the store's native connection, PostgreSQL through the `Any` pool (also the workers'
//! claim transactions).

use super::*;

impl Store {
    /// Stores one chunk of goods in one transaction: determinations and findings, carrying earlier review
    /// decisions over to findings with the same fingerprint. Prepares each good's rows here; the run
    /// pipeline prepares them on the audit workers instead ([`GoodRows::make`], [`Store::write_prepared`]).
    pub async fn write_goods(&self, run: &str, actor: &str, goods: &[GoodResult<'_>]) -> Result<(), StoreError> {
        let rows = goods.iter().map(GoodRows::make).collect::<Result<Vec<_>, _>>()?;
        self.write_prepared(run, actor, goods, &rows).await
    }

    /// [`Store::write_goods`] with each good's rows already made (`rows[i]` of `goods[i]`).
    ///
    /// On SQLite the chunk goes through the store's native SQLite connection (see [`sqlite_writer_options`]),
    /// not the `Any` pool: same SQL, same rows, same log entry, without the `Any` driver's per-value
    /// conversions.
    pub async fn write_prepared(
        &self,
        run: &str,
        actor: &str,
        goods: &[GoodResult<'_>],
        rows: &[GoodRows],
    ) -> Result<(), StoreError> {
        if let Some(writer) = &self.sqlite_writer {
            return write_goods_sqlite(writer, run, actor, goods, rows).await;
        }
        let mut tx = self.write_tx().await?;
        write_goods_in(&mut tx, self.backend, run, actor, goods, rows).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Options of the SQLite connection that writes result chunks (and of the benchmark's bare INSERT, so the
/// two are compared on equal terms). Atomicity is SQLite's in every case; what these settings trade is
/// durability against power loss, for chunks only (docs/store.md, "Storage benchmark"):
///
/// - `journal_mode = WAL`, `synchronous = NORMAL`: a committed chunk survives the process being killed
///   (`kill -9`); after a power loss or OS crash the last chunks committed before the last fsync may be
///   rolled back, whole: the run then shows fewer goods stored, stays `running`, and `--resume` redoes
///   them. Every other transaction (run start, final commit, reviews, certificates) goes through the main
///   pool with `synchronous = FULL`, whose commit fsyncs the WAL and so every chunk before it.
/// - `wal_autocheckpoint` of 16,384 pages (64 MiB) instead of 1,000: a chunk of a few thousand goods is
///   larger than 1,000 pages, so the default checkpoints after every chunk and rewrites the same index
///   pages into the database file again and again. `journal_size_limit` keeps the WAL file at 64 MiB
///   after a checkpoint.
/// - a 64 MiB page cache, so a chunk's index pages stay in memory.
pub fn sqlite_writer_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(std::time::Duration::from_secs(30))
        .pragma("cache_size", "-65536")
        .pragma("wal_autocheckpoint", "16384")
        .pragma("journal_size_limit", "67108864"))
}

/// The status of the run, which must be `running` for results to be added.
fn check_running(run: &str, status: Option<String>) -> Result<(), StoreError> {
    match status.as_deref() {
        Some("running") => Ok(()),
        Some(s) => Err(StoreError::Invalid(format!("run `{run}` is {s}; results can only be added to a running run"))),
        None => Err(StoreError::NotFound(format!("no run `{run}`"))),
    }
}

/// [`Store::write_prepared`] on SQLite, through the native connection: one `BEGIN IMMEDIATE` transaction
/// (the write lock first, as `write_tx` takes it by updating `log_head`).
async fn write_goods_sqlite(
    writer: &SqlitePool,
    run: &str,
    actor: &str,
    goods: &[GoodResult<'_>],
    rows: &[GoodRows],
) -> Result<(), StoreError> {
    let mut chunk = Chunk::assemble(goods, rows)?;
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query("UPDATE log_head SET touched_at = ?1 WHERE id = 1").bind(now()).execute(&mut *tx).await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM runs WHERE id = ?1").bind(run).fetch_optional(&mut *tx).await?;
    check_running(run, status)?;
    let priors = prior_decisions::<Sqlite>(&mut tx, Backend::Sqlite, run, goods).await?;
    chunk.apply_priors(&priors);
    let at = now();
    insert_dets_sqlite(&mut tx, run, &chunk).await?;
    insert_finds_sqlite(&mut tx, run, &at, &chunk).await?;
    sqlx::query("UPDATE runs SET goods_done = goods_done + ?1 WHERE id = ?2")
        .bind(i64::try_from(goods.len()).unwrap_or(i64::MAX))
        .bind(run)
        .execute(&mut *tx)
        .await?;
    let payload = serde_json::to_string(&chunk_log(&chunk))?;
    append_on::<Sqlite>(&mut tx, actor, "run.chunk_stored", &format!("run:{run}"), &payload).await?;
    tx.commit().await?;
    Ok(())
}

/// Inserts a part's determinations (multi-row INSERTs, `?` placeholders).
async fn insert_dets_sqlite(tx: &mut sqlx::SqliteConnection, run: &str, part: &Chunk<'_>) -> Result<(), sqlx::Error> {
    for rows in statement_pieces(&part.dets, SQLITE_DETERMINATIONS_PER_INSERT) {
        let sql = insert_sql(DET_INSERT, Backend::Sqlite, rows.len(), 13, &[]);
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.hs)
                .bind(r.outcome)
                .bind(r.criterion)
                .bind(r.rule_id)
                .bind(r.summary)
                .bind("")
                .bind(r.determination_z)
                .bind(r.digest)
                .bind(r.draft)
                .bind(r.lines);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Inserts a part's findings (multi-row INSERTs, `?` placeholders).
async fn insert_finds_sqlite(
    tx: &mut sqlx::SqliteConnection,
    run: &str,
    at: &str,
    part: &Chunk<'_>,
) -> Result<(), sqlx::Error> {
    for rows in statement_pieces(&part.finds, SQLITE_FINDINGS_PER_INSERT) {
        let sql = insert_sql(FINDING_INSERT, Backend::Sqlite, rows.len(), 15, &["1"]);
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q
                .bind(r.id)
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.ordinal)
                .bind(r.code)
                .bind(r.severity)
                .bind(r.fingerprint)
                .bind(r.status())
                .bind(r.carried_from())
                .bind(r.finding)
                .bind(at)
                .bind(r.hs)
                .bind(r.suppliers)
                .bind(r.supplier_key);
        }
        q.execute(&mut *tx).await?;
    }
    for rows in statement_pieces(&part.pictures, PICTURES_PER_INSERT) {
        let mut sql = insert_sql(PICTURE_INSERT, Backend::Sqlite, rows.len(), 6, &[]);
        sql.push_str(PICTURE_CONFLICT);
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q.bind(run).bind(r.batch).bind(r.lot).bind(r.laundering).bind("").bind(r.svg_z);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// [`Store::write_goods`] inside the caller's transaction, which took the writers' lock (PostgreSQL, and
/// the workers' path).
pub(crate) async fn write_goods_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    run: &str,
    actor: &str,
    goods: &[GoodResult<'_>],
    rows: &[GoodRows],
) -> Result<(), StoreError> {
    let status: Option<String> = sqlx::query("SELECT status FROM runs WHERE id = $1")
        .bind(run)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get("status"))
        .transpose()?;
    check_running(run, status)?;
    let mut chunk = Chunk::assemble(goods, rows)?;
    let priors = prior_decisions::<sqlx::Any>(&mut **tx, backend, run, goods).await?;
    chunk.apply_priors(&priors);
    let at = now();
    // Multi-row INSERTs: far fewer round trips than one statement per row (see docs/store.md).
    for part in statement_pieces(&chunk.dets, 64) {
        let sql = insert_sql(DET_INSERT, backend, part.len(), 13, &[]);
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.hs)
                .bind(r.outcome)
                .bind(r.criterion)
                .bind(r.rule_id)
                .bind(r.summary)
                .bind("")
                .bind(r.determination_z)
                .bind(r.digest)
                .bind(r.draft)
                .bind(r.lines);
        }
        q.execute(&mut **tx).await?;
    }
    for part in statement_pieces(&chunk.finds, FINDINGS_PER_INSERT) {
        let sql = insert_sql(FINDING_INSERT, backend, part.len(), 15, &["1"]);
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q
                .bind(r.id)
                .bind(run)
                .bind(r.batch)
                .bind(r.good)
                .bind(r.ordinal)
                .bind(r.code)
                .bind(r.severity)
                .bind(r.fingerprint)
                .bind(r.status())
                .bind(r.carried_from())
                .bind(r.finding)
                .bind(&at)
                .bind(r.hs)
                .bind(r.suppliers)
                .bind(r.supplier_key);
        }
        q.execute(&mut **tx).await?;
    }
    for part in statement_pieces(&chunk.pictures, PICTURES_PER_INSERT) {
        let mut sql = insert_sql(PICTURE_INSERT, backend, part.len(), 6, &[]);
        sql.push_str(PICTURE_CONFLICT);
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q.bind(run).bind(r.batch).bind(r.lot).bind(r.laundering).bind("").bind(r.svg_z);
        }
        q.execute(&mut **tx).await?;
    }
    let n = i64::try_from(goods.len()).unwrap_or(i64::MAX);
    sqlx::query("UPDATE runs SET goods_done = goods_done + $1 WHERE id = $2")
        .bind(n)
        .bind(run)
        .execute(&mut **tx)
        .await?;
    append(tx, actor, "run.chunk_stored", &format!("run:{run}"), &serde_json::to_value(chunk_log(&chunk))?).await?;
    Ok(())
}

/// Finding rows per multi-row INSERT through `Any` (15 parameters each: well under SQLite's 32,766 and
/// PostgreSQL's 65,535).
pub(crate) const FINDINGS_PER_INSERT: usize = 500;
/// Finding rows per multi-row INSERT on the native SQLite path: 15,000 parameters.
pub(crate) const SQLITE_FINDINGS_PER_INSERT: usize = 1000;
/// Determination rows per multi-row INSERT on the native SQLite path.
const SQLITE_DETERMINATIONS_PER_INSERT: usize = 500;

/// `determination` is left empty: the JSON is in `determination_z` (migration 0011).
const DET_INSERT: &str = "INSERT INTO determinations (run_id, batch, good, hs, outcome, criterion, rule_id, summary, determination, determination_z, digest, draft, lines) VALUES ";
/// The findings INSERT: 15 bound columns, then `version` = 1.
pub(crate) const FINDING_INSERT: &str = "INSERT INTO findings (id, run_id, batch, good, ordinal, code, severity, fingerprint, status, carried_from, finding, updated_at, hs, suppliers, supplier_key, version) VALUES ";
/// The lot pictures INSERT (5 columns); a lot drawn by an earlier chunk of the run is kept as it is.
/// `svg` is left empty: the SVG is in `svg_z` (migration 0011).
const PICTURE_INSERT: &str = "INSERT INTO lot_pictures (run_id, batch, lot, laundering, svg, svg_z) VALUES ";
const PICTURE_CONFLICT: &str = " ON CONFLICT (run_id, batch, lot) DO NOTHING";
/// Lot pictures per multi-row INSERT (each a few kilobytes of SVG).
const PICTURES_PER_INSERT: usize = 100;

/// `rows` cut into the pieces each multi-row INSERT takes: as many of `max` rows as fit, then the rest
/// as powers of two, largest first (1,800 findings: 1,000, 512, 256, 32). A chunk's rest differs from
/// chunk to chunk; cut freely, each new row count is a new statement for SQLite to parse (a
/// 12,000-parameter statement) and for the statement cache to hold, which showed in the writer's
/// profile. Cut this way, a table is written with at most 1 + log2(`max`) statements, all reused.
pub(crate) fn statement_pieces<T>(rows: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let max = max.max(1);
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = if rest.len() >= max { max } else { 1 << rest.len().ilog2() };
        let (piece, after) = rest.split_at(n);
        rest = after;
        Some(piece)
    })
}

/// `head` followed by the placeholders of `rows` rows (see [`values`]).
pub(crate) fn insert_sql(head: &str, backend: Backend, rows: usize, cols: usize, literals: &[&str]) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (cols * 3 + 8));
    sql.push_str(head);
    values(&mut sql, backend, rows, cols, literals);
    sql
}

/// What one good needs stored, made once, off the writer's thread (the run pipeline makes it on the
/// audit workers): the determination and each finding serialized, the digests over those same bytes,
/// finding ids drawn, the pictures of the lots its findings name. The writer then only binds and inserts.
#[derive(Debug)]
pub struct GoodRows {
    outcome: String,
    criterion: Option<String>,
    /// The determination's JSON, zstd-compressed (`packed`); the digests are over the JSON itself.
    determination_z: Vec<u8>,
    digest: String,
    draft: Option<String>,
    /// `determinations.lines` (see `facts::lines_json`).
    lines: String,
    /// Digests of this row's and this good's findings' bound content (`bind.rs`), for the log entry.
    row_digest: String,
    findings_digest: String,
    findings: Vec<FindingRow>,
    /// (lot, laundering, the SVG zstd-compressed).
    pictures: Vec<(String, i64, Vec<u8>)>,
}

/// A finding's own columns in [`GoodRows`].
#[derive(Debug)]
struct FindingRow {
    id: String,
    finding: String,
    /// JSON array of the suppliers of the lines it names (see `facts::finding_suppliers`).
    suppliers: String,
    /// See `facts::supplier_key`.
    supplier_key: String,
}

impl GoodRows {
    /// The rows of one audited good.
    pub fn make(g: &GoodResult<'_>) -> Result<GoodRows, StoreError> {
        let audit: &GoodAudit = &g.report.audit;
        let d = &audit.determination;
        // The same bytes as the report's (serialized once for both, see `GoodResult::compact`).
        let json = g.compact()?;
        let determination = json.determination.as_str();
        let lines: Lines<'_> = d
            .materials
            .iter()
            .map(|m| (&*m.material.line, (m.material.supplier.as_deref(), m.material.lot.as_deref())))
            .collect();
        let mut findings = Vec::with_capacity(audit.findings.len());
        let mut pictures = Vec::new();
        let mut findings_digest = FindingsDigest::default();
        for (i, f) in audit.findings.iter().enumerate() {
            let named: Vec<&str> = f.materials.iter().map(String::as_str).collect();
            let suppliers = finding_suppliers(&lines, &named);
            if let Some(p) = g.pictures {
                for lot in named_lots(&lines, &named) {
                    if !pictures.iter().any(|(l, _, _): &(String, i64, Vec<u8>)| l == lot)
                        && let Some((svg, laundering)) = p.lot_svg(lot)
                    {
                        pictures.push((lot.to_string(), i64::from(laundering), crate::packed::pack(svg.as_bytes())?));
                    }
                }
            }
            let row = FindingRow {
                id: finding_id(),
                finding: json
                    .findings
                    .get(i)
                    .cloned()
                    .ok_or_else(|| StoreError::Invalid("a finding was not serialized".into()))?,
                suppliers: serde_json::to_string(&suppliers)?,
                supplier_key: supplier_key(&suppliers),
            };
            findings_digest.add(
                &row.id,
                i64::try_from(i).unwrap_or(i64::MAX),
                f.code.as_str(),
                f.severity.as_str(),
                &f.fingerprint,
                &row.finding,
            )?;
            findings.push(row);
        }
        let digest = audit_digest(g.report, &json)?;
        let outcome = word(d.outcome);
        let criterion = d.criterion.map(String::from);
        let draft = g.draft_if_cleared.map(serde_json::to_string).transpose()?;
        let row_digest = determination_digest(
            &audit.hs,
            &outcome,
            criterion.as_deref(),
            d.rule.as_ref().map(|r| r.id.as_str()),
            &d.summary,
            &digest,
            draft.as_deref(),
            determination,
        )?;
        Ok(GoodRows {
            outcome,
            criterion,
            determination_z: crate::packed::pack(determination.as_bytes())?,
            digest,
            draft,
            lines: lines_json(&lines)?,
            row_digest,
            findings_digest: findings_digest.finish(),
            findings,
            pictures,
        })
    }
}

/// A chunk's rows for either backend: the goods' own fields beside the rows made for them.
struct Chunk<'a> {
    dets: Vec<DetRow<'a>>,
    finds: Vec<FindRow<'a>>,
    pictures: Vec<PictureRow<'a>>,
}

/// The picture of a lot a finding of the chunk names.
struct PictureRow<'a> {
    batch: &'a str,
    lot: &'a str,
    laundering: i64,
    svg_z: &'a [u8],
}

struct DetRow<'a> {
    batch: &'a str,
    good: &'a str,
    hs: &'a str,
    outcome: &'a str,
    criterion: Option<&'a str>,
    rule_id: Option<&'a str>,
    summary: &'a str,
    determination_z: &'a [u8],
    digest: &'a str,
    draft: Option<&'a str>,
    lines: &'a str,
    row_digest: &'a str,
    findings_digest: &'a str,
    /// This good's findings: `finds[first..first + count]`.
    first: usize,
    count: usize,
}

struct FindRow<'a> {
    id: &'a str,
    batch: &'a str,
    good: &'a str,
    ordinal: i64,
    code: &'static str,
    severity: &'static str,
    fingerprint: &'a str,
    /// The earlier finding whose decision carries over, and that decision.
    prior: Option<(String, String)>,
    finding: &'a str,
    /// The good's HS code.
    hs: &'a str,
    suppliers: &'a str,
    supplier_key: &'a str,
}

impl FindRow<'_> {
    fn status(&self) -> &str {
        self.prior.as_ref().map_or("open", |p| p.1.as_str())
    }

    fn carried_from(&self) -> Option<&str> {
        self.prior.as_ref().map(|p| p.0.as_str())
    }
}

/// The `run.chunk_stored` payload. Fields in alphabetical order, so it serializes exactly as the
/// `serde_json::json!` object it replaced.
#[derive(Serialize)]
struct ChunkLog<'c> {
    carried_over: Vec<CarriedLog<'c>>,
    goods: Vec<GoodLog<'c>>,
}

#[derive(Serialize)]
struct CarriedLog<'c> {
    finding: &'c str,
    from: &'c str,
    status: &'c str,
}

#[derive(Serialize)]
struct GoodLog<'c> {
    batch: &'c str,
    digest: &'c str,
    findings: Vec<&'c str>,
    findings_digest: &'c str,
    good: &'c str,
    outcome: &'c str,
    row_digest: &'c str,
}

type Priors<'g> = std::collections::HashMap<(&'g str, &'g str, &'g str), (String, String)>;

impl<'a> Chunk<'a> {
    /// The chunk's rows: `rows[i]` was made for `goods[i]`. A lot named by several goods is drawn once.
    fn assemble(goods: &[GoodResult<'a>], rows: &'a [GoodRows]) -> Result<Chunk<'a>, StoreError> {
        if goods.len() != rows.len() {
            return Err(StoreError::Invalid(format!("{} goods but {} prepared rows", goods.len(), rows.len())));
        }
        let mut dets = Vec::with_capacity(goods.len());
        let mut finds = Vec::with_capacity(rows.iter().map(|r| r.findings.len()).sum());
        let mut pictures: Vec<PictureRow<'a>> = Vec::new();
        let mut drawn: HashSet<(&str, &str)> = HashSet::new();
        for (g, r) in goods.iter().zip(rows) {
            let audit: &'a GoodAudit = &g.report.audit;
            let d = &audit.determination;
            let first = finds.len();
            for (i, (f, row)) in audit.findings.iter().zip(&r.findings).enumerate() {
                finds.push(FindRow {
                    id: &row.id,
                    batch: g.batch,
                    good: &audit.good,
                    ordinal: i64::try_from(i).unwrap_or(i64::MAX),
                    code: f.code.as_str(),
                    severity: f.severity.as_str(),
                    fingerprint: &f.fingerprint,
                    prior: None,
                    finding: &row.finding,
                    hs: &audit.hs,
                    suppliers: &row.suppliers,
                    supplier_key: &row.supplier_key,
                });
            }
            for (lot, laundering, svg_z) in &r.pictures {
                if drawn.insert((g.batch, lot)) {
                    pictures.push(PictureRow { batch: g.batch, lot, laundering: *laundering, svg_z });
                }
            }
            dets.push(DetRow {
                batch: g.batch,
                good: &audit.good,
                hs: &audit.hs,
                outcome: &r.outcome,
                criterion: r.criterion.as_deref(),
                rule_id: d.rule.as_ref().map(|r| r.id.as_str()),
                summary: &d.summary,
                determination_z: &r.determination_z,
                digest: &r.digest,
                draft: r.draft.as_deref(),
                lines: &r.lines,
                row_digest: &r.row_digest,
                findings_digest: &r.findings_digest,
                first,
                count: r.findings.len(),
            });
        }
        Ok(Chunk { dets, finds, pictures })
    }

    fn apply_priors(&mut self, priors: &Priors<'_>) {
        if priors.is_empty() {
            return;
        }
        for f in &mut self.finds {
            f.prior = priors.get(&(f.batch, f.good, f.fingerprint)).cloned();
        }
    }
}

/// The `run.chunk_stored` payload of a chunk.
fn chunk_log<'c>(chunk: &'c Chunk<'_>) -> ChunkLog<'c> {
    let carried_over = chunk
        .finds
        .iter()
        .filter_map(|f| f.prior.as_ref().map(|(from, status)| CarriedLog { finding: f.id, from, status }))
        .collect();
    let goods = chunk
        .dets
        .iter()
        .map(|d| GoodLog {
            batch: d.batch,
            digest: d.digest,
            findings: chunk.finds.get(d.first..d.first + d.count).unwrap_or_default().iter().map(|f| f.id).collect(),
            findings_digest: d.findings_digest,
            good: d.good,
            outcome: d.outcome,
            row_digest: d.row_digest,
        })
        .collect();
    ChunkLog { carried_over, goods }
}

/// sha256 (hex) of `serde_json::to_string(audit)`, fed from the good's compact JSON (the bytes the rows
/// and the report hold) without serializing or assembling it again; a test checks the digest.
fn audit_digest(report: &origin_engine::run::GoodReport, json: &CompactGood) -> Result<String, StoreError> {
    let mut h = Sha256::new();
    json.write_good(report, false, &mut h)?;
    Ok(hex(&h.finalize()))
}

/// A finding's id: a UUID v7, time-ordered, so a chunk's findings land at the end of the primary-key
/// index instead of all over it (see docs/store.md, "Storage benchmark").
fn finding_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Appends `($1, ..., $cols, literal...), (...)` for `rows` rows; on SQLite `(?, ..., ?)` instead:
/// SQLite matches `$N` parameters by name, which makes a statement with thousands of them quadratic
/// (measured: 11,000 rows/s with `$N` against 200,000 with `?` for 500-row INSERTs).
pub(crate) fn values(sql: &mut String, backend: Backend, rows: usize, cols: usize, literals: &[&str]) {
    use std::fmt::Write as _;
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            n += 1;
            let sep = if c == 0 { "" } else { ", " };
            let _ = match backend {
                Backend::Sqlite => write!(sql, "{sep}?"),
                Backend::Postgres => write!(sql, "{sep}${n}"),
            };
        }
        for l in literals {
            let _ = write!(sql, ", {l}");
        }
        sql.push(')');
    }
}

/// The SELECT of [`prior_decisions`] for `n` goods (then the run id).
fn priors_sql(backend: Backend, n: usize) -> String {
    let mut sql = String::from(
        "SELECT id, status, batch, good, fingerprint, updated_at FROM findings WHERE status IN ('accepted', 'dismissed', 'waived') AND good IN (",
    );
    for i in 0..n {
        let sep = if i == 0 { "" } else { ", " };
        match backend {
            Backend::Sqlite => sql.push_str(&format!("{sep}?")),
            Backend::Postgres => sql.push_str(&format!("{sep}${}", i + 1)),
        }
    }
    let last = match backend {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => format!("${}", n + 1),
    };
    sql.push_str(&format!(") AND run_id <> {last} ORDER BY updated_at"));
    sql
}

/// The distinct good ids of a chunk.
fn chunk_goods<'g>(goods: &[GoodResult<'g>]) -> Vec<&'g str> {
    let mut wanted: HashSet<&str> = HashSet::new();
    for g in goods {
        wanted.insert(g.report.audit.good.as_str());
    }
    wanted.into_iter().collect()
}

/// Records a decided finding of an earlier run (rows come ordered by time: the latest decision wins)
/// under the chunk's own keys.
/// A prior decision's `(id, status, batch, good, fingerprint)`, from either connection's rows.
fn prior_row<R>(r: &R) -> Result<(String, String, String, String, String), sqlx::Error>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    String: for<'v> sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    Ok((r.try_get("id")?, r.try_get("status")?, r.try_get("batch")?, r.try_get("good")?, r.try_get("fingerprint")?))
}

fn record_prior<'g>(out: &mut Priors<'g>, goods: &[GoodResult<'g>], row: (String, String, String, String, String)) {
    let (id, status, batch, good, fp) = row;
    for g in goods.iter().filter(|g| g.batch == batch && g.report.audit.good == good) {
        for f in g.report.audit.findings.iter().filter(|f| f.fingerprint == fp) {
            out.insert((g.batch, g.report.audit.good.as_str(), f.fingerprint.as_str()), (id.clone(), status.clone()));
        }
    }
}

/// The latest review decision (accepted, dismissed, waived) of earlier runs per (batch, good,
/// fingerprint) for the goods of a chunk: one query per 500 goods, none when nothing was ever decided.
/// On either connection (the `Any` pool's, the native SQLite writer's), inside the caller's transaction.
async fn prior_decisions<'g, DB>(
    conn: &mut DB::Connection,
    backend: Backend,
    run: &str,
    goods: &[GoodResult<'g>],
) -> Result<Priors<'g>, StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'i> &'i str: sqlx::ColumnIndex<DB::Row>,
{
    let mut out = Priors::new();
    let any = sqlx::query::<DB>("SELECT id FROM findings WHERE status IN ('accepted', 'dismissed', 'waived') LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    if any.is_none() || goods.is_empty() {
        return Ok(out);
    }
    for part in chunk_goods(goods).chunks(500) {
        let sql = priors_sql(backend, part.len());
        let mut q = sqlx::query::<DB>(&sql);
        for g in part {
            q = q.bind(*g);
        }
        q = q.bind(run);
        for r in q.fetch_all(&mut *conn).await? {
            record_prior(&mut out, goods, prior_row(&r)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use origin_engine::audit::{Determination, GoodAudit, Outcome};
    use origin_engine::finding::{Facts, Finding, Severity};
    use origin_engine::run::GoodReport;
    use origin_engine::sink::GoodResult;
    use serde_json::json;

    use std::collections::HashSet;

    use super::{Chunk, GoodRows, chunk_log, hex, statement_pieces};
    use crate::inputs::sha256_hex;

    fn report(good: &str, findings: usize) -> GoodReport {
        let findings = (0..findings)
            .map(|k| {
                // Quotes, a backslash and non-ASCII text in the facts and the rendered message.
                Finding::of(
                    Severity::Blocking,
                    good,
                    Facts::ProvenanceGap { line: format!("\"L{k}\" — ñ"), lot: "a \\ b".into() },
                )
            })
            .collect();
        GoodReport {
            audit: GoodAudit {
                good: good.into(),
                description: "A \"quoted\" good\n".into(),
                hs: "8708.40".into(),
                determination: Determination {
                    outcome: Outcome::Qualified,
                    criterion: Some('B'),
                    summary: "qualified".into(),
                    rule: None,
                    alternative: None,
                    values: Default::default(),
                    alternatives: Vec::new(),
                    criterion_d_rvc: Vec::new(),
                    materials: Vec::new(),
                    caveats: vec!["unverified".into()],
                },
                findings,
            },
            certificate: None,
        }
    }

    /// Every row once, in order; pieces of `max` rows, then powers of two; few distinct sizes whatever
    /// the count, so the statements are reused.
    #[test]
    fn rows_are_cut_into_few_distinct_statement_sizes() {
        let mut sizes = HashSet::new();
        for n in 0..3000usize {
            let rows: Vec<usize> = (0..n).collect();
            let pieces: Vec<&[usize]> = statement_pieces(&rows, 1000).collect();
            assert_eq!(pieces.concat(), rows, "{n} rows");
            for p in &pieces {
                assert!(p.len() == 1000 || (p.len() < 1000 && p.len().is_power_of_two()), "{n}: {}", p.len());
                sizes.insert(p.len());
            }
        }
        assert_eq!(sizes.len(), 11, "{sizes:?}");
        let cut: Vec<usize> = statement_pieces(&[0u8; 1800], 1000).map(<[u8]>::len).collect();
        assert_eq!(cut, [1000, 512, 256, 32]);
    }

    #[test]
    fn digest_and_log_are_those_of_the_whole_audit_json() {
        let reports = [report("G1", 3), report("G2", 0), report("G\u{e9}3", 1)];
        let goods: Vec<GoodResult<'_>> = reports
            .iter()
            .map(|r| GoodResult { batch: "b", report: r, draft_if_cleared: None, pictures: None, json: None })
            .collect();
        let rows: Vec<GoodRows> = goods.iter().map(|g| GoodRows::make(g).unwrap()).collect();
        let chunk = Chunk::assemble(&goods, &rows).unwrap();
        for (d, r) in chunk.dets.iter().zip(&reports) {
            assert_eq!(d.digest, sha256_hex(serde_json::to_string(&r.audit).unwrap().as_bytes()));
            let text = String::from_utf8(crate::packed::unpack(d.determination_z, 1 << 20, "d").unwrap()).unwrap();
            assert_eq!(text, serde_json::to_string(&r.audit.determination).unwrap());
        }
        for (f, r) in chunk.finds.iter().zip(reports.iter().flat_map(|r| &r.audit.findings)) {
            assert_eq!(f.finding, serde_json::to_string(r).unwrap());
        }
        let logged: Vec<_> = chunk
            .dets
            .iter()
            .map(|d| {
                let own = &chunk.finds[d.first..d.first + d.count];
                let ids: Vec<_> = own.iter().map(|f| f.id).collect();
                // The bound digests, recomputed here from the row values as `log verify` reads them.
                let row_digest = crate::bind::determination_digest(
                    d.hs,
                    d.outcome,
                    d.criterion,
                    d.rule_id,
                    d.summary,
                    d.digest,
                    d.draft,
                    &String::from_utf8(crate::packed::unpack(d.determination_z, 1 << 20, "d").unwrap()).unwrap(),
                )
                .unwrap();
                let mut fd = crate::bind::FindingsDigest::default();
                for f in own {
                    fd.add(f.id, f.ordinal, f.code, f.severity, f.fingerprint, f.finding).unwrap();
                }
                json!({"batch": d.batch, "good": d.good, "outcome": d.outcome, "digest": d.digest, "findings": ids,
                       "findings_digest": fd.finish(), "row_digest": row_digest})
            })
            .collect();
        let carried: Vec<serde_json::Value> = Vec::new();
        assert_eq!(
            serde_json::to_string(&chunk_log(&chunk)).unwrap(),
            json!({"goods": logged, "carried_over": carried}).to_string()
        );
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
