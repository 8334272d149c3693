//! The mass-change guard: a sync whose plan would take out, or blank, more than a share of
//! the users stops before anything is written or committed (a broken, truncated or partial
//! listing must neither deprovision a company nor blank its directory).

use serde_json::Value;

use super::diff::SyncPlan;
use super::event::EventType;

impl SyncPlan {
    /// Users who would leave or be removed.
    pub fn departures(&self) -> u64 {
        let mut users: Vec<(&Option<String>, &str)> = self
            .events
            .iter()
            .filter(|e| e.kind.is_departure())
            .map(|e| (&e.company_id, e.user_id.as_str()))
            .collect();
        users.dedup();
        users.len() as u64
    }

    /// Refuses a plan in which more than `max_share` (0.0 to 1.0) of the previous users
    /// leave or disappear, or lose a value they had in one of [`GUARDED_FIELDS`] (a name, an
    /// e-mail, a manager; a status that becomes `unknown`): a broken, truncated or partial
    /// listing must neither deprovision a company nor blank its directory.
    pub fn check_mass_changes(&self, max_share: f64) -> Result<(), MassChange> {
        if self.previous_users == 0 {
            return Ok(());
        }
        let over = |n: u64| n > 0 && n as f64 / self.previous_users as f64 > max_share;
        let departures = self.departures();
        let losses: Vec<(&'static str, u64)> = self
            .losses()
            .into_iter()
            .filter(|(_, n)| over(*n))
            .collect();
        if !over(departures) && losses.is_empty() {
            return Ok(());
        }
        Err(MassChange {
            departures: if over(departures) { departures } else { 0 },
            losses,
            previous_users: self.previous_users,
            max_share,
        })
    }

    /// For each of [`GUARDED_FIELDS`], how many users lose the value they had (users who
    /// leave or disappear are counted as departures, not here).
    pub fn losses(&self) -> Vec<(&'static str, u64)> {
        GUARDED_FIELDS
            .iter()
            .map(|field| {
                let mut users: Vec<(&Option<String>, &str)> = self
                    .events
                    .iter()
                    .filter(|e| !e.kind.is_departure() && e.kind != EventType::Joined)
                    .filter(|e| e.changes.get(*field).is_some_and(|c| is_loss(field, c)))
                    .map(|e| (&e.company_id, e.user_id.as_str()))
                    .collect();
                users.dedup();
                (*field, users.len() as u64)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// The fields whose loss the mass-change guard counts: a value a user had becomes empty (or,
/// for `status`, `unknown`).
pub const GUARDED_FIELDS: [&str; 5] = ["first_name", "last_name", "email", "manager_id", "status"];

/// Whether a field's change (`{"before": …, "after": …}`) loses what it had.
fn is_loss(field: &str, change: &Value) -> bool {
    let before = &change["before"];
    let after = &change["after"];
    let had = !before.is_null() && before != "" && !(field == "status" && before == "unknown");
    let lost = after.is_null() || after == "" || (field == "status" && after == "unknown");
    had && lost
}

/// The mass-change guard tripped: too many users would leave or disappear, or lose a value
/// of one of [`GUARDED_FIELDS`].
#[derive(Debug, Clone, PartialEq)]
pub struct MassChange {
    /// Users who would leave or be removed (0 when under the limit).
    pub departures: u64,
    /// Fields that too many users would lose, with how many (the others are left out).
    pub losses: Vec<(&'static str, u64)>,
    /// Users before.
    pub previous_users: u64,
    /// The share allowed.
    pub max_share: f64,
}

impl std::fmt::Display for MassChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.departures > 0 {
            parts.push(format!(
                "{} of {} users would leave or disappear",
                self.departures, self.previous_users
            ));
        }
        for (field, n) in &self.losses {
            let what = match *field {
                "status" => "their status (it would become unknown)".to_owned(),
                other => format!("their {}", other.replace('_', " ")),
            };
            parts.push(format!(
                "{n} of {} users would lose {what}",
                self.previous_users
            ));
        }
        write!(
            f,
            "{}, more than the {}% allowed",
            parts.join("; "),
            (self.max_share * 100.0).round()
        )
    }
}

impl std::error::Error for MassChange {}
