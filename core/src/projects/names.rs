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

/// A project or model name for a file: its name without the file type, without the characters
/// `model_name` refuses (`/`, `\`, `,`, and `#` or `$` first).
pub fn from_file_name(file_name: &str) -> String {
    let stem = match file_name.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem,
        _ => file_name,
    };
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ',') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let name = cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches(['#', '$'])
        .trim()
        .to_string();
    if name.is_empty() {
        "model".into()
    } else {
        name.chars().take(200).collect()
    }
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

    #[test]
    fn names_come_from_the_file_name_without_its_type() {
        assert_eq!(from_file_name("two_storey_house.ifc"), "two_storey_house");
        assert_eq!(from_file_name("Office A, level 2.IFC"), "Office A level 2");
        assert_eq!(from_file_name("#1 site.ifc"), "1 site");
        assert_eq!(from_file_name("archive.tar.gz"), "archive.tar");
        assert_eq!(from_file_name(".ifc"), ".ifc");
        assert_eq!(from_file_name("$.obj"), "model");
    }
}
