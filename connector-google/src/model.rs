//! A Directory API user, as `projection=full` answers it.

use serde::Deserialize;

/// One user of `GET /admin/directory/v1/users`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct DirectoryUser {
    pub id: String,
    pub primary_email: Option<String>,
    pub name: Option<Name>,
    pub suspended: Option<bool>,
    pub archived: Option<bool>,
    pub org_unit_path: Option<String>,
    pub emails: Option<Vec<Email>>,
    pub organizations: Option<Vec<Organization>>,
    pub relations: Option<Vec<Typed>>,
    pub external_ids: Option<Vec<Typed>>,
}

/// A user's name.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Name {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub full_name: Option<String>,
}

/// A value with a type: a relation (`manager`), an external id (`organization`).
#[derive(Debug, Deserialize)]
#[allow(missing_docs)]
pub struct Typed {
    pub value: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// One of a user's e-mail addresses.
#[derive(Debug, Deserialize)]
#[allow(missing_docs)]
pub struct Email {
    pub address: Option<String>,
    pub primary: Option<bool>,
}

/// A user's organization: title and department.
#[derive(Debug, Deserialize)]
#[allow(missing_docs)]
pub struct Organization {
    pub title: Option<String>,
    pub department: Option<String>,
    pub primary: Option<bool>,
}
