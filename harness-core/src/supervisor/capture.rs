//! A child's stdout and stderr, copied into its test's `debug/` by a thread
//! each, never blocking the child: a file that cannot take more (a full disk)
//! is said once, and the stream is drained on.

use std::fs::{self, File};
use std::io::{self, Read, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

/// How much of the child's stderr a verdict may quote.
pub(super) const STDERR_TAIL: usize = 2048;

/// Where a captured stream goes.
pub(super) struct Capture {
    /// The file (made on the first byte).
    pub(super) path: PathBuf,
    /// The stream's last bytes, kept for the verdict.
    pub(super) tail: Option<Arc<Mutex<Vec<u8>>>>,
    /// What was lost when the file could not take more (a full disk).
    pub(super) cut_short: Arc<Mutex<Vec<String>>>,
}

/// Copies a child's stream into its file; when the file cannot take more, says
/// so once and goes on draining the stream, so the child never blocks; says
/// when the stream closes (`closed`).
pub(super) fn capture(mut stream: impl Read + Send + 'static, to: Capture, closed: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        let Capture { path, tail, cut_short } = to;
        let mut file: Option<File> = None;
        let mut written: u64 = 0;
        let mut failed = false;
        let mut buffer = [0u8; 8192];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            let bytes = &buffer[..n];
            if file.is_none() && !failed {
                if let Some(dir) = path.parent() {
                    let _ = fs::create_dir_all(dir);
                }
                match File::options().create(true).append(true).open(&path) {
                    Ok(opened) => file = Some(opened),
                    Err(e) => {
                        failed = true;
                        let lost = format!("cannot capture the test's output in `{}`: {e}", path.display());
                        cut_short.lock().unwrap_or_else(PoisonError::into_inner).push(lost);
                    }
                }
            }
            if let Some(open) = file.as_mut()
                && let Err(e) = write_counting(open, bytes, &mut written)
            {
                failed = true;
                file = None;
                let lost = format!("the capture `{}` was cut short after {written} bytes: {e}", path.display());
                cut_short.lock().unwrap_or_else(PoisonError::into_inner).push(lost);
            }
            if let Some(tail) = &tail {
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                tail.extend_from_slice(bytes);
                let excess = tail.len().saturating_sub(STDERR_TAIL);
                tail.drain(..excess);
            }
        }
        closed();
    });
}

/// Writes all of `bytes`, counting in `written` what the file took.
fn write_counting(file: &mut File, mut bytes: &[u8], written: &mut u64) -> io::Result<()> {
    while !bytes.is_empty() {
        match file.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                *written += n as u64;
                bytes = &bytes[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
