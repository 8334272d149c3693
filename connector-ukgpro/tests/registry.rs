//! The provider registers itself and the registry finds it (or names what exists).

use connector_core::registry;

#[test]
fn registry_lists_ukgpro_sorted_and_finds_it() {
    let ids: Vec<_> = registry::providers().iter().map(|d| d.id()).collect();
    assert!(ids.contains(&"ukgpro"), "{ids:?}");
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    let d = registry::provider("ukgpro").unwrap();
    assert_eq!(d.name(), "UKG Pro");
    assert_eq!(d.checks(), connector_ukgpro::check::CHECKS);
}

#[test]
fn unknown_provider_names_the_available_ones() {
    let err = registry::provider("workday").unwrap_err();
    assert!(
        err.to_string().contains("unknown provider `workday`"),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("ukgpro"), "{:?}", err.hint());
}
