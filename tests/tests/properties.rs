//! Property tests: the constraint parser against a reference evaluator, keyval
//! and status-line round trips, and chart merging against the rules of DESIGN.md
//! (autotest's `output_perf_value`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use harness_core::Status;
use harness_core::constraint::Constraint;
use harness_core::results::{KeyvalValue, PerfChart, PerfValue, StatusCode, StatusEntry, read_keyval, write_keyval};
use proptest::prelude::*;

/// Characters that break naive writers: line breaks of every kind, tabs, NUL,
/// escapes, `=`, `{`, `#`, non-ASCII, plus anything at all.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        3 => proptest::char::range('a', 'z'),
        1 => prop::sample::select(vec![
            '\n', '\r', '\t', '\0', '\x0b', '\x0c', '\x1b', '\x1c', '\u{85}', '\u{2028}', '\u{3000}', ' ', '=', '{',
            '}', '#', '\\', '"', 'é', '\u{fffd}',
        ]),
    ]
}

fn hostile_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(String::from_iter)
}

// ---- Constraints -------------------------------------------------------------

/// A constraint expression, evaluated here by Python's rules independently of
/// the crate's evaluator, and printed with the fewest parentheses Python's
/// precedence allows (so the parser's precedence is exercised too).
#[derive(Debug, Clone)]
enum Expr {
    Num(u32, u8),
    Bool(bool),
    Name(usize),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Arith(char, Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, Vec<(&'static str, Expr)>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// Names the environment knows (the last one it does not).
const NAMES: [&str; 4] = ["throughput", "latency_ms", "zero", "missing_key"];
const VALUES: [f64; 3] = [12.5, 3.0, 0.0];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Py {
    Num(f64),
    Bool(bool),
}

impl Py {
    fn num(self) -> f64 {
        match self {
            Py::Num(n) => n,
            Py::Bool(b) => f64::from(u8::from(b)),
        }
    }

    fn truthy(self) -> bool {
        match self {
            Py::Num(n) => n != 0.0,
            Py::Bool(b) => b,
        }
    }
}

impl Expr {
    /// Python's precedence level: higher binds tighter.
    fn level(&self) -> u8 {
        match self {
            Expr::Or(..) => 1,
            Expr::And(..) => 2,
            Expr::Not(_) => 3,
            Expr::Compare(..) => 4,
            Expr::Arith('+' | '-', ..) => 5,
            Expr::Arith(..) => 6,
            Expr::Neg(_) => 7,
            Expr::Num(..) | Expr::Bool(_) | Expr::Name(_) => 8,
        }
    }

    fn write_operand(&self, min: u8, out: &mut String) {
        if self.level() < min {
            out.push('(');
            self.write(out);
            out.push(')');
        } else {
            self.write(out);
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Expr::Num(whole, 0) => {
                let _ = write!(out, "{whole}");
            }
            Expr::Num(whole, tenths) => {
                let _ = write!(out, "{whole}.{tenths}");
            }
            Expr::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Expr::Name(i) => out.push_str(NAMES[*i]),
            Expr::Neg(inner) => {
                out.push('-');
                inner.write_operand(7, out);
            }
            Expr::Not(inner) => {
                out.push_str("not ");
                inner.write_operand(3, out);
            }
            Expr::Arith(op, left, right) => {
                let level = self.level();
                left.write_operand(level, out);
                let _ = write!(out, " {op} ");
                // Left-associative: a right operand of the same level needs parentheses.
                right.write_operand(level + 1, out);
            }
            Expr::Compare(first, rest) => {
                first.write_operand(5, out);
                for (op, operand) in rest {
                    let _ = write!(out, " {op} ");
                    operand.write_operand(5, out);
                }
            }
            Expr::And(left, right) => {
                left.write_operand(2, out);
                out.push_str(" and ");
                right.write_operand(3, out);
            }
            Expr::Or(left, right) => {
                left.write_operand(1, out);
                out.push_str(" or ");
                right.write_operand(2, out);
            }
        }
    }

    /// Python's result, or `None` where Python raises (unknown name, division by zero).
    fn eval(&self) -> Option<Py> {
        Some(match self {
            Expr::Num(whole, tenths) => Py::Num(f64::from(*whole) + f64::from(*tenths) / 10.0),
            Expr::Bool(b) => Py::Bool(*b),
            Expr::Name(i) => Py::Num(*VALUES.get(*i)?),
            Expr::Neg(inner) => Py::Num(-inner.eval()?.num()),
            Expr::Not(inner) => Py::Bool(!inner.eval()?.truthy()),
            Expr::Arith(op, left, right) => {
                let (a, b) = (left.eval()?.num(), right.eval()?.num());
                Py::Num(match op {
                    '+' => a + b,
                    '-' => a - b,
                    '*' => a * b,
                    _ if b == 0.0 => return None,
                    _ => a / b,
                })
            }
            Expr::Compare(first, rest) => {
                let mut left = first.eval()?.num();
                for (op, operand) in rest {
                    let right = operand.eval()?.num();
                    let holds = match *op {
                        "<" => left < right,
                        "<=" => left <= right,
                        ">" => left > right,
                        ">=" => left >= right,
                        "==" => left == right,
                        _ => left != right,
                    };
                    if !holds {
                        return Some(Py::Bool(false));
                    }
                    left = right;
                }
                Py::Bool(true)
            }
            Expr::And(left, right) => {
                let left = left.eval()?;
                if left.truthy() { right.eval()? } else { left }
            }
            Expr::Or(left, right) => {
                let left = left.eval()?;
                if left.truthy() { left } else { right.eval()? }
            }
        })
    }
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (0u32..1000, 0u8..10).prop_map(|(w, t)| Expr::Num(w, t)),
        any::<bool>().prop_map(Expr::Bool),
        (0..NAMES.len()).prop_map(Expr::Name),
    ];
    leaf.prop_recursive(5, 48, 3, |inner| {
        let op = prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]);
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (prop::sample::select(vec!['+', '-', '*', '/']), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| Expr::Arith(op, Box::new(a), Box::new(b))),
            (inner.clone(), prop::collection::vec((op, inner.clone()), 1..3))
                .prop_map(|(first, rest)| Expr::Compare(Box::new(first), rest)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn env(name: &str) -> Option<f64> {
    NAMES.iter().position(|n| *n == name).and_then(|i| VALUES.get(i).copied())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn constraints_agree_with_a_reference_evaluator(expr in expr()) {
        let mut text = String::new();
        expr.write(&mut text);
        let parsed = Constraint::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(parsed.evaluate(&env), expr.eval().map(Py::truthy), "{}", text);
    }

    #[test]
    fn the_constraint_parser_never_panics(text in hostile_string(80)) {
        if let Ok(constraint) = Constraint::parse(&text) {
            let _ = constraint.evaluate(&env);
        }
    }

    #[test]
    fn the_constraint_parser_never_panics_on_near_misses(
        parts in prop::collection::vec(prop::sample::select(vec![
            "x", "1", "2.5", ".5", "1.", "1e5", "(", ")", "+", "-", "*", "/", "<", "<=", "==", "!=", "=", "!", "and",
            "or", "not", "True", "False", "lambda", "__import__", " ", "\t", "é",
        ]), 0..40),
    ) {
        let text = parts.concat();
        if let Ok(constraint) = Constraint::parse(&text) {
            let _ = constraint.evaluate(&|_| Some(1.0));
        }
    }
}

// ---- Keyvals -----------------------------------------------------------------

/// How autotest reads a value back: ASCII digits are an integer (when it fits),
/// `digits.digits` a float, anything else text.
fn read_as_autotest(text: &str) -> KeyvalValue {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(text) {
        if let Ok(int) = text.parse() {
            return KeyvalValue::Int(int);
        }
    } else if let Some((whole, fraction)) = text.split_once('.')
        && digits(whole)
        && digits(fraction)
    {
        return KeyvalValue::Float(text.parse().unwrap());
    }
    KeyvalValue::Str(text.to_owned())
}

fn writable_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,25}",
        "[0-9]{1,8}\\.[0-9]{1,8}",
        // Text without controls or `#` (a comment), not ending in whitespace (stripped).
        "[ -\"$-~\u{a0}-\u{10ffff}]{0,40}[!-\"$-~]",
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn keyvals_read_back_as_written(pairs in prop::collection::btree_map("[-._a-zA-Z0-9]{1,24}", writable_value(), 1..8)) {
        let dir = tempfile::tempdir().unwrap();
        write_keyval(dir.path(), &pairs, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let read = read_keyval(dir.path(), None).unwrap();
        let expected: BTreeMap<String, KeyvalValue> =
            pairs.iter().map(|(k, v)| (k.clone(), read_as_autotest(v))).collect();
        prop_assert_eq!(read, expected);
    }

    #[test]
    fn a_keyval_write_either_reads_back_or_changes_nothing(key in hostile_string(12), value in hostile_string(24)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyval");
        std::fs::write(&path, "before=1\n").unwrap();
        match write_keyval(&path, [(key.as_str(), value.as_str()), ("z_last", "2")], None) {
            Ok(()) => {
                // Written as given; read as autotest reads it: cut at `#`, end stripped.
                let read = read_keyval(&path, None).unwrap();
                let kept = value.split('#').next().unwrap_or_default().trim_end();
                prop_assert_eq!(read.get(&key), Some(&read_as_autotest(kept)));
                prop_assert_eq!(read.len(), if key == "before" || key == "z_last" { 2 } else { 3 });
            }
            Err(_) => prop_assert_eq!(std::fs::read_to_string(&path).unwrap(), "before=1\n"),
        }
    }
}

// ---- Status lines ------------------------------------------------------------

fn code() -> impl Strategy<Value = StatusCode> {
    let status = prop::sample::select(vec![
        Status::Good,
        Status::Fail,
        Status::Error,
        Status::TestNa,
        Status::Warn,
        Status::Abort,
    ]);
    prop_oneof![
        Just(StatusCode::Start),
        Just(StatusCode::Info),
        status.clone().prop_map(StatusCode::Status),
        status.prop_map(StatusCode::End),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn status_lines_render_and_parse_back(
        code in code(),
        operation in prop::option::of("[a-z0-9_.]{1,20}"),
        reason in hostile_string(120),
        timestamp in 0i64..4_000_000_000,
    ) {
        let entry = StatusEntry::new(code, operation.as_deref(), operation.as_deref(), &reason)
            .unwrap()
            .with_timestamp(timestamp);
        let text = entry.render();
        let lines: Vec<&str> = text.split('\n').collect();
        prop_assert_eq!(lines.len(), 1 + entry.extra_lines().len());
        let (indent, parsed) = StatusEntry::parse(lines[0]).unwrap().expect("a status line");
        prop_assert_eq!(indent, 0);
        prop_assert_eq!(parsed.code(), code);
        prop_assert_eq!(parsed.operation(), operation.as_deref());
        prop_assert_eq!(parsed.subdir(), operation.as_deref());
        prop_assert_eq!(parsed.timestamp(), Some(timestamp));
        prop_assert_eq!(parsed.message(), entry.message());
        for (line, extra) in lines[1..].iter().zip(entry.extra_lines()) {
            prop_assert!(StatusEntry::parse(line).unwrap().is_none(), "a continuation line: {:?}", line);
            prop_assert_eq!(&line[2..], extra.as_str());
        }
        // No byte of the reason can break the line structure of the file.
        prop_assert!(!text.chars().any(|c| c.is_control() && c != '\t' && c != '\n'), "{:?}", text);
        // A reason of plain text is kept as written.
        if !reason.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}') {
            prop_assert_eq!(parsed.message(), reason.as_str());
        }
    }
}

// ---- Charts ------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Call {
    description: usize,
    graph: Option<&'static str>,
    values: Vec<f64>,
    scalar: bool,
    replace: bool,
    units: Option<&'static str>,
    higher_is_better: bool,
}

fn call() -> impl Strategy<Value = Call> {
    (
        0usize..3,
        prop::option::of(prop::sample::select(vec!["g1", "g2"])),
        prop::collection::vec(-1e6f64..1e6, 1..4),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::option::of(prop::sample::select(vec!["ms", "MB/s"])),
        any::<bool>(),
    )
        .prop_map(|(description, graph, values, scalar, replace, units, higher_is_better)| Call {
            description,
            graph,
            values: if scalar { values[..1].to_vec() } else { values },
            scalar,
            replace,
            units,
            higher_is_better,
        })
}

/// What DESIGN.md (after autotest) says an entry holds after a sequence of calls.
#[derive(Debug, PartialEq)]
struct Model {
    values: Vec<f64>,
    scalar: bool,
    units: Option<String>,
    direction: &'static str,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn chart_merging_follows_autotest(calls in prop::collection::vec(call(), 1..12)) {
        let mut chart = PerfChart::new();
        let mut model: HashMap<(String, String), Model> = HashMap::new();
        for call in &calls {
            let description = ["read", "write", "seek"][call.description];
            let mut value = if call.scalar {
                PerfValue::new(description, call.values[0])
            } else {
                PerfValue::new(description, call.values.clone())
            };
            value = value.higher_is_better(call.higher_is_better).replace_existing(call.replace);
            if let Some(units) = call.units {
                value = value.units(units);
            }
            if let Some(graph) = call.graph {
                value = value.graph(graph);
            }
            chart.add(&value).unwrap();
            let key = match call.graph {
                Some(graph) => (graph.to_owned(), description.to_owned()),
                None => (description.to_owned(), "summary".to_owned()),
            };
            let direction = if call.higher_is_better { "up" } else { "down" };
            // Units are sanitised: characters outside `[-.\w]` become `_`.
            let units = call.units.map(|u| u.replace('/', "_"));
            match model.get_mut(&key) {
                Some(entry) if !call.replace => {
                    entry.values.extend(&call.values);
                    entry.scalar = false;
                    entry.units = units;
                    entry.direction = direction;
                }
                _ => {
                    model.insert(key, Model { values: call.values.clone(), scalar: call.scalar, units, direction });
                }
            }
        }
        let written: serde_json::Value = serde_json::from_str(&chart.to_json()).unwrap();
        prop_assert_eq!(chart.entries().count(), model.len());
        for ((top, sub), expected) in &model {
            let entry = chart.get(top, sub).expect("an entry per key");
            let actual = Model {
                values: entry.values().to_vec(),
                scalar: entry.is_scalar(),
                units: entry.units().map(str::to_owned),
                direction: entry.improvement_direction(),
            };
            prop_assert_eq!(&actual, expected);
            let json = &written[top][sub];
            prop_assert_eq!(&json["type"], if expected.scalar { "scalar" } else { "list_of_scalar_values" });
            prop_assert_eq!(&json["improvement_direction"], expected.direction);
            let json_values: Vec<f64> = if expected.scalar {
                vec![json["value"].as_f64().unwrap()]
            } else {
                json["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
            };
            prop_assert_eq!(&json_values, &expected.values);
        }
    }
}

// ---- Selections --------------------------------------------------------------

/// A selection written out, evaluated here without harness's parser.
#[derive(Debug, Clone)]
enum Sel {
    Attr(&'static str),
    Name(&'static str),
    Not(Box<Sel>),
    And(Box<Sel>, Box<Sel>),
    Or(Box<Sel>, Box<Sel>),
}

/// `*` and `?` as globs match them, by plain recursion.
fn wildcard(pattern: &[char], text: &[char]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some('*'), _) => wildcard(&pattern[1..], text) || (!text.is_empty() && wildcard(pattern, &text[1..])),
        (Some('?'), Some(_)) => wildcard(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => wildcard(&pattern[1..], &text[1..]),
        _ => false,
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    wildcard(&pattern.chars().collect::<Vec<_>>(), &text.chars().collect::<Vec<_>>())
}

impl Sel {
    fn text(&self) -> String {
        match self {
            Sel::Attr(a) if a.contains(':') => format!("\"{a}\""),
            Sel::Attr(a) => (*a).to_owned(),
            Sel::Name(p) => format!("name({p})"),
            Sel::Not(inner) => format!("!{}", inner.text()),
            Sel::And(a, b) => format!("({} && {})", a.text(), b.text()),
            Sel::Or(a, b) => format!("({} || {})", a.text(), b.text()),
        }
    }

    fn eval(&self, name: &str, attrs: &[&str]) -> bool {
        match self {
            Sel::Attr(pattern) => attrs.iter().any(|a| glob(pattern, a)),
            Sel::Name(pattern) => glob(pattern, name),
            Sel::Not(inner) => !inner.eval(name, attrs),
            Sel::And(a, b) => a.eval(name, attrs) && b.eval(name, attrs),
            Sel::Or(a, b) => a.eval(name, attrs) || b.eval(name, attrs),
        }
    }
}

fn sel() -> impl Strategy<Value = Sel> {
    let leaf = prop_oneof![
        prop::sample::select(vec!["disk", "perf", "group:perf", "group:*", "d?sk"]).prop_map(Sel::Attr),
        prop::sample::select(vec!["disk_*", "t", "t.?", "*"]).prop_map(Sel::Name),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| Sel::Not(Box::new(s))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Sel::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Sel::Or(Box::new(a), Box::new(b))),
        ]
    })
}

proptest! {
    /// Any text: a selection or an error whose column is inside it, never a panic.
    #[test]
    fn selections_never_panic(text in hostile_string(40), ops in prop::sample::select(vec!["", "&&", "||", "!", "(", ")", "name(", "\""])) {
        let text = format!("{text}{ops}");
        match harness_core::select::Selection::parse(&text) {
            Ok(selection) => prop_assert_eq!(selection.text(), text.as_str()),
            Err(e) => prop_assert!(e.column() >= 1 && e.column() <= text.chars().count() + 1, "{}", e),
        }
    }

    /// Written out and parsed, a selection picks what the reference picks.
    #[test]
    fn selections_agree_with_the_reference(
        sel in sel(),
        name in prop::sample::select(vec!["disk_write", "t", "t.a", "tt", "x"]),
        attrs in prop::sample::subsequence(vec!["disk", "perf", "group:perf", "dask"], 0..4),
    ) {
        let parsed = harness_core::select::Selection::parse(&sel.text()).unwrap();
        prop_assert_eq!(parsed.matches(name, &attrs), sel.eval(name, &attrs), "{}", sel.text());
        // Precedence: `!` binds tightest, then `&&`, then `||`.
        let flat = harness_core::select::Selection::parse("disk || perf && !group:perf").unwrap();
        let expected = attrs.contains(&"disk") || (attrs.contains(&"perf") && !attrs.contains(&"group:perf"));
        prop_assert_eq!(flat.matches(name, &attrs), expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every test name is in exactly one shard of any count, and the shard
    /// `assigned` names is the one that holds it.
    #[test]
    fn every_test_is_in_exactly_one_shard(name in "[a-z_][a-z0-9_]{0,30}(\\.[a-z0-9_]{1,12})?", total in 1u32..64) {
        let holders: Vec<u32> = (1..=total)
            .filter(|k| harness_core::shard::Shard::new(*k, total).unwrap().holds(&name))
            .collect();
        prop_assert_eq!(holders, vec![harness_core::shard::assigned(&name, total)]);
    }
}

#[test]
fn shards_of_many_names_are_near_even() {
    // 4000 names like a real suite's (`disk_write_7`, `net_rtt_12.large`) over 8 shards.
    let mut counts = [0u32; 8];
    for i in 0..4000 {
        let name = format!(
            "{}_{}{}",
            ["disk_write", "net_rtt", "fs_meta", "kv"][i % 4],
            i,
            if i % 3 == 0 { ".large" } else { "" }
        );
        counts[harness_core::shard::assigned(&name, 8) as usize - 1] += 1;
    }
    assert!(counts.iter().all(|c| (425..=575).contains(c)), "{counts:?}");
}
