//! The 1,000 no-op bodies of `harness-bench many-tests`, as plain `#[test]` fns:
//! the libtest and nextest rows of docs/performance.md run this target.

macro_rules! noop_tests {
    ($($name:ident)*) => {$(
        #[test]
        fn $name() {
            std::hint::black_box(());
        }
    )*};
}

// The same list of names as the `many-tests` workload.
include!("../../harness-examples/src/bin/harness-bench/many_list.rs");
