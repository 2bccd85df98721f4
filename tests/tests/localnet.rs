//! The localnet's JSON-RPC endpoint against the stock `RpcClient`: every
//! method it serves, compared with what the in-process BanksClient says,
//! plus the USD1 client and the oracle running over HTTP against it.
use std::sync::Arc;
use std::time::Instant;

use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::ErrorKind;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSimulateTransactionConfig,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_rpc_client_api::request::{
    RpcError, RpcRequest, RpcResponseErrorData, TokenAccountsFilter,
};
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use solana_transaction_status_client_types::UiTransactionEncoding;
use usd1_client::rpc::RpcLedger;
use usd1_client::{instructions, pda, ClientError, Ledger, Usd1Error};
use usd1_localnet::Localnet;
use usd1_tests::platform::Platform;
use usd1_tests::*;

async fn start() -> (Localnet, RpcClient) {
    let localnet = usd1_tests::platform::localnet().await;
    let client =
        RpcClient::new_with_commitment(localnet.url.clone(), CommitmentConfig::confirmed());
    (localnet, client)
}

async fn platform(localnet: &Localnet) -> Platform {
    Platform::new(localnet, 1_000 * ONE, 400 * ONE).await
}

#[tokio::test]
async fn serves_every_method_as_the_bank_sees_it() {
    let (localnet, client) = start().await;
    let banks = localnet.chain.banks().clone();
    let p = platform(&localnet).await;
    let mint = p.usd1.mint();
    let holder_account = p.usd1.token_account_of(&p.holder.pubkey());
    let payer = p.usd1.payer().pubkey();

    // getVersion, getHealth
    assert_eq!(client.get_version().await.unwrap().solana_core, "3.1.12");
    client.get_health().await.unwrap();

    // getSlot, getBlockHeight, getEpochInfo: the chain moves on its own.
    // (The chain may tick between two reads, so each answer is bracketed.)
    let root_before = banks.get_root_slot().await.unwrap();
    let slot = client.get_slot().await.unwrap();
    let root_after = banks.get_root_slot().await.unwrap();
    assert!((root_before + 1..=root_after + 1).contains(&slot));
    let height_before = banks.get_root_block_height().await.unwrap();
    let height = client.get_block_height().await.unwrap();
    let height_after = banks.get_root_block_height().await.unwrap();
    assert!((height_before + 1..=height_after + 1).contains(&height));
    let epoch = client.get_epoch_info().await.unwrap();
    assert!(epoch.absolute_slot >= slot && epoch.slots_in_epoch > 0);
    assert!(
        epoch.transaction_count.unwrap() >= 6,
        "airdrop, init, attestors, minter, attest, mint"
    );
    // While someone calls, slots advance on their own.
    let mut later = slot;
    for _ in 0..20 {
        tokio::time::sleep(usd1_localnet::SLOT_TIME).await;
        later = client.get_slot().await.unwrap();
        if later > slot {
            break;
        }
    }
    assert!(later > slot, "slots advance");

    // getLatestBlockhash, isBlockhashValid, getFeeForMessage
    let (blockhash, last_valid) = client
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    let bank_blockhash = banks.get_latest_blockhash().await.unwrap();
    assert!(
        blockhash == bank_blockhash
            || client.get_latest_blockhash().await.unwrap() == bank_blockhash
    );
    assert!(last_valid > height);
    assert!(client
        .is_blockhash_valid(&blockhash, CommitmentConfig::confirmed())
        .await
        .unwrap());
    assert!(!client
        .is_blockhash_valid(
            &solana_sdk::hash::Hash::new_unique(),
            CommitmentConfig::confirmed()
        )
        .await
        .unwrap());
    let message = Message::new_with_blockhash(
        &[instructions::memo("fee", &payer)],
        Some(&payer),
        &blockhash,
    );
    assert_eq!(
        client.get_fee_for_message(&message).await.unwrap(),
        banks
            .get_fee_for_message(message.clone())
            .await
            .unwrap()
            .unwrap()
    );

    // getMinimumBalanceForRentExemption, getBalance
    let rent = banks.get_rent().await.unwrap();
    assert_eq!(
        client
            .get_minimum_balance_for_rent_exemption(641)
            .await
            .unwrap(),
        rent.minimum_balance(641)
    );
    assert_eq!(
        client.get_balance(&payer).await.unwrap(),
        banks.get_balance(payer).await.unwrap()
    );

    // getAccountInfo, getMultipleAccounts
    let config = p.usd1.config_address();
    let from_rpc = client.get_account(&config).await.unwrap();
    assert_eq!(
        Some(from_rpc.clone()),
        banks.get_account(config).await.unwrap()
    );
    let unknown = Pubkey::new_unique();
    let many = client
        .get_multiple_accounts(&[config, unknown, mint])
        .await
        .unwrap();
    assert_eq!(many[0].as_ref(), Some(&from_rpc));
    assert_eq!(many[1], None);
    assert_eq!(many[2], banks.get_account(mint).await.unwrap());

    // getProgramAccounts with dataSize and memcmp filters
    let minters = client
        .get_program_ui_accounts_with_config(
            &usd1::ID,
            RpcProgramAccountsConfig {
                filters: Some(vec![
                    RpcFilterType::DataSize(
                        8 + <usd1::state::MinterAllowance as anchor_lang::Space>::INIT_SPACE as u64,
                    ),
                    // discriminator (8) and bump (1), then the config address
                    RpcFilterType::Memcmp(Memcmp::new_raw_bytes(9, config.to_bytes().to_vec())),
                ]),
                account_config: RpcAccountInfoConfig {
                    encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
                    ..RpcAccountInfoConfig::default()
                },
                ..RpcProgramAccountsConfig::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(minters.len(), 1);
    assert_eq!(
        minters[0].0,
        pda::minter_allowance(&config, &p.minter.pubkey())
    );
    let all = client.get_program_accounts(&usd1::ID).await.unwrap();
    assert!(
        all.iter().any(|(k, _)| *k == config) && all.len() >= 3,
        "{}",
        all.len()
    );

    // getTokenAccountBalance, getTokenAccountsByOwner, getTokenSupply
    let balance = client
        .get_token_account_balance(&holder_account)
        .await
        .unwrap();
    assert_eq!(
        (
            balance.amount.as_str(),
            balance.decimals,
            balance.ui_amount_string.as_str()
        ),
        ("400000000", 6, "400")
    );
    let owned = client
        .get_token_accounts_by_owner(&p.holder.pubkey(), TokenAccountsFilter::Mint(mint))
        .await
        .unwrap();
    assert_eq!(owned.len(), 1);
    assert_eq!(owned[0].pubkey, holder_account.to_string());
    let by_program = client
        .get_token_accounts_by_owner(
            &p.holder.pubkey(),
            TokenAccountsFilter::ProgramId(usd1_client::TOKEN_2022_PROGRAM_ID),
        )
        .await
        .unwrap();
    assert_eq!(by_program.len(), 1);
    let supply = client.get_token_supply(&mint).await.unwrap();
    assert_eq!(supply.amount, (400 * ONE).to_string());

    // simulateTransaction: a mint above the reserve is refused by name, with logs.
    let ix = instructions::mint_to(
        &p.minter.pubkey(),
        &mint,
        &holder_account,
        &usd1_client::TOKEN_2022_PROGRAM_ID,
        700 * ONE,
    );
    let blockhash = client.get_latest_blockhash().await.unwrap();
    let tx = p.usd1.transaction(&[ix], &[&p.minter], blockhash).unwrap();
    let simulated = client
        .simulate_transaction_with_config(
            &tx,
            RpcSimulateTransactionConfig {
                sig_verify: true,
                inner_instructions: true,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .value;
    let failure = usd1_client::Failure::new(simulated.err.clone().unwrap().into());
    assert!(failure.is(Usd1Error::ReserveExceeded), "{failure}");
    assert!(!simulated.logs.unwrap().is_empty());

    // sendTransaction: the preflight refusal comes back as a validator's -32002 with the simulation.
    let before = client.get_token_supply(&mint).await.unwrap();
    let refused = client.send_transaction(&tx).await.expect_err("refused");
    match refused.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError {
            code: -32002,
            data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
            ..
        }) => {
            assert!(
                usd1_client::Failure::new(result.err.clone().unwrap().into())
                    .is(Usd1Error::ReserveExceeded)
            )
        }
        other => panic!("expected a preflight failure, got {other:?}"),
    }
    assert_eq!(client.get_token_supply(&mint).await.unwrap(), before);
    assert_usd1_error(
        p.usd1
            .mint_to(&p.minter, &p.holder.pubkey(), 700 * ONE)
            .await,
        Usd1Error::ReserveExceeded,
    );
    // A token program's refusal comes back named too, located by the preflight logs.
    let overdraft = p
        .usd1
        .transfer(&p.holder, &Pubkey::new_unique(), 401 * ONE)
        .await
        .expect_err("above the holder's balance");
    assert_eq!(
        overdraft.to_string(),
        "InsufficientFunds: Insufficient funds",
        "{overdraft:?}"
    );

    // getSignaturesForAddress, getSignatureStatuses, getTransaction (json and base64)
    let signatures = client.get_signatures_for_address(&mint).await.unwrap();
    assert!(signatures.len() >= 2, "initialize and the mint");
    let newest = signatures[0].signature.parse().unwrap();
    let statuses = client
        .get_signature_statuses(&[newest, solana_sdk::signature::Signature::default()])
        .await
        .unwrap()
        .value;
    assert_eq!(statuses[0].as_ref().unwrap().err, None);
    assert_eq!(statuses[0].as_ref().unwrap().slot, signatures[0].slot);
    assert!(statuses[1].is_none());
    assert_eq!(
        banks
            .get_transaction_status(newest)
            .await
            .unwrap()
            .unwrap()
            .err,
        None
    );
    for encoding in [UiTransactionEncoding::Json, UiTransactionEncoding::Base64] {
        let confirmed = client.get_transaction(&newest, encoding).await.unwrap();
        assert_eq!(confirmed.slot, signatures[0].slot);
        let meta = confirmed.transaction.meta.unwrap();
        assert_eq!(meta.err, None);
        let logs: Option<Vec<String>> = meta.log_messages.into();
        assert!(!logs.unwrap().is_empty());
        let inner: Option<Vec<_>> = meta.inner_instructions.into();
        assert!(!inner.unwrap().is_empty(), "the mint's CPIs and event");
    }
    // The auditor's replay (`usd1 audit`) reads the config's history back through getTransaction.
    let history = p.usd1.ledger().history(&config).await.unwrap();
    assert_eq!(
        history.len(),
        client
            .get_signatures_for_address(&config)
            .await
            .unwrap()
            .len()
    );
    assert!(
        history.len() >= 4,
        "initialize, attestors, minter, attestation, mint"
    );
    let report = usd1_client::audit::audit(&mint, &history);
    assert!(report.violations.is_empty(), "{:?}", report.violations);

    // getRecentPrioritizationFees
    let fees = client.get_recent_prioritization_fees(&[]).await.unwrap();
    assert_eq!(fees[0].prioritization_fee, 0);

    // requestAirdrop
    let newcomer = Pubkey::new_unique();
    let airdrop = client
        .request_airdrop(&newcomer, 1_000_000_000)
        .await
        .unwrap();
    assert!(client.confirm_transaction(&airdrop).await.unwrap());
    assert_eq!(banks.get_balance(newcomer).await.unwrap(), 1_000_000_000);

    // An unknown method is JSON-RPC's "method not found".
    let unknown = client
        .send::<serde_json::Value>(
            RpcRequest::Custom {
                method: "getNoSuchThing",
            },
            serde_json::json!([]),
        )
        .await;
    match unknown.as_ref().map_err(|e| e.kind()) {
        Err(ErrorKind::RpcError(RpcError::RpcResponseError {
            code: -32601,
            message,
            ..
        })) => assert_eq!(message, "Method not found"),
        other => panic!("expected method not found, got {other:?}"),
    }
    let _ = &p.attestors;
    localnet.stop().await.unwrap();
}

#[tokio::test]
async fn the_oracle_attests_over_http_and_a_mint_above_it_is_refused() {
    let (localnet, _client) = start().await;
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
                .map(|k| Arc::new(k.insecure_clone()))
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
    let (localnet, client) = start().await;
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
