//! Setup once per version: `setup` runs under an exclusive lock on
//! `<job tmpdir>/.testlock` when `<srcdir>/.version` differs from the test's version.
//!
//! Each distinct set of setup arguments builds in a srcdir of its own
//! (`<bindir>/src` when setup takes none, `<bindir>/src.<hash of the
//! arguments>` otherwise), so variants whose setup arguments differ, run at
//! once, never rebuild under each other, and each build is kept for the next
//! run.

use std::fs;
use std::io;
use std::path::Path;

use super::phase::call;
use crate::args::Args;
use crate::context::TestContext;
use crate::definition::Autotest;
use crate::failure::{Failure, TestResult};
use crate::files::{open_no_follow, read_no_follow, write_bytes_atomic};
use crate::phase::Phase;
use crate::results::formats::pyfmt::str_repr;
use crate::schema::Version;
use crate::text::fnv1a;

/// The bytes autotest's `update_version` pickles for a version (Python 2, protocol
/// 0), so a srcdir built by autotest is recognised and vice versa: `I1\n.` for 1,
/// `S'2.0'\np0\n.` for "2.0".
#[must_use]
pub(crate) fn version_file_text(version: Version) -> String {
    match version {
        Version::Int(v) => format!("I{v}\n."),
        Version::Str(v) => format!("S{}\np0\n.", str_repr(v)),
    }
}

/// The text of `<srcdir>/.version`, if there is one.
pub(crate) fn read_version_file(srcdir: &Path) -> Option<String> {
    read_no_follow(&srcdir.join(".version"))
}

fn write_version_file(srcdir: &Path, version: Version) -> crate::error::Result<()> {
    write_bytes_atomic(&srcdir.join(".version"), version_file_text(version).as_bytes())
}

/// Where harness keeps the arguments a srcdir was built with, beside `.version`.
const SETUP_ARGS_FILE: &str = ".harness-setup-args";

/// The arguments `setup` receives, as sorted JSON: those it declares, and with
/// `#[args]` every test argument. `{}` when there are none (and when a srcdir
/// was built by autotest, which kept none).
fn setup_args_text(info: &crate::schema::TestInfo, args: &Args) -> String {
    let table = info.phase(Phase::Setup);
    let declared = |name: &str| table.is_some_and(|t| t.accepts_all() || t.params().iter().any(|p| p.name() == name));
    let picked: std::collections::BTreeMap<&str, &serde_json::Value> =
        args.iter().filter(|(name, _)| declared(name) && !crate::validate::EXECUTE_ARGS.contains(name)).collect();
    serde_json::to_string(&picked).unwrap_or_default()
}

/// The srcdir's name for a run with `args` (without the job's own arguments):
/// `src` when setup takes no arguments (autotest's) or the test preserves its
/// srcdir (its sources are shipped there), else `src.<16 hex digits>` of the
/// arguments (FNV-1a, stable across builds and machines).
pub(crate) fn srcdir_name(info: &crate::schema::TestInfo, args: &Args) -> String {
    let text = setup_args_text(info, args);
    if text == "{}" || info.preserve_srcdir() || !info.has_phase(Phase::Setup) {
        return "src".to_owned();
    }
    format!("src.{:016x}", fnv1a(&text))
}

/// autotest's `update_version` under the job's `.testlock`: when the version file
/// does not match, remove srcdir (unless `preserve_srcdir`), run `setup`, and
/// write `.version` atomically if srcdir exists afterwards. A failing setup
/// leaves no `.version`, so the next run tries again.
pub(crate) fn setup_once(test: &mut dyn Autotest, ctx: &mut TestContext, args: &Args) -> TestResult {
    let info = test.info();
    // A test without `setup` has nothing to build (and nothing to lock for).
    if !info.has_phase(Phase::Setup) {
        return Ok(());
    }
    let bindir = ctx.bindir().to_owned();
    if fs::symlink_metadata(&bindir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Failure::error(format!(
            "refusing `{}`: it is a symbolic link; harness does not follow links in its state",
            bindir.display()
        )));
    }
    fs::create_dir_all(&bindir).map_err(|e| Failure::error(format!("cannot create `{}`: {e}", bindir.display())))?;
    let lock_path = ctx.job().tmpdir().join(".testlock");
    let lock =
        open_no_follow(&lock_path, true).map_err(|e| Failure::error(format!("cannot open the setup lock: {e}")))?;
    lock.lock().map_err(|e| Failure::error(format!("cannot lock `{}`: {e}", lock_path.display())))?;
    let srcdir = ctx.srcdir().to_owned();
    let wanted = version_file_text(info.version());
    let setup_args = setup_args_text(info, args);
    if read_version_file(&srcdir).as_deref() == Some(wanted.as_str()) {
        let built_with = read_no_follow(&srcdir.join(SETUP_ARGS_FILE)).unwrap_or_else(|| "{}".to_owned());
        if built_with == setup_args {
            crate::debuglog::note(&format!("setup skipped: {} is at version {}", srcdir.display(), info.version()));
            return Ok(());
        }
        // A deliberate difference from autotest: a build is never labelled with
        // arguments it was not made with.
        crate::debuglog::note(&format!(
            "setup runs again: {} was built with {built_with}, this run's setup arguments are {setup_args}",
            srcdir.display()
        ));
    }
    if !info.preserve_srcdir() && srcdir.exists() {
        fs::remove_dir_all(&srcdir)
            .map_err(|e| Failure::error(format!("cannot remove `{}`: {e}", srcdir.display())))?;
    }
    crate::debuglog::note(&format!("running setup for version {}", info.version()));
    call(test, Phase::Setup, ctx, args)?;
    if srcdir.is_dir() {
        // The arguments first: a `.version` always has the arguments of its build beside it.
        let args_file = srcdir.join(SETUP_ARGS_FILE);
        let written = if setup_args == "{}" {
            match fs::remove_file(&args_file) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(crate::error::Error::io("remove", &args_file, e)),
                _ => Ok(()),
            }
        } else {
            write_bytes_atomic(&args_file, setup_args.as_bytes())
        };
        written.map_err(|e| Failure::error(e.to_string()))?;
        write_version_file(&srcdir, info.version()).map_err(|e| Failure::error(e.to_string()))?;
    }
    // The lock is released when `lock` is dropped.
    drop(lock);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_files_are_autotests_pickles() {
        assert_eq!(version_file_text(Version::Int(1)), "I1\n.");
        assert_eq!(version_file_text(Version::Int(2)), "I2\n.");
        assert_eq!(version_file_text(Version::Str("2.0")), "S'2.0'\np0\n.");
        let dir = tempfile::tempdir().unwrap();
        write_version_file(dir.path(), Version::Str("2.0")).unwrap();
        assert_eq!(read_version_file(dir.path()).unwrap(), "S'2.0'\np0\n.");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
