//! Progress on long work (`run`, `rules import`, `export`): an indicatif bar or spinner on stderr when
//! stderr is a terminal, nothing when it is piped or redirected (logs and CI output stay clean), and
//! nothing with `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether to draw: a terminal on stderr and no `--quiet`.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A bar counting `unit` (e.g. "goods") up to a total that may grow; `None` when not [`wanted`].
pub fn bar(quiet: bool, what: &'static str, unit: &'static str) -> Option<ProgressBar> {
    if !wanted(quiet) {
        return None;
    }
    let style = ProgressStyle::with_template(&format!(
        "{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{elapsed}}, eta {{eta}})"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr()).with_style(style).with_message(what);
    Some(pb)
}

/// A spinner with a message and the time spent, for work of unknown length; `None` when not [`wanted`].
pub fn spinner(quiet: bool, what: String) -> Option<ProgressBar> {
    if !wanted(quiet) {
        return None;
    }
    let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(style).with_message(what);
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}

/// CPU time and peak memory of this process so far.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// User + system CPU seconds.
    pub cpu_s: f64,
    /// Peak resident memory (`VmHWM`), MiB.
    pub peak_mib: f64,
}

/// This process's [`Usage`] (Linux `/proc/self`); `None` where `/proc` cannot be read.
pub fn own_usage() -> Option<Usage> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |x| x.1).split_whitespace().collect();
    // utime and stime, fields 14 and 15 of stat(5): the 12th and 13th after the command name.
    let ticks = |i: usize| fields.get(i).and_then(|x| x.parse::<f64>().ok());
    let peak_kib = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())?;
    // The kernel's clock tick is 100 Hz on every Linux the project runs on (`getconf CLK_TCK`).
    Some(Usage { cpu_s: (ticks(11)? + ticks(12)?) / 100.0, peak_mib: peak_kib / 1024.0 })
}

/// `; CPU S s, peak memory M MiB` of this process, for the last `-v` phase line of `run`; empty where
/// `/proc` cannot be read. The benchmarks read these figures from the command users run.
pub fn process_usage() -> String {
    own_usage().map_or_else(String::new, |u| format!("; CPU {:.2} s, peak memory {:.0} MiB", u.cpu_s, u.peak_mib))
}
