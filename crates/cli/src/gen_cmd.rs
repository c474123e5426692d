//! `origin-audit gen-batch --goods N --lines M --seed S [--events E] --out FILE.json`: a synthetic,
//! deterministic batch for benchmarks (see docs/performance.md), written as it is generated.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use origin_engine::r#gen::{GenSpec, write_batch};

use crate::exit;

/// Arguments of `origin-audit gen-batch`.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// Goods to generate.
    #[arg(long)]
    pub goods: usize,
    /// BOM lines per good.
    #[arg(long)]
    pub lines: usize,
    /// Seed: the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Provenance events (shipments and transformations); default: one per five BOM lines.
    #[arg(long)]
    pub events: Option<usize>,
    /// The JSON file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the batch to `args.out` and a line of figures to `out`.
pub fn r#gen(args: &GenArgs, out: &mut dyn Write) -> std::io::Result<i32> {
    let spec = GenSpec {
        goods: args.goods,
        lines: args.lines,
        seed: args.seed,
        events: args.events.unwrap_or(args.goods.saturating_mul(args.lines) / 5),
    };
    if spec.goods == 0 {
        writeln!(out, "error: --goods must be at least 1 (a batch without goods cannot be audited)")?;
        return Ok(exit::USAGE);
    }
    let file = match std::fs::File::create(&args.out) {
        Ok(f) => f,
        Err(e) => {
            writeln!(out, "error: cannot create `{}`: {e}", args.out.display())?;
            return Ok(exit::USAGE);
        }
    };
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let s = write_batch(&spec, &mut w)?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    writeln!(
        out,
        "wrote {}: {} goods, {} BOM lines ({} naming a lot), {} supplier certifications, provenance: {} sites, {} lots, {} shipments, {} transformations; {:.1} MiB",
        args.out.display(),
        s.goods,
        s.materials,
        s.materials_with_lot,
        s.certifications,
        s.sites,
        s.lots,
        s.shipments,
        s.transformations,
        s.bytes as f64 / 1048576.0
    )?;
    Ok(exit::OK)
}
