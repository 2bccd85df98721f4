//! The payout pass: redemptions requested on-chain taken once, paid as a
//! bank payment (pain.001) to the customer's linked account, and settled or
//! rejected on-chain by what the bank answered — exactly once. A payment
//! run is recorded before its file is written, so after a crash the very
//! same file (same MsgId, same EndToEndIds) is written again, never a
//! second one; each settle or reject transaction is recorded before it is
//! sent and resumed from the chain.
use std::path::PathBuf;

use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use usd1::state::RedemptionStatus;
use usd1_client::bank::pain001::{self, Debtor, Run};
use usd1_client::instructions;
use usd1_client::issuer::Usd1;
use usd1_client::ledger::Ledger;
use usd1_client::send_journal::{self, Attempt, Outcome};

use crate::decide::redeem::Stage;
use crate::mint::PassError;
use crate::store::redemptions::{Redemption, Requested};
use crate::store::{Store, StoreError};

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PayoutPass {
    /// Requests taken, and where each now stands.
    pub taken: Vec<(u64, Stage)>,
    /// Payment files written (their MsgId).
    pub files: Vec<String>,
    /// Redemptions settled or rejected on-chain, with the transaction.
    pub resolved: Vec<(u64, String)>,
    /// Settlements out whose fate is not known yet.
    pub still_out: Vec<u64>,
    /// Redemptions the chain shows settled or rejected by someone else,
    /// recorded as it has them (never paid by the desk).
    pub resolved_outside: Vec<(u64, Stage)>,
}

pub struct Payer<L: Ledger + ?Sized> {
    pub store: Store,
    pub usd1: Usd1<L>,
    /// The key the program knows as the treasurer (settles and rejects).
    /// A keypair file, or a key in an HSM or a vault.
    pub treasurer: usd1_client::signing::SharedSigner,
    /// The issuer's account the payments are made from.
    pub debtor: Debtor,
    /// Where the bank takes payment files from (its host-to-host inbox).
    pub outbox: PathBuf,
}

impl<L: Ledger + ?Sized> Payer<L> {
    pub async fn pass(&self) -> Result<PayoutPass, PassError> {
        let mut pass = PayoutPass::default();
        self.take(&mut pass).await?;
        self.store.recheck_held_redemptions().await?;
        self.pay(&mut pass).await?;
        self.resolve(&mut pass).await?;
        Ok(pass)
    }

    /// New requests, from the desk's cursor to the program's next id.
    async fn take(&self, pass: &mut PayoutPass) -> Result<(), PassError> {
        let next = self.usd1.config().await?.next_redemption_id;
        let from = self.store.redemption_cursor().await?;
        if from >= next {
            return Ok(());
        }
        let mut requests = Vec::new();
        for id in from..next {
            let on_chain = self.usd1.redemption(id).await?;
            if on_chain.status == RedemptionStatus::Pending {
                requests.push(Requested {
                    id,
                    holder: on_chain.holder.to_string(),
                    amount: on_chain.amount,
                    fee: on_chain.fee,
                    requested_at: on_chain.requested_at,
                });
            }
        }
        pass.taken = self.store.take_redemptions(&requests, next).await?;
        Ok(())
    }

    /// Writes what a crash left unwritten, then the next run: of what is
    /// due, only what the chain still holds pending.
    async fn pay(&self, pass: &mut PayoutPass) -> Result<(), PassError> {
        let due: Vec<u64> = self
            .store
            .redemptions(Some(Stage::PaymentDue))
            .await?
            .iter()
            .map(|r| r.id)
            .collect();
        for on_chain in self.usd1.redemptions_of(&due).await? {
            self.unless_pending(on_chain, pass).await?;
        }
        let (date, at) = chrono_now();
        // Recorded now, written below with any a crash left unwritten.
        self.store
            .plan_payment_run(&self.debtor, &date, &at)
            .await?;
        for run in self.store.unwritten_runs(&self.debtor).await? {
            let message_id = self.write(&run)?;
            self.store.run_written(&message_id).await?;
            pass.files.push(message_id);
        }
        Ok(())
    }

    /// Writes `run`'s file into the outbox, whole or not at all.
    fn write(&self, run: &Run) -> Result<String, PassError> {
        let xml =
            pain001::write(run).map_err(|e| StoreError::Malformed(format!("payment run: {e}")))?;
        let message_id = pain001::message_id(run);
        let path = self.outbox.join(format!("{message_id}.xml"));
        let partial = path.with_extension("partial");
        std::fs::write(&partial, &xml)
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| StoreError::Malformed(format!("cannot write {}: {e}", path.display())))?;
        Ok(message_id)
    }

    /// Settles what the bank paid and rejects what it refused, on-chain.
    async fn resolve(&self, pass: &mut PayoutPass) -> Result<(), PassError> {
        let mut open = self.store.redemptions(Some(Stage::Settling)).await?;
        open.extend(self.store.redemptions(Some(Stage::Rejecting)).await?);
        for redemption in open {
            let attempts = self.store.chain_attempts(redemption.id).await?;
            if !attempts.is_empty() {
                match send_journal::outcome(self.usd1.ledger().as_ref(), &attempts).await? {
                    Outcome::Landed(signature) => {
                        let at = crate::reconcile::landed_at(&self.usd1, &signature).await;
                        self.store
                            .record_resolved(redemption.id, &signature.to_string(), at)
                            .await?;
                        pass.resolved.push((redemption.id, signature.to_string()));
                        continue;
                    }
                    Outcome::MayStillLand => {
                        pass.still_out.push(redemption.id);
                        continue;
                    }
                    Outcome::CannotLand => {}
                }
            }
            // Settled or rejected by someone else meanwhile: the chain says which.
            let on_chain = self.usd1.redemption(redemption.id).await?;
            let Some(on_chain) = self.unless_pending(on_chain, pass).await? else {
                continue;
            };
            let ix = self.instruction(&redemption, &on_chain).await?;
            let tx = self.usd1.prepare(&[ix], &[self.treasurer.as_ref()]).await?;
            let attempt = Attempt::sent_through(self.usd1.ledger().as_ref(), &tx);
            let action = redemption.stage.as_str();
            self.store
                .record_chain_attempt(redemption.id, action, &attempt)
                .await?;
            match self.usd1.ledger().send_and_confirm_quiet(&tx).await {
                Ok(signature) => {
                    let at = crate::reconcile::landed_at(&self.usd1, &signature).await;
                    self.store
                        .record_resolved(redemption.id, &signature.to_string(), at)
                        .await?;
                    pass.resolved.push((redemption.id, signature.to_string()));
                }
                Err(error) if error.failure().is_some() => return Err(error.into()),
                Err(_) => pass.still_out.push(redemption.id),
            }
        }
        Ok(())
    }

    /// The request as the chain holds it while it is pending; settled or
    /// rejected by someone else, it is recorded so and `None`.
    async fn unless_pending(
        &self,
        on_chain: usd1::state::Redemption,
        pass: &mut PayoutPass,
    ) -> Result<Option<usd1::state::Redemption>, PassError> {
        if on_chain.status == RedemptionStatus::Pending {
            return Ok(Some(on_chain));
        }
        let (id, settled) = (on_chain.id, on_chain.status == RedemptionStatus::Settled);
        if let Some(stage) = self.store.record_resolved_outside(id, settled).await? {
            pass.resolved_outside.push((id, stage));
        }
        Ok(None)
    }

    async fn instruction(
        &self,
        redemption: &Redemption,
        on_chain: &usd1::state::Redemption,
    ) -> Result<solana_sdk::instruction::Instruction, PassError> {
        let treasurer = self.treasurer.pubkey();
        Ok(match redemption.stage {
            Stage::Settling => {
                let reference = redemption.bank_reference.clone().unwrap_or_default();
                instructions::settle_redemption(
                    &treasurer,
                    &self.usd1.mint(),
                    &self.usd1.token_program(),
                    redemption.id,
                    usd1_client::sha256(reference.as_bytes()),
                )
            }
            _ => {
                let refund: Pubkey = self.usd1.refund_account(on_chain).await?;
                instructions::reject_redemption(
                    &treasurer,
                    &self.usd1.mint(),
                    &self.usd1.token_program(),
                    redemption.id,
                    &on_chain.holder,
                    &refund,
                    redemption.reason_code.unwrap_or(9),
                )
            }
        })
    }
}

/// Today's date and the time now, as a payment file states them (UTC).
fn chrono_now() -> (String, String) {
    let now = usd1_service::store::now();
    let at = usd1_service::store::iso8601(now);
    (at[..10].to_string(), at)
}
