//! [`CancelToken`]: how an interrupt or a timeout reaches a running test. The
//! one cancellation check of the engine: phases, iterations, `ctx.sleep` and
//! the supervisor of a child process all ask it.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::failure::Failure;
use crate::status::Status;

type Listener = Arc<dyn Fn(u32) + Send + Sync>;

#[derive(Default)]
struct State {
    cancelled: AtomicBool,
    /// How many times `cancel` was called: a second interrupt escalates.
    level: AtomicU32,
    reason: Mutex<Option<(Status, String)>>,
    wake: Condvar,
    listeners: Mutex<Vec<(u64, Listener)>>,
    next_listener: AtomicU64,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("cancelled", &self.cancelled)
            .field("level", &self.level)
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

/// A shared flag that asks the running test to stop, with the status and reason
/// it should end with (ABORT for an interrupt, ERROR for a timeout).
///
/// The engine checks it between phases and iterations; tests that wait call
/// [`TestContext::sleep`](crate::context::TestContext::sleep), which returns early.
/// Cancelling again escalates (a second Ctrl-C): a test in a child process is
/// then killed without waiting for its cleanup.
///
/// ```
/// use harness_core::Status;
/// use harness_core::cancel::CancelToken;
/// use std::time::Duration;
///
/// let token = CancelToken::new();
/// assert!(token.sleep(Duration::from_millis(1)));
/// token.cancel(Status::Abort, "Interrupted by SIGINT");
/// token.cancel(Status::Error, "ignored: the first reason wins");
/// assert!(!token.sleep(Duration::from_secs(60)));
/// assert_eq!(token.reason(), Some((Status::Abort, "Interrupted by SIGINT".to_owned())));
/// assert_eq!(token.level(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<State>);

/// Stops a listener of a [`CancelToken`] when dropped.
pub(crate) struct ListenerGuard {
    state: Arc<State>,
    id: u64,
}

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        self.state.listeners.lock().unwrap_or_else(PoisonError::into_inner).retain(|(id, _)| *id != self.id);
    }
}

impl CancelToken {
    /// A token that is not cancelled.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels with a status and reason; later calls keep the first reason and
    /// raise the level.
    pub fn cancel(&self, status: Status, reason: impl Into<String>) {
        {
            let mut slot = self.0.reason.lock().unwrap_or_else(PoisonError::into_inner);
            if slot.is_none() {
                *slot = Some((status, reason.into()));
            }
            self.0.cancelled.store(true, Ordering::SeqCst);
            self.0.wake.notify_all();
        }
        let level = self.0.level.fetch_add(1, Ordering::SeqCst) + 1;
        let listeners: Vec<Listener> = self
            .0
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, listener)| Arc::clone(listener))
            .collect();
        for listener in listeners {
            listener(level);
        }
    }

    /// Whether it was cancelled.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Relaxed)
    }

    /// How many times it was cancelled (0 when it was not).
    #[must_use]
    pub fn level(&self) -> u32 {
        self.0.level.load(Ordering::SeqCst)
    }

    /// The status and reason given to `cancel`.
    #[must_use]
    pub fn reason(&self) -> Option<(Status, String)> {
        self.0.reason.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The failure a test ends with once cancelled.
    #[must_use]
    pub fn failure(&self) -> Option<Failure> {
        if !self.is_cancelled() {
            return None;
        }
        let (status, reason) = self.reason()?;
        Some(match status {
            Status::Abort => Failure::abort(reason),
            Status::Fail => Failure::fail(reason),
            _ => Failure::error(reason),
        })
    }

    /// Calls `listener` with the level on every later `cancel`, until the guard
    /// is dropped. It runs on the cancelling thread (a signal thread), so it
    /// only passes the news on.
    pub(crate) fn listen(&self, listener: impl Fn(u32) + Send + Sync + 'static) -> ListenerGuard {
        let id = self.0.next_listener.fetch_add(1, Ordering::SeqCst);
        self.0.listeners.lock().unwrap_or_else(PoisonError::into_inner).push((id, Arc::new(listener)));
        ListenerGuard { state: Arc::clone(&self.0), id }
    }

    /// Sleeps for `duration` unless cancelled first; returns whether the whole time passed.
    #[must_use]
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now().checked_add(duration);
        let mut guard = self.0.reason.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.is_cancelled() {
                return false;
            }
            let now = Instant::now();
            let wait = match deadline {
                Some(deadline) if now >= deadline => return true,
                Some(deadline) => deadline - now,
                // Longer than any clock can count: a very long wait, woken by cancel.
                None => Duration::from_secs(3600),
            };
            guard = self.0.wake.wait_timeout(guard, wait).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_wakes_a_sleeper() {
        let token = CancelToken::new();
        let sleeper = {
            let token = token.clone();
            std::thread::spawn(move || token.sleep(Duration::from_secs(600)))
        };
        std::thread::sleep(Duration::from_millis(20));
        token.cancel(Status::Error, "Test timeout expired");
        assert!(!sleeper.join().unwrap());
        let failure = token.failure().unwrap();
        assert_eq!(failure.message(), "Test timeout expired");
        assert_eq!(failure.status_in(crate::phase::Phase::RunOnce), Status::Error);
    }

    #[test]
    fn listeners_hear_every_level_until_dropped() {
        let token = CancelToken::new();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let guard = {
            let heard = Arc::clone(&heard);
            token.listen(move |level| heard.lock().unwrap().push(level))
        };
        token.cancel(Status::Abort, "Interrupted by SIGINT");
        token.cancel(Status::Abort, "Interrupted by SIGINT");
        drop(guard);
        token.cancel(Status::Abort, "Interrupted by SIGINT");
        assert_eq!(*heard.lock().unwrap(), [1, 2]);
        assert_eq!(token.level(), 3);
        assert!(!token.sleep(Duration::MAX), "a cancelled token never sleeps, whatever the duration");
    }
}
