//! One set-up for every test: a mint with roles, attestors and a minter, made
//! in one call on either backend, the way `Usd1<L: Ledger>` runs on either:
//! in process (the native runtime with USD1 run through `processor!` beside
//! the bundled SPL Token, Token-2022 and ATA programs; `Fixture::new`), or over
//! JSON-RPC against a localnet (`Fixture::on_localnet`). What only one backend
//! can do, such as moving the clock, lives in that backend's `impl`.
use std::collections::BTreeMap;
use std::sync::Arc;

use solana_commitment_config::CommitmentConfig;
use solana_program_test::ProgramTestContext;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::sysvar::clock::Clock;
use usd1::instructions::{AttestArgs, DisclosureArgs, InitializeArgs};
use usd1_client::banks::BanksLedger;
use usd1_client::ledger::Executed;
use usd1_client::rpc::RpcLedger;
use usd1_client::{pda, ClientError, Ledger, MintOptions, Role, Usd1, Usd1Error};
use usd1_localnet::Localnet;

/// Which token program the mint lives under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Token2022,
    Token,
}

impl Flavor {
    pub fn program_id(self) -> Pubkey {
        match self {
            Flavor::Token2022 => usd1_client::TOKEN_2022_PROGRAM_ID,
            Flavor::Token => usd1_client::TOKEN_PROGRAM_ID,
        }
    }
}

pub const DECIMALS: u8 = 6;
/// One token in base units.
pub const ONE: u64 = 1_000_000;
/// Allowance the fixture's minter starts with: 1,000,000 tokens.
pub const MINTER_ALLOWANCE: u64 = 1_000_000 * ONE;
pub const ATTESTORS: usize = 3;
pub const THRESHOLD: u8 = 2;

pub use usd1_localnet::runtime::program_test;

/// Where a fixture's transactions run.
pub trait Backend {
    type Ledger: Ledger + 'static;
}

/// In process: the runtime itself, whose clock and accounts a test may set.
impl Backend for ProgramTestContext {
    type Ledger = BanksLedger;
}

/// Over JSON-RPC, against the localnet at `url`.
pub struct OverRpc {
    pub url: String,
}

impl Backend for OverRpc {
    type Ledger = RpcLedger;
}

pub struct Fixture<B: Backend = ProgramTestContext> {
    pub backend: B,
    pub ledger: Arc<B::Ledger>,
    pub usd1: Usd1<B::Ledger>,
    pub flavor: Flavor,
    /// Also the fee payer of every transaction.
    pub admin: Arc<Keypair>,
    pub pauser: Keypair,
    pub freezer: Keypair,
    pub treasurer: Keypair,
    pub minter: Keypair,
    pub attestors: Vec<Keypair>,
    pub holder: Keypair,
    /// The events of the initialize transaction.
    pub init_events: Executed,
}

pub fn default_init_args() -> InitializeArgs {
    InitializeArgs {
        decimals: DECIMALS,
        name: "USD1 Dollar".into(),
        symbol: "USD1".into(),
        uri: "https://example.com/usd1.json".into(),
        options: MintOptions::default(),
    }
}

/// `configure_minter` arguments: `units` of allowance, no rate limit.
pub fn allowance(units: u64) -> usd1::instructions::ConfigureMinterArgs {
    usd1::instructions::ConfigureMinterArgs {
        allowance: units,
        ..Default::default()
    }
}

/// Terms the fixture publishes: minimum 10 tokens, 0.25% fee, settle within a day.
pub fn default_disclosure() -> DisclosureArgs {
    DisclosureArgs {
        legal_name: "USD1 Issuer Ltd.".into(),
        terms_uri: "https://example.com/terms.pdf".into(),
        terms_sha256: usd1_client::sha256(b"terms v1"),
        min_redemption: 10 * ONE,
        redemption_fee_bps: 25,
        settlement_target_secs: 86_400,
        reserve_report_uri: "https://example.com/reserves".into(),
    }
}

impl Fixture {
    /// A freshly initialized mint: the admin holds every role, no attestors, no minters.
    pub async fn bare(flavor: Flavor) -> Self {
        Self::bare_with(flavor, MintOptions::default()).await
    }

    /// `bare`, with Token-2022 compliance options.
    pub async fn bare_with(flavor: Flavor, options: MintOptions) -> Self {
        let mut runtime = program_test();
        // The stand-in multisig vault, for tests of roles held by a PDA.
        runtime.add_program(
            "usd1_test_vault",
            crate::vault::ID,
            solana_program_test::processor!(crate::vault::process),
        );
        let context = usd1_localnet::runtime::start(runtime).await;
        let ledger = Arc::new(BanksLedger::new(context.banks_client.clone()));
        let admin = Arc::new(context.payer.insecure_clone());
        Self::initialized(context, ledger, admin, flavor, options).await
    }

    /// A mint with distinct pauser/freezer/treasurer, 2-of-3 attestors and one
    /// minter with `MINTER_ALLOWANCE`; no attestation yet.
    pub async fn new(flavor: Flavor) -> Self {
        Self::new_with(flavor, MintOptions::default()).await
    }

    /// `new`, with Token-2022 compliance options.
    pub async fn new_with(flavor: Flavor, options: MintOptions) -> Self {
        let f = Self::bare_with(flavor, options).await;
        f.hand_out_roles(MINTER_ALLOWANCE).await
    }

    /// `new`, plus an attestation of `reserve` base units as of now.
    pub async fn with_reserve(flavor: Flavor, reserve: u64) -> Self {
        let f = Self::new(flavor).await;
        f.attest(reserve).await.expect("attest");
        f
    }

    /// Moves the chain clock forward by `seconds`.
    pub async fn advance_clock(&self, seconds: i64) {
        let mut clock: Clock = self.backend.banks_client.get_sysvar().await.expect("clock");
        clock.unix_timestamp += seconds;
        self.backend.set_sysvar(&clock);
    }
}

/// The fixture over JSON-RPC.
pub type Platform = Fixture<OverRpc>;

impl Fixture<OverRpc> {
    /// `new`'s Token-2022 mint, sent over JSON-RPC to `localnet`, plus an
    /// attestation of `reserve` and `held` base units minted to the holder.
    /// The admin's 100 SOL come from the localnet's faucet.
    pub async fn on_localnet(localnet: &Localnet, reserve: u64, held: u64) -> Self {
        Self::on_localnet_with(localnet, Flavor::Token2022, reserve, held).await
    }

    /// `on_localnet`, under either token program.
    pub async fn on_localnet_with(
        localnet: &Localnet,
        flavor: Flavor,
        reserve: u64,
        held: u64,
    ) -> Self {
        Self::on_localnet_for(localnet, flavor, MintOptions::default(), reserve, held).await
    }

    /// `on_localnet_with`, with Token-2022 compliance options.
    pub async fn on_localnet_for(
        localnet: &Localnet,
        flavor: Flavor,
        options: MintOptions,
        reserve: u64,
        held: u64,
    ) -> Self {
        let url = localnet.url.clone();
        let ledger = Arc::new(RpcLedger::new(url.clone(), CommitmentConfig::confirmed()));
        let admin = crate::localnet::funded(localnet).await;
        let f = Self::initialized(OverRpc { url }, ledger, admin, flavor, options).await;
        let f = f.hand_out_roles(MINTER_ALLOWANCE.max(held)).await;
        f.attest(reserve).await.expect("attest");
        if held > 0 {
            f.usd1
                .mint_to(&f.minter, &f.holder.pubkey(), held)
                .await
                .expect("mint");
        }
        f
    }
}

/// The localnet tests' shared mint: 1,000 attested, 400 held.
pub async fn sample_platform(localnet: &Localnet) -> Platform {
    Fixture::on_localnet(localnet, 1_000 * ONE, 400 * ONE).await
}

impl<B: Backend> Fixture<B> {
    /// Initializes a mint whose admin (and fee payer) is `admin`.
    async fn initialized(
        backend: B,
        ledger: Arc<B::Ledger>,
        admin: Arc<Keypair>,
        flavor: Flavor,
        options: MintOptions,
    ) -> Self {
        let mint = Keypair::new();
        let (usd1, init_events) = Usd1::initialize(
            ledger.clone(),
            admin.clone(),
            &mint,
            flavor.program_id(),
            InitializeArgs {
                options,
                ..default_init_args()
            },
        )
        .await
        .expect("initialize");
        Self {
            backend,
            ledger,
            usd1,
            flavor,
            admin,
            pauser: Keypair::new(),
            freezer: Keypair::new(),
            treasurer: Keypair::new(),
            minter: Keypair::new(),
            attestors: (0..ATTESTORS).map(|_| Keypair::new()).collect(),
            holder: Keypair::new(),
            init_events,
        }
    }

    /// Hands the three roles, the attestor set and a minter's `allowance` out.
    async fn hand_out_roles(self, allowance: u64) -> Self {
        let (f, admin) = (&self, &*self.admin);
        f.usd1
            .set_role(admin, Role::Pauser, &f.pauser.pubkey())
            .await
            .expect("pauser");
        f.usd1
            .set_role(admin, Role::Freezer, &f.freezer.pubkey())
            .await
            .expect("freezer");
        f.usd1
            .set_role(admin, Role::Treasurer, &f.treasurer.pubkey())
            .await
            .expect("treasurer");
        let keys = f.attestors.iter().map(|k| k.pubkey()).collect();
        f.usd1
            .set_attestors(admin, keys, THRESHOLD, false)
            .await
            .expect("attestors");
        f.usd1
            .configure_minter(admin, &f.minter.pubkey(), allowance)
            .await
            .expect("minter");
        self
    }

    pub fn mint(&self) -> Pubkey {
        self.usd1.mint()
    }

    pub fn config_address(&self) -> Pubkey {
        self.usd1.config_address()
    }

    /// The first `n` attestor keys.
    pub fn signers(&self, n: usize) -> Vec<&Keypair> {
        self.attestors.iter().take(n).collect()
    }

    pub async fn now(&self) -> i64 {
        self.ledger.unix_timestamp().await.expect("clock")
    }

    /// The next attestation as of now, with a report hash derived from the reserve.
    pub async fn next_args(&self, reserve: u64) -> AttestArgs {
        let config = self.usd1.config().await.expect("config");
        let as_of = self.now().await.max(config.latest.as_of + 1);
        AttestArgs {
            seq: config.latest.seq + 1,
            reserve_amount: reserve,
            as_of,
            report_sha256: report_hash(reserve, config.latest.seq + 1),
        }
    }

    /// Attests `reserve` with the threshold number of attestors.
    pub async fn attest(&self, reserve: u64) -> Result<Executed, ClientError> {
        let args = self.next_args(reserve).await;
        self.usd1
            .attest(args, &self.signers(usize::from(THRESHOLD)))
            .await
    }

    /// A new keypair holding 10 SOL for fees and rent.
    pub async fn funded_keypair(&self) -> Keypair {
        let key = Keypair::new();
        self.fund(&key.pubkey()).await;
        key
    }

    /// Sends 10 SOL from the admin to `address`.
    pub async fn fund(&self, address: &Pubkey) {
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &self.admin.pubkey(),
            address,
            10_000_000_000,
        );
        self.usd1.send(&[ix], &[]).await.expect("fund");
    }

    /// Sends instructions signed by the admin (payer) and `signers`.
    pub async fn send(
        &self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Executed, ClientError> {
        let signers: Vec<&(dyn Signer + Sync)> =
            signers.iter().map(|k| *k as &(dyn Signer + Sync)).collect();
        self.usd1.send(ixs, &signers).await
    }

    pub async fn supply(&self) -> u64 {
        self.usd1.mint_info().await.expect("mint").supply
    }

    pub async fn allowance(&self) -> u64 {
        self.usd1
            .minter_allowance(&self.minter.pubkey())
            .await
            .expect("minter")
            .allowance
    }

    /// Raw data of every account the program governs for this mint, and of the
    /// token accounts of the fixture's keys: compare two to prove nothing changed.
    pub async fn snapshot(&self) -> BTreeMap<Pubkey, Option<Vec<u8>>> {
        let config = self.config_address();
        let mut watched = vec![config, pda::attestation_history(&config), self.mint()];
        let keys = [
            &*self.admin,
            &self.pauser,
            &self.freezer,
            &self.treasurer,
            &self.minter,
            &self.holder,
        ];
        for key in keys {
            watched.push(pda::minter_allowance(&config, &key.pubkey()));
            watched.push(self.usd1.token_account_of(&key.pubkey()));
        }
        for key in &self.attestors {
            watched.push(pda::minter_allowance(&config, &key.pubkey()));
        }
        watched.push(pda::escrow(&config));
        watched.push(pda::disclosure(&config));
        if let Ok(config) = self.usd1.config().await {
            // One past the last request too, to see a record appear.
            for id in 0..=config.next_redemption_id {
                watched.push(pda::redemption(&self.config_address(), id));
            }
        }
        let accounts = self
            .ledger
            .get_multiple_accounts(&watched)
            .await
            .expect("accounts");
        watched
            .into_iter()
            .zip(accounts)
            .map(|(address, account)| (address, account.map(|a| a.data)))
            .collect()
    }
}

impl<B: Backend> Fixture<B> {
    /// A wallet's plain token-program transfer between two owners' associated accounts.
    pub fn transfer_ix(&self, from_owner: &Pubkey, to_owner: &Pubkey, amount: u64) -> Instruction {
        let program = self.flavor.program_id();
        usd1_client::instructions::transfer(
            from_owner,
            &self.mint(),
            to_owner,
            &program,
            amount,
            DECIMALS,
        )
        .expect("transfer instruction")
    }

    /// Creates `owner`'s associated token account (the admin pays).
    pub fn create_account_ix(&self, owner: &Pubkey) -> Instruction {
        self.usd1.create_token_account(owner)
    }

    /// `n` new owners whose token accounts of the mint exist (the admin
    /// pays, eight accounts a transaction).
    pub async fn owners_with_accounts(&self, n: usize) -> Vec<Pubkey> {
        let owners: Vec<Pubkey> = (0..n).map(|_| Pubkey::new_unique()).collect();
        for chunk in owners.chunks(8) {
            let ixs: Vec<Instruction> = chunk.iter().map(|o| self.create_account_ix(o)).collect();
            self.send(&ixs, &[]).await.expect("token accounts");
        }
        owners
    }
}

/// The token program's refusal of instruction `index` with `error`.
pub fn token_error(
    index: u8,
    error: anchor_spl::token_2022::spl_token_2022::error::TokenError,
) -> solana_sdk::transaction::TransactionError {
    solana_sdk::transaction::TransactionError::InstructionError(
        index,
        solana_sdk::instruction::InstructionError::Custom(error as u32),
    )
}

/// A report hash that differs per attestation.
pub fn report_hash(reserve: u64, seq: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&reserve.to_le_bytes());
    bytes[8..16].copy_from_slice(&seq.to_le_bytes());
    bytes[31] = 0xAA;
    bytes
}

/// Asserts that `result` failed with exactly this program error.
#[track_caller]
pub fn assert_usd1_error<T: std::fmt::Debug>(result: Result<T, ClientError>, expected: Usd1Error) {
    match result {
        Err(ClientError::Failed { failure, logs }) => assert!(
            failure.is(expected),
            "expected {} ({}), got {failure} / {:?}\nlogs: {logs:#?}",
            expected.name(),
            u32::from(expected),
            failure.error,
        ),
        other => panic!("expected {}, got {other:?}", expected.name()),
    }
}

/// Asserts that `result` failed with exactly this Anchor framework error.
#[track_caller]
pub fn assert_anchor_error<T: std::fmt::Debug>(
    result: Result<T, ClientError>,
    expected: anchor_lang::error::ErrorCode,
) {
    assert_custom_code(result, u32::from(expected), &format!("{expected:?}"));
}

/// Asserts that `result` failed with exactly this custom error code.
#[track_caller]
pub fn assert_custom_code<T: std::fmt::Debug>(
    result: Result<T, ClientError>,
    code: u32,
    what: &str,
) {
    match result {
        Err(ClientError::Failed { failure, logs }) => assert_eq!(
            failure.custom_code(),
            Some(code),
            "expected {what} ({code}), got {:?}\nlogs: {logs:#?}",
            failure.error
        ),
        other => panic!("expected {what}, got {other:?}"),
    }
}

/// Asserts that `result` failed with exactly this transaction error.
#[track_caller]
pub fn assert_tx_error<T: std::fmt::Debug>(
    result: Result<T, ClientError>,
    expected: solana_sdk::transaction::TransactionError,
) {
    match result {
        Err(ClientError::Failed { failure, logs }) => {
            assert_eq!(failure.error, expected, "logs: {logs:#?}")
        }
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}

/// The highest bump below the canonical one of `seeds` that derives an
/// address of the program, and that address: what a caller could pass to
/// put a second account at the same seeds.
pub fn non_canonical_pda(seeds: &[&[u8]]) -> (Pubkey, u8) {
    let (_, canonical) = Pubkey::find_program_address(seeds, &usd1::ID);
    (0..canonical)
        .rev()
        .find_map(|bump| {
            let mut with_bump = seeds.to_vec();
            let bump_seed = [bump];
            with_bump.push(&bump_seed);
            let address = Pubkey::create_program_address(&with_bump, &usd1::ID).ok()?;
            Some((address, bump))
        })
        .expect("a non-canonical bump exists")
}
