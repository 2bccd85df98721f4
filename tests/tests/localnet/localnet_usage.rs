//! The localnet in use over HTTP: the oracle attesting through it and the
//! program refusing a mint above that, a restart from its ledger folder, and
//! jsonParsed accounts and every transaction encoding.
use std::sync::Arc;
use std::time::Instant;

use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::RpcAccountInfoConfig;
use solana_rpc_client_api::request::{RpcRequest, TokenAccountsFilter};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use solana_transaction_status_client_types::UiTransactionEncoding;
use usd1_client::rpc::RpcLedger;
use usd1_client::{ClientError, Ledger, Usd1Error};
use usd1_localnet::Localnet;
use usd1_tests::*;

use usd1_tests::localnet::rpc_client_for;
use usd1_tests::sample_platform as platform;

#[tokio::test]
async fn the_oracle_attests_over_http_and_a_mint_above_it_is_refused() {
    let (localnet, _client) = rpc_client_for().await;
    let p = platform(&localnet).await;
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("custodian.json");
    let ledger: Arc<dyn Ledger> = Arc::new(RpcLedger::new(
        localnet.url.clone(),
        CommitmentConfig::confirmed(),
    ));
    let source =
        usd1_oracle::config::SourceConfig::File(usd1_oracle::sources::file::FileSourceConfig {
            name: "custodian".into(),
            path: export.clone(),
            format: None,
            amount: None,
            as_of: None,
            max_age_secs: 3_600,
            holding: None,
        });
    let oracle = usd1_oracle::Oracle::new(
        ledger.clone(),
        usd1_oracle::daemon::Setup {
            payer: p.admin.clone(),
            mint: p.usd1.mint(),
            attestors: p
                .attestors
                .iter()
                .map(|k| Arc::new(k.insecure_clone()) as usd1_client::signing::SharedSigner)
                .collect(),
            sources: vec![source.build().unwrap()],
            store: usd1_oracle::report::ReportStore::open(&dir.path().join("reports")).unwrap(),
            round: Default::default(),
            alarms: Default::default(),
        },
    );
    let reserve = 2_000 * ONE;
    let started = Instant::now();
    std::fs::write(
        &export,
        format!(
            r#"{{"amount": "2000", "as_of": {}}}"#,
            ledger.unix_timestamp().await.unwrap()
        ),
    )
    .unwrap();
    match oracle
        .run_round(Default::default(), &Default::default())
        .await
    {
        Ok(usd1_oracle::Outcome::Attested { report, .. }) => assert_eq!(report.seq, 2),
        other => panic!("expected an attestation, got {other:?}"),
    }
    eprintln!(
        "source change -> confirmed attestation over JSON-RPC: {:?}",
        started.elapsed()
    );
    let config = p.usd1.config().await.unwrap();
    assert_eq!(
        (config.latest.seq, config.latest.reserve_amount),
        (2, reserve)
    );
    p.usd1
        .mint_to(&p.minter, &p.holder.pubkey(), 1_600 * ONE - ONE)
        .await
        .unwrap();
    match p.usd1.mint_to(&p.minter, &p.holder.pubkey(), 2 * ONE).await {
        Err(ClientError::Failed { failure, .. }) => {
            assert!(failure.is(Usd1Error::ReserveExceeded), "{failure}")
        }
        other => panic!("expected ReserveExceeded, got {other:?}"),
    }
    localnet.stop().await.unwrap();
}

#[tokio::test]
async fn resumes_from_its_ledger_folder_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let start = |reset: bool| Localnet::start_with(addr, Some((dir.path(), reset)));

    let localnet = start(false).await.unwrap();
    let p = platform(&localnet).await;
    let (mint, config) = (p.usd1.mint(), p.usd1.config_address());
    let client =
        RpcClient::new_with_commitment(localnet.url.clone(), CommitmentConfig::confirmed());
    let signatures = client.get_signatures_for_address(&config).await.unwrap();
    let config_before = client.get_account(&config).await.unwrap();
    let faucet = localnet.chain.faucet().pubkey();
    localnet.stop().await.unwrap();
    // A crash mid-append leaves a torn entry; the restart drops it.
    use std::io::Write;
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("transactions.log"))
        .unwrap();
    log.write_all(&[200, 0, 0, 0, 1, 2, 3]).unwrap();
    drop(log);

    let localnet = start(false).await.unwrap();
    let client =
        RpcClient::new_with_commitment(localnet.url.clone(), CommitmentConfig::confirmed());
    assert_eq!(localnet.chain.faucet().pubkey(), faucet, "the same faucet");
    assert_eq!(client.get_account(&config).await.unwrap(), config_before);
    assert_eq!(
        client.get_token_supply(&mint).await.unwrap().amount,
        (400 * ONE).to_string()
    );
    let again = client.get_signatures_for_address(&config).await.unwrap();
    assert_eq!(
        again.iter().map(|s| &s.signature).collect::<Vec<_>>(),
        signatures.iter().map(|s| &s.signature).collect::<Vec<_>>()
    );
    // The same platform carries on: a new handle over the new endpoint mints and audits clean.
    let ledger = Arc::new(RpcLedger::new(
        localnet.url.clone(),
        CommitmentConfig::confirmed(),
    ));
    let payer = p.admin.clone();
    let usd1 = usd1_client::Usd1::connect(ledger, payer, mint)
        .await
        .unwrap();
    usd1.mint_to(&p.minter, &p.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    let history = usd1.ledger().history(&config).await.unwrap();
    assert_eq!(history.len(), signatures.len() + 1);
    assert!(usd1_client::audit::audit(&mint, &history)
        .violations
        .is_empty());
    let airdrop = client
        .request_airdrop(&Pubkey::new_unique(), 1_000_000_000)
        .await
        .unwrap();
    assert!(client.confirm_transaction(&airdrop).await.unwrap());
    localnet.stop().await.unwrap();

    // --reset starts afresh.
    let localnet = start(true).await.unwrap();
    let client = RpcClient::new(localnet.url.clone());
    assert!(
        client.get_account(&config).await.is_err(),
        "the config is gone"
    );
    assert!(client
        .get_signatures_for_address(&config)
        .await
        .unwrap()
        .is_empty());
    localnet.stop().await.unwrap();
}

/// Issue 12: the parsed forms a wallet or explorer reads, as agave's own
/// encoders make them, through the stock `RpcClient`.
#[tokio::test]
async fn serves_json_parsed_accounts_and_every_transaction_encoding() {
    use solana_account_decoder_client_types::{UiAccountData, UiAccountEncoding};
    use solana_transaction_status_client_types::{EncodedTransaction, UiMessage};
    let (localnet, client) = rpc_client_for().await;
    let p = platform(&localnet).await;
    let mint = p.usd1.mint();
    let holder = p.holder.pubkey();
    let holder_account = p.usd1.token_account_of(&holder);
    localnet
        .chain
        .airdrop(&holder, 10_000_000_000)
        .await
        .unwrap();

    // getTokenAccountsByOwner: RpcClient asks for jsonParsed.
    let owned = client
        .get_token_accounts_by_owner(&holder, TokenAccountsFilter::Mint(mint))
        .await
        .unwrap();
    let UiAccountData::Json(parsed) = &owned[0].account.data else {
        panic!("not parsed: {:?}", owned[0].account.data);
    };
    assert_eq!(parsed.program, "spl-token-2022");
    let info = &parsed.parsed["info"];
    assert_eq!(info["owner"], holder.to_string());
    assert_eq!(info["tokenAmount"]["uiAmountString"], "400");

    // The mint with its extensions (metadata pointer and metadata).
    let mint_account = client
        .get_ui_account_with_config(
            &mint,
            RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::JsonParsed),
                ..RpcAccountInfoConfig::default()
            },
        )
        .await
        .unwrap()
        .value
        .unwrap();
    let UiAccountData::Json(parsed) = mint_account.data else {
        panic!("mint not parsed");
    };
    assert_eq!(parsed.parsed["type"], "mint");
    let extensions = parsed.parsed["info"]["extensions"].as_array().unwrap();
    let metadata = extensions
        .iter()
        .find(|e| e["extension"] == "tokenMetadata")
        .unwrap();
    assert_eq!(metadata["state"]["symbol"], "USD1");

    // A delegate, found by getTokenAccountsByDelegate.
    let delegate = Pubkey::new_unique();
    let approve = anchor_spl::token_2022::spl_token_2022::instruction::approve_checked(
        &usd1_client::TOKEN_2022_PROGRAM_ID,
        &holder_account,
        &mint,
        &delegate,
        &holder,
        &[],
        5 * ONE,
        DECIMALS,
    )
    .unwrap();
    let blockhash = client.get_latest_blockhash().await.unwrap();
    let approved = solana_sdk::transaction::Transaction::new_signed_with_payer(
        &[approve],
        Some(&holder),
        &[&p.holder],
        blockhash,
    );
    let signature = client
        .send_and_confirm_transaction(&approved)
        .await
        .unwrap();
    // RpcClient 3.1's get_token_accounts_by_delegate sends getTokenAccountsByOwner,
    // so the method is called by name.
    let by_delegate = |delegate: Pubkey| {
        let client = &client;
        async move {
            client
                .send::<solana_rpc_client_api::response::Response<
                    Vec<solana_rpc_client_api::response::RpcKeyedAccount>,
                >>(
                    RpcRequest::GetTokenAccountsByDelegate,
                    serde_json::json!([
                        delegate.to_string(),
                        { "mint": mint.to_string() },
                        { "encoding": "jsonParsed" }
                    ]),
                )
                .await
                .unwrap()
                .value
        }
    };
    let delegated = by_delegate(delegate).await;
    assert_eq!(delegated.len(), 1);
    assert_eq!(delegated[0].pubkey, holder_account.to_string());
    let UiAccountData::Json(parsed) = &delegated[0].account.data else {
        panic!("not parsed");
    };
    assert_eq!(
        parsed.parsed["info"]["delegatedAmount"]["amount"],
        (5 * ONE).to_string()
    );
    assert!(by_delegate(Pubkey::new_unique()).await.is_empty());

    // getTokenLargestAccounts: the holder, then a smaller one.
    p.usd1
        .transfer(&p.holder, &Pubkey::new_unique(), 3 * ONE)
        .await
        .unwrap();
    let largest = client.get_token_largest_accounts(&mint).await.unwrap();
    assert_eq!(largest[0].address, holder_account.to_string());
    assert_eq!(largest[0].amount.amount, (397 * ONE).to_string());
    assert_eq!(largest[1].amount.ui_amount_string, "3");

    // getTransaction in all four encodings.
    for encoding in [
        UiTransactionEncoding::Json,
        UiTransactionEncoding::JsonParsed,
        UiTransactionEncoding::Base58,
        UiTransactionEncoding::Base64,
    ] {
        let confirmed = client.get_transaction(&signature, encoding).await.unwrap();
        let transaction = &confirmed.transaction.transaction;
        match (encoding, transaction) {
            (UiTransactionEncoding::JsonParsed, EncodedTransaction::Json(ui)) => {
                let UiMessage::Parsed(message) = &ui.message else {
                    panic!("jsonParsed message is {:?}", ui.message);
                };
                let json = serde_json::to_value(&message.instructions[0]).unwrap();
                assert_eq!(json["parsed"]["type"], "approveChecked", "{json}");
                assert_eq!(json["parsed"]["info"]["delegate"], delegate.to_string());
            }
            (UiTransactionEncoding::Json, EncodedTransaction::Json(ui)) => {
                assert!(matches!(ui.message, UiMessage::Raw(_)));
            }
            (_, binary) => {
                let decoded = binary.decode().expect("binary encodings decode");
                assert_eq!(decoded.signatures[0], signature);
            }
        }
        let meta = confirmed.transaction.meta.unwrap();
        let post: Option<Vec<_>> = meta.post_token_balances.into();
        let post = post.unwrap();
        assert_eq!(post.len(), 1, "{post:?}");
        assert_eq!(post[0].mint, mint.to_string());
    }

    // getProgramAccounts sees accounts no transaction named: the sysvars.
    let sysvars = client
        .get_program_accounts(&solana_sdk::sysvar::ID)
        .await
        .unwrap();
    assert!(sysvars
        .iter()
        .any(|(address, _)| *address == solana_sdk::sysvar::clock::ID));
    localnet.stop().await.unwrap();
}

/// Blockhashes now live a slot each (400 ms), as on a cluster, so a script
/// that sets a role, changes it and sets it back within one slot makes, the
/// third time, the very bytes of the first transaction — which the runtime
/// refuses as already processed. The client signs it anew against the next
/// blockhash instead: the request is a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_request_again_within_a_slot_is_signed_anew() {
    use usd1_client::Role;
    let (localnet, _client) = rpc_client_for().await;
    let p = platform(&localnet).await;
    let (first, other) = (Pubkey::new_unique(), Pubkey::new_unique());
    let started = Instant::now();
    for pauser in [first, other, first, other, first] {
        p.usd1
            .set_role(&p.admin, Role::Pauser, &pauser)
            .await
            .unwrap();
    }
    assert_eq!(p.usd1.config().await.unwrap().pauser, first);
    eprintln!(
        "five role changes, two of them repeats: {:?}",
        started.elapsed()
    );
    localnet.stop().await.unwrap();
}
