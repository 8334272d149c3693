//! Validation of raw settings against the schema: every problem at once, by field name,
//! never quoting a value; and the environment overlay.

use jsonschema::error::{ValidationError, ValidationErrorKind};
use serde_json::{Map, Value};

use super::{SettingsSchema, WHOLE_DOCUMENT};
use crate::error::FieldError;

impl SettingsSchema {
    /// Validates raw settings against the schema and returns the cleaned object (strings
    /// trimmed; optional fields that are `null` or blank removed) or **every** problem found.
    ///
    /// Messages never quote a value.
    pub fn validate(&self, raw: Value) -> std::result::Result<Map<String, Value>, Vec<FieldError>> {
        let (map, errors) = self.check_document(raw)?;
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    /// The cleaned object and the schema problems found in it, or the one problem that the
    /// document is not an object at all.
    pub(super) fn check_document(
        &self,
        raw: Value,
    ) -> std::result::Result<Checked, Vec<FieldError>> {
        let mut map = match raw {
            Value::Object(map) => map,
            other => {
                return Err(vec![FieldError::new(
                    WHOLE_DOCUMENT,
                    format!(
                        "must be a JSON object of field names to values, got {}",
                        crate::json_envelope::json_type(&other)
                    ),
                )])
            }
        };
        let mut errors = Vec::new();
        self.clean(&mut map, &mut errors);
        let value = Value::Object(map);
        for error in self.validator.iter_errors(&value) {
            errors.extend(self.describe(&error));
        }
        for (field, rules) in &self.url_fields {
            if let Some(Value::String(input)) = value.get(field) {
                if let Err(message) = super::types::check_base_url(rules, input) {
                    errors.push(FieldError::new(field.clone(), message));
                }
            }
        }
        let Value::Object(map) = value else {
            unreachable!("constructed as an object above")
        };
        Ok((map, self.sorted(errors)))
    }

    /// Trims strings; drops optional fields that are `null` or blank; reports blank or `null`
    /// required fields (the schema check would otherwise report them less clearly).
    fn clean(&self, map: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
        for (name, value) in map.iter_mut() {
            let field = self.field(name);
            // `1e3` for an integer field is 1000 (JSON has one number type).
            if let (Value::Number(n), Some("integer")) =
                (&*value, field.and_then(|f| f.json_type.as_deref()))
            {
                if let Some(whole) = n
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .filter(|_| !n.is_i64() && !n.is_u64())
                {
                    *value = Value::from(whole as i64);
                }
            }
            // A credential never holds a line break or control character; one that does would
            // fail only when a request is built (and could split a header).
            if let (Value::String(text), Some(f)) = (&*value, field) {
                if f.secret && text.trim().chars().any(char::is_control) {
                    errors.push(FieldError::new(
                        name.clone(),
                        "contains a line break or control character; paste the value again",
                    ));
                }
            }
            if let Value::String(s) = value {
                let trimmed = s.trim();
                if trimmed.len() != s.len() {
                    *s = trimmed.to_owned();
                }
            }
        }
        map.retain(|name, value| {
            let blank = match value {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                _ => false,
            };
            if !blank {
                return true;
            }
            match self.field(name) {
                Some(field) if field.required => {
                    errors.push(FieldError::new(
                        name.clone(),
                        format!(
                            "is required but {}",
                            if value.is_null() {
                                "is null"
                            } else {
                                "is empty"
                            }
                        ),
                    ));
                    false
                }
                Some(_) => false,
                // Unknown fields stay so that the schema reports them.
                None => true,
            }
        });
    }

    fn describe(&self, error: &ValidationError<'_>) -> Vec<FieldError> {
        let field = error
            .instance_path()
            .segments()
            .next()
            .map(|s| s.to_string())
            .unwrap_or_else(|| WHOLE_DOCUMENT.to_owned());
        let message = match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default().to_owned();
                let what = self
                    .field(&name)
                    .and_then(|f| f.title.clone())
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default();
                return vec![FieldError::new(name, format!("is required{what}"))];
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                return unexpected
                    .iter()
                    .map(|name| FieldError::new(name.clone(), self.unknown_field_message(name)))
                    .collect();
            }
            ValidationErrorKind::Type { .. } => {
                let expected = self
                    .field(&field)
                    .and_then(|f| f.json_type.clone())
                    .unwrap_or_else(|| "value of another type".into());
                format!("must be {} {expected}", article(&expected))
            }
            ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::OneOfMultipleValid { .. } => self
                .choice_message(&field, error.instance())
                .unwrap_or_else(|| "is invalid (oneOf)".to_owned()),
            other => rule_message(other),
        };
        vec![FieldError::new(field, message)]
    }

    fn unknown_field_message(&self, name: &str) -> String {
        let closest = self
            .fields
            .iter()
            .map(|f| (edit_distance(&f.name, &name.to_ascii_lowercase()), &f.name))
            .min();
        match closest {
            Some((d, known)) if d <= 3 => {
                format!("is not a known field; did you mean `{known}`?")
            }
            _ => format!(
                "is not a known field; known fields: {}",
                self.fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Orders errors by field display order (unknown fields last) and drops exact repeats.
    pub(super) fn sorted(&self, mut errors: Vec<FieldError>) -> Vec<FieldError> {
        let rank = |e: &FieldError| {
            self.fields
                .iter()
                .position(|f| f.name == e.field)
                .unwrap_or(usize::MAX)
        };
        errors.sort_by_key(|e| rank(e));
        errors.dedup();
        // One problem per field is enough: a blank required field is also "required".
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| seen.insert(e.field.clone()));
        errors
    }
}

/// What a broken value rule (length, range, enum, format, pattern) says, never quoting the value.
pub(super) fn rule_message(kind: &ValidationErrorKind) -> String {
    match kind {
        ValidationErrorKind::MinLength { limit: 1 } => "must not be empty".to_owned(),
        ValidationErrorKind::MinLength { limit } => {
            format!("must be at least {limit} characters long")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("must be at most {limit} characters long")
        }
        ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => format!("must be more than {limit}"),
        ValidationErrorKind::ExclusiveMaximum { limit } => format!("must be less than {limit}"),
        ValidationErrorKind::Enum { options } => format!("must be one of {options}"),
        ValidationErrorKind::Format { format } => format!("must be a valid {format}"),
        ValidationErrorKind::Pattern { pattern } if pattern == super::forms::NON_BLANK => {
            "must not be blank".to_owned()
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("does not have the expected form (the pattern `{pattern}`)")
        }
        other => format!("is invalid ({})", other.keyword()),
    }
}

/// A cleaned settings object and the schema problems found in it.
type Checked = (Map<String, Value>, Vec<FieldError>);

pub(super) fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// Levenshtein distance, for "did you mean" suggestions on short field names.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
