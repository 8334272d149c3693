//! UKG Pro records, decoded leniently: every field optional, `""` is null, field names matched
//! without regard to case (`employeeId` / `employeeID`), numbers and booleans accepted where
//! text is expected, unknown fields (including SSN, birth date, addresses) ignored and never
//! stored. A record that is not a JSON object, or has no employee id, is *malformed*: it fails
//! to decode with a reason that quotes nothing, and the lenient listing reports it by its
//! position and ids, never by its content, and skips it.

use std::borrow::Cow;
use std::fmt;

use jiff::civil::{Date, DateTime};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Field names of person-details, in slot order.
const PERSON_FIELDS: [&str; 9] = [
    "employeeId",
    "companyId",
    "userName",
    "firstName",
    "lastName",
    "preferredName",
    "emailAddress",
    "emailAddressAlternate",
    "datetimeChanged",
];

/// Field names of employment-details, in slot order.
const EMPLOYMENT_FIELDS: [&str; 12] = [
    "employeeId",
    "companyId",
    "employeeNumber",
    "jobTitle",
    "jobDescription",
    "orgLevel1Code",
    "employeeStatusCode",
    "supervisorId",
    "originalHireDate",
    "lastHireDate",
    "dateOfTermination",
    "dateTimeChanged",
];

/// A `/personnel/v1/person-details` record: only the fields a user export needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonRecord {
    /// `employeeId`.
    pub employee_id: String,
    /// `companyId`.
    pub company_id: Option<String>,
    /// `userName`.
    pub user_name: Option<String>,
    /// `firstName`.
    pub first_name: Option<String>,
    /// `lastName`.
    pub last_name: Option<String>,
    /// `preferredName`.
    pub preferred_name: Option<String>,
    /// `emailAddress`.
    pub email_address: Option<String>,
    /// `emailAddressAlternate`.
    pub email_address_alternate: Option<String>,
    /// `datetimeChanged`.
    pub datetime_changed: Option<DateTime>,
}

/// A `/personnel/v1/employment-details` record: only the fields a user export needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmploymentRecord {
    /// `employeeID`.
    pub employee_id: String,
    /// `companyID`.
    pub company_id: Option<String>,
    /// `employeeNumber`.
    pub employee_number: Option<String>,
    /// `jobTitle`.
    pub job_title: Option<String>,
    /// `jobDescription`.
    pub job_description: Option<String>,
    /// `orgLevel1Code`.
    pub org_level1_code: Option<String>,
    /// `employeeStatusCode`.
    pub employee_status_code: Option<String>,
    /// `supervisorID`.
    pub supervisor_id: Option<String>,
    /// `originalHireDate`.
    pub original_hire_date: Option<Date>,
    /// `lastHireDate`.
    pub last_hire_date: Option<Date>,
    /// `dateOfTermination`.
    pub date_of_termination: Option<Date>,
    /// `dateTimeChanged`.
    pub date_time_changed: Option<DateTime>,
}

/// The join key: (company id, employee id).
pub type Key = (String, String);

impl PersonRecord {
    /// The join key.
    pub fn key(&self) -> Key {
        (
            self.company_id.clone().unwrap_or_default(),
            self.employee_id.clone(),
        )
    }

    /// Moves the join key out of the record (no copy; the ids are left empty).
    pub fn take_key(&mut self) -> Key {
        take_key(&mut self.company_id, &mut self.employee_id)
    }

    fn from_slots(slots: [Option<String>; 9]) -> Result<Self, String> {
        let [employee_id, company_id, user_name, first_name, last_name, preferred_name, email_address, email_address_alternate, changed] =
            slots;
        let Some(employee_id) = employee_id else {
            return Err(missing_id(company_id.as_deref()));
        };
        Ok(PersonRecord {
            employee_id,
            company_id,
            user_name,
            first_name,
            last_name,
            preferred_name,
            email_address,
            email_address_alternate,
            datetime_changed: changed.as_deref().and_then(parse_datetime),
        })
    }
}

impl EmploymentRecord {
    /// The join key.
    pub fn key(&self) -> Key {
        (
            self.company_id.clone().unwrap_or_default(),
            self.employee_id.clone(),
        )
    }

    /// Moves the join key out of the record (no copy; the ids are left empty).
    pub fn take_key(&mut self) -> Key {
        take_key(&mut self.company_id, &mut self.employee_id)
    }

    fn from_slots(slots: [Option<String>; 12]) -> Result<Self, String> {
        let [employee_id, company_id, employee_number, job_title, job_description, org_level1_code, employee_status_code, supervisor_id, original_hire, last_hire, termination, changed] =
            slots;
        let Some(employee_id) = employee_id else {
            return Err(missing_id(company_id.as_deref()));
        };
        Ok(EmploymentRecord {
            employee_id,
            company_id,
            employee_number,
            job_title,
            job_description,
            org_level1_code,
            employee_status_code,
            supervisor_id,
            original_hire_date: original_hire.as_deref().and_then(parse_date),
            last_hire_date: last_hire.as_deref().and_then(parse_date),
            date_of_termination: termination.as_deref().and_then(parse_date),
            date_time_changed: changed.as_deref().and_then(parse_datetime),
        })
    }
}

fn take_key(company: &mut Option<String>, employee: &mut String) -> Key {
    (company.take().unwrap_or_default(), std::mem::take(employee))
}

fn missing_id(company: Option<&str>) -> String {
    match company {
        Some(c) => format!("no employee id (company {c})"),
        None => "no employee id".to_owned(),
    }
}

/// A record that is not a JSON object, or has no employee id, fails to decode with the reason
/// (no value quoted): a lenient listing skips it and reports it by position.
impl<'de> Deserialize<'de> for PersonRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RecordVisitor {
            names: &PERSON_FIELDS,
        })?
        .and_then(PersonRecord::from_slots)
        .map_err(de::Error::custom)
    }
}

/// Decodes like [`PersonRecord`]'s.
impl<'de> Deserialize<'de> for EmploymentRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RecordVisitor {
            names: &EMPLOYMENT_FIELDS,
        })?
        .and_then(EmploymentRecord::from_slots)
        .map_err(de::Error::custom)
    }
}

/// Reads one record into text slots by case-insensitive field name. Never fails on valid
/// JSON: a non-object is `Err(reason)`, a nested value where text is expected is ignored.
struct RecordVisitor<const N: usize> {
    names: &'static [&'static str; N],
}

type Slots<const N: usize> = Result<[Option<String>; N], String>;

impl<'de, const N: usize> Visitor<'de> for RecordVisitor<N> {
    type Value = Slots<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots: [Option<String>; N] = std::array::from_fn(|_| None);
        while let Some(FieldName(key)) = map.next_key::<FieldName<'de>>()? {
            match self.names.iter().position(|n| n.eq_ignore_ascii_case(&key)) {
                Some(i) => slots[i] = map.next_value::<Text>()?.0,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Ok(slots))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err("an array instead of an object".into()))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err("a string instead of an object".into()))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err("a number instead of an object".into()))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err("a number instead of an object".into()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err("a number instead of an object".into()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err("a boolean instead of an object".into()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err("null instead of an object".into()))
    }
}

/// A map key, borrowed from the input when it has no escapes.
struct FieldName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for FieldName<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<FieldName<'de>, E> {
                Ok(FieldName(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldName<'de>, E> {
                Ok(FieldName(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Any JSON value as optional text: strings trimmed (`""` → none), numbers and booleans as
/// their text, null / arrays / objects → none.
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                let t = v.trim();
                Ok(Text((!t.is_empty()).then(|| t.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                if v.trim().len() == v.len() {
                    Ok(Text((!v.is_empty()).then_some(v)))
                } else {
                    self.visit_str(&v)
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Dates on or before this year are placeholders ("no date"), not real dates.
const PLACEHOLDER_YEAR: i16 = 1900;

/// Parses the date shapes UKG Pro uses: ISO (`2020-03-15`, `2020-03-15T00:00:00`, with `Z`,
/// an offset or milliseconds) and US (`3/15/2020`, `3/15/2020 12:00:00 AM`). Placeholder
/// dates (year 1900 or earlier, e.g. `0001-01-01`, `1/1/1900`) are none.
pub fn parse_date(text: &str) -> Option<Date> {
    let (date, _) = split_date(text.trim())?;
    Some(date)
}

/// Parses a date and time in the shapes of [`parse_date`]; a date alone is midnight. The
/// zone (`Z` or an offset) is dropped: the value is the provider's clock.
pub fn parse_datetime(text: &str) -> Option<DateTime> {
    let (date, rest) = split_date(text.trim())?;
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return Some(date.to_datetime(jiff::civil::Time::midnight()));
    }
    let time = parse_time(rest)?;
    Some(date.to_datetime(time))
}

/// The date at the start of `text` and what follows it.
fn split_date(text: &str) -> Option<(Date, &str)> {
    let bytes = text.as_bytes();
    let (y, m, d, rest) = if bytes.len() >= 10 && bytes[4] == b'-' && bytes[7] == b'-' {
        (
            text.get(0..4)?.parse::<i16>().ok()?,
            text.get(5..7)?.parse::<i8>().ok()?,
            text.get(8..10)?.parse::<i8>().ok()?,
            &text[10..],
        )
    } else {
        let end = text.find([' ', 'T']).unwrap_or(text.len());
        let mut parts = text[..end].split('/');
        let m = parts.next()?.parse::<i8>().ok()?;
        let d = parts.next()?.parse::<i8>().ok()?;
        let y = parts.next()?.parse::<i16>().ok()?;
        if parts.next().is_some() {
            return None;
        }
        (y, m, d, &text[end..])
    };
    if y <= PLACEHOLDER_YEAR {
        return None;
    }
    Some((Date::new(y, m, d).ok()?, rest))
}

/// `HH:MM[:SS[.fff]]` with an optional zone suffix, or `h:mm[:ss] AM|PM`.
fn parse_time(text: &str) -> Option<jiff::civil::Time> {
    let text = text.trim();
    let upper = text.to_ascii_uppercase();
    let (clock, meridiem) = if let Some(c) = upper.strip_suffix("AM") {
        (c.trim_end().to_owned(), Some(false))
    } else if let Some(c) = upper.strip_suffix("PM") {
        (c.trim_end().to_owned(), Some(true))
    } else {
        // Drop a zone: `Z`, `+hh:mm`, `-hhmm`.
        let end = upper.find(['Z', '+', '-']).unwrap_or(upper.len());
        (upper[..end].to_owned(), None)
    };
    let mut parts = clock.split(':');
    let mut hour = parts.next()?.trim().parse::<i8>().ok()?;
    let minute = parts.next()?.parse::<i8>().ok()?;
    let (second, nanos) = match parts.next() {
        Some(s) => {
            let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
            let nanos = if frac.is_empty() {
                0
            } else {
                let digits: String = frac.chars().take(9).collect();
                let scale = 10_i32.pow(9 - digits.len() as u32);
                digits.parse::<i32>().ok()? * scale
            };
            (whole.parse::<i8>().ok()?, nanos)
        }
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    match meridiem {
        Some(pm) if (1..=12).contains(&hour) => hour = hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => {}
    }
    jiff::civil::Time::new(hour, minute, second, nanos).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn date_shapes() {
        let d = Some(date(2020, 3, 15));
        for s in [
            "2020-03-15",
            "2020-03-15T00:00:00",
            "2020-03-15T00:00:00Z",
            "2020-03-15T13:45:10.123Z",
            "2020-03-15T13:45:10.1234567+02:00",
            "3/15/2020",
            "03/15/2020 12:00:00 AM",
            " 3/15/2020 11:59:59 PM ",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        for s in [
            "",
            "yesterday",
            "2020-13-01",
            "2/30/2021",
            "0001-01-01T00:00:00",
            "1/1/1900 12:00:00 AM",
            "1/2",
            "1/2/3/4",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn datetime_shapes() {
        let at = |h, m, s, n| Some(date(2021, 7, 4).at(h, m, s, n));
        assert_eq!(parse_datetime("2021-07-04T13:45:10"), at(13, 45, 10, 0));
        assert_eq!(
            parse_datetime("2021-07-04T13:45:10.5Z"),
            at(13, 45, 10, 500_000_000)
        );
        assert_eq!(
            parse_datetime("2021-07-04T13:45:10-05:00"),
            at(13, 45, 10, 0)
        );
        assert_eq!(parse_datetime("7/4/2021 1:45:10 PM"), at(13, 45, 10, 0));
        assert_eq!(parse_datetime("7/4/2021 12:05:00 AM"), at(0, 5, 0, 0));
        assert_eq!(parse_datetime("7/4/2021 12:05:00 PM"), at(12, 5, 0, 0));
        assert_eq!(parse_datetime("2021-07-04"), at(0, 0, 0, 0));
        assert_eq!(parse_datetime("7/4/2021 13:05:00 PM"), None);
        assert_eq!(parse_datetime("2021-07-04T25:00:00"), None);
    }

    #[test]
    fn lenient_person_record() {
        let json = r#"{
            "EMPLOYEEID": "E1", "companyID": "C1", "firstName": " Ana ", "lastName": "",
            "preferredName": null, "emailAddress": "ana@example.com", "userName": 42,
            "ssn": "123-45-6789", "dateOfBirth": "1/1/1990 12:00:00 AM",
            "addressLine1": {"nested": [1, 2]}, "emailAddressAlternate": ["x"],
            "datetimeChanged": "6/1/2024 3:04:05 PM"
        }"#;
        let p: PersonRecord = serde_json::from_str(json).unwrap();
        assert_eq!(p.key(), ("C1".to_owned(), "E1".to_owned()));
        assert_eq!(p.first_name.as_deref(), Some("Ana"));
        assert_eq!(p.last_name, None);
        assert_eq!(p.preferred_name, None);
        assert_eq!(p.user_name.as_deref(), Some("42"));
        assert_eq!(p.email_address_alternate, None);
        assert_eq!(p.datetime_changed, Some(date(2024, 6, 1).at(15, 4, 5, 0)));
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("123-45-6789") && !shown.contains("1990"),
            "{shown}"
        );
    }

    #[test]
    fn malformed_records_are_reported_not_fatal() {
        let page = r#"[
            {"employeeID": "E1", "companyID": "C1", "employeeStatusCode": "A", "lastHireDate": "2019-05-01T00:00:00"},
            "oops",
            {"companyID": "C9", "jobTitle": "Secret Agent"},
            [1, 2],
            null,
            {"employeeId": "E2", "originalHireDate": "not a date"}
        ]"#;
        // As the listing decodes them: element by element, a failure described by position.
        let records: Vec<serde_json::Value> = serde_json::from_str(page).unwrap();
        let items: Vec<Result<EmploymentRecord, String>> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                serde_json::from_str(&r.to_string())
                    .map_err(|e| connector_core::http::describe_malformed(i + 1, &e))
            })
            .collect();
        assert_eq!(items.len(), 6);
        let Ok(e1) = &items[0] else { panic!() };
        assert_eq!(e1.last_hire_date, Some(date(2019, 5, 1)));
        let why = |i: usize| items[i].as_ref().err().cloned().unwrap_or_default();
        assert_eq!(why(1), "record 2: a string instead of an object");
        assert_eq!(why(2), "record 3: no employee id (company C9)");
        assert_eq!(why(3), "record 4: an array instead of an object");
        assert_eq!(why(4), "record 5: null instead of an object");
        let Ok(e2) = &items[5] else { panic!() };
        assert_eq!(e2.original_hire_date, None);
    }

    #[test]
    fn escaped_keys_still_match() {
        let json = r#"{"employee\u0049d": "E7"}"#;
        let p: PersonRecord = serde_json::from_str(json).unwrap();
        assert_eq!(p.employee_id, "E7");
    }
}
