//! `#[autotest]`, the attribute of [harness-core](https://docs.rs/harness-core).
//! Depend on `harness-core`, which re-exports it; nothing here is meant to be
//! named directly.
//!
//! On a struct, `#[autotest(name = "...", version = ..., preserve_srcdir,
//! postprocess_profiled_run, network_destabilizing, cargo_test(arg = value, ...))]`
//! says what the test is and registers it. On the struct's inherent impl,
//! `#[autotest]` turns the methods named after phases into compile-time
//! parameter tables and a dispatcher that gives each phase exactly its own
//! arguments. Every mistake is a compile error on the smallest span.

mod attr;
mod errors;
mod expand;
mod fallback;
mod kinds;
mod model;
mod paths;
mod valid;

use proc_macro::TokenStream;

/// Declares an autotest-style test (on a struct) and its phases (on the
/// struct's inherent impl). See harness-core's documentation.
#[proc_macro_attribute]
pub fn autotest(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::autotest(args.into(), item.into()).into()
}
