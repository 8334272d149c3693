//! The settings schema as an Airbyte `connectionSpecification`: draft-07, with Airbyte's
//! keywords for what the SDK marks its own way (`x-secret` → `airbyte_secret`, `x-order` →
//! `order`, from 0).

use serde_json::Value;

use super::{Draft, SettingsSchema};

impl SettingsSchema {
    /// The draft-07 document with `airbyte_secret: true` on every secret (at any depth, auth
    /// choices included) and `order` on the top-level fields, for an Airbyte `SPEC`.
    ///
    /// ```
    /// # use connector_core::settings::{Settings, SettingsSchema};
    /// # use connector_core::Secret;
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct S { host: String, api_key: Secret }
    /// impl Settings for S {}
    /// let spec = SettingsSchema::of::<S>().airbyte_specification();
    /// assert_eq!(spec["$schema"], "http://json-schema.org/draft-07/schema#");
    /// assert_eq!(spec["properties"]["api_key"]["airbyte_secret"], true);
    /// assert_eq!(spec["properties"]["host"]["order"], 0);
    /// ```
    pub fn airbyte_specification(&self) -> Value {
        fn mark(v: &mut Value) {
            match v {
                Value::Object(map) => {
                    if map.get("x-secret") == Some(&Value::Bool(true)) {
                        map.insert("airbyte_secret".into(), Value::Bool(true));
                    }
                    if let Some(order) = map.get("x-order").and_then(Value::as_i64) {
                        map.insert("order".into(), Value::from(order.saturating_sub(1)));
                    }
                    map.values_mut().for_each(mark);
                }
                Value::Array(items) => items.iter_mut().for_each(mark),
                _ => {}
            }
        }
        let mut doc = self.to_draft(Draft::Draft07);
        mark(&mut doc);
        doc
    }
}
