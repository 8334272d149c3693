//! The console's HTTP API against the UKG Pro sandbox: access (token, cookie, Host, origin),
//! the provider forms, and a connection's whole life; no answer carries a secret.

use connector_core::sandbox::SandboxOptions;
use connector_store::{KeySource, MasterKey, SqliteStore};
use reqwest::{header, Client, Method, StatusCode};
use serde_json::{json, Value};

struct Setup {
    console: connector_console::Running,
    sandbox: connector_core::sandbox::SandboxHandle,
    _home: tempfile::TempDir,
    http: Client,
    /// Every answer's body, for the leak check.
    seen: Vec<String>,
}

impl Setup {
    async fn new() -> Setup {
        std::hint::black_box(connector_ukgpro::descriptor());
        let sandbox = connector_ukgpro::sandbox::start(SandboxOptions::with_employees(20))
            .await
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open(home.path(), KeySource::Given(MasterKey::generate())).unwrap();
        let console = connector_console::start(Box::new(store), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Setup {
            console,
            sandbox,
            _home: home,
            http,
            seen: Vec::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.console.address())
    }

    /// `method path` with the bearer token and `body`; the status and the JSON answer.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(self.console.token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        self.seen.push(text.clone());
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn access_needs_the_token_the_console_host_and_its_own_origin() {
    let mut s = Setup::new().await;
    let providers = s.url("/api/providers");
    let shown = format!("{:?}", s.console);
    assert!(
        !shown.contains(s.console.token()),
        "the token in Debug: {shown}"
    );

    let none = s.http.get(&providers).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let body: Value = none.json().await.unwrap();
    assert!(
        body["error"]["hint"].as_str().unwrap().contains("URL"),
        "{body}"
    );
    let wrong = s
        .http
        .get(&providers)
        .bearer_auth("0".repeat(64))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    // Opening the printed URL sets the session cookie and takes the token out of the address.
    let opened = s.http.get(s.console.url()).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(opened.headers()[header::LOCATION], "/");
    let cookie = opened.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let with_cookie = s
        .http
        .get(&providers)
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::OK);

    // Another site that resolves its name to 127.0.0.1 (DNS rebinding) is refused.
    let rebound = s
        .http
        .get(&providers)
        .bearer_auth(s.console.token())
        .header(header::HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);

    // Writes: never from another origin; on the cookie alone, only with the console's origin.
    let new = json!({"name": "x", "provider": "ukgpro", "settings": {}});
    let connections = s.url("/api/connections");
    let foreign = s
        .http
        .post(&connections)
        .bearer_auth(s.console.token())
        .header(header::ORIGIN, "http://evil.example")
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let cookie_only = s
        .http
        .post(&connections)
        .header(header::COOKIE, &session)
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(cookie_only.status(), StatusCode::FORBIDDEN);
    let own = s
        .http
        .post(&connections)
        .header(header::COOKIE, &session)
        .header(header::ORIGIN, format!("http://{}", s.console.address()))
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "reached the handler"
    );
    let (status, _) = s.call(Method::GET, "/api/nothing-here", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A body that is not what the route takes is answered as JSON too, with what to send.
    let garbled = s
        .http
        .post(&connections)
        .bearer_auth(s.console.token())
        .header(header::CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);
    let said: Value = garbled.json().await.unwrap();
    assert!(
        said["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("JSON object"),
        "{said}"
    );
    let shapeless = s
        .http
        .post(&connections)
        .bearer_auth(s.console.token())
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shapeless.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let said: Value = shapeless.json().await.unwrap();
    assert!(
        said["error"]["message"]
            .as_str()
            .unwrap()
            .contains("provider"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_is_created_tested_edited_renamed_and_deleted_without_its_secrets_coming_back()
{
    let mut s = Setup::new().await;
    let secrets: Vec<String> = ["password", "customer_api_key"]
        .iter()
        .map(|k| s.sandbox.settings[k].as_str().unwrap().to_owned())
        .collect();

    let (status, tiles) = s.call(Method::GET, "/api/providers", None).await;
    assert_eq!(status, StatusCode::OK);
    let ukg = tiles
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "ukgpro")
        .unwrap();
    assert_eq!(ukg["sandbox"], true);
    let (_, form) = s
        .call(Method::GET, "/api/providers/ukgpro/form", None)
        .await;
    assert_eq!(form["schema"]["properties"]["password"]["writeOnly"], true);
    assert!(form["schema"]["required"]
        .as_array()
        .unwrap()
        .contains(&json!("password")));
    assert_eq!(form["ui_schema"]["password"]["ui:widget"], "password");
    assert_eq!(form["json_forms_ui_schema"]["type"], "VerticalLayout");
    let (_, edit_form) = s
        .call(Method::GET, "/api/providers/ukgpro/form?edit=true", None)
        .await;
    assert!(!edit_form["schema"]["required"]
        .as_array()
        .unwrap()
        .contains(&json!("password")));
    let (status, _) = s
        .call(Method::GET, "/api/providers/workday/form", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Save: every problem at once, by field; nothing saved.
    let (status, bad) = s
        .call(
            Method::POST,
            "/api/connections",
            Some(json!({"name": "Payroll", "provider": "ukgpro", "settings": {"base_url": "ftp://x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for field in ["base_url", "username", "password", "customer_api_key"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert_eq!(
        s.call(Method::GET, "/api/connections", None).await.1,
        json!([])
    );

    let new =
        json!({"name": "Payroll", "provider": "ukgpro", "settings": s.sandbox.settings.clone()});
    let (status, saved) = s
        .call(Method::POST, "/api/connections", Some(new.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["status"], "untested");
    assert_eq!(
        saved["secret_fields"],
        json!(["customer_api_key", "password"])
    );
    let (status, _) = s.call(Method::POST, "/api/connections", Some(new)).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, report) = s
        .call(Method::POST, "/api/connections/Payroll/test", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["passed"], true, "{report}");
    let (_, listed) = s.call(Method::GET, "/api/connections", None).await;
    assert_eq!(listed[0]["status"], "connected");

    // Edit without retyping the secrets: still connected after a new test.
    let mut settings = s.sandbox.settings.clone();
    settings["password"] = json!("");
    settings.as_object_mut().unwrap().remove("customer_api_key");
    settings["page_size"] = json!(500);
    let (status, edited) = s
        .call(
            Method::PUT,
            "/api/connections/Payroll",
            Some(json!({"settings": settings})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["settings"]["page_size"], 500);
    assert_eq!(
        edited["status"], "untested",
        "an edit forgets the last test"
    );
    let (_, report) = s
        .call(Method::POST, "/api/connections/Payroll/test", None)
        .await;
    assert_eq!(
        report["passed"], true,
        "the kept secrets still work: {report}"
    );

    // A wrong password: the failing step, its hint and the fields it is about.
    let mut wrong = s.sandbox.settings.clone();
    wrong["password"] = json!("not-the-password");
    s.call(
        Method::PUT,
        "/api/connections/Payroll",
        Some(json!({"settings": wrong})),
    )
    .await;
    let (_, report) = s
        .call(Method::POST, "/api/connections/Payroll/test", None)
        .await;
    assert_eq!(report["passed"], false);
    let failed = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["status"] == "failed")
        .unwrap();
    assert_eq!(failed["id"], "authenticated");
    assert!(
        failed["hint_fields"]
            .as_array()
            .unwrap()
            .contains(&json!("password")),
        "{failed}"
    );

    let (status, renamed) = s
        .call(
            Method::POST,
            "/api/connections/Payroll/rename",
            Some(json!({"to": "Payroll (prod)"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["name"], "Payroll (prod)");
    let (status, _) = s
        .call(Method::GET, "/api/connections/Payroll%20(prod)", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .call(Method::DELETE, "/api/connections/Payroll%20(prod)", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, gone) = s
        .call(Method::GET, "/api/connections/Payroll%20(prod)", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        gone["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no connection"),
        "{gone}"
    );

    for body in &s.seen {
        for secret in &secrets {
            assert!(
                !body.contains(secret.as_str()),
                "a secret came back: {body}"
            );
        }
        assert!(
            !body.contains("not-the-password"),
            "a secret came back: {body}"
        );
    }
}

/// *Test connection* as server-sent events: one `step` event per step as it settles, then the
/// `report`; an unknown connection is a 404 before any event.
#[tokio::test(flavor = "multi_thread")]
async fn test_steps_arrive_as_server_sent_events() {
    let mut s = Setup::new().await;
    let new = json!({"name": "Live", "provider": "ukgpro", "settings": s.sandbox.settings.clone()});
    let (status, _) = s.call(Method::POST, "/api/connections", Some(new)).await;
    assert_eq!(status, StatusCode::CREATED);
    let response = s
        .http
        .post(s.url("/api/connections/Live/test"))
        .bearer_auth(s.console.token())
        .header(header::ACCEPT, "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let text = response.text().await.unwrap();
    let events: Vec<(String, Value)> = text
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}:")))
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default()
            };
            (
                field("event"),
                serde_json::from_str(&field("data")).unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["step", "step", "step", "step", "step", "report"],
        "{text}"
    );
    let ids: Vec<&str> = events[..5]
        .iter()
        .map(|(_, d)| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "settings",
            "reachable",
            "authenticated",
            "permission_employee_person_details",
            "permission_personnel_integration"
        ]
    );
    assert_eq!(events[5].1["passed"], true);
    let (_, listed) = s.call(Method::GET, "/api/connections/Live", None).await;
    assert_eq!(listed["status"], "connected", "recorded");

    let missing = s
        .http
        .post(s.url("/api/connections/Nobody/test"))
        .bearer_auth(s.console.token())
        .header(header::ACCEPT, "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// Users as a table page and as CSV and JSONL downloads; a sync with its lifecycle events.
#[tokio::test(flavor = "multi_thread")]
async fn users_are_shown_downloaded_and_synced_with_their_events() {
    let mut s = Setup::new().await;
    let new =
        json!({"name": "Staff", "provider": "ukgpro", "settings": s.sandbox.settings.clone()});
    let (status, _) = s.call(Method::POST, "/api/connections", Some(new)).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, page) = s
        .call(Method::GET, "/api/connections/Staff/users?limit=5", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["users"].as_array().unwrap().len(), 5);
    assert_eq!(page["limited"], true);
    assert!(page["users"][0]["id"].is_string());

    for (file, lines, kind) in [
        ("users.csv", 21, "text/csv"),
        ("users.jsonl", 20, "application/x-ndjson"),
    ] {
        let response = s
            .http
            .get(s.url(&format!("/api/connections/Staff/{file}")))
            .bearer_auth(s.console.token())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        assert!(response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(kind));
        let disposition = response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            disposition,
            format!("attachment; filename=\"Staff-{file}\"")
        );
        let body = response.text().await.unwrap();
        assert_eq!(body.lines().count(), lines, "{file}");
        s.seen.push(body);
    }
    // A download delivered whole is the connection's last export.
    let (_, info) = s.call(Method::GET, "/api/connections/Staff", None).await;
    assert_eq!(info["last_export"]["ok"], true, "{info}");
    assert_eq!(info["last_export"]["users"], 20, "{info}");
    let (status, _) = s
        .call(Method::GET, "/api/connections/Staff/users.xlsx", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The first sync records a baseline; the next one, a day later in the sandbox's world,
    // has joiners and leavers with their before and after.
    let (status, first) = s
        .call(
            Method::POST,
            "/api/connections/Staff/sync?commit=true",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["baseline"], true);
    assert_eq!(first["committed"], true);
    assert_eq!(first["users"], 20);
    let mut options = SandboxOptions::with_employees(20);
    options.day = 1;
    let next_day = connector_ukgpro::sandbox::start(options).await.unwrap();
    let (status, _) = s
        .call(
            Method::PUT,
            "/api/connections/Staff",
            Some(json!({"settings": next_day.settings.clone()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, second) = s
        .call(Method::POST, "/api/connections/Staff/sync", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["baseline"], false);
    assert_eq!(second["committed"], false, "a preview by default");
    let (_, again) = s
        .call(Method::POST, "/api/connections/Staff/sync", None)
        .await;
    let ids = |answer: &Value| -> Vec<Value> {
        answer["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_id"].clone())
            .collect()
    };
    assert_eq!(
        ids(&again),
        ids(&second),
        "nothing was committed: the same events, same ids"
    );
    let events = second["events"].as_array().unwrap();
    assert!(!events.is_empty(), "{second}");
    let total: u64 = second["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total, events.len() as u64);
    assert!(
        events
            .iter()
            .all(|e| e["event_id"].is_string() && e["type"].is_string()),
        "{second}"
    );

    let password = s.sandbox.settings["password"].as_str().unwrap().to_owned();
    for body in &s.seen {
        assert!(!body.contains(&password), "a secret came back");
    }
}

/// A download whose listing fails is aborted, never ended as if it were whole.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_download_is_aborted() {
    let mut s = Setup::new().await;
    let mut options = SandboxOptions::with_employees(20);
    options.malformed_page = Some(2);
    let broken = connector_ukgpro::sandbox::start(options).await.unwrap();
    let mut settings = broken.settings.clone();
    settings["page_size"] = json!(5);
    let new = json!({"name": "Broken", "provider": "ukgpro", "settings": settings});
    let (status, _) = s.call(Method::POST, "/api/connections", Some(new)).await;
    assert_eq!(status, StatusCode::CREATED);
    let response = s
        .http
        .get(s.url("/api/connections/Broken/users.jsonl"))
        .bearer_auth(s.console.token())
        .send()
        .await
        .unwrap();
    assert!(
        response.text().await.is_err(),
        "the body must not end normally"
    );
    // Recorded as a failed export, saying why.
    let (_, info) = s.call(Method::GET, "/api/connections/Broken", None).await;
    assert_eq!(info["last_export"]["ok"], false, "{info}");
    assert!(
        info["last_export"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("page 2")),
        "{info}"
    );
}

/// Every operation the OpenAPI document names is served (none falls through to the
/// not-found fallback), and every route the console serves is in the document.
#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_and_the_routes_are_the_same() {
    let mut s = Setup::new().await;
    let (status, document) = s.call(Method::GET, "/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (method, _) in item
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "parameters")
        {
            let concrete = path.replace("{name}", "Nobody").replace("{id}", "ukgpro");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = matches!(method, Method::POST | Method::PUT).then(|| json!({}));
            let (status, answer) = s.call(method.clone(), &concrete, body).await;
            let message = answer["error"]["message"].as_str().unwrap_or_default();
            assert_ne!(
                message, "no such page or API route",
                "{method} {path} is not served"
            );
            assert!(status.as_u16() < 500, "{method} {path}: {status} {answer}");
            operations.push(format!("{method} {path}"));
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "DELETE /api/connections/{name}",
            "GET /api/connections",
            "GET /api/connections/{name}",
            "GET /api/connections/{name}/users",
            "GET /api/connections/{name}/users.csv",
            "GET /api/connections/{name}/users.jsonl",
            "GET /api/providers",
            "GET /api/providers/{id}/form",
            "POST /api/connections",
            "POST /api/connections/{name}/rename",
            "POST /api/connections/{name}/sync",
            "POST /api/connections/{name}/test",
            "PUT /api/connections/{name}",
        ],
        "the routes of api/mod.rs, each documented"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_is_served_behind_the_token_with_a_strict_policy() {
    let s = Setup::new().await;
    for (path, kind) in [
        ("/", "text/html"),
        ("/assets/console.js", "text/javascript"),
        ("/assets/console.css", "text/css"),
    ] {
        let none = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(
            none.status(),
            StatusCode::UNAUTHORIZED,
            "{path} without the token"
        );
        let page = s
            .http
            .get(s.url(path))
            .bearer_auth(s.console.token())
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let headers = page.headers().clone();
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{path}: {:?}",
            headers[header::CONTENT_TYPE]
        );
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        for rule in [
            "script-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(rule), "{path}: {policy}");
        }
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{path}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        let body = page.text().await.unwrap();
        assert!(
            !body.contains(s.console.token()),
            "{path} carries the token"
        );
        if path == "/" {
            assert!(body.contains("/assets/console.js") && body.contains("id=\"root\""));
        } else {
            assert!(body.len() > 1_000, "{path} is the built asset");
        }
    }
}
