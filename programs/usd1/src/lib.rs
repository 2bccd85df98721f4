//! USD1: a dollar stablecoin whose mint can never run ahead of the reserves its
//! independent attestors have signed for.
//!
//! This file is the table of contents: each instruction forwards to its handler
//! in `instructions/`, after its business rules run through `validate()`.
use anchor_lang::prelude::*;

pub mod attestation;
pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod pda;
pub mod state;

use instructions::*;

declare_id!("G9fF9RdRpgTNxRLTDrzjxHPV9YBZzd9pJVSfYidM37QC");

#[program]
pub mod usd1 {
    use super::*;

    /// Creates the mint, its `Config` (mint + freeze authority) and the attestation history.
    #[access_control(Initialize::validate(&ctx, &args))]
    pub fn initialize(ctx: Context<Initialize>, args: InitializeArgs) -> Result<()> {
        instructions::initialize::handler(ctx, args)
    }

    /// Proposes a new admin (step one of two).
    #[access_control(ProposeAdmin::validate(&ctx, &args))]
    pub fn propose_admin(ctx: Context<ProposeAdmin>, args: ProposeAdminArgs) -> Result<()> {
        instructions::propose_admin::handler(ctx, args)
    }

    /// The admin withdraws a pending admin proposal.
    #[access_control(CancelAdminProposal::validate(&ctx))]
    pub fn cancel_admin_proposal(ctx: Context<CancelAdminProposal>) -> Result<()> {
        instructions::cancel_admin_proposal::handler(ctx)
    }

    /// The proposed admin accepts (step two of two).
    #[access_control(AcceptAdmin::validate(&ctx))]
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::accept_admin::handler(ctx)
    }

    /// Gives the pauser, freezer or treasurer role to a key.
    #[access_control(SetRole::validate(&ctx, &args))]
    pub fn set_role(ctx: Context<SetRole>, args: SetRoleArgs) -> Result<()> {
        instructions::set_role::handler(ctx, args)
    }

    /// Enables a minter and sets its remaining allowance and rate limit (base
    /// units); `allowance_bump` is the canonical bump of its allowance's address.
    #[access_control(ConfigureMinter::validate(&ctx, &args))]
    pub fn configure_minter(
        ctx: Context<ConfigureMinter>,
        args: ConfigureMinterArgs,
        allowance_bump: u8,
    ) -> Result<()> {
        instructions::configure_minter::handler(ctx, args, allowance_bump)
    }

    /// Disables a minter and voids its allowance.
    #[access_control(RemoveMinter::validate(&ctx))]
    pub fn remove_minter(ctx: Context<RemoveMinter>) -> Result<()> {
        instructions::remove_minter::handler(ctx)
    }

    /// Replaces the attestor set and its threshold M; retires the live
    /// attestation unless `keep_latest`.
    #[access_control(SetAttestors::validate(&ctx, &args))]
    pub fn set_attestors(ctx: Context<SetAttestors>, args: SetAttestorsArgs) -> Result<()> {
        instructions::set_attestors::handler(ctx, args)
    }

    /// Sets the maximum attestation age and the reserve margin.
    #[access_control(SetPolicy::validate(&ctx, &args))]
    pub fn set_policy(ctx: Context<SetPolicy>, args: PolicyArgs) -> Result<()> {
        instructions::set_policy::handler(ctx, args)
    }

    /// Records an M-of-N signed reserve attestation.
    #[access_control(Attest::validate(&ctx, &args))]
    pub fn attest(ctx: Context<Attest>, args: AttestArgs) -> Result<()> {
        instructions::attest::handler(ctx, args)
    }

    /// Mints within allowance, fresh attestation and margin-adjusted reserve.
    #[access_control(MintTo::validate(&ctx, &args))]
    pub fn mint_to(ctx: Context<MintTo>, args: MintToArgs) -> Result<()> {
        instructions::mint_to::handler(ctx, args)
    }

    /// A minter burns from its own token account.
    #[access_control(Burn::validate(&ctx, &args))]
    pub fn burn(ctx: Context<Burn>, args: BurnArgs) -> Result<()> {
        instructions::burn::handler(ctx, args)
    }

    /// Freezes a token account of this mint, citing a reason code and the
    /// hash of the order it carries out.
    #[access_control(FreezeOrThaw::validate_freeze(&ctx))]
    pub fn freeze(ctx: Context<FreezeOrThaw>, args: LawfulBasis) -> Result<()> {
        instructions::freeze::freeze(ctx, args)
    }

    /// Thaws a token account of this mint, citing why.
    #[access_control(FreezeOrThaw::validate_thaw(&ctx))]
    pub fn thaw(ctx: Context<FreezeOrThaw>, args: LawfulBasis) -> Result<()> {
        instructions::freeze::thaw(ctx, args)
    }

    /// Pauses minting and settlement (and transfers, on a pausable mint).
    #[access_control(PauseOrUnpause::validate_pause(&ctx))]
    pub fn pause(ctx: Context<PauseOrUnpause>) -> Result<()> {
        instructions::pause::pause(ctx)
    }

    /// Lifts a pause.
    #[access_control(PauseOrUnpause::validate_unpause(&ctx))]
    pub fn unpause(ctx: Context<PauseOrUnpause>) -> Result<()> {
        instructions::pause::unpause(ctx)
    }

    /// Publishes the holder disclosure (issuer, terms, redemption policy, reserve
    /// report); `disclosure_bump` is the canonical bump of its address.
    #[access_control(SetDisclosure::validate(&ctx))]
    pub fn set_disclosure(
        ctx: Context<SetDisclosure>,
        args: DisclosureArgs,
        disclosure_bump: u8,
    ) -> Result<()> {
        instructions::set_disclosure::handler(ctx, args, disclosure_bump)
    }

    /// A holder escrows tokens for redemption at par under the disclosed terms.
    /// `redemption_bump` is the canonical bump of the record's address.
    #[access_control(RequestRedemption::validate(&ctx, &args))]
    pub fn request_redemption(
        ctx: Context<RequestRedemption>,
        args: RequestRedemptionArgs,
        redemption_bump: u8,
    ) -> Result<()> {
        instructions::request_redemption::handler(ctx, args, redemption_bump)
    }

    /// The treasurer settles a redemption: the escrowed tokens are burned.
    #[access_control(SettleRedemption::validate(&ctx))]
    pub fn settle_redemption(
        ctx: Context<SettleRedemption>,
        args: SettleRedemptionArgs,
    ) -> Result<()> {
        instructions::settle_redemption::handler(ctx, args)
    }

    /// The treasurer rejects a redemption: the tokens go back to the holder.
    #[access_control(RejectRedemption::validate(&ctx))]
    pub fn reject_redemption(
        ctx: Context<RejectRedemption>,
        args: RejectRedemptionArgs,
    ) -> Result<()> {
        instructions::reject_redemption::handler(ctx, args)
    }

    /// The admin moves tokens out of an account (permanent-delegate mints only).
    #[access_control(Seize::validate(&ctx, &args))]
    pub fn seize(ctx: Context<Seize>, args: SeizeArgs) -> Result<()> {
        instructions::seize::handler(ctx, args)
    }
}
