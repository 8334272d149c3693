//! The sandbox's HTTP side: UKG Pro's listing endpoints with its credentials check,
//! per-endpoint permissions, paging and filters; counting, latency and the generic faults are
//! the SDK's shared [`Chassis`].

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use connector_core::sandbox::{Chassis, Fault};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::workforce::{self, Workforce};
use crate::client::{EMPLOYEE_CHANGES, EMPLOYMENT_DETAILS, PERSON_DETAILS};
use crate::settings::MAX_PAGE_SIZE;

/// What the server checks and injects.
#[derive(Debug)]
pub struct Behaviour {
    /// The people.
    pub workforce: Workforce,
    /// The service account's user name and password (HTTP Basic).
    pub username: String,
    /// Its password.
    pub password: String,
    /// The accepted `US-Customer-Api-Key`.
    pub customer_api_key: String,
    /// 403 on person-details.
    pub deny_person_details: bool,
    /// 403 on employment-details.
    pub deny_employment_details: bool,
    /// 403 on employee-changes.
    pub deny_employee_export: bool,
    /// Person-details page answered with an HTML page.
    pub malformed_page: Option<u32>,
}

struct State {
    behaviour: Behaviour,
    chassis: Chassis,
}

type Reply = Response<Full<Bytes>>;

/// Serves until `shutdown` fires; then closes every connection.
pub async fn serve(
    listener: TcpListener,
    behaviour: Behaviour,
    chassis: Chassis,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let state = Arc::new(State { behaviour, chassis });
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                while connections.try_join_next().is_some() {}
                let state = state.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move {
                            let method = req.method().clone();
                            let target = req.uri().path_and_query().map(|p| p.as_str().to_owned());
                            let reply = handle(&state, req).await;
                            state.chassis.answered(
                                method.as_str(),
                                target.as_deref().unwrap_or("/"),
                                reply.status().as_u16(),
                            );
                            Ok::<_, Infallible>(reply)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
    connections.abort_all();
}

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if !content_type.is_empty() {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

const JSON: &str = "application/json; charset=utf-8";

async fn handle(state: &State, req: Request<Incoming>) -> Reply {
    let b = &state.behaviour;
    let admitted = state.chassis.admit();
    let latency = state.chassis.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match admitted {
        Ok(_) => {}
        // Like UKG's gateway today: no Retry-After.
        Err(Fault::Throttled) => return reply(StatusCode::TOO_MANY_REQUESTS, "", Bytes::new()),
        Err(Fault::Unavailable(status)) => {
            let message = if status == 503 {
                "Service Unavailable"
            } else {
                "Bad Gateway"
            };
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return reply(status, JSON, format!(r#"{{"message":"{message}"}}"#));
        }
    }
    let headers = req.headers();
    // The mock kit's Basic check (any valid encoding of the pair), and the API key.
    let basic = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let authorised = connector_core::sandbox::basic_matches(basic, &b.username, &b.password)
        && headers
            .get("us-customer-api-key")
            .and_then(|v| v.to_str().ok())
            == Some(b.customer_api_key.as_str());
    if !authorised {
        return reply(StatusCode::UNAUTHORIZED, "", Bytes::new());
    }
    let (person, changes) = match req.uri().path() {
        p if p.eq_ignore_ascii_case(PERSON_DETAILS.path) => (true, false),
        p if p.eq_ignore_ascii_case(EMPLOYMENT_DETAILS.path) => (false, false),
        p if p.eq_ignore_ascii_case(EMPLOYEE_CHANGES.path) => (false, true),
        _ => return reply(StatusCode::NOT_FOUND, "", Bytes::new()),
    };
    let denied = if changes {
        b.deny_employee_export
    } else if person {
        b.deny_person_details
    } else {
        b.deny_employment_details
    };
    if denied {
        return reply(StatusCode::FORBIDDEN, "", Bytes::new());
    }
    let query = match Query::parse(req.uri().query().unwrap_or("")) {
        Ok(q) => q,
        Err(problem) => return bad_request(&problem),
    };
    if changes {
        return match super::changes::page(
            &b.workforce,
            query.start.as_deref(),
            query.end.as_deref(),
            query.page,
            query.per_page,
        ) {
            Ok(body) => reply(StatusCode::OK, JSON, body),
            Err(problem) => bad_request(&problem),
        };
    }
    if person && b.malformed_page == Some(query.page) {
        return reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>UKG Pro - Sign In</title></head><body>Session expired</body></html>",
        );
    }
    let company = match &query.company {
        None => None,
        Some(id) => match Workforce::company_index(id) {
            Some(c) => Some(c),
            // An unknown company matches nobody.
            None => return reply(StatusCode::OK, JSON, "[]"),
        },
    };
    let start = u64::from(query.page - 1) * u64::from(query.per_page);
    let mut body = Vec::with_capacity(query.per_page as usize * 700);
    body.push(b'[');
    // `employeeId`: that employee alone, if listed (and in the company asked for).
    let only = query.employee.as_deref().map(|id| {
        workforce::index_of(id)
            .filter(|i| b.workforce.is_listed(*i))
            .filter(|i| company.is_none_or(|c| b.workforce.employee(*i).company == c))
    });
    for k in start..start + u64::from(query.per_page) {
        let next = match only {
            Some(one) => one.filter(|_| k == 0),
            None => b.workforce.nth(company, k),
        };
        let Some(index) = next else {
            break;
        };
        if body.len() > 1 {
            body.push(b',');
        }
        let employee = b.workforce.employee(index);
        if person {
            b.workforce.write_person(&employee, &mut body);
        } else {
            b.workforce.write_employment(&employee, &mut body);
        }
    }
    body.push(b']');
    reply(StatusCode::OK, JSON, body)
}

fn bad_request(problem: &str) -> Reply {
    let body = serde_json::json!({
        "title": "One or more validation errors occurred.",
        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        "detail": problem,
        "errorCount": 1,
        "errors": {"query": [problem]},
        "message": problem,
    });
    reply(
        StatusCode::BAD_REQUEST,
        "application/problem+json",
        body.to_string(),
    )
}

/// The listing query: `page` (1-based), `per_Page` or `per_page` (at most 10,000; the default
/// too), `companyId`.
#[derive(Debug, PartialEq, Eq)]
struct Query {
    page: u32,
    per_page: u32,
    company: Option<String>,
    employee: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

impl Query {
    fn parse(query: &str) -> Result<Query, String> {
        let mut q = Query {
            page: 1,
            per_page: MAX_PAGE_SIZE,
            company: None,
            employee: None,
            start: None,
            end: None,
        };
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let number = |name: &str| {
                value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("The value '{value}' is not valid for {name}."))
            };
            match key.as_ref() {
                "page" => q.page = number("page")?,
                "per_Page" | "per_page" => q.per_page = number("per_Page")?.min(MAX_PAGE_SIZE),
                "companyId" | "companyID" => q.company = Some(value.into_owned()),
                "employeeId" | "employeeID" => q.employee = Some(value.into_owned()),
                "startDate" => q.start = Some(value.into_owned()),
                "endDate" => q.end = Some(value.into_owned()),
                _ => {}
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        assert_eq!(
            Query::parse("page=3&per_Page=50&companyId=C1002").unwrap(),
            Query {
                page: 3,
                per_page: 50,
                company: Some("C1002".into()),
                employee: None,
                start: None,
                end: None,
            }
        );
        assert_eq!(Query::parse("per_page=99999").unwrap().per_page, 10_000);
        assert_eq!(
            Query::parse("").unwrap(),
            Query {
                page: 1,
                per_page: 10_000,
                company: None,
                employee: None,
                start: None,
                end: None,
            }
        );
        assert!(Query::parse("page=0").is_err());
        assert!(Query::parse("per_Page=ten")
            .unwrap_err()
            .contains("per_Page"));
    }
}
