//! Where a prepared test's body runs when not on the calling thread: the
//! supervisor's child process ([`Isolate`]), and what a body hands back,
//! wherever it ran ([`Ran`]).

use super::job_core::JobCore;
use super::prepared::Prepared;
use crate::results::outputs::record::{Ending, RecordData};

/// How a body ended and what it left: its [`Ending`], and its data (from
/// memory for a body run here, read from its output directory for one run
/// elsewhere).
#[derive(Debug)]
pub(crate) struct Ran {
    pub(crate) ending: Ending,
    pub(crate) data: RecordData,
}

/// Runs a prepared test's body somewhere else. The job chooses; the engine calls.
pub(crate) trait Isolate: Send + Sync {
    /// Runs the body of `prepared` elsewhere, rolls the status lines it wrote
    /// into the core's open groups, and returns how it ended. Never fails:
    /// whatever goes wrong is the test's verdict.
    fn run_body(&self, core: &JobCore, prepared: &Prepared) -> Ran;

    /// Whether the body runs on this machine, so the machine-wide measuring
    /// lock applies (a device's own harness takes its own).
    fn runs_here(&self) -> bool {
        true
    }
}
