//! What the sync state keeps of a user: the normalized record without `updated_at` (a change
//! of that clock alone is not a change), as canonical JSON, and a 64-bit fingerprint of it.

use crate::User;

/// The key a user is tracked by: company and id (one person can be employed by several
/// companies, each employment with its own id).
pub fn user_key(user: &User) -> String {
    format!("{}/{}", user.company_id.as_deref().unwrap_or(""), user.id)
}

/// A user as the sync state keeps it: only the JSON and its fingerprint (the record is
/// parsed back only for the few users an event is about, so a first sync of a large tenant
/// holds one copy of each record, not two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The record without `updated_at`, as canonical JSON (fields in [`User::FIELDS`] order).
    pub json: String,
    /// FNV-1a of `json`.
    pub fingerprint: u64,
}

impl Snapshot {
    /// The snapshot of `user`.
    pub fn of(user: &User) -> Snapshot {
        let mut user = user.clone();
        user.updated_at = None;
        // A struct of strings, dates and an enum always serializes.
        let json = serde_json::to_string(&user).unwrap_or_default();
        let fingerprint = fnv1a(json.as_bytes());
        Snapshot { json, fingerprint }
    }

    /// A snapshot read back from its JSON, checked to be a user record; `None` when it is
    /// not (a state written by something else).
    pub fn from_json(json: &str) -> Option<Snapshot> {
        let user: User = serde_json::from_str(json).ok()?;
        Some(Snapshot::of(&user))
    }

    /// The record. Snapshots are made by [`Snapshot::of`] or checked by
    /// [`Snapshot::from_json`], so this always parses; `None` would mean memory corruption.
    pub fn user(&self) -> Option<User> {
        serde_json::from_str(&self.json).ok()
    }
}

/// 64-bit FNV-1a: stable across versions and platforms, which a persisted fingerprint needs
/// (the standard library's hasher promises neither).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updated_at_alone_does_not_change_the_fingerprint() {
        let mut a = User::new("E1");
        a.company_id = Some("C1".into());
        let mut b = a.clone();
        b.updated_at = "2026-01-02T03:04:05".parse().ok();
        assert_eq!(Snapshot::of(&a).fingerprint, Snapshot::of(&b).fingerprint);
        b.email = Some("x@example.com".into());
        assert_ne!(Snapshot::of(&a).fingerprint, Snapshot::of(&b).fingerprint);
        assert_eq!(user_key(&a), "C1/E1");
        let back = Snapshot::from_json(&Snapshot::of(&b).json).unwrap();
        assert_eq!(back, Snapshot::of(&b));
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
