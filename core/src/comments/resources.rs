//! The viewer's resource strings (`resourceIdString`): comma-separated `model`, `model@version`,
//! object ids, `$folder/prefix` for every model under a folder, and `all` for every model. A
//! thread is created about some of them; lists and subscriptions are restricted to them.

use crate::error::{Error, Result};

/// The longest resource string read, and the most resources in one.
pub const MAX_LENGTH: usize = 10_000;
pub const MAX_RESOURCES: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewerResource {
    /// A model, at one version when given (else its latest).
    Model {
        model_id: String,
        version_id: Option<String>,
    },
    Object(String),
    /// Every model whose name starts with the prefix.
    Folder(String),
    All,
}

/// Speckle's object ids are 32 hexadecimal characters; model ids are shorter.
fn is_object_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_plain_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads a resource string; an empty one names nothing.
pub fn parse(resource_id_string: &str) -> Result<Vec<ViewerResource>> {
    let invalid = |reason: String| Error::invalid("resourceIdString", reason);
    if resource_id_string.len() > MAX_LENGTH {
        return Err(invalid(format!("must be at most {MAX_LENGTH} characters")));
    }
    let mut resources = Vec::new();
    for part in resource_id_string.split(',').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let resource = if part.eq_ignore_ascii_case("all") {
            ViewerResource::All
        } else if let Some(prefix) = part.strip_prefix('$') {
            ViewerResource::Folder(prefix.to_lowercase())
        } else if let Some((model, version)) = part.split_once('@') {
            if !is_plain_id(model) || !is_plain_id(version) {
                return Err(invalid(format!("{part:?} is not a model@version pair")));
            }
            ViewerResource::Model {
                model_id: model.to_string(),
                version_id: Some(version.to_string()),
            }
        } else if is_object_id(part) {
            ViewerResource::Object(part.to_string())
        } else if is_plain_id(part) {
            ViewerResource::Model {
                model_id: part.to_string(),
                version_id: None,
            }
        } else {
            return Err(invalid(format!(
                "{part:?} names no model, version or object"
            )));
        };
        if !resources.contains(&resource) {
            resources.push(resource);
        }
        if resources.len() > MAX_RESOURCES {
            return Err(invalid(format!(
                "may name at most {MAX_RESOURCES} resources"
            )));
        }
    }
    Ok(resources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_models_versions_objects_folders_and_all() {
        let object = "0123456789abcdef0123456789abcdef";
        let parsed = parse(&format!("m1, m2@v2,{object},$Walls/, all,m1")).unwrap();
        assert_eq!(
            parsed,
            vec![
                ViewerResource::Model {
                    model_id: "m1".into(),
                    version_id: None
                },
                ViewerResource::Model {
                    model_id: "m2".into(),
                    version_id: Some("v2".into())
                },
                ViewerResource::Object(object.into()),
                ViewerResource::Folder("walls/".into()),
                ViewerResource::All,
            ]
        );
        assert_eq!(parse("").unwrap(), vec![]);
    }

    #[test]
    fn refuses_what_names_nothing_and_too_much() {
        assert!(parse("m1@").is_err());
        assert!(parse("a b").is_err());
        let many: Vec<String> = (0..=MAX_RESOURCES).map(|i| format!("m{i}")).collect();
        assert!(parse(&many.join(",")).is_err());
        assert!(parse(&"m".repeat(MAX_LENGTH + 1)).is_err());
    }
}
