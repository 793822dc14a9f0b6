//! Control files: a job's options, its profilers and its `run_test` calls, as
//! JSON, validated entry by entry before anything runs.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{CliError, MAX_CONTROL_BYTES, Problem};
use crate::args::Args;
use crate::names::{NameParts, check_component, naming};
use crate::plan::PlannedRun;
use crate::profiler::ProfilerSpec;
use crate::registry;

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

/// One `job.run_test` call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestEntry {
    pub(crate) test: String,
    #[serde(default)]
    pub(crate) tag: Option<String>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub(crate) args: Value,
}

/// JSON whose objects never repeat a key: `{"seconds": 1, "seconds": 2}` is an
/// error naming the key, not the last value silently.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Unique;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Unique, E> {
                Ok(Unique(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Unique, E> {
                Ok(Unique(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Unique, E> {
                Ok(Unique(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Unique, E> {
                Ok(Unique(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Unique, E> {
                Ok(Unique(Value::String(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Unique, E> {
                Ok(Unique(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Unique, E> {
                Ok(Unique(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Unique, E> {
                Ok(Unique(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
                let mut items = Vec::new();
                while let Some(Unique(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Unique(Value::Array(items)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
                let mut object = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let Unique(value) = map.next_value()?;
                    if object.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    object.insert(key, value);
                }
                Ok(Unique(Value::Object(object)))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

fn unique_keys<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    Unique::deserialize(deserializer).map(|Unique(value)| value)
}

/// An entry ready to run: its planned run, where its files will go, and how
/// messages name it.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) run: PlannedRun,
    /// Its output directory, as the run will name it.
    pub(crate) subdir: String,
    /// How messages name the entry: `tests[2] (sleeptest): `, or nothing for `run TEST`.
    pub(crate) place: String,
}

/// What a control file asks for, validated.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) job: JobOptions,
    pub(crate) profilers: Vec<ProfilerSpec>,
    pub(crate) tests: Vec<Planned>,
}

/// Reads and parses a control file; the error names the file, and the line and
/// column for JSON problems.
pub(crate) fn load(path: &Path) -> Result<ControlFile, CliError> {
    let cannot = |source: std::io::Error| CliError::ReadControl { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    let too_big = |size: String| CliError::ControlTooBig { path: path.to_owned(), size };
    if size > MAX_CONTROL_BYTES {
        return Err(too_big(size.to_string()));
    }
    // A pipe or a device has no size to check: read no more than the limit allows.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_CONTROL_BYTES + 1), &mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > MAX_CONTROL_BYTES {
        return Err(too_big(format!("more than {MAX_CONTROL_BYTES}")));
    }
    let text = String::from_utf8(bytes).map_err(|_| CliError::ControlNotUtf8 { path: path.to_owned() })?;
    serde_json::from_str(&text).map_err(|source| {
        if text.trim_start().starts_with('[') {
            CliError::ControlIsArray { path: path.to_owned() }
        } else {
            CliError::InvalidControl { path: path.to_owned(), source }
        }
    })
}

/// Checks every entry, profiler and job option, collecting every problem, and
/// plans the run.
pub(crate) fn plan(control: ControlFile) -> Result<Plan, Vec<Problem>> {
    let mut problems = Vec::new();
    if let Some(tag) = &control.job.tag
        && let Err(e) = check_component("job tag", tag)
    {
        problems.push(Problem::at("job: ", e));
    }
    for (index, profiler) in control.profilers.iter().enumerate() {
        if let Err(e) = profiler.build() {
            problems.push(Problem::at(format!("profilers[{index}]: "), e));
        }
    }
    if control.tests.is_empty() {
        problems.push(Problem::at("tests: ", CliError::NoTests));
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
        let Some((registration, variant)) = registry::resolve(&entry.test) else {
            let error = crate::error::Error::UnknownTest {
                name: entry.test.clone(),
                suggestions: registry::suggestions(&entry.test),
            };
            problems.push(Problem::at(at(false), error));
            continue;
        };
        let mut args = match Args::from_json(entry.args.clone()) {
            Ok(args) => args,
            Err(e) => {
                problems.push(Problem::at(at(true), e));
                continue;
            }
        };
        if let Some(tag) = entry.tag.clone() {
            if args.contains("tag") {
                problems.push(Problem::at(at(true), CliError::TagTwice));
            }
            args.set("tag", tag);
        }
        let run = PlannedRun::of(registration, variant, args);
        for error in &run.checked().errors {
            problems.push(Problem::at(at(true), error.clone()));
        }
        // The names the run will give it, by the code that will give them
        // (engine arguments of the wrong kind are reported above).
        let engine = &run.checked().engine;
        let naming = naming(
            registration.info().name(),
            NameParts {
                tag: engine.tag.as_deref(),
                subdir_tag: engine.subdir_tag.as_deref(),
                master_testpath: engine.master_testpath.as_deref(),
                ..NameParts::default()
            },
        );
        match naming {
            Ok(naming) => {
                match outputs.get(&naming.subdir) {
                    Some(first) => problems.push(Problem::at(
                        format!("tests[{index}] ({}): ", naming.subdir),
                        CliError::SameOutputDir { first: *first },
                    )),
                    None => {
                        outputs.insert(naming.subdir.clone(), index);
                    }
                }
                tests.push(Planned { run, subdir: naming.subdir, place: at(true) });
            }
            Err(e) => problems.push(Problem::at(at(true), e)),
        }
    }
    if problems.is_empty() { Ok(Plan { job: control.job, profilers: control.profilers, tests }) } else { Err(problems) }
}

/// `--arg name=value`: the value is JSON when it parses, else the text itself.
pub(crate) fn parse_cli_arg(text: &str) -> Result<(String, Value), CliError> {
    let (name, value) = text.split_once('=').ok_or_else(|| CliError::ArgWithoutValue { text: text.to_owned() })?;
    if name.is_empty() {
        return Err(CliError::ArgWithoutName { text: text.to_owned() });
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
        assert_eq!(parse_cli_arg("novalue").unwrap_err().to_string(), "invalid --arg `novalue`: expected NAME=VALUE");
        assert_eq!(parse_cli_arg("=1").unwrap_err().to_string(), "invalid --arg `=1`: the name is empty");
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
