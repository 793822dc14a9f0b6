//! One test measures at a time, machine-wide: a harness test holds an
//! exclusive lock on one file for the whole of its run, so that nextest with
//! `-j 8`, two `cargo test` binaries or two harness runs never run two tests
//! side by side (each would measure the other). A test marked `parallel`
//! (a functional test) does not take it, nor does any test when
//! `HARNESS_PARALLEL=1` is set.
//!
//! The lock is `measure.lock` in `$HARNESS_LOCK_DIR`, else
//! `$XDG_RUNTIME_DIR/harness`, else `/tmp/harness-<uid>` (a private
//! directory): one per user. Its holder writes `<pid> <test>` into it, so a
//! waiting test can say whom it waits for. A test run inside a test that
//! holds the lock (a harness binary started by a harness test) goes on
//! without it: its ancestor measures with it.

use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use crate::cancel::CancelToken;
use crate::error::{Error, Result};
use crate::files::{open_no_follow, private_dir};

/// How often a waiting test tries the lock again.
const RETRY: Duration = Duration::from_millis(10);

/// The lock held: released when dropped (the file is closed).
#[derive(Debug)]
pub(crate) struct MeasureLock {
    _file: File,
}

/// Whether `HARNESS_PARALLEL=1` turns the lock off for every test.
pub(crate) fn off_by_environment() -> bool {
    std::env::var_os("HARNESS_PARALLEL").is_some_and(|value| value == "1")
}

/// Where the lock lives.
pub(crate) fn lock_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HARNESS_LOCK_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("harness");
    }
    PathBuf::from(format!("/tmp/harness-{}", nix::unistd::geteuid()))
}

/// Takes the lock for `test`. When another process holds it, calls
/// `waiting` once with a sentence saying whom it waits for, and waits
/// (checking `cancel`; a cancelled wait returns without the lock, so the run
/// goes on to be aborted as any cancelled run). `None` as well when an
/// ancestor of this process holds it.
///
/// # Errors
///
/// A lock directory that cannot be made or is not private, a lock file that
/// cannot be opened or locked.
pub(crate) fn acquire(test: &str, cancel: &CancelToken, waiting: impl FnOnce(&str)) -> Result<Option<MeasureLock>> {
    let dir = lock_dir();
    private_dir(&dir, "lock directory")?;
    let path = dir.join("measure.lock");
    let mut file = open_no_follow(&path, true)?;
    let mut waiting = Some(waiting);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
        let holder = holder(&mut file);
        if holder.as_ref().is_some_and(|(pid, _)| is_ancestor(*pid)) {
            return Ok(None);
        }
        if let Some(say) = waiting.take() {
            let whom = match &holder {
                Some((pid, name)) => format!("{name} (pid {pid})"),
                None => "another test".to_owned(),
            };
            say(&format!("waiting for {whom} to finish: one test measures at a time on this machine"));
        }
        if cancel.is_cancelled() {
            return Ok(None);
        }
        std::thread::sleep(RETRY);
    }
    // Whom a waiting test waits for: this process and its test.
    let said = format!("{} {test}\n", std::process::id());
    let written = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| file.write_all(said.as_bytes()));
    written.map_err(|e| Error::io("write", &path, e))?;
    Ok(Some(MeasureLock { _file: file }))
}

/// The holder's pid and test, as it wrote them.
fn holder(file: &mut File) -> Option<(u32, String)> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.take(4096).read_to_string(&mut text).ok()?;
    let (pid, test) = text.trim_end().split_once(' ')?;
    Some((pid.parse().ok()?, test.to_owned()))
}

/// Whether `pid` is an ancestor of this process (not this process: another
/// thread of it that holds the lock is waited for).
fn is_ancestor(pid: u32) -> bool {
    let mut at = std::os::unix::process::parent_id();
    for _ in 0..64 {
        if at == pid {
            return true;
        }
        match parent_of(at) {
            Some(parent) if parent > 1 => at = parent,
            _ => return false,
        }
    }
    false
}

/// The parent of process `pid`, from `/proc/<pid>/stat` (the field after the
/// command name, which may hold spaces and parentheses).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_an_ancestor_and_this_process_is_not() {
        assert!(!is_ancestor(std::process::id()));
        assert!(is_ancestor(std::os::unix::process::parent_id()));
        assert_eq!(parent_of(std::process::id()), Some(std::os::unix::process::parent_id()));
        assert!(!is_ancestor(u32::MAX));
    }
}
