//! Confirmation in bulk: every transaction an [`RpcLedger`] waits for shares
//! its status requests. Whichever waiter's turn it is asks the node for all
//! of them, up to 256 signatures per `getSignatureStatuses`, one round at a
//! time; the others read the answer. A transaction the node has not seen is
//! sent again (the same bytes, so the same signature: it can land once at
//! most), at most every 2 s, until it lands or the wait ends.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::Transaction;
use solana_transaction_status_client_types::TransactionStatus;

use super::{RpcLedger, CONFIRM_TIMEOUT};
use crate::error::{ClientError, Failure};

/// Signatures per `getSignatureStatuses` (the node's limit).
const PER_REQUEST: usize = 256;
/// The least time between two rounds of status requests, unless a
/// signature joined since the last (it is asked about at once).
const ROUND: Duration = Duration::from_millis(200);
/// A transaction the node has not seen is sent again after this long.
const RESEND: Duration = Duration::from_secs(2);

/// The signatures being waited for and the newest status of each.
#[derive(Default)]
pub(super) struct Board {
    waiting: Mutex<HashMap<Signature, Option<TransactionStatus>>>,
    /// A signature joined since the last round.
    fresh: std::sync::atomic::AtomicBool,
    /// Held by the waiter asking this round.
    asking: tokio::sync::Mutex<Option<Instant>>,
    round: tokio::sync::Notify,
}

/// Takes a signature off the board when its waiter stops waiting.
struct Leave<'a>(&'a Board, Signature);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if let Ok(mut waiting) = self.0.waiting.lock() {
            waiting.remove(&self.1);
        }
    }
}

impl RpcLedger {
    /// Waits until `signature` reaches the commitment, sending `transaction`
    /// again (the same bytes) while the node has not seen it. A failure is
    /// the chain's verdict only once its status reaches the commitment: one
    /// seen below it is on a fork that may not last. A transaction the node
    /// has not seen is given up ([`ClientError::Expired`]) only once it can
    /// no longer land, asked once more after that; past the wait, its fate
    /// is [`ClientError::Unconfirmed`].
    pub(super) async fn confirm(
        &self,
        signature: &Signature,
        transaction: Option<&Transaction>,
    ) -> Result<(), ClientError> {
        let board = &self.board;
        board
            .waiting
            .lock()
            .map_err(|_| ClientError::Ledger("confirmation board poisoned".into()))?
            .insert(*signature, None);
        board.fresh.store(true, std::sync::atomic::Ordering::SeqCst);
        let _leave = Leave(board, *signature);
        let expiry = transaction.map(|t| self.expiry_of(t));
        let started = Instant::now();
        let deadline = started + CONFIRM_TIMEOUT;
        let mut sent_at = Instant::now();
        let mut expiry_asked_at: Option<Instant> = None;
        loop {
            let notified = board.round.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match board.asking.try_lock() {
                Ok(mut last) => {
                    let fresh = board.fresh.swap(false, std::sync::atomic::Ordering::SeqCst);
                    if let Some(at) = (*last).filter(|_| !fresh) {
                        tokio::time::sleep(ROUND.saturating_sub(at.elapsed())).await;
                    }
                    let asked = self.ask_round().await;
                    *last = Some(Instant::now());
                    drop(last);
                    board.round.notify_waiters();
                    asked?;
                }
                // Another waiter is asking: its answer covers this one too
                // (or, if it stopped waiting, the next round is ours).
                Err(_) => {
                    let _ = tokio::time::timeout(ROUND * 2, notified).await;
                }
            }
            let status = board
                .waiting
                .lock()
                .map_err(|_| ClientError::Ledger("confirmation board poisoned".into()))?
                .get(signature)
                .cloned()
                .flatten();
            match status {
                Some(status) if status.satisfies_commitment(self.commitment) => {
                    return match status.err {
                        Some(err) => Err(ClientError::Failed {
                            failure: Failure::new(err),
                            logs: self.logs_of(signature).await,
                        }),
                        None => Ok(()),
                    };
                }
                // Seen below the commitment, failed or not: a fork that may
                // not last. Wait for the commitment.
                Some(_) => {}
                None => {
                    if let Some(transaction) = transaction.filter(|_| sent_at.elapsed() >= RESEND) {
                        // Whatever this answers (already processed, expired),
                        // the status rounds tell what became of it.
                        let config = RpcSendTransactionConfig {
                            skip_preflight: true,
                            ..RpcSendTransactionConfig::default()
                        };
                        let _ = self
                            .client
                            .send_transaction_with_config(transaction, config)
                            .await;
                        sent_at = Instant::now();
                    }
                    let due = expiry_asked_at.is_none_or(|at| at.elapsed() >= RESEND);
                    if let Some(expiry) = expiry.as_ref().filter(|_| due) {
                        expiry_asked_at = Some(Instant::now());
                        if let Some(why) = self.expired(expiry).await? {
                            // It may have landed between the two questions.
                            if self.status_of(signature).await?.is_none() {
                                return Err(ClientError::Expired {
                                    signature: *signature,
                                    why,
                                });
                            }
                        }
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(ClientError::Unconfirmed {
                    signature: *signature,
                    waited_secs: started.elapsed().as_secs(),
                });
            }
        }
    }

    /// One round: the status of every signature on the board.
    async fn ask_round(&self) -> Result<(), ClientError> {
        let signatures: Vec<Signature> = self
            .board
            .waiting
            .lock()
            .map_err(|_| ClientError::Ledger("confirmation board poisoned".into()))?
            .keys()
            .copied()
            .collect();
        for chunk in signatures.chunks(PER_REQUEST) {
            let statuses = self
                .client
                .get_signature_statuses(chunk)
                .await
                .map_err(|e| self.error(e))?
                .value;
            let mut waiting = self
                .board
                .waiting
                .lock()
                .map_err(|_| ClientError::Ledger("confirmation board poisoned".into()))?;
            for (signature, status) in chunk.iter().zip(statuses) {
                if let Some(slot) = waiting.get_mut(signature) {
                    *slot = status;
                }
            }
        }
        Ok(())
    }

    /// A failed transaction's logs, read back from the node (none if it cannot say).
    async fn logs_of(&self, signature: &Signature) -> Vec<String> {
        match self.transaction(signature).await {
            Ok(tx) => tx
                .transaction
                .meta
                .and_then(|meta| Option::from(meta.log_messages))
                .unwrap_or_default(),
            Err(_) => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use serde_json::{json, Value};
    use solana_commitment_config::CommitmentConfig;
    use solana_rpc_client::nonblocking::rpc_client::RpcClient;
    use solana_rpc_client::rpc_client::RpcClientConfig;
    use solana_rpc_client::rpc_sender::{RpcSender, RpcTransportStats};
    use solana_rpc_client_api::client_error::Result;
    use solana_rpc_client_api::request::RpcRequest;
    use solana_sdk::signature::Signature;

    use crate::rpc::RpcLedger;

    /// A node that knows none of the signatures for its first rounds (or,
    /// with `sends`, until a moment), then every one as confirmed; it keeps
    /// how many each status request asked about, and the sends it got.
    #[derive(Default)]
    struct Node {
        asked: std::sync::Arc<Mutex<Vec<usize>>>,
        sent: std::sync::Arc<Mutex<Vec<std::time::Instant>>>,
        /// The signature a send answers with, and when the node first sees it.
        sends: Option<(String, std::time::Instant)>,
    }

    #[async_trait]
    impl RpcSender for Node {
        async fn send(&self, request: RpcRequest, params: Value) -> Result<Value> {
            if request == RpcRequest::SendTransaction {
                self.sent.lock().unwrap().push(std::time::Instant::now());
                let (signature, _) = self.sends.clone().expect("a send expected");
                return Ok(Value::String(signature));
            }
            if request == RpcRequest::IsBlockhashValid {
                return Ok(json!({"context": {"slot": 7}, "value": true}));
            }
            assert_eq!(
                request,
                RpcRequest::GetSignatureStatuses,
                "only statuses asked"
            );
            let count = params[0].as_array().map_or(0, Vec::len);
            let mut asked = self.asked.lock().unwrap();
            asked.push(count);
            let known = match &self.sends {
                Some((_, seen_at)) => std::time::Instant::now() >= *seen_at,
                None => asked.len() > 3,
            };
            let status = json!({"slot": 7, "confirmations": null, "err": null,
                                "status": {"Ok": null}, "confirmationStatus": "confirmed"});
            let value: Vec<Value> = (0..count)
                .map(|_| if known { status.clone() } else { Value::Null })
                .collect();
            Ok(json!({"context": {"slot": 7}, "value": value}))
        }
        fn get_transport_stats(&self) -> RpcTransportStats {
            RpcTransportStats::default()
        }
        fn url(&self) -> String {
            "mock".into()
        }
    }

    /// A transaction the node has not seen is sent again, every 2 s, the
    /// same bytes, until the node sees it.
    #[tokio::test]
    async fn an_unseen_transaction_is_sent_again_every_two_seconds() {
        use solana_sdk::signature::{Keypair, Signer};
        let payer = Keypair::new();
        let ix = solana_system_interface::instruction::transfer(
            &payer.pubkey(),
            &solana_sdk::pubkey::Pubkey::new_unique(),
            1,
        );
        let transaction = solana_sdk::transaction::Transaction::new_signed_with_payer(
            &[ix],
            Some(&payer.pubkey()),
            &[&payer],
            solana_sdk::hash::Hash::new_unique(),
        );
        let signature = transaction.signatures[0];
        let started = std::time::Instant::now();
        let node = Node {
            sends: Some((
                signature.to_string(),
                started + std::time::Duration::from_millis(4_500),
            )),
            ..Node::default()
        };
        let sent = node.sent.clone();
        let config = RpcClientConfig::with_commitment(CommitmentConfig::confirmed());
        let ledger = RpcLedger::with_client(
            RpcClient::new_sender(node, config),
            CommitmentConfig::confirmed(),
        );
        ledger
            .confirm(&signature, Some(&transaction))
            .await
            .expect("confirmed once the node sees it");
        let sent = sent.lock().unwrap().clone();
        let after: Vec<u128> = sent
            .iter()
            .map(|at| at.duration_since(started).as_millis())
            .collect();
        assert_eq!(after.len(), 2, "sent again at about 2 s and 4 s: {after:?}");
        assert!(after.iter().all(|ms| *ms >= 2_000), "{after:?}");
        assert!(after[1] - after[0] >= 2_000, "{after:?}");
    }

    #[tokio::test]
    async fn many_waiters_share_status_requests_of_at_most_256() {
        let node = Node::default();
        let asked = node.asked.clone();
        let config = RpcClientConfig::with_commitment(CommitmentConfig::confirmed());
        let ledger = RpcLedger::with_client(
            RpcClient::new_sender(node, config),
            CommitmentConfig::confirmed(),
        );
        let signatures: Vec<Signature> = (0..600u32)
            .map(|i| {
                let mut bytes = [0u8; 64];
                bytes[..4].copy_from_slice(&i.to_le_bytes());
                Signature::from(bytes)
            })
            .collect();
        let waits = signatures.iter().map(|s| ledger.confirm(s, None));
        for result in futures::future::join_all(waits).await {
            result.expect("confirmed");
        }
        let asked = asked.lock().unwrap().clone();
        assert!(asked.iter().all(|&n| (1..=256).contains(&n)), "{asked:?}");
        assert_eq!(asked.iter().max(), Some(&256), "{asked:?}");
        // Each signature alone would have been 600 requests at least.
        assert!(asked.len() <= 20, "{} requests: {asked:?}", asked.len());
        assert!(
            ledger.board.waiting.lock().unwrap().is_empty(),
            "every waiter left"
        );
    }

    /// A node following a script: `answer(request, params, since start)`.
    struct Scripted<F>(F, std::time::Instant);

    #[async_trait]
    impl<F> RpcSender for Scripted<F>
    where
        F: Fn(RpcRequest, &Value, std::time::Duration) -> Value + Send + Sync,
    {
        async fn send(&self, request: RpcRequest, params: Value) -> Result<Value> {
            Ok((self.0)(request, &params, self.1.elapsed()))
        }
        fn get_transport_stats(&self) -> RpcTransportStats {
            RpcTransportStats::default()
        }
        fn url(&self) -> String {
            "scripted".into()
        }
    }

    fn statuses(params: &Value, status: &Value) -> Value {
        let count = params[0].as_array().map_or(0, Vec::len);
        json!({"context": {"slot": 7}, "value": vec![status.clone(); count]})
    }

    fn transfer() -> solana_sdk::transaction::Transaction {
        use solana_sdk::signature::{Keypair, Signer};
        let payer = Keypair::new();
        let ix = solana_system_interface::instruction::transfer(
            &payer.pubkey(),
            &solana_sdk::pubkey::Pubkey::new_unique(),
            1,
        );
        solana_sdk::transaction::Transaction::new_signed_with_payer(
            &[ix],
            Some(&payer.pubkey()),
            &[&payer],
            solana_sdk::hash::Hash::new_unique(),
        )
    }

    /// Issue 32: a failure seen at `processed` is on a fork that may not
    /// last; the transaction then lands elsewhere and is confirmed. Taking
    /// the first answer for final would have sent its rows again.
    #[tokio::test]
    async fn a_failure_seen_below_the_commitment_is_not_final() {
        let failed = json!({"slot": 7, "confirmations": 0, "err": {"InstructionError": [0, {"Custom": 1}]},
                            "status": {"Err": {"InstructionError": [0, {"Custom": 1}]}},
                            "confirmationStatus": "processed"});
        let landed = json!({"slot": 9, "confirmations": null, "err": null,
                            "status": {"Ok": null}, "confirmationStatus": "confirmed"});
        let node = Scripted(
            move |request, params: &Value, since: std::time::Duration| match request {
                RpcRequest::GetSignatureStatuses if since.as_millis() < 600 => {
                    statuses(params, &failed)
                }
                RpcRequest::GetSignatureStatuses if since.as_millis() < 1_200 => {
                    statuses(params, &Value::Null)
                }
                RpcRequest::GetSignatureStatuses => statuses(params, &landed),
                RpcRequest::IsBlockhashValid => json!({"context": {"slot": 7}, "value": true}),
                other => panic!("not expected: {other}"),
            },
            std::time::Instant::now(),
        );
        let config = RpcClientConfig::with_commitment(CommitmentConfig::confirmed());
        let ledger = RpcLedger::with_client(
            RpcClient::new_sender(node, config),
            CommitmentConfig::confirmed(),
        );
        let transaction = transfer();
        ledger
            .confirm(&transaction.signatures[0], None)
            .await
            .expect("the fork's failure was not final: the transaction landed");
    }

    /// Issue 32: a transaction the node has not seen is given up only once
    /// the node's block height passes its blockhash's last valid block
    /// height, and its status is asked once more first (it may have landed
    /// between the questions). A node that lags and calls a fresh blockhash
    /// invalid is not believed.
    #[tokio::test]
    async fn an_unseen_transaction_is_given_up_only_past_its_last_valid_block_height() {
        let history_asked = std::sync::Arc::new(Mutex::new(0u32));
        let asked = history_asked.clone();
        let node = Scripted(
            move |request, params: &Value, since: std::time::Duration| match request {
                RpcRequest::GetSignatureStatuses => {
                    if params[1]["searchTransactionHistory"] == json!(true) {
                        *asked.lock().unwrap() += 1;
                    }
                    statuses(params, &Value::Null)
                }
                // A lagging node: every blockhash is unknown to it.
                RpcRequest::IsBlockhashValid => json!({"context": {"slot": 7}, "value": false}),
                RpcRequest::GetBlockHeight => {
                    json!(if since.as_millis() < 2_500 { 95 } else { 101 })
                }
                RpcRequest::SendTransaction => Value::Null,
                other => panic!("not expected: {other}"),
            },
            std::time::Instant::now(),
        );
        let config = RpcClientConfig::with_commitment(CommitmentConfig::confirmed());
        let ledger = RpcLedger::with_client(
            RpcClient::new_sender(node, config),
            CommitmentConfig::confirmed(),
        );
        let transaction = transfer();
        ledger
            .lifetimes
            .remember(transaction.message.recent_blockhash, 100);
        let started = std::time::Instant::now();
        let error = ledger
            .confirm(&transaction.signatures[0], Some(&transaction))
            .await
            .unwrap_err();
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(2_500),
            "given up at {:?}, before the block height passed",
            started.elapsed()
        );
        match error {
            crate::ClientError::Expired { signature, why } => {
                assert_eq!(signature, transaction.signatures[0]);
                assert_eq!(
                    why,
                    "its blockhash expired: block height 101 is past its last valid block height 100"
                );
            }
            other => panic!("expected Expired, got {other}"),
        }
        assert_eq!(*history_asked.lock().unwrap(), 1, "asked once more");
    }
}
