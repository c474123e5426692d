//! `origin-audit trace`: the provenance path of a lot, or of every lot of a material, as a text tree,
//! Graphviz DOT or SVG, with the signals found on it. Thin: reads the file, calls `origin_graph`, prints.
//!
//! Exit codes: 0 traced (warnings may be printed), 1 laundering suspected on a traced lot, 2 the
//! provenance file has errors (all of them are printed).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use origin_engine::input::render_errors;
use origin_graph::{CorridorPolicy, LotIx, ProvenanceGraph, ProvenanceInput, Trace, TransformationPolicy, render};

/// Output format of `trace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// A text tree and the signals with their evidence.
    Text,
    /// Graphviz DOT (render with `dot -Tsvg`).
    Dot,
    /// SVG, laid out without Graphviz.
    Svg,
}

/// Arguments of `origin-audit trace`.
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// A batch file (its `provenance:` section) or a provenance file, YAML or JSON by extension.
    #[arg(value_name = "BATCH_OR_PROVENANCE")]
    pub provenance: PathBuf,
    /// The lot to trace.
    #[arg(long, value_name = "ID", conflicts_with = "material", required_unless_present = "material")]
    pub lot: Option<String>,
    /// Trace every lot whose `material` is this BOM line.
    #[arg(long, value_name = "ID")]
    pub material: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Reads the provenance to trace: a batch file (its `provenance:` section; see docs/batch-format.md) or a
/// provenance file (docs/provenance-format.md), YAML or JSON.
pub fn read_provenance(path: &Path) -> anyhow::Result<ProvenanceInput> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read provenance file `{}`", path.display()))?;
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if batch_text(&text, json) {
        let batch = origin_engine::input::load_batch(path).map_err(|e| {
            anyhow::anyhow!("{}", crate::batch_cmd::header_error(&e, &mut origin_core::diag::Sources::new()))
        })?;
        return batch.provenance.with_context(|| {
            format!("batch `{}` has no `provenance:` section to trace\n  help: add sites, lots, shipments and transformations (docs/provenance-format.md)", path.display())
        });
    }
    let input = if json {
        serde_json::from_str(&text).with_context(|| format!("`{}` is not a valid provenance file", path.display()))?
    } else {
        serde_yaml::from_str(&text).with_context(|| format!("`{}` is not a valid provenance file", path.display()))?
    };
    Ok(input)
}

/// Whether `text` is a batch file (it has a `batch:` header) rather than a provenance file.
fn batch_text(text: &str, json: bool) -> bool {
    if json {
        serde_json::from_str::<serde_json::Value>(text).ok().is_some_and(|v| v.get("batch").is_some())
    } else {
        serde_yaml::from_str::<serde_yaml::Value>(text).ok().is_some_and(|v| v.get("batch").is_some())
    }
}

/// Whether the file at `path` is a batch file.
fn is_batch(path: &Path) -> bool {
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    std::fs::read_to_string(path).is_ok_and(|t| batch_text(&t, json))
}

/// Runs `trace`; returns the exit code.
pub fn run(args: &TraceArgs, policy: &TransformationPolicy, corridors: &CorridorPolicy) -> anyhow::Result<i32> {
    let input = read_provenance(&args.provenance)?;
    let graph = match ProvenanceGraph::build(&input) {
        Ok(g) => g,
        Err(errors) => {
            // Located in the file read, with its lines: under `provenance.` in a batch file.
            let prefix = if is_batch(&args.provenance) { "provenance." } else { "" };
            let located = origin_engine::provenance::check_in(&args.provenance, &input, prefix);
            let n = errors.0.len();
            eprintln!("the provenance input has {n} error{}:\n", if n == 1 { "" } else { "s" });
            let mut sources = origin_core::diag::Sources::new();
            let shown = render_errors(&located, origin_core::diag::Severity::Error, None, &mut sources);
            eprint!("{}", shown.join("\n"));
            return Ok(2);
        }
    };
    let trace = Trace::run(&graph, policy, corridors);
    let lots: Vec<LotIx> = match (&args.lot, &args.material) {
        (Some(id), _) => match graph.lot(id) {
            Some(l) => vec![l],
            None => bail!(
                "lot `{id}` is not in `{}`\n  help: give the id of a lot listed under `lots`",
                args.provenance.display()
            ),
        },
        (None, Some(m)) => {
            let lots = graph.lots_of_material(m);
            if lots.is_empty() {
                bail!(
                    "no lot in `{}` supplies material `{m}`\n  help: set `material: {m}` on the lots that supply it",
                    args.provenance.display()
                );
            }
            lots
        }
        (None, None) => bail!("give `--lot ID` or `--material ID`"),
    };
    let output = match args.format {
        TraceFormat::Text => lots.iter().map(|&l| render::text(&graph, &trace, l)).collect::<Vec<_>>().join("\n"),
        TraceFormat::Dot => render::dot(&graph, &trace, &lots),
        TraceFormat::Svg => render::svg(&graph, &trace, &lots),
    };
    match &args.out {
        Some(path) => std::fs::write(path, output).with_context(|| format!("cannot write `{}`", path.display()))?,
        None => print!("{output}"),
    }
    let laundering = lots.iter().any(|&l| trace.laundering_suspected(l));
    Ok(if laundering { 1 } else { 0 })
}
