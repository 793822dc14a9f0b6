//! Tests that misbehave on purpose, to show what running each test in its own
//! process buys: a crash or a hang is that test's ERROR, and the job goes on.

use std::time::Duration;

use harness_core::prelude::*;

/// Aborts the whole process in run_once (as a failed assertion in C would).
#[autotest(name = "fault_abort", version = 1)]
#[derive(Debug, Default)]
pub struct FaultAbort;

#[autotest]
impl FaultAbort {
    fn run_once(&mut self) {
        std::process::abort();
    }
}

/// Dies from SIGSEGV in run_once (as a stray pointer in a C library would).
#[autotest(name = "fault_segfault", version = 1)]
#[derive(Debug, Default)]
pub struct FaultSegfault;

#[autotest]
impl FaultSegfault {
    fn run_once(&mut self) -> TestResult {
        use nix::sys::signal::{SigHandler, Signal, raise, signal};
        // std handles SIGSEGV to report stack overflows; a real crash gets the
        // default action, which this restores before raising the signal.
        #[allow(unsafe_code, reason = "setting a signal's default action has no Rust-side invariants")]
        // SAFETY: SIG_DFL is not a Rust function, so no handler can run Rust code.
        unsafe {
            signal(Signal::SIGSEGV, SigHandler::SigDfl)?;
        }
        raise(Signal::SIGSEGV)?;
        Ok(())
    }
}

/// Hangs in run_once for `seconds`: with `cooperative`, through `ctx.sleep`, which
/// returns when the job asks the test to stop (its cleanup then runs); without,
/// in a plain sleep that only SIGKILL ends. Give it a `timeout`.
#[autotest(name = "fault_hang", version = 1)]
#[derive(Debug, Default)]
pub struct FaultHang;

#[autotest]
impl FaultHang {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = 3600.0)] seconds: f64,
        #[arg(default = true, doc = "wait through ctx.sleep")] cooperative: bool,
        #[arg(default = false, doc = "start `sleep 600` first, in the test's process group")] spawn: bool,
        #[arg(default = false, doc = "leave its process group first, for the harness's own")] leave_group: bool,
    ) -> TestResult {
        if leave_group {
            // Out of the group the harness kills, as a test that calls setpgid does.
            let harness = nix::unistd::getpgid(Some(nix::unistd::getppid()))?;
            nix::unistd::setpgid(nix::unistd::Pid::from_raw(0), harness)?;
        }
        if spawn {
            let child = std::process::Command::new("sleep").arg("600").spawn()?;
            ctx.write_test_keyval([("sleeper", child.id())])?;
        }
        log::info!("hanging for {seconds} s");
        if cooperative {
            ctx.sleep(Duration::from_secs_f64(seconds))
        } else {
            std::thread::sleep(Duration::from_secs_f64(seconds));
            Ok(())
        }
    }

    fn cleanup(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.write_test_keyval([("cleanup_ran", "yes")])?;
        Ok(())
    }
}

/// Starts `sleep 600` and leaves it running (with `setsid`, outside its process
/// group too; with `daemon`, as a double-forked daemon in a session of its own
/// with its stdio on `/dev/null`): harness kills what a test leaves behind and
/// says so.
#[autotest(name = "fault_leak", version = 1)]
#[derive(Debug, Default)]
pub struct FaultLeak;

#[autotest]
impl FaultLeak {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = false, doc = "escape the process group with setsid")] setsid: bool,
        #[arg(default = false, doc = "double-fork a daemon that holds nothing of the test's")] daemon: bool,
    ) -> TestResult {
        if daemon {
            let out = std::process::Command::new("sh")
                .args(["-c", "setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!"])
                .output()?;
            let pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            // The daemon is `setsid` until it has exec'd `sleep`: wait for
            // that (at most 5 s), so what is reported names `sleep`.
            let comm = format!("/proc/{pid}/comm");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() != "sleep")
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            ctx.write_test_keyval([("daemon", pid.as_str())])?;
            log::info!("left daemon {pid} running");
            return Ok(());
        }
        let mut command =
            if setsid { std::process::Command::new("setsid") } else { std::process::Command::new("sleep") };
        if setsid {
            command.arg("sleep");
        }
        let child = command.arg("600").spawn()?;
        log::info!("left pid {} running", child.id());
        Ok(())
    }
}

/// Writes `megabytes` without a line break into every socket it holds, which
/// is where harness's private channel to its child is: harness must bound what
/// it reads.
#[autotest(name = "fault_flood_channel", version = 1)]
#[derive(Debug, Default)]
pub struct FaultFloodChannel;

#[autotest]
impl FaultFloodChannel {
    fn run_once(&mut self, #[arg(default = 256)] megabytes: usize) -> TestResult {
        use std::os::unix::net::UnixStream;
        let mut sockets = Vec::new();
        for entry in std::fs::read_dir("/proc/self/fd")?.flatten() {
            let is_socket = std::fs::read_link(entry.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"));
            let fd = entry.file_name().to_string_lossy().parse::<i32>();
            if let (true, Ok(fd)) = (is_socket, fd) {
                let fd = nix::unistd::dup(listed_fd(fd))?;
                sockets.push(UnixStream::from(fd));
            }
        }
        // One writer per socket: a socket nobody reads only blocks its own writer.
        for mut socket in sockets {
            std::thread::spawn(move || {
                let block = vec![b'x'; 1 << 20];
                for _ in 0..megabytes {
                    let _ = std::io::Write::write_all(&mut socket, &block);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(600));
        Ok(())
    }
}

/// The descriptor `fd`, borrowed from `/proc/self/fd`'s listing.
fn listed_fd(fd: i32) -> std::os::fd::BorrowedFd<'static> {
    #[allow(unsafe_code, reason = "the descriptor was just listed as open in this process; it is only duplicated")]
    // SAFETY: `fd` is open (listed in /proc/self/fd) and is duplicated at once, never closed here.
    unsafe {
        std::os::fd::BorrowedFd::borrow_raw(fd)
    }
}

/// Reads its stdin to the end: under harness it gets EOF at once.
#[autotest(name = "fault_read_stdin", version = 1)]
#[derive(Debug, Default)]
pub struct FaultReadStdin;

#[autotest]
impl FaultReadStdin {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        let mut input = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut input)?;
        ctx.write_perf_keyval([("stdin_bytes", input.len())])?;
        Ok(())
    }
}

/// Changes its working directory, then writes results: they still land in its
/// output directory.
#[autotest(name = "fault_chdir", version = 1)]
#[derive(Debug, Default)]
pub struct FaultChdir;

#[autotest]
impl FaultChdir {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        std::env::set_current_dir(std::env::temp_dir())?;
        ctx.write_perf_keyval([("after_chdir", 1)])?;
        ctx.output_perf_value(PerfValue::new("after_chdir", 1.0).units("count"))?;
        Ok(())
    }
}

/// Panics when dropped, after its run has ended GOOD: the process fails after
/// reporting, and harness does not believe the report.
#[autotest(name = "fault_panic_on_drop", version = 1)]
#[derive(Debug, Default)]
pub struct FaultPanicOnDrop {
    ran: bool,
}

#[autotest]
impl FaultPanicOnDrop {
    fn run_once(&mut self) {
        self.ran = true;
    }
}

impl Drop for FaultPanicOnDrop {
    fn drop(&mut self) {
        assert!(!self.ran, "panicked while dropping the test");
    }
}

/// Fails with `reason`, whatever it holds (escape sequences included).
#[autotest(name = "fault_reason", version = 1)]
#[derive(Debug, Default)]
pub struct FaultReason;

#[autotest]
impl FaultReason {
    fn run_once(&mut self, reason: String) -> TestResult {
        Err(Failure::fail(reason))
    }
}

/// Makes `subdir` in the job's results directory: the output directory of a
/// later entry, taken between validation and its run.
#[autotest(name = "fault_squat", version = 1)]
#[derive(Debug, Default)]
pub struct FaultSquat;

#[autotest]
impl FaultSquat {
    fn run_once(&mut self, ctx: &mut TestContext, subdir: String) -> TestResult {
        std::fs::create_dir(ctx.job().resultdir().join(subdir))?;
        Ok(())
    }
}

/// Fills its file system with `filler` in its output directory, then writes a
/// keyval block (which fails, leaving the file as it was); the filler stays
/// with `keep_full`, so that harness's own status lines fail too. With
/// `stdout_kb`, it fills the disk, prints that much to stdout (harness's
/// capture of it cannot take it all), then makes room again.
#[autotest(name = "fault_fill_disk", version = 1)]
#[derive(Debug, Default)]
pub struct FaultFillDisk;

#[autotest]
impl FaultFillDisk {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = false)] keep_full: bool,
        #[arg(default = 0)] stdout_kb: usize,
    ) -> TestResult {
        if stdout_kb > 0 {
            let filler = ctx.outputdir().join("filler");
            let mut file = std::fs::File::create(&filler)?;
            while std::io::Write::write_all(&mut file, &[0u8; 4096]).is_ok() {}
            drop(file);
            let mut out = std::io::stdout().lock();
            std::io::Write::write_all(&mut out, &vec![b'o'; stdout_kb * 1024])?;
            std::io::Write::flush(&mut out)?;
            drop(out);
            // Harness drains the pipe into its file; the room comes back once it has.
            std::thread::sleep(Duration::from_millis(500));
            std::fs::remove_file(&filler)?;
            return Ok(());
        }
        ctx.write_perf_keyval([("before", 1)])?;
        let filler = ctx.outputdir().join("filler");
        let mut file = std::fs::File::create(&filler)?;
        let block = vec![0u8; 4096];
        while std::io::Write::write_all(&mut file, &block).is_ok() {}
        let _ = std::io::Write::write_all(&mut file, &[0u8; 1]);
        drop(file);
        // A block larger than a page: it needs room the disk no longer has.
        let failed = ctx.write_perf_keyval((0..400).map(|i| (format!("after_{i:03}"), i)));
        if !keep_full {
            std::fs::remove_file(&filler)?;
        }
        failed?;
        Ok(())
    }
}

/// Runs this harness binary again from inside a test (`list`), as a test that
/// drives another harness does, and fails if any harness variable reached its
/// own processes.
#[autotest(name = "fault_nested", version = 1)]
#[derive(Debug, Default)]
pub struct FaultNested;

#[autotest]
impl FaultNested {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        let inner = std::process::Command::new(std::env::current_exe()?).arg("list").output()?;
        if !inner.status.success() {
            return Err(Failure::fail(format!(
                "the nested harness failed: {}",
                String::from_utf8_lossy(&inner.stderr).trim_end()
            )));
        }
        let env = std::process::Command::new("env").output()?;
        let seen: Vec<String> = String::from_utf8_lossy(&env.stdout)
            .lines()
            .filter(|line| line.starts_with("HARNESS_CHILD"))
            .map(str::to_owned)
            .collect();
        if !seen.is_empty() {
            return Err(Failure::fail(format!("the test's processes see {}", seen.join(", "))));
        }
        ctx.write_perf_keyval([("nested_tests", String::from_utf8_lossy(&inner.stdout).lines().count())])?;
        Ok(())
    }
}

/// Sends SIGTSTP (Ctrl-Z's signal) to the harness that runs it, then finishes:
/// where nobody could ever continue the job (no terminal, an orphaned process
/// group, as on CI), harness must carry on, as the kernel would.
#[autotest(name = "fault_stop_harness", version = 1)]
#[derive(Debug, Default)]
pub struct FaultStopHarness;

#[autotest]
impl FaultStopHarness {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        nix::sys::signal::kill(nix::unistd::getppid(), nix::sys::signal::Signal::SIGTSTP)?;
        ctx.sleep(Duration::from_millis(500))
    }
}

/// Runs itself as a subtest `depth` times over, each one nested in the last:
/// harness runs tests at most 32 levels deep and refuses deeper ones clearly.
#[autotest(name = "fault_nest", version = 1)]
#[derive(Debug, Default)]
pub struct FaultNest;

#[autotest]
impl FaultNest {
    fn run_once(&mut self, ctx: &mut TestContext, depth: u32) -> TestResult {
        if depth == 0 {
            return Ok(());
        }
        let args = Args::new().with("depth", depth - 1).with("tag", format!("d{depth}"));
        match ctx.runsubtest("fault_nest", args)? {
            Status::Good => Ok(()),
            other => Err(Failure::fail(format!("the subtest ended {other}"))),
        }
    }
}

/// A requirement check of the test's own that panics (as an `unwrap` on a
/// missing sysfs file would): the requirement is unmet, with the panic's
/// message, in `list` and in `run`.
#[autotest(name = "fault_requirement_panics", version = 1, requires(fn(probe_device)))]
#[derive(Debug, Default)]
pub struct FaultRequirementPanics;

/// Looks for a device that is never there, the careless way.
fn probe_device() -> Result<(), String> {
    let model = std::fs::read_to_string("/sys/class/harness-example-device/model");
    model.map(drop).map_err(|e| e.to_string()).map_err(|e| panic!("probing the device: {e}"))
}

#[autotest]
impl FaultRequirementPanics {
    fn run_once(&mut self) {}
}
