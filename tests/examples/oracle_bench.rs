//! Benchmark of the reserve oracle.
//!
//! 1. Source change → confirmed attestation over the in-process ledger:
//!    CHANGES rounds run one after another (the round's own latency); the
//!    same over JSON-RPC to a localnet, with the keys held and with a
//!    keyless proposer asking three co-signers over HTTP (2 of 3); then
//!    CHANGES changes picked up by the running daemon loop (interval 1 s).
//! 2. The daemon idle for IDLE_SECS in this process, rounds every 10 s finding
//!    the reserve unchanged: CPU and resident memory (the in-process runtime
//!    included — it is most of both).
//! 3. The `usd1-oracle` binary idle for IDLE_SECS as its own process, its RPC
//!    node unreachable (each round fails at once): CPU and resident memory.
//!
//! Run: `cargo build -p usd1-oracle && cargo run -p usd1-tests --example oracle_bench [-- CHANGES IDLE_SECS]`
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use solana_sdk::signature::Keypair;
use tokio_util::sync::CancellationToken;
use usd1_client::format_amount;
use usd1_oracle::config::{Alarms, CosignerRef, RoundSettings, SourceConfig};
use usd1_oracle::cosigner::{Cosigner, CosignerConfig};
use usd1_oracle::daemon::Setup;
use usd1_oracle::report::ReportStore;
use usd1_oracle::sources::file::FileSourceConfig;
use usd1_oracle::{Oracle, Outcome, RoundOptions};
use usd1_tests::measure::{cpu_ticks, memory_kib, TICKS_PER_SEC};
use usd1_tests::{Fixture, Flavor, DECIMALS, ONE};

/// A custodian export of `reserve` base units as of `as_of`.
fn export_body(reserve: u64, as_of: i64) -> String {
    format!(
        r#"{{"balance": "{}", "as_of": {as_of}}}"#,
        format_amount(reserve, DECIMALS)
    )
}

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: n={} min {:.1} ms, median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        samples.len(),
        at(0.0).as_secs_f64() * 1e3,
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
    );
}

/// CPU seconds and resident memory of `pid` over `seconds`.
async fn idle(pid: &str, seconds: u64) -> Result<(f64, u64)> {
    let start = cpu_ticks(pid).context("cpu time")?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let cpu = (cpu_ticks(pid).context("cpu time")? - start) as f64 / TICKS_PER_SEC;
    Ok((cpu, memory_kib(pid, "VmRSS").context("rss")?))
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let changes: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("CHANGES")?
        .unwrap_or(50);
    let idle_secs: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("IDLE_SECS")?
        .unwrap_or(60);

    let f = Fixture::new(Flavor::Token2022).await;
    let dir = tempfile::tempdir()?;
    let export = dir.path().join("custodian.json");
    let write = |reserve: u64, as_of: i64| std::fs::write(&export, export_body(reserve, as_of));
    let source = SourceConfig::File(FileSourceConfig {
        name: "custodian".into(),
        path: export.clone(),
        format: None,
        amount: Some("/balance".into()),
        as_of: None,
        max_age_secs: 3_600,
        holding: None,
    });
    let oracle = Arc::new(Oracle::new(
        f.ledger.clone(),
        Setup {
            payer: f.admin.clone(),
            mint: f.mint(),
            attestors: f
                .attestors
                .iter()
                .map(|k| Arc::new(k.insecure_clone()) as usd1_client::signing::SharedSigner)
                .collect(),
            sources: vec![source.build()?],
            store: ReportStore::open(&dir.path().join("reports"))?,
            round: RoundSettings::default(),
            alarms: Alarms::default(),
        },
    ));
    let cancel = CancellationToken::new();
    let mut reserve = 1_000_000 * ONE;

    let mut direct = Vec::new();
    for _ in 0..changes {
        reserve += ONE;
        // The in-process clock stands still; each attestation needs a newer as_of.
        f.advance_clock(1).await;
        let started = Instant::now();
        write(reserve, f.now().await)?;
        match oracle.run_round(RoundOptions::default(), &cancel).await {
            Ok(Outcome::Attested { .. }) => direct.push(started.elapsed()),
            other => bail!("expected an attestation, got {other:?}"),
        }
    }
    summary("source change -> confirmed attestation, one round", direct);

    // The same over JSON-RPC to a localnet (its clock is the wall clock, and
    // each attestation needs a newer as_of: at most 60 s ahead, so 20 rounds).
    {
        let localnet = usd1_tests::localnet::localnet().await;
        let p = usd1_tests::Fixture::on_localnet(&localnet, 1_000 * ONE, ONE).await;
        let rpc_export = dir.path().join("custodian-rpc.json");
        let rpc_oracle = Oracle::new(
            p.usd1.ledger().clone(),
            Setup {
                payer: p.admin.clone(),
                mint: p.usd1.mint(),
                attestors: p
                    .attestors
                    .iter()
                    .map(|k| Arc::new(k.insecure_clone()) as usd1_client::signing::SharedSigner)
                    .collect(),
                sources: vec![SourceConfig::File(FileSourceConfig {
                    name: "custodian".into(),
                    path: rpc_export.clone(),
                    format: None,
                    amount: Some("/balance".into()),
                    as_of: None,
                    max_age_secs: 3_600,
                    holding: None,
                })
                .build()?],
                store: ReportStore::open(&dir.path().join("reports-rpc"))?,
                round: RoundSettings::default(),
                alarms: Alarms::default(),
            },
        );
        let mut over_rpc = Vec::new();
        let mut rpc_reserve = 1_000 * ONE;
        for _ in 0..changes.min(20) {
            rpc_reserve += ONE;
            let started = Instant::now();
            let body = export_body(rpc_reserve, usd1_tests::tour::unix_now());
            std::fs::write(&rpc_export, body)?;
            match rpc_oracle.run_round(RoundOptions::default(), &cancel).await {
                Ok(Outcome::Attested { .. }) => over_rpc.push(started.elapsed()),
                other => bail!("expected an attestation over RPC, got {other:?}"),
            }
        }
        summary(
            "source change -> confirmed attestation, one round over JSON-RPC to the localnet",
            over_rpc,
        );

        // The same with a proposer holding no attestor key and three
        // co-signers over HTTP, each with its own export and journal (2 of 3).
        let cosigned_export = |n: usize| dir.path().join(format!("custodian-cosigner-{n}.json"));
        let source = |name: &str, path: std::path::PathBuf| {
            SourceConfig::File(FileSourceConfig {
                name: name.into(),
                path,
                format: None,
                amount: Some("/balance".into()),
                as_of: None,
                max_age_secs: 3_600,
                holding: None,
            })
        };
        let stop = CancellationToken::new();
        let mut cosigners = Vec::new();
        for (n, attestor) in p.attestors.iter().enumerate() {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let config = CosignerConfig {
                rpc_urls: vec![localnet.url.clone()],
                commitment: solana_commitment_config::CommitmentConfig::confirmed(),
                mint: p.usd1.mint(),
                attestor: Arc::new(attestor.insecure_clone()),
                journal: dir.path().join(format!("cosigner-{n}.jsonl")),
                listen_addr: addr,
                token: format!("token-{n}"),
                tolerance_bps: 0,
                max_requests_per_minute: 10_000,
                eligibility: None,
                sources: vec![source("custodian", cosigned_export(n))],
            };
            let cosigner = Cosigner::new(&config, p.usd1.ledger().clone()).await?;
            tokio::spawn(usd1_oracle::cosigner::serve(
                listener,
                cosigner,
                stop.clone(),
            ));
            cosigners.push(CosignerRef {
                url: format!("http://{addr}"),
                attestor: solana_sdk::signer::Signer::pubkey(attestor),
                token: format!("token-{n}"),
            });
        }
        let proposer_export = dir.path().join("custodian-proposer.json");
        let proposer = Oracle::new(
            p.usd1.ledger().clone(),
            Setup {
                payer: p.admin.clone(),
                mint: p.usd1.mint(),
                attestors: Vec::new(),
                sources: vec![source("custodian", proposer_export.clone()).build()?],
                store: ReportStore::open(&dir.path().join("reports-cosigned"))?,
                round: RoundSettings::default(),
                alarms: Alarms::default(),
            },
        )
        .with_cosigners(cosigners);
        let mut cosigned = Vec::new();
        for _ in 0..changes.min(20) {
            rpc_reserve += ONE;
            let started = Instant::now();
            let body = export_body(rpc_reserve, usd1_tests::tour::unix_now());
            for n in 0..3 {
                std::fs::write(cosigned_export(n), &body)?;
            }
            std::fs::write(&proposer_export, &body)?;
            match proposer.run_round(RoundOptions::default(), &cancel).await {
                Ok(Outcome::Attested { .. }) => cosigned.push(started.elapsed()),
                other => bail!("expected a co-signed attestation, got {other:?}"),
            }
        }
        summary(
            "source change -> confirmed attestation, keyless proposer + 3 co-signers over HTTP (2 of 3)",
            cosigned,
        );
        stop.cancel();
        localnet.stop().await?;
    }

    let interval = Duration::from_secs(1);
    let daemon = {
        let (oracle, cancel) = (oracle.clone(), cancel.clone());
        tokio::spawn(async move { oracle.run(interval, RoundOptions::default(), cancel).await })
    };
    let mut looped = Vec::new();
    for i in 0..changes.min(20) {
        reserve += ONE;
        // Changes land at spread-out points of the daemon's interval.
        tokio::time::sleep(Duration::from_millis(i * 397 % 1_000)).await;
        f.advance_clock(1).await;
        let started = Instant::now();
        write(reserve, f.now().await)?;
        while f.usd1.config().await?.latest.reserve_amount != reserve {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        looped.push(started.elapsed());
    }
    summary(
        "source change -> confirmed attestation, daemon loop at 1 s",
        looped,
    );
    cancel.cancel();
    daemon.await?;

    // Idle: the reserve stays put, rounds every 10 s find nothing to do.
    let cancel = CancellationToken::new();
    let daemon = {
        let (oracle, cancel) = (oracle.clone(), cancel.clone());
        tokio::spawn(async move {
            oracle
                .run(Duration::from_secs(10), RoundOptions::default(), cancel)
                .await
        })
    };
    let (cpu, rss) = idle("self", idle_secs).await?;
    cancel.cancel();
    daemon.await?;
    println!(
        "in-process daemon idle {idle_secs} s (rounds every 10 s, runtime included): CPU {cpu:.2} s ({:.2}%), RSS {:.1} MiB",
        cpu / idle_secs as f64 * 100.0,
        rss as f64 / 1024.0
    );

    // The binary on its own.
    let binary = std::env::current_exe()?
        .parent()
        .and_then(|examples| examples.parent())
        .map(|profile| profile.join("usd1-oracle"))
        .context("binary path")?;
    if !binary.exists() {
        bail!(
            "{} is missing: run `cargo build -p usd1-oracle` first",
            binary.display()
        );
    }
    for name in ["payer", "attestor"] {
        let key = Keypair::new().to_bytes().to_vec();
        std::fs::write(
            dir.path().join(format!("{name}.json")),
            serde_json::to_string(&key)?,
        )?;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = format!(
        "rpc_urls = [\"http://127.0.0.1:{port}\"]\nmint = \"{}\"\npayer_keypair = \"payer.json\"\n\
         attestor_keypairs = [\"attestor.json\"]\ninterval_secs = 10\noutput_dir = \"reports\"\n\
         metrics_addr = \"127.0.0.1:0\"\n[[sources]]\nkind = \"file\"\nname = \"custodian\"\n\
         path = \"custodian.json\"\nmax_age_secs = 3600\n",
        f.mint()
    );
    let config_path = dir.path().join("oracle.toml");
    std::fs::write(&config_path, config)?;
    let mut child = std::process::Command::new(&binary)
        .arg("--config")
        .arg(&config_path)
        .env("USD1_ORACLE_LOG", "error")
        .spawn()?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu, rss) = idle(&child.id().to_string(), idle_secs).await?;
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    let status = child.wait()?;
    println!(
        "usd1-oracle binary idle {idle_secs} s (rounds every 10 s, RPC unreachable): CPU {cpu:.2} s ({:.2}%), RSS {:.1} MiB, exit on SIGTERM: {status}",
        cpu / idle_secs as f64 * 100.0,
        rss as f64 / 1024.0
    );
    Ok(())
}
