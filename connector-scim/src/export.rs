//! The user export: `GET /Users?startIndex=&count=` answered by a `ListResponse`. The next
//! `startIndex` is the previous one plus what was returned (servers may cap `count`); the
//! listing ends at `totalResults` and its count must match it.

use connector_core::http::Request;
use connector_core::paginate::Listing;
use connector_core::reexports::futures_util::{stream, StreamExt};
use connector_core::{Result, UserExport};

use crate::check::READ_USERS;
use crate::client::{ScimClient, SCIM_JSON};
use crate::mapping::to_user;
use crate::model::ScimUser;

/// The listing of users at `page_size`, with the settings' filter: index paging, or cursor
/// paging (RFC 9865: an empty `cursor` asks for it, `nextCursor` leads on) when the service
/// announces it.
pub fn listing(page_size: u32, filter: Option<&str>, cursor: bool) -> Listing {
    let mut request = Request::get("/Users").accept(SCIM_JSON);
    if let Some(filter) = filter {
        request = request.query("filter", filter);
    }
    let listing = if cursor {
        Listing::new(request.query("cursor", "")).cursor("cursor", "/nextCursor", Some("count"))
    } else {
        Listing::new(request)
            .advancing("startIndex", "count")
            .total_at("/totalResults")
    };
    listing
        .records_at("/Resources")
        .page_size(page_size)
        .lenient()
        .permission(READ_USERS)
}

/// Whether the service announces cursor paging in `/ServiceProviderConfig` (`pagination`,
/// RFC 9865). Anything unclear means index paging, which every service has.
async fn announces_cursor(client: &ScimClient) -> bool {
    match client.get("/ServiceProviderConfig", &[], READ_USERS).await {
        Ok(answer) => serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .is_some_and(|c| c["pagination"]["cursor"] == serde_json::Value::Bool(true)),
        Err(_) => false,
    }
}

/// Starts the export.
pub fn export(client: &ScimClient, page_size: u32, filter: Option<&str>) -> Result<UserExport> {
    // The page size is checked now, before any request (building a listing sends none).
    drop(listing(page_size, filter, false).pages::<ScimUser>(client.http())?);
    let (client, filter) = (client.clone(), filter.map(str::to_owned));
    let pages = stream::once(async move {
        let cursor = announces_cursor(&client).await;
        listing(page_size, filter.as_deref(), cursor).pages::<ScimUser>(client.http())
    })
    .flat_map(|pages| match pages {
        Ok(pages) => pages,
        Err(e) => stream::once(std::future::ready(Err(e))).boxed(),
    });
    Ok(UserExport::from_pages(
        pages.boxed(),
        "/Users",
        to_user,
        // The client already gave every error SCIM's hint.
        |e| e,
    ))
}
