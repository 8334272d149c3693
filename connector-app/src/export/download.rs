//! The export as a download: the users encoded ([`writer`](super::writer)) in chunks of about
//! 256 KiB as they arrive, for an HTTP body or any byte stream. The last bytes come only once
//! the export is whole and passes the verdicts of [`run`](super::run): a failure (the API, a
//! refused export) ends the stream with the error instead, so a consumer never mistakes part of
//! an export for all of it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use connector_core::Connector;
use futures_util::stream::{self, BoxStream, StreamExt};

use super::writer::{Format, UserWriter, WriterOptions};
use super::{verdict, ExportFailure, ExportRequest};

/// Bytes handed on at once.
const CHUNK: usize = 256 * 1024;

/// A buffer the writer fills and the stream drains.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn len(&self) -> usize {
        self.0.lock().map(|b| b.len()).unwrap_or(0)
    }
}

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Exports what `request` asks of `connector` as `format` bytes (see the module docs).
pub fn download(
    connector: &dyn Connector,
    request: ExportRequest,
    format: Format,
    options: WriterOptions,
) -> Result<BoxStream<'static, Result<Vec<u8>, ExportFailure>>, ExportFailure> {
    counted(connector, request, format, options, Arc::default())
}

/// [`download`] with saved connection `name`, its outcome recorded as the connection's last
/// export ([`record`](super::record)): once the last bytes are handed on, the users exported;
/// on a failure, why (before the error ends the stream). A download its reader abandons (a
/// closed browser tab) records nothing: nothing was delivered.
pub fn download_recorded(
    store: Arc<dyn connector_store::Store>,
    name: String,
    connector: &dyn Connector,
    request: ExportRequest,
    format: Format,
    options: WriterOptions,
) -> Result<BoxStream<'static, Result<Vec<u8>, ExportFailure>>, ExportFailure> {
    let written = Arc::new(AtomicU64::new(0));
    let bytes = counted(connector, request, format, options, written.clone())?;
    let recorder = Arc::new(Recorder {
        store,
        name,
        written,
        failed: AtomicBool::new(false),
    });
    let on_error = recorder.clone();
    let bytes = bytes.then(move |chunk| {
        let recorder = on_error.clone();
        async move {
            if let Err(e) = &chunk {
                recorder.record(Some(e.to_string())).await;
            }
            chunk
        }
    });
    // Runs once the reader has taken every chunk (a stream that failed ended with its error).
    let done = stream::once(async move { recorder.record(None).await })
        .filter_map(|()| std::future::ready(None));
    Ok(bytes.chain(done).boxed())
}

/// Records a recorded download's outcome on its connection.
struct Recorder {
    store: Arc<dyn connector_store::Store>,
    name: String,
    /// Users written so far.
    written: Arc<AtomicU64>,
    /// Whether a failure was recorded (the end then records nothing more).
    failed: AtomicBool,
}

impl Recorder {
    /// Records a failure (why), or the end of a download that did not fail; a failure to
    /// record is logged (the download itself is done).
    async fn record(&self, failure: Option<String>) {
        let ok = failure.is_none();
        if ok && self.failed.load(Ordering::SeqCst) {
            return;
        }
        self.failed.store(!ok, Ordering::SeqCst);
        let users = self.written.load(Ordering::SeqCst);
        if let Err(e) = super::record(&*self.store, &self.name, ok, users, failure).await {
            connector_core::reexports::tracing::warn!(connection = %self.name, "the download's outcome was not recorded: {e}");
        }
    }
}

fn counted(
    connector: &dyn Connector,
    request: ExportRequest,
    format: Format,
    options: WriterOptions,
    users: Arc<AtomicU64>,
) -> Result<BoxStream<'static, Result<Vec<u8>, ExportFailure>>, ExportFailure> {
    let export = connector_core::export_users(connector, request.options.clone())
        .map_err(ExportFailure::Provider)?;
    let buffer = Shared::default();
    let writer =
        UserWriter::with_options(format, buffer.clone(), options).map_err(ExportFailure::Output)?;
    struct State {
        users: connector_core::UserStream,
        stats: connector_core::ExportStats,
        writer: Option<UserWriter<Shared>>,
        buffer: Shared,
        request: ExportRequest,
        written: u64,
        counted: Arc<AtomicU64>,
    }
    let state = State {
        users: export.users,
        stats: export.stats,
        writer: Some(writer),
        buffer,
        request,
        written: 0,
        counted: users,
    };
    Ok(stream::unfold(Some(state), |state| async move {
        let mut s = state?;
        let writer = s.writer.as_mut()?;
        // Users until a chunk is full or the listing ends.
        let ended = loop {
            if s.buffer.len() >= CHUNK {
                break false;
            }
            let limited = s.request.limit.is_some_and(|l| s.written >= l);
            match if limited { None } else { s.users.next().await } {
                Some(Ok(user)) => {
                    if let Err(e) = writer.write(&user) {
                        return Some((Err(ExportFailure::Output(e)), None));
                    }
                    s.written += 1;
                    s.counted.store(s.written, Ordering::SeqCst);
                }
                Some(Err(e)) => return Some((Err(ExportFailure::Provider(e)), None)),
                None => break true,
            }
        };
        if !ended {
            let chunk = s.buffer.take();
            return Some((Ok(chunk), Some(s)));
        }
        let summary = s.stats.snapshot();
        if let Some(rejection) = verdict(s.written, &summary, &s.request) {
            return Some((Err(ExportFailure::Rejected { rejection, summary }), None));
        }
        let finished = s.writer.take().map(UserWriter::finish);
        match finished {
            Some(Err(e)) => Some((Err(ExportFailure::Output(e)), None)),
            _ => Some((Ok(s.buffer.take()), None)),
        }
    })
    .boxed())
}
