//! The export use case without the binary, against the embedded UKG Pro sandbox: the output
//! is finished only when the export is whole and acceptable.

use connector_app::export::{self, ExportFailure, ExportOutput, ExportRequest, Rejection};
use connector_core::sandbox::SandboxOptions;
use connector_core::{Connector, Context, ExportOptions, User};

/// Users kept in memory; fails the `fail_at`th write when set; says when it is finished.
#[derive(Default)]
struct Kept {
    users: Vec<User>,
    finished: bool,
    started: bool,
    fail_at: Option<usize>,
    on_write: Option<tokio::sync::mpsc::UnboundedSender<()>>,
}

impl ExportOutput for Kept {
    fn started(&mut self, _: &connector_core::ExportStats) {
        self.started = true;
    }
    fn write(&mut self, user: &User) -> std::io::Result<()> {
        if self.fail_at == Some(self.users.len() + 1) {
            return Err(std::io::Error::other("disk full"));
        }
        self.users.push(user.clone());
        if let Some(tx) = &self.on_write {
            let _ = tx.send(());
        }
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.finished = true;
        Ok(())
    }
}

async fn connector(employees: u64) -> (Box<dyn Connector>, connector_core::sandbox::SandboxHandle) {
    std::hint::black_box(connector_ukgpro::descriptor());
    let sandbox = connector_ukgpro::sandbox::start(SandboxOptions::with_employees(employees))
        .await
        .unwrap();
    let connector = connector_core::registry::provider("ukgpro")
        .unwrap()
        .connect_with(sandbox.settings.clone(), &Context::default())
        .unwrap();
    (connector, sandbox)
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_export_is_finished_and_a_peek_stops_early() {
    let (connector, _sandbox) = connector(60).await;
    let mut out = Kept::default();
    let done = export::run(
        &*connector,
        &ExportRequest::new(ExportOptions::new()),
        &mut out,
        never(),
    )
    .await
    .unwrap();
    assert!(out.started && out.finished);
    assert_eq!((done.users, out.users.len(), done.limited), (60, 60, false));
    assert!(done.summary.pages >= 1, "{:?}", done.summary);

    let mut request = ExportRequest::new(ExportOptions::new().with_wanted(5));
    request.limit = Some(5);
    let mut out = Kept::default();
    let peek = export::run(&*connector, &request, &mut out, never())
        .await
        .unwrap();
    assert!(out.finished && peek.limited);
    assert_eq!(out.users.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_failed_or_interrupted_export_is_never_finished() {
    let (connector, _sandbox) = connector(60).await;

    let empty = ExportRequest::new(ExportOptions::new().with_company("NO-SUCH-COMPANY"));
    let mut out = Kept::default();
    match export::run(&*connector, &empty, &mut out, never()).await {
        Err(ExportFailure::Rejected { rejection, .. }) => assert_eq!(rejection, Rejection::Empty),
        other => panic!("{other:?}"),
    }
    assert!(!out.finished);
    let mut allowed = empty.clone();
    allowed.allow_empty = true;
    let mut out = Kept::default();
    export::run(&*connector, &allowed, &mut out, never())
        .await
        .unwrap();
    assert!(out.finished, "an empty export is kept when allowed");

    let mut request = ExportRequest::new(ExportOptions::new());
    request.min_users = Some(1000);
    let mut out = Kept::default();
    match export::run(&*connector, &request, &mut out, never()).await {
        Err(ExportFailure::Rejected { rejection, .. }) => {
            assert_eq!(
                rejection,
                Rejection::FewerThan {
                    users: 60,
                    min: 1000
                }
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(!out.finished);

    let mut out = Kept {
        fail_at: Some(3),
        ..Kept::default()
    };
    let failed = export::run(
        &*connector,
        &ExportRequest::new(ExportOptions::new()),
        &mut out,
        never(),
    )
    .await;
    assert!(
        matches!(failed, Err(ExportFailure::Output(_))),
        "{failed:?}"
    );
    assert!(!out.finished && out.users.len() == 2);

    // Interrupted once the third user is written.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut out = Kept {
        on_write: Some(tx),
        ..Kept::default()
    };
    let interrupt = async move {
        for _ in 0..3 {
            rx.recv().await;
        }
    };
    let stopped = export::run(
        &*connector,
        &ExportRequest::new(ExportOptions::new()),
        &mut out,
        interrupt,
    )
    .await;
    match stopped {
        Err(ExportFailure::Interrupted { users }) => assert!((3..60).contains(&users), "{users}"),
        other => panic!("{other:?}"),
    }
    assert!(!out.finished);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incremental_read_hands_on_who_changed_since_the_cursor_boundary_included() {
    let (connector, _sandbox) = connector(80).await;
    let mut all = Vec::new();
    let first = export::read_changed(&*connector, None, |u| {
        all.push(u.clone());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!((first.emitted, first.unchanged), (80, 0));
    let newest = all.iter().filter_map(|u| u.updated_at).max();
    assert_eq!(first.cursor, newest);

    // From the cursor: only who was stamped at or after it, the boundary included.
    let cursor = first.cursor.unwrap();
    let at_cursor = all
        .iter()
        .filter(|u| u.updated_at.is_none_or(|t| t >= cursor))
        .count();
    let again = export::read_changed(&*connector, Some(cursor), |_| Ok(()))
        .await
        .unwrap();
    assert_eq!(again.emitted as usize, at_cursor);
    assert!(again.emitted >= 1, "the boundary is read again");
    assert_eq!(again.emitted + again.unchanged, 80);
    assert_eq!(again.cursor, Some(cursor));

    // A cursor past everything never goes back.
    let later = cursor.checked_add(jiff::Span::new().days(30)).unwrap();
    let none = export::read_changed(&*connector, Some(later), |_| Ok(()))
        .await
        .unwrap();
    assert_eq!(none.cursor, Some(later));
    let undated = all.iter().filter(|u| u.updated_at.is_none()).count();
    assert_eq!(none.emitted as usize, undated);

    // A consumer that cannot take a record stops the read with an error.
    let failed =
        export::read_changed(&*connector, None, |_| Err(std::io::Error::other("full"))).await;
    assert!(failed
        .unwrap_err()
        .to_string()
        .contains("cannot write a record"));
}

/// The export as a download: every user once, in the format asked for, the last bytes only
/// when the export is whole; a failure ends the stream with the error instead.
#[tokio::test(flavor = "multi_thread")]
async fn a_download_carries_every_user_and_ends_with_the_error_when_it_fails() {
    use connector_app::export::writer::{Format, WriterOptions};
    use futures_util::StreamExt;
    let (connector, _sandbox) = connector(1_200).await;
    let request = || {
        let mut r = ExportRequest::new(ExportOptions::new().with_page_size(100));
        r.allow_empty = false;
        r
    };
    let chunks: Vec<_> = export::download(
        &*connector,
        request(),
        Format::Jsonl,
        WriterOptions::default(),
    )
    .unwrap()
    .collect()
    .await;
    assert!(chunks.len() > 1, "streamed in chunks: {}", chunks.len());
    let bytes: Vec<u8> = chunks.into_iter().flat_map(Result::unwrap).collect();
    let text = String::from_utf8(bytes).unwrap();
    let ids: std::collections::BTreeSet<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!((text.lines().count(), ids.len()), (1_200, 1_200));

    let csv: Vec<u8> = export::download(
        &*connector,
        request(),
        Format::Csv,
        WriterOptions::default(),
    )
    .unwrap()
    .map(Result::unwrap)
    .concat()
    .await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("id,"), "{}", &csv[..40]);
    assert_eq!(csv.lines().count(), 1_201, "a header and every user");

    // Page 3 of person-details is an HTML page: the stream ends with that error, and what
    // came before it never includes the end of a whole export.
    std::hint::black_box(connector_ukgpro::descriptor());
    let mut options = SandboxOptions::with_employees(1_200);
    options.malformed_page = Some(3);
    let broken = connector_ukgpro::sandbox::start(options).await.unwrap();
    let connector = connector_core::registry::provider("ukgpro")
        .unwrap()
        .connect_with(broken.settings.clone(), &Context::default())
        .unwrap();
    let items: Vec<_> = export::download(
        &*connector,
        request(),
        Format::Json,
        WriterOptions::default(),
    )
    .unwrap()
    .collect()
    .await;
    match items.last() {
        Some(Err(ExportFailure::Provider(e))) => assert!(e.to_string().contains("page 3"), "{e}"),
        other => panic!("{other:?}"),
    }
    let before: Vec<u8> = items.into_iter().filter_map(Result::ok).flatten().collect();
    assert!(
        !String::from_utf8_lossy(&before).contains("\n]"),
        "no closing bracket"
    );
}

/// A saved connection's download is recorded as its last export: the users once the reader
/// took every byte, why when it failed, nothing when the reader gave up early.
#[tokio::test(flavor = "multi_thread")]
async fn a_saved_connections_download_is_recorded_once_delivered() {
    use connector_app::export::writer::{Format, WriterOptions};
    use connector_store::{ConnectionName, KeySource, MasterKey, SqliteStore, Store};
    use futures_util::StreamExt;
    use std::sync::Arc;
    std::hint::black_box(connector_ukgpro::descriptor());
    let ukg = connector_core::registry::provider("ukgpro").unwrap();
    let home = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(home.path(), KeySource::Given(MasterKey::generate())).unwrap());
    let sandbox = connector_ukgpro::sandbox::start(SandboxOptions::with_employees(700))
        .await
        .unwrap();
    let mut options = SandboxOptions::with_employees(700);
    options.malformed_page = Some(2);
    let broken = connector_ukgpro::sandbox::start(options).await.unwrap();
    for (name, settings) in [("Whole", &sandbox.settings), ("Broken", &broken.settings)] {
        let name = ConnectionName::parse(name).unwrap();
        connector_app::connections::add(&*store, &name, ukg, settings.clone(), &Context::default())
            .await
            .unwrap();
    }
    let download = |name: &str| {
        let store = store.clone();
        let name = name.to_owned();
        async move {
            let (_, connector) =
                connector_app::connections::connect(&*store, &name, &Context::default())
                    .await
                    .unwrap();
            let mut request = ExportRequest::new(ExportOptions::new().with_page_size(100));
            request.allow_empty = false;
            export::download_recorded(
                store.clone(),
                name,
                &*connector,
                request,
                Format::Csv,
                WriterOptions::default(),
            )
            .unwrap()
        }
    };

    // Abandoned after the first chunk: nothing recorded.
    let mut abandoned = download("Whole").await;
    assert!(abandoned.next().await.unwrap().is_ok());
    drop(abandoned);
    assert!(store.info("Whole").await.unwrap().last_export.is_none());

    // Read to the end: recorded with every user.
    let items: Vec<_> = download("Whole").await.collect().await;
    assert!(items.iter().all(Result::is_ok));
    let last = store
        .info("Whole")
        .await
        .unwrap()
        .last_export
        .expect("recorded");
    assert!(last.ok, "{last:?}");
    assert_eq!(last.users, 700);

    // A failure: recorded with why, and not overwritten by the stream's end.
    let items: Vec<_> = download("Broken").await.collect().await;
    assert!(items.last().unwrap().is_err());
    let last = store
        .info("Broken")
        .await
        .unwrap()
        .last_export
        .expect("recorded");
    assert!(!last.ok, "{last:?}");
    assert!(last.message.unwrap_or_default().contains("page 2"));
}
