//! Listing: the strategies providers page through their APIs with, and the end-of-listing
//! rules that cannot silently truncate.
//!
//! * [`Listing`]: a declared listing over the shared [`HttpClient`](crate::http::HttpClient):
//!   records from a bare array or an envelope, paged by page number (until a short page, or up
//!   to a reported total), offset/limit (fanned out once the total is known), cursor or next
//!   link (sequential), or unpaged; page-number and offset pages requested several at a time
//!   and each decoded on a task of its own (`indexed.rs`, `spawned.rs`); a provider's
//!   maximum page size enforced; a page larger than asked, a short page before the reported
//!   total, a count that disagrees with the total, a repeated page or cursor, more pages than
//!   the reported total needs: each an error that says so (`listing.rs`, `sequential.rs`,
//!   `indexed.rs`).
//! * Every listing, both kinds, refuses a page equal to an earlier one or made mostly of
//!   records already listed (`repeats.rs`): a server that does not move forward is stopped
//!   at once, not after millions of requests.

mod export;
mod indexed;
mod listing;
mod repeats;
mod sequential;
mod spawned;

pub use listing::{Listing, Strategy};

/// A listing's pages, in order; an error ends it.
pub type PageStream<T> = futures_util::stream::BoxStream<'static, crate::Result<Page<T>>>;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The 1-based page number.
    pub number: u32,
    /// The page's records that decoded.
    pub items: Vec<T>,
    /// Records that did not decode (lenient listings only), described without their values
    /// (`record 5: no employee id`).
    pub malformed: Vec<String>,
}

/// Ends a listing after an error or its last page: `outcome` is a page and whether it is
/// the last.
fn settle<P>(outcome: crate::Result<(P, bool)>, done: &mut bool) -> crate::Result<P> {
    match outcome {
        Ok((page, last)) => {
            *done = last;
            Ok(page)
        }
        Err(e) => {
            *done = true;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests;
