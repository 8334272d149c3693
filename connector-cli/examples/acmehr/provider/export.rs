//! The employee listing: `GET /v1/employees?offset=&limit=` answered by
//! `{"data": [...], "metadata": {"total_elements": N}}`. Declared once; the SDK fans the pages
//! out once the total is known, refuses a page size above Acme's 500, and fails (rather than
//! exporting part of the account) when pages come back shorter than the total says.

use connector_core::http::Request;
use connector_core::paginate::Listing;
use connector_core::{Result, UserExport};

use super::check::SCOPE;
use super::client::AcmeClient;
use super::mapping::to_user;
use super::model::Employee;
use super::settings::MAX_PAGE_SIZE;

/// The employees endpoint.
pub const EMPLOYEES: &str = "/v1/employees";

/// The listing at `page_size`.
pub fn listing(page_size: u32) -> Listing {
    Listing::new(Request::get(EMPLOYEES))
        .records_at("/data")
        .offset("offset", "limit")
        .total_at("/metadata/total_elements")
        .page_size(page_size)
        .max_page_size(MAX_PAGE_SIZE)
        .look_ahead(4)
        .lenient()
        .permission(SCOPE)
}

/// Starts the export.
pub fn export(client: &AcmeClient, page_size: u32) -> Result<UserExport> {
    // Pages mapped to users, counted; the client already gave every error Acme's hint.
    listing(page_size).users::<Employee>(client.http(), to_user)
}
