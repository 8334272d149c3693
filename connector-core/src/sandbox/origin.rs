//! [`start_origin`]: one loopback origin of a mock tenant (an API, a token service), on
//! wiremock, through the tenant's [`Chassis`]: every request numbered, logged and delayed,
//! the configured faults injected where asked, then answered by the mock's own function. A
//! tenant with several origins (Graph and its sign-in service) starts one per origin over the
//! same chassis.

use std::sync::Arc;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{loopback_listener, Chassis, Fault};
use crate::Result;

/// An answer of a mock: its status (for the request log) and the response.
pub type Answer = (u16, ResponseTemplate);

/// How an origin answers an injected fault (for a service whose errors have a body of their
/// own: SCIM's, say).
pub type FaultAnswer = Box<dyn Fn(Fault) -> Answer + Send + Sync>;

struct Origin<A> {
    chassis: Arc<Chassis>,
    faults: Option<FaultAnswer>,
    answer: A,
}

impl<A> Respond for Origin<A>
where
    A: Fn(&Request) -> Answer + Send + Sync + 'static,
{
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let fault = match &self.faults {
            Some(on_fault) => self.chassis.admit().err().map(on_fault),
            None => None,
        };
        let (status, template) = match fault {
            Some(answer) => answer,
            None => (self.answer)(req),
        };
        let target = &req.url[url::Position::BeforePath..url::Position::AfterQuery];
        self.chassis.answered(req.method.as_str(), target, status);
        template.set_delay(self.chassis.latency())
    }
}

/// Starts an origin on 127.0.0.1:`port` (0: any free port) that answers with `answer`;
/// `faults`: the chassis's injected faults (rate window, error rate, throttled first
/// requests) apply here (an API), or not (a token service, which sandboxes keep reliable).
/// It stops when the returned server is dropped.
pub async fn start_origin<A>(
    provider: &'static str,
    port: u16,
    chassis: Arc<Chassis>,
    faults: bool,
    answer: A,
) -> Result<MockServer>
where
    A: Fn(&Request) -> Answer + Send + Sync + 'static,
{
    let on_fault: Option<FaultAnswer> = faults.then(|| {
        Box::new(|fault: Fault| (fault.status(), ResponseTemplate::new(fault.status())))
            as FaultAnswer
    });
    serve(provider, port, chassis, on_fault, answer).await
}

/// [`start_origin`] with the chassis's faults answered by `on_fault` (a body of the
/// service's own for its 503s and 429s).
pub async fn start_origin_answering_faults<A>(
    provider: &'static str,
    port: u16,
    chassis: Arc<Chassis>,
    on_fault: FaultAnswer,
    answer: A,
) -> Result<MockServer>
where
    A: Fn(&Request) -> Answer + Send + Sync + 'static,
{
    serve(provider, port, chassis, Some(on_fault), answer).await
}

async fn serve<A>(
    provider: &'static str,
    port: u16,
    chassis: Arc<Chassis>,
    faults: Option<FaultAnswer>,
    answer: A,
) -> Result<MockServer>
where
    A: Fn(&Request) -> Answer + Send + Sync + 'static,
{
    let listener = loopback_listener(provider, port)?;
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(any())
        .respond_with(Origin {
            chassis,
            faults,
            answer,
        })
        .mount(&server)
        .await;
    Ok(server)
}

/// A request's `Authorization` header, when readable.
pub fn authorization(req: &Request) -> Option<&str> {
    req.headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
}

/// A JSON answer.
pub fn json(status: u16, body: serde_json::Value) -> Answer {
    (status, ResponseTemplate::new(status).set_body_json(body))
}
