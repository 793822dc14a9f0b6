//! What a machine must have for a test to run: `#[autotest(requires(...))]`.
//! Checked before `initialize`; an unmet requirement makes the test TEST_NA
//! with a reason that names it.

use std::fmt;
use std::path::Path;

/// One requirement of a test.
#[derive(Clone, Copy)]
pub enum Requirement {
    /// `file("/dev/kvm")`: the path exists.
    File(&'static str),
    /// `command("perf")`: an executable of that name is on `PATH` (or the path,
    /// when it holds a `/`, is executable).
    Command(&'static str),
    /// `root`: the effective user is root.
    Root,
    /// `env("VAR")`: the environment variable is set.
    Env(&'static str),
    /// `cpus(4)`: at least this many CPUs are available to the process.
    Cpus(u32),
    /// `memory_gb(8)`: at least this many GiB of memory (`MemTotal`).
    MemoryGb(u32),
    /// `fn(path::to::check)`: a check of the test's own; `Err` says what is missing.
    Check(&'static str, fn() -> Result<(), String>),
}

impl fmt::Debug for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Requirement {
    /// As written in the attribute: `file("/dev/kvm")`, `cpus(4)`, `fn(checks::gpu)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::File(path) => write!(f, "file({path:?})"),
            Requirement::Command(name) => write!(f, "command({name:?})"),
            Requirement::Root => f.write_str("root"),
            Requirement::Env(name) => write!(f, "env({name:?})"),
            Requirement::Cpus(n) => write!(f, "cpus({n})"),
            Requirement::MemoryGb(n) => write!(f, "memory_gb({n})"),
            Requirement::Check(path, _) => write!(f, "fn({path})"),
        }
    }
}

impl Requirement {
    /// Checks the requirement on this machine: `Err` says what is missing.
    ///
    /// # Errors
    ///
    /// A sentence saying what this machine lacks.
    pub fn check(&self) -> Result<(), String> {
        match *self {
            Requirement::File(path) => {
                if Path::new(path).exists() {
                    Ok(())
                } else {
                    Err(format!("{path} does not exist"))
                }
            }
            Requirement::Command(name) => {
                if find_command(name) {
                    Ok(())
                } else {
                    Err(format!("no `{name}` on PATH"))
                }
            }
            Requirement::Root => {
                if nix::unistd::geteuid().is_root() {
                    Ok(())
                } else {
                    Err("not running as root".to_owned())
                }
            }
            Requirement::Env(name) => {
                if std::env::var_os(name).is_some() {
                    Ok(())
                } else {
                    Err(format!("${name} is not set"))
                }
            }
            Requirement::Cpus(wanted) => {
                let have = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
                if have >= wanted as usize { Ok(()) } else { Err(format!("{have} CPUs available")) }
            }
            Requirement::MemoryGb(wanted) => match memory_kib() {
                Some(have) if have >= u64::from(wanted) * 1024 * 1024 => Ok(()),
                #[allow(clippy::cast_precision_loss, reason = "a size shown to a person")]
                Some(have) => Err(format!("{:.1} GiB of memory", have as f64 / (1024.0 * 1024.0))),
                None => Err("the memory size is unknown (/proc/meminfo)".to_owned()),
            },
            Requirement::Check(_, check) => checked(check),
        }
    }

    /// The TEST_NA reason for a requirement that is not met.
    #[must_use]
    pub fn unmet(&self, why: &str) -> String {
        format!("requirement not met: {self}: {why}")
    }
}

/// Runs a check of the test's own; one that panics is unmet, with the panic's
/// message (and the panic is not printed: `list` and `run` go on).
fn checked(check: fn() -> Result<(), String>) -> Result<(), String> {
    crate::debuglog::install();
    let _scope = crate::debuglog::PhaseScope::enter();
    match std::panic::catch_unwind(check) {
        Ok(result) => result,
        Err(payload) => {
            let _ = crate::debuglog::take_panic();
            Err(format!("the check panicked: {}", crate::debuglog::payload_text(payload.as_ref())))
        }
    }
}

/// Checks `requirements` in order: the reason of the first unmet one.
///
/// # Errors
///
/// The TEST_NA reason naming the first unmet requirement.
pub(crate) fn check_all(requirements: &[Requirement]) -> Result<(), String> {
    for requirement in requirements {
        requirement.check().map_err(|why| requirement.unmet(&why))?;
    }
    Ok(())
}

fn find_command(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let executable = |path: &Path| path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if name.contains('/') {
        return executable(Path::new(name));
    }
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| executable(&dir.join(name))))
}

fn memory_kib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> Result<(), String> {
        Err("no gpu here".to_owned())
    }

    #[test]
    fn each_kind_met_and_unmet() {
        assert_eq!(Requirement::File("/").check(), Ok(()));
        assert_eq!(Requirement::File("/nowhere/x").check(), Err("/nowhere/x does not exist".to_owned()));
        assert_eq!(Requirement::Command("sh").check(), Ok(()));
        assert_eq!(Requirement::Command("no-such-tool-xyz").check(), Err("no `no-such-tool-xyz` on PATH".to_owned()));
        assert_eq!(Requirement::Env("PATH").check(), Ok(()));
        assert_eq!(Requirement::Env("HARNESS_NO_SUCH_VAR").check(), Err("$HARNESS_NO_SUCH_VAR is not set".to_owned()));
        assert_eq!(Requirement::Cpus(1).check(), Ok(()));
        assert!(Requirement::Cpus(100_000).check().unwrap_err().ends_with("CPUs available"));
        assert_eq!(Requirement::MemoryGb(0).check(), Ok(()));
        assert!(Requirement::MemoryGb(1_000_000).check().unwrap_err().ends_with("GiB of memory"));
        let check = Requirement::Check("checks::never", never);
        assert_eq!(
            check_all(&[Requirement::Cpus(1), check]),
            Err("requirement not met: fn(checks::never): no gpu here".to_owned())
        );
        assert_eq!(
            Requirement::File("/dev/kvm").unmet("/dev/kvm does not exist"),
            "requirement not met: file(\"/dev/kvm\"): /dev/kvm does not exist"
        );
    }
}
