//! Asking a person for settings on a terminal: each missing field of the provider's settings
//! schema, in display order, with its title, description and a required mark; secrets read
//! without echo. Prompts go to stderr, so stdout stays for results.

use std::io::{BufRead, IsTerminal, Write};

use connector_core::settings::SettingsSchema;
use serde_json::{Map, Value};

use crate::sanitize::terminal;

/// Whether a person can answer prompts (stdin is a terminal).
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Why prompting stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    /// End of input (Ctrl-D) or a read error: nothing is saved.
    Closed,
}

/// Asks for every required field missing from `raw`; then, when the person says so, for the
/// optional ones. Nothing is asked when no required field is missing (settings given whole
/// with `--config` or variables).
pub(crate) fn fill_missing(
    schema: &SettingsSchema,
    raw: &mut Map<String, Value>,
) -> Result<(), Stop> {
    let missing: Vec<_> = schema
        .fields()
        .iter()
        .filter(|f| !raw.contains_key(&f.name))
        .collect();
    let (required, optional): (Vec<_>, Vec<_>) = missing.into_iter().partition(|f| f.required);
    if required.is_empty() {
        return Ok(());
    }
    say("Fields marked * are required.");
    for field in required {
        if let Some(value) = ask_field(schema, &field.name, true)? {
            raw.insert(field.name.clone(), value);
        }
    }
    if !optional.is_empty() {
        let names: Vec<&str> = optional.iter().map(|f| f.name.as_str()).collect();
        let answer = line(&format!(
            "Set optional settings too ({})? [y/N] ",
            names.join(", ")
        ))?;
        if answer.trim().eq_ignore_ascii_case("y") || answer.trim().eq_ignore_ascii_case("yes") {
            for field in optional {
                if let Some(value) = ask_field(schema, &field.name, false)? {
                    raw.insert(field.name.clone(), value);
                }
            }
        }
    }
    Ok(())
}

/// Asks for secrets again (`edit`): each secret field, hidden.
pub(crate) fn ask_secret(label: &str) -> Result<String, Stop> {
    hidden(&format!("{label}: "))
}

/// Asks yes or no; `default` when the person just presses Enter.
pub(crate) fn confirm(question: &str, default: bool) -> Result<bool, Stop> {
    let answer = line(&format!(
        "{question} [{}] ",
        if default { "Y/n" } else { "y/N" }
    ))?;
    Ok(match answer.trim().to_ascii_lowercase().as_str() {
        "" => default,
        a => a == "y" || a == "yes",
    })
}

/// The schema of property `name` of the root document, with `$ref`s followed.
fn property<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/")
            .map(|p| {
                p.split('/')
                    .fold(doc, |at, part| at.get(part).unwrap_or(&Value::Null))
            })
            .unwrap_or(schema),
        None => schema,
    }
}

/// What the settings rules say about `value` as field `name`, alone (the other fields' problems
/// are not its own): checked as it is entered, so a mistake is asked again at once.
fn problem_with(settings: &SettingsSchema, name: &str, value: &Value) -> Option<String> {
    let mut one = Map::new();
    one.insert(name.to_owned(), value.clone());
    let problems = settings.validate(Value::Object(one)).err()?;
    problems
        .into_iter()
        .find(|p| p.field == name)
        .map(|p| p.message)
}

fn ask_field(settings: &SettingsSchema, name: &str, required: bool) -> Result<Option<Value>, Stop> {
    let doc = settings.document();
    let declared = &doc["properties"][name];
    let schema = property(doc, declared);
    let title = declared["title"]
        .as_str()
        .or(schema["title"].as_str())
        .unwrap_or(name);
    let description = declared["description"]
        .as_str()
        .or(schema["description"].as_str());
    say("");
    say(&format!(
        "{}{title} ({name})",
        if required { "* " } else { "" }
    ));
    if let Some(d) = description {
        for l in d.lines() {
            say(&format!("  {l}"));
        }
    }
    if let Some(branches) = schema["oneOf"].as_array() {
        // Each member is checked as it is typed; the whole choice once it is complete, and
        // only the choice is asked again.
        loop {
            let chosen = ask_choice(settings, name, branches)?;
            match problem_with(settings, name, &chosen) {
                Some(problem) => say(&format!("  {name} {problem}; choose again")),
                None => return Ok(Some(chosen)),
            }
        }
    }
    let secret =
        declared["x-secret"] == Value::Bool(true) || schema["x-secret"] == Value::Bool(true);
    let default = declared.get("default").or(schema.get("default"));
    let check = |value: &Value| problem_with(settings, name, value);
    ask_scalar(name, schema, secret, required, default, &check)
}

/// An auth choice: pick a branch by its title, then answer its fields, each checked against
/// that branch's rules as it is entered.
fn ask_choice(settings: &SettingsSchema, field: &str, branches: &[Value]) -> Result<Value, Stop> {
    let doc = settings.document();
    let branches: Vec<&Value> = branches.iter().map(|b| property(doc, b)).collect();
    for (i, b) in branches.iter().enumerate() {
        say(&format!(
            "  {}. {}{}",
            i + 1,
            b["title"].as_str().unwrap_or("option"),
            b["description"]
                .as_str()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ));
    }
    let chosen = loop {
        let answer = line(&format!("Choose 1-{}: ", branches.len()))?;
        match answer.trim().parse::<usize>() {
            Ok(n) if (1..=branches.len()).contains(&n) => break branches[n - 1],
            _ => say(&format!("  enter a number from 1 to {}", branches.len())),
        }
    };
    let required: Vec<&str> = chosen["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let members = chosen["properties"].as_object();
    let mut object = Map::new();
    for (name, p) in members.into_iter().flatten() {
        if let Some(c) = property(doc, p).get("const") {
            object.insert(name.clone(), c.clone());
        }
    }
    for (name, p) in members.into_iter().flatten() {
        let p = property(doc, p);
        if p.get("const").is_some() {
            continue;
        }
        let is_required = required.contains(&name.as_str());
        let title = p["title"].as_str().unwrap_or(name);
        say(&format!(
            "{}{title} ({name})",
            if is_required { "* " } else { "" }
        ));
        let secret = p["x-secret"] == Value::Bool(true);
        let check = |value: &Value| settings.choice_member_problem(field, &object, name, value);
        if let Some(v) = ask_scalar(name, p, secret, is_required, p.get("default"), &check)? {
            object.insert(name.clone(), v);
        }
    }
    Ok(Value::Object(object))
}

/// Asks for one value until it parses as the field's type and `check` finds nothing wrong
/// with it (the problem is said, and only this field is asked again).
fn ask_scalar(
    name: &str,
    schema: &Value,
    secret: bool,
    required: bool,
    default: Option<&Value>,
    check: &dyn Fn(&Value) -> Option<String>,
) -> Result<Option<Value>, Stop> {
    let kind = schema["type"].as_str().unwrap_or("string");
    let suffix = match default {
        Some(d) => format!(
            " [{}]",
            d.as_str().map_or_else(|| d.to_string(), str::to_owned)
        ),
        None if !required => " (Enter to skip)".to_owned(),
        None => String::new(),
    };
    loop {
        let prompt = format!("  {name}{suffix}: ");
        let answer = if secret {
            hidden(&prompt)?
        } else {
            line(&prompt)?
        };
        let text = answer.trim();
        if text.is_empty() {
            if !required || default.is_some() {
                return Ok(None);
            }
            say("  this field is required");
            continue;
        }
        let value = match kind {
            "integer" => text
                .replace(['_', ','], "")
                .parse::<i64>()
                .ok()
                .map(Value::from),
            "number" => text.parse::<f64>().ok().map(Value::from),
            "boolean" => match text.to_ascii_lowercase().as_str() {
                "y" | "yes" | "true" => Some(Value::Bool(true)),
                "n" | "no" | "false" => Some(Value::Bool(false)),
                _ => None,
            },
            // Secrets keep their spaces: only an all-blank answer counts as none.
            _ if secret => Some(Value::String(answer)),
            _ => Some(Value::String(text.to_owned())),
        };
        match value {
            Some(v) => match check(&v) {
                // Never echoes the value (a secret's problem is told without it).
                Some(problem) => say(&format!("  {name} {problem}; try again")),
                None => return Ok(Some(v)),
            },
            None => say(&format!(
                "  expected {}",
                match kind {
                    "integer" => "a whole number",
                    "number" => "a number",
                    _ => "yes or no",
                }
            )),
        }
    }
}

fn say(text: &str) {
    eprintln!("{}", terminal(text));
}

fn line(prompt: &str) -> Result<String, Stop> {
    eprint!("{}", terminal(prompt));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(0) | Err(_) => Err(Stop::Closed),
        Ok(_) => Ok(answer.trim_end_matches(['\n', '\r']).to_owned()),
    }
}

fn hidden(prompt: &str) -> Result<String, Stop> {
    eprint!("{}", terminal(prompt));
    let _ = std::io::stderr().flush();
    rpassword::read_password().map_err(|_| Stop::Closed)
}
