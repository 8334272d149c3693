//! Property tests: lenient record decoding takes any JSON value in any field without
//! panicking (a record is usable exactly when it is an object with an employee id, and a
//! refusal quotes nothing), and the date parsers read both UKG shapes and never panic.

use connector_ukgpro::model::{parse_date, parse_datetime, EmploymentRecord, PersonRecord};
use jiff::civil::Date;
use proptest::prelude::*;
use serde_json::{Map, Value};

const FIELDS: [&str; 14] = [
    "employeeId",
    "employeeID",
    "companyId",
    "companyID",
    "firstName",
    "lastName",
    "emailAddress",
    "jobTitle",
    "employeeStatusCode",
    "supervisorID",
    "lastHireDate",
    "dateOfTermination",
    "datetimeChanged",
    "ssn",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        Just(Value::String(String::new())),
        "[0-9/: AMP-]{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn record() -> impl Strategy<Value = Value> {
    proptest::collection::vec((proptest::sample::select(FIELDS.to_vec()), json()), 0..10).prop_map(
        |pairs| {
            let mut map = Map::new();
            for (k, v) in pairs {
                map.insert(k.to_owned(), v);
            }
            Value::Object(map)
        },
    )
}

fn date() -> impl Strategy<Value = Date> {
    (1901i16..2100, 1i8..=12, 1i8..=31)
        .prop_filter_map("valid date", |(y, m, d)| Date::new(y, m, d).ok())
}

proptest! {
    #[test]
    fn any_json_in_any_field_decodes_or_is_refused_without_quoting(records in proptest::collection::vec(prop_oneof![record(), json()], 0..6)) {
        for raw in &records {
            // As a listing decodes a record: alone, from its own bytes.
            let text = raw.to_string();
            // The last spelling of the id in the text wins, as in the decoder.
            let id = raw.as_object().and_then(|o| {
                o.iter().rfind(|(k, _)| k.eq_ignore_ascii_case("employeeId"))
            });
            let has_id = id.is_some_and(|(_, v)| match v {
                Value::String(s) => !s.trim().is_empty(),
                Value::Number(_) | Value::Bool(_) => true,
                _ => false,
            });
            match serde_json::from_str::<PersonRecord>(&text) {
                Ok(p) => {
                    prop_assert!(!p.employee_id.is_empty());
                    prop_assert!(raw.is_object() && has_id, "{text}");
                }
                Err(e) => {
                    prop_assert!(!(raw.is_object() && has_id), "{text}: {e}");
                    let why = connector_core::http::describe_malformed(1, &e);
                    prop_assert!(
                        why.ends_with("instead of an object") || why.starts_with("record 1: no employee id"),
                        "{why}"
                    );
                }
            }
            prop_assert_eq!(
                serde_json::from_str::<EmploymentRecord>(&text).is_ok(),
                raw.is_object() && has_id
            );
        }
    }

    #[test]
    fn date_parsers_never_panic(text in any::<String>()) {
        let _ = parse_date(&text);
        let _ = parse_datetime(&text);
    }

    #[test]
    fn both_date_shapes_read_the_same_date(d in date(), h in 0i8..24, m in 0i8..60, s in 0i8..60, millis in 0i32..1000) {
        let iso = format!("{d}T{h:02}:{m:02}:{s:02}.{millis:03}Z");
        let (h12, ampm) = match h { 0 => (12, "AM"), 1..=11 => (h, "AM"), 12 => (12, "PM"), _ => (h - 12, "PM") };
        let us = format!("{}/{}/{} {h12}:{m:02}:{s:02} {ampm}", d.month(), d.day(), d.year());
        prop_assert_eq!(parse_date(&iso), Some(d));
        prop_assert_eq!(parse_date(&us), Some(d));
        prop_assert_eq!(parse_datetime(&us), Some(d.at(h, m, s, 0)));
        prop_assert_eq!(parse_datetime(&iso), Some(d.at(h, m, s, millis * 1_000_000)));
    }
}
