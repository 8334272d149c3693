//! [`ConnectionName`]: what a person calls a connection; unique case-insensitively.

use std::fmt;

use super::StoreError;

/// Longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A connection's name: 1 to 100 characters, no control characters, not starting with `-`
/// (it would read as a flag), surrounding spaces trimmed. Names are compared
/// case-insensitively: `Payroll` and `payroll` cannot both exist.
///
/// ```
/// use connector_core::connections::ConnectionName;
/// let name = ConnectionName::parse("  Acme UKG (prod) ").unwrap();
/// assert_eq!(name.as_str(), "Acme UKG (prod)");
/// assert_eq!(name.key(), "acme ukg (prod)");
/// assert!(ConnectionName::parse("").is_err());
/// assert!(ConnectionName::parse("--json").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionName(String);

impl ConnectionName {
    /// Checks and trims `text`.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let name = text.trim();
        let invalid = |reason: &str| StoreError::InvalidName {
            name: name.chars().filter(|c| !c.is_control()).take(120).collect(),
            reason: reason.to_owned(),
        };
        if name.is_empty() {
            return Err(invalid("a connection needs a name"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(invalid("a name has at most 100 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(invalid(
                "a name cannot contain control characters (tabs, new lines)",
            ));
        }
        if name.starts_with('-') {
            return Err(invalid(
                "a name cannot start with `-` (it would read as an option)",
            ));
        }
        Ok(ConnectionName(name.to_owned()))
    }

    /// The name as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key names are unique by: the name in lower case.
    pub fn key(&self) -> String {
        key_of(&self.0)
    }
}

/// The uniqueness key of any name text.
pub(crate) fn key_of(name: &str) -> String {
    name.trim().to_lowercase()
}

impl fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
