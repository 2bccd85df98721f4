//! The generated TypeScript client (`clients/js`, Codama from the IDL),
//! judged by `clients/js/test/client.test.mjs` (issue 37): what it is given
//! here — one instruction of every kind as the Rust client builds it, every
//! account as the program wrote it, every event as the program emitted it —
//! and the run, after the stock clients' on the same localnet.
use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Value};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use usd1::instructions::{AttestArgs, PolicyArgs};
use usd1_client::ledger::RecordedTransaction;
use usd1_client::{instructions, pda, LawfulBasis, Ledger, Role};
use usd1_tests::fixture::{allowance, default_disclosure, default_init_args};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn shown(name: &str, ix: &Instruction) -> Value {
    json!({
        "name": name,
        "programAddress": ix.program_id.to_string(),
        "accounts": ix.accounts.iter().map(|a| json!({
            "address": a.pubkey.to_string(),
            "signer": a.is_signer,
            "writable": a.is_writable,
        })).collect::<Vec<_>>(),
        "data": b64(&ix.data),
    })
}

/// One instruction of every kind, as the Rust client builds it.
pub fn every_instruction() -> Vec<Value> {
    let key = || Pubkey::new_unique();
    let (mint, token) = (key(), anchor_spl::token_2022::ID);
    let basis = LawfulBasis {
        reason_code: 7,
        order_sha256: [9; 32],
    };
    let attest = AttestArgs {
        seq: 4,
        reserve_amount: 1_234_567,
        as_of: 1_764_000_000,
        report_sha256: [5; 32],
    };
    let policy = PolicyArgs {
        margin_bps: Some(150),
        max_attestation_age: None,
        max_submission_delay: Some(600),
    };
    let all = [
        (
            "initialize",
            instructions::initialize(&key(), &mint, &token, default_init_args()),
        ),
        (
            "cancel_admin_proposal",
            instructions::cancel_admin_proposal(&key(), &mint),
        ),
        (
            "propose_admin",
            instructions::propose_admin(&key(), &mint, &key()),
        ),
        ("accept_admin", instructions::accept_admin(&key(), &mint)),
        (
            "set_role",
            instructions::set_role(&key(), &mint, Role::Treasurer, &key()),
        ),
        (
            "configure_minter",
            instructions::configure_minter(&key(), &mint, &key(), allowance(77)),
        ),
        (
            "remove_minter",
            instructions::remove_minter(&key(), &mint, &key()),
        ),
        (
            "set_attestors",
            instructions::set_attestors(&key(), &mint, vec![key(), key(), key()], 2, true),
        ),
        (
            "set_policy",
            instructions::set_policy(&key(), &mint, policy),
        ),
        ("attest", instructions::attest(&mint, attest)),
        (
            "mint_to",
            instructions::mint_to(&key(), &mint, &key(), &token, 42),
        ),
        (
            "burn",
            instructions::burn(&key(), &mint, &key(), &token, 43),
        ),
        (
            "freeze",
            instructions::freeze(&key(), &mint, &key(), &token, basis),
        ),
        (
            "thaw",
            instructions::thaw(&key(), &mint, &key(), &token, 8.into()),
        ),
        ("pause", instructions::pause(&key(), &mint, &token)),
        ("unpause", instructions::unpause(&key(), &mint, &token)),
        (
            "set_disclosure",
            instructions::set_disclosure(&key(), &mint, default_disclosure()),
        ),
        (
            "request_redemption",
            instructions::request_redemption(&key(), &mint, &key(), &token, 3, 44, [6; 32]),
        ),
        (
            "settle_redemption",
            instructions::settle_redemption(&key(), &mint, &token, 3, [7; 32]),
        ),
        (
            "reject_redemption",
            instructions::reject_redemption(&key(), &mint, &token, 3, &key(), &key(), 12),
        ),
        (
            "seize",
            instructions::seize(&key(), &mint, &key(), &key(), &token, 45, basis),
        ),
    ];
    all.iter().map(|(name, ix)| shown(name, ix)).collect()
}

/// Every account the program owns, read from the chain: (IDL name, data).
pub async fn every_account(
    ledger: &dyn Ledger,
    mint: &Pubkey,
    minter: &Pubkey,
    redemption: u64,
) -> Vec<Value> {
    let config = pda::config(mint);
    let mut shown = Vec::new();
    for (name, address) in [
        ("config", config),
        ("minterAllowance", pda::minter_allowance(&config, minter)),
        ("attestationHistory", pda::attestation_history(&config)),
        ("disclosure", pda::disclosure(&config)),
        ("redemption", pda::redemption(&config, redemption)),
    ] {
        let account = ledger
            .get_account(&address)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no {name} at {address}"));
        shown.push(
            json!({"name": name, "address": address.to_string(), "data": b64(&account.data)}),
        );
    }
    shown
}

/// Each event's self-CPI data, once per kind, as the program emitted it.
pub fn every_event(history: &[RecordedTransaction]) -> Vec<Value> {
    let mut seen = std::collections::BTreeMap::new();
    for tx in history {
        let cpis = tx.inner_instructions.iter().filter(|ix| {
            ix.program_id == usd1::ID && ix.data.starts_with(anchor_lang::event::EVENT_IX_TAG_LE)
        });
        for (ix, event) in cpis.zip(&tx.events) {
            seen.entry(event.name().to_string())
                .or_insert_with(|| b64(&ix.data));
        }
    }
    seen.into_iter()
        .map(|(name, data)| json!({"name": name, "data": data}))
        .collect()
}

/// `npm ci` and the build of `clients/js` (its lock file), when missing.
pub fn build_client() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/js");
    usd1_tests::node::install_in(&dir, &["@solana/kit"]);
    usd1_tests::node::npm(&dir, &["run", "build"]);
    dir
}
