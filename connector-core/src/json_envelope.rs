//! Incremental splitting of the records array inside a JSON envelope
//! (`{"data": [...], "metadata": {"total": 1200}}`, `{"Resources": [...], "totalResults": 3}`):
//! the array at a JSON pointer is split element by element as the body arrives (memory holds
//! one element plus one chunk, as for bare arrays), and the rest of the envelope is kept, with
//! the records array replaced by `[]`, so that its other fields (totals, next links, cursors)
//! can be read once the body is complete.
//!
//! ```
//! use connector_core::json_envelope::EnvelopeSplitter;
//!
//! let mut records = Vec::new();
//! let mut splitter = EnvelopeSplitter::new("/data").unwrap();
//! for chunk in [&br#"{"meta":{"total":2},"da"#[..], &br#"ta":[{"id":1},{"i"#[..], &br#"d":2}],"next":null}"#[..]] {
//!     splitter
//!         .push(chunk, |e| {
//!             records.push(String::from_utf8(e.to_vec()).unwrap());
//!             Ok::<(), ()>(())
//!         })
//!         .unwrap();
//! }
//! let envelope = splitter.finish::<()>().unwrap();
//! assert_eq!(records, [r#"{"id":1}"#, r#"{"id":2}"#]);
//! assert_eq!(envelope["meta"]["total"], 2);
//! assert_eq!(envelope["data"], serde_json::json!([]));
//! ```

use std::fmt;

use serde_json::Value;

use crate::json_array::{ArraySplitter, SplitError};

/// Why a byte stream is not an envelope with a records array at the pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeError<E> {
    /// The body is not a JSON object (`None`: empty; else its first byte).
    NotAnObject(Option<u8>),
    /// The envelope has nothing at the pointer.
    Missing,
    /// The value at the pointer is not an array (its JSON type).
    NotAnArray(&'static str),
    /// The body is not valid JSON or ends early.
    Malformed(String),
    /// The records array is not valid, or an element callback failed.
    Records(SplitError<E>),
}

impl<E: fmt::Display> fmt::Display for EnvelopeError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvelopeError::NotAnObject(None) => f.write_str("an empty body"),
            EnvelopeError::NotAnObject(Some(b'[')) => {
                f.write_str("a bare JSON array instead of an object")
            }
            EnvelopeError::NotAnObject(Some(b)) => {
                write!(f, "content starting with {:?}", *b as char)
            }
            EnvelopeError::Missing => f.write_str("a JSON object without that member"),
            EnvelopeError::NotAnArray(kind) => write!(f, "{kind} at that member, not an array"),
            EnvelopeError::Malformed(why) => write!(f, "invalid JSON ({why})"),
            EnvelopeError::Records(e) => e.fmt(f),
        }
    }
}

/// The container being scanned, and where in it we are.
#[derive(Debug)]
enum Frame {
    Object {
        key: Option<String>,
        expect_key: bool,
    },
    Array {
        index: usize,
    },
}

/// Splits the array at a JSON pointer inside a streamed envelope.
#[derive(Debug)]
pub struct EnvelopeSplitter {
    target: Vec<String>,
    /// The envelope with the records array replaced by `[]`.
    outer: Vec<u8>,
    stack: Vec<Frame>,
    in_string: bool,
    escaped: bool,
    /// Where the string in progress started in `outer`, when it is an object key.
    key_start: Option<usize>,
    records: Option<ArraySplitter>,
    found: bool,
    started: bool,
}

impl EnvelopeSplitter {
    /// A splitter for the array at `pointer` (RFC 6901: `/data`, `/result/items`). The empty
    /// pointer is refused: use [`ArraySplitter`] for bare arrays.
    pub fn new(pointer: &str) -> Option<Self> {
        let target: Vec<String> = pointer
            .strip_prefix('/')?
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        Some(EnvelopeSplitter {
            target,
            outer: Vec::new(),
            stack: Vec::new(),
            in_string: false,
            escaped: false,
            key_start: None,
            records: None,
            found: false,
            started: false,
        })
    }

    /// Whether the container stack, plus a value about to start, is at the target path.
    fn at_target(&self) -> bool {
        self.stack.len() == self.target.len()
            && self
                .stack
                .iter()
                .zip(&self.target)
                .all(|(frame, token)| match frame {
                    Frame::Object { key, expect_key } => {
                        !expect_key && key.as_deref() == Some(token.as_str())
                    }
                    Frame::Array { index } => token.parse::<usize>().ok() == Some(*index),
                })
    }

    /// Feeds a chunk; calls `element` with each record completed by it, in order.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        mut element: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), EnvelopeError<E>> {
        let mut i = 0;
        while i < chunk.len() {
            if let Some(records) = &mut self.records {
                match records.push_embedded(&chunk[i..], &mut element) {
                    Err(e) => return Err(EnvelopeError::Records(e)),
                    Ok(None) => return Ok(()),
                    Ok(Some(used)) => {
                        self.records = None;
                        self.outer.extend_from_slice(b"[]");
                        i += used;
                        continue;
                    }
                }
            }
            let b = chunk[i];
            if self.in_string {
                self.outer.push(b);
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if let Some(start) = self.key_start.take() {
                        let key = serde_json::from_slice::<String>(&self.outer[start..])
                            .map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
                        if let Some(Frame::Object { key: slot, .. }) = self.stack.last_mut() {
                            *slot = Some(key);
                        }
                    }
                }
                i += 1;
                continue;
            }
            if !self.started && !b.is_ascii_whitespace() {
                if b != b'{' {
                    return Err(EnvelopeError::NotAnObject(Some(b)));
                }
                self.started = true;
            }
            match b {
                b'[' if !self.found && self.at_target() => {
                    self.found = true;
                    self.records = Some(ArraySplitter::embedded());
                    // The `[` itself is fed to the records splitter.
                    continue;
                }
                b'{' => self.stack.push(Frame::Object {
                    key: None,
                    expect_key: true,
                }),
                b'[' => self.stack.push(Frame::Array { index: 0 }),
                // The guard pops the closed container; only an unbalanced close fails.
                b'}' | b']' if self.stack.pop().is_none() => {
                    return Err(EnvelopeError::Malformed("unbalanced brackets".into()));
                }
                b'"' => {
                    self.in_string = true;
                    if let Some(Frame::Object {
                        expect_key: true, ..
                    }) = self.stack.last()
                    {
                        self.key_start = Some(self.outer.len());
                    }
                }
                b':' => {
                    if let Some(Frame::Object { expect_key, .. }) = self.stack.last_mut() {
                        *expect_key = false;
                    }
                }
                b',' => match self.stack.last_mut() {
                    Some(Frame::Object { key, expect_key }) => {
                        *key = None;
                        *expect_key = true;
                    }
                    Some(Frame::Array { index }) => *index = index.saturating_add(1),
                    None => {}
                },
                _ => {}
            }
            self.outer.push(b);
            i += 1;
        }
        Ok(())
    }

    /// Ends the stream: returns the envelope (records array replaced by `[]`). A `null` at
    /// the pointer is an empty listing; a missing member or another type is an error.
    pub fn finish<E>(self) -> Result<Value, EnvelopeError<E>> {
        if !self.started {
            return Err(EnvelopeError::NotAnObject(None));
        }
        if self.records.is_some() {
            return Err(EnvelopeError::Records(SplitError::Truncated));
        }
        let envelope: Value = serde_json::from_slice(&self.outer)
            .map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        if !self.found {
            let pointer: String = self
                .target
                .iter()
                .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
                .collect();
            return match envelope.pointer(&pointer) {
                None => Err(EnvelopeError::Missing),
                Some(Value::Null) => Ok(envelope),
                Some(other) => Err(EnvelopeError::NotAnArray(json_type(other))),
            };
        }
        Ok(envelope)
    }
}

/// `an object`, `a string`, ... for messages.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pointer: &str, body: &str, chunk: usize) -> Result<(Vec<String>, Value), String> {
        let mut records = Vec::new();
        let mut s = EnvelopeSplitter::new(pointer).unwrap();
        for part in body.as_bytes().chunks(chunk.max(1)) {
            s.push(part, |e| {
                records.push(String::from_utf8(e.to_vec()).unwrap());
                Ok::<(), String>(())
            })
            .map_err(|e| e.to_string())?;
        }
        let envelope = s.finish::<String>().map_err(|e| e.to_string())?;
        Ok((records, envelope))
    }

    #[test]
    fn records_come_out_at_any_chunking() {
        let body = r#" {"a":"x]\"[","data":[{"id":"1","n":[1,2]}, {"id":"}2"} ,3],"metadata":{"total_elements":3},"links":{"next":"/v1?c=2"}} "#;
        for chunk in 1..body.len() {
            let (records, envelope) = split("/data", body, chunk).unwrap();
            assert_eq!(
                records,
                [r#"{"id":"1","n":[1,2]}"#, r#"{"id":"}2"}"#, "3"],
                "chunk {chunk}"
            );
            assert_eq!(envelope["metadata"]["total_elements"], 3);
            assert_eq!(envelope["links"]["next"], "/v1?c=2");
            assert_eq!(envelope["a"], "x]\"[");
        }
    }

    #[test]
    fn nested_pointers_and_lookalikes() {
        let body = r#"{"data":{"items":"no"},"result":{"data":[9],"items":[{"k":1}]}}"#;
        let (records, _) = split("/result/items", body, 7).unwrap();
        assert_eq!(records, [r#"{"k":1}"#]);
        // A key named like the target at another depth is not the target.
        let body = r#"{"x":{"data":[1,2]},"data":[3]}"#;
        let (records, _) = split("/data", body, 3).unwrap();
        assert_eq!(records, ["3"]);
        let (records, _) = split("/a~1b", r#"{"a/b":[1]}"#, 2).unwrap();
        assert_eq!(records, ["1"]);
    }

    #[test]
    fn wrong_shapes_are_told_apart() {
        assert_eq!(split("/data", "", 4).unwrap_err(), "an empty body");
        assert_eq!(
            split("/data", "[1,2]", 4).unwrap_err(),
            "a bare JSON array instead of an object"
        );
        assert!(split("/data", "<html>", 4).unwrap_err().contains("'<'"));
        assert_eq!(
            split("/data", r#"{"items":[]}"#, 4).unwrap_err(),
            "a JSON object without that member"
        );
        assert_eq!(
            split("/data", r#"{"data":{"a":1}}"#, 4).unwrap_err(),
            "an object at that member, not an array"
        );
        assert!(split("/data", r#"{"data":[1,2"#, 4)
            .unwrap_err()
            .contains("truncated"));
        assert!(split("/data", r#"{"data":[1],"x":"#, 4)
            .unwrap_err()
            .contains("invalid JSON"));
        let (records, _) = split("/data", r#"{"data":null}"#, 4).unwrap();
        assert!(records.is_empty(), "null is an empty listing");
    }
}
