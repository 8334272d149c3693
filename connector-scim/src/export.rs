//! The user export: `GET /Users?startIndex=&count=` answered by a `ListResponse`. The next
//! `startIndex` is the previous one plus what was returned (servers may cap `count`); the
//! listing ends at `totalResults` and its count must match it.

use connector_core::http::Request;
use connector_core::paginate::Listing;
use connector_core::reexports::futures_util::{stream, StreamExt};
use connector_core::{ExportStats, Result, User, UserExport};

use crate::check::READ_USERS;
use crate::client::{with_hint, ScimClient, SCIM_JSON};
use crate::mapping::to_user;
use crate::model::ScimUser;

/// The listing of users at `page_size`, with the settings' filter.
pub fn listing(page_size: u32, filter: Option<&str>) -> Listing {
    let mut request = Request::get("/Users").accept(SCIM_JSON);
    if let Some(filter) = filter {
        request = request.query("filter", filter);
    }
    Listing::new(request)
        .records_at("/Resources")
        .advancing("startIndex", "count")
        .total_at("/totalResults")
        .page_size(page_size)
        .lenient()
        .permission(READ_USERS)
}

/// Starts the export.
pub fn export(client: &ScimClient, page_size: u32, filter: Option<&str>) -> Result<UserExport> {
    let pages = listing(page_size, filter).pages::<ScimUser>(client.http())?;
    let stats = ExportStats::default();
    let counted = stats.clone();
    let users = pages.flat_map(move |page| {
        let users: Vec<Result<User>> = match page {
            Ok(page) => {
                counted.add_page(page.items.len() + page.malformed.len());
                for why in page.malformed {
                    counted.add_malformed(format!("/Users page {}: {why}", page.number));
                }
                page.items.into_iter().map(|u| Ok(to_user(u))).collect()
            }
            Err(e) => vec![Err(with_hint(e))],
        };
        stream::iter(users)
    });
    Ok(UserExport {
        users: Box::pin(users),
        stats,
    })
}
