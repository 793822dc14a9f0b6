//! The lifecycle engine: one test run, from START to END.

mod execute;
mod phase;
mod run;
mod setup;

pub(crate) use run::run;
pub(crate) use run::{Prepared, Verdict, body, unrunnable};
