//! `report --merge DIR... --into OUT`: the results of a suite spread over
//! several machines (nextest's `--partition`, one results directory per
//! shard) joined into one job: one `status.log` with every test, the test
//! directories, `results.json`, `junit.xml` and `.autoserv_execute`.
//!
//! Every job directory found under each shard (a directory with a
//! `status.log` and a job keyval) gives its top-level tests, in the order the
//! jobs started. A test whose output directory two jobs share (a nextest
//! retry, or shards that overlap) is kept once, from the job that started
//! last, and reported; a shard without any job is reported; `--shards N`
//! refuses a merge of another number of shards.
//!
//! A shard is data from another machine, not trusted: a test directory must be
//! a plain relative path inside its job (no `..`, no absolute path, no link on
//! the way), links inside it are copied as links and never followed, nothing is
//! written outside `--into`, and where a shard's `results.json` disagrees with
//! its `status.log` about a verdict, `status.log` (the record) wins and the
//! disagreement is reported.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use harness_core::Error;
use harness_core::Status;
use harness_core::results::{
    JobExit, JobResults, StatusCode, StatusEntry, StatusLog, TestRecord, read_keyval, rebuild_job_files,
    write_finished, write_job_files, write_keyval,
};

use crate::error::CliError;

/// How deep under a shard job directories are looked for
/// (`<root>/<binary>/<test>/<run>` is three levels).
const MAX_DEPTH: usize = 6;

/// One job directory of a shard.
struct ShardJob {
    dir: PathBuf,
    started: i64,
    log: StatusLog,
    text: String,
    results: Option<JobResults>,
    /// `K/N` from its keyval, when it ran one shard of a suite.
    shard: Option<String>,
}

/// One test of the merged job.
struct MergedTest {
    subdir: String,
    /// Its lines of `status.log`, with their indentation.
    lines: Vec<String>,
    from: PathBuf,
    record: Option<TestRecord>,
}

/// What a merge made, and what the reader must hear about it.
pub(crate) struct Merged {
    pub(crate) results: JobResults,
    /// The tests each shard's jobs hold, as `(binary, test)`.
    pub(crate) ran: std::collections::BTreeSet<crate::expect::TestId>,
    /// Duplicates, empty shards.
    pub(crate) notes: Vec<String>,
    /// Shards whose `results.json` contradicts their `status.log`: the merge
    /// kept `status.log`'s verdict, and fails.
    pub(crate) conflicts: Vec<String>,
    /// What the jobs' `shard=K/N` keyvals say is missing, or disagreeing
    /// shard counts: the merge is not of the whole suite, and fails.
    pub(crate) incomplete: Vec<String>,
}

/// Merges `shards` into `into`.
///
/// # Errors
///
/// A wrong number of shards, an `into` that holds files, unreadable logs, a
/// test directory that is not a plain path inside its job, I/O errors.
pub(crate) fn merge(shards: &[PathBuf], into: &Path, expected: Option<usize>) -> Result<Merged, CliError> {
    if let Some(expected) = expected
        && expected != shards.len()
    {
        return Err(CliError::ShardCount { expected, got: shards.len() });
    }
    let mut notes = Vec::new();
    let mut jobs = Vec::new();
    for shard in shards {
        if !shard.is_dir() {
            return Err(Error::NotResults { path: shard.clone() }.into());
        }
        let before = jobs.len();
        find_jobs(shard, 0, &mut jobs)?;
        if jobs.len() == before {
            notes.push(format!("shard {} holds no job", shard.display()));
        }
    }
    jobs.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.dir.cmp(&b.dir)));
    // In merge order; a test run again in a later shard leaves a hole where it was.
    let mut slots: Vec<Option<MergedTest>> = Vec::new();
    let mut at_subdir: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut aborted = false;
    for job in &jobs {
        aborted |= job.log.groups.first().is_some_and(|g| g.status == Status::Abort);
        for test in tests_of(job)? {
            if let Some(earlier) = at_subdir.insert(test.subdir.clone(), slots.len()).and_then(|at| slots[at].take()) {
                notes.push(format!(
                    "`{}` ran in {} and in {}: the merge keeps the later run",
                    test.subdir,
                    earlier.from.display(),
                    test.from.display()
                ));
            }
            slots.push(Some(test));
        }
    }
    let tests: Vec<MergedTest> = slots.into_iter().flatten().collect();
    for test in &tests {
        source_dir(&test.from, &test.subdir)?;
    }
    claim_empty(into)?;
    // A merge that fails half-way leaves no half-merged job behind.
    let merged = write_job(into, &jobs, &tests, aborted).and_then(|()| finish(into, tests, aborted));
    if merged.is_err() {
        let _ = fs::remove_dir_all(into);
    }
    let (results, conflicts) = merged?;
    let ran = jobs.iter().filter_map(|job| crate::expect::test_of(&job.dir)).collect();
    let incomplete = incomplete(&jobs);
    Ok(Merged { results, ran, notes, conflicts, incomplete })
}

/// What the shards the jobs ran (`shard=K/N` in their keyvals) leave out:
/// each shard of N that no job ran, or jobs that disagree on N.
fn incomplete(jobs: &[ShardJob]) -> Vec<String> {
    let mut seen: BTreeMap<u32, std::collections::BTreeSet<u32>> = BTreeMap::new();
    for job in jobs {
        let parsed = job.shard.as_deref().and_then(|s| harness_core::shard::Shard::parse(s).ok());
        if let Some(shard) = parsed {
            seen.entry(shard.total()).or_default().insert(shard.index());
        }
    }
    if seen.len() > 1 {
        let totals: Vec<String> = seen.keys().map(ToString::to_string).collect();
        return vec![format!("the jobs ran shards of different suites: of {} shards", totals.join(" and of "))];
    }
    let Some((total, indices)) = seen.into_iter().next() else { return Vec::new() };
    (1..=total)
        .filter(|k| !indices.contains(k))
        .map(|k| {
            format!("shard {k}/{total} is in no job merged: a shard did not run, or its results were not copied in")
        })
        .collect()
}

/// The directory of the test `subdir` in the job `job`, when it is one: a
/// plain path below the job, no link on the way. `None` when it does not exist
/// (nothing to copy).
fn source_dir(job: &Path, subdir: &str) -> Result<Option<PathBuf>, CliError> {
    // A refused subdir is shown as `check_subdir` shows it: cut, and escaped.
    let shown = match harness_core::results::check_subdir(subdir) {
        Ok(()) => subdir.to_owned(),
        Err(Error::InvalidName { value, reason, .. }) => {
            return Err(CliError::UnsafeTestDir { subdir: value, job: job.to_owned(), reason: reason.to_owned() });
        }
        Err(other) => return Err(other.into()),
    };
    let refuse = |reason: String| CliError::UnsafeTestDir { subdir: shown.clone(), job: job.to_owned(), reason };
    let mut at = job.to_owned();
    let mut walked = String::new();
    for part in subdir.split('/') {
        at.push(part);
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(part);
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse(format!("`{walked}` is a symbolic link; a merge never follows links")));
            }
            Ok(meta) if !meta.is_dir() => return Err(refuse(format!("`{walked}` is not a directory"))),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CliError::io("read", &at, e)),
        }
    }
    Ok(Some(at))
}

/// Makes the directory `subdir` below `into`, refusing a link on the way (a
/// link copied in from an earlier test's directory).
fn target_dir(into: &Path, subdir: &str) -> Result<PathBuf, CliError> {
    let mut at = into.to_owned();
    for part in subdir.split('/') {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(CliError::io(
                    "create",
                    &at,
                    std::io::Error::other("it is already in the merged job, and not as a directory"),
                ));
            }
            Err(_) => fs::create_dir(&at).map_err(|e| CliError::io("create", &at, e))?,
        }
    }
    Ok(at)
}

/// Finds the job directories under `dir`.
fn find_jobs(dir: &Path, depth: usize, out: &mut Vec<ShardJob>) -> Result<(), CliError> {
    let log = dir.join("status.log");
    if log.is_file() && dir.join("keyval").is_file() {
        let keyval = read_keyval(dir, None).map_err(CliError::from)?;
        if keyval.contains_key("status_version") {
            let text = fs::read_to_string(&log).map_err(|e| CliError::io("read", &log, e))?;
            let results = JobResults::read(dir.join("results.json")).ok();
            out.push(ShardJob {
                dir: dir.to_owned(),
                started: keyval.get("job_started").and_then(|v| v.to_string().parse().ok()).unwrap_or(0),
                log: StatusLog::parse(&text).map_err(CliError::from)?,
                text,
                results,
                shard: keyval.get("shard").map(ToString::to_string),
            });
            return Ok(());
        }
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| CliError::io("read", dir, e))?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    entries.sort();
    for entry in entries {
        find_jobs(&entry, depth + 1, out)?;
    }
    Ok(())
}

/// The top-level tests of a job, each with its lines; a test the job never
/// closed gets the ABORT lines TKO would give it.
fn tests_of(job: &ShardJob) -> Result<Vec<MergedTest>, CliError> {
    let mut tests: Vec<MergedTest> = Vec::new();
    let mut groups = job.log.groups.iter().filter(|g| g.depth == 1);
    for line in harness_core::results::complete_lines(&job.text) {
        let indent = line.len() - line.trim_start_matches('\t').len();
        if indent == 0 && !line.starts_with("  ") {
            continue;
        }
        let starts_test = indent == 1 && line[1..].starts_with("START\t");
        if starts_test {
            let Some(group) = groups.next() else { break };
            tests.push(MergedTest {
                subdir: group.subdir.clone().unwrap_or_else(|| group.operation.clone().unwrap_or_default()),
                lines: Vec::new(),
                from: job.dir.clone(),
                record: None,
            });
        }
        if let Some(test) = tests.last_mut() {
            test.lines.push(line.to_owned());
        }
    }
    let mut records: std::collections::HashMap<&str, &TestRecord> = std::collections::HashMap::new();
    for record in job.results.iter().flat_map(|r| r.tests.iter()) {
        records.entry(record.subdir.as_str()).or_insert(record);
    }
    for (test, group) in tests.iter_mut().zip(job.log.groups.iter().filter(|g| g.depth == 1)) {
        if group.closed_by_reader {
            let (subdir, operation) = (group.subdir.as_deref(), group.operation.as_deref());
            let status = StatusEntry::new(
                StatusCode::Status(Status::Abort),
                subdir,
                operation,
                harness_core::results::ABORTED_UNEXPECTEDLY,
            )?;
            let end = StatusEntry::new(StatusCode::End(Status::Abort), subdir, operation, "")?;
            test.lines.push(format!("\t\t{}", status.render()));
            test.lines.push(format!("\t{}", end.render()));
        }
        test.record = records.get(test.subdir.as_str()).map(|record| (*record).clone());
    }
    Ok(tests)
}

/// Makes `into`, refusing one that holds files.
fn claim_empty(into: &Path) -> Result<(), CliError> {
    match fs::create_dir_all(into) {
        Ok(()) => {}
        Err(e) => return Err(CliError::io("create", into, e)),
    }
    let occupied = fs::read_dir(into).map_err(|e| CliError::io("read", into, e))?.next().is_some();
    if occupied {
        return Err(CliError::IntoNotEmpty { path: into.to_owned() });
    }
    Ok(())
}

/// The job keyval, `status.log` and test directories of the merged job.
fn write_job(into: &Path, jobs: &[ShardJob], tests: &[MergedTest], aborted: bool) -> Result<(), CliError> {
    let started = jobs.iter().map(|j| j.started).min().unwrap_or_else(|| chrono::Utc::now().timestamp());
    let finished = jobs
        .iter()
        .filter_map(|j| read_keyval(&j.dir, None).ok()?.get("job_finished")?.to_string().parse::<i64>().ok())
        .max()
        .unwrap_or(started);
    let mut keyval = vec![
        ("status_version".to_owned(), "1".to_owned()),
        ("job_started".to_owned(), started.to_string()),
        ("job_finished".to_owned(), finished.to_string()),
        ("harness_merged_jobs".to_owned(), jobs.len().to_string()),
    ];
    // The machine of the first job (shards of one suite run on one kind of machine).
    if let Some(first) = jobs.first() {
        let theirs = read_keyval(&first.dir, None).unwrap_or_default();
        keyval
            .extend(theirs.iter().filter(|(k, _)| k.starts_with("sysinfo-")).map(|(k, v)| (k.clone(), v.to_string())));
    }
    // What made any shard's numbers noisy (a debug build, turbo, ...), each once.
    let mut noise: Vec<String> = Vec::new();
    for job in jobs {
        let theirs = read_keyval(&job.dir, None).unwrap_or_default();
        for (key, value) in &theirs {
            if key.starts_with("noise-") && !noise.contains(&value.to_string()) {
                noise.push(value.to_string());
            }
        }
    }
    keyval.extend(noise.iter().enumerate().map(|(n, text)| (format!("noise-{}", n + 1), text.clone())));
    write_keyval(into, keyval, None)?;
    let mut log = String::new();
    log.push_str(&StatusEntry::new(StatusCode::Start, None, None, "")?.with_timestamp(started).render());
    log.push('\n');
    for test in tests {
        for line in &test.lines {
            log.push_str(line);
            log.push('\n');
        }
        if let Some(from) = source_dir(&test.from, &test.subdir)? {
            copy_tree(&from, &target_dir(into, &test.subdir)?)?;
        }
    }
    let end = if aborted { Status::Abort } else { Status::Good };
    log.push_str(&StatusEntry::new(StatusCode::End(end), None, None, "")?.with_timestamp(finished).render());
    log.push('\n');
    let path = into.join("status.log");
    fs::write(&path, log).map_err(|e| CliError::io("write", &path, e))
}

/// `results.json`, `junit.xml` and `.autoserv_execute` of the merged job:
/// each test's live record where its shard wrote one that agrees with its
/// `status.log`, else rebuilt from the log; and the disagreements.
fn finish(into: &Path, tests: Vec<MergedTest>, aborted: bool) -> Result<(JobResults, Vec<String>), CliError> {
    let rebuilt = rebuild_job_files(into)?;
    let mut live: BTreeMap<String, (TestRecord, PathBuf)> =
        tests.into_iter().filter_map(|t| t.record.map(|r| (t.subdir, (r, t.from)))).collect();
    let mut conflicts = Vec::new();
    let records: Vec<TestRecord> = rebuilt
        .tests
        .into_iter()
        .map(|rebuilt| match live.remove(&rebuilt.subdir) {
            Some((record, from)) if record.status != rebuilt.status => {
                conflicts.push(format!(
                    "`{}` in {}: results.json says {}, status.log says {}; the merge keeps status.log's {}",
                    rebuilt.subdir,
                    from.display(),
                    record.status,
                    rebuilt.status,
                    rebuilt.status
                ));
                rebuilt
            }
            Some((mut record, _)) => {
                record.outputdir = into.join(&record.subdir);
                record
            }
            None => rebuilt,
        })
        .collect();
    let parse = |text: &str| chrono::DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&chrono::Utc));
    let now = chrono::Utc::now();
    let started = parse(&rebuilt.job.start).unwrap_or(now);
    let finished = parse(&rebuilt.job.end).unwrap_or(started);
    let status = if aborted { Status::Abort } else { Status::of_job(records.iter().map(|r| r.status)) };
    write_job_files(into, Some("merged"), status, started, finished, &records.iter().collect::<Vec<_>>())?;
    let exit = match status {
        Status::Abort => JobExit::Signalled(nix::libc::SIGINT),
        s if s.is_failure() => JobExit::Exited(1),
        _ => JobExit::Exited(0),
    };
    write_finished(into, exit)?;
    Ok((JobResults::read(into.join("results.json"))?, conflicts))
}

/// Copies the contents of the directory `from` into the directory `to`
/// (files and directories; links as links, never followed). Nothing is
/// written through an existing name: files are created new, so a link already
/// in `to` cannot redirect a write.
fn copy_tree(from: &Path, to: &Path) -> Result<(), CliError> {
    let io = |what: &'static str, path: &Path| {
        let path = path.to_owned();
        move |e| CliError::io(what, &path, e)
    };
    for entry in fs::read_dir(from).map_err(io("read", from))? {
        let entry = entry.map_err(io("read", from))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(io("read", &source))?;
        if kind.is_dir() {
            fs::create_dir(&target).map_err(io("create", &target))?;
            copy_tree(&source, &target)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(&source).map_err(io("read", &source))?;
            std::os::unix::fs::symlink(link, &target).map_err(io("create", &target))?;
        } else if kind.is_file() {
            let mut reader = fs::File::options()
                .read(true)
                .custom_flags(nix::libc::O_NOFOLLOW)
                .open(&source)
                .map_err(io("read", &source))?;
            let mut writer =
                fs::File::options().write(true).create_new(true).open(&target).map_err(io("create", &target))?;
            std::io::copy(&mut reader, &mut writer).map_err(io("copy", &source))?;
        }
        // A FIFO, socket or device is not a result: left out (reading a FIFO would block).
    }
    Ok(())
}
