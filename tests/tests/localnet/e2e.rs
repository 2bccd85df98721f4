//! End to end through the real binaries: `usd1-localnet` as its own process,
//! `usd1` and `usd1-oracle` run over HTTP, outcomes checked on-chain.
use std::sync::Arc;

use usd1_tests::tour;

#[tokio::test(flavor = "multi_thread")]
async fn the_platform_tour_runs_through_the_real_binaries() {
    // `cargo test --workspace` builds the four binaries (each package has
    // tests of its own binary); `tour::binary` finds them.
    let dir = tempfile::tempdir().unwrap();
    let steps = std::sync::Mutex::new(Vec::new());
    tour::run(dir.path(), &|line: &str| {
        steps.lock().unwrap().push(line.to_string())
    })
    .await
    .unwrap();
    let steps = steps.into_inner().unwrap();
    let text = steps.join("\n");
    assert!(text.contains("refused — ReserveExceeded"), "{text}");
    assert!(
        text.contains("usd1 pause: a mint is refused — Paused"),
        "{text}"
    );
    assert!(text.contains("usd1 redeem reject 2"), "{text}");
    assert!(
        text.contains("usd1 status: supply 599000, reserve 1000000"),
        "{text}"
    );
    assert!(text.contains("usd1 audit:"), "{text}");
    assert!(
        text.contains("the receiver got invoice.paid") && text.contains("Usd1-Signature verified"),
        "{text}"
    );
    assert!(
        text.contains(
            "the ledger's last running balance 125.5 equals the treasury's balance on-chain"
        ),
        "{text}"
    );
    assert!(
        text.contains("usd1-desk import + mint: the wire of 25,000")
            && text.contains("valid against the official pain.001.001.09 XSD")
            && text.contains("settled the redemption on-chain")
            && text.contains("reconciled to the cent"),
        "{text}"
    );
    assert!(text.contains("usd1 transparency: wrote"), "{text}");
    assert!(text.ends_with("usd1-localnet stopped on SIGTERM"), "{text}");

    // The page the tour wrote, in a real browser: the tour's figures, its
    // composition, a linked report, no console error.
    let index = dir.path().join("transparency").join("index.html");
    let seen = usd1_tests::browser::render(&index, 1100).await.unwrap();
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    for needle in [
        "Supply\n$599,000.00",
        "Attested reserve\n$1,000,000.00",
        "Coverage\n166.94%",
        "US Treasury bills",
        "matures in 200 days, beyond the 93-day limit",
        "Attestor 1",
        "the terms file supplied has exactly this hash",
        "Audit clean: no violation.",
        "The issuance desk's newest day",
        "reconciled: every dollar of difference explained",
    ] {
        assert!(
            seen.text.contains(needle),
            "{needle:?} not on the page:\n{}",
            seen.text
        );
    }
    assert!(!seen.text.contains("report not supplied"), "{}", seen.text);
}

/// `/health` of the oracle: (status, body), or None while it is not listening.
fn health(port: u16) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    Some((status, answer))
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_oracle_follows_its_source_and_survives_a_localnet_restart() {
    use solana_commitment_config::CommitmentConfig;
    use std::process::{Command, Stdio};
    use usd1_client::{Ledger, Usd1};

    let dir = tempfile::tempdir().unwrap();
    let (ledger_dir, faucet) = (dir.path().join("ledger"), dir.path().join("faucet.json"));
    let stage = tour::Stage::open(dir.path(), &|_| {}).await.unwrap();
    let (port, url, mint) = (stage.localnet.port, stage.url.clone(), stage.mint.clone());
    let tour::Stage { localnet, cast, .. } = stage;

    let metrics_port = tour::free_port().unwrap();
    let config = tour::oracle_files(&cast, &url, &mint, "1000000", metrics_port).unwrap();
    let mut oracle = Command::new(tour::binary("usd1-oracle").unwrap())
        .arg("--config")
        .arg(&config)
        .env("USD1_ORACLE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("oracle.log")).unwrap())
        .spawn()
        .unwrap();

    let reader = Arc::new(usd1_client::rpc::RpcLedger::new(
        url.clone(),
        CommitmentConfig::confirmed(),
    ));
    let payer = Arc::new(solana_sdk::signature::Keypair::new());
    let mint_key: solana_sdk::pubkey::Pubkey = mint.parse().unwrap();
    let usd1 = Usd1::connect(reader.clone(), payer.clone(), mint_key)
        .await
        .unwrap();
    let latest = |usd1: &Usd1<usd1_client::rpc::RpcLedger>| {
        let usd1 = usd1.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async { usd1.config().await.map(|c| c.latest) })
        })
        .join()
        .unwrap()
    };
    let custody = dir.path().join("custodian-a.json");
    let write_reserve = |reserve: &str| {
        let body = format!(
            r#"{{"balance": "{reserve}", "as_of": {}}}"#,
            tour::unix_now()
        );
        std::fs::write(&custody, body).unwrap();
    };

    // Several rounds while the source changes: each change is attested.
    wait_for("seq 1", || latest(&usd1).is_ok_and(|l| l.seq >= 1));
    wait_for("healthy", || {
        health(metrics_port).is_some_and(|(s, _)| s == 200)
    });
    for (seq, reserve) in [(2u64, "1000100"), (3, "1000250.5")] {
        write_reserve(reserve);
        wait_for(&format!("seq {seq}"), || {
            latest(&usd1).is_ok_and(|l| l.seq >= seq)
        });
    }
    let attested = latest(&usd1).unwrap();
    assert_eq!(
        (attested.seq, attested.reserve_amount),
        (3, 1_000_250_500_000)
    );

    // The localnet goes away: the oracle reports unhealthy, and says why.
    assert!(localnet.stop().unwrap().success());
    wait_for("the RPC-down alarm", || {
        health(metrics_port)
            .is_some_and(|(s, body)| s == 503 && body.contains("the chain could not be read"))
    });
    assert!(
        oracle.try_wait().unwrap().is_none(),
        "the oracle keeps running"
    );

    // It comes back on the same ledger folder and port: the history is there,
    // the oracle recovers, and a new reserve is attested as seq 4.
    let localnet = tour::LocalnetProcess::start(port, &ledger_dir, &faucet, false).unwrap();
    let usd1 = Usd1::connect(reader.clone(), payer, mint_key)
        .await
        .unwrap();
    assert_eq!(
        latest(&usd1).unwrap().seq,
        3,
        "the restart resumed the attestations"
    );
    write_reserve("1000300");
    wait_for("seq 4 after the restart", || {
        latest(&usd1).is_ok_and(|l| l.seq >= 4)
    });
    wait_for("healthy again", || {
        health(metrics_port).is_some_and(|(s, _)| s == 200)
    });
    assert_eq!(latest(&usd1).unwrap().reserve_amount, 1_000_300_000_000);
    let history = reader.history(&usd1.config_address()).await.unwrap();
    let violations = usd1_client::audit::audit(&mint_key, &history).violations;
    assert!(violations.is_empty(), "{violations:?}");

    tour::signal(oracle.id(), "TERM").unwrap();
    assert!(
        oracle.wait().unwrap().success(),
        "the oracle exits 0 on SIGTERM"
    );
    assert!(localnet.stop().unwrap().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn usd1_pay_sends_a_thousand_rows_over_the_localnet() {
    let dir = tempfile::tempdir().unwrap();
    let stage = tour::Stage::open(dir.path(), &|_| {}).await.unwrap();
    let (url, cast, mint) = (stage.url.clone(), &stage.cast, stage.mint.clone());
    let run = |keypair: &std::path::Path, args: &[&str]| stage.usd1(keypair, args).unwrap();
    stage.fund_holder("100000", "60000").unwrap();

    let mut csv = String::from("recipient,amount,memo\n");
    let recipients: Vec<String> = (0..1_000)
        .map(|_| solana_sdk::pubkey::Pubkey::new_unique().to_string())
        .collect();
    for (i, recipient) in recipients.iter().enumerate() {
        csv.push_str(&format!("{recipient},{}.5,invoice {i}\n", i % 50 + 1));
    }
    let file = dir.path().join("payroll.csv");
    std::fs::write(&file, csv).unwrap();
    let started = std::time::Instant::now();
    let out = run(
        &cast.holder,
        &[
            "pay",
            &file.display().to_string(),
            "--mint",
            &mint,
            "--output",
            "json",
        ],
    );
    eprintln!(
        "usd1 pay, 1,000 rows over the localnet: {:?}",
        started.elapsed()
    );
    let out: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["paid"], 1_000, "{out}");
    // Sum of (i % 50 + 1.5) over 1,000 rows = 20 × (1 + … + 50) + 500 = 26,000.
    let balance = run(&cast.holder, &["balance", "--mint", &mint]);
    assert_eq!(balance, "$34,000.00");
    for recipient in [&recipients[0], &recipients[999]] {
        let got = run(&cast.admin, &["balance", recipient, "--mint", &mint]);
        assert!(got == "$1.50" || got == "$50.50", "{recipient}: {got}");
    }
    // A re-run pays nothing twice.
    let again: serde_json::Value = serde_json::from_str(&run(
        &cast.holder,
        &[
            "pay",
            &file.display().to_string(),
            "--mint",
            &mint,
            "--output",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(again["paid"], 0, "{again}");
    assert_eq!(
        run(&cast.holder, &["balance", "--mint", &mint]),
        "$34,000.00"
    );

    // Issue 11, item 1: the same 300-row file started twice at once (an
    // overlapping cron job): one run pays, the other stops at the lock.
    let mut csv = String::from("recipient,amount\n");
    let recipients: Vec<String> = (0..300)
        .map(|_| solana_sdk::pubkey::Pubkey::new_unique().to_string())
        .collect();
    for recipient in &recipients {
        csv.push_str(&format!("{recipient},1\n"));
    }
    let file = dir.path().join("cron.csv");
    std::fs::write(&file, csv).unwrap();
    let file = file.display().to_string();
    let args = [
        "pay",
        file.as_str(),
        "--mint",
        mint.as_str(),
        "--output",
        "json",
    ];
    let runs: Vec<tour::Run> = std::thread::scope(|scope| {
        let both: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| tour::usd1(&url, &cast.holder, &args).unwrap()))
            .collect();
        both.into_iter().map(|run| run.join().unwrap()).collect()
    });
    let mut paid = 0;
    for one in &runs {
        if one.success {
            let out: serde_json::Value = serde_json::from_str(&one.stdout).unwrap();
            paid += out["paid"].as_u64().unwrap();
        } else {
            assert!(
                one.stderr.starts_with(&format!(
                    "error: {file} is being paid by another usd1 pay (pid "
                )) && one.stderr.ends_with("nothing sent — wait for it to finish"),
                "{}",
                one.stderr
            );
        }
    }
    eprintln!(
        "two runs at once: {} stopped at the lock",
        runs.iter().filter(|r| !r.success).count()
    );
    assert_eq!(paid, 300);
    assert_eq!(
        run(&cast.holder, &["balance", "--mint", &mint]),
        "$33,700.00"
    );
    for recipient in [&recipients[0], &recipients[299]] {
        assert_eq!(
            run(&cast.admin, &["balance", recipient, "--mint", &mint]),
            "$1.00"
        );
    }
    assert!(stage.localnet.stop().unwrap().success());
}
