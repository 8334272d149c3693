//! The closing summary of an export (stderr): users by status, partial and malformed records,
//! and the fill rate of every field, with a loud warning for key fields nobody has.

use std::fmt::Write as _;

use connector_core::{ExportSummary, User, UserStatus};

/// Fields every HR system has for a real workforce; 0 of N means a permission or mapping is
/// missing (not that the provider lacks the field).
const EXPECTED: [&str; 5] = ["first_name", "last_name", "email", "job_title", "status"];

/// Counts what was exported, as it goes.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    users: u64,
    by_status: [u64; UserStatus::ALL.len()],
    filled: [u64; User::FIELDS.len()],
}

impl Tally {
    /// Counts one exported user.
    pub fn add(&mut self, user: &User) {
        self.users += 1;
        if let Some(i) = UserStatus::ALL.iter().position(|s| *s == user.status) {
            self.by_status[i] += 1;
        }
        for (count, present) in self.filled.iter_mut().zip(user.presence()) {
            *count += u64::from(present);
        }
    }

    /// Users counted.
    pub fn users(&self) -> u64 {
        self.users
    }

    /// How many users have `field`.
    pub fn filled(&self, field: &str) -> Option<u64> {
        User::FIELDS
            .iter()
            .position(|f| *f == field)
            .map(|i| self.filled[i])
    }

    /// The summary text.
    pub fn render(&self, stats: &ExportSummary, destination: &str) -> String {
        let mut out = String::new();
        let statuses: Vec<String> = UserStatus::ALL
            .iter()
            .zip(self.by_status)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{s} {}", count(n)))
            .collect();
        let _ = write!(out, "Exported {} users to {destination}", count(self.users));
        if !statuses.is_empty() {
            let _ = write!(out, " ({})", statuses.join(", "));
        }
        let _ = writeln!(
            out,
            "; {} page{}, {} records read",
            count(stats.pages),
            if stats.pages == 1 { "" } else { "s" },
            count(stats.records)
        );
        if stats.filtered_out > 0 {
            let _ = writeln!(
                out,
                "Left out by the filters: {}",
                count(stats.filtered_out)
            );
        }
        if stats.duplicates > 0 {
            let _ = writeln!(
                out,
                "Duplicates dropped: {} (the server sent a user or record again; the first was kept)",
                count(stats.duplicates)
            );
        }
        for (reason, n) in &stats.partial {
            let _ = writeln!(out, "Records without a partner: {} {reason}", count(*n));
        }
        if stats.malformed > 0 {
            let _ = writeln!(out, "Malformed records skipped: {}", count(stats.malformed));
            for sample in &stats.malformed_samples {
                let _ = writeln!(out, "  {}", crate::sanitize::terminal(sample));
            }
            if stats.malformed > stats.malformed_samples.len() as u64 {
                let _ = writeln!(out, "  ...");
            }
        }
        if self.users == 0 {
            return out;
        }
        let _ = writeln!(out, "Field fill rate:");
        let width = User::FIELDS.iter().map(|f| f.len()).max().unwrap_or(0);
        let total = count(self.users);
        for (field, n) in User::FIELDS.iter().zip(self.filled) {
            let pct = n * 100 / self.users;
            let _ = writeln!(
                out,
                "  {field:<width$}  {:>tw$} of {total}  {pct:>3}%",
                count(n),
                tw = total.len()
            );
        }
        for field in EXPECTED {
            if self.filled(field) == Some(0) {
                let _ = writeln!(
                    out,
                    "WARNING: {field}: 0 of {total} users have it; a permission or field mapping is probably missing (run `test` to check permissions)"
                );
            }
        }
        out
    }
}

impl Tally {
    /// The counts as JSON for `--summary-json`: users, by status, the listing's counters and
    /// the fill rate of every field (counts only; never a user's data).
    pub fn to_json(&self, stats: &ExportSummary) -> serde_json::Value {
        let by_status: serde_json::Map<String, serde_json::Value> = UserStatus::ALL
            .iter()
            .zip(self.by_status)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| (s.as_str().to_owned(), n.into()))
            .collect();
        let filled: serde_json::Map<String, serde_json::Value> = User::FIELDS
            .iter()
            .zip(self.filled)
            .map(|(f, n)| ((*f).to_owned(), n.into()))
            .collect();
        serde_json::json!({
            "users": self.users,
            "by_status": by_status,
            "pages": stats.pages,
            "records": stats.records,
            "malformed": stats.malformed,
            "filtered_out": stats.filtered_out,
            "duplicates": stats.duplicates,
            "partial": stats.partial,
            "filled": filled,
        })
    }
}

/// `12345` → `12,345`.
pub fn count(n: u64) -> String {
    connector_app::count(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(12_000), "12,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn fill_rates_and_warnings() {
        let mut t = Tally::default();
        for i in 0..3 {
            let mut u = User::new(format!("E{i}"));
            u.first_name = Some("A".into());
            u.status = UserStatus::Active;
            if i == 0 {
                u.job_title = Some("Boss".into());
            }
            t.add(&u);
        }
        let text = t.render(&ExportSummary::default(), "stdout");
        assert!(
            text.starts_with("Exported 3 users to stdout (active 3)"),
            "{text}"
        );
        assert!(text.contains("job_title         1 of 3   33%"), "{text}");
        assert!(
            text.contains("WARNING: email: 0 of 3 users have it"),
            "{text}"
        );
        assert!(!text.contains("WARNING: first_name"), "{text}");
        assert!(
            !text.contains("WARNING: termination_date"),
            "sparse by nature: {text}"
        );
    }
}
