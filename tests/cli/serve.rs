//! `connector serve`: the console over the connector home's store, its URL on stdout, its
//! API behind the URL's token, a warning when it listens beyond loopback, a clean stop, the
//! sandboxes offered to the forms, and its API under schemathesis.

use tokio::io::AsyncBufReadExt;

use crate::connections::Home;
use crate::harness::*;

/// The home's environment, as `command` takes it.
fn env(home: &Home) -> Vec<(&str, &str)> {
    home.env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A running `connector serve` and a client of its API.
pub(crate) struct Console {
    child: tokio::process::Child,
    base: String,
    token: String,
    stderr: Lines,
    http: reqwest::Client,
}

impl Console {
    /// Starts `connector serve args` in `home` and reads the URL it prints.
    async fn start(home: &Home, args: &[&str]) -> Console {
        Console::start_binary(Path::new(env!("CARGO_BIN_EXE_connector")), home, args).await
    }

    /// Starts `binary serve args` (a binary made with the SDK: `connector`, a third party's).
    pub(crate) async fn start_binary(binary: &Path, home: &Home, args: &[&str]) -> Console {
        let mut full = vec!["serve"];
        full.extend_from_slice(args);
        let mut child = program(binary, &full, &env(home))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let url = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("serve prints its URL")
            .unwrap()
            .expect("a line");
        let (base, token) = url.split_once("/?token=").expect("a token in the URL");
        let stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        Console {
            child,
            base: base.to_owned(),
            token: token.to_owned(),
            stderr,
            http: reqwest::Client::new(),
        }
    }

    /// `method path` on `base` (the console's, or another address of it), with the token
    /// unless `anonymous`, a JSON `body` and extra `headers`: the status and the JSON answer.
    async fn call(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        anonymous: bool,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{base}{path}"));
        if !anonymous {
            request = request.bearer_auth(&self.token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(&self.base, reqwest::Method::GET, path, None, false, &[])
            .await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(
            &self.base,
            reqwest::Method::POST,
            path,
            Some(body),
            false,
            &[],
        )
        .await
    }

    /// The ready-made settings of `provider`'s sandbox (`serve --sandbox`).
    pub(crate) async fn sandbox_settings(&self, provider: &str) -> Value {
        let (_, tiles) = self.get("/api/providers").await;
        tiles
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == provider)
            .unwrap()["sandbox_settings"]
            .clone()
    }
}

#[tokio::test]
async fn serve_prints_a_url_whose_token_opens_the_api_and_stops_cleanly() {
    let home = Home::new("serve");
    let mut console = Console::start(&home, &[]).await;
    assert!(
        console.base.starts_with("http://127.0.0.1:"),
        "{}",
        console.base
    );
    assert_eq!(console.token.len(), 64);
    let (status, tiles) = console.get("/api/providers").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = tiles
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["entra", "google", "scim", "ukgpro"]);
    let base = console.base.clone();
    let (status, _) = console
        .call(
            &base,
            reqwest::Method::GET,
            "/api/connections",
            None,
            true,
            &[],
        )
        .await;
    assert_eq!(status, 401);

    // A connection saved through the console is the command line's too.
    let new = json!({"name": "From the console", "provider": "ukgpro",
        "settings": settings("https://service5.ultipro.com")});
    let (status, saved) = console.post("/api/connections", new).await;
    assert_eq!(status, 201, "{saved}");
    let listed = connector(&["connections", "list"], &env(&home)).await;
    assert!(
        stdout(&listed).contains("From the console"),
        "{}",
        stdout(&listed)
    );

    let pid = console.child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = console.child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0));
    let mut said = String::new();
    while let Ok(Some(line)) = console.stderr.next_line().await {
        said.push_str(&line);
        said.push('\n');
    }
    assert!(said.contains("console stopped"), "{said}");
    assert!(
        !said.contains(&console.token),
        "the token is only in the URL on stdout: {said}"
    );
}

#[tokio::test]
async fn serve_warns_when_it_listens_beyond_loopback_and_names_a_taken_port() {
    let home = Home::new("serve-wide");
    let mut console = Console::start(&home, &["--listen", "0.0.0.0:0"]).await;
    assert!(
        console.base.starts_with("http://0.0.0.0:"),
        "{}",
        console.base
    );
    let first = console
        .stderr
        .next_line()
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        first.starts_with("warning: listening on 0.0.0.0:"),
        "{first}"
    );
    // Reached by one of the machine's addresses (its names are not known in advance): the
    // token still decides, and a write must come from the origin of the address used.
    let base = console.base.replace("0.0.0.0", "127.0.0.1");
    let get = reqwest::Method::GET;
    let (status, _) = console
        .call(&base, get.clone(), "/api/providers", None, false, &[])
        .await;
    assert_eq!(status, 200);
    let (status, _) = console
        .call(&base, get, "/api/providers", None, true, &[])
        .await;
    assert_eq!(status, 401);
    let foreign = [("origin", "http://evil.example")];
    let (status, _) = console
        .call(
            &base,
            reqwest::Method::POST,
            "/api/connections",
            Some(json!({})),
            false,
            &foreign,
        )
        .await;
    assert_eq!(status, 403);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let o = connector(
        &["serve", "--listen", &format!("127.0.0.1:{port}")],
        &env(&home),
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot listen on 127.0.0.1:"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--listen"), "{}", stderr(&o));
}

/// `serve --sandbox`: every provider's sandbox runs, its settings are on its tile, and a
/// connection made from them tests green: the whole flow without a tenant. A fixed-host
/// provider's connection keeps the sandbox's endpoints.
#[tokio::test]
async fn serve_with_sandboxes_offers_their_settings_and_a_connection_from_them_works() {
    let home = Home::new("serve-sandbox");
    let console = Console::start(&home, &["--sandbox"]).await;
    for provider in ["entra", "google", "scim", "ukgpro"] {
        assert!(
            console.sandbox_settings(provider).await.is_object(),
            "{provider}"
        );
    }
    // Entra ID's hosts are fixed: its connection reaches the sandbox's two origins (Graph and
    // the token service) through the provider's endpoints, not through its settings.
    let entra = console.sandbox_settings("entra").await;
    assert!(!entra.to_string().contains("http"), "{entra}");
    let new = json!({"name": "Directory", "provider": "entra", "settings": entra});
    let (status, saved) = console.post("/api/connections", new).await;
    assert_eq!(status, 201);
    let (_, report) = console
        .post("/api/connections/Directory/test", json!(null))
        .await;
    assert_eq!(report["passed"], true, "{report}");
    // The connection keeps the sandbox's endpoints: the command line reaches the sandbox
    // with it while the console runs, without any variable.
    let endpoints = saved["endpoints"].as_object().expect("endpoints saved");
    assert_eq!(endpoints.keys().collect::<Vec<_>>(), ["api", "token"]);
    let o = home
        .run(&["entra", "users", "--connection", "Directory"])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stdout(&o).trim().is_empty(), "users listed");
    // Google Workspace: a service account's key (its private key a secret inside an object)
    // and the admin it acts for; the sandbox's token service verifies the signed assertion.
    let google = console.sandbox_settings("google").await;
    let new = json!({"name": "Workspace", "provider": "google", "settings": google});
    let (status, saved) = console.post("/api/connections", new).await;
    assert_eq!(status, 201, "{saved}");
    assert!(
        !saved.to_string().contains("PRIVATE KEY"),
        "the key never comes back: {saved}"
    );
    let (_, report) = console
        .post("/api/connections/Workspace/test", json!(null))
        .await;
    assert_eq!(report["passed"], true, "{report}");
    let settings = console.sandbox_settings("ukgpro").await;
    let new = json!({"name": "Try it", "provider": "ukgpro", "settings": settings});
    let (status, saved) = console.post("/api/connections", new).await;
    assert_eq!(status, 201);
    // A provider whose settings hold its URL needs no endpoints.
    assert!(saved.get("endpoints").is_none(), "{saved}");
    let (_, report) = console
        .post("/api/connections/Try%20it/test", json!(null))
        .await;
    assert_eq!(report["passed"], true, "{report}");
}

/// The console's API under schemathesis (pinned, from the Python package registry) against
/// its own OpenAPI document: no 5xx, every status and content type documented, every answer
/// of its documented shape; with a saved connection `Payroll` for the operations on one.
#[tokio::test]
async fn the_console_api_conforms_to_its_openapi_document_under_schemathesis() {
    let tool = std::env::var("SCHEMATHESIS").unwrap_or_default();
    assert!(
        Path::new(&tool).is_file(),
        "SCHEMATHESIS is not set: run the tests with `bash scripts/test`, which installs the pinned schemathesis"
    );
    let home = Home::new("serve-schemathesis");
    let console = Console::start(&home, &["--sandbox"]).await;
    let (_, document) = console.get("/api/openapi.json").await;
    assert_eq!(document["openapi"], "3.1.0");
    let settings = console.sandbox_settings("ukgpro").await;
    let new = json!({"name": "Payroll", "provider": "ukgpro", "settings": settings});
    let (status, _) = console.post("/api/connections", new).await;
    assert_eq!(status, 201);
    let dir = temp_dir("schemathesis");
    let spec_file = dir.join("openapi.json");
    std::fs::write(&spec_file, document.to_string()).unwrap();
    let run = tokio::process::Command::new(&tool)
        .current_dir(&dir)
        .args(["run", spec_file.to_str().unwrap(), "--url", &console.base])
        .args(["--header", &format!("Authorization: Bearer {}", console.token)])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--max-examples", "10", "--seed", "1", "--workers", "1"])
        .env("NO_COLOR", "1")
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found problems:\n{said}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        said.contains("passed") && !said.contains(" failed"),
        "{said}"
    );
}
