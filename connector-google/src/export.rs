//! The user export: `GET /admin/directory/v1/users?customer=&projection=full`, `maxResults`
//! per page, followed by `pageToken` / `nextPageToken`. The `manager` relation names managers
//! by e-mail, so a first pass lists every user's id by primary e-mail (a partial response)
//! and the mapping names each manager by id.

use connector_core::http::{HttpClient, Request};
use connector_core::paginate::Listing;
use connector_core::{Result, UserExport};

use crate::mapping::to_user;
use crate::model::DirectoryUser;

/// What the export needs of the admin it acts for.
pub const READ_USERS: &str = "an admin role with the Users > Read privilege for the subject";

/// What the first pass asks for (a partial response).
pub const REFS: &str = "users(id,primaryEmail),nextPageToken";

/// `customer`'s users with `extra` query parameters, at `page_size`; a record that does not
/// decode is skipped and counted.
fn users(customer: &str, extra: (&str, &str), page_size: u32) -> Listing {
    let request = Request::get("/users").query("customer", customer);
    Listing::new(request.query(extra.0, extra.1))
        .cursor("pageToken", "/nextPageToken", Some("maxResults"))
        .records_at("/users")
        .page_size(page_size)
        .lenient()
        .permission(READ_USERS)
}

/// The listing of `customer`'s users at `page_size`.
pub fn listing(customer: &str, page_size: u32) -> Listing {
    users(customer, ("projection", "full"), page_size)
}

/// Starts the export: the ids by e-mail first, then the users.
pub fn export(http: &HttpClient, customer: &str, page_size: u32) -> Result<UserExport> {
    let index = users(customer, ("fields", REFS), 500);
    let entry = |u: DirectoryUser| Some((u.primary_email?.to_lowercase(), u.id));
    listing(customer, page_size).users_indexed(http, index, entry, to_user)
}
