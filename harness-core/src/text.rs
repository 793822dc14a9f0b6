//! How text from outside (a key, a name, an argument) is shown in a message:
//! its first 100 characters, control characters escaped; and the one hash of
//! text that names things on disk and assigns tests to shards.

/// The 64-bit FNV-1a hash of `text`: stable across builds, machines and
/// versions, so what it names or assigns stays put.
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// `text` for an error message: control characters escaped (`\n`, `\0`, ...), so
/// the message stays one line, and only the first 100 characters of a long text.
pub(crate) fn shown(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().take(100) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if text.chars().nth(100).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_is_the_published_function() {
        // The FNV-1a 64 test vectors (Fowler, Noll, Vo): "" and "a".
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
