//! A push tokenizer for JSON: bytes go in a piece at a time (a piece may end anywhere, inside an
//! escape or a number included) and come out as events, strings unescaped. It holds no more
//! than its nesting stack and the state of one token, so a body of any size is read in constant
//! memory; what to keep is the handler's choice.

use std::fmt;

/// Deepest nesting accepted (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// What the tokenizer saw.
#[derive(Debug, PartialEq)]
pub enum Event<'a> {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    /// An object's key starts; its text follows as `Part`s, then `End`.
    Key,
    /// A string value starts; its text follows as `Part`s, then `End`.
    Str,
    /// Unescaped bytes of the current key or string (a string may come in many parts).
    Part(&'a [u8]),
    /// The current key or string ends.
    End,
    Scalar(Scalar),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Null,
    True,
    False,
    Number,
}

/// Where a handler's or the tokenizer's complaint came from decides the answer's status.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Problem {
    /// Not well-formed (JSON or form encoding).
    Syntax,
    /// Well-formed, but not the expected shape (a field missing, of the wrong type, unknown).
    Shape,
    /// The list of ids itself is not a JSON array of acceptable ids.
    Ids,
    /// More ids, or more bytes, than a request may carry.
    TooLarge,
}

#[derive(Debug, PartialEq)]
pub struct DecodeError {
    pub problem: Problem,
    pub message: String,
}

impl DecodeError {
    pub fn new(problem: Problem, message: impl Into<String>) -> Self {
        DecodeError {
            problem,
            message: message.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Receives the events of one document.
pub trait Handler {
    fn event(&mut self, event: Event<'_>) -> Result<(), DecodeError>;
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Container {
    Object,
    Array,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    Exp,
}

impl Num {
    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::Exp)
    }
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// Before the document's value.
    Start,
    /// After `:` or an array's `,`: a value must follow.
    Value,
    /// After `[`: a value or `]`.
    FirstItem,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After an object's `,`: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value inside a container: `,` or its closer.
    Next,
    /// After the document's value: only whitespace may follow.
    Done,
    Str {
        key: bool,
    },
    Escape {
        key: bool,
    },
    /// `\u` and `digits` of its four hex digits; `low` when it must be a low surrogate.
    Hex {
        key: bool,
        digits: u8,
        code: u32,
        low: bool,
    },
    /// After a high surrogate: `\` of the low one.
    LowBackslash {
        key: bool,
    },
    /// After a high surrogate and `\`: `u`.
    LowU {
        key: bool,
    },
    Number(Num),
    Literal {
        rest: &'static [u8],
        scalar: Scalar,
    },
}

pub struct Tokenizer {
    state: State,
    stack: Vec<Container>,
    /// The pending high surrogate of a `\uD8xx\uDCxx` pair.
    high: u32,
    /// Bytes fed before the current piece (for error positions).
    offset: usize,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn hex_value(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

impl Tokenizer {
    pub fn new() -> Self {
        Tokenizer {
            state: State::Start,
            stack: Vec::new(),
            high: 0,
            offset: 0,
        }
    }

    fn fail(&self, at: usize, what: &str) -> DecodeError {
        DecodeError::new(Problem::Syntax, format!("{what} at byte {}", at + 1))
    }

    fn after_value(&self) -> State {
        if self.stack.is_empty() {
            State::Done
        } else {
            State::Next
        }
    }

    fn begin_value(
        &mut self,
        b: u8,
        at: usize,
        handler: &mut impl Handler,
    ) -> Result<(), DecodeError> {
        self.state = match b {
            b'{' | b'[' => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.fail(at, "nested too deeply"));
                }
                if b == b'{' {
                    self.stack.push(Container::Object);
                    handler.event(Event::BeginObject)?;
                    State::FirstKey
                } else {
                    self.stack.push(Container::Array);
                    handler.event(Event::BeginArray)?;
                    State::FirstItem
                }
            }
            b'"' => {
                handler.event(Event::Str)?;
                State::Str { key: false }
            }
            b'-' => State::Number(Num::Minus),
            b'0' => State::Number(Num::Zero),
            b'1'..=b'9' => State::Number(Num::Int),
            b't' => State::Literal {
                rest: b"rue",
                scalar: Scalar::True,
            },
            b'f' => State::Literal {
                rest: b"alse",
                scalar: Scalar::False,
            },
            b'n' => State::Literal {
                rest: b"ull",
                scalar: Scalar::Null,
            },
            _ => return Err(self.fail(at, "expected a value")),
        };
        Ok(())
    }

    fn close(&mut self, b: u8, at: usize, handler: &mut impl Handler) -> Result<(), DecodeError> {
        let (container, event) = match b {
            b'}' => (Container::Object, Event::EndObject),
            _ => (Container::Array, Event::EndArray),
        };
        if self.stack.last() != Some(&container) {
            return Err(self.fail(at, "unexpected closing bracket"));
        }
        self.stack.pop();
        handler.event(event)?;
        self.state = self.after_value();
        Ok(())
    }

    fn emit_char(
        &mut self,
        code: u32,
        at: usize,
        handler: &mut impl Handler,
    ) -> Result<(), DecodeError> {
        let c = char::from_u32(code).ok_or_else(|| self.fail(at, "invalid unicode escape"))?;
        let mut utf8 = [0u8; 4];
        handler.event(Event::Part(c.encode_utf8(&mut utf8).as_bytes()))
    }

    /// Takes the next piece of the document.
    pub fn feed(&mut self, input: &[u8], handler: &mut impl Handler) -> Result<(), DecodeError> {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            let at = self.offset + i;
            match self.state {
                State::Str { key } => {
                    let rest = &input[i..];
                    let plain = rest
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .unwrap_or(rest.len());
                    if plain > 0 {
                        handler.event(Event::Part(&rest[..plain]))?;
                        i += plain;
                        continue;
                    }
                    match b {
                        b'"' => {
                            handler.event(Event::End)?;
                            self.state = if key {
                                State::Colon
                            } else {
                                self.after_value()
                            };
                        }
                        b'\\' => self.state = State::Escape { key },
                        _ => return Err(self.fail(at, "control character in a string")),
                    }
                }
                State::Escape { key } => {
                    let unescaped = match b {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            self.state = State::Hex {
                                key,
                                digits: 0,
                                code: 0,
                                low: false,
                            };
                            i += 1;
                            continue;
                        }
                        _ => return Err(self.fail(at, "invalid escape")),
                    };
                    handler.event(Event::Part(&[unescaped]))?;
                    self.state = State::Str { key };
                }
                State::Hex {
                    key,
                    digits,
                    code,
                    low,
                } => {
                    let digit = hex_value(b).ok_or_else(|| self.fail(at, "invalid \\u escape"))?;
                    let code = code * 16 + digit;
                    if digits < 3 {
                        self.state = State::Hex {
                            key,
                            digits: digits + 1,
                            code,
                            low,
                        };
                    } else if low {
                        if !(0xDC00..=0xDFFF).contains(&code) {
                            return Err(self.fail(at, "lone leading surrogate in a \\u escape"));
                        }
                        let joined = 0x10000 + ((self.high - 0xD800) << 10) + (code - 0xDC00);
                        self.emit_char(joined, at, handler)?;
                        self.state = State::Str { key };
                    } else if (0xD800..=0xDBFF).contains(&code) {
                        self.high = code;
                        self.state = State::LowBackslash { key };
                    } else if (0xDC00..=0xDFFF).contains(&code) {
                        return Err(self.fail(at, "lone trailing surrogate in a \\u escape"));
                    } else {
                        self.emit_char(code, at, handler)?;
                        self.state = State::Str { key };
                    }
                }
                State::LowBackslash { key } => {
                    if b != b'\\' {
                        return Err(self.fail(at, "lone leading surrogate in a \\u escape"));
                    }
                    self.state = State::LowU { key };
                }
                State::LowU { key } => {
                    if b != b'u' {
                        return Err(self.fail(at, "lone leading surrogate in a \\u escape"));
                    }
                    self.state = State::Hex {
                        key,
                        digits: 0,
                        code: 0,
                        low: true,
                    };
                }
                State::Number(num) => {
                    let next = match (num, b) {
                        (Num::Minus, b'0') => Num::Zero,
                        (Num::Minus, b'1'..=b'9') => Num::Int,
                        (Num::Int, b'0'..=b'9') => Num::Int,
                        (Num::Zero | Num::Int, b'.') => Num::Dot,
                        (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
                        (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::E,
                        (Num::E, b'+' | b'-') => Num::ESign,
                        (Num::E | Num::ESign | Num::Exp, b'0'..=b'9') => Num::Exp,
                        _ if num.complete() && !b.is_ascii_digit() => {
                            // The number ended one byte ago; this byte is read afresh.
                            handler.event(Event::Scalar(Scalar::Number))?;
                            self.state = self.after_value();
                            continue;
                        }
                        _ => return Err(self.fail(at, "invalid number")),
                    };
                    self.state = State::Number(next);
                }
                State::Literal { rest, scalar } => {
                    if rest.first() != Some(&b) {
                        return Err(self.fail(at, "expected a value"));
                    }
                    if rest.len() == 1 {
                        handler.event(Event::Scalar(scalar))?;
                        self.state = self.after_value();
                    } else {
                        self.state = State::Literal {
                            rest: &rest[1..],
                            scalar,
                        };
                    }
                }
                _ if is_space(b) => {}
                State::Start | State::Value => self.begin_value(b, at, handler)?,
                State::FirstItem => {
                    if b == b']' {
                        self.close(b, at, handler)?;
                    } else {
                        self.begin_value(b, at, handler)?;
                    }
                }
                State::FirstKey | State::Key => match b {
                    b'"' => {
                        handler.event(Event::Key)?;
                        self.state = State::Str { key: true };
                    }
                    b'}' if matches!(self.state, State::FirstKey) => self.close(b, at, handler)?,
                    _ => return Err(self.fail(at, "expected a key")),
                },
                State::Colon => {
                    if b != b':' {
                        return Err(self.fail(at, "expected `:`"));
                    }
                    self.state = State::Value;
                }
                State::Next => match b {
                    b',' => {
                        self.state = match self.stack.last() {
                            Some(Container::Object) => State::Key,
                            _ => State::Value,
                        };
                    }
                    b'}' | b']' => self.close(b, at, handler)?,
                    _ => return Err(self.fail(at, "expected `,` or a closing bracket")),
                },
                State::Done => return Err(self.fail(at, "trailing characters")),
            }
            i += 1;
        }
        self.offset += input.len();
        Ok(())
    }

    /// Ends the document: it must be complete.
    pub fn finish(&mut self, handler: &mut impl Handler) -> Result<(), DecodeError> {
        if let State::Number(num) = self.state {
            if num.complete() && self.stack.is_empty() {
                handler.event(Event::Scalar(Scalar::Number))?;
                self.state = State::Done;
            }
        }
        match self.state {
            State::Done => Ok(()),
            _ => Err(self.fail(self.offset, "unexpected end of the document")),
        }
    }
}
