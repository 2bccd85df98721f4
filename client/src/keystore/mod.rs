//! Keys that never touch a disk: signers whose private key stays in an HSM
//! (PKCS#11, RFC 7512 `pkcs11:` URIs) or in a vault's transit engine
//! (`vault://HOST:PORT/MOUNT/keys/NAME`, the API HashiCorp Vault and
//! OpenBao share). Every signature that comes back is checked against the
//! key's public key before anyone uses it; a signer that is down, slow or
//! refuses is a named [`KeyError`] with the source in it.
//!
//! The sources are read here once, for every front end (the CLI's
//! `-k`/`--fee-payer`/`--signer`, the oracle's and co-signer's keys, the
//! desk's): [`open`] gives a [`Signer`], [`create`] makes a new key in the
//! HSM or vault (non-extractable), [`public_key`] reads one.
use std::sync::Arc;
use std::time::Duration;

use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer, SignerError};

pub mod pkcs11;
pub mod uri;
pub mod vault;

pub use uri::{Pkcs11Uri, Source, VaultUri};

/// How long a signer may take to answer unless its source says otherwise
/// (`timeout=SECONDS`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a key source could not be used. Each names the source (without any
/// secret: PINs and tokens never appear).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{key}: {why}")]
    Malformed { key: String, why: String },
    #[error("{key}: a PIN is never given on the command line: use pin-source=FILE or pin-source=env:VARIABLE")]
    PinInUri { key: String },
    #[error("{key}: no token for the vault: set VAULT_TOKEN or token-file=PATH")]
    NoVaultToken { key: String },
    #[error("{key}: the signer is unavailable: {why}")]
    Unavailable { key: String, why: String },
    #[error("{key}: the signer did not answer within {seconds} s")]
    TimedOut { key: String, seconds: u64 },
    #[error("{key}: the signer refused: {why}")]
    Refused { key: String, why: String },
    #[error("{key}: no such key")]
    NoSuchKey { key: String },
    #[error("{key}: a key of that name exists already (its public key is {pubkey})")]
    Exists { key: String, pubkey: Pubkey },
    #[error("{key}: not an Ed25519 key")]
    NotEd25519 { key: String },
    #[error("{key}: the signature it returned does not verify against {expected}: nothing was signed with it")]
    WrongSignature { key: String, expected: Pubkey },
}

/// Whether `text` names a key in an HSM or a vault (and so belongs here).
pub fn is_keystore(text: &str) -> bool {
    text.starts_with("pkcs11:") || text.starts_with("vault://") || text.starts_with("vault+http://")
}

/// What a backend does: answer with its public key, sign, make a key.
trait Backend: Send + Sync {
    fn public_key(&self) -> Result<Pubkey, KeyError>;
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

fn backend(source: &Source) -> Result<Box<dyn Backend>, KeyError> {
    Ok(match source {
        Source::Pkcs11(uri) => Box::new(pkcs11::Token::open(uri)?),
        Source::Vault(uri) => Box::new(vault::Transit::open(uri)?),
    })
}

/// A signer over the key `text` names, its public key read once.
pub fn open(text: &str) -> Result<Arc<KeystoreSigner>, KeyError> {
    let source = Source::parse(text)?;
    let backend = backend(&source)?;
    let pubkey = backend.public_key()?;
    Ok(Arc::new(KeystoreSigner {
        name: source.to_string(),
        pubkey,
        backend,
    }))
}

/// The public key of the key `text` names.
pub fn public_key(text: &str) -> Result<Pubkey, KeyError> {
    backend(&Source::parse(text)?)?.public_key()
}

/// Makes a new Ed25519 key where `text` says (in an HSM: private,
/// sensitive, never extractable; in a vault: not exportable); its public key.
pub fn create(text: &str) -> Result<Pubkey, KeyError> {
    match Source::parse(text)? {
        Source::Pkcs11(uri) => pkcs11::create(&uri),
        Source::Vault(uri) => vault::create(&uri),
    }
}

/// A key held elsewhere: every signature it is given is checked against
/// its public key before it is returned.
pub struct KeystoreSigner {
    name: String,
    pubkey: Pubkey,
    backend: Box<dyn Backend>,
}

impl KeystoreSigner {
    /// The source, as shown in errors (no secrets).
    pub fn source(&self) -> &str {
        &self.name
    }

    /// Signs `message`; the signature is checked against the public key.
    pub fn sign_checked(&self, message: &[u8]) -> Result<Signature, KeyError> {
        let bytes = self.backend.sign(message)?;
        let wrong = || KeyError::WrongSignature {
            key: self.name.clone(),
            expected: self.pubkey,
        };
        let signature = Signature::try_from(bytes.as_slice()).map_err(|_| wrong())?;
        if !signature.verify(self.pubkey.as_ref(), message) {
            return Err(wrong());
        }
        Ok(signature)
    }
}

impl Signer for KeystoreSigner {
    fn try_pubkey(&self) -> Result<Pubkey, SignerError> {
        Ok(self.pubkey)
    }

    fn try_sign_message(&self, message: &[u8]) -> Result<Signature, SignerError> {
        self.sign_checked(message)
            .map_err(|e| SignerError::Custom(e.to_string()))
    }

    fn is_interactive(&self) -> bool {
        false
    }
}

/// Runs `work` on its own thread and waits at most `timeout` for it: an
/// HSM call cannot be cancelled, so one that hangs is left behind and its
/// answer, if it ever comes, is dropped.
fn within<T: Send + 'static>(
    source: &str,
    timeout: Duration,
    work: impl FnOnce() -> Result<T, KeyError> + Send + 'static,
) -> Result<T, KeyError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    match rx.recv_timeout(timeout) {
        Ok(answer) => answer,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(KeyError::TimedOut {
            key: source.to_string(),
            seconds: timeout.as_secs(),
        }),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(KeyError::Unavailable {
            key: source.to_string(),
            why: "the signing thread stopped".into(),
        }),
    }
}

/// Why a configured key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    File(#[from] crate::keypair::KeypairError),
}

/// The signer a service's key setting names: a key in an HSM or a vault
/// (`pkcs11:…`, `vault://…`), or a keypair file (a relative path read
/// through `resolve`, as the setting's file says).
pub fn signer_from(
    setting: &std::path::Path,
    resolve: impl Fn(&std::path::Path) -> std::path::PathBuf,
) -> Result<crate::signing::SharedSigner, LoadError> {
    let text = setting.to_string_lossy();
    if is_keystore(&text) {
        return Ok(open(&text)?);
    }
    Ok(Arc::new(crate::keypair::read_keypair_file(&resolve(
        setting,
    ))?))
}
