//! The platform tour through the real binaries: `usd1-localnet` as its own
//! process, `usd1` and `usd1-oracle` run as a user would run them over
//! JSON-RPC, `usd1-gateway` taking a payment, `usd1-desk` taking a wire in
//! and paying a redemption out, and a wallet (the stock
//! `RpcClient`) for airdrops. It prints
//! each step; the README's main command and the end-to-end test both run it.
use std::path::Path;

use anyhow::{ensure, Context, Result};

mod desk;
mod gateway;
mod stage;
pub use gateway::api_key;
pub use stage::*;

/// Runs the whole tour against a fresh localnet; `say` prints each step.
pub async fn run(dir: &Path, say: &dyn Fn(&str)) -> Result<()> {
    let stage = Stage::open(dir, say).await?;
    let (url, cast) = (stage.url.clone(), &stage.cast);
    let m = stage.mint.as_str();
    let step = |keypair: &Path, args: &[&str]| stage.usd1(keypair, args);
    step(
        &cast.admin,
        &[
            "role",
            "set",
            "freezer",
            &cast.pubkey(&cast.freezer),
            "--mint",
            m,
        ],
    )?;
    step(
        &cast.admin,
        &[
            "role",
            "set",
            "treasurer",
            &cast.pubkey(&cast.treasurer),
            "--mint",
            m,
        ],
    )?;
    step(
        &cast.admin,
        &[
            "minter",
            "set",
            &cast.pubkey(&cast.minter),
            "--allowance",
            "5000000",
            "--mint",
            m,
        ],
    )?;
    let terms = cast.dir.join("terms.txt");
    std::fs::write(&terms, "USD1 holder terms: redeemable 1:1 in US dollars.\n")?;
    step(
        &cast.admin,
        &[
            "disclosure",
            "set",
            "--legal-name",
            "USD1 Issuer Ltd",
            "--terms-uri",
            "https://example.com/terms",
            "--terms-file",
            &terms.display().to_string(),
            "--min-redemption",
            "10",
            "--redemption-fee-bps",
            "10",
            "--settlement-target",
            "86400",
            "--reserve-report-uri",
            "https://example.com/reserves",
            "--mint",
            m,
        ],
    )?;
    say("usd1 role/attestors/minter/disclosure: freezer and treasurer named, 2-of-3 attestors, a minter with 5,000,000 allowance, terms published");

    let metrics_port = free_port()?;
    let config = oracle_files(cast, &url, m, "600000.00", metrics_port)?;
    compose_reserve(cast, &config)?;
    let code = oracle_once(&config)?;
    ensure!(code == 0, "usd1-oracle --once exited {code}");
    say("usd1-oracle --once read the bank's end-of-day statement (a camt.053 from the simulated bank: cash 600,000) and two custodian exports (T-bills 400,000 within 93 days, 25,000 beyond) and attested the eligible 1,000,000 on-chain (seq 1)");

    // The issuer's desk, first of all issuance: a customer's dollars in and out.
    let reconciliation = desk::run(&stage, say).await?;

    let holder = cast.pubkey(&cast.holder);
    step(
        &cast.minter,
        &["mint", "600000", "--to", &holder, "--mint", m],
    )?;
    say("usd1 mint 600,000 to the holder: within the attested reserve, accepted");
    let refused = refusal(
        &url,
        &cast.minter,
        &["mint", "400000.01", "--to", &holder, "--mint", m],
        "ReserveExceeded",
    )?;
    say(&format!("usd1 mint 400,000.01 more: refused — {refused}"));

    let wallet = cast.wallet.to_string();
    step(&cast.holder, &["transfer", "2500", &wallet, "--mint", m])?;
    say("usd1 transfer 2,500 from the holder to a new wallet (its token account created on the way)");
    step(&cast.freezer, &["freeze", &wallet, "--mint", m])?;
    let frozen = refusal(
        &url,
        &cast.holder,
        &["transfer", "1", &wallet, "--mint", m],
        "AccountFrozen",
    )?;
    say(&format!(
        "usd1 freeze the wallet: a transfer into it is refused — {frozen}"
    ));
    step(&cast.freezer, &["thaw", &wallet, "--mint", m])?;
    say("usd1 thaw the wallet");

    // The admin still holds the pauser role: the tour names no other.
    step(&cast.admin, &["pause", "--mint", m])?;
    let paused = refusal(
        &url,
        &cast.minter,
        &["mint", "1", "--to", &holder, "--mint", m],
        "Paused",
    )?;
    say(&format!("usd1 pause: a mint is refused — {paused}"));
    step(&cast.admin, &["unpause", "--mint", m])?;
    say("usd1 unpause: minting resumes");
    let minter = cast.pubkey(&cast.minter);
    step(&cast.minter, &["mint", "10", "--to", &minter, "--mint", m])?;
    step(&cast.minter, &["burn", "10", "--mint", m])?;
    say("usd1 mint 10 to the minter itself, then usd1 burn 10 through the program: supply back to 600,000");

    let request = |amount: &str| {
        let args = [
            "redeem",
            "request",
            amount,
            "--payout-ref",
            "wire to ACME Bank 0001",
        ];
        step(&cast.holder, &[&args[..], &["--mint", m]].concat())
    };
    // The request's id, as `usd1 redeem request` prints it ("Redemption #N: …").
    let id_of = |out: &str| -> Result<String> {
        out.split('#')
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .map(str::to_string)
            .context("the request's id")
    };
    let out = request("1000")?;
    say(&format!(
        "usd1 redeem request 1,000 → {}",
        out.lines().next().unwrap_or_default()
    ));
    let settled = id_of(&out)?;
    step(
        &cast.treasurer,
        &[
            "redeem",
            "settle",
            &settled,
            "--reference",
            "FED-WIRE-2026-0001",
            "--mint",
            m,
        ],
    )?;
    say(&format!(
        "usd1 redeem settle {settled}: the escrowed 1,000 burned, supply down to 599,000"
    ));
    let rejected = id_of(&request("50")?)?;
    step(
        &cast.treasurer,
        &["redeem", "reject", &rejected, "--reason", "7", "--mint", m],
    )?;
    say(&format!("usd1 redeem request 50, then usd1 redeem reject {rejected} --reason 7: the 50 go back to the holder, supply unchanged"));

    gateway::run(&stage, say).await?;

    let status = step(&cast.admin, &["status", "--mint", m, "--output", "json"])?;
    let status: serde_json::Value = serde_json::from_str(&status)?;
    say(&format!(
        "usd1 status: supply {}, reserve {}, coverage {}%",
        status["supply"].as_str().unwrap_or_default(),
        status["reserve"].as_str().unwrap_or_default(),
        status["coverage_percent"].as_str().unwrap_or_default()
    ));
    let audit = step(&cast.admin, &["audit", "--mint", m])?;
    say(&format!(
        "usd1 audit: {}",
        audit.lines().next().unwrap_or_default()
    ));

    let site = cast.dir.join("transparency");
    let mut page_args = vec![
        "transparency".to_string(),
        "--mint".into(),
        m.into(),
        "--out".into(),
        site.display().to_string(),
        "--reports".into(),
        cast.dir.join("reports").display().to_string(),
        "--terms".into(),
        terms.display().to_string(),
        "--reconciliation".into(),
        reconciliation.display().to_string(),
    ];
    for (i, attestor) in cast.attestors.iter().enumerate() {
        page_args.push("--attestor-name".into());
        page_args.push(format!("{}=Attestor {}", cast.pubkey(attestor), i + 1));
    }
    let page_args: Vec<&str> = page_args.iter().map(String::as_str).collect();
    step(&cast.admin, &page_args)?;
    say(&format!(
        "usd1 transparency: wrote {}",
        site.join("index.html").display()
    ));

    let exit = stage.localnet.stop()?;
    ensure!(exit.success(), "usd1-localnet exited {exit}");
    say("usd1-localnet stopped on SIGTERM");
    Ok(())
}

/// Runs `usd1 ARGS` as `keypair`, which must be refused with the error
/// named `error`; returns the refusal as the CLI printed it.
fn refusal(url: &str, keypair: &Path, args: &[&str], error: &str) -> Result<String> {
    let run = usd1(url, keypair, args)?;
    ensure!(
        !run.success && run.stderr.contains(error),
        "usd1 {} was not refused with {error}: {}",
        args.join(" "),
        run.stderr
    );
    Ok(run.stderr.trim().trim_start_matches("error: ").to_string())
}

/// Recomposes the oracle config `oracle_files` wrote: the cash is read from
/// the simulated bank's end-of-day statement (a camt.053 in the folder the
/// bank delivers to) instead of custodian-a's export, two exports hold
/// Treasury bills (one within the 93-day limit, one beyond it), and an
/// eligibility policy.
pub fn compose_reserve(cast: &Cast, config: &Path) -> Result<()> {
    let now = unix_now();
    let date = |days: i64| rfc3339(now + days * 86_400)[..10].to_string();
    let mut bank = crate::bank::Bank::new(&cast.dir.join("bank"), &date(0))?;
    bank.set_clock(now);
    bank.open_account("000123456789", "USD1 Issuer LLC", "0.00");
    bank.wire_in(
        "000123456789",
        "600000.00",
        "USD1 reserve funding",
        ("USD1 Holdings", "555000111"),
    )?;
    bank.write_statement("000123456789")?;
    for (name, balance) in [("custodian-b", "400000.00"), ("custodian-c", "25000.00")] {
        std::fs::write(
            cast.dir.join(format!("{name}.json")),
            format!(r#"{{"balance": "{balance}", "as_of": {now}}}"#),
        )?;
    }
    let text = std::fs::read_to_string(config)?;
    let (mut text, _) = text
        .split_once("[[sources]]")
        .map(|(head, custodian_a)| (head.to_string(), custodian_a.to_string()))
        .context("the oracle config's source")?;
    text.push_str(&format!(
        "[[sources]]\nkind = \"bank_statement\"\nname = \"operating-account\"\nfolder = \"bank/outbox\"\naccount = \"000123456789\"\nmax_age_secs = 3600\n\
         holding = {{ asset_class = \"cash\", custodian = \"First Example Bank\", account = \"000123456789\" }}\n\
         [[sources]]\nkind = \"file\"\nname = \"custodian-b\"\npath = \"custodian-b.json\"\namount = \"/balance\"\nmax_age_secs = 3600\n\
         holding = {{ asset_class = \"treasury_bill\", custodian = \"Example Prime Broker\", account = \"T-bill ladder\", maturity = \"{}\" }}\n\
         [[sources]]\nkind = \"file\"\nname = \"custodian-c\"\npath = \"custodian-c.json\"\namount = \"/balance\"\nmax_age_secs = 3600\n\
         holding = {{ asset_class = \"treasury_bill\", custodian = \"Example Prime Broker\", account = \"Long bills\", maturity = \"{}\" }}\n\
         [eligibility]\nmax_tbill_days = 93\nmax_custodian_share_bps = 7500\n",
        date(60),
        date(200)
    ));
    std::fs::write(config, text)?;
    Ok(())
}
