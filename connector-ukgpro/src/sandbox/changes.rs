//! The sandbox's `employee-changes`: the employees whose records differ between the
//! simulated days a window's ends fall on (day N runs from `DAY_ZERO + N` 00:00 UTC for 24
//! hours), as UKG's change records; windows shorter than 3 hours are refused as UKG does.

use std::io::Write;

use jiff::{SignedDuration, Timestamp};

use super::days::DAY_ZERO;
use super::workforce::{Employee, Workforce, COMPANIES};

/// One page of the employee-changes answer, or the 400's reason.
pub fn page(
    now: &Workforce,
    start: Option<&str>,
    end: Option<&str>,
    page: u32,
    per_page: u32,
) -> Result<Vec<u8>, String> {
    let (Some(start), Some(end)) = (start, end) else {
        return Err("startDate and endDate are required.".into());
    };
    let parse = |name: &str, text: &str| {
        text.parse::<Timestamp>()
            .map_err(|_| format!("The value '{text}' is not valid for {name}."))
    };
    let (start, end) = (parse("startDate", start)?, parse("endDate", end)?);
    if end.duration_since(start) < SignedDuration::from_hours(3) {
        return Err("The date range must be at least 3 hours.".into());
    }
    let (from, to) = (day_of(start, now.day), day_of(end, now.day));
    let changed = changed(now, from, to);
    let first = usize::try_from(u64::from(page - 1) * u64::from(per_page)).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    body.push(b'[');
    let later = Workforce::on_day(now.seed, now.employees, to);
    let earlier = Workforce::on_day(now.seed, now.employees, from);
    for (n, i) in changed
        .iter()
        .skip(first)
        .take(per_page as usize)
        .enumerate()
    {
        if n > 0 {
            body.push(b',');
        }
        // A removed employee is reported with their last record.
        let e = if later.is_listed(*i) {
            later.employee(*i)
        } else {
            earlier.employee(*i)
        };
        write_change(&e, &mut body);
    }
    body.push(b']');
    Ok(body)
}

/// The simulated day `t` falls on, at most `today`.
fn day_of(t: Timestamp, today: u32) -> u32 {
    let zero = DAY_ZERO
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let days = t.duration_since(zero).as_secs().div_euclid(86_400);
    u32::try_from(days.max(0)).unwrap_or(u32::MAX).min(today)
}

/// The employees whose records differ between day `from` and day `to` (joined, removed or
/// changed), in id order.
fn changed(now: &Workforce, from: u32, to: u32) -> Vec<u64> {
    if from >= to {
        return Vec::new();
    }
    let before = Workforce::on_day(now.seed, now.employees, from);
    let after = Workforce::on_day(now.seed, now.employees, to);
    let render = |w: &Workforce, i: u64| {
        let e = w.employee(i);
        let mut out = Vec::new();
        w.write_person(&e, &mut out);
        w.write_employment(&e, &mut out);
        out
    };
    (0..super::days::people_by(now.employees, to))
        .filter(|i| {
            let (a, b) = (before.is_listed(*i), after.is_listed(*i));
            match (a, b) {
                (false, false) => false,
                (true, true) => render(&before, *i) != render(&after, *i),
                _ => true,
            }
        })
        .collect()
}

/// A change record: the fields UKG's employee-changes returns.
fn write_change(e: &Employee, out: &mut Vec<u8>) {
    let text = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let _ = write!(
        out,
        r#"{{"employeeId":"{}","companyId":"{}","employeeNumber":"{:06}","firstName":{},"lastName":{},"emailAddress":{},"employeeStatus":"{}","employeeType":"REG","isActive":{},"jobCode":"{}","alternateJobTitle":{},"supervisorId":"{}","hireDate":"{}T00:00:00","terminationDate":"{}"}}"#,
        e.id,
        COMPANIES[e.company].0,
        e.index + 1,
        text(e.first.0),
        text(e.last.0),
        text(&e.email),
        e.status,
        e.status == "A",
        e.job.1,
        text(e.job.0),
        e.manager
            .map(super::workforce::employee_id)
            .unwrap_or_default(),
        e.hire,
        e.termination
            .map(|d| format!("{d}T00:00:00"))
            .unwrap_or_default(),
    );
}
