//! The per-test debug log (`debug/<tagged name>.DEBUG`) and panic capture.
//!
//! harness installs a `log` logger (unless the program installed its own) that
//! writes each record to the debug log of the test running on the current thread.
//! Records from other threads go to the test started last. Panics inside a phase
//! are caught by the engine; the panic hook records their message and location
//! here instead of printing them, so they can become the test's reason.

use std::cell::{Cell, RefCell};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::panic::{self, PanicHookInfo};
use std::path::Path;
use std::sync::{Arc, Mutex, Once, PoisonError, Weak};

use crate::error::{Error, Result};

struct Sink {
    file: Mutex<File>,
}

/// A line of a debug log: `12/07 03:44:34.123 DEBUG| harness| message`.
fn line(level: &str, target: &str, message: &str) -> String {
    let now = chrono::Local::now().format("%m/%d %H:%M:%S%.3f");
    format!("{now} {level:<5}| {target}| {message}\n")
}

impl Sink {
    fn write(&self, level: &str, target: &str, message: &str) {
        let line = line(level, target, message);
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        // The debug log is best effort: a full disk must not fail the test.
        let _ = file.write_all(line.as_bytes());
    }
}

thread_local! {
    static SINKS: RefCell<Vec<Arc<Sink>>> = const { RefCell::new(Vec::new()) };
    static IN_PHASE: Cell<u32> = const { Cell::new(0) };
    static LAST_PANIC: RefCell<Option<(String, Option<String>)>> = const { RefCell::new(None) };
}

static LATEST: Mutex<Option<Weak<Sink>>> = Mutex::new(None);
static INSTALL: Once = Once::new();

struct HarnessLogger;

impl log::Log for HarnessLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            write(record.level().as_str(), record.target(), &record.args().to_string());
        }
    }

    fn flush(&self) {}
}

/// Installs the logger and the panic hook, once per process.
///
/// The level comes from `HARNESS_LOG` (`error`, `warn`, `info`, `debug`, `trace`,
/// `off`); the default is `debug`.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        if log::set_boxed_logger(Box::new(HarnessLogger)).is_ok() {
            log::set_max_level(level());
        }
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_PHASE.get() > 0 {
                record_panic(info);
            } else {
                previous(info);
            }
        }));
    });
}

/// The level of the debug logs: `HARNESS_LOG`, else `debug`.
fn level() -> log::LevelFilter {
    std::env::var("HARNESS_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(log::LevelFilter::Debug)
}

fn record_panic(info: &PanicHookInfo<'_>) {
    let message = payload_text(info.payload());
    let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
    let backtrace = std::backtrace::Backtrace::capture();
    let mut text = format!("panicked at {}: {message}", location.as_deref().unwrap_or("an unknown place"));
    if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
        text.push_str(&format!("\n{backtrace}"));
    }
    write("ERROR", "harness::panic", &text);
    LAST_PANIC.set(Some((message, location)));
}

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Marks the current thread as running a phase while alive, so panics are captured.
pub(crate) struct PhaseScope(());

impl PhaseScope {
    pub(crate) fn enter() -> Self {
        IN_PHASE.set(IN_PHASE.get() + 1);
        PhaseScope(())
    }
}

impl Drop for PhaseScope {
    fn drop(&mut self) {
        IN_PHASE.set(IN_PHASE.get().saturating_sub(1));
    }
}

/// The message and location of the last panic captured on this thread.
pub(crate) fn take_panic() -> Option<(String, Option<String>)> {
    LAST_PANIC.take()
}

/// Routes this thread's log records to `path` until dropped.
pub(crate) struct TestLog {
    sink: Arc<Sink>,
}

impl TestLog {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(|e| Error::io("open", path, e))?;
        let sink = Arc::new(Sink { file: Mutex::new(file) });
        SINKS.with_borrow_mut(|sinks| sinks.push(Arc::clone(&sink)));
        *LATEST.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::downgrade(&sink));
        Ok(TestLog { sink })
    }
}

impl Drop for TestLog {
    fn drop(&mut self) {
        SINKS.with_borrow_mut(|sinks| {
            if let Some(at) = sinks.iter().rposition(|s| Arc::ptr_eq(s, &self.sink)) {
                sinks.remove(at);
            }
        });
    }
}

/// Writes a line to the current test's debug log, if there is one.
pub(crate) fn write(level: &str, target: &str, message: &str) {
    let sink = SINKS
        .with_borrow(|sinks| sinks.last().cloned())
        .or_else(|| LATEST.lock().unwrap_or_else(PoisonError::into_inner).as_ref().and_then(Weak::upgrade));
    if let Some(sink) = sink {
        sink.write(level, target, message);
    }
}

/// Writes an engine message at DEBUG level to the current test's debug log.
pub(crate) fn note(message: &str) {
    if log::max_level() >= log::LevelFilter::Debug {
        write("DEBUG", "harness", message);
    }
}

/// Appends an engine message to the debug log at `path` (made if missing),
/// from outside the test: what the supervisor notes about a child. One write
/// in append mode, so it interleaves whole with the child's own lines.
pub(crate) fn note_to(path: &Path, message: &str) {
    if level() < log::LevelFilter::Debug {
        return;
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(line("DEBUG", "harness", message).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_go_to_the_innermost_test_log() {
        install();
        let dir = tempfile::tempdir().unwrap();
        let outer = dir.path().join("outer.DEBUG");
        let inner = dir.path().join("inner.DEBUG");
        {
            let _outer = TestLog::open(&outer).unwrap();
            log::info!(target: "my_test", "first");
            {
                let _inner = TestLog::open(&inner).unwrap();
                log::warn!("second");
            }
            note("third");
        }
        let outer = std::fs::read_to_string(outer).unwrap();
        let inner = std::fs::read_to_string(inner).unwrap();
        assert!(outer.contains("INFO | my_test| first\n"), "{outer}");
        assert!(outer.contains("DEBUG| harness| third\n"), "{outer}");
        assert!(!outer.contains("second"));
        assert!(inner.contains("WARN | harness_core::debuglog::tests| second\n"), "{inner}");
    }

    #[test]
    fn panics_in_a_phase_are_captured() {
        install();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.DEBUG");
        let log = TestLog::open(&path).unwrap();
        let result = {
            let _scope = PhaseScope::enter();
            panic::catch_unwind(|| panic!("boom {}", 7))
        };
        drop(log);
        assert!(result.is_err());
        let (message, location) = take_panic().unwrap();
        assert_eq!(message, "boom 7");
        assert!(location.unwrap().starts_with(file!()));
        assert!(std::fs::read_to_string(path).unwrap().contains(": boom 7"));
        assert_eq!(take_panic(), None);
    }
}
