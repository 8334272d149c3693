//! The normalized user every provider exports, and the export contract: an async stream of
//! users with live statistics.

use std::fmt;

use jiff::civil::{Date, DateTime};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod export;
pub use export::{ExportStats, ExportSummary, UserExport, UserStream};

/// Employment status, normalized across providers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Working.
    Active,
    /// On leave (of absence, strike, ...); expected back.
    Leave,
    /// Suspended.
    Suspended,
    /// Employment ended.
    Terminated,
    /// Not working and not expected back soon (released, laid off, ...).
    Inactive,
    /// The provider's code is not one the SDK knows; see `provider_status`.
    Unknown,
}

impl UserStatus {
    /// Every status, in display order.
    pub const ALL: [UserStatus; 6] = [
        UserStatus::Active,
        UserStatus::Leave,
        UserStatus::Suspended,
        UserStatus::Terminated,
        UserStatus::Inactive,
        UserStatus::Unknown,
    ];

    /// The snake_case name (`active`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Leave => "leave",
            UserStatus::Suspended => "suspended",
            UserStatus::Terminated => "terminated",
            UserStatus::Inactive => "inactive",
            UserStatus::Unknown => "unknown",
        }
    }

    /// Parses a name (case-insensitive).
    pub fn parse(text: &str) -> Option<UserStatus> {
        let text = text.trim();
        UserStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person as an HR system knows them, normalized across providers. Sensitive personal data
/// (government ids, birth date, home address, phone numbers) is never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "User")]
#[non_exhaustive]
pub struct User {
    /// The provider's stable id of the person's employment (UKG Pro: the employee id).
    pub id: String,
    /// The company (legal entity) the employment belongs to.
    pub company_id: Option<String>,
    /// The employee number shown to people (often differs from `id`).
    pub employee_number: Option<String>,
    /// The sign-in user name.
    pub username: Option<String>,
    /// Legal first name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Preferred first name.
    pub preferred_name: Option<String>,
    /// Preferred (or first) name followed by last name.
    pub display_name: Option<String>,
    /// Work e-mail address. Not necessarily unique.
    pub email: Option<String>,
    /// Alternate e-mail address.
    pub alternate_email: Option<String>,
    /// Job title (the role).
    pub job_title: Option<String>,
    /// Department or top org-level code.
    pub department: Option<String>,
    /// The `id` of the person's manager.
    pub manager_id: Option<String>,
    /// Normalized status.
    pub status: UserStatus,
    /// The provider's raw status code.
    pub provider_status: Option<String>,
    /// Hire date (`YYYY-MM-DD`).
    pub hire_date: Option<Date>,
    /// Termination date (`YYYY-MM-DD`).
    pub termination_date: Option<Date>,
    /// When the provider last changed the record (`YYYY-MM-DDTHH:MM:SS`, the provider's
    /// clock; no time zone is implied).
    pub updated_at: Option<DateTime>,
}

impl User {
    /// The field names, in output (CSV column) order.
    pub const FIELDS: [&'static str; 18] = [
        "id",
        "company_id",
        "employee_number",
        "username",
        "first_name",
        "last_name",
        "preferred_name",
        "display_name",
        "email",
        "alternate_email",
        "job_title",
        "department",
        "manager_id",
        "status",
        "provider_status",
        "hire_date",
        "termination_date",
        "updated_at",
    ];

    /// The JSON Schema (draft 2020-12) of a user record, as exported.
    pub fn json_schema() -> serde_json::Value {
        let mut doc = schemars::generate::SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<User>()
            .to_value();
        doc["description"] = serde_json::Value::String(
            "A person as an HR system knows them, normalized across providers; one record of a user export.".into(),
        );
        doc
    }

    /// A user with only an id; every other field empty and status unknown.
    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            company_id: None,
            employee_number: None,
            username: None,
            first_name: None,
            last_name: None,
            preferred_name: None,
            display_name: None,
            email: None,
            alternate_email: None,
            job_title: None,
            department: None,
            manager_id: None,
            status: UserStatus::Unknown,
            provider_status: None,
            hire_date: None,
            termination_date: None,
            updated_at: None,
        }
    }

    /// Whether each of [`User::FIELDS`] has a value (`status` counts when not `unknown`).
    pub fn presence(&self) -> [bool; 18] {
        let s = |v: &Option<String>| v.as_deref().is_some_and(|t| !t.is_empty());
        [
            !self.id.is_empty(),
            s(&self.company_id),
            s(&self.employee_number),
            s(&self.username),
            s(&self.first_name),
            s(&self.last_name),
            s(&self.preferred_name),
            s(&self.display_name),
            s(&self.email),
            s(&self.alternate_email),
            s(&self.job_title),
            s(&self.department),
            s(&self.manager_id),
            self.status != UserStatus::Unknown,
            s(&self.provider_status),
            self.hire_date.is_some(),
            self.termination_date.is_some(),
            self.updated_at.is_some(),
        ]
    }

    /// The system's own display name when it has one that is not blank, else one built from
    /// the names ([`derive_display_name`](Self::derive_display_name)). Set the names first.
    pub fn set_display_name(&mut self, given: Option<String>) {
        match given.filter(|d| !d.trim().is_empty()) {
            Some(display) => self.display_name = Some(display),
            None => self.derive_display_name(),
        }
    }

    /// Builds `display_name` from the preferred (or first) name and the last name.
    pub fn derive_display_name(&mut self) {
        let first = self
            .preferred_name
            .as_deref()
            .or(self.first_name.as_deref());
        let name = match (first, self.last_name.as_deref()) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(f), None) => f.to_owned(),
            (None, Some(l)) => l.to_owned(),
            (None, None) => return,
        };
        self.display_name = Some(name);
    }
}

/// What to export.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExportOptions {
    /// Only users with one of these statuses (empty: all).
    pub statuses: Vec<UserStatus>,
    /// Only users of this company.
    pub company_id: Option<String>,
    /// Rows per request, overriding the provider's setting.
    pub page_size: Option<u32>,
    /// The most users an export may yield before it stops with an error (a listing that never
    /// ends); default [`ExportOptions::DEFAULT_MAX_USERS`].
    pub max_users: Option<u64>,
    /// The caller will stop after this many users (a peek such as `--limit 5`): a provider
    /// fetches no page speculatively beyond what that many users need, so a peek does not
    /// spend a tenant's request quota on pages nobody reads.
    pub wanted: Option<u64>,
}

impl ExportOptions {
    /// The default ceiling on users per export: far above any real tenant, low enough that a
    /// listing that never ends stops within minutes.
    pub const DEFAULT_MAX_USERS: u64 = 5_000_000;

    /// All users, provider defaults.
    pub fn new() -> Self {
        ExportOptions::default()
    }

    /// Only users with one of `statuses`.
    pub fn with_statuses(mut self, statuses: Vec<UserStatus>) -> Self {
        self.statuses = statuses;
        self
    }

    /// Only users of `company_id`.
    pub fn with_company(mut self, company_id: impl Into<String>) -> Self {
        self.company_id = Some(company_id.into());
        self
    }

    /// Rows per request.
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Only the first `n` users will be read (see [`ExportOptions::wanted`]).
    pub fn with_wanted(mut self, n: u64) -> Self {
        self.wanted = Some(n);
        self
    }

    /// Pages a listing may request ahead: `look_ahead`, but no more than the pages of
    /// `page_size` rows that [`wanted`](ExportOptions::wanted) users need (at least one).
    pub fn look_ahead(&self, look_ahead: usize, page_size: u32) -> usize {
        let needed = self.wanted.map_or(usize::MAX, |n| {
            usize::try_from(n.div_ceil(u64::from(page_size.max(1)))).unwrap_or(usize::MAX)
        });
        look_ahead.min(needed).max(1)
    }

    /// At most `max` users (see [`ExportOptions::max_users`]).
    pub fn with_max_users(mut self, max: u64) -> Self {
        self.max_users = Some(max);
        self
    }

    /// Whether `user` passes the status and company filters.
    pub fn matches(&self, user: &User) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&user.status))
            && self
                .company_id
                .as_deref()
                .is_none_or(|c| user.company_id.as_deref() == Some(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One listing's export: a mapping that depends on settings (a closure), pages and
    /// malformed records counted, errors passed through `on_error`.
    #[tokio::test]
    async fn from_pages_maps_with_a_closure_and_counts() {
        use crate::paginate::Page;
        use futures_util::StreamExt;
        let company = String::from("C7");
        let pages: crate::paginate::PageStream<&'static str> = futures_util::stream::iter(vec![
            Ok(Page {
                number: 1,
                items: vec!["a", "b"],
                malformed: vec!["record 3: no id".into()],
            }),
            Err(crate::Error::new(
                "t",
                crate::ErrorKind::Protocol,
                "page 2: broken",
            )),
        ])
        .boxed();
        let export = UserExport::from_pages(
            pages,
            "GET /people",
            move |id| {
                let mut user = User::new(id);
                user.company_id = Some(company.clone());
                user
            },
            |e| e.with_hint("the provider's hint"),
        );
        let stats = export.stats.clone();
        let items: Vec<_> = export.users.collect().await;
        assert_eq!(items.len(), 3);
        let first = items[0].as_ref().unwrap();
        assert_eq!(first.company_id.as_deref(), Some("C7"));
        let err = items[2].as_ref().unwrap_err();
        assert_eq!(err.hint(), Some("the provider's hint"));
        let summary = stats.snapshot();
        assert_eq!(
            (summary.pages, summary.records, summary.malformed),
            (1, 3, 1)
        );
        assert_eq!(
            summary.malformed_samples,
            ["GET /people page 1, record 3: no id"]
        );
    }

    #[test]
    fn fields_match_the_serialized_shape() {
        let user = User::new("E1");
        let value = serde_json::to_value(&user).unwrap();
        let keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, User::FIELDS);
        let schema = schemars::schema_for!(User);
        let props: Vec<_> = schema.as_value()["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(props, User::FIELDS);
    }

    #[test]
    fn json_schema_is_valid_and_accepts_users() {
        let schema = User::json_schema();
        jsonschema::draft202012::meta::validate(&schema).unwrap();
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let mut user = User::new("E1");
        user.hire_date = Some(jiff::civil::date(2020, 3, 15));
        assert!(validator.is_valid(&serde_json::to_value(&user).unwrap()));
        assert!(!validator.is_valid(&serde_json::json!({"id": "E1", "status": "retired"})));
    }

    #[test]
    fn dates_serialize_as_iso() {
        let mut user = User::new("E1");
        user.hire_date = Some(jiff::civil::date(2020, 3, 15));
        user.updated_at = Some(jiff::civil::date(2021, 1, 2).at(3, 4, 5, 0));
        let v = serde_json::to_value(&user).unwrap();
        assert_eq!(v["hire_date"], "2020-03-15");
        assert_eq!(v["updated_at"], "2021-01-02T03:04:05");
        assert_eq!(v["status"], "unknown");
        let back: User = serde_json::from_value(v).unwrap();
        assert_eq!(back, user);
    }

    #[test]
    fn display_name_prefers_the_preferred_name() {
        let mut u = User::new("1");
        u.first_name = Some("Robert".into());
        u.last_name = Some("Smith".into());
        u.derive_display_name();
        assert_eq!(u.display_name.as_deref(), Some("Robert Smith"));
        u.preferred_name = Some("Bob".into());
        u.derive_display_name();
        assert_eq!(u.display_name.as_deref(), Some("Bob Smith"));
    }

    #[test]
    fn filters() {
        let mut u = User::new("1");
        u.status = UserStatus::Leave;
        u.company_id = Some("C1".into());
        assert!(ExportOptions::new().matches(&u));
        assert!(ExportOptions::new()
            .with_statuses(vec![UserStatus::Leave])
            .matches(&u));
        assert!(!ExportOptions::new()
            .with_statuses(vec![UserStatus::Active])
            .matches(&u));
        assert!(ExportOptions::new().with_company("C1").matches(&u));
        assert!(!ExportOptions::new().with_company("C2").matches(&u));
        assert_eq!(
            UserStatus::parse(" Terminated "),
            Some(UserStatus::Terminated)
        );
        assert_eq!(UserStatus::parse("gone"), None);
    }

    #[test]
    fn stats_snapshot() {
        let s = ExportStats::default();
        s.add_page(10);
        s.add_page(3);
        s.add_malformed("page 2, record 4".into());
        s.add_partial("no employment");
        s.add_partial("no employment");
        let snap = s.clone().snapshot();
        assert_eq!((snap.pages, snap.records, snap.malformed), (2, 13, 1));
        assert_eq!(snap.partial["no employment"], 2);
        assert_eq!(snap.malformed_samples, ["page 2, record 4"]);
    }
}
