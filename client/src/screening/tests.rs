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
    let short = List::parse(
        "x.csv",
        format!("address,reason,source\n{A4},no source\n").as_bytes(),
    )
    .unwrap();
    assert!(short.entries.is_empty());
    assert_eq!(short.rejected[0].entry, "line 2");
}

/// Issue 33, item 4: a list is used only whole. A classic SDN file cut
/// between two entries, an Advanced file cut between two parties, a file
/// missing entries its Record_Count counts, a 0-byte file, a header alone,
/// an undated OFAC file: each refused by name, never read as a shorter list.
#[test]
fn a_list_cut_short_or_empty_is_not_whole() {
    let incomplete = |name: &str, bytes: &[u8]| match List::parse(name, bytes) {
        Err(ScreeningError::Incomplete { list, reason }) => {
            assert_eq!(list, name);
            reason
        }
        other => panic!("{name}: expected Incomplete, got {other:?}"),
    };
    let classic = std::str::from_utf8(CLASSIC).unwrap();
    let cut = classic.find("  <sdnEntry>\n    <uid>90004").unwrap();
    let reason = incomplete("sdn.xml", &classic.as_bytes()[..cut]);
    assert!(
        reason.contains("without closing its root <sdnList>"),
        "{reason}"
    );
    // The same cut, the root closed by hand: Record_Count says 3.
    let closed = format!("{}</sdnList>\n", &classic[..cut]);
    let reason = incomplete("sdn.xml", closed.as_bytes());
    assert_eq!(
        reason,
        "it says it holds 3 records (Record_Count) and holds 1"
    );
    let advanced = std::str::from_utf8(ADVANCED).unwrap();
    let cut = advanced.rfind("<DistinctParty").unwrap();
    incomplete("SDN_ADVANCED.XML", &advanced.as_bytes()[..cut]);
    let undated = classic.replace("<Publish_Date>11/20/2026</Publish_Date>", "");
    let reason = incomplete("sdn.xml", undated.as_bytes());
    assert!(reason.contains("no publish date"), "{reason}");
    let reason = incomplete("issuer.csv", b"");
    assert!(reason.contains("empty"), "{reason}");
    let reason = incomplete("issuer.csv", b"address,reason,source,added_at\n");
    assert!(reason.contains("no entry"), "{reason}");
    let reason = incomplete("sdn.xml", b"<sdnList><publshInformation><Publish_Date>11/20/2026</Publish_Date></publshInformation></sdnList>");
    assert!(reason.contains("no entry"), "{reason}");
}

/// Issue 33, item 6: what is not a list is refused, and what a list keeps
/// bounds its memory: base64 text is no issuer CSV; tags nested without end
/// are no OFAC list; a list of many bad rows keeps a thousand with their
/// text and counts the rest.
#[test]
fn junk_is_refused_and_a_list_keeps_only_so_much() {
    let base64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n".repeat(50_000);
    assert!(matches!(
        List::parse("dump.csv", base64.as_bytes()),
        Err(ScreeningError::UnknownFormat { .. })
    ));
    let nested = format!("<sdnList>{}", "<a>".repeat(200_000));
    let Err(ScreeningError::Malformed { reason, .. }) = List::parse("deep.xml", nested.as_bytes())
    else {
        panic!("nested tags read as a list")
    };
    assert!(reason.contains("nested deeper than 32"), "{reason}");
    let mut many = String::from("address,reason,source\n");
    for i in 0..5_000 {
        many.push_str(&format!("not-an-address-{i},r,s\n"));
    }
    many.push_str(&format!("{A4},r,s\n"));
    let list = List::parse("many.csv", many.as_bytes()).unwrap();
    assert_eq!(addresses(&list), [A4]);
    assert_eq!(list.rejected.len(), REJECTED_KEPT);
    assert_eq!(list.rejected_total, 5_000);
    assert_eq!(list.records, 5_001);
}

/// Issue 33, item 7: a spreadsheet's CSV (CRLF line ends, a byte-order
/// mark, a comment) numbers its lines as an editor does.
#[test]
fn csv_lines_are_numbered_as_editors_number_them_crlf_too() {
    let text = format!(
        "{}# exported 2026-12-01\r\naddress,reason,source,added_at\r\n{A4},fraud,ops,2026-11-02\r\n\r\nbad-one,x,y,2026-11-03\r\n{A5},\"court order,\r\ncase 7\",legal,2026-11-04\r\n",
        '\u{feff}'
    );
    let list = List::parse("issuer.csv", text.as_bytes()).unwrap();
    assert_eq!(list.entries[0].entry, "line 3");
    assert_eq!(list.rejected[0].entry, "line 5");
    assert_eq!(list.entries[1].entry, "line 6");
    assert_eq!(list.entries[1].reason, "court order,\r\ncase 7");
}

/// Issue 33, item 4: how much of the previous version a new one drops.
#[test]
fn a_new_version_says_how_much_of_the_old_it_lost() {
    let old = List::parse("SDN_ADVANCED.XML", ADVANCED).unwrap();
    let new = List::parse("SDN_ADVANCED.XML", ADVANCED_NEXT).unwrap();
    // One of two addresses removed.
    assert_eq!(new.loss_bps_since(&old), 5_000);
    assert_eq!(new.loss_bps_since(&new), 0);
}
