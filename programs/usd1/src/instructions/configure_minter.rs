//! `configure_minter`: the admin enables a minter (creating its allowance PDA
//! on first use, at the bump passed in: `pda`), sets what it may still mint,
//! and its rate limit: a capacity that refills linearly to `window_cap` over
//! `window_secs` (0: none), like FiatToken's allowance plus Ondo's decaying
//! mint capacity.
use anchor_lang::prelude::*;

use crate::constants::{MAX_RATE_WINDOW_SECS, MINTER_SEED};
use crate::errors::Usd1Error;
use crate::events::{publish, MinterConfigured};
use crate::instructions::refuse_remaining_accounts;
use crate::pda::{self, NewAccount};
use crate::state::{Config, MinterAllowance};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConfigureMinterArgs {
    /// Base units the minter may still mint.
    pub allowance: u64,
    /// Seconds over which the capacity refills to `window_cap`; 0 = no rate limit.
    pub window_secs: u32,
    /// Base units; 0 with `window_secs` 0.
    pub window_cap: u64,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: ConfigureMinterArgs, allowance_bump: u8)]
pub struct ConfigureMinter<'info> {
    /// Pays for the allowance account the first time.
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
    /// CHECK: only its key is used, as the minter's identity and PDA seed.
    pub minter: UncheckedAccount<'info>,
    /// The minter's allowance: read if the program made it, else created
    /// here at the bump the admin passes, which must be the canonical one
    /// (`pda`: no search on any call).
    /// CHECK: address by `seeds` and bump; owner, type by `pda::existing_or_create`.
    #[account(
        mut,
        seeds = [MINTER_SEED, config.key().as_ref(), minter.key().as_ref()],
        bump = allowance_bump,
    )]
    pub minter_allowance: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl ConfigureMinter<'_> {
    pub fn validate(ctx: &Context<Self>, args: &ConfigureMinterArgs) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require_keys_neq!(
            ctx.accounts.minter.key(),
            Pubkey::default(),
            Usd1Error::DefaultPubkey
        );
        require!(
            (args.window_secs == 0) == (args.window_cap == 0)
                && args.window_secs <= MAX_RATE_WINDOW_SECS,
            Usd1Error::InvalidRateLimit
        );
        Ok(())
    }
}

/// Refuses a configuration that changes nothing on an enabled minter.
fn require_change(current: &MinterAllowance, args: &ConfigureMinterArgs) -> Result<()> {
    let changes = current.allowance != args.allowance
        || current.window_secs != args.window_secs
        || current.window_cap != args.window_cap;
    require!(!current.is_enabled() || changes, Usd1Error::NoChange);
    Ok(())
}

pub fn handler(
    ctx: Context<ConfigureMinter>,
    args: ConfigureMinterArgs,
    allowance_bump: u8,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let config = ctx.accounts.config.key();
    let minter = ctx.accounts.minter.key();
    let account = ctx.accounts.minter_allowance.to_account_info();
    let new = NewAccount {
        payer: &ctx.accounts.admin.to_account_info(),
        account: &account,
    };
    let seeds: [&[u8]; 3] = [MINTER_SEED, config.as_ref(), minter.as_ref()];
    let space = 8 + MinterAllowance::INIT_SPACE;
    let mut record = match pda::existing_or_create(&new, &seeds, allowance_bump, space)? {
        Some(current) => {
            require_change(&current, &args)?;
            current
        }
        None => MinterAllowance {
            bump: allowance_bump,
            config,
            minter,
            ..bytemuck::Zeroable::zeroed()
        },
    };
    let previous_allowance = record.allowance;
    // A new limit never hands out more than was left under the old one: the
    // capacity starts full only for a minter that had no limit.
    let capacity = match record.capacity_now(now)? {
        Some(left) if record.is_enabled() => left.min(args.window_cap),
        _ => args.window_cap,
    };
    record.enabled = 1;
    record.allowance = args.allowance;
    record.window_secs = args.window_secs;
    record.window_cap = args.window_cap;
    record.capacity = capacity;
    record.capacity_at = now;
    record.invariant()?;
    pda::store(&account, &record)?;
    let config = ctx.accounts.config.load()?;
    let (mint, admin) = (config.mint, config.admin);
    publish!(
        ctx,
        MinterConfigured {
            mint,
            admin,
            minter,
            previous_allowance,
            allowance: args.allowance,
            window_secs: args.window_secs,
            window_cap: args.window_cap,
        }
    );
    Ok(())
}
