//! Listing: the strategies providers page through their APIs with, and the end-of-listing
//! rules that cannot silently truncate.
//!
//! * [`paginate`] / [`paginate_checked`]: page numbers until a short page, with bounded
//!   look-ahead (UKG Pro's shape; `page_number.rs`).
//! * [`Listing`]: a declared listing over the shared [`HttpClient`](crate::http::HttpClient):
//!   records from a bare array or an envelope, paged by page number, offset/limit (fanned out
//!   once the total is known), cursor or next link (sequential), or unpaged; a provider's
//!   maximum page size enforced; a page larger than asked, a short page before the reported
//!   total, a count that disagrees with the total, a repeated page or cursor, more pages than
//!   the reported total needs: each an error that says so (`listing.rs`, `sequential.rs`,
//!   `indexed.rs`).
//! * Every listing, both kinds, refuses a page equal to an earlier one or made mostly of
//!   records already listed (`repeats.rs`): a server that does not move forward is stopped
//!   at once, not after millions of requests.

mod indexed;
mod listing;
mod page_number;
mod repeats;
mod sequential;

pub use listing::{Listing, Strategy};

/// A listing's pages, in order; an error ends it.
pub type PageStream<T> = futures_util::stream::BoxStream<'static, crate::Result<Page<T>>>;
pub use page_number::{paginate, paginate_checked, Page, Paging};

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
