//! `Usd1<L>`'s token transfers, as a wallet makes them: plain token-program
//! transfers that the USD1 program takes no part in.
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;

use super::Usd1;
use crate::error::ClientError;
use crate::instructions;
use crate::ledger::{Executed, Ledger};

impl<L: Ledger + ?Sized> Usd1<L> {
    /// Sends `amount` base units from `owner`'s account to `recipient`'s,
    /// creating the recipient's token account if missing.
    pub async fn transfer(
        &self,
        owner: &(dyn Signer + Sync),
        recipient: &Pubkey,
        amount: u64,
    ) -> Result<Executed, ClientError> {
        self.pay_request(owner, recipient, amount, &[], None).await
    }

    /// [`Self::transfer`] as a Solana Pay wallet makes it: each reference a
    /// read-only, non-signing key of the transfer instruction, the memo (if
    /// any) an SPL Memo instruction before it.
    pub async fn pay_request(
        &self,
        owner: &(dyn Signer + Sync),
        recipient: &Pubkey,
        amount: u64,
        references: &[Pubkey],
        memo: Option<&str>,
    ) -> Result<Executed, ClientError> {
        let mut transfer = instructions::transfer(
            &owner.pubkey(),
            &self.mint,
            recipient,
            &self.token_program,
            amount,
            self.decimals,
        )?;
        instructions::add_references(&mut transfer, references);
        let mut ixs = vec![self.create_token_account(recipient)];
        ixs.extend(memo.map(|text| instructions::memo(text, &owner.pubkey())));
        ixs.push(transfer);
        self.send(&ixs, &[owner]).await
    }

    /// [`Self::transfer`] from the account of an SPL Token multisig: its
    /// signing members sign (at least its threshold, the token program checks).
    pub async fn multisig_transfer(
        &self,
        multisig: &Pubkey,
        members: &[&(dyn Signer + Sync)],
        recipient: &Pubkey,
        amount: u64,
        references: &[Pubkey],
    ) -> Result<Executed, ClientError> {
        let keys: Vec<Pubkey> = members.iter().map(|m| m.pubkey()).collect();
        let mut transfer = instructions::multisig_transfer(
            multisig,
            &keys,
            &self.mint,
            recipient,
            &self.token_program,
            amount,
            self.decimals,
        )?;
        instructions::add_references(&mut transfer, references);
        let ixs = [self.create_token_account(recipient), transfer];
        self.send(&ixs, members).await
    }
}
