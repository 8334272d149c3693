//! SCIM users → the SDK's normalized `User`.

use connector_core::reexports::jiff::{tz::TimeZone, Timestamp};
use connector_core::{User, UserStatus};

use crate::model::{Email, ScimUser};

/// The primary address, else the work one, else the first; and another one.
fn emails(list: Vec<Email>) -> (Option<String>, Option<String>) {
    let mut with_value: Vec<Email> = list
        .into_iter()
        .filter(|e| e.value.as_deref().is_some_and(|v| !v.trim().is_empty()))
        .collect();
    let main = with_value
        .iter()
        .position(|e| e.primary == Some(true))
        .or_else(|| {
            with_value
                .iter()
                .position(|e| e.kind.as_deref() == Some("work"))
        })
        .or((!with_value.is_empty()).then_some(0));
    let Some(main) = main else {
        return (None, None);
    };
    let first = with_value.remove(main).value;
    let second = with_value.into_iter().next().and_then(|e| e.value);
    (first, second)
}

/// One SCIM user as a user.
pub fn to_user(s: ScimUser) -> User {
    let mut user = User::new(s.id);
    user.username = s.user_name;
    if let Some(name) = s.name {
        user.first_name = name.given_name;
        user.last_name = name.family_name;
    }
    user.preferred_name = s.nick_name;
    let (email, alternate) = emails(s.emails.unwrap_or_default());
    user.email = email;
    user.alternate_email = alternate;
    user.job_title = s.title;
    if let Some(e) = s.enterprise {
        user.employee_number = e.employee_number;
        user.department = e.department;
        user.manager_id = e.manager.and_then(|m| m.value);
    }
    (user.status, user.provider_status) = match s.active {
        Some(true) => (UserStatus::Active, Some("active".into())),
        Some(false) => (UserStatus::Inactive, Some("inactive".into())),
        None => (UserStatus::Unknown, None),
    };
    user.updated_at = s
        .meta
        .and_then(|m| m.last_modified)
        .and_then(|t| t.parse::<Timestamp>().ok())
        .map(|t| t.to_zoned(TimeZone::UTC).datetime());
    user.set_display_name(s.display_name);
    user
}
