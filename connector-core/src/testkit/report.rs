//! The conformance report, and the leak scan: every secret (configured, or issued at run
//! time) looked for, raw and in every encoding (base64 at any alignment, percent-encoded,
//! JSON-escaped), in everything the SDK showed
//! (Debug output, errors, reports, logs, stderr), with where it appeared.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The outcome: what passed, what failed (each with what to fix), what could not be run.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ConformanceReport {
    /// The provider id.
    pub provider: String,
    /// Checks that passed.
    pub passed: Vec<String>,
    /// Checks that failed, with what to fix.
    pub failures: Vec<String>,
    /// Checks that could not run (the mock does not support their scenario), with why.
    pub skipped: Vec<String>,
    /// Secrets seen during the checks, by what they are (never printed).
    #[serde(default)]
    pub(super) secrets: Vec<(String, String)>,
    /// Everything the SDK showed during the checks, by where it was shown.
    #[serde(skip)]
    pub(super) evidence: Vec<(String, String)>,
}

impl ConformanceReport {
    /// An empty report for `provider`.
    pub fn new(provider: &str) -> Self {
        ConformanceReport {
            provider: provider.to_owned(),
            ..ConformanceReport::default()
        }
    }

    /// Records a check.
    pub fn check(&mut self, ok: bool, name: &str, failure: impl FnOnce() -> String) {
        if ok {
            self.passed.push(name.to_owned());
        } else {
            self.failures.push(format!("{name}: {}", failure()));
        }
    }

    /// Records a check that could not run.
    pub fn skip(&mut self, name: &str, why: &str) {
        self.skipped.push(format!("{name}: {why}"));
    }

    /// Keeps what the SDK showed (`text`) at `place`, for the leak scan.
    pub fn evidence(&mut self, place: &str, text: impl Into<String>) {
        self.evidence.push((place.to_owned(), text.into()));
    }

    /// Adds a secret to look for; `what` names it (a settings field, "a token the mock
    /// issued"). Values shorter than 4 characters are ignored (they would match by chance).
    pub fn secret(&mut self, what: &str, value: &str) {
        if value.len() >= 4 && !self.secrets.iter().any(|(_, v)| v == value) {
            self.secrets.push((what.to_owned(), value.to_owned()));
        }
    }

    /// Scans `text` shown at `place` for every secret; a leak is a failure that says which
    /// secret and where, never its value.
    pub fn scan(&mut self, place: &str, text: &str) -> usize {
        let mut leaks = Vec::new();
        for (what, value) in &self.secrets {
            if forms(value).iter().any(|f| text.contains(f.as_str())) {
                leaks.push(format!(
                    "no secret leaks: {what} appeared in {place}; hold credentials in `Secret`, never format them, and keep them out of URLs and messages"
                ));
            }
        }
        leaks.dedup();
        let found = leaks.len();
        for leak in leaks {
            if !self.failures.contains(&leak) {
                self.failures.push(leak);
            }
        }
        found
    }

    /// Scans everything kept with [`evidence`](Self::evidence) and records the result.
    pub fn scan_evidence(&mut self) {
        let evidence = std::mem::take(&mut self.evidence);
        let mut leaks = 0;
        for (place, text) in &evidence {
            leaks += self.scan(place, text);
        }
        self.check(
            leaks == 0,
            "no secret in Debug output, errors, reports or logs",
            || format!("{leaks} leak(s), listed above"),
        );
    }

    /// Panics with every failure explained, if there is any.
    pub fn assert_ok(&self) {
        if self.failures.is_empty() {
            return;
        }
        let mut text = format!(
            "provider `{}` fails {} conformance check(s) ({} passed):\n",
            self.provider,
            self.failures.len(),
            self.passed.len()
        );
        for f in &self.failures {
            let _ = writeln!(text, "  - {f}");
        }
        for s in &self.skipped {
            let _ = writeln!(text, "  (skipped: {s})");
        }
        panic!("{text}");
    }

    /// Whether a failure mentions `text`.
    pub fn fails_with(&self, text: &str) -> bool {
        self.failures.iter().any(|f| f.contains(text))
    }
}

/// The forms a secret takes on the wire or in a message: raw, base64 at any alignment (both
/// alphabets), percent- and form-encoded, JSON-escaped (those of [`crate::redact`]); a value
/// too short for those is looked for as is.
fn forms(value: &str) -> Vec<String> {
    let mut all = crate::redact::forms_of(value);
    if all.is_empty() && !value.is_empty() {
        all.push(value.to_owned());
    }
    all
}

/// Pairs `user:secret` of settings values, whose base64 is what a Basic header carries.
pub(super) fn basic_pairs(strings: &[String], secrets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for user in strings {
        for secret in secrets {
            out.push(format!("{user}:{secret}"));
        }
    }
    out
}
