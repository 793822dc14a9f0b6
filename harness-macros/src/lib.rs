//! `#[autotest]` for harness-core. Depend on `harness-core`, which re-exports it.

use proc_macro::TokenStream;

/// Placeholder until the macro lands: emits the item unchanged.
#[proc_macro_attribute]
pub fn autotest(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
