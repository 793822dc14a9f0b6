//! The history store: runs, their tests and each measured iteration's perf
//! values, in one SQLite database (`results/history.sqlite` by default), so
//! that a metric's series over runs can be read back by test, metric and
//! machine. The schema (version 1) is written down in docs/file-formats.md.
//!
//! Many processes may import at once (WAL, a busy timeout of 30 s) and any of
//! them may be killed at any moment: a run is imported in one transaction, so
//! the store always holds complete runs only. A run imported twice is one
//! run: it is known by a key made of its job's start, tag and tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use harness_core::compare::{NoiseFigure, NoiseFigures, machine_id};
use harness_core::results::{JobResults, TestRecord};
use harness_core::stats::Summary;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS machines (
    id TEXT PRIMARY KEY,
    description TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    tag TEXT,
    start TEXT NOT NULL,
    end TEXT,
    status TEXT NOT NULL,
    git_commit TEXT,
    machine TEXT NOT NULL REFERENCES machines(id),
    sysinfo TEXT NOT NULL,
    source TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'run',
    imported TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tests (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    subdir TEXT NOT NULL,
    test TEXT NOT NULL,
    variant TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    args TEXT NOT NULL,
    duration REAL NOT NULL,
    UNIQUE (run, subdir)
);
CREATE TABLE IF NOT EXISTS perf_values (
    test INTEGER NOT NULL REFERENCES tests(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    units TEXT,
    direction TEXT NOT NULL,
    position INTEGER NOT NULL,
    value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS perf_values_by_test ON perf_values (test, metric);
CREATE INDEX IF NOT EXISTS tests_by_subdir ON tests (subdir);
";

/// What the store refuses or cannot do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("history store `{}`: {source}", path.display())]
    Sqlite {
        /// The store.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A store written by a newer harness.
    #[error("history store `{}` has schema version {found}; this harness reads version {SCHEMA_VERSION}", path.display())]
    Version {
        /// The store.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
}

/// An open history store.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    connection: Connection,
}

/// What a run is to the history: one run of the code as it was (`run`, the
/// points of the series), or one side of a `confirm` (kept, and left out of
/// the series: its rounds interleave two builds in time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A run of the code as it was.
    Run,
    /// A round of `confirm`'s BASE build.
    ConfirmBase,
    /// A round of `confirm`'s NEW build.
    ConfirmNew,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Run => "run",
            Role::ConfirmBase => "confirm-base",
            Role::ConfirmNew => "confirm-new",
        }
    }
}

/// One point of a metric's series: a run's median of the metric's measured
/// values, with their quartiles.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Point {
    /// The run's key.
    pub run: String,
    /// The run's start (RFC 3339).
    pub start: String,
    /// The run's commit, when it was recorded.
    pub git_commit: Option<String>,
    /// The median of the run's measured values of the metric.
    pub value: f64,
    /// The first quartile of those values.
    pub q1: f64,
    /// The third quartile.
    pub q3: f64,
    /// How many values that median is of.
    pub n: usize,
}

/// A run the store holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRow {
    /// Its key.
    pub key: String,
    /// Where it was imported from.
    pub source: String,
    /// Its job's start.
    pub start: String,
    /// Its job's status.
    pub status: String,
    /// Its commit, when recorded.
    pub git_commit: Option<String>,
    /// Its machine.
    pub machine: String,
}

/// A metric of a test on a machine, over runs, oldest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Series {
    /// The test's directory (`file_io.small`).
    pub test: String,
    /// The metric (`graph.description`).
    pub metric: String,
    /// Its units.
    pub units: Option<String>,
    /// `up` or `down`.
    pub direction: String,
    /// The machine's identity.
    pub machine: String,
    /// The points.
    pub points: Vec<Point>,
}

impl Store {
    /// Opens (or makes) the store at `path`.
    ///
    /// # Errors
    ///
    /// A store that cannot be opened or made, or one of another schema version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let sqlite = |source| StoreError::Sqlite { path: path.to_owned(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let connection = Connection::open(path).map_err(sqlite)?;
        connection.busy_timeout(Duration::from_secs(30)).map_err(sqlite)?;
        // WAL: readers never wait for a writer, and a killed writer leaves its
        // unfinished transaction behind, not a damaged store.
        let _: String = connection.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(sqlite)?;
        connection.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;").map_err(sqlite)?;
        let mut store = Store { path: path.to_owned(), connection };
        store.migrate()?;
        Ok(store)
    }

    fn sqlite(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Makes the schema, once; refuses a store of another version.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite { path: path.clone(), source };
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        transaction.execute_batch(SCHEMA).map_err(sqlite)?;
        let found: Option<String> = transaction
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .optional()
            .map_err(sqlite)?;
        match found.map(|v| v.parse::<i64>().unwrap_or(-1)) {
            None => {
                transaction
                    .execute(
                        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                        [SCHEMA_VERSION.to_string()],
                    )
                    .map_err(sqlite)?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(found) => return Err(StoreError::Version { path: self.path.clone(), found }),
        }
        transaction.commit().map_err(sqlite)
    }

    /// Imports the run `results` (read from `source`): `true` when it is new,
    /// `false` when the store holds it already. All of it or nothing.
    ///
    /// # Errors
    ///
    /// SQLite errors; the store is left as it was.
    pub fn import(&mut self, results: &JobResults, source: &Path, role: Role) -> Result<bool, StoreError> {
        let key = run_key(results);
        let (machine, description) = machine_id(&results.job.sysinfo);
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite { path: path.clone(), source };
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        transaction
            .execute("INSERT OR IGNORE INTO machines (id, description) VALUES (?1, ?2)", params![machine, description])
            .map_err(sqlite)?;
        let sysinfo = serde_json::to_string(&results.job.sysinfo).unwrap_or_default();
        let added = transaction
            .execute(
                "INSERT OR IGNORE INTO runs (key, tag, start, end, status, git_commit, machine, sysinfo, source, role, imported)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    key,
                    results.job.tag,
                    results.job.start,
                    results.job.end,
                    results.job.status.to_string(),
                    results.job.sysinfo.get("git_commit"),
                    machine,
                    sysinfo,
                    source.display().to_string(),
                    role.as_str(),
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                ],
            )
            .map_err(sqlite)?;
        if added == 0 {
            return Ok(false);
        }
        let run = transaction.last_insert_rowid();
        for test in flat(&results.tests) {
            transaction
                .execute(
                    "INSERT INTO tests (run, subdir, test, variant, status, reason, args, duration)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        run,
                        test.subdir,
                        test.test,
                        test.variant,
                        test.status.to_string(),
                        test.reason,
                        serde_json::to_string(&test.args).unwrap_or_default(),
                        test.duration,
                    ],
                )
                .map_err(sqlite)?;
            let test_id = transaction.last_insert_rowid();
            let mut insert = transaction
                .prepare_cached(
                    "INSERT INTO perf_values (test, metric, units, direction, position, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sqlite)?;
            for perf in &test.perf_values {
                // The measured iterations only: warm-up records nothing, the
                // profiled iteration's values are apart and left out.
                for (position, value) in perf.values.iter().enumerate().filter(|(_, v)| v.is_finite()) {
                    insert
                        .execute(params![
                            test_id,
                            perf.name(),
                            perf.units,
                            perf.improvement_direction.as_ref(),
                            i64::try_from(position).unwrap_or(i64::MAX),
                            value
                        ])
                        .map_err(sqlite)?;
                }
            }
        }
        transaction.commit().map_err(sqlite)?;
        Ok(true)
    }

    /// Every top-level test's duration in seconds, by its name (`test` or
    /// `test.variant`, as shards assign it), oldest run first.
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub fn durations(&self) -> Result<Vec<(String, f64)>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT t.test, t.variant, t.duration FROM tests t JOIN runs r ON t.run = r.id \
                 WHERE r.role = 'run' AND instr(t.subdir, '/') = 0 ORDER BY r.start, t.id",
            )
            .map_err(self.sqlite())?;
        let rows = statement
            .query_map([], |row| {
                let (test, variant, duration): (String, Option<String>, f64) = (row.get(0)?, row.get(1)?, row.get(2)?);
                Ok((variant.map_or_else(|| test.clone(), |v| format!("{test}.{v}")), duration))
            })
            .map_err(self.sqlite())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sqlite())
    }

    /// How many runs the store holds.
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub fn runs(&self) -> Result<usize, StoreError> {
        let count: i64 =
            self.connection.query_row("SELECT count(*) FROM runs", [], |r| r.get(0)).map_err(self.sqlite())?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Where the runs the store holds were imported from.
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub fn sources(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut statement = self.connection.prepare("SELECT DISTINCT source FROM runs").map_err(self.sqlite())?;
        let rows = statement.query_map([], |r| r.get::<_, String>(0)).map_err(self.sqlite())?;
        rows.collect::<Result<_, _>>().map_err(self.sqlite())
    }

    /// The runs of the series (not `confirm`'s), oldest first.
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub fn run_rows(&self) -> Result<Vec<RunRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT key, source, start, status, git_commit, machine FROM runs WHERE role = 'run' ORDER BY start, key",
            )
            .map_err(self.sqlite())?;
        let rows = statement
            .query_map([], |r| {
                Ok(RunRow {
                    key: r.get(0)?,
                    source: r.get(1)?,
                    start: r.get(2)?,
                    status: r.get(3)?,
                    git_commit: r.get(4)?,
                    machine: r.get(5)?,
                })
            })
            .map_err(self.sqlite())?;
        rows.collect::<Result<_, _>>().map_err(self.sqlite())
    }

    /// The noise figure of every series with enough runs.
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub fn noise(&self) -> Result<NoiseFigures, StoreError> {
        let figures = self
            .series()?
            .iter()
            .filter_map(|s| {
                let medians: Vec<f64> = s.points.iter().map(|p| p.value).collect();
                NoiseFigure::of(&s.test, &s.metric, &s.machine, &medians)
            })
            .collect();
        Ok(NoiseFigures::new(figures))
    }

    /// Every series of the store: per test, metric and machine, each run's
    /// median, oldest run first (by start, then key); `confirm`'s runs are
    /// left out.
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub fn series(&self) -> Result<Vec<Series>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT t.subdir, v.metric, v.units, v.direction, r.machine, r.key, r.start, r.git_commit, v.value
                 FROM perf_values v JOIN tests t ON v.test = t.id JOIN runs r ON t.run = r.id
                 WHERE r.role = 'run'
                 ORDER BY t.subdir, v.metric, r.machine, r.start, r.key, v.position",
            )
            .map_err(self.sqlite())?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, f64>(8)?,
                ))
            })
            .map_err(self.sqlite())?;
        let mut out: Vec<Series> = Vec::new();
        let mut values: Vec<f64> = Vec::new();
        let mut last: Option<(String, String, Option<String>)> = None;
        let close = |out: &mut Vec<Series>, values: &mut Vec<f64>, last: &Option<(String, String, Option<String>)>| {
            if let (Some(series), Some((run, start, git_commit))) = (out.last_mut(), last)
                && !values.is_empty()
            {
                let summary = Summary::of(values);
                series.points.push(Point {
                    run: run.clone(),
                    start: start.clone(),
                    git_commit: git_commit.clone(),
                    value: summary.median,
                    q1: summary.q1,
                    q3: summary.q3,
                    n: values.len(),
                });
            }
            values.clear();
        };
        for row in rows {
            let (test, metric, units, direction, machine, run, start, git_commit, value) =
                row.map_err(self.sqlite())?;
            let same_series = out.last().is_some_and(|s| s.test == test && s.metric == metric && s.machine == machine);
            let same_run = same_series && last.as_ref().is_some_and(|(r, _, _)| *r == run);
            if !same_run {
                close(&mut out, &mut values, &last);
                last = Some((run, start, git_commit));
            }
            if !same_series {
                out.push(Series { test, metric, units, direction, machine, points: Vec::new() });
            }
            values.push(value);
        }
        close(&mut out, &mut values, &last);
        Ok(out)
    }
}

/// Every test and subtest.
fn flat(tests: &[TestRecord]) -> Vec<&TestRecord> {
    let mut out = Vec::new();
    for test in tests {
        out.push(test);
        out.extend(flat(&test.subtests));
    }
    out
}

/// FNV-1a, 64 bits, as hex: a stable key of text.
fn fnv(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// What makes a run the same run when imported again: its job's start, tag
/// and machine, and each test's directory and start.
fn run_key(results: &JobResults) -> String {
    let (machine, _) = machine_id(&results.job.sysinfo);
    let mut text = format!("{}\n{}\n{machine}\n", results.job.start, results.job.tag.as_deref().unwrap_or(""));
    for test in flat(&results.tests) {
        text.push_str(&test.subdir);
        text.push('\t');
        text.push_str(&test.start);
        text.push('\n');
    }
    fnv(&text)
}
