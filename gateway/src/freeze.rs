//! The freeze an approved case asks for: the program's `freeze` instruction
//! for the subject's token account, citing the case's reason code and the
//! SHA-256 of the order file the second operator approved, for the freezer
//! (its key or its multisig) to sign — and the `usd1 freeze` command that
//! builds the same transaction, `--sign-only` or through the multisig. The
//! watcher closes the case when the chain shows it.
use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use usd1_client::ledger::Ledger;

use crate::store::cases::{Case, CaseFile};

/// The order file's name beside the command.
pub fn order_file_name(case: &Case) -> String {
    format!("{}-order.json", case.id)
}

/// The freeze `case` (approved, with `order`) asks of `freezer`.
pub fn plan(
    mint: &Pubkey,
    token_program: &Pubkey,
    freezer: &Pubkey,
    case: &Case,
    order: &CaseFile,
) -> anyhow::Result<Value> {
    let Some(freeze) = &case.freeze else {
        bail!("case {} has no freeze proposed", case.id);
    };
    let subject: Pubkey = case
        .subject
        .parse()
        .with_context(|| format!("case {}'s subject is not an address", case.id))?;
    let digest = usd1_client::sha256(order.body.as_bytes());
    if usd1_client::hex(&digest) != order.sha256 {
        bail!("case file {} does not hash to its name", order.sha256);
    }
    let token_account = usd1_client::pda::associated_token_account(&subject, mint, token_program);
    let instruction = usd1_client::instructions::freeze(
        freezer,
        mint,
        &token_account,
        token_program,
        usd1_client::LawfulBasis {
            reason_code: freeze.reason_code,
            order_sha256: digest,
        },
    );
    Ok(json!({
        "case_id": case.id,
        "subject": case.subject,
        "token_account": token_account.to_string(),
        "freezer": freezer.to_string(),
        "reason_code": freeze.reason_code,
        "order_sha256": order.sha256,
        "order_file": order_file_name(case),
        "instruction": {
            "program_id": instruction.program_id.to_string(),
            "accounts": instruction.accounts.iter().map(|a| json!({
                "pubkey": a.pubkey.to_string(),
                "is_signer": a.is_signer,
                "is_writable": a.is_writable,
            })).collect::<Vec<_>>(),
            "data_hex": usd1_client::hex(&instruction.data),
        },
        "command": format!(
            "usd1 freeze {} --mint {} --reason {} --order {}",
            case.subject,
            mint,
            freeze.reason_code,
            order_file_name(case)
        ),
    }))
}

/// The mint's freezer, as its config account names it on-chain.
pub async fn freezer(ledger: &impl Ledger, mint: &Pubkey) -> anyhow::Result<Pubkey> {
    let address = usd1_client::pda::config(mint);
    let account = ledger
        .get_account(&address)
        .await?
        .with_context(|| format!("mint {mint} has no USD1 config {address}"))?;
    let config: usd1_client::Config = usd1_client::accounts::decode(&address, &account.data)?;
    Ok(config.freezer)
}

/// What the chain holds of the subject: its associated token account of
/// the mint, the balance and whether it is frozen (at the ledger's
/// commitment), for the case file.
pub async fn on_chain(
    ledger: &impl Ledger,
    mint: &Pubkey,
    token_program: &Pubkey,
    subject: &str,
) -> anyhow::Result<Value> {
    let owner: Pubkey = subject
        .parse()
        .with_context(|| format!("'{subject}' is not an address"))?;
    let account = usd1_client::pda::associated_token_account(&owner, mint, token_program);
    let (slot, _) = ledger.clock().await?;
    Ok(match ledger.get_account(&account).await? {
        Some(found) => {
            let info = usd1_client::accounts::decode_token_account(&account, &found.data)?;
            json!({
                "token_account": account.to_string(),
                "exists": true,
                "balance_units": info.amount.to_string(),
                "balance": usd1_client::format_amount(info.amount, crate::store::payload::DECIMALS),
                "frozen": info.frozen,
                "slot": slot,
            })
        }
        None => json!({"token_account": account.to_string(), "exists": false, "slot": slot}),
    })
}
