//! Diagnostics on stderr for people: `-q`/`-v`, and retries shown as short lines that name the
//! request and the HTTP status, clear the progress line first, and are counted for the
//! summary; a sandbox's request log when asked. Everything else the SDK logs goes through `tracing`'s formatter (`RUST_LOG`
//! overrides the level).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

static RETRIES: AtomicU64 = AtomicU64::new(0);
static QUIET: AtomicBool = AtomicBool::new(false);
static LOG_REQUESTS: AtomicBool = AtomicBool::new(false);

/// Shows each request a sandbox of this process answers (`sandbox --log-requests`), one line
/// on stderr: time (UTC), method, path and query, status.
pub fn log_sandbox_requests() {
    LOG_REQUESTS.store(true, Ordering::Relaxed);
}

/// How much is said on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors only (no retry lines, no warnings).
    Quiet,
    /// Warnings and retry lines.
    Normal,
    /// `-v`: also what the SDK does (info); `-vv`: debug.
    Verbose(u8),
}

/// Requests retried so far in this process.
pub fn retries() -> u64 {
    RETRIES.load(Ordering::Relaxed)
}

/// Whether `-q` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Prints `warning: TEXT` on stderr, unless `-q` (which prints only errors).
pub fn warning(text: &str) {
    if !quiet() {
        eprintln!("warning: {text}");
    }
}

/// Prints `note: TEXT` on stderr, unless `-q`.
pub fn note(text: &str) {
    if !quiet() {
        eprintln!("note: {text}");
    }
}

/// Prints TEXT (a banner, a progress line) on stderr, unless `-q`.
pub fn info(text: &str) {
    if !quiet() {
        eprintln!("{text}");
    }
}

/// Installs the diagnostics for `verbosity`.
pub fn init(verbosity: Verbosity) {
    QUIET.store(verbosity == Verbosity::Quiet, Ordering::Relaxed);
    let level = match verbosity {
        Verbosity::Quiet => "error",
        Verbosity::Normal => "warn",
        Verbosity::Verbose(1) => "info",
        Verbosity::Verbose(_) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let formatted = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(tracing_subscriber::filter::filter_fn(|m| {
            !is_retry(m) && m.target() != REQUEST_LOG_TARGET
        }))
        .with_filter(filter);
    let _ = tracing_subscriber::registry()
        .with(formatted)
        .with(RetryLines)
        .with(RequestLines)
        .try_init();
}

use connector_core::sandbox::REQUEST_LOG_TARGET;

struct RequestLines;

impl<S: Subscriber> Layer<S> for RequestLines {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != REQUEST_LOG_TARGET || !LOG_REQUESTS.load(Ordering::Relaxed)
        {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() % 86_400)
            .unwrap_or(0);
        let line = format!(
            "{:02}:{:02}:{:02} {} {} -> {}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
            f.method,
            f.path,
            f.status
        );
        eprintln!("{}", crate::sanitize::terminal(&line));
    }
}

/// The SDK's retry event (`connector_core`'s `retrying`, with a wait).
fn is_retry(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("connector_core") && meta.fields().field("wait_ms").is_some()
}

struct RetryLines;

#[derive(Default)]
struct Fields {
    endpoint: String,
    cause: String,
    attempt: u64,
    wait_ms: u64,
    status: u64,
    method: String,
    path: String,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "attempt" => self.attempt = value,
            "wait_ms" => self.wait_ms = value,
            "status" => self.status = value,
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, u64::try_from(value).unwrap_or(0));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "endpoint" => self.endpoint = value.to_owned(),
            "cause" => self.cause = value.to_owned(),
            "method" => self.method = value.to_owned(),
            "path" => self.path = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if matches!(field.name(), "endpoint" | "cause" | "method" | "path") {
            self.record_str(field, format!("{value:?}").trim_matches('"'));
        }
    }
}

impl<S: Subscriber> Layer<S> for RetryLines {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !is_retry(event.metadata()) {
            return;
        }
        RETRIES.fetch_add(1, Ordering::Relaxed);
        if quiet() {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let line = retry_line(&f);
        // Clears a progress line first; the progress display redraws itself afterwards.
        let clear = if std::io::stderr().is_terminal() {
            "\r\x1b[2K"
        } else {
            ""
        };
        eprintln!("{clear}{}", crate::sanitize::terminal(&line));
    }
}

fn retry_line(f: &Fields) -> String {
    let why = match (f.status, f.cause.as_str()) {
        (429, _) => "HTTP 429 (rate limited)".to_owned(),
        (0, "network") => "no answer (connection failed or dropped)".to_owned(),
        (0, cause) => cause.replace('_', " "),
        (status, _) => format!("HTTP {status}"),
    };
    let wait = f.wait_ms as f64 / 1000.0;
    format!(
        "retry: {} got {why}; attempt {} in {wait:.1} s",
        f.endpoint,
        f.attempt.saturating_add(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_lines_name_the_request_the_status_and_the_wait() {
        let f = Fields {
            endpoint: "GET /personnel/v1/person-details".into(),
            cause: "remote".into(),
            attempt: 1,
            wait_ms: 1250,
            status: 503,
            ..Fields::default()
        };
        assert_eq!(
            retry_line(&f),
            "retry: GET /personnel/v1/person-details got HTTP 503; attempt 2 in 1.2 s"
        );
        let f = Fields {
            status: 429,
            cause: "rate_limited".into(),
            ..f
        };
        assert!(retry_line(&f).contains("HTTP 429 (rate limited)"));
        let f = Fields {
            status: 0,
            cause: "network".into(),
            ..f
        };
        assert!(retry_line(&f).contains("no answer"));
    }
}
