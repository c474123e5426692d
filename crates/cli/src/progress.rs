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
