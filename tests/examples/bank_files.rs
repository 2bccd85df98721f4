//! Writes the simulated bank's end-of-day files for a day of N incoming
//! wires (default 100,000) into DIR: `statement.xml` (camt.053.001.08) and
//! `statement.bai2`, for `usd1-client`'s `bank_bench` to read in release.
//!
//! Run: `cargo run -p usd1-tests --example bank_files -- DIR [ENTRIES]`
use anyhow::{Context, Result};
use usd1_tests::bank::Bank;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).context("DIR")?);
    let entries: usize = args.get(2).map_or(Ok(100_000), |n| n.parse())?;
    std::fs::create_dir_all(&out)?;
    let work = tempfile::tempdir()?;
    let mut bank = Bank::new(work.path(), "2026-12-04")?;
    bank.open_account("000123456789", "USD1 Issuer LLC", "1000000.00");
    for i in 0..entries {
        let amount = format!("{}.{:02}", 100 + i % 9_000, i % 100);
        bank.wire_in(
            "000123456789",
            &amount,
            &format!("USD1 deposit ref D1-{i:08X}"),
            ("Acme Treasury Corp", "987654321"),
        )?;
    }
    std::fs::copy(
        bank.write_statement("000123456789")?,
        out.join("statement.xml"),
    )?;
    std::fs::copy(bank.write_bai2("USD1ISSUER")?, out.join("statement.bai2"))?;
    println!(
        "{entries} entries: {}/statement.xml and statement.bai2",
        out.display()
    );
    Ok(())
}
