//! The report's bytes and its eligibility rules.
use super::*;

fn reading(name: &str, amount: u64, holding: Option<Holding>) -> Reading {
    Reading {
        name: name.into(),
        kind: "file".into(),
        location: format!("/custody/{name}.json"),
        amount,
        as_of: 100,
        holding,
    }
}

fn holding(class: AssetClass, custodian: &str, maturity: Option<&str>) -> Option<Holding> {
    Some(Holding {
        asset_class: class,
        custodian: custodian.into(),
        account: "main".into(),
        maturity: maturity.map(Into::into),
    })
}

#[test]
fn a_report_without_classes_keeps_its_version_1_bytes_whatever_the_order() {
    let a = Report::build(
        "M",
        3,
        200,
        6,
        &[reading("b", 2, None), reading("a", 1, None)],
        None,
    )
    .unwrap();
    let b = Report::build(
        "M",
        3,
        200,
        6,
        &[reading("a", 1, None), reading("b", 2, None)],
        None,
    )
    .unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.reserve_amount(), 3);
    let text = String::from_utf8(a.to_bytes()).unwrap();
    assert_eq!(
        text,
        "{\"version\":1,\"mint\":\"M\",\"seq\":3,\"as_of\":200,\"decimals\":6,\
         \"reserve_base_units\":\"3\",\"reserve\":\"0.000003\",\"components\":[\
         {\"name\":\"a\",\"kind\":\"file\",\"location\":\"/custody/a.json\",\
         \"amount_base_units\":\"1\",\"amount\":\"0.000001\",\"as_of\":100},\
         {\"name\":\"b\",\"kind\":\"file\",\"location\":\"/custody/b.json\",\
         \"amount_base_units\":\"2\",\"amount\":\"0.000002\",\"as_of\":100}]}\n"
    );
    let parsed: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, a);
    assert!(parsed.is_consistent());
    assert_eq!(
        Report::build(
            "M",
            3,
            200,
            6,
            &[reading("a", u64::MAX, None), reading("b", 1, None)],
            None
        ),
        None
    );
}

#[test]
fn t_bills_past_the_limit_and_matured_ones_do_not_count() {
    let as_of = unix_of_date("2026-12-01").unwrap();
    let policy = EligibilityPolicy {
        max_tbill_days: Some(93),
        ..EligibilityPolicy::default()
    };
    let readings = [
        reading("bank", 500, holding(AssetClass::Cash, "Bank A", None)),
        reading(
            "bill-90",
            300,
            holding(AssetClass::TreasuryBill, "Broker", Some("2027-03-01")),
        ),
        reading(
            "bill-180",
            200,
            holding(AssetClass::TreasuryBill, "Broker", Some("2027-05-30")),
        ),
        reading(
            "bill-old",
            50,
            holding(AssetClass::TreasuryBill, "Broker", Some("2026-11-30")),
        ),
    ];
    let report = Report::build("M", 1, as_of, 0, &readings, Some(&policy)).unwrap();
    assert_eq!(report.version, COMPOSITION_REPORT_VERSION);
    assert_eq!(report.reserve_amount(), 800);
    assert_eq!(report.gross_base_units.as_deref(), Some("1050"));
    let reason = |name: &str| {
        report
            .components
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .ineligible_reason
            .clone()
    };
    assert_eq!(
        reason("bill-180").unwrap(),
        "matures in 180 days, beyond the 93-day limit"
    );
    assert_eq!(reason("bill-old").unwrap(), "matured on 2026-11-30");
    assert_eq!(reason("bill-90"), None);
    assert!(report.is_consistent());
    let parsed: Report = serde_json::from_slice(&report.to_bytes()).unwrap();
    assert_eq!(parsed.sha256(), report.sha256());
}

#[test]
fn a_custodian_above_its_share_counts_only_up_to_it() {
    let policy = EligibilityPolicy {
        max_custodian_share_bps: Some(5_000),
        ..EligibilityPolicy::default()
    };
    let readings = [
        reading("a-1", 600, holding(AssetClass::Cash, "Bank A", None)),
        reading(
            "a-2",
            200,
            holding(AssetClass::MoneyMarketFund, "Bank A", None),
        ),
        reading("b", 200, holding(AssetClass::Cash, "Bank B", None)),
    ];
    let report = Report::build("M", 1, 100, 0, &readings, Some(&policy)).unwrap();
    // Cap 50% of 1000 = 500: Bank A's 800 loses 300, from its last line first.
    assert_eq!(report.reserve_amount(), 700);
    let eligible: Vec<&str> = report
        .components
        .iter()
        .map(|c| c.eligible_base_units.as_deref().unwrap())
        .collect();
    assert_eq!(eligible, vec!["500", "0", "200"]);
    assert!(report.components[1]
        .ineligible_reason
        .as_deref()
        .unwrap()
        .contains("Bank A holds more than 50.00%"));
    assert!(report.is_consistent());
    let mut forged = report.clone();
    forged.reserve_base_units = "1000".into();
    assert!(!forged.is_consistent());
}

#[test]
fn classes_outside_the_policy_and_unclassified_lines_when_required_do_not_count() {
    let policy = EligibilityPolicy {
        classes: Some(vec![AssetClass::Cash]),
        require_class: true,
        ..EligibilityPolicy::default()
    };
    let readings = [
        reading("cash", 10, holding(AssetClass::Cash, "Bank A", None)),
        reading("repo", 20, holding(AssetClass::ReverseRepo, "Dealer", None)),
        reading("legacy", 30, None),
    ];
    let report = Report::build("M", 1, 100, 0, &readings, Some(&policy)).unwrap();
    assert_eq!(report.reserve_amount(), 10);
    assert_eq!(
        report.components[2].ineligible_reason.as_deref(),
        Some("Overnight reverse repo are not accepted")
    );
    assert_eq!(
        report.components[1].ineligible_reason.as_deref(),
        Some("no asset class")
    );
    assert_eq!(policy.check(), Ok(()));
    let bad = EligibilityPolicy {
        max_custodian_share_bps: Some(0),
        ..EligibilityPolicy::default()
    };
    assert!(bad.check().is_err());
}

#[test]
fn dates_are_checked_and_counted_from_the_civil_calendar() {
    assert_eq!(unix_of_date("1970-01-01"), Some(0));
    assert_eq!(unix_of_date("2000-03-01"), Some(951_868_800));
    assert_eq!(unix_of_date("2024-02-29"), Some(1_709_164_800));
    assert_eq!(unix_of_date("2023-02-29"), None);
    assert_eq!(unix_of_date("2026-13-01"), None);
    assert_eq!(unix_of_date("26-01-01"), None);
}
