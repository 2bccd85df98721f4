//! The whole platform on this machine, through the real binaries:
//! `usd1-localnet` serving JSON-RPC, `usd1` for the issuer, holder and
//! auditor, `usd1-oracle` attesting a sample custodian export — each step
//! printed as it happens. Builds the three binaries first.
//!
//! Run: `cargo run -p usd1-tests --example platform`
use anyhow::Result;

#[tokio::main]
async fn main() -> Result<()> {
    println!("building usd1-localnet, usd1, usd1-oracle, usd1-gateway and usd1-desk…");
    usd1_tests::tour::build_binaries()?;
    // Kept after the run: it holds the transparency page the tour writes.
    let dir = tempfile::Builder::new()
        .prefix("usd1-platform-")
        .tempdir()?
        .keep();
    println!("working folder: {}", dir.display());
    let step = std::cell::Cell::new(0);
    usd1_tests::tour::run(&dir, &|line: &str| {
        step.set(step.get() + 1);
        println!("{:>2}. {line}", step.get());
    })
    .await?;
    println!("done: every step above ran over JSON-RPC against the localnet.");
    println!(
        "transparency page: file://{}",
        dir.join("transparency").join("index.html").display()
    );
    Ok(())
}
