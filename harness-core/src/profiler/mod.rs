//! Profilers: the [`Profiler`] trait, the job's [`ProfilerSet`], and
//! [`CommandProfiler`], which runs a program (vmstat, perf record) for the
//! profiled iteration in its own process group.

mod command;
mod set;
mod spec;

pub use command::{CommandProfiler, StopSignal};
pub use set::{Profiler, ProfilerSet};
pub(crate) use spec::ProfilerSpec;
