//! `<job>/.autoserv_execute`: the job's exit status, where autotest's server
//! leaves it and TKO reads it for the job's own row.
//!
//! Line 1 is the pid of the job's process, written when the job starts; line 2
//! is a `wait(2)`-style status, added when the job completes: `0` when no test
//! failed, `256` (exited 1) when one did, the signal number when the job was
//! interrupted. A job killed before it completes leaves line 1 alone, which
//! TKO reads as ABORT, as it reads a signal.

use std::fs;
use std::path::Path;

use crate::error::{Error, Result};
use crate::files::write_bytes_atomic;
use crate::status::Status;

/// The file's name inside the job's result directory.
pub const EXIT_STATUS_FILE: &str = ".autoserv_execute";

/// How a job ended, as the second line of [`EXIT_STATUS_FILE`] says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobExit {
    /// The job completed with this exit code (0: no test failed).
    Exited(u8),
    /// The job was interrupted by this signal.
    Signalled(i32),
}

impl JobExit {
    /// The `wait(2)` status: the exit code shifted left by 8, or the signal.
    #[must_use]
    pub fn wait_status(self) -> i32 {
        match self {
            JobExit::Exited(code) => i32::from(code) << 8,
            JobExit::Signalled(signal) => signal & 0x7f,
        }
    }

    /// The status TKO gives the job: ABORT when signalled, FAIL for a
    /// non-zero exit, else GOOD.
    #[must_use]
    pub fn status(self) -> Status {
        match self {
            JobExit::Signalled(_) => Status::Abort,
            JobExit::Exited(0) => Status::Good,
            JobExit::Exited(_) => Status::Fail,
        }
    }

    fn from_wait_status(status: i32) -> Self {
        match status & 0x7f {
            0 => JobExit::Exited(((status >> 8) & 0xff) as u8),
            signal => JobExit::Signalled(signal),
        }
    }
}

/// Writes line 1, this process's pid, when the job starts.
pub(crate) fn write_started(resultdir: &Path) -> Result<()> {
    write_bytes_atomic(&resultdir.join(EXIT_STATUS_FILE), format!("{}\n", std::process::id()).as_bytes())
}

/// Writes `.autoserv_execute` with its second line, how the job ended (TKO
/// reads the job's status there): this process's pid, then the wait status.
///
/// # Errors
///
/// I/O errors writing the file.
pub fn write_finished(resultdir: &Path, exit: JobExit) -> Result<()> {
    let text = format!("{}\n{}\n", std::process::id(), exit.wait_status());
    write_bytes_atomic(&resultdir.join(EXIT_STATUS_FILE), text.as_bytes())
}

/// Reads how a job ended: `None` when the file is missing, has no second
/// line, or the line is not an integer (a job that never completed: TKO's
/// ABORT).
///
/// # Errors
///
/// [`Error::Io`] when the file exists but cannot be read.
pub fn read_job_exit(resultdir: &Path) -> Result<Option<JobExit>> {
    let path = resultdir.join(EXIT_STATUS_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", &path, e)),
    };
    Ok(text.lines().nth(1).and_then(|line| line.trim().parse().ok()).map(JobExit::from_wait_status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_read_back_as_tko_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_job_exit(dir.path()).unwrap(), None);
        write_started(dir.path()).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join(EXIT_STATUS_FILE)).unwrap(), format!("{}\n", std::process::id()));
        assert_eq!(read_job_exit(dir.path()).unwrap(), None);
        for (exit, wait, status) in [
            (JobExit::Exited(0), 0, Status::Good),
            (JobExit::Exited(1), 256, Status::Fail),
            (JobExit::Signalled(15), 15, Status::Abort),
        ] {
            write_finished(dir.path(), exit).unwrap();
            let text = fs::read_to_string(dir.path().join(EXIT_STATUS_FILE)).unwrap();
            assert_eq!(text, format!("{}\n{wait}\n", std::process::id()));
            assert_eq!(read_job_exit(dir.path()).unwrap(), Some(exit));
            assert_eq!(exit.status(), status);
        }
    }
}
