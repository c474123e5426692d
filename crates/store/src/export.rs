//! `export RUN DIR`: an audit package a reviewer can reproduce the run from.
//!
//! ```text
//! DIR/run.json            the run: status, times, engine version, rule pack, digests, counts, options
//! DIR/inputs/...          the batch and BOM files exactly as used
//! DIR/rules/...           the rule pack exactly as used
//! DIR/SHA256SUMS          sha256 of every file above (`sha256sum -c SHA256SUMS` checks them)
//! DIR/determinations.json every good's determination with its digest
//! DIR/findings.json       the findings with their status and reviews
//! DIR/certificates.json   certificates issued on this run or withdrawn by it
//! DIR/solicitation.json  the supplier requests made from the run's findings, with answers and decisions
//! DIR/evidence.json       the accepted certifications the run applied (`rerun --with-evidence`)
//! DIR/documents/...       the suppliers' documents (signed certifications' PDFs), named by sha256
//! DIR/log.json            the audit log entries about the run, its findings, certificates and requests
//! ```

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use serde_json::json;

use crate::review::FindingFilter;
use crate::{Store, StoreError};

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    /// Files written.
    pub files: usize,
}

/// A relative path kept inside the package: `..`, roots and prefixes dropped.
fn inside(name: &str) -> PathBuf {
    Path::new(name).components().filter_map(|c| if let Component::Normal(s) = c { Some(s) } else { None }).collect()
}

/// Where a run's file goes in a package: batches (by file name) and their BOM files under `inputs/`, so
/// a batch finds its BOM files beside it as it did when it ran; rule files under `rules/`.
fn package_path(kind: &str, name: &str) -> PathBuf {
    match kind {
        "rules" => Path::new("rules").join(inside(name)),
        "batch" => {
            Path::new("inputs").join(Path::new(name).file_name().map(PathBuf::from).unwrap_or_else(|| inside(name)))
        }
        _ => Path::new("inputs").join(inside(name)),
    }
}

/// Writes a run's batch and BOM files, exactly as used, under `dir/inputs/`; returns the batch paths in
/// run order. For readers that need the batches again (the web UI's provenance pictures and supplier
/// filter) without the whole package.
pub async fn restore_inputs(store: &Store, run: &str, dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut batches = Vec::new();
    for f in store.run_files(run).await?.iter().filter(|f| f.kind != "rules") {
        let path = dir.join(package_path(&f.kind, &f.name));
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(&path, store.blob(&f.digest).await?)?;
        if f.kind == "batch" {
            batches.push(path);
        }
    }
    Ok(batches)
}

fn write_json(path: &Path, v: &serde_json::Value) -> Result<(), StoreError> {
    std::fs::write(path, serde_json::to_string_pretty(v)? + "\n")?;
    Ok(())
}

/// Writes the audit package of `run` into `dir` (created; must be empty or missing).
pub async fn export_run(store: &Store, run: &str, dir: &Path) -> Result<Exported, StoreError> {
    let r = store.run(run).await?;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(StoreError::Invalid(format!(
            "`{}` is not empty\n  help: export into a new directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)?;
    let mut sums = String::new();
    let files = store.run_files(run).await?;
    let mut count = 0;
    for f in &files {
        let rel = package_path(&f.kind, &f.name);
        let path = dir.join(&rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(&path, store.blob(&f.digest).await?)?;
        sums.push_str(&format!("{}  {}\n", f.digest, rel.to_string_lossy().replace('\\', "/")));
        count += 1;
    }
    std::fs::write(dir.join("SHA256SUMS"), sums)?;
    write_json(&dir.join("run.json"), &json!({"run": r, "files": files, "rules_digest": r.rules_digest}))?;
    let dets = store.determinations(run).await?;
    write_json(&dir.join("determinations.json"), &serde_json::to_value(&dets)?)?;
    let findings = store.findings(&FindingFilter { run: Some(run.to_string()), ..FindingFilter::default() }).await?;
    /// A finding of the package with its review history.
    #[derive(serde::Serialize)]
    struct WithReviews<'a> {
        #[serde(flatten)]
        finding: &'a crate::FindingRow,
        reviews: Vec<crate::ReviewRow>,
    }
    let mut with_reviews = Vec::with_capacity(findings.len());
    for f in &findings {
        with_reviews.push(WithReviews { finding: f, reviews: store.reviews(&f.id).await? });
    }
    write_json(&dir.join("findings.json"), &serde_json::to_value(&with_reviews)?)?;
    let certs: Vec<_> = store
        .certificates(None)
        .await?
        .into_iter()
        .filter(|c| c.run_id == run || c.withdrawn_by_run.as_deref() == Some(run))
        .collect();
    write_json(&dir.join("certificates.json"), &serde_json::to_value(&certs)?)?;
    /// A request of the package with its answers.
    #[derive(serde::Serialize)]
    struct WithAnswers {
        #[serde(flatten)]
        request: crate::solicit::RequestRow,
        answers: Vec<crate::solicit::AnswerRow>,
    }
    let evidence = store.run_evidence(run).await?;
    let mut requests = Vec::new();
    for r in store.requests(Some(run), None).await? {
        let answers = store.answers(&r.id).await?;
        requests.push(WithAnswers { request: r, answers });
    }
    write_json(&dir.join("solicitation.json"), &serde_json::to_value(&requests)?)?;
    // The suppliers' documents (the signed certifications' PDFs among them), by digest, in SHA256SUMS.
    let mut docs = Vec::new();
    for a in requests.iter().flat_map(|r| &r.answers) {
        docs.extend(a.answer.documents.iter().cloned());
        docs.extend(a.answer.certification.iter().map(|c| c.document.clone()));
    }
    let mut doc_sums = String::new();
    for d in docs {
        let ext = match d.content_type.as_str() {
            "application/pdf" => "pdf",
            "image/png" => "png",
            _ => "jpg",
        };
        let rel = format!("documents/{}.{ext}", d.digest);
        if !dir.join(&rel).exists() {
            std::fs::create_dir_all(dir.join("documents"))?;
            std::fs::write(dir.join(&rel), store.blob(&d.digest).await?)?;
            doc_sums.push_str(&format!("{}  {rel}\n", d.digest));
            count += 1;
        }
    }
    if !doc_sums.is_empty() {
        let mut all = std::fs::read_to_string(dir.join("SHA256SUMS"))?;
        all.push_str(&doc_sums);
        std::fs::write(dir.join("SHA256SUMS"), all)?;
    }
    write_json(&dir.join("evidence.json"), &serde_json::to_value(&evidence)?)?;
    let mut subjects: HashSet<String> = HashSet::new();
    subjects.insert(format!("run:{run}"));
    subjects.extend(requests.iter().map(|r| format!("request:{}", r.request.id)));
    subjects.extend(evidence.iter().map(|e| format!("request:{}", e.request)));
    subjects.extend(findings.iter().map(|f| format!("finding:{}", f.id)));
    subjects.extend(certs.iter().map(|c| format!("certificate:{}", c.id)));
    let log: Vec<_> =
        store.log_entries(i64::MIN, i64::MAX).await?.into_iter().filter(|e| subjects.contains(&e.subject)).collect();
    write_json(&dir.join("log.json"), &serde_json::to_value(&log)?)?;
    let readme = format!(
        "# Audit package: run {run}\n\nStatus {status}, started {start}, engine {engine}, rule pack {pack} (sha256 {rd}).\n\n\
         Check the files: `sha256sum -c SHA256SUMS`.\n\
         Reproduce: `origin-audit --rules rules run inputs/<batch>{as_of}` and compare each good's digest with `determinations.json`.\n",
        status = r.status,
        start = r.started_at,
        engine = r.engine_version,
        pack = r.rule_pack,
        rd = r.rules_digest,
        as_of = r.as_of.as_deref().map(|d| format!(" --as-of {d}")).unwrap_or_default(),
    );
    std::fs::write(dir.join("README.md"), readme)?;
    Ok(Exported { files: count + 9 })
}
