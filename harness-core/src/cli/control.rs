//! Control files: a job's options, its profilers and its `run_test` calls, as
//! JSON, validated entry by entry before anything runs.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::context::check_component;
use crate::profiler::Profiler;
use crate::registry::{self, Registration};
use crate::{Args, CommandProfiler, StopSignal};

/// Control files larger than this are refused before being read.
const MAX_CONTROL_BYTES: u64 = 16 << 20;

/// A whole control file.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControlFile {
    #[serde(default)]
    pub(crate) job: JobOptions,
    #[serde(default)]
    pub(crate) profilers: Vec<ProfilerSpec>,
    pub(crate) tests: Vec<TestEntry>,
    /// Made from `run TEST ...`: problems are not told as `tests[0]`.
    #[serde(skip)]
    pub(crate) from_command_line: bool,
}

/// The job's settings.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobOptions {
    #[serde(default)]
    pub(crate) tag: Option<String>,
    #[serde(default)]
    pub(crate) test_retry: Option<u32>,
    #[serde(default)]
    pub(crate) drop_caches_between_iterations: Option<bool>,
    #[serde(default)]
    pub(crate) default_profile_only: Option<bool>,
    #[serde(default)]
    pub(crate) run_test_cleanup: Option<bool>,
}

/// A profiler: a built-in name (`vmstat`, `perf`) or any program, with arguments.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfilerSpec {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) args: Vec<Value>,
}

impl ProfilerSpec {
    /// `vmstat:2`, `perf:cycles,instructions`, `iostat:-x 1`.
    pub(crate) fn parse_cli(text: &str) -> ProfilerSpec {
        let (name, args) = text.split_once(':').unwrap_or((text, ""));
        let args = match name {
            "perf" => args.split(',').filter(|a| !a.is_empty()).map(|a| Value::String(a.to_owned())).collect(),
            _ => args.split_whitespace().map(|a| Value::String(a.to_owned())).collect(),
        };
        ProfilerSpec { name: name.to_owned(), args }
    }

    fn text_args(&self) -> Vec<String> {
        self.args.iter().map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned)).collect()
    }

    /// The profiler itself, checked (its program must exist).
    pub(crate) fn build(&self) -> crate::Result<CommandProfiler> {
        let args = self.text_args();
        let profiler = match self.name.as_str() {
            "vmstat" => {
                let interval =
                    args.first().map_or(Ok(1), |a| a.parse::<u32>()).map_err(|_| crate::Error::Profiler {
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

/// One `job.run_test` call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestEntry {
    pub(crate) test: String,
    #[serde(default)]
    pub(crate) tag: Option<String>,
    #[serde(default)]
    pub(crate) args: Value,
}

/// A test ready to run: its registration and the arguments of its entry.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) registration: &'static Registration,
    pub(crate) args: Args,
}

/// What a control file asks for, validated.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) job: JobOptions,
    pub(crate) profilers: Vec<ProfilerSpec>,
    pub(crate) tests: Vec<Planned>,
    /// The plan of `run TEST ...`.
    pub(crate) from_command_line: bool,
}

/// Reads and parses a control file; the error names the file, and the line and
/// column for JSON problems.
pub(crate) fn load(path: &Path) -> Result<ControlFile, String> {
    let shown = path.display();
    let size = std::fs::metadata(path).map_err(|e| format!("cannot read control file `{shown}`: {e}"))?.len();
    if size > MAX_CONTROL_BYTES {
        return Err(format!(
            "control file `{shown}` is {size} bytes; control files are limited to {MAX_CONTROL_BYTES} bytes"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read control file `{shown}`: {e}"))?;
    serde_json::from_str(&text).map_err(|e| {
        if text.trim_start().starts_with('[') {
            format!(
                "invalid control file `{shown}`: its top level is an array; a control file is an object whose `tests` holds the list: {{\"tests\": [...]}}"
            )
        } else {
            format!("invalid control file `{shown}`: {e}")
        }
    })
}

/// Checks every entry, profiler and job option, collecting every problem.
pub(crate) fn validate(control: ControlFile) -> Result<Plan, Vec<String>> {
    let mut problems = Vec::new();
    if let Some(tag) = &control.job.tag
        && let Err(e) = check_component("job tag", tag)
    {
        problems.push(format!("job: {e}"));
    }
    for (index, profiler) in control.profilers.iter().enumerate() {
        if let Err(e) = profiler.build() {
            problems.push(format!("profilers[{index}]: {e}"));
        }
    }
    if control.tests.is_empty() {
        problems.push("tests: the control file runs no tests".to_owned());
    }
    let mut outputs: HashMap<String, usize> = HashMap::new();
    let mut tests = Vec::new();
    let single = control.from_command_line;
    for (index, entry) in control.tests.into_iter().enumerate() {
        let at = |with_name: bool| match (single, with_name) {
            (true, _) => String::new(),
            (false, true) => format!("tests[{index}] ({}): ", entry.test),
            (false, false) => format!("tests[{index}]: "),
        };
        let Some(registration) = registry::find(&entry.test) else {
            let error =
                crate::Error::UnknownTest { name: entry.test.clone(), suggestions: registry::suggestions(&entry.test) };
            problems.push(format!("{}{error}", at(false)));
            continue;
        };
        let mut args = match Args::from_json(entry.args.clone()) {
            Ok(args) => args,
            Err(e) => {
                problems.push(format!("{}{e}", at(true)));
                continue;
            }
        };
        if let Some(tag) = entry.tag.clone() {
            if args.contains("tag") {
                problems.push(format!("{}`tag` is given twice, beside `args` and inside it", at(true)));
            }
            args.set("tag", tag);
        }
        let tag = args.get("tag").and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_owned);
        if let Some(tag) = &tag
            && let Err(e) = check_component("tag", tag)
        {
            problems.push(format!("{}{e}", at(true)));
        }
        if let Err(errors) = registration.info().validate(&args) {
            for error in errors.errors() {
                problems.push(format!("{}{error}", at(true)));
            }
        }
        let output = match &tag {
            Some(tag) => format!("{}.{tag}", entry.test),
            None => entry.test.clone(),
        };
        match outputs.get(&output) {
            Some(first) => problems.push(format!(
                "tests[{index}] ({output}): writes to the same output directory as tests[{first}]; give one of them another `tag`"
            )),
            None => {
                outputs.insert(output, index);
            }
        }
        tests.push(Planned { registration, args });
    }
    if problems.is_empty() {
        Ok(Plan { job: control.job, profilers: control.profilers, tests, from_command_line: single })
    } else {
        Err(problems)
    }
}

/// `--arg name=value`: the value is JSON when it parses, else the text itself.
pub(crate) fn parse_cli_arg(text: &str) -> Result<(String, Value), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("invalid --arg `{text}`: expected NAME=VALUE"))?;
    if name.is_empty() {
        return Err(format!("invalid --arg `{text}`: the name is empty"));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cli_args_parse_as_json_or_text() {
        assert_eq!(parse_cli_arg("seconds=0.5").unwrap(), ("seconds".to_owned(), json!(0.5)));
        assert_eq!(parse_cli_arg("mode=fast").unwrap(), ("mode".to_owned(), json!("fast")));
        assert_eq!(parse_cli_arg("sizes=[1,2]").unwrap(), ("sizes".to_owned(), json!([1, 2])));
        assert_eq!(parse_cli_arg("text=a=b").unwrap(), ("text".to_owned(), json!("a=b")));
        assert_eq!(parse_cli_arg("quoted=\"1\"").unwrap(), ("quoted".to_owned(), json!("1")));
        assert_eq!(parse_cli_arg("empty=").unwrap(), ("empty".to_owned(), json!("")));
        assert_eq!(parse_cli_arg("novalue").unwrap_err(), "invalid --arg `novalue`: expected NAME=VALUE");
        assert_eq!(parse_cli_arg("=1").unwrap_err(), "invalid --arg `=1`: the name is empty");
    }

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

    #[test]
    fn unknown_fields_are_refused_with_their_place() {
        let err = serde_json::from_str::<ControlFile>("{\"tests\": [], \"jobs\": {}}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown field `jobs`, expected one of `job`, `profilers`, `tests` at line 1 column 20"
        );
        let deep = format!(
            "{{\"tests\": [{{\"test\": \"t\", \"args\": {{\"a\": {}{}}}}}]}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let err = serde_json::from_str::<ControlFile>(&deep).unwrap_err();
        assert!(err.to_string().starts_with("recursion limit exceeded"), "{err}");
    }
}
