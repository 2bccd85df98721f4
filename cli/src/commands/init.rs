//! `usd1 init`: create a USD1 mint; this keypair becomes its admin.
use anyhow::{bail, Result};
use solana_sdk::signature::{Keypair, Signer};
use usd1::instructions::InitializeArgs;
use usd1_client::{MintOptions, Usd1, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID};

use crate::commands::Sent;
use crate::{read_keypair, Context, Output};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenProgram {
    #[value(name = "token-2022")]
    Token2022,
    Token,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub decimals: u8,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub symbol: String,
    #[arg(long)]
    pub uri: String,
    #[arg(long, value_enum, default_value_t = TokenProgram::Token2022)]
    pub token_program: TokenProgram,
    /// Keypair of the new mint (default: a fresh one).
    #[arg(long, value_name = "PATH")]
    pub mint_keypair: Option<String>,
    /// Allowlist mode: new token accounts start frozen (Token-2022).
    #[arg(long)]
    pub default_frozen: bool,
    /// A pause also stops transfers (Token-2022).
    #[arg(long)]
    pub pausable: bool,
    /// Enables `usd1 seize` (Token-2022).
    #[arg(long)]
    pub permanent_delegate: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let options = MintOptions {
        default_frozen: args.default_frozen,
        permanent_delegate: args.permanent_delegate,
        pausable: args.pausable,
    };
    let token_program = match args.token_program {
        TokenProgram::Token2022 => TOKEN_2022_PROGRAM_ID,
        TokenProgram::Token => TOKEN_PROGRAM_ID,
    };
    if token_program == TOKEN_PROGRAM_ID && options.any() {
        bail!(
            "--default-frozen, --pausable and --permanent-delegate need --token-program token-2022"
        );
    }
    let mint = match &args.mint_keypair {
        Some(path) => read_keypair(path)?,
        None => Keypair::new(),
    };
    let init = InitializeArgs {
        decimals: args.decimals,
        name: args.name,
        symbol: args.symbol,
        uri: args.uri,
        options,
    };
    if ctx.fee_payer.pubkey() != ctx.pubkey() {
        bail!(
            "`usd1 init`: the admin (--keypair) pays for the new mint; --fee-payer does not apply"
        );
    }
    let (_, executed) = Usd1::initialize_with(
        ctx.ledger.clone(),
        ctx.keypair.clone(),
        ctx.signing.clone(),
        &mint,
        token_program,
        init,
    )
    .await?;
    Ok(Sent::output(
        format!(
            "Created USD1 mint {} (admin {})",
            mint.pubkey(),
            ctx.pubkey()
        ),
        &executed,
    ))
}
