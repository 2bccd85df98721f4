//! The gateway's screening lists as an operator replaces them, on a real
//! `usd1-gateway` process (issue 33, items 4, 5 and 7): a copy cut short
//! or emptied and moved over the live file is refused and the version in
//! force stays (a listed payer's money is still held); a whole version that
//! drops most of the addresses waits until an operator confirms it; each
//! refusal is logged once however many passes see it. A new version screens
//! payments at once even while the node refuses `getProgramAccounts`; the
//! holders' re-screen is retried, said on `/health` and in `/metrics`, and
//! done when the node serves it again.
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

use usd1_tests::cli_harness::pay_request;
use usd1_tests::cli_harness::Keys;
use usd1_tests::gateway_harness::{funded_platform, Api};
use usd1_tests::gateway_process::{command_as, create_key, until_probe, GatewayProcess, Serve};
use usd1_tests::localnet::localnet;
use usd1_tests::proxy::{Fault, Proxy};
use usd1_tests::tour::build_binaries;
use usd1_tests::ONE;

const FIXTURE: &str = include_str!("../../fixtures/screening/sdn.xml");
/// The fixture's entry 90004 names this SOL address; the tests put the
/// paying holder in its place.
const LISTED: &str = "HxfTHncW4DheCWB2ZKePTwp4n2NoUd2yGjPkV9Eeaegz";

/// Writes `bytes` beside `path` and moves it over `path`, as an operator
/// (or a download script) replaces a list.
fn replace(path: &str, bytes: &[u8]) {
    let path = Path::new(path);
    let staged = path.with_extension("new");
    std::fs::write(&staged, bytes).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

/// How many payments the open case of `subject` holds.
async fn held(api: &Api, subject: &Pubkey) -> usize {
    let (_, cases) = api.get("/v1/cases").await;
    let Some(case) = cases["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == subject.to_string())
    else {
        return 0;
    };
    let (_, case) = api
        .get(&format!("/v1/cases/{}", case["id"].as_str().unwrap()))
        .await;
    case["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "payment held")
        .count()
}

/// The holder pays a new invoice of 1 USD1; it is held (the open case of
/// the holder holds `count` payments) and the invoice stays open.
async fn paid_and_held(f: &usd1_tests::Platform, api: &Api, count: usize) {
    let invoice = api.invoice("1").await;
    pay_request(f, invoice["url"].as_str().unwrap(), None).await;
    let holder = f.holder.pubkey();
    let started = std::time::Instant::now();
    while held(api, &holder).await < count {
        assert!(started.elapsed() < Duration::from_secs(60), "never held");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, shown) = api
        .get(&format!("/v1/invoices/{}", invoice["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (shown["status"].as_str(), shown["received"].as_str()),
        (Some("open"), Some("0")),
        "{shown}"
    );
}

/// `/health`'s warnings once `done` holds of them.
async fn warnings(gateway: &GatewayProcess, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let of = |body: &Value| -> Vec<String> {
        body["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    until_probe(
        gateway,
        "/health",
        Duration::from_secs(30),
        |status, body| status == 200 && done(&of(body)),
    )
    .await;
    of(&gateway.probe("/health").await.1)
}

/// A metric's value in `/metrics` (its first sample).
async fn metric(gateway: &GatewayProcess, name: &str) -> String {
    let (status, text) = gateway.probe("/metrics").await;
    assert_eq!(status, 200);
    let text = text.as_str().unwrap().to_string();
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_else(|| panic!("{name} not in\n{text}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_cut_short_emptied_or_losing_half_is_not_used_and_said_once() {
    build_binaries().expect("binaries");
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let holder = f.holder.pubkey().to_string();
    let files = Keys::new();
    let whole = FIXTURE.replace(LISTED, &holder);
    let list = files.file("SDN.XML", whole.as_bytes());
    let database = format!("sqlite:{}", files.path().join("gateway.db").display());
    let list_path = list.clone();
    let serve =
        Serve::new(&database, &localnet.url, &f.usd1.mint(), &wallet).with(&["--list", &list_path]);
    let key = create_key(
        &database,
        "shop",
        &["invoices:write", "invoices:read", "cases:read"],
    );
    let olga = create_key(&database, "Olga", &["cases:write"]);
    let gateway = GatewayProcess::spawn(&serve).await;
    let api = Api::at(&gateway.url(), &key);
    // The entry the list could not read is said once, as the CLI says it.
    assert_eq!(
        gateway
            .log_lines("name no Solana address and are not screened")
            .len(),
        1,
        "{}",
        gateway.log()
    );
    assert_eq!(
        metric(&gateway, "usd1_gateway_screening_entries_not_screened").await,
        "1"
    );
    paid_and_held(&f, &api, 1).await;

    // A copy cut between two entries, before the holder's: refused.
    let cut = whole.find("  <sdnEntry>\n    <uid>90004").unwrap();
    replace(&list, &whole.as_bytes()[..cut]);
    let said = warnings(&gateway, |w| w.len() == 1).await;
    assert!(
        said[0].contains("without closing its root <sdnList>"),
        "{said:?}"
    );
    assert!(said[0].contains("the version in force stays"), "{said:?}");
    paid_and_held(&f, &api, 2).await;

    // A 0-byte file: refused too.
    replace(&list, b"");
    let said = warnings(&gateway, |w| w.len() == 2).await;
    assert!(
        said[1].starts_with("SDN.XML (sha256 e3b0c44298fc1c14)"),
        "{said:?}"
    );
    paid_and_held(&f, &api, 3).await;

    // A whole version that drops the holder's entry: half the addresses.
    let start = whole.find("  <sdnEntry>\n    <uid>90004").unwrap();
    let end = whole[start..].find("</sdnEntry>\n").unwrap() + start + "</sdnEntry>\n".len();
    let smaller = format!("{}{}", &whole[..start], &whole[end..])
        .replace(
            "<Record_Count>3</Record_Count>",
            "<Record_Count>2</Record_Count>",
        )
        .replace("11/20/2026", "11/27/2026");
    replace(&list, smaller.as_bytes());
    let sha = usd1_client::hex(&usd1_client::sha256(smaller.as_bytes()));
    let said = warnings(&gateway, |w| w.len() == 3).await;
    assert!(
        said[2].contains("loses too many addresses, waiting for an operator")
            && said[2].contains(&format!("usd1-gateway list confirm {sha}")),
        "{said:?}"
    );
    assert_eq!(
        metric(&gateway, "usd1_gateway_screening_refused_versions").await,
        "3"
    );
    paid_and_held(&f, &api, 4).await;

    // The operator confirms it: in force, the refusals gone, the holder paid.
    let (ok, out, err) = command_as(&database, &olga, &["list", "confirm", &sha]);
    assert!(ok, "{err}");
    assert!(out.contains("confirmed by Olga"), "{out}");
    warnings(&gateway, <[String]>::is_empty).await;
    let (_, health) = gateway.probe("/health").await;
    assert_eq!(
        health["screening"]["in_force"],
        serde_json::json!([format!("SDN.XML: 2026-11-27 (sha256 {})", &sha[..16])])
    );
    let invoice = api.invoice("1").await;
    pay_request(&f, invoice["url"].as_str().unwrap(), None).await;
    let path = format!("/v1/invoices/{}", invoice["id"].as_str().unwrap());
    api.until(&path, |i| i["status"] == "paid").await;

    // Each refusal was logged once, over hundreds of passes.
    let refused = gateway.log_lines("screening list refused");
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert_eq!(
        gateway
            .log_lines("name no Solana address and are not screened")
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_screens_payments_at_once_while_the_node_refuses_the_holder_scan() {
    build_binaries().expect("binaries");
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    // `other` holds USD1 and never pays: only the holders' scan finds it.
    let other = Keypair::new().pubkey();
    f.usd1.mint_to(&f.minter, &other, 5 * ONE).await.unwrap();
    let proxy = Proxy::start(&localnet.url).await.unwrap();
    proxy.fail("getProgramAccounts", Fault::Refused, u32::MAX);
    let files = Keys::new();
    let header = "address,reason,source,added_at";
    let old = format!(
        "{},old entry,issuer compliance,2026-11-01",
        Pubkey::new_unique()
    );
    let list = files.file("issuer.csv", format!("{header}\n{old}\n").as_bytes());
    let database = format!("sqlite:{}", files.path().join("gateway.db").display());
    let list_path = list.clone();
    let serve = Serve::new(&database, &proxy.url, &f.usd1.mint(), &wallet).with(&[
        "--list",
        &list_path,
        "--ws-url",
        &localnet.ws_url,
    ]);
    let key = create_key(
        &database,
        "shop",
        &["invoices:write", "invoices:read", "cases:read"],
    );
    let gateway = GatewayProcess::spawn(&serve).await;
    let api = Api::at(&gateway.url(), &key);
    until_probe(&gateway, "/ready", Duration::from_secs(30), |s, _| s == 200).await;

    // A new version lists the holder and `other`.
    replace(
        &list,
        format!(
            "{header}\n{old}\n{},fraud report 2026-131,issuer compliance,2026-12-01\n\
             {other},court order 26-CV-0077,issuer compliance,2026-12-01\n",
            f.holder.pubkey()
        )
        .as_bytes(),
    );
    let said = warnings(&gateway, |w| {
        w.iter()
            .any(|w| w.contains("re-screen for a new list version fails"))
    })
    .await;
    assert!(
        said.iter().any(|w| w.contains("Method not found")),
        "{said:?}"
    );
    assert_eq!(
        metric(&gateway, "usd1_gateway_screening_rescreen_failing").await,
        "1"
    );
    assert_eq!(
        metric(&gateway, "usd1_gateway_screening_rescreens_pending").await,
        "1"
    );
    // The new version screens payments already: the holder's is held.
    paid_and_held(&f, &api, 1).await;
    assert_eq!(held(&api, &other).await, 0);
    let (_, cases) = api.get("/v1/cases").await;
    assert_eq!(cases["data"].as_array().unwrap().len(), 1, "{cases}");
    // A failing /health warning is not unreadiness: payments are screened.
    let (status, _) = gateway.probe("/ready").await;
    assert_eq!(status, 200);

    // The node serves the scan again: the retry finds `other`.
    proxy.heal();
    let cases = api
        .until("/v1/cases", |c| {
            c["data"].as_array().is_some_and(|cases| {
                cases
                    .iter()
                    .any(|case| case["subject"] == other.to_string())
            })
        })
        .await;
    assert_eq!(cases["data"].as_array().unwrap().len(), 2, "{cases}");
    warnings(&gateway, <[String]>::is_empty).await;
    assert_eq!(
        metric(&gateway, "usd1_gateway_screening_rescreen_failing").await,
        "0"
    );
    assert_eq!(
        metric(&gateway, "usd1_gateway_screening_rescreens_pending").await,
        "0"
    );
    assert!(proxy.faulted("getProgramAccounts") >= 1);
    // The failure was said once, however many retries met it.
    assert_eq!(
        gateway.log_lines("re-screening holders for").len(),
        1,
        "{}",
        gateway.log()
    );
}
