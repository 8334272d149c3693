//! `connector serve`: the console over the connector home's store, its URL on stdout, its
//! API behind the URL's token, a warning when it listens beyond loopback, a clean stop.

use tokio::io::AsyncBufReadExt;

use crate::connections::Home;
use crate::harness::*;

/// Starts `connector serve args` in `home`; the child, the URL it printed and its stderr.
async fn serve(home: &Home, args: &[&str]) -> (tokio::process::Child, String, Lines) {
    let env: Vec<(&str, &str)> = home
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut full = vec!["serve"];
    full.extend_from_slice(args);
    let mut child = command(&full, &env)
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
    let stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    (child, url, stderr)
}

#[tokio::test]
async fn serve_prints_a_url_whose_token_opens_the_api_and_stops_cleanly() {
    let home = Home::new("serve");
    let (mut child, url, mut stderr) = serve(&home, &[]).await;
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let (base, token) = url.split_once("/?token=").expect("a token in the URL");
    assert_eq!(token.len(), 64, "{url}");
    let http = reqwest::Client::new();
    let providers = http
        .get(format!("{base}/api/providers"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(providers.status(), 200);
    let tiles: Value = serde_json::from_str(&providers.text().await.unwrap()).unwrap();
    let ids: Vec<&str> = tiles
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["scim", "ukgpro"]);
    let anonymous = http
        .get(format!("{base}/api/connections"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // A connection saved through the console is the command line's too.
    let saved = http
        .post(format!("{base}/api/connections"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(
            json!({"name": "From the console", "provider": "ukgpro",
                "settings": settings("https://service5.ultipro.com")})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 201, "{}", saved.text().await.unwrap());
    let env: Vec<(&str, &str)> = home
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let listed = connector(&["connections", "list"], &env).await;
    assert!(
        stdout(&listed).contains("From the console"),
        "{}",
        stdout(&listed)
    );

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0));
    let mut said = String::new();
    while let Ok(Some(line)) = stderr.next_line().await {
        said.push_str(&line);
        said.push('\n');
    }
    assert!(said.contains("console stopped"), "{said}");
    assert!(
        !said.contains(token),
        "the token is only in the URL on stdout: {said}"
    );
}

#[tokio::test]
async fn serve_warns_when_it_listens_beyond_loopback_and_names_a_taken_port() {
    let home = Home::new("serve-wide");
    let (_child, url, mut diagnostics) = serve(&home, &["--listen", "0.0.0.0:0"]).await;
    assert!(url.starts_with("http://0.0.0.0:"), "{url}");
    let first = diagnostics.next_line().await.unwrap().unwrap_or_default();
    assert!(
        first.starts_with("warning: listening on 0.0.0.0:"),
        "{first}"
    );
    // Reached by one of the machine's addresses (its names are not known in advance): the
    // token still decides, and a write must come from the origin of the address used.
    let (_, token) = url.split_once("/?token=").unwrap();
    let port = url
        .trim_start_matches("http://0.0.0.0:")
        .split('/')
        .next()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{base}/api/providers"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let anonymous = http
        .get(format!("{base}/api/providers"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let foreign = http
        .post(format!("{base}/api/connections"))
        .bearer_auth(token)
        .header("origin", "http://evil.example")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let env: Vec<(&str, &str)> = home
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let o = connector(&["serve", "--listen", &format!("127.0.0.1:{port}")], &env).await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot listen on 127.0.0.1:"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--listen"), "{}", stderr(&o));
}

/// `serve --sandbox`: every provider's sandbox runs, its settings are on its tile, and a
/// connection made from them tests green: the whole flow without a tenant.
#[tokio::test]
async fn serve_with_sandboxes_offers_their_settings_and_a_connection_from_them_works() {
    let home = Home::new("serve-sandbox");
    let (_child, url, _stderr) = serve(&home, &["--sandbox"]).await;
    let (base, token) = url.split_once("/?token=").unwrap();
    let http = reqwest::Client::new();
    let tiles: Value = serde_json::from_str(
        &http
            .get(format!("{base}/api/providers"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    for tile in tiles.as_array().unwrap() {
        assert!(tile["sandbox_settings"].is_object(), "{tile}");
    }
    let ukg = tiles
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "ukgpro")
        .unwrap();
    let saved = http
        .post(format!("{base}/api/connections"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(
            json!({"name": "Try it", "provider": "ukgpro", "settings": ukg["sandbox_settings"]})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 201);
    let report: Value = serde_json::from_str(
        &http
            .post(format!("{base}/api/connections/Try%20it/test"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
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
    let (_child, url, _stderr) = serve(&home, &["--sandbox"]).await;
    let (base, token) = url.split_once("/?token=").unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{base}{path}")).bearer_auth(token).send();
    let spec = get("/api/openapi.json")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let document: Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let tiles: Value =
        serde_json::from_str(&get("/api/providers").await.unwrap().text().await.unwrap()).unwrap();
    let ukg = &tiles
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "ukgpro")
        .unwrap()["sandbox_settings"];
    let saved = http
        .post(format!("{base}/api/connections"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(json!({"name": "Payroll", "provider": "ukgpro", "settings": ukg}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 201);
    let dir = temp_dir("schemathesis");
    let spec_file = dir.join("openapi.json");
    std::fs::write(&spec_file, &spec).unwrap();
    let run = tokio::process::Command::new(&tool)
        .current_dir(&dir)
        .args(["run", spec_file.to_str().unwrap(), "--url", base])
        .args(["--header", &format!("Authorization: Bearer {token}")])
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
