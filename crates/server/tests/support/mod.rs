//! Helpers shared by the server's integration tests: a store with the demo batch audited into it and
//! an account of every role (`app`), and a headless-Chromium WebDriver harness (`browser`).
#![allow(dead_code, reason = "each test binary uses a subset")]

pub mod app;
pub mod browser;
