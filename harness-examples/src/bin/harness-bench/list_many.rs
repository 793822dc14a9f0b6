//! The `list-many` workload: `harness list` in a binary with N registered
//! `#[autotest]` tests (and with N/10, to show how it grows), each as a whole
//! process, the median of 7 runs.
//!
//! The binaries are generated crates built in release mode under
//! `target/harness-bench/` (kept, so that a second run only rebuilds what
//! changed; the first build of 10,000 tests takes a few minutes).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A crate whose binary is harness's command line with `n` no-op tests.
fn generate(dir: &Path, core: &Path, n: usize) {
    let manifest = format!(
        "[package]\nname = \"list{n}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nharness-core = {{ path = {core:?} }}\n\n[workspace]\n"
    );
    let mut source = String::from(
        "use harness_core::prelude::*;\n\nfn main() {\n    harness_core::main();\n}\n\nmacro_rules! noop {\n    ($($name:ident)*) => {$(\n        #[allow(non_camel_case_types)]\n        #[autotest(version = 1)]\n        #[derive(Default)]\n        struct $name;\n\n        #[autotest]\n        impl $name {\n            fn run_once(&mut self) {}\n        }\n    )*};\n}\n",
    );
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        source.push_str("noop! {");
        for i in chunk {
            let _ = write!(source, " t{i:05}");
        }
        source.push_str(" }\n");
    }
    for (path, text) in [(dir.join("Cargo.toml"), manifest), (dir.join("src/main.rs"), source)] {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
        // Left alone when unchanged, so cargo does not rebuild it.
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).expect("written");
        }
    }
}

fn build(dir: &Path, n: usize) -> PathBuf {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["build", "--release", "--offline", "-q"])
        .current_dir(dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building {} failed", dir.display());
    dir.join(format!("target/release/list{n}"))
}

fn median_of_7(binary: &Path, args: &[&str]) -> Duration {
    let mut times: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(binary).args(args).stdout(Stdio::null()).status().expect("the list binary runs");
            assert!(status.success(), "{} {args:?} failed", binary.display());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[3]
}

pub(crate) fn list_many(n: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let core = root.join("harness-core").canonicalize().expect("harness-core");
    let sizes = [n / 10, n];
    let binaries: Vec<PathBuf> = sizes
        .iter()
        .map(|&size| {
            let dir = root.join(format!("target/harness-bench/list-{size}"));
            generate(&dir, &core, size);
            build(&dir, size)
        })
        .collect();
    // Alternated, so drift on a shared machine falls on both sizes alike.
    for args in [&["list"][..], &["list", "--json"]] {
        let mut medians = Vec::new();
        for (size, binary) in sizes.iter().zip(&binaries) {
            medians.push((size, median_of_7(binary, args)));
        }
        for (size, median) in medians {
            println!("`{}` with {size} tests: median {:.1} ms", args.join(" "), median.as_secs_f64() * 1e3);
        }
    }
}
