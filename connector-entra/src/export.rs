//! The user export: `GET /v1.0/users` with `$select`, the manager expanded, `$top` per page,
//! followed by `@odata.nextLink` (an absolute URL on Graph's host).

use connector_core::http::Request;
use connector_core::paginate::Listing;
use connector_core::reexports::futures_util::StreamExt;
use connector_core::{Result, UserExport};

use crate::check::USER_READ_ALL;
use crate::client::EntraClient;
use crate::mapping::to_user;
use crate::model::{GraphUser, SELECT};

/// The listing of users at `page_size`.
pub fn listing(page_size: u32) -> Listing {
    let request = Request::get("/users")
        .query("$select", SELECT)
        .query("$expand", "manager($select=id)");
    Listing::new(request)
        .next_link("/@odata.nextLink", Some("$top"))
        .records_at("/value")
        .page_size(page_size)
        .lenient()
        .permission(USER_READ_ALL)
}

/// Starts the export.
pub fn export(client: &EntraClient, page_size: u32) -> Result<UserExport> {
    let pages = listing(page_size).pages::<GraphUser>(client.http())?;
    Ok(UserExport::from_pages(
        pages.boxed(),
        "/users",
        to_user,
        |e| e,
    ))
}
