//! `reject_redemption`: the treasurer declines a request (with a reason code)
//! and the program returns the escrowed tokens to the holder — to the account
//! they came from, or, when that account can no longer hold this token (the
//! holder closed it), to the holder's associated token account, created here
//! if missing at the treasurer's expense. Nothing the holder does to the
//! destination can keep the tokens in escrow: a frozen destination is thawed
//! for the refund and frozen again, and one that requires memos on incoming
//! transfers gets one.
use anchor_lang::prelude::*;
use anchor_lang::solana_program::{instruction::Instruction, program::invoke};
use anchor_spl::associated_token::{self, AssociatedToken};
use anchor_spl::token_2022::spl_token_2022::extension::{
    memo_transfer::memo_required, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::state::Account as TokenAccountState;
use anchor_spl::token_interface::{self, TokenInterface};

use crate::constants::{MEMO_PROGRAM_ID, REFUND_MEMO};
use crate::errors::Usd1Error;
use crate::events::{publish, RedemptionRejected};
use crate::instructions::{check_escrow_covers, refuse_remaining_accounts};
use crate::state::{Config, Redemption, RedemptionStatus};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectRedemptionArgs {
    /// The issuer's reason, recorded on the request.
    pub reason_code: u16,
}

#[event_cpi]
#[derive(Accounts)]
pub struct RejectRedemption<'info> {
    /// Pays for the holder's associated token account if the refund must create it.
    #[account(mut)]
    pub treasurer: Signer<'info>,
    #[account(
        mut,
        has_one = treasurer @ Usd1Error::NotTreasurer,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = escrow @ Usd1Error::WrongEscrow,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: AccountLoader<'info, Config>,
    /// CHECK: the Config's mint (`has_one = mint`), made at `initialize`;
    /// only the token program reads or writes it, in the CPI.
    pub mint: UncheckedAccount<'info>,
    /// CHECK: the Config's redemption escrow (`has_one = escrow`), made at
    /// `initialize`; the token program moves tokens in or out of it in the
    /// CPI, and its amount is read after (`check_escrow_covers`).
    #[account(mut)]
    pub escrow: UncheckedAccount<'info>,
    #[account(
        mut,
        // `dup`: no other writable account here has this type (instructions/mod.rs).
        dup,
        has_one = config @ Usd1Error::WrongConfig,
        has_one = holder @ Usd1Error::WrongRefundAccount,
    )]
    pub redemption: Box<Account<'info, Redemption>>,
    /// CHECK: `redemption.source`, or the holder's associated token account
    /// (which may not exist yet); checked in `validate` and read in the handler.
    #[account(mut)]
    pub refund_to: UncheckedAccount<'info>,
    /// CHECK: the holder's wallet (`redemption.holder`), owner of the
    /// associated token account a refund may create.
    pub holder: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub associated_token_program: Program<'info, AssociatedToken>,
    pub system_program: Program<'info, System>,
    /// CHECK: the SPL Memo program, for destinations that require a memo.
    #[account(address = MEMO_PROGRAM_ID @ Usd1Error::WrongMemoProgram)]
    pub memo_program: UncheckedAccount<'info>,
}

impl RejectRedemption<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        let accounts = &ctx.accounts;
        require!(
            accounts.redemption.status == RedemptionStatus::Pending,
            Usd1Error::RedemptionNotPending
        );
        let config = accounts.config.load()?;
        require!(
            !(config.is_paused() && config.options().pausable),
            Usd1Error::TransfersPaused
        );
        let refund_to = accounts.refund_to.key();
        if refund_to != accounts.redemption.source {
            require_keys_eq!(
                refund_to,
                accounts.holder_token_account(),
                Usd1Error::WrongRefundAccount
            );
        }
        Ok(())
    }

    /// The holder's associated token account for this mint.
    fn holder_token_account(&self) -> Pubkey {
        associated_token::get_associated_token_address_with_program_id(
            &self.holder.key(),
            &self.mint.key(),
            &self.token_program.key(),
        )
    }

    /// Creates the holder's associated token account when the refund goes
    /// there and it does not exist (closed by the holder, or never made).
    fn open_refund_account(&self) -> Result<()> {
        let refund_to = self.refund_to.to_account_info();
        if refund_to.owner != &System::id() {
            return Ok(());
        }
        require_keys_eq!(
            refund_to.key(),
            self.holder_token_account(),
            Usd1Error::RefundAccountUnusable
        );
        associated_token::create_idempotent(CpiContext::new(
            self.associated_token_program.key(),
            associated_token::Create {
                payer: self.treasurer.to_account_info(),
                associated_token: refund_to,
                authority: self.holder.to_account_info(),
                mint: self.mint.to_account_info(),
                system_program: self.system_program.to_account_info(),
                token_program: self.token_program.to_account_info(),
            },
        ))
    }

    /// Whether the refund account (a token account of this mint) is frozen,
    /// and whether it requires a memo before incoming transfers.
    fn refund_account_state(&self) -> Result<(bool, bool)> {
        let info = self.refund_to.to_account_info();
        require_keys_eq!(
            *info.owner,
            self.token_program.key(),
            Usd1Error::RefundAccountUnusable
        );
        let data = info.try_borrow_data()?;
        let account = StateWithExtensions::<TokenAccountState>::unpack(&data)
            .map_err(|_| error!(Usd1Error::RefundAccountUnusable))?;
        require_keys_eq!(
            account.base.mint,
            self.mint.key(),
            Usd1Error::RefundAccountUnusable
        );
        Ok((account.base.is_frozen(), memo_required(&account)))
    }

    fn set_frozen(&self, frozen: bool, signer: &[&[&[u8]]]) -> Result<()> {
        let program = self.token_program.key();
        let (account, mint, authority) = (
            self.refund_to.to_account_info(),
            self.mint.to_account_info(),
            self.config.to_account_info(),
        );
        if frozen {
            let freeze = token_interface::FreezeAccount {
                account,
                mint,
                authority,
            };
            token_interface::freeze_account(CpiContext::new_with_signer(program, freeze, signer))
        } else {
            let thaw = token_interface::ThawAccount {
                account,
                mint,
                authority,
            };
            token_interface::thaw_account(CpiContext::new_with_signer(program, thaw, signer))
        }
    }

    /// A memo directly before the refund: Token-2022 looks for it as the
    /// previous instruction at the transfer's own invocation depth.
    fn memo(&self) -> Result<()> {
        let ix = Instruction {
            program_id: MEMO_PROGRAM_ID,
            accounts: vec![],
            data: REFUND_MEMO.to_vec(),
        };
        invoke(&ix, &[self.memo_program.to_account_info()]).map_err(Into::into)
    }
}

pub fn handler(ctx: Context<RejectRedemption>, args: RejectRedemptionArgs) -> Result<()> {
    let RejectRedemptionArgs { reason_code } = args;
    let accounts = &mut *ctx.accounts;
    let amount = accounts.redemption.amount;
    let id = accounts.redemption.id;
    let (config_signer, decimals) = {
        let config = accounts.config.load()?;
        (config.signer(), config.decimals)
    };
    let seeds = config_signer.seeds();
    let signer: &[&[&[u8]]] = &[&seeds];

    accounts.open_refund_account()?;
    let (frozen, memo) = accounts.refund_account_state()?;
    if frozen {
        accounts.set_frozen(false, signer)?;
    }
    if memo {
        accounts.memo()?;
    }
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            accounts.token_program.key(),
            token_interface::TransferChecked {
                from: accounts.escrow.to_account_info(),
                mint: accounts.mint.to_account_info(),
                to: accounts.refund_to.to_account_info(),
                authority: accounts.config.to_account_info(),
            },
            signer,
        ),
        amount,
        decimals,
    )?;
    if frozen {
        accounts.set_frozen(true, signer)?;
    }

    let mut config = accounts.config.load_mut()?;
    config.close_redemption(amount, false)?;
    config.invariant()?;
    check_escrow_covers(&accounts.escrow.to_account_info(), &config)?;

    let rejected_at = Clock::get()?.unix_timestamp;
    let redemption = &mut accounts.redemption;
    redemption.resolve(RedemptionStatus::Rejected, rejected_at)?;
    redemption.reason_code = reason_code;

    let event = RedemptionRejected {
        mint: config.mint,
        id,
        treasurer: accounts.treasurer.key(),
        holder: redemption.holder,
        refunded_to: accounts.refund_to.key(),
        amount,
        reason_code,
        requested_at: redemption.requested_at,
        rejected_at: redemption.resolved_at,
        escrowed: config.escrowed_amount,
    };
    drop(config);
    publish!(ctx, event);
    Ok(())
}
