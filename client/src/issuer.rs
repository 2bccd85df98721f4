//! `Usd1<L>`: one mint's operations over any `Ledger` — build, sign, send,
//! decode. The CLI, the oracle and the tests all act through it.
use std::sync::Arc;

use solana_sdk::hash::Hash;
use solana_sdk::instruction::Instruction;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::Transaction;
use usd1::instructions::{
    AttestArgs, ConfigureMinterArgs, InitializeArgs, LawfulBasis, PolicyArgs,
};
use usd1::state::Role;

use crate::accounts::{
    self, AttestationHistory, Config, MintInfo, MinterAllowance, TokenAccountInfo,
};
use crate::error::ClientError;
use crate::ledger::{Executed, Ledger, Simulation};
use crate::signing::{self, SharedSigner, Signing};
use crate::{attestation, instructions, pda};

mod holder;
mod redemption;

/// How many times one request is signed anew after an earlier signature of
/// it expired without landing.
const MAX_SIGNED_ANEW: u32 = 2;

/// Operations on one USD1 mint. `payer` pays fees and rent for every
/// transaction; `signing` says how transactions are finished.
pub struct Usd1<L: Ledger + ?Sized> {
    ledger: Arc<L>,
    payer: SharedSigner,
    signing: Signing,
    mint: Pubkey,
    token_program: Pubkey,
    /// Fixed at initialize, so read once.
    decimals: u8,
}

impl<L: Ledger + ?Sized> Clone for Usd1<L> {
    fn clone(&self) -> Self {
        Self {
            ledger: self.ledger.clone(),
            payer: self.payer.clone(),
            signing: self.signing.clone(),
            mint: self.mint,
            token_program: self.token_program,
            decimals: self.decimals,
        }
    }
}

impl<L: Ledger + ?Sized> Usd1<L> {
    /// A handle on an existing mint; reads its token program and decimals from its Config.
    pub async fn connect(
        ledger: Arc<L>,
        payer: SharedSigner,
        mint: Pubkey,
    ) -> Result<Self, ClientError> {
        let mut handle = Self {
            ledger,
            payer,
            signing: Signing::default(),
            mint,
            token_program: Pubkey::default(),
            decimals: 0,
        };
        let config = handle.config().await?;
        handle.token_program = config.token_program;
        handle.decimals = config.decimals;
        Ok(handle)
    }

    /// Creates a new mint (the `mint` keypair signs) with `payer` as admin.
    pub async fn initialize(
        ledger: Arc<L>,
        payer: SharedSigner,
        mint: &(dyn Signer + Sync),
        token_program: Pubkey,
        args: InitializeArgs,
    ) -> Result<(Self, Executed), ClientError> {
        Self::initialize_with(ledger, payer, Signing::default(), mint, token_program, args).await
    }

    /// [`Self::initialize`], finished as `signing` says.
    pub async fn initialize_with(
        ledger: Arc<L>,
        payer: SharedSigner,
        signing: Signing,
        mint: &(dyn Signer + Sync),
        token_program: Pubkey,
        args: InitializeArgs,
    ) -> Result<(Self, Executed), ClientError> {
        let handle = Self {
            ledger,
            payer,
            signing,
            mint: mint.pubkey(),
            token_program,
            decimals: args.decimals,
        };
        let ix =
            instructions::initialize(&handle.payer.pubkey(), &mint.pubkey(), &token_program, args);
        let executed = handle.send(&[ix], &[mint]).await?;
        Ok((handle, executed))
    }

    pub fn mint(&self) -> Pubkey {
        self.mint
    }

    pub fn token_program(&self) -> Pubkey {
        self.token_program
    }

    /// The mint's decimals: base units per token are `10^decimals`.
    pub fn decimals(&self) -> u8 {
        self.decimals
    }

    pub fn config_address(&self) -> Pubkey {
        pda::config(&self.mint)
    }

    pub fn ledger(&self) -> &Arc<L> {
        &self.ledger
    }

    /// When a landed transaction touching the Config (a mint, a
    /// settlement) was made by the chain's clock: its block's time, as the
    /// supply's history dates it (`None` where the ledger keeps none).
    pub async fn landed_at(&self, signature: &Signature) -> Result<Option<i64>, ClientError> {
        let recorded = self
            .ledger
            .recorded(&self.config_address(), signature)
            .await?;
        Ok(recorded.block_time)
    }

    pub fn payer(&self) -> &(dyn Signer + Sync) {
        &self.payer
    }

    /// This handle, finishing its transactions as `signing` says.
    pub fn with_signing(mut self, signing: Signing) -> Self {
        self.signing = signing;
        self
    }

    /// `target` itself if it is a token account of this mint, else its
    /// owner's associated token account: what "an owner or a token account"
    /// arguments mean.
    pub async fn resolve_token_account(&self, target: &Pubkey) -> Result<Pubkey, ClientError> {
        Ok(if self.is_token_account_of_mint(target).await? {
            *target
        } else {
            self.token_account_of(target)
        })
    }

    /// Whether `address` is a live token account of this mint, under its token program.
    pub async fn is_token_account_of_mint(&self, address: &Pubkey) -> Result<bool, ClientError> {
        Ok(match self.ledger.get_account(address).await? {
            Some(account) => {
                account.owner == self.token_program
                    && accounts::decode_token_account(address, &account.data)
                        .is_ok_and(|token| token.mint == self.mint)
            }
            None => false,
        })
    }

    /// `owner`'s associated token account for this mint.
    pub fn token_account_of(&self, owner: &Pubkey) -> Pubkey {
        pda::associated_token_account(owner, &self.mint, &self.token_program)
    }

    /// Creates `owner`'s associated token account if it does not exist yet,
    /// the payer paying.
    pub fn create_token_account(&self, owner: &Pubkey) -> Instruction {
        instructions::create_associated_token_account(
            &self.payer.pubkey(),
            owner,
            &self.mint,
            &self.token_program,
        )
    }

    // ---- transactions ----

    /// Signs `ixs` with the payer and `signers` against `blockhash`, every
    /// signature present and over this message (else the signer is named).
    pub fn transaction(
        &self,
        ixs: &[Instruction],
        signers: &[&(dyn Signer + Sync)],
        blockhash: solana_sdk::hash::Hash,
    ) -> Result<Transaction, ClientError> {
        let message = Message::new(ixs, Some(&self.payer.pubkey()));
        signing::sign(message, &self.signers(signers), blockhash, false)
    }

    /// `ixs` paid by this handle's payer, unsigned: its size is the signed
    /// one's (no key is asked to sign what is only measured).
    pub fn unsigned_transaction(&self, ixs: &[Instruction]) -> Transaction {
        Transaction::new_unsigned(Message::new(ixs, Some(&self.payer.pubkey())))
    }

    fn signers<'a>(&'a self, signers: &[&'a (dyn Signer + Sync)]) -> Vec<&'a dyn Signer> {
        let mut all: Vec<&dyn Signer> = vec![&self.payer];
        if let Some(nonce) = &self.signing.nonce {
            all.push(&nonce.authority);
        }
        all.extend(signers.iter().map(|s| *s as &dyn Signer));
        all
    }

    /// `ixs` as this handle finishes them: behind the nonce advance, against
    /// the given blockhash or the latest, signed by the payer, the nonce
    /// authority and `signers` — partly, when signing only.
    pub async fn prepare(
        &self,
        ixs: &[Instruction],
        signers: &[&(dyn Signer + Sync)],
    ) -> Result<Transaction, ClientError> {
        let blockhash = match self.signing.blockhash {
            Some(blockhash) => blockhash,
            None => self.ledger.latest_blockhash().await?,
        };
        let message = Message::new(&self.signing.instructions(ixs), Some(&self.payer.pubkey()));
        signing::sign(
            message,
            &self.signers(signers),
            blockhash,
            self.signing.sign_only,
        )
    }

    /// [`Self::send`] of one instruction that `signer` (a role) signs.
    async fn send_one(
        &self,
        signer: &(dyn Signer + Sync),
        ix: Instruction,
    ) -> Result<Executed, ClientError> {
        self.send(&[ix], &[signer]).await
    }

    /// Signs with the payer and `signers`, sends and confirms; when signing
    /// only, ends with [`ClientError::SignedOnly`] and sends nothing.
    ///
    /// A transaction is its signature from the moment it is signed: the
    /// ledger sends those bytes and confirms them, and whatever a send
    /// answers (an answer lost to a proxy, "already processed", a node that
    /// lags) the result is what that signature did at the commitment. So the
    /// same intent is signed anew only when the first signature is known
    /// never to land ([`ClientError::Expired`]), and only with a blockhash
    /// of our choosing (not offline signing or a durable nonce).
    ///
    /// The same instructions signed again within one blockhash make the very
    /// bytes of an earlier transaction (a role set, changed and set back in
    /// one slot). That earlier one is not this request, so a signature the
    /// ledger has already seen is signed again against the next blockhash
    /// before anything is sent.
    pub async fn send(
        &self,
        ixs: &[Instruction],
        signers: &[&(dyn Signer + Sync)],
    ) -> Result<Executed, ClientError> {
        let mut tx = self.prepare(ixs, signers).await?;
        if self.signing.sign_only {
            return Err(ClientError::SignedOnly(Box::new(tx)));
        }
        let ours = self.signing.blockhash.is_none() && self.signing.nonce.is_none();
        if !ours {
            return self.ledger.send_and_confirm(&tx).await;
        }
        for _ in 0..3 {
            if !self.ledger.signature_seen(&tx.signatures[0]).await? {
                break;
            }
            self.wait_for_blockhash_after(&tx.message.recent_blockhash)
                .await?;
            tx = self.prepare(ixs, signers).await?;
        }
        let mut signed_anew = 0;
        loop {
            match self.ledger.send_and_confirm(&tx).await {
                Err(ClientError::Expired { .. }) if signed_anew < MAX_SIGNED_ANEW => {
                    signed_anew += 1;
                    self.wait_for_blockhash_after(&tx.message.recent_blockhash)
                        .await?;
                    tx = self.prepare(ixs, signers).await?;
                }
                sent => return sent,
            }
        }
    }

    /// Waits (a few slots at most) until the latest blockhash is not `used`.
    async fn wait_for_blockhash_after(&self, used: &Hash) -> Result<(), ClientError> {
        for _ in 0..40 {
            if self.ledger.latest_blockhash().await? != *used {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(ClientError::Ledger(format!(
            "no new blockhash after {used} in 4 seconds; the node is not making blocks"
        )))
    }

    /// Signs and simulates, sending nothing.
    pub async fn simulate(
        &self,
        ixs: &[Instruction],
        signers: &[&(dyn Signer + Sync)],
    ) -> Result<Simulation, ClientError> {
        let blockhash = self.ledger.latest_blockhash().await?;
        let tx = self.transaction(ixs, signers, blockhash)?;
        self.ledger.simulate(&tx).await
    }

    // ---- reads ----

    async fn account_data(&self, address: &Pubkey) -> Result<Vec<u8>, ClientError> {
        Ok(self
            .ledger
            .get_account(address)
            .await?
            .ok_or(ClientError::AccountNotFound(*address))?
            .data)
    }

    pub async fn config(&self) -> Result<Config, ClientError> {
        let address = self.config_address();
        accounts::decode(&address, &self.account_data(&address).await?)
    }

    pub async fn minter_allowance(&self, minter: &Pubkey) -> Result<MinterAllowance, ClientError> {
        let address = pda::minter_allowance(&self.config_address(), minter);
        accounts::decode(&address, &self.account_data(&address).await?)
    }

    pub async fn history(&self) -> Result<AttestationHistory, ClientError> {
        let address = pda::attestation_history(&self.config_address());
        accounts::decode_history(&address, &self.account_data(&address).await?)
    }

    pub async fn mint_info(&self) -> Result<MintInfo, ClientError> {
        accounts::decode_mint(&self.mint, &self.account_data(&self.mint).await?)
    }

    pub async fn token_account(&self, address: &Pubkey) -> Result<TokenAccountInfo, ClientError> {
        accounts::decode_token_account(address, &self.account_data(address).await?)
    }

    /// `owner`'s balance in base units (0 when it has no token account yet).
    pub async fn balance(&self, owner: &Pubkey) -> Result<u64, ClientError> {
        let address = self.token_account_of(owner);
        match self.ledger.get_account(&address).await? {
            Some(account) => Ok(accounts::decode_token_account(&address, &account.data)?.amount),
            None => Ok(0),
        }
    }

    // ---- admin ----

    pub async fn propose_admin(
        &self,
        admin: &(dyn Signer + Sync),
        proposed: &Pubkey,
    ) -> Result<Executed, ClientError> {
        self.send_one(
            admin,
            instructions::propose_admin(&admin.pubkey(), &self.mint, proposed),
        )
        .await
    }

    /// Withdraws the pending admin proposal.
    pub async fn cancel_admin_proposal(
        &self,
        admin: &(dyn Signer + Sync),
    ) -> Result<Executed, ClientError> {
        self.send_one(
            admin,
            instructions::cancel_admin_proposal(&admin.pubkey(), &self.mint),
        )
        .await
    }

    pub async fn accept_admin(
        &self,
        pending_admin: &(dyn Signer + Sync),
    ) -> Result<Executed, ClientError> {
        self.send_one(
            pending_admin,
            instructions::accept_admin(&pending_admin.pubkey(), &self.mint),
        )
        .await
    }

    pub async fn set_role(
        &self,
        admin: &(dyn Signer + Sync),
        role: Role,
        holder: &Pubkey,
    ) -> Result<Executed, ClientError> {
        self.send_one(
            admin,
            instructions::set_role(&admin.pubkey(), &self.mint, role, holder),
        )
        .await
    }

    /// Enables `minter` with `allowance` base units and no rate limit.
    pub async fn configure_minter(
        &self,
        admin: &(dyn Signer + Sync),
        minter: &Pubkey,
        allowance: u64,
    ) -> Result<Executed, ClientError> {
        let args = ConfigureMinterArgs {
            allowance,
            ..ConfigureMinterArgs::default()
        };
        self.configure_minter_with(admin, minter, args).await
    }

    /// Enables `minter` with an allowance and a rate limit (`window_secs` 0: none).
    pub async fn configure_minter_with(
        &self,
        admin: &(dyn Signer + Sync),
        minter: &Pubkey,
        args: ConfigureMinterArgs,
    ) -> Result<Executed, ClientError> {
        self.send_one(
            admin,
            instructions::configure_minter(&admin.pubkey(), &self.mint, minter, args),
        )
        .await
    }

    pub async fn remove_minter(
        &self,
        admin: &(dyn Signer + Sync),
        minter: &Pubkey,
    ) -> Result<Executed, ClientError> {
        self.send_one(
            admin,
            instructions::remove_minter(&admin.pubkey(), &self.mint, minter),
        )
        .await
    }

    /// Replaces the attestor set; the live attestation is retired (mints wait
    /// for the new set's first one) unless `keep_latest`.
    pub async fn set_attestors(
        &self,
        admin: &(dyn Signer + Sync),
        attestors: Vec<Pubkey>,
        threshold: u8,
        keep_latest: bool,
    ) -> Result<Executed, ClientError> {
        self.send_one(
            admin,
            instructions::set_attestors(
                &admin.pubkey(),
                &self.mint,
                attestors,
                threshold,
                keep_latest,
            ),
        )
        .await
    }

    pub async fn set_policy(
        &self,
        admin: &(dyn Signer + Sync),
        args: PolicyArgs,
    ) -> Result<Executed, ClientError> {
        self.send_one(
            admin,
            instructions::set_policy(&admin.pubkey(), &self.mint, args),
        )
        .await
    }

    // ---- attestation ----

    /// The attestation that would follow the latest one on-chain.
    pub async fn next_attestation(
        &self,
        reserve_amount: u64,
        as_of: i64,
        report_sha256: [u8; 32],
    ) -> Result<AttestArgs, ClientError> {
        let latest = self.config().await?.latest.seq;
        let seq = attestation::next_seq(latest).ok_or_else(|| {
            ClientError::Ledger(format!("attestation seq {latest} is the last there can be"))
        })?;
        Ok(AttestArgs {
            seq,
            reserve_amount,
            as_of,
            report_sha256,
        })
    }

    /// Signs `args` with each attestor key and submits it in one transaction.
    pub async fn attest(
        &self,
        args: AttestArgs,
        attestors: &[&Keypair],
    ) -> Result<Executed, ClientError> {
        let ixs = attestation::signed_attest_instructions(&self.mint, args, attestors);
        self.send(&ixs, &[]).await
    }

    /// Submits `args` with signatures collected elsewhere (an offline
    /// ceremony, co-signers), each checked against the registered set and
    /// the threshold first: a bad one is named and nothing is sent.
    pub async fn attest_with_signatures(
        &self,
        args: AttestArgs,
        signatures: &[attestation::AttestorSignature],
    ) -> Result<Executed, ClientError> {
        let config = self.config().await?;
        let digest = attestation::digest_of(&self.mint, &args);
        attestation::check_signatures(signatures, &digest, config.attestors(), config.threshold)?;
        let ixs = attestation::attest_instructions(&self.mint, args, signatures);
        self.send(&ixs, &[]).await
    }

    // ---- supply ----

    /// Mints `amount` base units to `owner`, creating its token account if missing.
    pub async fn mint_to(
        &self,
        minter: &(dyn Signer + Sync),
        owner: &Pubkey,
        amount: u64,
    ) -> Result<Executed, ClientError> {
        let destination = self.token_account_of(owner);
        let ixs = [
            self.create_token_account(owner),
            instructions::mint_to(
                &minter.pubkey(),
                &self.mint,
                &destination,
                &self.token_program,
                amount,
            ),
        ];
        self.send(&ixs, &[minter]).await
    }

    /// Burns `amount` base units from the minter's own token account.
    pub async fn burn(
        &self,
        minter: &(dyn Signer + Sync),
        amount: u64,
    ) -> Result<Executed, ClientError> {
        let source = self.token_account_of(&minter.pubkey());
        self.send_one(
            minter,
            instructions::burn(
                &minter.pubkey(),
                &self.mint,
                &source,
                &self.token_program,
                amount,
            ),
        )
        .await
    }

    // ---- freeze and pause ----

    /// Freezes `token_account`, citing no reason or order.
    pub async fn freeze(
        &self,
        freezer: &(dyn Signer + Sync),
        token_account: &Pubkey,
    ) -> Result<Executed, ClientError> {
        self.set_frozen(freezer, token_account, true, LawfulBasis::default())
            .await
    }

    /// Thaws `token_account`, citing no reason or order.
    pub async fn thaw(
        &self,
        freezer: &(dyn Signer + Sync),
        token_account: &Pubkey,
    ) -> Result<Executed, ClientError> {
        self.set_frozen(freezer, token_account, false, LawfulBasis::default())
            .await
    }

    /// Freezes (or thaws) `token_account`, citing `basis` on the record.
    pub async fn set_frozen(
        &self,
        freezer: &(dyn Signer + Sync),
        token_account: &Pubkey,
        frozen: bool,
        basis: LawfulBasis,
    ) -> Result<Executed, ClientError> {
        let build = if frozen {
            instructions::freeze
        } else {
            instructions::thaw
        };
        let ix = build(
            &freezer.pubkey(),
            &self.mint,
            token_account,
            &self.token_program,
            basis,
        );
        self.send_one(freezer, ix).await
    }

    pub async fn pause(&self, pauser: &(dyn Signer + Sync)) -> Result<Executed, ClientError> {
        self.send_one(
            pauser,
            instructions::pause(&pauser.pubkey(), &self.mint, &self.token_program),
        )
        .await
    }

    pub async fn unpause(&self, pauser: &(dyn Signer + Sync)) -> Result<Executed, ClientError> {
        self.send_one(
            pauser,
            instructions::unpause(&pauser.pubkey(), &self.mint, &self.token_program),
        )
        .await
    }
}
