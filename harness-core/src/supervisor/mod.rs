//! Running a test's body in a child process of this binary: the parent's
//! supervisor and the child's entry point, with the spec and result they share.

mod child;
mod parent;
mod spec;

pub(crate) use child::child_main;
pub(crate) use parent::run_child;
pub(crate) use spec::{CHILD_DIR_ENV, ChildRoot};
