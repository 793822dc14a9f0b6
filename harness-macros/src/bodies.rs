//! Function bodies kept out of the parse: the macro needs an impl's
//! signatures and attributes, never what its functions do, so each body is
//! set aside as the compiler's own tokens before `syn` parses the impl, and
//! put back, untouched, into the expansion. A dozen-line body then costs the
//! macro one token instead of a syntax tree built, copied and printed again.
//!
//! A body is the first brace group after `fn` among the items directly in
//! the impl's braces. Taking and putting back follow the same rule, so a
//! brace group the rule takes by mistake (a const expression after a `fn`
//! pointer type) goes back where it was; anything that does not line up
//! makes the caller parse the whole item instead.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};

/// `input` with the bodies of an impl's functions replaced by empty braces,
/// and the bodies in order; `None` when `input` is not an impl.
pub(crate) fn take(input: &TokenStream) -> Option<(TokenStream, Vec<Group>)> {
    let mut bodies = Vec::new();
    let light = map_impl_items(input.clone(), |body| {
        let mut empty = Group::new(Delimiter::Brace, TokenStream::new());
        empty.set_span(body.span());
        bodies.push(body);
        Some(empty)
    })?;
    Some((light, bodies))
}

/// `output` with the empty bodies of its impl replaced by `bodies`, in order;
/// `None` when they do not line up one for one.
pub(crate) fn put_back(output: TokenStream, bodies: Vec<Group>) -> Option<TokenStream> {
    let mut bodies = bodies.into_iter();
    let mut lined_up = true;
    let out = map_impl_items(output, |empty| {
        let body = bodies.next().filter(|_| empty.stream().is_empty());
        lined_up &= body.is_some();
        body
    })?;
    (lined_up && bodies.next().is_none()).then_some(out)
}

/// Rebuilds `stream` with `body` applied to each function body directly in
/// the braces of its first `impl`; `None` without an impl, or when `body` gives
/// up on one.
fn map_impl_items(stream: TokenStream, mut body: impl FnMut(Group) -> Option<Group>) -> Option<TokenStream> {
    let mut out = Vec::new();
    let mut after_impl = false;
    let mut done = false;
    for tree in stream {
        match tree {
            TokenTree::Ident(ident) if !done && ident == "impl" => {
                after_impl = true;
                out.push(TokenTree::Ident(ident));
            }
            TokenTree::Group(group) if after_impl && !done && group.delimiter() == Delimiter::Brace => {
                let mut items = Vec::new();
                let mut after_fn = false;
                for item in group.stream() {
                    match item {
                        TokenTree::Ident(ident) if ident == "fn" => {
                            after_fn = true;
                            items.push(TokenTree::Ident(ident));
                        }
                        TokenTree::Group(inner) if after_fn && inner.delimiter() == Delimiter::Brace => {
                            after_fn = false;
                            items.push(TokenTree::Group(body(inner)?));
                        }
                        other => items.push(other),
                    }
                }
                let mut rebuilt = Group::new(Delimiter::Brace, items.into_iter().collect());
                rebuilt.set_span(group.span());
                out.push(TokenTree::Group(rebuilt));
                done = true;
            }
            other => out.push(other),
        }
    }
    done.then(|| out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn bodies_go_back_where_they_were() {
        let input = quote! {
            impl T {
                #[doc = "x"]
                fn run_once(&mut self, f: fn(u32) -> u32) -> TestResult { let a = { 1 }; Ok(()) }
                const C: fn() = { noop };
                fn helper() {}
                m! { fn inside() { 2 } }
            }
        };
        let (light, bodies) = take(&input).unwrap();
        // The const's braces follow a `fn` pointer type: taken too, and put back.
        assert_eq!(bodies.len(), 3);
        assert_eq!(bodies[0].stream().to_string(), quote!(let a = { 1 }; Ok(())).to_string());
        assert_eq!(
            light.to_string(),
            quote! {
                impl T {
                    #[doc = "x"]
                    fn run_once(&mut self, f: fn(u32) -> u32) -> TestResult {}
                    const C: fn() = {};
                    fn helper() {}
                    m! { fn inside() { 2 } }
                }
            }
            .to_string()
        );
        let mut output = quote!(::core::compile_error! { "first" });
        output.extend(light);
        output.extend(quote!(
            const _: () = {
                fn generated() {
                    3
                }
            };
        ));
        let back = put_back(output, bodies).unwrap();
        let mut expected = quote!(::core::compile_error! { "first" });
        expected.extend(input);
        expected.extend(quote!(
            const _: () = {
                fn generated() {
                    3
                }
            };
        ));
        assert_eq!(back.to_string(), expected.to_string());
    }

    #[test]
    fn what_does_not_line_up_is_refused() {
        assert!(
            take(&quote!(
                struct S;
            ))
            .is_none()
        );
        let (light, mut bodies) = take(&quote!(impl T { fn a() { 1 } })).unwrap();
        assert!(put_back(quote!(impl T { fn a() { 1 } }), bodies.clone()).is_none(), "a body that is not empty");
        bodies.push(bodies[0].clone());
        assert!(put_back(light, bodies).is_none(), "a body left over");
    }
}
