//! Where the state that outlives a run lives: the sources `setup` builds
//! (`<state>/tests`) and the setup lock and scratch directories (`<state>/tmp`).
//!
//! By default one directory per harness binary in the user's cache
//! (`$XDG_CACHE_HOME/harness/<binary>`, else `~/.cache/harness/<binary>`), so
//! every run of that binary shares its builds, as autotest's tests shared their
//! `src` between jobs, and nothing is written beside a results directory.
//! `HARNESS_STATE_DIR` names another.

use std::path::PathBuf;

/// The environment variable that names the state directory.
pub(crate) const STATE_DIR_ENV: &str = "HARNESS_STATE_DIR";

/// The running binary's name without cargo's hash:
/// `autotests-0123456789abcdef` -> `autotests`.
pub(crate) fn binary_name() -> String {
    let stem = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "harness".to_owned());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}

/// `HARNESS_STATE_DIR`, else the user's cache directory for this binary; `None`
/// when the environment names no home (then a job keeps its state inside its
/// results directory).
pub(crate) fn default_state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(cache.join("harness").join(binary_name()))
}
