//! Stock Solana Pay (issue 37): `@solana/pay` 1.0.16, the `@solana/kit`
//! rewrite, unchanged, against the gateway and usd1-localnet. `parseURL`
//! reads every field of the gateway's invoice URLs; a wallet's
//! `createTransfer` (Token-2022) pays one and the gateway detects and
//! matches the payment; `findReference` and `validateTransfer` accept it,
//! and refuse it as an underpayment or as payment in another mint.
use serde_json::json;
use solana_sdk::pubkey::Pubkey;
use usd1_tests::gateway_harness::{self, funded_platform as platform, Api, Receiver};
use usd1_tests::localnet::localnet;
use usd1_tests::node::{install_pay_packages, node_test_in, pay_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_solana_pay_reads_pays_finds_and_validates_the_gateways_invoices() {
    install_pay_packages();
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    // The merchant's token account, as any wallet that was paid before has.
    f.send(&[f.create_account_ix(&wallet)], &[]).await.unwrap();
    let (_dir, database) = gateway_harness::sqlite();
    let running = gateway_harness::start_for(&database, &localnet, &f, wallet).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    api.subscribe(&receiver, &["invoice.paid"]).await;
    let bodies = [
        json!({"amount": "12.5", "label": "Acme Coffee", "message": "Order 42, thank you", "memo": "order-42"}),
        json!({"amount": "3"}),
        json!({"amount": "0.000001", "label": "Ünïcode & Sons", "message": "a=b&c"}),
    ];
    let mut invoices = Vec::new();
    for body in bodies {
        let (status, invoice) = api.post("/v1/invoices", body.clone()).await;
        assert_eq!(status, 201, "{invoice}");
        invoices.push(json!({
            "id": invoice["id"],
            "url": invoice["url"],
            "recipient": wallet.to_string(),
            "amount": body["amount"],
            "reference": invoice["reference"],
            "label": body.get("label"),
            "message": body.get("message"),
            "memo": body.get("memo"),
        }));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("signature");
    let fixture = dir.path().join("fixture.json");
    let body = json!({
        "rpc": localnet.url,
        "ws": localnet.ws_url,
        "mint": f.usd1.mint().to_string(),
        "otherMint": Pubkey::new_unique().to_string(),
        "payer": f.holder.to_bytes().to_vec(),
        "invoices": invoices,
        "out": out,
    });
    std::fs::write(&fixture, body.to_string()).unwrap();
    let (output, stdout) = node_test_in(pay_dir(), &["pay.test.mjs"], &fixture).await;
    assert!(output.status.success(), "a @solana/pay test failed");
    assert!(
        stdout.contains("# pass 2") && stdout.contains("# fail 0"),
        "{stdout}"
    );

    // The gateway saw the stock wallet's payment and matched it.
    let signature = std::fs::read_to_string(&out).unwrap();
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].body["type"], "invoice.paid", "{}", got[0].body);
    assert_eq!(got[0].body["data"]["invoice"]["id"], invoices[0]["id"]);
    assert!(
        got[0].body.to_string().contains(&signature),
        "{}",
        got[0].body
    );
    let id = invoices[0]["id"].as_str().unwrap();
    let (_, invoice) = api.get(&format!("/v1/invoices/{id}")).await;
    assert_eq!(invoice["status"], "paid", "{invoice}");
}
