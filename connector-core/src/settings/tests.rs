//! Settings schemas and validation.

use super::validate::edit_distance;
use super::*;
use crate::Secret;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// Test settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Test service")]
#[allow(dead_code)]
struct TestSettings {
    /// Host of the service.
    #[schemars(title = "Host", example = &"api.example.com")]
    host: String,
    /// Password.
    #[schemars(title = "Password")]
    password: Secret,
    /// Optional key.
    #[schemars(title = "Key")]
    key: Option<Secret>,
    /// Page size.
    #[schemars(title = "Page size", range(min = 1, max = 100))]
    #[serde(default = "default_page")]
    page_size: u32,
}
fn default_page() -> u32 {
    10
}
impl Settings for TestSettings {
    fn check(raw: &Map<String, Value>) -> Vec<FieldError> {
        match raw.get("host").and_then(Value::as_str) {
            Some(h) if h.contains(' ') => {
                vec![FieldError::new("host", "must not contain spaces")]
            }
            _ => vec![],
        }
    }
}

fn schema() -> SettingsSchema {
    SettingsSchema::of::<TestSettings>()
}

#[test]
fn document_shape() {
    let s = schema();
    let d = s.document();
    assert_eq!(d["$schema"], DRAFT_2020_12);
    assert_eq!(d["title"], "Test service");
    assert_eq!(d["description"], "Test settings.");
    assert_eq!(d["type"], "object");
    assert_eq!(d["additionalProperties"], false);
    assert_eq!(d["required"], json!(["host", "password"]));
    assert_eq!(d["properties"]["host"]["x-order"], 1);
    assert_eq!(d["properties"]["page_size"]["x-order"], 4);
    assert_eq!(
        d["properties"]["host"]["examples"],
        json!(["api.example.com"])
    );
    // Optional secret: no null type, still secret.
    assert_eq!(d["properties"]["key"]["type"], "string");
    assert_eq!(d["properties"]["key"]["writeOnly"], true);
    assert_eq!(d["properties"]["page_size"]["default"], 10);
    assert!(
        d["properties"]["page_size"].get("format").is_none(),
        "no uint32 format"
    );
    assert_eq!(d["properties"]["page_size"]["minimum"], 1);
    let secrets: Vec<_> = s
        .fields()
        .iter()
        .filter(|f| f.secret)
        .map(|f| &f.name)
        .collect();
    assert_eq!(secrets, ["password", "key"]);
}

#[test]
fn ui_schema_hints() {
    let ui = schema().ui_schema();
    assert_eq!(
        ui["ui:order"],
        json!(["host", "password", "key", "page_size", "*"])
    );
    assert_eq!(ui["password"]["ui:widget"], "password");
    assert_eq!(ui["key"]["ui:widget"], "password");
    assert_eq!(ui["host"]["ui:placeholder"], "api.example.com");
    // The description is the help: RJSF shows it from the schema, never twice.
    assert!(ui["host"].get("ui:help").is_none());
    assert!(ui["page_size"].get("ui:widget").is_none());
}

#[test]
fn draft07_form() {
    let d = schema().to_draft(Draft::Draft07);
    assert_eq!(d["$schema"], DRAFT_07);
    assert!(!d.to_string().contains("$defs"));
    jsonschema::draft7::meta::validate(&d).expect("valid draft-07");
    assert_eq!(Draft::parse("07"), Some(Draft::Draft07));
    assert_eq!(Draft::parse("draft-2020-12"), Some(Draft::Draft2020_12));
    assert_eq!(Draft::parse("04"), None);
}

#[test]
fn all_problems_at_once_without_values() {
    let raw =
        json!({"host": "a b", "page_size": 1000, "colour": "crimson-77", "pasword": "p4ss-Canary"});
    let err = parse_settings::<TestSettings>("test", raw).unwrap_err();
    let fields: Vec<_> = err
        .field_errors()
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(
        fields,
        ["host", "password", "page_size", "colour", "pasword"],
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("did you mean `password`"), "{text}");
    assert!(text.contains("must be at most 100"), "{text}");
    assert!(!text.contains("p4ss-Canary"), "{text}");
    assert!(!text.contains("crimson-77"), "{text}");
}

#[test]
fn provider_checks_run_alongside_schema_checks() {
    let err = parse_settings::<TestSettings>("test", json!({"host": "a b", "password": "x"}))
        .unwrap_err();
    assert_eq!(
        err.field_errors(),
        [FieldError::new("host", "must not contain spaces")]
    );
    let err = parse_settings::<TestSettings>("test", json!({"host": "a b"})).unwrap_err();
    let fields: Vec<_> = err
        .field_errors()
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["host", "password"]);
}

#[test]
fn blank_and_null_handling() {
    let err =
        parse_settings::<TestSettings>("test", json!({"host": "   ", "password": null, "key": ""}))
            .unwrap_err();
    assert_eq!(
        err.field_errors(),
        [
            FieldError::new("host", "is required but is empty"),
            FieldError::new("password", "is required but is null"),
        ]
    );
    let ok: TestSettings = parse_settings(
        "test",
        json!({"host": " h \n", "password": " pw ", "key": null}),
    )
    .unwrap();
    assert_eq!(ok.host, "h");
    assert_eq!(ok.password.expose(), "pw");
    assert!(ok.key.is_none());
    assert_eq!(ok.page_size, 10);
}

#[test]
fn wrong_types_and_documents() {
    let err =
        parse_settings::<TestSettings>("test", json!({"host": 5, "password": 123456})).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("host: must be a string"), "{text}");
    assert!(text.contains("password: must be a string"), "{text}");
    assert!(!text.contains("123456"), "{text}");
    let err = parse_settings::<TestSettings>("test", json!([1, 2])).unwrap_err();
    assert!(err.to_string().contains("must be a JSON object"), "{err}");
}

#[test]
fn edit_distance_works() {
    assert_eq!(edit_distance("password", "pasword"), 1);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

mod shared_types {
    use super::super::{parse_settings, BaseUrl, HttpSettings, Settings, SettingsSchema, UrlRules};
    use crate::base_url::BaseUrlRules;
    use schemars::JsonSchema;
    use serde::Deserialize;

    struct HostOnly;
    impl UrlRules for HostOnly {
        const RULES: BaseUrlRules = BaseUrlRules {
            ignored_paths: &["/api"],
            example_host: "acme.example",
            keep_path: false,
        };
    }

    /// Two URL kinds and the shared HTTP settings.
    #[derive(Deserialize, JsonSchema)]
    #[schemars(title = "T")]
    struct Two {
        /// Host only.
        #[schemars(title = "Host")]
        host: BaseUrl<HostOnly>,
        /// With a path.
        #[schemars(title = "Directory")]
        directory: Option<BaseUrl>,
        #[serde(flatten)]
        http: HttpSettings,
    }
    impl Settings for Two {}

    #[test]
    fn url_rules_apply_at_validation_and_stay_out_of_the_schema() {
        let schema = SettingsSchema::of::<Two>();
        let text = schema.document().to_string();
        assert!(!text.contains("x-base-url"), "{text}");
        let names: Vec<_> = schema.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names[..3], ["host", "directory", "timeout_secs"]);
        let t: Two = parse_settings(
            "t",
            serde_json::json!({"host": "acme.example/api/", "directory": "https://d.example/scim/v2/"}),
        )
        .unwrap();
        assert_eq!(t.host.as_str(), "https://acme.example/");
        assert_eq!(t.directory.unwrap().as_str(), "https://d.example/scim/v2");
        assert_eq!(t.http, HttpSettings::default());
        let err = parse_settings::<Two>(
            "t",
            serde_json::json!({"host": "acme.example/v9", "directory": "ftp://x", "bogus": 1}),
        )
        .err()
        .unwrap();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["host", "directory", "bogus"]);
        assert!(
            err.field_errors()[0].message.contains("has a path"),
            "{err}"
        );
    }
}

mod hostile_values {
    use super::super::{parse_settings, Settings};
    use crate::Secret;
    use schemars::JsonSchema;
    use serde::Deserialize;

    /// A key and a size.
    #[derive(Deserialize, JsonSchema)]
    #[schemars(title = "T")]
    #[allow(dead_code)]
    struct Keyed {
        /// The key.
        #[schemars(title = "Key")]
        key: Secret,
        /// A size.
        #[schemars(title = "Size")]
        #[serde(default)]
        size: u32,
    }
    impl Settings for Keyed {}

    #[test]
    fn control_characters_in_a_secret_are_refused_without_echo() {
        for bad in ["abc\r\nX-Evil: 1", "ab\u{0}cd", "k\u{1b}ey"] {
            let err = parse_settings::<Keyed>("t", serde_json::json!({"key": bad}))
                .err()
                .expect("refused");
            assert_eq!(err.field_errors()[0].field, "key");
            assert!(err.to_string().contains("control character"), "{err}");
            assert!(
                !err.to_string().contains("abc") && !err.to_string().contains("Evil"),
                "{err}"
            );
        }
        assert!(parse_settings::<Keyed>("t", serde_json::json!({"key": " padded "})).is_ok());
    }

    #[test]
    fn a_whole_number_written_as_a_float_is_that_number() {
        let k: Keyed =
            parse_settings("t", serde_json::json!({"key": "k3y0", "size": 1e3})).unwrap();
        assert_eq!(k.size, 1000);
        let err = parse_settings::<Keyed>("t", serde_json::json!({"key": "k3y0", "size": 1.5}))
            .err()
            .expect("refused");
        assert_eq!(err.field_errors()[0].field, "size", "{err}");
    }
}

mod auth_choice {
    use super::super::{parse_settings, Settings, SettingsSchema};
    use crate::Secret;
    use schemars::JsonSchema;
    use serde::Deserialize;

    /// How to authenticate.
    #[derive(Deserialize, JsonSchema)]
    #[serde(tag = "method", rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Auth {
        /// A bearer token.
        Bearer {
            /// The token.
            token: Secret,
        },
        /// HTTP Basic.
        Basic {
            /// The user name.
            username: String,
            /// The password.
            password: Secret,
        },
    }

    /// Settings with an auth choice.
    #[derive(Deserialize, JsonSchema)]
    #[schemars(title = "T")]
    #[allow(dead_code)]
    struct WithAuth {
        /// How to authenticate.
        #[schemars(title = "Authentication")]
        auth: Auth,
    }
    impl Settings for WithAuth {}

    #[test]
    fn a_member_of_a_choice_is_checked_alone_in_the_chosen_branch() {
        let schema = SettingsSchema::of::<WithAuth>();
        let basic = serde_json::json!({"method": "basic"});
        let basic = basic.as_object().unwrap();
        let problem = |member: &str, value: serde_json::Value| {
            schema.choice_member_problem("auth", basic, member, &value)
        };
        assert_eq!(problem("username", "svc".into()), None);
        assert_eq!(
            problem("username", "  ".into()).as_deref(),
            Some("must not be blank")
        );
        assert_eq!(
            problem("username", 7.into()).as_deref(),
            Some("must be a string")
        );
        let pasted = problem("password", "pw\u{1}x".into()).unwrap();
        assert!(pasted.contains("control character"), "{pasted}");
        assert!(!pasted.contains("pw"), "never the value: {pasted}");
        // A member of another branch, or an unknown choice, says nothing.
        assert_eq!(problem("token", 7.into()), None);
        let unknown = serde_json::json!({"method": "digest"});
        assert_eq!(
            schema.choice_member_problem("auth", unknown.as_object().unwrap(), "token", &7.into()),
            None
        );
    }

    #[test]
    fn secrets_inside_a_choice_are_found_hinted_and_validated() {
        let schema = SettingsSchema::of::<WithAuth>();
        let doc = schema.document().to_string();
        assert!(
            doc.contains("\"oneOf\"") && doc.contains("\"const\":\"bearer\""),
            "{doc}"
        );
        assert!(schema.field("auth").unwrap().holds_secret);
        let raw =
            serde_json::json!({"auth": {"method": "basic", "username": "u", "password": "pw-123"}});
        assert_eq!(
            schema.secret_values(&raw),
            [("auth.password".to_owned(), "pw-123".to_owned())]
        );
        let ui = schema.ui_schema();
        assert_eq!(ui["auth"]["token"]["ui:widget"], "password");
        assert_eq!(ui["auth"]["password"]["ui:widget"], "password");
        assert!(parse_settings::<WithAuth>("t", raw).is_ok());
        let err =
            parse_settings::<WithAuth>("t", serde_json::json!({"auth": {"method": "digest"}}))
                .err()
                .unwrap();
        assert_eq!(err.field_errors()[0].field, "auth");
    }
}

/// A provider's own check (or a type's parse error) that quotes a value never shows a secret
/// field's value: messages are scrubbed of every secret given, in any encoding.
#[test]
fn settings_errors_never_quote_a_secret_value() {
    #[allow(dead_code)]
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct GuidSecret {
        tenant: String,
        client_secret: crate::Secret,
    }
    impl Settings for GuidSecret {
        fn check(raw: &Map<String, Value>) -> Vec<FieldError> {
            // A careless rule that quotes what it rejects (URL-encoded, to be sure).
            let secret = raw
                .get("client_secret")
                .and_then(Value::as_str)
                .unwrap_or("");
            let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            vec![FieldError::new(
                "client_secret",
                format!("`{secret}` ({encoded}) looks like a client id, not a secret"),
            )]
        }
    }
    let secret = "6f1c2d3e-4b5a-6978+8a9b/0c1d2e3f4a5b";
    let e = parse_settings::<GuidSecret>(
        "p",
        serde_json::json!({"tenant": "t", "client_secret": secret}),
    )
    .err()
    .expect("refused");
    let shown = format!("{e} {e:?} {}", e.full_message());
    for form in crate::redact::forms_of(secret) {
        assert!(!shown.contains(&form), "{form} in {shown}");
    }
    assert!(
        shown.contains("client_secret"),
        "the field is named: {shown}"
    );
    assert!(shown.contains("looks like a client id"), "{shown}");
}
