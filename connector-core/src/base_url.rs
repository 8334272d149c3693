//! Base-URL normalisation shared by providers: accept what users paste (a bare host, a full
//! URL, a documented service root with a trailing path), produce `scheme://host[:port]/` (or,
//! for APIs that live under a path such as SCIM's `/scim/v2`, `scheme://host[:port]/path`),
//! and refuse what must never be used (credentials in the URL, plain http to a remote host,
//! a query, ...). Providers usually take a typed [`BaseUrl`](crate::settings::BaseUrl) setting,
//! which applies these rules when settings are validated.

use url::{Host, Url};

/// Rules for [`normalize_base_url`].
#[derive(Debug, Clone, Copy, Default)]
pub struct BaseUrlRules {
    /// Paths that users commonly paste and that are dropped (compared case-insensitively,
    /// with anything after them), e.g. `["/services"]` for UKG Pro's service root.
    pub ignored_paths: &'static [&'static str],
    /// An example host for error messages (`service5.ultipro.com`).
    pub example_host: &'static str,
    /// Keep a path (`https://host/scim/v2`) as the prefix of every request path instead of
    /// refusing it. Paths in `ignored_paths` are still dropped.
    pub keep_path: bool,
}

impl BaseUrlRules {
    /// Rules that keep any path and drop none.
    pub const KEEP_PATH: BaseUrlRules = BaseUrlRules {
        ignored_paths: &[],
        example_host: "",
        keep_path: true,
    };
}

/// Whether `host` is a loopback host: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Whether `url` may be used: https anywhere, http only on loopback.
pub fn is_allowed_scheme(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => url.host().is_some_and(|h| is_loopback(&h)),
        _ => false,
    }
}

/// Normalises user input to `https://host[:port]/` (or `http://` for loopback test servers).
///
/// The error message says what is wrong and how to fix it; it never repeats a password
/// embedded in the input.
///
/// ```
/// use connector_core::base_url::{normalize_base_url, BaseUrlRules};
///
/// let rules = BaseUrlRules {
///     ignored_paths: &["/services"],
///     example_host: "service5.ultipro.com",
///     keep_path: false,
/// };
/// for input in [
///     "service5.ultipro.com",
///     "https://service5.ultipro.com",
///     "https://service5.ultipro.com/services/",
///     " HTTPS://Service5.UltiPro.com/ ",
/// ] {
///     assert_eq!(normalize_base_url(input, &rules).unwrap().as_str(), "https://service5.ultipro.com/");
/// }
/// assert!(normalize_base_url("http://service5.ultipro.com", &rules).is_err());
/// assert_eq!(normalize_base_url("http://127.0.0.1:8080", &rules).unwrap().as_str(), "http://127.0.0.1:8080/");
///
/// let scim = BaseUrlRules::KEEP_PATH;
/// assert_eq!(
///     normalize_base_url("https://idp.example/scim/v2/", &scim).unwrap().as_str(),
///     "https://idp.example/scim/v2"
/// );
/// ```
pub fn normalize_base_url(input: &str, rules: &BaseUrlRules) -> Result<Url, String> {
    normalize(
        input,
        rules.ignored_paths,
        rules.example_host,
        rules.keep_path,
    )
}

/// [`normalize_base_url`] with the rules given one by one.
pub fn normalize(
    input: &str,
    ignored_paths: &[&str],
    example_host: &str,
    keep_path: bool,
) -> Result<Url, String> {
    let example = if example_host.is_empty() {
        "api.example.com"
    } else {
        example_host
    };
    let text = input.trim();
    if text.is_empty() {
        return Err(format!("is empty; give the API host, e.g. {example}"));
    }
    let has_scheme = text.contains("://");
    let candidate = if has_scheme {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let mut url = Url::parse(&candidate).map_err(|e| {
        format!("is not a valid host name or URL ({e}); give the API host, e.g. {example}")
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "must not contain a user name or password; remove `user:password@` and put them in the username and password settings".into(),
        );
    }
    match url.scheme() {
        "https" | "http" => {}
        other => return Err(format!("uses scheme `{other}`; use https://{example}")),
    }
    let Some(host) = url.host() else {
        return Err(format!("has no host; give the API host, e.g. {example}"));
    };
    if let url::Host::Domain(name) = &host {
        if !valid_host_name(name) {
            return Err(format!(
                "has a host name that cannot exist (empty labels, or labels that start or end with `-`); give the API host, e.g. {example}"
            ));
        }
    }
    if url.port() == Some(0) {
        return Err(format!(
            "has port 0; give the port the API listens on, or none for the default, e.g. https://{host}"
        ));
    }
    if url.scheme() == "http" && !is_loopback(&host) {
        return Err(format!(
            "uses plain http; credentials must travel encrypted, so use https://{} (http is only allowed for loopback test servers)",
            host
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "must not contain a query (`?...`) or fragment (`#...`); use just the host, e.g. https://{host}"
        ));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    if !path.is_empty() {
        let lower = path.to_ascii_lowercase();
        let ignored = ignored_paths.iter().any(|p| {
            let p = p.trim_end_matches('/').to_ascii_lowercase();
            lower == p || lower.starts_with(&format!("{p}/"))
        });
        if keep_path && !ignored {
            url.set_path(&path);
            return Ok(url);
        }
        if !ignored {
            // The path is not quoted: a password pasted into it must not be shown.
            return Err(format!(
                "has a path after the host; use just the host, e.g. https://{host}"
            ));
        }
    }
    url.set_path("/");
    Ok(url)
}

/// Whether `name` can be a DNS host name: labels of 1 to 63 letters, digits, `-` or `_`, not
/// starting or ending with `-` (a trailing dot is allowed).
fn valid_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: BaseUrlRules = BaseUrlRules {
        keep_path: false,
        ignored_paths: &["/services"],
        example_host: "service5.ultipro.com",
    };

    fn ok(input: &str) -> String {
        normalize_base_url(input, &RULES).unwrap().to_string()
    }
    fn err(input: &str) -> String {
        normalize_base_url(input, &RULES).unwrap_err()
    }

    #[test]
    fn accepts_what_admins_paste() {
        assert_eq!(ok("service5.ultipro.com"), "https://service5.ultipro.com/");
        assert_eq!(
            ok("servicet.ultipro.com/services/"),
            "https://servicet.ultipro.com/"
        );
        assert_eq!(
            ok("https://service3.ultipro.ca/Services/Foo"),
            "https://service3.ultipro.ca/"
        );
        assert_eq!(
            ok("https://rental4.ultipro.com:8443/"),
            "https://rental4.ultipro.com:8443/"
        );
        assert_eq!(ok("https://host.example:443"), "https://host.example/");
        assert_eq!(
            ok("http://localhost:9000/services/"),
            "http://localhost:9000/"
        );
        assert_eq!(ok("http://[::1]:9000"), "http://[::1]:9000/");
        assert_eq!(ok("http://127.1.2.3:9000"), "http://127.1.2.3:9000/");
        assert_eq!(ok("bücher.example"), "https://xn--bcher-kva.example/");
    }

    #[test]
    fn refuses_with_reasons() {
        assert!(err("").contains("is empty"));
        assert!(err("http://service5.ultipro.com").contains("plain http"));
        assert!(err("http://10.0.0.1").contains("plain http"));
        assert!(err("https://h.example/api/v1").contains("has a path after the host"));
        assert!(
            !err("https://h.example/api/v1").contains("/api/v1"),
            "the path is not echoed"
        );
        assert!(err("https://h.example/?x=1").contains("query"));
        assert!(err("ftp://h.example").contains("scheme `ftp`"));
        assert!(err("https://h.example:70000").contains("not a valid"));
        assert!(err("https://exa mple.com").contains("not a valid"));
    }

    #[test]
    fn credentials_in_the_url_are_refused_and_not_echoed() {
        let e = err("https://svc:Canary-PW-123@service5.ultipro.com");
        assert!(
            e.contains("must not contain a user name or password"),
            "{e}"
        );
        assert!(!e.contains("Canary-PW-123"), "{e}");
    }

    #[test]
    fn scheme_policy() {
        assert!(is_allowed_scheme(&Url::parse("https://x.example").unwrap()));
        assert!(is_allowed_scheme(
            &Url::parse("http://localhost:1").unwrap()
        ));
        assert!(!is_allowed_scheme(&Url::parse("http://x.example").unwrap()));
    }
}

#[cfg(test)]
mod hostile_input {
    use super::*;

    #[test]
    fn impossible_hosts_port_zero_and_paths_are_refused_without_echo() {
        let rules = BaseUrlRules {
            ignored_paths: &[],
            example_host: "api.example.com",
            keep_path: false,
        };
        for bad in [
            "-bad-.example",
            "a..b",
            "https://x-.example",
            "https://host.example:0",
        ] {
            assert!(normalize_base_url(bad, &rules).is_err(), "{bad}");
        }
        let err = normalize_base_url("https://api.example.com/Secr3tPass", &rules).unwrap_err();
        assert!(!err.contains("Secr3tPass"), "{err}");
        for good in [
            "api.example.com",
            "my_host.internal",
            "xn--bcher-kva.example",
            "localhost:8443",
        ] {
            assert!(normalize_base_url(good, &rules).is_ok(), "{good}");
        }
    }
}
