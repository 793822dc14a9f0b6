//! autotest's keyval files: `key=value` lines, `key{attr}=v` / `key{perf}=v` in
//! `results/keyval`, one blank line after every iteration block.
//!
//! Writing validates a whole block (every key and value) before the first byte is
//! written, then appends it with one `write(2)`, so a reader or a crash never sees
//! half a block. Reading follows autotest's `read_keyval`, except that a type tag
//! skips lines of the other type (as its docstring promises) instead of raising.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Write as _};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::pyfmt::float_repr;
use crate::error::{Error, Result};
use crate::files::AppendFile;

/// The kind of an iteration keyval line: `key{attr}=...` or `key{perf}=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeTag {
    /// `{attr}`: a string attribute of the iteration.
    Attr,
    /// `{perf}`: a number measured in the iteration.
    Perf,
}

impl TypeTag {
    /// `"attr"` or `"perf"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            TypeTag::Attr => "attr",
            TypeTag::Perf => "perf",
        }
    }

    /// `"{attr}"` or `"{perf}"`.
    const fn suffix(self) -> &'static str {
        match self {
            TypeTag::Attr => "{attr}",
            TypeTag::Perf => "{perf}",
        }
    }
}

/// A value read back from a keyval file, converted as autotest converts it:
/// `^\d+$` is an integer, `^(\d+\.)?\d+$` a float, anything else stays text
/// (so `-1`, `.5`, `1.` and `1e5` are text).
#[derive(Debug, Clone, PartialEq)]
pub enum KeyvalValue {
    /// Digits only (`007` reads as 7). Digits too many for `i64` stay [`KeyvalValue::Str`].
    Int(i64),
    /// `digits.digits`.
    Float(f64),
    /// Everything else, right-trimmed.
    Str(String),
}

impl KeyvalValue {
    fn parse(text: &str) -> Self {
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if all_digits(text) {
            if let Ok(int) = text.parse() {
                return KeyvalValue::Int(int);
            }
        } else if let Some((whole, fraction)) = text.split_once('.')
            && all_digits(whole)
            && all_digits(fraction)
            && let Ok(float) = text.parse()
        {
            return KeyvalValue::Float(float);
        }
        KeyvalValue::Str(text.to_owned())
    }

    /// The value as a number, if it is one.
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "keyval integers are read as autotest reads them")]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            KeyvalValue::Int(int) => Some(*int as f64),
            KeyvalValue::Float(float) => Some(*float),
            KeyvalValue::Str(_) => None,
        }
    }

    /// The value as text, if it is text.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            KeyvalValue::Str(text) => Some(text),
            _ => None,
        }
    }
}

impl Display for KeyvalValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyvalValue::Int(int) => write!(f, "{int}"),
            KeyvalValue::Float(float) => f.write_str(&float_repr(*float)),
            KeyvalValue::Str(text) => f.write_str(text),
        }
    }
}

/// One iteration of `results/keyval`, read as TKO reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Iteration {
    /// `{attr}` lines, as text.
    pub attr: BTreeMap<String, String>,
    /// `{perf}` lines and untyped lines whose value is a number.
    pub perf: BTreeMap<String, f64>,
}

/// `[-.\w]`: the characters autotest allows in a key (ASCII word characters).
pub(crate) fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

pub(crate) fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn check_key(key: &str, type_tag: Option<TypeTag>) -> Result<()> {
    let valid = match type_tag {
        None => is_plain_key(key),
        Some(tag) => key.strip_suffix(tag.suffix()).is_some_and(is_plain_key),
    };
    if valid { Ok(()) } else { Err(Error::InvalidKey { key: key.to_owned() }) }
}

pub(crate) fn check_value(key: &str, value: &str) -> Result<()> {
    let refuse = |reason: String| Err(Error::InvalidValue { key: key.to_owned(), reason });
    if let Some(c) = value.chars().find(|c| c.is_control() && *c != '\t') {
        return refuse(format!(
            "contains the control character U+{:04X}; a keyval value must fit on one line",
            u32::from(c)
        ));
    }
    // autotest writes these, and every keyval reader (its own, TKO, ours) cuts them;
    // harness writes them too, for the same files, and says so in the debug log.
    if value.contains('#') {
        log::warn!("keyval `{key}`: the value holds `#`, which starts a comment; readers cut it there");
    } else if value.ends_with(char::is_whitespace) {
        log::warn!("keyval `{key}`: the value ends with whitespace, which readers strip");
    }
    Ok(())
}

/// Validates and formats one block: `key=value` lines sorted by key, each key
/// checked against the pattern of `type_tag`. Nothing is returned unless every
/// key and value is valid.
fn format_block<K, V>(
    pairs: impl IntoIterator<Item = (K, V)>,
    type_tag: Option<TypeTag>,
    out: &mut String,
) -> Result<()>
where
    K: AsRef<str>,
    V: Display,
{
    let mut lines: Vec<(String, String)> = Vec::new();
    for (key, value) in pairs {
        let key = key.as_ref();
        check_key(key, type_tag)?;
        let value = value.to_string();
        check_value(key, &value)?;
        lines.push((key.to_owned(), value));
    }
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, value) in lines {
        let _ = writeln!(out, "{key}={value}");
    }
    Ok(())
}

/// The keyval file for `path`: `<path>/keyval` when `path` is a directory.
#[must_use]
pub fn keyval_path(path: &Path) -> PathBuf {
    if path.is_dir() { path.join("keyval") } else { path.to_owned() }
}

/// A plain keyval block as text (sorted `key=value` lines), every key and
/// value checked.
pub(crate) fn format_keyval<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<String>
where
    K: AsRef<str>,
    V: Display,
{
    let mut block = String::new();
    format_block(pairs, None, &mut block)?;
    Ok(block)
}

/// Appends `key=value` lines to a keyval file, sorted by key, as autotest's
/// `utils.write_keyval` does.
///
/// `path` may be a directory (then `<path>/keyval` is written). With a
/// `type_tag`, every key must already carry its `{attr}` or `{perf}` suffix.
/// Every key and value is checked before anything is written.
///
/// # Errors
///
/// [`Error::InvalidKey`] for a key outside `[-.\w]+` (or missing its suffix),
/// [`Error::InvalidValue`] for a value with a line break or other control
/// character, [`Error::Io`] when the file cannot be written. On error the file is
/// unchanged.
///
/// # Examples
///
/// ```
/// use harness_core::results::{read_keyval, write_keyval, KeyvalValue};
///
/// let dir = tempfile::tempdir()?;
/// write_keyval(dir.path(), [("version", "1"), ("owner", "me")], None)?;
/// assert_eq!(std::fs::read_to_string(dir.path().join("keyval"))?, "owner=me\nversion=1\n");
///
/// let bad = write_keyval(dir.path(), [("a", "1"), ("b c", "2")], None);
/// assert_eq!(bad.unwrap_err().to_string(), "Invalid key: b c");
///
/// let read = read_keyval(dir.path(), None)?;
/// assert_eq!(read["version"], KeyvalValue::Int(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_keyval<K, V>(
    path: impl AsRef<Path>,
    pairs: impl IntoIterator<Item = (K, V)>,
    type_tag: Option<TypeTag>,
) -> Result<()>
where
    K: AsRef<str>,
    V: Display,
{
    let path = keyval_path(path.as_ref());
    let mut block = String::new();
    format_block(pairs, type_tag, &mut block)?;
    AppendFile::new(path).append(&block)
}

/// Reads a keyval file as autotest's `utils.read_keyval` does.
///
/// `path` may be a directory (`<path>/keyval`); a missing file reads as empty.
/// Everything from the first `#` is dropped, then trailing whitespace; blank lines
/// are skipped; a repeated key keeps its last value. With a `type_tag`, lines of
/// the other type (or untyped) are skipped and the suffix is removed from the keys.
///
/// # Errors
///
/// [`Error::InvalidFormatLine`] for a line that is not `key=value` (or, with a
/// tag, not a keyval line of either type), [`Error::Io`] when the file cannot be
/// read.
pub fn read_keyval(path: impl AsRef<Path>, type_tag: Option<TypeTag>) -> Result<BTreeMap<String, KeyvalValue>> {
    let path = keyval_path(path.as_ref());
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(Error::io("read", &path, e)),
    };
    let mut map = BTreeMap::new();
    for (index, raw) in complete_lines(&text).enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim_end();
        if line.is_empty() {
            continue;
        }
        let invalid = || Error::InvalidFormatLine { path: path.clone(), line_number: index + 1, line: line.to_owned() };
        let (key, value) = line.split_once('=').ok_or_else(invalid)?;
        let key = match type_tag {
            None if is_plain_key(key) => key,
            None => return Err(invalid()),
            Some(tag) => match split_tag(key) {
                Some((name, found)) if found == tag.as_str() => name,
                // Other types and untyped lines are skipped, as the original's docstring says.
                Some((_, "attr" | "perf")) => continue,
                None if is_plain_key(key) => continue,
                _ => return Err(invalid()),
            },
        };
        map.insert(key.to_owned(), KeyvalValue::parse(value));
    }
    Ok(map)
}

/// `name{tag}` -> `(name, tag)` when `name` is a valid key and `tag` is `\w+`.
fn split_tag(key: &str) -> Option<(&str, &str)> {
    let inner = key.strip_suffix('}')?;
    let (name, tag) = inner.split_once('{')?;
    let word = !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (is_plain_key(name) && word).then_some((name, tag))
}

/// Reads `results/keyval` into iterations as TKO's `iteration.load_from_keyval`
/// does: a blank line closes a block (even an empty one), `{attr}` values stay
/// text, `{perf}` and untyped values must parse as numbers (others are dropped).
///
/// # Errors
///
/// [`Error::Io`] when the file exists but cannot be read.
pub fn read_iterations(path: impl AsRef<Path>) -> Result<Vec<Iteration>> {
    let path = keyval_path(path.as_ref());
    match fs::read_to_string(&path) {
        Ok(text) => Ok(parse_iterations(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("read", &path, e)),
    }
}

/// The keyval lines of a file as written (`key=value`, the last one winning),
/// without autotest's comment stripping or conversions: what results.json shows.
pub(crate) fn read_raw(path: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(keyval_path(path)).unwrap_or_default();
    complete_lines(&text).filter_map(|line| line.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// The lines of `text` that end with a newline: a last line without one is
/// the part of a record a writer did not finish (a crash, a full disk), and is
/// left out, as every reader of harness's files leaves it out.
///
/// ```
/// let lines: Vec<&str> = harness_core::results::complete_lines("a\nb\nhalf").collect();
/// assert_eq!(lines, ["a", "b"]);
/// ```
pub fn complete_lines(text: &str) -> impl Iterator<Item = &str> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete.lines()
}

/// [`read_iterations`] of text.
pub(crate) fn parse_iterations(text: &str) -> Vec<Iteration> {
    let mut iterations = Vec::new();
    let mut current = Iteration::default();
    for line in complete_lines(text).map(str::trim) {
        if line.is_empty() {
            iterations.push(std::mem::take(&mut current));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let (name, tag) = match key.strip_suffix('}').and_then(|k| k.split_once('{')) {
            Some((name, tag)) => (name, Some(tag)),
            None => (key, None),
        };
        match tag {
            Some("attr") => {
                current.attr.insert(name.to_owned(), value.to_owned());
            }
            Some("perf") | None => {
                if let Ok(number) = value.trim().parse::<f64>() {
                    current.perf.insert(name.to_owned(), number);
                }
            }
            Some(_) => {}
        }
    }
    if !current.attr.is_empty() || !current.perf.is_empty() {
        iterations.push(current);
    }
    iterations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<K: AsRef<str>, V: Display>(pairs: Vec<(K, V)>, tag: Option<TypeTag>) -> Result<String> {
        let mut out = String::new();
        format_block(pairs, tag, &mut out).map(|()| out)
    }

    #[test]
    fn write_sorts_and_checks_keys_like_autotest() {
        assert_eq!(block(vec![("c", 3), ("a", 1)], None).unwrap(), "a=1\nc=3\n");
        assert_eq!(block(vec![("a-b.c_d", "x")], None).unwrap(), "a-b.c_d=x\n");
        assert_eq!(block(vec![("d{perf}", 1)], None).unwrap_err().to_string(), "Invalid key: d{perf}");
        assert_eq!(block(vec![("a{perf}", 1), ("b{perf}", 2)], Some(TypeTag::Perf)).unwrap(), "a{perf}=1\nb{perf}=2\n");
        assert_eq!(block(vec![("a", 1)], Some(TypeTag::Perf)).unwrap_err().to_string(), "Invalid key: a");
        assert_eq!(block(vec![("x$", 0)], None).unwrap_err().to_string(), "Invalid key: x$");
        assert_eq!(block(vec![("", 0)], None).unwrap_err().to_string(), "Invalid key: ");
        assert_eq!(block(vec![("a{attr}", 0)], Some(TypeTag::Perf)).unwrap_err().to_string(), "Invalid key: a{attr}");
    }

    #[test]
    fn values_must_stay_on_one_line() {
        let err = block(vec![("k", "two\nlines")], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for key `k`: contains the control character U+000A; a keyval value must fit on one line"
        );
        assert!(block(vec![("k", "nul\0")], None).is_err());
        // As autotest: written as given, though readers cut at `#` and strip the end.
        assert_eq!(block(vec![("k", "tab\there # cut ")], None).unwrap(), "k=tab\there # cut \n");
    }

    fn read_text(text: &str, tag: Option<TypeTag>) -> Result<BTreeMap<String, KeyvalValue>> {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("keyval"), text).unwrap();
        read_keyval(dir.path(), tag)
    }

    #[test]
    fn read_matches_base_utils_unittest() {
        assert!(read_keyval("/nonexistent/keyval", None).unwrap().is_empty());
        let read = |t| read_text(t, None).unwrap();
        assert_eq!(read("a=b   \n")["a"], KeyvalValue::Str("b".into()));
        assert_eq!(read("a=b # a comment\n")["a"], KeyvalValue::Str("b".into()));
        assert_eq!(read("a=1\n")["a"], KeyvalValue::Int(1));
        assert_eq!(read("a=1.5\n")["a"], KeyvalValue::Float(1.5));
        assert_eq!(read("a=1\na=2\n")["a"], KeyvalValue::Int(2));
        assert_eq!(read("a=b=c\n")["a"], KeyvalValue::Str("b=c".into()));
        assert_eq!(read("a_b-c=1\n")["a_b-c"], KeyvalValue::Int(1));
        assert_eq!(read("a=\n")["a"], KeyvalValue::Str(String::new()));
        assert_eq!(read_text("a$=one\n", None).unwrap_err().to_string(), "Invalid format line: a$=one");
        assert_eq!(read_text(" a=1\n", None).unwrap_err().to_string(), "Invalid format line:  a=1");
    }

    #[test]
    fn read_converts_values_as_autotest_does() {
        let read =
            read_text("lead0=007\ndotted=.5\ntrail=5.\nneg=-1\nexp=1e5\nspace= 5\nbig=99999999999999999999\n", None)
                .unwrap();
        assert_eq!(read["lead0"], KeyvalValue::Int(7));
        for key in ["dotted", "trail", "neg", "exp", "space", "big"] {
            assert!(matches!(read[key], KeyvalValue::Str(_)), "{key}: {:?}", read[key]);
        }
    }

    #[test]
    fn read_with_a_tag_skips_the_other_type() {
        let text = "flag{attr}=True\nbig{perf}=1e+16\nint{perf}=7\nplain=1\n\n";
        let perf = read_text(text, Some(TypeTag::Perf)).unwrap();
        assert_eq!(perf.keys().collect::<Vec<_>>(), ["big", "int"]);
        assert_eq!(perf["int"], KeyvalValue::Int(7));
        let attr = read_text(text, Some(TypeTag::Attr)).unwrap();
        assert_eq!(attr["flag"], KeyvalValue::Str("True".into()));
        assert_eq!(read_text(text, None).unwrap_err().to_string(), "Invalid format line: flag{attr}=True");
        assert_eq!(
            read_text("x{bogus=1\n", Some(TypeTag::Perf)).unwrap_err().to_string(),
            "Invalid format line: x{bogus=1"
        );
    }

    #[test]
    fn iterations_read_as_tko_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyval");
        fs::write(&path, "count{perf}=3\nthroughput{perf}=100.5\n\nkernel{attr}=abc\n\n\nuntagged=-678.5e5\nbad{perf}=FooBar\nodd{invalid}=56\n").unwrap();
        let iterations = read_iterations(&path).unwrap();
        assert_eq!(iterations.len(), 4);
        assert_eq!(iterations[0].perf, BTreeMap::from([("count".into(), 3.0), ("throughput".into(), 100.5)]));
        assert_eq!(iterations[1].attr, BTreeMap::from([("kernel".into(), "abc".into())]));
        assert_eq!(iterations[2], Iteration::default());
        assert_eq!(iterations[3].perf, BTreeMap::from([("untagged".into(), -678.5e5)]));
    }
}
