//! The three list formats, read from fixtures written in their schemas' shapes.
use super::*;

const ADVANCED: &[u8] = include_bytes!("../../../tests/fixtures/screening/sdn_advanced.xml");
const ADVANCED_NEXT: &[u8] =
    include_bytes!("../../../tests/fixtures/screening/sdn_advanced_next.xml");
const CLASSIC: &[u8] = include_bytes!("../../../tests/fixtures/screening/sdn.xml");
const ISSUER: &[u8] = include_bytes!("../../../tests/fixtures/screening/issuer.csv");

const A0: &str = "3cAkmJmPU3Me13X3xQVn6cBNszbNCSvyBLEsFcxdQ1tG";
const A1: &str = "5FMtxLU8q6AJ6oXecMa59biheG194Fy7rfEivmCQ34sH";
const A2: &str = "EZRW7YDX9xVvXJkEHG592HyLwvjDHGboVgougPYEKSKA";
const A3: &str = "HxfTHncW4DheCWB2ZKePTwp4n2NoUd2yGjPkV9Eeaegz";
const A4: &str = "2wT25LzYao65s7aagFJcWX9febH11FUXruQFFk6icSbH";
const A5: &str = "HgfFC9KYsjnBYHhHZQBFZF8khSzs1DhzQnKg7vATfBzH";

fn key(text: &str) -> Pubkey {
    text.parse().unwrap()
}

fn addresses(list: &List) -> Vec<String> {
    list.entries.iter().map(|e| e.address.to_string()).collect()
}

#[test]
fn sdn_advanced_xml_keeps_only_solana_addresses_with_the_identity_they_name() {
    let list = List::parse("SDN_ADVANCED.XML", ADVANCED).unwrap();
    assert_eq!(list.format, Format::SdnAdvanced);
    assert_eq!(list.version.published.as_deref(), Some("2026-11-20"));
    assert_eq!(list.version.sha256, crate::hex(&crate::sha256(ADVANCED)));
    assert_eq!(addresses(&list), [A0, A1]);
    let first = &list.entries[0];
    assert_eq!(first.entry, "DistinctParty 90001 Feature 8101");
    // The primary alias's name, not the former one; entities unescaped.
    assert_eq!(
        first.subject.as_deref(),
        Some("EXAMPLE TRADING & LOGISTICS LLC")
    );
    assert_eq!(first.reason, "CYBER2");
    assert_eq!(first.source, "OFAC SDN");
    assert_eq!(list.entries[1].subject.as_deref(), Some("JANE Q EXAMPLE"));
    assert_eq!(list.entries[1].reason, "SDGT");
    // The XBT and birthdate features are not Solana entries; the malformed
    // SOL one is reported with its place, not dropped.
    assert_eq!(
        list.rejected,
        [Rejected {
            entry: "DistinctParty 90001 Feature 8105".into(),
            text: "0x00000000000000000000000000000000deadbeef".into(),
            reason: "'0x00000000000000000000000000000000deadbeef' is not a base58 Solana address"
                .into(),
        }]
    );
}

#[test]
fn a_new_version_says_what_it_added_and_removed() {
    let old = List::parse("SDN_ADVANCED.XML", ADVANCED).unwrap();
    let new = List::parse("SDN_ADVANCED.XML", ADVANCED_NEXT).unwrap();
    assert_eq!(new.version.published.as_deref(), Some("2026-12-01"));
    assert_ne!(new.version.sha256, old.version.sha256);
    let changes = new.changes_since(&old);
    let added: Vec<String> = changes
        .added
        .iter()
        .map(|e| e.address.to_string())
        .collect();
    let removed: Vec<String> = changes
        .removed
        .iter()
        .map(|e| e.address.to_string())
        .collect();
    // The added address was written with spaces around it: trimmed, not refused.
    assert_eq!(added, [A2]);
    assert_eq!(changes.added[0].reason, "CYBER3");
    assert_eq!(removed, [A1]);
    assert_eq!(changes.from, old.version);
    assert_eq!(changes.to, new.version);
    assert!(new.changes_since(&new).added.is_empty());
}

#[test]
fn classic_sdn_xml_reads_sol_ids_and_reports_bad_ones() {
    let list = List::parse("sdn.xml", CLASSIC).unwrap();
    assert_eq!(list.format, Format::Sdn);
    assert_eq!(list.version.published.as_deref(), Some("2026-11-20"));
    assert_eq!(addresses(&list), [A0, A3]);
    assert_eq!(list.entries[0].entry, "sdnEntry 90001 id 8101");
    assert_eq!(
        list.entries[0].subject.as_deref(),
        Some("EXAMPLE TRADING & LOGISTICS LLC")
    );
    // The name is the entry's, not its a.k.a.'s.
    assert_eq!(list.entries[1].subject.as_deref(), Some("JOHN EXAMPLE"));
    assert_eq!(list.entries[1].reason, "SDGT, CYBER2");
    assert_eq!(list.rejected.len(), 1);
    assert_eq!(list.rejected[0].entry, "sdnEntry 90004 id 8402");
    assert_eq!(list.rejected[0].text, "not-a-solana-address");
}

#[test]
fn the_issuers_csv_is_read_with_quotes_and_never_case_folded() {
    let list = List::parse("issuer.csv", ISSUER).unwrap();
    assert_eq!(list.format, Format::Csv);
    assert_eq!(addresses(&list), [A4, A5, A1]);
    assert_eq!(list.entries[0].entry, "line 2");
    assert_eq!(list.entries[0].reason, "fraud report 2026-117");
    assert_eq!(list.entries[0].source, "issuer compliance");
    assert_eq!(list.entries[1].reason, "court order, case 26-CV-0042");
    assert_eq!(
        list.entries[1].added_at.as_deref(),
        Some("2026-11-28T09:30:00Z")
    );
    // The newest added_at is the list's date.
    assert_eq!(list.version.published.as_deref(), Some("2026-11-28"));
    // A lower-cased address is another string, and not base58 here: reported
    // with its line, not folded back into the address it came from.
    assert_eq!(list.rejected.len(), 1);
    assert_eq!(list.rejected[0].entry, "line 4");
    assert_eq!(list.rejected[0].text, A0.to_lowercase());
}

#[test]
fn the_screener_finds_every_entry_and_only_exact_addresses() {
    let screener = Screener::new(vec![
        List::parse("SDN_ADVANCED.XML", ADVANCED).unwrap(),
        List::parse("issuer.csv", ISSUER).unwrap(),
    ]);
    let hits = screener.hits(&key(A1));
    let lists: Vec<&str> = hits.iter().map(|h| h.list.as_str()).collect();
    assert_eq!(lists, ["SDN_ADVANCED.XML", "issuer.csv"]);
    assert_eq!(hits[1].entry.entry, "line 5");
    assert!(screener.is_listed(&key(A4)));
    assert!(!screener.is_listed(&key(A3)));
    // One letter's case changed is a different (valid) address: no hit.
    let flipped = A4.replacen('T', "t", 1);
    let other = key(&flipped);
    assert_ne!(other, key(A4));
    assert!(screener.hits(&other).is_empty());
}

#[test]
fn what_is_not_a_list_is_refused_by_name() {
    let not_ofac = List::parse("x.xml", b"<?xml version=\"1.0\"?><rss><channel/></rss>");
    assert!(matches!(
        not_ofac,
        Err(ScreeningError::UnknownFormat { .. })
    ));
    let broken = List::parse("x.xml", b"<sdnList><sdnEntry><uid>1</sdnEntry></sdnList>");
    let Err(ScreeningError::Malformed { list, reason }) = broken else {
        panic!("{broken:?}")
    };
    assert_eq!(list, "x.xml");
    assert!(reason.starts_with("at byte "), "{reason}");
    assert!(matches!(
        List::parse("x.csv", &[0xff, 0xfe, 0x00]),
        Err(ScreeningError::Malformed { .. })
    ));
    let short = List::parse("x.csv", format!("{A4},no source\n").as_bytes()).unwrap();
    assert!(short.entries.is_empty());
    assert_eq!(short.rejected[0].entry, "line 1");
}
