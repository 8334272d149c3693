//! The reachability probe: DNS, TCP, then TLS, told apart, with no credentials sent.

use crate::error::{Error, ErrorKind, NetworkKind, Result};
use crate::http::transport::{classify, proxy_configured};
use crate::http::HttpClient;

/// How the host was reached, from [`HttpClient::probe`].
#[derive(Debug, Clone)]
pub struct Reachability {
    /// A one-line summary ("service5.ultipro.com resolved to 1.2.3.4; TCP 443 open; TLS OK").
    pub summary: String,
}

impl HttpClient {
    /// Checks that the base URL's host can be reached, stage by stage: DNS, TCP, then (for
    /// https) TLS with an unauthenticated request. Sends no credentials.
    pub async fn probe(&self) -> Result<Reachability> {
        let base = self.inner.base.clone();
        self.probe_unexplained(&base)
            .await
            .map_err(|e| self.explain(e))
    }

    /// [`probe`](Self::probe) for another endpoint of the provider (a token service on a host
    /// of its own): one connection-test step per endpoint a provider talks to.
    pub async fn probe_endpoint(&self, endpoint: &url::Url) -> Result<Reachability> {
        self.probe_unexplained(endpoint)
            .await
            .map_err(|e| self.explain(e))
    }

    /// [`probe_endpoint`](Self::probe_endpoint) for the token service the client's
    /// authentication obtains its tokens from
    /// ([`Authenticator::token_endpoint`](super::Authenticator::token_endpoint)); an error
    /// when it has none (a provider bug: a step declared for a token service it does not use).
    pub async fn probe_token_service(&self) -> Result<Reachability> {
        let Some(token) = self.inner.auth.token_endpoint().cloned() else {
            return Err(crate::Error::new(
                self.provider(),
                crate::ErrorKind::Unsupported,
                "this connection's authentication uses no token service",
            ));
        };
        self.probe_endpoint(&token).await
    }

    async fn probe_unexplained(&self, base: &url::Url) -> Result<Reachability> {
        let inner = &*self.inner;
        let host = base
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_owned();
        let port = base.port_or_known_default().unwrap_or(443);
        // The API's host comes from its settings field (or is fixed); another endpoint's
        // host is named as it is.
        let own = base.origin() == inner.base.origin();
        let subject = if own {
            inner.config.url_subject(&host)
        } else {
            host.clone()
        };
        let net = |kind, message: String, hint: &str| {
            let fields = if own && hint.contains("{field}") {
                inner.config.url_fields()
            } else {
                Vec::new()
            };
            // A provider on fixed hosts: every host it talks to is its own, none a setting.
            let hint = if inner.config.is_fixed_host() && hint.contains("{field}") {
                super::HttpConfig::fixed_host_hint(&format!("{host}:{port}"))
            } else {
                hint.replace("`{field}`", &subject)
            };
            Error::new(inner.provider, ErrorKind::Network(kind), message).with_hint_on(fields, hint)
        };
        let mut summary = Vec::new();
        let via_proxy = proxy_configured()
            && !base
                .host()
                .is_some_and(|h| crate::base_url::is_loopback(&h));
        if via_proxy {
            summary.push("via the configured proxy".to_owned());
        } else {
            let lookup = tokio::time::timeout(
                inner.config.connect_timeout,
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await;
            let addrs: Vec<_> = match lookup {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(e)) => {
                    return Err(net(
                        NetworkKind::Dns,
                        format!("cannot resolve `{host}` ({e})"),
                        "check the host name in `{field}` for typos, and the machine's DNS",
                    )
                    .with_source(e))
                }
                Err(_) => {
                    return Err(net(
                        NetworkKind::Timeout,
                        format!("resolving `{host}` timed out"),
                        "check the machine's DNS",
                    ))
                }
            };
            let Some(first) = addrs.first() else {
                return Err(net(
                    NetworkKind::Dns,
                    format!("`{host}` has no address"),
                    "check the host name in `{field}`",
                ));
            };
            if base
                .host()
                .is_some_and(|h| matches!(h, url::Host::Domain(_)))
            {
                summary.push(format!("{host} resolved to {}", first.ip()));
            }
            let mut last_error = None;
            let mut connected = false;
            for addr in &addrs {
                match tokio::time::timeout(
                    inner.config.connect_timeout,
                    tokio::net::TcpStream::connect(addr),
                )
                .await
                {
                    Ok(Ok(_)) => {
                        connected = true;
                        break;
                    }
                    Ok(Err(e)) => last_error = Some(Ok(e)),
                    Err(elapsed) => last_error = Some(Err(elapsed)),
                }
            }
            if !connected {
                let hint =
                    "check the port in `{field}` and that no firewall blocks outbound connections";
                return Err(match last_error {
                    Some(Err(elapsed)) => net(
                        NetworkKind::Timeout,
                        format!(
                            "no TCP answer from {host}:{port} within {} s",
                            inner.config.connect_timeout.as_secs()
                        ),
                        hint,
                    )
                    .with_source(elapsed),
                    Some(Ok(e)) => net(
                        NetworkKind::Connect,
                        format!("cannot open a TCP connection to {host}:{port} ({e})"),
                        hint,
                    )
                    .with_source(e),
                    None => net(
                        NetworkKind::Connect,
                        format!("cannot open a TCP connection to {host}:{port}"),
                        hint,
                    ),
                });
            }
            summary.push(format!("TCP port {port} open"));
        }
        if base.scheme() == "https" || via_proxy {
            // An unauthenticated request: any HTTP answer proves TLS (and the proxy) work.
            match inner.client.head(base.clone()).send().await {
                Ok(_) => summary.push(if base.scheme() == "https" {
                    "TLS handshake OK".into()
                } else {
                    "HTTP OK".into()
                }),
                Err(e) => {
                    let kind = match classify(&e) {
                        // DNS and TCP just worked, so a connect-stage failure is the handshake.
                        NetworkKind::Connect | NetworkKind::Other if !via_proxy => NetworkKind::Tls,
                        other => other,
                    };
                    let error = self.network_error(kind, e, "HEAD /");
                    return Err(error);
                }
            }
        }
        Ok(Reachability {
            summary: summary.join("; "),
        })
    }
}
