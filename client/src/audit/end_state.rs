//! Where an audit's replay ends, compared with the chain now: the report,
//! its reconciliation, and auditing a mint from its ledger.
use anchor_spl::token_2022::spl_token_2022::instruction::TokenInstruction;
use serde::{Deserialize, Serialize};
use serde_with::{serde_as, DisplayFromStr};
use solana_sdk::pubkey::Pubkey;

use super::{audit, Policy, Violation};
use crate::error::ClientError;
use crate::events::Usd1Event;
use crate::issuer::Usd1;
use crate::ledger::{Ledger, RecordedTransaction};

/// Where the replay ends: what the config, the mint and the escrow should say.
#[serde_as]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replayed {
    #[serde_as(as = "Vec<DisplayFromStr>")]
    pub attestors: Vec<Pubkey>,
    pub threshold: u8,
    /// The policy in force; several when one slot of unknown order changed it more than once.
    pub policies: Vec<Policy>,
    /// (seq, reserve_amount, as_of, report_sha256) of the latest attestation.
    #[serde_as(as = "Option<(_, _, _, crate::checkpoint::Hex32)>")]
    pub latest: Option<(u64, u64, i64, [u8; 32])>,
    pub latest_retired: bool,
    /// Base units (u128: a replay of a forged history must not overflow).
    #[serde_as(as = "DisplayFromStr")]
    pub minted: u128,
    #[serde_as(as = "DisplayFromStr")]
    pub burned: u128,
    #[serde_as(as = "DisplayFromStr")]
    pub redeemed: u128,
    pub open_requests: u64,
    #[serde_as(as = "DisplayFromStr")]
    pub open_amount: u128,
    /// Freezes, thaws and seizures, and what the frozen accounts hold.
    pub freezes: super::Freezes,
}

/// The chain now, for [`AuditReport::reconcile`].
#[derive(Clone, Debug)]
pub struct OnChain {
    pub config: usd1::state::Config,
    pub supply: u64,
    pub escrow_balance: u64,
    /// Base units holders burned through a token program outside USD1.
    pub outside_burns: u128,
    /// Base units held now by the accounts the replay found frozen.
    pub frozen_amount: u128,
}

/// What the audit found.
#[serde_as]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    /// Transactions that touched the program (others naming its accounts are ignored).
    pub transactions: usize,
    pub attestations: u64,
    pub mints: u64,
    pub latest_seq: u64,
    pub replayed: Replayed,
    /// Tokens in the escrow beyond the open requests (anyone may send some
    /// there; a surplus is reported, not a violation).
    #[serde_as(as = "DisplayFromStr")]
    pub escrow_surplus: u128,
    pub violations: Vec<Violation>,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// Mints − burns − settled redemptions: the supply before holders' own burns.
    pub fn supply_before_holder_burns(&self) -> u128 {
        let r = &self.replayed;
        r.minted.saturating_sub(r.burned).saturating_sub(r.redeemed)
    }

    /// Compares where the replay ends with the chain now; each difference
    /// is its own violation.
    pub fn reconcile(&mut self, chain: &OnChain) {
        self.replayed.freezes.frozen_amount = chain.frozen_amount;
        let config = &chain.config;
        let r = &self.replayed;
        let mut found = Vec::new();
        let on_chain_seq = config.latest.seq;
        if self.latest_seq != on_chain_seq {
            found.push(Violation::HistoryIncomplete {
                replayed_seq: self.latest_seq,
                on_chain_seq,
            });
        } else if let Some((seq, reserve, as_of, report)) = r.latest {
            let latest = &config.latest;
            if (latest.reserve_amount, latest.as_of, latest.report_sha256)
                != (reserve, as_of, report)
            {
                found.push(Violation::LatestAttestationMismatch { seq });
            }
        }
        if r.latest_retired != config.is_latest_retired() {
            found.push(Violation::RetirementMismatch {
                replayed: r.latest_retired,
                on_chain: config.is_latest_retired(),
            });
        }
        if r.attestors.as_slice() != config.attestors() {
            found.push(Violation::AttestorSetMismatch {
                replayed: r.attestors.clone(),
                on_chain: config.attestors().to_vec(),
            });
        }
        if r.threshold != config.threshold {
            found.push(Violation::ThresholdMismatch {
                replayed: r.threshold,
                on_chain: config.threshold,
            });
        }
        let on_chain_policy = Policy {
            max_attestation_age: config.max_attestation_age,
            margin_bps: config.margin_bps,
            max_submission_delay: config.max_submission_delay,
        };
        if !r.policies.contains(&on_chain_policy) {
            found.push(Violation::PolicyMismatch {
                replayed: r.policies.first().copied().unwrap_or_default(),
                on_chain: on_chain_policy,
            });
        }
        let replayed_supply = self
            .supply_before_holder_burns()
            .saturating_sub(chain.outside_burns);
        if replayed_supply != u128::from(chain.supply) {
            found.push(Violation::SupplyMismatch {
                replayed: replayed_supply,
                on_chain: chain.supply,
            });
        }
        if (r.open_requests, r.open_amount)
            != (
                config.pending_redemptions,
                u128::from(config.escrowed_amount),
            )
        {
            found.push(Violation::OpenRedemptionsMismatch {
                replayed_count: r.open_requests,
                replayed_amount: r.open_amount,
                on_chain_count: config.pending_redemptions,
                on_chain_amount: config.escrowed_amount,
            });
        }
        let escrow = u128::from(chain.escrow_balance);
        if escrow < r.open_amount {
            found.push(Violation::EscrowShortfall {
                open: r.open_amount,
                escrow: chain.escrow_balance,
            });
        }
        self.escrow_surplus = escrow.saturating_sub(r.open_amount);
        self.violations.extend(found);
    }
}

/// Base units burned through a token program from accounts of `mint` outside
/// USD1 (holders' own burns), from the mint's `history`: every token burn of
/// the mint, top-level or by CPI, less the burns USD1 itself recorded.
pub fn burns_outside_usd1(mint: &Pubkey, history: &[RecordedTransaction]) -> u128 {
    let token_programs = [crate::TOKEN_PROGRAM_ID, crate::TOKEN_2022_PROGRAM_ID];
    history
        .iter()
        .map(|tx| {
            let burned: u128 = tx
                .instructions
                .iter()
                .chain(&tx.inner_instructions)
                .filter(|ix| token_programs.contains(&ix.program_id))
                .filter(|ix| ix.accounts.get(1) == Some(mint))
                .filter_map(|ix| match TokenInstruction::unpack(&ix.data).ok()? {
                    TokenInstruction::Burn { amount } => Some(u128::from(amount)),
                    TokenInstruction::BurnChecked { amount, .. } => Some(u128::from(amount)),
                    _ => None,
                })
                .sum();
            let by_usd1: u128 = tx
                .events
                .iter()
                .map(|event| match event {
                    Usd1Event::Burned(e) if e.mint == *mint => u128::from(e.amount),
                    Usd1Event::RedemptionSettled(e) if e.mint == *mint => u128::from(e.amount),
                    _ => 0,
                })
                .sum();
            burned.saturating_sub(by_usd1)
        })
        .sum()
}

/// Audits `usd1`'s mint from its ledger: replays the Config's history, reads
/// the chain now, and — only when supply is below what USD1 minted, burned
/// and redeemed — reads the mint's history for holders' own burns.
pub async fn audit_chain<L: Ledger + ?Sized>(usd1: &Usd1<L>) -> Result<AuditReport, ClientError> {
    let concurrency = crate::history::DEFAULT_CONCURRENCY;
    let (report, _) = super::incremental::audit_from(usd1, None, concurrency, &mut |_| {}).await?;
    Ok(report)
}

/// [`audit_chain`] over the Config's `history`, already read.
pub async fn audit_history<L: Ledger + ?Sized>(
    usd1: &Usd1<L>,
    history: &[RecordedTransaction],
) -> Result<AuditReport, ClientError> {
    let ledger = usd1.ledger();
    let config = usd1.config().await?;
    let mut report = audit(&usd1.mint(), history);
    let supply = usd1.mint_info().await?.supply;
    let escrow_balance = usd1.token_account(&usd1.escrow_address()).await?.amount;
    let outside_burns = if u128::from(supply) < report.supply_before_holder_burns() {
        burns_outside_usd1(&usd1.mint(), &ledger.history(&usd1.mint()).await?)
    } else {
        0
    };
    let frozen_amount =
        super::freezes::frozen_amount(usd1, &report.replayed.freezes.frozen).await?;
    report.reconcile(&OnChain {
        config,
        supply,
        escrow_balance,
        outside_burns,
        frozen_amount,
    });
    Ok(report)
}
