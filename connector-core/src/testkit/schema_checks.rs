//! Checks of the settings: the schema as form renderers and validators need it, and
//! validation that names every missing field.

use serde_json::Value;

use super::{Conformance, ConformanceReport};

/// Field-name fragments that suggest a credential.
const CREDENTIAL_WORDS: [&str; 8] = [
    "password",
    "passwd",
    "secret",
    "token",
    "key",
    "credential",
    "passphrase",
    "private",
];

impl Conformance {
    /// The settings schema: valid 2020-12, titles and descriptions, secrets marked, fields
    /// that look like credentials declared as `Secret`. Registers the example's secrets for
    /// the leak scan.
    pub fn check_schema(&self, report: &mut ConformanceReport) {
        let schema = self.descriptor.settings_schema();
        let doc = schema.document();
        let meta = jsonschema::draft202012::meta::validate(doc);
        report.check(
            meta.is_ok(),
            "settings schema is valid JSON Schema 2020-12",
            || {
                meta.as_ref()
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            },
        );
        for key in ["title", "description"] {
            report.check(doc[key].as_str().is_some_and(|t| !t.is_empty()), &format!("schema has a {key}"), || {
                format!("give the settings struct a {key} (`#[schemars(title = ...)]`, a doc comment)")
            });
        }
        for field in schema.fields() {
            let name = &field.name;
            report.check(
                field.title.is_some(),
                &format!("`{name}` has a title"),
                || format!("add `#[schemars(title = \"...\")]` to `{name}`"),
            );
            report.check(
                field.description.is_some(),
                &format!("`{name}` has a description"),
                || format!("add a doc comment to `{name}` saying where the user finds the value"),
            );
            if field.secret {
                let p = &doc["properties"][name];
                report.check(
                    p["writeOnly"] == true && p["x-secret"] == true,
                    &format!("secret `{name}` is writeOnly and x-secret"),
                    || format!("declare `{name}` as `Secret` (or `Option<Secret>`)"),
                );
            }
            let lower = name.to_ascii_lowercase();
            let looks_secret = CREDENTIAL_WORDS.iter().any(|w| lower.contains(w));
            let exempt = self.not_secret.iter().any(|(f, _)| f == name);
            // A field that holds its credential inside (a key file's `private_key`) passes.
            let guarded = field.secret || field.holds_secret;
            report.check(!looks_secret || guarded || exempt, &format!("`{name}` is a secret if it looks like one"), || {
                format!("`{name}` looks like a credential but is not a `Secret`; make it one, or exempt it with Conformance::allow_not_secret(\"{name}\", reason)")
            });
        }
        self.register_secrets(report, &self.example);
    }

    /// Validation: the example validates; a missing required field is reported by name; an
    /// optional one may be left out.
    pub fn check_validation(&self, report: &mut ConformanceReport) {
        let schema = self.descriptor.settings_schema();
        let valid = schema.validate(self.example.clone());
        report.check(valid.is_ok(), "example settings validate", || {
            format!("{:?}", valid.as_ref().err())
        });
        for field in schema.fields() {
            let Some(mut without) = self.example.as_object().cloned() else {
                continue;
            };
            if without.remove(&field.name).is_none() {
                report.check(
                    !field.required,
                    &format!("required `{}` is in the example", field.name),
                    || "the example settings must set every required field".into(),
                );
                continue;
            }
            let outcome = schema.validate(Value::Object(without));
            if field.required {
                let named = outcome
                    .as_ref()
                    .err()
                    .is_some_and(|errs| errs.iter().any(|e| e.field == field.name));
                report.check(
                    named,
                    &format!("missing required `{}` is reported by name", field.name),
                    || "validation did not name the missing field".into(),
                );
            } else {
                report.check(
                    outcome.is_ok(),
                    &format!("optional `{}` may be left out", field.name),
                    || format!("{outcome:?}"),
                );
            }
        }
    }
}
