//! [`CancelToken`]: how an interrupt or a timeout reaches a running test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::{Failure, Status};

#[derive(Debug, Default)]
struct State {
    cancelled: AtomicBool,
    reason: Mutex<Option<(Status, String)>>,
    wake: Condvar,
}

/// A shared flag that asks the running test to stop, with the status and reason
/// it should end with (ABORT for an interrupt, ERROR for a timeout).
///
/// The engine checks it between phases and iterations; tests that wait call
/// [`TestContext::sleep`](crate::TestContext::sleep), which returns early.
///
/// ```
/// use harness_core::{CancelToken, Status};
/// use std::time::Duration;
///
/// let token = CancelToken::new();
/// assert!(token.sleep(Duration::from_millis(1)));
/// token.cancel(Status::Abort, "Interrupted by SIGINT");
/// token.cancel(Status::Error, "ignored: the first reason wins");
/// assert!(!token.sleep(Duration::from_secs(60)));
/// assert_eq!(token.reason(), Some((Status::Abort, "Interrupted by SIGINT".to_owned())));
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<State>);

impl CancelToken {
    /// A token that is not cancelled.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels with a status and reason; later calls keep the first reason.
    pub fn cancel(&self, status: Status, reason: impl Into<String>) {
        let mut slot = self.0.reason.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some((status, reason.into()));
        }
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.wake.notify_all();
    }

    /// Whether it was cancelled.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Relaxed)
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

    /// Sleeps for `duration` unless cancelled first; returns whether the whole time passed.
    #[must_use]
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        let mut guard = self.0.reason.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.is_cancelled() {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            guard = self.0.wake.wait_timeout(guard, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
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
        assert_eq!(failure.status_in(crate::Phase::RunOnce), Status::Error);
    }
}
