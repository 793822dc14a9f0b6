//! The lifecycle engine: one test run, from START to END.

mod execute;
mod phase;
mod record;
mod run;
mod setup;

pub use record::{PerfRecord, TestRecord};
pub(crate) use run::run;
#[cfg(feature = "cli")]
pub(crate) use run::{Naming, Prepared, Verdict, body, finish, prepare};
