//! Prompts on a pseudo-terminal.

use super::{assert_clean, assert_home_clean, Home};
use crate::harness::*;

/// `add` on a terminal asks for each missing field in the schema's order, with its title and
/// a required mark, reads secrets without echo, saves and tests; `edit` asks for the secrets
/// again; `remove` asks for confirmation.
#[tokio::test(flavor = "multi_thread")]
async fn prompts_on_a_terminal_ask_each_field_and_never_echo_secrets() {
    use crate::terminal::Terminal;
    let server = fixture_server().await;
    let home = Home::new("prompts");
    let home_dir = home.dir.to_string_lossy().into_owned();
    let env = [("CONNECTOR_HOME", home_dir.as_str())];
    let base = server.uri();

    let mut t = Terminal::spawn(
        &["connections", "add", "Acme", "--provider", "ukgpro"],
        &env,
    );
    t.expect("New UKG Pro connection `Acme`");
    t.expect("* API host (base URL) (base_url)");
    t.expect("base_url: ");
    // A mistake is caught as it is typed, and only that field is asked again.
    t.type_line("ftp://service5.ultipro.com");
    t.expect("base_url ");
    t.expect("; try again");
    t.expect("base_url: ");
    t.type_line(&base);
    t.expect("* Service account user name (username)");
    t.expect("username: ");
    t.type_line(USER);
    t.expect("* Service account password (password)");
    t.expect("password: ");
    t.type_secret(PASSWORD);
    t.expect("* Customer API key (customer_api_key)");
    t.expect("customer_api_key: ");
    t.type_secret(CUSTOMER_KEY);
    t.expect("Set optional settings too (user_api_key, page_size");
    t.type_line("n");
    t.expect("Result: passed");
    let (status, screen) = t.finish();
    assert_eq!(status, 0, "{screen}");
    assert!(
        screen.contains(&base),
        "visible answers are echoed: {screen}"
    );
    assert_clean("the terminal", &screen);

    let o = home.run(&["connections", "list"]).await;
    assert!(stdout(&o).contains("\u{2713} connected"), "{}", stdout(&o));

    // Edit: the saved secrets are asked for again, hidden.
    let mut t = Terminal::spawn(&["connections", "edit", "acme"], &env);
    t.expect("password (secret; the saved value is not shown, enter it again): ");
    t.type_secret(PASSWORD);
    t.expect("customer_api_key (secret; the saved value is not shown, enter it again): ");
    t.type_secret(CUSTOMER_KEY);
    t.expect("Result: passed");
    let (status, screen) = t.finish();
    assert_eq!(status, 0, "{screen}");
    assert_clean("the terminal", &screen);
    assert!(
        !screen.contains("Set optional settings too"),
        "nothing more is asked when every required field is there: {screen}"
    );

    // An auth choice (SCIM): pick a branch, then its fields, each checked as it is typed.
    let mut t = Terminal::spawn(
        &[
            "connections",
            "add",
            "Idp",
            "--provider",
            "scim",
            "--no-test",
        ],
        &env,
    );
    t.expect("base_url: ");
    t.type_line("https://idp.example.com/scim/v2");
    t.expect("1. Bearer token");
    t.expect("2. Basic");
    t.expect("Choose 1-2: ");
    t.type_line("3");
    t.expect("enter a number from 1 to 2");
    t.type_line("2");
    // A member of the choice is checked as it is typed, against that branch's rules.
    t.expect("username: ");
    t.type_line("svc:directory");
    t.expect("username does not have the expected form (the pattern `^[^:]*$`); try again");
    t.expect("username: ");
    t.type_line("svc-directory");
    t.expect("password: ");
    t.type_secret(USER_KEY);
    t.expect("Set optional settings too");
    t.type_line("n");
    let (status, screen) = t.finish();
    assert_eq!(status, 0, "{screen}");
    assert_clean("the terminal", &screen);
    let o = home.run(&["connections", "show", "idp", "--json"]).await;
    let shown: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        shown["settings"]["auth"],
        json!({"method": "basic", "username": "svc-directory", "password": "set"})
    );

    // Remove asks first; "no" keeps it.
    let mut t = Terminal::spawn(&["connections", "remove", "Idp"], &env);
    t.expect("Remove the scim connection `Idp` and its secrets? [y/N] ");
    t.type_line("");
    let (status, screen) = t.finish();
    assert_eq!(status, 2, "{screen}");
    assert!(screen.contains("nothing was removed"), "{screen}");
    let mut t = Terminal::spawn(&["connections", "remove", "Idp"], &env);
    t.expect("[y/N] ");
    t.type_line("y");
    let (status, _) = t.finish();
    assert_eq!(status, 0);
    assert_home_clean(&home.dir);
}
