//! One file per instruction: accounts struct, its validation, its handler.
// Every file has a `handler`, always called by its full path; the globs exist
// because Anchor's generated client-account modules must reach the crate root.
#![allow(ambiguous_glob_reexports)]
pub mod accept_admin;
pub mod attest;
pub mod burn;
pub mod cancel_admin_proposal;
pub mod configure_minter;
pub mod freeze;
pub mod initialize;
pub mod mint_to;
pub mod pause;
pub mod propose_admin;
pub mod reject_redemption;
pub mod remove_minter;
pub mod request_redemption;
pub mod seize;
pub mod set_attestors;
pub mod set_disclosure;
pub mod set_policy;
pub mod set_role;
pub mod settle_redemption;

pub use accept_admin::*;
pub use attest::*;
pub use burn::*;
pub use cancel_admin_proposal::*;
pub use configure_minter::*;
pub use freeze::*;
pub use initialize::*;
pub use mint_to::*;
pub use pause::*;
pub use propose_admin::*;
pub use reject_redemption::*;
pub use remove_minter::*;
pub use request_redemption::*;
pub use seize::*;
pub use set_attestors::*;
pub use set_disclosure::*;
pub use set_policy::*;
pub use set_role::*;
pub use settle_redemption::*;

use anchor_lang::prelude::*;

use crate::errors::Usd1Error;

/// No instruction of this program reads `remaining_accounts`; refuse them so
/// that nobody can believe an extra account was checked.
pub(crate) fn refuse_remaining_accounts(remaining: &[AccountInfo]) -> Result<()> {
    require!(remaining.is_empty(), Usd1Error::UnexpectedRemainingAccounts);
    Ok(())
}

/// Anyone may send tokens to the escrow, so it may hold more than the pending
/// requests, never less. Reloads the escrow after the CPI that moved tokens.
pub(crate) fn check_escrow_covers(
    escrow: &mut InterfaceAccount<anchor_spl::token_interface::TokenAccount>,
    config: &crate::state::Config,
) -> Result<()> {
    escrow.reload()?;
    require!(
        escrow.amount >= config.escrowed_amount,
        Usd1Error::EscrowShortfall
    );
    Ok(())
}
