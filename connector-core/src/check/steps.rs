//! Steps most providers share, run from what the provider already declared: its endpoints
//! reachable, and authentication, permission and decoding proven by the export's own listing
//! (so the test checks the very request the export sends).

use serde::de::DeserializeOwned;

use super::Checklist;
use crate::http::HttpClient;
use crate::paginate::Listing;

/// The step ids and pass messages of [`Checklist::listing_steps`].
#[derive(Debug, Clone, Copy)]
pub struct ListingSteps<'a> {
    /// The step that passes when the credentials are accepted (`authenticated`), and what it
    /// says then ("Entra ID issued a token for Microsoft Graph").
    pub authenticated: (&'a str, &'a str),
    /// The permission step (a 403 fails it, naming the listing's permission), and what it says
    /// when it passes.
    pub permitted: (&'a str, &'a str),
    /// The step that passes when a record decodes with every field the export reads
    /// (`users_readable`).
    pub readable: &'a str,
}

impl Checklist {
    /// Runs `reachable` (the API's host: DNS, TCP, TLS, no credentials) and, when the plan
    /// declares it, `token_service_reachable` (the token service the client's authentication
    /// uses, on a host of its own): one step per endpoint the provider talks to.
    pub async fn endpoints_reachable(&mut self, http: &HttpClient) {
        self.run("reachable", || async { Ok(http.probe().await?.summary) })
            .await;
        if self.plan.iter().any(|s| s.id == "token_service_reachable") {
            self.run("token_service_reachable", || async {
                Ok(http.probe_token_service().await?.summary)
            })
            .await;
        }
    }

    /// Three steps from the export's own listing ([`Listing::first_request`] at one record):
    /// `authenticated` sends it (a refused token, a 401 or no answer fails it), `permitted`
    /// checks that answer's status (a 403 names the listing's permission and its grant), and
    /// `readable` reads the first record and decodes it strictly ([`Listing::first_records`]:
    /// a field of the wrong type is named). A step whose prerequisite failed is skipped.
    pub async fn listing_steps<T>(
        &mut self,
        http: &HttpClient,
        listing: &Listing,
        steps: ListingSteps<'_>,
    ) where
        T: DeserializeOwned + Send + 'static,
    {
        let permission = listing.required_permission();
        let mut answer = None;
        self.run(steps.authenticated.0, || async {
            let got = http.send(&listing.first_request(1)).await?;
            if got.status.as_u16() == 401 {
                http.check_status(&got, permission)?;
            }
            answer = Some(got);
            Ok(steps.authenticated.1.to_owned())
        })
        .await;
        self.run(steps.permitted.0, || async {
            if let Some(answer) = &answer {
                http.check_status(answer, permission)?;
            }
            Ok(steps.permitted.1.to_owned())
        })
        .await;
        self.run(steps.readable, || async {
            Ok(match listing.first_records::<T>(http, 1).await?.len() {
                0 => "the export's listing answers (no users yet)".to_owned(),
                _ => "a user read with every field the export reads".to_owned(),
            })
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use url::Url;
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::auth::{NoAuth, OAuth2ClientCredentials};
    use crate::check::{CheckStep, StepStatus, TestReport};
    use crate::http::{HttpConfig, Request};
    use crate::Secret;

    const STEPS: &[CheckStep] = &[
        CheckStep::reachable(),
        CheckStep::token_service_reachable(),
        CheckStep::authenticated(),
        CheckStep::permission("permission_users", "Users", "the users:read scope"),
        CheckStep::new("users_readable", "Users readable", &["permission_users"]),
    ];

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Record {
        id: String,
        active: bool,
    }

    /// The listing the steps read: `/users?limit=1`, records at `/data`.
    fn listing() -> Listing {
        Listing::new(Request::get("/users"))
            .records_at("/data")
            .cursor("after", "/next", Some("limit"))
            .page_size(500)
            .permission("users:read")
    }

    /// The three listing steps against an API answering `/users` with `status` and `body`;
    /// the statuses of authenticated, permission and readable.
    async fn statuses(status: u16, body: serde_json::Value) -> (TestReport, [StepStatus; 3]) {
        let api = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/users"))
            .and(query_param("limit", "1"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&api)
            .await;
        let http = HttpClient::new(
            "t",
            Url::parse(&api.uri()).unwrap(),
            NoAuth,
            HttpConfig::default(),
        )
        .unwrap();
        let mut checks = Checklist::new("t", STEPS);
        checks.record("settings", Ok("valid".into()), std::time::Duration::ZERO);
        checks.record("reachable", Ok("yes".into()), std::time::Duration::ZERO);
        let steps = ListingSteps {
            authenticated: ("authenticated", "token accepted"),
            permitted: ("permission_users", "users may be listed"),
            readable: "users_readable",
        };
        checks
            .listing_steps::<Record>(&http, &listing(), steps)
            .await;
        let report = checks.finish();
        let of = |id: &str| report.step(id).unwrap().status;
        let got = [
            of("authenticated"),
            of("permission_users"),
            of("users_readable"),
        ];
        (report, got)
    }

    /// Each outcome fails the step it belongs to, and only that one: 401 the credentials,
    /// 403 the permission (named), a record of the wrong shape the decoding (the field named).
    #[tokio::test]
    async fn listing_steps_put_each_failure_on_its_own_step() {
        use StepStatus::*;
        let (_, got) = statuses(200, json!({"data": [{"id": "1", "active": true}]})).await;
        assert_eq!(got, [Passed, Passed, Passed]);
        let (report, got) = statuses(401, json!({})).await;
        assert_eq!(got, [Failed, Skipped, Skipped], "{report:?}");
        let (report, got) = statuses(403, json!({})).await;
        assert_eq!(got, [Passed, Failed, Skipped]);
        let failed = report.step("permission_users").unwrap();
        assert!(failed.message.contains("users:read"), "{failed:?}");
        let (report, got) = statuses(200, json!({"data": [{"id": "1", "active": "yes"}]})).await;
        assert_eq!(got, [Passed, Passed, Failed]);
        let failed = report.step("users_readable").unwrap();
        assert!(failed.message.contains("active"), "{failed:?}");
        let (report, got) = statuses(200, json!({"data": []})).await;
        assert_eq!(got, [Passed, Passed, Passed]);
        assert!(report
            .step("users_readable")
            .unwrap()
            .message
            .contains("no users yet"));
    }

    /// The token service on another origin is probed as a step of its own; a closed port
    /// fails it and not `reachable`.
    #[tokio::test]
    async fn endpoints_reachable_probes_the_token_service_the_client_uses() {
        let api = MockServer::start().await;
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let token = Url::parse(&format!(
            "http://{}/oauth/token",
            closed.local_addr().unwrap()
        ))
        .unwrap();
        drop(closed);
        let auth = OAuth2ClientCredentials::new(token, "id", Secret::new("s3cret-value"));
        let http = HttpClient::new(
            "t",
            Url::parse(&api.uri()).unwrap(),
            auth,
            HttpConfig {
                url_field: HttpConfig::FIXED_HOST,
                ..HttpConfig::default()
            },
        )
        .unwrap();
        let mut checks = Checklist::new("t", STEPS);
        checks.record("settings", Ok("valid".into()), std::time::Duration::ZERO);
        checks.endpoints_reachable(&http).await;
        let report = checks.finish();
        assert_eq!(report.step("reachable").unwrap().status, StepStatus::Passed);
        let token_step = report.step("token_service_reachable").unwrap();
        assert_eq!(token_step.status, StepStatus::Failed, "{token_step:?}");
        assert!(!format!("{report:?}").contains("s3cret-value"));
    }
}
