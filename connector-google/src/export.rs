//! The user export: `GET /admin/directory/v1/users?customer=&projection=full`, `maxResults`
//! per page, followed by `pageToken` / `nextPageToken`.

use connector_core::http::{HttpClient, Request};
use connector_core::paginate::Listing;
use connector_core::{Result, UserExport};

use crate::mapping::to_user;

/// What the export needs of the admin it acts for.
pub const READ_USERS: &str = "an admin role with the Users > Read privilege for the subject";

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
pub fn export(http: &HttpClient, customer: &str, page_size: u32) -> Result<UserExport> {
    listing(customer, page_size).users(http, to_user)
}
