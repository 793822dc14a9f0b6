//! What a run is called and where its files go: autotest's
//! `_build_tagged_test_name`, with the rules that keep every name one safe
//! path component. The one code path that names a run, for `validate` and for
//! `run` alike.

use crate::error::{Error, Result};
use crate::text::shown;

/// The longest tagged name: it is a directory name, and `<name>.DEBUG` inside
/// it must fit the file system's 255 bytes too.
pub(crate) const MAX_NAME: usize = 200;

/// How deep tests nest: a test, its subtests, theirs, ... at most 32 levels,
/// and an argument's value at most 32 levels of lists and objects. Within
/// both, every file harness writes (results.json, a child's result) stays
/// under serde_json's limit of 128 nested levels, so it reads back.
pub(crate) const MAX_DEPTH: usize = 32;

/// Where a run's output goes and what it is called in `status.log`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Naming {
    /// `<name>[.<tag parts>]`: the operation column.
    pub(crate) operation: String,
    /// `[<parent>/]<operation>[.<subdir_tag>]`, relative to the result directory.
    pub(crate) subdir: String,
    /// The basename of `subdir`.
    pub(crate) tagged: String,
    /// The tag parts joined with `.`.
    pub(crate) tag: Option<String>,
}

/// The parts of a run's name, as its engine arguments and its job give them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NameParts<'a> {
    pub(crate) tag: Option<&'a str>,
    pub(crate) sequence: Option<u32>,
    pub(crate) automatic_tag: Option<&'a str>,
    pub(crate) subdir_tag: Option<&'a str>,
    pub(crate) master_testpath: Option<&'a str>,
}

/// Checks that `text` is safe as one path component: not empty, no `/`, not `.`
/// or `..`, no control characters, at most [`MAX_NAME`] bytes.
///
/// # Errors
///
/// [`Error::InvalidName`] saying why.
pub(crate) fn check_component(what: &'static str, text: &str) -> Result<()> {
    let reason = if text.is_empty() {
        Some("it is empty")
    } else if text.contains('/') || text.contains('\\') {
        Some("it contains a path separator; it must stay inside the results directory")
    } else if text == "." || text.contains("..") {
        Some("it contains `..`; it must stay inside the results directory")
    } else if text.chars().any(char::is_control) {
        Some("it contains a control character")
    } else if text.len() > MAX_NAME {
        Some("it is longer than 200 bytes")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidName { what, value: shown(text), reason }),
        None => Ok(()),
    }
}

/// Checks that `subdir` is a test directory a job could have made: a plain
/// relative path of safe components (not empty, no `..`, no control
/// character, at most 200 bytes each; no absolute path). What a reader of
/// results from elsewhere (a merged shard) checks before it uses a
/// `status.log`'s subdir as a path.
///
/// # Errors
///
/// [`Error::InvalidName`] saying why.
pub fn check_subdir(subdir: &str) -> Result<()> {
    if subdir.starts_with('/') {
        return Err(Error::InvalidName {
            what: "test directory",
            value: shown(subdir),
            reason: "it is an absolute path; it must stay inside the results directory",
        });
    }
    // The whole directory is named, not only the part refused.
    subdir.split('/').try_for_each(|part| check_component("test directory", part)).map_err(|error| match error {
        Error::InvalidName { what, reason, .. } => Error::InvalidName { what, value: shown(subdir), reason },
        other => other,
    })
}

/// autotest's `_build_tagged_test_name` for the test `name`.
///
/// # Errors
///
/// [`Error::InvalidName`] for a part, or a whole tagged name, that cannot be a
/// directory name.
pub(crate) fn naming(name: &str, parts: NameParts<'_>) -> Result<Naming> {
    check_component("test name", name)?;
    let mut tags = Vec::new();
    if let Some(tag) = parts.tag.filter(|t| !t.is_empty()) {
        check_component("tag", tag)?;
        tags.push(tag.to_owned());
    }
    if let Some(sequence) = parts.sequence {
        tags.push(format!("_{sequence:02}_"));
    }
    if let Some(automatic) = parts.automatic_tag.filter(|t| !t.is_empty()) {
        check_component("automatic_test_tag", automatic)?;
        tags.push(automatic.to_owned());
    }
    let operation = std::iter::once(name.to_owned()).chain(tags.iter().cloned()).collect::<Vec<_>>().join(".");
    let mut tagged = operation.clone();
    if let Some(subdir_tag) = parts.subdir_tag.filter(|t| !t.is_empty()) {
        check_component("subdir_tag", subdir_tag)?;
        tagged = format!("{tagged}.{subdir_tag}");
        tags.push(subdir_tag.to_owned());
    }
    check_component("tagged test name", &tagged)?;
    let subdir = match parts.master_testpath.filter(|p| !p.is_empty()) {
        Some(parent) => {
            for component in parent.split('/') {
                check_component("master_testpath", component)?;
            }
            format!("{parent}/{tagged}")
        }
        None => tagged.clone(),
    };
    let tag = (!tags.is_empty()).then(|| tags.join("."));
    Ok(Naming { operation, subdir, tagged, tag })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_build_tagged_test_name() {
        let plain = naming("t", NameParts::default()).unwrap();
        assert_eq!((plain.operation.as_str(), plain.subdir.as_str(), plain.tag), ("t", "t", None));
        let all = naming(
            "test8",
            NameParts {
                tag: Some("tag"),
                sequence: Some(1),
                automatic_tag: Some("auto"),
                subdir_tag: Some("subdir"),
                master_testpath: None,
            },
        )
        .unwrap();
        assert_eq!(all.operation, "test8.tag._01_.auto");
        assert_eq!(all.subdir, "test8.tag._01_.auto.subdir");
        assert_eq!(all.tag.as_deref(), Some("tag._01_.auto.subdir"));
    }

    #[test]
    fn one_output_dir_in_any_spelling() {
        let tagged = naming("x", NameParts { tag: Some("y"), ..NameParts::default() }).unwrap();
        let subdir_tagged = naming("x", NameParts { subdir_tag: Some("y"), ..NameParts::default() }).unwrap();
        assert_eq!(tagged.subdir, subdir_tagged.subdir);
    }

    #[test]
    fn names_too_long_for_a_directory_are_refused() {
        let long = "t".repeat(150);
        let err = naming(&long, NameParts { tag: Some(&"a".repeat(60)), ..NameParts::default() }).unwrap_err();
        assert_eq!(err.to_string().split(':').nth(1).map(str::trim), Some("it is longer than 200 bytes"));
    }
}
