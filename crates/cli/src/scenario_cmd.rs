//! `origin-audit scenario`: check a scenario file, re-audit stored runs under it, list and show scenario
//! runs with their impact (goods that change, grouped by supplier, origin and chapter, the cheapest fix,
//! the duty at stake) as Markdown, CSV, JSON or XLSX. See docs/scenarios.md.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use origin_core::{Amount, Decimal};
use origin_store::impact::{DutyTable, Group, Impact, Volumes, impact};
use origin_store::scenarios::ScenarioError;
use origin_store::{IdKind, Store, StoreError};

use crate::exit;
use crate::store_cmd::{current_user, report};

/// `scenario ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ScenarioCommand {
    /// Check a scenario file (and that it applies to the rule pack); exit 1 on any problem.
    Check {
        /// The scenario file (YAML; see scenarios/ and docs/scenarios.md).
        file: PathBuf,
    },
    /// Re-audit stored runs under a scenario (from the store: no input file is read again), store the
    /// result linked to each run, and print the impact.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// The completed runs to re-audit (ids or unique prefixes).
        #[arg(long = "run", value_name = "RUN", required = true, num_args = 1..)]
        runs: Vec<String>,
        /// Audit threads (default: the machine's parallelism).
        #[arg(long)]
        threads: Option<usize>,
        /// Who runs it (default: $USER).
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
        #[command(flatten)]
        out: ImpactOut,
    },
    /// Stored scenario runs, newest first.
    List {
        /// Only those of this base run.
        #[arg(long = "run")]
        run: Option<String>,
    },
    /// A stored scenario run's impact.
    Show {
        /// The scenario run (id or unique prefix).
        id: String,
        #[command(flatten)]
        out: ImpactOut,
    },
}

/// How the impact is written.
#[derive(Debug, clap::Args)]
pub struct ImpactOut {
    /// Duty table CSV (docs/scenarios.md, "Duty at stake"; fixtures/duties/sample-duties.csv is a sample).
    #[arg(long, value_name = "CSV")]
    pub duties: Option<PathBuf>,
    /// Annual volumes CSV: `good,annual_volume` (or `batch,good,annual_volume`).
    #[arg(long, value_name = "CSV")]
    pub volumes: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ImpactFormat::Markdown)]
    pub format: ImpactFormat,
    /// Write to this file instead of standard output (required for xlsx).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Impact formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImpactFormat {
    /// Tables in Markdown (readable as text).
    Markdown,
    /// One row per changed good.
    Csv,
    /// The whole impact.
    Json,
    /// A workbook: Goods, By supplier, By origin, By chapter.
    Xlsx,
}

/// Runs a scenario command on a fresh runtime.
pub fn execute(
    db: &str,
    pack: &origin_rules::PackSource,
    cmd: &ScenarioCommand,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    if let ScenarioCommand::Check { file } = cmd {
        return check(pack, file, out);
    }
    crate::store_cmd::with_store(db, async |store, err| match run(store, cmd, out).await {
        Ok(code) => Ok(code),
        Err(Failure::Store(e)) => report(&e, err),
        Err(Failure::Io(e)) => Err(e),
        Err(Failure::Usage(m)) => {
            writeln!(err, "{m}")?;
            Ok(exit::INVALID)
        }
    })
}

enum Failure {
    Store(StoreError),
    Io(std::io::Error),
    Usage(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

fn rendered(diags: &[origin_rules::Diagnostic]) -> String {
    diags.iter().map(|d| d.render(Path::new(""))).collect::<Vec<_>>().join("\n")
}

/// `scenario check FILE`.
pub fn check(pack: &origin_rules::PackSource, file: &Path, out: &mut dyn Write) -> std::io::Result<i32> {
    let s = match origin_rules::scenario::load_scenario(file) {
        Ok(s) => s,
        Err(d) => {
            write!(out, "{}", rendered(&d))?;
            return Ok(exit::INVALID);
        }
    };
    let files = pack.files().map_err(|e| std::io::Error::other(e.to_string()))?;
    let Some(rules) = origin_rules::load_files(&files).rules else {
        writeln!(out, "error: the rule pack does not load: run `origin-audit rules check`")?;
        return Ok(exit::INVALID);
    };
    match s.apply(&rules) {
        Ok(_) => {
            writeln!(out, "{}: scenario `{}` ({}): {}", file.display(), s.id, s.title, s.basis.words())?;
            for (_, o) in &s.overlays {
                writeln!(out, "  - {}", o.words())?;
            }
            Ok(exit::OK)
        }
        Err(d) => {
            write!(out, "{}", rendered(&d))?;
            Ok(exit::INVALID)
        }
    }
}

fn tables(o: &ImpactOut) -> Result<(Option<DutyTable>, Option<Volumes>), Failure> {
    let show = |e: Vec<origin_store::impact::TableError>| {
        Failure::Usage(e.iter().map(|e| format!("error: {e}")).collect::<Vec<_>>().join("\n"))
    };
    let duties = o.duties.as_deref().map(DutyTable::load).transpose().map_err(show)?;
    let volumes = o.volumes.as_deref().map(Volumes::load).transpose().map_err(show)?;
    if o.format == ImpactFormat::Xlsx && o.out.is_none() {
        return Err(Failure::Usage("error: --format xlsx writes a file\n  help: add --out impact.xlsx".into()));
    }
    Ok((duties, volumes))
}

async fn run(store: &Store, cmd: &ScenarioCommand, out: &mut dyn Write) -> Result<i32, Failure> {
    match cmd {
        ScenarioCommand::Check { .. } => Ok(exit::OK),
        ScenarioCommand::List { run } => {
            let base = match run {
                Some(r) => Some(store.resolve_id(IdKind::Run, r).await?),
                None => None,
            };
            let rows = store.scenario_runs(base.as_deref()).await?;
            if rows.is_empty() {
                writeln!(out, "no scenario run stored")?;
            }
            for r in rows {
                writeln!(
                    out,
                    "{}  {}  base run {}  {}  goods {}  changed {}  (qualified {}, not qualified {}, needs evidence {})",
                    r.id,
                    r.scenario,
                    r.base_run,
                    r.started_at,
                    r.goods,
                    r.changed,
                    r.qualified,
                    r.not_qualified,
                    r.needs_evidence
                )?;
            }
            Ok(exit::OK)
        }
        ScenarioCommand::Show { id, out: o } => {
            let (duties, volumes) = tables(o)?;
            let id = store.resolve_id(IdKind::Scenario, id).await?;
            let row = store.scenario_run(&id).await?;
            let goods = store.scenario_goods(&id).await?;
            let imp = impact(row, goods, duties.as_ref(), volumes.as_ref());
            write_impacts(&[imp], o, out)?;
            Ok(exit::OK)
        }
        ScenarioCommand::Run { scenario, runs, threads, actor, out: o } => {
            let (duties, volumes) = tables(o)?;
            let s = match origin_rules::scenario::load_scenario(scenario) {
                Ok(s) => s,
                Err(d) => return Err(Failure::Usage(rendered(&d))),
            };
            let actor = actor.clone().unwrap_or_else(current_user);
            let begun = std::time::Instant::now();
            let mut impacts = Vec::new();
            for r in runs {
                let base = store.resolve_id(IdKind::Run, r).await?;
                let row = match store.run_scenario(&s, &base, &actor, *threads).await {
                    Ok(row) => row,
                    Err(ScenarioError::Scenario(d)) => return Err(Failure::Usage(rendered(&d))),
                    Err(ScenarioError::Store(e)) => return Err(e.into()),
                    Err(ScenarioError::Run(e)) => return Err(Failure::Usage(format!("error: {e}"))),
                };
                let goods = store.scenario_goods(&row.id).await?;
                impacts.push(impact(row, goods, duties.as_ref(), volumes.as_ref()));
            }
            write_impacts(&impacts, o, out)?;
            origin_engine::run::log_phase(
                "run",
                begun.elapsed(),
                format_args!("in all{}", crate::progress::process_usage()),
            );
            Ok(exit::OK)
        }
    }
}

fn write_impacts(impacts: &[Impact], o: &ImpactOut, out: &mut dyn Write) -> Result<(), Failure> {
    let bytes = match o.format {
        ImpactFormat::Markdown => impacts.iter().map(markdown).collect::<Vec<_>>().join("\n").into_bytes(),
        ImpactFormat::Csv => csv(impacts)?,
        ImpactFormat::Json => serde_json::to_vec_pretty(impacts).map_err(std::io::Error::other)?,
        ImpactFormat::Xlsx => {
            let path = o.out.as_deref().unwrap_or(Path::new("impact.xlsx"));
            crate::xlsx::write_impact(impacts, path).map_err(|e| Failure::Usage(format!("error: {e}")))?;
            writeln!(out, "impact of {} scenario run(s) written to {}", impacts.len(), path.display())?;
            return Ok(());
        }
    };
    match &o.out {
        Some(p) => {
            origin_engine::run::write_atomically(p, &bytes)?;
            writeln!(out, "impact of {} scenario run(s) written to {}", impacts.len(), p.display())?;
        }
        None => out.write_all(&bytes)?,
    }
    Ok(())
}

fn money(m: &std::collections::BTreeMap<String, Decimal>) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter().map(|(c, v)| format!("{} {c}", Amount(*v))).collect::<Vec<_>>().join(", ")
}

fn opt(d: Option<Decimal>) -> String {
    d.map_or("-".into(), |d| d.normalize().to_string())
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The impact as Markdown: the counts, the changed goods with their fix and exposure, the groups.
pub fn markdown(i: &Impact) -> String {
    let s = &i.scenario;
    let mut o = String::new();
    let lost = i.goods.iter().filter(|g| g.good.lost()).count();
    let gained = i.goods.iter().filter(|g| g.good.gained()).count();
    let _ = writeln!(o, "# Scenario `{}`: {}\n", s.scenario, s.title);
    let _ = writeln!(
        o,
        "Scenario run `{}` of base run `{}` ({}; effective from {}; duty rates as of {}).\n",
        s.id, s.base_run, s.basis, s.effective_from, i.rates_as_of
    );
    let _ = writeln!(
        o,
        "Goods re-audited: {}; under the scenario {} qualified, {} not qualified, {} needs evidence. Changed: {} ({lost} lose the preference, {gained} gain it).\n",
        s.goods, s.qualified, s.not_qualified, s.needs_evidence, s.changed
    );
    let _ = writeln!(o, "Duty at stake per year: **{}**\n", money(&i.total));
    let _ = writeln!(o, "## Goods that change\n");
    let _ = writeln!(
        o,
        "| batch | good | HS | base | scenario | cheapest fix | volume | customs value | rate without | rate with | duty at stake |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|---|");
    for g in &i.goods {
        let c = &g.good;
        let exposure = match (g.exposure, &g.missing) {
            (Some(x), _) => format!("{} {}", Amount(x), c.currency),
            (None, Some(m)) => format!("- ({m})"),
            (None, None) => "-".into(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {exposure} |",
            cell(&c.batch),
            cell(&c.good),
            c.hs,
            c.base_outcome.as_str(),
            c.outcome.as_str(),
            cell(&c.fix),
            opt(g.volume),
            c.customs_value.map_or("-".into(), |v| format!("{} {}", Amount(v), c.currency)),
            g.rate_without.map_or("-".into(), |r| format!("{}%", r.normalize())),
            g.rate_with.map_or("-".into(), |r| format!("{}%", r.normalize())),
        );
    }
    for (title, key, groups) in [
        (
            "By supplier (of the lines the fix names; a good with several suppliers is under each)",
            "supplier",
            &i.by_supplier,
        ),
        ("By origin country (traced where the provenance data traces the line)", "origin", &i.by_origin),
        ("By chapter", "chapter", &i.by_chapter),
    ] {
        let _ = writeln!(o, "\n## {title}\n");
        group_table(&mut o, key, groups);
    }
    let missing: Vec<String> =
        i.goods.iter().filter_map(|g| g.missing.as_ref().map(|m| format!("{} ({m})", g.good.good))).collect();
    if !missing.is_empty() {
        let _ =
            writeln!(o, "\nNo duty at stake computed for: {}. They are left out of every total.", missing.join(", "));
    }
    o
}

fn group_table(o: &mut String, key: &str, groups: &[Group]) {
    let _ = writeln!(o, "| {key} | goods | lose | gain | duty at stake |");
    let _ = writeln!(o, "|---|---|---|---|---|");
    for g in groups {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            cell(&g.key),
            g.goods.join(", "),
            g.lost,
            g.gained,
            money(&g.exposure)
        );
    }
}

/// One CSV row per changed good of every impact.
fn csv(impacts: &[Impact]) -> Result<Vec<u8>, Failure> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Failure::Io(std::io::Error::other(e));
    w.write_record([
        "scenario_run",
        "scenario",
        "base_run",
        "batch",
        "good",
        "hs",
        "chapter",
        "base_outcome",
        "outcome",
        "fix",
        "fix_lines",
        "suppliers",
        "origins",
        "country",
        "customs_value",
        "currency",
        "annual_volume",
        "rate_without",
        "rate_with",
        "exposure",
        "missing",
    ])
    .map_err(io)?;
    for i in impacts {
        for g in &i.goods {
            let c = &g.good;
            let join = |f: &dyn Fn(&origin_store::scenarios::FixLine) -> Option<String>| {
                let mut v: Vec<String> = c.fix_lines.iter().filter_map(f).collect();
                v.sort();
                v.dedup();
                v.join("; ")
            };
            w.write_record([
                i.scenario.id.as_str(),
                &i.scenario.scenario,
                &i.scenario.base_run,
                &c.batch,
                &c.good,
                &c.hs,
                &c.chapter(),
                c.base_outcome.slug(),
                c.outcome.slug(),
                &c.fix,
                &join(&|l| Some(l.line.clone())),
                &join(&|l| l.supplier.clone()),
                &join(&|l| l.origin.clone()),
                &c.country,
                &c.customs_value.map(|v| v.to_string()).unwrap_or_default(),
                &c.currency,
                &g.volume.map(|v| v.to_string()).unwrap_or_default(),
                &g.rate_without.map(|v| v.to_string()).unwrap_or_default(),
                &g.rate_with.map(|v| v.to_string()).unwrap_or_default(),
                &g.exposure.map(|v| v.to_string()).unwrap_or_default(),
                g.missing.as_deref().unwrap_or(""),
            ])
            .map_err(io)?;
        }
    }
    w.into_inner().map_err(|e| Failure::Io(std::io::Error::other(e.to_string())))
}
