//! End-to-end tests of the `connector` binary against wiremock servers on loopback.

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER: &str = "svc-e2e";
const PASSWORD: &str = "Pw-Canary-8d1f0c";
const CUSTOMER_KEY: &str = "CkQ7x";
const USER_KEY: &str = "UserKeyZ9Canary";
const PERSON: &str = "/personnel/v1/person-details";
const EMPLOYMENT: &str = "/personnel/v1/employment-details";

fn basic_b64() -> &'static str {
    // base64("svc-e2e:Pw-Canary-8d1f0c")
    "c3ZjLWUyZTpQdy1DYW5hcnktOGQxZjBj"
}

/// Runs `connector` with `args` and `env`, with no UKGPRO_* or proxy variables inherited.
async fn connector(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_connector"));
    cmd.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("UKGPRO_")
            || key.to_ascii_lowercase().ends_with("_proxy")
            || key == "RUST_LOG"
        {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().await.expect("run connector")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// A UKG-like server: the right Basic header and customer key get `person` and `employment`;
/// anything else is a 401.
async fn ukg(person: ResponseTemplate, employment: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    let basic = format!("Basic {}", basic_b64());
    for (p, template) in [(PERSON, person), (EMPLOYMENT, employment)] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("authorization", basic.as_str()))
            .and(header("us-customer-api-key", CUSTOMER_KEY))
            .respond_with(template)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

fn rows() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([{"employeeId": "E1", "companyId": "C1"}]))
}

fn write_config(dir: &Path, value: &Value) -> String {
    let file = dir.join("ukgpro.json");
    std::fs::write(&file, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    file.to_string_lossy().into_owned()
}

fn settings(base: &str) -> Value {
    json!({
        "base_url": base,
        "username": USER,
        "password": PASSWORD,
        "customer_api_key": CUSTOMER_KEY,
        "user_api_key": USER_KEY,
    })
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("connector-cli-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn list_shows_the_registered_providers() {
    let o = connector(&["list"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).starts_with("ukgpro "), "{}", stdout(&o));

    let o = connector(&["list", "--json"], &[]).await;
    assert_eq!(code(&o), 0);
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list[0]["id"], "ukgpro");
    assert_eq!(list[0]["name"], "UKG Pro");
    assert_eq!(list[0]["capabilities"], json!(["connection_test"]));
}

#[tokio::test]
async fn schema_is_valid_in_both_dialects() {
    let o = connector(&["ukgpro", "schema"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft202012::meta::validate(&schema).expect("valid 2020-12");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["required"],
        json!(["base_url", "username", "password", "customer_api_key"])
    );
    for secret in ["password", "customer_api_key", "user_api_key"] {
        assert_eq!(schema["properties"][secret]["writeOnly"], true, "{secret}");
        assert_eq!(schema["properties"][secret]["x-secret"], true, "{secret}");
    }
    // The schema validates a good config and rejects one missing a secret.
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    assert!(validator.is_valid(&settings("https://service5.ultipro.com")));
    assert!(!validator.is_valid(&json!({"base_url": "x", "username": "u", "password": "p"})));

    let o = connector(&["ukgpro", "schema", "--draft", "07"], &[]).await;
    assert_eq!(code(&o), 0);
    let d07: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft7::meta::validate(&d07).expect("valid draft-07");
    assert_eq!(d07["$schema"], "http://json-schema.org/draft-07/schema#");

    let o = connector(&["ukgpro", "schema", "--draft", "04"], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("2020-12"), "{}", stderr(&o));
}

#[tokio::test]
async fn test_passes_against_a_good_tenant() {
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("pass");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{out}{}", stderr(&o));
    assert_eq!(out.matches('\u{2713}').count(), 5, "{out}");
    assert!(out.contains("Result: passed (5 of 5 steps)"), "{out}");
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.headers["api-key"] == USER_KEY));
}

#[tokio::test]
async fn json_report_lists_every_step() {
    let server = ukg(rows(), ResponseTemplate::new(403)).await;
    let dir = temp_dir("json");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = connector(&["ukgpro", "test", "--config", &config, "--json"], &[]).await;
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["provider"], "ukgpro");
    assert_eq!(report["passed"], false);
    let statuses: Vec<_> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("settings", "passed"),
            ("reachable", "passed"),
            ("authenticated", "passed"),
            ("permission_employee_person_details", "passed"),
            ("permission_personnel_integration", "failed"),
        ]
    );
    let failed = &report["steps"][4];
    assert_eq!(failed["error_kind"], "permission");
    assert!(failed["hint"]
        .as_str()
        .unwrap()
        .contains("Personnel Integration"));
    assert!(failed["duration_ms"].is_u64());
}

#[tokio::test]
async fn wrong_password_exits_3_with_the_fix() {
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("401");
    let mut bad = settings(&server.uri());
    bad["password"] = json!("not-the-password");
    let config = write_config(&dir, &bad);
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 3);
    let out = stdout(&o);
    assert!(out.contains("\u{2717} Authenticated"), "{out}");
    assert!(
        out.contains("hint: UKG Pro rejected the service account"),
        "{out}"
    );
    assert_eq!(
        out.matches('\u{2013}').count(),
        2,
        "two skipped steps: {out}"
    );
}

#[tokio::test]
async fn environment_overrides_the_config_file() {
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("env");
    let mut file = settings(&server.uri());
    file["password"] = json!("stale-password");
    let config = write_config(&dir, &file);
    let o = connector(
        &["ukgpro", "test", "--config", &config],
        &[("UKGPRO_PASSWORD", PASSWORD)],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // Environment only, no file at all.
    let base = server.uri();
    let env = [
        ("UKGPRO_BASE_URL", base.as_str()),
        ("UKGPRO_USERNAME", USER),
        ("UKGPRO_PASSWORD", PASSWORD),
        ("UKGPRO_CUSTOMER_API_KEY", CUSTOMER_KEY),
    ];
    let o = connector(&["ukgpro", "test"], &env).await;
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[tokio::test]
async fn unreachable_host_exits_5() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let dir = temp_dir("net");
    let config = write_config(&dir, &settings(&format!("http://{addr}")));
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 5, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("\u{2717} Host reachable"),
        "{}",
        stdout(&o)
    );
}

#[tokio::test]
async fn all_settings_problems_at_once_exit_2() {
    let dir = temp_dir("invalid");
    let config = write_config(
        &dir,
        &json!({"base_url": "service5.ultipro.com", "username": "svc", "colour": "teal"}),
    );
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 2);
    let out = stdout(&o);
    assert!(out.contains("password: is required"), "{out}");
    assert!(out.contains("customer_api_key: is required"), "{out}");
    assert!(out.contains("colour: is not a known field"), "{out}");
    assert!(out.contains("3 problem(s)"), "{out}");

    let o = connector(&["ukgpro", "test", "--config", &config, "--json"], &[]).await;
    assert_eq!(code(&o), 2);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["steps"][0]["error_kind"], "invalid_settings");
}

#[tokio::test]
async fn unreadable_or_malformed_config_is_a_usage_error() {
    let o = connector(
        &["ukgpro", "test", "--config", "/nonexistent/ukg.json"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("--config: cannot read /nonexistent/ukg.json"),
        "{}",
        stdout(&o)
    );

    let dir = temp_dir("malformed");
    let file = dir.join("bad.json");
    std::fs::write(&file, format!("{{\"password\": \"{PASSWORD}\",")).unwrap();
    let o = connector(&["ukgpro", "test", "--config", file.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("is not valid JSON"), "{}", stdout(&o));
    assert!(!stdout(&o).contains(PASSWORD) && !stderr(&o).contains(PASSWORD));

    let array = write_config(&dir, &json!([1, 2]));
    let o = connector(&["ukgpro", "test", "--config", &array], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("must be a JSON object"),
        "{}",
        stdout(&o)
    );
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let o = connector(&["nosuchprovider", "test"], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("nosuchprovider"));

    let o = connector(&["ukgpro", "test", "--password", PASSWORD], &[]).await;
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("UKGPRO_PASSWORD"), "{err}");
    assert!(!err.contains(PASSWORD), "the secret was echoed: {err}");

    let o = connector(&["ukgpro", "test", "--frobnicate"], &[]).await;
    assert_eq!(code(&o), 2);

    let o = connector(&["--help"], &[]).await;
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Exit status"));
}

/// The canary: distinctive secrets, maximum logging, success and failure paths; no secret
/// (nor the Basic base64 form) may appear on any stream.
#[tokio::test]
async fn secrets_never_appear_on_any_stream_at_trace_level() {
    let good = ukg(rows(), rows()).await;
    let html = ukg(
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/html")
            .set_body_string("<html>login</html>"),
        ResponseTemplate::new(500).set_body_json(json!({"message": "boom"})),
    )
    .await;
    let redirecting = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", good.uri())),
        )
        .mount(&redirecting)
        .await;
    let dir = temp_dir("canary");
    let mut runs = Vec::new();
    for base in [
        good.uri(),
        html.uri(),
        redirecting.uri(),
        "http://127.0.0.1:9".into(),
    ] {
        let config = write_config(&dir, &settings(&base));
        for extra in [&[][..], &["--json"][..]] {
            let mut args = vec!["ukgpro", "test", "--config", config.as_str()];
            args.extend_from_slice(extra);
            runs.push(connector(&args, &[("RUST_LOG", "trace")]).await);
        }
    }
    // Invalid settings: the secrets come from the environment and the file has a typo.
    let config = write_config(&dir, &json!({"base_url": "ftp://x", "pasword": PASSWORD}));
    runs.push(
        connector(
            &["ukgpro", "test", "--config", &config],
            &[
                ("RUST_LOG", "trace"),
                ("UKGPRO_CUSTOMER_API_KEY", CUSTOMER_KEY),
                ("UKGPRO_USER_API_KEY", USER_KEY),
            ],
        )
        .await,
    );
    let mut saw_trace = false;
    for o in &runs {
        let text = format!("{}\n{}", stdout(o), stderr(o));
        saw_trace |= text.contains("TRACE") || text.contains("DEBUG");
        for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, basic_b64()] {
            assert!(!text.contains(secret), "secret {secret} leaked:\n{text}");
        }
    }
    assert!(
        saw_trace,
        "RUST_LOG=trace produced no log output; the canary would prove nothing"
    );
    // The redirect target was never contacted with credentials.
    let to_good = good.received_requests().await.unwrap();
    assert!(to_good.iter().all(|r| r.url.path() != "/elsewhere"));
}
