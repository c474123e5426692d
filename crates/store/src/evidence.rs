//! Evidence feeds the audit (issue 16): the certifications an auditor accepted become supplier
//! certifications of a new run that re-audits only the goods they affect (`rerun RUN --with-evidence`),
//! and the expiry calendar lists certifications running out with the goods that depend on them.
//!
//! The new run records the original input files, exactly as stored, and the evidence it applied
//! (`run_evidence`, and the `run.evidence_applied` log entry with its digest): the batch files are not
//! rewritten. Findings with the same fingerprint as the earlier run's carry their reviews as in any run.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use origin_engine::input::{Batch, FileScope, GoodInput, SupplierCertification, load_batch_in};
use origin_engine::run::{Progress, RunOptions};
use origin_engine::sink::{AuditJob, Discard, JobDone};
use serde::Serialize;
use serde_json::json;

use crate::inputs::{batch_name, collect_inputs, sha256_hex};
use crate::log::append;
use crate::runner::{RunPack, RunnerError, execute};
use crate::runs::{CompletedRun, NewRun};
use crate::solicit::{AskKind, CertificationAnswer};
use crate::{RunSettings, Store, StoreError};

/// An accepted certification and the BOM lines it was asked for.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    /// The request.
    pub request: String,
    /// The accepted answer.
    pub answer: String,
    /// The supplier.
    pub supplier: String,
    /// The certification id in the re-run's batch (the supplier's number, suffixed when the batch has
    /// another certification with that id).
    pub certification_id: String,
    /// The certification as entered.
    pub certification: CertificationAnswer,
    /// `(batch, good, line)` it was asked for.
    pub lines: Vec<(String, String, String)>,
}

/// The batches a run read, restored from the store into a temporary directory and read again.
pub async fn load_run_batches(
    store: &Store,
    run: &str,
) -> Result<(tempfile::TempDir, Vec<PathBuf>, Vec<Batch>), StoreError> {
    let row = store.run(run).await?;
    let dir = tempfile::tempdir()?;
    let paths = crate::restore_inputs(store, run, dir.path()).await?;
    let scope = if row.options.allow_outside { FileScope::Anywhere } else { FileScope::BatchDirectory };
    let mut batches = Vec::new();
    for p in &paths {
        let p2 = p.clone();
        let b = tokio::task::spawn_blocking(move || load_batch_in(&p2, scope))
            .await
            .map_err(|e| StoreError::Invalid(format!("reading the stored batch stopped: {e}")))?
            .map_err(|e| StoreError::Invalid(format!("the stored batch `{}` no longer reads: {e}", p.display())))?;
        batches.push(b);
    }
    Ok((dir, paths, batches))
}

/// The batch currency by batch id, for the plan's values.
pub fn currencies(batches: &[Batch]) -> HashMap<String, String> {
    batches.iter().map(|b| (b.header.id.clone(), b.header.currency.to_string())).collect()
}

/// The accepted certifications of a run's requests, with the lines each was asked for.
pub async fn accepted_evidence(store: &Store, run: &str) -> Result<Vec<Evidence>, StoreError> {
    let mut out = Vec::new();
    for r in store.requests(Some(run), None).await? {
        if r.state != "accepted" {
            continue;
        }
        let Some(last) = store.answers(&r.id).await?.pop() else { continue };
        let Some(cert) = last.answer.certification else { continue };
        let lines: Vec<(String, String, String)> = r
            .asks
            .iter()
            .filter(|a| a.kind == AskKind::Certification)
            .map(|a| (a.batch.clone(), a.good.clone(), a.line.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if lines.is_empty() {
            continue;
        }
        out.push(Evidence {
            request: r.id.clone(),
            answer: last.id,
            supplier: r.supplier.clone(),
            certification_id: cert.id.clone(),
            certification: cert,
            lines,
        });
    }
    Ok(out)
}

/// Puts the evidence into the batches: each certification added, its lines pointed at it. Returns the
/// goods touched, by batch.
pub fn apply_evidence(
    batches: &mut [Batch],
    evidence: &mut [Evidence],
) -> Result<HashMap<String, BTreeSet<String>>, StoreError> {
    let mut touched: HashMap<String, BTreeSet<String>> = HashMap::new();
    for ev in evidence.iter_mut() {
        let c = &ev.certification;
        let bad = |what: &str| {
            StoreError::Invalid(format!("accepted certification `{}` of request {}: {what}", c.id, ev.request))
        };
        let cert = SupplierCertification {
            id: String::new(),
            supplier: ev.supplier.clone(),
            parts: c.parts.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
            hs: Some(c.hs.parse().map_err(|_| bad(&format!("HS `{}` does not read", c.hs)))?),
            criterion: c.criterion.chars().next().ok_or_else(|| bad("no criterion"))?,
            country: c.country.parse().map_err(|_| bad(&format!("country `{}` does not read", c.country)))?,
            blanket: Some((c.blanket_from, c.blanket_to)),
            signed: c.signed,
        };
        for b in batches.iter_mut() {
            let mine: Vec<&(String, String, String)> = ev.lines.iter().filter(|l| l.0 == b.header.id).collect();
            if mine.is_empty() {
                continue;
            }
            let mut id = c.id.clone();
            if b.certifications.get(&id).is_some_and(|x| x.supplier != cert.supplier || x.blanket != cert.blanket) {
                id = format!("{}~{}", c.id, &ev.request[..8.min(ev.request.len())]);
            }
            ev.certification_id = id.clone();
            b.certifications.insert(id.clone(), SupplierCertification { id: id.clone(), ..cert.clone() });
            let shared: Arc<str> = Arc::from(id.as_str());
            for g in b.goods.iter_mut() {
                let GoodInput::Ok(good) = g else { continue };
                for m in good.materials.iter_mut() {
                    if mine.iter().any(|l| l.1 == good.id && *l.2 == *m.line) {
                        let mut changed = (**m).clone();
                        changed.certification = Some(shared.clone());
                        *m = Arc::new(changed);
                        touched.entry(b.header.id.clone()).or_default().insert(good.id.clone());
                    }
                }
            }
        }
    }
    Ok(touched)
}

/// A re-run with evidence.
#[derive(Debug, Clone)]
pub struct RerunRequest {
    /// The run whose accepted evidence is applied.
    pub run: String,
    /// The rule pack, read once (its digest recorded as in any run).
    pub pack: RunPack,
    /// Who runs it.
    pub actor: String,
    /// Goods per transaction.
    pub chunk: usize,
}

/// What a re-run did.
#[derive(Debug)]
pub struct Rerun {
    /// The new run.
    pub id: String,
    /// The evidence applied.
    pub evidence: Vec<Evidence>,
    /// What the pipeline did (per batch, the counts of the goods re-audited).
    pub job: JobDone,
    /// The final commit.
    pub completed: CompletedRun,
}

/// Re-audits, as a new stored run, only the goods of `run` that its accepted certifications affect.
pub async fn rerun_with_evidence(
    store: &Store,
    req: &RerunRequest,
    progress: Arc<Progress>,
) -> Result<Rerun, RunnerError> {
    let row = store.run(&req.run).await?;
    if row.status != "completed" {
        return Err(StoreError::Invalid(format!("run `{}` is {}; re-run a completed run", req.run, row.status)).into());
    }
    let mut evidence = accepted_evidence(store, &req.run).await?;
    if evidence.is_empty() {
        return Err(StoreError::Invalid(format!(
            "run `{}` has no accepted certification to apply\n  help: `origin-audit solicit list --run {}` shows its requests and their states",
            req.run, req.run
        ))
        .into());
    }
    let (dir, paths, mut batches) = load_run_batches(store, &req.run).await?;
    let touched = apply_evidence(&mut batches, &mut evidence)?;
    let mut kept_paths = Vec::new();
    let mut kept = Vec::new();
    for (b, p) in batches.into_iter().zip(paths) {
        let Some(goods) = touched.get(&b.header.id) else { continue };
        let mut b = b;
        b.goods.retain(|g| goods.contains(g.id()));
        kept.push(b);
        kept_paths.push(p);
    }
    let scope = if row.options.allow_outside { FileScope::Anywhere } else { FileScope::BatchDirectory };
    let inputs = collect_inputs(&kept_paths, &req.pack.files, scope, Some(dir.path()))?;
    let rules = &req.pack.rules;
    let goods_total: usize = kept.iter().map(|b| b.goods.len()).sum();
    let opts = RunOptions { as_of: row.options.as_of, threads: row.options.threads };
    let new = NewRun {
        actor: req.actor.clone(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        rule_pack: format!("{}@{}", rules.pack.id, rules.pack.version),
        as_of: opts.as_of,
        options: RunSettings {
            batches: kept_paths.iter().map(|p| batch_name(p, Some(dir.path()))).collect(),
            rules_source: req.pack.source.record(),
            as_of: opts.as_of,
            threads: opts.threads,
            chunk: Some(req.chunk),
            cwd: None,
            allow_outside: row.options.allow_outside,
        },
        goods_total: i64::try_from(goods_total).unwrap_or(i64::MAX),
        inputs,
    };
    let id = store.begin_run(&new).await?;
    store.record_evidence(&id, &req.run, &evidence, &req.actor).await?;
    // The one pipeline, as any stored run: the evidence is in the batches this job audits.
    let job = AuditJob::new(rules.clone(), kept, opts, req.chunk);
    let done = execute(store, id, &job, progress, &req.actor, &mut Discard).await?;
    Ok(Rerun { id: done.id, evidence, job: done.job, completed: done.completed })
}

impl Store {
    /// Records the evidence a run applies, in the table and the log (with its digest).
    async fn record_evidence(
        &self,
        run: &str,
        from: &str,
        evidence: &[Evidence],
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let mut digests = Vec::new();
        for e in evidence {
            let text = serde_json::to_string(e)?;
            sqlx::query("INSERT INTO run_evidence (run_id, request_id, answer_id, evidence) VALUES ($1, $2, $3, $4)")
                .bind(run)
                .bind(&e.request)
                .bind(&e.answer)
                .bind(&text)
                .execute(&mut *tx)
                .await?;
            digests.push(json!({"request": e.request, "answer": e.answer, "certification": e.certification_id,
                                "evidence_digest": sha256_hex(text.as_bytes()), "document": e.certification.document.digest}));
        }
        append(
            &mut tx,
            actor,
            "run.evidence_applied",
            &format!("run:{run}"),
            &json!({"from_run": from, "evidence": digests}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The evidence a run applied.
    pub async fn run_evidence(&self, run: &str) -> Result<Vec<Evidence>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query("SELECT evidence FROM run_evidence WHERE run_id = $1 ORDER BY request_id, answer_id")
            .bind(run)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(serde_json::from_str(&r.try_get::<String, _>("evidence")?)?)).collect()
    }
}

/// A certification running out, with the goods that depend on it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Expiring {
    /// Certification id.
    pub certification: String,
    /// Its supplier.
    pub supplier: String,
    /// Last day of its blanket period.
    pub blanket_to: NaiveDate,
    /// Days from today.
    pub days_left: i64,
    /// 30, 60 or 90: the first horizon it falls in.
    pub within: i64,
    /// Where it comes from: `batch` or `request ID` (accepted evidence).
    pub source: String,
    /// The goods whose BOM lines cite it, as `batch/good`.
    pub goods: Vec<String>,
}

/// Certifications of `run` (its batches' and its accepted evidence) whose blanket period ends within
/// 90 days of `today`, soonest first.
pub async fn expiring(store: &Store, run: &str, today: NaiveDate) -> Result<Vec<Expiring>, StoreError> {
    let (_dir, _paths, batches) = load_run_batches(store, run).await?;
    let mut out = Vec::new();
    let horizon = |to: NaiveDate| {
        let days = (to - today).num_days();
        [30, 60, 90].into_iter().find(|h| days >= 0 && days <= *h).map(|h| (days, h))
    };
    for b in &batches {
        for c in b.certifications.values() {
            let Some((_, to)) = c.blanket else { continue };
            let Some((days, within)) = horizon(to) else { continue };
            let goods = b
                .goods
                .iter()
                .filter_map(|g| match g {
                    GoodInput::Ok(g)
                        if g.materials.iter().any(|m| m.certification.as_deref() == Some(c.id.as_str())) =>
                    {
                        Some(format!("{}/{}", b.header.id, g.id))
                    }
                    _ => None,
                })
                .collect();
            out.push(Expiring {
                certification: c.id.clone(),
                supplier: c.supplier.clone(),
                blanket_to: to,
                days_left: days,
                within,
                source: "batch".into(),
                goods,
            });
        }
    }
    for ev in accepted_evidence(store, run).await? {
        let to = ev.certification.blanket_to;
        let Some((days, within)) = horizon(to) else { continue };
        let goods: BTreeSet<String> = ev.lines.iter().map(|l| format!("{}/{}", l.0, l.1)).collect();
        out.push(Expiring {
            certification: ev.certification.id.clone(),
            supplier: ev.supplier.clone(),
            blanket_to: to,
            days_left: days,
            within,
            source: format!("request {}", ev.request),
            goods: goods.into_iter().collect(),
        });
    }
    out.sort_by(|a, b| (a.blanket_to, &a.certification).cmp(&(b.blanket_to, &b.certification)));
    Ok(out)
}
