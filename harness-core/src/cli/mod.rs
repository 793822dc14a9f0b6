//! The command line of any harness binary: `fn main() { harness_core::main() }`.
//!
//! `entry.rs` parses and dispatches, `command.rs` is the clap definition,
//! `exit.rs` the exit statuses; the commands are `list.rs`, `run.rs` (with the
//! planned run of `control.rs` and `select.rs`, the console `reporter.rs`,
//! the `progress.rs` bar, and `outputs.rs`: exports and LAVA signals) and
//! `validate` (in `entry.rs`, on `control.rs`).
//! Modules here import the layers below, never one another in a circle.

mod bundle;
mod command;
mod control;
mod entry;
mod error;
mod exit;
mod list;
mod outputs;
mod progress;
mod reporter;
mod run;
mod select;

pub use entry::{main, run_cli};
