//! Checking a run's arguments against its test's tables before anything runs,
//! as autotest's `_validate_args` / `_cherry_pick_args` did, and parsing the
//! engine's own arguments ([`EngineArgs`]) once for the whole run.

use harness_names::{Consumer, ENGINE_ARGS, consumed_by, consumed_count};
use serde_json::{Map, Value};

use crate::args::{ArgError, ArgErrors, Args, shown};
use crate::constraint::Constraint;
use crate::schema::{ParamKind, PhaseTable, TestInfo};

/// The engine arguments autotest's `job.run_test`, `runtest` and `_exec` remove
/// before any phase sees the arguments; never written as `param-<name>` keyvals.
pub(crate) const JOB_ARGS: [&str; consumed_count(Consumer::Job)] = consumed_by(Consumer::Job);

/// The engine arguments autotest's base `execute` consumes: `run_once` and the
/// phases around each iteration never see them.
pub(crate) const EXECUTE_ARGS: [&str; consumed_count(Consumer::Execute)] = consumed_by(Consumer::Execute);

/// A run's arguments, checked: the engine's own parsed, and every problem.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Checked {
    test: String,
    pub(crate) engine: EngineArgs,
    pub(crate) errors: Vec<ArgError>,
}

impl Checked {
    /// The first required parameter without a value, as `(name, type)`.
    pub(crate) fn missing(&self) -> Option<(&str, &str)> {
        self.errors.iter().find_map(|error| match error {
            ArgError::Missing { name, type_name, .. } => Some((name.as_str(), type_name.as_str())),
            _ => None,
        })
    }

    /// Every problem, if there is one.
    pub(crate) fn problems(&self) -> Option<ArgErrors> {
        (!self.errors.is_empty()).then(|| ArgErrors::new(&self.test, self.errors.clone()))
    }

    /// The problems that keep a run from being named (a `tag`, `subdir_tag` or
    /// `master_testpath` that is not a string), if any.
    pub(crate) fn naming_errors(&self) -> Option<ArgErrors> {
        let naming: Vec<ArgError> = self
            .errors
            .iter()
            .filter(|e| matches!(e, ArgError::Engine { name, .. } if matches!(name.as_str(), "tag" | "subdir_tag" | "master_testpath")))
            .cloned()
            .collect();
        (!naming.is_empty()).then(|| ArgErrors::new(&self.test, naming))
    }
}

/// How many levels of lists and objects `value` nests (0 for a scalar), counted
/// without recursion.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0)];
    while let Some((value, level)) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items.iter().map(|item| (item, level + 1))),
            Value::Object(map) => stack.extend(map.values().map(|item| (item, level + 1))),
            _ => {}
        }
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            deepest = deepest.max(level + 1);
        }
    }
    deepest
}

/// The engine's own arguments, parsed and checked.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct EngineArgs {
    pub(crate) iterations: Option<u64>,
    /// Iterations run first and thrown away.
    pub(crate) warmup_iterations: Option<u64>,
    /// Seconds of iterations run first and thrown away.
    pub(crate) warmup_time: Option<f64>,
    pub(crate) retries: Option<u32>,
    pub(crate) test_length: Option<f64>,
    pub(crate) profile_only: Option<bool>,
    pub(crate) postprocess_profiled_run: Option<bool>,
    pub(crate) constraints: Vec<Constraint>,
    pub(crate) tag: Option<String>,
    pub(crate) subdir_tag: Option<String>,
    pub(crate) run_cleanup: Option<bool>,
    pub(crate) test_attributes: Map<String, Value>,
    pub(crate) timeout: Option<f64>,
    pub(crate) master_testpath: Option<String>,
    /// Runs beside other tests, without the machine-wide lock.
    pub(crate) parallel: Option<bool>,
    /// The CPUs the test runs on, ascending.
    pub(crate) cpus: Option<Vec<usize>>,
}

impl EngineArgs {
    /// Parses the engine arguments of `args`, collecting every problem.
    fn parse(args: &Args, errors: &mut Vec<ArgError>) -> EngineArgs {
        let mut engine = EngineArgs::default();
        for (name, value) in args.iter() {
            if value.is_null() {
                continue;
            }
            let bad = |expected: &'static str| ArgError::Engine {
                name: name.to_owned(),
                expected: std::borrow::Cow::Borrowed(expected),
                got: shown(value),
            };
            let result = match name {
                "iterations" => {
                    value.as_u64().map(|n| engine.iterations = Some(n)).ok_or_else(|| bad("a non-negative integer"))
                }
                "warmup_iterations" => value
                    .as_u64()
                    .map(|n| engine.warmup_iterations = Some(n))
                    .ok_or_else(|| bad("a non-negative integer")),
                "warmup_time" => value
                    .as_f64()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| engine.warmup_time = Some(s))
                    .ok_or_else(|| bad("a non-negative number of seconds")),
                "retries" => value
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(|n| engine.retries = Some(n))
                    .ok_or_else(|| bad("a whole number from 0 to 4294967295")),
                "test_length" => value
                    .as_f64()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| engine.test_length = Some(s))
                    .ok_or_else(|| bad("a non-negative number of seconds")),
                "timeout" => value
                    .as_f64()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .map(|s| engine.timeout = Some(s))
                    .ok_or_else(|| bad("a positive number of seconds")),
                "profile_only" => {
                    value.as_bool().map(|b| engine.profile_only = Some(b)).ok_or_else(|| bad("true or false"))
                }
                "postprocess_profiled_run" => value
                    .as_bool()
                    .map(|b| engine.postprocess_profiled_run = Some(b))
                    .ok_or_else(|| bad("true or false")),
                "cpus" => {
                    let cpus = match value {
                        Value::String(text) => crate::machine::parse_cpu_list(text),
                        Value::Number(n) => n.as_u64().and_then(|n| crate::machine::parse_cpu_list(&n.to_string())),
                        Value::Array(items) => items
                            .iter()
                            .map(|item| item.as_u64().map(|n| n.to_string()))
                            .collect::<Option<Vec<String>>>()
                            .and_then(|list| crate::machine::parse_cpu_list(&list.join(","))),
                        _ => None,
                    };
                    cpus.map(|cpus| engine.cpus = Some(cpus))
                        .ok_or_else(|| bad("a CPU list such as \"0-3,6\" or [0, 1]"))
                }
                "parallel" => value.as_bool().map(|b| engine.parallel = Some(b)).ok_or_else(|| bad("true or false")),
                "run_cleanup" => {
                    value.as_bool().map(|b| engine.run_cleanup = Some(b)).ok_or_else(|| bad("true or false"))
                }
                "test_attributes" => value
                    .as_object()
                    .map(|map| engine.test_attributes = map.clone())
                    .ok_or_else(|| bad("an object of attributes")),
                "tag" | "subdir_tag" | "master_testpath" => {
                    let text = match value {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    let slot = match name {
                        "tag" => &mut engine.tag,
                        "subdir_tag" => &mut engine.subdir_tag,
                        _ => &mut engine.master_testpath,
                    };
                    *slot = text;
                    if slot.is_some() { Ok(()) } else { Err(bad("a string")) }
                }
                "constraints" => parse_constraints(value, &mut engine.constraints)
                    .map_err(|e| e.unwrap_or_else(|| bad("a list of constraint strings"))),
                _ => Ok(()),
            };
            if let Err(error) = result {
                errors.push(error);
            }
        }
        engine
    }
}

fn parse_constraints(value: &Value, out: &mut Vec<Constraint>) -> Result<(), Option<ArgError>> {
    let texts: Vec<&str> = match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().map(Value::as_str).collect::<Option<_>>().ok_or(None)?,
        _ => return Err(None),
    };
    for text in texts {
        out.push(Constraint::parse(text).map_err(|e| Some(ArgError::Constraint(e)))?);
    }
    Ok(())
}

/// Checks `args` against `info`'s tables: the engine's arguments parsed, and
/// every problem (engine arguments, unknown names, missing required ones,
/// wrong types), in argument order, then missing parameters.
pub(crate) fn check(info: &TestInfo, args: &Args) -> Checked {
    let mut errors = Vec::new();
    let mut engine = EngineArgs::parse(args, &mut errors);
    // The test's own time limit and retries, unless the run gives them.
    engine.timeout = engine.timeout.or(info.timeout());
    engine.retries = engine.retries.or(info.retries());
    engine.warmup_iterations = engine.warmup_iterations.or(info.warmup_iterations());
    if engine.cpus.is_none()
        && let Some(text) = info.cpus()
    {
        match crate::machine::parse_cpu_list(text) {
            Some(cpus) => engine.cpus = Some(cpus),
            None => errors.push(ArgError::Engine {
                name: "cpus".to_owned(),
                expected: std::borrow::Cow::Borrowed("a CPU list such as \"0-3,6\" (the test's `cpus` attribute)"),
                got: shown(&Value::String(text.to_owned())),
            }),
        }
    }
    engine.warmup_time = engine.warmup_time.or(info.warmup_time());
    let accepts_all = info.phases().iter().any(PhaseTable::accepts_all);
    let accepted: Vec<String> = info.params().map(|(_, p)| p.name().to_owned()).collect();
    for (name, value) in args.iter() {
        if depth(value) > crate::names::MAX_DEPTH {
            errors.push(ArgError::TooDeep { name: name.to_owned() });
            continue;
        }
        if ENGINE_ARGS.contains(&name) {
            continue;
        }
        let declared = info.params().find(|(_, param)| param.name() == name);
        match declared {
            Some((phase, param)) => {
                // null is "not given": a required parameter is then reported as missing.
                if !value.is_null() && param.check(value).is_err() {
                    errors.push(ArgError::WrongType {
                        name: name.to_owned(),
                        place: format!("{}.{}", info.name(), phase.name()),
                        expected: param.type_name().to_owned(),
                        got: shown(value),
                    });
                }
            }
            None if accepts_all => {}
            None => {
                let candidates = accepted.iter().map(String::as_str).chain(ENGINE_ARGS);
                let suggestion = candidates
                    .map(|candidate| (strsim::levenshtein(name, candidate), candidate))
                    .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
                    .min_by_key(|(distance, _)| *distance)
                    .map(|(_, candidate)| candidate.to_owned());
                errors.push(ArgError::Unknown {
                    name: name.to_owned(),
                    test: info.name().to_owned(),
                    accepted: accepted.clone(),
                    suggestion,
                });
            }
        }
    }
    for table in info.phases() {
        for param in table.params() {
            let missing = matches!(args.get(param.name()), None | Some(Value::Null));
            let reported = errors.iter().any(|e| matches!(e, ArgError::Missing { name, .. } if name == param.name()));
            if param.kind() == ParamKind::Required && missing && !reported {
                errors.push(ArgError::Missing {
                    name: param.name().to_owned(),
                    place: format!("{}.{}", info.name(), table.phase().name()),
                    type_name: param.type_name().to_owned(),
                });
            }
        }
    }
    Checked { test: info.name().to_owned(), engine, errors }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::Phase;
    use crate::schema::{Param, Version};
    use serde_json::json;

    /// Every engine argument of the one table is parsed, and the job-level
    /// and execute-level sets split it without overlap or gap: a name added to
    /// the table but not to the parser (or the other way) fails here.
    #[test]
    fn the_engine_argument_table_and_its_parser_agree() {
        for name in ENGINE_ARGS {
            // `[[1]]` is the right type for no engine argument.
            let args = Args::from_json(json!({ name: [[1]] })).unwrap();
            let mut errors = Vec::new();
            let _ = EngineArgs::parse(&args, &mut errors);
            assert!(
                matches!(errors.as_slice(), [ArgError::Engine { name: n, .. }] if n == name),
                "the parser does not handle `{name}`: {errors:?}"
            );
            assert_eq!(
                usize::from(JOB_ARGS.contains(&name)) + usize::from(EXECUTE_ARGS.contains(&name)),
                1,
                "`{name}` is in the job-level or execute-level set, exactly one"
            );
        }
        assert_eq!(JOB_ARGS.len() + EXECUTE_ARGS.len(), ENGINE_ARGS.len());
        // A name outside the table is not the parser's.
        let mut errors = Vec::new();
        let _ = EngineArgs::parse(&Args::from_json(json!({ "seconds": [[1]] })).unwrap(), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
    }

    static SLEEP: TestInfo = TestInfo::new("sleeptest", Version::Int(1)).with_phases(&[
        PhaseTable::new(Phase::Initialize, &[Param::optional::<String>("mode", "Option<String>")]),
        PhaseTable::new(
            Phase::RunOnce,
            &[
                Param::required::<f64>("seconds", "f64"),
                Param::with_default::<u32>("count", "u32", "1").with_doc("how many"),
            ],
        ),
    ]);

    fn validate(info: &TestInfo, args: &Args) -> Result<EngineArgs, ArgErrors> {
        let checked = check(info, args);
        match checked.problems() {
            Some(errors) => Err(errors),
            None => Ok(checked.engine),
        }
    }

    fn errors(args: Args) -> Vec<String> {
        match validate(&SLEEP, &args) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors().iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn valid_arguments_pass() {
        assert_eq!(errors(Args::new().with("seconds", 0.5)), Vec::<String>::new());
        assert_eq!(
            errors(Args::new().with("seconds", 1).with("mode", Value::Null).with("count", 3)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_missing_and_wrong_types() {
        assert_eq!(
            errors(Args::new().with("secnds", 1)),
            [
                "Unknown parameter: secnds (did you mean `seconds`? sleeptest accepts: mode, seconds, count)",
                "missing required argument `seconds` for sleeptest.run_once (f64)"
            ]
        );
        assert_eq!(
            errors(Args::new().with("seconds", "abc")),
            ["`seconds` of sleeptest.run_once expects f64, got \"abc\""]
        );
        assert_eq!(
            errors(Args::new().with("seconds", 1).with("count", -1)),
            ["`count` of sleeptest.run_once expects u32, got -1"]
        );
        assert_eq!(
            errors(Args::new().with("seconds", 1).with("bogus", 1)),
            ["Unknown parameter: bogus (sleeptest accepts: mode, seconds, count)"]
        );
        assert_eq!(
            errors(Args::new().with("seconds", Value::Null)),
            ["missing required argument `seconds` for sleeptest.run_once (f64)"]
        );
        assert_eq!(
            errors(Args::new().with("seconds", 1).with("iteratons", 1))[0],
            "Unknown parameter: iteratons (did you mean `iterations`? sleeptest accepts: mode, seconds, count)"
        );
    }

    #[test]
    fn engine_arguments_are_checked() {
        let bad = errors(
            Args::new()
                .with("seconds", 1)
                .with("iterations", -1)
                .with("test_length", "x")
                .with("timeout", 0)
                .with("profile_only", 1)
                .with("tag", json!([1]))
                .with("test_attributes", 3)
                .with("constraints", json!(["x >"])),
        );
        assert_eq!(
            bad,
            [
                "`iterations` expects a non-negative integer, got -1",
                "`test_length` expects a non-negative number of seconds, got \"x\"",
                "`timeout` expects a positive number of seconds, got 0",
                "`profile_only` expects true or false, got 1",
                "`tag` expects a string, got [1]",
                "`test_attributes` expects an object of attributes, got 3",
                "could not parse constraint `x >`: expected a number, a name or `(`, found the end at column 4",
            ]
        );
        let engine = validate(
            &SLEEP,
            &Args::new().with("seconds", 1).with("constraints", "x > 1").with("tag", 7).with("iterations", 0),
        )
        .unwrap();
        assert_eq!(engine.constraints.len(), 1);
        assert_eq!(engine.tag.as_deref(), Some("7"));
        assert_eq!(engine.iterations, Some(0));
    }

    #[test]
    fn accepting_all_takes_unknown_names() {
        static ALL: TestInfo =
            TestInfo::new("all", Version::Int(1)).with_phases(&[PhaseTable::new(Phase::Cleanup, &[]).accepting_all()]);
        assert!(validate(&ALL, &Args::new().with("anything", 1)).is_ok());
        static NONE: TestInfo = TestInfo::new("none", Version::Int(1));
        let err = validate(&NONE, &Args::new().with("x", 1)).unwrap_err();
        assert_eq!(err.to_string(), "Unknown parameter: x (none takes no parameters)");
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = "x".repeat(500);
        let message = &errors(Args::new().with("seconds", long.as_str()))[0];
        assert!(message.len() < 200, "{message}");
        assert!(message.ends_with("..."), "{message}");
    }
}
