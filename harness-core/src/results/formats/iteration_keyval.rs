//! The writer of a test's `results/keyval`: one iteration block per call
//! (sorted `key{attr}=value` lines, sorted `key{perf}=value` lines, a blank
//! line), validated whole and appended with one `write(2)`. It keeps the perf
//! values of the last block that held any, as numbers, for the constraints and
//! for `results.json`: nothing is parsed back from the text it wrote.

use std::collections::BTreeMap;
use std::fmt::{Display, Write as _};
use std::path::PathBuf;

use super::keyval::{check_value, is_plain_key};
use super::perf_number::PerfNumber;
use super::pyfmt::float_repr;
use crate::error::{Error, Result};
use crate::files::AppendFile;
use serde::{Deserialize, Serialize};

/// What wrote a block of `results/keyval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BlockKind {
    /// An iteration of `run_once` (or the phases around it).
    Iteration,
    /// The extra profiled iteration (autotest's `run_once_profiling`).
    Profiled,
    /// `postprocess`, after the iterations (TKO counts it as one more iteration).
    Postprocess,
    /// Another phase (`initialize`, `warmup`, `cleanup`, `execute` of its own).
    Other,
    /// Not known: a record rebuilt from the files after the job died.
    Unknown,
}

/// A test's `results/keyval`, and the perf values of its last block.
#[derive(Debug)]
pub(crate) struct IterationKeyvals {
    file: AppendFile,
    formatter: BlockFormatter,
    buffer: String,
    /// The perf values of the block being written; their strings are reused.
    scratch: Vec<(String, f64)>,
    /// The perf values of the last block that held any, as given.
    last_perf: Vec<(String, f64)>,
    /// Whether the last block written held perf values (an attr-only block
    /// leaves constraints nothing to check, as in autotest).
    last_block_had_perf: bool,
    /// Whether a block was written since [`take_new_block`](Self::take_new_block).
    new_block: bool,
    /// What wrote each block, and the iteration then.
    kinds: Vec<(BlockKind, u64)>,
    /// The keys of the last block longer than TKO's database keeps.
    long_keys: Vec<String>,
}

/// The longest keyval key TKO's database keeps (`varchar(30)`).
pub(crate) const TKO_KEY_LIMIT: usize = 30;

impl IterationKeyvals {
    /// The writer of the keyval file at `path`, made on the first block.
    pub(crate) fn new(path: PathBuf) -> Self {
        IterationKeyvals {
            file: AppendFile::new(path),
            formatter: BlockFormatter::default(),
            buffer: String::new(),
            scratch: Vec::new(),
            last_perf: Vec::new(),
            last_block_had_perf: false,
            new_block: false,
            kinds: Vec::new(),
            long_keys: Vec::new(),
        }
    }

    /// Validates and appends one block, written by `kind` in `iteration`; on
    /// error nothing is written and the last perf values stay as they were.
    /// Without a writer (`None`: a warm-up iteration) the block is validated
    /// and thrown away.
    pub(crate) fn write<KA, VA, KP, VP>(
        &mut self,
        attr: impl IntoIterator<Item = (KA, VA)>,
        perf: impl IntoIterator<Item = (KP, VP)>,
        written_by: Option<(BlockKind, u64)>,
    ) -> Result<()>
    where
        KA: AsRef<str>,
        VA: Display,
        KP: AsRef<str>,
        VP: Into<PerfNumber>,
    {
        self.buffer.clear();
        self.long_keys.clear();
        let long_keys = std::cell::RefCell::new(std::mem::take(&mut self.long_keys));
        let note_long = |key: &str| {
            if key.len() > TKO_KEY_LIMIT {
                long_keys.borrow_mut().push(key.to_owned());
            }
        };
        let attr = attr.into_iter().inspect(|(key, _)| note_long(key.as_ref()));
        let mut used = 0;
        let scratch = &mut self.scratch;
        let perf = perf.into_iter().map(|(key, value)| {
            note_long(key.as_ref());
            let value: PerfNumber = value.into();
            match scratch.get_mut(used) {
                Some(slot) => {
                    slot.0.clear();
                    slot.0.push_str(key.as_ref());
                    slot.1 = value.as_f64();
                }
                None => scratch.push((key.as_ref().to_owned(), value.as_f64())),
            }
            used += 1;
            (key, value)
        });
        let formatted = self.formatter.format(attr, perf, &mut self.buffer);
        self.long_keys = long_keys.into_inner();
        formatted?;
        let Some((kind, iteration)) = written_by else { return Ok(()) };
        self.file.append(&self.buffer)?;
        if used > 0 {
            self.scratch.truncate(used);
            std::mem::swap(&mut self.last_perf, &mut self.scratch);
        }
        self.last_block_had_perf = used > 0;
        self.new_block = true;
        self.kinds.push((kind, iteration));
        Ok(())
    }

    /// The keys of the last block written that are longer than
    /// [`TKO_KEY_LIMIT`].
    pub(crate) fn long_keys(&self) -> &[String] {
        &self.long_keys
    }

    /// What wrote each block, in order.
    pub(crate) fn kinds(&self) -> &[(BlockKind, u64)] {
        &self.kinds
    }

    /// Whether a block was written since the last call (constraints are
    /// checked only against a new block, as autotest does).
    pub(crate) fn take_new_block(&mut self) -> bool {
        std::mem::take(&mut self.new_block)
    }

    /// The perf value `name` of the last block written, for constraints
    /// (autotest's perf dict of the last keyval write: none after a block
    /// without perf values).
    pub(crate) fn last_perf(&self, name: &str) -> Option<f64> {
        if !self.last_block_had_perf {
            return None;
        }
        // A key given twice in a block: the later value, as a reader of the file sees it.
        self.last_perf.iter().rev().find(|(key, _)| key == name).map(|(_, value)| *value)
    }

    /// The perf values of the last block that held any.
    pub(crate) fn last_perf_values(&self) -> BTreeMap<String, f64> {
        self.last_perf.iter().cloned().collect()
    }
}

/// Formats iteration blocks (sorted `key{attr}=value` lines, sorted
/// `key{perf}=value` lines, a blank line) with buffers kept between calls, so a
/// block costs no allocation.
#[derive(Debug, Default)]
pub(crate) struct BlockFormatter {
    scratch: String,
    /// Each line's start, end of key, and end in `scratch`.
    lines: Vec<(usize, usize, usize)>,
    /// The perf keys of the last perf-only block, in the order given, already
    /// checked; a block with the same keys costs one comparison per key.
    cached_keys: Vec<String>,
    /// Their sorted order (indexes into `cached_keys`).
    cached_order: Vec<usize>,
    /// The values of the block being written, while its keys match the cache.
    values: Vec<PerfNumber>,
}

/// Checks a perf line and adds it to `scratch` and `lines`.
fn push_perf_line(
    scratch: &mut String,
    lines: &mut Vec<(usize, usize, usize)>,
    key: &str,
    value: PerfNumber,
) -> Result<()> {
    if !is_plain_key(key) {
        return Err(Error::InvalidKey { key: format!("{key}{{perf}}") });
    }
    check_finite(key, value)?;
    let start = scratch.len();
    scratch.push_str(key);
    let key_end = scratch.len();
    scratch.push_str("{perf}=");
    value.write_to(scratch);
    scratch.push('\n');
    lines.push((start, key_end, scratch.len()));
    Ok(())
}

fn check_finite(key: &str, value: PerfNumber) -> Result<()> {
    if let PerfNumber::Float(float) = value
        && !float.is_finite()
    {
        return Err(Error::InvalidValue {
            key: format!("{key}{{perf}}"),
            reason: format!("perf values must be finite numbers, got {}", float_repr(float)),
        });
    }
    Ok(())
}

impl BlockFormatter {
    /// Checks every key and value, then appends the block to `out`; on error `out`
    /// is unchanged. Returns where the perf lines start in `out`.
    pub(crate) fn format<KA, VA, KP>(
        &mut self,
        attr: impl IntoIterator<Item = (KA, VA)>,
        perf: impl IntoIterator<Item = (KP, PerfNumber)>,
        out: &mut String,
    ) -> Result<usize>
    where
        KA: AsRef<str>,
        VA: Display,
        KP: AsRef<str>,
    {
        let BlockFormatter { scratch, lines, cached_keys, cached_order, values } = self;
        scratch.clear();
        lines.clear();
        values.clear();
        for (key, value) in attr {
            let key = key.as_ref();
            if !is_plain_key(key) {
                return Err(Error::InvalidKey { key: format!("{key}{{attr}}") });
            }
            let start = scratch.len();
            scratch.push_str(key);
            let key_end = scratch.len();
            scratch.push_str("{attr}=");
            let value_start = scratch.len();
            let _ = write!(scratch, "{value}");
            check_value(&format!("{key}{{attr}}"), &scratch[value_start..])?;
            scratch.push('\n');
            lines.push((start, key_end, scratch.len()));
        }
        let attrs = lines.len();
        // While the keys are the cached ones, only the values are kept.
        let mut matching = attrs == 0 && !cached_keys.is_empty();
        let mut given = 0;
        for (key, value) in perf {
            let key = key.as_ref();
            if matching && cached_keys.get(given).is_some_and(|known| known == key) {
                values.push(value);
                given += 1;
                continue;
            }
            if matching {
                matching = false;
                for (known, value) in cached_keys.iter().zip(values.iter()) {
                    push_perf_line(scratch, lines, known, *value)?;
                }
            }
            push_perf_line(scratch, lines, key, value)?;
            given += 1;
        }
        if matching && given == cached_keys.len() {
            for (key, value) in cached_keys.iter().zip(values.iter()) {
                check_finite(key, *value)?;
            }
            let perf_start = out.len();
            for &at in cached_order.iter() {
                out.push_str(&cached_keys[at]);
                out.push_str("{perf}=");
                values[at].write_to(out);
                out.push('\n');
            }
            out.push('\n');
            return Ok(perf_start);
        }
        if matching {
            // Fewer keys than the cache: the ones seen, the slow way.
            for (known, value) in cached_keys.iter().zip(values.iter()) {
                push_perf_line(scratch, lines, known, *value)?;
            }
        }
        if attrs == 0 && !lines.is_empty() {
            cached_keys.clear();
            cached_keys.extend(lines.iter().map(|(start, key_end, _)| scratch[*start..*key_end].to_owned()));
            cached_order.clear();
            cached_order.extend(0..cached_keys.len());
            cached_order.sort_by(|a, b| cached_keys[*a].cmp(&cached_keys[*b]));
        }
        let text = scratch.as_str();
        let by_key = |a: &(usize, usize, usize), b: &(usize, usize, usize)| text[a.0..a.1].cmp(&text[b.0..b.1]);
        let (attr_lines, perf_lines) = lines.split_at_mut(attrs);
        for part in [attr_lines, perf_lines] {
            if !part.is_sorted_by(|a, b| by_key(a, b).is_le()) {
                part.sort_by(by_key);
            }
        }
        let mut perf_start = out.len();
        for (i, (start, _, end)) in lines.iter().enumerate() {
            if i == attrs {
                perf_start = out.len();
            }
            out.push_str(&text[*start..*end]);
        }
        if lines.len() == attrs {
            perf_start = out.len();
        }
        out.push('\n');
        Ok(perf_start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_set_writes_what_a_new_one_would() {
        let none: [(&str, &str); 0] = [];
        let mut cached = BlockFormatter::default();
        let blocks: [&[(&str, f64)]; 6] = [
            &[("zeta", 1.0), ("alpha", 2.0), ("mid", 3.0)],
            &[("zeta", 4.0), ("alpha", 5.0), ("mid", 6.5)],
            &[("zeta", 7.0), ("alpha", 8.0)],
            &[("zeta", 1.0), ("beta", 2.0), ("mid", 3.0)],
            &[("zeta", 1.0), ("beta", 2.0), ("mid", 3.0), ("extra", 4.0)],
            &[("dup", 1.0), ("dup", 2.0)],
        ];
        for block in blocks.iter().chain(blocks.iter()) {
            let mut fresh = BlockFormatter::default();
            let (mut a, mut b) = (String::new(), String::new());
            let perf = || block.iter().map(|(k, v)| (*k, PerfNumber::Float(*v)));
            let at_a = cached.format(none, perf(), &mut a).unwrap();
            let at_b = fresh.format(none, perf(), &mut b).unwrap();
            assert_eq!((a, at_a), (b, at_b));
        }
        let nan = [("zeta", PerfNumber::Float(f64::NAN)), ("alpha", PerfNumber::Int(1)), ("mid", PerfNumber::Int(1))];
        let mut out = String::from("x");
        cached
            .format(
                none,
                [("zeta", 1.0), ("alpha", 2.0), ("mid", 3.0)].map(|(k, v)| (k, PerfNumber::Float(v))),
                &mut String::new(),
            )
            .unwrap();
        assert!(cached.format(none, nan, &mut out).is_err());
        assert_eq!(out, "x", "a refused block writes nothing");
    }

    #[test]
    fn perf_numbers_print_as_python_does() {
        let pairs: Vec<(&str, PerfNumber)> = vec![
            ("int", 7.into()),
            ("ten", 10.0.into()),
            ("big", 1e16.into()),
            ("tiny", 1e-5.into()),
            ("neg", (-0.5f32).into()),
        ];
        let none: [(&str, &str); 0] = [];
        let mut formatter = BlockFormatter::default();
        let mut out = String::from("kept");
        let perf_at = formatter.format(none, pairs.clone(), &mut out).unwrap();
        assert_eq!(out, "keptbig{perf}=1e+16\nint{perf}=7\nneg{perf}=-0.5\nten{perf}=10.0\ntiny{perf}=1e-05\n\n");
        assert_eq!(perf_at, 4);
        let nan = [("x", PerfNumber::Float(f64::NAN))];
        assert_eq!(
            formatter.format(none, nan, &mut out).unwrap_err().to_string(),
            "invalid value for key `x{perf}`: perf values must be finite numbers, got nan"
        );
        let err = formatter.format([("b", "fine"), ("a", "two\nlines")], pairs.clone(), &mut out).unwrap_err();
        assert!(err.to_string().starts_with("invalid value for key `a{attr}`"), "{err}");
        assert!(out.ends_with("tiny{perf}=1e-05\n\n"), "a refused block leaves the buffer as it was: {out:?}");
        let mut block = String::new();
        let perf_at = formatter.format([("z", 1), ("k", 2)], [("p", PerfNumber::Int(3))], &mut block).unwrap();
        assert_eq!(block, "k{attr}=2\nz{attr}=1\np{perf}=3\n\n");
        assert_eq!(&block[perf_at..], "p{perf}=3\n\n");
        let mut attr_only = String::new();
        let perf_at =
            formatter.format([("a", 1)], none.iter().map(|(k, _)| (*k, PerfNumber::Int(0))), &mut attr_only).unwrap();
        assert_eq!((attr_only.as_str(), perf_at), ("a{attr}=1\n\n", 10));
        assert_eq!(
            formatter.format(none, [("b c", PerfNumber::Int(1))], &mut block).unwrap_err().to_string(),
            "Invalid key: b c{perf}"
        );
    }

    const ITER: (BlockKind, u64) = (BlockKind::Iteration, 1);

    #[test]
    fn the_last_perf_values_are_kept_as_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let mut keyvals = IterationKeyvals::new(dir.path().join("keyval"));
        let none: [(&str, &str); 0] = [];
        keyvals.write(none, [("b", PerfNumber::Float(2.5)), ("a", PerfNumber::Int(1))], Some(ITER)).unwrap();
        assert!(keyvals.take_new_block());
        assert!(!keyvals.take_new_block());
        keyvals.write([("note", "x")], std::iter::empty::<(&str, f64)>(), Some(ITER)).unwrap();
        assert_eq!(keyvals.last_perf("b"), None, "constraints see the last write's perf values: none");
        keyvals.write(none, [("c", PerfNumber::Float(f64::NAN))], Some(ITER)).unwrap_err();
        assert_eq!(
            keyvals.last_perf_values(),
            BTreeMap::from([("a".to_owned(), 1.0), ("b".to_owned(), 2.5)]),
            "an attr-only block and a refused one keep the last values for results.json"
        );
        keyvals.write(none, [("c", 3.0)], Some((BlockKind::Postprocess, 2))).unwrap();
        assert_eq!(keyvals.kinds(), [ITER, ITER, (BlockKind::Postprocess, 2)]);
        assert_eq!(keyvals.last_perf("c"), Some(3.0));
        assert_eq!(keyvals.last_perf_values(), BTreeMap::from([("c".to_owned(), 3.0)]));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("keyval")).unwrap(),
            "a{perf}=1\nb{perf}=2.5\n\nnote{attr}=x\n\nc{perf}=3.0\n\n"
        );
    }
}
