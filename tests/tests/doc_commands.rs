//! Every command a newcomer is told to type works, literally as written, on a
//! fresh copy of the repository: the commands of README.md and of every
//! ```` ```sh ```` block in docs/*.md run here in order, in a copy made of the
//! files git knows (tracked, or new and not ignored), with a target directory
//! of its own so that nothing built for this suite helps them.
//!
//! A runnable block holds one command per line (`\` continues a line; `#`
//! starts a comment); a trailing `# exit N` says the command ends with status N.
//! Commands for the reader's own crate, or too long to run here, go in
//! ```` ```text ```` blocks, which this test leaves alone. `cargo test
//! --workspace` is what runs this test, so it is checked by being here.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// One command of the docs: where it is written, the text, the status it ends with.
#[derive(Debug)]
struct DocCommand {
    file: String,
    line: usize,
    text: String,
    exit: i32,
}

/// The runnable commands of one Markdown file.
fn commands(file: &Path) -> Vec<DocCommand> {
    let text = std::fs::read_to_string(file).unwrap();
    let name = file.strip_prefix(WORKSPACE).unwrap_or(file).display().to_string();
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if let Some(info) = trimmed.strip_prefix("```") {
            in_sh = !in_sh && info == "sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let (start, mut command) = pending.take().unwrap_or((index + 1, String::new()));
        if let Some(continued) = trimmed.strip_suffix('\\') {
            command.push_str(continued);
            pending = Some((start, command));
            continue;
        }
        command.push_str(trimmed);
        let (body, exit) = match command.rsplit_once("# exit ") {
            Some((body, code)) => (body.trim().to_owned(), code.trim().parse().expect("`# exit N` takes a number")),
            None => (command.split(" #").next().unwrap_or("").trim().to_owned(), 0),
        };
        if !body.is_empty() && !body.starts_with('#') {
            out.push(DocCommand { file: name.clone(), line: start, text: body, exit });
        }
    }
    out
}

/// Every file git knows in the workspace (tracked, or new and not ignored).
fn known_files() -> Vec<PathBuf> {
    let out = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(WORKSPACE)
        .output()
        .expect("git is installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
        .filter(|p| Path::new(WORKSPACE).join(p).is_file())
        .collect()
}

/// A copy of the workspace at a fixed place (so that reruns build incrementally),
/// every file with its modification time.
fn fresh_copy(root: &Path) -> PathBuf {
    let copy = root.join("clone");
    let _ = std::fs::remove_dir_all(&copy);
    for file in known_files() {
        let from = Path::new(WORKSPACE).join(&file);
        let to = copy.join(&file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
        let modified = from.metadata().unwrap().modified().unwrap();
        std::fs::File::options().write(true).open(&to).unwrap().set_modified(modified).unwrap();
    }
    copy
}

fn is_the_test_command(command: &str) -> bool {
    command == "cargo test --workspace"
}

#[test]
fn every_command_of_the_readme_and_docs_works_on_a_fresh_copy() {
    let mut files = vec![Path::new(WORKSPACE).join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(Path::new(WORKSPACE).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let all: Vec<DocCommand> = files.iter().flat_map(|f| commands(f)).collect();
    let readme: Vec<&str> = all.iter().filter(|c| c.file == "README.md").map(|c| c.text.as_str()).collect();
    assert!(
        readme.contains(&"cargo run -p harness-examples -- run --control harness-examples/control/quick.json"),
        "the README's first command is one of its runnable commands: {readme:?}"
    );
    assert!(readme.contains(&"cargo test --workspace"), "{readme:?}");

    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("doc-commands");
    let copy = fresh_copy(&root);
    let target = root.join("target");
    let state = root.join("state");
    let _ = std::fs::remove_dir_all(&state);
    for command in all.iter().filter(|c| !is_the_test_command(&c.text)) {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&command.text)
            .current_dir(&copy)
            .env("CARGO_TARGET_DIR", &target)
            .env("HARNESS_STATE_DIR", &state)
            // Everything the copy needs was downloaded for this build already.
            .env("CARGO_NET_OFFLINE", "true")
            .env_remove("HARNESS_RESULTS_DIR")
            .env_remove("RUSTFLAGS")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(900) {
                let _ = child.kill();
                panic!("{}:{}: `{}` did not finish in 15 minutes", command.file, command.line, command.text);
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            status.code(),
            Some(command.exit),
            "{}:{}: `{}` ended with {status}\nstdout:\n{}\nstderr:\n{}",
            command.file,
            command.line,
            command.text,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn runnable_blocks_are_read_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.md");
    std::fs::write(
        &file,
        "text\n```sh\n# a comment\ncargo run -- list\ncargo run -- run a \\\n  --arg b=1   # exit 1\n\n```\n```text\nnot run\n```\n",
    )
    .unwrap();
    let found: Vec<(usize, String, i32)> = commands(&file).into_iter().map(|c| (c.line, c.text, c.exit)).collect();
    assert_eq!(found, [(4, "cargo run -- list".to_owned(), 0), (5, "cargo run -- run a   --arg b=1".to_owned(), 1)]);
}
