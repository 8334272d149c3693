//! UKG Pro's change feed: `employee-changes` (View on *Employee Export*) names the employees
//! changed in a window of at least 3 hours (snapshots, not diffs); their current records are
//! then read from person-details and employment-details filtered by employee, so a sync costs
//! requests in proportion to the changes, not to the tenant.

use std::collections::BTreeSet;
use std::time::Duration;

use connector_core::feed::{ChangeFeed, UserRef};
use connector_core::http::{RecordsAt, Request};
use connector_core::paginate::Listing;
use connector_core::reexports::async_trait;
use connector_core::reexports::jiff::Timestamp;
use connector_core::{Error, ErrorKind, ExportOptions, Result, User};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::client::{Endpoint, UkgClient, EMPLOYEE_CHANGES, EMPLOYMENT_DETAILS, PERSON_DETAILS};
use crate::model::{EmploymentRecord, PersonRecord};
use crate::{UkgProConnector, PROVIDER_ID};

/// UKG answers windows of at least 3 hours.
pub const MIN_WINDOW: Duration = Duration::from_secs(3 * 3600);

/// Records asked for per employee lookup (one is expected).
const LOOKUP_PAGE: u32 = 10;

#[async_trait]
impl ChangeFeed for UkgProConnector {
    fn min_window(&self) -> Duration {
        MIN_WINDOW
    }

    fn permission(&self) -> &'static str {
        EMPLOYEE_CHANGES.permission
    }

    async fn changed(&self, since: Timestamp, until: Timestamp) -> Result<Vec<UserRef>> {
        let window = Request::get(EMPLOYEE_CHANGES.path)
            .query("startDate", since.to_string())
            .query("endDate", until.to_string());
        // A window usually fits in one page: no request is made ahead of the answers.
        let mut pages = Listing::new(window)
            .page_number("page", "per_Page")
            .page_size(self.page_size)
            .max_page_size(crate::settings::MAX_PAGE_SIZE)
            .look_ahead(1)
            .permission(EMPLOYEE_CHANGES.permission)
            .lenient()
            // A change record carries the ids (and more); PersonRecord's lenient decoder
            // reads them and ignores the rest.
            .pages::<PersonRecord>(self.client.http())?;
        let mut named = BTreeSet::new();
        while let Some(page) = pages.next().await {
            for record in page?.items {
                named.insert(UserRef {
                    company_id: record.company_id.filter(|c| !c.is_empty()),
                    id: record.employee_id,
                });
            }
            if named.len() as u64 > ExportOptions::DEFAULT_MAX_USERS {
                return Err(Error::new(
                    PROVIDER_ID,
                    ErrorKind::Protocol,
                    format!(
                        "employee-changes named more than {} employees; it does not end",
                        ExportOptions::DEFAULT_MAX_USERS
                    ),
                )
                .with_endpoint(format!("GET {}", EMPLOYEE_CHANGES.path)));
            }
        }
        Ok(named.into_iter().collect())
    }

    async fn fetch(&self, users: &[UserRef]) -> Result<Vec<User>> {
        let in_flight = self.client.http().config().max_in_flight.max(1);
        let found: Vec<Option<User>> = stream::iter(users.iter().cloned())
            .map(|r| lookup(&self.client, r))
            .buffered(in_flight)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }
}

/// One employee's current record, from both endpoints; `None` when neither has it (gone).
async fn lookup(client: &UkgClient, user: UserRef) -> Result<Option<User>> {
    let key = (user.company_id.clone().unwrap_or_default(), user.id.clone());
    let (persons, employments) = futures_util::try_join!(
        find::<PersonRecord>(client, PERSON_DETAILS, &user),
        find::<EmploymentRecord>(client, EMPLOYMENT_DETAILS, &user),
    )?;
    let person = persons.into_iter().find(|r| r.key() == key);
    let employment = employments.into_iter().find(|r| r.key() == key);
    if person.is_none() && employment.is_none() {
        return Ok(None);
    }
    Ok(Some(crate::users::to_user(key, person, employment)))
}

/// The records `endpoint` has for one employee (one page, filtered by UKG Pro).
async fn find<R: DeserializeOwned>(
    client: &UkgClient,
    endpoint: Endpoint,
    user: &UserRef,
) -> Result<Vec<R>> {
    let mut request = Request::get(endpoint.path)
        .query("page", "1")
        .query("per_Page", LOOKUP_PAGE.to_string())
        .query("employeeId", user.id.clone());
    if let Some(company) = &user.company_id {
        request = request.query("companyId", company.clone());
    }
    let page = client
        .http()
        .fetch_records_lenient(&request, &RecordsAt::Root, endpoint.permission, LOOKUP_PAGE)
        .await?;
    Ok(page.items)
}
