//! [`ProfilerSpec`]: a profiler as a control file or a command line names it.

use super::command::{CommandProfiler, StopSignal};
use super::set::Profiler as _;
use crate::error::{Error, Result};

/// A profiler as a control file or a command line names it: a built-in
/// (`vmstat`, `perf`) or any program, with arguments. It is how profilers
/// travel to a test's child process, which builds its own.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfilerSpec {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) args: Vec<serde_json::Value>,
}

impl ProfilerSpec {
    /// `vmstat:2`, `perf:cycles,instructions`, `iostat:-x 1`.
    #[cfg(any(feature = "cli", test))]
    pub(crate) fn parse_cli(text: &str) -> ProfilerSpec {
        let (name, args) = text.split_once(':').unwrap_or((text, ""));
        let args = match name {
            "perf" => {
                args.split(',').filter(|a| !a.is_empty()).map(|a| serde_json::Value::String(a.to_owned())).collect()
            }
            _ => args.split_whitespace().map(|a| serde_json::Value::String(a.to_owned())).collect(),
        };
        ProfilerSpec { name: name.to_owned(), args }
    }

    fn text_args(&self) -> Vec<String> {
        self.args.iter().map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned)).collect()
    }

    /// The profiler itself, checked (its program must exist).
    pub(crate) fn build(&self) -> Result<CommandProfiler> {
        let args = self.text_args();
        let profiler = match self.name.as_str() {
            "vmstat" => {
                let interval = args.first().map_or(Ok(1), |a| a.parse::<u32>()).map_err(|_| Error::Profiler {
                    name: self.name.clone(),
                    reason: format!("the interval must be a whole number of seconds, got `{}`", args[0]),
                })?;
                CommandProfiler::vmstat(interval)
            }
            "perf" => {
                let events: Vec<&str> = args.iter().map(String::as_str).collect();
                let events = if events.is_empty() { vec!["cycles", "instructions"] } else { events };
                CommandProfiler::perf_record(&events)
            }
            name => CommandProfiler::new(name, name).args(args).stop_signal(StopSignal::Term),
        };
        profiler.check()?;
        Ok(profiler)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profiler_specs_from_the_command_line() {
        let vmstat = ProfilerSpec::parse_cli("vmstat:2");
        assert_eq!((vmstat.name.as_str(), vmstat.text_args()), ("vmstat", vec!["2".to_owned()]));
        let perf = ProfilerSpec::parse_cli("perf:cycles,instructions");
        assert_eq!(perf.text_args(), ["cycles", "instructions"]);
        let other = ProfilerSpec::parse_cli("iostat:-x 1");
        assert_eq!(other.text_args(), ["-x", "1"]);
        let bad = ProfilerSpec { name: "vmstat".into(), args: vec![json!("x")] };
        assert!(bad.build().unwrap_err().to_string().contains("the interval must be a whole number of seconds"));
    }
}
