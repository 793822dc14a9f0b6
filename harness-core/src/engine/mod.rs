//! The lifecycle engine: one test run, from START to END.

mod execute;
mod job_core;
mod phase;
mod run;
mod setup;

pub(crate) use job_core::{CacheDropper, Clock, CoreParts, Isolate, Isolated, JobCore, JobHooks};
pub(crate) use run::run;
#[cfg(feature = "cli")]
pub(crate) use run::unrunnable;
pub(crate) use run::{Prepared, Verdict, body};
