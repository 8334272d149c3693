//! Choice fields (`oneOf` objects told apart by a constant discriminator, such as SCIM's
//! `auth` with `method`): what each branch needs, said when the choice is wrong; and the rules
//! of one member of a branch, checked alone (for a form or a prompt that asks member by member).

use serde_json::{Map, Value};

use super::validate::{article, rule_message};
use super::SettingsSchema;

impl SettingsSchema {
    /// What a choice field (`oneOf` objects told apart by a constant discriminator, such as
    /// SCIM's `auth` with `method`) needs, and what was given instead: "choose one of: bearer
    /// (needs `token`), basic (needs `username`, `password`); got an object without `method`".
    /// Never quotes a value other than the discriminator's own.
    pub(super) fn choice_message(&self, field: &str, given: &Value) -> Option<String> {
        let schema =
            super::schema::resolve(self.document.get("properties")?.get(field)?, &self.document);
        let branches = schema.get("oneOf")?.as_array()?;
        // Each branch: its discriminator (a property with a `const`) and what else it needs.
        let mut choices = Vec::new();
        let mut discriminator = None;
        for branch in branches {
            let properties = branch.get("properties")?.as_object()?;
            let (key, value) = properties
                .iter()
                .find_map(|(k, p)| Some((k.as_str(), p.get("const")?.as_str()?)))?;
            discriminator = Some(key);
            let needs: Vec<&str> = branch
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|r| *r != key)
                .collect();
            choices.push((value, needs));
        }
        let key = discriminator?;
        let listed: Vec<String> = choices
            .iter()
            .map(|(value, needs)| match needs.is_empty() {
                true => (*value).to_owned(),
                false => format!(
                    "{value} (needs {})",
                    needs
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect();
        let got = match given {
            Value::Object(map) => match map.get(key) {
                None => format!("got an object without `{key}`"),
                Some(Value::String(chosen)) => {
                    match choices.iter().find(|(value, _)| value == chosen) {
                        Some((value, needs)) => {
                            let missing: Vec<String> = needs
                                .iter()
                                .filter(|n| {
                                    map.get(**n).is_none_or(|v| {
                                        v.is_null()
                                            || v.as_str().is_some_and(|t| t.trim().is_empty())
                                    })
                                })
                                .map(|n| format!("`{n}`"))
                                .collect();
                            let wrong = map.iter().find_map(|(member, v)| {
                                let problem = self.choice_member_problem(field, map, member, v)?;
                                Some(format!("`{member}` {problem}"))
                            });
                            match missing.is_empty() {
                                true => format!(
                                    "`{key}` is `{value}`, but {}",
                                    wrong.unwrap_or_else(
                                        || "its other fields are not right".to_owned()
                                    )
                                ),
                                false => format!(
                                    "`{key}` is `{value}`, which also needs {}",
                                    missing.join(", ")
                                ),
                            }
                        }
                        None => format!("`{key}` is not one of these"),
                    }
                }
                Some(_) => format!("`{key}` is not a string"),
            },
            Value::String(_) => format!(
                "got a string; give an object such as {{\"{key}\": \"{}\", …}}",
                choices.first().map_or("", |(v, _)| *v)
            ),
            other => format!("got {}", crate::json_envelope::json_type(other)),
        };
        Some(format!("choose one of: {}; {got}", listed.join(", ")))
    }

    /// What the schema says about `value` as member `member` of choice field `field`, in the
    /// branch that `chosen` (the members given so far, the discriminator among them) selects;
    /// `None` when the value is fine there or the branch is unknown. Checked alone, so a prompt
    /// can ask for that member again at once. Never quotes the value.
    ///
    /// ```
    /// # use connector_core::settings::{Settings, SettingsSchema};
    /// # use schemars::JsonSchema;
    /// # use serde::Deserialize;
    /// #[derive(Deserialize, JsonSchema)]
    /// #[serde(tag = "method", rename_all = "lowercase")]
    /// enum Auth {
    ///     /// A token.
    ///     Bearer {
    ///         /// The token.
    ///         #[schemars(length(min = 8))]
    ///         token: String,
    ///     },
    /// }
    /// /// Example.
    /// #[derive(Deserialize, JsonSchema)]
    /// struct Example {
    ///     /// How to sign in.
    ///     auth: Auth,
    /// }
    /// impl Settings for Example {}
    ///
    /// let schema = SettingsSchema::of::<Example>();
    /// let chosen = serde_json::json!({"method": "bearer"});
    /// let chosen = chosen.as_object().unwrap();
    /// let short = schema.choice_member_problem("auth", chosen, "token", &"abc".into());
    /// assert_eq!(short.as_deref(), Some("must be at least 8 characters long"));
    /// assert_eq!(schema.choice_member_problem("auth", chosen, "token", &"abcdefgh".into()), None);
    /// ```
    pub fn choice_member_problem(
        &self,
        field: &str,
        chosen: &Map<String, Value>,
        member: &str,
        value: &Value,
    ) -> Option<String> {
        let root = &self.document;
        let schema = super::schema::resolve(root.get("properties")?.get(field)?, root);
        let branch = schema.get("oneOf")?.as_array()?.iter().find(|branch| {
            let branch = super::schema::resolve(branch, root);
            branch
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|properties| {
                    properties
                        .iter()
                        .any(|(key, p)| p.get("const").is_some_and(|c| chosen.get(key) == Some(c)))
                })
        })?;
        let branch = super::schema::resolve(branch, root);
        let rules = super::schema::resolve(branch.get("properties")?.get(member)?, root);
        if let Value::String(text) = value {
            if text.trim().is_empty() {
                return Some("must not be blank".to_owned());
            }
            if rules["x-secret"] == Value::Bool(true) && text.trim().chars().any(char::is_control) {
                return Some(
                    "contains a line break or control character; paste the value again".to_owned(),
                );
            }
        }
        // The member's rules alone, with the document's definitions for its `$ref`s.
        let mut alone = rules.as_object()?.clone();
        if let Some(defs) = root.get("$defs") {
            alone.insert("$defs".to_owned(), defs.clone());
        }
        let validator = jsonschema::draft202012::new(&Value::Object(alone)).ok()?;
        let error = validator.iter_errors(value).next()?;
        Some(match error.kind() {
            jsonschema::error::ValidationErrorKind::Type { .. } => {
                let expected = rules["type"].as_str().unwrap_or("value of another type");
                format!("must be {} {expected}", article(expected))
            }
            other => rule_message(other),
        })
    }
}
