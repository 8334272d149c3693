//! Property tests: lenient record decoding takes any JSON value in any field without failing
//! or panicking, record digests are stable and tell employees apart, and the date parsers read
//! both UKG shapes and never panic.

use connector_ukgpro::model::{
    parse_date, parse_datetime, record_digest, Decoded, EmploymentRecord, PersonRecord,
};
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
    fn any_json_in_any_field_decodes_without_failing(records in proptest::collection::vec(prop_oneof![record(), json()], 0..6)) {
        let page = serde_json::to_string(&records).unwrap();
        let persons: Vec<Decoded<PersonRecord>> = serde_json::from_str(&page).unwrap();
        let employments: Vec<Decoded<EmploymentRecord>> = serde_json::from_str(&page).unwrap();
        prop_assert_eq!(persons.len(), records.len());
        prop_assert_eq!(employments.len(), records.len());
        for (decoded, raw) in persons.iter().zip(&records) {
            if let Decoded::Record(p) = decoded {
                prop_assert!(!p.employee_id.is_empty());
                prop_assert!(raw.is_object());
            }
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

    #[test]
    fn record_digests_are_stable_and_tell_employees_apart(
        records in proptest::collection::vec(prop_oneof![record(), json()], 1..6),
        other in "[A-Z][0-9]{6}",
    ) {
        let page = serde_json::to_string(&records).unwrap();
        let decode = |text: &str| serde_json::from_str::<Vec<Decoded<PersonRecord>>>(text).unwrap();
        let prints = |items: &[Decoded<PersonRecord>]| items.iter().map(record_digest).collect::<Vec<_>>();
        let first = prints(&decode(&page));
        prop_assert_eq!(&first, &prints(&decode(&page)), "same records, same digests");
        // A record for another employee has a digest none of the others has.
        let extra = serde_json::json!([{"employeeId": other, "companyId": "CX"}]).to_string();
        let digest = prints(&decode(&extra))[0];
        prop_assert!(digest.is_some());
        prop_assert!(!first.contains(&digest));
    }
}
