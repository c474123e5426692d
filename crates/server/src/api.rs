//! JSON handlers under `/api`. Each is thin: check the input, call the store or the rule pack, answer.
//! Ids may be given in full or as a unique prefix, as on the command line.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use origin_core::HsCode;
use origin_engine::run::{Progress, RunError, RunOptions};
use origin_rules::explain::explain_rule;
use origin_rules::{Lookup, RuleQuery, VehicleUse};
use origin_store::runner::{self, DEFAULT_CHUNK, RunRequest, RunnerError};
use origin_store::{
    CertificateRow, Decision, DeterminationRow, FindingFilter, FindingRow, IdKind, IssueRequest, ReviewRequest,
    ReviewRow, Role, RunFileRow, RunRow, User, UserRole,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;

/// `GET /healthz`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// Liveness: answers when the database does.
pub async fn health(State(s): State<AppState>) -> Result<Json<Health>, AppError> {
    s.store().runs().await?;
    Ok(Json(Health { status: "ok" }))
}

/// The OpenAPI document, generated from the route table.
pub async fn openapi_document() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

/// `GET /api/runs`.
pub async fn list_runs(State(s): State<AppState>) -> Result<Json<Vec<RunRow>>, AppError> {
    Ok(Json(s.store().runs().await?))
}

/// A run with its files.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RunDetail {
    /// The run.
    pub run: RunRow,
    /// Its input and rule files with their digests.
    pub files: Vec<RunFileRow>,
}

/// `GET /api/runs/{run}`.
pub async fn show_run(State(s): State<AppState>, Path(run): Path<String>) -> Result<Json<RunDetail>, AppError> {
    let id = s.store().resolve_id(IdKind::Run, &run).await?;
    Ok(Json(RunDetail { run: s.store().run(&id).await?, files: s.store().run_files(&id).await? }))
}

/// `GET /api/runs/{run}/goods`.
pub async fn run_goods(
    State(s): State<AppState>,
    Path(run): Path<String>,
) -> Result<Json<Vec<DeterminationRow>>, AppError> {
    let id = s.store().resolve_id(IdKind::Run, &run).await?;
    Ok(Json(s.store().determinations(&id).await?))
}

/// A good's determination and findings.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GoodDetail {
    /// The determination (rule, alternatives, numbers, every material's status and why).
    pub determination: DeterminationRow,
    /// Its findings.
    pub findings: Vec<FindingRow>,
}

/// `GET /api/runs/{run}/goods/{good}`.
pub async fn run_good(
    State(s): State<AppState>,
    Path((run, good)): Path<(String, String)>,
) -> Result<Json<GoodDetail>, AppError> {
    let id = s.store().resolve_id(IdKind::Run, &run).await?;
    let batch = s
        .store()
        .goods_hs(&id)
        .await?
        .into_iter()
        .find(|(_, g, _)| *g == good)
        .map(|(b, _, _)| b)
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, format!("run `{id}` has no good `{good}`")))?;
    let determination = s.store().determination(&id, &batch, &good).await?;
    let filter = FindingFilter { run: Some(id), good: Some(good), ..FindingFilter::default() };
    Ok(Json(GoodDetail { determination, findings: s.store().findings(&filter).await? }))
}

/// The fields of `POST /api/runs`.
pub const RUN_UPLOAD_FIELDS: &[(&str, &str)] = &[
    ("batch", "a batch file (YAML or JSON; docs/batch-format.md); repeat for several"),
    ("bom", "a BOM file a batch names in `bom_files` (CSV or XLSX), under the name the batch uses; repeatable"),
    ("as_of", "optional: audit as of this date (YYYY-MM-DD) instead of each batch's own"),
];

/// A stored run's outcome.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RunStarted {
    /// The run as stored.
    pub run: RunRow,
    /// Certificates this run withdrew (their goods no longer qualify).
    pub withdrawn_certificates: Vec<String>,
}

/// The longest upload name taken (file systems refuse names of more than 255 bytes).
pub const MAX_UPLOAD_NAME: usize = 200;

/// A file name from an upload: a relative path of plain segments (`bom.csv`, `boms/bom.csv`) of
/// letters, digits, `.`, `_` and `-`, none starting with `.`. A name the server cannot use is a 422
/// that says why, never a file-system error (issue 13, item 9: a 300-character name gave a 500).
fn upload_name(name: Option<&str>) -> Result<String, AppError> {
    let name = name.unwrap_or("").replace('\\', "/");
    let unusable = |why: &str| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("upload file name `{}` is not usable: {why}", shorten(&name)),
        )
        .help("name files with letters, digits, `.`, `_` and `-`, e.g. batch.yaml, bom-seats.csv or boms/seats.csv")
    };
    if name.len() > MAX_UPLOAD_NAME {
        return Err(unusable(&format!("it is longer than {MAX_UPLOAD_NAME} characters")));
    }
    let ok = !name.is_empty()
        && name.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        });
    if ok { Ok(name) } else { Err(unusable("only letters, digits, `.`, `_`, `-` and `/` between names")) }
}

/// The start of a long user text, for a message.
fn shorten(s: &str) -> String {
    if s.chars().count() > 60 { format!("{}...", s.chars().take(60).collect::<String>()) } else { s.to_string() }
}

/// Places each BOM file a batch names where the batch names it inside the upload directory: a
/// browser sends only the file's own name (`seats.csv`) for a batch naming `boms/seats.csv`. Only
/// files uploaded with the batch are used; an entry that names no uploaded file is left for the
/// engine to report, and one leading outside the upload is refused by the engine before any file is
/// read.
fn place_boms(dir: &std::path::Path, batches: &[std::path::PathBuf]) -> Result<(), AppError> {
    for b in batches {
        let Ok(content) = std::fs::read(b) else { continue };
        for entry in origin_store::bom_files(&content) {
            let Ok(target) =
                origin_engine::input::resolve_bom_file(b, &entry, origin_engine::input::FileScope::BatchDirectory)
            else {
                continue;
            };
            if target.exists() {
                continue;
            }
            let Some(base) = std::path::Path::new(&entry).file_name() else { continue };
            let uploaded = dir.join(base);
            if uploaded.is_file() {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(AppError::internal)?;
                }
                std::fs::copy(&uploaded, &target).map_err(AppError::internal)?;
            }
        }
    }
    Ok(())
}

/// `POST /api/runs`: writes the uploads to a private temporary directory, then audits them into the
/// store exactly as `origin-audit run` does. A bad batch header is a 422 and nothing is stored.
pub async fn start_run(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    form: Multipart,
) -> Result<(StatusCode, Json<RunStarted>), AppError> {
    Ok((StatusCode::CREATED, Json(run_uploads(&s, &caller, form).await?)))
}

/// Audits uploaded batch files into the store as the caller (the API route and the runs page's form).
/// A `csrf` field (the page form's) is ignored here: the guard has checked it.
pub async fn run_uploads(s: &AppState, caller: &Caller, mut form: Multipart) -> Result<RunStarted, AppError> {
    let dir = tempfile::tempdir().map_err(AppError::internal)?;
    let mut batches = Vec::new();
    let mut as_of = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::new(e.status(), format!("reading the upload: {}", e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "batch" | "bom" => {
                // A form's file input left empty sends a part without a file name: nothing to keep.
                if field.file_name().is_none_or(str::is_empty) {
                    continue;
                }
                let file = upload_name(field.file_name())?;
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::new(e.status(), format!("reading `{file}`: {}", e.body_text())))?;
                let path = dir.path().join(&file);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(AppError::internal)?;
                }
                std::fs::write(&path, &bytes).map_err(AppError::internal)?;
                if name == "batch" {
                    batches.push(path);
                }
            }
            "as_of" => {
                let text = field.text().await.map_err(|e| AppError::bad_request(e.body_text()))?;
                if text.trim().is_empty() {
                    continue;
                }
                as_of = Some(NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                    AppError::bad_request(format!("`as_of` is `{}`, not a date", text.trim())).help("write YYYY-MM-DD")
                })?);
            }
            "csrf" => {}
            other => {
                return Err(AppError::bad_request(format!("unknown upload field `{other}`"))
                    .help("send `batch` (one or more), `bom` (as the batch names them) and optionally `as_of`"));
            }
        }
    }
    if batches.is_empty() {
        return Err(
            AppError::bad_request("no batch file uploaded").help("send the batch file in a field named `batch`")
        );
    }
    place_boms(dir.path(), &batches)?;
    let req = RunRequest {
        batches,
        pack: s.config().pack.clone(),
        opts: RunOptions { as_of, threads: None },
        actor: caller.user.name.clone(),
        chunk: DEFAULT_CHUNK,
        bom_scope: origin_engine::input::FileScope::BatchDirectory,
        upload_dir: Some(dir.path().to_path_buf()),
    };
    let progress = Arc::new(Progress::default());
    let stored =
        runner::start(s.store(), &req, progress, &mut origin_engine::sink::Discard).await.map_err(|e| match e {
            // A reader that stopped (a bug) is a 500 with a log reference, never its text in a 422.
            RunnerError::NotStarted(RunError::Internal(detail)) => AppError::internal(detail),
            // Files are named as uploaded: the temporary directory is the server's business. A bad
            // header is shown as the command line shows it, each error with its line of the upload.
            RunnerError::NotStarted(RunError::Header(h)) => AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                h.render(&mut origin_core::diag::Sources::new())
                    .trim_end()
                    .replace(&format!("{}{}", dir.path().display(), std::path::MAIN_SEPARATOR), ""),
            ),
            RunnerError::NotStarted(e) => AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                e.to_string().replace(&format!("{}{}", dir.path().display(), std::path::MAIN_SEPARATOR), ""),
            ),
            RunnerError::Store(e) => e.into(),
            RunnerError::Stopped { run, source } => AppError::internal(format!("run {run} stopped: {source}")),
            other => AppError::internal(other),
        })?;
    drop(dir);
    let withdrawn = stored.completed.withdrawn.iter().map(|w| w.certificate.clone()).collect();
    Ok(RunStarted { run: stored.completed.run, withdrawn_certificates: withdrawn })
}

/// Findings on a page when `limit` is not given.
pub const PAGE_DEFAULT: usize = 100;
/// The most findings a page holds (`limit` above it is refused): a page stays a few hundred kilobytes
/// and a few milliseconds however large the store (issue 13, item 7: the unpaged list of a
/// 100,000-good run was 90 MB).
pub const PAGE_MAX: usize = 1000;

/// Filters and page of the finding list (API and queue page).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FindingQuery {
    /// Run id or prefix.
    pub run: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Severity.
    pub severity: Option<String>,
    /// Code.
    pub code: Option<String>,
    /// Good id.
    pub good: Option<String>,
    /// Supplier name.
    pub supplier: Option<String>,
    /// HS chapter of the good.
    pub chapter: Option<String>,
    /// Findings per page (1 to [`PAGE_MAX`], default [`PAGE_DEFAULT`]).
    pub limit: Option<String>,
    /// The page after this finding (the `after` of the page before).
    pub after: Option<String>,
}

impl FindingQuery {
    /// The filters as given, in a fixed order, without the page.
    pub fn filters(&self) -> [(&'static str, &Option<String>); 7] {
        [
            ("run", &self.run),
            ("status", &self.status),
            ("severity", &self.severity),
            ("code", &self.code),
            ("good", &self.good),
            ("supplier", &self.supplier),
            ("chapter", &self.chapter),
        ]
    }

    /// `path?filters&limit=..&after=..`: the same list at another page.
    pub fn url(&self, path: &str, limit: Option<usize>, after: Option<&str>) -> String {
        let mut parts: Vec<String> = self
            .filters()
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}={}", crate::html::url_encode(v))))
            .collect();
        if let Some(l) = limit {
            parts.push(format!("limit={l}"));
        }
        if let Some(a) = after {
            parts.push(format!("after={}", crate::html::url_encode(a)));
        }
        format!("{path}?{}", parts.join("&"))
    }

    /// The page size asked for, checked.
    pub fn page_size(&self) -> Result<usize, AppError> {
        let Some(text) = nonempty(&self.limit) else { return Ok(PAGE_DEFAULT) };
        match text.parse::<usize>() {
            Ok(n) if (1..=PAGE_MAX).contains(&n) => Ok(n),
            Ok(n) => Err(AppError::bad_request(format!("`limit` is {n}; a page holds 1 to {PAGE_MAX} findings"))
                .help("follow `next` for the following pages")),
            Err(_) => Err(AppError::bad_request(format!("`limit` is `{text}`, not a number"))
                .help(format!("give a number from 1 to {PAGE_MAX}"))),
        }
    }
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

pub use origin_store::ListedFinding;

/// One page of findings, with the counts of every finding the filters match.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FindingList {
    /// The page's findings, by run, batch, good and position.
    pub findings: Vec<ListedFinding>,
    /// Counts over every finding the filters match (not only this page): dimension (severity, code,
    /// status, chapter, supplier) -> value -> count.
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
    /// How many findings the filters match.
    pub total: u64,
    /// The page size used.
    pub limit: usize,
    /// The cursor of the next page (the last finding of this one), when there is one.
    pub after: Option<String>,
    /// The next page's URL (same filters and size), when there is one.
    pub next: Option<String>,
}

/// The store filter of a query: the run resolved from its prefix, empty values as none.
async fn filter_of(s: &AppState, q: &FindingQuery) -> Result<FindingFilter, AppError> {
    let run = match nonempty(&q.run) {
        Some(r) => Some(s.store().resolve_id(IdKind::Run, &r).await?),
        None => None,
    };
    Ok(FindingFilter {
        run,
        status: nonempty(&q.status),
        severity: nonempty(&q.severity),
        code: nonempty(&q.code),
        good: nonempty(&q.good),
        supplier: nonempty(&q.supplier),
        chapter: nonempty(&q.chapter),
    })
}

/// One page of the filtered findings and the counts of them all, read from the store's columns
/// (never from batch files); `path` is the list's own path, for the `next` link.
pub async fn find(s: &AppState, q: &FindingQuery, path: &str) -> Result<FindingList, AppError> {
    let limit = q.page_size()?;
    let filter = filter_of(s, q).await?;
    let after = nonempty(&q.after);
    // One more than the page: whether a next page exists, without counting.
    let mut findings = s.store().findings_page(&filter, after.as_deref(), limit + 1).await?;
    let more = findings.len() > limit;
    findings.truncate(limit);
    let counts = crate::counts::counts(s, &filter).await?;
    let total = counts.get("severity").map(|m| m.values().sum()).unwrap_or(0);
    let after = if more { findings.last().map(|f| f.row.id.clone()) } else { None };
    let explicit = nonempty(&q.limit).map(|_| limit);
    let next = after.as_deref().map(|a| q.url(path, explicit, Some(a)));
    Ok(FindingList { findings, counts: (*counts).clone(), total, limit, after, next })
}

/// `GET /api/findings`.
pub async fn list_findings(
    State(s): State<AppState>,
    Query(q): Query<FindingQuery>,
) -> Result<Json<FindingList>, AppError> {
    Ok(Json(find(&s, &q, "/api/findings").await?))
}

/// A finding with everything an auditor reads before deciding.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FindingDetail {
    /// The finding.
    pub finding: FindingRow,
    /// Its reviews, oldest first.
    pub reviews: Vec<ReviewRow>,
    /// Its good's determination.
    pub determination: Option<DeterminationRow>,
}

/// The finding, its reviews and its good's determination.
pub async fn finding_detail(s: &AppState, id: &str) -> Result<FindingDetail, AppError> {
    let id = s.store().resolve_id(IdKind::Finding, id).await?;
    let finding = s.store().finding(&id).await?;
    let reviews = s.store().reviews(&id).await?;
    let determination = match s.store().determination(&finding.run_id, &finding.batch, &finding.good).await {
        Ok(d) => Some(d),
        Err(origin_store::StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(FindingDetail { finding, reviews, determination })
}

/// `GET /api/findings/{finding}`.
pub async fn show_finding(State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<FindingDetail>, AppError> {
    Ok(Json(finding_detail(&s, &id).await?))
}

/// A review.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// accept, dismiss (false positive) or waive (accepted risk).
    pub decision: String,
    /// Justification (required to dismiss or waive).
    #[serde(default)]
    pub note: String,
    /// The finding's version you reviewed (from the finding you read).
    pub version: i64,
}

/// The decision word, or a 422 naming the three.
pub fn decision(word: &str) -> Result<Decision, AppError> {
    match word {
        "accept" => Ok(Decision::Accept),
        "dismiss" => Ok(Decision::Dismiss),
        "waive" => Ok(Decision::Waive),
        other => Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("`{other}` is not a decision"))
            .help("use accept, dismiss or waive")),
    }
}

/// Records a review as the caller (always an auditor: the route needs the review permission).
pub async fn record_review(
    s: &AppState,
    caller: &Caller,
    id: &str,
    word: &str,
    note: &str,
    version: i64,
) -> Result<FindingRow, AppError> {
    let id = s.store().resolve_id(IdKind::Finding, id).await?;
    let req = ReviewRequest {
        finding: id,
        decision: decision(word)?,
        note: note.to_string(),
        reviewer: caller.user.name.clone(),
        role: Role::Auditor,
        expected_version: Some(version),
    };
    Ok(s.store().review(&req).await?)
}

/// `POST /api/findings/{finding}/reviews`.
pub async fn review_finding(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Result<Json<ReviewBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<FindingRow>, AppError> {
    let Json(b) = body.map_err(json_rejection)?;
    Ok(Json(record_review(&s, &caller, &id, &b.decision, &b.note, b.version).await?))
}

/// A JSON body that could not be read, said plainly.
pub fn json_rejection(e: axum::extract::rejection::JsonRejection) -> AppError {
    AppError::new(e.status(), format!("the request body is not what this route takes: {}", e.body_text()))
        .help("see /api/openapi.json for the fields")
}

/// `GET /api/certificates` filter.
#[derive(Debug, Deserialize)]
pub struct CertQuery {
    /// Run id or prefix.
    pub run: Option<String>,
    /// `json` or `markdown`.
    pub format: Option<String>,
}

/// `GET /api/certificates`.
pub async fn list_certificates(
    State(s): State<AppState>,
    Query(q): Query<CertQuery>,
) -> Result<Json<Vec<CertificateRow>>, AppError> {
    let run = match nonempty(&q.run) {
        Some(r) => Some(s.store().resolve_id(IdKind::Run, &r).await?),
        None => None,
    };
    Ok(Json(s.store().certificates(run.as_deref()).await?))
}

/// A certificate to issue.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// Run id or prefix (a completed run).
    pub run: String,
    /// Good id.
    pub good: String,
    /// Blanket period start (with `blanket_to`; at most 12 months).
    pub blanket_from: Option<NaiveDate>,
    /// Blanket period end.
    pub blanket_to: Option<NaiveDate>,
}

/// Issues a certificate as the caller.
pub async fn issue(
    s: &AppState,
    caller: &Caller,
    run: &str,
    good: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<CertificateRow, AppError> {
    let run = s.store().resolve_id(IdKind::Run, run).await?;
    let blanket = match (from, to) {
        (Some(f), Some(t)) => Some((f, t)),
        (None, None) => None,
        _ => {
            return Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "a blanket period needs both dates")
                .help("give blanket_from and blanket_to, or neither"));
        }
    };
    let req = IssueRequest { run, good: good.to_string(), blanket, actor: caller.user.name.clone() };
    Ok(s.store().issue_certificate(&req).await?)
}

/// `POST /api/certificates`.
pub async fn issue_certificate(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<IssueBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CertificateRow>), AppError> {
    let Json(b) = body.map_err(json_rejection)?;
    let c = issue(&s, &caller, &b.run, &b.good, b.blanket_from, b.blanket_to).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// `GET /api/certificates/{certificate}`.
pub async fn show_certificate(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<CertQuery>,
) -> Result<Response, AppError> {
    let id = s.store().resolve_id(IdKind::Certificate, &id).await?;
    let c = s.store().certificate(&id).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(c).into_response()),
        Some("markdown") => {
            let text = origin_engine::certificate::markdown(&c.draft);
            Ok(([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], text).into_response())
        }
        Some(other) => {
            Err(AppError::bad_request(format!("format `{other}` is not offered")).help("use json or markdown"))
        }
    }
}

/// Why a certificate is withdrawn.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// The reason (required; kept in the audit log).
    pub reason: String,
}

/// `POST /api/certificates/{certificate}/withdraw`.
pub async fn withdraw_certificate(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Result<Json<WithdrawBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<CertificateRow>, AppError> {
    let Json(b) = body.map_err(json_rejection)?;
    let id = s.store().resolve_id(IdKind::Certificate, &id).await?;
    Ok(Json(s.store().withdraw_certificate(&id, &caller.user.name, &b.reason).await?))
}

/// `GET /api/rules/explain` parameters.
#[derive(Debug, Deserialize)]
pub struct ExplainQuery {
    /// HS code.
    pub hs: Option<String>,
    /// Date.
    pub as_of: Option<String>,
    /// Vehicle use.
    #[serde(rename = "use")]
    pub vehicle_use: Option<String>,
    /// The good's description.
    pub kind: Option<String>,
}

/// A rule, as the explanation lists it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RuleRef {
    /// Rule id.
    pub id: String,
    /// The codes it covers.
    pub hs: String,
    /// Vehicle uses it is limited to.
    pub uses: Vec<String>,
    /// In force from.
    pub effective_from: String,
    /// In force until.
    pub effective_to: Option<String>,
    /// Where the law says it.
    pub citation: String,
    /// verified, unverified-transcription or incomplete.
    pub review: String,
    /// The legal text, verbatim.
    pub text: String,
}

/// The answer of `GET /api/rules/explain`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Explanation {
    /// The code as understood.
    pub hs: String,
    /// The date.
    pub as_of: String,
    /// found, no-rule, needs-classification, needs-use or needs-description.
    pub outcome: &'static str,
    /// The rule in force (when found).
    pub rule: Option<RuleRef>,
    /// The rule explained in words: alternatives, shifts, thresholds, automotive staging.
    pub explanation: Option<String>,
    /// The rules the question is between (or, for no-rule, rules for the code on other dates).
    pub candidates: Vec<RuleRef>,
    /// What to do next.
    pub help: Option<String>,
    /// How the HS 2022 code asked about was read in the rules' HS 2017 (GN 11(o)), when it changed.
    pub hs_mapping: Option<String>,
}

fn rule_ref(r: &origin_rules::Rule) -> RuleRef {
    RuleRef {
        id: r.id.clone(),
        hs: r.hs_key(),
        uses: r.uses.iter().map(|u| u.as_str().to_string()).collect(),
        effective_from: r.effective_from.to_string(),
        effective_to: r.effective_to.map(|d| d.to_string()),
        citation: r.citation.to_string(),
        review: r.review.as_str().to_string(),
        text: r.text.clone(),
    }
}

/// `GET /api/rules/explain`.
pub async fn explain(State(s): State<AppState>, Query(q): Query<ExplainQuery>) -> Result<Json<Explanation>, AppError> {
    let hs_text = nonempty(&q.hs).ok_or_else(|| AppError::bad_request("give `hs`, e.g. ?hs=8708.40"))?;
    let hs = HsCode::parse(&hs_text).map_err(|e| AppError::bad_request(e.to_string()))?;
    let as_of = match nonempty(&q.as_of) {
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map_err(|_| AppError::bad_request(format!("`as_of` is `{d}`, not a date")).help("write YYYY-MM-DD"))?,
        None => chrono::Utc::now().date_naive(),
    };
    let vehicle_use = match nonempty(&q.vehicle_use) {
        Some(u) => Some(VehicleUse::parse(&u).ok_or_else(|| {
            AppError::bad_request(format!("`use` is `{u}`"))
                .help("use passenger-vehicle, light-truck, heavy-truck or other")
        })?),
        None => None,
    };
    let set = s.rules();
    // The kind goes through the pack's vocabulary, as a batch's and `rules explain --kind` do: an
    // undeclared spelling is refused, never read as "any other good".
    let kind = match nonempty(&q.kind) {
        None => None,
        Some(written) => match set.kinds.resolve(&written) {
            Some(k) => Some(k.to_string()),
            None => {
                let help = match set.kinds.suggest(&written) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => "write a kind the rule pack declares (kinds.yaml)".to_string(),
                };
                return Err(
                    AppError::bad_request(format!("kind `{written}` is not declared in the rule pack")).help(help)
                );
            }
        },
    };
    // The code is HS 2022 (today's HTSUS), read in the rules' HS 2017 as `run` reads a batch's codes.
    let codes = set
        .rule_codes(hs, origin_rules::Nomenclature::Hs2022)
        .map_err(|e| AppError::bad_request(e.to_string()).help("give an HS 2022 code"))?;
    let (hs, hs_mapping) = match codes.as_slice() {
        [one] if *one == hs => (hs, None),
        [one] => (*one, Some(format!("HS 2022 `{hs}` is HS 2017 `{one}`"))),
        several => {
            let listed = origin_rules::nomenclature::list_codes(several, 40);
            return Ok(Json(Explanation {
                hs: hs.to_string(),
                as_of: as_of.to_string(),
                outcome: "needs-classification",
                rule: None,
                explanation: None,
                candidates: Vec::new(),
                help: Some(format!(
                    "HS 2022 `{hs}` corresponds to {} HS 2017 subheadings ({listed}); the rule depends on which one the good was classified in",
                    several.len()
                )),
                hs_mapping: None,
            }));
        }
    };
    let query = RuleQuery { hs, as_of, vehicle_use, good_kind: kind.as_deref(), parties: None };
    let refs = |rules: &[&origin_rules::Rule]| rules.iter().map(|r| rule_ref(r)).collect::<Vec<_>>();
    let (outcome, rule, explanation, candidates, help) = match set.lookup(query) {
        Lookup::Found(r) => ("found", Some(rule_ref(r)), Some(explain_rule(set, r)), Vec::new(), None),
        Lookup::NoRule { other_dates } => (
            "no-rule",
            None,
            None,
            refs(&other_dates),
            Some(format!(
                "the pack encodes no rule for `{hs}` in force on {as_of}; origin cannot be determined from it and is never guessed (docs/rules-coverage.md lists what is missing)"
            )),
        ),
        Lookup::NeedsClassification(r) => (
            "needs-classification",
            None,
            None,
            refs(&r),
            Some("give the 8-digit tariff item or 6-digit subheading".into()),
        ),
        Lookup::NeedsUse(r) => (
            "needs-use",
            None,
            None,
            refs(&r),
            Some("add use=passenger-vehicle, light-truck, heavy-truck or other".into()),
        ),
        Lookup::NeedsDescription(r) => {
            ("needs-description", None, None, refs(&r), Some("add kind= with the description the rule names".into()))
        }
        Lookup::NeedsParties(r) => (
            "needs-parties",
            None,
            None,
            refs(&r),
            Some("the rules differ by direction of trade (exporting and importing Party); each is listed".into()),
        ),
    };
    Ok(Json(Explanation {
        hs: hs.to_string(),
        as_of: as_of.to_string(),
        outcome,
        rule,
        explanation,
        candidates,
        help,
        hs_mapping,
    }))
}

/// Query of `GET /api/log/verify`.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    /// An anchor from `log anchor` (`SEQ:HASH`), as `log verify --anchor` takes it.
    pub anchor: Option<String>,
}

/// `GET /api/log/verify[?anchor=SEQ:HASH]`: with an anchor, a log cut short or rebuilt is caught too
/// (issue 13, item 6), as `log verify --anchor` does.
pub async fn verify_log(
    State(s): State<AppState>,
    Query(q): Query<VerifyQuery>,
) -> Result<Json<origin_store::LogReport>, AppError> {
    let anchor = match nonempty(&q.anchor) {
        Some(a) => Some(a.parse::<origin_store::Anchor>().map_err(|e| {
            AppError::bad_request(e).help("pass what `origin-audit log anchor` printed, e.g. ?anchor=12:3f5a...")
        })?),
        None => None,
    };
    Ok(Json(s.store().verify_log_anchored(anchor.as_ref()).await?))
}

/// `GET /api/users`.
pub async fn list_users(State(s): State<AppState>) -> Result<Json<Vec<User>>, AppError> {
    Ok(Json(s.store().users().await?))
}

/// An account to make.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// Account name.
    pub name: String,
    /// analyst, auditor or admin.
    pub role: String,
}

/// A new account and its token (shown once).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NewUser {
    /// The account.
    pub user: User,
    /// Its token: give it to the person; it is not kept and cannot be shown again.
    pub token: String,
}

/// The role word, or a 422 naming the three.
pub fn role(word: &str) -> Result<UserRole, AppError> {
    UserRole::parse(word).ok_or_else(|| {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("`{word}` is not a role"))
            .help("use analyst, auditor or admin")
    })
}

/// `POST /api/users`.
pub async fn add_user(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewUserBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<NewUser>), AppError> {
    let Json(b) = body.map_err(json_rejection)?;
    let (user, token) = s.store().add_user(b.name.trim(), role(&b.role)?, &caller.user.name).await?;
    Ok((StatusCode::CREATED, Json(NewUser { user, token })))
}

/// `POST /api/users/{name}/disable`.
pub async fn disable_user(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Json<User>, AppError> {
    if name == caller.user.name {
        return Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "you cannot disable your own account")
            .help("ask another admin"));
    }
    Ok(Json(s.store().disable_user(&name, &caller.user.name).await?))
}
