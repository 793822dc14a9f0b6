//! The lifecycle engine: one planned run, from START to END.
//!
//! `run.rs` runs a planned run (prepare, body, finish) and records one that
//! could not start; `prepared.rs` names a run and writes its START;
//! `body.rs` is everything between START and the status line, autotest's
//! `_exec`; `execute.rs` the iterations, retries, profiled run and
//! constraints; `setup.rs` setup once per version; `phase.rs` every call into
//! user code; `isolate.rs` where a body runs when not here; `job_core.rs` the
//! one value the engine runs with. The engine imports what a test sees and
//! the layers below, never the job or a front end.

mod body;
mod execute;
mod isolate;
mod job_core;
mod phase;
mod prepared;
mod run;
mod setup;

pub(crate) use body::body;
pub(crate) use isolate::{Isolate, Ran};
pub(crate) use job_core::{CacheDropper, Clock, CoreParts, JobCore, JobHooks};
pub(crate) use prepared::Prepared;
pub(crate) use run::run;
#[cfg(feature = "cli")]
pub(crate) use run::unrunnable;
