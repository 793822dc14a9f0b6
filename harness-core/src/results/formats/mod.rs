//! autotest's own formats, each a writer and its reader:
//!
//! - the keyval files: `keyval.rs`, the iteration blocks of
//!   `iteration_keyval.rs`, a perf keyval's number `perf_number.rs`;
//! - the perf chart: `chart.rs`, an entry `chart_entry.rs`, on disk
//!   `chart_file.rs`, its bytes `chart_json.rs`, the values `perf_value.rs`;
//! - the status log: its lines `status_entry.rs`, its writer `status_log.rs`,
//!   its reader `status_reader.rs`, TKO's roll-up `rollup.rs`;
//! - Python's formatting: `pyfmt.rs`, read back by `pyliteral.rs`.
//!
//! Nothing here knows the job's own outputs (`super::outputs`), which are made
//! of these.

pub(crate) mod chart;
pub(crate) mod chart_entry;
pub(crate) mod chart_file;
pub(crate) mod chart_json;
pub(crate) mod iteration_keyval;
pub(crate) mod keyval;
pub(crate) mod perf_number;
pub(crate) mod perf_value;
pub(crate) mod pyfmt;
pub(crate) mod pyliteral;
pub(crate) mod rollup;
pub(crate) mod status_entry;
pub(crate) mod status_log;
pub(crate) mod status_reader;
