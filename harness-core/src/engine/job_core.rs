//! [`JobCore`]: what the engine needs from the job running a test, as one
//! explicit value: settings, hooks, profilers, observers, the status logger,
//! the clock and cancellation. The job owns one and hands it to every run;
//! the engine never sees the `Job`.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::cancel::CancelToken;
use crate::context::{Hook, JobLink, JobView};
use crate::error::Result;
use crate::event::{Event, Observer, ProfilerQuery};
use crate::profiler::ProfilerSet;
use crate::results::formats::status_entry::{StatusCode, StatusEntry};
use crate::results::formats::status_log::StatusLogWriter;
use crate::results::outputs::events::EventLog;
use crate::settings::JobSettings;

/// The job's hooks, run with each test's context.
#[derive(Default, Clone)]
pub(crate) struct JobHooks {
    pub(crate) before_test: Vec<Hook>,
    pub(crate) after_test: Vec<Hook>,
    pub(crate) before_iteration: Vec<Hook>,
    pub(crate) after_iteration: Vec<Hook>,
}

impl JobHooks {
    pub(crate) fn is_empty(&self) -> bool {
        self.before_test.is_empty()
            && self.after_test.is_empty()
            && self.before_iteration.is_empty()
            && self.after_iteration.is_empty()
    }
}

/// The clock `test_length` is measured with, in seconds.
pub(crate) type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;

/// What dropping the page cache does.
pub(crate) type CacheDropper = Arc<dyn Fn() -> io::Result<()> + Send + Sync>;

/// The parts of a job the engine runs tests with.
pub(crate) struct JobCore {
    pub(crate) settings: JobSettings,
    pub(crate) hooks: JobHooks,
    profilers: Mutex<ProfilerSet>,
    clock: Clock,
    cache_dropper: CacheDropper,
    warned_drop_caches: AtomicBool,
    /// Whether the job said what makes this machine's numbers noisy.
    pub(crate) said_noise: AtomicBool,
    pub(crate) cancel: CancelToken,
    observers: Vec<Arc<dyn Observer>>,
    /// `events.jsonl`: every event is written there before observers hear it.
    pub(crate) events: EventLog,
    warned_events: AtomicBool,
    pub(crate) logger: StatusLogWriter,
    /// The sequence number of the last test (`use_sequence_number`).
    sequence: Mutex<u32>,
    /// What a test sees of the job.
    pub(crate) view: JobView,
}

impl std::fmt::Debug for JobCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobCore").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// The parts of a [`JobCore`] its builder provides.
pub(crate) struct CoreParts {
    pub(crate) settings: JobSettings,
    pub(crate) hooks: JobHooks,
    pub(crate) profilers: ProfilerSet,
    pub(crate) clock: Clock,
    pub(crate) cache_dropper: CacheDropper,
    pub(crate) cancel: CancelToken,
    pub(crate) observers: Vec<Arc<dyn Observer>>,
    pub(crate) events: EventLog,
    pub(crate) logger: StatusLogWriter,
}

impl JobCore {
    /// A core whose tests can run subtests in it.
    pub(crate) fn new(parts: CoreParts) -> Arc<JobCore> {
        Arc::new_cyclic(|me: &Weak<JobCore>| {
            let link: Weak<dyn JobLink> = me.clone();
            let settings = &parts.settings;
            let dirs = (settings.resultdir.clone(), settings.tmpdir.clone(), settings.testdir.clone());
            let view = JobView::new(dirs, settings.tag.clone(), parts.cancel.clone(), link);
            JobCore {
                settings: parts.settings,
                hooks: parts.hooks,
                profilers: Mutex::new(parts.profilers),
                clock: parts.clock,
                cache_dropper: parts.cache_dropper,
                warned_drop_caches: AtomicBool::new(false),
                said_noise: AtomicBool::new(false),
                cancel: parts.cancel,
                observers: parts.observers,
                events: parts.events,
                warned_events: AtomicBool::new(false),
                logger: parts.logger,
                sequence: Mutex::new(0),
                view,
            }
        })
    }

    /// Writes a status line and tells the observers: `Err` when the job's log
    /// did not take it, `Ok(Some(error))` when only the test's own log did not.
    pub(crate) fn record_partly(
        &self,
        code: StatusCode,
        subdir: Option<&str>,
        operation: Option<&str>,
        message: &str,
    ) -> Result<Option<crate::error::Error>> {
        let entry = StatusEntry::new(code, subdir, operation, message)?;
        let own_log = self.logger.record_partly(&entry)?;
        self.emit(&Event::StatusRecorded(&entry));
        Ok(own_log)
    }

    /// Writes a status line and tells the observers.
    pub(crate) fn record(
        &self,
        code: StatusCode,
        subdir: Option<&str>,
        operation: Option<&str>,
        message: &str,
    ) -> Result<()> {
        let entry = StatusEntry::new(code, subdir, operation, message)?;
        self.logger.record(&entry)?;
        self.emit(&Event::StatusRecorded(&entry));
        Ok(())
    }

    /// Writes the event to `events.jsonl`, then tells every observer.
    pub(crate) fn emit(&self, event: &Event<'_>) {
        if let Err(error) = self.events.write(event.body())
            && !self.warned_events.swap(true, Ordering::Relaxed)
        {
            log::warn!(target: "harness", "cannot write to the event stream ({error}); its lines from now on may be missing");
        }
        self.relay(event);
    }

    /// Tells every observer, without writing the event: for what a child
    /// process wrote to `events.jsonl` itself.
    pub(crate) fn relay(&self, event: &Event<'_>) {
        for observer in &self.observers {
            observer.on_event(event);
        }
    }

    /// The profilers the profiled iteration runs.
    pub(crate) fn profilers(&self) -> MutexGuard<'_, ProfilerSet> {
        self.profilers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// autotest's `job.profilers.active()` / `present()`, told to the observers.
    pub(crate) fn profilers_query(&self, query: ProfilerQuery) -> bool {
        let answer = match query {
            ProfilerQuery::Active => self.profilers().active(),
            ProfilerQuery::Present => self.profilers().present(),
        };
        self.emit(&Event::ProfilersQueried { query, answer });
        answer
    }

    pub(crate) fn now(&self) -> f64 {
        (self.clock)()
    }

    /// Drops the page cache; without permission, warns once and carries on.
    pub(crate) fn drop_caches(&self) {
        if let Err(error) = (self.cache_dropper)()
            && !self.warned_drop_caches.swap(true, Ordering::Relaxed)
        {
            log::warn!(target: "harness", "cannot drop caches ({error}); iterations run with warm caches");
        }
    }

    /// The next sequence number (`use_sequence_number`).
    pub(crate) fn next_sequence(&self) -> u32 {
        let mut sequence = self.sequence.lock().unwrap_or_else(PoisonError::into_inner);
        *sequence += 1;
        *sequence
    }

    /// The nesting of this job's status lines.
    pub(crate) fn indent(&self) -> usize {
        self.logger.indent()
    }
}
