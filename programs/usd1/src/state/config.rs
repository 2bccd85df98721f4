//! `Config`: one per mint, PDA `["config", mint]`. It is the mint and freeze
//! authority and holds roles, attestors, policy and the latest attestation.
use anchor_lang::prelude::*;

use crate::constants::{
    BPS_DENOMINATOR, MAX_ATTESTATION_AGE_LIMIT, MAX_ATTESTORS, MAX_SUBMISSION_DELAY_LIMIT,
};
use crate::errors::Usd1Error;
use crate::state::AttestationRecord;

/// Token-2022 compliance options, chosen once at initialize.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct MintOptions {
    /// New token accounts start frozen until the freezer thaws them (allowlist).
    pub default_frozen: bool,
    /// The Config is permanent delegate, enabling `seize`.
    pub permanent_delegate: bool,
    /// The Config is the Pausable authority: `pause` also stops transfers.
    pub pausable: bool,
}

impl MintOptions {
    pub fn any(&self) -> bool {
        self.default_frozen || self.permanent_delegate || self.pausable
    }
}

/// Most supply (base units) an attested `reserve` allows under `margin_bps`:
/// `reserve × (10_000 − margin_bps) / 10_000`, rounded down, in u128. The
/// auditor recomputes every mint's ceiling with this same function.
pub fn mintable_ceiling(reserve: u64, margin_bps: u16) -> Result<u64> {
    let keep = u128::from(BPS_DENOMINATOR)
        .checked_sub(u128::from(margin_bps))
        .ok_or(Usd1Error::InvalidMargin)?;
    let ceiling = u128::from(reserve)
        .checked_mul(keep)
        .ok_or(Usd1Error::Overflow)?
        .checked_div(u128::from(BPS_DENOMINATOR))
        .ok_or(Usd1Error::Overflow)?;
    // ceiling ≤ reserve, which is a u64.
    u64::try_from(ceiling).map_err(|_| error!(Usd1Error::Overflow))
}

/// The roles an admin can hand out with `set_role`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum Role {
    Pauser,
    Freezer,
    Treasurer,
}

/// The seeds of a config's address, which the program signs as it with.
pub struct ConfigSigner {
    mint: Pubkey,
    bump: [u8; 1],
}

impl ConfigSigner {
    /// The Config of `mint`, at `bump`.
    pub fn new(mint: Pubkey, bump: u8) -> Self {
        Self { mint, bump: [bump] }
    }

    pub fn seeds(&self) -> [&[u8]; 3] {
        [
            crate::constants::CONFIG_SEED,
            self.mint.as_ref(),
            &self.bump,
        ]
    }
}

/// [`MintOptions`] as the Config stores them: one byte each, 0 or 1, so the
/// Config is plain bytes (see [`Config`]).
#[zero_copy]
#[derive(InitSpace, Debug, Default, PartialEq, Eq)]
pub struct StoredMintOptions {
    pub default_frozen: u8,
    pub permanent_delegate: u8,
    pub pausable: u8,
}

impl From<MintOptions> for StoredMintOptions {
    fn from(options: MintOptions) -> Self {
        Self {
            default_frozen: u8::from(options.default_frozen),
            permanent_delegate: u8::from(options.permanent_delegate),
            pausable: u8::from(options.pausable),
        }
    }
}

impl From<StoredMintOptions> for MintOptions {
    fn from(stored: StoredMintOptions) -> Self {
        Self {
            default_frozen: stored.default_frozen != 0,
            permanent_delegate: stored.permanent_delegate != 0,
            pausable: stored.pausable != 0,
        }
    }
}

/// The Config is read in place (zero-copy, `AccountLoader`), never decoded
/// whole: every instruction reads it and most change a counter, and a Borsh
/// decode and re-encode of its 680 bytes cost about 5,800 CU on SBF (issue
/// 39). Fields are laid out so that each sits at its natural alignment with
/// no implicit padding (`bytemuck::Pod` refuses the type otherwise), so its
/// memory layout is also its Borsh encoding, which the IDL's clients decode.
/// Flags are bytes, 0 or 1 (`bool` is not plain bytes); read them through
/// [`Config::is_paused`], [`Config::is_latest_retired`], [`Config::options`].
#[account(zero_copy)]
#[derive(InitSpace, Debug)]
pub struct Config {
    /// Layout version of this account.
    pub version: u8,
    pub bump: u8,
    /// Bump of the `AttestationHistory` PDA.
    pub history_bump: u8,
    /// Bump of the redemption escrow token account.
    pub escrow_bump: u8,
    pub decimals: u8,
    /// Token-2022 compliance options, chosen at initialize.
    pub options: StoredMintOptions,
    pub mint: Pubkey,
    /// SPL Token or Token-2022, fixed at initialize.
    pub token_program: Pubkey,
    /// The Config-owned token account that holds tokens awaiting redemption
    /// (`["escrow", config]`), kept so that no instruction derives it again.
    pub escrow: Pubkey,
    pub admin: Pubkey,
    /// Proposed admin awaiting `accept_admin`; default when none.
    pub pending_admin: Pubkey,
    pub pauser: Pubkey,
    pub freezer: Pubkey,
    pub treasurer: Pubkey,
    /// Registered attestors; only the first `attestor_count` are meaningful, the rest are default.
    pub attestors: [Pubkey; MAX_ATTESTORS],
    pub attestor_count: u8,
    /// Distinct attestor signatures an attestation needs (M of N).
    pub threshold: u8,
    /// 1 while paused.
    pub paused: u8,
    /// 1 when the attestor set that signed `latest` was replaced (without
    /// `keep_latest`): no mint against it until the new set attests.
    pub latest_retired: u8,
    /// Bumped on every attestor-set change.
    pub attestor_epoch: u32,
    /// Seconds an attestation stays good for minting.
    pub max_attestation_age: i64,
    /// Seconds after its `as_of` an attestation may still be submitted.
    pub max_submission_delay: i64,
    /// Share of the attested reserve (basis points) that may not be minted against.
    pub margin_bps: u16,
    pub _padding: [u8; 6],
    /// The latest accepted attestation; `seq == 0` means none yet.
    pub latest: AttestationRecord,
    /// Cumulative base units minted and burned (by minters) through this program.
    pub total_minted: u64,
    pub total_burned: u64,
    /// Id the next redemption request gets; also the number ever made.
    pub next_redemption_id: u64,
    /// Requests awaiting settlement or rejection, and the base units they hold in escrow.
    pub pending_redemptions: u64,
    pub escrowed_amount: u64,
    /// Cumulative base units burned by settled redemptions.
    pub total_redeemed: u64,
}

// `request_redemption` takes the Config as Anchor's `Account`.
crate::state::plain_account!(Config);

impl Config {
    /// 2: read in place (zero-copy), the escrow's address kept.
    pub const VERSION: u8 = 2;

    pub fn is_paused(&self) -> bool {
        self.paused != 0
    }

    pub fn is_latest_retired(&self) -> bool {
        self.latest_retired != 0
    }

    pub fn options(&self) -> MintOptions {
        self.options.into()
    }

    /// What the program signs as this config with (mint and freeze
    /// authority), copied out so that no borrow of the account is held
    /// across the CPI it signs.
    pub fn signer(&self) -> ConfigSigner {
        ConfigSigner::new(self.mint, self.bump)
    }

    /// The roles still held by `key`.
    pub fn roles_held_by(&self, key: &Pubkey) -> impl Iterator<Item = Role> + '_ {
        let key = *key;
        [Role::Pauser, Role::Freezer, Role::Treasurer]
            .into_iter()
            .filter(move |role| self.role_holder(*role) == key)
    }

    pub fn attestors(&self) -> &[Pubkey] {
        &self.attestors[..usize::from(self.attestor_count).min(MAX_ATTESTORS)]
    }

    /// Position of `key` in the registered attestor set.
    pub fn attestor_index(&self, key: &Pubkey) -> Option<usize> {
        self.attestors().iter().position(|a| a == key)
    }

    pub fn role_holder(&self, role: Role) -> Pubkey {
        match role {
            Role::Pauser => self.pauser,
            Role::Freezer => self.freezer,
            Role::Treasurer => self.treasurer,
        }
    }

    pub fn set_role_holder(&mut self, role: Role, holder: Pubkey) {
        match role {
            Role::Pauser => self.pauser = holder,
            Role::Freezer => self.freezer = holder,
            Role::Treasurer => self.treasurer = holder,
        }
    }

    /// Most supply (base units) the latest attestation allows (see [`mintable_ceiling`]).
    pub fn mintable_ceiling(&self) -> Result<u64> {
        mintable_ceiling(self.latest.reserve_amount, self.margin_bps)
    }

    /// Books a new pending redemption of `amount` base units; returns its id.
    pub fn open_redemption(&mut self, amount: u64) -> Result<u64> {
        let id = self.next_redemption_id;
        self.next_redemption_id = id.checked_add(1).ok_or(Usd1Error::Overflow)?;
        self.pending_redemptions = self
            .pending_redemptions
            .checked_add(1)
            .ok_or(Usd1Error::Overflow)?;
        self.escrowed_amount = self
            .escrowed_amount
            .checked_add(amount)
            .ok_or(Usd1Error::Overflow)?;
        Ok(id)
    }

    /// Books a pending redemption of `amount` as closed: settled (its escrow
    /// burned) or rejected (refunded).
    pub fn close_redemption(&mut self, amount: u64, settled: bool) -> Result<()> {
        self.pending_redemptions = self
            .pending_redemptions
            .checked_sub(1)
            .ok_or(Usd1Error::NoPendingRedemptions)?;
        self.escrowed_amount = self
            .escrowed_amount
            .checked_sub(amount)
            .ok_or(Usd1Error::EscrowShortfall)?;
        if settled {
            self.total_redeemed = self
                .total_redeemed
                .checked_add(amount)
                .ok_or(Usd1Error::Overflow)?;
        }
        Ok(())
    }

    pub fn invariant(&self) -> Result<()> {
        require!(
            usize::from(self.attestor_count) <= MAX_ATTESTORS,
            Usd1Error::InvalidAttestorCount
        );
        require!(
            self.threshold <= self.attestor_count,
            Usd1Error::InvalidThreshold
        );
        let set = self.attestors();
        for (i, key) in set.iter().enumerate() {
            require_keys_neq!(*key, Pubkey::default(), Usd1Error::DefaultPubkey);
            require!(!set[..i].contains(key), Usd1Error::DuplicateAttestor);
        }
        require!(
            self.attestors[set.len()..]
                .iter()
                .all(|k| *k == Pubkey::default()),
            Usd1Error::InvalidAttestorCount
        );
        require!(
            self.max_attestation_age > 0 && self.max_attestation_age <= MAX_ATTESTATION_AGE_LIMIT,
            Usd1Error::InvalidMaxAge
        );
        require!(self.margin_bps <= BPS_DENOMINATOR, Usd1Error::InvalidMargin);
        require!(
            self.max_submission_delay > 0
                && self.max_submission_delay <= MAX_SUBMISSION_DELAY_LIMIT,
            Usd1Error::InvalidSubmissionDelay
        );
        require!(
            !self.is_latest_retired() || self.latest.seq > 0,
            Usd1Error::NoAttestation
        );
        require!(
            self.pending_redemptions <= self.next_redemption_id,
            Usd1Error::PendingExceedsRequested
        );
        require!(
            (self.pending_redemptions == 0) == (self.escrowed_amount == 0),
            Usd1Error::EscrowBookMismatch
        );
        for holder in [self.admin, self.pauser, self.freezer, self.treasurer] {
            require_keys_neq!(holder, Pubkey::default(), Usd1Error::DefaultPubkey);
        }
        Ok(())
    }
}
