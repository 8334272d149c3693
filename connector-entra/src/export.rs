//! The user export: `GET /v1.0/users` with `$select`, the manager expanded, `$top` per page,
//! followed by `@odata.nextLink` (an absolute URL on Graph's host).

use connector_core::http::{HttpClient, Request};
use connector_core::paginate::Listing;
use connector_core::{Result, UserExport};

use crate::mapping::to_user;
use crate::model::SELECT;

/// The Graph permission the export needs (application, with admin consent).
pub const USER_READ_ALL: &str = "User.Read.All";

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
pub fn export(http: &HttpClient, page_size: u32) -> Result<UserExport> {
    listing(page_size).users(http, to_user)
}
