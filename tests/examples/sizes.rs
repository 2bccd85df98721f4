//! Prints the serialized size of an `attest` transaction (legacy message:
//! payer + Ed25519 instruction + attest) for K = 1..8 signatures, and the
//! byte size and rent-exempt lamports of each account type.
//!
//! Run: `cargo run -p usd1-tests --example sizes`
use anchor_lang::prelude::Rent;
use anchor_lang::Space;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;
use usd1::instructions::AttestArgs;
use usd1::state::{AttestationHistory, Config, Disclosure, MinterAllowance, Redemption};
use usd1_client::attestation::signed_attest_instructions;
use usd1_client::size::{transaction_size, PACKET_DATA_SIZE};

fn main() {
    let payer = Keypair::new();
    let mint = Pubkey::new_unique();
    let attestors: Vec<Keypair> = (0..8).map(|_| Keypair::new()).collect();
    let args = AttestArgs {
        seq: 1,
        reserve_amount: u64::MAX,
        as_of: i64::MAX,
        report_sha256: [0xFF; 32],
    };
    println!("attest transaction (legacy message, payer + Ed25519 + attest), limit {PACKET_DATA_SIZE} bytes");
    let mut largest = 0;
    for k in 1..=attestors.len() {
        let signers: Vec<&Keypair> = attestors.iter().take(k).collect();
        let ixs = signed_attest_instructions(&mint, args, &signers);
        let tx = Transaction::new_signed_with_payer(
            &ixs,
            Some(&payer.pubkey()),
            &[&payer],
            Hash::new_unique(),
        );
        let size = transaction_size(&tx);
        let fits = size <= PACKET_DATA_SIZE;
        if fits {
            largest = k;
        }
        println!(
            "  K = {k}: {size:>5} bytes  {}",
            if fits { "fits" } else { "too large" }
        );
    }
    println!("largest K that fits: {largest}");

    println!("\naccount sizes and rent exemption (default rent)");
    let rent = Rent::default();
    for (name, len) in [
        ("Config", 8 + Config::INIT_SPACE),
        ("MinterAllowance", 8 + MinterAllowance::INIT_SPACE),
        ("AttestationHistory", 8 + AttestationHistory::INIT_SPACE),
        ("Redemption", 8 + Redemption::INIT_SPACE),
        ("Disclosure", 8 + Disclosure::INIT_SPACE),
    ] {
        println!(
            "  {name:<20} {len:>5} bytes  {:>12} lamports",
            rent.minimum_balance(len)
        );
    }
}
