//! A deterministic generated workforce. Employee `i` is a pure function of (seed, i), so a
//! page is rendered on demand and a tenant of a million employees never exists in memory.
//!
//! It has what makes real tenants hard: several companies, the `employeeId` / `employeeID`
//! casing split, `""` for empty values, ISO and US date shapes, a realistic mix of statuses,
//! managers forming a tree, shared and missing e-mails, non-ASCII names, and personal data
//! (SSN, birth date, home address and phone) that an export must drop.

use std::io::Write;

use jiff::civil::Date;

/// (company id, code, name, e-mail domain) and the share of employees in tenths.
pub(super) const COMPANIES: [(&str, &str, &str, &str); 3] = [
    ("C1001", "ACME", "Acme Corp", "acme.example"),
    ("C1002", "ACMECA", "Acme Canada Ltd", "acme-ca.example"),
    ("C1003", "ACMEUK", "Acme UK Ltd", "acme-uk.example"),
];
/// Company of employee `i` by `i % 10`: 70% C1001, 20% C1002, 10% C1003.
const COMPANY_BY_TENTH: [usize; 10] = [0, 0, 0, 0, 0, 0, 0, 1, 1, 2];

pub(super) const FIRST: [(&str, &str); 40] = [
    ("James", "james"),
    ("Mary", "mary"),
    ("Robert", "robert"),
    ("Patricia", "patricia"),
    ("John", "john"),
    ("Jennifer", "jennifer"),
    ("Michael", "michael"),
    ("Linda", "linda"),
    ("David", "david"),
    ("Elizabeth", "elizabeth"),
    ("William", "william"),
    ("Barbara", "barbara"),
    ("José", "jose"),
    ("María", "maria"),
    ("Zoë", "zoe"),
    ("Chloé", "chloe"),
    ("Wei", "wei"),
    ("Mei", "mei"),
    ("Hiroshi", "hiroshi"),
    ("Yuki", "yuki"),
    ("Olumide", "olumide"),
    ("Amara", "amara"),
    ("Priya", "priya"),
    ("Arjun", "arjun"),
    ("Søren", "soren"),
    ("Ingrid", "ingrid"),
    ("Łukasz", "lukasz"),
    ("Agnieszka", "agnieszka"),
    ("Mohammed", "mohammed"),
    ("Fatima", "fatima"),
    ("Omar", "omar"),
    ("Leila", "leila"),
    ("Thomas", "thomas"),
    ("Sarah", "sarah"),
    ("Daniel", "daniel"),
    ("Emily", "emily"),
    ("Kwame", "kwame"),
    ("Ana", "ana"),
    ("Noah", "noah"),
    ("Sofia", "sofia"),
];

pub(super) const LAST: [(&str, &str); 40] = [
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("Garcia", "garcia"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Rodríguez", "rodriguez"),
    ("Martínez", "martinez"),
    ("Hernández", "hernandez"),
    ("López", "lopez"),
    ("Nguyễn", "nguyen"),
    ("Chen", "chen"),
    ("Wang", "wang"),
    ("Kim", "kim"),
    ("Tanaka", "tanaka"),
    ("Sato", "sato"),
    ("Patel", "patel"),
    ("Singh", "singh"),
    ("O'Brien", "obrien"),
    ("Müller", "muller"),
    ("Schmidt", "schmidt"),
    ("Kowalski", "kowalski"),
    ("Nowak", "nowak"),
    ("Jensen", "jensen"),
    ("Andersson", "andersson"),
    ("Dubois", "dubois"),
    ("Rossi", "rossi"),
    ("Okafor", "okafor"),
    ("Mensah", "mensah"),
    ("Haddad", "haddad"),
    ("Cohen", "cohen"),
    ("Silva", "silva"),
    ("Santos", "santos"),
    ("Taylor", "taylor"),
    ("Anderson", "anderson"),
    ("Thomas", "thomas"),
    ("Moore", "moore"),
    ("Wilson", "wilson"),
];

/// (title, job code, org level 1).
pub(super) const JOBS: [(&str, &str, &str); 16] = [
    ("Software Engineer", "SWE", "ENG"),
    ("Senior Software Engineer", "SSWE", "ENG"),
    ("Engineering Manager", "EMGR", "ENG"),
    ("Payroll Specialist", "PAYS", "FIN"),
    ("Accountant", "ACCT", "FIN"),
    ("Financial Analyst", "FINA", "FIN"),
    ("HR Business Partner", "HRBP", "HR"),
    ("Recruiter", "RECR", "HR"),
    ("Sales Representative", "SREP", "SALES"),
    ("Account Executive", "AE", "SALES"),
    ("Customer Support Agent", "CSA", "SUPPORT"),
    ("Warehouse Associate", "WHA", "OPS"),
    ("Forklift Operator", "FORK", "OPS"),
    ("Operations Manager", "OPSM", "OPS"),
    ("Marketing Coordinator", "MKTC", "MKT"),
    ("Registered Nurse", "RN", "CLIN"),
];

/// Fan-out of the manager tree: employee `i > 0` reports to `(i - 1) / FANOUT`.
const FANOUT: u64 = 8;

/// The generated workforce of a sandbox, as of a simulated day (see `days.rs`).
#[derive(Debug, Clone)]
pub struct Workforce {
    pub(super) seed: u64,
    pub(super) employees: u64,
    /// The simulated day (0: the workforce as generated).
    pub(super) day: u32,
    /// From day 1: who is listed (joiners added, removed people left out), in order.
    pub(super) listing: Option<std::sync::Arc<super::days::Listing>>,
}

/// One generated employee (the fields both endpoints need).
#[derive(Debug, Clone)]
pub struct Employee {
    /// Index in the workforce.
    pub index: u64,
    /// `employeeId`.
    pub id: String,
    /// Index into `COMPANIES`.
    pub(crate) company: usize,
    pub(super) first: (&'static str, &'static str),
    pub(super) last: (&'static str, &'static str),
    preferred: Option<&'static str>,
    pub(super) email: String,
    /// `employeeStatusCode`.
    pub status: &'static str,
    pub(super) job: (&'static str, &'static str, &'static str),
    pub(super) hire: Date,
    pub(super) termination: Option<Date>,
    pub(super) manager: Option<u64>,
    /// Gone from the listing (on a later day).
    pub(super) removed: bool,
    /// The simulated day's date of the last change (`datetimeChanged`); none on day 0.
    pub(super) changed: Option<Date>,
}

fn mix(mut x: u64) -> u64 {
    // splitmix64
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl Workforce {
    /// A workforce of `employees` people generated from `seed`.
    pub fn new(seed: u64, employees: u64) -> Self {
        Workforce {
            seed,
            employees,
            day: 0,
            listing: None,
        }
    }

    /// Number of employees listed.
    pub fn len(&self) -> u64 {
        match &self.listing {
            Some(l) => l.all.len() as u64,
            None => self.employees,
        }
    }

    /// Whether there is nobody.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether employee `i` is listed (joined by now and not removed).
    pub fn is_listed(&self, i: u64) -> bool {
        match &self.listing {
            Some(l) => l.all.binary_search(&i).is_ok(),
            None => i < self.employees,
        }
    }

    pub(super) fn rand(&self, i: u64, field: u64) -> u64 {
        mix(self.seed ^ mix(i.wrapping_mul(0x100).wrapping_add(field)))
    }

    /// The company id of a filter value, if it is one of the sandbox's companies.
    pub fn company_index(id: &str) -> Option<usize> {
        COMPANIES.iter().position(|c| c.0 == id)
    }

    /// Employees of `company` (all when none), as the `k`-th of that listing → index.
    pub fn nth(&self, company: Option<usize>, k: u64) -> Option<u64> {
        if let Some(listing) = &self.listing {
            let list = match company {
                None => &listing.all,
                Some(c) => listing.by_company.get(c)?,
            };
            return usize::try_from(k).ok().and_then(|k| list.get(k)).copied();
        }
        let index = match company {
            None => k,
            Some(c) => {
                let residues: Vec<u64> = (0..10u64)
                    .filter(|r| COMPANY_BY_TENTH[*r as usize] == c)
                    .collect();
                let per_ten = residues.len() as u64;
                (k / per_ten) * 10 + residues[(k % per_ten) as usize]
            }
        };
        (index < self.employees).then_some(index)
    }

    /// Employee `i`, as of the workforce's day.
    pub fn employee(&self, i: u64) -> Employee {
        let e = self.generated(i);
        if self.day == 0 {
            return e;
        }
        super::days::evolve(self, e)
    }

    /// Employee `i` as generated (a joiner: as on the day they joined).
    pub(super) fn generated(&self, i: u64) -> Employee {
        let first = FIRST[(self.rand(i, 1) % FIRST.len() as u64) as usize];
        let last = LAST[(self.rand(i, 2) % LAST.len() as u64) as usize];
        let company = COMPANY_BY_TENTH[(i % 10) as usize];
        let domain = COMPANIES[company].3;
        let email = match self.rand(i, 3) % 100 {
            0 | 1 => String::new(),           // 2% without e-mail
            2 => format!("payroll@{domain}"), // 1% shared mailbox
            _ => {
                // unique-ish: first.last, then first.last2, ... for later namesakes
                let combo = (FIRST.len() * LAST.len()) as u64;
                let n = i / combo;
                if n == 0 {
                    format!("{}.{}@{domain}", first.1, last.1)
                } else {
                    format!("{}.{}{}@{domain}", first.1, last.1, n + 1)
                }
            }
        };
        let status = match self.rand(i, 4) % 100 {
            0..=83 => "A",
            84..=88 => "L",
            89..=94 => "T",
            95 => "S",
            96 | 97 => "R",
            _ => "O",
        };
        let job = JOBS[(self.rand(i, 5) % JOBS.len() as u64) as usize];
        let epoch = Date::constant(2000, 1, 1);
        let hire_days = (self.rand(i, 6) % (25 * 365)) as i64;
        let hire = epoch
            .checked_add(jiff::Span::new().days(hire_days))
            .unwrap_or(epoch);
        let termination = (status == "T").then(|| {
            let days = 30 + (self.rand(i, 7) % 2000) as i64;
            hire.checked_add(jiff::Span::new().days(days))
                .unwrap_or(hire)
        });
        let preferred = self.rand(i, 8).is_multiple_of(10).then(|| {
            let nick = ["Jim", "Bob", "Liz", "Mike", "Kate", "Sam", "Alex", "Jo"];
            nick[(self.rand(i, 9) % nick.len() as u64) as usize]
        });
        Employee {
            index: i,
            id: employee_id(i),
            company,
            first,
            last,
            preferred,
            email,
            status,
            job,
            hire,
            termination,
            manager: (i > 0).then(|| (i - 1) / FANOUT),
            removed: false,
            changed: None,
        }
    }

    /// Writes employee `i`'s person-details record (`employeeId` / `companyId` casing).
    pub fn write_person(&self, e: &Employee, out: &mut Vec<u8>) {
        let company = COMPANIES[e.company];
        let r = |f| self.rand(e.index, f);
        let _ = write!(
            out,
            r#"{{"personId":"{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}","employeeId":"{}","companyId":"{}","userName":"{}.{}{}","firstName":{},"middleName":"","lastName":{},"preferredName":{},"emailAddress":"{}","emailAddressAlternate":"","homePhone":"555-{:04}","ssn":"9{:02}-{:02}-{:04}","dateOfBirth":"{}","addressLine1":"{} Elm Street","city":"Springfield","datetimeCreated":"{}T09:00:00Z","datetimeChanged":"{}T{:02}:{:02}:{:02}.{:03}Z"}}"#,
            r(20) as u32,
            r(21) as u16,
            r(22) % 0x1000,
            r(23) % 0x1000,
            r(24) % 0x1_0000_0000_0000,
            e.id,
            company.0,
            e.first.1,
            e.last.1,
            e.index,
            json_str(e.first.0),
            json_str(e.last.0),
            json_str(e.preferred.unwrap_or("")),
            e.email,
            r(25) % 10_000,
            r(26) % 100,
            r(27) % 100,
            r(28) % 10_000,
            us_date(
                Date::constant(1960, 1, 1)
                    .checked_add(jiff::Span::new().days((r(29) % 15_000) as i64))
                    .unwrap_or(Date::constant(1970, 1, 1))
            ),
            1 + r(30) % 9999,
            e.hire,
            e.changed.map(|d| d.to_string()).unwrap_or_else(|| format!(
                "2024-{:02}-{:02}",
                1 + r(31) % 12,
                1 + r(32) % 28
            )),
            r(33) % 24,
            r(34) % 60,
            r(35) % 60,
            r(36) % 1000,
        );
    }

    /// Writes employee `i`'s employment-details record (`employeeID` / `companyID` casing;
    /// dates in ISO or US shape depending on the employee).
    pub fn write_employment(&self, e: &Employee, out: &mut Vec<u8>) {
        let company = COMPANIES[e.company];
        let iso = e.index.is_multiple_of(2);
        let date = |d: Date| {
            if iso {
                format!("{d}T00:00:00")
            } else {
                us_date(d)
            }
        };
        let (sup_id, sup_first, sup_last) = match e.manager {
            Some(m) => {
                let boss = self.employee(m);
                (boss.id, boss.first.0, boss.last.0)
            }
            None => (String::new(), "", ""),
        };
        let _ = write!(
            out,
            r#"{{"employeeID":"{}","companyID":"{}","companyCode":"{}","companyName":"{}","employeeNumber":"{:06}","jobTitle":"{}","jobDescription":"{}","primaryJobCode":"{}","orgLevel1Code":"{}","orgLevel2Code":"","orgLevel3Code":"","orgLevel4Code":"","employeeStatusCode":"{}","employeeTypeCode":"REG","fullTimeOrPartTimeCode":"{}","supervisorID":"{}","supervisorFirstName":{},"supervisorLastName":{},"originalHireDate":"{}","lastHireDate":"{}","dateOfTermination":"{}","termReason":"{}","statusStartDate":"{}","dateTimeChanged":"{}T{:02}:{:02}:{:02}"}}"#,
            e.id,
            company.0,
            company.1,
            company.2,
            e.index + 1,
            e.job.0,
            e.job.0,
            e.job.1,
            e.job.2,
            e.status,
            if self.rand(e.index, 40).is_multiple_of(5) {
                "P"
            } else {
                "F"
            },
            sup_id,
            json_str(sup_first),
            json_str(sup_last),
            date(e.hire),
            date(e.hire),
            e.termination.map(date).unwrap_or_default(),
            if e.termination.is_some() {
                "Resignation"
            } else {
                ""
            },
            date(e.termination.unwrap_or(e.hire)),
            e.changed.map(|d| d.to_string()).unwrap_or_else(|| format!(
                "2024-{:02}-{:02}",
                1 + self.rand(e.index, 41) % 12,
                1 + self.rand(e.index, 42) % 28
            )),
            self.rand(e.index, 43) % 24,
            self.rand(e.index, 44) % 60,
            self.rand(e.index, 45) % 60,
        );
    }
}

/// The index of a sandbox employee id (`E0000042` → 42).
pub fn index_of(id: &str) -> Option<u64> {
    id.strip_prefix('E')
        .filter(|digits| digits.len() == 7 || digits.len() > 7 && !digits.starts_with('0'))
        .and_then(|digits| digits.parse().ok())
}

/// `E` + 7 digits: the sandbox's employee ids.
pub fn employee_id(i: u64) -> String {
    format!("E{i:07}")
}

fn us_date(d: Date) -> String {
    format!("{}/{}/{} 12:00:00 AM", d.month(), d.day(), d.year())
}

/// A JSON string literal (names may hold quotes or non-ASCII letters).
fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_dependent() {
        let a = Workforce::new(7, 100);
        let b = Workforce::new(7, 100);
        let c = Workforce::new(8, 100);
        let render = |w: &Workforce, i| {
            let mut out = Vec::new();
            let e = w.employee(i);
            w.write_person(&e, &mut out);
            w.write_employment(&e, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(render(&a, 42), render(&b, 42));
        assert_ne!(render(&a, 42), render(&c, 42));
    }

    #[test]
    fn records_are_valid_json_with_the_casing_split() {
        let w = Workforce::new(1, 50);
        for i in 0..50 {
            let e = w.employee(i);
            let mut p = Vec::new();
            w.write_person(&e, &mut p);
            let p: serde_json::Value = serde_json::from_slice(&p).unwrap();
            assert_eq!(p["employeeId"], e.id);
            assert!(p["ssn"].is_string() && p["dateOfBirth"].is_string());
            let mut m = Vec::new();
            w.write_employment(&e, &mut m);
            let m: serde_json::Value = serde_json::from_slice(&m).unwrap();
            assert_eq!(m["employeeID"], e.id);
            assert!(m.get("employeeId").is_none());
            if i > 0 {
                assert_eq!(m["supervisorID"], employee_id((i - 1) / FANOUT));
            } else {
                assert_eq!(m["supervisorID"], "");
            }
        }
    }

    #[test]
    fn realistic_mix() {
        let w = Workforce::new(42, 10_000);
        let people: Vec<_> = (0..10_000).map(|i| w.employee(i)).collect();
        let share = |f: &dyn Fn(&Employee) -> bool| {
            people.iter().filter(|e| f(e)).count() * 100 / people.len()
        };
        assert!((80..=88).contains(&share(&|e| e.status == "A")));
        assert!((1..=4).contains(&share(&|e| e.email.is_empty())));
        assert!(
            people
                .iter()
                .filter(|e| e.email.starts_with("payroll@"))
                .count()
                > 10
        );
        assert!(share(&|e| e.termination.is_some()) >= 4);
        let companies: Vec<usize> = (0..3)
            .map(|c| people.iter().filter(|e| e.company == c).count())
            .collect();
        assert_eq!(companies, [7_000, 2_000, 1_000]);
    }

    #[test]
    fn company_listing_is_exact() {
        let w = Workforce::new(1, 25);
        let c2: Vec<u64> = (0..).map_while(|k| w.nth(Some(1), k)).collect();
        assert_eq!(c2, [7, 8, 17, 18]);
        let c3: Vec<u64> = (0..).map_while(|k| w.nth(Some(2), k)).collect();
        assert_eq!(c3, [9, 19]);
        assert_eq!((0..).map_while(|k| w.nth(None, k)).count(), 25);
    }
}
