//! `usd1 audit --mint MINT`: replay the mint's transactions and re-verify every
//! attestation and mint without trusting the program, then check where the
//! replay ends against the chain now (attestors, threshold, policy, supply,
//! open redemptions and escrow). Exits non-zero, naming each violation, if
//! any rule was ever broken.
//!
//! With `--checkpoint FILE`, the replay starts from FILE's state when it
//! exists and reads only the history after it; FILE is rewritten at the end
//! (see `usd1_client::checkpoint`).
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::de::DeserializeOwned;
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use usd1_client::audit::incremental::{advance, report_of, AuditState, Cursor, FORMAT};
use usd1_client::checkpoint;
use usd1_client::format_wide_amount;

use crate::commands::MintArg;
use crate::progress::Meter;
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub mint: MintArg,
    #[command(flatten)]
    pub replay: ReplayArgs,
}

/// How the history is replayed: from a checkpoint, and how fast it is read.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// Replay from this checkpoint if the file exists (only the history
    /// after it is read), and write the new checkpoint to it at the end.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Replay the whole history, ignoring what --checkpoint holds (then
    /// rewriting it).
    #[arg(long)]
    pub from_scratch: bool,
    /// Transactions fetched from the node at once.
    #[arg(long = "rpc-concurrency", value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub rpc_concurrency: u16,
}

/// The checkpoint a command read or wrote.
#[derive(Debug, Serialize)]
pub struct CheckpointView {
    pub path: String,
    pub sha256: String,
    /// The newest transaction replayed (none before the first).
    pub signature: Option<String>,
    pub slot: Option<u64>,
}

impl ReplayArgs {
    pub fn concurrency(&self) -> usize {
        usize::from(self.rpc_concurrency)
    }

    /// The checkpoint's state, unless there is none or --from-scratch.
    pub fn load<S: Serialize + DeserializeOwned>(
        &self,
        format: &'static str,
        mint: &Pubkey,
    ) -> Result<Option<(S, String)>> {
        match &self.checkpoint {
            Some(path) if !self.from_scratch => Ok(checkpoint::load(path, format, mint)?),
            _ => Ok(None),
        }
    }

    /// Writes `state` to the checkpoint, if one was named.
    pub fn save<S: Serialize>(
        &self,
        format: &str,
        mint: &Pubkey,
        state: &S,
        last: Option<Cursor>,
    ) -> Result<Option<CheckpointView>> {
        let Some(path) = &self.checkpoint else {
            return Ok(None);
        };
        let (bytes, sha256) = checkpoint::encode(format, mint, state);
        checkpoint::save(path, &bytes)?;
        Ok(Some(view(path, sha256, last)))
    }
}

fn view(path: &Path, sha256: String, last: Option<Cursor>) -> CheckpointView {
    CheckpointView {
        path: path.display().to_string(),
        sha256,
        signature: last.map(|c| c.signature.to_string()),
        slot: last.map(|c| c.slot),
    }
}

#[derive(Debug, Serialize)]
pub struct ViolationView {
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Compliance {
    pub frozen_accounts: Vec<String>,
    pub frozen_amount: String,
    pub freezes: u64,
    pub freezes_citing_order: u64,
    pub thaws: u64,
    pub seizures: u64,
    pub seizures_citing_order: u64,
}

impl fmt::Display for Compliance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Frozen: {} account(s) holding {}; {} freeze(s) ({} citing an order), {} thaw(s), {} seizure(s) ({} citing an order)",
            self.frozen_accounts.len(),
            usd1_client::dollars(&self.frozen_amount),
            self.freezes,
            self.freezes_citing_order,
            self.thaws,
            self.seizures,
            self.seizures_citing_order
        )
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub mint: String,
    /// Transactions that touched the program.
    pub transactions: usize,
    pub attestations: u64,
    pub mints: u64,
    /// The latest attestation the replay reached, and the one the config holds.
    pub replayed_seq: u64,
    pub on_chain_seq: u64,
    /// Supply as replayed from mints, burns and settled redemptions, before
    /// holders' own burns (base units, as a decimal string).
    pub replayed_supply: String,
    /// Tokens in the escrow beyond the open requests (sent there outside a request).
    pub escrow_surplus: String,
    /// Freezes, thaws and seizures through the program; the frozen accounts and what they hold.
    pub compliance: Compliance,
    pub clean: bool,
    pub violations: Vec<ViolationView>,
    /// Transactions read from the node by this run (all of them without a
    /// checkpoint, those after it with one).
    pub read: u64,
    /// The checkpoint this run started from, if any.
    pub resumed_from: Option<CheckpointView>,
    /// The checkpoint this run wrote, if any.
    pub checkpoint: Option<CheckpointView>,
    /// JSON-RPC requests this run sent (retries included), over RPC.
    pub rpc_requests: Option<u64>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Audited {} transactions of {}: {} attestations, {} mints",
            self.transactions, self.mint, self.attestations, self.mints
        )?;
        writeln!(
            f,
            "Replayed up to attestation #{} (config holds #{})",
            self.replayed_seq, self.on_chain_seq
        )?;
        match &self.resumed_from {
            Some(from) => writeln!(
                f,
                "Resumed from checkpoint {} (sha256 {}); read {} new transactions",
                from.path, from.sha256, self.read
            )?,
            None => writeln!(f, "Read {} transactions", self.read)?,
        }
        if let Some(written) = &self.checkpoint {
            writeln!(
                f,
                "Wrote checkpoint {} (sha256 {})",
                written.path, written.sha256
            )?;
        }
        writeln!(f, "{}", self.compliance)?;
        if self.escrow_surplus != "0" {
            writeln!(
                f,
                "The escrow holds {} more than the open requests (sent there outside a request)",
                usd1_client::dollars(&self.escrow_surplus)
            )?;
        }
        if self.clean {
            return write!(f, "No violations.");
        }
        write!(f, "{} violation(s):", self.violations.len())?;
        for v in &self.violations {
            write!(f, "\n  {}", v.detail)?;
        }
        Ok(())
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let replay = &args.replay;
    let loaded = replay.load::<AuditState>(FORMAT, &usd1.mint())?;
    let resumed_from = match (&loaded, &replay.checkpoint) {
        (Some((state, sha256)), Some(path)) => Some(view(path, sha256.clone(), state.last)),
        _ => None,
    };
    let mut meter = Meter::new(ctx.progress);
    let advanced = advance(
        &usd1,
        loaded.map(|(state, _)| state),
        replay.concurrency(),
        &mut |p| meter.show(p),
        &mut |_| {},
    )
    .await;
    meter.done();
    let advanced = advanced?;
    let mut state = advanced.state;
    let found = report_of(&usd1, &mut state, &advanced.pending, replay.concurrency()).await?;
    let checkpoint = replay.save(FORMAT, &usd1.mint(), &state, state.last)?;
    let on_chain_seq = usd1.config().await?.latest.seq;
    let decimals = usd1.decimals();
    let amount = |units: u128| format_wide_amount(units, decimals);
    let violations: Vec<ViolationView> = found
        .violations
        .iter()
        .map(|v| ViolationView {
            kind: v.kind().to_string(),
            detail: v.to_string(),
        })
        .collect();
    let report = Report {
        mint: usd1.mint().to_string(),
        transactions: found.transactions,
        attestations: found.attestations,
        mints: found.mints,
        replayed_seq: found.latest_seq,
        on_chain_seq,
        replayed_supply: amount(found.supply_before_holder_burns()),
        escrow_surplus: amount(found.escrow_surplus),
        compliance: {
            let z = &found.replayed.freezes;
            Compliance {
                frozen_accounts: z.frozen.iter().map(ToString::to_string).collect(),
                frozen_amount: amount(z.frozen_amount),
                freezes: z.freezes,
                freezes_citing_order: z.freezes_citing_order,
                thaws: z.thaws,
                seizures: z.seizures,
                seizures_citing_order: z.seizures_citing_order,
            }
        },
        clean: violations.is_empty(),
        violations,
        read: advanced.read,
        resumed_from,
        checkpoint,
        rpc_requests: usd1.ledger().requests_sent(),
    };
    let failed = !report.clean;
    Ok(Output::new(&report).failing(failed))
}
