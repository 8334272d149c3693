//! Connection tests: an ordered list of named steps, each passed, failed or skipped, with a
//! message, a fix-it hint and its duration. Serializable to JSON for UIs and `--json`.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

mod steps;
pub use steps::ListingSteps;

/// One step of a provider's connection test, declared up front so that every report lists
/// every step (skipped ones included) in the same order. Built with the typed constructors:
///
/// ```
/// use connector_core::check::CheckStep;
/// const STEPS: &[CheckStep] = &[
///     CheckStep::reachable(),
///     CheckStep::authenticated(),
///     CheckStep::permission("users_read", "Scope: users:read", "give the API token the `users:read` scope"),
/// ];
/// assert_eq!(STEPS[2].requires, ["authenticated"]);
/// assert_eq!(STEPS[2].grant, Some("give the API token the `users:read` scope"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckStep {
    /// Stable identifier (`authenticated`, `permission_personnel_integration`, ...).
    pub id: &'static str,
    /// Human title shown in checklists ("Authenticated").
    pub title: &'static str,
    /// Steps that must have passed for this one to run.
    pub requires: &'static [&'static str],
    /// For a permission step: what an administrator grants, in the provider's own words
    /// ("View on the “Personnel Integration” web service", "the `users:read` scope").
    pub grant: Option<&'static str>,
}

impl CheckStep {
    /// A step `id` titled `title` that runs once `requires` passed.
    pub const fn new(
        id: &'static str,
        title: &'static str,
        requires: &'static [&'static str],
    ) -> Self {
        CheckStep {
            id,
            title,
            requires,
            grant: None,
        }
    }

    /// `reachable`: the API's host answers (DNS, TCP, TLS), no credentials sent.
    pub const fn reachable() -> Self {
        CheckStep::new("reachable", "Host reachable", &[])
    }

    /// `token_service_reachable`: the token service on a host of its own (an OAuth2 token
    /// URL) answers, no credentials sent ([`Checklist::endpoints_reachable`]).
    pub const fn token_service_reachable() -> Self {
        CheckStep::new("token_service_reachable", "Token service reachable", &[])
    }

    /// `authenticated`: the credentials are accepted; after `reachable`.
    pub const fn authenticated() -> Self {
        CheckStep::new("authenticated", "Authenticated", &["reachable"])
    }

    /// A permission the export needs, after `authenticated`; `grant` says in the provider's
    /// words what an administrator grants.
    pub const fn permission(id: &'static str, title: &'static str, grant: &'static str) -> Self {
        CheckStep {
            id,
            title,
            requires: &["authenticated"],
            grant: Some(grant),
        }
    }
}

/// The first step of every connection test, run by the SDK itself: settings validate.
pub const SETTINGS_STEP: CheckStep = CheckStep::new("settings", "Settings are valid", &[]);

/// Outcome of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The step ran and succeeded.
    Passed,
    /// The step ran and failed.
    Failed,
    /// The step did not run because a step it requires did not pass.
    Skipped,
}

/// The result of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// The step's id.
    pub id: &'static str,
    /// The step's title.
    pub title: &'static str,
    /// Passed, failed or skipped.
    pub status: StepStatus,
    /// What was found.
    pub message: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The settings fields the hint's fix concerns (`base_url`, `password`), for a settings
    /// form to point at; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hint_fields: Vec<String>,
    /// The kind of failure ([`ErrorKind::name`]), for failed steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<&'static str>,
    /// How long the step took, in milliseconds.
    pub duration_ms: u64,
    /// The failure's kind, for programs (not serialized; see `error_kind`).
    #[serde(skip)]
    pub error: Option<ErrorKind>,
}

/// A whole connection test.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// The provider id.
    pub provider: &'static str,
    /// True when every step passed.
    pub passed: bool,
    /// The steps, in order.
    pub steps: Vec<StepReport>,
    /// Total time, in milliseconds.
    pub duration_ms: u64,
}

impl TestReport {
    /// The first failed step, if any.
    pub fn first_failure(&self) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.status == StepStatus::Failed)
    }

    /// The step with `id`.
    pub fn step(&self, id: &str) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// Runs a connection test's steps in order, skipping those whose prerequisites did not pass.
///
/// ```
/// use connector_core::check::{CheckStep, Checklist, StepStatus};
/// use connector_core::{Error, ErrorKind};
///
/// const STEPS: &[CheckStep] = &[CheckStep::reachable(), CheckStep::authenticated()];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut checks = Checklist::new("example", STEPS);
/// checks.record("settings", Ok("valid".into()), std::time::Duration::ZERO);
/// checks
///     .run("reachable", || async {
///         Err(Error::new("example", ErrorKind::Protocol, "no"))
///     })
///     .await;
/// checks.run("authenticated", || async { Ok("yes".into()) }).await;
/// let report = checks.finish();
/// assert_eq!(report.steps[2].status, StepStatus::Skipped);
/// assert!(!report.passed);
/// # });
/// ```
pub struct Checklist {
    provider: &'static str,
    plan: Vec<CheckStep>,
    results: Vec<Option<StepReport>>,
    started: Instant,
    watch: Option<StepWatch>,
}

/// Called with each step's result as soon as it is known (a console shows the steps appear
/// live); see [`Checklist::watched`].
pub type StepWatch = std::sync::Arc<dyn Fn(&StepReport) + Send + Sync>;

impl std::fmt::Debug for Checklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checklist")
            .field("provider", &self.provider)
            .field("results", &self.results)
            .finish_non_exhaustive()
    }
}

impl Checklist {
    /// A checklist for `provider`: [`SETTINGS_STEP`] followed by `steps`. Every step implicitly
    /// requires the settings step.
    pub fn new(provider: &'static str, steps: &[CheckStep]) -> Self {
        let mut plan = vec![SETTINGS_STEP];
        plan.extend_from_slice(steps);
        Checklist {
            provider,
            results: vec![None; plan.len()],
            plan,
            started: Instant::now(),
            watch: None,
        }
    }

    /// The checklist that tells `watch` each step's result as soon as it is recorded (run,
    /// failed or skipped), in the order they are settled.
    pub fn watched(mut self, watch: Option<StepWatch>) -> Self {
        self.watch = watch;
        self
    }

    /// Stores step `i`'s result and tells the watcher.
    fn settle(&mut self, i: usize, report: StepReport) {
        if let Some(watch) = &self.watch {
            watch(&report);
        }
        self.results[i] = Some(report);
    }

    /// The provider id.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    fn index(&self, id: &str) -> usize {
        self.plan
            .iter()
            .position(|s| s.id == id)
            .unwrap_or_else(|| {
                panic!(
                    "step `{id}` is not declared for provider `{}`",
                    self.provider
                )
            })
    }

    fn passed(&self, id: &str) -> bool {
        let i = self.index(id);
        matches!(&self.results[i], Some(r) if r.status == StepStatus::Passed)
    }

    /// The first prerequisite of `id` that has not passed.
    fn blocker(&self, id: &str) -> Option<&'static str> {
        let step = self.plan[self.index(id)];
        std::iter::once(SETTINGS_STEP.id)
            .filter(|_| step.id != SETTINGS_STEP.id)
            .chain(step.requires.iter().copied())
            .find(|req| !self.passed(req))
            .map(|req| self.plan[self.index(req)].title)
    }

    /// Runs step `id` unless a prerequisite did not pass (then records it as skipped without
    /// calling `f`). Returns whether the step passed.
    ///
    /// # Panics
    ///
    /// When `id` was not declared: a bug in the provider, caught by its tests.
    pub async fn run<F, Fut>(&mut self, id: &str, f: F) -> bool
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String>>,
    {
        if let Some(blocker) = self.blocker(id) {
            self.skip(id, blocker);
            return false;
        }
        let started = Instant::now();
        let outcome = f().await;
        self.record(id, outcome, started.elapsed())
    }

    fn skip(&mut self, id: &str, blocker: &str) {
        let i = self.index(id);
        let step = self.plan[i];
        self.settle(
            i,
            StepReport {
                id: step.id,
                title: step.title,
                status: StepStatus::Skipped,
                message: format!("not run because \u{201c}{blocker}\u{201d} did not pass"),
                hint: None,
                hint_fields: Vec::new(),
                error_kind: None,
                duration_ms: 0,
                error: None,
            },
        );
    }

    /// Records the outcome of step `id` that was run by other means. Returns whether it passed.
    pub fn record(&mut self, id: &str, outcome: Result<String>, took: Duration) -> bool {
        let i = self.index(id);
        let step = self.plan[i];
        let duration_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        let report = match outcome {
            Ok(message) => StepReport {
                id: step.id,
                title: step.title,
                status: StepStatus::Passed,
                // A step's own words may quote the server; no secret goes into a report.
                message: crate::redact::scrub(&message).into_owned(),
                hint: None,
                hint_fields: Vec::new(),
                error_kind: None,
                duration_ms,
                error: None,
            },
            Err(error) => failed_step(step, &error, duration_ms),
        };
        let passed = report.status == StepStatus::Passed;
        self.settle(i, report);
        passed
    }

    /// Ends a test that ran out of `limit`: the first step that neither ran nor was blocked
    /// fails as a timeout naming `target` (the host the test talks to) and the time waited;
    /// the steps after it are skipped by [`finish`](Self::finish).
    pub fn out_of_time(&mut self, limit: Duration, target: &str) {
        let Some(i) = (0..self.plan.len())
            .find(|i| self.results[*i].is_none() && self.blocker(self.plan[*i].id).is_none())
        else {
            return;
        };
        let error = Error::new(
            self.provider,
            ErrorKind::Network(crate::error::NetworkKind::Timeout),
            format!(
                "no answer from {target} within {} s (the connection test's time limit)",
                limit.as_secs()
            ),
        )
        .with_hint("the host accepts connections but does not answer in time: check that the URL points at the service (not a login page or a firewall that holds connections), then try again");
        let took = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let report = failed_step(self.plan[i], &error, took);
        self.settle(i, report);
    }

    /// Ends the test: steps that were never run are reported as skipped.
    pub fn finish(mut self) -> TestReport {
        for i in 0..self.plan.len() {
            if self.results[i].is_none() {
                let id = self.plan[i].id;
                let blocker = self.blocker(id).unwrap_or("an earlier step");
                self.skip(id, blocker);
            }
        }
        let steps: Vec<StepReport> = self.results.into_iter().flatten().collect();
        TestReport {
            provider: self.provider,
            passed: steps.iter().all(|s| s.status == StepStatus::Passed),
            steps,
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

fn failed_step(step: CheckStep, error: &Error, duration_ms: u64) -> StepReport {
    StepReport {
        id: step.id,
        title: step.title,
        status: StepStatus::Failed,
        message: match error.endpoint() {
            Some(endpoint) => format!("{endpoint}: {}", error.message()),
            None => error.message().to_owned(),
        },
        hint: error.hint().map(str::to_owned),
        hint_fields: error.hint_fields().to_vec(),
        error_kind: Some(error.kind().name()),
        duration_ms,
        error: Some(error.kind().clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[CheckStep] = &[
        CheckStep::new("reach", "Reachable", &[]),
        CheckStep::new("auth", "Authenticated", &["reach"]),
        CheckStep::new("perm_a", "Permission A", &["auth"]),
        CheckStep::new("perm_b", "Permission B", &["auth"]),
    ];

    fn fail(kind: ErrorKind) -> Result<String> {
        Err(Error::new("t", kind, "boom").with_hint("do this"))
    }

    #[tokio::test]
    async fn independent_steps_after_a_failure_still_run() {
        let mut c = Checklist::new("t", STEPS);
        c.record("settings", Ok("ok".into()), Duration::ZERO);
        c.run("reach", || async { Ok("up".to_string()) }).await;
        c.run("auth", || async { Ok("in".to_string()) }).await;
        let perm = ErrorKind::Permission {
            permission: "A".into(),
        };
        c.run("perm_a", || async { fail(perm) }).await;
        c.run("perm_b", || async { Ok("fine".to_string()) }).await;
        let r = c.finish();
        let statuses: Vec<_> = r.steps.iter().map(|s| s.status).collect();
        use StepStatus::*;
        assert_eq!(statuses, [Passed, Passed, Passed, Failed, Passed]);
        assert!(!r.passed);
        let failed = r.first_failure().unwrap();
        assert_eq!(failed.id, "perm_a");
        assert_eq!(failed.hint.as_deref(), Some("do this"));
        assert_eq!(failed.error_kind, Some("permission"));
    }

    #[tokio::test]
    async fn dependants_are_skipped_and_not_run() {
        let mut c = Checklist::new("t", STEPS);
        c.record("settings", Ok("ok".into()), Duration::ZERO);
        c.run("reach", || async {
            fail(ErrorKind::Network(crate::NetworkKind::Dns))
        })
        .await;
        let mut ran = false;
        c.run("auth", || {
            ran = true;
            async { Ok(String::new()) }
        })
        .await;
        assert!(!ran, "a step whose prerequisite failed must not run");
        let r = c.finish();
        assert_eq!(r.step("auth").unwrap().status, StepStatus::Skipped);
        assert!(r.step("auth").unwrap().message.contains("Reachable"));
        assert_eq!(r.step("perm_b").unwrap().status, StepStatus::Skipped);
        assert!(r.step("perm_b").unwrap().message.contains("Authenticated"));
    }

    #[test]
    fn failed_settings_skip_everything_and_serialize() {
        let mut c = Checklist::new("t", STEPS);
        c.record(
            "settings",
            fail(ErrorKind::InvalidSettings(vec![])),
            Duration::from_millis(3),
        );
        let r = c.finish();
        assert!(r.steps[1..].iter().all(|s| s.status == StepStatus::Skipped));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["steps"][0]["status"], "failed");
        assert_eq!(json["steps"][0]["duration_ms"], 3);
        assert_eq!(json["steps"][0]["error_kind"], "invalid_settings");
        assert_eq!(json["steps"][1]["status"], "skipped");
        assert_eq!(json["passed"], false);
    }
}
