//! Issue 22, item 1: transaction logs shaped as a validator writes them,
//! judged by stock clients nobody here wrote (`tests/node/anchor.test.mjs`,
//! `tests/node/kit.test.mjs`, packages from the committed lock file):
//!
//! - `@coral-xyz/anchor` 0.32's `EventParser` parses the logs of one
//!   transaction of every usd1 instruction (and of a failed one) without
//!   throwing, and yields exactly the events `emit_cpi!` recorded in each;
//! - its `program.addEventListener` hears the `Minted` event of a mint made
//!   by the `usd1` CLI, over the localnet's websocket;
//! - `@solana/kit` 7 sends a Token-2022 `transferChecked` with
//!   `sendAndConfirmTransactionFactory` and reads the account `jsonParsed`;
//! - the program's generated TypeScript client (`clients/js`) builds every
//!   instruction as the Rust client does, decodes every account, event and
//!   error, and lands a mint, a transfer with a reference, a redemption
//!   request and a freeze (`codama_client.rs` gives it what it needs).
use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1::instructions::PolicyArgs;
use usd1_client::{instructions, Ledger, MintOptions};
use usd1_tests::localnet::{funded, localnet};
use usd1_tests::node::{install_packages, node_test};
use usd1_tests::*;

/// Every instruction of the program, by discriminator, from its IDL.
fn idl_instructions() -> Vec<(String, Vec<u8>)> {
    let idl: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../idl/usd1.json")).unwrap(),
    )
    .unwrap();
    idl["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ix| {
            let name = ix["name"].as_str().unwrap().to_string();
            let disc = ix["discriminator"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
                .collect();
            (name, disc)
        })
        .collect()
}

/// `Minted` → `minted`: the name Anchor's TypeScript client gives an event.
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn write_keypair(dir: &Path, name: &str, keypair: &Keypair) -> String {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(
        &path,
        serde_json::to_string(&keypair.to_bytes().to_vec()).unwrap(),
    )
    .unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_anchor_and_kit_clients_read_every_usd1_transaction_as_a_validators() {
    install_packages();
    let localnet = localnet().await;
    let options = MintOptions {
        permanent_delegate: true,
        ..MintOptions::default()
    };
    // initialize, set_role ×3, set_attestors, configure_minter, attest, mint_to.
    let f = Fixture::on_localnet_for(
        &localnet,
        Flavor::Token2022,
        options,
        10_000 * ONE,
        500 * ONE,
    )
    .await;
    let (usd1, admin) = (&f.usd1, &*f.admin);
    usd1.set_policy(
        admin,
        PolicyArgs {
            margin_bps: Some(100),
            max_attestation_age: None,
            max_submission_delay: None,
        },
    )
    .await
    .unwrap();
    usd1.set_disclosure(admin, default_disclosure())
        .await
        .unwrap();
    for key in [
        f.holder.pubkey(),
        f.minter.pubkey(),
        f.freezer.pubkey(),
        f.pauser.pubkey(),
        f.treasurer.pubkey(),
    ] {
        localnet.chain.airdrop(&key, 10_000_000_000).await.unwrap();
    }
    usd1.mint_to(&f.minter, &f.minter.pubkey(), 20 * ONE)
        .await
        .unwrap();
    usd1.burn(&f.minter, 5 * ONE).await.unwrap();
    let holder_account = usd1.token_account_of(&f.holder.pubkey());
    usd1.freeze(&f.freezer, &holder_account).await.unwrap();
    usd1.thaw(&f.freezer, &holder_account).await.unwrap();
    usd1.pause(&f.pauser).await.unwrap();
    usd1.unpause(&f.pauser).await.unwrap();
    let (settled, _) = usd1
        .request_redemption(&f.holder, 50 * ONE, [1; 32])
        .await
        .unwrap();
    let (rejected, _) = usd1
        .request_redemption(&f.holder, 60 * ONE, [2; 32])
        .await
        .unwrap();
    usd1.settle_redemption(&f.treasurer, settled, [3; 32])
        .await
        .unwrap();
    usd1.reject_redemption(&f.treasurer, rejected, 7)
        .await
        .unwrap();
    let minter_account = usd1.token_account_of(&f.minter.pubkey());
    usd1.seize(admin, &holder_account, &minter_account, ONE, 9)
        .await
        .unwrap();
    let second_minter = Pubkey::new_unique();
    usd1.configure_minter(admin, &second_minter, ONE)
        .await
        .unwrap();
    usd1.remove_minter(admin, &second_minter).await.unwrap();
    let next_admin = funded(&localnet).await;
    usd1.propose_admin(admin, &Pubkey::new_unique())
        .await
        .unwrap();
    usd1.cancel_admin_proposal(admin).await.unwrap();
    usd1.propose_admin(admin, &next_admin.pubkey())
        .await
        .unwrap();
    usd1.accept_admin(&*next_admin).await.unwrap();

    // One that lands and fails: a mint above the reserve, sent without preflight.
    let client =
        RpcClient::new_with_commitment(localnet.url.clone(), CommitmentConfig::confirmed());
    let destination = usd1.token_account_of(&f.holder.pubkey());
    let ix = instructions::mint_to(
        &f.minter.pubkey(),
        &usd1.mint(),
        &destination,
        &usd1.token_program(),
        1_000_000 * ONE,
    );
    let blockhash = client.get_latest_blockhash().await.unwrap();
    let failing = solana_sdk::transaction::Transaction::new_signed_with_payer(
        &[ix],
        Some(&f.minter.pubkey()),
        &[&f.minter],
        blockhash,
    );
    let config = RpcSendTransactionConfig {
        skip_preflight: true,
        ..RpcSendTransactionConfig::default()
    };
    let failed = client
        .send_transaction_with_config(&failing, config)
        .await
        .unwrap();
    while client
        .get_signature_statuses(&[failed])
        .await
        .unwrap()
        .value[0]
        .is_none()
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // What emit_cpi! recorded in each transaction, as the auditor reads it;
    // and every instruction of the program is among them.
    let history = f.ledger.history(&usd1.config_address()).await.unwrap();
    let instructions = idl_instructions();
    let mut seen = BTreeSet::new();
    let transactions: Vec<serde_json::Value> = history
        .iter()
        .map(|tx| {
            for ix in tx
                .instructions
                .iter()
                .filter(|ix| ix.program_id == usd1::ID)
            {
                for (name, disc) in &instructions {
                    if ix.data.starts_with(disc) {
                        seen.insert(name.clone());
                    }
                }
            }
            let events: Vec<String> = tx.events.iter().map(|e| camel(e.name())).collect();
            json!({ "signature": tx.signature.to_string(), "events": events })
        })
        .collect();
    let every: BTreeSet<String> = instructions.into_iter().map(|(name, _)| name).collect();
    assert_eq!(seen, every, "one transaction of every instruction");

    let dir = tempfile::tempdir().unwrap();
    let minter_file = write_keypair(dir.path(), "minter", &f.minter);
    let fixture = dir.path().join("fixture.json");
    let body = json!({
        "rpc": localnet.url,
        "ws": localnet.ws_url,
        "idl": Path::new(env!("CARGO_MANIFEST_DIR")).join("../idl/usd1.json"),
        "program": usd1::ID.to_string(),
        "transactions": transactions,
        "failed": failed.to_string(),
        "usd1": tour::binary("usd1").unwrap(),
        "minterKeypair": minter_file,
        "mint": usd1.mint().to_string(),
        "tokenProgram": usd1.token_program().to_string(),
        "decimals": DECIMALS,
        "holder": f.holder.to_bytes().to_vec(),
        "holderAccount": holder_account.to_string(),
    });
    std::fs::write(&fixture, body.to_string()).unwrap();
    let (output, stdout) = node_test(&["anchor.test.mjs", "kit.test.mjs"], &fixture).await;
    assert!(output.status.success(), "a stock-client test failed");
    assert!(stdout.contains("# pass 4"), "{stdout}");
    assert!(stdout.contains("# fail 0"), "{stdout}");

    // The generated TypeScript client (clients/js), on the same chain.
    let client = super::codama_client::build_client();
    let body = json!({
        "rpc": localnet.url,
        "ws": localnet.ws_url,
        "mint": usd1.mint().to_string(),
        "tokenProgram": usd1.token_program().to_string(),
        "minter": f.minter.to_bytes().to_vec(),
        "holder": f.holder.to_bytes().to_vec(),
        "freezer": f.freezer.to_bytes().to_vec(),
        "reference": Pubkey::new_unique().to_string(),
        "instructions": super::codama_client::every_instruction(),
        "accounts": super::codama_client::every_account(
            f.ledger.as_ref(),
            &usd1.mint(),
            &f.minter.pubkey(),
            settled,
        )
        .await,
        "events": super::codama_client::every_event(&history),
    });
    std::fs::write(&fixture, body.to_string()).unwrap();
    let (output, stdout) =
        usd1_tests::node::node_test_in(client, &["test/client.test.mjs"], &fixture).await;
    assert!(output.status.success(), "a generated-client test failed");
    assert!(
        stdout.contains("# pass 3") && stdout.contains("# fail 0"),
        "{stdout}"
    );
    localnet.stop().await.unwrap();
}
