//! The mint pass: every ready deposit minted to its customer's wallet
//! through the program, with the deposit's reference hash in a memo of the
//! same transaction, exactly once. The program decides: a deposit the
//! attested reserve does not cover waits (`awaiting_reserve`) and is minted
//! by a later pass once an attestation covers it; the desk's minter is held
//! to its own allowance and rate limit on-chain. Each transaction is
//! recorded before it is sent; a pass after a crash asks the chain what
//! became of it before anything is signed again.
use std::collections::HashSet;

use serde::Serialize;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use solana_sdk::transaction::Transaction;
use usd1::errors::Usd1Error;
use usd1_client::error::ClientError;
use usd1_client::issuer::Usd1;
use usd1_client::ledger::Ledger;
use usd1_client::send_journal::{self, Attempt, Outcome};
use usd1_client::{instructions, size};

use crate::decide::{self, State};
use crate::store::deposits::Deposit;
use crate::store::{Store, StoreError};

/// Mint transactions a pass has out at once (each recorded before it leaves).
const IN_FLIGHT: usize = 8;

/// Deposits one mint transaction carries at most (each its own `mint_to`
/// and memo; fewer when they would not fit in a packet).
const PER_TX: usize = 8;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pass {
    /// Deposits minted, with their transaction's signature.
    pub minted: Vec<(String, String)>,
    /// Deposits the reserve does not cover yet.
    pub awaiting_reserve: Vec<String>,
    /// Deposits whose mint is out and may still land: not signed again.
    pub still_out: Vec<String>,
    /// Why the pass stopped early (the minter's allowance or rate limit).
    pub stopped: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chain(#[from] ClientError),
}

/// The desk's minter: its store, the mint, and the key the program knows as a minter.
pub struct Minter<L: Ledger + ?Sized> {
    pub store: Store,
    pub usd1: Usd1<L>,
    /// A keypair file, or a key in an HSM or a vault.
    pub key: usd1_client::signing::SharedSigner,
    /// Deposits above this (base units) wait for a second operator.
    pub four_eyes_above: u64,
}

impl<L: Ledger + ?Sized> Minter<L> {
    /// One pass: resume what a crash left out, then mint what is ready, oldest first.
    pub async fn pass(&self) -> Result<Pass, PassError> {
        let mut pass = Pass::default();
        self.store.recheck_waiting(self.four_eyes_above).await?;
        self.resume(&mut pass).await?;
        let config = self.usd1.config().await?;
        let ceiling = config.mintable_ceiling().unwrap_or(0);
        let mut supply = self.usd1.mint_info().await?.supply;
        let mut queue = self.store.mintable().await?.into_iter();
        // A customer's wallet, read once a pass, and whether its token
        // account exists.
        let mut wallets: std::collections::HashMap<String, Option<String>> = Default::default();
        let (mut existing, mut absent) = (HashSet::new(), HashSet::new());
        loop {
            // Up to IN_FLIGHT transactions, each of up to PER_TX deposits
            // (and what fits in a packet), every deposit claimed and its
            // attempt recorded before any of them leaves.
            let mut out: Vec<(Vec<(Deposit, String)>, Transaction)> = Vec::new();
            let mut group: Vec<(Deposit, String)> = Vec::new();
            let mut claimed: u64 = 0;
            let mut drained = false;
            while out.len() < IN_FLIGHT {
                let Some(deposit) = queue.next() else {
                    drained = true;
                    break;
                };
                let Some(customer) = &deposit.customer_id else {
                    continue;
                };
                let wallet = match wallets.get(customer) {
                    Some(known) => known.clone(),
                    None => {
                        let found = self.store.mint_wallet(customer).await?;
                        wallets.insert(customer.clone(), found.clone());
                        found
                    }
                };
                let Some(wallet) = wallet else {
                    continue;
                };
                // Whether its token account is there already (then not created again).
                if let Ok(owner) = wallet.parse::<Pubkey>() {
                    if !existing.contains(&owner) && !absent.contains(&owner) {
                        let account = self.usd1.token_account_of(&owner);
                        match self.usd1.ledger().get_account(&account).await? {
                            Some(_) => existing.insert(owner),
                            None => absent.insert(owner),
                        };
                    }
                }
                let after_claimed = supply.saturating_add(claimed);
                if !decide::reserve_covers(deposit.amount, after_claimed, ceiling) {
                    let room = ceiling.saturating_sub(after_claimed);
                    self.store
                        .await_reserve(
                            &deposit.id,
                            &format!(
                                "the attested reserve allows {} more; this deposit is {}",
                                usd1_client::format_dollars(u128::from(room), 6),
                                usd1_client::format_dollars(u128::from(deposit.amount), 6)
                            ),
                        )
                        .await?;
                    pass.awaiting_reserve.push(deposit.id.clone());
                    continue;
                }
                claimed = claimed.saturating_add(deposit.amount);
                group.push((deposit, wallet));
                if group.len() > 1 && !self.fits(&group, &existing)? {
                    let last = group.pop().expect("a deposit");
                    self.claim(std::mem::take(&mut group), &existing, &mut out)
                        .await?;
                    group.push(last);
                } else if group.len() == PER_TX {
                    self.claim(std::mem::take(&mut group), &existing, &mut out)
                        .await?;
                }
            }
            if !group.is_empty() {
                self.claim(group, &existing, &mut out).await?;
            }
            if out.is_empty() {
                if drained {
                    break;
                }
                continue;
            }
            let ledger = self.usd1.ledger();
            let sent = futures::future::join_all(
                out.iter().map(|(_, tx)| ledger.send_and_confirm_quiet(tx)),
            )
            .await;
            let mut stop = false;
            for ((deposits, _), result) in out.iter().zip(sent) {
                if let Ok(signature) = &result {
                    for (_, wallet) in deposits {
                        if let Ok(owner) = wallet.parse::<Pubkey>() {
                            absent.remove(&owner);
                            existing.insert(owner);
                        }
                    }
                    let ids: Vec<&str> = deposits.iter().map(|(d, _)| d.id.as_str()).collect();
                    let at = crate::reconcile::landed_at(&self.usd1, signature).await;
                    self.store
                        .record_minted_all(&ids, &signature.to_string(), at)
                        .await?;
                }
                for (deposit, _) in deposits {
                    match &result {
                        Ok(signature) => {
                            supply = supply.saturating_add(deposit.amount);
                            pass.minted
                                .push((deposit.id.clone(), signature.to_string()));
                        }
                        Err(error) => match refusal(error) {
                            Some((State::AwaitingReserve, why)) => {
                                self.store
                                    .mint_failed(&deposit.id, State::AwaitingReserve, &why)
                                    .await?;
                                pass.awaiting_reserve.push(deposit.id.clone());
                            }
                            Some((state, why)) => {
                                self.store.mint_failed(&deposit.id, state, &why).await?;
                                pass.stopped = Some(why);
                                stop = true;
                            }
                            // Its fate is unknown: the next pass asks the chain.
                            None => {
                                pass.still_out.push(deposit.id.clone());
                                pass.stopped = Some(error.to_string());
                                stop = true;
                            }
                        },
                    }
                }
            }
            if stop || drained {
                break;
            }
        }
        Ok(pass)
    }

    /// The instructions minting `group`: for each deposit its wallet's
    /// token account (created once per transaction, if missing), its
    /// `mint_to` and its memo, in that order, so each `Minted` event is
    /// followed by the memo naming its deposit.
    fn instructions(
        &self,
        group: &[(Deposit, String)],
        existing: &HashSet<Pubkey>,
    ) -> Result<Vec<Instruction>, StoreError> {
        let mut created = HashSet::new();
        let mut ixs = Vec::new();
        for (deposit, wallet) in group {
            let owner: Pubkey = wallet
                .parse()
                .map_err(|_| StoreError::Malformed(format!("wallet {wallet}")))?;
            if !existing.contains(&owner) && created.insert(owner) {
                ixs.push(self.usd1.create_token_account(&owner));
            }
            ixs.push(instructions::mint_to(
                &self.key.pubkey(),
                &self.usd1.mint(),
                &self.usd1.token_account_of(&owner),
                &self.usd1.token_program(),
                deposit.amount,
            ));
            ixs.push(instructions::memo(&deposit.memo(), &self.key.pubkey()));
        }
        Ok(ixs)
    }

    /// Whether one transaction minting `group` fits in a packet.
    fn fits(
        &self,
        group: &[(Deposit, String)],
        existing: &HashSet<Pubkey>,
    ) -> Result<bool, PassError> {
        let tx = self
            .usd1
            .unsigned_transaction(&self.instructions(group, existing)?);
        Ok(size::transaction_size(&tx) <= size::PACKET_DATA_SIZE)
    }

    /// Signs `group`'s transaction and claims its deposits with the attempt
    /// recorded (all, or none when another desk claimed one first).
    async fn claim(
        &self,
        group: Vec<(Deposit, String)>,
        existing: &HashSet<Pubkey>,
        out: &mut Vec<(Vec<(Deposit, String)>, Transaction)>,
    ) -> Result<(), PassError> {
        let tx = self
            .usd1
            .prepare(&self.instructions(&group, existing)?, &[self.key.as_ref()])
            .await?;
        let attempt = Attempt::sent_through(self.usd1.ledger().as_ref(), &tx);
        let ids: Vec<(&str, &str)> = group
            .iter()
            .map(|(d, w)| (d.id.as_str(), w.as_str()))
            .collect();
        if self.store.record_mint_attempts(&ids, &attempt).await? {
            out.push((group, tx));
        }
        Ok(())
    }

    /// Deposits left `minting` (by a crash, or an answer that never came):
    /// minted if one of their transactions landed, mintable again if none can.
    async fn resume(&self, pass: &mut Pass) -> Result<(), PassError> {
        for deposit in self.store.deposits(Some(State::Minting)).await? {
            let attempts = self.store.mint_attempts(&deposit.id).await?;
            match send_journal::outcome(self.usd1.ledger().as_ref(), &attempts).await? {
                Outcome::Landed(signature) => {
                    let at = crate::reconcile::landed_at(&self.usd1, &signature).await;
                    self.store
                        .record_minted(&deposit.id, &signature.to_string(), at)
                        .await?;
                    pass.minted
                        .push((deposit.id.clone(), signature.to_string()));
                }
                Outcome::CannotLand => {
                    self.store
                        .mint_failed(
                            &deposit.id,
                            State::Ready,
                            "its mint did not land and can no longer land; it is signed again",
                        )
                        .await?;
                }
                Outcome::MayStillLand => pass.still_out.push(deposit.id.clone()),
            }
        }
        Ok(())
    }
}

/// What a refusal by the chain means for the deposit: the state it goes
/// back to and why, or None when the transaction's fate is unknown.
fn refusal(error: &ClientError) -> Option<(State, String)> {
    if let ClientError::Expired { .. } = error {
        return Some((State::Ready, error.to_string()));
    }
    let failure = error.failure()?;
    let why = error.to_string();
    Some(match failure.usd1_error() {
        Some(
            Usd1Error::ReserveExceeded
            | Usd1Error::StaleAttestation
            | Usd1Error::NoAttestation
            | Usd1Error::AttestationRetired,
        ) => (State::AwaitingReserve, why),
        _ => (State::Ready, why),
    })
}
