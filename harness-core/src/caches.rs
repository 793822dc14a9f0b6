//! Dropping the page cache between iterations (autotest's `utils.drop_caches`).

/// `sync`, then `echo 3 > /proc/sys/vm/drop_caches`.
pub(crate) fn drop_caches() -> std::io::Result<()> {
    nix::unistd::sync();
    std::fs::write("/proc/sys/vm/drop_caches", "3")
}
