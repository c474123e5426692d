//! `origin-audit serve` (the web UI and HTTP API) and `origin-audit users` (accounts). Accounts are
//! made here, on the machine that holds the database: whoever can run this command can already read
//! the database, so it needs no token; the first admin is made this way, the rest from the web UI too.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use origin_server::{AppState, Config};
use origin_store::{Store, UserRole};

use crate::exit;
use crate::rules_cmd::load_valid_pack;
use crate::store_cmd::{current_user, report};
use origin_rules::PackSource;

/// Arguments of `origin-audit serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Keep 127.0.0.1 unless a TLS proxy sits in front.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Do not mark the session cookie `Secure`: only for plain HTTP from another host in a trusted test
    /// network (browsers accept Secure cookies from http://localhost and http://127.0.0.1).
    #[arg(long)]
    pub insecure_cookies: bool,
    /// Duty table CSV for the scenario pages' duty at stake (docs/scenarios.md).
    #[arg(long, value_name = "CSV")]
    pub duties: Option<std::path::PathBuf>,
    /// Annual volumes CSV for the scenario pages' duty at stake.
    #[arg(long, value_name = "CSV")]
    pub volumes: Option<std::path::PathBuf>,
}

/// `users ...`.
#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Make an account and print its token once (only its hash is kept).
    Add {
        /// Account name (letters, digits, `.`, `_`, `-`, `@`).
        name: String,
        /// analyst: runs audits and views; auditor: also reviews findings and issues certificates;
        /// admin: manages accounts.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// List the accounts.
    List,
    /// Disable an account: its token and sessions stop working at once.
    Disable {
        /// Account name.
        name: String,
    },
    /// Give an account a new token (printed once); the old one and its sessions stop working.
    Rekey {
        /// Account name.
        name: String,
    },
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    /// Runs audits and views.
    Analyst,
    /// Also reviews findings and issues certificates.
    Auditor,
    /// Manages accounts.
    Admin,
}

impl From<RoleArg> for UserRole {
    fn from(r: RoleArg) -> UserRole {
        match r {
            RoleArg::Analyst => UserRole::Analyst,
            RoleArg::Auditor => UserRole::Auditor,
            RoleArg::Admin => UserRole::Admin,
        }
    }
}

async fn open(db: &str, err: &mut dyn Write) -> std::io::Result<Option<Store>> {
    match Store::open(db).await {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            writeln!(err, "error: opening the database `{db}`: {e}")?;
            Ok(None)
        }
    }
}

/// `origin-audit serve`.
pub fn serve(args: &ServeArgs, pack: &PackSource, db: &str) -> std::io::Result<i32> {
    let mut err = std::io::stderr();
    let Some(pack) = load_valid_pack(pack, &mut err)? else { return Ok(exit::INVALID) };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let Some(store) = open(db, &mut err).await? else { return Ok(exit::USAGE) };
        if store.users().await.map(|u| u.is_empty()).unwrap_or(false) {
            writeln!(
                err,
                "origin-audit: no accounts yet; make one with `origin-audit users add NAME --role auditor` (and an admin with --role admin)"
            )?;
        }
        let rules = pack.rules.clone();
        // Runs stored by an older version: the facts the pages read, from their stored batches, once.
        match store.fill_read_facts(&rules).await {
            Ok(filled) if !filled.is_empty() => {
                writeln!(err, "origin-audit: stored what the pages read for {} older run(s)", filled.len())?;
            }
            Ok(_) => {}
            Err(e) => {
                writeln!(err, "origin-audit: preparing older runs for the pages: {e}")?;
                return Ok(exit::USAGE);
            }
        }
        let show = |e: Vec<origin_store::impact::TableError>| e.iter().map(|e| format!("error: {e}")).collect::<Vec<_>>().join("\n");
        let duties = match args.duties.as_deref().map(origin_store::impact::DutyTable::load).transpose() {
            Ok(d) => d.map(Arc::new),
            Err(e) => {
                writeln!(err, "{}", show(e))?;
                return Ok(exit::USAGE);
            }
        };
        let volumes = match args.volumes.as_deref().map(origin_store::impact::Volumes::load).transpose() {
            Ok(v) => v.map(Arc::new),
            Err(e) => {
                writeln!(err, "{}", show(e))?;
                return Ok(exit::USAGE);
            }
        };
        let config = Config { pack, secure_cookies: !args.insecure_cookies, duties, volumes };
        let state = AppState::new(store.clone(), config);
        origin_server::serve(state, args.bind).await?;
        store.close().await;
        Ok(exit::OK)
    })
}

/// `origin-audit users ...`.
pub fn users(cmd: &UsersCommand, db: &str, out: &mut dyn Write) -> std::io::Result<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let mut err = std::io::stderr();
        let Some(store) = open(db, &mut err).await? else { return Ok(exit::USAGE) };
        let actor = current_user();
        let result = match cmd {
            UsersCommand::Add { name, role } => match store.add_user(name, (*role).into(), &actor).await {
                Ok((u, token)) => {
                    writeln!(out, "account `{}` ({}) made. Its token, shown this once:\n\n  {token}\n", u.name, u.role.as_str())?;
                    writeln!(out, "Sign in at /login with the name and this token, or send `Authorization: Bearer {token}` to /api.")?;
                    Ok(exit::OK)
                }
                Err(e) => Err(e),
            },
            UsersCommand::List => match store.users().await {
                Ok(users) => {
                    writeln!(out, "{:<24}  {:<8}  {:<27}  {:<16}  disabled", "name", "role", "made", "by")?;
                    for u in &users {
                        writeln!(
                            out,
                            "{:<24}  {:<8}  {:<27}  {:<16}  {}",
                            u.name,
                            u.role.as_str(),
                            u.created_at,
                            u.created_by,
                            u.disabled_at.as_deref().unwrap_or("-")
                        )?;
                    }
                    writeln!(out, "{} account(s)", users.len())?;
                    Ok(exit::OK)
                }
                Err(e) => Err(e),
            },
            UsersCommand::Disable { name } => match store.disable_user(name, &actor).await {
                Ok(u) => {
                    writeln!(out, "account `{}` disabled at {}", u.name, u.disabled_at.as_deref().unwrap_or(""))?;
                    Ok(exit::OK)
                }
                Err(e) => Err(e),
            },
            UsersCommand::Rekey { name } => match store.rekey_user(name, &actor).await {
                Ok(token) => {
                    writeln!(out, "account `{name}` has a new token, shown this once:\n\n  {token}\n")?;
                    Ok(exit::OK)
                }
                Err(e) => Err(e),
            },
        };
        store.close().await;
        match result {
            Ok(code) => Ok(code),
            Err(e) => report(&e, &mut err),
        }
    })
}
