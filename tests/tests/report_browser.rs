//! The HTML report in a real browser: headless Chromium (Debian's `chromium`
//! package, installed here when missing) loads the page, finds one chart per perf
//! metric, and draws something.

use std::path::Path;
use std::process::Command;

use harness_core::prelude::*;
use harness_core::results::JobResults;

/// Records three metrics: one scalar, one list, one in a graph.
#[autotest(name = "report_metrics", version = 1)]
#[derive(Default)]
struct ReportMetrics;

#[autotest]
impl ReportMetrics {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        #[allow(clippy::cast_precision_loss, reason = "small iteration numbers")]
        let i = ctx.iteration() as f64;
        ctx.output_perf_value(PerfValue::new("latency", 10.0 + i).units("ms"))?;
        ctx.output_perf_value(PerfValue::new("frames", vec![16.0 + i, 17.0, 33.0]).units("ms"))?;
        ctx.output_perf_value(
            PerfValue::new("throughput", 100.0 * i).units("MB_per_s").higher_is_better(true).graph("io <&> disk"),
        )?;
        Ok(())
    }
}

/// One metric at two block sizes: its variants share one chart.
#[autotest(name = "report_sizes", version = 1, variants(small(block_kb = 4), large(block_kb = 64)))]
#[derive(Default)]
struct ReportSizes;

#[autotest]
impl ReportSizes {
    fn run_once(&mut self, ctx: &mut TestContext, block_kb: u32) -> TestResult {
        #[allow(clippy::cast_precision_loss, reason = "small numbers")]
        let rate = f64::from(block_kb) * 10.0 + ctx.iteration() as f64;
        ctx.output_perf_value(PerfValue::new("rate", rate).units("MB_per_s").higher_is_better(true))?;
        Ok(())
    }
}

/// Fails, so the page shows a failure with its reason and place.
#[autotest(name = "report_fails", version = 1)]
#[derive(Default)]
struct ReportFails;

#[autotest]
impl ReportFails {
    fn run_once(&mut self) -> TestResult {
        Err(Failure::fail("the device answered 0 bytes"))
    }
}

/// Chromium, installed with apt when it is missing and this runs as root.
fn chromium() -> String {
    let found = |name: &str| {
        Command::new("sh").args(["-c", &format!("command -v {name}")]).output().is_ok_and(|o| o.status.success())
    };
    if found("chromium") {
        return "chromium".to_owned();
    }
    if nix::unistd::Uid::effective().is_root() {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        let installed =
            Command::new("apt-get").args(["install", "-y", "-q", "chromium"]).status().is_ok_and(|s| s.success());
        if installed && found("chromium") {
            return "chromium".to_owned();
        }
    }
    panic!("this test needs Debian's chromium package: apt-get install chromium (.ci/run installs it)");
}

fn headless(browser: &str, profile: &Path) -> Command {
    let mut command = Command::new(browser);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

#[test]
fn the_report_page_shows_one_chart_per_metric() {
    let dir = tempfile::tempdir().unwrap();
    let job = harness_core::Job::builder(dir.path().join("r")).tag("nightly").build().unwrap();
    assert_eq!(job.test("report_metrics").iterations(3).run().unwrap(), Status::Good);
    for variant in ["report_sizes.small", "report_sizes.large"] {
        assert_eq!(job.test(variant).iterations(3).run().unwrap(), Status::Good);
    }
    assert_eq!(job.test("report_fails").run().unwrap(), Status::Fail);
    let _ = job.complete().unwrap();
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, cargo_harness::html::html_page(&results)).unwrap();
    let url = format!("file://{}", page.display());
    let browser = chromium();

    let dom = headless(&browser, &dir.path().join("profile-dom")).args(["--dump-dom", &url]).output().unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    // The job's tag and date are the title.
    let date = results.job.start.get(..10).unwrap();
    assert!(dom.contains(&format!("<title>nightly · {date} ")), "{dom}");
    // One chart per metric, the two variants of report_sizes on one.
    assert_eq!(dom.matches("<figure class=\"chart\"").count(), 4, "{dom}");
    for metric in [
        "data-metric=\"latency\"",
        "data-metric=\"frames\"",
        "data-metric=\"io_____disk.throughput\"",
        "data-metric=\"rate\"",
    ] {
        assert!(dom.contains(metric), "{metric} missing from {dom}");
    }
    assert!(dom.contains("report_sizes: rate (MB_per_s, higher is better), one line per variant"), "{dom}");
    assert_eq!(dom.matches("<circle").count(), 3 + 9 + 3 + 6, "one point per value");
    // A summary of every metric at the top, each row linking to its chart.
    let summary = &dom[dom.find("<table class=\"summary\"").unwrap()..];
    let summary = &summary[..summary.find("</table>").unwrap()];
    assert_eq!(summary.matches("<tr>").count(), 1 + 5, "{summary}");
    assert!(
        summary.contains("<td>report_sizes.small</td><td><a href=\"#chart-4\">rate</a></td><td class=\"num\">42</td>"),
        "{summary}"
    );
    assert!(dom.find("<table class=\"summary\"").unwrap() < dom.find("<h2>Charts</h2>").unwrap());
    // The failure, with its reason and the line that raised it.
    let failures = &dom[dom.find("<section class=\"failures\">").unwrap()..];
    assert!(failures.contains("report_fails</a>: the device answered 0 bytes <span class=\"place\">raised at tests/tests/report_browser.rs:"), "{failures}");

    let shot = dir.path().join("shot.png");
    let status = headless(&browser, &dir.path().join("profile-shot"))
        .args([format!("--screenshot={}", shot.display()), "--window-size=1400,3200".to_owned(), url])
        .output()
        .unwrap();
    assert!(shot.is_file(), "no screenshot: {}", String::from_utf8_lossy(&status.stderr));
    if let Some(keep) = std::env::var_os("HARNESS_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let pixels = &pixels[..info.buffer_size()];
    let (mut not_white, mut chart_blue) = (0usize, 0usize);
    for pixel in pixels.chunks(channels) {
        let (r, g, b) = (pixel[0], pixel[1], pixel[2]);
        if (r, g, b) != (255, 255, 255) {
            not_white += 1;
        }
        if (i16::from(r) - 0x33).abs() < 24 && (i16::from(g) - 0x66).abs() < 24 && (i16::from(b) - 0xcc).abs() < 24 {
            chart_blue += 1;
        }
    }
    assert!(not_white > 10_000, "the screenshot is blank: {not_white} non-white pixels");
    assert!(chart_blue > 200, "no chart lines in the screenshot: {chart_blue} pixels of the chart colour");
    // Links to each test's files (from the results directory, for `html_page`).
    assert!(dom.contains("href=\"./report_metrics/debug/report_metrics.DEBUG\""), "{dom}");

    // Against a baseline, named as given: both distributions, side by side,
    // with the verdict, and the change in the summary.
    let second = dir.path().join("r2");
    let job = harness_core::Job::builder(&second).build().unwrap();
    assert_eq!(job.test("report_metrics").iterations(3).run().unwrap(), Status::Good);
    let _ = job.complete().unwrap();
    let vs = report_dom(&browser, dir.path(), &["r2", "--html", "vs.html", "--baseline", "r"], "vs.html");
    assert_eq!(vs.matches("class=\"chart pair verdict-").count(), 3, "{vs}");
    assert!(vs.contains("report_metrics: latency: baseline r vs this run: +0.0%"), "{vs}");
    assert!(vs.contains("<th>change vs r</th>"), "{vs}");
    assert!(vs.contains("href=\"./r2/report_metrics/keyval\""), "links relative to the page: {vs}");
    assert_eq!(vs.matches("<circle").count(), 3 * (3 + 9 + 3), "the run's own charts, and both runs side by side");
    // Over runs, oldest first whatever the order given.
    let history = report_dom(&browser, dir.path(), &["--history", "r2", "r", "--html", "history.html"], "history.html");
    assert_eq!(history.matches("<figure class=\"chart\"").count(), 3 + 2, "{history}");
    assert!(history.find("<li>r (").unwrap() < history.find("<li>r2 (").unwrap(), "{history}");
    assert_eq!(history.matches("<circle").count(), 3 * 2 + 2, "one median per run and metric");
}

/// Runs `harness report ARGS` in `dir` and returns the DOM Chromium makes of `page`.
fn report_dom(browser: &str, dir: &Path, args: &[&str], page: &str) -> String {
    let out = harness_tests::tools_in(dir).arg("report").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dom = headless(browser, &dir.join(format!("profile-{page}")))
        .args(["--dump-dom", &format!("file://{}", dir.join(page).display())])
        .output()
        .unwrap();
    String::from_utf8_lossy(&dom.stdout).into_owned()
}
