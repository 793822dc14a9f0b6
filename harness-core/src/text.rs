//! How text from outside (a key, a name, an argument) is shown in a message:
//! its first 100 characters, control characters escaped.

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
