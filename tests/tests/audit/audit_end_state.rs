//! `usd1 audit` comparing where its replay ends with the chain now (each
//! difference its own violation, holders' own burns and gifts accounted for)
//! and reading v0 transactions with lookup tables.
use std::sync::Arc;

use clap::Parser;
use solana_sdk::signature::{Keypair, Signer};
use usd1_cli::{execute, Cli, Context};
use usd1_client::audit::audit;
use usd1_client::{Ledger, Usd1Event};
use usd1_tests::ledgers::FaultyLedger;
use usd1_tests::*;

use usd1_tests::audit_harness::{history, kinds};

/// Every kind of supply and escrow movement: mints, a minter's burn through
/// the program, a holder's own burn through the token program, redemptions
/// settled, rejected and open, and tokens someone sent straight to the escrow.
async fn full_history() -> Fixture {
    use anchor_spl::token_2022::spl_token_2022::instruction::burn_checked;
    let f = Fixture::with_reserve(Flavor::Token2022, 10_000 * ONE).await;
    usd1_tests::redemption::open_to_redemption(&f).await;
    let holder = f.holder.pubkey();
    f.usd1
        .mint_to(&f.minter, &holder, 1_000 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), 100 * ONE)
        .await
        .unwrap();
    f.usd1.burn(&f.minter, 40 * ONE).await.unwrap();
    let own_burn = burn_checked(
        &f.flavor.program_id(),
        &f.usd1.token_account_of(&holder),
        &f.mint(),
        &holder,
        &[],
        7 * ONE,
        DECIMALS,
    )
    .unwrap();
    f.send(&[own_burn], &[&f.holder]).await.unwrap();
    for amount in [100, 200, 300] {
        f.usd1
            .request_redemption(&f.holder, amount * ONE, [0; 32])
            .await
            .unwrap();
    }
    f.usd1
        .settle_redemption(&f.treasurer, 0, [1; 32])
        .await
        .unwrap();
    f.usd1.reject_redemption(&f.treasurer, 1, 9).await.unwrap();
    // A gift to the escrow, outside any request.
    let escrow = f.usd1.escrow_address();
    let to_escrow = anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        &f.flavor.program_id(),
        &f.usd1.token_account_of(&f.minter.pubkey()),
        &f.mint(),
        &escrow,
        &f.minter.pubkey(),
        &[],
        ONE,
        DECIMALS,
    )
    .unwrap();
    f.send(&[to_escrow], &[&f.minter]).await.unwrap();
    f
}

#[tokio::test]
async fn the_replay_ends_where_the_chain_is_holder_burns_and_gifts_included() {
    let f = full_history().await;
    let report = usd1_client::audit::audit_chain(&f.usd1).await.unwrap();
    assert_eq!(report.violations, vec![]);
    // 1,100 minted − 40 burned by the minter − 100 settled; the holder's own 7 come on top.
    assert_eq!(report.supply_before_holder_burns(), u128::from(960 * ONE));
    assert_eq!(f.supply().await, 953 * ONE);
    assert_eq!(
        (report.replayed.open_requests, report.replayed.open_amount),
        (1, u128::from(300 * ONE))
    );
    assert_eq!(report.escrow_surplus, u128::from(ONE));
}

/// The chain now, as `audit_chain` reads it.
async fn on_chain(f: &Fixture) -> usd1_client::audit::OnChain {
    usd1_client::audit::OnChain {
        config: f.usd1.config().await.unwrap(),
        supply: f.supply().await,
        escrow_balance: f
            .usd1
            .token_account(&f.usd1.escrow_address())
            .await
            .unwrap()
            .amount,
        outside_burns: u128::from(7 * ONE),
        frozen_amount: 0,
    }
}

#[tokio::test]
async fn each_difference_from_the_chain_is_its_own_violation() {
    use usd1_client::audit::{Policy, Violation};
    let f = full_history().await;
    let history = history(&f).await;
    let replay = audit(&f.mint(), &history);
    let truth = on_chain(&f).await;
    let mut clean = replay.clone();
    clean.reconcile(&truth);
    assert_eq!(clean.violations, vec![]);

    let check = |change: &dyn Fn(&mut usd1_client::audit::OnChain), expected: Violation| {
        let mut chain = truth.clone();
        change(&mut chain);
        let mut report = replay.clone();
        report.reconcile(&chain);
        assert_eq!(report.violations, vec![expected]);
    };
    let attestors = truth.config.attestors().to_vec();
    let stranger = solana_sdk::pubkey::Pubkey::new_unique();
    let mut changed = attestors.clone();
    changed[0] = stranger;
    check(
        &|c| c.config.attestors[0] = stranger,
        Violation::AttestorSetMismatch {
            replayed: attestors.clone(),
            on_chain: changed.clone(),
        },
    );
    check(
        &|c| c.config.threshold = 3,
        Violation::ThresholdMismatch {
            replayed: 2,
            on_chain: 3,
        },
    );
    check(
        &|c| c.config.margin_bps = 10,
        Violation::PolicyMismatch {
            replayed: Policy::default(),
            on_chain: Policy {
                margin_bps: 10,
                ..Policy::default()
            },
        },
    );
    check(
        &|c| c.config.latest_retired = 1,
        Violation::RetirementMismatch {
            replayed: false,
            on_chain: true,
        },
    );
    check(
        &|c| c.config.latest.reserve_amount += 1,
        Violation::LatestAttestationMismatch { seq: 1 },
    );
    check(
        &|c| c.config.latest.seq = 2,
        Violation::HistoryIncomplete {
            replayed_seq: 1,
            on_chain_seq: 2,
        },
    );
    check(
        &|c| c.supply += 1,
        Violation::SupplyMismatch {
            replayed: u128::from(953 * ONE),
            on_chain: 953 * ONE + 1,
        },
    );
    check(
        &|c| c.config.pending_redemptions = 2,
        Violation::OpenRedemptionsMismatch {
            replayed_count: 1,
            replayed_amount: u128::from(300 * ONE),
            on_chain_count: 2,
            on_chain_amount: 300 * ONE,
        },
    );
    check(
        &|c| c.escrow_balance = 299 * ONE,
        Violation::EscrowShortfall {
            open: u128::from(300 * ONE),
            escrow: 299 * ONE,
        },
    );
}

#[tokio::test]
async fn fails_when_the_history_misses_a_burn_with_a_supply_mismatch() {
    let f = full_history().await;
    let mut forged = history(&f).await;
    let burn = forged
        .iter()
        .position(|t| t.events.iter().any(|e| matches!(e, Usd1Event::Burned(_))))
        .unwrap();
    forged.remove(burn);
    let ledger: Arc<dyn Ledger> = Arc::new(FaultyLedger::forging_history(f.ledger.clone(), forged));
    let usd1 = usd1_client::Usd1::connect(ledger, f.admin.clone(), f.mint())
        .await
        .unwrap();
    let report = usd1_client::audit::audit_chain(&usd1).await.unwrap();
    assert_eq!(
        kinds(&report),
        vec!["SupplyMismatch"],
        "{:?}",
        report.violations
    );
}

// --- issue 11, item 3: v0 transactions, as wallets send them ---

/// Sends `ixs` as a v0 transaction (the first signer pays), resolving
/// accounts through `tables`, and waits for confirmation.
async fn send_v0(
    client: &solana_rpc_client::nonblocking::rpc_client::RpcClient,
    ixs: &[solana_sdk::instruction::Instruction],
    tables: &[solana_sdk::message::AddressLookupTableAccount],
    signers: &[&Keypair],
) -> solana_sdk::signature::Signature {
    use solana_sdk::message::{v0, VersionedMessage};
    let blockhash = client.get_latest_blockhash().await.unwrap();
    let message = v0::Message::try_compile(&signers[0].pubkey(), ixs, tables, blockhash).unwrap();
    let tx = solana_sdk::transaction::VersionedTransaction::try_new(
        VersionedMessage::V0(message),
        signers,
    )
    .unwrap();
    client.send_and_confirm_transaction(&tx).await.unwrap()
}

/// Over JSON-RPC to the localnet: a v0 transfer of one lamport to the Config
/// (which touches no program of ours) and a holder's redemption request sent
/// as v0 with the Config and the other accounts it names loaded from an
/// address lookup table. The audit reads both, replays the request, and
/// ignores the transfer.
#[tokio::test]
async fn v0_transactions_and_lookup_tables_are_read_and_strangers_ignored() {
    use solana_commitment_config::CommitmentConfig;
    use solana_rpc_client::nonblocking::rpc_client::RpcClient;
    use solana_sdk::message::AddressLookupTableAccount;
    use usd1_client::{instructions, pda};

    let localnet = usd1_tests::localnet::localnet().await;
    let p = usd1_tests::Fixture::on_localnet(&localnet, 1_000 * ONE, 400 * ONE).await;
    let usd1 = &p.usd1;
    let admin: &Keypair = &p.admin;
    usd1.set_disclosure(admin, default_disclosure())
        .await
        .unwrap();
    localnet
        .chain
        .airdrop(&p.holder.pubkey(), 10_000_000_000)
        .await
        .unwrap();
    let client =
        RpcClient::new_with_commitment(localnet.url.clone(), CommitmentConfig::confirmed());
    let config = usd1.config_address();
    // A stranger's v0 transfer to the Config.
    let poke =
        anchor_lang::solana_program::system_instruction::transfer(&admin.pubkey(), &config, 1);
    let poked = send_v0(&client, &[poke], &[], &[admin]).await;

    // A lookup table with the Config and the accounts a redemption names.
    let slot_hashes = client
        .get_account(&solana_sdk::sysvar::slot_hashes::ID)
        .await
        .unwrap();
    let recent: Vec<(u64, solana_sdk::hash::Hash)> =
        bincode::deserialize(&slot_hashes.data).unwrap();
    let (create, table) = solana_address_lookup_table_interface::instruction::create_lookup_table(
        admin.pubkey(),
        admin.pubkey(),
        recent[0].0,
    );
    let addresses = vec![
        config,
        pda::disclosure(&config),
        pda::escrow(&config),
        usd1.mint(),
        usd1_client::TOKEN_2022_PROGRAM_ID,
        pda::event_authority(),
    ];
    let extend = solana_address_lookup_table_interface::instruction::extend_lookup_table(
        table,
        admin.pubkey(),
        Some(admin.pubkey()),
        addresses.clone(),
    );
    usd1.send(&[create, extend], &[]).await.unwrap();
    // A table's new entries serve from the next slot on.
    let extended = client.get_slot().await.unwrap();
    while client.get_slot().await.unwrap() <= extended + 1 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let holder = p.holder.pubkey();
    let request = instructions::request_redemption(
        &holder,
        &usd1.mint(),
        &usd1.token_account_of(&holder),
        &usd1.token_program(),
        0,
        100 * ONE,
        [0; 32],
    );
    let lookup = AddressLookupTableAccount {
        key: table,
        addresses,
    };
    let requested = send_v0(&client, &[request], &[lookup], &[admin, &p.holder]).await;
    let raw = client.get_transaction_with_config(
        &requested,
        solana_rpc_client_api::config::RpcTransactionConfig {
            encoding: Some(solana_transaction_status_client_types::UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        },
    );
    let raw = raw.await.unwrap();
    // Without maxSupportedTransactionVersion a v0 transaction is agave's -32015.
    let legacy_only = client
        .get_transaction_with_config(
            &requested,
            solana_rpc_client_api::config::RpcTransactionConfig {
                encoding: Some(solana_transaction_status_client_types::UiTransactionEncoding::Json),
                commitment: Some(CommitmentConfig::confirmed()),
                max_supported_transaction_version: None,
            },
        )
        .await
        .unwrap_err();
    match legacy_only.kind() {
        solana_rpc_client_api::client_error::ErrorKind::RpcError(
            solana_rpc_client_api::request::RpcError::RpcResponseError { code, .. },
        ) => assert_eq!(*code, -32015),
        other => panic!("expected -32015, got {other:?}"),
    }
    let decoded = raw.transaction.transaction.decode().unwrap();
    assert!(
        !decoded.message.static_account_keys().contains(&config),
        "the Config came from the table"
    );

    // The history finds both, the request with its accounts resolved.
    let history = usd1.ledger().history(&config).await.unwrap();
    let recorded = history.iter().find(|t| t.signature == requested).unwrap();
    assert_eq!(recorded.instructions[0].program_id, usd1::ID);
    assert!(recorded.instructions[0].accounts.contains(&config));
    assert!(matches!(
        recorded.events.as_slice(),
        [Usd1Event::RedemptionRequested(r)] if r.amount == 100 * ONE
    ));
    assert!(history.iter().any(|t| t.signature == poked));

    // `usd1 audit` over JSON-RPC: clean; the transfer is not counted.
    let touching = history.len() - 1;
    let m = usd1.mint().to_string();
    let cli =
        Cli::try_parse_from(["usd1", "audit", "--mint", m.as_str(), "--output", "json"]).unwrap();
    let ledger: Arc<dyn Ledger> = usd1.ledger().clone();
    let out = execute(&Context::new(ledger, p.admin.clone()), cli.command)
        .await
        .unwrap();
    assert!(!out.failed, "{}", out.text);
    assert_eq!(out.json["clean"], true);
    assert_eq!(out.json["transactions"].as_u64(), Some(touching as u64));
    assert_eq!(
        usd1.config().await.unwrap().escrowed_amount,
        100 * ONE,
        "the v0 request landed"
    );
}
