//! The program's events as webhooks: every reserve attestation published
//! after the gateway began watching, and the treasury's own redemptions
//! (requested, settled, rejected), each once; the treasury's redemption
//! movements are in the ledger as what they are, not as unmatched payments.
use solana_sdk::signature::Signer;
use usd1_tests::gateway_harness::{self, Api, Receiver};
use usd1_tests::localnet::localnet;
use usd1_tests::redemption::open_to_redemption;
use usd1_tests::{Fixture, ONE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attestations_and_the_treasurys_redemptions_are_announced() {
    let localnet = localnet().await;
    let f = Fixture::on_localnet(&localnet, 10_000 * ONE, 400 * ONE).await;
    open_to_redemption(&f).await;
    // The holder is the treasury here.
    let wallet = f.holder.pubkey();
    let (_dir, database) = gateway_harness::sqlite();
    let running = gateway_harness::start_for(&database, &localnet, &f, wallet).await;
    gateway_harness::watching(&running).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    let events = [
        "attestation.published",
        "redemption.requested",
        "redemption.settled",
        "redemption.rejected",
        "payment.unmatched",
    ];
    api.subscribe(&receiver, &events).await;

    f.attest(10_000 * ONE).await.expect("attest");
    let (settled, _) = f
        .usd1
        .request_redemption(&f.holder, 20 * ONE, [7; 32])
        .await
        .expect("request");
    f.usd1
        .settle_redemption(&f.treasurer, settled, [8; 32])
        .await
        .expect("settle");
    let (rejected, _) = f
        .usd1
        .request_redemption(&f.holder, 15 * ONE, [9; 32])
        .await
        .expect("request");
    f.usd1
        .reject_redemption(&f.treasurer, rejected, 3)
        .await
        .expect("reject");

    let got = receiver.wait_for(5).await;
    assert!(got.iter().all(|r| r.verified));
    let kinds: Vec<&str> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "attestation.published",
            "redemption.rejected",
            "redemption.requested",
            "redemption.requested",
            "redemption.settled"
        ]
    );
    let bodies: Vec<_> = got.iter().map(|r| r.body.clone()).collect();
    usd1_tests::openapi_judges::assert_events_conform("gateway", &bodies);
    let attested = got
        .iter()
        .find(|r| r.body["type"] == "attestation.published")
        .unwrap();
    assert_eq!(attested.body["data"]["reserve"], "10000");
    assert_eq!(attested.body["data"]["seq"], 2);
    let settle = got
        .iter()
        .find(|r| r.body["type"] == "redemption.settled")
        .unwrap();
    assert_eq!(settle.body["data"]["redemption_id"], settled);
    assert_eq!(settle.body["data"]["amount"], "20");
    let reject = got
        .iter()
        .find(|r| r.body["type"] == "redemption.rejected")
        .unwrap();
    assert_eq!(reject.body["data"]["reason_code"], 3);

    // Nothing else arrives (no unmatched payment for the refund).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(receiver.accepted().len(), 5, "{:?}", receiver.accepted());
    let (_, csv) = api.get("/v1/exports/ledger.csv").await;
    let csv = csv.as_str().unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let moving: Vec<&str> = rows
        .iter()
        .map(|r| r[3])
        .filter(|k| *k != "redemption_settled")
        .collect();
    assert_eq!(
        moving,
        [
            "minted",
            "redemption_requested",
            "redemption_requested",
            "redemption_refund"
        ],
        "{csv}"
    );
    let settled_rows: Vec<&Vec<&str>> = rows
        .iter()
        .filter(|r| r[3] == "redemption_settled")
        .collect();
    assert_eq!(settled_rows.len(), 1, "{csv}");
    assert_eq!(settled_rows[0][6], "0", "a settlement moves nothing: {csv}");
    assert!(
        settled_rows[0][9].starts_with(&format!("redemption #{settled} settled:")),
        "{csv}"
    );
    let closing = csv.lines().last().unwrap().split(',').nth(8).unwrap();
    assert_eq!(closing, "380");
    assert_eq!(f.usd1.balance(&wallet).await.unwrap(), 380 * ONE);
}
