//! Incremental splitting of a streamed JSON array into its elements, so that a page of
//! records is decoded as it arrives instead of being held whole: memory per page is one
//! element plus one network chunk, whatever the page size.
//!
//! The splitter tracks only what delimits elements (strings, escapes, nesting); each element
//! is then parsed by the caller (e.g. `serde_json::from_slice`), which reports invalid JSON.
//!
//! ```
//! use connector_core::json_array::ArraySplitter;
//!
//! let mut elements = Vec::new();
//! let mut splitter = ArraySplitter::new();
//! for chunk in [&b"[{\"a\":\"x,]\"}, 4"[..], &b"2, [1,{}]]"[..]] {
//!     splitter
//!         .push(chunk, |e| {
//!             elements.push(String::from_utf8(e.to_vec()).unwrap());
//!             Ok::<(), ()>(())
//!         })
//!         .unwrap();
//! }
//! splitter.finish::<()>().unwrap();
//! assert_eq!(elements, [r#"{"a":"x,]"}"#, "42", "[1,{}]"]);
//! ```

use std::fmt;

/// Why a byte stream is not one JSON array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError<E> {
    /// The first non-blank byte is not `[` (given here; `None` for an empty body).
    NotAnArray(Option<u8>),
    /// The stream ended inside the array.
    Truncated,
    /// Something other than blanks follows the closing `]`.
    TrailingData,
    /// A `}` or `]` closes nothing, or a `,` has no element before it.
    Malformed,
    /// The element callback failed.
    Element(E),
}

impl<E: fmt::Display> fmt::Display for SplitError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::NotAnArray(None) => f.write_str("an empty body"),
            SplitError::NotAnArray(Some(b)) => write!(f, "content starting with {:?}", *b as char),
            SplitError::Truncated => {
                f.write_str("a body that ends before the JSON array is complete (truncated)")
            }
            SplitError::TrailingData => f.write_str("unexpected data after the JSON array"),
            SplitError::Malformed => {
                f.write_str("invalid JSON (unbalanced brackets or a stray comma)")
            }
            SplitError::Element(e) => e.fmt(f),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Start,
    /// Inside the array, between elements (after `[` or `,`).
    BeforeElement,
    /// Inside the array, after an element (expecting `,` or `]`).
    AfterElement,
    /// Inside an element.
    InElement,
    /// After the closing `]`.
    Done,
}

/// Splits a JSON array, fed in chunks, into its elements.
#[derive(Debug, Default)]
pub struct ArraySplitter {
    /// The unfinished element carried over from earlier chunks.
    carry: Vec<u8>,
    scan: Scanner,
}

/// The delimiter-tracking state.
#[derive(Debug, Clone, Copy)]
struct Scanner {
    state: State,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The current element is a container (object or array), not a scalar.
    container: bool,
    /// A `,` was just seen (an element must follow).
    after_comma: bool,
    /// The array is a value inside a larger document: stop at its closing `]`.
    embedded: bool,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            state: State::Start,
            depth: 0,
            in_string: false,
            escaped: false,
            container: false,
            after_comma: false,
            embedded: false,
        }
    }
}

/// Bytes that matter inside a container outside strings: `"`, `{`, `}`, `[`, `]`.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// What a scan of some bytes found.
enum Scanned<E> {
    /// All bytes consumed; an unfinished element starts at this offset (if any).
    Rest(Option<usize>),
    /// An embedded array closed; the bytes up to this offset (exclusive) were consumed.
    Ended(usize),
    Error(SplitError<E>),
}

impl Scanner {
    /// Scans `data` from `from`; `current` is where the element in progress starts.
    fn scan<E>(
        &mut self,
        data: &[u8],
        from: usize,
        mut current: usize,
        element: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Scanned<E> {
        let mut i = from;
        while i < data.len() {
            let b = data[i];
            match self.state {
                State::Start => match b {
                    b'[' => self.state = State::BeforeElement,
                    _ if b.is_ascii_whitespace() => {}
                    _ => return Scanned::Error(SplitError::NotAnArray(Some(b))),
                },
                State::BeforeElement | State::AfterElement => match b {
                    _ if b.is_ascii_whitespace() => {}
                    b']' if !self.after_comma => {
                        self.state = State::Done;
                        if self.embedded {
                            return Scanned::Ended(i + 1);
                        }
                    }
                    b',' if self.state == State::AfterElement => {
                        self.state = State::BeforeElement;
                        self.after_comma = true;
                    }
                    _ if self.state == State::AfterElement => {
                        return Scanned::Error(SplitError::Malformed)
                    }
                    b']' | b',' | b'}' => return Scanned::Error(SplitError::Malformed),
                    _ => {
                        self.state = State::InElement;
                        self.after_comma = false;
                        current = i;
                        self.container = matches!(b, b'{' | b'[');
                        self.depth = u32::from(self.container);
                        self.in_string = b == b'"';
                        self.escaped = false;
                    }
                },
                State::InElement => {
                    let end = if self.in_string {
                        if self.escaped {
                            self.escaped = false;
                        } else {
                            // Jump to the next quote or backslash: most bytes are in strings.
                            match memchr::memchr2(b'"', b'\\', &data[i..]) {
                                None => {
                                    i = data.len();
                                    continue;
                                }
                                Some(k) => i += k,
                            }
                            if data[i] == b'\\' {
                                self.escaped = true;
                            } else {
                                self.in_string = false;
                            }
                        }
                        // A string scalar ends with its closing quote.
                        (!self.in_string && !self.container).then_some(i + 1)
                    } else if self.container {
                        // Skip what cannot change the nesting.
                        while i < data.len() && !STRUCTURAL[data[i] as usize] {
                            i += 1;
                        }
                        let Some(&b) = data.get(i) else { continue };
                        match b {
                            b'"' => self.in_string = true,
                            b'{' | b'[' => self.depth += 1,
                            _ => self.depth -= 1,
                        }
                        (self.depth == 0).then_some(i + 1)
                    } else if b == b',' || b == b']' || b.is_ascii_whitespace() {
                        // End of a number / true / false / null: the delimiter is re-read.
                        if let Err(e) = element(&data[current..i]) {
                            return Scanned::Error(SplitError::Element(e));
                        }
                        self.state = State::AfterElement;
                        continue;
                    } else {
                        None
                    };
                    if let Some(end) = end {
                        if let Err(e) = element(&data[current..end]) {
                            return Scanned::Error(SplitError::Element(e));
                        }
                        self.state = State::AfterElement;
                    }
                }
                State::Done => {
                    if !b.is_ascii_whitespace() {
                        return Scanned::Error(SplitError::TrailingData);
                    }
                }
            }
            i += 1;
        }
        Scanned::Rest((self.state == State::InElement).then_some(current))
    }
}

impl ArraySplitter {
    /// A splitter at the start of the stream.
    pub fn new() -> Self {
        ArraySplitter::default()
    }

    /// A splitter for an array inside a larger document (see
    /// [`push_embedded`](Self::push_embedded)); the first byte fed must be its `[`.
    pub fn embedded() -> Self {
        let mut splitter = ArraySplitter::default();
        splitter.scan.embedded = true;
        splitter
    }

    /// Feeds a chunk; calls `element` with each element completed by it, in order.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        element: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), SplitError<E>> {
        self.push_embedded(chunk, element).map(|_| ())
    }

    /// Like [`push`](Self::push); for an [embedded](Self::embedded) array, returns how many
    /// bytes of `chunk` were consumed when the array closed in it (the rest belongs to the
    /// enclosing document).
    pub fn push_embedded<E>(
        &mut self,
        chunk: &[u8],
        mut element: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<Option<usize>, SplitError<E>> {
        if self.scan.state == State::Done && self.scan.embedded {
            return Ok(Some(0));
        }
        let rest = if self.carry.is_empty() {
            // The common case: nothing carried over, scan the chunk where it is.
            match self.scan.scan(chunk, 0, 0, &mut element) {
                Scanned::Error(e) => return Err(e),
                Scanned::Ended(at) => return Ok(Some(at)),
                Scanned::Rest(rest) => rest.map(|at| &chunk[at..]),
            }
        } else {
            // Finish the carried element with this chunk's bytes.
            let from = self.carry.len();
            self.carry.extend_from_slice(chunk);
            let carry = std::mem::take(&mut self.carry);
            match self.scan.scan(&carry, from, 0, &mut element) {
                Scanned::Error(e) => return Err(e),
                Scanned::Ended(at) => {
                    let mut carry = carry;
                    carry.clear();
                    self.carry = carry;
                    return Ok(Some(at - from));
                }
                Scanned::Rest(Some(at)) => {
                    let mut carry = carry;
                    carry.drain(..at);
                    self.carry = carry;
                    return Ok(None);
                }
                Scanned::Rest(None) => {
                    let mut carry = carry;
                    carry.clear();
                    self.carry = carry;
                    return Ok(None);
                }
            }
        };
        if let Some(tail) = rest {
            self.carry.extend_from_slice(tail);
        }
        Ok(None)
    }

    /// Whether the array has closed.
    pub fn is_done(&self) -> bool {
        self.scan.state == State::Done
    }

    /// Ends the stream: the array must be complete.
    pub fn finish<E>(self) -> Result<(), SplitError<E>> {
        match self.scan.state {
            State::Done => Ok(()),
            State::Start => Err(SplitError::NotAnArray(None)),
            _ => Err(SplitError::Truncated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `input` fed in chunks of `size` bytes.
    fn split(input: &str, size: usize) -> Result<Vec<String>, SplitError<()>> {
        let mut out = Vec::new();
        let mut s = ArraySplitter::new();
        for chunk in input.as_bytes().chunks(size.max(1)) {
            s.push(chunk, |e| {
                out.push(String::from_utf8(e.to_vec()).unwrap());
                Ok(())
            })?;
        }
        s.finish()?;
        Ok(out)
    }

    const SAMPLE: &str =
        r#" [ {"a": "x]}\"{", "b": [1, {"c": null}]} , "str,]", 12.5e3,true , null,[ ] , {} ]  "#;

    #[test]
    fn every_chunk_boundary_gives_the_same_elements() {
        let expected = vec![
            r#"{"a": "x]}\"{", "b": [1, {"c": null}]}"#.to_owned(),
            r#""str,]""#.to_owned(),
            "12.5e3".to_owned(),
            "true".to_owned(),
            "null".to_owned(),
            "[ ]".to_owned(),
            "{}".to_owned(),
        ];
        for size in 1..=SAMPLE.len() {
            assert_eq!(split(SAMPLE, size).unwrap(), expected, "chunk size {size}");
        }
        // Each element is valid JSON on its own.
        for e in &expected {
            serde_json::from_str::<serde_json::Value>(e).unwrap();
        }
    }

    #[test]
    fn empty_arrays() {
        assert_eq!(split("[]", 1).unwrap(), Vec::<String>::new());
        assert_eq!(split(" \n[ \n] \n", 2).unwrap(), Vec::<String>::new());
        assert_eq!(split("[7]", 1).unwrap(), ["7"]);
    }

    #[test]
    fn not_arrays_and_broken_streams() {
        assert_eq!(split("", 4), Err(SplitError::NotAnArray(None)));
        assert_eq!(split("  ", 4), Err(SplitError::NotAnArray(None)));
        assert_eq!(split("<html>", 4), Err(SplitError::NotAnArray(Some(b'<'))));
        assert_eq!(
            split(r#"{"items": []}"#, 4),
            Err(SplitError::NotAnArray(Some(b'{')))
        );
        assert_eq!(split(r#"[{"a": 1}, {"b": "#, 3), Err(SplitError::Truncated));
        assert_eq!(split("[1, 2", 3), Err(SplitError::Truncated));
        assert_eq!(split("[1] x", 3), Err(SplitError::TrailingData));
        assert_eq!(split("[1,,2]", 3), Err(SplitError::Malformed));
        assert_eq!(split("[,1]", 3), Err(SplitError::Malformed));
        assert_eq!(split("[1,]", 3), Err(SplitError::Malformed));
        assert_eq!(split("[1 2]", 3), Err(SplitError::Malformed));
    }

    #[test]
    fn element_errors_stop_the_split() {
        let mut s = ArraySplitter::new();
        let err = s.push(
            b"[1, 2, 3]",
            |e| if e == b"2" { Err("bad") } else { Ok(()) },
        );
        assert_eq!(err, Err(SplitError::Element("bad")));
    }

    #[test]
    fn memory_holds_only_the_unfinished_element() {
        let mut s = ArraySplitter::new();
        s.push(b"[", |_| Ok::<(), ()>(())).unwrap();
        for _ in 0..1000 {
            s.push(br#"{"k": "vvvvvvvvvvvvvvvvvvvv"}, {"k": "vv"#, |_| {
                Ok::<(), ()>(())
            })
            .unwrap();
            s.push(br#"vv"},"#, |_| Ok::<(), ()>(())).unwrap();
        }
        assert!(
            s.carry.capacity() < 4096,
            "the buffer grew: {}",
            s.carry.capacity()
        );
    }
}
