//! Lists of object ids read from a request body as it arrives: `getobjects` and `diff` take a
//! form field or a JSON field holding a JSON array as a string (objects.md §4.4, §4.6),
//! `object-stream` a JSON body with the array itself (§4.5). Each piece of the body is decoded
//! on the spot (percent-escapes, then JSON escapes, then the array) into one compact list, so a
//! request holds its ids once, never the body or a tree of strings; the number of ids and the
//! length of each are bounded.

use axum::body::Body;
use futures::StreamExt;

use super::json::{DecodeError, Event, Handler, Problem, Scalar, Tokenizer};
use super::mask::Mask;

/// Most ids one request may list.
pub const MAX_IDS: usize = 1_000_000;
/// Longest id accepted, in bytes (Speckle's ids are 32 hex characters).
pub const MAX_ID_LEN: usize = 64;
/// Largest body of these routes (Speckle's MAX_REQUEST_BODY_SIZE_MB).
pub const MAX_BODY: usize = 100 * 1024 * 1024;
/// Bytes decoded between two turns given to other tasks (well under a millisecond of work).
const YIELD_EVERY: usize = 64 * 1024;
/// Most bytes of property names an attribute mask may list.
const MAX_MASK: usize = 1024 * 1024;

/// Ids one after the other in one string, with where each ends.
#[derive(Default, Debug)]
pub struct IdList {
    text: String,
    ends: Vec<u32>,
}

impl IdList {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> &str {
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).copied().unwrap_or(0) as usize,
        };
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        self.text.get(start..end).unwrap_or("")
    }

    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    fn push(&mut self, id: &[u8]) -> Result<(), DecodeError> {
        if self.ends.len() >= MAX_IDS {
            return Err(too_many());
        }
        let id = std::str::from_utf8(id)
            .map_err(|_| DecodeError::new(Problem::Ids, "object ids must be UTF-8 text"))?;
        self.text.push_str(id);
        // At most MAX_IDS × MAX_ID_LEN bytes, far below u32::MAX.
        self.ends.push(self.text.len() as u32);
        Ok(())
    }

    /// The positions of the distinct ids, each where it is first listed. Hashing a million ids
    /// takes a while: call it off the async workers.
    pub fn first_occurrences(&self) -> Vec<u32> {
        let mut seen = std::collections::HashSet::with_capacity(self.len());
        (0..self.len() as u32)
            .filter(|&i| seen.insert(self.get(i as usize)))
            .collect()
    }
}

fn too_many() -> DecodeError {
    DecodeError::new(
        Problem::TooLarge,
        format!("A request may list at most {MAX_IDS} object ids; split the list over several requests."),
    )
}

fn too_long() -> DecodeError {
    DecodeError::new(
        Problem::Ids,
        format!("Object ids are at most {MAX_ID_LEN} bytes long."),
    )
}

/// Takes a JSON array of string ids, event by event, into an `IdList`.
#[derive(Default)]
struct IdArray {
    ids: IdList,
    current: Vec<u8>,
    state: ArrayState,
}

#[derive(Default, PartialEq)]
enum ArrayState {
    #[default]
    Start,
    Items,
    InId,
    Done,
}

impl Handler for IdArray {
    fn event(&mut self, event: Event<'_>) -> Result<(), DecodeError> {
        match (&self.state, event) {
            (ArrayState::Start, Event::BeginArray) => self.state = ArrayState::Items,
            (ArrayState::Start, _) => {
                return Err(DecodeError::new(Problem::Shape, "expected a JSON array"))
            }
            (ArrayState::Items, Event::Str) => {
                self.current.clear();
                self.state = ArrayState::InId;
            }
            (ArrayState::Items, Event::EndArray) => self.state = ArrayState::Done,
            (ArrayState::Items, _) => {
                return Err(DecodeError::new(
                    Problem::Shape,
                    "expected an object id (a string)",
                ))
            }
            (ArrayState::InId, Event::Part(bytes)) => {
                if self.current.len() + bytes.len() > MAX_ID_LEN {
                    return Err(too_long());
                }
                self.current.extend_from_slice(bytes);
            }
            (ArrayState::InId, _) => {
                self.ids.push(&self.current)?;
                self.state = ArrayState::Items;
            }
            (ArrayState::Done, _) => {
                return Err(DecodeError::new(Problem::Shape, "more after the array"))
            }
        }
        Ok(())
    }
}

/// A JSON document held as a string and holding the id array: errors in it are the list's.
#[derive(Default)]
struct InnerIds {
    tokenizer: Tokenizer,
    array: IdArray,
}

fn about_the_list(e: DecodeError) -> DecodeError {
    match e.problem {
        Problem::Syntax | Problem::Shape => DecodeError::new(
            Problem::Ids,
            format!("objects must be a JSON array of object ids: {}", e.message),
        ),
        _ => e,
    }
}

impl InnerIds {
    fn feed(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        self.tokenizer
            .feed(bytes, &mut self.array)
            .map_err(about_the_list)
    }

    fn finish(mut self) -> Result<IdList, DecodeError> {
        self.tokenizer
            .finish(&mut self.array)
            .map_err(about_the_list)?;
        Ok(self.array.ids)
    }
}

/// A body decoded piece by piece.
pub trait BodyDecoder {
    type Output;
    fn feed(&mut self, piece: &[u8]) -> Result<(), DecodeError>;
    fn finish(self) -> Result<Self::Output, DecodeError>;
}

/// Reads `body` through `decoder`, refusing bodies over `MAX_BODY` bytes. A refused body is
/// still read to its end (up to `MAX_BODY`, and thrown away) so that the client, which may still
/// be sending, gets to read the answer.
pub async fn decode_body<D: BodyDecoder>(
    body: Body,
    mut decoder: D,
) -> Result<D::Output, DecodeError> {
    let mut stream = body.into_data_stream();
    let mut total = 0usize;
    let mut refused = None;
    let mut since_yield = 0usize;
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| {
            DecodeError::new(
                Problem::Syntax,
                format!("Failed to read the request body: {e}"),
            )
        })?;
        total += piece.len();
        if total > MAX_BODY {
            return Err(refused.unwrap_or_else(|| {
                DecodeError::new(
                    Problem::TooLarge,
                    format!(
                        "The request body is over the limit of {} MiB.",
                        MAX_BODY / (1024 * 1024)
                    ),
                )
            }));
        }
        if refused.is_none() {
            if let Err(e) = decoder.feed(&piece) {
                refused = Some(e);
            }
        }
        // Decoding is CPU work: when the client sends faster than it is decoded, the next piece
        // is always there, so give the other tasks on this worker (a /liveness probe) a turn
        // every YIELD_EVERY bytes.
        since_yield += piece.len();
        if since_yield >= YIELD_EVERY {
            since_yield = 0;
            tokio::task::yield_now().await;
        }
    }
    match refused {
        Some(e) => Err(e),
        None => decoder.finish(),
    }
}

/// `objects=<JSON array>` in an `application/x-www-form-urlencoded` body, as specklepy sends it.
/// Decodes as `serde_urlencoded` does: pairs split on `&`, key and value on the first `=`, `+`
/// is a space, a `%` not followed by two hex digits stays as it is; other fields are ignored.
#[derive(Default)]
pub struct FormIds {
    in_value: bool,
    /// The current key so far (only its first bytes: any key longer than `objects` is another).
    key: Vec<u8>,
    key_overflow: bool,
    /// A pending `%` and, once seen, its first hex digit.
    percent: Option<Option<u8>>,
    /// Whether the current value is the list's.
    is_list: bool,
    list: Option<InnerIds>,
    done: Option<IdList>,
    /// Decoded bytes of the current piece, handed on at once.
    decoded: Vec<u8>,
}

const FIELD: &[u8] = b"objects";

impl FormIds {
    fn duplicate() -> DecodeError {
        DecodeError::new(Problem::Shape, "duplicate field `objects`")
    }

    /// One decoded byte of the current key or value.
    fn byte(&mut self, b: u8) {
        if self.in_value {
            if self.is_list {
                self.decoded.push(b);
            }
        } else if self.key.len() < FIELD.len() {
            self.key.push(b);
        } else {
            self.key_overflow = true;
        }
    }

    /// The key ends (at `=`, or at `&` or the end for a key without a value).
    fn end_key(&mut self) -> Result<(), DecodeError> {
        self.in_value = true;
        self.is_list = !self.key_overflow && self.key == FIELD;
        if self.is_list {
            if self.list.is_some() || self.done.is_some() {
                return Err(Self::duplicate());
            }
            self.list = Some(InnerIds::default());
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DecodeError> {
        if let Some(list) = self.list.as_mut() {
            if !self.decoded.is_empty() {
                list.feed(&self.decoded)?;
            }
        }
        self.decoded.clear();
        Ok(())
    }

    /// A `%` that did not start an escape stands for itself.
    fn flush_percent(&mut self) {
        if let Some(first) = self.percent.take() {
            self.byte(b'%');
            if let Some(digit) = first {
                self.byte(digit);
            }
        }
    }

    /// The pair ends (at `&` or the end of the body).
    fn end_pair(&mut self) -> Result<(), DecodeError> {
        self.flush_percent();
        let empty = !self.in_value && self.key.is_empty() && !self.key_overflow;
        if !self.in_value && !empty {
            self.end_key()?;
        }
        if self.is_list {
            self.flush()?;
            if let Some(list) = self.list.take() {
                self.done = Some(list.finish()?);
            }
        }
        self.in_value = false;
        self.is_list = false;
        self.key.clear();
        self.key_overflow = false;
        Ok(())
    }
}

impl BodyDecoder for FormIds {
    type Output = IdList;

    fn feed(&mut self, piece: &[u8]) -> Result<(), DecodeError> {
        let mut i = 0;
        while i < piece.len() {
            let b = piece[i];
            match self.percent {
                Some(first) if b.is_ascii_hexdigit() => match first {
                    None => self.percent = Some(Some(b)),
                    Some(high) => {
                        self.percent = None;
                        let value = (high as char).to_digit(16).unwrap_or(0) * 16
                            + (b as char).to_digit(16).unwrap_or(0);
                        self.byte(value as u8);
                    }
                },
                Some(_) => {
                    // Not an escape after all: the `%` is literal and `b` is read afresh.
                    self.flush_percent();
                    continue;
                }
                None => match b {
                    b'&' => {
                        self.flush()?;
                        self.end_pair()?;
                    }
                    b'=' if !self.in_value => self.end_key()?,
                    b'%' => self.percent = Some(None),
                    b'+' => self.byte(b' '),
                    _ if self.in_value && self.is_list => {
                        // Runs of plain bytes go on in one slice.
                        let run = piece[i..]
                            .iter()
                            .position(|&c| matches!(c, b'&' | b'%' | b'+'))
                            .unwrap_or(piece.len() - i);
                        self.decoded.extend_from_slice(&piece[i..i + run]);
                        i += run;
                        continue;
                    }
                    _ => self.byte(b),
                },
            }
            i += 1;
        }
        self.flush()
    }

    fn finish(mut self) -> Result<IdList, DecodeError> {
        self.end_pair()?;
        self.done
            .ok_or_else(|| DecodeError::new(Problem::Shape, "missing field `objects`"))
    }
}

/// `{"objects": "<JSON array>"}`, as objectloader sends it; other fields are ignored.
#[derive(Default)]
pub struct JsonIds {
    tokenizer: Tokenizer,
    fields: ObjectsField,
}

/// Reads a top-level JSON object's keys: which one is being read, and when it is complete.
#[derive(Default)]
struct Keys {
    depth: usize,
    in_key: bool,
    key: Vec<u8>,
    /// The key is longer than any name looked for.
    overflow: bool,
}

/// Longest key name looked for.
const LONGEST_KEY: usize = 16;

impl Keys {
    /// Follows `event`; returns the key's bytes when a top-level key has just ended.
    fn follow(&mut self, event: &Event<'_>) -> Option<&[u8]> {
        match event {
            Event::BeginObject | Event::BeginArray => self.depth += 1,
            Event::EndObject | Event::EndArray => self.depth = self.depth.saturating_sub(1),
            Event::Key if self.depth == 1 => {
                self.in_key = true;
                self.key.clear();
                self.overflow = false;
            }
            Event::Part(bytes) if self.in_key => {
                if self.key.len() + bytes.len() <= LONGEST_KEY {
                    self.key.extend_from_slice(bytes);
                } else {
                    self.overflow = true;
                }
            }
            Event::End if self.in_key => {
                self.in_key = false;
                return Some(if self.overflow { b"" } else { &self.key });
            }
            _ => {}
        }
        None
    }

    fn name(&self) -> String {
        let name = String::from_utf8_lossy(&self.key);
        if self.overflow {
            format!("{name}…")
        } else {
            name.into_owned()
        }
    }
}

#[derive(Default)]
struct ObjectsField {
    keys: Keys,
    /// The next value is the list's.
    next_is_list: bool,
    list: Option<InnerIds>,
    done: Option<IdList>,
}

impl Handler for ObjectsField {
    fn event(&mut self, event: Event<'_>) -> Result<(), DecodeError> {
        if let Some(list) = self.list.as_mut() {
            // Inside the list's string: only its parts, then its end.
            if let Event::Part(bytes) = event {
                return list.feed(bytes);
            }
            if let Some(list) = self.list.take() {
                self.done = Some(list.finish()?);
            }
            return Ok(());
        }
        if self.keys.depth == 0 && event != Event::BeginObject {
            return Err(DecodeError::new(
                Problem::Shape,
                "expected a JSON object with an `objects` field",
            ));
        }
        if self.next_is_list {
            self.next_is_list = false;
            if event != Event::Str {
                return Err(DecodeError::new(
                    Problem::Shape,
                    "`objects` must be a string holding a JSON array of object ids",
                ));
            }
            self.list = Some(InnerIds::default());
            return Ok(());
        }
        if let Some(key) = self.keys.follow(&event) {
            if key == FIELD {
                if self.done.is_some() {
                    return Err(FormIds::duplicate());
                }
                self.next_is_list = true;
            }
        }
        Ok(())
    }
}

impl BodyDecoder for JsonIds {
    type Output = IdList;

    fn feed(&mut self, piece: &[u8]) -> Result<(), DecodeError> {
        self.tokenizer.feed(piece, &mut self.fields)
    }

    fn finish(mut self) -> Result<IdList, DecodeError> {
        self.tokenizer.finish(&mut self.fields)?;
        self.fields
            .done
            .ok_or_else(|| DecodeError::new(Problem::Shape, "missing field `objects`"))
    }
}

/// The object stream's request: `{"objectIds": [...], "attributeMask": {"include"|"exclude": [...]}}`,
/// strictly (no other fields, at least one id).
#[derive(Default)]
pub struct StreamIds {
    tokenizer: Tokenizer,
    fields: StreamFields,
}

pub struct StreamRequest {
    pub ids: IdList,
    pub mask: Option<Mask>,
}

#[derive(Default)]
struct StreamFields {
    keys: Keys,
    target: Target,
    ids: Option<IdArray>,
    mask: Option<MaskBuilder>,
}

#[derive(Default, PartialEq)]
enum Target {
    #[default]
    None,
    Ids,
    Mask,
}

impl Handler for StreamFields {
    fn event(&mut self, event: Event<'_>) -> Result<(), DecodeError> {
        match self.target {
            Target::Ids => {
                let ids = self.ids.get_or_insert_with(IdArray::default);
                ids.event(event).map_err(|e| match e.problem {
                    Problem::Shape => {
                        DecodeError::new(Problem::Shape, format!("objectIds: {}", e.message))
                    }
                    _ => e,
                })?;
                if ids.state == ArrayState::Done {
                    self.target = Target::None;
                }
                return Ok(());
            }
            Target::Mask => {
                let mask = self.mask.get_or_insert_with(MaskBuilder::default);
                mask.event(event)?;
                if mask.state == MaskState::Done {
                    self.target = Target::None;
                }
                return Ok(());
            }
            Target::None => {}
        }
        if self.keys.depth == 0 && event != Event::BeginObject {
            return Err(DecodeError::new(
                Problem::Shape,
                "expected a JSON object with `objectIds`",
            ));
        }
        if let Some(key) = self.keys.follow(&event) {
            let (target, seen) = match key {
                b"objectIds" => (Target::Ids, self.ids.is_some()),
                b"attributeMask" => (Target::Mask, self.mask.is_some()),
                _ => {
                    return Err(DecodeError::new(
                        Problem::Shape,
                        format!(
                            "unknown field `{}`, expected `objectIds` or `attributeMask`",
                            self.keys.name()
                        ),
                    ))
                }
            };
            if seen {
                return Err(DecodeError::new(
                    Problem::Shape,
                    format!("duplicate field `{}`", self.keys.name()),
                ));
            }
            self.target = target;
        }
        Ok(())
    }
}

impl BodyDecoder for StreamIds {
    type Output = StreamRequest;

    fn feed(&mut self, piece: &[u8]) -> Result<(), DecodeError> {
        self.tokenizer.feed(piece, &mut self.fields)
    }

    fn finish(mut self) -> Result<StreamRequest, DecodeError> {
        self.tokenizer.finish(&mut self.fields)?;
        let ids = self
            .fields
            .ids
            .ok_or_else(|| DecodeError::new(Problem::Shape, "missing field `objectIds`"))?
            .ids;
        if ids.is_empty() {
            return Err(DecodeError::new(
                Problem::Shape,
                "objectIds must list at least one id",
            ));
        }
        Ok(StreamRequest {
            ids,
            mask: self.fields.mask.and_then(|m| m.mask),
        })
    }
}

/// `null`, or an object with exactly one of `include` and `exclude`, a list of property names.
#[derive(Default)]
struct MaskBuilder {
    state: MaskState,
    include: bool,
    keys: Vec<String>,
    key: Vec<u8>,
    bytes: usize,
    mask: Option<Mask>,
}

#[derive(Default, PartialEq)]
enum MaskState {
    #[default]
    Start,
    /// `{` read: the variant's name.
    Variant,
    InVariant,
    /// The variant named: its list.
    List,
    Items,
    InItem,
    /// The list closed: `}`.
    Close,
    Done,
}

fn mask_error(message: &str) -> DecodeError {
    DecodeError::new(Problem::Shape, format!("attributeMask: {message}"))
}

impl Handler for MaskBuilder {
    fn event(&mut self, event: Event<'_>) -> Result<(), DecodeError> {
        let expected_list = "expected a list of property names";
        match (&self.state, event) {
            (MaskState::Start, Event::Scalar(Scalar::Null)) => self.state = MaskState::Done,
            (MaskState::Start, Event::BeginObject) => self.state = MaskState::Variant,
            (MaskState::Start, _) => {
                return Err(mask_error("expected an object with `include` or `exclude`"))
            }
            (MaskState::Variant, Event::Key) => {
                self.key.clear();
                self.state = MaskState::InVariant;
            }
            (MaskState::Variant, _) => return Err(mask_error("expected `include` or `exclude`")),
            (MaskState::InVariant, Event::Part(bytes)) => {
                if self.key.len() + bytes.len() <= LONGEST_KEY {
                    self.key.extend_from_slice(bytes);
                } else {
                    self.key.clear();
                    self.key.extend_from_slice(b"(a long name)");
                }
            }
            (MaskState::InVariant, _) => {
                self.include = match self.key.as_slice() {
                    b"include" => true,
                    b"exclude" => false,
                    other => {
                        return Err(mask_error(&format!(
                            "unknown variant `{}`, expected `include` or `exclude`",
                            String::from_utf8_lossy(other)
                        )))
                    }
                };
                self.state = MaskState::List;
            }
            (MaskState::List, Event::BeginArray) => self.state = MaskState::Items,
            (MaskState::List, _) => return Err(mask_error(expected_list)),
            (MaskState::Items, Event::Str) => {
                self.key.clear();
                self.state = MaskState::InItem;
            }
            (MaskState::Items, Event::EndArray) => self.state = MaskState::Close,
            (MaskState::Items, _) => return Err(mask_error(expected_list)),
            (MaskState::InItem, Event::Part(bytes)) => {
                self.bytes += bytes.len();
                if self.bytes > MAX_MASK {
                    return Err(DecodeError::new(
                        Problem::TooLarge,
                        format!(
                            "attributeMask may list at most {} KiB of property names.",
                            MAX_MASK / 1024
                        ),
                    ));
                }
                self.key.extend_from_slice(bytes);
            }
            (MaskState::InItem, _) => {
                let name = String::from_utf8(std::mem::take(&mut self.key))
                    .map_err(|_| mask_error("property names must be UTF-8 text"))?;
                self.keys.push(name);
                self.state = MaskState::Items;
            }
            (MaskState::Close, Event::EndObject) => {
                let keys = std::mem::take(&mut self.keys);
                self.mask = Some(if self.include {
                    Mask::Include(keys)
                } else {
                    Mask::Exclude(keys)
                });
                self.state = MaskState::Done;
            }
            (MaskState::Close, _) => {
                return Err(mask_error(
                    "expected exactly one of `include` and `exclude`",
                ))
            }
            (MaskState::Done, _) => return Err(mask_error("unexpected value")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A form field as Python's `urlencode` writes it (`quote_plus`).
    fn form_encode(value: &str) -> String {
        let mut out = String::new();
        for b in value.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
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
        let valid =
            r#"{"x": [1.5e3, {"y": null}, "objects"], "objects": "[\"ab\", \"\\u0041\\n\"]"}"#;
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
        let ids = decode::<JsonIds>(r#"{"objects": "[\"c\", \"a\", \"b\", \"a\", \"\", \"c\"]"}"#)
            .unwrap();
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
            stream(r#"{"attributeMask": {"include": ["name", "x\ty"]}, "objectIds": ["a"]}"#)
                .unwrap(),
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
}
