//! [`ConnectionName`]: what a person calls a connection; unique case-insensitively.

use std::fmt;

use super::StoreError;

/// Longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A connection's name: 1 to 100 characters, no control characters, not starting with `-`
/// (it would read as a flag), surrounding spaces trimmed, in Unicode NFC (`é` typed as one
/// character or as `e` and an accent is one name). Invisible characters are refused
/// (zero-width spaces and joiners, bidirectional controls, line and paragraph separators):
/// two names that look identical must be one name. Names are compared case-insensitively:
/// `Payroll` and `payroll` cannot both exist.
///
/// ```
/// use connector_store::ConnectionName;
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
        let normalized = nfc(text.trim());
        let name = normalized.as_str();
        let invalid = |reason: &str| StoreError::InvalidName {
            name: name.chars().filter(|c| !invisible(*c)).take(120).collect(),
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
        if let Some(c) = name.chars().find(|c| invisible(*c)) {
            return Err(invalid(&format!(
                "a name cannot contain invisible characters (U+{:04X}: zero-width, direction or line-separator marks); type it again without them",
                u32::from(c)
            )));
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

/// The uniqueness key of any name text: NFC, lower case.
pub(crate) fn key_of(name: &str) -> String {
    nfc(name.trim()).to_lowercase()
}

/// `text` in Unicode normalization form C.
fn nfc(text: &str) -> String {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfc()
        .normalize(text)
        .into_owned()
}

/// Control characters, and characters that show nothing: format characters (zero-width
/// space and joiners, bidirectional controls, the BOM, soft hyphen) and line or paragraph
/// separators.
fn invisible(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory};
    c.is_control()
        || matches!(
            get_general_category(c),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

impl fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_names_are_one_name_or_refused() {
        // NFC and NFD spellings of "Café" are one name, and one key.
        let composed = ConnectionName::parse("Caf\u{e9} HR").unwrap();
        let decomposed = ConnectionName::parse("Cafe\u{301} HR").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(composed.key(), decomposed.key());
        assert_eq!(key_of("CAFE\u{301} hr"), composed.key());
        for hidden in [
            "Pay\u{200b}roll",
            "Pay\u{200d}roll",
            "\u{202e}llorya",
            "Pay\u{2028}roll",
            "Pay\u{2029}roll",
            "\u{feff}Payroll",
            "Pay\u{ad}roll",
        ] {
            let e = ConnectionName::parse(hidden).unwrap_err();
            assert!(e.to_string().contains("invisible"), "{hidden:?}: {e}");
        }
        assert!(ConnectionName::parse("Zahlungsverkehr (Zürich) 日本").is_ok());
    }
}
