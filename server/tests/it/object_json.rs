//! The streaming JSON tokenizer behind the object routes: the events it gives, whole or fed in
//! pieces of any size, and the input it refuses.

use fleck_server::rest::objects::json::*;

/// Records events as text: `{ } [ ] k"…" s"…" null true false 0`.
#[derive(Default)]
struct Recorder {
    out: Vec<String>,
    text: Vec<u8>,
    key: bool,
}

impl Handler for Recorder {
    fn event(&mut self, event: Event<'_>) -> Result<(), DecodeError> {
        let word = match event {
            Event::BeginObject => "{".to_string(),
            Event::EndObject => "}".to_string(),
            Event::BeginArray => "[".to_string(),
            Event::EndArray => "]".to_string(),
            Event::Key | Event::Str => {
                self.key = event == Event::Key;
                self.text.clear();
                return Ok(());
            }
            Event::Part(bytes) => {
                self.text.extend_from_slice(bytes);
                return Ok(());
            }
            Event::End => format!(
                "{}{:?}",
                if self.key { "k" } else { "s" },
                String::from_utf8_lossy(&self.text)
            ),
            Event::Scalar(Scalar::Null) => "null".to_string(),
            Event::Scalar(Scalar::True) => "true".to_string(),
            Event::Scalar(Scalar::False) => "false".to_string(),
            Event::Scalar(Scalar::Number) => "0".to_string(),
        };
        self.out.push(word);
        Ok(())
    }
}

fn events_in_pieces(json: &[u8], size: usize) -> Result<Vec<String>, DecodeError> {
    let mut tokenizer = Tokenizer::new();
    let mut recorder = Recorder::default();
    for piece in json.chunks(size.max(1)) {
        tokenizer.feed(piece, &mut recorder)?;
    }
    tokenizer.finish(&mut recorder)?;
    Ok(recorder.out)
}

/// The events of `json` fed whole, then split at every possible place.
fn events(json: &str) -> Result<Vec<String>, DecodeError> {
    let whole = events_in_pieces(json.as_bytes(), json.len());
    for size in 1..json.len() {
        assert_eq!(
            events_in_pieces(json.as_bytes(), size),
            whole,
            "pieces of {size}"
        );
    }
    let bytes = json.as_bytes();
    for cut in 0..=bytes.len() {
        let mut tokenizer = Tokenizer::new();
        let mut recorder = Recorder::default();
        let split = tokenizer
            .feed(&bytes[..cut], &mut recorder)
            .and_then(|_| tokenizer.feed(&bytes[cut..], &mut recorder))
            .and_then(|_| tokenizer.finish(&mut recorder))
            .map(|_| recorder.out);
        assert_eq!(split, whole, "cut at {cut}");
    }
    whole
}

#[test]
fn tokens_come_out_whatever_the_pieces() {
    let json = r#" {"a": [1, -2.5e+3, 0, true, false, null, "x\"y\\z\/"], "b": {}, "c": []} "#;
    assert_eq!(
        events(json).unwrap(),
        [
            "{",
            "k\"a\"",
            "[",
            "0",
            "0",
            "0",
            "true",
            "false",
            "null",
            "s\"x\\\"y\\\\z/\"",
            "]",
            "k\"b\"",
            "{",
            "}",
            "k\"c\"",
            "[",
            "]",
            "}"
        ]
    );
}

#[test]
fn escapes_are_decoded_across_pieces() {
    let json = r#""\u00e9\ud83d\ude00\n\t\b\f\r\u0041""#;
    let expected = format!("s{:?}", "é😀\n\t\u{8}\u{c}\rA");
    assert_eq!(events(json).unwrap(), [expected]);
}

#[test]
fn a_top_level_number_ends_with_the_document() {
    assert_eq!(events("12").unwrap(), ["0"]);
    assert_eq!(events(" 0.5e7 ").unwrap(), ["0"]);
}

#[test]
fn malformed_documents_are_refused() {
    for bad in [
        "",
        "[",
        "[1,]",
        "[1 2]",
        "{\"a\" 1}",
        "{\"a\":}",
        "{1:2}",
        "[}",
        "01",
        "-",
        "1.",
        "1e",
        "+1",
        "tru",
        "nul",
        "[] []",
        "\"a",
        "\"\\x\"",
        "\"\\u12g4\"",
        "\"\\ud83d\"",
        "\"\\ud83d\\u0041\"",
        "\"\\ude00\"",
        "\"a\nb\"",
        "{\"a\":1,}",
    ] {
        let error = events_in_pieces(bad.as_bytes(), 1).expect_err(bad);
        assert_eq!(error.problem, Problem::Syntax, "{bad}");
        assert!(events_in_pieces(bad.as_bytes(), 64).is_err(), "{bad}");
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = "[".repeat(MAX_DEPTH + 1);
    let error = events_in_pieces(deep.as_bytes(), 7).unwrap_err();
    assert!(error.message.contains("nested too deeply"), "{error}");
    let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(events_in_pieces(fine.as_bytes(), 7).is_ok());
}

#[test]
fn errors_name_the_position() {
    let error = events_in_pieces(b"[1,]", 2).unwrap_err();
    assert_eq!(error.message, "expected a value at byte 4");
}
