//! [`Listing`]: how a provider's list endpoint pages, declared once; core sends the requests,
//! decodes the records as they arrive, and applies the end-of-listing rules.

use futures_util::stream::BoxStream;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, ErrorKind, FieldError, Result};
use crate::http::{HttpClient, RecordPage, RecordsAt, Request};
use crate::paginate::Page;

/// How the pages of a listing are asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// One request answers with every record.
    Unpaged,
    /// `?{page}=1&{size}=100`, `?{page}=2…`: numbered pages (first number configurable).
    PageNumber {
        /// The page-number parameter.
        page: String,
        /// The page-size parameter.
        size: String,
    },
    /// `?{offset}=0&{limit}=100`, `?{offset}=100…`: fanned out once the total is known.
    Offset {
        /// The offset parameter (`offset`, `startIndex`).
        offset: String,
        /// The page-size parameter (`limit`, `count`).
        limit: String,
    },
    /// `?{index}=1&{count}=100`, then the next index is the previous one plus the records
    /// actually returned (a server may return fewer than asked: SCIM's `startIndex`/`count`).
    /// Sequential; ends at the reported total (required) or an empty page.
    Advancing {
        /// The index parameter (`startIndex`).
        index: String,
        /// The page-size parameter (`count`).
        count: String,
    },
    /// `?{param}=<cursor>` where the cursor comes from the previous answer at `next_at`.
    Cursor {
        /// The cursor parameter.
        param: String,
        /// JSON pointer of the next cursor in the answer; absent, null or empty ends it.
        next_at: String,
        /// The page-size parameter, if the API has one.
        size: Option<String>,
    },
    /// The answer holds the next page's URL at `next_at` (absolute or relative).
    NextLink {
        /// JSON pointer of the next link; absent, null or empty ends the listing.
        next_at: String,
        /// The page-size parameter of the first request, if the API has one.
        size: Option<String>,
    },
}

/// A listing: the first request, where the records are, how it pages, and its limits.
///
/// ```
/// use connector_core::http::Request;
/// use connector_core::paginate::Listing;
///
/// let users = Listing::new(Request::get("/v1/users"))
///     .records_at("/data")
///     .offset("offset", "limit")
///     .total_at("/metadata/total_elements")
///     .max_page_size(500)
///     .page_size(200)
///     .permission("users:read");
/// assert_eq!(users.page_size_value(), 200);
/// ```
#[derive(Debug, Clone)]
pub struct Listing {
    pub(super) request: Request,
    pub(super) records: RecordsAt,
    pub(super) strategy: Strategy,
    pub(super) first: u64,
    pub(super) page_size: u32,
    pub(super) max_page_size: Option<u32>,
    pub(super) page_size_field: String,
    pub(super) total_at: Option<String>,
    pub(super) look_ahead: usize,
    pub(super) permission: String,
    pub(super) lenient: bool,
}

impl Listing {
    /// A listing whose first request is `request` (unpaged until a strategy is chosen).
    pub fn new(request: Request) -> Self {
        Listing {
            request,
            records: RecordsAt::Root,
            strategy: Strategy::Unpaged,
            first: 0,
            page_size: 100,
            max_page_size: None,
            page_size_field: "page_size".into(),
            total_at: None,
            look_ahead: 4,
            permission: String::new(),
            lenient: false,
        }
    }

    /// The records are the array at this JSON pointer (`/data`); default: a bare array.
    pub fn records_at(mut self, pointer: &str) -> Self {
        self.records = RecordsAt::pointer(pointer);
        self
    }

    /// Numbered pages, starting at 1 (see [`first_index`](Self::first_index)).
    pub fn page_number(mut self, page: &str, size: &str) -> Self {
        self.strategy = Strategy::PageNumber {
            page: page.into(),
            size: size.into(),
        };
        self.first = 1;
        self
    }

    /// Offset and limit, offsets starting at 0 (SCIM's `startIndex` starts at 1: see
    /// [`first_index`](Self::first_index)).
    pub fn offset(mut self, offset: &str, limit: &str) -> Self {
        self.strategy = Strategy::Offset {
            offset: offset.into(),
            limit: limit.into(),
        };
        self.first = 0;
        self
    }

    /// Index paging that advances by what was returned (SCIM), the first index 1 (see
    /// [`first_index`](Self::first_index)); use with [`total_at`](Self::total_at).
    pub fn advancing(mut self, index: &str, count: &str) -> Self {
        self.strategy = Strategy::Advancing {
            index: index.into(),
            count: count.into(),
        };
        self.first = 1;
        self
    }

    /// Cursor paging: the next cursor is read at `next_at` and sent as `param`.
    pub fn cursor(mut self, param: &str, next_at: &str, size: Option<&str>) -> Self {
        self.strategy = Strategy::Cursor {
            param: param.into(),
            next_at: next_at.into(),
            size: size.map(Into::into),
        };
        self
    }

    /// Next-link paging: the next page's URL is read at `next_at`.
    pub fn next_link(mut self, next_at: &str, size: Option<&str>) -> Self {
        self.strategy = Strategy::NextLink {
            next_at: next_at.into(),
            size: size.map(Into::into),
        };
        self
    }

    /// The first page number or offset (default 1 for page numbers, 0 for offsets).
    pub fn first_index(mut self, first: u64) -> Self {
        self.first = first;
        self
    }

    /// Records asked for per page (default 100).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The most records the API returns per page: a larger page size is refused before any
    /// request, naming the settings field (see [`page_size_field`](Self::page_size_field)).
    pub fn max_page_size(mut self, max: u32) -> Self {
        self.max_page_size = Some(max);
        self
    }

    /// The settings field that sets the page size, for messages (default `page_size`).
    pub fn page_size_field(mut self, field: &str) -> Self {
        self.page_size_field = field.into();
        self
    }

    /// JSON pointer of the total number of records in each answer (`/metadata/total`,
    /// `/totalResults`): the listing's count must match it, and offset pages fan out once
    /// it is known.
    pub fn total_at(mut self, pointer: &str) -> Self {
        self.total_at = Some(pointer.into());
        self
    }

    /// Page requests in flight at once for page-number and offset listings (default 4;
    /// cursor and next-link listings are sequential by nature).
    pub fn look_ahead(mut self, pages: usize) -> Self {
        self.look_ahead = pages.max(1);
        self
    }

    /// The provider's name for what a 403 on this listing lacks (a scope, a permission).
    pub fn permission(mut self, permission: &str) -> Self {
        self.permission = permission.into();
        self
    }

    /// Skip records that do not decode and describe them in [`Page::malformed`] (without
    /// their values), instead of failing the listing.
    pub fn lenient(mut self) -> Self {
        self.lenient = true;
        self
    }

    /// The page size in effect.
    pub fn page_size_value(&self) -> u32 {
        self.page_size
    }

    /// What a 403 on this listing lacks, in the provider's words (see
    /// [`permission`](Self::permission)).
    pub fn required_permission(&self) -> &str {
        &self.permission
    }

    /// The request of the listing's first page at `page_size` records: what a connection
    /// test sends to prove the export's access with the export's own request.
    pub fn first_request(&self, page_size: u32) -> Request {
        let probe = self.clone().page_size(page_size);
        match probe.strategy {
            Strategy::PageNumber { .. } | Strategy::Offset { .. } => {
                super::indexed::request(&probe, 0).unwrap_or_else(|| probe.request.clone())
            }
            _ => super::sequential::first(&probe),
        }
    }

    /// Streams the listing's pages in order. Fails before any request when the page size is
    /// 0 or above the declared maximum. The stream ends after the last page, or with an
    /// error that ends it: a transport or status error, a page larger than asked, a short
    /// page before the reported total, a count that disagrees with the total, a repeated
    /// page, cursor or link.
    pub fn pages<T>(self, http: &HttpClient) -> Result<BoxStream<'static, Result<Page<T>>>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let provider = http.provider();
        if self.page_size == 0 {
            return Err(Error::invalid_settings(
                provider,
                vec![FieldError::new(&self.page_size_field, "must be at least 1")],
            ));
        }
        if let Some(max) = self.max_page_size.filter(|max| self.page_size > *max) {
            return Err(Error::invalid_settings(
                provider,
                vec![FieldError::new(
                    &self.page_size_field,
                    format!(
                        "{} is more than the {max} records per page this API returns; use {max} or less",
                        self.page_size
                    ),
                )],
            ));
        }
        Ok(match self.strategy {
            Strategy::PageNumber { .. } | Strategy::Offset { .. } => {
                super::indexed::pages(self, http.clone())
            }
            Strategy::Cursor { .. }
            | Strategy::NextLink { .. }
            | Strategy::Advancing { .. }
            | Strategy::Unpaged => super::sequential::pages(self, http.clone()),
        })
    }

    /// Fetches page `number` of this listing with `request`; `limited`: the request carried the
    /// page size, so a page with more records is refused as it streams in. A failure names the
    /// page in its message.
    pub(super) async fn fetch<T: DeserializeOwned>(
        &self,
        http: &HttpClient,
        request: &Request,
        number: u32,
        limited: bool,
    ) -> Result<RecordPage<T>> {
        let limit = if limited { self.page_size } else { 0 };
        let request = &request.clone().on_page(number);
        let fetched = if self.lenient {
            http.fetch_records_lenient(request, &self.records, &self.permission, limit)
                .await
        } else {
            http.fetch_records(request, &self.records, &self.permission, limit)
                .await
        };
        // A paged listing's failure names the page (`page 3: expected a JSON array, …`).
        fetched.map_err(|e| match self.strategy {
            Strategy::Unpaged => e,
            _ => {
                let message = format!("page {number}: {}", e.message());
                e.with_message(message)
            }
        })
    }
}

/// The end-of-listing rules shared by every strategy.
pub(super) struct Rules {
    provider: &'static str,
    endpoint: String,
    page_size: u32,
    total_at: Option<String>,
    pub(super) total: Option<u64>,
    pub(super) count: u64,
    repeats: super::repeats::Repeats,
}

impl Rules {
    pub(super) fn new(listing: &Listing, http: &HttpClient) -> Self {
        Rules {
            provider: http.provider(),
            endpoint: listing.request.label(),
            page_size: listing.page_size,
            total_at: listing.total_at.clone(),
            total: None,
            count: 0,
            repeats: Default::default(),
        }
    }

    pub(super) fn error(&self, message: String, hint: &str) -> Error {
        Error::new(self.provider, ErrorKind::Protocol, message)
            .with_endpoint(self.endpoint.clone())
            .with_hint(hint.to_owned())
    }

    /// Checks one page (its 1-based `number`) and counts it. `limited`: the request carried
    /// the page size, so a larger page means the server ignores it.
    pub(super) fn check<T>(
        &mut self,
        number: u32,
        page: &RecordPage<T>,
        limited: bool,
    ) -> Result<()> {
        // Records the server sent, decoded or not (lenient listings skip malformed ones).
        let len = (page.items.len() + page.malformed.len()) as u64;
        if limited && len > u64::from(self.page_size) {
            return Err(self.error(
                format!(
                    "page {number} has {len} records, more than the {} asked for",
                    self.page_size
                ),
                "the server ignores the page-size parameter; stopped rather than guess where pages begin",
            ));
        }
        if let Err((why, hint)) = self.repeats.check(number, &page.record_digests) {
            return Err(self.error(why, hint));
        }
        // The request budget a reported total sets: once that many records were listed, a
        // further page with records (new ones or not) means the listing does not end.
        if let Some(total) = self.total.filter(|t| len > 0 && self.count >= *t) {
            return Err(self.error(
                format!("page {number} comes after all {total} records the server reported were listed; stopped instead of paging on"),
                "the server keeps sending pages beyond its own total; report it to the API's owner",
            ));
        }
        if let Some(pointer) = &self.total_at {
            let reported = total(&page.envelope, pointer).ok_or_else(|| {
                self.error(
                    format!("page {number} has no record total at `{pointer}`"),
                    "the answer's shape changed; check the API URL",
                )
            })?;
            match self.total {
                Some(known) if known != reported => {
                    return Err(self.error(
                        format!("the total changed from {known} to {reported} during the listing (page {number})"),
                        "records were added or removed while paging, so some may have been skipped or repeated; run it again",
                    ))
                }
                _ => self.total = Some(reported),
            }
        }
        self.count = self.count.saturating_add(len);
        Ok(())
    }

    /// At the end: the count must match the reported total.
    pub(super) fn finish(&self) -> Result<()> {
        match self.total {
            Some(total) if total != self.count => Err(self.error(
                format!(
                    "listed {} records but the server reported a total of {total}",
                    self.count
                ),
                "the listing ended early or repeated records; run it again, and report it to the API's owner if it persists",
            )),
            _ => Ok(()),
        }
    }
}

/// A total read at `pointer`: a non-negative integer, or a string holding one.
fn total(envelope: &Value, pointer: &str) -> Option<u64> {
    match envelope.pointer(pointer)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
