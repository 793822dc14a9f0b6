//! The lifecycle engine: one test run, from START to END.

mod execute;
mod phase;
mod record;
mod run;
mod setup;

pub use record::{PerfRecord, TestRecord};
pub(crate) use run::run;
pub(crate) use run::{Prepared, Verdict, body, unrunnable};
