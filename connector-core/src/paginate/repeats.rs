//! The one guard every listing runs against a server that does not move on: a page equal
//! to an earlier one, or a page whose records are mostly ones already listed (a server that
//! repeats the previous page plus one new record would otherwise page forever).

use std::collections::{HashMap, HashSet};

/// What a listing has seen: a digest per record and per page.
#[derive(Debug, Default)]
pub(crate) struct Repeats {
    records: HashSet<u64>,
    pages: HashMap<u64, u32>,
}

/// Why a page was refused: what happened, and what to do.
pub(crate) type Refusal = (String, &'static str);

impl Repeats {
    /// Checks page `number`, given a digest of each of its records in order, and remembers
    /// them. A page is refused when it repeats an earlier page record for record, or when more
    /// than half of its records (two at least) were listed on earlier pages.
    pub(crate) fn check(&mut self, number: u32, records: &[u64]) -> Result<(), Refusal> {
        if records.is_empty() {
            return Ok(());
        }
        let print = page_print(records);
        if let Some(earlier) = self.pages.get(&print) {
            return Err((
                format!("page {number} repeats page {earlier} record for record; stopped instead of looping forever"),
                "the server seems to ignore the paging parameters; check the API URL and any proxy in front of the API",
            ));
        }
        let repeated = records.iter().filter(|r| self.records.contains(r)).count();
        if records.len() >= 2 && repeated * 2 > records.len() {
            return Err((
                format!(
                    "page {number}: {repeated} of its {} records were already listed on earlier pages; stopped instead of paging on (the listing does not move forward)",
                    records.len()
                ),
                "the server keeps returning records it already sent (a paging parameter ignored, or a cursor that does not advance); report it to the API's owner",
            ));
        }
        self.records.extend(records.iter().copied());
        self.pages.insert(print, number);
        Ok(())
    }
}

/// One digest for a page: its records' digests in order.
fn page_print(records: &[u64]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    records.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_equal_to_an_earlier_one_is_refused() {
        let mut r = Repeats::default();
        r.check(1, &[1, 2, 3]).unwrap();
        r.check(2, &[4, 5, 6]).unwrap();
        let (why, _) = r.check(3, &[1, 2, 3]).unwrap_err();
        assert!(why.contains("page 3 repeats page 1"), "{why}");
    }

    #[test]
    fn a_page_mostly_already_seen_is_refused_and_a_little_overlap_is_not() {
        let mut r = Repeats::default();
        r.check(1, &[1, 2, 3, 4]).unwrap();
        // Records shifting by one while paging (a deletion) overlap a little: fine.
        r.check(2, &[4, 5, 6, 7]).unwrap();
        // The previous page again plus one new record: refused.
        let (why, _) = r.check(3, &[5, 6, 7, 8]).unwrap_err();
        assert!(why.contains("page 3: 3 of its 4 records"), "{why}");
        assert!(Repeats::default().check(1, &[]).is_ok());
    }
}
