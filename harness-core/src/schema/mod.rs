//! The static description of a test: its [`TestInfo`] and [`Version`], and the
//! parameter table of each phase it defines ([`PhaseTable`], [`Param`],
//! [`ParamKind`], [`Decoder`]). `#[autotest]` builds these as constants; the
//! engine, the validation and the listings read them.

mod info;
mod param;
mod requirement;

pub use info::{TestInfo, Variant, Version};
pub use param::{Decoder, Param, ParamKind, PhaseTable, decoder};
pub use requirement::Requirement;
