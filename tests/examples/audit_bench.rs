//! Benchmark of `usd1 audit` at a year's shape, over JSON-RPC to the
//! localnet: builds ATTESTATIONS attestations with OPERATIONS mints, burns
//! and redemption requests between them (7 : 2 : 1), then runs the real
//! `usd1` binary against it:
//!
//! 1. a full replay writing a checkpoint;
//! 2. one day's increment (24 attestations and 300 mints more) from it;
//! 3. the full replay again without a checkpoint;
//! 4. the transparency page: a full build writing its checkpoint, then the
//!    page again after one more day, from the checkpoint;
//! 5. the full replay with `--rpc-rate 50`, as on a public node (only with
//!    `--public`: at 50 requests a second it takes a while).
//!
//! For each: time, transactions read, transactions/s, the RPC requests it
//! sent and the binary's peak RSS (`/usr/bin/time`). Figures are printed,
//! never asserted.
//!
//! Run: `cargo build -p usd1-cli --bins && cargo run -p usd1-tests --example audit_bench
//! [-- ATTESTATIONS OPERATIONS [--public]]` (default 8,760 and 100,000).
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Context as _, Result};
use futures_util::future::try_join_all;
use solana_sdk::signature::Signer;
use usd1_localnet::Localnet;
use usd1_tests::tour::binary;
use usd1_tests::{Fixture, OverRpc, ONE};

/// Transactions in flight while the history is built.
const IN_FLIGHT: usize = 32;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let public = args.iter().any(|a| a == "--public");
    let mut numbers = args.iter().filter(|a| !a.starts_with("--"));
    let attestations: u64 = numbers
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("ATTESTATIONS")?
        .unwrap_or(8_760);
    let operations: u64 = numbers
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("OPERATIONS")?
        .unwrap_or(100_000);
    let usd1 = binary("usd1")?;

    let localnet = Localnet::start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let f = Fixture::on_localnet(&localnet, 1_000_000_000 * ONE, 100_000_000 * ONE).await;
    usd1_tests::redemption::open_to_redemption(&f).await;
    // Fees, and the rent of every redemption request's account.
    for payer in [f.admin.pubkey(), f.holder.pubkey()] {
        let funded = localnet.chain.airdrop(&payer, 500_000_000_000).await;
        funded.map_err(|e| anyhow::anyhow!("airdrop: {e:?}"))?;
    }
    f.usd1
        .configure_minter(&*f.admin, &f.minter.pubkey(), 800_000_000 * ONE)
        .await?;
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), 10_000_000 * ONE)
        .await?;
    let started = Instant::now();
    let sent = build(&localnet, &f, attestations, operations, 0).await?;
    println!(
        "history: {attestations} attestations and {sent} mints, burns and redemption \
         requests, built over JSON-RPC in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir()?;
    let checkpoint = dir.path().join("audit.json");
    let mint = f.mint().to_string();
    let audit = |extra: &[&str]| {
        let mut all = vec!["-u", localnet.url.as_str(), "--output", "json", "audit"];
        all.extend_from_slice(&["--mint", &mint]);
        all.extend_from_slice(extra);
        run(&usd1, dir.path(), &all)
    };
    let full = audit(&["--checkpoint", checkpoint.to_str().unwrap_or_default()])?;
    full.print("full replay");

    // One day: 24 hourly attestations, 300 mints.
    build(&localnet, &f, 24, 300, operations).await?;
    let day = audit(&["--checkpoint", checkpoint.to_str().unwrap_or_default()])?;
    day.print("one day's increment");

    let scratch = audit(&[])?;
    scratch.print("full replay, no checkpoint");

    let page_state = dir.path().join("page.json");
    let page_dir = dir.path().join("site");
    let page = |extra: &[&str]| {
        let mut all = vec![
            "-u",
            localnet.url.as_str(),
            "--output",
            "json",
            "transparency",
        ];
        all.extend_from_slice(&[
            "--mint",
            &mint,
            "--out",
            page_dir.to_str().unwrap_or_default(),
        ]);
        all.extend_from_slice(extra);
        run(&usd1, dir.path(), &all)
    };
    let built = page(&["--checkpoint", page_state.to_str().unwrap_or_default()])?;
    built.print("transparency page, full build");
    build(&localnet, &f, 24, 300, operations + 300).await?;
    let rebuilt = page(&["--checkpoint", page_state.to_str().unwrap_or_default()])?;
    rebuilt.print("transparency page after one more day, from its checkpoint");
    if public {
        let slow = audit(&["--rpc-rate", "50"])?;
        slow.print("full replay at --rpc-rate 50");
    }
    Ok(())
}

/// Hourly attestations (the localnet's clock run an hour ahead for each)
/// with `operations` spread between them, `IN_FLIGHT` at a
/// time; `offset` keeps amounts (and so transactions) distinct across calls.
async fn build(
    localnet: &Localnet,
    f: &Fixture<OverRpc>,
    attestations: u64,
    operations: u64,
    offset: u64,
) -> Result<u64> {
    let mut sent = 0u64;
    let started = Instant::now();
    let holder = f.holder.pubkey();
    for a in 0..attestations {
        // An hour between attestations, as in production.
        localnet.chain.run_clock_ahead(3_600);
        localnet.chain.tick().await;
        f.attest(1_000_000_000 * ONE + offset + a).await?;
        // Spread evenly: all `operations` in all, whatever the remainder.
        let per = (a + 1) * operations / attestations.max(1) - a * operations / attestations.max(1);
        let ops: Vec<u64> = (0..per).map(|i| offset + sent + i).collect();
        for chunk in ops.chunks(IN_FLIGHT) {
            // Requests take the next id in turn; mints and burns go together.
            let calls = chunk.iter().filter(|n| *n % 10 != 9).map(|&n| {
                let usd1 = &f.usd1;
                async move {
                    match n % 10 {
                        7 | 8 => usd1.burn(&f.minter, 1 + n).await.map(drop),
                        _ => usd1.mint_to(&f.minter, &holder, 1 + n).await.map(drop),
                    }
                }
            });
            try_join_all(calls).await?;
            for n in chunk.iter().filter(|n| *n % 10 == 9) {
                f.usd1
                    .request_redemption(&f.holder, 10 * ONE + n, [0; 32])
                    .await?;
            }
        }
        sent += per;
        if (a + 1) % 500 == 0 {
            eprintln!(
                "  {} attestations, {sent} operations ({:.0} tx/s)",
                a + 1,
                (sent + a + 1) as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(sent)
}

struct Measured {
    secs: f64,
    read: u64,
    requests: u64,
    peak_rss_kib: u64,
    /// CPU seconds the usd1 process used (user and system).
    cpu: f64,
    clean: bool,
    /// The first few violations, when not clean.
    violations: Vec<String>,
}

impl Measured {
    fn print(&self, what: &str) {
        println!(
            "{what}: {:.2} s ({:.2} s CPU in usd1), {} transactions read ({:.0}/s), {} RPC requests, \
             peak RSS {:.1} MB, {}",
            self.secs,
            self.cpu,
            self.read,
            self.read as f64 / self.secs.max(1e-9),
            self.requests,
            self.peak_rss_kib as f64 / 1024.0,
            if self.clean { "clean" } else { "NOT clean" }
        );
        for violation in &self.violations {
            println!("  {violation}");
        }
    }
}

/// Runs the `usd1` binary under `/usr/bin/time`, for its peak RSS.
fn run(usd1: &Path, dir: &Path, args: &[&str]) -> Result<Measured> {
    let times = dir.join("time.txt");
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&times)
        .arg(usd1)
        .args(args)
        .output()
        .context("running usd1 under /usr/bin/time")?;
    let secs = started.elapsed().as_secs_f64();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "usd1 {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let peak = std::fs::read_to_string(&times)?;
    // user seconds, system seconds, peak RSS (KiB) of the usd1 process.
    let figures: Vec<f64> = peak
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    ensure!(figures.len() == 3, "/usr/bin/time said {peak}");
    let (cpu, peak_rss_kib) = (figures[0] + figures[1], figures[2] as u64);
    ensure!(report["read"].is_u64(), "no read count in {report}");
    let clean = report["clean"]
        .as_bool()
        .or(report["audit_clean"].as_bool());
    Ok(Measured {
        secs,
        read: report["read"].as_u64().unwrap_or_default(),
        requests: report["rpc_requests"].as_u64().unwrap_or_default(),
        peak_rss_kib,
        cpu,
        clean: clean.unwrap_or(false),
        violations: report["violations"]
            .as_array()
            .into_iter()
            .flatten()
            .take(3)
            .map(|v| v["detail"].as_str().unwrap_or_default().to_string())
            .collect(),
    })
}
