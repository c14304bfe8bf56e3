//! The id-list decoders of the object routes: the form, JSON and stream bodies the clients send,
//! decoded whole, in pieces of every size and cut at every place.

use crate::support::form_encode;
use axum::body::Body;
use fleck_server::rest::objects::idlist::*;
use fleck_server::rest::objects::json::{DecodeError, Problem};

fn decode_in_pieces<D: BodyDecoder + Default>(
    body: &[u8],
    size: usize,
) -> Result<D::Output, DecodeError> {
    let mut decoder = D::default();
    for piece in body.chunks(size.max(1)) {
        decoder.feed(piece)?;
    }
    decoder.finish()
}

fn ids_of(list: Result<IdList, DecodeError>) -> Result<Vec<String>, DecodeError> {
    list.map(|l| l.iter().map(str::to_string).collect())
}

/// Decodes `body` whole, in pieces of every size, and cut in two at every place; each way
/// must give the same.
fn decode<D: BodyDecoder<Output = IdList> + Default>(
    body: &str,
) -> Result<Vec<String>, DecodeError> {
    let bytes = body.as_bytes();
    let whole = ids_of(decode_in_pieces::<D>(bytes, bytes.len()));
    for size in 1..bytes.len() {
        let pieces = ids_of(decode_in_pieces::<D>(bytes, size));
        assert_eq!(pieces, whole, "pieces of {size}");
    }
    for cut in 0..=bytes.len() {
        let mut decoder = D::default();
        let split = decoder
            .feed(&bytes[..cut])
            .and_then(|_| decoder.feed(&bytes[cut..]))
            .and_then(|_| decoder.finish());
        assert_eq!(ids_of(split), whole, "cut at {cut}");
    }
    whole
}

const A: &str = "0123456789abcdef0123456789abcdef";
const B: &str = "fedcba9876543210fedcba9876543210";

#[test]
fn a_form_field_as_specklepy_sends_it() {
    let list = serde_json::to_string(&[A, B]).unwrap().replace(',', ", ");
    let body = format!("objects={}", form_encode(&list));
    assert!(body.contains("%22%2C+%22"), "{body}");
    assert_eq!(decode::<FormIds>(&body).unwrap(), [A, B]);
}

#[test]
fn form_escapes_and_other_fields() {
    // Lower-case escapes, an escaped key, other fields before and after, a `+` for a space
    // inside an id, `%` that starts no escape, and a value holding `=`.
    let body = "x=1%2&%6fbjects=%5b%22a+b%22,%22c%25d%22,%22e=f%22,%22%zz%22%5D&y=%&z";
    assert_eq!(
        decode::<FormIds>(body).unwrap(),
        ["a b", "c%d", "e=f", "%zz"]
    );
    // The value's JSON escapes are decoded after the percent-escapes.
    let body = format!(
        "objects={}",
        form_encode(r#"["\u0041\"\\", "\ud83d\ude00"]"#)
    );
    assert_eq!(decode::<FormIds>(&body).unwrap(), ["A\"\\", "😀"]);
    assert_eq!(
        decode::<FormIds>("objects=%5B%5D").unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        decode::<FormIds>("&&objects=%5B%22a%22%5D&").unwrap(),
        ["a"]
    );
}

#[test]
fn form_refusals() {
    let shape = decode::<FormIds>("other=%5B%5D").unwrap_err();
    assert_eq!(shape.problem, Problem::Shape);
    assert!(shape.message.contains("missing field `objects`"));
    // A longer key that starts like the field is another field.
    assert_eq!(
        decode::<FormIds>("objectsX=1").unwrap_err().problem,
        Problem::Shape
    );
    let twice = decode::<FormIds>("objects=%5B%5D&objects=%5B%5D").unwrap_err();
    assert!(twice.message.contains("duplicate field"), "{twice}");
    for (body, says) in [
        ("objects", "unexpected end"),
        ("objects=", "unexpected end"),
        ("objects=%7B%7D", "expected a JSON array"),
        ("objects=%5B1%5D", "expected an object id"),
        ("objects=%5B%5B%5D%5D", "expected an object id"),
        ("objects=%5B%22a%22", "unexpected end"),
        ("objects=%5B%5D%5B%5D", "trailing characters"),
        ("objects=%5B%22a%22%2C%5D", "expected a value"),
        ("objects=%5B%22%FF%22%5D", "UTF-8"),
    ] {
        let error = decode::<FormIds>(body).unwrap_err();
        assert_eq!(error.problem, Problem::Ids, "{body}: {error}");
        assert!(error.message.contains(says), "{body}: {error}");
    }
}

#[test]
fn a_json_body_as_objectloader_sends_it() {
    let list = serde_json::to_string(&[A, B]).unwrap();
    let body = serde_json::to_string(&serde_json::json!({ "objects": list })).unwrap();
    assert!(body.contains(r#"[\""#), "{body}");
    assert_eq!(decode::<JsonIds>(&body).unwrap(), [A, B]);
}

#[test]
fn json_body_escapes_and_other_fields() {
    // Escapes at both levels: `\u0041` outside, `\\u0042` (an escape of the inner JSON)
    // inside; fields before and after, one nesting an `objects` of its own.
    let body = r#" { "a": {"objects": "[\"x\"]", "n": [1, {"b": null}]},
        "objects" : "[\"\u0041\", \"\\u0042\", \"\\\\\", \"\\\"\"]", "z": true } "#;
    assert_eq!(decode::<JsonIds>(body).unwrap(), ["A", "B", "\\", "\""]);
    let long_key = format!(r#"{{"{}": 1, "objects": "[]"}}"#, "k".repeat(100));
    assert_eq!(decode::<JsonIds>(&long_key).unwrap(), Vec::<String>::new());
}

#[test]
fn json_body_refusals() {
    for (body, problem, says) in [
        ("", Problem::Syntax, "unexpected end"),
        ("{\"objects\": \"[]\"", Problem::Syntax, "unexpected end"),
        ("{\"objects\": \"[]\"} x", Problem::Syntax, "trailing"),
        ("[\"[]\"]", Problem::Shape, "expected a JSON object"),
        ("{}", Problem::Shape, "missing field `objects`"),
        ("{\"objects\": [\"a\"]}", Problem::Shape, "must be a string"),
        (
            "{\"objects\": \"[]\", \"objects\": \"[]\"}",
            Problem::Shape,
            "duplicate field",
        ),
        (
            "{\"objects\": \"{}\"}",
            Problem::Ids,
            "expected a JSON array",
        ),
        (
            "{\"objects\": \"[\\\"a\\\"\"}",
            Problem::Ids,
            "unexpected end",
        ),
        (
            "{\"objects\": \"[null]\"}",
            Problem::Ids,
            "expected an object id",
        ),
    ] {
        let error = decode::<JsonIds>(body).unwrap_err();
        assert_eq!(error.problem, problem, "{body}: {error}");
        assert!(error.message.contains(says), "{body}: {error}");
    }
}

/// What serde_json makes of a body, as the routes read it before (the ids, or nothing).
fn reference(body: &str) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Body {
        objects: String,
    }
    let body: Body = serde_json::from_str(body).ok()?;
    serde_json::from_str(&body.objects).ok()
}

#[test]
fn json_bodies_are_read_as_serde_json_reads_them() {
    // Every one-byte change of a valid body is accepted or refused as serde_json would.
    let valid = r#"{"x": [1.5e3, {"y": null}, "objects"], "objects": "[\"ab\", \"\\u0041\\n\"]"}"#;
    assert_eq!(reference(valid).unwrap(), ["ab", "A\n"]);
    let mut bodies = vec![valid.to_string()];
    for at in 0..valid.len() {
        let mut deleted = valid.to_string();
        deleted.remove(at);
        bodies.push(deleted);
        for c in [
            '"', '\\', ',', '[', ']', '{', '}', ':', '0', '-', 'a', 'u', 'n', ' ', '\n',
        ] {
            let mut changed = valid.to_string();
            changed.replace_range(at..at + 1, &c.to_string());
            bodies.push(changed);
        }
    }
    for body in bodies {
        if body.trim_start().starts_with('[') {
            continue; // serde also reads a struct from an array; no client sends one
        }
        let expected = reference(&body);
        for size in [1, 7, body.len()] {
            let ours = ids_of(decode_in_pieces::<JsonIds>(body.as_bytes(), size)).ok();
            assert_eq!(ours, expected, "{body} in pieces of {size}");
        }
    }
}

#[test]
fn ids_are_bounded_in_length() {
    let longest = "i".repeat(MAX_ID_LEN);
    let body = format!(r#"{{"objects": "[\"{longest}\"]"}}"#);
    assert_eq!(decode::<JsonIds>(&body).unwrap(), [longest.as_str()]);
    let longer = format!("{longest}i");
    let body = format!(r#"{{"objects": "[\"{longer}\"]"}}"#);
    let error = decode::<JsonIds>(&body).unwrap_err();
    assert_eq!(error.problem, Problem::Ids);
    assert!(error.message.contains(&MAX_ID_LEN.to_string()), "{error}");
    let form = format!("objects={}", form_encode(&format!(r#"["{longer}"]"#)));
    assert_eq!(decode::<FormIds>(&form).unwrap_err().problem, Problem::Ids);
    // Escapes count as what they decode to.
    let escaped = format!(
        r#"{{"objects": "[\"{}\"]"}}"#,
        "\\\\u0069".repeat(MAX_ID_LEN)
    );
    assert_eq!(decode::<JsonIds>(&escaped).unwrap(), [longest]);
}

fn many_ids(n: usize) -> String {
    let mut list = String::with_capacity(n * 8 + 2);
    list.push('[');
    for i in 0..n {
        if i > 0 {
            list.push(',');
        }
        list.push_str(&format!("\"{i:x}\""));
    }
    list.push(']');
    list
}

#[test]
fn lists_are_bounded_in_count() {
    let list = many_ids(MAX_IDS);
    let body = format!("objects={}", form_encode(&list));
    let ids = decode_in_pieces::<FormIds>(body.as_bytes(), 64 * 1024).unwrap();
    assert_eq!(ids.len(), MAX_IDS);
    assert_eq!(ids.get(MAX_IDS - 1), format!("{:x}", MAX_IDS - 1));

    let list = many_ids(MAX_IDS + 1);
    let body = format!("objects={}", form_encode(&list));
    let error = decode_in_pieces::<FormIds>(body.as_bytes(), 64 * 1024).unwrap_err();
    assert_eq!(error.problem, Problem::TooLarge);
    assert!(error.message.contains("1000000"), "{error}");

    let body = format!(r#"{{"objectIds": {list}}}"#);
    let error = decode_in_pieces::<StreamIds>(body.as_bytes(), 64 * 1024)
        .err()
        .unwrap();
    assert_eq!(error.problem, Problem::TooLarge);
}

#[test]
fn compact_lists_keep_the_order_asked_and_drop_repeats() {
    let ids =
        decode::<JsonIds>(r#"{"objects": "[\"c\", \"a\", \"b\", \"a\", \"\", \"c\"]"}"#).unwrap();
    assert_eq!(ids, ["c", "a", "b", "a", "", "c"]);
    let list = decode_in_pieces::<JsonIds>(
        br#"{"objects": "[\"c\", \"a\", \"b\", \"a\", \"\", \"c\"]"}"#,
        3,
    )
    .unwrap();
    let distinct: Vec<&str> = list
        .first_occurrences()
        .into_iter()
        .map(|i| list.get(i as usize))
        .collect();
    assert_eq!(distinct, ["c", "a", "b", ""]);
}

fn stream(body: &str) -> Result<(Vec<String>, Option<String>), DecodeError> {
    let bytes = body.as_bytes();
    let render = |r: Result<StreamRequest, DecodeError>| {
        r.map(|r| {
            (
                r.ids.iter().map(str::to_string).collect::<Vec<_>>(),
                r.mask.map(|m| format!("{m:?}")),
            )
        })
    };
    let whole = render(decode_in_pieces::<StreamIds>(bytes, bytes.len()));
    for size in 1..bytes.len() {
        assert_eq!(
            render(decode_in_pieces::<StreamIds>(bytes, size)),
            whole,
            "pieces of {size}"
        );
    }
    whole
}

#[test]
fn the_object_stream_body() {
    assert_eq!(
        stream(r#"{"objectIds": ["a", "b\u0063"]}"#).unwrap(),
        (vec!["a".to_string(), "bc".to_string()], None)
    );
    assert_eq!(
        stream(r#"{"attributeMask": {"include": ["name", "x\ty"]}, "objectIds": ["a"]}"#).unwrap(),
        (
            vec!["a".to_string()],
            Some(r#"Include(["name", "x\ty"])"#.to_string())
        )
    );
    assert_eq!(
        stream(r#"{"objectIds": ["a"], "attributeMask": {"exclude": []}}"#).unwrap(),
        (vec!["a".to_string()], Some("Exclude([])".to_string()))
    );
    assert_eq!(
        stream(r#"{"objectIds": ["a"], "attributeMask": null}"#).unwrap(),
        (vec!["a".to_string()], None)
    );
}

#[test]
fn the_object_stream_body_is_strict() {
    for (body, problem, says) in [
        (r#"{"objectIds": []}"#, Problem::Shape, "at least one id"),
        (r#"{}"#, Problem::Shape, "missing field `objectIds`"),
        (r#"[]"#, Problem::Shape, "expected a JSON object"),
        (
            r#"{"objectIds": ["a"], "extra": 1}"#,
            Problem::Shape,
            "unknown field `extra`",
        ),
        (
            r#"{"objectIds": ["a"], "objectIds": ["b"]}"#,
            Problem::Shape,
            "duplicate field `objectIds`",
        ),
        (
            r#"{"objectIds": "a"}"#,
            Problem::Shape,
            "objectIds: expected a JSON array",
        ),
        (
            r#"{"objectIds": [1]}"#,
            Problem::Shape,
            "objectIds: expected an object id",
        ),
        (
            r#"{"objectIds": ["a"], "attributeMask": {"pick": ["x"]}}"#,
            Problem::Shape,
            "unknown variant `pick`",
        ),
        (
            r#"{"objectIds": ["a"], "attributeMask": {"include": ["x"], "exclude": ["y"]}}"#,
            Problem::Shape,
            "exactly one",
        ),
        (
            r#"{"objectIds": ["a"], "attributeMask": {"include": "x"}}"#,
            Problem::Shape,
            "list of property names",
        ),
        (
            r#"{"objectIds": ["a"],}"#,
            Problem::Syntax,
            "expected a key",
        ),
    ] {
        let error = stream(body).unwrap_err();
        assert_eq!(error.problem, problem, "{body}: {error}");
        assert!(error.message.contains(says), "{body}: {error}");
    }
}

#[tokio::test]
async fn bodies_are_read_piece_by_piece_and_bounded() {
    let pieces: Vec<Result<&'static [u8], std::io::Error>> =
        vec![Ok(b"objects=%5B%22a"), Ok(b"%22%2C%2"), Ok(b"2b%22%5D")];
    let body = Body::from_stream(futures::stream::iter(pieces));
    let ids = decode_body(body, FormIds::default()).await.unwrap();
    assert_eq!(ids.iter().collect::<Vec<_>>(), ["a", "b"]);

    let big = vec![b' '; 1024 * 1024];
    let pieces = (0..=MAX_BODY / big.len())
        .map(move |_| Ok::<_, std::io::Error>(bytes::Bytes::from(big.clone())));
    let body = Body::from_stream(futures::stream::iter(pieces));
    let error = decode_body(body, JsonIds::default()).await.unwrap_err();
    assert_eq!(error.problem, Problem::TooLarge);
    assert!(error.message.contains("100 MiB"), "{error}");
}
