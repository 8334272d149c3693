//! Secrets scrubbed from free text in every encoding a server or a library may echo them in.
//!
//! A [`Secret`](crate::Secret) never prints itself, but its value can come back inside text the SDK did not
//! write: a SCIM error `detail` quoting the request's `Authorization: Basic …` header, an
//! OAuth error description repeating the client secret, a provider's settings check quoting a
//! value. [`Redactor`] replaces a value wherever it appears:
//!
//! * as is;
//! * in base64 (standard and URL-safe alphabets) at any alignment, so `user:password` encoded
//!   in a Basic header is caught from the password alone;
//! * percent-encoded (`%2B`, and form encoding's `+` for a space);
//! * JSON-escaped (`\"`, `\/`, and every character as `\uXXXX`).
//!
//! Every live [`Secret`](crate::Secret) of the process is registered (created, cloned, dropped), and
//! [`scrub`] applies them all: [`Error`](crate::Error) messages and hints, and connection-test
//! step messages, go through it when they are made, so text a server sends back cannot carry a
//! credential into a report, a log, a saved test result or a protocol message. Values shorter
//! than [`MIN_SCRUBBED_CHARS`] are not scrubbed from free text (they would blank out ordinary
//! words); they are still never printed by `Debug` or `Display`.
//!
//! ```
//! use connector_core::redact::Redactor;
//! use connector_core::REDACTED;
//!
//! let mut r = Redactor::new();
//! r.add("s3cr3t+/=");
//! // The Basic header of `svc:s3cr3t+/=`, echoed by a server:
//! let echoed = "denied: Authorization: Basic c3ZjOnMzY3IzdCsvPQ==";
//! assert!(!r.redact(echoed).contains("MzY3IzdCsvPQ"));
//! assert_eq!(r.redact("key=s3cr3t%2B%2F%3D"), format!("key={REDACTED}"));
//! ```

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::REDACTED;

/// The shortest value scrubbed from free text.
pub const MIN_SCRUBBED_CHARS: usize = 4;

/// A set of values to scrub from text, with their encodings.
#[derive(Default)]
pub struct Redactor {
    /// Every form of every value, longest first.
    needles: Vec<Zeroizing<String>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} forms)", self.needles.len())
    }
}

impl Redactor {
    /// An empty redactor.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds `value` in all its encodings (nothing for values shorter than
    /// [`MIN_SCRUBBED_CHARS`]).
    pub fn add(&mut self, value: &str) {
        // Also without surrounding whitespace: a key file's trailing newline is often trimmed
        // by whatever echoes it.
        let trimmed = value.trim();
        let values = if trimmed != value {
            vec![value, trimmed]
        } else {
            vec![value]
        };
        for form in values.into_iter().flat_map(encodings) {
            if !self.needles.iter().any(|n| n.as_str() == form.as_str()) {
                self.needles.push(form);
            }
        }
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    /// Adds a secret's value.
    pub fn add_secret(&mut self, secret: &crate::Secret) {
        self.add(secret.expose());
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every form of every value replaced by [`REDACTED`].
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = Cow::Owned(out.replace(needle.as_str(), REDACTED));
            }
        }
        out
    }
}

/// The forms `value` may take in text, for leak scans (the testkit's): see [`Redactor`].
/// Empty for values shorter than [`MIN_SCRUBBED_CHARS`].
pub fn forms_of(value: &str) -> Vec<String> {
    encodings(value)
        .iter()
        .map(|f| f.as_str().to_owned())
        .collect()
}

/// The forms `value` may take in text: as is, base64 at each alignment (both alphabets),
/// percent- and form-encoded, JSON-escaped. Forms shorter than [`MIN_SCRUBBED_CHARS`] are left
/// out.
fn encodings(value: &str) -> Vec<Zeroizing<String>> {
    if value.chars().count() < MIN_SCRUBBED_CHARS {
        return Vec::new();
    }
    let mut forms: Vec<String> = vec![value.to_owned()];
    let bytes = value.as_bytes();
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ] {
        for offset in 0..3usize {
            let mut padded = vec![0u8; offset];
            padded.extend_from_slice(bytes);
            let encoded = Zeroizing::new(engine.encode(&padded));
            // Characters that mix the filler in front or whatever follows are dropped: what
            // remains is the same wherever the value sits in a longer encoded text.
            let skip = (offset * 4).div_ceil(3);
            let total = padded.len();
            let keep_end = (total / 3) * 4
                + match total % 3 {
                    1 => 1,
                    2 => 2,
                    _ => 0,
                };
            if let Some(stable) = encoded.get(skip..keep_end) {
                forms.push(stable.to_owned());
            }
        }
    }
    forms.push(url::form_urlencoded::byte_serialize(bytes).collect());
    forms.push(percent_encode_all(bytes));
    if let Ok(json) = serde_json::to_string(value) {
        let inner = &json[1..json.len() - 1];
        forms.push(inner.to_owned());
        forms.push(inner.replace('/', "\\/"));
    }
    let escaped_lower: String = value
        .encode_utf16()
        .map(|u| format!("\\u{u:04x}"))
        .collect();
    forms.push(escaped_lower.to_ascii_uppercase().replace("\\U", "\\u"));
    forms.push(escaped_lower);
    forms
        .into_iter()
        .filter(|f| f.chars().count() >= MIN_SCRUBBED_CHARS)
        .map(Zeroizing::new)
        .collect()
}

/// Every byte other than unreserved characters as `%XX` (upper-case hex, as RFC 3986 asks).
fn percent_encode_all(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The values of the live [`Secret`](crate::Secret)s of the process, each with a count of the
/// secrets holding it.
fn live() -> &'static Mutex<Live> {
    static LIVE: OnceLock<Mutex<Live>> = OnceLock::new();
    LIVE.get_or_init(|| Mutex::new(Live::default()))
}

#[derive(Default)]
struct Live {
    /// Each value and how many secrets hold it (few: a run holds a handful of credentials).
    counts: Vec<(Zeroizing<String>, usize)>,
    redactor: Option<Redactor>,
}

/// Registers a secret's value (a [`Secret`](crate::Secret) was created or cloned).
pub(crate) fn register(value: &str) {
    if value.chars().count() < MIN_SCRUBBED_CHARS {
        return;
    }
    let mut live = live().lock().unwrap_or_else(|e| e.into_inner());
    match live.counts.iter_mut().find(|(v, _)| v.as_str() == value) {
        Some((_, count)) => *count += 1,
        None => {
            live.counts.push((Zeroizing::new(value.to_owned()), 1));
            live.redactor = None;
        }
    }
}

/// Unregisters a secret's value (a [`Secret`](crate::Secret) was dropped).
pub(crate) fn unregister(value: &str) {
    if value.chars().count() < MIN_SCRUBBED_CHARS {
        return;
    }
    let mut live = live().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = live.counts.iter().position(|(v, _)| v.as_str() == value) {
        live.counts[i].1 = live.counts[i].1.saturating_sub(1);
        if live.counts[i].1 == 0 {
            live.counts.swap_remove(i);
            live.redactor = None;
        }
    }
}

/// `text` with the value of every live [`Secret`](crate::Secret) of the process removed, in
/// every encoding [`Redactor`] knows.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut live = live().lock().unwrap_or_else(|e| e.into_inner());
    if live.counts.is_empty() {
        return Cow::Borrowed(text);
    }
    if live.redactor.is_none() {
        let mut r = Redactor::new();
        for (value, _) in &live.counts {
            r.add(value);
        }
        live.redactor = Some(r);
    }
    match &live.redactor {
        Some(r) => Cow::Owned(r.redact(text).into_owned()),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn a_value_is_caught_in_every_encoding_and_at_every_alignment() {
        for secret in [
            "hunter2!",
            "6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b",
            "a+b/c=d==",
            "with \"quotes\" and \\",
            "ünï/cödé",
        ] {
            let mut r = Redactor::new();
            r.add(secret);
            let mut texts = vec![
                format!("x {secret} y"),
                format!("Basic {}", b64(&format!("svc:{secret}"))),
                format!("Basic {}", b64(&format!("sv:{secret}"))),
                format!("Basic {}", b64(&format!("s:{secret}"))),
                format!("Basic {}", b64(&format!("{secret}:trailing"))),
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("ab{secret}")),
                url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
                percent_encode_all(secret.as_bytes()),
                serde_json::to_string(secret).unwrap(),
                secret
                    .encode_utf16()
                    .map(|u| format!("\\u{u:04X}"))
                    .collect(),
            ];
            texts.push(texts[8].replace('/', "\\/"));
            for text in texts {
                let out = r.redact(&text);
                assert!(
                    out.contains(REDACTED),
                    "{secret:?} not caught in {text:?}: {out}"
                );
                // Nothing long enough to rebuild the secret from is left.
                if let Some(rest) = text.strip_prefix("Basic ") {
                    assert!(!out.contains(&rest[4..]), "{text} → {out}");
                }
            }
        }
    }

    #[test]
    fn short_values_and_unrelated_text_are_left_alone() {
        let mut r = Redactor::new();
        r.add("abc");
        assert!(r.is_empty());
        r.add("pass-word");
        assert_eq!(r.redact("a password"), "a password");
    }

    #[test]
    fn live_secrets_are_scrubbed_until_the_last_copy_is_dropped() {
        let text = "the server said: token=LiveCanary-91";
        assert_eq!(scrub(text), text);
        let secret = crate::Secret::new("LiveCanary-91");
        let copy = secret.clone();
        assert_eq!(scrub(text), format!("the server said: token={REDACTED}"));
        drop(secret);
        assert!(scrub(text).contains(REDACTED), "a copy is alive");
        drop(copy);
        assert_eq!(scrub(text), text);
    }
}
