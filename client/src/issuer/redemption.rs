//! `Usd1<L>`'s disclosure, redemption and compliance operations.
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use usd1::instructions::{DisclosureArgs, LawfulBasis};

use super::Usd1;
use crate::accounts::{self, Disclosure, Redemption, RedemptionStatus};
use crate::error::ClientError;
use crate::ledger::{Executed, Ledger};
use crate::{instructions, pda};

impl<L: Ledger + ?Sized> Usd1<L> {
    // ---- disclosure and redemption ----

    pub async fn set_disclosure(
        &self,
        admin: &(dyn Signer + Sync),
        args: DisclosureArgs,
    ) -> Result<Executed, ClientError> {
        self.send_one(
            admin,
            instructions::set_disclosure(&admin.pubkey(), &self.mint, args),
        )
        .await
    }

    pub async fn disclosure(&self) -> Result<Disclosure, ClientError> {
        let address = pda::disclosure(&self.config_address());
        accounts::decode(&address, &self.account_data(&address).await?)
    }

    pub fn escrow_address(&self) -> Pubkey {
        pda::escrow(&self.config_address())
    }

    /// Escrows `amount` base units from the holder's associated token account;
    /// returns the new request's id.
    pub async fn request_redemption(
        &self,
        holder: &(dyn Signer + Sync),
        amount: u64,
        payout_ref_sha256: [u8; 32],
    ) -> Result<(u64, Executed), ClientError> {
        let id = self.config().await?.next_redemption_id;
        let source = self.token_account_of(&holder.pubkey());
        let ix = instructions::request_redemption(
            &holder.pubkey(),
            &self.mint,
            &source,
            &self.token_program,
            id,
            amount,
            payout_ref_sha256,
        );
        Ok((id, self.send_one(holder, ix).await?))
    }

    pub async fn settle_redemption(
        &self,
        treasurer: &(dyn Signer + Sync),
        id: u64,
        settlement_ref_sha256: [u8; 32],
    ) -> Result<Executed, ClientError> {
        let ix = instructions::settle_redemption(
            &treasurer.pubkey(),
            &self.mint,
            &self.token_program,
            id,
            settlement_ref_sha256,
        );
        self.send_one(treasurer, ix).await
    }

    /// Rejects request `id`, refunding the token account it came from — or,
    /// when that one can no longer hold this token (closed by its holder), the
    /// holder's associated token account, created if missing.
    pub async fn reject_redemption(
        &self,
        treasurer: &(dyn Signer + Sync),
        id: u64,
        reason_code: u16,
    ) -> Result<Executed, ClientError> {
        let redemption = self.redemption(id).await?;
        let refund_to = self.refund_account(&redemption).await?;
        let ix = instructions::reject_redemption(
            &treasurer.pubkey(),
            &self.mint,
            &self.token_program,
            id,
            &redemption.holder,
            &refund_to,
            reason_code,
        );
        self.send_one(treasurer, ix).await
    }

    /// Where a rejection of `redemption` refunds: its source while that is
    /// still a token account of this mint, else the holder's associated one.
    pub async fn refund_account(&self, redemption: &Redemption) -> Result<Pubkey, ClientError> {
        let source = redemption.source;
        Ok(if self.is_token_account_of_mint(&source).await? {
            source
        } else {
            self.token_account_of(&redemption.holder)
        })
    }

    pub async fn redemption(&self, id: u64) -> Result<Redemption, ClientError> {
        let address = pda::redemption(&self.config_address(), id);
        accounts::decode(&address, &self.account_data(&address).await?)
    }

    /// Every redemption ever requested (ids are dense), optionally of one
    /// status: the records read in one batch (`getMultipleAccounts`).
    pub async fn redemptions(
        &self,
        status: Option<RedemptionStatus>,
    ) -> Result<Vec<Redemption>, ClientError> {
        let count = self.config().await?.next_redemption_id;
        let ids: Vec<u64> = (0..count).collect();
        let mut all = self.redemptions_of(&ids).await?;
        all.retain(|r| status.is_none_or(|s| s == r.status));
        Ok(all)
    }

    /// The records of requests `ids`, in their order, read in one batch.
    pub async fn redemptions_of(&self, ids: &[u64]) -> Result<Vec<Redemption>, ClientError> {
        let config = self.config_address();
        let addresses: Vec<Pubkey> = ids.iter().map(|id| pda::redemption(&config, *id)).collect();
        let found = self.ledger.get_multiple_accounts(&addresses).await?;
        addresses
            .iter()
            .zip(found)
            .map(|(address, account)| {
                let account = account.ok_or(ClientError::AccountNotFound(*address))?;
                accounts::decode(address, &account.data)
            })
            .collect()
    }

    // ---- compliance ----

    /// Moves `amount` base units from token account `from` to token
    /// account `to`, citing `basis` (a reason code, or a code and an order's hash).
    pub async fn seize(
        &self,
        admin: &(dyn Signer + Sync),
        from: &Pubkey,
        to: &Pubkey,
        amount: u64,
        basis: impl Into<LawfulBasis>,
    ) -> Result<Executed, ClientError> {
        let ix = instructions::seize(
            &admin.pubkey(),
            &self.mint,
            from,
            to,
            &self.token_program,
            amount,
            basis.into(),
        );
        self.send_one(admin, ix).await
    }
}
