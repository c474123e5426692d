//! The `origin-audit` commands as library functions, so tests call them directly; `main` only wires
//! arguments to them and turns their result into an exit code.

pub mod batch_cmd;
pub mod gen_cmd;
pub mod import_cmd;
pub mod init_cmd;
pub mod progress;
pub mod rules_cmd;
pub mod run_cmd;
pub mod scenario_cmd;
pub mod serve_cmd;
pub mod solicit_cmd;
pub mod store_cmd;
pub mod trace;
pub mod xlsx;

/// Exit codes shared by the commands.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The input (rule pack, batch) has errors.
    pub const INVALID: i32 = 1;
    /// Bad usage or an IO failure.
    pub const USAGE: i32 = 2;
    /// The pack encodes no rule for what was asked.
    pub const NO_RULE: i32 = 3;
}
