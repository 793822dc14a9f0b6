//! [`Job`]: the result directory, job settings, hooks and profilers shared by the
//! tests it runs; [`JobBuilder`] to make one; [`TestBuilder`] for one run.

mod builder;
mod files;
mod handle;
mod settings;
mod test_builder;

pub use builder::JobBuilder;
pub use handle::{Job, TestHook};
pub(crate) use settings::{Isolation, JobSettings};
pub use test_builder::TestBuilder;
