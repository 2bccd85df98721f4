//! Process figures for the benchmarks, from Linux `/proc`: resident memory
//! and CPU time of this process or of a child.

/// A `/proc/PID/status` memory field (`VmRSS`, `VmHWM`, …) in KiB; `pid` may be `self`.
pub fn memory_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system CPU time consumed so far, in clock ticks (1/100 s on Linux).
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU ticks per second assumed by [`cpu_ticks`].
pub const TICKS_PER_SEC: f64 = 100.0;

// ---- `usd1 pay`, measured (pay_bench and desk_bench compare against it) ----

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use clap::Parser;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Keypair;
use usd1_cli::{execute, Cli, Context};
use usd1_client::Ledger;

/// What one `usd1 pay` run did.
pub struct Run {
    pub rows: u64,
    pub seconds: f64,
    pub transactions: u64,
    pub fees_lamports: u64,
}

impl Run {
    pub fn rate(&self) -> f64 {
        self.rows as f64 / self.seconds
    }

    pub fn fee_per_row(&self) -> f64 {
        self.fees_lamports as f64 / self.rows.max(1) as f64
    }

    pub fn print(&self, what: &str) {
        println!(
            "  {what:<44} {:>8.1} rows/s  {:>5} tx  {:>5.1} rows/tx  {:>7.0} lamports/row in fees",
            self.rate(),
            self.transactions,
            self.rows as f64 / self.transactions.max(1) as f64,
            self.fee_per_row()
        );
    }
}

/// A payout CSV of one row to each recipient, written to `dir/name`.
pub fn payout(dir: &std::path::Path, name: &str, recipients: &[Pubkey]) -> Result<String> {
    let mut csv = String::from("recipient,amount\n");
    for (i, r) in recipients.iter().enumerate() {
        csv.push_str(&format!("{r},{}.25\n", i % 100 + 1));
    }
    let file = dir.join(name);
    std::fs::write(&file, csv)?;
    Ok(file.to_string_lossy().into_owned())
}

/// `usd1 pay FILE --mint MINT FLAGS…` through the CLI's own command code, timed.
pub async fn pay(
    ledger: Arc<dyn Ledger>,
    payer: &Keypair,
    mint: &Pubkey,
    file: &str,
    flags: &[&str],
) -> Result<Run> {
    let mint = mint.to_string();
    let mut argv = vec!["usd1", "pay", file, "--mint", &mint];
    argv.extend_from_slice(flags);
    let cli = Cli::try_parse_from(argv)?;
    let ctx = Context::new(ledger, Arc::new(payer.insecure_clone()));
    let started = Instant::now();
    let out = execute(&ctx, cli.command).await?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(!out.failed, "payout failed: {}", out.text);
    let fees = out.json["fees_sol"].as_str().unwrap_or("0");
    Ok(Run {
        rows: out.json["paid"].as_u64().unwrap_or_default(),
        seconds,
        transactions: out.json["transactions"].as_u64().unwrap_or_default(),
        fees_lamports: usd1_client::parse_amount(fees, 9)?,
    })
}
