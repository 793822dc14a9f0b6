//! Running a test's body in a child process of this binary: the parent's
//! supervisor, and the spec and result it shares with the child's entry point
//! (`child.rs`); or on a device over SSH (`remote.rs`).

mod capture;
mod cgroup;
mod exit;
mod leaks;
mod parent;
#[cfg(feature = "cli")]
mod remote;
pub(crate) mod spec;

pub(crate) use cgroup::join;
pub(crate) use parent::ProcessIsolation;
#[cfg(feature = "cli")]
pub(crate) use remote::RemoteIsolation;
