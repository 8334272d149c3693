//! Saved connections in PostgreSQL (`CONNECTOR_STORE=postgres://…`), end to end: every
//! command, no secret in the database, and several processes rotating and adding at once.
//! The server is the one CI runs (`CONNECTOR_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`); without it these tests fail, never skip.

use connector_store::{ConnectionStore, KeySource, PostgresStore};
use tokio_postgres::{Client, NoTls};

use super::{assert_clean, canaries, Home};
use crate::harness::*;

fn server_url() -> String {
    std::env::var("CONNECTOR_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

async fn admin() -> Client {
    let url = server_url();
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap_or_else(|e| {
        panic!("the PostgreSQL test server at {url} does not answer ({e}): start it (`.ci/run` does), or set CONNECTOR_TEST_POSTGRES")
    });
    tokio::spawn(connection);
    client
}

/// Makes `schema` new and empty; returns the store URL that uses it.
pub(crate) async fn fresh_schema(schema: &str) -> String {
    admin()
        .await
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
        ))
        .await
        .unwrap();
    let url = server_url();
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}options=-csearch_path%3D{schema}")
}

/// Every row of the store's tables in `home`'s schema, as text (BYTEA as hex).
async fn dump(home: &Home) -> String {
    let url = &home
        .env
        .iter()
        .find(|(k, _)| k == "CONNECTOR_STORE")
        .unwrap()
        .1;
    let schema = url.rsplit("%3D").next().unwrap();
    let admin = admin().await;
    let mut out = String::new();
    for table in [
        "connector_connections",
        "connector_secrets",
        "connector_meta",
    ] {
        for row in admin
            .query(&format!("SELECT t::text FROM {schema}.{table} t"), &[])
            .await
            .unwrap()
        {
            out.push_str(&row.get::<_, String>(0));
            out.push('\n');
        }
    }
    out
}

/// The store of `home`, opened in this test with the home's key file.
fn open(home: &Home) -> PostgresStore {
    let url = &home
        .env
        .iter()
        .find(|(k, _)| k == "CONNECTOR_STORE")
        .unwrap()
        .1;
    PostgresStore::open(url, KeySource::File(home.dir.join("master.key"))).unwrap()
}

#[tokio::test]
async fn every_connections_command_works_on_a_postgres_store() {
    let server = fixture_server().await;
    let home = Home::postgres("pg-commands").await;
    let dir = temp_dir("pg-commands-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = home
        .run(&[
            "connections",
            "add",
            "Payroll",
            "--provider",
            "ukgpro",
            "--config",
            &config,
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("Result: passed"), "{}", stdout(&o));
    let o = home.run(&["connections", "list"]).await;
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("Payroll") && l.contains("\u{2713} connected")),
        "{}",
        stdout(&o)
    );
    let o = home
        .run(&["connections", "rename", "payroll", "Payroll (prod)"])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = home
        .run(&["ukgpro", "test", "--connection", "payroll (PROD)"])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = home
        .run(&["ukgpro", "users", "--connection", "Payroll (prod)"])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stdout(&o).is_empty());
    let o = home
        .run(&["connections", "show", "Payroll (prod)", "--json"])
        .await;
    let shown: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(shown["settings"]["password"], "set");
    assert_eq!(shown["last_export"]["ok"], true, "{shown}");
    assert_clean("show", &stdout(&o));
    let stored = dump(&home).await;
    assert!(
        stored.contains("Payroll (prod)"),
        "the dump reads the store"
    );
    for canary in canaries() {
        assert!(!stored.contains(canary), "{canary} in the database");
        let hex: String = canary.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(!stored.contains(&hex), "{canary} as bytes in the database");
    }
    let o = home
        .run(&["connections", "remove", "Payroll (prod)", "--yes"])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(open(&home).list().await.unwrap().is_empty());
}

/// A wrong store location says which variable and how to fix it, never the password in it.
#[tokio::test]
async fn a_bad_store_location_names_the_variable_and_hides_the_password() {
    let home = Home::new("pg-bad-location");
    for (location, says) in [
        (
            "mysql://u:Hunter2Pw@db/x",
            "`mysql://…` is not a store this build can open",
        ),
        (
            "postgres://u:Hunter2Pw@127.0.0.1:1/x",
            "connection store postgres://u@127.0.0.1:1/x",
        ),
    ] {
        let o = home
            .run_with(&["connections", "list"], &[("CONNECTOR_STORE", location)])
            .await;
        assert_eq!(code(&o), 7, "{location}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{location}: {}", stderr(&o));
        assert!(stderr(&o).contains("CONNECTOR_STORE"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("Hunter2Pw"), "{}", stderr(&o));
    }
}

/// Rotations and adds from several processes at once, through PostgreSQL: every secret
/// decrypts afterwards with the one key the key file holds.
#[tokio::test]
async fn rotations_and_adds_from_several_processes_through_postgres_leave_every_secret_readable() {
    let home = Home::postgres("pg-rotate").await;
    let dir = temp_dir("pg-rotate-files");
    let config = write_config(&dir, &settings("https://hr.example.com"));
    let o = home.add_with("First", &config, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let env = home.with(&[]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut children = Vec::new();
    for i in 0..8 {
        let name = format!("During {i}");
        let args: Vec<&str> = if i % 4 == 0 {
            vec!["connections", "rotate-key"]
        } else {
            vec![
                "connections",
                "add",
                &name,
                "--provider",
                "ukgpro",
                "--config",
                &config,
                "--no-test",
            ]
        };
        children.push(command(&args, &env).output());
    }
    for o in futures_util::future::join_all(children).await {
        let o = o.unwrap();
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let store = open(&home);
    let all = store.list().await.unwrap();
    assert_eq!(all.len(), 7);
    for c in &all {
        let saved = store.get(&c.name).await.unwrap();
        assert_eq!(
            saved.secret("password").unwrap().expose(),
            PASSWORD,
            "{}",
            c.name
        );
    }
}
