//! The monthly reserve report (issue 25): `usd1 report monthly` over a
//! history that spans three months, its figures checked against the chain,
//! its refusals by name, and the officers' certification of what it wrote.
use std::path::Path;

use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::monthly::Month;
use usd1_client::reserve_report::{AssetClass, Holding, Reading, Report};
use usd1_tests::cli_harness::{fails, ok, s, Keys};
use usd1_tests::tour::rfc3339;
use usd1_tests::*;

/// Cash at one bank and two bills (maturing 30 and 90 days after `as_of`, by date).
fn report(f: &Fixture, seq: u64, as_of: i64, cash: u64) -> Report {
    let reading =
        |name: &str, amount: u64, class, custodian: &str, maturity: Option<String>| Reading {
            name: name.into(),
            kind: "file".into(),
            location: format!("custody/{name}.json"),
            amount,
            as_of,
            holding: Some(Holding {
                asset_class: class,
                custodian: custodian.into(),
                account: "Reserve".into(),
                maturity,
            }),
        };
    let date = |days: i64| rfc3339(as_of + days * 86_400)[..10].to_string();
    let readings = [
        reading("bank", cash, AssetClass::Cash, "First Bank", None),
        reading(
            "bills-30",
            200_000 * ONE,
            AssetClass::TreasuryBill,
            "Broker",
            Some(date(30)),
        ),
        reading(
            "bills-90",
            200_000 * ONE,
            AssetClass::TreasuryBill,
            "Custody Co",
            Some(date(90)),
        ),
    ];
    Report::build(&f.mint().to_string(), seq, as_of, DECIMALS, &readings, None).unwrap()
}

async fn attest_report(f: &Fixture, cash: u64, reports: &Path) -> Report {
    let next = f.next_args(0).await;
    let r = report(f, next.seq, next.as_of, cash);
    let signers = f.signers(usize::from(THRESHOLD));
    f.usd1.attest(r.attest_args(), &signers).await.unwrap();
    std::fs::write(reports.join(format!("report-{}.json", r.seq)), r.to_bytes()).unwrap();
    r
}

#[tokio::test]
async fn the_months_figures_come_from_the_chain_and_the_attested_report() {
    let f = Fixture::new(Flavor::Token2022).await;
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    f.fund(&f.holder.pubkey()).await;
    f.fund(&f.treasurer.pubkey()).await;
    let files = Keys::new();
    let reports = files.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let holder = f.holder.pubkey();

    // Into the next calendar month: the one reported on.
    let now = f.now().await;
    let month = Month::parse(&rfc3339(Month::parse(&rfc3339(now)[..7]).unwrap().end)[..7]).unwrap();
    f.advance_clock(month.start - now + 3_600).await;
    attest_report(&f, 500_000 * ONE, &reports).await;
    f.usd1
        .mint_to(&f.minter, &holder, 1_000 * ONE)
        .await
        .unwrap();
    let (id, _) = f
        .usd1
        .request_redemption(&f.holder, 100 * ONE, [1; 32])
        .await
        .unwrap();
    f.advance_clock(7_200).await;
    f.usd1
        .settle_redemption(&f.treasurer, id, [2; 32])
        .await
        .unwrap();
    let (id, _) = f
        .usd1
        .request_redemption(&f.holder, 50 * ONE, [3; 32])
        .await
        .unwrap();
    f.usd1.reject_redemption(&f.treasurer, id, 4).await.unwrap();
    f.advance_clock(9 * 86_400).await;
    let last = attest_report(&f, 600_000 * ONE, &reports).await;
    f.usd1.mint_to(&f.minter, &holder, 500 * ONE).await.unwrap();
    // A stray file matches no attestation and is ignored.
    std::fs::write(reports.join("notes.json"), b"{}").unwrap();

    // The month is not over yet.
    let m = s(&f.mint());
    let out_dir = files.path().join("out").to_string_lossy().into_owned();
    let reports_dir = reports.to_string_lossy().into_owned();
    let argv = |label: &str| -> Vec<String> {
        [
            "report",
            "monthly",
            "--mint",
            &m,
            "--month",
            label,
            "--reports",
            &reports_dir,
            "--out",
            &out_dir,
        ]
        .map(String::from)
        .to_vec()
    };
    let err = fails(
        &f,
        &f.admin,
        &argv(&month.label)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .await;
    assert!(err.contains("MonthNotOver"), "{err}");

    // Into the month after: more minted, another attestation — not the month's.
    let now = f.now().await;
    f.advance_clock(month.end - now + 3_600).await;
    f.attest(2_000_000 * ONE).await.unwrap();
    f.usd1.mint_to(&f.minter, &holder, 300 * ONE).await.unwrap();

    let args = argv(&month.label);
    let out = ok(
        &f,
        &f.admin,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let json_path = format!("{out_dir}/report-{}.json", month.label);
    let bytes = std::fs::read(&json_path).unwrap();
    let r: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        out.json["json_sha256"],
        usd1_client::hex(&usd1_client::sha256(&bytes))
    );

    // Outstanding at the month's end is the chain's supply less what came after.
    assert_eq!(r["outstanding"]["amount"], "1400");
    assert_eq!(u128::from(f.supply().await), 1_700 * u128::from(ONE));
    // The reserve is the month's last attestation, its report found by hash.
    assert_eq!(r["reserve"]["seq"], last.seq);
    assert_eq!(r["reserve"]["attested_in_month"], true);
    assert_eq!(r["reserve"]["reserve"]["amount"], "1000000");
    assert_eq!(
        r["reserve"]["report_sha256"],
        usd1_client::hex(&last.sha256())
    );
    assert_eq!(r["reserve"]["coverage_bps"], 1_000_000u64 * 10_000 / 1_400);
    let categories: Vec<(&str, &str, u64, Vec<&str>)> = r["reserve"]["composition"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"].as_str().unwrap(),
                c["amount"]["amount"].as_str().unwrap(),
                c["share_bps"].as_u64().unwrap(),
                c["custodians"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        categories,
        [
            (
                AssetClass::Cash.label(),
                "600000",
                6_000,
                vec!["First Bank"]
            ),
            (
                AssetClass::TreasuryBill.label(),
                "400000",
                4_000,
                vec!["Broker", "Custody Co"]
            ),
        ]
    );
    // Equal amounts maturing at the starts of days 30 and 90 after as_of:
    // 60 days less the part of as_of's day already gone, in tenths, rounded down.
    let tenths = (60 * 86_400 - last.as_of.rem_euclid(86_400)) * 10 / 86_400;
    assert_eq!(
        r["reserve"]["tbill_wam_days"],
        format!("{}.{}", tenths / 10, tenths % 10)
    );
    // The month's two attestations, with supply as each left it.
    let lines: Vec<(u64, &str, Value)> = r["attestations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["seq"].as_u64().unwrap(),
                a["outstanding"]["amount"].as_str().unwrap(),
                a["coverage_bps"].clone(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (last.seq - 1, "0", Value::Null),
            (last.seq, "900", Value::from(1_000_000u64 * 10_000 / 900)),
        ]
    );
    assert_eq!(r["lowest_coverage_bps"], 1_000_000u64 * 10_000 / 900);
    let d = &r["redemptions"];
    assert_eq!(
        [
            &d["requested"],
            &d["settled"],
            &d["rejected"],
            &d["settle_median_secs"],
            &d["settle_max_secs"]
        ],
        [2, 1, 1, 7_200, 7_200]
    );
    assert_eq!(d["settled_base_units"], (100 * ONE).to_string());
    assert_eq!(d["requested_base_units"], (150 * ONE).to_string());

    // The CSV and the page say the same.
    let csv = std::fs::read_to_string(format!("{out_dir}/report-{}.csv", month.label)).unwrap();
    assert!(csv.starts_with("section,item,field,value\n"));
    assert!(csv.contains("\noutstanding,,amount,1400\n"), "{csv}");
    assert!(
        csv.contains(&format!(
            "\ncomposition,{},custodians,Broker; Custody Co\n",
            AssetClass::TreasuryBill.label()
        )),
        "{csv}"
    );
    let html = std::fs::read_to_string(format!("{out_dir}/report-{}.html", month.label)).unwrap();
    assert!(
        html.contains("Tokens outstanding at the end of the month: <b>$1,400.00</b>"),
        "{html}"
    );

    // The officers certify exactly that file.
    let keys = Keys::new();
    let (ceo, cfo) = (Keypair::new(), Keypair::new());
    for (role, key) in [("ceo", &ceo), ("cfo", &cfo)] {
        let file = keys.write(role, key);
        ok(
            &f,
            &f.admin,
            &[
                "report", "certify", &json_path, "--role", role, "--signer", &file,
            ],
        )
        .await;
    }
    let out = ok(
        &f,
        &f.admin,
        &[
            "report",
            "verify",
            &json_path,
            "--officer",
            &format!("ceo={}", ceo.pubkey()),
            "--officer",
            &format!("cfo={}", cfo.pubkey()),
        ],
    )
    .await;
    assert_eq!(out.json["verified"], true);

    // The transparency page links the newest report the officers certified:
    // a newer one nobody certified is passed over, and (issue 33, item 22)
    // the certified report copied with its certificates under a later
    // month's name is still the month it says it is.
    let next = Month::parse(&rfc3339(month.end)[..7]).unwrap();
    std::fs::write(format!("{out_dir}/report-{}.json", next.label), b"{}").unwrap();
    let later = Month::parse(&rfc3339(next.end)[..7]).unwrap();
    let renamed = format!("{out_dir}/report-{}.json", later.label);
    std::fs::copy(&json_path, &renamed).unwrap();
    std::fs::copy(
        format!("{json_path}.certifications.json"),
        format!("{renamed}.certifications.json"),
    )
    .unwrap();
    let site = files.path().join("site").to_string_lossy().into_owned();
    let (ceo_is, cfo_is) = (
        format!("ceo={}", ceo.pubkey()),
        format!("cfo={}", cfo.pubkey()),
    );
    let page_args = [
        "transparency",
        "--mint",
        &m,
        "--out",
        &site,
        "--monthly",
        &out_dir,
        "--officer",
        &ceo_is,
        "--officer",
        &cfo_is,
    ];
    ok(&f, &f.admin, &page_args).await;
    let figures: Value =
        serde_json::from_slice(&std::fs::read(format!("{site}/transparency.json")).unwrap())
            .unwrap();
    assert_eq!(figures["monthly_report"]["month"], month.label.as_str());
    assert_eq!(
        figures["monthly_report"]["sha256"],
        usd1_client::hex(&usd1_client::sha256(&bytes))
    );
    let page = std::fs::read_to_string(format!("{site}/index.html")).unwrap();
    let link = format!("<a href=\"reports/report-{0}.json\">{0}</a>", month.label);
    assert!(page.contains(&link), "{page}");
    assert!(!page.contains(&later.label), "{page}");
    assert_eq!(
        std::fs::read(format!("{site}/reports/report-{}.json", month.label)).unwrap(),
        bytes
    );
    assert!(Path::new(&format!(
        "{site}/reports/report-{}.json.certifications.json",
        month.label
    ))
    .exists());

    // Without the month's last report the figures cannot be given.
    std::fs::remove_file(reports.join(format!("report-{}.json", last.seq))).unwrap();
    let err = fails(
        &f,
        &f.admin,
        &argv(&month.label)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .await;
    assert!(
        err.contains(&format!(
            "ReportNotSupplied: the report of attestation #{}",
            last.seq
        )),
        "{err}"
    );
    let err = fails(
        &f,
        &f.admin,
        &argv("2026-13")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .await;
    assert!(err.contains("expected YYYY-MM"), "{err}");
}

/// Issue 33, item 21: a report file that hashes to what the chain attested
/// but says another moment (a day older than the attestation's as_of) is
/// not that attestation's reserve: refused by name, nothing written.
#[tokio::test]
async fn fails_when_the_attested_report_is_of_another_moment() {
    let f = Fixture::new(Flavor::Token2022).await;
    let files = Keys::new();
    let reports = files.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let now = f.now().await;
    let month = Month::parse(&rfc3339(Month::parse(&rfc3339(now)[..7]).unwrap().end)[..7]).unwrap();
    f.advance_clock(month.start - now + 3_600).await;
    let next = f.next_args(0).await;
    // The report says a day before the attestation that carries its hash.
    let r = report(&f, next.seq, next.as_of - 86_400, 500_000 * ONE);
    let args = usd1::instructions::AttestArgs {
        as_of: next.as_of,
        ..r.attest_args()
    };
    f.usd1
        .attest(args, &f.signers(usize::from(THRESHOLD)))
        .await
        .unwrap();
    std::fs::write(reports.join("report.json"), r.to_bytes()).unwrap();
    let now = f.now().await;
    f.advance_clock(month.end - now + 3_600).await;
    let (m, reports_dir) = (s(&f.mint()), reports.to_string_lossy().into_owned());
    let out_dir = files.path().join("out");
    let err = fails(
        &f,
        &f.admin,
        &[
            "report",
            "monthly",
            "--mint",
            &m,
            "--month",
            &month.label,
            "--reports",
            &reports_dir,
            "--out",
            &out_dir.to_string_lossy(),
        ],
    )
    .await;
    assert!(err.contains("ReportMismatch"), "{err}");
    assert!(
        err.contains(&format!(
            "as_of {} (unix seconds); the chain attested as_of {}",
            next.as_of - 86_400,
            next.as_of
        )),
        "{err}"
    );
    assert!(!out_dir.exists(), "nothing written");
}
