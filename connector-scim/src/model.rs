//! SCIM user resources (RFC 7643 §4.1 and the enterprise extension §4.3), leniently: every
//! attribute but `id` may be missing or null.

use serde::Deserialize;

/// The enterprise extension's schema URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A SCIM user.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    /// The service's id.
    pub id: String,
    /// The sign-in name.
    #[serde(default)]
    pub user_name: Option<String>,
    /// The name's parts.
    #[serde(default)]
    pub name: Option<Name>,
    /// The name to display.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The casual name.
    #[serde(default)]
    pub nick_name: Option<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Option<Vec<Email>>,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub active: Option<bool>,
    /// Resource metadata.
    #[serde(default)]
    pub meta: Option<Meta>,
    /// The enterprise extension.
    #[serde(
        default,
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    )]
    pub enterprise: Option<Enterprise>,
}

/// `name`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// First name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub family_name: Option<String>,
}

/// One of `emails`.
#[derive(Debug, Deserialize)]
pub struct Email {
    /// The address.
    #[serde(default)]
    pub value: Option<String>,
    /// `work`, `home`, `other`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Whether it is the primary address.
    #[serde(default)]
    pub primary: Option<bool>,
}

/// `meta`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// When the resource last changed (an RFC 3339 instant).
    #[serde(default)]
    pub last_modified: Option<String>,
}

/// The enterprise extension.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enterprise {
    /// The employee number.
    #[serde(default)]
    pub employee_number: Option<String>,
    /// The department.
    #[serde(default)]
    pub department: Option<String>,
    /// The manager.
    #[serde(default)]
    pub manager: Option<Manager>,
}

/// The enterprise extension's `manager`.
#[derive(Debug, Deserialize)]
pub struct Manager {
    /// The manager's `id`.
    #[serde(default)]
    pub value: Option<String>,
}
