//! The SDK's settings forms as a product renders them: every registered provider's form (new
//! and edit), in react-jsonschema-form and in JSON Forms (pinned npm packages, bundled into
//! `tests/forms-harness/`), in headless Chromium: labels, stars, password inputs, one help
//! text each, the auth selector, the collapsed advanced group, the errors of an empty and of
//! a bad submit, and a good submit that the connector's own validation accepts.

use connector_core::registry;
use connector_core::settings::{Draft, SettingsSchema};
use serde_json::{json, Value};

use crate::driver::Browser;

const RENDERERS: [&str; 2] = ["rjsf", "jsonforms"];

/// Finds a field's input by its label's text (the same for both renderers).
const HELPERS: &str = r#"
window.labelOf = (title) => [...document.querySelectorAll('label')]
  .find((l) => l.textContent.replace(/\*\s*$/, '').trim() === title);
window.inputOf = (title) => { const l = labelOf(title); return l && document.getElementById(l.htmlFor); };
window.tag = (title, key) => { const i = inputOf(title); if (i) i.setAttribute('data-field', key); return !!i; };
window.times = (text) => document.body.innerText.split(text).length - 1;
"#;

fn harness_url() -> String {
    let page =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forms-harness/index.html");
    assert!(
        page.exists(),
        "{} is missing: run npm run build in connector-console/web",
        page.display()
    );
    format!("file://{}", page.display())
}

/// The form the console serves for `schema`.
fn form(schema: &SettingsSchema, edit: bool) -> Value {
    let document = if edit {
        schema.edit_document(Draft::Draft07)
    } else {
        schema.to_draft(Draft::Draft07)
    };
    json!({
        "schema": document,
        "ui_schema": schema.ui_schema_for(edit),
        "json_forms_ui_schema": schema.json_forms_ui_schema(edit),
    })
}

async fn render(browser: &Browser, renderer: &str, form: &Value, edit: bool) {
    browser.open(&harness_url()).await;
    browser.eval(HELPERS, vec![]).await;
    browser
        .eval(
            // As text, parsed by the page as the console's fetch does: WebDriver's own
            // transport does not keep the keys' order (the fields' display order).
            "window.renderForm(arguments[0], JSON.parse(arguments[1]), arguments[2])",
            vec![json!(renderer), json!(form.to_string()), json!(edit)],
        )
        .await;
    browser
        .wait_until("the form", "return !!document.querySelector('label')")
        .await;
}

async fn js(browser: &Browser, script: &str, args: Vec<Value>) -> Value {
    browser.eval(script, args).await
}

/// Types `text` into the input labelled `title`.
async fn type_into(browser: &Browser, title: &str, text: &str) {
    let tagged = js(
        browser,
        "return tag(arguments[0], 'typing')",
        vec![json!(title)],
    )
    .await;
    assert_eq!(tagged, json!(true), "an input labelled {title:?}");
    browser.fill("[data-field=typing]", text).await;
    js(
        browser,
        "document.querySelector('[data-field=typing]').removeAttribute('data-field')",
        vec![],
    )
    .await;
}

/// How often the page says `text`, once it says it at least `at_least` times (a renderer
/// shows its errors a moment after the submit), or after the patience runs out.
async fn times_said(browser: &Browser, text: &str, at_least: usize) -> usize {
    let started = std::time::Instant::now();
    loop {
        let n = js(browser, "return times(arguments[0])", vec![json!(text)])
            .await
            .as_u64()
            .unwrap_or(0) as usize;
        if n >= at_least || started.elapsed() > crate::driver::PATIENCE {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Submits; what the form gave (`{ok, data, errors}`).
async fn submit(browser: &Browser) -> Value {
    js(browser, "window.submitted = null", vec![]).await;
    browser.click("button[type=submit]").await;
    browser
        .wait_until("the submit", "return window.submitted !== null")
        .await;
    js(browser, "return window.submitted", vec![]).await
}

/// Picks the option titled `title` of the form's (only) choice.
async fn choose(browser: &Browser, title: &str) {
    let tagged = js(
        browser,
        "const o = [...document.querySelectorAll('select option')].find((o) => o.textContent.trim() === arguments[0]);
         if (o) o.setAttribute('data-field', 'option'); return !!o;",
        vec![json!(title)],
    )
    .await;
    assert_eq!(tagged, json!(true), "a choice option {title:?}");
    browser.click("[data-field=option]").await;
}

/// One string field of the form as a person sees it: title, required, secret, description.
struct Shown {
    title: String,
    required: bool,
    secret: bool,
    /// A choice of values (`enum`): a select, not a text box.
    select: bool,
    description: Option<String>,
    /// A value that fits (the schema's first example), for a good submit.
    example: Option<String>,
}

/// The main (not advanced) fields: a choice's (its first option's, shown by default) and an
/// object's own fields in its place.
fn shown_fields(schema: &SettingsSchema, document: &Value, edit: bool) -> Vec<Shown> {
    let mut out = Vec::new();
    for f in schema.fields().iter().filter(|f| !f.advanced) {
        let property = &document["properties"][&f.name];
        let choice = resolve(property, document);
        // A choice shows its first option's fields; an object (a key file) its own fields.
        let inner = match choice["oneOf"].as_array() {
            Some(options) => Some(resolve(&options[0], document)),
            None => choice.get("properties").map(|_| choice),
        };
        if let Some(option) = inner {
            let required: Vec<&str> = option["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, p) in option["properties"].as_object().into_iter().flatten() {
                if p.get("const").is_some() {
                    continue;
                }
                out.push(Shown {
                    title: p["title"].as_str().unwrap_or(name).to_owned(),
                    required: required.contains(&name.as_str()),
                    secret: p["x-secret"] == true,
                    select: p.get("enum").is_some(),
                    description: p["description"].as_str().map(str::to_owned),
                    example: p["examples"][0].as_str().map(str::to_owned),
                });
            }
            continue;
        }
        out.push(Shown {
            title: f.title.clone().unwrap_or_else(|| f.name.clone()),
            required: f.required && !(edit && f.secret),
            secret: f.secret,
            select: choice.get("enum").is_some(),
            description: f.description.clone(),
            example: property["examples"][0].as_str().map(str::to_owned),
        });
    }
    out
}

/// The titles of the options of the form's choice (an auth method), if it has one.
fn choice_options(schema: &SettingsSchema) -> Vec<String> {
    let document = schema.to_draft(Draft::Draft07);
    for f in schema.fields() {
        let property = resolve(&document["properties"][&f.name], &document);
        if let Some(options) = property["oneOf"].as_array() {
            return options
                .iter()
                .filter_map(|o| resolve(o, &document)["title"].as_str().map(str::to_owned))
                .collect();
        }
    }
    Vec::new()
}

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_settings_form_renders_cleanly_in_rjsf_and_json_forms() {
    std::hint::black_box((
        connector_ukgpro::descriptor(),
        connector_scim::descriptor(),
        connector_entra::descriptor(),
        connector_google::descriptor(),
    ));
    let providers = registry::providers();
    assert!(
        providers.len() >= 3,
        "the Entra ID, SCIM and UKG Pro forms at least"
    );
    let browser = Browser::start("forms").await;
    for descriptor in providers {
        let schema = descriptor.settings_schema();
        for edit in [false, true] {
            let form = form(&schema, edit);
            let document = &form["schema"];
            let fields = shown_fields(&schema, document, edit);
            for renderer in RENDERERS {
                let case = format!(
                    "{}-{renderer}{}",
                    descriptor.id(),
                    if edit { "-edit" } else { "" }
                );
                render(&browser, renderer, &form, edit).await;
                browser.screenshot(&format!("{case}-1-form")).await;
                check_labels_and_help(&browser, &case, &fields, edit).await;
                check_advanced_group(&browser, &case, &schema).await;
                check_submits(&browser, &case, &schema, &fields).await;
            }
        }
    }
    browser.close().await;
}

async fn check_labels_and_help(browser: &Browser, case: &str, fields: &[Shown], edit: bool) {
    for f in fields {
        let label = js(
            browser,
            "const l = labelOf(arguments[0]); return l ? l.innerText.trim() : null",
            vec![json!(f.title)],
        )
        .await;
        let Some(label) = label.as_str().map(str::to_owned) else {
            panic!("{case}: no label {:?}:\n{}", f.title, browser.text().await)
        };
        assert_eq!(
            label.ends_with('*'),
            f.required,
            "{case}: the star of {label:?}"
        );
        let kind = js(
            browser,
            "const i = inputOf(arguments[0]); return i ? i.type : null",
            vec![json!(f.title)],
        )
        .await;
        let expected = match (f.secret, f.select) {
            (true, _) => "password",
            (_, true) => "select-one",
            _ => "text",
        };
        assert_eq!(kind, json!(expected), "{case}: the input of {:?}", f.title);
        if f.secret && edit {
            let placeholder = js(
                browser,
                "return inputOf(arguments[0]).placeholder",
                vec![json!(f.title)],
            )
            .await;
            assert_eq!(placeholder, json!("unchanged"), "{case}: {}", f.title);
        }
        if let Some(help) = &f.description {
            let times = js(browser, "return times(arguments[0])", vec![json!(help)]).await;
            assert_eq!(
                times,
                json!(1),
                "{case}: the help of {:?} shown once: {help:?}",
                f.title
            );
        }
    }
    // No field is labelled by its key alone, and no discriminator is typed.
    let method = js(
        browser,
        "const i = inputOf('method'); return i ? i.type : null",
        vec![],
    )
    .await;
    assert_eq!(
        method,
        Value::Null,
        "{case}: a discriminator shown as a text box"
    );
    let visible_method = js(browser, "return [...document.querySelectorAll('input')].filter((i) => i.type !== 'hidden' && /method/.test(i.id)).length", vec![]).await;
    assert_eq!(
        visible_method,
        json!(0),
        "{case}: a visible discriminator input"
    );
}

async fn check_advanced_group(browser: &Browser, case: &str, schema: &SettingsSchema) {
    let advanced: Vec<_> = schema.fields().iter().filter(|f| f.advanced).collect();
    if advanced.is_empty() {
        return;
    }
    let group = js(browser, "const d = document.querySelector('details'); return d ? [d.open, d.querySelector('summary').innerText.trim()] : null", vec![]).await;
    assert_eq!(
        group,
        json!([false, "Advanced settings"]),
        "{case}: the advanced group, collapsed"
    );
    for f in &advanced {
        let title = f.title.clone().unwrap_or_else(|| f.name.clone());
        let inside = js(
            browser,
            "const l = labelOf(arguments[0]); return !!(l && l.closest('details'))",
            vec![json!(title)],
        )
        .await;
        assert_eq!(inside, json!(true), "{case}: {title} in the advanced group");
        let shown = js(browser, "return times(arguments[0])", vec![json!(title)]).await;
        assert_eq!(shown, json!(0), "{case}: {title} hidden while collapsed");
    }
    browser.click("details summary").await;
    for f in &advanced {
        if let Some(help) = &f.description {
            let times = js(browser, "return times(arguments[0])", vec![json!(help)]).await;
            assert_eq!(
                times,
                json!(1),
                "{case}: the help of {} shown once when open",
                f.name
            );
        }
    }
    browser.click("details summary").await;
}

async fn check_submits(browser: &Browser, case: &str, schema: &SettingsSchema, fields: &[Shown]) {
    // Empty: every required field said to be required; nothing accepted.
    let required = fields.iter().filter(|f| f.required).count();
    let answer = submit(browser).await;
    assert_eq!(answer["ok"], false, "{case}: an empty submit passed");
    let said = times_said(browser, "is required", required).await;
    assert!(
        said >= required,
        "{case}: {said} 'is required' for {required} required fields ({answer}):\n{}",
        browser.text().await
    );
    browser.screenshot(&format!("{case}-2-empty-submit")).await;

    // Blank: whitespace is not a value, as the connector says.
    for f in fields.iter().filter(|f| f.required) {
        type_into(browser, &f.title, "   ").await;
    }
    let answer = submit(browser).await;
    if required > 0 {
        assert_eq!(answer["ok"], false, "{case}: blank values passed: {answer}");
        let said = times_said(browser, "must not be blank", required).await;
        assert!(
            said >= required,
            "{case}: {said} 'must not be blank' for {required}:\n{}",
            browser.text().await
        );
        browser.screenshot(&format!("{case}-3-blank-submit")).await;
    }

    // Good values: the form's data is what the connector's own validation accepts.
    // (A select keeps its default.)
    for f in fields.iter().filter(|f| !f.select) {
        type_into(browser, &f.title, f.example.as_deref().unwrap_or("x-value")).await;
    }
    let answer = submit(browser).await;
    assert_eq!(
        answer["ok"],
        true,
        "{case}: good values refused: {answer}\n{}",
        browser.text().await
    );
    let data = answer["data"].clone();
    // Every field typed (secrets too), so the edit form's data is whole as well.
    if let Err(problems) = schema.validate(data.clone()) {
        panic!("{case}: the form accepted what the connector refuses: {problems:?} for {data}");
    }

    // A choice: the other option, its own fields, its own rules (a user name with a colon).
    if let Some(other) = choice_options(schema).get(1).cloned() {
        choose(browser, &other).await;
        browser
            .wait_until("the other option's fields", "return !!inputOf('User name')")
            .await;
        assert_eq!(
            js(browser, "return inputOf('Password').type", vec![]).await,
            json!("password"),
            "{case}"
        );
        type_into(browser, "User name", "svc:ops").await;
        type_into(browser, "Password", "pw").await;
        let answer = submit(browser).await;
        assert_eq!(
            answer["ok"], false,
            "{case}: a user name with a colon passed"
        );
        let said = times_said(browser, "must not contain “:”", 1).await;
        assert!(
            said >= 1,
            "{case}: the colon named:\n{}",
            browser.text().await
        );
        let stale = js(browser, "return times('Token')", vec![]).await;
        assert_eq!(
            stale,
            json!(0),
            "{case}: the other option's errors:\n{}",
            browser.text().await
        );
        browser
            .screenshot(&format!(
                "{case}-4-choice-{}",
                other.to_lowercase().replace(' ', "-")
            ))
            .await;
        type_into(browser, "User name", "svc-ops").await;
        let answer = submit(browser).await;
        assert_eq!(answer["ok"], true, "{case}: {answer}");
        assert!(
            schema.validate(answer["data"].clone()).is_ok(),
            "{case}: {}",
            answer["data"]
        );
        let method = &answer["data"]["auth"]["method"];
        assert_eq!(
            method,
            &json!("basic"),
            "{case}: the choice set its discriminator"
        );
    }
}
