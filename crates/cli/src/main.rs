//! `origin-audit`: thin wiring from arguments to the library commands in `origin_cli`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use origin_cli::rules_cmd::{self, CheckFormat};
use origin_cli::run_cmd::{self, RunArgs};
use origin_cli::store_cmd::{
    self, CertificateCommand, ExportArgs, FindingsCommand, LogCommand, Op, RunsCommand, WorkerArgs,
};
use origin_cli::trace::{self, TraceArgs};
use origin_rules::VehicleUse;

#[derive(Debug, Parser)]
#[command(name = "origin-audit", version, about = "USMCA rules-of-origin audits: rules, provenance, determinations")]
struct Cli {
    /// Log what the engine does (-v info, -vv debug) on stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// The rule-pack directory.
    #[arg(long, global = true, env = "ORIGIN_AUDIT_RULES", default_value = "rules/usmca")]
    rules: PathBuf,
    /// The database every run is stored in: a SQLite file (created when missing) or a postgres:// URL.
    #[arg(long, global = true, env = "ORIGIN_AUDIT_DB", default_value = "origin-audit.db")]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Audit batches: determine origin for every good, with findings and certificate drafts.
    Run(RunArgs),
    /// Trace the provenance of a lot or a material: text tree, DOT or SVG, with laundering signals.
    Trace(TraceArgs),
    /// Write a synthetic batch (JSON) for benchmarks: N goods x M BOM lines, seeded.
    GenBatch(origin_cli::gen_cmd::GenArgs),
    /// Validate batch input and print its schema.
    Batch {
        #[command(subcommand)]
        command: BatchCommand,
    },
    /// Check, explain and export rule packs.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Stored audit runs.
    Runs {
        #[command(subcommand)]
        command: RunsCommand,
    },
    /// Stored findings and their review.
    Findings {
        #[command(subcommand)]
        command: FindingsCommand,
    },
    /// Issue and show certificates of origin.
    Certificate {
        #[command(subcommand)]
        command: CertificateCommand,
    },
    /// The hash-chained audit log.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Write a run's audit package (inputs, rules, determinations, findings, reviews, certificates, log).
    Export(ExportArgs),
    /// Audit queued goods of a run shared through PostgreSQL (see `run --queue`), until none is left.
    Worker(WorkerArgs),
    /// Serve the auditor web UI and the HTTP API (docs/api.md).
    Serve(origin_cli::serve_cmd::ServeArgs),
    /// Print the OpenAPI document of the HTTP API (docs/openapi.json).
    Openapi,
    /// Accounts for the web UI and API: add (prints the token once), list, disable, rekey.
    Users {
        #[command(subcommand)]
        command: origin_cli::serve_cmd::UsersCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BatchCommand {
    /// Validate a batch file (and its BOM files) without auditing; exit 1 on any problem.
    Check {
        /// The batch file.
        file: PathBuf,
    },
    /// Print the JSON Schema of the batch file.
    Schema,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Validate a rule pack; exit 1 when it has errors.
    Check {
        /// The pack directory (default: --rules).
        dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Show the rule in force for an HS code, in plain words, with its citation and legal text.
    Explain {
        /// HS code: 8708.40, 870840 or 8708.40.50.
        hs: String,
        /// The date the rule must be in force on (default: today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// The vehicle the good is for, where the rule depends on it.
        #[arg(long = "use", value_enum)]
        vehicle_use: Option<UseArg>,
        /// The good's description, where the rule depends on it (e.g. "body stamping").
        #[arg(long)]
        kind: Option<String>,
        /// The exporting Party (where the good is produced), where the rule depends on the direction of trade.
        #[arg(long, requires = "importing")]
        exporting: Option<origin_core::Country>,
        /// The importing Party, where the rule depends on the direction of trade.
        #[arg(long, requires = "exporting")]
        importing: Option<origin_core::Country>,
    },
    /// Print the JSON Schema of the rule-pack files.
    Schema,
    /// Print, as Markdown, what the pack encodes per chapter and what it does not.
    Coverage {
        /// Legal-text files whose parse rate to report too (e.g. fixtures/legal/*.md).
        #[arg(long = "legal", value_name = "FILE")]
        legal: Vec<PathBuf>,
        /// The HS 2022 -> HS 2017 correlation (fixtures/hs/hs2022-hs2017.csv) for the HS 2022 coverage figure.
        #[arg(long = "hs2022", value_name = "CSV")]
        hs2022: Option<PathBuf>,
    },
    /// Print, as Markdown, every kind string the rules use, with the rules using it.
    Kinds {
        /// Only the rules written by `rules import` and not reviewed since.
        #[arg(long)]
        imported: bool,
    },
    /// Turn the legal text of a chapter's rules into rule-pack YAML for a rule editor to review.
    Import(origin_cli::import_cmd::ImportArgs),
    /// Compare the legal text, rule by rule, with the encoded pack; exit 1 when they disagree.
    Crosscheck(origin_cli::import_cmd::CrosscheckArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum UseArg {
    PassengerVehicle,
    LightTruck,
    HeavyTruck,
    Other,
}

impl From<UseArg> for VehicleUse {
    fn from(u: UseArg) -> Self {
        match u {
            UseArg::PassengerVehicle => VehicleUse::PassengerVehicle,
            UseArg::LightTruck => VehicleUse::LightTruck,
            UseArg::HeavyTruck => VehicleUse::HeavyTruck,
            UseArg::Other => VehicleUse::Other,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| level.into()))
        .init();
    let mut out = std::io::stdout();
    let result = match cli.command {
        Command::Run(args) => match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(rt) => rt.block_on(run_cmd::run_command_in(&args, &cli.rules, &cli.db, &mut out)),
            Err(e) => Err(e),
        },
        Command::Trace(args) => match origin_cli::rules_cmd::load_valid(&cli.rules, &mut std::io::stderr()) {
            Ok(Some(rules)) => {
                let (policy, corridors) = origin_engine::provenance::policies(&rules);
                trace::run(&args, &policy, &corridors).map_err(|e| std::io::Error::other(format!("{e:#}")))
            }
            Ok(None) => Ok(origin_cli::exit::INVALID),
            Err(e) => Err(e),
        },
        Command::GenBatch(args) => origin_cli::gen_cmd::r#gen(&args, &mut out),
        Command::Batch { command } => match command {
            BatchCommand::Check { file } => origin_cli::batch_cmd::check(&file, &mut out),
            BatchCommand::Schema => origin_cli::batch_cmd::schema(&mut out),
        },
        Command::Rules { command } => match command {
            RulesCommand::Check { dir, format } => rules_cmd::check(&dir.unwrap_or(cli.rules), format, &mut out),
            RulesCommand::Explain { hs, as_of, vehicle_use, kind, exporting, importing } => {
                let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
                let parties = exporting
                    .zip(importing)
                    .map(|(exporting, importing)| origin_rules::Parties { exporting, importing });
                rules_cmd::explain(
                    &cli.rules,
                    &hs,
                    as_of,
                    vehicle_use.map(Into::into),
                    kind.as_deref(),
                    parties,
                    &mut out,
                )
            }
            RulesCommand::Schema => rules_cmd::schema(&mut out),
            RulesCommand::Coverage { legal, hs2022 } => {
                rules_cmd::coverage(&cli.rules, &legal, hs2022.as_deref(), &mut out)
            }
            RulesCommand::Kinds { imported } => rules_cmd::kinds(&cli.rules, imported, &mut out),
            RulesCommand::Import(args) => origin_cli::import_cmd::import(&args, &cli.rules, &mut out),
            RulesCommand::Crosscheck(args) => origin_cli::import_cmd::crosscheck(&args, &cli.rules, &mut out),
        },
        Command::Runs { command } => store_cmd::execute(&cli.db, Op::Runs(&command), &mut out),
        Command::Findings { command } => store_cmd::execute(&cli.db, Op::Findings(&command), &mut out),
        Command::Certificate { command } => store_cmd::execute(&cli.db, Op::Certificate(&command), &mut out),
        Command::Log { command } => store_cmd::execute(&cli.db, Op::Log(&command), &mut out),
        Command::Export(args) => store_cmd::execute(&cli.db, Op::Export(&args), &mut out),
        Command::Worker(args) => store_cmd::execute(&cli.db, Op::Worker(&args), &mut out),
        Command::Serve(args) => origin_cli::serve_cmd::serve(&args, &cli.rules, &cli.db),
        Command::Openapi => serde_json::to_string_pretty(&origin_server::openapi::document())
            .map_err(std::io::Error::other)
            .and_then(|s| writeln!(out, "{s}"))
            .map(|()| origin_cli::exit::OK),
        Command::Users { command } => origin_cli::serve_cmd::users(&command, &cli.db, &mut out),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
