//! A test with a versioned setup: it builds once, and again when its version changes.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use harness_core::prelude::*;

/// The helper program setup compiles: sums the bytes of the data set.
const HELPER: &str = r#"#include <stdio.h>
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 2;
    unsigned long long sum = 0;
    int c;
    while ((c = fgetc(f)) != EOF) sum += (unsigned char)c;
    fclose(f);
    printf("%llu\n", sum);
    return 0;
}
"#;

fn data_set(size: usize) -> Vec<u8> {
    (0..size).map(|i| u8::try_from((i * 31 + 7) % 256).unwrap_or(0)).collect()
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Builds a data set and compiles a small C program (with `cc`) into its srcdir
/// once per version; every run then runs the program over the data set and
/// checks its answer. Without a C compiler it is TEST_NA.
#[autotest(name = "build_once", version = 1)]
#[derive(Debug, Default)]
pub struct BuildOnce;

#[autotest]
impl BuildOnce {
    fn setup(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = "cc".to_owned(), doc = "the C compiler")] compiler: String,
    ) -> TestResult {
        if !on_path(&compiler) {
            return Err(Failure::not_applicable(format!("needs a C compiler: `{compiler}` is not on PATH")));
        }
        let srcdir = ctx.srcdir();
        std::fs::create_dir_all(srcdir)?;
        std::fs::write(srcdir.join("data.bin"), data_set(1 << 20))?;
        std::fs::write(srcdir.join("sum.c"), HELPER)?;
        let output =
            Command::new(&compiler).arg("-O2").arg("-o").arg(srcdir.join("sum")).arg(srcdir.join("sum.c")).output()?;
        if !output.status.success() {
            return Err(Failure::error(format!(
                "`{compiler}` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        std::fs::write(srcdir.join("built"), format!("{}\n", chrono_free_stamp()))?;
        log::info!("built the helper and data set in {}", srcdir.display());
        Ok(())
    }

    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        let srcdir = ctx.srcdir().to_owned();
        let helper = srcdir.join("sum");
        if !helper.is_file() {
            return Err(Failure::error("setup did not leave the helper program in srcdir"));
        }
        let start = Instant::now();
        let output = Command::new(&helper).arg(srcdir.join("data.bin")).output()?;
        let seconds = start.elapsed().as_secs_f64();
        let got: u64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .map_err(|_| Failure::fail("the helper printed no number"))?;
        let expected: u64 = data_set(1 << 20).iter().map(|b| u64::from(*b)).sum();
        if got != expected {
            return Err(Failure::fail(format!("the helper summed {got}, expected {expected}")));
        }
        let built = read_stamp(&srcdir);
        ctx.write_iteration_keyval([("built", built)], [("helper_seconds", seconds)])?;
        Ok(())
    }
}

/// Seconds since the epoch, as a build stamp.
fn chrono_free_stamp() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn read_stamp(srcdir: &Path) -> String {
    std::fs::read_to_string(srcdir.join("built")).map(|s| s.trim().to_owned()).unwrap_or_default()
}
