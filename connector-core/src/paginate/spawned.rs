//! A page fetched on a task of its own: receiving and decoding one page runs beside the
//! consumer's work on the pages before it (on a multi-threaded runtime, on another core), and
//! a fetch dropped before it completes (a speculative page past the end) is cancelled.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::{Error, ErrorKind, Result};

/// A spawned fetch, aborted when dropped.
pub(super) struct Spawned<T> {
    task: tokio::task::JoinHandle<Result<T>>,
    provider: &'static str,
    endpoint: String,
}

impl<T: Send + 'static> Spawned<T> {
    /// Starts `fetch` on the current runtime; `endpoint` names it if the task itself fails.
    pub(super) fn start(
        provider: &'static str,
        endpoint: String,
        fetch: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Self {
        Spawned {
            task: tokio::spawn(fetch),
            provider,
            endpoint,
        }
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<T> Future for Spawned<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task).poll(cx).map(|joined| {
            joined.unwrap_or_else(|e| {
                Err(Error::new(
                    self.provider,
                    ErrorKind::Protocol,
                    format!("a page fetch stopped unexpectedly: {e}"),
                )
                .with_endpoint(self.endpoint.clone()))
            })
        })
    }
}
