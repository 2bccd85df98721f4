//! `usd1 audit`: a clean history passes; forged and out-of-order histories
//! built here are each reported with the violation named, and the CLI exits
//! non-zero for them.
use std::sync::Arc;

use clap::Parser;
use solana_sdk::signature::{Keypair, Signer};
use usd1::constants::ED25519_PROGRAM_ID;
use usd1::instructions::PolicyArgs;
use usd1_cli::{execute, Cli, Context};
use usd1_client::audit::{audit, AuditReport};
use usd1_client::ledger::RecordedTransaction;
use usd1_client::{Ledger, Usd1Event};
use usd1_tests::ledgers::FaultyLedger;
use usd1_tests::*;

/// A history with policy and attestor changes, four attestations and mints.
async fn busy_history() -> Fixture {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 400 * ONE)
        .await
        .unwrap();
    f.usd1
        .set_policy(
            &f.admin,
            PolicyArgs {
                margin_bps: Some(500),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    f.attest(2_000 * ONE).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 1_000 * ONE)
        .await
        .unwrap();
    // Rotate one attestor out; attest with the new set.
    let keys = vec![f.attestors[1].pubkey(), f.attestors[2].pubkey()];
    f.usd1
        .set_attestors(&f.admin, keys, 2, false)
        .await
        .unwrap();
    let args = f.next_args(3_000 * ONE).await;
    f.usd1
        .attest(args, &[&f.attestors[1], &f.attestors[2]])
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 1_000 * ONE)
        .await
        .unwrap();
    f.attest(3_000 * ONE).await.unwrap_err(); // attestor 0 is out: refused, not recorded
    let args = f.next_args(2_600 * ONE).await;
    f.usd1
        .attest(args, &[&f.attestors[1], &f.attestors[2]])
        .await
        .unwrap();
    f
}

async fn history(f: &Fixture) -> Vec<RecordedTransaction> {
    f.ledger.history(&f.config_address()).await.unwrap()
}

fn kinds(report: &AuditReport) -> Vec<&'static str> {
    report.violations.iter().map(|v| v.kind()).collect()
}

/// Positions of the transactions that carry an attestation.
fn attestation_positions(history: &[RecordedTransaction]) -> Vec<usize> {
    history
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.events
                .iter()
                .any(|e| matches!(e, Usd1Event::ReserveAttested(_)))
        })
        .map(|(i, _)| i)
        .collect()
}

#[tokio::test]
async fn a_clean_history_passes() {
    let f = busy_history().await;
    let history = history(&f).await;
    let report = audit(&f.mint(), &history);
    assert_eq!(report.violations, vec![]);
    assert_eq!(
        (report.attestations, report.mints, report.latest_seq),
        (4, 3, 4)
    );
    assert_eq!(report.latest_seq, f.usd1.config().await.unwrap().latest.seq);
}

#[tokio::test]
async fn a_dropped_attestation_is_a_seq_gap() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    history.remove(attestation_positions(&history)[1]);
    assert!(kinds(&audit(&f.mint(), &history)).contains(&"SeqGap"));
}

#[tokio::test]
async fn reordered_attestations_are_reported() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let at = attestation_positions(&history);
    history.swap(at[2], at[3]);
    let found = kinds(&audit(&f.mint(), &history));
    assert!(
        found.contains(&"SeqGap") && found.contains(&"AsOfNotIncreasing"),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_tampered_signature_is_reported() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let position = attestation_positions(&history)[0];
    let tx = &mut history[position];
    let ed25519 = tx
        .instructions
        .iter_mut()
        .find(|ix| ix.program_id == ED25519_PROGRAM_ID)
        .unwrap();
    let last = ed25519.data.len() - 1;
    ed25519.data[last] ^= 0x01;
    let found = kinds(&audit(&f.mint(), &history));
    assert!(
        found.contains(&"BadSignature") && found.contains(&"ThresholdNotMet"),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_signature_by_a_stranger_is_reported() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let position = attestation_positions(&history)[0];
    // Re-sign the same digest with a key that was never an attestor.
    let stranger = Keypair::new();
    let tx = &mut history[position];
    let ed25519 = tx
        .instructions
        .iter_mut()
        .find(|ix| ix.program_id == ED25519_PROGRAM_ID)
        .unwrap();
    let digest: [u8; 32] = ed25519.data[2 + 2 * 14..2 + 2 * 14 + 32]
        .try_into()
        .unwrap();
    let key_at = 2 + 2 * 14 + 32;
    ed25519.data[key_at..key_at + 32].copy_from_slice(stranger.pubkey().as_ref());
    ed25519.data[key_at + 32..key_at + 96].copy_from_slice(stranger.sign_message(&digest).as_ref());
    let found = kinds(&audit(&f.mint(), &history));
    assert!(
        found.contains(&"NotAnAttestor") && found.contains(&"ThresholdNotMet"),
        "{found:?}"
    );
}

#[tokio::test]
async fn an_altered_reserve_is_reported() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let position = attestation_positions(&history)[1];
    let tx = &mut history[position];
    let attest = tx
        .instructions
        .iter_mut()
        .find(|ix| ix.program_id == usd1::ID)
        .unwrap();
    // reserve_amount follows the 8-byte discriminator and the 8-byte seq.
    attest.data[16..24].copy_from_slice(&(9_999_999 * ONE).to_le_bytes());
    let found = kinds(&audit(&f.mint(), &history));
    assert!(
        found.contains(&"EventMismatch") && found.contains(&"MessageMismatch"),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_mint_above_the_reserve_is_reported() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let minted = history
        .iter_mut()
        .flat_map(|t| t.events.iter_mut())
        .find_map(|e| match e {
            Usd1Event::Minted(m) => Some(m),
            _ => None,
        })
        .unwrap();
    minted.supply = 1_000 * ONE + 1;
    assert_eq!(kinds(&audit(&f.mint(), &history)), vec!["MintAboveReserve"]);
}

#[tokio::test]
async fn the_cli_exits_non_zero_on_a_forged_history_and_zero_on_the_real_one() {
    let f = busy_history().await;
    let m = f.mint().to_string();
    let cli = || {
        Cli::try_parse_from(["usd1", "audit", "--mint", m.as_str(), "--output", "json"]).unwrap()
    };
    let keypair = Arc::new(f.admin.insecure_clone());

    let real: Arc<dyn Ledger> = f.ledger.clone();
    let out = execute(&Context::new(real, keypair.clone()), cli().command)
        .await
        .unwrap();
    assert!(!out.failed, "{}", out.text);
    assert_eq!(out.json["clean"], true);
    assert_eq!(out.json["attestations"], 4);

    let mut forged = history(&f).await;
    forged.remove(attestation_positions(&forged)[3]);
    let ledger: Arc<dyn Ledger> = Arc::new(FaultyLedger::forging_history(f.ledger.clone(), forged));
    let out = execute(&Context::new(ledger, keypair), cli().command)
        .await
        .unwrap();
    assert!(out.failed);
    assert_eq!(out.json["clean"], false);
    let kinds: Vec<&str> = out.json["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["HistoryIncomplete"]);
    assert!(
        out.text
            .contains("HistoryIncomplete: the replay reached attestation #3, the config holds #4"),
        "{}",
        out.text
    );
}
