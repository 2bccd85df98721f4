//! Freezes, thaws and seizures made through the program, as the audit and
//! the transparency page count them: which token accounts are frozen, how
//! much they hold, and how many of the actions cited a lawful order (by its
//! hash). Counts and accounts only: no personal data.
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, DisplayFromStr};
use solana_sdk::pubkey::Pubkey;

use crate::error::ClientError;
use crate::events::Usd1Event;
use crate::issuer::Usd1;
use crate::ledger::Ledger;

#[serde_as]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freezes {
    /// Token accounts frozen through the program and not thawed since.
    #[serde_as(as = "BTreeSet<DisplayFromStr>")]
    pub frozen: BTreeSet<Pubkey>,
    pub freezes: u64,
    /// Freezes whose event carries an order's SHA-256.
    pub freezes_citing_order: u64,
    pub thaws: u64,
    pub seizures: u64,
    pub seizures_citing_order: u64,
    /// Base units the frozen accounts hold now (set when reconciled with the chain).
    #[serde_as(as = "DisplayFromStr")]
    pub frozen_amount: u128,
}

fn cites(order: &[u8; 32]) -> bool {
    *order != [0; 32]
}

impl Freezes {
    /// Counts `event` if it is a freeze, thaw or seizure of `mint`.
    pub(crate) fn record(&mut self, mint: &Pubkey, event: &Usd1Event) {
        match event {
            Usd1Event::Frozen(e) if e.mint == *mint => {
                self.frozen.insert(e.token_account);
                self.freezes += 1;
                self.freezes_citing_order += u64::from(cites(&e.order_sha256));
            }
            Usd1Event::Thawed(e) if e.mint == *mint => {
                self.frozen.remove(&e.token_account);
                self.thaws += 1;
            }
            Usd1Event::Seized(e) if e.mint == *mint => {
                self.seizures += 1;
                self.seizures_citing_order += u64::from(cites(&e.order_sha256));
            }
            _ => {}
        }
    }
}

/// What the frozen accounts hold now (an account gone counts nothing).
pub(crate) async fn frozen_amount<L: Ledger + ?Sized>(
    usd1: &Usd1<L>,
    frozen: &BTreeSet<Pubkey>,
) -> Result<u128, ClientError> {
    let addresses: Vec<Pubkey> = frozen.iter().copied().collect();
    let accounts = usd1.ledger().get_multiple_accounts(&addresses).await?;
    let mut total = 0u128;
    for (address, account) in addresses.iter().zip(accounts) {
        if let Some(account) = account {
            let info = crate::accounts::decode_token_account(address, &account.data)?;
            total += u128::from(info.amount);
        }
    }
    Ok(total)
}
