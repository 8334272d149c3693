//! The user export: `GET /admin/directory/v1/users?customer=&projection=full`, `maxResults`
//! per page, followed by `pageToken` / `nextPageToken`.

use connector_core::http::Request;
use connector_core::paginate::Listing;
use connector_core::reexports::futures_util::StreamExt;
use connector_core::{Result, UserExport};

use crate::check::READ_USERS;
use crate::client::GoogleClient;
use crate::mapping::to_user;
use crate::model::DirectoryUser;

/// The listing of `customer`'s users at `page_size`.
pub fn listing(customer: &str, page_size: u32) -> Listing {
    let request = Request::get("/users")
        .query("customer", customer)
        .query("projection", "full");
    Listing::new(request)
        .cursor("pageToken", "/nextPageToken", Some("maxResults"))
        .records_at("/users")
        .page_size(page_size)
        .lenient()
        .permission(READ_USERS)
}

/// Starts the export.
pub fn export(client: &GoogleClient, customer: &str, page_size: u32) -> Result<UserExport> {
    let pages = listing(customer, page_size).pages::<DirectoryUser>(client.http())?;
    Ok(UserExport::from_pages(
        pages.boxed(),
        "/users",
        to_user,
        |e| e,
    ))
}
