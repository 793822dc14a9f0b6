//! A number as a perf keyval writes it: integers as integers, floats as
//! Python prints them.

use std::fmt::{self, Display};

use super::pyfmt::{float_repr, write_float_repr};

/// A number written as a perf keyval: integers print as integers (`count{perf}=7`),
/// floats as Python prints them (`ratio{perf}=0.5`, `ten{perf}=10.0`, `big{perf}=1e+16`).
///
/// Every primitive number converts into it, so `write_perf_keyval` takes `f64`,
/// `u64`, `i32`, ... values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PerfNumber {
    /// An integer.
    Int(i128),
    /// A float; NaN and infinities are refused when written.
    Float(f64),
}

impl PerfNumber {
    /// The value as `f64`, as constraints see it.
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "perf values are compared as floats, as in autotest")]
    pub fn as_f64(self) -> f64 {
        match self {
            PerfNumber::Int(int) => int as f64,
            PerfNumber::Float(float) => float,
        }
    }
}

impl Display for PerfNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PerfNumber::Int(int) => write!(f, "{int}"),
            PerfNumber::Float(float) => f.write_str(&float_repr(*float)),
        }
    }
}

impl PerfNumber {
    pub(crate) fn write_to(self, out: &mut String) {
        match self {
            PerfNumber::Int(int) => out.push_str(itoa::Buffer::new().format(int)),
            PerfNumber::Float(float) => write_float_repr(out, float),
        }
    }
}

macro_rules! perf_number_from_int {
    ($($t:ty)*) => {$(
        impl From<$t> for PerfNumber {
            fn from(value: $t) -> Self {
                PerfNumber::Int(i128::from(value))
            }
        }
    )*};
}
perf_number_from_int!(i8 i16 i32 i64 u8 u16 u32 u64);

impl From<usize> for PerfNumber {
    fn from(value: usize) -> Self {
        PerfNumber::Int(value as i128)
    }
}

impl From<isize> for PerfNumber {
    fn from(value: isize) -> Self {
        PerfNumber::Int(value as i128)
    }
}

impl From<f64> for PerfNumber {
    fn from(value: f64) -> Self {
        PerfNumber::Float(value)
    }
}

impl From<f32> for PerfNumber {
    fn from(value: f32) -> Self {
        PerfNumber::Float(f64::from(value))
    }
}
