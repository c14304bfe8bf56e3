//! Model names: Speckle's rules, so names made here open in every client.

use crate::error::{Error, Result};

const MAX_LEN: usize = 512;

/// Trims, lower-cases and checks a model name: not empty, no leading `/`, `#` or `$`, no
/// trailing `/`, no `//`, `,` or `\`.
pub fn model_name(raw: &str) -> Result<String> {
    let name = raw.trim().to_lowercase();
    let bad = |reason: &str| Err(Error::invalid("name", reason));
    if name.is_empty() {
        return bad("a model needs a name");
    }
    if name.chars().count() > MAX_LEN {
        return bad("must be at most 512 characters");
    }
    if name.starts_with(['/', '#', '$']) {
        return bad("must not start with /, # or $");
    }
    if name.ends_with('/') {
        return bad("must not end with /");
    }
    if name.contains("//") || name.contains(',') || name.contains('\\') {
        return bad("must not contain //, commas or backslashes");
    }
    Ok(name)
}

/// Checks a project name: 1–512 characters once trimmed.
pub fn project_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "a project needs a name"));
    }
    if name.chars().count() > MAX_LEN {
        return Err(Error::invalid("name", "must be at most 512 characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_are_lower_cased_and_trimmed() {
        assert_eq!(model_name("  My/Nested/Model ").unwrap(), "my/nested/model");
    }

    #[test]
    fn model_names_follow_speckles_rules() {
        for bad in ["", "  ", "/a", "#a", "$a", "a/", "a//b", "a,b", "a\\b"] {
            assert!(model_name(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(model_name("a/b c/d-e_f.g").is_ok());
    }
}
