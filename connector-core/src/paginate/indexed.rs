//! Page-number and offset listings: requests numbered 0, 1, 2…, several in flight, pages out
//! in order. With a reported total, the first page is fetched alone, then the rest fan out
//! and the listing stops exactly at the total; without one, it stops at the first short page
//! (UKG Pro's shape: no total, no cursor; an exact multiple of the page size ends with an
//! empty page). Each page is fetched and decoded on a task of its own (`spawned.rs`), and the
//! requests in flight past the end are cancelled.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, FuturesOrdered, StreamExt};
use serde::de::DeserializeOwned;

use super::listing::{Listing, Rules, Strategy};
use super::spawned::Spawned;
use crate::error::Result;
use crate::http::{HttpClient, RecordPage, Request};
use crate::paginate::Page;

type Fetch<T> = Pin<Box<dyn Future<Output = (u64, Result<RecordPage<T>>)> + Send>>;

struct State<T> {
    listing: Arc<Listing>,
    http: HttpClient,
    rules: Rules,
    next: u64,
    /// The last request index, once the total is known.
    last: Option<u64>,
    in_flight: FuturesOrdered<Fetch<T>>,
    done: bool,
}

/// The request for index `k` (0-based), or `None` past what the numbers can express.
pub(super) fn request(listing: &Listing, k: u64) -> Option<Request> {
    let size = u64::from(listing.page_size);
    let (param, value, size_param) = match &listing.strategy {
        Strategy::PageNumber { page, size: s } => (page, listing.first.checked_add(k)?, s),
        Strategy::Offset { offset, limit } => (
            offset,
            listing.first.checked_add(k.checked_mul(size)?)?,
            limit,
        ),
        _ => return None,
    };
    Some(
        listing
            .request
            .clone()
            .query(param.clone(), value.to_string())
            .query(size_param.clone(), size.to_string()),
    )
}

pub(super) fn pages<T>(listing: Listing, http: HttpClient) -> BoxStream<'static, Result<Page<T>>>
where
    T: DeserializeOwned + Send + 'static,
{
    let state = State {
        rules: Rules::new(&listing, &http),
        listing: Arc::new(listing),
        http,
        next: 0,
        last: None,
        in_flight: FuturesOrdered::new(),
        done: false,
    };
    stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        // With a total to learn, the first page goes alone; then fan out.
        let window = if s.listing.total_at.is_some() && s.rules.total.is_none() {
            1
        } else {
            s.listing.look_ahead
        };
        while s.in_flight.len() < window && s.last.is_none_or(|last| s.next <= last) {
            let k = s.next;
            let Some(req) = request(&s.listing, k) else { break };
            let (listing, http) = (s.listing.clone(), s.http.clone());
            let number = u32::try_from(k.saturating_add(1)).unwrap_or(u32::MAX);
            // Each page on a task of its own: it is received and decoded while the
            // consumer works on the pages before it.
            let fetch = Spawned::start(http.provider(), req.label(), async move {
                listing.fetch::<T>(&http, &req, number, true).await
            });
            s.in_flight.push_back(Box::pin(async move { (k, fetch.await) }));
            s.next = k.saturating_add(1);
        }
        let (k, result) = s.in_flight.next().await?;
        let number = u32::try_from(k.saturating_add(1)).unwrap_or(u32::MAX);
        let outcome = result.and_then(|page| {
            s.rules.check(number, &page, true)?;
            // Records the server sent, decoded or not (lenient listings skip malformed ones).
            let len = (page.items.len() + page.malformed.len()) as u64;
            let size = u64::from(s.listing.page_size);
            let last = match s.rules.total {
                Some(total) => {
                    let before = k.saturating_mul(size);
                    let expected = total.saturating_sub(before).min(size);
                    if len < expected {
                        return Err(s.rules.error(
                            format!("page {number} has {len} records where {expected} were due (the server reported {total} in all)"),
                            "the server returns fewer records per page than asked for; lower the page size to its maximum, or report it to the API's owner",
                        ));
                    }
                    // The last index: ceil(total / size) - 1 (index 0 for an empty listing).
                    s.last = Some(total.div_ceil(size).saturating_sub(1));
                    before.saturating_add(len) >= total
                }
                None => len < size,
            };
            if last {
                s.rules.finish()?;
            }
            Ok((
                Page {
                    number,
                    items: page.items,
                    malformed: page.malformed,
                },
                last,
            ))
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
