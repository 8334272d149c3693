//! The mapping checks of an export: the mock states the key fields and a user who is not
//! active, the export carries what it states, and manager ids name listed users.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::{Conformance, ConformanceReport, MockTenant};
use crate::user::User;

/// Fields every HR system has: the mock's expectations must state each of them at least once.
pub const KEY_FIELDS: [&str; 5] = ["email", "first_name", "last_name", "status", "manager_id"];

impl Conformance {
    /// The key fields of the users the mock describes are what it says.
    pub(super) fn check_expected_fields(
        &self,
        report: &mut ConformanceReport,
        tenant: &MockTenant,
        list: &[User],
    ) {
        let stated: BTreeSet<&str> = tenant
            .expected
            .iter()
            .flat_map(|(_, fields)| fields.keys().map(String::as_str))
            .collect();
        let missing: Vec<&str> = KEY_FIELDS
            .iter()
            .copied()
            .filter(|f| !stated.contains(f))
            .collect();
        report.check(
            missing.is_empty(),
            "the mock states the key fields of some users",
            || {
                format!(
                    "no MockTenant::expect_user states {}; state them (null where the system has no such field)",
                    missing.join(", ")
                )
            },
        );
        // Leavers matter as much as joiners: the mock states a user who is not active (an
        // inactive, terminated, suspended or on-leave one), which the mapping must carry.
        let not_active = tenant
            .expected
            .iter()
            .filter(|(_, fields)| fields.get("status").is_some_and(|s| s != "active"))
            .count();
        report.check(
            not_active > 0,
            "the mock states a user who is not active",
            || "no MockTenant::expect_user states a `status` other than \"active\"; state one (an inactive, terminated or suspended user), so that its mapping is checked".to_owned(),
        );
        let by_id: HashMap<&str, Value> = list
            .iter()
            .map(|u| (u.id.as_str(), serde_json::to_value(u).unwrap_or_default()))
            .collect();
        let mut wrong = Vec::new();
        for (id, fields) in &tenant.expected {
            let Some(user) = by_id.get(id.as_str()) else {
                wrong.push(format!("user `{id}` was not exported"));
                continue;
            };
            for (field, expected) in fields {
                let got = user.get(field).unwrap_or(&Value::Null);
                if got != expected {
                    wrong.push(format!(
                        "user `{id}`: `{field}` is {got}, the mock says {expected}"
                    ));
                }
            }
        }
        report.check(wrong.is_empty(), "key fields are mapped", || {
            wrong.join("; ")
        });
        // `manager_id` is the manager's `id`, so that a consumer can join the two (not an
        // e-mail or a name): in a whole export of the mock, every manager is a listed user.
        let dangling: Vec<String> = list
            .iter()
            .filter_map(|u| Some((u, u.manager_id.as_deref()?)))
            .filter(|(_, manager)| !by_id.contains_key(manager))
            .take(3)
            .map(|(u, _)| format!("user `{}`", u.id))
            .collect();
        let managed = list.iter().filter(|u| u.manager_id.is_some()).count();
        report.check(
            managed > 0 && dangling.is_empty(),
            "manager ids are the ids of listed users",
            || match managed {
                0 => "no exported user has a manager_id; give some of the mock's users a manager".to_owned(),
                _ => format!(
                    "the manager_id of {} is no exported user's id; map the manager reference to the manager's id (resolve it when the API names managers another way)",
                    dangling.join(", ")
                ),
            },
        );
    }
}
