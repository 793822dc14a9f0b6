//! The job's own outputs, made from autotest's formats (`super::formats`):
//! the records of a run (`record.rs`), `results.json` (its types
//! `job_results.rs`, written and rebuilt by `job_files.rs`, its bytes
//! `results_json.rs`), `junit.xml` (`junit.rs`), the live event stream (`events.rs`, `events.jsonl`), the job's exit status for TKO
//! (`exit_status.rs`, `.autoserv_execute`) and the machine (`sysinfo.rs`).

pub(crate) mod events;
mod events_replay;
pub(crate) mod exit_status;
pub(crate) mod job_files;
pub(crate) mod job_results;
pub(crate) mod junit;
pub(crate) mod record;
pub(crate) mod results_json;
pub mod sysinfo;
