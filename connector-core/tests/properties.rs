//! Property tests: base-URL normalisation, the streaming JSON array and envelope splitters,
//! and the retry wait on any server-sent delay.

use connector_core::base_url::{normalize_base_url, BaseUrlRules};
use connector_core::json_array::ArraySplitter;
use connector_core::json_envelope::EnvelopeSplitter;
use connector_core::retry::RetryPolicy;
use connector_core::{Error, ErrorKind};
use proptest::prelude::*;
use serde_json::Value;
use std::time::{Duration, Instant};

const RULES: BaseUrlRules = BaseUrlRules {
    keep_path: false,
    ignored_paths: &["/services"],
    example_host: "service5.ultipro.com",
};

fn host() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-z][a-z0-9]{0,10}", 1..4)
        .prop_map(|labels| format!("{}.example", labels.join(".")))
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\\[\\]{},:\"\\\\ ]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn normalisation_never_panics_and_is_idempotent(input in any::<String>()) {
        if let Ok(url) = normalize_base_url(&input, &RULES) {
            let again = normalize_base_url(url.as_str(), &RULES).expect("a normalised URL is valid");
            prop_assert_eq!(again, url.clone());
            prop_assert_eq!(url.path(), "/");
            prop_assert!(url.query().is_none() && url.username().is_empty());
        }
    }

    #[test]
    fn what_admins_paste_normalises_to_the_host(
        host in host(),
        scheme in prop_oneof![Just(""), Just("https://"), Just("HTTPS://")],
        suffix in prop_oneof![Just(""), Just("/"), Just("/services"), Just("/services/"), Just("/Services/x/")],
        pad in prop_oneof![Just(""), Just(" "), Just("\n")],
    ) {
        let input = format!("{pad}{scheme}{host}{suffix}{pad}");
        let url = normalize_base_url(&input, &RULES).unwrap();
        prop_assert_eq!(url.as_str(), format!("https://{host}/"));
    }

    #[test]
    fn passwords_in_urls_are_refused_and_never_echoed(host in host(), password in "[A-Za-z0-9]{8,16}") {
        let err = normalize_base_url(&format!("https://svc:{password}@{host}"), &RULES).unwrap_err();
        prop_assert!(!err.contains(&password));
    }

    #[test]
    fn the_splitter_returns_every_element_at_any_chunking(
        items in proptest::collection::vec(json(), 0..8),
        chunk in 1usize..64,
        pretty in any::<bool>(),
    ) {
        let text = if pretty {
            serde_json::to_string_pretty(&items).unwrap()
        } else {
            serde_json::to_string(&items).unwrap()
        };
        let mut parsed = Vec::new();
        let mut splitter = ArraySplitter::new();
        for piece in text.as_bytes().chunks(chunk) {
            splitter
                .push(piece, |e| {
                    parsed.push(serde_json::from_slice::<Value>(e).unwrap());
                    Ok::<(), ()>(())
                })
                .unwrap();
        }
        splitter.finish::<()>().unwrap();
        prop_assert_eq!(parsed, items);
    }

    #[test]
    fn the_splitter_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..256), chunk in 1usize..32) {
        let mut splitter = ArraySplitter::new();
        for piece in bytes.chunks(chunk) {
            if splitter.push(piece, |_| Ok::<(), ()>(())).is_err() {
                return Ok(());
            }
        }
        let _ = splitter.finish::<()>();
    }

    #[test]
    fn the_retry_wait_never_panics_and_stays_within_the_caps(
        retry in any::<u32>(),
        after_secs in proptest::option::of(any::<u64>()),
        after_nanos in 0u32..1_000_000_000,
        elapsed_ms in 0u64..10_000,
        max_elapsed_secs in 0u64..100_000,
    ) {
        let policy = RetryPolicy {
            max_elapsed: Duration::from_secs(max_elapsed_secs),
            ..RetryPolicy::default()
        };
        let error = Error::new(
            "t",
            ErrorKind::RateLimited { retry_after: after_secs.map(|s| Duration::new(s, after_nanos)) },
            "429",
        );
        let started = Instant::now()
            .checked_sub(Duration::from_millis(elapsed_ms))
            .unwrap_or_else(Instant::now);
        if let Some(wait) = policy.wait(retry, &error, started) {
            prop_assert!(wait <= policy.max_elapsed);
            prop_assert!(retry < policy.max_attempts);
        }
    }

    #[test]
    fn the_envelope_splitter_returns_every_record_at_any_chunking(
        items in proptest::collection::vec(json(), 0..6),
        before in json(),
        after in json(),
        chunk in 1usize..48,
    ) {
        let text = serde_json::json!({"before": before, "data": items, "after": after}).to_string();
        let mut parsed = Vec::new();
        let mut splitter = EnvelopeSplitter::new("/data").unwrap();
        for piece in text.as_bytes().chunks(chunk) {
            splitter
                .push(piece, |e| {
                    parsed.push(serde_json::from_slice::<Value>(e).unwrap());
                    Ok::<(), ()>(())
                })
                .unwrap();
        }
        let envelope = splitter.finish::<()>().unwrap();
        prop_assert_eq!(parsed, items);
        prop_assert_eq!(&envelope["before"], &before);
        prop_assert_eq!(&envelope["after"], &after);
    }

    #[test]
    fn the_envelope_splitter_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..256), chunk in 1usize..32) {
        let mut splitter = EnvelopeSplitter::new("/data").unwrap();
        for piece in bytes.chunks(chunk) {
            if splitter.push(piece, |_| Ok::<(), ()>(())).is_err() {
                return Ok(());
            }
        }
        let _ = splitter.finish::<()>();
    }
}
