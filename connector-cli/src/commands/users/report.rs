//! `--summary-json FILE`: the outcome of an export and its counts, as JSON for scripts.

use crate::exit;
use crate::summary::Tally;

use super::UsersArgs;

/// What `--summary-json` writes: the outcome and the counts of the summary, never a user's
/// data.
pub(super) struct Report {
    provider: &'static str,
    destination: String,
    format: &'static str,
    /// What was exported, counted as it went.
    pub(super) tally: Tally,
    /// The listing's counters, once the export started.
    pub(super) stats: Option<connector_core::ExportStats>,
    /// Why the export failed.
    pub(super) error: Option<String>,
    /// The output is complete and in place.
    pub(super) written: bool,
    /// The export stopped at `--limit`.
    pub(super) limited: bool,
}

impl Report {
    pub(super) fn new(provider: &'static str, args: &UsersArgs) -> Self {
        Report {
            provider,
            destination: args
                .output
                .as_ref()
                .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string()),
            format: args.format.name(),
            tally: Tally::default(),
            stats: None,
            error: None,
            written: false,
            limited: false,
        }
    }

    /// Records why the export failed; returns its exit status.
    pub(super) fn failed(&mut self, code: u8, error: String) -> u8 {
        self.error = Some(error);
        code
    }

    /// Writes the report to `path` atomically.
    pub(super) fn write(&self, path: &std::path::Path, code: u8) -> std::io::Result<()> {
        let stats = self
            .stats
            .as_ref()
            .map(|s| s.snapshot())
            .unwrap_or_default();
        let error = match (&self.error, code) {
            (Some(e), _) => serde_json::Value::from(e.clone()),
            (None, exit::OK) => serde_json::Value::Null,
            (None, _) => serde_json::Value::from("the export did not complete"),
        };
        // The outcome first, then the counts.
        let mut map = serde_json::Map::new();
        for (key, item) in [
            ("ok", serde_json::Value::from(code == exit::OK)),
            ("exit_code", code.into()),
            ("error", error),
            ("provider", self.provider.into()),
            ("destination", self.destination.clone().into()),
            ("format", self.format.into()),
            ("written", self.written.into()),
            ("limited", self.limited.into()),
            ("retries", crate::diagnostics::retries().into()),
        ] {
            map.insert(key.to_owned(), item);
        }
        if let serde_json::Value::Object(counts) = self.tally.to_json(&stats) {
            map.extend(counts);
        }
        let value = serde_json::Value::Object(map);
        crate::output::write_file_atomically(path, &format!("{value:#}\n"))
    }
}
