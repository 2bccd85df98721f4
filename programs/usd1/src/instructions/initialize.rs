//! `initialize`: creates the mint (signed by its new keypair, so nobody can
//! initialize a mint they do not hold), the `Config` PDA as its mint and freeze
//! authority, and the attestation ring buffer. Token-2022 mints carry
//! MetadataPointer + TokenMetadata (name, symbol, uri).
use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::system_program::{self, CreateAccount};
use anchor_spl::token_2022::spl_token_2022::{extension::ExtensionType, state::Mint as MintState};
use anchor_spl::token_interface::{
    self, initialize_mint2, metadata_pointer_initialize, token_metadata_initialize,
    InitializeMint2, MetadataPointerInitialize, TokenInterface, TokenMetadataInitialize,
};

use crate::constants::*;
use crate::errors::Usd1Error;
use crate::events::Initialized;
use crate::instructions::refuse_remaining_accounts;
use crate::state::{AttestationHistory, AttestationRecord, Config};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeArgs {
    pub decimals: u8,
    pub name: String,
    pub symbol: String,
    pub uri: String,
}

#[event_cpi]
#[derive(Accounts)]
pub struct Initialize<'info> {
    /// Pays for every account and becomes the admin.
    #[account(mut)]
    pub admin: Signer<'info>,
    /// The new mint; it signs, so only the holder of its key can initialize it.
    #[account(mut)]
    pub mint: Signer<'info>,
    #[account(
        init,
        payer = admin,
        space = 8 + Config::INIT_SPACE,
        seeds = [CONFIG_SEED, mint.key().as_ref()],
        bump,
    )]
    pub config: Box<Account<'info, Config>>,
    #[account(
        init,
        payer = admin,
        space = 8 + AttestationHistory::INIT_SPACE,
        seeds = [HISTORY_SEED, config.key().as_ref()],
        bump,
    )]
    pub history: AccountLoader<'info, AttestationHistory>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl Initialize<'_> {
    pub fn validate(ctx: &Context<Self>, args: &InitializeArgs) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(args.decimals <= MAX_DECIMALS, Usd1Error::InvalidDecimals);
        require!(args.name.len() <= MAX_NAME_LEN, Usd1Error::NameTooLong);
        require!(
            args.symbol.len() <= MAX_SYMBOL_LEN,
            Usd1Error::SymbolTooLong
        );
        require!(args.uri.len() <= MAX_URI_LEN, Usd1Error::UriTooLong);
        Ok(())
    }

    fn is_token_2022(&self) -> bool {
        self.token_program.key() == token_interface::ID
    }

    /// Bytes the TokenMetadata TLV entry will take once token-2022 writes it:
    /// type + length (4), update authority and mint (64), three borsh strings
    /// (4 + len each) and an empty additional-metadata vector (4).
    fn metadata_len(args: &InitializeArgs) -> Result<usize> {
        [
            4usize,
            64,
            4,
            args.name.len(),
            4,
            args.symbol.len(),
            4,
            args.uri.len(),
            4,
        ]
        .into_iter()
        .try_fold(0usize, |sum, n| sum.checked_add(n))
        .ok_or_else(|| error!(Usd1Error::Overflow))
    }

    fn create_mint(&self, args: &InitializeArgs, signer: &[&[&[u8]]]) -> Result<()> {
        let token_2022 = self.is_token_2022();
        let (space, extra) = if token_2022 {
            let space = ExtensionType::try_calculate_account_len::<MintState>(&[
                ExtensionType::MetadataPointer,
            ])?;
            (space, Self::metadata_len(args)?)
        } else {
            (MintState::LEN, 0)
        };
        let funded_len = space.checked_add(extra).ok_or(Usd1Error::Overflow)?;
        let lamports = Rent::get()?.minimum_balance(funded_len);
        system_program::create_account(
            CpiContext::new(
                self.system_program.key(),
                CreateAccount {
                    from: self.admin.to_account_info(),
                    to: self.mint.to_account_info(),
                },
            ),
            lamports,
            u64::try_from(space).map_err(|_| Usd1Error::Overflow)?,
            &self.token_program.key(),
        )?;

        let config = self.config.key();
        if token_2022 {
            metadata_pointer_initialize(
                CpiContext::new(
                    self.token_program.key(),
                    MetadataPointerInitialize {
                        token_program_id: self.token_program.to_account_info(),
                        mint: self.mint.to_account_info(),
                    },
                ),
                Some(config),
                Some(self.mint.key()),
            )?;
        }
        initialize_mint2(
            CpiContext::new(
                self.token_program.key(),
                InitializeMint2 {
                    mint: self.mint.to_account_info(),
                },
            ),
            args.decimals,
            &config,
            Some(&config),
        )?;
        if token_2022 {
            token_metadata_initialize(
                CpiContext::new_with_signer(
                    self.token_program.key(),
                    TokenMetadataInitialize {
                        program_id: self.token_program.to_account_info(),
                        metadata: self.mint.to_account_info(),
                        update_authority: self.config.to_account_info(),
                        mint: self.mint.to_account_info(),
                        mint_authority: self.config.to_account_info(),
                    },
                    signer,
                ),
                args.name.clone(),
                args.symbol.clone(),
                args.uri.clone(),
            )?;
        }
        Ok(())
    }
}

pub fn handler(ctx: Context<Initialize>, args: InitializeArgs) -> Result<()> {
    let admin = ctx.accounts.admin.key();
    let mint = ctx.accounts.mint.key();
    let config_key = ctx.accounts.config.key();
    let token_program = ctx.accounts.token_program.key();

    let config = &mut ctx.accounts.config;
    config.set_inner(Config {
        version: Config::VERSION,
        bump: ctx.bumps.config,
        history_bump: ctx.bumps.history,
        mint,
        token_program,
        decimals: args.decimals,
        admin,
        pending_admin: Pubkey::default(),
        pauser: admin,
        freezer: admin,
        treasurer: admin,
        paused: false,
        attestors: [Pubkey::default(); MAX_ATTESTORS],
        attestor_count: 0,
        threshold: 0,
        attestor_epoch: 0,
        max_attestation_age: DEFAULT_MAX_ATTESTATION_AGE,
        margin_bps: 0,
        latest: AttestationRecord::default(),
        total_minted: 0,
        total_burned: 0,
    });
    config.invariant()?;

    let mut history = ctx.accounts.history.load_init()?;
    history.config = config_key;
    history.count = 0;
    history.invariant(config)?;
    drop(history);

    let bump = [ctx.bumps.config];
    let seeds: [&[u8]; 3] = [CONFIG_SEED, mint.as_ref(), &bump];
    ctx.accounts.create_mint(&args, &[&seeds])?;

    emit_cpi!(Initialized {
        mint,
        config: config_key,
        admin,
        token_program,
        decimals: args.decimals,
        name: args.name,
        symbol: args.symbol,
        uri: args.uri,
    });
    Ok(())
}
