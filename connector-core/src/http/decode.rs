//! Lists of records decoded as the body arrives: a bare JSON array, or the array at a JSON
//! pointer inside an envelope (`/data`, `/value`, `/Resources`) with the envelope's other
//! fields kept. Decode errors describe the body without quoting it (it may hold personal
//! data or tokens) and are public, so that providers report their own the same way.

use std::hash::BuildHasher;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpClient, HttpResponse, Request};
use crate::json_array::{ArraySplitter, SplitError};
use crate::json_envelope::{EnvelopeError, EnvelopeSplitter};

/// Where the records are in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RecordsAt {
    /// The body is a bare JSON array (UKG Pro).
    #[default]
    Root,
    /// The array at this JSON pointer inside an object (`/data`, `/value`, `/Resources`).
    Pointer(String),
}

impl RecordsAt {
    /// The array at `pointer` (`""` or `"/"` mean a bare array).
    pub fn pointer(pointer: &str) -> Self {
        if pointer.is_empty() || pointer == "/" {
            RecordsAt::Root
        } else {
            RecordsAt::Pointer(pointer.to_owned())
        }
    }

    fn expected(&self) -> String {
        match self {
            RecordsAt::Root => "a JSON array".into(),
            RecordsAt::Pointer(p) => format!("a JSON object with an array at `{p}`"),
        }
    }
}

/// One answer's records, with what else it said.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPage<T> {
    /// The records, in order.
    pub items: Vec<T>,
    /// The envelope with the records array replaced by `[]` (`Null` for a bare array): read
    /// totals, cursors and next links from it.
    pub envelope: Value,
    /// A digest of the page's records (count, first and last record's bytes), to tell a
    /// server that repeats a page from one that moves on.
    pub fingerprint: u64,
    /// Records that did not decode, when decoding is lenient: their position in the page and
    /// what was wrong, without quoting values (see [`describe_malformed`]).
    pub malformed: Vec<String>,
    /// A digest of each record's bytes, in order (decoded or not), so that a listing can tell
    /// records it already saw.
    pub record_digests: Vec<u64>,
}

/// What is wrong with record `position` (1-based) of a page, without quoting its values
/// (serde quotes the offending value between backticks, or a string between double quotes;
/// it may be personal data).
pub fn describe_malformed(position: usize, error: &serde_json::Error) -> String {
    format!("record {position}: {}", without_values(&error.to_string()))
}

/// [`describe_malformed`], naming the field the record fails at when it is not the record
/// itself (`record 3: \`manager.id\`: invalid type: string …, expected u64`): the record's
/// `bytes` are decoded again as `T`, tracking the path (only for a record that failed).
pub fn describe_record<T: DeserializeOwned>(
    position: usize,
    bytes: &[u8],
    error: &serde_json::Error,
) -> String {
    let mut decoder = serde_json::Deserializer::from_slice(bytes);
    let path = match serde_path_to_error::deserialize::<_, T>(&mut decoder) {
        Err(e) => e.path().to_string(),
        Ok(_) => String::new(),
    };
    match path.as_str() {
        "" | "." => describe_malformed(position, error),
        path => format!(
            "record {position}: `{path}`: {}",
            without_values(&error.to_string())
        ),
    }
}

/// serde's message without the values it quotes (between backticks, or a string's double
/// quotes) and without its position (within the record, not the page).
fn without_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut escaped = false;
    for c in text.chars() {
        match (quote, c) {
            (None, '`' | '"') => {
                quote = Some(c);
                out.push('…');
            }
            (None, _) => out.push(c),
            (Some('"'), '\\') if !escaped => escaped = true,
            (Some(q), _) if c == q && !escaped => quote = None,
            (Some(_), _) => escaped = false,
        }
    }
    out.split(" at line ").next().unwrap_or_default().to_owned()
}

/// A protocol error for an answer that is not what the endpoint promises: `expected` says
/// what it should be, `what` what it is (never the body's content).
pub fn decode_error(provider: &'static str, endpoint: &str, expected: &str, what: &str) -> Error {
    Error::new(
        provider,
        ErrorKind::Protocol,
        format!("expected {expected}, got {what}"),
    )
    .with_endpoint(endpoint.to_owned())
    .with_hint("check that the API URL is the API host (not a login page), and that no proxy rewrites the answer")
}

impl HttpResponse {
    /// Parses the whole body as a JSON array of `T`. Anything else (empty, HTML, a JSON
    /// object, invalid JSON) is a protocol error that describes the body without quoting it.
    pub fn json_array<T: DeserializeOwned>(&self, provider: &'static str) -> Result<Vec<T>> {
        let fail = |what: String| {
            Err(decode_error(
                provider,
                &self.endpoint,
                "a JSON array",
                &what,
            ))
        };
        match self.body.trim_ascii_start().first() {
            None => fail("an empty body".into()),
            // serde's message without the values it quotes (they may be personal data).
            Some(b'[') => serde_json::from_slice(&self.body).or_else(|e| {
                let why = without_values(&e.to_string());
                match e.classify() {
                    serde_json::error::Category::Data => fail(format!(
                        "records of another shape than the connector reads ({why})"
                    )),
                    _ => fail(format!("invalid JSON ({why})")),
                }
            }),
            Some(b'{') => fail("a JSON object".into()),
            Some(_) => fail(self.describe_body()),
        }
    }
}

/// Either splitter, fed the same way.
enum Splitter {
    Root(ArraySplitter),
    Envelope(Box<EnvelopeSplitter>),
}

/// The hash of record digests: fixed (digests are compared within one listing), fast on long
/// inputs (every record's bytes are hashed).
const DIGEST: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5eed);

/// Digest of a page: count, first and last record.
#[derive(Default)]
struct Digest {
    count: usize,
    first: u64,
    last: u64,
    records: Vec<u64>,
}

impl Digest {
    fn add(&mut self, bytes: &[u8]) {
        let value = DIGEST.hash_one(bytes);
        if self.count == 0 {
            self.first = value;
        }
        self.last = value;
        self.count += 1;
        self.records.push(value);
    }

    fn finish(&self) -> u64 {
        DIGEST.hash_one((self.count, self.first, self.last))
    }
}

impl HttpClient {
    /// `GET path?query` answered by a JSON array, decoded element by element as the body
    /// arrives (memory holds one network chunk plus the decoded items, never the whole body).
    /// Non-2xx statuses map to errors as in [`HttpResponse::error_for_status`] (`permission`
    /// names what a 403 means); bodies that are not one JSON array are protocol errors.
    /// Retried under the [`RetryPolicy`](crate::http::RetryPolicy), mid-body failures included.
    /// A page of a listing is fetched with [`fetch_records`](Self::fetch_records) and a
    /// [`Request`] marked [`on_page`](Request::on_page), so retries name the page.
    pub async fn get_json_array<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        permission: &str,
    ) -> Result<Vec<T>> {
        let request = Request::get(path).queries(query.iter().map(|(k, v)| (*k, v.as_str())));
        let page = self
            .fetch_records(&request, &RecordsAt::Root, permission, 0)
            .await?;
        Ok(page.items)
    }

    /// Sends `request` and decodes the records at `at` as the body arrives, keeping the
    /// envelope's other fields. Statuses map to errors as in
    /// [`HttpResponse::error_for_status`]; a body of another shape is a protocol error that
    /// says what it is without quoting it. Retried like [`send`](Self::send).
    pub async fn fetch_records<T: DeserializeOwned>(
        &self,
        request: &Request,
        at: &RecordsAt,
        permission: &str,
        page_size: u32,
    ) -> Result<RecordPage<T>> {
        self.fetch_records_with(request, at, permission, page_size, false)
            .await
    }

    /// [`fetch_records`](Self::fetch_records), where a record that is valid JSON but does not
    /// decode as `T` is skipped and described in [`RecordPage::malformed`] instead of failing
    /// the page (invalid JSON still fails it: the body is broken, not the record).
    pub async fn fetch_records_lenient<T: DeserializeOwned>(
        &self,
        request: &Request,
        at: &RecordsAt,
        permission: &str,
        page_size: u32,
    ) -> Result<RecordPage<T>> {
        self.fetch_records_with(request, at, permission, page_size, true)
            .await
    }

    async fn fetch_records_with<T: DeserializeOwned>(
        &self,
        request: &Request,
        at: &RecordsAt,
        permission: &str,
        page_size: u32,
        lenient: bool,
    ) -> Result<RecordPage<T>> {
        let once = || self.fetch_records_once(request, at, permission, page_size, lenient);
        let result = if request.is_retry_safe() {
            self.retry(&request.retry_label(), once).await
        } else {
            once().await
        };
        result.map_err(|e| self.explain(e))
    }

    async fn fetch_records_once<T: DeserializeOwned>(
        &self,
        request: &Request,
        at: &RecordsAt,
        permission: &str,
        page_size: u32,
        lenient: bool,
    ) -> Result<RecordPage<T>> {
        let provider = self.provider();
        // Memory is bounded by records, not only bytes: a page may not hold more records than
        // were asked for (a tiny record can decode to far more memory than its bytes).
        let limit = (page_size > 0).then_some(page_size as usize);
        let capacity = page_size.min(100_000) as usize;
        let expected = at.expected();
        let mut response = self.send_stream(request).await?;
        if !response.status.is_success() {
            let full = response.read_all().await?;
            self.status_error(&full, permission)?;
            return Err(decode_error(
                provider,
                &full.endpoint,
                &expected,
                &full.describe_body(),
            ));
        }
        let mut items = Vec::with_capacity(capacity);
        let mut digest = Digest::default();
        let mut splitter = match at {
            RecordsAt::Root => Splitter::Root(ArraySplitter::new()),
            RecordsAt::Pointer(p) => match EnvelopeSplitter::new(p) {
                Some(s) => Splitter::Envelope(Box::new(s)),
                None => {
                    return Err(Error::new(
                        provider,
                        ErrorKind::Unsupported,
                        format!("`{p}` is not a JSON pointer (it must start with `/`)"),
                    ))
                }
            },
        };
        let mut malformed = Vec::new();
        let mut element = |bytes: &[u8]| {
            if let Some(limit) = limit.filter(|l| digest.count >= *l) {
                return Err(Bad::TooMany(limit));
            }
            digest.add(bytes);
            match serde_json::from_slice::<T>(bytes) {
                Ok(item) => items.push(item),
                // A record of the wrong shape is skipped (lenient) or refused by field; broken
                // JSON breaks the page.
                Err(e) if e.classify() == serde_json::error::Category::Data => {
                    let why = describe_record::<T>(digest.count, bytes, &e);
                    match lenient {
                        true => malformed.push(why),
                        false => return Err(Bad::Record(why)),
                    }
                }
                Err(e) => return Err(Bad::Json(e)),
            }
            Ok(())
        };
        while let Some(chunk) = response.next_chunk().await? {
            let pushed = match &mut splitter {
                Splitter::Root(s) => s.push(&chunk, &mut element).map_err(Shape::Array),
                Splitter::Envelope(s) => s.push(&chunk, &mut element).map_err(Shape::Envelope),
            };
            match pushed {
                Ok(()) => {}
                Err(Shape::Array(SplitError::NotAnArray(_))) => {
                    // Say what it is instead (HTML page, JSON object, ...).
                    let rest = response.read_rest(chunk.to_vec()).await?;
                    let what = match rest.body.trim_ascii_start().first() {
                        Some(b'{') => "a JSON object".to_owned(),
                        _ => rest.describe_body(),
                    };
                    return Err(decode_error(provider, &rest.endpoint, &expected, &what));
                }
                Err(Shape::Envelope(EnvelopeError::NotAnObject(Some(b)))) if b != b'[' => {
                    let rest = response.read_rest(chunk.to_vec()).await?;
                    return Err(decode_error(
                        provider,
                        &rest.endpoint,
                        &expected,
                        &rest.describe_body(),
                    ));
                }
                Err(
                    Shape::Array(SplitError::Element(Bad::Record(why)))
                    | Shape::Envelope(EnvelopeError::Records(SplitError::Element(Bad::Record(why)))),
                ) => {
                    return Err(Error::new(
                        provider,
                        ErrorKind::Protocol,
                        format!("a record is not of the shape the connector reads: {why}"),
                    )
                    .with_endpoint(response.endpoint.clone())
                    .with_hint("the API answered a field of another type, or without a field the connector needs; if the API changed, the connector needs updating for it (the message names the field, never its value)"));
                }
                Err(e) => {
                    let what = e.describe(|| items_len(&digest));
                    return Err(decode_error(provider, &response.endpoint, &expected, &what));
                }
            }
        }
        let envelope = match splitter {
            Splitter::Root(s) => s
                .finish::<Bad>()
                .map(|()| Value::Null)
                .map_err(Shape::Array),
            Splitter::Envelope(s) => s.finish::<Bad>().map_err(Shape::Envelope),
        }
        .map_err(|e| {
            decode_error(
                provider,
                &response.endpoint,
                &expected,
                &e.describe(|| items_len(&digest)),
            )
        })?;
        let fingerprint = digest.finish();
        Ok(RecordPage {
            items,
            envelope,
            fingerprint,
            malformed,
            record_digests: digest.records,
        })
    }
}

fn items_len(digest: &Digest) -> usize {
    digest.count
}

/// Why a record was refused.
#[derive(Debug)]
enum Bad {
    /// It is not valid JSON.
    Json(serde_json::Error),
    /// It is valid JSON of another shape than the record type: why, by field, no values.
    Record(String),
    /// The page holds more records than this.
    TooMany(usize),
}

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bad::Json(e) => e.fmt(f),
            Bad::Record(why) => f.write_str(why),
            Bad::TooMany(limit) => write!(
                f,
                "more than the {limit} records asked for in one page (stopped reading)"
            ),
        }
    }
}

/// A decoding failure of either shape.
enum Shape {
    Array(SplitError<Bad>),
    Envelope(EnvelopeError<Bad>),
}

impl Shape {
    /// What the body is, for the message; `seen` counts the records split so far.
    fn describe(&self, seen: impl Fn() -> usize) -> String {
        match self {
            Shape::Array(SplitError::Element(Bad::Json(e)))
            | Shape::Envelope(EnvelopeError::Records(SplitError::Element(Bad::Json(e)))) => {
                format!("invalid JSON in record {} ({e})", seen())
            }
            Shape::Array(SplitError::Element(bad))
            | Shape::Envelope(EnvelopeError::Records(SplitError::Element(bad))) => bad.to_string(),
            Shape::Array(e) => e.to_string(),
            Shape::Envelope(e) => e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole-body array whose record has a field of the wrong type: said without the value,
    /// and not called invalid JSON.
    #[test]
    fn a_whole_array_of_the_wrong_shape_names_no_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Rec {
            age: u32,
        }
        let response = HttpResponse {
            endpoint: "GET /people".into(),
            status: reqwest::StatusCode::OK,
            headers: Default::default(),
            body: br#"[{"age": "Jane \"JJ\" Doe"}]"#.to_vec(),
        };
        let e = response.json_array::<Rec>("t").unwrap_err();
        let said = e.to_string();
        assert!(said.contains("records of another shape"), "{said}");
        for value in ["Jane", "JJ", "Doe"] {
            assert!(!said.contains(value), "{said}");
        }
        let broken = HttpResponse {
            body: br#"[{"age": 1"#.to_vec(),
            ..response
        };
        let e = broken.json_array::<Rec>("t").unwrap_err();
        assert!(e.to_string().contains("invalid JSON"), "{e}");
    }
}
