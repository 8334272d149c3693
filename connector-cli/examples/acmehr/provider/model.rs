//! Acme HR's employee record, as its API sends it. Every field but `id` may be missing.

use connector_core::reexports::jiff::civil::{Date, DateTime};
use serde::Deserialize;

/// One employee.
#[derive(Debug, Deserialize)]
pub struct Employee {
    /// Acme's employee id.
    pub id: String,
    /// Work e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Preferred first name.
    #[serde(default)]
    pub preferred_name: Option<String>,
    /// Job title.
    #[serde(default)]
    pub position: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<Named>,
    /// The employee's manager.
    #[serde(default)]
    pub supervisor: Option<Reference>,
    /// `active`, `onboarding`, `leave`, `inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// Hire date.
    #[serde(default)]
    pub hire_date: Option<Date>,
    /// Termination date.
    #[serde(default)]
    pub termination_date: Option<Date>,
    /// Last change.
    #[serde(default)]
    pub updated_at: Option<DateTime>,
}

/// Something with a name.
#[derive(Debug, Deserialize)]
pub struct Named {
    /// The name.
    pub name: Option<String>,
}

/// A reference to another employee.
#[derive(Debug, Deserialize)]
pub struct Reference {
    /// Their id.
    pub id: Option<String>,
}
