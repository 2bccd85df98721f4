//! The localnet's JSON-RPC endpoint against the stock `RpcClient`: every
//! method it serves, compared with what the in-process BanksClient says. The
//! oracle over HTTP, restarts from the ledger folder and the encodings are in
//! `localnet_usage.rs`.

use solana_commitment_config::CommitmentConfig;
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
use usd1_client::{instructions, pda, Ledger, Usd1Error};
use usd1_tests::*;

use usd1_tests::localnet::rpc_client_for;
use usd1_tests::sample_platform as platform;
#[tokio::test]
async fn serves_every_method_as_the_bank_sees_it() {
    let (localnet, client) = rpc_client_for().await;
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
    assert!((root_before..=root_after).contains(&slot));
    let height_before = banks.get_root_block_height().await.unwrap();
    let height = client.get_block_height().await.unwrap();
    let height_after = banks.get_root_block_height().await.unwrap();
    assert!((height_before..=height_after).contains(&height));
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
                    RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                        8 + std::mem::offset_of!(usd1::state::MinterAllowance, config),
                        config.to_bytes().to_vec(),
                    )),
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
