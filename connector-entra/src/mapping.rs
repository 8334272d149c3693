//! Graph users → the SDK's normalized `User`.

use connector_core::reexports::jiff::civil::Date;
use connector_core::{User, UserStatus};

use crate::model::GraphUser;

/// One Graph user as a user: `accountEnabled` is the status (a disabled account is inactive).
pub fn to_user(g: GraphUser) -> User {
    let mut user = User::new(g.id);
    user.username = g.user_principal_name;
    user.first_name = g.given_name;
    user.last_name = g.surname;
    user.email = g.mail;
    user.alternate_email = g.other_mails.and_then(|m| m.into_iter().next());
    user.job_title = g.job_title;
    user.department = g.department;
    user.employee_number = g.employee_id;
    user.manager_id = g.manager.and_then(|m| m.id);
    // `2021-04-01T00:00:00Z`: the day is what HR means.
    user.hire_date = g
        .employee_hire_date
        .and_then(|t| t.get(..10).and_then(|d| d.parse::<Date>().ok()));
    (user.status, user.provider_status) = match g.account_enabled {
        Some(true) => (UserStatus::Active, Some("enabled".into())),
        Some(false) => (UserStatus::Inactive, Some("disabled".into())),
        None => (UserStatus::Unknown, None),
    };
    user.set_display_name(g.display_name);
    user
}
