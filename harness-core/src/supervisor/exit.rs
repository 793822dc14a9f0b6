//! How a child's ending is told: its exit in autotest's words, and what it
//! left behind added to its verdict.

use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;

use crate::results::outputs::record::Ending;
use crate::status::Status;

/// Makes an ending that passed WARN with `text` as its reason; adds `text` as
/// a detail line to one that did not pass (or was not applicable).
pub(super) fn warn_of(ending: &mut Ending, text: String) {
    if ending.status.is_failure() || ending.status == Status::TestNa || ending.status == Status::Warn {
        ending.reason.push('\n');
        ending.reason.push_str(&text);
    } else {
        ending.status = Status::Warn;
        ending.reason = text;
    }
}

/// How a child ended, in autotest's words where it has them.
pub(super) fn describe_exit(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("Test subprocess failed rc={code}"),
        (None, Some(signal)) => format!("Test subprocess died from signal {signal} ({})", crate::signal::name(signal)),
        _ => "Test subprocess failed".to_owned(),
    }
}
