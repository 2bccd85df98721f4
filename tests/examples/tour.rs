//! A guided tour of USD1 on the embedded runtime: initialize a mint, register
//! attestors, attest reserves, mint within them, watch a mint above them be
//! refused, move tokens like a wallet, freeze, pause, burn, publish the
//! disclosure and redeem — printing each step.
//!
//! Run: `cargo run -p usd1-tests --example tour`
use anyhow::{ensure, Context, Result};
use solana_sdk::signature::Signer;
use usd1::instructions::PolicyArgs;
use usd1_client::{format_amount, parse_amount, ClientError, Failure, Usd1Error, Usd1Event};
use usd1_tests::{Fixture, Flavor, DECIMALS, THRESHOLD};

fn step(title: &str) {
    println!("\n== {title}");
}

fn show_events(events: &[Usd1Event]) {
    for event in events {
        println!("   event {}", event.name());
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let units = |text: &str| parse_amount(text, DECIMALS).context("amount");
    let tokens = |base: u64| format!("{} USD1", format_amount(base, DECIMALS));

    println!("USD1 tour. Indented lines are the tour's; unindented ones are the program's own log");
    println!(
        "output (the runtime runs it natively, and each transaction is simulated, then sent)."
    );
    step("Start the embedded runtime (USD1 + SPL Token-2022) and initialize a mint");
    let f = Fixture::new(Flavor::Token2022).await;
    println!("   mint    {}", f.mint());
    println!(
        "   config  {} (mint and freeze authority)",
        f.config_address()
    );
    println!(
        "   roles   admin {}, pauser {}, freezer {}",
        f.admin.pubkey(),
        f.pauser.pubkey(),
        f.freezer.pubkey()
    );
    println!(
        "   {} attestors, threshold {THRESHOLD}; one minter with an allowance",
        f.attestors.len()
    );
    show_events(&f.init_events.events);

    step("Keep a 2% margin below the attested reserve");
    let done = f
        .usd1
        .set_policy(
            &f.admin,
            PolicyArgs {
                margin_bps: Some(200),
                ..Default::default()
            },
        )
        .await?;
    show_events(&done.events);

    step("Refused: minting before any reserve is attested");
    let refused = f
        .usd1
        .mint_to(&f.minter, &f.holder.pubkey(), units("1")?)
        .await;
    println!(
        "   refused: {}",
        expect_refusal(refused, Usd1Error::NoAttestation)?
    );

    step("Attestors sign a reserve of 1,000,000.00 (2 of 3 signatures)");
    let done = f.attest(units("1000000")?).await?;
    show_events(&done.events);
    let config = f.usd1.config().await?;
    println!(
        "   attestation #{} for {}; mintable up to {}",
        config.latest.seq,
        tokens(config.latest.reserve_amount),
        tokens(config.mintable_ceiling()?)
    );

    step("Mint 900,000 to a holder (within the reserve)");
    let done = f
        .usd1
        .mint_to(&f.minter, &f.holder.pubkey(), units("900000")?)
        .await?;
    show_events(&done.events);
    println!("   supply {}", tokens(f.supply().await));

    step("Refused: minting 80,000.000001 more would pass 98% of the reserve");
    let refused = f
        .usd1
        .mint_to(&f.minter, &f.holder.pubkey(), units("80000.000001")?)
        .await;
    println!(
        "   refused: {}",
        expect_refusal(refused, Usd1Error::ReserveExceeded)?
    );
    println!("   supply still {}", tokens(f.supply().await));

    step("A wallet receives 250.50 with an ordinary Token-2022 transfer");
    let wallet = f.funded_keypair().await;
    f.fund(&f.holder.pubkey()).await;
    let create = f.create_account_ix(&wallet.pubkey());
    let transfer = f.transfer_ix(&f.holder.pubkey(), &wallet.pubkey(), units("250.50")?);
    f.send(&[create, transfer], &[&f.holder]).await?;
    println!(
        "   wallet balance {}",
        tokens(f.usd1.balance(&wallet.pubkey()).await?)
    );

    step("Compliance freezes the wallet; its transfers fail until thawed");
    let account = f.usd1.token_account_of(&wallet.pubkey());
    show_events(&f.usd1.freeze(&f.freezer, &account).await?.events);
    println!(
        "   frozen: {}",
        f.usd1.token_account(&account).await?.frozen
    );
    show_events(&f.usd1.thaw(&f.freezer, &account).await?.events);
    println!(
        "   frozen: {}",
        f.usd1.token_account(&account).await?.frozen
    );

    step("The pauser pauses minting, then resumes");
    show_events(&f.usd1.pause(&f.pauser).await?.events);
    let refused = f
        .usd1
        .mint_to(&f.minter, &f.holder.pubkey(), units("1")?)
        .await;
    println!(
        "   refused while paused: {}",
        expect_refusal(refused, Usd1Error::Paused)?
    );
    show_events(&f.usd1.unpause(&f.pauser).await?.events);

    step("The minter mints 10 to itself and burns them through the program");
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), units("10")?)
        .await?;
    show_events(&f.usd1.burn(&f.minter, units("10")?).await?.events);

    step("The admin publishes the holder disclosure (terms, fee, minimum, settlement target)");
    show_events(
        &f.usd1
            .set_disclosure(&f.admin, usd1_tests::default_disclosure())
            .await?
            .events,
    );
    let disclosure = f.usd1.disclosure().await?;
    println!(
        "   issuer {}; minimum {}; fee {} bps",
        disclosure.legal_name,
        tokens(disclosure.min_redemption),
        disclosure.redemption_fee_bps
    );
    println!("   \"{}\"", disclosure.not_insured_statement);

    step("The wallet redeems 200 at par; the treasurer pays out and settles");
    let (id, done) = f
        .usd1
        .request_redemption(
            &wallet,
            units("200")?,
            usd1_client::sha256(b"wire to the wallet's bank"),
        )
        .await?;
    show_events(&done.events);
    println!(
        "   escrowed {}; supply still {}",
        tokens(f.usd1.config().await?.escrowed_amount),
        tokens(f.supply().await)
    );
    show_events(
        &f.usd1
            .settle_redemption(&f.treasurer, id, usd1_client::sha256(b"wire ref 0001"))
            .await?
            .events,
    );
    println!(
        "   redemption #{id} settled; supply now {}",
        tokens(f.supply().await)
    );

    step("What an auditor reads from the chain");
    let config = f.usd1.config().await?;
    let supply = f.supply().await;
    println!("   supply        {}", tokens(supply));
    println!(
        "   reserve       {} (attestation #{}, as of unix {})",
        tokens(config.latest.reserve_amount),
        config.latest.seq,
        config.latest.as_of
    );
    println!(
        "   coverage      {:.4}%",
        supply_coverage(config.latest.reserve_amount, supply)
    );
    println!(
        "   minted/burned {} / {}",
        tokens(config.total_minted),
        tokens(config.total_burned)
    );
    println!("   redeemed      {}", tokens(config.total_redeemed));
    println!(
        "   history       {} attestation(s) in the ring buffer",
        f.usd1.history().await?.count
    );
    println!("\nTour complete.");
    Ok(())
}

/// The program's refusal of a transaction that had to be refused with `expected`.
fn expect_refusal<T>(result: Result<T, ClientError>, expected: Usd1Error) -> Result<Failure> {
    let failure = result
        .err()
        .and_then(|e| e.failure().cloned())
        .context("the transaction went through")?;
    ensure!(failure.is(expected), "unexpected refusal: {failure}");
    Ok(failure)
}

/// Reserve as a percentage of supply, for display only.
fn supply_coverage(reserve: u64, supply: u64) -> f64 {
    if supply == 0 {
        return f64::INFINITY;
    }
    reserve as f64 * 100.0 / supply as f64
}
