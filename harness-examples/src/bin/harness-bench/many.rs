//! 1,000 registered no-op tests, for the `many-tests` workload. The same bodies
//! as plain `#[test]` fns are in `tests/tests/noop_libtest.rs`.

macro_rules! noop_tests {
    ($($name:ident)*) => {$(
        #[allow(non_camel_case_types)]
        #[harness_core::autotest(version = 1)]
        #[derive(Debug, Default)]
        struct $name;

        #[harness_core::autotest]
        impl $name {
            fn run_once(&mut self) {
                std::hint::black_box(());
            }
        }
    )*};
}

include!("many_list.rs");
