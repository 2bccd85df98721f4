//! Issue 22, item 0b: a blockhash lives 150 blocks on the localnet, as on a
//! cluster, and `getLatestBlockhash`'s `lastValidBlockHeight`,
//! `isBlockhashValid` and what the runtime accepts say the same thing. (It
//! used to expire after about two seconds: solana-program-test registered a
//! blockhash of its own every 6.4 ms.)
use std::time::{Duration, Instant};

use anchor_lang::solana_program::system_instruction;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::ErrorKind;
use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
use solana_sdk::clock::MAX_TRANSACTION_FORWARDING_DELAY;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};
use usd1_localnet::chain::{SendError, MAX_PROCESSING_AGE};
use usd1_tests::localnet::{funded, localnet_with_slot_time};

/// The localnets here make a slot every 40 ms, a tenth of a validator's
/// 400 ms: a blockhash still lives 150 blocks, waited out in 6 s, not 60.
const SLOT: Duration = Duration::from_millis(40);
/// Wall-clock seconds of a validator's slot time, as this localnet's.
fn scaled(validator_secs: f64) -> Duration {
    SLOT.mul_f64(validator_secs / usd1_localnet::SLOT_TIME.as_secs_f64())
}

/// `lamports` from `payer` to a new address, signed with `blockhash`.
fn transfer(payer: &Keypair, lamports: u64, blockhash: Hash) -> (Transaction, Pubkey) {
    let to = Pubkey::new_unique();
    let ix = system_instruction::transfer(&payer.pubkey(), &to, lamports);
    let tx = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[payer], blockhash);
    (tx, to)
}

/// At the edge, block by block. Only the chain's own methods are called, so
/// no RPC activity makes the localnet's ticker add blocks in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blockhash_lands_up_to_its_last_valid_block_height_and_never_after() {
    let localnet = localnet_with_slot_time(SLOT).await;
    let chain = &localnet.chain;
    let payer = funded(&localnet).await;
    let (blockhash, last_valid) = chain.latest_blockhash().await.unwrap();
    let height = chain.block_height().await.unwrap();
    assert_eq!(last_valid, height + MAX_PROCESSING_AGE);

    // Wall-clock time changes nothing: blocks, not time, age it (75 slot
    // times pass idle; a validator's 3 s would be 7.5).
    tokio::time::sleep(SLOT * 75).await;
    assert_eq!(chain.block_height().await.unwrap(), height);
    assert_eq!(chain.latest_blockhash().await.unwrap().0, blockhash);

    // As on a validator, the preflight simulation allows 6 blocks less
    // (MAX_TRANSACTION_FORWARDING_DELAY): up to there a preflighted send lands.
    let preflight_edge = last_valid - MAX_TRANSACTION_FORWARDING_DELAY as u64;
    walk_to(chain, preflight_edge).await;
    let (preflighted, to) = transfer(&payer, 1_000_000, blockhash);
    chain.send(preflighted.into(), true).await.unwrap();
    assert_eq!(chain.banks().get_balance(to).await.unwrap(), 1_000_000);
    walk_to(chain, preflight_edge + 1).await;
    let (late, to) = transfer(&payer, 1_500_000, blockhash);
    assert_blockhash_not_found(chain.send(late.into(), true).await);
    assert_eq!(chain.banks().get_balance(to).await.unwrap(), 0);

    // The runtime itself takes it up to the last valid block height.
    walk_to(chain, last_valid).await;
    assert!(chain.is_blockhash_valid(&blockhash).await.unwrap());
    let (landing, to) = transfer(&payer, 2_000_000, blockhash);
    chain.send(landing.into(), false).await.unwrap();
    assert_eq!(chain.banks().get_balance(to).await.unwrap(), 2_000_000);

    walk_to(chain, last_valid + 1).await;
    assert!(!chain.is_blockhash_valid(&blockhash).await.unwrap());
    let (late, to) = transfer(&payer, 3_000_000, blockhash);
    let before = chain.banks().get_balance(payer.pubkey()).await.unwrap();
    assert_blockhash_not_found(chain.send(late.into(), false).await);
    assert_eq!(chain.banks().get_balance(to).await.unwrap(), 0);
    assert_eq!(
        chain.banks().get_balance(payer.pubkey()).await.unwrap(),
        before
    );
    localnet.stop().await.unwrap();
}

/// Makes blocks until the chain is at `height`.
async fn walk_to(chain: &usd1_localnet::Chain, height: u64) {
    while chain.block_height().await.unwrap() < height {
        chain.tick().await;
    }
    assert_eq!(chain.block_height().await.unwrap(), height);
}

fn assert_blockhash_not_found(sent: Result<solana_sdk::signature::Signature, SendError>) {
    match sent {
        Err(SendError::Preflight(simulated)) => {
            assert_eq!(simulated.err, Some(TransactionError::BlockhashNotFound))
        }
        Err(SendError::Rejected(error)) => assert_eq!(error, TransactionError::BlockhashNotFound),
        other => panic!("expected BlockhashNotFound, got {other:?}"),
    }
}

/// What a client sees of `blockhash` now: isBlockhashValid, and the block
/// height bracketed by two reads of it.
async fn seen(client: &RpcClient, blockhash: &Hash) -> (bool, u64, u64) {
    let low = client.get_block_height().await.unwrap();
    let valid = client
        .is_blockhash_valid(blockhash, CommitmentConfig::confirmed())
        .await
        .unwrap();
    let high = client.get_block_height().await.unwrap();
    (valid, low, high)
}

/// Over JSON-RPC on the wall clock, with the stock `RpcClient`: a wallet
/// that signs with a blockhash fetched 0, 3 and 30 seconds earlier lands;
/// 70 seconds (about 175 blocks) later the three answers all say expired.
/// Seconds of a validator's 400 ms slot: this localnet runs them ten times
/// faster (0, 0.3, 3 and 7 s), the blocks the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifetime_answers_agree_at_0_3_30_and_70_seconds() {
    let localnet = localnet_with_slot_time(SLOT).await;
    let client =
        RpcClient::new_with_commitment(localnet.url.clone(), CommitmentConfig::confirmed());
    let payer = funded(&localnet).await;
    let (blockhash, last_valid) = client
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    let started = Instant::now();
    for (at, lamports) in [
        (0u64, 1_000_000u64),
        (3, 2_000_000),
        (30, 3_000_000),
        (70, 4_000_000),
    ] {
        // Keep calling, as a wallet waiting for its user does: an idle
        // localnet makes no blocks.
        while started.elapsed() < scaled(at as f64) {
            client.get_slot().await.unwrap();
            tokio::time::sleep(SLOT / 2).await;
        }
        let (valid, low, high) = seen(&client, &blockhash).await;
        let (tx, to) = transfer(&payer, lamports, blockhash);
        let sent = client.send_and_confirm_transaction(&tx).await;
        eprintln!("{at:>2} s: height {low}..={high}, last valid {last_valid}, isBlockhashValid {valid}, sent {:?}", sent.as_ref().map(|_| ()));
        if at < 70 {
            assert!(
                high <= last_valid,
                "{at} s: height {high} past {last_valid}"
            );
            assert!(valid, "{at} s: isBlockhashValid said no");
            sent.unwrap();
            assert_eq!(client.get_balance(&to).await.unwrap(), lamports);
        } else {
            assert!(
                low > last_valid,
                "{at} s: height {low} not past {last_valid}"
            );
            assert!(!valid, "{at} s: isBlockhashValid said yes");
            let error = sent.unwrap_err();
            match error.kind() {
                ErrorKind::RpcError(RpcError::RpcResponseError {
                    code: -32002,
                    data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
                    ..
                }) => assert_eq!(
                    result.err.clone().map(TransactionError::from),
                    Some(TransactionError::BlockhashNotFound)
                ),
                other => panic!("{at} s: expected BlockhashNotFound, got {other:?}"),
            }
            assert_eq!(client.get_balance(&to).await.unwrap(), 0);
        }
    }
    localnet.stop().await.unwrap();
}
