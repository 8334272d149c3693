//! [`Secret`]: the only type that holds a credential.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// The marker printed wherever a [`Secret`] would otherwise appear.
pub const REDACTED: &str = "[REDACTED]";

/// A credential (password, API key, token).
///
/// * `Debug` and `Display` print [`REDACTED`], never the value.
/// * There is deliberately no `Serialize`: a secret cannot be written back out by accident.
/// * It deserializes from a JSON string, and its JSON Schema is
///   `{"type":"string","writeOnly":true,"format":"password","x-secret":true}` so that form
///   renderers show a password widget and never display a saved value.
/// * The value is read only through [`Secret::expose`], at the place a request is built.
///
/// ```
/// use connector_core::Secret;
///
/// let key = Secret::new("hunter2");
/// assert_eq!(format!("{key:?} {key}"), "[REDACTED] [REDACTED]");
/// assert_eq!(key.expose(), "hunter2");
/// ```
///
/// Every live `Secret` is known to [`redact::scrub`](crate::redact::scrub), which removes its
/// value (in any encoding) from error messages and test reports, should a server echo it.
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        crate::redact::register(&value);
        Secret(SecretString::from(value))
    }

    /// Reads the value. Call this only where the credential is put on the wire.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// True when the value is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.expose().trim().is_empty()
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        Secret::new(self.expose())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        crate::redact::unregister(self.expose());
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any` with our own visitor (rather than `String::deserialize`): serde's
        // built-in type errors quote the offending value, which must never happen for a secret.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret::new(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Secret, E> {
                Ok(Secret::new(v))
            }
            // serde's default "invalid type" message quotes scalars; a mistyped secret must
            // not be echoed, so these say only what was expected.
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Secret, E> {
                Err(E::custom("expected a string (value not shown)"))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Secret, E> {
                Err(E::custom("expected a string (value not shown)"))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Secret, E> {
                Err(E::custom("expected a string (value not shown)"))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Secret, E> {
                Err(E::custom("expected a string (value not shown)"))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for Secret {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "writeOnly": true,
            "format": "password",
            "x-secret": true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "canary-Secret-4711";

    #[test]
    fn debug_and_display_are_redacted() {
        let s = Secret::new(VALUE);
        for shown in [format!("{s:?}"), format!("{s}"), format!("{s:#?}")] {
            assert!(!shown.contains(VALUE), "leaked in {shown}");
            assert_eq!(shown, REDACTED);
        }
    }

    #[test]
    fn redacted_inside_containers() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            password: Secret,
            maybe: Option<Secret>,
        }
        let h = Holder {
            password: Secret::new(VALUE),
            maybe: Some(Secret::new(VALUE)),
        };
        let shown = format!("{h:?} {h:#?}");
        assert!(!shown.contains(VALUE), "leaked in {shown}");
    }

    #[test]
    fn deserializes_from_a_string_only() {
        let s: Secret = serde_json::from_str(&format!("\"{VALUE}\"")).unwrap();
        assert_eq!(s.expose(), VALUE);
        let err = serde_json::from_str::<Secret>("12345")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a string"), "{err}");
        assert!(!err.contains("12345"), "type error echoed the value: {err}");
    }

    #[test]
    fn schema_marks_it_secret() {
        let schema = schemars::schema_for!(Secret);
        let v = schema.as_value();
        assert_eq!(v["type"], "string");
        assert_eq!(v["writeOnly"], true);
        assert_eq!(v["format"], "password");
        assert_eq!(v["x-secret"], true);
    }

    #[test]
    fn blank_detection() {
        assert!(Secret::new("  \n").is_blank());
        assert!(!Secret::new("x").is_blank());
    }
}
