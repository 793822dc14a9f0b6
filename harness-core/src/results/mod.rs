//! The files autotest's tools read, each with its writer and its reader.
//!
//! | file | module items |
//! | --- | --- |
//! | `keyval`, `results/keyval` | [`write_keyval`], [`read_keyval`], [`read_iterations`] |
//! | `results/results-chart.json` | [`PerfChart`] |
//! | `status.log` | [`StatusEntry`], [`StatusLog`] |
//! | `results.json` | [`JobResults`], its [`TestRecord`]s |
//! | `junit.xml` | written with `results.json` (`junit.rs`) |
//! | `.autoserv_execute` | [`read_job_exit`], [`JobExit`] |
//! | a report page | [`html_page`] |

mod chart;
mod chart_file;
mod chart_json;
pub(crate) mod comparison;
mod exit_status;
mod html;
mod iteration_keyval;
mod job_files;
mod junit;
mod keyval;
mod perf_value;
pub(crate) mod pyfmt;
mod pyliteral;
mod record;
mod results_json;
pub(crate) mod rollup;
mod status_log;
mod status_reader;
pub mod sysinfo;

pub use chart::{ChartEntry, PerfChart};
pub(crate) use chart_file::ChartFile;
pub use exit_status::{EXIT_STATUS_FILE, JobExit, read_job_exit};
pub(crate) use exit_status::{write_finished, write_started};
#[cfg(feature = "cli")]
pub(crate) use html::page as html_page_with;
pub use html::{history_page, html_page};
pub(crate) use iteration_keyval::{IterationKeyvals, TKO_KEY_LIMIT};
pub use job_files::{JobInfo, JobResults, RESULTS_SCHEMA_VERSION, rebuild_job_files};
pub(crate) use job_files::{baseline_medians, write_job_files};
pub use keyval::{
    Iteration, KeyvalValue, PerfNumber, TypeTag, keyval_path, read_iterations, read_keyval, write_keyval,
};
pub(crate) use keyval::{complete_lines, format_keyval};
pub(crate) use perf_value::threshold_key;
pub use perf_value::{PerfData, PerfValue};
pub use record::{BlockKind, JobSummary, KeyvalBlock, PerfRecord, TestRecord};
pub(crate) use record::{Outcome, RecordData, read_blocks};
pub use status_log::{StatusCode, StatusEntry};
pub(crate) use status_log::{StatusLogWriter, split_lines};
pub use status_reader::{ABORTED_UNEXPECTEDLY, GroupStatus, StatusLog};
