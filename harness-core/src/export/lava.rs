//! LAVA test-case signals: `<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=... RESULT=...
//! [MEASUREMENT=... UNITS=...]>`, one line per test and one per metric, as
//! `lava-test-case` prints them; a board's console is the only channel from a
//! device under test. LAVA's rules (lava-dispatcher's test shell): the line
//! matches `<LAVA_SIGNAL_(\S+) ([^>]+)>`, its parameters are split at
//! whitespace into `KEY=VALUE`, RESULT is `pass`, `fail`, `skip` or
//! `unknown`, a MEASUREMENT is a float, a test case id is unique in its run;
//! LAVA's database keeps 100 characters of a name or units.

use std::collections::BTreeSet;

use super::common::shortened;
use crate::results::TestRecord;
use crate::status::Status;

/// The longest test case id and units LAVA keeps.
pub(super) const MAX_FIELD: usize = 100;

pub(super) fn render(tests: &[&TestRecord], warnings: &mut Vec<String>) -> String {
    let mut taken = BTreeSet::new();
    tests.iter().map(|test| lines(test, &mut taken, warnings)).collect()
}

/// The signals of `tests` as each ends (a live run's): the test's result,
/// then each of its metrics' medians; changed ids and units are said in
/// `warnings`.
#[must_use]
pub fn signals(test: &TestRecord, warnings: &mut Vec<String>) -> String {
    lines(test, &mut BTreeSet::new(), warnings)
}

fn lines(test: &TestRecord, taken: &mut BTreeSet<String>, warnings: &mut Vec<String>) -> String {
    let result = match test.status {
        Status::Good | Status::Warn => "pass",
        Status::Fail | Status::Error | Status::Abort => "fail",
        Status::TestNa => "skip",
        _ => "unknown",
    };
    let mut out = String::new();
    let id = case_id(&test.subdir, taken, warnings);
    out.push_str(&format!("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID={id} RESULT={result}>\n"));
    for perf in &test.perf_values {
        if perf.values.is_empty() {
            continue;
        }
        let id = case_id(&format!("{}.{}", test.subdir, perf.name()), taken, warnings);
        let median = perf.summary().median;
        out.push_str(&format!("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID={id} RESULT={result} MEASUREMENT={median}"));
        if let Some(units) = perf.units.as_deref().filter(|u| !u.is_empty()) {
            let clean = field(units, "._-/%");
            if clean != units {
                warnings.push(format!("lava: the units `{}` are `{clean}` in the signal", crate::text::shown(units)));
            }
            out.push_str(&format!(" UNITS={clean}"));
        }
        out.push_str(">\n");
    }
    out
}

/// A test case id: letters, digits, `.`, `-` and `_` (anything else `_`), at
/// most 100 characters, unique in the run (`_2`, `_3` after a repeat).
fn case_id(text: &str, taken: &mut BTreeSet<String>, warnings: &mut Vec<String>) -> String {
    let mut id = field(text, "._-");
    let base = id.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = shortened(&format!("{base}_{n}"), MAX_FIELD);
        n += 1;
    }
    if id != text {
        warnings.push(format!("lava: `{}` is the test case `{id}`", crate::text::shown(text)));
    }
    taken.insert(id.clone());
    id
}

/// `text` as a signal's value: ASCII letters and digits and the characters
/// of `also` kept, any other character `_`, at most 100 characters.
fn field(text: &str, also: &str) -> String {
    let kept: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() || also.contains(c) { c } else { '_' }).collect();
    let kept = if kept.is_empty() { "_".to_owned() } else { kept };
    shortened(&kept, MAX_FIELD)
}
