//! The one guard every listing runs against a server that does not move on: a page equal
//! to an earlier one, or a page whose records are mostly ones listed on the pages just before
//! (a server that repeats the previous page plus one new record would otherwise page
//! forever).
//!
//! Memory: one digest per page for the whole listing, and the record digests of the last
//! [`WINDOW`] pages only, so the guard does not grow with the tenant (the export's own
//! de-duplication catches a record repeated from long before).

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Pages whose records a new page is compared with.
const WINDOW: usize = 2;

/// What a listing has seen: a digest per page, and per record of the recent pages.
#[derive(Debug, Default)]
pub(crate) struct Repeats {
    /// The record digests of the last [`WINDOW`] pages.
    recent: VecDeque<HashSet<u64, BuildHasherDefault<Digest>>>,
    pages: HashMap<u64, u32>,
}

/// Record digests are hashes already: they are their own hash.
#[derive(Debug, Default)]
struct Digest(u64);

impl Hasher for Digest {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Why a page was refused: what happened, and what to do.
pub(crate) type Refusal = (String, &'static str);

impl Repeats {
    /// Checks page `number`, given a digest of each of its records in order, and remembers
    /// them. A page is refused when it repeats an earlier page record for record, or when more
    /// than half of its records (two at least) were listed on the [`WINDOW`] pages before.
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
        let repeated = records
            .iter()
            .filter(|r| self.recent.iter().any(|page| page.contains(r)))
            .count();
        if records.len() >= 2 && repeated * 2 > records.len() {
            return Err((
                format!(
                    "page {number}: {repeated} of its {} records were already listed on the pages before; stopped instead of paging on (the listing does not move forward)",
                    records.len()
                ),
                "the server keeps returning records it already sent (a paging parameter ignored, or a cursor that does not advance); report it to the API's owner",
            ));
        }
        if self.recent.len() == WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(records.iter().copied().collect());
        self.pages.insert(print, number);
        Ok(())
    }
}

/// One digest for a page: its records' digests in order.
fn page_print(records: &[u64]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(records)
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

    #[test]
    fn only_the_recent_pages_records_are_kept() {
        let mut r = Repeats::default();
        for page in 0..20u64 {
            r.check(page as u32 + 1, &[page * 2, page * 2 + 1, 500 + page])
                .unwrap();
        }
        assert_eq!(r.recent.len(), WINDOW);
        // Records of page 1 again, long after (with one new record): left to the export's
        // de-duplication, not refused here.
        r.check(21, &[0, 1, 1000]).unwrap();
        // Records of the page just before: refused.
        assert!(r.check(22, &[0, 1, 2000]).is_err());
    }
}
