//! The files a job writes, each with its writer and its reader: autotest's
//! formats (`formats/`) and the job's own outputs made from them
//! (`outputs/`). This module is their public face: every item of both that
//! users reach is re-exported here, and the rest of harness imports each
//! item from the file it lives in.
//!
//! | file | module items |
//! | --- | --- |
//! | `keyval`, `results/keyval` | [`write_keyval`], [`read_keyval`], [`read_iterations`] |
//! | `results/results-chart.json` | [`PerfChart`] |
//! | `status.log` | [`StatusEntry`], [`StatusLog`] |
//! | `results.json` | [`JobResults`], its [`TestRecord`]s; [`read_or_rebuild`], [`write_job_files`] |
//! | `junit.xml` | written with `results.json` |
//! | `.autoserv_execute` | [`read_job_exit`], [`write_finished`], [`JobExit`] |
//! | `events.jsonl` | [`EventLine`], [`EventBody`], [`read_events`] |

pub(crate) mod formats;
pub(crate) mod outputs;

pub use crate::names::check_subdir;
pub use formats::chart::PerfChart;
pub use formats::chart_entry::ChartEntry;
pub use formats::iteration_keyval::BlockKind;
pub use formats::keyval::{
    Iteration, KeyvalValue, TypeTag, complete_lines, keyval_path, read_iterations, read_keyval, write_keyval,
};
pub use formats::perf_number::PerfNumber;
pub use formats::perf_value::{PerfData, PerfValue};
pub use formats::status_entry::{StatusCode, StatusEntry};
pub use formats::status_reader::{ABORTED_UNEXPECTEDLY, GroupStatus, StatusLog};
pub use outputs::events::{
    EVENTS_FILE, EVENTS_SCHEMA_VERSION, EventBody, EventLine, EventsCopy, EventsRead, IterationValues, NoticeKind,
    read_events,
};
pub use outputs::exit_status::{EXIT_STATUS_FILE, JobExit, read_job_exit, write_finished};
pub use outputs::job_files::{read_or_rebuild, rebuild_job_files, write_job_files};
pub use outputs::job_results::{JobInfo, JobResults, RESULTS_SCHEMA_VERSION};
pub use outputs::record::{JobSummary, KeyvalBlock, PerfRecord, TestRecord};
pub use outputs::sysinfo;
