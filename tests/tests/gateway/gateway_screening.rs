//! A listed party's money never reaches the treasury without a hold (issue
//! 33, items 1 to 3), over the localnet with the gateway in process: a list
//! entry naming the payer's token account, not its wallet; a payer that
//! closes its source account in the same transaction; a listed holder that
//! pays an invoice and requests a redemption of its own in one transaction.
//! Each payment is `payment.held` with a case on the sending wallet, never
//! `invoice.paid`.
use serde_json::Value;
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::solana_pay::TransferRequest;
use usd1_tests::cli_harness::Keys;
use usd1_tests::gateway_harness::{self, funded_platform, Api, Receiver};
use usd1_tests::localnet::localnet;
use usd1_tests::{default_disclosure, Platform, ONE};

/// What a Solana Pay wallet sends for the request at `url`: the
/// recipient's account created if missing (`payer` pays), then the transfer
/// from `payer`'s associated account, the reference a read-only key.
fn pay_ixs(f: &Platform, payer: &Pubkey, url: &str) -> Vec<Instruction> {
    let request = TransferRequest::parse(url, 6).expect("a Solana Pay URL");
    let create = usd1_client::instructions::create_associated_token_account(
        payer,
        &request.recipient,
        &f.usd1.mint(),
        &f.usd1.token_program(),
    );
    let mut ix = usd1_client::instructions::transfer(
        payer,
        &f.usd1.mint(),
        &request.recipient,
        &f.usd1.token_program(),
        request.amount.expect("amount"),
        6,
    )
    .expect("transfer");
    for reference in &request.references {
        ix.accounts
            .push(AccountMeta::new_readonly(*reference, false));
    }
    vec![create, ix]
}

async fn invoice(api: &Api, amount: &str) -> Value {
    api.invoice(amount).await
}

/// Sends `ixs` paid and signed by `payer`.
async fn send(f: &Platform, payer: &Keypair, ixs: &[Instruction]) {
    let ledger = f.ledger.clone();
    let blockhash = usd1_client::Ledger::latest_blockhash(ledger.as_ref())
        .await
        .unwrap();
    let tx = solana_sdk::transaction::Transaction::new_signed_with_payer(
        ixs,
        Some(&payer.pubkey()),
        &[payer],
        blockhash,
    );
    usd1_client::Ledger::send_and_confirm(ledger.as_ref(), &tx)
        .await
        .expect("sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_partys_money_is_held_however_it_is_sent() {
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    // Three payers: one listed by its token account only, one listed by
    // its wallet that closes its account as it pays, the listed holder.
    let (by_account, closing) = (Keypair::new(), Keypair::new());
    for payer in [&by_account, &closing] {
        localnet
            .chain
            .airdrop(&payer.pubkey(), 5_000_000_000)
            .await
            .unwrap();
        f.usd1
            .mint_to(&f.minter, &payer.pubkey(), 5 * ONE)
            .await
            .unwrap();
    }
    let holder = f.holder.pubkey();
    let listed_account = f.usd1.token_account_of(&by_account.pubkey());
    let files = Keys::new();
    let list = files.file(
        "issuer.csv",
        format!(
            "address,reason,source,added_at\n\
             {listed_account},fraud ring account,issuer compliance,2026-12-01\n\
             {},court order 26-CV-0101,issuer compliance,2026-12-01\n\
             {holder},court order 26-CV-0102,issuer compliance,2026-12-01\n",
            closing.pubkey()
        )
        .as_bytes(),
    );
    let database = format!("sqlite:{}", files.path().join("gateway.db").display());
    let mut settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    settings.lists = vec![list.into()];
    let running = gateway_harness::start(&settings).await;
    gateway_harness::watching(&running).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    api.subscribe(&receiver, &["invoice.paid", "payment.held"])
        .await;

    // 1. The payer's token account is on the list, its wallet is not.
    let first = invoice(&api, "2").await;
    send(
        &f,
        &by_account,
        &pay_ixs(&f, &by_account.pubkey(), first["url"].as_str().unwrap()),
    )
    .await;
    // 2. The source account is closed in the same transaction (its balance
    //    after the transaction is gone, not 0).
    let second = invoice(&api, "5").await;
    let source = f.usd1.token_account_of(&closing.pubkey());
    let close = anchor_spl::token_2022::spl_token_2022::instruction::close_account(
        &f.usd1.token_program(),
        &source,
        &closing.pubkey(),
        &closing.pubkey(),
        &[],
    )
    .unwrap();
    send(
        &f,
        &closing,
        &[
            pay_ixs(&f, &closing.pubkey(), second["url"].as_str().unwrap()),
            vec![close],
        ]
        .concat(),
    )
    .await;
    let gone = usd1_client::Ledger::get_account(f.ledger.as_ref(), &source).await;
    assert!(gone.unwrap().is_none(), "closed");
    // 3. The listed holder pays and requests a redemption of its own in
    //    one transaction.
    let third = invoice(&api, "3").await;
    let id = f.usd1.config().await.unwrap().next_redemption_id;
    let redeem = usd1_client::instructions::request_redemption(
        &holder,
        &f.usd1.mint(),
        &f.usd1.token_account_of(&holder),
        &f.usd1.token_program(),
        id,
        20 * ONE,
        [9; 32],
    );
    send(
        &f,
        &f.holder,
        &[
            pay_ixs(&f, &holder, third["url"].as_str().unwrap()),
            vec![redeem],
        ]
        .concat(),
    )
    .await;

    let got = receiver.wait_for(3).await;
    let mut held: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            assert_eq!(r.body["type"], "payment.held", "{}", r.body);
            (
                r.body["data"]["invoice"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r.body["data"]["case_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    held.sort();
    let mut invoices: Vec<String> = [&first, &second, &third]
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    invoices.sort();
    assert_eq!(
        held.iter().map(|h| h.0.clone()).collect::<Vec<_>>(),
        invoices
    );
    for invoice in [&first, &second, &third] {
        let (_, shown) = api
            .get(&format!("/v1/invoices/{}", invoice["id"].as_str().unwrap()))
            .await;
        assert_eq!(shown["status"], "open", "held, not paid: {shown}");
    }
    // Each case is on the sending wallet, and the redemption beside the
    // third payment is still the program's own business.
    let mut subjects = Vec::new();
    for (_, case_id) in &held {
        let (_, case) = api.get(&format!("/v1/cases/{case_id}")).await;
        subjects.push(case["subject"].as_str().unwrap().to_string());
    }
    subjects.sort();
    let mut expected = vec![
        by_account.pubkey().to_string(),
        closing.pubkey().to_string(),
        holder.to_string(),
    ];
    expected.sort();
    assert_eq!(subjects, expected);
    assert_eq!(
        f.usd1.redemption(id).await.unwrap().amount,
        20 * ONE,
        "the redemption itself landed"
    );
}
