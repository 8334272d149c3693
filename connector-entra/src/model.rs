//! A Microsoft Graph user, as `$select` asks for it.

use serde::Deserialize;

/// The fields the export selects (`$select`).
pub const SELECT: &str = "id,userPrincipalName,displayName,givenName,surname,mail,otherMails,jobTitle,department,employeeId,employeeHireDate,accountEnabled";

/// One user of `GET /v1.0/users`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct GraphUser {
    pub id: String,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub other_mails: Option<Vec<String>>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub employee_id: Option<String>,
    pub employee_hire_date: Option<String>,
    pub account_enabled: Option<bool>,
    /// `$expand=manager($select=id)`: absent when the user has none.
    pub manager: Option<Manager>,
}

/// A user's manager, by id.
#[derive(Debug, Deserialize)]
pub struct Manager {
    /// The manager's object id.
    pub id: Option<String>,
}
