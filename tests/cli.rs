//! End-to-end tests of the `connector` binary against wiremock servers on loopback.

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "../connector-ukgpro/tests/support/mod.rs"]
mod support;

use support::{
    fixture, generated, pages_requested, Paged, BASIC_B64, CUSTOMER_KEY, PASSWORD, USER,
};

const USER_KEY: &str = "UserKeyZ9Canary";

fn basic_b64() -> &'static str {
    BASIC_B64
}

/// Runs `connector` with `args` and `env`, with no UKGPRO_* or proxy variables inherited.
async fn connector(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().await.expect("run connector")
}

fn command(args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
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
    cmd
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

/// A UKG-like server answering page 1 of each endpoint with the given templates (the
/// connection test asks for one row of page 1); wrong credentials get 401.
async fn ukg(person: ResponseTemplate, employment: ResponseTemplate) -> MockServer {
    support::ukg(
        Paged::new(vec![]).with_fault(1, person),
        Paged::new(vec![]).with_fault(1, employment),
    )
    .await
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
    assert_eq!(
        list[0]["capabilities"],
        json!(["connection_test", "user_export"])
    );
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

// ---------------------------------------------------------------------------------------------
// users

async fn fixture_server() -> MockServer {
    support::ukg(
        Paged::new(fixture("person")),
        Paged::new(fixture("employment")),
    )
    .await
}

fn ids_of(users: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = users
        .iter()
        .map(|u| {
            format!(
                "{}/{}",
                u["company_id"].as_str().unwrap_or(""),
                u["id"].as_str().unwrap()
            )
        })
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn users_in_all_three_formats_hold_the_same_users() {
    let server = fixture_server().await;
    let dir = temp_dir("formats");
    let config = write_config(&dir, &support::settings(&server.uri()));

    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let jsonl: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let o = connector(
        &["ukgpro", "users", "--config", &config, "--format", "json"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let json: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();

    let o = connector(
        &["ukgpro", "users", "--config", &config, "--format", "csv"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let csv_users: Vec<Value> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let map: serde_json::Map<String, Value> = headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| {
                    (
                        h.clone(),
                        if v.is_empty() {
                            Value::Null
                        } else {
                            Value::String(v.to_owned())
                        },
                    )
                })
                .collect();
            Value::Object(map)
        })
        .collect();

    let expected = [
        "C1/E100", "C1/E101", "C1/E102", "C1/E300", "C2/E200", "C2/E201",
    ];
    assert_eq!(ids_of(&jsonl), expected);
    assert_eq!(ids_of(&json), expected);
    assert_eq!(ids_of(&csv_users), expected);
    // Same content in every format (CSV carries everything as text).
    let by_id = |users: &[Value], id: &str| users.iter().find(|u| u["id"] == id).cloned().unwrap();
    assert_eq!(by_id(&jsonl, "E100"), by_id(&json, "E100"));
    let ana = by_id(&csv_users, "E100");
    assert_eq!(ana["display_name"], "Ana Diaz");
    assert_eq!(ana["hire_date"], "2015-06-01");
    assert_eq!(ana["status"], "active");
    assert_eq!(by_id(&csv_users, "E201")["last_name"], "García");
    for field in [
        "email",
        "job_title",
        "manager_id",
        "termination_date",
        "updated_at",
    ] {
        for id in ["E100", "E101", "E200"] {
            let a = &by_id(&jsonl, id)[field];
            let b = &by_id(&csv_users, id)[field];
            assert_eq!(a, b, "{id}.{field}");
        }
    }
}

#[tokio::test]
async fn users_summary_reports_statuses_partners_malformed_and_fill_rates() {
    let server = fixture_server().await;
    let dir = temp_dir("summary");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 0);
    let err = stderr(&o);
    assert!(
        err.contains("Exported 6 users to stdout (active 1, leave 1, suspended 1, terminated 1, inactive 1, unknown 1)"),
        "{err}"
    );
    assert!(
        err.contains("Records without a partner: 1 person-details without employment-details"),
        "{err}"
    );
    assert!(
        err.contains("Records without a partner: 1 employment-details without person-details"),
        "{err}"
    );
    assert!(err.contains("Malformed records skipped: 1"), "{err}");
    assert!(
        err.contains("person-details page 1, record 5: no employee id (company C1)"),
        "{err}"
    );
    assert!(err.contains("email             4 of 6   66%"), "{err}");
    assert!(!err.contains("WARNING"), "{err}");
    // No personal data beyond the export's own fields, anywhere.
    let all = format!("{}{err}", stdout(&o));
    for personal in [
        "111-22-3333",
        "999-88-7777",
        "1985-04-12",
        "Secret Lane",
        "555-0100",
        "Ghost",
    ] {
        assert!(!all.contains(personal), "{personal} leaked");
    }
}

#[tokio::test]
async fn a_missing_field_across_the_tenant_is_a_loud_warning() {
    let (mut persons, employments) = generated(50);
    for p in &mut persons {
        p.as_object_mut().unwrap().remove("emailAddress");
    }
    let server = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    let dir = temp_dir("warning");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(
        &["ukgpro", "users", "--config", &config, "--format", "csv"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("WARNING: email: 0 of 50 users have it"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn status_and_company_filters() {
    let server = fixture_server().await;
    let dir = temp_dir("filters");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--status",
            "active,leave",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let users: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ids_of(&users), ["C1/E100", "C1/E101"]);
    assert!(
        stderr(&o).contains("Left out by the filters: 4"),
        "{}",
        stderr(&o)
    );

    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--company",
            "C2",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    let users: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ids_of(&users), ["C2/E200", "C2/E201"]);

    let o = connector(
        &[
            "ukgpro", "users", "--config", &config, "--status", "retired",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("active"), "{}", stderr(&o));

    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--page-size",
            "20000",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("page_size: 20000 is more than UKG Pro's maximum"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn page_size_flag_controls_paging() {
    let (persons, employments) = generated(250);
    let server = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    let dir = temp_dir("paging");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(
        &["ukgpro", "users", "--config", &config, "--page-size", "100"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 250);
    let mut pages = pages_requested(&server, support::PERSON).await;
    pages.sort_unstable();
    pages.dedup();
    assert_eq!(&pages[..3], [1, 2, 3]);
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn output_file_is_replaced_only_by_a_complete_export() {
    let (persons, employments) = generated(500);
    let failing = support::ukg(
        Paged::new(persons.clone()),
        Paged::new(employments.clone()).with_fault(3, ResponseTemplate::new(500)),
    )
    .await;
    let dir = temp_dir("atomic-fail");
    let config = write_config(&dir, &support::settings(&failing.uri()));
    let target = dir.join("users.csv");
    std::fs::write(&target, "previous good export\n").unwrap();
    let target_s = target.to_str().unwrap();
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--format",
            "csv",
            "--page-size",
            "100",
            "--output",
            target_s,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("server error (HTTP 500)"), "{err}");
    assert!(
        err.contains("page") || err.contains("employment-details"),
        "{err}"
    );
    assert!(
        err.contains("was not written; an existing file there is unchanged"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "previous good export\n"
    );
    assert_eq!(
        dir_entries(&dir),
        ["ukgpro.json", "users.csv"],
        "a partial file was left behind"
    );

    // The same export against a healthy server replaces the file.
    let healthy = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    let config = write_config(&dir, &support::settings(&healthy.uri()));
    let o = connector(
        &[
            "ukgpro", "users", "--config", &config, "--format", "csv", "--output", target_s,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).is_empty(),
        "with --output nothing goes to stdout"
    );
    let mut reader = csv::Reader::from_path(&target).unwrap();
    assert_eq!(reader.records().count(), 500);
    assert!(
        stderr(&o).contains(&format!("Exported 500 users to {target_s}")),
        "{}",
        stderr(&o)
    );
    assert_eq!(dir_entries(&dir), ["ukgpro.json", "users.csv"]);
}

#[tokio::test]
async fn killing_an_export_leaves_the_old_file_intact() {
    let (persons, employments) = generated(300);
    let slow = |records: &[Value]| {
        ResponseTemplate::new(200)
            .set_body_json(records)
            .set_delay(std::time::Duration::from_secs(60))
    };
    let server = support::ukg(
        Paged::new(persons.clone()).with_fault(3, slow(&persons[200..])),
        Paged::new(employments.clone()).with_fault(3, slow(&employments[200..])),
    )
    .await;
    let dir = temp_dir("atomic-kill");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let target = dir.join("users.jsonl");
    for signal in ["TERM", "KILL"] {
        std::fs::write(&target, "previous good export\n").unwrap();
        let mut child = command(
            &[
                "ukgpro",
                "users",
                "--config",
                &config,
                "--page-size",
                "100",
                "--output",
                target.to_str().unwrap(),
            ],
            &[],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        // Wait until the export is underway: page 3 has been requested (and hangs).
        for _ in 0..200 {
            if pages_requested(&server, support::PERSON).await.contains(&3) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let pid = child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().await.unwrap();
        assert!(
            !status.success(),
            "{signal}: the export must not report success"
        );
        if signal == "TERM" {
            assert_eq!(status.code(), Some(130), "SIGTERM is handled: interrupted");
            assert_eq!(
                dir_entries(&dir),
                ["ukgpro.json", "users.jsonl"],
                "SIGTERM left a temporary file"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "previous good export\n",
            "{signal}"
        );
        // After SIGKILL nothing can clean up: only a hidden `.users.jsonl.*.partial` may remain.
        for name in dir_entries(&dir) {
            assert!(
                ["ukgpro.json", "users.jsonl"].contains(&name.as_str())
                    || (name.starts_with(".users.jsonl.") && name.ends_with(".partial")),
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn export_failures_use_the_documented_exit_codes() {
    let dir = temp_dir("export-codes");
    let server = support::ukg(
        Paged::new(vec![]),
        Paged::new(vec![]).with_fault(1, ResponseTemplate::new(403)),
    )
    .await;
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(stderr(&o).contains(
        "hint: give the service account View on the \u{201c}Personnel Integration\u{201d}"
    ));

    let mut bad = support::settings(&server.uri());
    bad["password"] = json!("wrong");
    let config = write_config(&dir, &bad);
    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 3, "{}", stderr(&o));

    let config = write_config(&dir, &json!({"base_url": "x.example"}));
    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("  password: is required"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn user_schema_is_printed() {
    let o = connector(&["schema", "user"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft202012::meta::validate(&schema).unwrap();
    let props: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(props.contains(&"email") && props.contains(&"status"));
    assert!(!props
        .iter()
        .any(|p| p.contains("ssn") || p.contains("birth")));
    let o = connector(&["schema", "user", "--draft", "07"], &[]).await;
    let d07: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft7::meta::validate(&d07).unwrap();
}

#[tokio::test]
async fn export_canary_secrets_never_leak() {
    let (persons, employments) = generated(120);
    let server = support::ukg(
        Paged::new(persons),
        Paged::new(employments).with_fault(2, ResponseTemplate::new(502)),
    )
    .await;
    let dir = temp_dir("export-canary");
    let mut raw = support::settings(&server.uri());
    raw["user_api_key"] = json!(USER_KEY);
    raw["max_attempts"] = json!(2);
    let config = write_config(&dir, &raw);
    let out = dir.join("out.csv");
    for args in [
        vec!["ukgpro", "users", "--config", &config, "--page-size", "50"],
        vec![
            "ukgpro",
            "users",
            "--config",
            &config,
            "--page-size",
            "100",
            "--format",
            "csv",
            "--output",
            out.to_str().unwrap(),
        ],
    ] {
        let o = connector(&args, &[("RUST_LOG", "trace")]).await;
        let text = format!("{}\n{}", stdout(&o), stderr(&o));
        assert!(
            text.contains("TRACE") || text.contains("DEBUG"),
            "no logs at trace level"
        );
        for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, BASIC_B64] {
            assert!(!text.contains(secret), "secret {secret} leaked");
        }
    }
    if let Ok(file) = std::fs::read_to_string(&out) {
        for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, BASIC_B64] {
            assert!(!file.contains(secret));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// the embedded sandbox

/// Starts `connector ukgpro sandbox ARGS` and returns the process and its config line.
async fn sandbox_process(args: &[&str]) -> (tokio::process::Child, Value) {
    use tokio::io::AsyncBufReadExt;
    let mut full = vec!["ukgpro", "sandbox"];
    full.extend_from_slice(args);
    let mut child = command(&full, &[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("the sandbox prints its config")
        .unwrap()
        .expect("a line");
    (child, serde_json::from_str(&line).expect("one JSON object"))
}

#[tokio::test]
async fn quick_start_commands_work_on_the_embedded_sandbox() {
    let o = connector(&["ukgpro", "test", "--sandbox"], &[]).await;
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Result: passed (5 of 5 steps)"));

    let o = connector(&["ukgpro", "users", "--sandbox", "--format", "csv"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 300, "the default sandbox has 300 employees");
    assert!(stderr(&o).contains("Exported 300 users"), "{}", stderr(&o));

    let o = connector(&["ukgpro", "users", "--sandbox", "--config", "x.json"], &[]).await;
    assert_eq!(code(&o), 2, "--sandbox and --config exclude each other");
}

#[tokio::test]
async fn sandbox_process_serves_25001_employees_exactly_once() {
    let (mut sandbox, config) = sandbox_process(&["--employees", "25001"]).await;
    assert_eq!(config["username"], "sandbox-svc");
    assert!(config["base_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    let dir = temp_dir("sandbox-25001");
    let file = write_config(&dir, &config);
    let o = connector(
        &["ukgpro", "users", "--config", &file, "--page-size", "10000"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut ids = std::collections::HashSet::new();
    for line in stdout(&o).lines() {
        let user: Value = serde_json::from_str(line).unwrap();
        assert!(
            ids.insert(user["id"].as_str().unwrap().to_owned()),
            "duplicate {line}"
        );
    }
    assert_eq!(ids.len(), 25_001);
    assert!(
        stderr(&o).contains("Exported 25,001 users"),
        "{}",
        stderr(&o)
    );
    sandbox.kill().await.unwrap();
}

#[tokio::test]
async fn sandbox_permissions_and_credentials_give_the_documented_exit_codes() {
    let (mut sandbox, config) =
        sandbox_process(&["--employees", "10", "--deny", "personnel-integration"]).await;
    let dir = temp_dir("sandbox-codes");
    let file = write_config(&dir, &config);
    let o = connector(&["ukgpro", "test", "--config", &file], &[]).await;
    assert_eq!(code(&o), 4, "{}", stdout(&o));
    assert!(stdout(&o).contains("\u{2717} Permission: Personnel Integration"));

    let mut wrong = config.clone();
    wrong["customer_api_key"] = json!("WRONG");
    let file = write_config(&dir, &wrong);
    let o = connector(&["ukgpro", "test", "--config", &file], &[]).await;
    assert_eq!(code(&o), 3, "{}", stdout(&o));
    sandbox.kill().await.unwrap();

    let o = connector(&["ukgpro", "sandbox", "--deny", "payroll"], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown permission `payroll`"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn a_429_storm_slows_the_export_down_but_it_completes_exactly() {
    let (persons, employments) = generated(1_000);
    let server = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    // The first requests all hit the tenant's quota (429 without Retry-After, like UKG).
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(4)
        .with_priority(1)
        .mount(&server)
        .await;
    let dir = temp_dir("storm");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let out = dir.join("users.jsonl");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--page-size",
            "250",
            "--output",
            out.to_str().unwrap(),
        ],
        &[("RUST_LOG", "warn")],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let ids: std::collections::HashSet<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        (text.lines().count(), ids.len()),
        (1_000, 1_000),
        "every user exactly once"
    );
    let err = stderr(&o);
    assert!(
        err.contains("retrying"),
        "retries are logged at warn: {err}"
    );
    assert!(
        err.contains("cause=\"rate_limited\"") || err.contains("cause=rate_limited"),
        "{err}"
    );
    assert!(err.contains("throttled: fewer requests in flight"), "{err}");
}

#[tokio::test]
async fn a_persistent_429_storm_fails_clearly_after_the_retry_budget() {
    let server = support::ukg(Paged::new(vec![]), Paged::new(vec![])).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429))
        .with_priority(1)
        .mount(&server)
        .await;
    let dir = temp_dir("storm-forever");
    let mut raw = support::settings(&server.uri());
    raw["max_attempts"] = json!(2);
    let config = write_config(&dir, &raw);
    let out = dir.join("users.csv");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--format",
            "csv",
            "--output",
            out.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 6, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("page 1: rate limited (HTTP 429) (gave up after 2 attempts)"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: UKG Pro's per-tenant request quota was exceeded even after backing off"
        ),
        "{err}"
    );
    assert!(!out.exists(), "a failed export left a file");
}

#[cfg(unix)]
#[tokio::test]
async fn a_config_file_readable_by_others_is_warned_about_without_values() {
    use std::os::unix::fs::PermissionsExt;
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("perms");
    let config = write_config(&dir, &settings(&server.uri()));
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 0, "a warning, not a failure");
    let err = stderr(&o);
    assert!(
        err.contains("holds secrets (password, customer_api_key, user_api_key)"),
        "{err}"
    );
    assert!(
        err.contains("mode 644") && err.contains(&format!("chmod 600 {config}")),
        "{err}"
    );
    assert!(
        !err.contains(PASSWORD) && !err.contains(CUSTOMER_KEY),
        "{err}"
    );

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));

    // No secrets in the file (they come from the environment): nothing to warn about.
    let base = server.uri();
    let no_secrets = write_config(&dir, &json!({"base_url": base, "username": USER}));
    std::fs::set_permissions(&no_secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = connector(
        &["ukgpro", "test", "--config", &no_secrets],
        &[
            ("UKGPRO_PASSWORD", PASSWORD),
            ("UKGPRO_CUSTOMER_API_KEY", CUSTOMER_KEY),
        ],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

/// The secrets matrix: for success and every failure mode, at `RUST_LOG=trace`, the password,
/// the customer and user API keys and the Basic base64 form never appear in stdout, stderr,
/// the JSON report or the output file.
#[tokio::test]
async fn secrets_never_leak_across_the_fault_matrix() {
    let (persons, employments) = generated(120);
    let mut servers: Vec<(&str, MockServer)> = Vec::new();
    servers.push((
        "success",
        support::ukg(Paged::new(persons.clone()), Paged::new(employments.clone())).await,
    ));
    let storm = support::ukg(Paged::new(persons.clone()), Paged::new(employments.clone())).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&storm)
        .await;
    servers.push(("429 storm", storm));
    servers.push((
        "persistent 502",
        support::ukg(
            Paged::new(persons.clone()),
            Paged::new(employments.clone()).with_fault(1, ResponseTemplate::new(502)),
        )
        .await,
    ));
    servers.push((
        "html page",
        support::ukg(
            Paged::new(vec![]).with_fault(
                1,
                ResponseTemplate::new(200).set_body_raw("<html>Sign in</html>", "text/html"),
            ),
            Paged::new(vec![]),
        )
        .await,
    ));
    servers.push((
        "broken json",
        support::ukg(
            Paged::new(vec![])
                .with_fault(1, ResponseTemplate::new(200).set_body_string("[{\"a\": ")),
            Paged::new(vec![]),
        )
        .await,
    ));
    let repeat = support::ukg(Paged::new(vec![]), Paged::new(vec![])).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(&persons[..50]))
        .with_priority(1)
        .mount(&repeat)
        .await;
    servers.push(("repeated pages", repeat));
    servers.push((
        "403",
        support::ukg(
            Paged::new(vec![]),
            Paged::new(vec![]).with_fault(1, ResponseTemplate::new(403)),
        )
        .await,
    ));
    let elsewhere = MockServer::start().await;
    let redirecting = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/x", elsewhere.uri())),
        )
        .mount(&redirecting)
        .await;
    servers.push(("cross-origin redirect", redirecting));

    let dir = temp_dir("matrix");
    let out = dir.join("users.json");
    let out_s = out.to_str().unwrap().to_owned();
    let mut transcripts = Vec::new();
    for (name, server) in &servers {
        let mut raw = support::settings(&server.uri());
        raw["user_api_key"] = json!(USER_KEY);
        raw["max_attempts"] = json!(2);
        let config = write_config(&dir, &raw);
        for args in [
            vec!["ukgpro", "test", "--config", &config, "--json"],
            vec!["ukgpro", "users", "--config", &config, "--page-size", "50"],
            vec![
                "ukgpro", "users", "--config", &config, "--format", "json", "--output", &out_s,
            ],
        ] {
            let o = connector(&args, &[("RUST_LOG", "trace")]).await;
            let file = std::fs::read_to_string(&out).unwrap_or_default();
            transcripts.push((
                format!("{name}: {}", args[1]),
                format!("{}\n{}\n{file}", stdout(&o), stderr(&o)),
            ));
        }
    }
    // Invalid settings, secrets from the environment.
    let config = write_config(
        &dir,
        &json!({"base_url": "https://svc:pw@x.example", "pasword": "typo"}),
    );
    let o = connector(
        &["ukgpro", "users", "--config", &config],
        &[
            ("RUST_LOG", "trace"),
            ("UKGPRO_PASSWORD", PASSWORD),
            ("UKGPRO_CUSTOMER_API_KEY", CUSTOMER_KEY),
            ("UKGPRO_USER_API_KEY", USER_KEY),
        ],
    )
    .await;
    transcripts.push((
        "invalid settings".into(),
        format!("{}\n{}", stdout(&o), stderr(&o)),
    ));

    assert!(
        transcripts.iter().any(|(_, t)| t.contains("TRACE")),
        "no trace output: the matrix proves nothing"
    );
    assert!(
        transcripts.iter().any(|(_, t)| t.contains("retrying")),
        "no retry was exercised"
    );
    for (name, text) in &transcripts {
        for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, BASIC_B64] {
            assert!(!text.contains(secret), "{name}: secret {secret} leaked");
        }
    }
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "credentials followed a redirect"
    );
}

#[tokio::test]
async fn the_committed_provider_page_is_what_the_docs_command_generates() {
    let o = connector(&["ukgpro", "docs"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/providers/ukgpro.md");
    let committed = std::fs::read_to_string(&page).unwrap_or_default();
    assert!(
        committed == stdout(&o),
        "docs/providers/ukgpro.md is out of date; regenerate it with:\n  cargo run -q -p connector-cli -- ukgpro docs > docs/providers/ukgpro.md"
    );
    for needle in [
        "| `password` | `UKGPRO_PASSWORD` | yes | yes |",
        "View on **Personnel Integration**",
        "Authenticated",
    ] {
        assert!(committed.contains(needle), "{needle}");
    }
}

#[tokio::test]
async fn ui_schema_matches_the_schema() {
    let o = connector(&["ukgpro", "schema", "--ui-schema"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ui: Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = connector(&["ukgpro", "schema"], &[]).await;
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    let props: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let mut order: Vec<String> = ui["ui:order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order.pop().as_deref(), Some("*"));
    assert_eq!(
        order.iter().collect::<Vec<_>>(),
        props,
        "ui:order follows x-order"
    );
    for (name, prop) in schema["properties"].as_object().unwrap() {
        let hints = &ui[name];
        assert_eq!(hints["ui:help"], prop["description"], "{name}");
        let secret = prop["x-secret"] == true;
        assert_eq!(
            hints["ui:widget"] == "password",
            secret,
            "{name}: password widget iff secret"
        );
    }
    for key in ui
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with("ui:"))
    {
        assert!(
            schema["properties"].get(key).is_some(),
            "ui hint for unknown field {key}"
        );
    }
    // What such a form submits validates against the schema with a real validator.
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let submitted = json!({"base_url": "service5.ultipro.com", "username": "svc", "password": "p", "customer_api_key": "k", "page_size": 500});
    assert!(validator.is_valid(&submitted));
}
