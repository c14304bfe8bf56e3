//! Comment bodies: ProseMirror documents (as Speckle's editor writes them) with attached files.
//! Checked for size and shape before they are stored; their plain text is kept for previews and
//! e-mails, and their mention nodes name the people to notify.

use serde_json::Value;

use super::RichText;
use crate::error::{Error, Result};

/// The largest document kept, as JSON.
pub const MAX_DOC_BYTES: usize = 64 * 1024;
/// The deepest nesting walked; editors nest lists a few levels, never this far.
const MAX_DEPTH: usize = 64;
/// The most files one comment may carry.
pub const MAX_ATTACHMENTS: usize = 20;
/// The most people one comment may mention.
pub const MAX_MENTIONS: usize = 50;

const SCHEMA_VERSION: &str = "1.0.0";
const KIND: &str = "stream_comment";

/// Checks a document and its attachment ids and returns the stored value and its plain text.
/// Either may be empty, not both.
pub fn checked(doc: Option<Value>, blob_ids: Vec<String>) -> Result<(RichText, String)> {
    let doc = doc.filter(|d| !d.is_null());
    if let Some(doc) = &doc {
        if doc.get("type").and_then(Value::as_str) != Some("doc") {
            return Err(Error::invalid(
                "content",
                "the text must be a rich-text document (type \"doc\")",
            ));
        }
        if doc.to_string().len() > MAX_DOC_BYTES {
            return Err(Error::invalid(
                "content",
                format!("the text may be at most {} KiB", MAX_DOC_BYTES / 1024),
            ));
        }
    }
    let mut blob_ids = blob_ids;
    blob_ids.dedup();
    if blob_ids.len() > MAX_ATTACHMENTS {
        return Err(Error::invalid(
            "blobIds",
            format!("a comment may carry at most {MAX_ATTACHMENTS} files"),
        ));
    }
    let raw = match &doc {
        Some(doc) => plain_text(doc)?,
        None => String::new(),
    };
    if raw.trim().is_empty() && blob_ids.is_empty() {
        return Err(Error::invalid("content", "the comment is empty"));
    }
    let text = RichText {
        version: SCHEMA_VERSION.into(),
        kind: KIND.into(),
        doc,
        blob_ids,
    };
    Ok((text, raw))
}

/// A document holding `text` as one paragraph (legacy clients may send plain strings).
pub fn document_of(text: &str) -> Value {
    serde_json::json!({
        "type": "doc",
        "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": text }] }],
    })
}

/// Someone a comment may mention: a user id and the name `@` names them by.
pub struct Mentionable {
    pub id: String,
    pub name: String,
}

/// A document holding `text` as one paragraph in which each `@Name` of one of `people` (the
/// longest name that follows the `@`, in any case, ending at a word's end) mentions them.
pub fn document_mentioning(text: &str, people: &[Mentionable]) -> Value {
    let mut by_length: Vec<&Mentionable> = people.iter().filter(|p| !p.name.is_empty()).collect();
    by_length.sort_by_key(|p| std::cmp::Reverse(p.name.chars().count()));
    let mut content = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let (before, from_at) = rest.split_at(at);
        plain.push_str(before);
        let after = &from_at[1..];
        let starts_word = plain.chars().last().is_none_or(|c| !c.is_alphanumeric());
        let named = by_length
            .iter()
            .find_map(|person| Some((*person, named_at(after, &person.name)?)))
            .filter(|_| starts_word);
        match named {
            Some((person, len)) => {
                if !plain.is_empty() {
                    content.push(serde_json::json!({ "type": "text", "text": plain }));
                    plain = String::new();
                }
                content.push(serde_json::json!({
                    "type": "mention",
                    "attrs": { "id": person.id, "label": person.name },
                }));
                rest = &after[len..];
            }
            None => {
                plain.push('@');
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        content.push(serde_json::json!({ "type": "text", "text": plain }));
    }
    serde_json::json!({ "type": "doc", "content": [{ "type": "paragraph", "content": content }] })
}

/// The length in bytes of `name` at the start of `text`, in any case, when a word ends there.
fn named_at(text: &str, name: &str) -> Option<usize> {
    let mut chars = text.char_indices();
    for expected in name.chars() {
        let (_, c) = chars.next()?;
        if !c.to_lowercase().eq(expected.to_lowercase()) {
            return None;
        }
    }
    match chars.next() {
        Some((end, c)) if !c.is_alphanumeric() => Some(end),
        Some(_) => None,
        None => Some(text.len()),
    }
}

/// The document's nodes in reading order, each with its depth; refuses documents nested
/// deeper than `MAX_DEPTH`. Walked with a stack, so no document can exhaust the call stack.
fn nodes(doc: &Value) -> Result<Vec<(&Value, usize)>> {
    let mut order = Vec::new();
    let mut stack = vec![(doc, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(Error::invalid("content", "the text is nested too deeply"));
        }
        order.push((node, depth));
        if let Some(children) = node.get("content").and_then(Value::as_array) {
            stack.extend(children.iter().rev().map(|child| (child, depth + 1)));
        }
    }
    Ok(order)
}

/// The text without formatting: blocks on lines of their own, mentions as `@name`.
pub fn plain_text(doc: &Value) -> Result<String> {
    let mut out = String::new();
    for (node, depth) in nodes(doc)? {
        match node.get("type").and_then(Value::as_str) {
            Some("text") => out.push_str(node.get("text").and_then(Value::as_str).unwrap_or("")),
            Some("mention") => {
                let label = node
                    .pointer("/attrs/label")
                    .and_then(Value::as_str)
                    .unwrap_or("someone");
                out.push('@');
                out.push_str(label);
            }
            Some("hardBreak") => out.push('\n'),
            // A block below the document starts a line.
            Some(_)
                if depth > 0
                    && node.get("content").is_some()
                    && !out.is_empty()
                    && !out.ends_with('\n') =>
            {
                out.push('\n');
            }
            _ => {}
        }
    }
    Ok(out.trim_end().to_string())
}

/// The ids of the users a document mentions, each once, in order.
pub fn mentions(doc: &Value) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (node, _) in nodes(doc).unwrap_or_default() {
        if node.get("type").and_then(Value::as_str) != Some("mention") {
            continue;
        }
        if let Some(id) = node.pointer("/attrs/id").and_then(Value::as_str) {
            if !ids.iter().any(|known| known == id) && ids.len() < MAX_MENTIONS {
                ids.push(id.to_string());
            }
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    fn people() -> Vec<Mentionable> {
        [("u1", "Jane"), ("u2", "Jane Drew"), ("u3", "Bo")]
            .map(|(id, name)| Mentionable {
                id: id.into(),
                name: name.into(),
            })
            .into()
    }

    #[test]
    fn at_names_of_people_become_mentions_of_the_longest_name() {
        let doc = document_mentioning(
            "Ask @jane drew, and @Bo. Not me@Bo nor @Bob or @nobody.",
            &people(),
        );
        assert_eq!(mentions(&doc), ["u2", "u3"]);
        assert_eq!(
            plain_text(&doc).unwrap(),
            "Ask @Jane Drew, and @Bo. Not me@Bo nor @Bob or @nobody."
        );
        let alone = document_mentioning("@Jane", &people());
        assert_eq!(mentions(&alone), ["u1"]);
        assert_eq!(
            mentions(&document_mentioning("no one", &people())),
            Vec::<String>::new()
        );
    }

    fn doc() -> Value {
        json!({ "type": "doc", "content": [
            { "type": "paragraph", "content": [
                { "type": "text", "text": "Wall clashes with " },
                { "type": "mention", "attrs": { "id": "u1", "label": "Ada" } },
                { "type": "hardBreak" },
                { "type": "text", "text": "see level 2" },
            ]},
            { "type": "paragraph", "content": [
                { "type": "text", "text": "Thanks " },
                { "type": "mention", "attrs": { "id": "u1", "label": "Ada" } },
                { "type": "mention", "attrs": { "id": "u2", "label": "Bo" } },
            ]},
        ]})
    }

    #[test]
    fn plain_text_keeps_lines_and_mentions() {
        assert_eq!(
            plain_text(&doc()).unwrap(),
            "Wall clashes with @Ada\nsee level 2\nThanks @Ada@Bo"
        );
        assert_eq!(mentions(&doc()), ["u1", "u2"]);
    }

    #[test]
    fn empty_oversized_deep_and_foreign_documents_are_refused() {
        assert!(checked(None, vec![]).is_err());
        assert!(checked(Some(json!({"type": "doc", "content": []})), vec![]).is_err());
        assert!(checked(Some(json!({"type": "doc"})), vec!["b1".into()]).is_ok());
        assert!(checked(Some(json!({"type": "paragraph"})), vec!["b1".into()]).is_err());
        let long = document_of(&"x".repeat(MAX_DOC_BYTES));
        assert!(checked(Some(long), vec![]).is_err());
        let mut deep = json!({ "type": "text", "text": "deep" });
        for _ in 0..(MAX_DEPTH + 2) {
            deep = json!({ "type": "paragraph", "content": [deep] });
        }
        let deep = json!({ "type": "doc", "content": [deep] });
        assert!(checked(Some(deep), vec![]).is_err());
        let files: Vec<String> = (0..=MAX_ATTACHMENTS).map(|i| format!("b{i}")).collect();
        assert!(checked(Some(document_of("hi")), files).is_err());
    }

    #[test]
    fn checked_keeps_the_document_and_its_files() {
        let (text, raw) = checked(Some(doc()), vec!["b1".into()]).unwrap();
        assert_eq!(text.doc, Some(doc()));
        assert_eq!(text.blob_ids, ["b1"]);
        assert_eq!(text.kind, "stream_comment");
        assert!(raw.starts_with("Wall clashes"));
    }
}
