//! Acme HR employees → the SDK's normalized `User`.

use connector_core::{User, UserStatus};

use super::model::Employee;

/// Acme's status words → the normalized status (the raw word is kept too).
pub fn status(word: Option<&str>) -> UserStatus {
    match word.map(str::trim) {
        Some("active" | "onboarding") => UserStatus::Active,
        Some("leave") => UserStatus::Leave,
        Some("inactive") => UserStatus::Terminated,
        _ => UserStatus::Unknown,
    }
}

/// One employee as a user.
pub fn to_user(e: Employee) -> User {
    let mut user = User::new(e.id);
    user.email = e.email;
    user.first_name = e.first_name;
    user.last_name = e.last_name;
    user.preferred_name = e.preferred_name;
    user.job_title = e.position;
    user.department = e.department.and_then(|d| d.name);
    user.manager_id = e.supervisor.and_then(|s| s.id);
    user.status = status(e.status.as_deref());
    user.provider_status = e.status;
    user.hire_date = e.hire_date;
    user.termination_date = e.termination_date;
    user.updated_at = e.updated_at;
    user.derive_display_name();
    user
}
