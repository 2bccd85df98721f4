//! `initialize`: creates the mint (signed by its new keypair, so nobody can
//! initialize a mint they do not hold), the `Config` PDA as its mint and freeze
//! authority, the attestation ring buffer and the redemption escrow — also
//! when someone sent lamports to any of their addresses beforehand.
//! Token-2022 mints carry MetadataPointer + TokenMetadata (name, symbol, uri)
//! and, if chosen, DefaultAccountState(frozen), PermanentDelegate and Pausable,
//! each with the Config as authority. Every account is made by `pda::make`.
use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token_2022::spl_token_2022::{
    extension::ExtensionType,
    state::{
        Account as TokenAccountState, AccountState, Mint as MintState, Multisig as MultisigState,
    },
};
use anchor_spl::token_interface::{
    self, default_account_state_initialize, initialize_account3, initialize_mint2,
    metadata_pointer_initialize, pausable_initialize, permanent_delegate_initialize, thaw_account,
    token_metadata_initialize, DefaultAccountStateInitialize, InitializeAccount3, InitializeMint2,
    MetadataPointerInitialize, PausableInitialize, PermanentDelegateInitialize, ThawAccount,
    TokenInterface, TokenMetadataInitialize,
};

use crate::constants::*;
use crate::errors::Usd1Error;
use crate::events::{publish, Initialized};
use crate::instructions::refuse_remaining_accounts;
use crate::pda::{self, NewAccount};
use crate::state::{AttestationHistory, AttestationRecord, Config, ConfigSigner, MintOptions};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeArgs {
    pub decimals: u8,
    pub name: String,
    pub symbol: String,
    pub uri: String,
    pub options: MintOptions,
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
    /// This mint's Config, made here.
    /// CHECK: address by `seeds`; `pda::make` refuses an existing account.
    #[account(mut, seeds = [CONFIG_SEED, mint.key().as_ref()], bump)]
    pub config: UncheckedAccount<'info>,
    /// The Config's attestation history, made here.
    /// CHECK: address by `seeds`; `pda::make` refuses an existing account.
    #[account(mut, seeds = [HISTORY_SEED, config.key().as_ref()], bump)]
    pub history: UncheckedAccount<'info>,
    /// CHECK: created here as the Config-owned token account that holds
    /// redemption escrow; its address is checked by seeds.
    #[account(mut, seeds = [ESCROW_SEED, config.key().as_ref()], bump)]
    pub escrow: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl<'info> Initialize<'info> {
    pub fn validate(ctx: &Context<Self>, args: &InitializeArgs) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(args.decimals <= MAX_DECIMALS, Usd1Error::InvalidDecimals);
        require!(args.name.len() <= MAX_NAME_LEN, Usd1Error::NameTooLong);
        require!(
            args.symbol.len() <= MAX_SYMBOL_LEN,
            Usd1Error::SymbolTooLong
        );
        require!(args.uri.len() <= MAX_URI_LEN, Usd1Error::UriTooLong);
        require!(
            ctx.accounts.is_token_2022() || !args.options.any(),
            Usd1Error::OptionsRequireToken2022
        );
        Ok(())
    }

    fn is_token_2022(&self) -> bool {
        self.token_program.key() == token_interface::ID
    }

    /// The mint's Token-2022 extensions for these options (none on classic Token).
    fn extensions(&self, options: &MintOptions) -> Vec<ExtensionType> {
        if !self.is_token_2022() {
            return vec![];
        }
        let mut extensions = vec![ExtensionType::MetadataPointer];
        if options.default_frozen {
            extensions.push(ExtensionType::DefaultAccountState);
        }
        if options.permanent_delegate {
            extensions.push(ExtensionType::PermanentDelegate);
        }
        if options.pausable {
            extensions.push(ExtensionType::Pausable);
        }
        extensions
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

    fn create_mint(
        &self,
        args: &InitializeArgs,
        extensions: &[ExtensionType],
        signer: &[&[&[u8]]],
    ) -> Result<()> {
        let token_2022 = self.is_token_2022();
        let (space, extra) = if token_2022 {
            let space = ExtensionType::try_calculate_account_len::<MintState>(extensions)?;
            (space, Self::metadata_len(args)?)
        } else {
            (MintState::LEN, 0)
        };
        let mut funded_len = space.checked_add(extra).ok_or(Usd1Error::Overflow)?;
        // Token-2022 pads an account that would be exactly a multisig's length
        // with an empty extension type (2 bytes), so the two can be told
        // apart; fund those bytes too.
        if token_2022 && extra > 0 && funded_len == MultisigState::LEN {
            funded_len = funded_len
                .checked_add(std::mem::size_of::<ExtensionType>())
                .ok_or(Usd1Error::Overflow)?;
        }
        let program_id = self.token_program.key();
        self.make(&self.mint, space, funded_len, &program_id, &[])?;

        let config = self.config.key();
        let program = self.token_program.to_account_info();
        let mint = self.mint.to_account_info();
        for extension in extensions {
            match extension {
                ExtensionType::MetadataPointer => metadata_pointer_initialize(
                    CpiContext::new(
                        program_id,
                        MetadataPointerInitialize {
                            token_program_id: program.clone(),
                            mint: mint.clone(),
                        },
                    ),
                    Some(config),
                    Some(self.mint.key()),
                )?,
                ExtensionType::DefaultAccountState => default_account_state_initialize(
                    CpiContext::new(
                        program_id,
                        DefaultAccountStateInitialize {
                            token_program_id: program.clone(),
                            mint: mint.clone(),
                        },
                    ),
                    &AccountState::Frozen,
                )?,
                ExtensionType::PermanentDelegate => permanent_delegate_initialize(
                    CpiContext::new(
                        program_id,
                        PermanentDelegateInitialize {
                            token_program_id: program.clone(),
                            mint: mint.clone(),
                        },
                    ),
                    &config,
                )?,
                ExtensionType::Pausable => pausable_initialize(
                    CpiContext::new(
                        program_id,
                        PausableInitialize {
                            token_program_id: program.clone(),
                            mint: mint.clone(),
                        },
                    ),
                    config,
                )?,
                _ => return err!(Usd1Error::OptionsRequireToken2022),
            }
        }
        initialize_mint2(
            CpiContext::new(program_id, InitializeMint2 { mint: mint.clone() }),
            args.decimals,
            &config,
            Some(&config),
        )?;
        if token_2022 {
            token_metadata_initialize(
                CpiContext::new_with_signer(
                    program_id,
                    TokenMetadataInitialize {
                        program_id: program,
                        metadata: mint.clone(),
                        update_authority: self.config.to_account_info(),
                        mint,
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

    /// Creates the Config-owned escrow token account; in allowlist mode it
    /// starts frozen like every account, so the Config thaws it at once.
    fn create_escrow(
        &self,
        extensions: &[ExtensionType],
        options: &MintOptions,
        escrow_signer: &[&[u8]],
        config_signer: &[&[u8]],
    ) -> Result<()> {
        let required = ExtensionType::get_required_init_account_extensions(extensions);
        let space = ExtensionType::try_calculate_account_len::<TokenAccountState>(&required)?;
        let program_id = self.token_program.key();
        self.make(&self.escrow, space, space, &program_id, &[escrow_signer])?;
        initialize_account3(CpiContext::new(
            program_id,
            InitializeAccount3 {
                account: self.escrow.to_account_info(),
                mint: self.mint.to_account_info(),
                authority: self.config.to_account_info(),
            },
        ))?;
        if options.default_frozen {
            thaw_account(CpiContext::new_with_signer(
                program_id,
                ThawAccount {
                    account: self.escrow.to_account_info(),
                    mint: self.mint.to_account_info(),
                    authority: self.config.to_account_info(),
                },
                &[config_signer],
            ))?;
        }
        Ok(())
    }

    /// Makes `account` (`space` bytes, rent for `funded_len`) for `owner`,
    /// the admin paying: `pda::make`.
    fn make(
        &self,
        account: &AccountInfo<'info>,
        space: usize,
        funded_len: usize,
        owner: &Pubkey,
        signer: &[&[&[u8]]],
    ) -> Result<()> {
        let new = NewAccount {
            payer: &self.admin,
            account,
        };
        pda::make(&new, space, funded_len, owner, signer)
    }
}

pub fn handler(ctx: Context<Initialize>, args: InitializeArgs) -> Result<()> {
    let admin = ctx.accounts.admin.key();
    let mint = ctx.accounts.mint.key();
    let config_key = ctx.accounts.config.key();
    let escrow = ctx.accounts.escrow.key();
    let token_program = ctx.accounts.token_program.key();

    // The Config and the history first, each signed for by its seeds.
    let config_signer = ConfigSigner::new(mint, ctx.bumps.config);
    let accounts = &ctx.accounts;
    accounts.make(
        &accounts.config,
        8 + Config::INIT_SPACE,
        8 + Config::INIT_SPACE,
        &crate::ID,
        &[&config_signer.seeds()],
    )?;
    let history_bump = [ctx.bumps.history];
    let history_seeds: [&[u8]; 3] = [HISTORY_SEED, config_key.as_ref(), &history_bump];
    accounts.make(
        &accounts.history,
        8 + AttestationHistory::INIT_SPACE,
        8 + AttestationHistory::INIT_SPACE,
        &crate::ID,
        &[&history_seeds],
    )?;

    let mut config = pda::init_zero_copy::<Config>(&accounts.config)?;
    *config = Config {
        version: Config::VERSION,
        bump: ctx.bumps.config,
        history_bump: ctx.bumps.history,
        escrow_bump: ctx.bumps.escrow,
        mint,
        token_program,
        decimals: args.decimals,
        options: args.options.into(),
        escrow,
        admin,
        pending_admin: Pubkey::default(),
        pauser: admin,
        freezer: admin,
        treasurer: admin,
        paused: 0,
        attestors: [Pubkey::default(); MAX_ATTESTORS],
        attestor_count: 0,
        threshold: 0,
        attestor_epoch: 0,
        max_attestation_age: DEFAULT_MAX_ATTESTATION_AGE,
        margin_bps: 0,
        _padding: [0; 6],
        latest: AttestationRecord::default(),
        total_minted: 0,
        total_burned: 0,
        next_redemption_id: 0,
        pending_redemptions: 0,
        escrowed_amount: 0,
        total_redeemed: 0,
        latest_retired: 0,
        max_submission_delay: DEFAULT_MAX_SUBMISSION_DELAY,
    };
    config.invariant()?;

    let mut history = pda::init_zero_copy::<AttestationHistory>(&accounts.history)?;
    history.config = config_key;
    history.count = 0;
    history.invariant(&config)?;
    drop(history);
    // The Config signs the CPIs below: no borrow of its data may be held.
    drop(config);

    let config_seeds = config_signer.seeds();
    let escrow_bump = [ctx.bumps.escrow];
    let escrow_seeds: [&[u8]; 3] = [ESCROW_SEED, config_key.as_ref(), &escrow_bump];
    let extensions = ctx.accounts.extensions(&args.options);
    ctx.accounts
        .create_mint(&args, &extensions, &[&config_seeds])?;
    ctx.accounts
        .create_escrow(&extensions, &args.options, &escrow_seeds, &config_seeds)?;

    publish!(
        ctx,
        Initialized {
            mint,
            config: config_key,
            admin,
            token_program,
            decimals: args.decimals,
            name: args.name,
            symbol: args.symbol,
            uri: args.uri,
            options: args.options,
            escrow,
        }
    );
    Ok(())
}
