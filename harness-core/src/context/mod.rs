//! [`TestContext`]: what `self` held in autotest's `base_test`: the directories,
//! the iteration counter, keyval and perf-value writers, hooks and subtests.

mod data_loss;
mod job_view;
mod keyvals;
mod measure;
mod test_context;

pub(crate) use data_loss::reason_loss;
pub(crate) use job_view::JobLink;
pub use job_view::JobView;
pub use measure::Amount;
pub use test_context::TestContext;
pub(crate) use test_context::{Hook, TestDirs, describe_args};
