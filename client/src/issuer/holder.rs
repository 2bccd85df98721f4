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
        let decimals = self.decimals;
        let ixs = [
            self.create_token_account(recipient),
            instructions::transfer(
                &owner.pubkey(),
                &self.mint,
                recipient,
                &self.token_program,
                amount,
                decimals,
            )?,
        ];
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
    ) -> Result<Executed, ClientError> {
        let keys: Vec<Pubkey> = members.iter().map(|m| m.pubkey()).collect();
        let ixs = [
            self.create_token_account(recipient),
            instructions::multisig_transfer(
                multisig,
                &keys,
                &self.mint,
                recipient,
                &self.token_program,
                amount,
                self.decimals,
            )?,
        ];
        self.send(&ixs, members).await
    }
}
