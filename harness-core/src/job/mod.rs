//! [`Job`]: the result directory, job settings, hooks and profilers shared by the
//! tests it runs; [`JobBuilder`] to make one; [`TestBuilder`] for one run.

mod builder;
mod files;
mod handle;
mod test_builder;

pub use builder::JobBuilder;
pub use handle::Job;
pub use test_builder::TestBuilder;
