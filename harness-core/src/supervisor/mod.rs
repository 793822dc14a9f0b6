//! Running a test's body in a child process of this binary: the parent's
//! supervisor, and the spec and result it shares with the child's entry point
//! (`child.rs`).

mod capture;
mod cgroup;
mod exit;
mod leaks;
mod parent;
pub(crate) mod spec;

pub(crate) use cgroup::join;
pub(crate) use parent::ProcessIsolation;
