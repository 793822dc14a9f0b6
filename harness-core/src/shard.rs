//! Which part of a suite this process runs: shard `K/N` by a stable hash of
//! each test's name (the same in the CLI and `test_main`, on every machine),
//! or the tests a shard file lists (`cargo harness shards plan`, balanced by
//! recorded durations). With neither given, the shard is taken from the
//! scheduler's own variables, so a suite shards under Bazel, Kubernetes
//! Indexed Jobs, GitLab's `parallel:` and GoogleTest's runners with no glue.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::text::{fnv1a, shown};

/// One shard of `total`, numbered from 1, and who said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    total: u32,
    source: &'static str,
}

/// The scheduler variables read, in this order, when no shard is given: the
/// name of each, the variables of its index and total, and whether its index
/// counts from 0.
const SCHEDULERS: [(&str, &str, &str, bool); 4] = [
    ("Bazel", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", true),
    ("GoogleTest", "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", true),
    ("GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", false),
    // An Indexed Job sets only the index; the job gives the total (its completions).
    ("Kubernetes", "JOB_COMPLETION_INDEX", "HARNESS_SHARDS", true),
];

impl Shard {
    /// Shard `index` of `total` (`1 <= index <= total`).
    ///
    /// # Errors
    ///
    /// A text naming the numbers when they are out of range.
    pub fn new(index: u32, total: u32) -> Result<Shard, String> {
        if total == 0 || index == 0 || index > total {
            return Err(format!("shard {index}/{total}: K/N needs 1 <= K <= N"));
        }
        Ok(Shard { index, total, source: "--shard" })
    }

    /// `K/N`, as `--shard` and `HARNESS_SHARD` take it.
    ///
    /// # Errors
    ///
    /// A text naming the culprit.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let parsed = text.split_once('/').and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
        let Some((index, total)) = parsed else {
            return Err(format!("shard `{}`: expected K/N, such as 2/4", shown(text)));
        };
        Shard::new(index, total)
    }

    /// The shard the environment gives: `HARNESS_SHARD=K/N` (`off` to run
    /// everything whatever the scheduler says), else the first scheduler's
    /// variables that are set. A Bazel shard is acknowledged by touching
    /// `TEST_SHARD_STATUS_FILE`, as Bazel asks of a test that shards.
    ///
    /// # Errors
    ///
    /// A text naming the variables when they are not numbers, out of range,
    /// or an index without its total.
    pub fn from_env() -> Result<Option<Shard>, String> {
        let shard = Shard::from_vars(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))?;
        if shard.as_ref().is_some_and(|s| s.source == "Bazel")
            && let Some(path) = std::env::var_os("TEST_SHARD_STATUS_FILE").filter(|p| !p.is_empty())
        {
            let path = PathBuf::from(path);
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("TEST_SHARD_STATUS_FILE {}: {e}", path.display()))?;
        }
        Ok(shard)
    }

    /// [`Shard::from_env`] over the variables `get` gives.
    pub(crate) fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        if let Some(text) = get("HARNESS_SHARD") {
            if text.trim() == "off" {
                return Ok(None);
            }
            return Shard::parse(&text).map(|s| Some(Shard { source: "HARNESS_SHARD", ..s }));
        }
        for (scheduler, index_var, total_var, from_zero) in SCHEDULERS {
            let (index, total) = (get(index_var), get(total_var));
            let Some(index) = index else { continue };
            let number = |var: &str, text: &str| {
                text.trim().parse::<u32>().map_err(|_| format!("{var}=`{}` is not a shard number", shown(text)))
            };
            let Some(total) = total else {
                return Err(format!(
                    "{index_var}={} is set ({scheduler}) but not {total_var}: set {total_var} to the number of shards, or HARNESS_SHARD=off",
                    shown(&index)
                ));
            };
            let (index, total) = (number(index_var, &index)?, number(total_var, &total)?);
            if total <= 1 {
                return Ok(None);
            }
            let first = if from_zero { index.checked_add(1) } else { Some(index) };
            let shard = first.and_then(|k| Shard::new(k, total).ok()).ok_or_else(|| {
                format!(
                    "{index_var}={index} is out of range for {total_var}={total} ({scheduler} counts from {})",
                    u8::from(!from_zero)
                )
            })?;
            return Ok(Some(Shard { source: scheduler, ..shard }));
        }
        Ok(None)
    }

    /// Its number, from 1.
    #[must_use]
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many shards there are.
    #[must_use]
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Who gave it: `--shard`, `HARNESS_SHARD`, `shard file`, `Bazel`,
    /// `GoogleTest`, `GitLab`, `Kubernetes`.
    #[must_use]
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether the test named `name` (`file_io.small`) is this shard's: its
    /// hash modulo the number of shards, so every test is in exactly one.
    #[must_use]
    pub fn holds(&self, name: &str) -> bool {
        assigned(name, self.total) == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

/// The shard, from 1, that `name` is in out of `total`: FNV-1a of the name,
/// mixed (splitmix64's finaliser) so similar names spread.
#[must_use]
pub fn assigned(name: &str, total: u32) -> u32 {
    let mut x = fnv1a(name);
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    u32::try_from(x % u64::from(total.max(1))).unwrap_or(0) + 1
}

/// What part of the suite a run takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A hash shard.
    Shard(Shard),
    /// The tests a shard file lists, and its shard when the file says.
    Listed {
        /// The file.
        path: PathBuf,
        /// The names it lists.
        names: BTreeSet<String>,
        /// `K/N` from its first line, when written by `shards plan`.
        shard: Option<Shard>,
    },
}

impl Part {
    /// Whether the test named `name` is in this part.
    #[must_use]
    pub fn holds(&self, name: &str) -> bool {
        match self {
            Part::Shard(shard) => shard.holds(name),
            Part::Listed { names, .. } => names.contains(name),
        }
    }

    /// How messages name it: `shard 2/4 (GitLab)`, or `shard file PATH`
    /// for a file without its header.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Part::Shard(shard) | Part::Listed { shard: Some(shard), .. } => {
                format!("shard {shard} ({})", shard.source())
            }
            Part::Listed { path, shard: None, .. } => format!("shard file {}", path.display()),
        }
    }

    /// The shard as the job keyval records it (`shard=K/N`), when known.
    #[must_use]
    pub fn shard(&self) -> Option<&Shard> {
        match self {
            Part::Shard(shard) => Some(shard),
            Part::Listed { shard, .. } => shard.as_ref(),
        }
    }

    /// The part a run takes: `--shard`/`--shard-file` (or, for `test_main`,
    /// `HARNESS_SHARD_FILE`), else the scheduler's variables.
    ///
    /// # Errors
    ///
    /// A text naming the culprit: a bad `K/N`, an unreadable or malformed
    /// shard file, scheduler variables that do not make a shard.
    pub fn choose(shard: Option<&str>, file: Option<&Path>) -> Result<Option<Part>, String> {
        if let Some(path) = file {
            return read_shard_file(path).map(Some);
        }
        if let Some(text) = shard {
            return Shard::parse(text).map(|s| Some(Part::Shard(s)));
        }
        Ok(Shard::from_env()?.map(Part::Shard))
    }
}

/// The first line of a shard file: `# harness shard K/N`.
pub const SHARD_FILE_HEADER: &str = "# harness shard ";

/// Writes a shard file's text: its header line, then the tests as the
/// nextest filterset `test(=a) | test(=b)` on one line (`-E "$(tail -n 1 FILE)"`),
/// which `--shard-file` reads back.
#[must_use]
pub fn shard_file_text(shard: &Shard, names: &[String]) -> String {
    let filter: Vec<String> = names.iter().map(|n| format!("test(={n})")).collect();
    let filter = if filter.is_empty() { "none()".to_owned() } else { filter.join(" | ") };
    format!("{SHARD_FILE_HEADER}{shard}\n{filter}\n")
}

/// Reads a shard file: `# ...` lines, then `test(=NAME)` terms joined by `|`
/// (or `none()`), over one or more lines.
fn read_shard_file(path: &Path) -> Result<Part, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("shard file {}: {e}", path.display()))?;
    let mut shard = None;
    let mut names = BTreeSet::new();
    for (at, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix(SHARD_FILE_HEADER) {
            let parsed =
                Shard::parse(rest).map_err(|e| format!("shard file {} line {}: {e}", path.display(), at + 1))?;
            shard = Some(Shard { source: "shard file", ..parsed });
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        for term in line.split('|').map(str::trim).filter(|t| !t.is_empty()) {
            if term == "none()" {
                continue;
            }
            let Some(name) = term.strip_prefix("test(=").and_then(|t| t.strip_suffix(')')).filter(|n| !n.is_empty())
            else {
                return Err(format!(
                    "shard file {} line {}: `{}` is not test(=NAME)",
                    path.display(),
                    at + 1,
                    shown(term)
                ));
            };
            names.insert(name.to_owned());
        }
    }
    Ok(Part::Listed { path: path.to_owned(), names, shard })
}

/// One planned shard: its tests, by name, and their planned seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The tests, sorted by name.
    pub tests: Vec<String>,
    /// The sum of their planned seconds.
    pub seconds: f64,
}

/// `tests` (name, planned seconds) packed into `shards` shards: longest
/// first, each into the shard with the least time so far (the lowest
/// numbered on a tie), so the slowest shard is never more than 4/3 of the
/// best packing's.
#[must_use]
pub fn pack(tests: &[(String, f64)], shards: u32) -> Vec<Planned> {
    let mut order: Vec<&(String, f64)> = tests.iter().collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out = vec![Planned { tests: Vec::new(), seconds: 0.0 }; shards.max(1) as usize];
    for (name, seconds) in order {
        let Some(least) = out.iter_mut().min_by(|a, b| a.seconds.total_cmp(&b.seconds)) else { break };
        least.tests.push(name.clone());
        least.seconds += seconds.max(0.0);
    }
    for shard in &mut out {
        shard.tests.sort();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn each_scheduler_names_its_shard_in_its_own_words() {
        let shard =
            |pairs: &[(&str, &str)]| Shard::from_vars(vars(pairs)).map(|s| s.map(|s| (s.to_string(), s.source)));
        assert_eq!(shard(&[("TEST_SHARD_INDEX", "0"), ("TEST_TOTAL_SHARDS", "3")]), Ok(Some(("1/3".into(), "Bazel"))));
        assert_eq!(
            shard(&[("GTEST_SHARD_INDEX", "2"), ("GTEST_TOTAL_SHARDS", "3")]),
            Ok(Some(("3/3".into(), "GoogleTest")))
        );
        assert_eq!(shard(&[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "4")]), Ok(Some(("2/4".into(), "GitLab"))));
        assert_eq!(
            shard(&[("JOB_COMPLETION_INDEX", "3"), ("HARNESS_SHARDS", "4")]),
            Ok(Some(("4/4".into(), "Kubernetes")))
        );
        assert_eq!(
            shard(&[("HARNESS_SHARD", "2/5"), ("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "2")]),
            Ok(Some(("2/5".into(), "HARNESS_SHARD")))
        );
        assert_eq!(shard(&[("HARNESS_SHARD", "off"), ("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "2")]), Ok(None));
        // GitLab without `parallel:` says 1 node of 1.
        assert_eq!(shard(&[("CI_NODE_TOTAL", "1")]), Ok(None));
        assert_eq!(shard(&[("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "1")]), Ok(None));
        assert_eq!(shard(&[]), Ok(None));
        assert_eq!(
            shard(&[("TEST_SHARD_INDEX", "3"), ("TEST_TOTAL_SHARDS", "3")]),
            Err("TEST_SHARD_INDEX=3 is out of range for TEST_TOTAL_SHARDS=3 (Bazel counts from 0)".into())
        );
        assert_eq!(
            shard(&[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")]),
            Err("CI_NODE_INDEX=0 is out of range for CI_NODE_TOTAL=3 (GitLab counts from 1)".into())
        );
        assert_eq!(
            shard(&[("JOB_COMPLETION_INDEX", "1")]),
            Err("JOB_COMPLETION_INDEX=1 is set (Kubernetes) but not HARNESS_SHARDS: set HARNESS_SHARDS to the number of shards, or HARNESS_SHARD=off".into())
        );
        assert_eq!(
            shard(&[("GTEST_SHARD_INDEX", "x"), ("GTEST_TOTAL_SHARDS", "2")]),
            Err("GTEST_SHARD_INDEX=`x` is not a shard number".into())
        );
        assert_eq!(Shard::parse("3/2").unwrap_err(), "shard 3/2: K/N needs 1 <= K <= N");
        assert_eq!(Shard::parse("two").unwrap_err(), "shard `two`: expected K/N, such as 2/4");
    }

    #[test]
    fn longest_first_into_the_emptiest_shard() {
        let tests: Vec<(String, f64)> =
            [("a", 8.0), ("b", 7.0), ("c", 6.0), ("d", 5.0), ("e", 4.0), ("f", 1.0)].map(|(n, s)| (n.into(), s)).into();
        let planned = pack(&tests, 3);
        let shown: Vec<(Vec<&str>, f64)> =
            planned.iter().map(|p| (p.tests.iter().map(String::as_str).collect(), p.seconds)).collect();
        assert_eq!(shown, [(vec!["a", "f"], 9.0), (vec!["b", "e"], 11.0), (vec!["c", "d"], 11.0)]);
    }

    #[test]
    fn a_shard_file_is_a_filterset_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shard-2.filter");
        let names = vec!["file_io.small".to_owned(), "sleeptest".to_owned()];
        let text = shard_file_text(&Shard::new(2, 3).unwrap(), &names);
        assert_eq!(text, "# harness shard 2/3\ntest(=file_io.small) | test(=sleeptest)\n");
        std::fs::write(&path, &text).unwrap();
        let part = Part::choose(None, Some(&path)).unwrap().unwrap();
        assert!(part.holds("sleeptest") && part.holds("file_io.small") && !part.holds("file_io"));
        assert_eq!(part.shard().map(ToString::to_string), Some("2/3".to_owned()));
        std::fs::write(&path, "test(=a) | name(b)\n").unwrap();
        assert_eq!(
            Part::choose(None, Some(&path)).unwrap_err(),
            format!("shard file {} line 1: `name(b)` is not test(=NAME)", path.display())
        );
        std::fs::write(&path, shard_file_text(&Shard::new(1, 1).unwrap(), &[])).unwrap();
        assert!(!Part::choose(None, Some(&path)).unwrap().unwrap().holds("a"));
    }
}
