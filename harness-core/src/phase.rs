//! [`Phase`]: the lifecycle phases a test may define, named as in autotest's
//! `base_test`.

use std::fmt;

use crate::status::Status;

/// The lifecycle phases a test may define, in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Runs first, on every run (unhandled errors give ERROR).
    Initialize,
    /// Runs once per test version, under a cross-process lock (unhandled errors give ERROR).
    Setup,
    /// Runs once before the iterations (unhandled errors give FAIL).
    Warmup,
    /// Before every `run_once`, the profiled one included.
    BeforeRunOnce,
    /// One iteration (unhandled errors give FAIL).
    RunOnce,
    /// After every successful `run_once`, the profiled one included.
    AfterRunOnce,
    /// After every iteration's `run_once`.
    PostprocessIteration,
    /// After all iterations.
    Postprocess,
    /// Last, on success and on failure unless `run_cleanup=false` (unhandled errors give ERROR).
    Cleanup,
    /// A test's own loop instead of the engine's iterations of `run_once`.
    Execute,
}

impl Phase {
    /// Every phase, in lifecycle order.
    pub const ALL: [Phase; 10] = [
        Phase::Initialize,
        Phase::Setup,
        Phase::Warmup,
        Phase::BeforeRunOnce,
        Phase::RunOnce,
        Phase::AfterRunOnce,
        Phase::PostprocessIteration,
        Phase::Postprocess,
        Phase::Cleanup,
        Phase::Execute,
    ];

    /// The method name: `initialize`, `run_once`, `postprocess_iteration`, ...
    /// (the list the macro checks method names against).
    #[must_use]
    pub const fn name(self) -> &'static str {
        harness_names::PHASES[self as usize]
    }

    /// Whether the phase runs as part of one iteration of `run_once` (its
    /// hooks, `run_once` itself, `postprocess_iteration`).
    #[must_use]
    pub const fn is_iteration(self) -> bool {
        matches!(self, Phase::BeforeRunOnce | Phase::RunOnce | Phase::AfterRunOnce | Phase::PostprocessIteration)
    }

    /// The phase of a method name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|phase| phase.name() == name)
    }

    /// The status of an unhandled error escaping this phase: ERROR for initialize,
    /// setup and cleanup, FAIL for warmup and everything under execute.
    #[must_use]
    pub const fn unhandled_status(self) -> Status {
        match self {
            Phase::Initialize | Phase::Setup | Phase::Cleanup => Status::Error,
            _ => Status::Fail,
        }
    }
}

// One name per phase: the list and the enum have the same length, and each
// variant's position is its name's.
const _: () = assert!(harness_names::PHASES.len() == Phase::ALL.len());

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_names_round_trip() {
        for (at, phase) in Phase::ALL.into_iter().enumerate() {
            assert_eq!(phase as usize, at, "Phase::ALL is in declaration order");
            assert_eq!(Phase::from_name(phase.name()), Some(phase));
        }
        assert_eq!(Phase::RunOnce.name(), "run_once");
        assert_eq!(Phase::from_name("run_onec"), None);
        let error_phases: Vec<Phase> =
            Phase::ALL.into_iter().filter(|p| p.unhandled_status() == Status::Error).collect();
        assert_eq!(error_phases, [Phase::Initialize, Phase::Setup, Phase::Cleanup]);
    }
}
