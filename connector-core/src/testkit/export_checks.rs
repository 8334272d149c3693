//! Checks of the user export against the mock: every user exactly once (also across many
//! small pages, expiring credentials and a rate limit), the key fields mapped as the mock
//! says, filters applied, a malformed record skipped and counted (or a clear error), an empty
//! tenant empty, a missing permission a clear error.

use std::collections::BTreeSet;

use futures_util::StreamExt;

use super::{Conformance, ConformanceReport, MockTenant, Scenario};
use crate::error::{ErrorKind, Result};
use crate::registry::{Capability, Filter};
use crate::user::{ExportOptions, ExportSummary, User, UserStatus};

/// Users in the tenants of the export checks: enough for several small pages.
const USERS: u64 = 23;
/// Page size of the paging checks.
const SMALL_PAGE: u32 = 5;

/// One export's outcome.
struct Run {
    users: Result<Vec<User>>,
    summary: ExportSummary,
}

fn ids(users: &[User]) -> BTreeSet<&str> {
    users.iter().map(|u| u.id.as_str()).collect()
}

impl Conformance {
    /// Exports from `tenant` with `options` through the SDK's export plumbing, keeping
    /// everything shown at `place` (errors, the connector's Debug after the export).
    async fn export(
        &self,
        report: &mut ConformanceReport,
        tenant: &MockTenant,
        options: ExportOptions,
        place: &str,
    ) -> Run {
        let connector = match self
            .descriptor
            .connect_with(tenant.settings.clone(), &tenant.context)
        {
            Ok(c) => c,
            Err(e) => {
                report.evidence(place, format!("{e:?} {}", e.full_message()));
                return Run {
                    users: Err(e),
                    summary: ExportSummary::default(),
                };
            }
        };
        let mut users = Vec::new();
        let mut summary = ExportSummary::default();
        let outcome = match crate::connector::export_users(&*connector, options) {
            Err(e) => Err(e),
            Ok(mut export) => {
                let mut failed = None;
                while let Some(item) = export.users.next().await {
                    match item {
                        Ok(user) => users.push(user),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                summary = export.stats.snapshot();
                match failed {
                    Some(e) => Err(e),
                    None => Ok(users),
                }
            }
        };
        if let Err(e) = &outcome {
            let hint = e.hint().unwrap_or_default();
            report.evidence(
                &format!("the export error ({place})"),
                format!("{e:?} {} {hint}", e.full_message()),
            );
        }
        report.evidence(
            &format!("the connector's Debug output after an export ({place})"),
            format!("{connector:?} {connector:#?}"),
        );
        report.evidence(
            &format!("the export summary ({place})"),
            format!("{summary:?}"),
        );
        self.collect(report, tenant).await;
        Run {
            users: outcome,
            summary,
        }
    }

    /// Starts the mock for `scenario` and exports from it (`None`: the mock does not play it).
    async fn export_scenario(
        &self,
        report: &mut ConformanceReport,
        scenario: Scenario,
        name: &str,
        options: ExportOptions,
        place: &str,
    ) -> Option<Run> {
        let tenant = self.tenant(report, scenario, name).await?;
        Some(self.export(report, &tenant, options, place).await)
    }

    /// Every user of a healthy tenant exactly once, valid against the `User` schema, with the
    /// key fields as the mock states them.
    pub async fn check_export(&self, report: &mut ConformanceReport) {
        let name = "export yields every user of the mock exactly once";
        let Some(tenant) = self
            .tenant(report, Scenario::Healthy { users: USERS }, name)
            .await
        else {
            return;
        };
        let run = self
            .export(report, &tenant, ExportOptions::new(), "healthy")
            .await;
        let list = match run.users {
            Ok(list) => list,
            Err(e) => {
                report.check(false, name, || format!("failed: {}", e.full_message()));
                return;
            }
        };
        report.check(
            list.len() as u64 == USERS && ids(&list).len() == list.len(),
            name,
            || {
                format!(
                    "expected {USERS} distinct users, got {} ({} distinct ids)",
                    list.len(),
                    ids(&list).len()
                )
            },
        );
        let user_schema = User::json_schema();
        let invalid = jsonschema::draft202012::new(&user_schema)
            .map(|v| {
                list.iter()
                    .filter(|u| !v.is_valid(&serde_json::to_value(u).unwrap_or_default()))
                    .count()
            })
            .unwrap_or(list.len());
        report.check(
            invalid == 0,
            "exported users satisfy the User schema",
            || format!("{invalid} user(s) do not"),
        );
        self.check_expected_fields(report, &tenant, &list);
    }

    /// An export over many small pages yields every user once: no duplicate, no gap.
    pub async fn check_paging(&self, report: &mut ConformanceReport) {
        let name = "many small pages: every user once, no duplicate, no gap";
        if self.descriptor.max_page_size().is_none() {
            report.skip(
                name,
                "the provider declares no page size (with_max_page_size)",
            );
            return;
        }
        let options = ExportOptions::new().with_page_size(SMALL_PAGE);
        let scenario = Scenario::Healthy { users: USERS };
        let Some(run) = self
            .export_scenario(report, scenario, name, options, "small pages")
            .await
        else {
            return;
        };
        // The page size was honoured: pages of at most SMALL_PAGE records, and as many as
        // that takes (a provider that asks for everything at once passes the count above).
        let (pages, largest) = (run.summary.pages, run.summary.largest_page);
        let least = USERS.div_ceil(u64::from(SMALL_PAGE));
        report.check(
            run.users.is_ok() && largest <= u64::from(SMALL_PAGE) && pages >= least,
            &format!("a page size of {SMALL_PAGE} is honoured: pages of at most {SMALL_PAGE} records"),
            || format!("{pages} page(s) counted, the largest of {largest} records, for {USERS} users at page size {SMALL_PAGE} (at least {least} pages expected; a provider counts its pages with ExportStats::add_page, which core's listings do)"),
        );
        self.check_exact(report, name, run, USERS);
    }

    /// The export of a scenario's `users` completes with every user exactly once, and the
    /// provider fetched no record twice (the SDK drops repeats, but a healthy mock sends none,
    /// so a repeat means the provider's paging overlaps).
    fn check_exact(&self, report: &mut ConformanceReport, name: &str, run: Run, users: u64) {
        let repeats = run.summary.duplicates;
        match run.users {
            Ok(list) => report.check(
                list.len() as u64 == users && ids(&list).len() == list.len() && repeats == 0,
                name,
                || {
                    format!(
                        "expected {users} distinct users, got {} ({} distinct ids; {repeats} fetched twice and dropped)",
                        list.len(),
                        ids(&list).len()
                    )
                },
            ),
            Err(e) => report.check(false, name, || format!("failed: {}", e.full_message())),
        }
    }

    /// A section the API withholds (200, some users' data missing) is counted as partial or
    /// fails the export by name: never silent nulls.
    pub async fn check_withheld_fields(&self, report: &mut ConformanceReport) {
        let name = "a withheld section is counted or refused, never silent";
        let scenario = Scenario::WithheldFields { users: USERS };
        let Some(run) = self
            .export_scenario(
                report,
                scenario,
                name,
                ExportOptions::new(),
                "withheld fields",
            )
            .await
        else {
            return;
        };
        let partial: u64 = run.summary.partial.values().sum();
        match &run.users {
            Ok(list) => report.check(partial > 0, name, || {
                format!("{} users exported, none counted as partial: the missing section became silent nulls (count them with ExportStats::add_partial)", list.len())
            }),
            Err(e) => report.check(!e.message().trim().is_empty(), name, || {
                "the export failed without saying why".into()
            }),
        }
    }

    /// Run-time credentials that expire mid-export are renewed and the export completes.
    pub async fn check_expiring_credentials(&self, report: &mut ConformanceReport) {
        let name = "credentials that expire mid-export are renewed";
        let scenario = Scenario::ExpiringCredentials { users: USERS };
        let Some(tenant) = self.tenant(report, scenario, name).await else {
            return;
        };
        let mut options = ExportOptions::new();
        if self.descriptor.max_page_size().is_some() {
            options = options.with_page_size(SMALL_PAGE);
        }
        let run = self
            .export(report, &tenant, options, "expiring credentials")
            .await;
        self.check_exact(report, name, run, USERS);
    }

    /// A rate limit at the start of the export is waited out and the export completes.
    pub async fn check_rate_limited(&self, report: &mut ConformanceReport) {
        let name = "a rate limit is waited out and the export completes exactly";
        let scenario = Scenario::RateLimited { users: USERS };
        let Some(run) = self
            .export_scenario(report, scenario, name, ExportOptions::new(), "rate limited")
            .await
        else {
            return;
        };
        self.check_exact(report, name, run, USERS);
    }

    /// A record that cannot be decoded is skipped and counted (or the export fails with a
    /// protocol error); it is never lost silently.
    pub async fn check_malformed_record(&self, report: &mut ConformanceReport) {
        let name = "a malformed record is counted or refused, never lost silently";
        let scenario = Scenario::MalformedRecord { users: USERS };
        let Some(run) = self
            .export_scenario(
                report,
                scenario,
                name,
                ExportOptions::new(),
                "malformed record",
            )
            .await
        else {
            return;
        };
        match run.users {
            Ok(list) => {
                // A user may span several records (UKG: two endpoints), so: something was
                // counted, nothing was invented, and what is missing is accounted for.
                let malformed = run.summary.malformed;
                let exported = list.len() as u64;
                report.check(
                    malformed >= 1 && exported <= USERS && exported + malformed >= USERS,
                    name,
                    || {
                        format!(
                            "{} users exported and {malformed} counted as malformed, of {USERS}",
                            list.len()
                        )
                    },
                )
            }
            Err(e) => report.check(e.kind() == &ErrorKind::Protocol, name, || {
                format!(
                    "failed with a {} error: {}",
                    e.kind().name(),
                    e.full_message()
                )
            }),
        }
    }

    /// Filters the provider supports return exactly the matching users.
    pub async fn check_filters(&self, report: &mut ConformanceReport) {
        let name = "filters return exactly the matching users";
        if self.descriptor.filters().is_empty() {
            report.skip(name, "the provider declares no filter");
            return;
        }
        let Some(tenant) = self
            .tenant(report, Scenario::Healthy { users: USERS }, name)
            .await
        else {
            return;
        };
        let all = match self
            .export(report, &tenant, ExportOptions::new(), "unfiltered")
            .await
            .users
        {
            Ok(all) => all,
            Err(e) => return report.check(false, name, || format!("failed: {}", e.full_message())),
        };
        let mut cases: Vec<(String, ExportOptions, Vec<&User>)> = Vec::new();
        if self.descriptor.supports(Filter::Status) {
            let status = most_common(all.iter().map(|u| u.status)).unwrap_or(UserStatus::Active);
            let expected = all.iter().filter(|u| u.status == status).collect();
            let options = ExportOptions::new().with_statuses(vec![status]);
            cases.push((format!("status {status}"), options, expected));
        }
        if self.descriptor.supports(Filter::Company) {
            if let Some(company) = most_common(all.iter().filter_map(|u| u.company_id.clone())) {
                let expected = all
                    .iter()
                    .filter(|u| u.company_id.as_deref() == Some(company.as_str()))
                    .collect();
                let options = ExportOptions::new().with_company(company.clone());
                cases.push((format!("company {company}"), options, expected));
            }
        }
        for (what, options, expected) in cases {
            let got = self.export(report, &tenant, options, &what).await.users;
            let want: BTreeSet<&str> = expected.iter().map(|u| u.id.as_str()).collect();
            report.check(
                got.as_ref()
                    .is_ok_and(|g| ids(g) == want && g.len() == want.len()),
                &format!("the {what} filter returns exactly the matching users"),
                || match &got {
                    Ok(g) => format!("{} users instead of {}", g.len(), want.len()),
                    Err(e) => format!("failed: {}", e.full_message()),
                },
            );
        }
    }

    /// An empty tenant is an empty export.
    pub async fn check_empty(&self, report: &mut ConformanceReport) {
        let name = "an empty tenant is an empty export";
        let Some(run) = self
            .export_scenario(report, Scenario::Empty, name, ExportOptions::new(), "empty")
            .await
        else {
            return;
        };
        report.check(
            matches!(&run.users, Ok(l) if l.is_empty()),
            name,
            || match &run.users {
                Ok(l) => format!("got {} users", l.len()),
                Err(e) => format!("got an error: {e}"),
            },
        );
    }

    /// Without the export's permission, the export fails as a permission error with a hint.
    pub async fn check_export_denied(&self, report: &mut ConformanceReport) {
        let name = "an export without its permission fails as a permission error with a hint";
        if !self.descriptor.can(Capability::UserExport) {
            return;
        }
        let Some(run) = self
            .export_scenario(
                report,
                Scenario::DenyPermission,
                name,
                ExportOptions::new(),
                "permission denied",
            )
            .await
        else {
            return;
        };
        report.check(
            run.users.as_ref().is_err_and(|e| {
                matches!(e.kind(), ErrorKind::Permission { .. }) && e.hint().is_some()
            }),
            name,
            || match &run.users {
                Ok(l) => format!("exported {} users instead", l.len()),
                Err(e) => format!("failed as {}: {}", e.kind().name(), e.full_message()),
            },
        );
    }
}

/// The most frequent value (ties: the first seen).
fn most_common<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> Option<T> {
    let mut counts: Vec<(T, usize)> = Vec::new();
    for item in items {
        match counts.iter_mut().find(|(v, _)| *v == item) {
            Some((_, n)) => *n += 1,
            None => counts.push((item, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(v, _)| v)
}
