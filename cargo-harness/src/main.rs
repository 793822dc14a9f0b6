//! `cargo harness COMMAND` (or `cargo-harness COMMAND`): the results tools.

fn main() {
    std::process::exit(cargo_harness::run(std::env::args_os()));
}
