//! The machine a test measures: where it runs (`cpus`, its CPU affinity) and
//! what will make its numbers noisy (a debug build, a CPU governor other than
//! `performance`, turbo, a load above the CPU count), said once per job
//! before its first measuring test.

use std::fmt::Write as _;
use std::path::Path;

use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

/// A CPU list as written (`0-3,6`), parsed: the CPUs, ascending, each once.
/// `None` for text that is not one.
pub(crate) fn parse_cpu_list(text: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<usize>().ok()?, b.trim().parse::<usize>().ok()?),
            None => {
                let cpu = part.parse::<usize>().ok()?;
                (cpu, cpu)
            }
        };
        if first > last || last >= CpuSet::count() {
            return None;
        }
        cpus.extend(first..=last);
    }
    cpus.sort_unstable();
    cpus.dedup();
    (!cpus.is_empty()).then_some(cpus)
}

/// `cpus` written back as a list with ranges (`0-3,6`).
pub(crate) fn cpu_list_text(cpus: &[usize]) -> String {
    let mut out = String::new();
    let mut at = 0;
    while at < cpus.len() {
        let mut end = at;
        while end + 1 < cpus.len() && cpus[end + 1] == cpus[end] + 1 {
            end += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        let _ = if end > at { write!(out, "{}-{}", cpus[at], cpus[end]) } else { write!(out, "{}", cpus[at]) };
        at = end + 1;
    }
    out
}

/// The calling thread runs on `cpus` (the threads it starts from now on too)
/// until the returned guard is dropped, which puts its affinity back.
///
/// # Errors
///
/// CPUs this machine lacks or may not use, as a sentence.
pub(crate) fn run_on(cpus: &[usize]) -> Result<Pinned, String> {
    let before = sched_getaffinity(Pid::from_raw(0)).map_err(|e| format!("cannot read the CPU affinity: {e}"))?;
    let mut set = CpuSet::new();
    for cpu in cpus {
        set.set(*cpu).map_err(|e| format!("CPU {cpu}: {e}"))?;
    }
    sched_setaffinity(Pid::from_raw(0), &set)
        .map_err(|e| format!("cannot run on CPUs {}: {e}", cpu_list_text(cpus)))?;
    Ok(Pinned { before })
}

/// Puts the thread's CPU affinity back when dropped.
#[derive(Debug)]
pub(crate) struct Pinned {
    before: CpuSet,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = sched_setaffinity(Pid::from_raw(0), &self.before);
    }
}

/// What will make numbers measured on the machine under `root` (`/`, or a
/// copy of its `/sys` and `/proc` in a test) noisy, one sentence each.
pub(crate) fn noise_sources(root: &Path, debug_build: bool) -> Vec<String> {
    let mut said = Vec::new();
    if debug_build {
        said.push(
            "this is a debug build: perf numbers from debug builds mislead (often 10x slower, and not in \
             proportion); build and run with --release"
                .to_owned(),
        );
    }
    let cpu = root.join("sys/devices/system/cpu");
    let mut governors: Vec<(usize, String)> = std::fs::read_dir(&cpu)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let number = name.strip_prefix("cpu")?.parse::<usize>().ok()?;
            let governor = std::fs::read_to_string(entry.path().join("cpufreq/scaling_governor")).ok()?;
            Some((number, governor.trim().to_owned()))
        })
        .filter(|(_, governor)| governor != "performance")
        .collect();
    governors.sort();
    if let Some((_, governor)) = governors.first() {
        let cpus: Vec<usize> = governors.iter().map(|(n, _)| *n).collect();
        said.push(format!(
            "the CPU frequency governor is `{governor}` on CPUs {}, not `performance`: the clock speed changes under the test",
            cpu_list_text(&cpus)
        ));
    }
    let read = |path: &str| std::fs::read_to_string(cpu.join(path)).ok().map(|t| t.trim().to_owned());
    if read("intel_pstate/no_turbo").as_deref() == Some("0") || read("cpufreq/boost").as_deref() == Some("1") {
        said.push("turbo boost is on: the clock speed depends on temperature and on the other cores' load".to_owned());
    }
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    if let Some(load) = std::fs::read_to_string(root.join("proc/loadavg"))
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
    {
        #[allow(clippy::cast_precision_loss, reason = "CPU counts")]
        if load > cpus as f64 {
            said.push(format!("the load average is {load}, above the {cpus} CPUs: other work competes with the test"));
        }
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_read_and_write_back() {
        assert_eq!(parse_cpu_list("0-3,6"), Some(vec![0, 1, 2, 3, 6]));
        assert_eq!(parse_cpu_list(" 2 , 1-2 "), Some(vec![1, 2]));
        assert_eq!(cpu_list_text(&[0, 1, 2, 3, 6, 8, 9]), "0-3,6,8-9");
        for bad in ["", "a", "3-1", "1,", "-1", "0-99999"] {
            assert_eq!(parse_cpu_list(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_source_of_noise_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(noise_sources(root, false).is_empty());
        for (cpu, governor) in [(0, "performance"), (1, "powersave"), (2, "powersave")] {
            let path = root.join(format!("sys/devices/system/cpu/cpu{cpu}/cpufreq"));
            std::fs::create_dir_all(&path).unwrap();
            std::fs::write(path.join("scaling_governor"), format!("{governor}\n")).unwrap();
        }
        std::fs::create_dir_all(root.join("sys/devices/system/cpu/intel_pstate")).unwrap();
        std::fs::write(root.join("sys/devices/system/cpu/intel_pstate/no_turbo"), "0\n").unwrap();
        std::fs::create_dir_all(root.join("proc")).unwrap();
        std::fs::write(root.join("proc/loadavg"), "9999.5 1.0 1.0 1/100 42\n").unwrap();
        let said = noise_sources(root, true);
        assert_eq!(said.len(), 4, "{said:#?}");
        assert!(said[0].starts_with("this is a debug build"));
        assert_eq!(
            said[1],
            "the CPU frequency governor is `powersave` on CPUs 1-2, not `performance`: the clock speed changes under the test"
        );
        assert!(said[2].starts_with("turbo boost is on"));
        assert!(said[3].starts_with("the load average is 9999.5, above the "), "{}", said[3]);
    }
}
