//! The SCIM provider against a real SCIM service nobody here wrote: `scim2-server` (Python,
//! installed by `scripts/test`). Users are created through its own `POST /Users`, then
//! `connector scim test` and `connector scim users` run against it and every exported user is
//! compared with what was created.

use std::collections::HashMap;
use std::path::PathBuf;

use connector_core::auth::Bearer;
use connector_core::http::{HttpClient, HttpConfig, Request};
use connector_core::Secret;

use super::harness::*;

pub(crate) const TOKEN: &str = "scim-e2e-token-7731";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The `scim2-server` executable: `SCIM2_SERVER`, as `scripts/test` sets it.
fn scim2_server() -> PathBuf {
    let path = std::env::var_os("SCIM2_SERVER").map(PathBuf::from);
    match path {
        Some(p) if p.exists() => p,
        _ => panic!(
            "scim2-server is not installed: run the tests with `bash scripts/test`, which installs it into a Python virtual environment, or set SCIM2_SERVER to a scim2-server executable"
        ),
    }
}

/// A running scim2-server on a free loopback port (killed on drop), with a bearer token and
/// at most 50 results per page.
pub(crate) struct Server {
    _child: tokio::process::Child,
    pub(crate) base: String,
}

pub(crate) async fn start() -> Server {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let dir = temp_dir(&format!("scim2-server-{port}"));
    let config = dir.join("service-provider-config.json");
    std::fs::write(
        &config,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": 50},
            "changePassword": {"supported": false},
            "sort": {"supported": true},
            "etag": {"supported": false},
            "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer", "description": "static bearer token"}]
        })
        .to_string(),
    )
    .unwrap();
    let child = tokio::process::Command::new(scim2_server())
        .args(["--bearer-token", TOKEN, "--port", &port.to_string()])
        .arg("--service-provider-config")
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("scim2-server starts");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Server {
                _child: child,
                base,
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("scim2-server did not start listening on {base}");
}

/// What was created for user `i`: (id, the fields the export must have).
pub(crate) struct Created {
    pub(crate) id: String,
    user: Value,
}

/// Creates `n` users through the server's own API, managers pointing at earlier users.
pub(crate) async fn create_users(server: &Server, n: usize) -> Vec<Created> {
    let http = HttpClient::new(
        "scim-e2e",
        url::Url::parse(&server.base).unwrap(),
        Bearer::new(Secret::new(TOKEN)),
        HttpConfig::default(),
    )
    .unwrap();
    let mut created: Vec<Created> = Vec::new();
    for i in 0..n {
        let (given, family) = if i % 10 == 3 {
            ("Zoë".to_owned(), format!("Ñúñez-Łukasz {i}"))
        } else {
            (format!("Given{i}"), format!("Family{i}"))
        };
        let department = ["R&D", "Sales", "People"][i % 3];
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": format!("user{i}"),
            "name": {"givenName": given, "familyName": family},
            "title": "Engineer",
            "active": i % 5 != 4,
            ENTERPRISE: {
                "employeeNumber": format!("{:05}", 20_000 + i),
                "department": department,
            },
        });
        if i != 7 {
            body["emails"] = json!([{"value": format!("user{i}@scim.example"), "type": "work", "primary": true}]);
        }
        if i > 0 {
            body[ENTERPRISE]["manager"] = json!({"value": created[(i - 1) / 5].id});
        }
        let answer = http
            .send(
                &Request::post("/Users")
                    .json(body.clone())
                    .accept("application/scim+json"),
            )
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            201,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let made: Value = serde_json::from_slice(&answer.body).unwrap();
        created.push(Created {
            id: made["id"].as_str().unwrap().to_owned(),
            user: body,
        });
    }
    created
}

fn config(dir: &std::path::Path, base: &str, token: &str, page_size: u32) -> String {
    let file = dir.join("scim.json");
    std::fs::write(
        &file,
        json!({"base_url": base, "auth": {"method": "bearer", "token": token}, "page_size": page_size})
            .to_string(),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    file.to_string_lossy().into_owned()
}

#[tokio::test]
async fn every_user_created_in_a_real_scim_server_is_exported_exactly_once() {
    let server = start().await;
    let created = create_users(&server, 230).await;
    let dir = temp_dir("scim-real");
    let cfg = config(&dir, &format!("{}/v2", server.base), TOKEN, 1000);

    let o = connector(&["scim", "test", "--config", &cfg, "--json"], &[]).await;
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let messages = report["steps"].to_string();
    assert!(
        messages.contains("at most 50 results per page"),
        "{messages}"
    );
    assert!(messages.contains("/Users lists 230 users"), "{messages}");

    // Page size 1000 where the server returns at most 50: everyone, exactly once.
    let o = connector(&["scim", "users", "--config", &cfg], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stdout(&o).contains(TOKEN) && !stderr(&o).contains(TOKEN));
    let exported: HashMap<String, Value> = stdout(&o)
        .lines()
        .map(|l| {
            let u: Value = serde_json::from_str(l).unwrap();
            (u["id"].as_str().unwrap().to_owned(), u)
        })
        .collect();
    assert_eq!(stdout(&o).lines().count(), 230, "each user once");
    assert_eq!(exported.len(), 230);
    for (i, c) in created.iter().enumerate() {
        let u = &exported[&c.id];
        let want = &c.user;
        assert_eq!(u["username"], want["userName"], "user {i}");
        assert_eq!(u["first_name"], want["name"]["givenName"], "user {i}");
        assert_eq!(u["last_name"], want["name"]["familyName"], "user {i}");
        let email = want["emails"][0]["value"].clone();
        assert_eq!(u["email"], email, "user {i}");
        assert_eq!(
            u["status"],
            if i % 5 == 4 { "inactive" } else { "active" },
            "user {i}"
        );
        assert_eq!(u["department"], want[ENTERPRISE]["department"], "user {i}");
        assert_eq!(
            u["employee_number"], want[ENTERPRISE]["employeeNumber"],
            "user {i}"
        );
        let manager = if i == 0 {
            Value::Null
        } else {
            json!(created[(i - 1) / 5].id)
        };
        assert_eq!(u["manager_id"], manager, "user {i}");
    }

    // A wrong token fails at the authenticated step, exit 3.
    let bad = config(&dir, &format!("{}/v2", server.base), "not-the-token", 100);
    let o = connector(&["scim", "test", "--config", &bad, "--json"], &[]).await;
    assert_eq!(code(&o), 3, "{}", stdout(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let step = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "authenticated")
        .unwrap();
    assert_eq!(step["status"], "failed");
    assert!(!stdout(&o).contains("not-the-token"));
}
