//! UKG Pro's change feed: `employee-changes` (View on *Employee Export*) names the employees
//! changed in a window of at least 3 hours (snapshots, not diffs); their current records are
//! then read from person-details and employment-details filtered by employee, so a sync costs
//! requests in proportion to the changes, not to the tenant.

use std::collections::BTreeSet;
use std::time::Duration;

use connector_core::feed::{ChangeFeed, UserRef};
use connector_core::reexports::async_trait;
use connector_core::reexports::jiff::Timestamp;
use connector_core::{Result, User};
use futures_util::{stream, StreamExt, TryStreamExt};

use crate::client::{UkgClient, EMPLOYEE_CHANGES, EMPLOYMENT_DETAILS, PERSON_DETAILS};
use crate::model::{Decoded, EmploymentRecord, PersonRecord};
use crate::UkgProConnector;

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
        let window = [
            ("startDate", since.to_string()),
            ("endDate", until.to_string()),
        ];
        let mut named = BTreeSet::new();
        let mut page = 1u32;
        let mut previous: Option<Vec<(Option<String>, String)>> = None;
        loop {
            // A change record carries the ids (and more); PersonRecord's lenient decoder reads
            // them and ignores the rest.
            let records: Vec<Decoded<PersonRecord>> = self
                .client
                .list_page_with(EMPLOYEE_CHANGES, page, self.page_size, None, &window)
                .await?;
            let short = records.len() < self.page_size as usize;
            let ids: Vec<(Option<String>, String)> = records
                .into_iter()
                .filter_map(|record| match record {
                    Decoded::Record(r) => {
                        Some((r.company_id.filter(|c| !c.is_empty()), r.employee_id))
                    }
                    Decoded::Malformed(_) => None,
                })
                .collect();
            // A gateway that ignores `page` answers the first page forever.
            if !short && previous.as_ref() == Some(&ids) {
                return Err(protocol(format!(
                    "employee-changes answered page {page} with the same records as page {}; it ignores paging",
                    page - 1
                )));
            }
            for (company_id, id) in &ids {
                named.insert(UserRef {
                    company_id: company_id.clone(),
                    id: id.clone(),
                });
            }
            if named.len() as u64 > connector_core::ExportOptions::DEFAULT_MAX_USERS {
                return Err(protocol(format!(
                    "employee-changes named more than {} employees; it does not end",
                    connector_core::ExportOptions::DEFAULT_MAX_USERS
                )));
            }
            if short {
                break;
            }
            previous = Some(ids);
            page = page
                .checked_add(1)
                .ok_or_else(|| protocol("employee-changes never ended (4 billion pages)".into()))?;
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
    let filter = [("employeeId", user.id.clone())];
    let company = user.company_id.as_deref();
    let (persons, employments) = futures_util::try_join!(
        client.list_page_with::<Decoded<PersonRecord>>(
            PERSON_DETAILS,
            1,
            LOOKUP_PAGE,
            company,
            &filter
        ),
        client.list_page_with::<Decoded<EmploymentRecord>>(
            EMPLOYMENT_DETAILS,
            1,
            LOOKUP_PAGE,
            company,
            &filter
        ),
    )?;
    let key = (user.company_id.clone().unwrap_or_default(), user.id.clone());
    let person = persons.into_iter().find_map(|d| match d {
        Decoded::Record(r) if r.key() == key => Some(r),
        _ => None,
    });
    let employment = employments.into_iter().find_map(|d| match d {
        Decoded::Record(r) if r.key() == key => Some(r),
        _ => None,
    });
    if person.is_none() && employment.is_none() {
        return Ok(None);
    }
    Ok(Some(crate::users::to_user(key, person, employment)))
}

fn protocol(message: String) -> connector_core::Error {
    connector_core::Error::new(
        crate::PROVIDER_ID,
        connector_core::ErrorKind::Protocol,
        message,
    )
    .with_endpoint(format!("GET {}", EMPLOYEE_CHANGES.path))
}
