//! The tour's dollar leg through `usd1-desk`: the desk's own minter allowed
//! on-chain, a customer approved with a wallet and a bank account, a wire
//! in with its reference read from the simulated bank's statement and
//! minted, a redemption paid by a pain.001 (judged by the official XSD when
//! xmllint is there), the bank's pain.002 read and the redemption settled
//! on-chain, and the day reconciled three ways.
use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context as _, Result};
use serde_json::Value;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};

use super::{binary, write_keypair, Stage};
use crate::bank::{Bank, ROUTING};

/// The issuer's account at the simulated bank the desk works with.
const ISSUER: &str = "4000123456";
/// The customer's account at another bank.
const CUSTOMER_ACCOUNT: &str = "12345678";

/// Runs `usd1-desk ARGS` on `database`: its standard output (JSON when asked).
fn desk(database: &str, args: &[&str]) -> Result<(bool, String, String)> {
    let out = Command::new(binary("usd1-desk")?)
        .args(["--database", database])
        .args(args)
        .output()
        .context("usd1-desk")?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn ok(database: &str, args: &[&str]) -> Result<Value> {
    let (success, stdout, stderr) = desk(database, args)?;
    ensure!(success, "usd1-desk {} failed: {stderr}", args.join(" "));
    Ok(serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or(Value::Null))
}

async fn airdrop(url: &str, key: &solana_sdk::pubkey::Pubkey) -> Result<()> {
    let client = solana_rpc_client::nonblocking::rpc_client::RpcClient::new_with_commitment(
        url.to_string(),
        CommitmentConfig::confirmed(),
    );
    let signature = client.request_airdrop(key, 10_000_000_000).await?;
    ensure!(
        client.confirm_transaction(&signature).await?,
        "airdrop to {key}"
    );
    Ok(())
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// Runs the dollar leg; the reconciliation report it ends with (JSON), for the page.
pub async fn run(stage: &Stage, say: &dyn Fn(&str)) -> Result<std::path::PathBuf> {
    let (cast, m, url) = (&stage.cast, stage.mint.as_str(), stage.url.as_str());
    let dir = cast.dir.join("desk");
    std::fs::create_dir_all(&dir)?;
    let database = format!("sqlite:{}", dir.join("desk.db").display());
    let before: Value = serde_json::from_str(
        &stage.usd1(&cast.admin, &["status", "--mint", m, "--output", "json"])?,
    )?;
    let minter = Keypair::new();
    let minter_file = dir.join("desk-minter.json");
    write_keypair(&minter_file, &minter)?;
    airdrop(url, &minter.pubkey()).await?;
    stage.usd1(
        &cast.admin,
        &[
            "minter",
            "set",
            &minter.pubkey().to_string(),
            "--allowance",
            "100000",
            "--mint",
            m,
        ],
    )?;
    say("usd1 minter set: the desk's own minter, allowed 100,000 on-chain — a compromised desk cannot mint past it, nor above the reserve");

    let added = ok(
        &database,
        &[
            "--output",
            "json",
            "customer",
            "add",
            "--name",
            "Acme Treasury LLC",
            "--operator",
            "alice",
        ],
    )?;
    let id = added["id"].as_str().context("customer id")?.to_string();
    let reference = added["reference"]
        .as_str()
        .context("reference")?
        .to_string();
    ok(
        &database,
        &[
            "customer",
            "kyb",
            &id,
            "approved",
            "--operator",
            "bob",
            "--why",
            "KYB file 7 complete",
        ],
    )?;
    let wallet = Keypair::new();
    let wallet_file = dir.join("acme-wallet.json");
    write_keypair(&wallet_file, &wallet)?;
    airdrop(url, &wallet.pubkey()).await?;
    ok(
        &database,
        &[
            "customer",
            "wallet",
            &id,
            &wallet.pubkey().to_string(),
            "--operator",
            "bob",
        ],
    )?;
    ok(
        &database,
        &[
            "customer",
            "bank-account",
            &id,
            "--holder",
            "Acme Treasury LLC",
            "--number",
            CUSTOMER_ACCOUNT,
            "--routing",
            ROUTING,
            "--town",
            "New York",
            "--country",
            "US",
        ],
    )?;
    say(&format!(
        "usd1-desk customer add/kyb/wallet/bank-account: Acme Treasury LLC approved by bob (alice added it), its wires to carry {reference}"
    ));

    let day = super::rfc3339(super::unix_now())[..10].to_string();
    let mut bank = Bank::new(&dir.join("bank"), &day)?;
    bank.open_account(ISSUER, "USD1 Issuer Ltd", "0");
    bank.external.insert(CUSTOMER_ACCOUNT.into());
    bank.wire_in(
        ISSUER,
        "25000.00",
        &format!("SUBSCRIPTION {reference}"),
        ("ACME TREASURY LLC", "998877"),
    )?;
    let statement = bank.write_statement(ISSUER)?;
    ok(&database, &["import", &path(&statement)])?;
    let chain = ["--url", url, "--mint", m, "--minter", &path(&minter_file)];
    let minted = ok(
        &database,
        &[&["--output", "json", "mint"][..], &chain].concat(),
    )?;
    ensure!(
        minted["minted"].as_array().map(Vec::len) == Some(1),
        "the deposit was not minted: {minted}"
    );
    say(&format!(
        "usd1-desk import + mint: the wire of 25,000 read from the bank's camt.053, matched by its reference, 25,000 USD1 minted to Acme's wallet with the deposit's hash in the mint's memo ({})",
        minted["minted"][0][1].as_str().unwrap_or_default()
    ));

    let requested = stage.usd1(
        &wallet_file,
        &[
            "redeem",
            "request",
            "25000",
            "--payout-ref",
            "Acme's account 12345678",
            "--mint",
            m,
        ],
    )?;
    let treasury = [
        "--treasurer",
        &path(&cast.treasurer),
        "--debtor-name",
        "USD1 Issuer Ltd",
        "--debtor-account",
        ISSUER,
        "--debtor-agent",
        ROUTING,
        "--bank-outbox",
    ];
    let outbox = path(&bank.inbox);
    let pay_args = [
        &["--output", "json", "pay"][..],
        &chain,
        &treasury,
        &[outbox.as_str()],
    ]
    .concat();
    let paid = ok(&database, &pay_args)?;
    let message_id = paid["files"][0]
        .as_str()
        .context("a payment file")?
        .to_string();
    let file = std::fs::read_to_string(bank.inbox.join(format!("{message_id}.xml")))?;
    let judged = match crate::bank::validates(&file, "pain.001.001.09") {
        Ok(()) => "valid against the official pain.001.001.09 XSD".to_string(),
        Err(why) if why.contains("xmllint") => {
            "not judged: xmllint (Debian's libxml2-utils) is not installed".to_string()
        }
        Err(why) => anyhow::bail!("the pain.001 is not valid: {why}"),
    };
    say(&format!(
        "usd1 redeem request 25,000 from Acme's wallet, all it holds ({}); usd1-desk pay wrote the pain.001 {message_id} to Acme's account, 24,975 after the 0.10% fee: {judged}",
        requested.lines().next().unwrap_or_default()
    ));

    for answer in bank.process_payments()? {
        ok(&database, &["import", &path(&answer)])?;
    }
    let settled = ok(&database, &pay_args)?;
    ensure!(
        settled["resolved"].as_array().map(Vec::len) == Some(1),
        "not settled: {settled}"
    );
    say("the bank paid it and answered with a pain.002 (ACSC); usd1-desk import + pay settled the redemption on-chain with the bank reference's hash");

    let closing = bank.write_statement(ISSUER)?;
    ok(&database, &["import", &path(&closing)])?;
    let (_, report, _) = desk(
        &database,
        &[
            &["reconcile"][..],
            &chain,
            &["--date", &day, "--account", ISSUER, "--format", "json"],
        ]
        .concat(),
    )?;
    let report_file = dir.join("reconciliation.json");
    std::fs::write(&report_file, report.trim())?;
    let report: Value =
        serde_json::from_str(report.trim()).context("the reconciliation's report")?;
    let outside: i128 = before["supply"]
        .as_str()
        .and_then(|s| usd1_client::parse_amount(s, 6).ok())
        .map(i128::from)
        .context("the supply before the desk")?;
    let unexplained = report["unexplained"]
        .as_i64()
        .map(i128::from)
        .context("unexplained")?;
    ensure!(
        unexplained == -outside,
        "the reconciliation leaves {unexplained} unexplained, not the {outside} minted outside the desk: {report}"
    );
    let dollars = |v: &Value| {
        usd1_client::format_dollars(v.as_i64().unwrap_or_default().unsigned_abs().into(), 6)
    };
    let verdict = if unexplained == 0 {
        "explain every dollar of the difference: reconciled to the cent".to_string()
    } else {
        format!(
            "explain all but {} — the USD1 minted outside the desk, a break it names and opens a case on",
            dollars(&report["unexplained"])
        )
    };
    say(&format!(
        "usd1-desk reconcile {day}: the bank's closing balance {}, the attested reserve {}, the supply {}; the items (the fee kept) {verdict}",
        dollars(&report["figures"]["bank_closing"]),
        dollars(&report["figures"]["reserve"]),
        dollars(&report["figures"]["supply"]),
    ));
    Ok(report_file)
}
