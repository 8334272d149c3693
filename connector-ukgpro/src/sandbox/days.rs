//! A workforce that lives: `--day N` serves the workforce as of simulated day N. Between days,
//! deterministic joiners, leavers (some future-dated), releases, leaves and returns,
//! suspensions, job and manager changes, name changes, rehires and removals happen, each a
//! pure function of (seed, employee, day), so any day can be served without the ones before
//! it having been served.

use std::sync::Arc;

use jiff::civil::Date;

use super::workforce::{Employee, Workforce, COMPANIES, JOBS, LAST};

/// Day 0's calendar date; day N is N days later.
pub const DAY_ZERO: Date = Date::constant(2026, 1, 5);

/// The calendar date of simulated day `day`.
pub fn date_of(day: u32) -> Date {
    DAY_ZERO
        .checked_add(jiff::Span::new().days(i64::from(day)))
        .unwrap_or(DAY_ZERO)
}

/// Who is listed on a day after day 0, in listing order, overall and by company.
#[derive(Debug)]
pub struct Listing {
    pub(super) all: Vec<u64>,
    pub(super) by_company: [Vec<u64>; 3],
}

/// People who join each day: 0.2% of the first day's workforce, at least one.
fn joiners_per_day(employees: u64) -> u64 {
    if employees == 0 {
        0
    } else {
        (employees / 500).max(1)
    }
}

/// Everyone who has joined by day `day` (listed or not): indices below this.
pub(super) fn people_by(employees: u64, day: u32) -> u64 {
    employees.saturating_add(joiners_per_day(employees) * u64::from(day))
}

/// The day employee `i` joined (0 for the first day's workforce).
fn join_day(w: &Workforce, i: u64) -> u32 {
    if i < w.employees {
        return 0;
    }
    let per_day = joiners_per_day(w.employees).max(1);
    u32::try_from((i - w.employees) / per_day + 1).unwrap_or(u32::MAX)
}

impl Workforce {
    /// The workforce of `employees` people generated from `seed`, as of simulated day `day`.
    pub fn on_day(seed: u64, employees: u64, day: u32) -> Workforce {
        let mut w = Workforce::new(seed, employees);
        if day == 0 {
            return w;
        }
        w.day = day;
        let total = people_by(employees, day);
        let mut listing = Listing {
            all: Vec::new(),
            by_company: [Vec::new(), Vec::new(), Vec::new()],
        };
        for i in 0..total {
            let e = w.employee(i);
            if !e.removed {
                listing.all.push(i);
                listing.by_company[e.company].push(i);
            }
        }
        w.listing = Some(Arc::new(listing));
        w
    }
}

/// Employee `e` (as generated) as of the workforce's day: what happened to them on each day
/// since they joined, at most one thing a day.
pub(super) fn evolve(w: &Workforce, mut e: Employee) -> Employee {
    let i = e.index;
    let joined = join_day(w, i);
    if joined > w.day {
        e.removed = true;
        return e;
    }
    if joined > 0 {
        e.status = "A";
        e.hire = date_of(joined);
        e.termination = None;
        e.changed = Some(date_of(joined));
    }
    for day in joined + 1..=w.day {
        let roll = w.rand(i, 10_000 + u64::from(day)) % 10_000;
        let pick = w.rand(i, 20_000 + u64::from(day));
        let today = date_of(day);
        let was = (e.status, e.job.1, e.manager, e.last.1, e.removed);
        match e.status {
            "A" => match roll {
                // Terminated; one in five dated ahead (notice given).
                0..=19 => {
                    e.status = "T";
                    e.termination = Some(if pick.is_multiple_of(5) {
                        today
                            .checked_add(jiff::Span::new().days(7 + (pick % 23) as i64))
                            .unwrap_or(today)
                    } else {
                        today
                    });
                }
                20..=24 => {
                    e.status = "R";
                    e.termination = Some(today);
                }
                25..=54 => e.status = "L",
                55..=59 => e.status = "S",
                60..=119 => e.job = JOBS[(pick % JOBS.len() as u64) as usize],
                120..=149 => e.manager = (i > 0).then(|| pick % i),
                150..=169 => {
                    e.last = LAST[(pick % LAST.len() as u64) as usize];
                    if !e.email.is_empty() && !e.email.starts_with("payroll@") {
                        e.email =
                            format!("{}.{}{i}@{}", e.first.1, e.last.1, COMPANIES[e.company].3);
                    }
                }
                170..=172 => {
                    e.removed = true;
                    e.changed = Some(today);
                    return e;
                }
                _ => {}
            },
            "L" | "S" | "O" => {
                if roll < 500 {
                    e.status = "A";
                }
            }
            // Terminated or released: some come back.
            _ => {
                if roll < 200 {
                    e.status = "A";
                    e.hire = today;
                    e.termination = None;
                }
            }
        }
        if (e.status, e.job.1, e.manager, e.last.1, e.removed) != was {
            e.changed = Some(today);
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_zero_is_the_generated_workforce() {
        let a = Workforce::new(42, 300);
        let b = Workforce::on_day(42, 300, 0);
        for i in 0..300 {
            let (x, y) = (a.employee(i), b.employee(i));
            assert_eq!((x.id, x.status, x.hire), (y.id, y.status, y.hire));
        }
    }

    #[test]
    fn days_bring_every_kind_of_change_deterministically() {
        let before = Workforce::on_day(42, 2_000, 9);
        let after = Workforce::on_day(42, 2_000, 10);
        assert_eq!(
            after.len(),
            Workforce::on_day(42, 2_000, 10).len(),
            "deterministic"
        );
        let mut joined = 0;
        let (mut left, mut back, mut moved, mut renamed, mut removed, mut rehired) =
            (0, 0, 0, 0, 0, 0);
        for i in 0..after.len() + 100 {
            let (b, a) = (before.employee(i), after.employee(i));
            if a.removed && b.removed {
                continue;
            }
            if b.removed && !a.removed {
                joined += 1;
                assert_eq!(a.hire, date_of(10));
                continue;
            }
            if a.removed {
                removed += 1;
                continue;
            }
            match (b.status, a.status) {
                ("A", "T" | "R") => left += 1,
                ("L" | "S" | "O", "A") => back += 1,
                ("T" | "R", "A") => rehired += 1,
                _ => {}
            }
            moved += usize::from(a.job != b.job || a.manager != b.manager);
            renamed += usize::from(a.last != b.last);
        }
        assert_eq!(joined, 4);
        assert!(
            left > 0 && back > 0 && moved > 0 && renamed > 0,
            "{left} {back} {moved} {renamed}"
        );
        assert!(removed + rehired < 20);
    }
}
