//! How a handle finishes its transactions: signed here and sent (the default),
//! or signed against a given blockhash or durable nonce with signatures
//! collected elsewhere, or signed only — for multisig and offline signing.
//!
//! Every required signature is accounted for before anything is sent: one
//! that is missing, or given but not over this message, is named.
use std::sync::Arc;

use solana_sdk::hash::Hash;
use solana_sdk::instruction::Instruction;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use solana_sdk::transaction::Transaction;

use crate::error::ClientError;

/// A signer a handle may keep: a keypair, a presigned signature, or (when
/// signing only) a public key with no signature yet.
pub type SharedSigner = Arc<dyn Signer + Send + Sync>;

/// A durable nonce: its `advance_nonce_account` goes first, its authority
/// signs, and the transaction stays valid until the nonce advances.
#[derive(Clone)]
pub struct DurableNonce {
    pub account: Pubkey,
    pub authority: SharedSigner,
}

/// How a handle's transactions are finished.
#[derive(Clone, Default)]
pub struct Signing {
    /// Sign against this blockhash (a durable nonce's stored one, or one the
    /// offline signers agreed on) instead of the latest.
    pub blockhash: Option<Hash>,
    pub nonce: Option<DurableNonce>,
    /// Sign with what signers are present and send nothing: `send` ends with
    /// [`ClientError::SignedOnly`] carrying the partly signed transaction.
    pub sign_only: bool,
}

impl Signing {
    /// `ixs` as they are sent: behind the nonce advance when there is one.
    pub fn instructions(&self, ixs: &[Instruction]) -> Vec<Instruction> {
        let mut all = Vec::with_capacity(ixs.len() + 1);
        if let Some(nonce) = &self.nonce {
            all.push(solana_system_interface::instruction::advance_nonce_account(
                &nonce.account,
                &nonce.authority.pubkey(),
            ));
        }
        all.extend_from_slice(ixs);
        all
    }
}

/// Signs `message` with `signers` (duplicates and signers it does not need
/// are ignored) against `blockhash`. A required signer with no signer, or a
/// signer with no signature (a bare public key), is
/// [`ClientError::MissingSignature`] unless `partial`; a signer that fails
/// is [`ClientError::SignerFailed`]; a signature that does not sign this
/// message is [`ClientError::BadSignature`], always.
pub fn sign(
    mut message: Message,
    signers: &[&dyn Signer],
    blockhash: Hash,
    partial: bool,
) -> Result<Transaction, ClientError> {
    message.recent_blockhash = blockhash;
    let data = message.serialize();
    let required = usize::from(message.header.num_required_signatures);
    let mut signatures = vec![Signature::default(); required];
    for (slot, key) in signatures.iter_mut().zip(&message.account_keys) {
        let signature = match signers.iter().find(|s| s.pubkey() == *key) {
            Some(signer) => {
                off_the_runtime(|| signer.try_sign_message(&data)).map_err(|e| match e {
                    // A key held elsewhere that could not sign (its own words).
                    solana_sdk::signer::SignerError::Custom(reason) => ClientError::SignerFailed {
                        signer: *key,
                        reason,
                    },
                    // A presigned signature that is not this message's.
                    other => ClientError::BadSignature {
                        signer: *key,
                        reason: other.to_string(),
                    },
                })?
            }
            None => Signature::default(),
        };
        if signature != Signature::default() && !signature.verify(key.as_ref(), &data) {
            return Err(ClientError::BadSignature {
                signer: *key,
                reason: "it does not verify over this message".into(),
            });
        }
        if signature == Signature::default() && !partial {
            return Err(ClientError::MissingSignature(*key));
        }
        *slot = signature;
    }
    Ok(Transaction {
        signatures,
        message,
    })
}

/// Why a signer did not sign, in its own words: a key held elsewhere (an
/// HSM, a vault) says it with `SignerError::Custom`, naming its source.
pub fn why_not_signed(error: solana_sdk::signer::SignerError) -> String {
    match error {
        solana_sdk::signer::SignerError::Custom(why) => why,
        other => other.to_string(),
    }
}

/// Who has and has not signed a partly signed transaction.
pub fn present_and_absent(transaction: &Transaction) -> (Vec<(Pubkey, Signature)>, Vec<Pubkey>) {
    let mut present = Vec::new();
    let mut absent = Vec::new();
    for (signature, key) in transaction
        .signatures
        .iter()
        .zip(&transaction.message.account_keys)
    {
        if *signature == Signature::default() {
            absent.push(*key);
        } else {
            present.push((*key, *signature));
        }
    }
    (present, absent)
}

/// Runs a signature that may wait on a device or a server (an HSM, a vault)
/// without holding a runtime's worker: on a multi-threaded tokio runtime the
/// worker hands its other tasks (a service's API, its deliveries) to
/// another first. Elsewhere (no runtime, a current-thread one) it just runs.
fn off_the_runtime<T>(sign: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(sign)
        }
        _ => sign(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::sync::Mutex;
    use std::time::Duration;

    use solana_sdk::signature::{Keypair, SignerError};

    use super::*;

    /// A key held elsewhere whose answer comes only once another task of
    /// the runtime has run: it waits for that task's word, as a worker
    /// waits for an HSM.
    struct WaitsForAnotherTask {
        key: Keypair,
        word: Mutex<mpsc::Receiver<()>>,
    }

    impl Signer for WaitsForAnotherTask {
        fn try_pubkey(&self) -> Result<Pubkey, SignerError> {
            Ok(self.key.pubkey())
        }

        fn try_sign_message(&self, message: &[u8]) -> Result<Signature, SignerError> {
            let word = self.word.lock().expect("lock");
            word.recv_timeout(Duration::from_secs(10))
                .map_err(|_| SignerError::Custom("no other task ran while it signed".into()))?;
            self.key.try_sign_message(message)
        }

        fn is_interactive(&self) -> bool {
            false
        }
    }

    /// One worker: the task that signs holds it, and the task it spawned
    /// (which the signer waits for) runs only if signing hands it over.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_slow_signer_does_not_hold_the_runtimes_worker() {
        let signed = tokio::spawn(async {
            let (tell, word) = mpsc::channel();
            let signer = WaitsForAnotherTask {
                key: Keypair::new(),
                word: Mutex::new(word),
            };
            tokio::spawn(async move { tell.send(()).expect("the signer waits") });
            let payer = signer.pubkey();
            let ix =
                solana_system_interface::instruction::transfer(&payer, &Pubkey::new_unique(), 1);
            let message = Message::new(&[ix], Some(&payer));
            sign(message, &[&signer], Hash::new_unique(), false).map(|tx| tx.signatures[0])
        })
        .await
        .expect("the signing task");
        assert_ne!(signed.expect("signed"), Signature::default());
    }
}
