//! Whether a finished export may replace the previous one: not when it is empty (unless
//! allowed), under `--min-users`, or mostly broken.

use crate::summary::count;

/// Why an export is too small to replace a good one: empty (unless allowed), or under
/// `--min-users`.
pub(super) fn too_few(users: u64, allow_empty: bool, min_users: Option<u64>) -> Option<String> {
    if let Some(min) = min_users.filter(|m| users < *m) {
        return Some(format!(
            "only {} users were exported, fewer than --min-users {}",
            count(users),
            count(min)
        ));
    }
    (users == 0 && !allow_empty).then(|| {
        "the export holds no user (check the filters and permissions; pass --allow-empty if an empty export is expected)".to_owned()
    })
}

/// Why an export is too incomplete to replace a good one: more than half of the records read
/// were malformed, or more than half of the users have only part of their data.
pub(super) fn incomplete(summary: &connector_core::ExportSummary, users: u64) -> Option<String> {
    let partial: u64 = summary.partial.values().sum();
    if summary.malformed > 0 && summary.malformed.saturating_mul(2) > summary.records {
        return Some(format!(
            "{} of {} records read could not be decoded",
            count(summary.malformed),
            count(summary.records)
        ));
    }
    // Partial users are counted before the filters: compare with every user produced.
    let produced = users.saturating_add(summary.filtered_out);
    if partial > 0 && partial.saturating_mul(2) > produced {
        return Some(format!(
            "{} of {} users have only part of their data (records without a partner)",
            count(partial),
            count(produced)
        ));
    }
    None
}
