//! The file operations every writer shares: whole files replaced atomically,
//! appends that never leave a partial line behind, files readable by the
//! user's group as the umask allows, and private directories nobody else can
//! plant links in.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes a whole file through a temporary file in the same directory and a
/// rename, so a reader or a crash sees the old file or the new one, never a
/// part. The file gets mode `0666` less the umask, as `File::create` would.
///
/// # Errors
///
/// [`Error::Io`] naming the file; the old file is then unchanged.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<&mut fs::File>) -> io::Result<()>,
) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    let prefix = format!(".{}.", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    {
        let mut writer = io::BufWriter::with_capacity(1 << 16, temp.as_file_mut());
        write(&mut writer).and_then(|()| writer.flush()).map_err(|e| Error::io("write", path, e))?;
    }
    temp.persist(path).map_err(|e| Error::io("replace", path, e.error))?;
    Ok(())
}

/// [`write_atomic`] of bytes.
///
/// # Errors
///
/// As [`write_atomic`].
pub(crate) fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |out| out.write_all(bytes))
}

/// A file that only grows, one whole record (a line, a keyval block) per
/// append. A failed append (a full disk, a quota) is undone: the file is cut
/// back to the length it had, so it never ends in part of a record.
#[derive(Debug)]
pub(crate) struct AppendFile {
    path: PathBuf,
    file: Option<File>,
}

impl AppendFile {
    /// The file at `path`, opened (and created) on the first append.
    pub(crate) fn new(path: PathBuf) -> Self {
        AppendFile { path, file: None }
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the file now; `NotFound` when its directory does not exist.
    pub(crate) fn open(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            self.file = Some(OpenOptions::new().create(true).append(true).open(&self.path)?);
        }
        self.file.as_mut().ok_or_else(|| io::ErrorKind::NotFound.into())
    }

    /// Appends `text` with one `write(2)`; on failure the file is cut back to
    /// its length before the call. Nothing but the write is done when it
    /// succeeds: the length is asked for only to undo a part written.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the file and the operating system's reason.
    pub(crate) fn append(&mut self, text: &str) -> Result<()> {
        if let Err(e) = self.open() {
            return Err(Error::io("open", &self.path, e));
        }
        let Some(file) = self.file.as_mut() else { return Ok(()) };
        let bytes = text.as_bytes();
        let mut written = 0;
        while written < bytes.len() {
            let error = match file.write(&bytes[written..]) {
                Ok(0) => io::Error::from(io::ErrorKind::WriteZero),
                Ok(n) => {
                    written += n;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => e,
            };
            // The part of the record that reached the end of the file goes again.
            if written > 0
                && let Ok(meta) = file.metadata()
            {
                let _ = file.set_len(meta.len().saturating_sub(written as u64));
            }
            return Err(Error::io("write", &self.path, error));
        }
        Ok(())
    }
}

/// Opens `path` for reading and writing without following a symbolic link
/// in its last component (a link planted there is an error, never followed).
///
/// # Errors
///
/// [`Error::Io`]; a link gives the operating system's "too many levels of
/// symbolic links".
pub(crate) fn open_no_follow(path: &Path, create: bool) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Error::io("open", path, e))
}

/// Reads a small file without following a symbolic link; `None` when it is
/// missing, a link, or unreadable.
pub(crate) fn read_no_follow(path: &Path) -> Option<String> {
    let mut file = OpenOptions::new().read(true).custom_flags(nix::libc::O_NOFOLLOW).open(path).ok()?;
    let mut text = String::new();
    io::Read::read_to_string(&mut file, &mut text).ok()?;
    Some(text)
}

/// Makes sure `dir` is a directory of this user's that nobody else can write
/// in: created with mode `0700` when missing (with its missing parents), and
/// otherwise refused when it is a symbolic link, owned by another user, or
/// writable by group or others (as ssh refuses such a `~/.ssh`).
///
/// # Errors
///
/// [`Error::UnsafeDir`] naming the directory and what is wrong, or
/// [`Error::Io`] when it cannot be created.
pub(crate) fn private_dir(dir: &Path, what: &'static str) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        Err(e) => return Err(Error::io("read", dir, e)),
        Ok(_) => {}
    }
    let meta = fs::symlink_metadata(dir).map_err(|e| Error::io("read", dir, e))?;
    let unsafe_dir = |reason: String| Err(Error::UnsafeDir { what, path: dir.to_owned(), reason });
    if meta.file_type().is_symlink() {
        return unsafe_dir("it is a symbolic link; harness does not follow links in its state".to_owned());
    }
    if !meta.is_dir() {
        return unsafe_dir("it is not a directory".to_owned());
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return unsafe_dir(format!("it belongs to user {}, not to this user ({me})", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return unsafe_dir(format!(
            "others can write in it (mode {:o}); make it private: chmod go-w '{}'",
            meta.mode() & 0o7777,
            dir.display()
        ));
    }
    Ok(())
}

/// `path` made absolute against the current directory (`.` and `..` kept, as
/// the kernel resolves them), so later `chdir`s of a test change nothing.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_with_readable_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        write_bytes_atomic(&path, b"one").unwrap();
        write_bytes_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        let umask = fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Umask:").map(|u| u.trim().to_owned())))
            .and_then(|u| u32::from_str_radix(&u, 8).ok())
            .unwrap_or(0o022);
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o666 & !umask);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
    }

    #[test]
    fn private_dirs_refuse_links_and_shared_modes() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("a/b");
        private_dir(&fresh, "state directory").unwrap();
        assert_eq!(fs::metadata(&fresh).unwrap().mode() & 0o777, 0o700);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&fresh, &link).unwrap();
        let err = private_dir(&link, "state directory").unwrap_err().to_string();
        assert!(err.contains("it is a symbolic link"), "{err}");
        fs::set_permissions(&fresh, fs::Permissions::from_mode(0o777)).unwrap();
        let err = private_dir(&fresh, "state directory").unwrap_err().to_string();
        assert!(err.contains("others can write in it (mode 777)"), "{err}");
        assert!(open_no_follow(&link, false).is_err());
    }
}
