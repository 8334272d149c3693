//! Directory users → the SDK's normalized `User`.

use std::collections::HashMap;

use connector_core::{User, UserStatus};

use crate::model::{DirectoryUser, Typed};

/// The value of the first item of `kind` in `list`.
fn of_kind(list: &[Typed], kind: &str) -> Option<String> {
    list.iter()
        .find(|t| t.kind.as_deref() == Some(kind))
        .and_then(|t| t.value.clone())
}

/// One Directory user as a user: `suspended` and `archived` are the status; the primary
/// organization gives the title and department (the org unit when it names no department);
/// the `manager` relation names the manager by e-mail, which `ids` (every user's id by
/// lowercased primary e-mail) turns into the manager's id (none when not a user listed).
pub fn to_user(g: DirectoryUser, ids: &HashMap<String, String>) -> User {
    let mut user = User::new(g.id);
    user.username = g.primary_email.clone();
    user.email = g.primary_email.clone();
    // The first address that is not the primary one.
    let others = g.emails.unwrap_or_default().into_iter();
    let mut others = others
        .filter(|e| e.primary != Some(true))
        .filter_map(|e| e.address);
    user.alternate_email = others.find(|a| Some(a) != user.email.as_ref());
    let name = g.name.unwrap_or_default();
    (user.first_name, user.last_name) = (name.given_name, name.family_name);
    let orgs = g.organizations.unwrap_or_default();
    let org = orgs
        .iter()
        .find(|o| o.primary == Some(true))
        .or(orgs.first());
    user.job_title = org.and_then(|o| o.title.clone());
    user.department = org.and_then(|o| o.department.clone()).or(g.org_unit_path);
    let manager = of_kind(g.relations.as_deref().unwrap_or_default(), "manager");
    user.manager_id = manager.and_then(|e| ids.get(&e.to_lowercase()).cloned());
    user.employee_number = of_kind(
        g.external_ids.as_deref().unwrap_or_default(),
        "organization",
    );
    (user.status, user.provider_status) = match (g.suspended, g.archived) {
        (Some(true), _) => (UserStatus::Suspended, Some("suspended".into())),
        (_, Some(true)) => (UserStatus::Inactive, Some("archived".into())),
        (Some(false), _) => (UserStatus::Active, Some("active".into())),
        _ => (UserStatus::Unknown, None),
    };
    user.set_display_name(name.full_name);
    user
}
