//! Warnings for what a downstream reader would silently lose: a perf value
//! without units (the perf dashboard refuses the whole test), a keyval key
//! longer than TKO's database column, a reason too long for it or outside
//! latin1. Warnings, not errors, as autotest's: the files stay as written;
//! each is said once per test and key, in the debug log and on the console.

use super::test_context::TestContext;
use crate::event::NoticeKind;
use crate::results::formats::iteration_keyval::TKO_KEY_LIMIT;

/// The longest reason TKO's database keeps (`varchar(4096)`, latin1).
const TKO_REASON_LIMIT: usize = 4096;

/// What a reason loses in TKO's database, if anything.
pub(crate) fn reason_loss(reason: &str) -> Option<String> {
    let chars = reason.chars().count();
    if chars > TKO_REASON_LIMIT {
        return Some(format!(
            "the reason is {chars} characters long; TKO's database keeps the first {TKO_REASON_LIMIT}"
        ));
    }
    let outside = reason.chars().find(|c| u32::from(*c) > 0xff)?;
    Some(format!("the reason holds {outside:?}, outside latin1, which TKO's database cannot store"))
}

impl TestContext {
    /// Says `text` once per test for `key`: a warning in the debug log and a
    /// notice on the console.
    pub(crate) fn warn_once(&mut self, key: String, kind: NoticeKind, text: impl FnOnce() -> String) {
        if self.warned.insert(key) {
            let text = text();
            log::warn!("{text}");
            self.job.notice(&self.subdir, kind, &text);
        }
    }

    /// Warns about a perf value the dashboard would refuse.
    /// `name` is the value's `graph/description` as given.
    pub(crate) fn warn_no_units(&mut self, name: &str) {
        self.warn_once(format!("units {name}"), NoticeKind::DataLoss, || {
            format!(
                "perf value `{name}` has no units: the perf dashboard refuses the whole test's upload \
                 (\"Units must be specified in the chart data\"); give it `.units(..)`"
            )
        });
    }

    /// Warns about keys TKO's database would cut.
    pub(crate) fn check_key_lengths<'k>(&mut self, keys: impl IntoIterator<Item = &'k str>) {
        for key in keys {
            if key.len() > TKO_KEY_LIMIT {
                self.warn_once(format!("key {key}"), NoticeKind::DataLoss, || {
                    format!(
                        "keyval key `{key}` is {} characters long; TKO's database keeps the first {TKO_KEY_LIMIT}",
                        key.chars().count()
                    )
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_tko_cannot_keep_are_named() {
        assert_eq!(reason_loss("plain latin1: café"), None);
        assert_eq!(reason_loss(&"x".repeat(TKO_REASON_LIMIT)), None);
        assert_eq!(
            reason_loss(&"x".repeat(TKO_REASON_LIMIT + 1)).unwrap(),
            "the reason is 4097 characters long; TKO's database keeps the first 4096"
        );
        assert_eq!(
            reason_loss("speed → 0").unwrap(),
            "the reason holds '→', outside latin1, which TKO's database cannot store"
        );
    }
}
