//! `origin-audit solicit ...` and `origin-audit rerun RUN --with-evidence` (issue 16): ask each supplier
//! for exactly what a run's open findings need, track the requests, remind by due date, deliver the
//! outbox, decide answers, re-audit with the accepted certifications, and list expiring certifications.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use chrono::NaiveDate;
use origin_rules::PackSource;
use origin_store::evidence::{self, RerunRequest};
use origin_store::smtp::SmtpConfig;
use origin_store::solicit::Plan;
use origin_store::{IdKind, Store, StoreError};

use crate::exit;
use crate::store_cmd::{Format, current_user, report, run_summary};

/// `solicit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SolicitCommand {
    /// Per supplier, what the run's open findings need: parts, HS codes, periods, questions, values.
    Plan {
        /// The run (id or unique prefix).
        #[arg(long)]
        run: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Make one request per supplier of the plan (draft), and with `--send` send each at once.
    Create {
        /// The run.
        #[arg(long)]
        run: String,
        /// Answer by this date.
        #[arg(long)]
        due: NaiveDate,
        /// Only these suppliers (as the plan names them); repeat.
        #[arg(long = "supplier")]
        suppliers: Vec<String>,
        /// A supplier's mail address, `SUPPLIER=ADDRESS`; repeat.
        #[arg(long = "contact", value_parser = parse_contact)]
        contacts: Vec<(String, String)>,
        /// Send them too (invitation links into the outbox).
        #[arg(long)]
        send: bool,
        /// The server's address as suppliers reach it, for the invitation links.
        #[arg(long, env = "ORIGIN_AUDIT_PUBLIC_URL", default_value = "http://localhost:8080")]
        base_url: String,
        /// Who, for the log (default: $USER).
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
    /// Send a draft request: the supplier's account, a one-time invitation link, the mail.
    Send {
        /// The request.
        request: String,
        /// The server's address as suppliers reach it.
        #[arg(long, env = "ORIGIN_AUDIT_PUBLIC_URL", default_value = "http://localhost:8080")]
        base_url: String,
        /// Who, for the log (default: $USER).
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
    /// Requests with their states and due dates.
    List {
        /// Only this run's.
        #[arg(long)]
        run: Option<String>,
        /// Only this supplier's.
        #[arg(long)]
        supplier: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// One request: what it asks, its answers, its decision.
    Show {
        /// The request.
        request: String,
    },
    /// Accept or reject an answered request (an accepted certification feeds `rerun --with-evidence`).
    Decide {
        /// The request.
        request: String,
        /// accept or reject.
        #[arg(long, value_parser = ["accept", "reject"])]
        decision: String,
        /// Why (required to reject; the supplier sees it).
        #[arg(long, default_value = "")]
        note: String,
        /// The version you saw (`solicit show`); refused when it changed since.
        #[arg(long)]
        version: Option<i64>,
        /// Who, for the log (default: $USER).
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
    /// Reminders by due date (and expiry past it), then deliver the outbox. Run it from cron, or let
    /// `worker --remind` run it.
    Remind {
        /// Remind requests due within this many days.
        #[arg(long, default_value_t = 7)]
        within: i64,
        /// At most one mail per request every this many days.
        #[arg(long, default_value_t = 3)]
        every: i64,
        /// The server's address as suppliers reach it.
        #[arg(long, env = "ORIGIN_AUDIT_PUBLIC_URL", default_value = "http://localhost:8080")]
        base_url: String,
        /// Who, for the log (default: $USER).
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
    /// The outbox: each mail and whether it was delivered, and why not.
    Outbox {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Certifications running out in 30, 60 and 90 days, with the goods that depend on them.
    Expiring {
        /// The run (default: the latest completed run).
        #[arg(long)]
        run: Option<String>,
        /// Count from this date (default: today).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Arguments of `rerun`.
#[derive(Debug, clap::Args)]
pub struct RerunArgs {
    /// The run whose accepted evidence to apply.
    pub run: String,
    /// Apply the certifications accepted on the run's requests (required: the only kind of re-run).
    #[arg(long, required = true)]
    pub with_evidence: bool,
    /// Goods per transaction.
    #[arg(long, default_value_t = origin_store::runner::DEFAULT_CHUNK)]
    pub chunk: usize,
    /// Who runs it (default: $USER).
    #[arg(long = "as", value_name = "NAME")]
    pub actor: Option<String>,
}

fn parse_contact(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.rsplit_once('=').ok_or_else(|| format!("`{s}` is not SUPPLIER=ADDRESS"))?;
    if !v.contains('@') {
        return Err(format!("`{v}` is not a mail address"));
    }
    Ok((k.trim().to_string(), v.trim().to_string()))
}

/// The plan of a run, with the values in the batch currency.
pub async fn plan_of(store: &Store, run: &str) -> Result<Plan, StoreError> {
    let (_dir, _paths, batches) = evidence::load_run_batches(store, run).await?;
    store.solicitation_plan(run, &evidence::currencies(&batches)).await
}

/// Prints a plan for people.
pub fn print_plan(p: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    if p.suppliers.is_empty() && p.unassigned.is_empty() {
        writeln!(out, "run {}: no open finding needs anything from a supplier", p.run)?;
        return Ok(());
    }
    writeln!(out, "run {}: {} supplier(s) to ask", p.run, p.suppliers.len())?;
    for s in &p.suppliers {
        let cur = s.asks.first().map(|a| a.currency.as_str()).unwrap_or("");
        writeln!(
            out,
            "\n{}  ({} item(s); answers would make {} {cur} originating)",
            s.supplier,
            s.asks.len(),
            s.value
        )?;
        for a in &s.asks {
            writeln!(
                out,
                "  - {} {} part {} HS {} [{}] for {} {}{}",
                a.good,
                a.line,
                a.part.as_deref().unwrap_or("-"),
                a.hs,
                serde_json::to_value(a.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                a.code,
                // The whole id: finding ids are time-ordered (UUID v7), so those of one run share their
                // first characters and a short prefix would name several.
                a.finding,
                a.covers.map(|d| format!(", period to include {d}")).unwrap_or_default()
            )?;
            for q in &a.questions {
                writeln!(out, "      ? {q}")?;
            }
            writeln!(out, "      = {}", a.effect)?;
        }
    }
    if !p.unassigned.is_empty() {
        writeln!(out, "\nno supplier named on the line ({} item(s)):", p.unassigned.len())?;
        for a in &p.unassigned {
            writeln!(out, "  - {} {} for {}", a.good, a.line, a.code)?;
        }
    }
    Ok(())
}

async fn resolve_request(store: &Store, prefix: &str) -> Result<String, StoreError> {
    let all = store.requests(None, None).await?;
    let hits: Vec<&str> = all.iter().map(|r| r.id.as_str()).filter(|id| id.starts_with(prefix)).collect();
    match hits.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(StoreError::NotFound(format!("no request `{prefix}`"))),
        _ => Err(StoreError::Invalid(format!("`{prefix}` matches several requests; give more of the id"))),
    }
}

async fn latest_completed(store: &Store) -> Result<String, StoreError> {
    store
        .runs()
        .await?
        .into_iter()
        .find(|r| r.status == "completed")
        .map(|r| r.id)
        .ok_or_else(|| StoreError::NotFound("no completed run in the store".into()))
}

/// Runs a `solicit` subcommand.
pub async fn solicit(store: &Store, cmd: &SolicitCommand, out: &mut dyn Write) -> Result<i32, StoreError> {
    match cmd {
        SolicitCommand::Plan { run, format } => {
            let run = store.resolve_id(IdKind::Run, run).await?;
            let p = plan_of(store, &run).await?;
            match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&p)?)?,
                Format::Table => print_plan(&p, out)?,
            }
        }
        SolicitCommand::Create { run, due, suppliers, contacts, send, base_url, actor } => {
            let run = store.resolve_id(IdKind::Run, run).await?;
            let actor = actor.clone().unwrap_or_else(current_user);
            let p = plan_of(store, &run).await?;
            let contacts: HashMap<String, String> = contacts.iter().cloned().collect();
            let only = (!suppliers.is_empty()).then_some(suppliers.as_slice());
            let made = store.create_requests(&p, only, *due, &contacts, &actor).await?;
            for r in made {
                writeln!(
                    out,
                    "request {} for {} ({} item(s), due {}): draft",
                    r.id,
                    r.supplier,
                    r.asks.len(),
                    r.due_date
                )?;
                if *send {
                    let (r, link) = store.send_request(&r.id, base_url, &actor).await?;
                    writeln!(
                        out,
                        "  sent; invitation link (works once, {} days): {link}",
                        origin_store::solicit::INVITATION_DAYS
                    )?;
                    if r.contact.is_none() {
                        writeln!(out, "  no mail address for this supplier: hand the link over yourself")?;
                    }
                }
            }
        }
        SolicitCommand::Send { request, base_url, actor } => {
            let id = resolve_request(store, request).await?;
            let (r, link) = store.send_request(&id, base_url, &actor.clone().unwrap_or_else(current_user)).await?;
            writeln!(out, "request {} for {}: sent\ninvitation link (works once): {link}", r.id, r.supplier)?;
        }
        SolicitCommand::List { run, supplier, format } => {
            let run = match run {
                Some(r) => Some(store.resolve_id(IdKind::Run, r).await?),
                None => None,
            };
            let rows = store.requests(run.as_deref(), supplier.as_deref()).await?;
            match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
                Format::Table => {
                    writeln!(
                        out,
                        "{:<36}  {:<8}  {:<9}  {:<10}  {:<5}  supplier",
                        "request", "run", "state", "due", "items"
                    )?;
                    for r in rows {
                        writeln!(
                            out,
                            "{:<36}  {:<8}  {:<9}  {:<10}  {:<5}  {}",
                            r.id,
                            &r.run_id[..8.min(r.run_id.len())],
                            r.state,
                            r.due_date,
                            r.asks.len(),
                            r.supplier
                        )?;
                    }
                }
            }
        }
        SolicitCommand::Show { request } => {
            let id = resolve_request(store, request).await?;
            let r = store.request(&id).await?;
            let answers = store.answers(&id).await?;
            writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::json!({"request": r, "answers": answers}))?)?;
        }
        SolicitCommand::Decide { request, decision, note, version, actor } => {
            let id = resolve_request(store, request).await?;
            let r = store
                .decide_request(&id, decision == "accept", note, &actor.clone().unwrap_or_else(current_user), *version)
                .await?;
            writeln!(out, "request {}: {}", r.id, r.state)?;
            if r.state == "accepted" {
                writeln!(out, "  re-audit the goods it affects: origin-audit rerun {} --with-evidence", r.run_id)?;
            }
        }
        SolicitCommand::Remind { within, every, base_url, actor } => {
            return remind_and_deliver(
                store,
                *within,
                *every,
                base_url,
                &actor.clone().unwrap_or_else(current_user),
                out,
            )
            .await;
        }
        SolicitCommand::Outbox { format } => {
            let rows = store.outbox().await?;
            match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
                Format::Table => {
                    for m in rows {
                        writeln!(
                            out,
                            "{}  {:<11}  {:<10}  to {}  {}{}",
                            &m.created_at[..19.min(m.created_at.len())],
                            m.state,
                            m.kind,
                            m.to_address.as_deref().unwrap_or("(no address)"),
                            m.subject,
                            m.last_error.map(|e| format!("\n    why: {e}")).unwrap_or_default()
                        )?;
                    }
                }
            }
        }
        SolicitCommand::Expiring { run, today, format } => {
            let run = match run {
                Some(r) => store.resolve_id(IdKind::Run, r).await?,
                None => latest_completed(store).await?,
            };
            let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let rows = evidence::expiring(store, &run, today).await?;
            match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
                Format::Table => {
                    writeln!(out, "run {run}, as of {today}: {} certification(s) end within 90 days", rows.len())?;
                    for h in [30, 60, 90] {
                        let these: Vec<_> = rows.iter().filter(|r| r.within == h).collect();
                        writeln!(out, "\nwithin {h} days: {}", these.len())?;
                        for r in these {
                            writeln!(
                                out,
                                "  {} ({}) ends {} ({} days; {}): goods {}",
                                r.certification,
                                r.supplier,
                                r.blanket_to,
                                r.days_left,
                                r.source,
                                if r.goods.is_empty() { "none".to_string() } else { r.goods.join(", ") }
                            )?;
                        }
                    }
                }
            }
        }
    }
    Ok(exit::OK)
}

/// One reminder pass, then the outbox delivered through `ORIGIN_AUDIT_SMTP` (or marked undelivered,
/// with why). Used by `solicit remind` and `worker --remind`.
pub async fn remind_and_deliver(
    store: &Store,
    within: i64,
    every: i64,
    base_url: &str,
    actor: &str,
    out: &mut dyn Write,
) -> Result<i32, StoreError> {
    let smtp = match SmtpConfig::from_env() {
        Ok(s) => s,
        Err(e) => {
            writeln!(std::io::stderr(), "error: {e}")?;
            return Ok(exit::USAGE);
        }
    };
    let r = store.remind(chrono::Utc::now(), within, every, base_url, actor).await?;
    writeln!(out, "reminded {} request(s), {} expired", r.reminded.len(), r.expired.len())?;
    let d = store.deliver_outbox(smtp.as_ref()).await?;
    writeln!(out, "outbox: {} delivered, {} undelivered", d.delivered, d.undelivered.len())?;
    for (id, why) in &d.undelivered {
        writeln!(out, "  {}: {why}", &id[..8.min(id.len())])?;
    }
    Ok(exit::OK)
}

/// `rerun RUN --with-evidence`.
pub fn rerun(db: &str, args: &RerunArgs, pack: &PackSource, out: &mut dyn Write) -> std::io::Result<i32> {
    let mut err = std::io::stderr();
    let Some(pack) = crate::rules_cmd::load_valid_pack(pack, &mut err)? else { return Ok(exit::INVALID) };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let store = match Store::open(db).await {
            Ok(s) => s,
            Err(e) => {
                writeln!(err, "error: opening the database `{db}`: {e}")?;
                return Ok(exit::USAGE);
            }
        };
        let run = match store.resolve_id(IdKind::Run, &args.run).await {
            Ok(r) => r,
            Err(e) => return report(&e, &mut err),
        };
        let req = RerunRequest {
            run,
            pack: pack.clone(),
            actor: args.actor.clone().unwrap_or_else(current_user),
            chunk: args.chunk,
        };
        let result = evidence::rerun_with_evidence(&store, &req, Arc::new(Default::default())).await;
        let code = match result {
            Ok(r) => {
                for e in &r.evidence {
                    writeln!(
                        out,
                        "evidence: certification {} of {} (request {}), lines {}",
                        e.certification_id,
                        e.supplier,
                        &e.request[..8],
                        e.lines.iter().map(|l| format!("{}/{}", l.1, l.2)).collect::<Vec<_>>().join(", ")
                    )?;
                }
                for d in store.determinations(&r.id).await.map_err(std::io::Error::other)? {
                    writeln!(out, "  {:<16} {}", d.good, d.summary)?;
                }
                write!(out, "{}", run_summary(&r.completed.run))?;
                writeln!(out, "stored as run {} in {}", r.id, store.location())?;
                exit::OK
            }
            Err(origin_store::runner::RunnerError::Store(e)) => report(&e, &mut err)?,
            Err(e) => {
                writeln!(err, "error: {e}")?;
                exit::USAGE
            }
        };
        store.close().await;
        Ok(code)
    })
}

/// Opens the store and runs a `solicit` subcommand.
pub fn execute(db: &str, cmd: &SolicitCommand, out: &mut dyn Write) -> std::io::Result<i32> {
    crate::store_cmd::with_store(db, async |store, err| match solicit(store, cmd, out).await {
        Ok(code) => Ok(code),
        Err(e) => report(&e, err),
    })
}
