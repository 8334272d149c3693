//! Whether a finished export may replace the previous one: not when it is empty (unless
//! allowed), under `--min-users`, or mostly broken (core's `ExportSummary::incomplete`).

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
