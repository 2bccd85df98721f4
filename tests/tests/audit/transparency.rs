//! `usd1 transparency`: the page's figures recomputed from a long history
//! (over a hundred attestations, hundreds of redemptions), checked against
//! the chain's own accounts, and the page rendered in a real headless
//! Chromium — its text, its console, its width on a phone.

use solana_sdk::signature::Signer;
use usd1_client::reserve_report::{AssetClass, EligibilityPolicy, Holding, Reading, Report};
use usd1_client::transparency::percentile;
use usd1_client::{sha256, RedemptionStatus};
use usd1_tests::browser;
use usd1_tests::*;

const ATTESTATIONS: u64 = 120;
const REQUESTS: u64 = 300;
const SETTLED: u64 = 250;
const REJECTED: u64 = 30;

/// Runs `usd1 transparency` over the fixture's ledger.
async fn transparency(f: &Fixture, args: &[&str]) -> anyhow::Result<usd1_cli::Output> {
    let mint = f.mint().to_string();
    let mut all = vec!["transparency", "--mint", &mint];
    all.extend_from_slice(args);
    usd1_tests::cli_harness::usd1(f, &f.admin, &all).await
}

/// A report with a composition for attestation `seq`: cash, bills within
/// and beyond 93 days, and a concentration cap.
fn composed_report(f: &Fixture, seq: u64, as_of: i64) -> Report {
    let holding = |class, custodian: &str, account: &str, maturity: Option<String>| Holding {
        asset_class: class,
        custodian: custodian.into(),
        account: account.into(),
        maturity,
    };
    let date = |days: i64| usd1_tests::tour::rfc3339(as_of + days * 86_400)[..10].to_string();
    let reading = |name: &str, amount: u64, holding: Holding| Reading {
        name: name.into(),
        kind: "file".into(),
        location: format!("custody/{name}.json"),
        amount,
        as_of,
        holding: Some(holding),
    };
    let readings = [
        reading(
            "bank-a",
            400_000 * ONE,
            holding(AssetClass::Cash, "First Bank", "Reserve", None),
        ),
        reading(
            "mmf",
            100_000 * ONE,
            holding(AssetClass::MoneyMarketFund, "Fund Admin", "Gov MMF", None),
        ),
        reading(
            "repo",
            150_000 * ONE,
            holding(AssetClass::ReverseRepo, "Dealer", "Overnight", None),
        ),
        reading(
            "bills-60",
            350_000 * ONE,
            holding(AssetClass::TreasuryBill, "Broker", "Ladder", Some(date(60))),
        ),
        reading(
            "bills-200",
            50_000 * ONE,
            holding(AssetClass::TreasuryBill, "Broker", "Long", Some(date(200))),
        ),
    ];
    let policy = EligibilityPolicy {
        max_tbill_days: Some(93),
        max_custodian_share_bps: Some(3_500),
        ..EligibilityPolicy::default()
    };
    Report::build(
        &f.mint().to_string(),
        seq,
        as_of,
        DECIMALS,
        &readings,
        Some(&policy),
    )
    .unwrap()
}

/// 120 attestations between mints, 300 redemptions (250 settled after
/// growing waits, 30 rejected, 20 left pending past the target), and the
/// last attestation carrying a composed report.
async fn long_history() -> (Fixture, tempfile::TempDir, Report) {
    let f = Fixture::new(Flavor::Token2022).await;
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    let holder = f.holder.pubkey();
    f.fund(&holder).await;
    for i in 0..ATTESTATIONS - 1 {
        f.advance_clock(60).await;
        f.attest(2_000_000 * ONE + i * ONE).await.unwrap();
        if i % 10 == 0 {
            f.usd1
                .mint_to(&f.minter, &holder, 10_000 * ONE + i)
                .await
                .unwrap();
        }
    }
    f.advance_clock(60).await;
    let next = f.next_args(0).await;
    let report = composed_report(&f, next.seq, next.as_of);
    let signers = f.signers(usize::from(THRESHOLD));
    f.usd1.attest(report.attest_args(), &signers).await.unwrap();
    // 1,000,000 eligible by class; First Bank's 400,000 is cut to 35% of it.
    assert_eq!(report.reserve_amount(), 950_000 * ONE);

    for i in 0..REQUESTS {
        f.usd1
            .request_redemption(&f.holder, 10 * ONE + i, sha256(&i.to_le_bytes()))
            .await
            .unwrap();
    }
    for id in 0..SETTLED {
        f.advance_clock(97).await;
        f.usd1
            .settle_redemption(&f.treasurer, id, sha256(&id.to_be_bytes()))
            .await
            .unwrap();
    }
    for id in SETTLED..SETTLED + REJECTED {
        f.usd1.reject_redemption(&f.treasurer, id, 7).await.unwrap();
    }
    // The 20 left pending wait two days: past the one-day target.
    f.advance_clock(2 * 86_400).await;

    let reports = tempfile::tempdir().unwrap();
    std::fs::write(
        reports
            .path()
            .join(format!("report-{:010}.json", report.seq)),
        report.to_bytes(),
    )
    .unwrap();
    // A file that matches no attestation is ignored.
    std::fs::write(reports.path().join("report-stray.json"), b"{}\n").unwrap();
    (f, reports, report)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_history_is_summarised_exactly_and_renders_in_a_browser() {
    let (f, reports, report) = long_history().await;
    let out = tempfile::tempdir().unwrap();
    let terms = out.path().join("terms.txt");
    std::fs::write(&terms, b"terms v1").unwrap();
    let site = out.path().join("site");
    let name = format!("{}=Attestor One", f.attestors[0].pubkey());
    let printed = transparency(
        &f,
        &[
            "--out",
            site.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--terms",
            terms.to_str().unwrap(),
            "--attestor-name",
            &name,
            "--output",
            "json",
        ],
    )
    .await
    .unwrap();
    assert_eq!(printed.json["attestations"], ATTESTATIONS);
    assert_eq!(printed.json["reports_linked"], 1);
    assert_eq!(printed.json["audit_clean"], true);

    // Every figure against the chain's own accounts, not the events the page read.
    let figures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("transparency.json")).unwrap()).unwrap();
    let config = f.usd1.config().await.unwrap();
    let supply = f.supply().await;
    let amount = |units: u64| usd1_client::format_amount(units, DECIMALS);
    assert_eq!(figures["supply"], amount(supply));
    assert_eq!(figures["reserve"], amount(config.latest.reserve_amount));
    assert_eq!(figures["reserve"], "950000");
    let coverage = u128::from(config.latest.reserve_amount) * 10_000 / u128::from(supply);
    assert_eq!(figures["coverage_bps"], coverage.to_string());
    assert_eq!(
        figures["attestations"].as_array().unwrap().len() as u64,
        ATTESTATIONS
    );
    let last = &figures["attestations"][ATTESTATIONS as usize - 1];
    assert_eq!(last["report_sha256"], usd1_client::hex(&report.sha256()));
    assert_eq!(
        last["report_file"],
        format!("report-{:010}.json", report.seq)
    );
    assert!(figures["attestations"][0]["report_file"].is_null());

    let records = f.usd1.redemptions(None).await.unwrap();
    assert_eq!(records.len() as u64, REQUESTS);
    let of = |status| records.iter().filter(move |r| r.status == status);
    let sum = |status| of(status).map(|r| u128::from(r.amount)).sum::<u128>();
    let mut waits: Vec<i64> = of(RedemptionStatus::Settled)
        .map(|r| r.resolved_at - r.requested_at)
        .collect();
    waits.sort_unstable();
    let r = &figures["redemptions"];
    assert_eq!(r["settled"], SETTLED);
    assert_eq!(r["rejected"], REJECTED);
    assert_eq!(r["pending"], REQUESTS - SETTLED - REJECTED);
    assert_eq!(
        r["settled_amount"],
        amount(sum(RedemptionStatus::Settled) as u64)
    );
    assert_eq!(
        r["rejected_amount"],
        amount(sum(RedemptionStatus::Rejected) as u64)
    );
    assert_eq!(
        r["pending_amount"],
        amount(sum(RedemptionStatus::Pending) as u64)
    );
    assert_eq!(r["settle_median_secs"], percentile(&waits, 50).unwrap());
    assert_eq!(r["settle_p95_secs"], percentile(&waits, 95).unwrap());
    assert_ne!(r["settle_median_secs"], r["settle_p95_secs"]);
    let overdue: Vec<u64> = of(RedemptionStatus::Pending).map(|r| r.id).collect();
    assert_eq!(r["overdue"], serde_json::json!(overdue));
    assert_eq!(figures["terms_match"], true);

    // The composition, by class: the 200-day bills do not count; the
    // broker's 350,000 bills are exactly at its 35% cap, so none is cut.
    let classes = &figures["composition"]["by_class"];
    let bills = classes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "US Treasury bills")
        .unwrap();
    assert_eq!(bills["eligible"], "350000");
    assert_eq!(bills["ineligible"], "50000");

    // The page in a real browser, on a desktop and on a phone.
    let index = site.join("index.html");
    let desktop = browser::render(&index, 1280).await.unwrap();
    assert!(desktop.errors.is_empty(), "{:?}", desktop.errors);
    for needle in [
        format!(
            "Supply\n{}",
            usd1_client::format_dollars(supply.into(), DECIMALS)
        ),
        "Attested reserve\n$950,000.00".to_string(),
        "First Bank holds more than 35.00% of the eligible reserve".to_string(),
        format!("Coverage\n{}.{:02}%", coverage / 100, coverage % 100),
        usd1::constants::NOT_INSURED_STATEMENT.to_string(),
        "the terms file supplied has exactly this hash".to_string(),
        "Audit clean: no violation.".to_string(),
        "matures in 200 days, beyond the 93-day limit".to_string(),
        "Attestor One".to_string(),
        "report not supplied".to_string(),
        format!(
            "{} pending requests are past the disclosed target",
            overdue.len()
        ),
    ] {
        assert!(desktop.text.contains(&needle), "{needle:?} not on the page");
    }
    assert!(desktop.png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let phone = browser::render(&index, 390).await.unwrap();
    assert!(phone.errors.is_empty(), "{:?}", phone.errors);
    assert!(
        phone.scroll_width <= 390,
        "the page is {} px wide on a 390 px phone",
        phone.scroll_width
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_browser_check_sees_console_errors_and_failed_loads() {
    // The check the page passes must be able to fail.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!doctype html><html><body><p>figure 42</p><img src=\"missing.png\">\
         <script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let seen = browser::render(&page, 800).await.unwrap();
    assert!(seen.text.contains("figure 42"));
    assert!(
        seen.errors.iter().any(|e| e.contains("boom")),
        "{:?}",
        seen.errors
    );
    assert!(
        seen.errors.iter().any(|e| e.contains("missing.png")),
        "{:?}",
        seen.errors
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fails_when_the_terms_differ_or_the_out_folder_cannot_be_made() {
    let (f, reports, _) = long_history().await;
    let out = tempfile::tempdir().unwrap();
    let terms = out.path().join("terms.txt");
    std::fs::write(&terms, b"terms v2, edited").unwrap();
    let site = out.path().join("site");
    transparency(
        &f,
        &[
            "--out",
            site.to_str().unwrap(),
            "--terms",
            terms.to_str().unwrap(),
        ],
    )
    .await
    .unwrap();
    let figures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("transparency.json")).unwrap()).unwrap();
    assert_eq!(figures["terms_match"], false);
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(html.contains("the terms file supplied does NOT have this hash"));
    // Without --reports the latest composition is named as not supplied.
    assert!(html.contains("was not supplied, so its composition cannot be shown"));

    let blocked = out.path().join("a-file");
    std::fs::write(&blocked, b"").unwrap();
    let err = transparency(
        &f,
        &[
            "--out",
            blocked.join("site").to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
        ],
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cannot create"), "{err}");
}
