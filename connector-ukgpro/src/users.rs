//! The user export: person-details and employment-details are paged concurrently and joined
//! on (company id, employee id) as they arrive. A user is emitted as soon as both halves are
//! in, so memory holds only the records still waiting for their partner; records whose
//! partner never comes are exported at the end with what is known, and counted.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use connector_core::http::Request;
use connector_core::paginate::{Listing, Page, PageStream};
use connector_core::{ExportOptions, ExportStats, Result, User, UserExport, UserStatus};
use futures_util::stream::{self, StreamExt};

use crate::client::{Endpoint, UkgClient, EMPLOYMENT_DETAILS, PERSON_DETAILS};
use crate::model::{EmploymentRecord, Key, PersonRecord};

/// Rows kept in flight per endpoint: look-ahead is this divided by the page size (at least 1),
/// so small pages overlap many requests and 10,000-row pages keep memory bounded.
const ROWS_IN_FLIGHT: u32 = 20_000;
/// At most this many page requests in flight per endpoint.
const MAX_LOOK_AHEAD: u32 = 8;

/// Why a user was exported with only part of its data.
pub const PERSON_ONLY: &str = "person-details without employment-details";
/// Why a user was exported with only part of its data.
pub const EMPLOYMENT_ONLY: &str = "employment-details without person-details";

/// Maps UKG's `employeeStatusCode` to the normalized status.
pub fn status(code: Option<&str>) -> UserStatus {
    match code.map(str::trim) {
        Some(c) if c.eq_ignore_ascii_case("A") => UserStatus::Active,
        Some(c) if c.eq_ignore_ascii_case("L") || c.eq_ignore_ascii_case("O") => UserStatus::Leave,
        Some(c) if c.eq_ignore_ascii_case("S") => UserStatus::Suspended,
        Some(c) if c.eq_ignore_ascii_case("T") => UserStatus::Terminated,
        Some(c) if c.eq_ignore_ascii_case("R") => UserStatus::Inactive,
        _ => UserStatus::Unknown,
    }
}

/// Builds the normalized user from the join key and either or both halves.
pub fn to_user(
    key: Key,
    person: Option<PersonRecord>,
    employment: Option<EmploymentRecord>,
) -> User {
    let (company, id) = key;
    let mut user = User::new(id);
    user.company_id = (!company.is_empty()).then_some(company);
    let mut changed = None;
    if let Some(p) = person {
        user.username = p.user_name;
        user.first_name = p.first_name;
        user.last_name = p.last_name;
        user.preferred_name = p.preferred_name;
        user.email = p.email_address;
        user.alternate_email = p.email_address_alternate;
        changed = p.datetime_changed;
    }
    if let Some(e) = employment {
        user.employee_number = e.employee_number;
        user.job_title = e.job_title.or(e.job_description);
        user.department = e.org_level1_code;
        user.manager_id = e.supervisor_id;
        user.status = status(e.employee_status_code.as_deref());
        user.provider_status = e.employee_status_code;
        user.hire_date = e.last_hire_date.or(e.original_hire_date);
        user.termination_date = e.date_of_termination;
        changed = changed.max(e.date_time_changed);
    }
    user.updated_at = changed;
    user.derive_display_name();
    user
}

/// Starts the export: both listings declared (page numbers until a short page, the
/// maximum page size enforced, malformed records skipped and reported), then joined. The
/// status and company filters are applied by the SDK's shared export plumbing; the company is
/// also sent to UKG Pro, so that it lists only that company's records.
pub fn export(
    client: &UkgClient,
    default_page_size: u32,
    options: ExportOptions,
) -> Result<UserExport> {
    let stats = ExportStats::default();
    let page_size = options.page_size.unwrap_or(default_page_size);
    let in_flight = client.http().config().max_in_flight.max(1) as u32;
    let look_ahead = options.look_ahead(
        (ROWS_IN_FLIGHT / page_size.max(1)).clamp(1, MAX_LOOK_AHEAD.min(in_flight)) as usize,
        page_size,
    );
    let listing = |endpoint: Endpoint| {
        let mut request = Request::get(endpoint.path);
        if let Some(company) = &options.company_id {
            request = request.query("companyId", company.clone());
        }
        Listing::new(request)
            // UKG spells `per_Page` with a capital P.
            .page_number("page", "per_Page")
            .page_size(page_size)
            .max_page_size(crate::settings::MAX_PAGE_SIZE)
            .look_ahead(look_ahead)
            .permission(endpoint.permission)
            .lenient()
    };
    let halves = Lockstep {
        persons: counted(
            listing(PERSON_DETAILS).pages(client.http())?,
            PERSON_DETAILS,
            &stats,
        ),
        employments: counted(
            listing(EMPLOYMENT_DETAILS).pages(client.http())?,
            EMPLOYMENT_DETAILS,
            &stats,
        ),
        person_pages: 0,
        employment_pages: 0,
        persons_done: false,
        employments_done: false,
    };
    let joiner = Joiner {
        persons: HashMap::default(),
        employments: HashMap::default(),
        joined: HashSet::default(),
        keys: Hashing::default(),
        stats: stats.clone(),
    };
    let users = stream::unfold(Some((halves, joiner)), |state| async move {
        let (mut halves, mut joiner) = state?;
        match halves.next().await {
            Some(Half::Person(Ok(page))) => {
                Some((joiner.add_persons(page), Some((halves, joiner))))
            }
            Some(Half::Employment(Ok(page))) => {
                Some((joiner.add_employments(page), Some((halves, joiner))))
            }
            Some(Half::Person(Err(e)) | Half::Employment(Err(e))) => Some((vec![Err(e)], None)),
            None => Some((joiner.finish(), None)),
        }
    })
    .flat_map(stream::iter);
    Ok(UserExport {
        users: Box::pin(users),
        stats,
    })
}

enum Half {
    Person(Result<Page<PersonRecord>>),
    Employment(Result<Page<EmploymentRecord>>),
}

/// The two listings, consumed in step: neither side is read more than one page ahead of the
/// other (while both last), so a faster endpoint cannot fill the join buffer with records
/// whose partners are still pages away.
struct Lockstep {
    persons: PageStream<PersonRecord>,
    employments: PageStream<EmploymentRecord>,
    person_pages: u64,
    employment_pages: u64,
    persons_done: bool,
    employments_done: bool,
}

impl Lockstep {
    async fn next(&mut self) -> Option<Half> {
        loop {
            let want_persons = !self.persons_done
                && (self.employments_done || self.person_pages <= self.employment_pages);
            let want_employments = !self.employments_done
                && (self.persons_done || self.employment_pages <= self.person_pages);
            // `None` from a side means that side has ended.
            let next = match (want_persons, want_employments) {
                (false, false) => return None,
                (true, false) => self.persons.next().await.map(Half::Person).ok_or(true),
                (false, true) => self
                    .employments
                    .next()
                    .await
                    .map(Half::Employment)
                    .ok_or(false),
                (true, true) => tokio::select! {
                    p = self.persons.next() => p.map(Half::Person).ok_or(true),
                    e = self.employments.next() => e.map(Half::Employment).ok_or(false),
                },
            };
            match next {
                Ok(half) => {
                    match half {
                        Half::Person(_) => self.person_pages += 1,
                        Half::Employment(_) => self.employment_pages += 1,
                    }
                    return Some(half);
                }
                Err(true) => self.persons_done = true,
                Err(false) => self.employments_done = true,
            }
        }
    }
}

/// One endpoint's pages, counted as the export consumes them (speculative pages past the
/// end never are), malformed records included.
fn counted<R: Send + 'static>(
    pages: PageStream<R>,
    endpoint: Endpoint,
    stats: &ExportStats,
) -> PageStream<R> {
    let stats = stats.clone();
    let label = format!("GET {}", endpoint.path);
    pages
        .map(move |page| {
            let mut page = page?;
            stats.add_listed_page(&label, &mut page);
            Ok(page)
        })
        .boxed()
}

/// The join's hash: fast (SipHash was a visible share of an export's CPU), seeded at random.
type Hashing = foldhash::fast::RandomState;

/// The streaming join's state: records waiting for their partner, and the keys already
/// joined. A key seen twice on one endpoint keeps its first record, whatever the timing
/// between the endpoints (the repeat is counted as a duplicate).
struct Joiner {
    persons: HashMap<Key, PersonRecord, Hashing>,
    employments: HashMap<Key, EmploymentRecord, Hashing>,
    /// The joined keys as 64-bit digests: 8 bytes remembered per joined user (two keys of a
    /// million-user tenant share a digest with a probability of about 3 in 100 million; the
    /// seed is random, so a server cannot choose keys that collide).
    joined: HashSet<u64, Hashing>,
    /// The hash of the digests.
    keys: Hashing,
    stats: ExportStats,
}

impl Joiner {
    fn add_persons(&mut self, page: Page<PersonRecord>) -> Vec<Result<User>> {
        let mut out = Vec::new();
        for mut person in page.items {
            let key = person.take_key();
            // A partner waiting means the key was not joined yet: join (the common case).
            if let Some(employment) = self.employments.remove(&key) {
                self.joined.insert(self.keys.hash_one(&key));
                out.push(Ok(to_user(key, Some(person), Some(employment))));
            } else if self.persons.contains_key(&key)
                || self.joined.contains(&self.keys.hash_one(&key))
            {
                self.stats.add_duplicate();
            } else {
                self.persons.insert(key, person);
            }
        }
        out
    }

    fn add_employments(&mut self, page: Page<EmploymentRecord>) -> Vec<Result<User>> {
        let mut out = Vec::new();
        for mut employment in page.items {
            let key = employment.take_key();
            if let Some(person) = self.persons.remove(&key) {
                self.joined.insert(self.keys.hash_one(&key));
                out.push(Ok(to_user(key, Some(person), Some(employment))));
            } else if self.employments.contains_key(&key)
                || self.joined.contains(&self.keys.hash_one(&key))
            {
                self.stats.add_duplicate();
            } else {
                self.employments.insert(key, employment);
            }
        }
        out
    }

    /// Both listings are complete: the records still waiting have no partner.
    fn finish(mut self) -> Vec<Result<User>> {
        let mut out = Vec::new();
        for (key, person) in drain_sorted(&mut self.persons) {
            self.stats.add_partial(PERSON_ONLY);
            out.push(Ok(to_user(key, Some(person), None)));
        }
        for (key, employment) in drain_sorted(&mut self.employments) {
            self.stats.add_partial(EMPLOYMENT_ONLY);
            out.push(Ok(to_user(key, None, Some(employment))));
        }
        out
    }
}

/// Empties `map` in key order, so that the output does not depend on hash order.
fn drain_sorted<R>(map: &mut HashMap<Key, R, Hashing>) -> Vec<(Key, R)> {
    let mut entries: Vec<_> = std::mem::take(map).into_iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn status_codes() {
        let cases = [
            ("A", UserStatus::Active),
            ("L", UserStatus::Leave),
            ("O", UserStatus::Leave),
            ("S", UserStatus::Suspended),
            ("T", UserStatus::Terminated),
            ("R", UserStatus::Inactive),
            (" a ", UserStatus::Active),
            ("X", UserStatus::Unknown),
        ];
        for (code, expected) in cases {
            assert_eq!(status(Some(code)), expected, "{code}");
        }
        assert_eq!(status(None), UserStatus::Unknown);
    }

    #[test]
    fn joined_user() {
        let person = PersonRecord {
            employee_id: "E1".into(),
            company_id: Some("C1".into()),
            user_name: Some("ana.d".into()),
            first_name: Some("Anabel".into()),
            last_name: Some("Diaz".into()),
            preferred_name: Some("Ana".into()),
            email_address: Some("ana@example.com".into()),
            datetime_changed: Some(date(2024, 1, 2).at(3, 0, 0, 0)),
            ..PersonRecord::default()
        };
        let employment = EmploymentRecord {
            employee_id: "E1".into(),
            company_id: Some("C1".into()),
            employee_number: Some("000123".into()),
            job_description: Some("Payroll Specialist".into()),
            org_level1_code: Some("FIN".into()),
            employee_status_code: Some("L".into()),
            supervisor_id: Some("E0".into()),
            original_hire_date: Some(date(2010, 1, 4)),
            last_hire_date: Some(date(2015, 6, 1)),
            date_time_changed: Some(date(2024, 5, 6).at(7, 0, 0, 0)),
            ..EmploymentRecord::default()
        };
        let mut person = person;
        let mut employment = employment;
        let key = person.take_key();
        assert_eq!(employment.take_key(), key);
        let u = to_user(key, Some(person), Some(employment));
        assert_eq!(u.id, "E1");
        assert_eq!(u.display_name.as_deref(), Some("Ana Diaz"));
        assert_eq!(u.job_title.as_deref(), Some("Payroll Specialist"));
        assert_eq!(u.status, UserStatus::Leave);
        assert_eq!(u.provider_status.as_deref(), Some("L"));
        assert_eq!(u.hire_date, Some(date(2015, 6, 1)));
        assert_eq!(u.updated_at, Some(date(2024, 5, 6).at(7, 0, 0, 0)));
        assert_eq!(u.manager_id.as_deref(), Some("E0"));
    }
}
