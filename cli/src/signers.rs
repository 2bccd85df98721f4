//! Offline and multisig signing, the solana CLI way: the flags of
//! `solana-clap-utils` (`--sign-only`, `--blockhash`, `--signer`,
//! `--fee-payer`, `--nonce`, `--nonce-authority`,
//! `--dump-transaction-message`), and signer sources — a keypair file,
//! `prompt://` (a seed phrase), `stdin://` or `-`, `ASK`, a key in an HSM
//! (`pkcs11:`) or a vault (`vault://`), or a bare public key whose signature
//! comes with `--signer PUBKEY=SIGNATURE` (or is left absent when signing
//! only).
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context as _, Result};
use serde::Serialize;
use solana_clap_utils::keypair::{
    keypair_from_path, presigner_from_pubkey_sigs, SKIP_SEED_PHRASE_VALIDATION_ARG,
};
use solana_clap_utils::offline::{
    BLOCKHASH_ARG, DUMP_TRANSACTION_MESSAGE, SIGNER_ARG, SIGN_ONLY_ARG,
};
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use solana_sdk::transaction::Transaction;
use solana_signer::null_signer::NullSigner;
use usd1_client::signing::{self, DurableNonce, SharedSigner, Signing};
use usd1_client::Ledger;

/// The offline-signing flags every command takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SigningArgs {
    /// Signer source of the account that pays fees and rent (default: --keypair).
    #[arg(long = "fee-payer", global = true, value_name = "KEYPAIR")]
    pub fee_payer: Option<String>,
    /// Sign the transaction offline: print the signatures present and the
    /// ones absent, and send nothing. Needs --blockhash.
    #[arg(long = SIGN_ONLY_ARG.long, global = true, requires = "blockhash")]
    pub sign_only: bool,
    /// Use the supplied blockhash (with --nonce: the nonce's stored one).
    #[arg(long = BLOCKHASH_ARG.long, global = true, value_name = "BLOCKHASH", value_parser = parse_hash)]
    pub blockhash: Option<Hash>,
    /// `PUBKEY=SIGNATURE`: a transaction signature collected with
    /// --sign-only (repeatable; needs --blockhash). `usd1 attest` also takes
    /// attestor KEYPAIR files here.
    #[arg(long = SIGNER_ARG.long, global = true, value_name = "PUBKEY=SIGNATURE")]
    pub signer: Vec<String>,
    /// With --sign-only, also print the base64 transaction message (what a
    /// multisig proposal imports).
    #[arg(long = DUMP_TRANSACTION_MESSAGE.long, global = true, requires = "sign_only")]
    pub dump_transaction_message: bool,
    /// A durable nonce account: the transaction advances it and stays valid
    /// until it does, however long the signatures take to collect.
    #[arg(long, global = true, value_name = "PUBKEY", value_parser = crate::parse_pubkey)]
    pub nonce: Option<Pubkey>,
    /// Signer source of the nonce account's authority (default: --keypair).
    #[arg(
        long = "nonce-authority",
        global = true,
        value_name = "KEYPAIR",
        requires = "nonce"
    )]
    pub nonce_authority: Option<String>,
    /// With a prompt:// signer source, take the seed phrase as it is typed,
    /// not as a BIP39 phrase.
    #[arg(long = SKIP_SEED_PHRASE_VALIDATION_ARG.long, global = true)]
    pub skip_seed_phrase_validation: bool,
}

impl SigningArgs {
    /// The `--signer PUBKEY=SIGNATURE` pairs.
    pub fn presigned(&self) -> Vec<(Pubkey, Signature)> {
        self.signer
            .iter()
            .filter_map(|text| parse_pubkey_signature(text).ok())
            .collect()
    }

    /// The `--signer` values that are not `PUBKEY=SIGNATURE`: attestor
    /// keypair files, for `usd1 attest`.
    pub fn keypair_files(&self) -> Vec<String> {
        self.signer
            .iter()
            .filter(|text| parse_pubkey_signature(text).is_err())
            .cloned()
            .collect()
    }

    /// Refuses flags that cannot work together: signatures without the
    /// blockhash they were made over, and (unless `keypair_files`, for
    /// `usd1 attest`) a `--signer` that is not `PUBKEY=SIGNATURE`.
    pub fn check(&self, keypair_files: bool) -> Result<()> {
        if !keypair_files {
            if let Some(text) = self.keypair_files().first() {
                if let Err(why) = parse_pubkey_signature(text) {
                    bail!("--signer {why}");
                }
            }
        }
        if !self.presigned().is_empty() && self.blockhash.is_none() {
            bail!(
                "--signer PUBKEY=SIGNATURE needs --blockhash: the blockhash the signatures \
                 were made over"
            );
        }
        Ok(())
    }

    /// Loads signer `source` (named `name` in prompts and errors).
    ///
    /// A bare public key is a presigned signature from `--signer`, or, when
    /// signing only, a signer whose signature is left absent.
    pub fn signer(&self, source: &str, name: &str) -> Result<SharedSigner> {
        if usd1_client::keystore::is_keystore(source) {
            let signer = usd1_client::keystore::open(source).map_err(|e| anyhow!("{name} {e}"))?;
            return Ok(signer);
        }
        let scheme = source
            .split_once(':')
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("usb") => bail!(
                "{name} {source}: hardware wallets are not built into this usd1 \
                 (solana-remote-wallet without a HID backend); sign with --sign-only on a \
                 machine that has one and pass --signer PUBKEY=SIGNATURE here"
            ),
            Some("prompt" | "stdin" | "file") => return self.keypair(source, name),
            _ => {}
        }
        if source == "-" || source == solana_clap_utils::keypair::ASK_KEYWORD {
            return self.keypair(source, name);
        }
        if let Ok(pubkey) = Pubkey::from_str(source) {
            return match presigner_from_pubkey_sigs(&pubkey, &self.presigned()) {
                Some(presigner) => Ok(Arc::new(presigner)),
                None if self.sign_only => Ok(Arc::new(NullSigner::new(&pubkey))),
                None => bail!(
                    "missing signature for supplied pubkey: {pubkey} ({name}); give it with \
                     --signer {pubkey}=SIGNATURE, or the keypair itself"
                ),
            };
        }
        Ok(Arc::new(crate::read_keypair(source)?))
    }

    /// A keypair from a `prompt:`, `stdin:`, `file:`, `-` or `ASK` source,
    /// read by solana-clap-utils as the solana CLI reads it.
    fn keypair(&self, source: &str, name: &str) -> Result<SharedSigner> {
        let mut argv = vec!["usd1".to_string()];
        if self.skip_seed_phrase_validation {
            argv.push(format!("--{}", SKIP_SEED_PHRASE_VALIDATION_ARG.long));
        }
        let matches = clap2::App::new("usd1")
            .arg(
                clap2::Arg::with_name(SKIP_SEED_PHRASE_VALIDATION_ARG.name)
                    .long(SKIP_SEED_PHRASE_VALIDATION_ARG.long),
            )
            .get_matches_from_safe(argv)
            .map_err(|e| anyhow!("{e}"))?;
        let keypair = keypair_from_path(&matches, source, name, false)
            .map_err(|e| anyhow!("{name} {source}: {e}"))?;
        Ok(Arc::new(keypair))
    }

    /// How transactions are finished: with the nonce (its stored blockhash
    /// read from the chain unless --blockhash gives it, its authority
    /// checked), the blockhash, and whether to sign only.
    pub async fn signing(&self, ledger: &dyn Ledger, default: &SharedSigner) -> Result<Signing> {
        let mut blockhash = self.blockhash;
        let nonce = match self.nonce {
            None => None,
            Some(account) => {
                let authority = match &self.nonce_authority {
                    Some(source) => self.signer(source, "nonce-authority")?,
                    None => default.clone(),
                };
                if !self.sign_only {
                    let stored = nonce_blockhash(ledger, &account, &authority.pubkey()).await?;
                    match blockhash {
                        Some(given) if given != stored => bail!(
                            "--blockhash {given} is not nonce {account}'s stored blockhash \
                             {stored}: the nonce has advanced since the signatures were made; \
                             sign again with --blockhash {stored}"
                        ),
                        _ => blockhash = Some(stored),
                    }
                }
                Some(DurableNonce { account, authority })
            }
        };
        Ok(Signing {
            blockhash,
            nonce,
            sign_only: self.sign_only,
        })
    }
}

/// The blockhash a durable nonce account holds, once it is checked to be
/// an initialized nonce whose authority is `authority`.
async fn nonce_blockhash(
    ledger: &dyn Ledger,
    account: &Pubkey,
    authority: &Pubkey,
) -> Result<Hash> {
    let found = ledger
        .get_account(account)
        .await?
        .ok_or_else(|| anyhow!("nonce account {account} does not exist"))?;
    let data = solana_rpc_client_nonce_utils::nonblocking::data_from_account(&found)
        .with_context(|| format!("{account} is not a usable nonce account"))?;
    if data.authority != *authority {
        bail!(
            "nonce account {account}'s authority is {}, not {authority}: pass --nonce-authority",
            data.authority
        );
    }
    Ok(data.blockhash())
}

fn parse_hash(text: &str) -> std::result::Result<Hash, String> {
    Hash::from_str(text).map_err(|_| format!("'{text}' is not a base58 blockhash"))
}

fn parse_pubkey_signature(text: &str) -> std::result::Result<(Pubkey, Signature), String> {
    solana_clap_utils::input_validators::is_pubkey_sig(text)
        .map_err(|e| format!("'{text}' is not PUBKEY=SIGNATURE: {e}"))?;
    let (pubkey, signature) = text.split_once('=').unwrap_or_default();
    Ok((
        Pubkey::from_str(pubkey).map_err(|e| e.to_string())?,
        Signature::from_str(signature).map_err(|e| e.to_string())?,
    ))
}

/// A transaction signed with `--sign-only`, printed the solana CLI way
/// (its JSON is what `solana … --sign-only --output json` prints).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedOnly {
    pub blockhash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `PUBKEY=SIGNATURE`, one per signature present.
    pub signers: Vec<String>,
    /// The keys whose signatures are still to be collected.
    pub absent: Vec<String>,
}

impl SignedOnly {
    pub fn new(transaction: &Transaction, dump_message: bool) -> Self {
        let (present, absent) = signing::present_and_absent(transaction);
        Self {
            blockhash: transaction.message.recent_blockhash.to_string(),
            message: dump_message.then(|| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(transaction.message.serialize())
            }),
            signers: present.iter().map(|(k, s)| format!("{k}={s}")).collect(),
            absent: absent.iter().map(ToString::to_string).collect(),
        }
    }
}

impl fmt::Display for SignedOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Blockhash: {}", self.blockhash)?;
        if !self.signers.is_empty() {
            writeln!(f, "Signers (Pubkey=Signature):")?;
            for signer in &self.signers {
                writeln!(f, "  {signer}")?;
            }
        }
        if !self.absent.is_empty() {
            writeln!(f, "Absent Signers (Pubkey):")?;
            for key in &self.absent {
                writeln!(f, "  {key}")?;
            }
        }
        if let Some(message) = &self.message {
            writeln!(f, "Transaction Message:\n  {message}")?;
        }
        write!(f, "Nothing was sent.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::signature::Keypair;

    fn flags(sign_only: bool, signer: Vec<(Pubkey, Signature)>) -> SigningArgs {
        SigningArgs {
            sign_only,
            signer: signer.iter().map(|(k, s)| format!("{k}={s}")).collect(),
            ..SigningArgs::default()
        }
    }

    #[test]
    fn a_bare_public_key_needs_its_signature_unless_signing_only() {
        let key = Pubkey::new_unique();
        let err = flags(false, vec![])
            .signer(&key.to_string(), "keypair")
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains(&format!("missing signature for supplied pubkey: {key}")),
            "{err}"
        );
        let absent = flags(true, vec![])
            .signer(&key.to_string(), "keypair")
            .unwrap();
        assert_eq!(absent.pubkey(), key);
        assert_eq!(absent.sign_message(b"m"), Signature::default());
    }

    #[test]
    fn a_presigned_signature_is_used_only_over_its_message() {
        let key = Keypair::new();
        let signature = key.sign_message(b"the message");
        let presigned = flags(false, vec![(key.pubkey(), signature)])
            .signer(&key.pubkey().to_string(), "keypair")
            .unwrap();
        assert_eq!(
            presigned.try_sign_message(b"the message").unwrap(),
            signature
        );
        assert!(presigned.try_sign_message(b"another message").is_err());
    }

    #[test]
    fn file_uris_are_read_by_solana_clap_utils_and_usb_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("usd1-signers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = Keypair::new();
        let path = dir.join("key.json");
        std::fs::write(&path, format!("{:?}", key.to_bytes().to_vec())).unwrap();
        let loaded = flags(false, vec![])
            .signer(&format!("file://{}", path.display()), "keypair")
            .unwrap();
        assert_eq!(loaded.pubkey(), key.pubkey());
        let plain = flags(false, vec![])
            .signer(path.to_str().unwrap(), "keypair")
            .unwrap();
        assert_eq!(plain.pubkey(), key.pubkey());
        let usb = flags(false, vec![])
            .signer("usb://ledger", "keypair")
            .err()
            .unwrap();
        assert!(
            usb.to_string()
                .contains("hardware wallets are not built into this usd1"),
            "{usb}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fails_when_signatures_come_without_their_blockhash_or_a_signer_is_not_a_pair() {
        let key = Keypair::new();
        let given = flags(false, vec![(key.pubkey(), key.sign_message(b"m"))]);
        let err = given.check(false).unwrap_err().to_string();
        assert!(
            err.contains("--signer PUBKEY=SIGNATURE needs --blockhash"),
            "{err}"
        );
        let with_hash = SigningArgs {
            blockhash: Some(Hash::new_unique()),
            ..given
        };
        with_hash.check(false).unwrap();
        let file = SigningArgs {
            signer: vec!["attestor.json".into()],
            ..SigningArgs::default()
        };
        let err = file.check(false).unwrap_err().to_string();
        assert!(
            err.contains("'attestor.json' is not PUBKEY=SIGNATURE"),
            "{err}"
        );
        file.check(true).unwrap();
        assert_eq!(file.keypair_files(), vec!["attestor.json".to_string()]);
    }

    #[test]
    fn pubkey_signature_pairs_parse_and_bad_ones_are_explained() {
        let key = Keypair::new();
        let signature = key.sign_message(b"m");
        assert_eq!(
            parse_pubkey_signature(&format!("{}={signature}", key.pubkey())).unwrap(),
            (key.pubkey(), signature)
        );
        assert!(parse_pubkey_signature("nonsense")
            .unwrap_err()
            .contains("is not PUBKEY=SIGNATURE"));
    }
}
