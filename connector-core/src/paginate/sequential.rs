//! Cursor, next-link and unpaged listings: each request depends on the answer before it, so
//! pages are fetched one at a time. A cursor or link seen before is an error (a loop), and a
//! next link must stay on the API's origin (it would otherwise carry credentials elsewhere).

use std::collections::HashSet;

use futures_util::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::listing::{Listing, Rules, Strategy};
use crate::error::Result;
use crate::http::{redact_url, HttpClient, Method, Request};
use crate::paginate::Page;

struct State {
    listing: Listing,
    http: HttpClient,
    rules: Rules,
    next: Option<Request>,
    seen: HashSet<String>,
    number: u32,
}

/// The request of an advancing listing at `index`.
fn at_index(listing: &Listing, index: u64) -> Option<Request> {
    let Strategy::Advancing {
        index: param,
        count,
    } = &listing.strategy
    else {
        return None;
    };
    Some(
        listing
            .request
            .clone()
            .query(param.clone(), index.to_string())
            .query(count.clone(), listing.page_size.to_string()),
    )
}

/// The first request: the listing's own, with the page size when the API takes one.
pub(super) fn first(listing: &Listing) -> Request {
    if let Some(request) = at_index(listing, listing.first) {
        return request;
    }
    let size = match &listing.strategy {
        Strategy::Cursor { size, .. } | Strategy::NextLink { size, .. } => size.as_ref(),
        _ => None,
    };
    match size {
        Some(param) => listing
            .request
            .clone()
            .query(param.clone(), listing.page_size.to_string()),
        None => listing.request.clone(),
    }
}

/// The value at `pointer` as a non-empty string (numbers too), or `None` for the end.
fn token(envelope: &Value, pointer: &str) -> Option<String> {
    match envelope.pointer(pointer)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn pages<T>(listing: Listing, http: HttpClient) -> BoxStream<'static, Result<Page<T>>>
where
    T: DeserializeOwned + Send + 'static,
{
    let state = State {
        rules: Rules::new(&listing, &http),
        next: Some(first(&listing)),
        listing,
        http,
        seen: HashSet::new(),
        number: 0,
    };
    stream::unfold(state, |mut s| async move {
        let request = s.next.take()?;
        s.number = s.number.saturating_add(1);
        let number = s.number;
        // Whether this request carried our page size (next links carry their own).
        let strategy = s.listing.strategy.clone();
        let limited = match &strategy {
            Strategy::Advancing { .. } => true,
            Strategy::Cursor { size, .. } => size.is_some(),
            Strategy::NextLink { size, .. } => size.is_some() && number == 1,
            _ => false,
        };
        let outcome = async {
            let page = s.listing.fetch::<T>(&s.http, &request, number, limited).await?;
            s.rules.check(number, &page, limited)?;
            let next = match &strategy {
                Strategy::Cursor { param, next_at, .. } => match token(&page.envelope, next_at) {
                    None => None,
                    Some(cursor) => {
                        if !s.seen.insert(cursor.clone()) {
                            return Err(s.rules.error(
                                format!("page {number} returned a cursor already used; stopped instead of looping forever"),
                                "the server hands out the same cursor again; report it to the API's owner",
                            ));
                        }
                        // The cursor replaces one the first request may carry (SCIM sends an
                        // empty `cursor` to ask for cursor paging).
                        Some(first(&s.listing).set_query(param.clone(), cursor))
                    }
                },
                Strategy::NextLink { next_at, .. } => match token(&page.envelope, next_at) {
                    None => None,
                    Some(link) => Some(next_link(&mut s, &request, &link, number)?),
                },
                Strategy::Advancing { .. } => {
                    let returned = (page.items.len() + page.malformed.len()) as u64;
                    match s.rules.total {
                        Some(total) if s.rules.count >= total => None,
                        Some(total) if returned == 0 => {
                            return Err(s.rules.error(
                                format!("page {number} is empty after {} of the {total} records the server reported", s.rules.count),
                                "the server stopped before its own total; run it again, and report it to the API's owner if it persists",
                            ))
                        }
                        None if returned == 0 => None,
                        _ => {
                            let next = s.listing.first.saturating_add(s.rules.count);
                            at_index(&s.listing, next)
                        }
                    }
                }
                _ => None,
            };
            if next.is_none() {
                s.rules.finish()?;
            }
            Ok((page.items, page.malformed, next))
        }
        .await;
        let item = match outcome {
            Ok((items, malformed, next)) => {
                s.next = next;
                Ok(Page {
                    number,
                    items,
                    malformed,
                })
            }
            Err(e) => Err(e),
        };
        Some((item, s))
    })
    .boxed()
}

/// The request for a next link: resolved against the current URL, on the API's origin only,
/// never one already followed.
fn next_link(s: &mut State, current: &Request, link: &str, number: u32) -> Result<Request> {
    let base = current.url(s.http.base_url());
    s.seen.insert(base.to_string());
    let url = base.join(link).map_err(|_| {
        s.rules.error(
            format!("page {number} has a next link that is not a URL"),
            "the answer's shape changed; check the API URL",
        )
    })?;
    if url.origin() != s.http.base_url().origin() {
        return Err(s.rules.error(
            format!(
                "page {number} links to another origin ({}); not followed, credentials are never sent there",
                url.origin().ascii_serialization()
            ),
            "if the API moved, set its URL in the settings; otherwise report it to the API's owner",
        ));
    }
    let shown = redact_url(&url);
    // `seen` is keyed by the full URL (query included), compared, never shown.
    if !s.seen.insert(url.to_string()) {
        return Err(s.rules.error(
            format!("page {number} links back to a page already read ({shown}); stopped instead of looping forever"),
            "the server's next links loop; report it to the API's owner",
        ));
    }
    // The link carries its own query; the listing's declared headers (Graph's
    // `ConsistencyLevel: eventual`, say) go on every page.
    let mut next = Request::to_url(Method::GET, url).accept(current.accept);
    next.headers = s.listing.request.headers.clone();
    Ok(next)
}
