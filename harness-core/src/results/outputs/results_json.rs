//! `results.json`'s bytes: serde_json's compact form of [`JobResults`], each
//! test record written by hand around its fields. Its perf values (thousands
//! in a large job) are written in place; the other fields, a handful per test,
//! go through serde_json. A unit test holds the bytes equal to serde's.
//!
//! [`JobResults`]: super::JobResults

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use super::job_results::{JobInfo, RESULTS_SCHEMA_VERSION};
use super::record::{PerfRecord, TestRecord};
use crate::results::formats::chart_json::string;

/// Writes the whole file: the job and its records, in order.
pub(super) fn write_results(out: &mut impl Write, job: &JobInfo, records: &[&TestRecord]) -> io::Result<()> {
    write!(out, "{{\"schema_version\":{RESULTS_SCHEMA_VERSION},\"harness_version\":")?;
    json(out, env!("CARGO_PKG_VERSION"))?;
    out.write_all(b",\"job\":")?;
    json(out, job)?;
    out.write_all(b",\"tests\":")?;
    list(out, records, |out, record| write_record(out, record))?;
    out.write_all(b"}")
}

/// One record, its fields in [`TestRecord`]'s order and with its serde attributes.
fn write_record(out: &mut impl Write, r: &TestRecord) -> io::Result<()> {
    field(out, "{\"test\":", &r.test)?;
    if let Some(variant) = &r.variant {
        field(out, ",\"variant\":", variant)?;
    }
    field(out, ",\"tag\":", &r.tag)?;
    field(out, ",\"subdir\":", &r.subdir)?;
    field(out, ",\"status\":", &r.status)?;
    field(out, ",\"reason\":", &r.reason)?;
    field(out, ",\"details\":", &r.details)?;
    field(out, ",\"summary\":", &r.summary)?;
    field(out, ",\"raised_at\":", &r.raised_at)?;
    field(out, ",\"profiled_iteration\":", &r.profiled_iteration)?;
    field(out, ",\"start\":", &r.start)?;
    field(out, ",\"end\":", &r.end)?;
    field(out, ",\"duration\":", &r.duration)?;
    field(out, ",\"iterations\":", &r.iterations)?;
    if r.warmup_iterations != 0 {
        field(out, ",\"warmup_iterations\":", &r.warmup_iterations)?;
    }
    field(out, ",\"outputdir\":", &r.outputdir)?;
    out.write_all(b",\"perf_values\":")?;
    list(out, &r.perf_values, write_perf)?;
    field(out, ",\"keyvals\":", &r.keyvals)?;
    field(out, ",\"perf_keyvals\":", &r.perf_keyvals)?;
    field(out, ",\"keyval_blocks\":", &r.keyval_blocks)?;
    if !r.subtests.is_empty() {
        out.write_all(b",\"subtests\":")?;
        list(out, &r.subtests, write_record)?;
    }
    if !r.attrs.is_empty() {
        field(out, ",\"attrs\":", &r.attrs)?;
    }
    if !r.contacts.is_empty() {
        field(out, ",\"contacts\":", &r.contacts)?;
    }
    field(out, ",\"args\":", &r.args)?;
    out.write_all(b"}")
}

fn write_perf(out: &mut impl Write, p: &PerfRecord) -> io::Result<()> {
    out.write_all(b"{\"graph\":")?;
    optional(out, p.graph.as_deref())?;
    out.write_all(b",\"description\":")?;
    string(out, &p.description)?;
    out.write_all(b",\"units\":")?;
    optional(out, p.units.as_deref())?;
    out.write_all(b",\"values\":")?;
    list(out, &p.values, |out, value| number(out, *value))?;
    if !p.profiled.is_empty() {
        out.write_all(b",\"profiled\":")?;
        list(out, &p.profiled, |out, value| number(out, *value))?;
    }
    out.write_all(b",\"improvement_direction\":")?;
    string(out, &p.improvement_direction)?;
    out.write_all(b"}")
}

/// A JSON array of `items`, each written by `item`.
fn list<W: Write, T>(out: &mut W, items: &[T], mut item: impl FnMut(&mut W, &T) -> io::Result<()>) -> io::Result<()> {
    out.write_all(b"[")?;
    for (at, each) in items.iter().enumerate() {
        if at > 0 {
            out.write_all(b",")?;
        }
        item(out, each)?;
    }
    out.write_all(b"]")
}

/// `prefix` (the key, with what comes before it), then `value` as serde_json writes it.
fn field<T: Serialize + ?Sized>(out: &mut impl Write, prefix: &str, value: &T) -> io::Result<()> {
    out.write_all(prefix.as_bytes())?;
    json(out, value)
}

fn json<T: Serialize + ?Sized>(out: &mut impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(out, value).map_err(io::Error::from)
}

fn optional(out: &mut impl Write, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(text) => string(out, text),
        None => out.write_all(b"null"),
    }
}

/// A number as serde_json writes an `f64`: `null` when it is not finite.
fn number(out: &mut impl Write, value: f64) -> io::Result<()> {
    if value.is_finite() { CompactFormatter.write_f64(out, value) } else { out.write_all(b"null") }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    use super::*;
    use crate::results::{BlockKind, JobResults, KeyvalBlock};
    use crate::status::Status;

    fn perf(description: &str, graph: Option<&str>, units: Option<&str>, values: Vec<f64>) -> PerfRecord {
        PerfRecord {
            graph: graph.map(str::to_owned),
            description: description.to_owned(),
            units: units.map(str::to_owned),
            values,
            profiled: Vec::new(),
            improvement_direction: Cow::Borrowed("up"),
        }
    }

    /// A record with every field set, a subtest of its own and names that need escaping.
    fn full() -> TestRecord {
        let mut record = bare("sleeptest");
        record.variant = Some("small".to_owned());
        record.tag = Some("small.fast".to_owned());
        record.details = vec!["caused by: \"disk\"\tfull".to_owned()];
        record.raised_at = Some("src/lib.rs:3:9".to_owned());
        record.profiled_iteration = Some(4);
        record.warmup_iterations = 2;
        let mut profiled = perf("latency", None, Some("ms"), vec![1.5, 0.1, 1e21, 3.0e-7, -0.0, 5e-324]);
        profiled.profiled = vec![9.5, 1e-300];
        record.perf_values = vec![
            profiled,
            perf("odd \"name\"\\\n", Some("graph"), None, vec![]),
            perf("throughput", Some("io"), Some("MB/s"), vec![f64::MAX, 12.0]),
        ];
        record.keyvals = BTreeMap::from([("version".to_owned(), "1".to_owned())]);
        record.perf_keyvals = BTreeMap::from([("slept".to_owned(), 0.25)]);
        record.keyval_blocks = vec![KeyvalBlock {
            kind: BlockKind::Iteration,
            iteration: Some(1),
            attr: BTreeMap::from([("a".to_owned(), "b".to_owned())]),
            perf: BTreeMap::from([("slept".to_owned(), 0.25)]),
        }];
        record.subtests = vec![bare("sub")];
        record.attrs = vec!["suite:smoke".to_owned()];
        record.contacts = vec!["someone@example.com".to_owned()];
        record.args = serde_json::json!({"seconds": 0.25, "tag": "fast", "list": [1, "x"]})
            .as_object()
            .cloned()
            .expect("an object");
        record
    }

    fn bare(test: &str) -> TestRecord {
        serde_json::from_value(serde_json::json!({
            "test": test, "tag": null, "subdir": test, "status": "GOOD", "reason": "completed successfully",
            "details": [], "start": "2026-12-01T00:00:00.000Z", "end": "2026-12-01T00:00:01.000Z",
            "duration": 1.0, "iterations": 1, "outputdir": format!("/results/{test}"), "perf_values": [],
            "keyvals": {}, "perf_keyvals": {},
        }))
        .expect("a record")
    }

    fn job() -> JobInfo {
        JobInfo {
            tag: Some("nightly".to_owned()),
            status: Status::Good,
            start: "2026-12-01T00:00:00.000Z".to_owned(),
            end: "2026-12-01T00:00:02.000Z".to_owned(),
            counts: BTreeMap::from([("GOOD".to_owned(), 2)]),
            sysinfo: BTreeMap::from([("cpus".to_owned(), "2".to_owned())]),
            noise: vec!["turbo boost is on".to_owned()],
        }
    }

    fn written(records: &[&TestRecord]) -> String {
        let mut out = Vec::new();
        write_results(&mut out, &job(), records).expect("written to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    fn serde_form(records: &[&TestRecord]) -> String {
        let results = JobResults {
            schema_version: RESULTS_SCHEMA_VERSION,
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            job: job(),
            tests: records.iter().map(|r| (*r).clone()).collect(),
        };
        serde_json::to_string(&results).expect("serialized")
    }

    #[test]
    fn bytes_are_serde_jsons_compact_form() {
        let (full, bare) = (full(), bare("plain"));
        for records in [vec![], vec![&bare], vec![&full, &bare]] {
            assert_eq!(written(&records), serde_form(&records));
        }
    }

    #[test]
    fn what_is_written_reads_back_as_it_was() {
        let full = full();
        let results: JobResults = serde_json::from_str(&written(&[&full])).expect("results.json parses");
        assert_eq!(results.tests, vec![full]);
        assert_eq!(results.job, job());
    }
}
