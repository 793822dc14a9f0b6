//! The example harness binary: the command line of `harness_core::main()` over
//! the tests of this crate.

// Tests registered in a library are linked only when the binary names the crate.
use harness_examples as _;

fn main() {
    harness_core::main()
}
