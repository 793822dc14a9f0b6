//! `bundle --out suite.tar` packs what a machine without Rust needs to run
//! the suite: this harness binary, the `test_main()` binaries given, control
//! files and data, and `manifest.json` (the machine the binaries are for,
//! the harness version, the tests, each file's size and SHA-256). `run
//! --bundle suite.tar ...` checks the bundle whole, unpacks it into a private
//! directory and runs its harness binary with the rest of the command line.
//!
//! A bundle is a plain tar (`tar -tf suite.tar` lists it) with every file's
//! time set to 0, so the same inputs make the same bytes.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::exit::{EXIT_OK, EXIT_USAGE};
use crate::console::print_out;

/// The manifest's name in a bundle.
const MANIFEST: &str = "manifest.json";
/// The manifest's format version.
const BUNDLE_VERSION: u32 = 1;
/// The largest manifest read (a bundle's, not a file of its).
const MAX_MANIFEST: u64 = 16 << 20;

/// What a bundle holds, as `manifest.json` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Manifest {
    bundle_version: u32,
    harness_version: String,
    /// `std::env::consts::ARCH` and `OS` of the machine the binaries run on.
    arch: String,
    os: String,
    /// The harness binary `run --bundle` runs, a path in the bundle.
    entry: String,
    /// The tests the harness binary holds, each with its version.
    tests: Vec<BundledTest>,
    /// Every other file: its path in the bundle, what it is, size and SHA-256.
    files: Vec<BundledFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BundledTest {
    /// `test` or `test.variant`.
    name: String,
    /// As the test keyval's `version` says it (`1`, `2.0`).
    version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BundledFile {
    path: String,
    /// `harness`, `test_main`, `control` or `data`.
    kind: String,
    size: u64,
    sha256: String,
}

/// What `bundle` packs.
#[derive(Debug, Default)]
pub(crate) struct BundleArgs {
    pub(crate) out: PathBuf,
    pub(crate) binaries: Vec<PathBuf>,
    pub(crate) controls: Vec<PathBuf>,
    pub(crate) data: Vec<PathBuf>,
}

/// `bundle`: exit 0 with the bundle's path, or 2 naming what could not be
/// packed (and no bundle left behind).
pub(crate) fn bundle(args: &BundleArgs) -> i32 {
    match make(args) {
        Ok(manifest) => {
            print_out(&format!(
                "{}: {} tests, {} files for {}-{}\n",
                args.out.display(),
                manifest.tests.len(),
                manifest.files.len(),
                manifest.arch,
                manifest.os
            ));
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: bundle: {e}");
            EXIT_USAGE
        }
    }
}

/// Every file to pack: its path in the bundle, its kind, and where it is.
fn inputs(args: &BundleArgs) -> Result<Vec<(String, &'static str, PathBuf)>, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut out = vec![(format!("bin/{}", file_name(&me)?), "harness", me)];
    for binary in &args.binaries {
        out.push((format!("bin/{}", file_name(binary)?), "test_main", binary.clone()));
    }
    for control in &args.controls {
        out.push((format!("control/{}", file_name(control)?), "control", control.clone()));
    }
    // What the tests declare (`data("tests/data")`), under its path in its
    // crate, where `TestContext::data` looks; then what the command line adds.
    let mut trees: Vec<(PathBuf, String)> = Vec::new();
    for registration in crate::registry::all() {
        let info = registration.info();
        for path in info.data() {
            let tree = (info.data_source(path), format!("data/{}", path.trim_start_matches("./")));
            if !trees.contains(&tree) {
                trees.push(tree);
            }
        }
    }
    for data in &args.data {
        trees.push((data.clone(), format!("data/{}", file_name(data)?)));
    }
    for (from, name) in trees {
        add_tree(from, name, &mut out)?;
    }
    let mut seen = BTreeMap::new();
    for (name, _, from) in &out {
        if let Some(earlier) = seen.insert(name.clone(), from.clone()) {
            return Err(format!("{} and {} would both be `{name}` in the bundle", earlier.display(), from.display()));
        }
    }
    Ok(out)
}

/// Every regular file under `from` (or `from` itself), named below `name`.
fn add_tree(from: PathBuf, name: String, out: &mut Vec<(String, &'static str, PathBuf)>) -> Result<(), String> {
    let mut stack = vec![(from, name)];
    while let Some((at, name)) = stack.pop() {
        let meta = std::fs::symlink_metadata(&at).map_err(|e| format!("{}: {e}", at.display()))?;
        if meta.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(&at)
                .map_err(|e| format!("{}: {e}", at.display()))?
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for entry in entries.into_iter().rev() {
                let child = format!("{name}/{}", file_name(&entry)?);
                stack.push((entry, child));
            }
        } else if meta.is_file() {
            out.push((name, "data", at));
        } else {
            return Err(format!("{}: not a regular file or a directory (a bundle holds no links)", at.display()));
        }
    }
    Ok(())
}

fn file_name(path: &Path) -> Result<String, String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: no file name in UTF-8", path.display()))
}

/// Writes the bundle to `<out>.partial`, then renames it into place.
fn make(args: &BundleArgs) -> Result<Manifest, String> {
    let inputs = inputs(args)?;
    let mut files = Vec::new();
    for (name, kind, from) in &inputs {
        let (size, sha256) = digest_file(from)?;
        files.push(BundledFile { path: name.clone(), kind: (*kind).to_owned(), size, sha256 });
    }
    let manifest = Manifest {
        bundle_version: BUNDLE_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_owned(),
        arch: std::env::consts::ARCH.to_owned(),
        os: std::env::consts::OS.to_owned(),
        entry: files[0].path.clone(),
        tests: crate::registry::names()
            .map(|(name, registration, _)| BundledTest {
                name: name.into_owned(),
                version: registration.info().version().to_string(),
            })
            .collect(),
        files,
    };
    let partial = PathBuf::from(format!("{}.partial", args.out.display()));
    let written = write_tar(&partial, &manifest, &inputs)
        .and_then(|()| std::fs::rename(&partial, &args.out).map_err(|e| format!("{}: {e}", args.out.display())));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written.map(|()| manifest)
}

fn write_tar(path: &Path, manifest: &Manifest, inputs: &[(String, &'static str, PathBuf)]) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let text = serde_json::to_vec_pretty(manifest).map_err(|e| e.to_string())?;
    tar.append_data(&mut header(text.len() as u64, 0o644), MANIFEST, text.as_slice()).map_err(fail)?;
    for ((name, kind, from), listed) in inputs.iter().zip(&manifest.files) {
        let source = std::fs::File::open(from).map_err(|e| format!("{}: {e}", from.display()))?;
        let mode = if matches!(*kind, "harness" | "test_main") { 0o755 } else { 0o644 };
        // Exactly the bytes digested: a file that grew since is cut, one that shrank refused.
        let mut exact = Exact { inner: source.take(listed.size), left: listed.size };
        let mut head = header(listed.size, mode);
        tar.append_data(&mut head, name, &mut exact).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    let mut out = tar.into_inner().map_err(fail)?;
    out.flush().map_err(fail)?;
    out.get_ref().sync_all().map_err(fail)
}

/// A reader of exactly `left` more bytes: an end before them is an error
/// (the tar writer would pad a short file silently).
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: std::io::Read> std::io::Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "it shrank while it was bundled"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn header(size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header
}

fn digest_file(path: &Path) -> Result<(u64, String), String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A bundle of this binary alone in `dir`, for `run --remote`: its path and
/// the harness binary's path in it.
pub(crate) fn for_devices(dir: &Path) -> Result<(PathBuf, String), String> {
    let out = dir.join("suite.tar");
    let manifest = make(&BundleArgs { out: out.clone(), ..BundleArgs::default() })?;
    Ok((out, manifest.entry))
}

/// `run --bundle FILE ...`: the bundle checked and unpacked into a private
/// directory beside it, then its harness binary run with `args` (the command line
/// without `--bundle FILE`; a `--control NAME` naming a bundled control file
/// points at it), in this directory. Its exit status, or 2 for a bundle that
/// is not whole or not for this machine.
pub(crate) fn run_bundle(bundle: &Path, args: &[OsString]) -> i32 {
    // Beside the bundle, not in /tmp: a device's /tmp is often `noexec`.
    // Absolute: the tests find their data by it whatever their working directory.
    let beside =
        crate::files::absolute(bundle.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")));
    let dir = match tempfile::Builder::new().prefix(".harness-bundle-").tempdir_in(beside) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: run --bundle: cannot make a directory to unpack into: {e}");
            return EXIT_USAGE;
        }
    };
    let manifest = match unpack(bundle, dir.path()) {
        Ok(manifest) => manifest,
        Err(e) => {
            eprintln!("error: run --bundle {}: {e}", bundle.display());
            return EXIT_USAGE;
        }
    };
    let mut rest = without_bundle(args);
    let controls: BTreeMap<String, PathBuf> = manifest
        .files
        .iter()
        .filter(|f| f.kind == "control")
        .filter_map(|f| Some((f.path.strip_prefix("control/")?.to_owned(), dir.path().join(&f.path))))
        .collect();
    for at in 0..rest.len() {
        if rest[at] == "--control"
            && let Some(path) = rest
                .get(at + 1)
                .and_then(|n| n.to_str())
                .and_then(|n| controls.get(n.strip_prefix("control/").unwrap_or(n)))
        {
            rest[at + 1] = path.clone().into_os_string();
        }
    }
    let status = std::process::Command::new(dir.path().join(&manifest.entry))
        .args(&rest)
        .env("HARNESS_BUNDLE_DATA", dir.path().join("data"))
        .status();
    match status {
        Ok(status) => status.code().unwrap_or(EXIT_USAGE),
        Err(e) => {
            eprintln!("error: run --bundle: cannot start {}: {e}", manifest.entry);
            EXIT_USAGE
        }
    }
}

/// The command line after the program's name, without `--bundle FILE`.
fn without_bundle(args: &[OsString]) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut skip = false;
    for arg in args.iter().skip(1) {
        if skip {
            skip = false;
        } else if arg == "--bundle" {
            skip = true;
        } else if !arg.to_str().is_some_and(|a| a.starts_with("--bundle=")) {
            out.push(arg.clone());
        }
    }
    out
}

/// Checks `bundle` and unpacks it into `dir`: its manifest first, for this
/// machine, then exactly the files it lists, each of its size and SHA-256,
/// each a plain path below `dir`.
fn unpack(bundle: &Path, dir: &Path) -> Result<Manifest, String> {
    let file = std::fs::File::open(bundle).map_err(|e| e.to_string())?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut entries = archive.entries().map_err(|e| e.to_string())?;
    let mut first = entries.next().ok_or("it is empty")?.map_err(|e| e.to_string())?;
    if entry_name(&first)? != MANIFEST {
        return Err(format!("its first file is not {MANIFEST}: not a harness bundle"));
    }
    let mut text = String::new();
    (&mut first).take(MAX_MANIFEST).read_to_string(&mut text).map_err(|e| format!("{MANIFEST}: {e}"))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| format!("{MANIFEST}: {e}"))?;
    if manifest.bundle_version != BUNDLE_VERSION {
        return Err(format!("bundle version {} (this harness reads {BUNDLE_VERSION})", manifest.bundle_version));
    }
    if (manifest.arch.as_str(), manifest.os.as_str()) != (std::env::consts::ARCH, std::env::consts::OS) {
        return Err(format!(
            "its binaries are for {}-{}, this machine is {}-{}",
            manifest.arch,
            manifest.os,
            std::env::consts::ARCH,
            std::env::consts::OS
        ));
    }
    let mut expected: BTreeMap<&str, &BundledFile> = manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    for entry in entries {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let name = entry_name(&entry)?;
        let listed = expected.remove(name.as_str()).ok_or_else(|| format!("`{name}` is not in its manifest"))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(format!("`{name}` is not a regular file"));
        }
        let target = dir.join(&name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let mode = if matches!(listed.kind.as_str(), "harness" | "test_main") { 0o755 } else { 0o644 };
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&target)
            .map_err(|e| format!("{}: {e}", target.display()))?;
        let mut hasher = sha2::Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = entry.read(&mut buffer).map_err(|e| format!("`{name}`: {e}"))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            out.write_all(&buffer[..n]).map_err(|e| format!("{}: {e}", target.display()))?;
            size += n as u64;
        }
        let sha256 = hex(&hasher.finalize());
        if size != listed.size || sha256 != listed.sha256 {
            return Err(format!(
                "`{name}` is damaged: {size} bytes, SHA-256 {sha256}; the manifest says {} bytes, {}",
                listed.size, listed.sha256
            ));
        }
    }
    if let Some(missing) = expected.keys().next() {
        return Err(format!("`{missing}` is in its manifest and not in the bundle (a bundle cut short?)"));
    }
    Ok(manifest)
}

/// An entry's path, when it is a plain relative path of normal parts.
fn entry_name<R: std::io::Read>(entry: &tar::Entry<'_, R>) -> Result<String, String> {
    let path = entry.path().map_err(|e| e.to_string())?;
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    let name = path.to_str().filter(|_| plain).ok_or_else(|| {
        format!("`{}` is not a plain path inside the bundle", crate::text::shown(&path.to_string_lossy()))
    })?;
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_shrank_since_it_was_digested_is_an_error_not_padding() {
        let mut whole = Vec::new();
        Exact { inner: &b"abc"[..], left: 3 }.read_to_end(&mut whole).unwrap();
        assert_eq!(whole, b"abc");
        let error = Exact { inner: &b"abc"[..], left: 5 }.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(error.to_string(), "it shrank while it was bundled");
    }
}
