//! Pagination for "page / per_page until a short page" APIs (no total count, no cursor), with
//! bounded look-ahead: several page requests stay in flight so that the next pages are already
//! on their way while earlier ones are processed. Pages come out in order; the stream ends
//! after the first page shorter than the page size (possibly empty) and drops the speculative
//! requests beyond it.
//!
//! ```
//! use connector_core::paginate::{paginate, Paging};
//! use futures_util::StreamExt;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // 25 items, 10 per page: pages 1 and 2 are full, page 3 is short and ends the stream.
//! let pages: Vec<_> = paginate(Paging { page_size: 10, look_ahead: 3 }, |page| async move {
//!     let start = (page - 1) * 10;
//!     Ok((start..(start + 10).min(25)).collect::<Vec<u32>>())
//! })
//! .map(|p| p.unwrap().items.len())
//! .collect()
//! .await;
//! assert_eq!(pages, [10, 10, 5]);
//! # });
//! ```

use std::future::Future;

use futures_util::stream::{self, BoxStream, FuturesOrdered, StreamExt};

use crate::error::Result;

/// How to page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Items per page (`per_page`); a page with fewer items is the last.
    pub page_size: u32,
    /// Page requests kept in flight (at least 1).
    pub look_ahead: usize,
}

/// One page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The 1-based page number.
    pub number: u32,
    /// The page's items.
    pub items: Vec<T>,
    /// Records that did not decode (lenient listings only), described without their values.
    pub malformed: Vec<String>,
}

impl<T> Page<T> {
    /// Whether this page ends the listing.
    pub fn is_last(&self, page_size: u32) -> bool {
        self.items.len() < page_size as usize
    }
}

/// Fetches pages 1, 2, ... with `fetch(page)`, keeping up to `look_ahead` requests in flight,
/// and yields them in order until the first short page. An error is yielded and ends the
/// stream.
pub fn paginate<T, F, Fut>(paging: Paging, fetch: F) -> BoxStream<'static, Result<Page<T>>>
where
    T: Send + 'static,
    F: FnMut(u32) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<T>>> + Send + 'static,
{
    paginate_checked(paging, fetch, |_: &T| None, "pages")
}

/// [`paginate`] that also stops a server which does not move forward: when a page repeats any
/// page before it record for record (A, B, A, … included), or more than half of its records
/// were listed on earlier pages (the previous page again plus one new record), the stream
/// ends with a protocol error (from `provider`) instead of paging on. `record` gives a
/// record's identity as 64 bits (a hash of its key); `None` for records it cannot judge,
/// which are left out of the check.
pub fn paginate_checked<T, F, Fut, K>(
    paging: Paging,
    fetch: F,
    record: K,
    provider: &'static str,
) -> BoxStream<'static, Result<Page<T>>>
where
    T: Send + 'static,
    F: FnMut(u32) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<T>>> + Send + 'static,
    K: Fn(&T) -> Option<u64> + Send + 'static,
{
    struct State<F, Fut: Future, K> {
        fetch: F,
        next: u32,
        in_flight: FuturesOrdered<Numbered<Fut>>,
        done: bool,
        record: K,
        repeats: super::repeats::Repeats,
    }
    let state = State {
        fetch,
        next: 1,
        in_flight: FuturesOrdered::new(),
        done: false,
        record,
        repeats: Default::default(),
    };
    let look_ahead = paging.look_ahead.max(1);
    let page_size = paging.page_size.max(1);
    stream::unfold(state, move |mut s| async move {
        if s.done {
            return None;
        }
        while s.in_flight.len() < look_ahead {
            let number = s.next;
            s.next = s.next.checked_add(1)?;
            s.in_flight.push_back(Numbered {
                number,
                future: Box::pin((s.fetch)(number)),
            });
        }
        let (number, result) = s.in_flight.next().await?;
        let outcome = result.and_then(|items| {
            let page = Page {
                number,
                items,
                malformed: Vec::new(),
            };
            let digests: Vec<u64> = page.items.iter().filter_map(|r| (s.record)(r)).collect();
            if let Err((why, hint)) = s.repeats.check(number, &digests) {
                return Err(
                    crate::Error::new(provider, crate::ErrorKind::Protocol, why).with_hint(hint)
                );
            }
            let last = page.is_last(page_size);
            Ok((page, last))
        });
        let item = super::settle(outcome, &mut s.done);
        if s.done {
            // Speculative requests past the end are dropped (cancelled).
            s.in_flight = FuturesOrdered::new();
        }
        Some((item, s))
    })
    .boxed()
}

/// A page future tagged with its number.
struct Numbered<Fut> {
    number: u32,
    future: std::pin::Pin<Box<Fut>>,
}

impl<Fut: Future> Future for Numbered<Fut> {
    type Output = (u32, Fut::Output);

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let number = self.number;
        self.future.as_mut().poll(cx).map(|out| (number, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, ErrorKind};
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    async fn run(total: u32, page_size: u32, look_ahead: usize) -> (Vec<(u32, usize)>, Vec<u32>) {
        let requested = Arc::new(std::sync::Mutex::new(Vec::new()));
        let r = requested.clone();
        let pages: Vec<_> = paginate(
            Paging {
                page_size,
                look_ahead,
            },
            move |page| {
                r.lock().unwrap().push(page);
                async move {
                    let start = (page - 1) * page_size;
                    let end = (start + page_size).min(total);
                    Ok((start.min(end)..end).collect::<Vec<u32>>())
                }
            },
        )
        .map(|p| {
            let p = p.unwrap();
            (p.number, p.items.len())
        })
        .collect()
        .await;
        let requested = requested.lock().unwrap().clone();
        (pages, requested)
    }

    #[tokio::test]
    async fn exact_multiple_fetches_the_empty_page_and_stops() {
        let (pages, _) = run(20_000, 10_000, 1).await;
        assert_eq!(pages, [(1, 10_000), (2, 10_000), (3, 0)]);
    }

    #[tokio::test]
    async fn empty_listing_is_one_empty_page() {
        let (pages, requested) = run(0, 100, 4).await;
        assert_eq!(pages, [(1, 0)]);
        assert!(requested.len() <= 4, "{requested:?}");
    }

    #[tokio::test]
    async fn look_ahead_is_bounded_and_pages_stay_in_order() {
        let (pages, requested) = run(1_005, 100, 4).await;
        let numbers: Vec<_> = pages.iter().map(|p| p.0).collect();
        assert_eq!(numbers, (1..=11).collect::<Vec<_>>());
        assert_eq!(pages.last(), Some(&(11, 5)));
        // At most look_ahead - 1 speculative requests past the last page.
        assert!(requested.len() <= 11 + 3, "{requested:?}");
    }

    #[tokio::test]
    async fn requests_overlap_up_to_the_look_ahead() {
        let live = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (l, p) = (live.clone(), peak.clone());
        let count: usize = paginate(
            Paging {
                page_size: 10,
                look_ahead: 3,
            },
            move |page| {
                let (l, p) = (l.clone(), p.clone());
                async move {
                    let now = l.fetch_add(1, Ordering::SeqCst) + 1;
                    p.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    l.fetch_sub(1, Ordering::SeqCst);
                    Ok(if page < 6 { vec![0u8; 10] } else { vec![] })
                }
            },
        )
        .map(|p| p.unwrap().items.len())
        .fold(0, |a, b| async move { a + b })
        .await;
        assert_eq!(count, 50);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_listing_that_cycles_is_stopped_at_the_first_repeat() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        // Pages alternate A, B, A, B, ... and are always full.
        let pages: Vec<_> = paginate_checked(
            Paging {
                page_size: 2,
                look_ahead: 1,
            },
            move |page| {
                c.fetch_add(1, Ordering::SeqCst);
                async move {
                    Ok(if page % 2 == 1 {
                        vec![1u32, 2]
                    } else {
                        vec![3, 4]
                    })
                }
            },
            |item: &u32| Some(u64::from(*item)),
            "t",
        )
        .collect()
        .await;
        assert_eq!(pages.len(), 3);
        let err = pages[2].as_ref().unwrap_err();
        assert!(err.message().contains("page 3 repeats page 1"), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_server_that_ignores_the_page_number_is_stopped() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let pages: Vec<_> = paginate_checked(
            Paging {
                page_size: 3,
                look_ahead: 2,
            },
            move |_page| {
                c.fetch_add(1, Ordering::SeqCst);
                async { Ok(vec![1u32, 2, 3]) }
            },
            |item: &u32| Some(u64::from(*item)),
            "t",
        )
        .collect()
        .await;
        assert_eq!(pages.len(), 2);
        assert!(pages[0].is_ok());
        let err = pages[1].as_ref().unwrap_err();
        assert!(err.message().contains("page 2 repeats page 1"), "{err}");
        assert!(calls.load(Ordering::SeqCst) <= 3);
    }

    #[tokio::test]
    async fn a_server_that_repeats_the_last_page_plus_one_record_is_stopped() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        // Page n holds records n..n+10: each page is the previous one shifted by one.
        let pages: Vec<_> = paginate_checked(
            Paging {
                page_size: 10,
                look_ahead: 1,
            },
            move |page| {
                c.fetch_add(1, Ordering::SeqCst);
                async move { Ok((page..page + 10).collect::<Vec<u32>>()) }
            },
            |item: &u32| Some(u64::from(*item)),
            "t",
        )
        .collect()
        .await;
        assert_eq!(pages.len(), 2, "stopped at the second page");
        let err = pages[1].as_ref().unwrap_err();
        assert!(
            err.message()
                .contains("page 2: 9 of its 10 records were already listed"),
            "{err}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let results: Vec<_> = paginate(
            Paging {
                page_size: 2,
                look_ahead: 1,
            },
            move |page| {
                c.fetch_add(1, Ordering::SeqCst);
                async move {
                    if page == 2 {
                        Err(Error::new("t", ErrorKind::Protocol, "bad page"))
                    } else {
                        Ok(vec![1, 2])
                    }
                }
            },
        )
        .collect()
        .await;
        assert_eq!(results.len(), 2);
        assert!(results[0].is_ok());
        assert!(results[1].is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
