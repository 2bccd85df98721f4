//! `seize`: on a mint initialized with the permanent-delegate option, the admin
//! moves tokens out of an account (typically a frozen one, by court order):
//! thaw, move, refreeze — with a reason code on the record.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenAccount, TokenInterface};

use crate::errors::Usd1Error;
use crate::events::{publish, Seized};
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeizeArgs {
    /// Base units.
    pub amount: u64,
    /// The issuer's reason, recorded in the event.
    pub reason_code: u16,
    /// SHA-256 of the lawful order or case file carried out; zero for none.
    pub order_sha256: [u8; 32],
}

#[event_cpi]
#[derive(Accounts)]
pub struct Seize<'info> {
    pub admin: Signer<'info>,
    #[account(
        has_one = admin @ Usd1Error::NotAdmin,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: AccountLoader<'info, Config>,
    /// CHECK: the Config's mint (`has_one = mint`), made at `initialize`;
    /// only the token program reads or writes it, in the CPI.
    pub mint: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = from.mint == mint.key() @ Usd1Error::WrongMint,
        token::token_program = token_program,
    )]
    pub from: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = to.mint == mint.key() @ Usd1Error::WrongMint,
        token::token_program = token_program,
    )]
    pub to: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl Seize<'_> {
    pub fn validate(ctx: &Context<Self>, args: &SeizeArgs) -> Result<()> {
        let amount = args.amount;
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        let accounts = &ctx.accounts;
        let config = accounts.config.load()?;
        require!(
            config.options().permanent_delegate,
            Usd1Error::SeizeNotEnabled
        );
        require!(amount > 0, Usd1Error::ZeroAmount);
        // `from == to` never gets here: Anchor refuses a writable account named twice.
        require_keys_neq!(
            accounts.from.key(),
            config.escrow,
            Usd1Error::EscrowProtected
        );
        require!(!accounts.to.is_frozen(), Usd1Error::DestinationFrozen);
        require!(
            !config.is_paused() || !config.options().pausable,
            Usd1Error::TransfersPaused
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<Seize>, args: SeizeArgs) -> Result<()> {
    let SeizeArgs {
        amount,
        reason_code,
        order_sha256,
    } = args;
    let accounts = &ctx.accounts;
    let (config_signer, decimals) = {
        let config = accounts.config.load()?;
        (config.signer(), config.decimals)
    };
    let seeds = config_signer.seeds();
    let signer: &[&[&[u8]]] = &[&seeds];
    let program = accounts.token_program.key();
    let (from, mint, config) = (
        accounts.from.to_account_info(),
        accounts.mint.to_account_info(),
        accounts.config.to_account_info(),
    );
    let refrozen = accounts.from.is_frozen();
    if refrozen {
        let thaw = token_interface::ThawAccount {
            account: from.clone(),
            mint: mint.clone(),
            authority: config.clone(),
        };
        token_interface::thaw_account(CpiContext::new_with_signer(program, thaw, signer))?;
    }
    // The Config is the mint's permanent delegate, so it may move any holder's tokens.
    let transfer = token_interface::TransferChecked {
        from: from.clone(),
        mint: mint.clone(),
        to: accounts.to.to_account_info(),
        authority: config.clone(),
    };
    token_interface::transfer_checked(
        CpiContext::new_with_signer(program, transfer, signer),
        amount,
        decimals,
    )?;
    if refrozen {
        let freeze = token_interface::FreezeAccount {
            account: from,
            mint,
            authority: config,
        };
        token_interface::freeze_account(CpiContext::new_with_signer(program, freeze, signer))?;
    }
    let event = Seized {
        mint: accounts.mint.key(),
        admin: accounts.admin.key(),
        from: accounts.from.key(),
        to: accounts.to.key(),
        amount,
        reason_code,
        order_sha256,
        refrozen,
    };
    publish!(ctx, event);
    Ok(())
}
