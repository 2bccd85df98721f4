//! `usd1 audit`: a clean history passes; forged and out-of-order histories
//! built here are each reported with the violation named, and the CLI exits
//! non-zero for them. Where the replay ends against the chain now, and v0
//! transactions, are in `audit_end_state.rs`.
use std::sync::Arc;

use clap::Parser;
use solana_sdk::signature::{Keypair, Signer};
use usd1::constants::ED25519_PROGRAM_ID;
use usd1::instructions::PolicyArgs;
use usd1_cli::{execute, Cli, Context};
use usd1_client::ledger::RecordedTransaction;
use usd1_client::{Ledger, Usd1Event};
use usd1_tests::ledgers::FaultyLedger;
use usd1_tests::*;

use usd1_tests::audit_harness::{audit_both_ways, history, kinds};
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
    let report = audit_both_ways(&f, &history).await;
    assert_eq!(report.violations, vec![]);
    assert_eq!(
        (report.attestations, report.mints, report.latest_seq),
        (4, 3, 4)
    );
    assert_eq!(report.latest_seq, f.usd1.config().await.unwrap().latest.seq);
}

#[tokio::test]
async fn fails_when_an_attestation_is_dropped_with_a_seq_gap() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    history.remove(attestation_positions(&history)[1]);
    assert!(kinds(&audit_both_ways(&f, &history).await).contains(&"SeqGap"));
}

/// Makes the transactions at `a` and `b` trade places in the order the audit
/// trusts: (slot, position in block).
fn swap_order(history: &mut [RecordedTransaction], a: usize, b: usize) {
    let (slot, position) = (history[a].slot, history[a].position);
    history[a].slot = history[b].slot;
    history[a].position = history[b].position;
    history[b].slot = slot;
    history[b].position = position;
}

#[tokio::test]
async fn fails_when_attestations_are_reordered() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let at = attestation_positions(&history);
    swap_order(&mut history, at[2], at[3]);
    let found = kinds(&audit_both_ways(&f, &history).await);
    assert!(found.contains(&"AttestationOutOfOrder"), "{found:?}");
    // The mint between them now cites #3 while #4 is the latest.
    assert!(found.contains(&"MintAttestationMismatch"), "{found:?}");
}

#[tokio::test]
async fn fails_when_a_signature_is_tampered_with() {
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
    let found = kinds(&audit_both_ways(&f, &history).await);
    assert!(
        found.contains(&"BadSignature") && found.contains(&"ThresholdNotMet"),
        "{found:?}"
    );
}

#[tokio::test]
async fn fails_when_a_stranger_signed() {
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
    let found = kinds(&audit_both_ways(&f, &history).await);
    assert!(
        found.contains(&"NotAnAttestor") && found.contains(&"ThresholdNotMet"),
        "{found:?}"
    );
}

#[tokio::test]
async fn fails_when_a_reserve_is_altered() {
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
    let found = kinds(&audit_both_ways(&f, &history).await);
    assert!(
        found.contains(&"EventMismatch") && found.contains(&"MessageMismatch"),
        "{found:?}"
    );
}

#[tokio::test]
async fn fails_when_a_mint_is_above_the_reserve() {
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
    assert_eq!(
        kinds(&audit_both_ways(&f, &history).await),
        vec!["MintAboveReserve"]
    );
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

/// Positions of the transactions that mint.
fn mint_positions(history: &[RecordedTransaction]) -> Vec<usize> {
    history
        .iter()
        .enumerate()
        .filter(|(_, t)| t.events.iter().any(|e| matches!(e, Usd1Event::Minted(_))))
        .map(|(i, _)| i)
        .collect()
}

/// The as_of of attestation `seq` in `history`.
fn as_of(history: &[RecordedTransaction], seq: u64) -> i64 {
    history
        .iter()
        .flat_map(|t| &t.events)
        .find_map(|e| match e {
            Usd1Event::ReserveAttested(a) if a.seq == seq => Some(a.as_of),
            _ => None,
        })
        .unwrap()
}

// --- issue 11, item 4: staleness under the policy in force at the time ---

#[tokio::test]
async fn fails_when_a_mint_cites_an_attestation_older_than_the_max_age() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    // The first mint (on #1, default max age one day) told as a day and a second late.
    let first = mint_positions(&history)[0];
    history[first].block_time = Some(as_of(&history, 1) + 86_400 + 1);
    assert_eq!(
        kinds(&audit_both_ways(&f, &history).await),
        vec!["MintOnStaleAttestation"]
    );
    history[first].block_time = Some(as_of(&history, 1) + 86_400);
    assert_eq!(
        kinds(&audit_both_ways(&f, &history).await),
        Vec::<&str>::new()
    );
}

#[tokio::test]
async fn the_max_age_is_the_one_in_force_when_the_mint_happened() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let shorter = PolicyArgs {
        max_attestation_age: Some(100),
        ..Default::default()
    };
    f.usd1.set_policy(&f.admin, shorter).await.unwrap();
    f.attest(1_000 * ONE).await.unwrap();
    f.advance_clock(50).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
    let mut history = history(&f).await;
    assert_eq!(
        kinds(&audit_both_ways(&f, &history).await),
        Vec::<&str>::new()
    );
    // 150 s is well inside the default day, but past the 100 s then in force.
    let mint = mint_positions(&history)[0];
    history[mint].block_time = Some(as_of(&history, 2) + 150);
    let report = audit_both_ways(&f, &history).await;
    assert_eq!(
        report.violations,
        vec![usd1_client::audit::Violation::MintOnStaleAttestation {
            signature: history[mint].signature,
            seq: 2,
            age: 150,
            max_age: 100,
        }]
    );
}

#[tokio::test]
async fn fails_when_an_attestation_is_as_of_the_future() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let first = attestation_positions(&history)[0];
    history[first].block_time = Some(as_of(&history, 1) - 61);
    let found = kinds(&audit_both_ways(&f, &history).await);
    assert!(found.contains(&"AttestationInFuture"), "{found:?}");
}

#[tokio::test]
async fn fails_when_an_attestation_landed_after_the_submission_delay() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let first = attestation_positions(&history)[0];
    let delay = usd1::constants::DEFAULT_MAX_SUBMISSION_DELAY;
    history[first].block_time = Some(as_of(&history, 1) + delay);
    assert_eq!(
        kinds(&audit_both_ways(&f, &history).await),
        Vec::<&str>::new()
    );
    history[first].block_time = Some(as_of(&history, 1) + delay + 1);
    let report = audit_both_ways(&f, &history).await;
    assert_eq!(
        report.violations,
        vec![usd1_client::audit::Violation::AttestationExpired {
            signature: history[first].signature,
            seq: 1,
            as_of: as_of(&history, 1),
            block_time: as_of(&history, 1) + delay + 1,
            max_delay: delay,
        }]
    );
}

#[tokio::test]
async fn fails_when_a_mint_cites_a_retired_attestation() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    // Move the set change (which retired #2) before the mint on #2.
    let change = history
        .iter()
        .position(|t| {
            t.events
                .iter()
                .any(|e| matches!(e, Usd1Event::AttestorsChanged(c) if c.retired_seq == 2))
        })
        .unwrap();
    let mint_on_2 = mint_positions(&history)[1];
    swap_order(&mut history, change, mint_on_2);
    let found = kinds(&audit_both_ways(&f, &history).await);
    assert!(found.contains(&"MintOnRetiredAttestation"), "{found:?}");
}

// --- issue 11, item 6: one slot's transactions in any order ---

/// Puts the transactions from `from` to `to` (inclusive) in one slot in
/// reverse order: with `positions`, that reversed order is the block's
/// known one; without, the ledger merely lists them so.
fn one_slot_reversed(history: &mut [RecordedTransaction], from: usize, to: usize, positions: bool) {
    // In-process, many transactions share a slot; give each its own first.
    for (n, tx) in history.iter_mut().enumerate() {
        tx.slot = 10 * n as u64;
        tx.position = Some(0);
    }
    let slot = history[from].slot;
    history[from..=to].reverse();
    for (n, tx) in history[from..=to].iter_mut().enumerate() {
        tx.slot = slot;
        tx.position = positions.then_some(n as u64);
    }
}

#[tokio::test]
async fn one_slot_in_any_order_is_clean_but_known_order_is_checked() {
    let f = busy_history().await;
    let at = attestation_positions(&history(&f).await);
    // Attestation #3, the mint on it, and attestation #4.
    let mut unordered = history(&f).await;
    one_slot_reversed(&mut unordered, at[2], at[3], false);
    let report = audit_both_ways(&f, &unordered).await;
    assert_eq!(kinds(&report), Vec::<&str>::new());
    assert_eq!(
        (report.attestations, report.mints, report.latest_seq),
        (4, 3, 4)
    );

    // The same slot with its order known: #4 before #3, the mint on #3 after #4.
    let mut ordered = history(&f).await;
    one_slot_reversed(&mut ordered, at[2], at[3], true);
    let found = kinds(&audit_both_ways(&f, &ordered).await);
    assert!(
        found.contains(&"AttestationOutOfOrder") && found.contains(&"MintAttestationMismatch"),
        "{found:?}"
    );
}

#[tokio::test]
async fn within_an_unordered_slot_a_mint_must_still_cite_an_attestation_of_the_moment() {
    let f = busy_history().await;
    let at = attestation_positions(&history(&f).await);
    let mut history = history(&f).await;
    one_slot_reversed(&mut history, at[2], at[3], false);
    // The mint in that slot claims #1, which no order of the slot makes the latest.
    let mint = history[at[2]..=at[3]]
        .iter()
        .position(|t| t.events.iter().any(|e| matches!(e, Usd1Event::Minted(_))))
        .unwrap()
        + at[2];
    for event in &mut history[mint].events {
        if let Usd1Event::Minted(m) = event {
            m.attestation_seq = 1;
        }
    }
    let report = audit_both_ways(&f, &history).await;
    assert_eq!(
        kinds(&report),
        vec!["MintAttestationMismatch"],
        "{:?}",
        report.violations
    );
}

// --- issue 11, item 5: where the replay ends, against the chain now ---

/// Issue 22, item 9: an attestation whose `attest` ran as a CPI (which the
/// program now refuses) is named as such, not as a missing instruction.
#[tokio::test]
async fn fails_when_an_attestation_was_made_through_a_cpi() {
    let f = busy_history().await;
    let mut history = history(&f).await;
    let position = attestation_positions(&history)[1];
    let tx = &mut history[position];
    let attest = tx
        .instructions
        .iter()
        .position(|ix| ix.program_id == usd1::ID)
        .unwrap();
    let moved = tx.instructions.remove(attest);
    tx.inner_instructions.insert(0, moved);
    let found = kinds(&audit_both_ways(&f, &history).await);
    assert!(found.contains(&"AttestationViaCpi"), "{found:?}");
    assert!(!found.contains(&"MissingInstruction"), "{found:?}");
}
