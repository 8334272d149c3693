//! The one small harness of the end-to-end tests: run a binary, read its streams and exit
//! code, write config files; the UKG-like mock comes from `connector_ukgpro::testing`.

pub(crate) use std::path::Path;
pub(crate) use std::process::Output;

pub(crate) use connector_ukgpro::testing::{
    self as support, fixture, generated, pages_requested, Paged, BASIC_B64, CUSTOMER_KEY, PASSWORD,
    USER,
};
pub(crate) use serde_json::{json, Value};
pub(crate) use wiremock::matchers::any;
pub(crate) use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const USER_KEY: &str = "UserKeyZ9Canary";

pub(crate) fn basic_b64() -> &'static str {
    BASIC_B64
}

/// Runs `connector` with `args` and `env`, with no UKGPRO_* or proxy variables inherited.
pub(crate) async fn connector(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().await.expect("run connector")
}

/// The `connector` binary with `args` and `env`, nothing inherited that could change it.
pub(crate) fn command(args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    program(Path::new(env!("CARGO_BIN_EXE_connector")), args, env)
}

/// `binary` with `args` and `env`, with no provider variables, proxies, `RUST_LOG` or
/// connector home and key inherited.
pub(crate) fn program(
    binary: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(binary);
    cmd.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("UKGPRO_")
            || key.starts_with("ACMEHR_")
            || key.starts_with("SCIM_")
            || key.to_ascii_lowercase().ends_with("_proxy")
            || key == "RUST_LOG"
            || key.starts_with("CONNECTOR_")
        {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    cmd
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The Singer `RECORD` messages a tap printed.
pub(crate) fn singer_records(o: &Output) -> usize {
    stdout(o)
        .lines()
        .filter(|l| l.contains("\"RECORD\""))
        .count()
}
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// A UKG-like server answering page 1 of each endpoint with the given templates (the
/// connection test asks for one row of page 1); wrong credentials get 401.
pub(crate) async fn ukg(person: ResponseTemplate, employment: ResponseTemplate) -> MockServer {
    support::ukg(
        Paged::new(vec![]).with_fault(1, person),
        Paged::new(vec![]).with_fault(1, employment),
    )
    .await
}

pub(crate) fn rows() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([{"employeeId": "E1", "companyId": "C1"}]))
}

pub(crate) fn write_config(dir: &Path, value: &Value) -> String {
    let file = dir.join("ukgpro.json");
    std::fs::write(&file, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    file.to_string_lossy().into_owned()
}

pub(crate) fn settings(base: &str) -> Value {
    json!({
        "base_url": base,
        "username": USER,
        "password": PASSWORD,
        "customer_api_key": CUSTOMER_KEY,
        "user_api_key": USER_KEY,
    })
}

pub(crate) fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("connector-cli-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// users

pub(crate) async fn fixture_server() -> MockServer {
    support::ukg(
        Paged::new(fixture("person")),
        Paged::new(fixture("employment")),
    )
    .await
}

pub(crate) fn ids_of(users: &[Value]) -> Vec<String> {
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

pub(crate) fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------------
// the embedded sandbox

/// Starts `connector ukgpro sandbox ARGS` and returns the process and its config line.
pub(crate) async fn sandbox_process(args: &[&str]) -> (tokio::process::Child, Value) {
    let mut full = vec!["ukgpro", "sandbox"];
    full.extend_from_slice(args);
    let (child, settings, mut stderr) =
        spawn_sandbox(Path::new(env!("CARGO_BIN_EXE_connector")), &full).await;
    // Keep reading its diagnostics: a closed pipe would end the sandbox.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    (child, settings)
}

/// The stderr lines of a running sandbox.
pub(crate) type Lines = tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStderr>>;

/// Starts `binary args` (a `<provider> sandbox` command) and reads the settings it prints.
pub(crate) async fn spawn_sandbox(
    binary: &Path,
    args: &[&str],
) -> (tokio::process::Child, Value, Lines) {
    use tokio::io::AsyncBufReadExt;
    let mut child = program(binary, args, &[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("the sandbox prints its config")
        .unwrap()
        .expect("a line");
    let settings = serde_json::from_str(&line).expect("one JSON object");
    (child, settings, stderr)
}
