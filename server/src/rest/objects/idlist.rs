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
