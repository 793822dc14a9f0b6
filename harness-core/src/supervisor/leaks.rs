//! Processes a test leaves behind: those in its cgroup or process group, and
//! those elsewhere that still hold its stdout or stderr (nextest's LEAK), found
//! in `/proc` (and the cgroup's `cgroup.procs`) and killed.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use super::cgroup::Containment;

/// The inode of a pipe, to find the processes that hold its other end.
pub(super) fn pipe_inode(pipe: &impl std::os::fd::AsFd) -> Option<u64> {
    let fd = pipe.as_fd().try_clone_to_owned().ok()?;
    File::from(fd).metadata().ok().map(|m| m.ino())
}

/// The processes of `group`, and those holding one of `pipes`, other than
/// this one: `1234 (sleep)`.
fn left_behind(group: Pid, pipes: &[Option<Option<u64>>]) -> Vec<(Pid, String)> {
    let me = std::process::id();
    let wanted: Vec<String> = pipes.iter().flatten().flatten().map(|ino| format!("pipe:[{ino}]")).collect();
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let proc = entry.path();
        let Ok(stat) = fs::read_to_string(proc.join("stat")) else { continue };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((head, rest)) = stat.rsplit_once(')') else { continue };
        let comm = head.split_once('(').map_or("", |(_, c)| c).to_owned();
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("");
        let pgrp = fields.nth(1).and_then(|p| p.parse::<i32>().ok());
        if state == "Z" {
            continue;
        }
        let in_group = pgrp == Some(group.as_raw());
        let holds_pipe = !wanted.is_empty() && holds_any(&proc, &wanted);
        if in_group || holds_pipe {
            found.push((Pid::from_raw(i32::try_from(pid).unwrap_or(0)), comm));
        }
    }
    found
}

fn holds_any(proc: &Path, wanted: &[String]) -> bool {
    let Ok(fds) = fs::read_dir(proc.join("fd")) else { return false };
    fds.flatten()
        .any(|fd| fs::read_link(fd.path()).is_ok_and(|target| wanted.iter().any(|w| target.as_os_str() == w.as_str())))
}

/// The command name of `pid` (`sleep`), from `/proc/<pid>/stat`.
fn comm(pid: Pid) -> String {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(')').and_then(|(head, _)| head.split_once('(')).map_or("", |(_, c)| c).to_owned()
}

/// Kills what the test left behind; returns it as `1234 (sleep)`.
pub(super) fn kill_left_behind(group: Pid, pipes: &[Option<Option<u64>>], containment: &Containment) -> Vec<String> {
    let in_cgroup = match containment {
        Containment::Cgroup(cgroup) => cgroup.pids(),
        Containment::ProcessGroup(_) => Vec::new(),
    };
    // The common case costs one call: an empty group, no pipe to look for and an empty cgroup.
    let no_pipes = pipes.iter().all(|p| p.flatten().is_none());
    if no_pipes && in_cgroup.is_empty() && killpg(group, None) == Err(nix::errno::Errno::ESRCH) {
        return Vec::new();
    }
    let mut found = left_behind(group, pipes);
    for pid in in_cgroup {
        if !found.iter().any(|(p, _)| *p == pid) {
            found.push((pid, comm(pid)));
        }
    }
    if let Containment::Cgroup(cgroup) = containment {
        cgroup.kill_all();
    }
    for (pid, _) in &found {
        let _ = kill(*pid, Signal::SIGKILL);
    }
    let _ = killpg(group, Signal::SIGKILL);
    found.sort_by_key(|(pid, _)| pid.as_raw());
    found.into_iter().map(|(pid, comm)| format!("{pid} ({comm})")).collect()
}
