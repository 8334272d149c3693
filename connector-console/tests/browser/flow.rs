//! A person's whole flow on the console, in the browser, against UKG Pro and SCIM sandboxes:
//! create a connection through the form (an empty submit first), watch the steps turn green,
//! the check in the list, edit without retyping secrets (on the same host: another host asks
//! for them again), a denied permission and a wrong
//! password with their hints, the users table and the CSV download, a sync with its events,
//! rename, delete. No page ever holds a saved secret.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use connector_core::sandbox::{SandboxHandle, SandboxOptions};
use connector_store::{KeySource, MasterKey, SqliteStore};

use crate::driver::{Browser, PATIENCE};

const SECRETS: [&str; 4] = [
    connector_ukgpro::sandbox::PASSWORD,
    connector_ukgpro::sandbox::CUSTOMER_API_KEY,
    "scim-sandbox-token",
    connector_entra::sandbox::CLIENT_SECRET,
];

async fn ukg(options: SandboxOptions) -> SandboxHandle {
    connector_ukgpro::sandbox::start(options)
        .await
        .expect("a UKG Pro sandbox")
}

/// No saved secret in the page's markup (what a person, or a script on the page, can read).
async fn assert_no_secret(browser: &Browser, page: &str) {
    let source = browser.source().await;
    for secret in SECRETS {
        assert!(!source.contains(secret), "{page} holds a secret");
    }
}

/// Opens the connection's page from the list.
async fn open_connection(browser: &Browser, base: &str, name: &str) {
    browser.open(&format!("{base}/#/connections/{name}")).await;
    browser.find("#run-test").await;
}

/// Runs *Test connection* and waits for its verdict; the steps' ids and statuses.
async fn run_test(browser: &Browser) -> Vec<(String, String)> {
    browser.click("#run-test").await;
    browser.find("#verdict").await;
    let mut steps = Vec::new();
    for step in browser.all("li.step[data-step]").await {
        let id = step.attr("data-step").await.unwrap().unwrap_or_default();
        let status = step.attr("data-status").await.unwrap().unwrap_or_default();
        steps.push((id, status));
    }
    steps
}

/// Opens the edit form of the open connection (secrets blank, "unchanged"), sets its base URL
/// and the secrets given (the others left blank, to keep) and submits it.
async fn submit_edit(browser: &Browser, base_url: &str, secrets: &[(&str, &str)]) {
    if browser.all("#root_base_url").await.is_empty() {
        browser.click("#edit").await;
    }
    browser.find("#root_base_url").await;
    for secret in ["#root_password", "#root_customer_api_key"] {
        let input = browser.find(secret).await;
        assert_eq!(
            input.attr("placeholder").await.unwrap().as_deref(),
            Some("unchanged")
        );
    }
    assert_no_secret(browser, "the edit form").await;
    browser.fill("#root_base_url", base_url).await;
    for (field, value) in secrets {
        browser.fill(&format!("#root_{field}"), value).await;
    }
    browser.click("button[type=submit]").await;
}

/// [`submit_edit`], then the connection page it saves to.
async fn edit(browser: &Browser, base_url: &str, secrets: &[(&str, &str)]) {
    submit_edit(browser, base_url, secrets).await;
    browser.find("#run-test").await;
}

/// The sandbox's secrets, as the edit form takes them.
fn sandbox_secrets(password: &str) -> [(&'static str, String); 2] {
    [
        ("password", password.to_owned()),
        (
            "customer_api_key",
            connector_ukgpro::sandbox::CUSTOMER_API_KEY.to_owned(),
        ),
    ]
}

/// [`sandbox_secrets`] as `submit_edit` takes them.
fn pairs<'a>(secrets: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    secrets.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_connects_ukg_pro_tests_it_and_syncs_in_the_browser() {
    std::hint::black_box((
        connector_ukgpro::descriptor(),
        connector_scim::descriptor(),
        connector_entra::descriptor(),
    ));
    let today = ukg(SandboxOptions::default()).await;
    let mut options = SandboxOptions::default();
    options.day = 30;
    let month_later = ukg(options).await;
    let mut options = SandboxOptions::default();
    options.deny = vec!["personnel-integration".into()];
    let denied = ukg(options).await;
    let scim = connector_scim::sandbox::start_boxed(SandboxOptions::with_employees(12))
        .await
        .expect("a SCIM sandbox");
    // Entra ID's hosts are fixed: the console reaches its sandbox through its endpoints.
    let entra = connector_entra::sandbox::start_boxed(SandboxOptions::with_employees(12))
        .await
        .expect("an Entra ID sandbox");
    let home = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(home.path(), KeySource::Given(MasterKey::generate())).unwrap();
    let mut options = connector_console::Options::default();
    options.sandboxes = BTreeMap::from([
        ("ukgpro".to_owned(), today.settings.clone()),
        ("scim".to_owned(), scim.settings.clone()),
        ("entra".to_owned(), entra.settings.clone()),
    ]);
    options.contexts = BTreeMap::from([("entra".to_owned(), entra.context())]);
    let console =
        connector_console::start_with(Box::new(store), "127.0.0.1:0".parse().unwrap(), options)
            .await
            .unwrap();
    let base = format!("http://{}", console.address());
    let browser = Browser::start("flow").await;

    // The printed URL: the token becomes the session cookie and leaves the address bar.
    browser.open(&console.url()).await;
    browser.wait_text("No connection yet").await;
    let address = browser.client.current_url().await.unwrap();
    assert_eq!(address.path(), "/");
    assert!(
        !address.as_str().contains(console.token()),
        "the token left the address bar"
    );
    browser.find("[data-provider=ukgpro]").await;
    browser.find("[data-provider=scim]").await;
    browser.screenshot("01-home").await;

    // New connection: the form, and an empty submit that says what is missing, by field.
    browser.click("[data-provider=ukgpro] a.button").await;
    browser.find("#root_base_url").await;
    for secret in [
        "#root_password",
        "#root_customer_api_key",
        "#root_user_api_key",
    ] {
        let kind = browser.find(secret).await.attr("type").await.unwrap();
        assert_eq!(
            kind.as_deref(),
            Some("password"),
            "{secret} is a password input"
        );
    }
    browser.screenshot("02-new-connection").await;
    browser.click("button[type=submit]").await;
    let said = browser.wait_text("is required").await;
    let errors = browser.all(".has-error, .field-error").await.len();
    assert!(
        errors >= 5,
        "name, host, user, password and key marked ({errors}):\n{said}"
    );
    browser.screenshot("03-empty-submit").await;

    // Filled in as a person types it; saved; the connection page names no secret.
    let s = &today.settings;
    browser.fill("#connection-name", "Payroll").await;
    browser
        .fill("#root_base_url", s["base_url"].as_str().unwrap())
        .await;
    browser
        .fill("#root_username", s["username"].as_str().unwrap())
        .await;
    browser
        .fill("#root_password", s["password"].as_str().unwrap())
        .await;
    browser
        .fill(
            "#root_customer_api_key",
            s["customer_api_key"].as_str().unwrap(),
        )
        .await;
    browser.click("button[type=submit]").await;
    browser.find("#run-test").await;
    browser.wait_text("saved, encrypted (never shown)").await;
    assert_no_secret(&browser, "the connection page").await;

    // Test connection: every step green, then the check in the list with the last test time.
    let steps = run_test(&browser).await;
    assert!(steps.len() >= 4, "the named steps: {steps:?}");
    assert!(
        steps.iter().all(|(_, status)| status == "passed"),
        "{steps:?}"
    );
    browser.wait_text("The connection works").await;
    browser.screenshot_of("04-test-passed", "#test").await;
    browser.open(&format!("{base}/#/")).await;
    let row = browser
        .find("tr[data-connection=Payroll] [data-status=connected]")
        .await;
    assert!(row.text().await.unwrap().contains('✓'));
    let tested = browser.find("tr[data-connection=Payroll] time").await;
    assert!(
        tested.attr("datetime").await.unwrap().is_some(),
        "the last test's time"
    );
    browser.screenshot("05-list-connected").await;
    assert_no_secret(&browser, "the list").await;

    // An edit onto another host that leaves the secrets blank is refused: saved secrets go
    // only where they were entered for. Entered again, they are saved with the new host;
    // that tenant denies a permission, which the test names.
    open_connection(&browser, &base, "Payroll").await;
    submit_edit(&browser, &denied.base_url, &[]).await;
    let page = browser.wait_text("enter it again").await;
    assert!(
        page.contains("a saved secret is only sent where it was entered for"),
        "{page}"
    );
    let marked = browser.all(".has-error #root_password, .has-error #root_customer_api_key, .field-error #root_password, .field-error #root_customer_api_key").await.len();
    assert!(marked >= 2, "both secrets marked: {page}");
    browser
        .screenshot("06a-secrets-needed-for-another-host")
        .await;
    let secrets = sandbox_secrets(connector_ukgpro::sandbox::PASSWORD);
    edit(&browser, &denied.base_url, &pairs(&secrets)).await;
    let steps = run_test(&browser).await;
    let status = |id: &str| {
        steps
            .iter()
            .find(|(s, _)| s == id)
            .map(|(_, st)| st.clone())
    };
    assert_eq!(
        status("authenticated").as_deref(),
        Some("passed"),
        "{steps:?}"
    );
    assert_eq!(
        status("permission_personnel_integration").as_deref(),
        Some("failed")
    );
    let failed = browser
        .find("li.step.failed .hint")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        failed.contains("Personnel Integration"),
        "the hint names the permission: {failed}"
    );
    browser.screenshot_of("06-denied-permission", "#test").await;

    // A wrong password: the authentication step fails with its fix and the field to check.
    edit(
        &browser,
        &today.base_url,
        &pairs(&sandbox_secrets("not-the-password")),
    )
    .await;
    let steps = run_test(&browser).await;
    assert!(
        steps
            .iter()
            .any(|(id, st)| id == "authenticated" && st == "failed"),
        "{steps:?}"
    );
    let fields = browser
        .find("li.step.failed .hint-fields")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        fields.contains("password"),
        "the hint points at the password: {fields}"
    );
    browser.screenshot_of("07-wrong-password", "#test").await;
    browser.open(&format!("{base}/#/")).await;
    browser
        .find("tr[data-connection=Payroll] [data-status=failed]")
        .await;
    open_connection(&browser, &base, "Payroll").await;
    // The same host: the password typed anew, the API key left blank and kept.
    edit(
        &browser,
        &today.base_url,
        &[("password", connector_ukgpro::sandbox::PASSWORD)],
    )
    .await;
    let steps = run_test(&browser).await;
    assert!(steps.iter().all(|(_, st)| st == "passed"), "{steps:?}");

    // Users: the first page in a table, every user as a CSV download.
    browser.click("#show-users").await;
    browser.find("table.users tbody tr").await;
    let rows = browser.all("table.users tbody tr").await.len();
    assert_eq!(rows, 50, "the first page of users");
    browser.screenshot_of("08-users", "#users").await;
    browser.click("#download-csv").await;
    let csv = downloaded(&browser, "csv").await;
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].contains("email"), "a header: {}", lines[0]);
    assert!(
        lines.len() > 250,
        "every listed user: {} lines",
        lines.len()
    );
    assert!(csv.contains("@acme.example"));

    // Sync: a committed baseline, then a month later (another day of the sandbox) the events.
    browser.click("#sync-commit").await;
    browser.wait_text("First sync: a baseline").await;
    edit(&browser, &month_later.base_url, &pairs(&secrets)).await;
    // The download is the connection's last export, on its page.
    let last = browser
        .find("#last-export[data-ok=true]")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        last.contains(&format!("{} users", lines.len() - 1)),
        "{last}"
    );
    browser.click("#sync-preview").await;
    browser.find("table.events tbody tr").await;
    let kinds: Vec<String> = {
        let mut kinds = Vec::new();
        for row in browser.all("table.events tbody tr").await {
            kinds.push(row.attr("data-event").await.unwrap().unwrap_or_default());
        }
        kinds
    };
    assert!(kinds.iter().any(|k| k == "joined"), "joiners: {kinds:?}");
    assert!(
        kinds.iter().any(|k| k == "left" || k == "moved"),
        "leavers or movers: {kinds:?}"
    );
    assert!(browser.text().await.contains('→'), "before and after shown");
    browser.screenshot_of("09-sync-events", "#sync").await;

    // Rename, then delete with a confirmation.
    browser
        .fill("#rename #connection-name", "Payroll UKG")
        .await;
    browser.click("#rename button[type=submit]").await;
    browser
        .wait_until(
            "the renamed page",
            "return location.hash.includes('Payroll%20UKG')",
        )
        .await;
    browser.wait_text("Payroll UKG").await;
    browser.click("#delete").await;
    browser.find("#confirm-delete").await;
    browser.screenshot_of("10-confirm-delete", "#rename").await;
    browser.click("#confirm-delete-yes").await;
    browser.wait_text("No connection yet").await;

    // SCIM from the sandbox's offered settings: the auth choice, its secret, a green test.
    browser.click("[data-provider=scim] a.button").await;
    browser.click("#use-sandbox").await;
    let selector = browser.find("select").await;
    assert!(
        selector.text().await.unwrap().contains("Bearer token"),
        "the auth choice"
    );
    assert_eq!(
        browser.all("input[id$=_method]").await.len(),
        1,
        "method stays hidden"
    );
    let method_kind = browser
        .find("input[id$=_method]")
        .await
        .attr("type")
        .await
        .unwrap();
    assert_eq!(method_kind.as_deref(), Some("hidden"));
    browser.screenshot("11-scim-form").await;
    browser.click("button[type=submit]").await;
    let steps = run_test(&browser).await;
    assert!(steps.iter().all(|(_, st)| st == "passed"), "{steps:?}");
    assert_no_secret(&browser, "the SCIM connection page").await;
    browser.screenshot_of("12-scim-tested", "#test").await;

    // Entra ID, whose settings hold no URL: the same form flow, green through two origins.
    browser.open(&format!("{base}/#/")).await;
    browser.click("[data-provider=entra] a.button").await;
    browser.click("#use-sandbox").await;
    browser.click("button[type=submit]").await;
    let steps = run_test(&browser).await;
    assert!(
        steps.iter().any(|(id, _)| id == "token_service_reachable"),
        "{steps:?}"
    );
    assert!(steps.iter().all(|(_, st)| st == "passed"), "{steps:?}");
    assert_no_secret(&browser, "the Entra ID connection page").await;
    // The connection keeps the sandbox's endpoints, and its page says so.
    let page = browser.wait_text("token endpoint").await;
    let token = entra.context().endpoint("token").unwrap().to_string();
    assert!(page.contains(&token), "{page}");
    assert!(
        page.contains("not the provider's production host"),
        "{page}"
    );
    browser.screenshot_of("13-entra-tested", "#test").await;
    browser.close().await;
}

/// The file the browser downloaded with extension `ext`, once complete.
async fn downloaded(browser: &Browser, ext: &str) -> String {
    let started = Instant::now();
    loop {
        let done = std::fs::read_dir(browser.downloads.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == ext));
        if let Some(path) = done {
            return std::fs::read_to_string(path).unwrap();
        }
        assert!(started.elapsed() < PATIENCE, "no .{ext} download arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
