//! `usd1 redeem request|list|settle|reject`: the holder's path back to dollars.
use std::fmt;

use anyhow::{bail, Result};
use serde::Serialize;
use usd1_client::{format_amount, format_dollars, sha256, Redemption, RedemptionStatus, Usd1Event};

use crate::commands::{MintArg, Sent};
use crate::{amount, Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Status {
    Pending,
    Settled,
    Rejected,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Escrow tokens for redemption at par (this keypair is the holder).
    Request {
        /// Token units.
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[command(flatten)]
        mint: MintArg,
        /// Payout instructions; only their SHA-256 goes on-chain.
        #[arg(long, default_value = "")]
        payout_ref: String,
    },
    /// List requests, oldest first.
    List {
        #[command(flatten)]
        mint: MintArg,
        #[arg(long, value_enum)]
        status: Option<Status>,
    },
    /// Settle a request: the escrow is burned (the treasurer).
    Settle {
        id: u64,
        /// Settlement reference (wire id, …); only its SHA-256 goes on-chain.
        #[arg(long)]
        reference: String,
        /// Screen the holder (wallet and source account) against this
        /// sanctions list first: a listed holder's request is not settled
        /// (`HolderUnderReview`). Repeat for several lists.
        #[arg(long = "list", value_name = "FILE")]
        lists: Vec<std::path::PathBuf>,
        /// The gateway's cases (`usd1-gateway case list --output json`): a
        /// holder with an undecided case is not settled (`HolderUnderReview`).
        #[arg(long, value_name = "FILE")]
        cases: Option<std::path::PathBuf>,
        #[command(flatten)]
        mint: MintArg,
    },
    /// Reject a request: the tokens go back (the treasurer).
    Reject {
        id: u64,
        /// Reason code (issuer-defined).
        #[arg(long)]
        reason: u16,
        #[command(flatten)]
        mint: MintArg,
    },
}

#[derive(Debug, Serialize)]
pub struct Listed {
    pub id: u64,
    pub holder: String,
    pub amount: String,
    pub fee: String,
    pub status: String,
    pub requested_at: i64,
    /// Unix seconds; absent while pending.
    pub resolved_at: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct List {
    pub redemptions: Vec<Listed>,
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.redemptions.is_empty() {
            return write!(f, "No redemption requests");
        }
        write!(
            f,
            "{:>6}  {:<44}  {:>20}  {:>12}  {:<8}  {:>11}",
            "ID", "HOLDER", "AMOUNT", "FEE", "STATUS", "REQUESTED"
        )?;
        for r in &self.redemptions {
            write!(
                f,
                "\n{:>6}  {:<44}  {:>20}  {:>12}  {:<8}  {:>11}",
                r.id,
                r.holder,
                usd1_client::dollars(&r.amount),
                usd1_client::dollars(&r.fee),
                r.status,
                r.requested_at
            )?;
        }
        Ok(())
    }
}

fn listed(redemption: &Redemption, decimals: u8) -> Listed {
    Listed {
        id: redemption.id,
        holder: redemption.holder.to_string(),
        amount: format_amount(redemption.amount, decimals),
        fee: format_amount(redemption.fee, decimals),
        status: format!("{:?}", redemption.status).to_lowercase(),
        requested_at: redemption.requested_at,
        resolved_at: (redemption.status != RedemptionStatus::Pending)
            .then_some(redemption.resolved_at),
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    match args.action {
        Action::Request {
            amount: text,
            mint,
            payout_ref,
        } => {
            let usd1 = ctx.usd1(&mint.mint).await?;
            let decimals = usd1.decimals();
            let units = amount(&text, decimals)?;
            let (id, executed) = usd1
                .request_redemption(ctx.signer(), units, sha256(payout_ref.as_bytes()))
                .await?;
            // The program's own figures, from the event it emitted.
            let Some((fee, payout)) = executed.events.iter().find_map(|e| match e {
                Usd1Event::RedemptionRequested(r) if r.id == id => Some((r.fee, r.payout)),
                _ => None,
            }) else {
                bail!(
                    "redemption #{id} landed in {} without its RedemptionRequested event",
                    executed.signature
                );
            };
            let text = format!(
                "Redemption #{id}: {} escrowed; payout {} after a {} fee",
                format_dollars(units.into(), decimals),
                format_dollars(payout.into(), decimals),
                format_dollars(fee.into(), decimals)
            );
            Ok(Sent::output(text, &executed))
        }
        Action::List { mint, status } => {
            let usd1 = ctx.usd1(&mint.mint).await?;
            let decimals = usd1.decimals();
            let status = status.map(|s| match s {
                Status::Pending => RedemptionStatus::Pending,
                Status::Settled => RedemptionStatus::Settled,
                Status::Rejected => RedemptionStatus::Rejected,
            });
            let redemptions = usd1
                .redemptions(status)
                .await?
                .iter()
                .map(|r| listed(r, decimals))
                .collect();
            Ok(Output::new(&List { redemptions }))
        }
        Action::Settle {
            id,
            reference,
            lists,
            cases,
            mint,
        } => {
            let usd1 = ctx.usd1(&mint.mint).await?;
            if let Some(path) = &cases {
                let cases = usd1_client::screening::OpenCases::read(path)?;
                let request = usd1.redemption(id).await?;
                if let Some(case) = cases.of(&request.holder).or(cases.of(&request.source)) {
                    anyhow::bail!(
                        "HolderUnderReview: the holder of redemption #{id} has the open case {case}, nothing sent. \
                         It may be rejected (`usd1 redeem reject`), which refunds its source account as the program rules"
                    );
                }
            }
            if !lists.is_empty() {
                let screener = usd1_client::screening::Screener::read(&lists)?;
                let request = usd1.redemption(id).await?;
                let findings = screener.screen_owner(&request.holder, &request.source);
                if !findings.is_empty() {
                    let cited: Vec<String> = findings.iter().map(ToString::to_string).collect();
                    anyhow::bail!(
                        "HolderUnderReview: the holder of redemption #{id} is listed, nothing sent: {}. \
                         It may be rejected (`usd1 redeem reject`), which refunds its source account as the program rules",
                        cited.join("; ")
                    );
                }
            }
            let executed = usd1
                .settle_redemption(ctx.signer(), id, sha256(reference.as_bytes()))
                .await?;
            Ok(Sent::output(
                format!("Redemption #{id} settled; its escrow was burned"),
                &executed,
            ))
        }
        Action::Reject { id, reason, mint } => {
            let usd1 = ctx.usd1(&mint.mint).await?;
            let executed = usd1.reject_redemption(ctx.signer(), id, reason).await?;
            Ok(Sent::output(
                format!("Redemption #{id} rejected (reason {reason}); tokens returned"),
                &executed,
            ))
        }
    }
}
