//! `origin-audit`: thin wiring from arguments to the library commands in `origin_cli`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use origin_cli::rules_cmd::{self, CheckFormat};
use origin_cli::run_cmd::{self, RunArgs};
use origin_cli::store_cmd::{
    self, CertificateCommand, ExportArgs, FindingsCommand, LogCommand, Op, RunsCommand, WorkerArgs,
};
use origin_cli::trace::{self, TraceArgs};
use origin_rules::{PackSource, VehicleUse};

/// mimalloc instead of glibc's malloc: the audit workers and the store's writer allocate and free
/// millions of small strings at once, and glibc's arenas took 17 % of a stored run's CPU (profile in
/// docs/performance.md section 8). Built without transparent huge pages (`no_thp`, Cargo.toml): the
/// kernel zeroing 2 MiB pages as mimalloc touched and returned them took a fifth of the engine's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "origin-audit", version, about = "USMCA rules-of-origin audits: rules, provenance, determinations")]
struct Cli {
    /// Log what the engine does (-v info, -vv debug) on stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// A rule-pack directory to use instead of the USMCA pack built into this binary (the default;
    /// `rules export DIR` writes it for editing).
    #[arg(long, global = true, env = "ORIGIN_AUDIT_RULES", value_name = "DIR")]
    rules: Option<PathBuf>,
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
    /// The report format (`run --out`): print its JSON Schema, or check a report file against it.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Check, explain and export rule packs.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// What-if scenarios: re-audit stored runs under a proposed rule change, with the goods it would cost,
    /// the cheapest fixes and the duty at stake (docs/scenarios.md).
    Scenario {
        #[command(subcommand)]
        command: origin_cli::scenario_cmd::ScenarioCommand,
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
    /// Supplier evidence: plan requests from a run's open findings, send, remind, decide, expiry calendar.
    Solicit {
        #[command(subcommand)]
        command: origin_cli::solicit_cmd::SolicitCommand,
    },
    /// Re-audit, as a new run, only the goods a run's accepted supplier certifications affect.
    Rerun(origin_cli::solicit_cmd::RerunArgs),
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
    /// Write a starter batch to fill in: commented batch.yaml, BOM templates (CSV and XLSX), README.
    Init {
        /// The directory to write into (created when missing; existing files are never overwritten).
        dir: PathBuf,
    },
    /// Print a shell completion script (e.g. `origin-audit completions bash > /etc/bash_completion.d/origin-audit`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into `--dir`.
    Man {
        /// Write origin-audit.1 and origin-audit-COMMAND.1 pages here instead of printing origin-audit.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum BatchCommand {
    /// Validate a batch file (and its BOM files) without auditing; exit 1 on any problem.
    Check {
        /// The batch file.
        file: PathBuf,
        /// Let the batch name BOM files outside its own directory (`..` or absolute paths).
        #[arg(long)]
        allow_outside: bool,
    },
    /// Print the JSON Schema of the batch file.
    Schema,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Print the JSON Schema of the report, version 1 (docs/report.schema.json).
    Schema,
    /// Read a report file as report version 1; exit 1, with the line and column, when it is not one.
    Check {
        /// The report (`run --out report.json`).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Validate a rule pack; exit 1 when it has errors.
    Check {
        /// The pack directory (default: --rules, else the built-in pack).
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
        /// The automotive staging category (as in the batch's `automotive: { category: ... }`), to show
        /// the staged RVC that `run` applies on the date: pv-lt-core-part, heavy-truck-principal-part, ...
        #[arg(long, value_parser = parse_category)]
        category: Option<origin_rules::StagingCategory>,
        /// The HS edition the code is in: hs2022 (today's HTSUS; mapped to the pack's HS 2017 through
        /// its correlation table) or hs2017 (the rules' own codes, no mapping).
        #[arg(long, value_enum, default_value_t = NomenclatureArg::Hs2022)]
        nomenclature: NomenclatureArg,
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
    },
    /// Turn the legal text of a chapter's rules into rule-pack YAML for a rule editor to review.
    Import(origin_cli::import_cmd::ImportArgs),
    /// Compare the legal text, rule by rule, with the encoded pack; exit 1 when they disagree.
    Crosscheck(origin_cli::import_cmd::CrosscheckArgs),
    /// Write the rule pack in use (the built-in USMCA pack unless --rules) into DIR, for editing.
    Export {
        /// A new or empty directory.
        dir: PathBuf,
    },
}

/// Parses a staging category word as the batch writes it.
fn parse_category(s: &str) -> Result<origin_rules::StagingCategory, String> {
    origin_rules::StagingCategory::parse(s).ok_or_else(|| {
        format!(
            "`{s}` is not a staging category: write pv-lt-vehicle, pv-lt-core-part, pv-lt-principal-part, pv-lt-complementary-part, heavy-truck, heavy-truck-principal-part, heavy-truck-complementary-part or other-vehicle"
        )
    })
}

/// An HS edition on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum NomenclatureArg {
    /// HS 2022 (today's HTSUS).
    Hs2022,
    /// HS 2017 (the edition GN 11(o) is written in).
    Hs2017,
}

impl From<NomenclatureArg> for origin_rules::Nomenclature {
    fn from(n: NomenclatureArg) -> Self {
        match n {
            NomenclatureArg::Hs2022 => origin_rules::Nomenclature::Hs2022,
            NomenclatureArg::Hs2017 => origin_rules::Nomenclature::Hs2017,
        }
    }
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

/// `man`: the page of `origin-audit` on stdout, or with `--dir` one page per command (`origin-audit-run.1`,
/// `origin-audit-rules-export.1`, ...) so `man origin-audit-run` works once DIR is on MANPATH's man1.
fn man(dir: Option<&std::path::Path>, out: &mut dyn Write) -> std::io::Result<i32> {
    let cmd = Cli::command();
    let Some(dir) = dir else {
        clap_mangen::Man::new(cmd).render(out)?;
        return Ok(origin_cli::exit::OK);
    };
    std::fs::create_dir_all(dir)?;
    let mut pages = 0;
    let mut todo = vec![(String::from("origin-audit"), cmd)];
    while let Some((name, mut c)) = todo.pop() {
        c.build();
        for sub in c.get_subcommands().filter(|s| s.get_name() != "help") {
            todo.push((format!("{name}-{}", sub.get_name()), sub.clone()));
        }
        let mut buf = Vec::new();
        clap_mangen::Man::new(c).title(name.clone()).render(&mut buf)?;
        std::fs::write(dir.join(format!("{name}.1")), buf)?;
        pages += 1;
    }
    writeln!(out, "wrote {pages} man pages to `{}`", dir.display())?;
    Ok(origin_cli::exit::OK)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        // sqlx warns of any statement over 1 s, with its SQL: reading a large run for an export takes
        // longer, and that is no problem of the user's. `-v` shows them.
        0 => "warn,sqlx::query=error",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| level.into()))
        .init();
    let mut out = std::io::stdout();
    let pack = PackSource::from_option(cli.rules.clone());
    let result = match cli.command {
        Command::Run(args) => match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(rt) => rt.block_on(run_cmd::run_command_in(&args, &pack, &cli.db, &mut out)),
            Err(e) => Err(e),
        },
        Command::Trace(args) => match origin_cli::rules_cmd::load_valid(&pack, &mut std::io::stderr()) {
            Ok(Some(rules)) => {
                let (policy, corridors) = origin_engine::provenance::policies(&rules);
                trace::run(&args, &policy, &corridors).map_err(|e| std::io::Error::other(format!("{e:#}")))
            }
            Ok(None) => Ok(origin_cli::exit::INVALID),
            Err(e) => Err(e),
        },
        Command::GenBatch(args) => origin_cli::gen_cmd::r#gen(&args, &mut out),
        Command::Batch { command } => match command {
            BatchCommand::Check { file, allow_outside } => {
                origin_cli::batch_cmd::check(&file, &pack, origin_cli::run_cmd::bom_scope(allow_outside), &mut out)
            }
            BatchCommand::Schema => origin_cli::batch_cmd::schema(&mut out),
        },
        Command::Report { command } => match command {
            ReportCommand::Schema => origin_cli::batch_cmd::report_schema(&mut out),
            ReportCommand::Check { file } => origin_cli::batch_cmd::report_check(&file, &mut out),
        },
        Command::Rules { command } => match command {
            RulesCommand::Check { dir, format } => {
                rules_cmd::check(&dir.map_or(pack.clone(), PackSource::Dir), format, &mut out)
            }
            RulesCommand::Explain { hs, as_of, vehicle_use, kind, category, nomenclature, exporting, importing } => {
                let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
                let parties = exporting
                    .zip(importing)
                    .map(|(exporting, importing)| origin_rules::Parties { exporting, importing });
                rules_cmd::explain_full(
                    &pack,
                    &hs,
                    nomenclature.into(),
                    as_of,
                    vehicle_use.map(Into::into),
                    kind.as_deref(),
                    parties,
                    category,
                    &mut out,
                )
            }
            RulesCommand::Schema => rules_cmd::schema(&mut out),
            RulesCommand::Coverage { legal } => rules_cmd::coverage(&pack, &legal, &mut out),
            RulesCommand::Import(args) => origin_cli::import_cmd::import(&args, &pack, &mut out),
            RulesCommand::Crosscheck(args) => origin_cli::import_cmd::crosscheck(&args, &pack, &mut out),
            RulesCommand::Export { dir } => rules_cmd::export(&pack, &dir, &mut out),
        },
        Command::Scenario { command } => origin_cli::scenario_cmd::execute(&cli.db, &pack, &command, &mut out),
        Command::Runs { command } => store_cmd::execute(&cli.db, Op::Runs(&command), &mut out),
        Command::Findings { command } => store_cmd::execute(&cli.db, Op::Findings(&command), &mut out),
        Command::Certificate { command } => store_cmd::execute(&cli.db, Op::Certificate(&command), &mut out),
        Command::Log { command } => store_cmd::execute(&cli.db, Op::Log(&command), &mut out),
        Command::Export(args) => store_cmd::execute(&cli.db, Op::Export(&args), &mut out),
        Command::Worker(args) => store_cmd::execute(&cli.db, Op::Worker(&args), &mut out),
        Command::Solicit { command } => origin_cli::solicit_cmd::execute(&cli.db, &command, &mut out),
        Command::Rerun(args) => origin_cli::solicit_cmd::rerun(&cli.db, &args, &pack, &mut out),
        Command::Serve(args) => origin_cli::serve_cmd::serve(&args, &pack, &cli.db),
        Command::Openapi => serde_json::to_string_pretty(&origin_server::openapi::document())
            .map_err(std::io::Error::other)
            .and_then(|s| writeln!(out, "{s}"))
            .map(|()| origin_cli::exit::OK),
        Command::Users { command } => origin_cli::serve_cmd::users(&command, &cli.db, &mut out),
        Command::Init { dir } => origin_cli::init_cmd::init(&dir, chrono::Local::now().date_naive(), &mut out),
        Command::Completions { shell } => {
            // Into a buffer first: the generator panics on a write error (a closed pipe), a write here returns it.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "origin-audit", &mut script);
            out.write_all(&script).map(|()| origin_cli::exit::OK)
        }
        Command::Man { dir } => man(dir.as_deref(), &mut out),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
