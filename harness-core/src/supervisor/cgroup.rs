//! A cgroup (v2) of its own for each child, where the machine allows one:
//! every process the test starts stays in it whatever it does (a new session,
//! a double fork, stdio on `/dev/null`), so what it leaves behind is found and
//! killed. Where no cgroup can be made (cgroup v1 only, no permission, a
//! read-only `/sys/fs/cgroup`), the supervisor falls back on the process group
//! and the output pipes, and says which method it used.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// One child's cgroup: made empty, removed when dropped (after killing what
/// is still in it).
#[derive(Debug)]
pub(super) struct TestCgroup {
    dir: PathBuf,
}

/// How the supervisor finds what a test leaves behind.
#[derive(Debug)]
pub(super) enum Containment {
    /// Its own cgroup.
    Cgroup(TestCgroup),
    /// Its process group and the holders of its output pipes; why no cgroup.
    ProcessGroup(String),
}

/// What the child is told of its containment: the cgroup to join first
/// thing, before the test's code runs, or why there is none.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) enum Holding {
    /// Join this cgroup.
    Cgroup(PathBuf),
    /// No cgroup, for this reason.
    ProcessGroup(String),
}

impl Containment {
    /// A cgroup for a new child if this process may make one, else why not.
    pub(super) fn new() -> Containment {
        match TestCgroup::create() {
            Ok(cgroup) => Containment::Cgroup(cgroup),
            Err(why) => Containment::ProcessGroup(why),
        }
    }

    /// What the child is told.
    pub(super) fn holding(&self) -> Holding {
        match self {
            Containment::Cgroup(cgroup) => Holding::Cgroup(cgroup.dir.clone()),
            Containment::ProcessGroup(why) => Holding::ProcessGroup(why.clone()),
        }
    }
}

/// The child's side: joins its cgroup (before any of the test's code can
/// start a process) and says, for its debug log, how what the test leaves
/// behind will be found.
pub(crate) fn join(holding: &Holding) -> String {
    let why = match holding {
        Holding::Cgroup(dir) => match fs::write(dir.join("cgroup.procs"), std::process::id().to_string()) {
            Ok(()) => {
                return format!("processes the test leaves behind are found by its cgroup `{}`", dir.display());
            }
            Err(e) => format!("cannot join `{}`: {e}", dir.display()),
        },
        Holding::ProcessGroup(why) => why.clone(),
    };
    format!("processes the test leaves behind are found by its process group and its output pipes (no cgroup: {why})")
}

/// This process's cgroup v2 directory: its path in `/proc/self/cgroup` (the
/// `0::` line) below where the unified hierarchy is mounted.
fn own_cgroup() -> Result<PathBuf, String> {
    let membership = fs::read_to_string("/proc/self/cgroup").map_err(|e| format!("/proc/self/cgroup: {e}"))?;
    let path = membership
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .ok_or_else(|| "this process is in no cgroup v2 hierarchy".to_owned())?;
    let mounts = fs::read_to_string("/proc/self/mountinfo").map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
    // `id parent major:minor root mountpoint options ... - fstype source options`
    let (root, mountpoint) = mounts
        .lines()
        .find_map(|line| {
            let (head, tail) = line.split_once(" - ")?;
            if tail.split_whitespace().next()? != "cgroup2" {
                return None;
            }
            let fields: Vec<&str> = head.split_whitespace().collect();
            Some((fields.get(3)?.to_string(), fields.get(4)?.to_string()))
        })
        .ok_or_else(|| "no cgroup2 file system is mounted".to_owned())?;
    let inside = Path::new(path).strip_prefix(&root).map_err(|_| format!("cgroup `{path}` is outside the mount"))?;
    Ok(Path::new(&unescape(&mountpoint)).join(inside))
}

/// A mount point as `/proc/self/mountinfo` writes it (`\040` for a space).
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 4).and_then(|c| u8::from_str_radix(c, 8).ok());
        match code {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &rest[at + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Removes the empty cgroups of harness processes that are gone (a parent
/// killed before it could remove its child's).
fn remove_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix("harness-")).and_then(|n| n.split('-').next());
        if let Some(pid) = pid
            && !Path::new("/proc").join(pid).exists()
        {
            // Fails, harmlessly, while a process is still in it.
            let _ = fs::remove_dir(entry.path());
        }
    }
}

impl TestCgroup {
    fn create() -> Result<TestCgroup, String> {
        let parent = own_cgroup()?;
        remove_stale(&parent);
        let name = format!("harness-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let dir = parent.join(name);
        fs::create_dir(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        Ok(TestCgroup { dir })
    }

    /// The processes in the cgroup now.
    pub(super) fn pids(&self) -> Vec<Pid> {
        fs::read_to_string(self.dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.trim().parse::<i32>().ok())
            .map(Pid::from_raw)
            .collect()
    }

    /// Kills every process in the cgroup: `cgroup.kill` where the kernel has
    /// it (5.14), else SIGKILL to each until none is left, for a second at most.
    pub(super) fn kill_all(&self) {
        if fs::write(self.dir.join("cgroup.kill"), "1").is_ok() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let pids = self.pids();
            if pids.is_empty() || Instant::now() >= deadline {
                return;
            }
            for pid in pids {
                let _ = kill(pid, Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        self.kill_all();
        // A killed process leaves the cgroup when it has exited; its removal
        // waits for that, briefly.
        let deadline = Instant::now() + Duration::from_secs(2);
        while fs::remove_dir(&self.dir).is_err() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_unescaped() {
        assert_eq!(unescape("/sys/fs/cgroup"), "/sys/fs/cgroup");
        assert_eq!(unescape("/a\\040b\\011c"), "/a b\tc");
        assert_eq!(unescape("/trailing\\"), "/trailing\\");
    }
}
