//! The commands over the store: `runs`, `findings`, `certificate`, `log verify`, `export`. Each is a
//! library function writing to a `Write`, returning the exit code.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use origin_store::{Decision, FindingFilter, IdKind, IssueRequest, ReviewRequest, Role, RunRow, Store, StoreError};

use crate::exit;

/// Output format of the listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people.
    #[default]
    Table,
    /// For machines.
    Json,
}

/// `runs ...`.
#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// Every run, newest first.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// One run: status, digests of its files, counts, what its final commit did.
    Show {
        /// Run id (or a unique prefix).
        run: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// `findings ...`.
#[derive(Debug, clap::Subcommand)]
pub enum FindingsCommand {
    /// Findings, filtered.
    List {
        /// Only this run (id or unique prefix).
        #[arg(long)]
        run: Option<String>,
        /// open, accepted, dismissed, waived or resolved.
        #[arg(long)]
        status: Option<String>,
        /// blocking, warning or info.
        #[arg(long)]
        severity: Option<String>,
        /// A finding code, e.g. RVC_BELOW_THRESHOLD.
        #[arg(long)]
        code: Option<String>,
        /// Only this good.
        #[arg(long)]
        good: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// One finding: message, evidence, remedy, the determination's numbers and the reviews.
    Show {
        /// Finding id (or a unique prefix).
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Record a review decision.
    Review {
        /// Finding id (or a unique prefix).
        id: String,
        /// accept, dismiss (false positive) or waive (auditors only).
        #[arg(long, value_enum)]
        decision: DecisionArg,
        /// Justification (required to dismiss or waive).
        #[arg(long, default_value = "")]
        note: String,
        /// The reviewer's name.
        #[arg(long = "as", value_name = "NAME")]
        reviewer: String,
        /// The reviewer's role.
        #[arg(long, value_enum, default_value_t = RoleArg::Analyst)]
        role: RoleArg,
        /// The version you reviewed (from `findings show`); default: the version read just now.
        #[arg(long)]
        version: Option<i64>,
    },
}

/// Review decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecisionArg {
    /// The finding stands.
    Accept,
    /// A false positive.
    Dismiss,
    /// Known risk, waived by an auditor.
    Waive,
}

/// Reviewer roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    /// Compliance analyst.
    Analyst,
    /// Auditor.
    Auditor,
}

/// `certificate ...`.
#[derive(Debug, clap::Subcommand)]
pub enum CertificateCommand {
    /// Issue a certificate for a good that qualified in a completed run with no blocking finding in force.
    Issue {
        /// The run (id or unique prefix).
        #[arg(long)]
        run: String,
        /// The good's id.
        #[arg(long)]
        good: String,
        /// Blanket period start (with --blanket-to; at most 12 months).
        #[arg(long, requires = "blanket_to")]
        blanket_from: Option<NaiveDate>,
        /// Blanket period end.
        #[arg(long, requires = "blanket_from")]
        blanket_to: Option<NaiveDate>,
        /// Who issues it (default: $USER).
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
    /// Show a certificate.
    Show {
        /// Certificate id (or a unique prefix).
        id: String,
        /// markdown (to read and sign) or json.
        #[arg(long, value_enum, default_value_t = CertFormat::Markdown)]
        format: CertFormat,
    },
}

/// Certificate output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CertFormat {
    /// Markdown.
    Markdown,
    /// JSON.
    Json,
}

/// `log ...`.
#[derive(Debug, clap::Subcommand)]
pub enum LogCommand {
    /// Recompute the hash chain and the digests of the stored rows; exit 1 naming every edited,
    /// inserted or deleted entry or row.
    Verify {
        /// An anchor kept from `log anchor` (`SEQ:HASH`, or a file holding it): also fail when the log
        /// was cut short below it or rebuilt.
        #[arg(long, value_name = "SEQ:HASH|FILE")]
        anchor: Option<String>,
    },
    /// Verify the log, then print its head as `SEQ:HASH`: keep that line outside the database (a
    /// ticket, an email, a signed file) and pass it to `log verify --anchor` later.
    Anchor,
}

/// Who is acting: `$USER`, else `origin-audit`.
pub fn current_user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "origin-audit".into())
}

/// Prints a store error the way the other commands print theirs; returns the exit code.
pub fn report(e: &StoreError, err: &mut dyn Write) -> std::io::Result<i32> {
    writeln!(err, "error: {e}")?;
    Ok(match e {
        StoreError::NotFound(_) | StoreError::Invalid(_) | StoreError::Conflict { .. } => exit::INVALID,
        _ => exit::USAGE,
    })
}

fn json(out: &mut dyn Write, v: &impl serde::Serialize) -> std::io::Result<()> {
    writeln!(out, "{}", serde_json::to_string_pretty(v).map_err(std::io::Error::other)?)
}

/// The counts and what the final commit did, as `run` and `runs show` print them.
pub fn run_summary(r: &RunRow) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "run {}  {}  started {}  finished {}",
        r.id,
        r.status,
        r.started_at,
        r.finished_at.as_deref().unwrap_or("-")
    );
    let _ = writeln!(
        o,
        "  by {}, engine {}, rule pack {}{} (sha256 {})",
        r.actor,
        r.engine_version,
        r.rule_pack,
        if r.options.rules_source.is_empty() { String::new() } else { format!(" from {}", r.options.rules_source) },
        r.rules_digest
    );
    let _ = writeln!(
        o,
        "  goods {}/{} stored: {} qualified, {} not qualified, {} needs evidence; {} findings",
        r.goods_done, r.goods_total, r.qualified, r.not_qualified, r.needs_evidence, r.findings
    );
    if r.status != "completed" {
        let _ = writeln!(o, "  NOT COMPLETED: results are partial; finish with `origin-audit run --resume {}`", r.id);
    }
    if let Some(s) = &r.summary {
        let carried = s.carried_over;
        if carried > 0 {
            let _ = writeln!(o, "  {carried} finding(s) carried an earlier review decision over (same fingerprint)");
        }
        if !s.resolved.is_empty() {
            let _ = writeln!(o, "  {} earlier finding(s) resolved: this run no longer raises them", s.resolved.len());
        }
        for w in &s.withdrawn_certificates {
            let _ = writeln!(
                o,
                "  CERTIFICATE WITHDRAWN: {} (good {}, version {}): {}",
                w.certificate, w.good, w.version, w.reason
            );
        }
    }
    o
}

/// `runs list` / `runs show`.
pub async fn runs(store: &Store, cmd: &RunsCommand, out: &mut dyn Write) -> Result<i32, StoreError> {
    match cmd {
        RunsCommand::List { format } => {
            let runs = store.runs().await?;
            match format {
                Format::Json => json(out, &runs)?,
                Format::Table => {
                    if runs.is_empty() {
                        writeln!(out, "no runs in {}", store.location())?;
                    }
                    writeln!(
                        out,
                        "{:<36}  {:<9}  {:<27}  {:>9}  {:>5}  {:>8}",
                        "run", "status", "started", "goods", "qual.", "findings"
                    )?;
                    for r in &runs {
                        writeln!(
                            out,
                            "{:<36}  {:<9}  {:<27}  {:>9}  {:>5}  {:>8}",
                            r.id,
                            r.status,
                            r.started_at,
                            format!("{}/{}", r.goods_done, r.goods_total),
                            r.qualified,
                            r.findings
                        )?;
                    }
                }
            }
        }
        RunsCommand::Show { run, format } => {
            let id = store.resolve_id(IdKind::Run, run).await?;
            let r = store.run(&id).await?;
            let files = store.run_files(&id).await?;
            match format {
                Format::Json => json(
                    out,
                    &serde_json::json!({"run": r, "files": files, "determinations": store.determinations(&id).await?}),
                )?,
                Format::Table => {
                    write!(out, "{}", run_summary(&r))?;
                    writeln!(out, "\n  files (sha256):")?;
                    for f in files.iter().filter(|f| f.kind != "rules") {
                        writeln!(out, "    {}  {} {}", f.digest, f.kind, f.name)?;
                    }
                    writeln!(
                        out,
                        "    rule pack: {} files, digest {}",
                        files.iter().filter(|f| f.kind == "rules").count(),
                        r.rules_digest
                    )?;
                    writeln!(out, "\n  {:<16}  {:<15}  {:<16}  digest", "good", "determination", "rule")?;
                    for d in store.determinations(&id).await? {
                        let det = match &d.criterion {
                            Some(c) => format!("{} {c}", d.outcome.slug()),
                            None => d.outcome.slug().to_string(),
                        };
                        writeln!(
                            out,
                            "  {:<16}  {:<15}  {:<16}  {}",
                            d.good,
                            det,
                            d.rule_id.as_deref().unwrap_or("-"),
                            &d.digest[..16.min(d.digest.len())]
                        )?;
                    }
                }
            }
        }
    }
    Ok(exit::OK)
}

/// `findings list|show|review`.
pub async fn findings(store: &Store, cmd: &FindingsCommand, out: &mut dyn Write) -> Result<i32, StoreError> {
    match cmd {
        FindingsCommand::List { run, status, severity, code, good, format } => {
            let run = match run {
                Some(r) => Some(store.resolve_id(IdKind::Run, r).await?),
                None => None,
            };
            let filter = FindingFilter {
                run,
                status: status.clone(),
                severity: severity.clone(),
                code: code.clone(),
                good: good.clone(),
                ..FindingFilter::default()
            };
            let rows = store.findings(&filter).await?;
            match format {
                Format::Json => json(out, &rows)?,
                Format::Table => {
                    writeln!(
                        out,
                        "{:<36}  {:<8}  {:<9}  {:<3}  {:<16}  {:<30}  message",
                        "finding", "run", "status", "v", "good", "code"
                    )?;
                    for f in &rows {
                        writeln!(
                            out,
                            "{:<36}  {:<8}  {:<9}  {:<3}  {:<16}  {:<30}  {}",
                            f.id,
                            &f.run_id[..8.min(f.run_id.len())],
                            f.status,
                            f.version,
                            f.good,
                            format!("{} ({})", f.code, f.severity),
                            f.finding.message
                        )?;
                    }
                    writeln!(out, "{} finding(s)", rows.len())?;
                }
            }
        }
        FindingsCommand::Show { id, format } => {
            let id = store.resolve_id(IdKind::Finding, id).await?;
            let f = store.finding(&id).await?;
            let reviews = store.reviews(&id).await?;
            let det =
                store.determinations(&f.run_id).await?.into_iter().find(|d| d.batch == f.batch && d.good == f.good);
            match format {
                Format::Json => {
                    json(out, &serde_json::json!({"finding": f, "reviews": reviews, "determination": det}))?
                }
                Format::Table => {
                    let v = &f.finding;
                    writeln!(
                        out,
                        "finding {}  {} ({})  status {}  version {}",
                        f.id, f.code, f.severity, f.status, f.version
                    )?;
                    writeln!(
                        out,
                        "  run {}, batch {}, good {}, fingerprint {}",
                        f.run_id, f.batch, f.good, f.fingerprint
                    )?;
                    if let Some(c) = &f.carried_from {
                        writeln!(out, "  decision carried over from finding {c}")?;
                    }
                    writeln!(out, "\n  {}\n  basis: {}", v.message, v.citation)?;
                    if !v.materials.is_empty() {
                        writeln!(out, "  materials: {}", v.materials.join(", "))?;
                    }
                    for e in &v.evidence {
                        writeln!(out, "  evidence: {e}")?;
                    }
                    if !v.remedy.is_empty() {
                        writeln!(out, "  remedy: {}", v.remedy)?;
                    }
                    if let Some(d) = &det {
                        writeln!(out, "\n  determination: {}", d.summary)?;
                        writeln!(out, "  values: {}", serde_json::to_string(&d.determination.values)?)?;
                        for alt in &d.determination.alternatives {
                            let outcome = serde_json::to_value(alt.outcome)?;
                            writeln!(
                                out,
                                "  alternative {}: {} ({})",
                                alt.label,
                                outcome.as_str().unwrap_or(""),
                                alt.requirement
                            )?;
                        }
                    }
                    writeln!(out, "\n  reviews:")?;
                    if reviews.is_empty() {
                        writeln!(out, "    none")?;
                    }
                    for r in &reviews {
                        writeln!(
                            out,
                            "    {}  {} -> {} (v{})  by {} ({}): {}",
                            r.at, r.from_status, r.to_status, r.version, r.reviewer, r.role, r.note
                        )?;
                    }
                }
            }
        }
        FindingsCommand::Review { id, decision, note, reviewer, role, version } => {
            let id = store.resolve_id(IdKind::Finding, id).await?;
            let seen = match version {
                Some(v) => *v,
                None => store.finding(&id).await?.version,
            };
            let req = ReviewRequest {
                finding: id,
                decision: match decision {
                    DecisionArg::Accept => Decision::Accept,
                    DecisionArg::Dismiss => Decision::Dismiss,
                    DecisionArg::Waive => Decision::Waive,
                },
                note: note.clone(),
                reviewer: reviewer.clone(),
                role: match role {
                    RoleArg::Analyst => Role::Analyst,
                    RoleArg::Auditor => Role::Auditor,
                },
                expected_version: Some(seen),
            };
            let f = store.review(&req).await?;
            writeln!(out, "finding {} is now {} (version {}), recorded for {}", f.id, f.status, f.version, reviewer)?;
        }
    }
    Ok(exit::OK)
}

/// `certificate issue|show`.
pub async fn certificate(store: &Store, cmd: &CertificateCommand, out: &mut dyn Write) -> Result<i32, StoreError> {
    match cmd {
        CertificateCommand::Issue { run, good, blanket_from, blanket_to, actor } => {
            let run = store.resolve_id(IdKind::Run, run).await?;
            let blanket = blanket_from.zip(*blanket_to);
            let c = store
                .issue_certificate(&IssueRequest {
                    run,
                    good: good.clone(),
                    blanket,
                    actor: actor.clone().unwrap_or_else(current_user),
                })
                .await?;
            writeln!(out, "certificate {} issued: good {}, version {}, run {}", c.id, c.good, c.version, c.run_id)?;
            writeln!(out, "  show it: origin-audit certificate show {}", c.id)?;
        }
        CertificateCommand::Show { id, format } => {
            let id = store.resolve_id(IdKind::Certificate, id).await?;
            let c = store.certificate(&id).await?;
            match format {
                CertFormat::Json => json(out, &c)?,
                CertFormat::Markdown => {
                    if c.status == "withdrawn" {
                        writeln!(
                            out,
                            "> **WITHDRAWN** {}: {}\n",
                            c.withdrawn_at.as_deref().unwrap_or(""),
                            c.withdrawn_reason.as_deref().unwrap_or("")
                        )?;
                    }
                    writeln!(
                        out,
                        "<!-- certificate {} version {} ({}), good {}, run {}, issued by {} at {} -->\n",
                        c.id, c.version, c.status, c.good, c.run_id, c.issued_by, c.issued_at
                    )?;
                    write!(out, "{}", origin_engine::certificate::markdown(&c.draft))?;
                }
            }
        }
    }
    Ok(exit::OK)
}

/// An anchor given on the command line: `SEQ:HASH` itself, or a file holding it.
fn read_anchor(arg: &str) -> Result<origin_store::Anchor, StoreError> {
    if let Ok(a) = arg.parse() {
        return Ok(a);
    }
    let path = std::path::Path::new(arg);
    if !path.is_file() {
        return Err(StoreError::Invalid(format!(
            "--anchor `{arg}` is neither SEQ:HASH nor a file\n  help: pass what `origin-audit log anchor` printed, or the file you kept it in"
        )));
    }
    let text = std::fs::read_to_string(path)?;
    text.parse().map_err(|e: String| StoreError::Invalid(format!("{}: {e}", path.display())))
}

fn print_problems(r: &origin_store::LogReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "audit log BROKEN: {} problem(s) in {} entries", r.problems.len(), r.entries)?;
    for p in &r.problems {
        if p.seq > 0 {
            writeln!(out, "  entry {}: {}: {}", p.seq, p.kind, p.message)?;
        } else {
            writeln!(out, "  {}: {}", p.kind, p.message)?;
        }
    }
    Ok(())
}

/// `log verify`, `log anchor`.
pub async fn log(store: &Store, cmd: &LogCommand, out: &mut dyn Write) -> Result<i32, StoreError> {
    match cmd {
        LogCommand::Verify { anchor } => {
            let anchor = anchor.as_deref().map(read_anchor).transpose()?;
            let r = store.verify_log_anchored(anchor.as_ref()).await?;
            if r.ok() {
                writeln!(out, "audit log intact: {} entries, head {} ({})", r.entries, r.head_seq, r.head_hash)?;
                let c = r.rows;
                writeln!(
                    out,
                    "stored data matches the log: {} run(s), {} determination(s), {} finding(s), {} review(s), {} certificate(s), {} sign-in session(s)",
                    c.runs, c.determinations, c.findings, c.reviews, c.certificates, c.sessions
                )?;
                if r.unbound_goods > 0 {
                    writeln!(
                        out,
                        "note: {} good(s) were stored before data binding (entries before {}): their outcome, finding ids and finding states were checked, not the rest of their content",
                        r.unbound_goods, r.bound_from
                    )?;
                }
                match &r.anchor {
                    Some(a) => writeln!(out, "matches the anchor {a}")?,
                    None => writeln!(
                        out,
                        "no anchor given: a log rebuilt whole or cut short is only caught with --anchor (see `origin-audit log anchor`)"
                    )?,
                }
                Ok(exit::OK)
            } else {
                print_problems(&r, out)?;
                Ok(exit::INVALID)
            }
        }
        LogCommand::Anchor => {
            let r = store.verify_log().await?;
            if !r.ok() {
                print_problems(&r, out)?;
                writeln!(out, "no anchor printed: an anchor of a broken log would vouch for the break")?;
                return Ok(exit::INVALID);
            }
            if r.head_seq == 0 {
                return Err(StoreError::Invalid("the audit log is empty: nothing to anchor yet".into()));
            }
            writeln!(out, "{}", origin_store::Anchor { seq: r.head_seq, hash: r.head_hash })?;
            Ok(exit::OK)
        }
    }
}

/// `export RUN PATH [--format package|xlsx]`: the audit package directory, or the run's results as one
/// workbook (sheets Goods, Findings with review status, Materials).
pub async fn export(store: &Store, args: &ExportArgs, out: &mut dyn Write) -> Result<i32, StoreError> {
    let (run, dir) = (&args.run, &args.dir);
    let id = store.resolve_id(IdKind::Run, run).await?;
    let spinner = crate::progress::spinner(args.quiet, format!("exporting run {id}"));
    if args.format == ExportFormat::Xlsx {
        let dets = store.determinations(&id).await?;
        let findings = store.findings(&FindingFilter { run: Some(id.clone()), ..FindingFilter::default() }).await?;
        let written = crate::xlsx::write(&crate::xlsx::from_store(&dets, &findings), dir);
        if let Some(s) = spinner {
            s.finish_and_clear();
        }
        return match written {
            Ok(()) => {
                writeln!(
                    out,
                    "exported run {id} to {} ({} goods, {} findings; sheets Goods, Findings, Materials)",
                    dir.display(),
                    dets.len(),
                    findings.len()
                )?;
                Ok(exit::OK)
            }
            Err(crate::xlsx::XlsxOutError::Io(e)) => Err(e.into()),
            Err(e) => Err(StoreError::Invalid(e.to_string())),
        };
    }
    let e = origin_store::export_run(store, &id, dir).await;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let e = e?;
    writeln!(
        out,
        "exported run {id} to {} ({} files); check it with `sha256sum -c SHA256SUMS` there",
        dir.display(),
        e.files
    )?;
    Ok(exit::OK)
}

/// A store command with the store opened; the arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The run (id or unique prefix).
    pub run: String,
    /// A new or empty directory (with `--format xlsx`, the workbook file).
    #[arg(value_name = "PATH")]
    pub dir: PathBuf,
    /// `package`: the audit package directory; `xlsx`: the results as one workbook.
    #[arg(long, value_enum, default_value_t = ExportFormat::Package)]
    pub format: ExportFormat,
    /// No progress spinner (it is drawn only when stderr is a terminal anyway).
    #[arg(short, long)]
    pub quiet: bool,
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// The audit package: inputs, rules, results, reviews, log segment, SHA256SUMS.
    Package,
    /// One Excel workbook: sheets Goods, Findings (with review status), Materials.
    Xlsx,
}

/// A store command, for [`execute`].
#[derive(Debug, Clone, Copy)]
pub enum Op<'a> {
    /// `runs ...`.
    Runs(&'a RunsCommand),
    /// `findings ...`.
    Findings(&'a FindingsCommand),
    /// `certificate ...`.
    Certificate(&'a CertificateCommand),
    /// `log ...`.
    Log(&'a LogCommand),
    /// `export RUN DIR`.
    Export(&'a ExportArgs),
    /// `worker`.
    Worker(&'a WorkerArgs),
}

/// Arguments of `origin-audit worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The run to work on (default: the oldest running run with goods left).
    #[arg(long)]
    pub run: Option<String>,
    /// Goods claimed per transaction.
    #[arg(long, default_value_t = 64)]
    pub chunk: usize,
    /// The worker's name in the audit log (default: $USER).
    #[arg(long = "as", value_name = "NAME")]
    pub actor: Option<String>,
    /// Also run one supplier-reminder pass and deliver the outbox (as `solicit remind` does) first.
    #[arg(long)]
    pub remind: bool,
    /// The server's address as suppliers reach it, for reminder links.
    #[arg(long, env = "ORIGIN_AUDIT_PUBLIC_URL", default_value = "http://localhost:8080")]
    pub base_url: String,
}

/// `worker`: audits queued goods of a run until none is left (PostgreSQL).
pub async fn worker(store: &Store, args: &WorkerArgs, out: &mut dyn Write) -> Result<i32, StoreError> {
    let run = match &args.run {
        Some(r) => Some(store.resolve_id(IdKind::Run, r).await?),
        None => None,
    };
    let actor = args.actor.clone().unwrap_or_else(current_user);
    if args.remind {
        crate::solicit_cmd::remind_and_deliver(store, 7, 3, &args.base_url, &actor, out).await?;
    }
    let progress = std::sync::Arc::new(origin_engine::run::Progress::default());
    match origin_store::worker::work(store, run.as_deref(), &actor, args.chunk, progress).await {
        Ok(r) => {
            match &r.run {
                None => writeln!(out, "no running run has goods left in the queue")?,
                Some(id) => writeln!(out, "worker {actor}: run {id}: {} good(s) in {} chunk(s)", r.goods, r.chunks)?,
            }
            if let Some(c) = &r.completed {
                write!(out, "{}", run_summary(&c.run))?;
            }
            Ok(exit::OK)
        }
        Err(origin_store::runner::RunnerError::Store(e)) => Err(e),
        Err(e) => {
            writeln!(std::io::stderr(), "error: {e}")?;
            Ok(exit::USAGE)
        }
    }
}

/// Opens the store named by `db` on a fresh runtime, runs `f` on it and closes it: the set-up of every
/// command that works on the store. A store that does not open is one message and the usage exit code.
pub fn with_store(
    db: &str,
    f: impl AsyncFnOnce(&Store, &mut std::io::Stderr) -> std::io::Result<i32>,
) -> std::io::Result<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let mut err = std::io::stderr();
        let store = match Store::open(db).await {
            Ok(s) => s,
            Err(e) => {
                writeln!(err, "error: opening the database `{db}`: {e}")?;
                return Ok(exit::USAGE);
            }
        };
        let r = f(&store, &mut err).await;
        store.close().await;
        r
    })
}

/// Opens the store named by `db` and runs `op` on it; store errors are printed on stderr and turned into
/// exit codes.
pub fn execute(db: &str, op: Op<'_>, out: &mut dyn Write) -> std::io::Result<i32> {
    with_store(db, async |store, err| {
        let r = match op {
            Op::Runs(c) => runs(store, c, out).await,
            Op::Findings(c) => findings(store, c, out).await,
            Op::Certificate(c) => certificate(store, c, out).await,
            Op::Log(c) => log(store, c, out).await,
            Op::Export(a) => export(store, a, out).await,
            Op::Worker(a) => worker(store, a, out).await,
        };
        match r {
            Ok(code) => Ok(code),
            Err(e) => report(&e, err),
        }
    })
}
