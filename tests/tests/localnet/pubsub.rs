//! The localnet's PubSub websocket through agave's own client
//! (`solana-pubsub-client`): every subscription it serves notifies as a
//! validator's does, an unsubscribed stream hears nothing more, and the
//! server's bounds hold — subscriptions per connection, message size, and a
//! client that goes away frees what it held (issue 12).
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use solana_account_decoder_client_types::{UiAccountData, UiAccountEncoding};
use solana_commitment_config::CommitmentConfig;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureSubscribeConfig,
    RpcTransactionLogsConfig, RpcTransactionLogsFilter,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_rpc_client_api::response::RpcSignatureResult;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use tokio_tungstenite::tungstenite::Message;
use usd1_client::{instructions, Ledger};
use usd1_localnet::pubsub::{MAX_MESSAGE_BYTES, MAX_SUBSCRIPTIONS};
use usd1_tests::localnet::localnet;
use usd1_tests::Fixture;
use usd1_tests::*;

/// The next item of `stream`, or a failure after 10 s.
async fn next<T>(stream: &mut (impl futures_util::Stream<Item = T> + Unpin)) -> T {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("a notification within 10 s")
        .expect("the stream is open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscription_notifies_as_agaves_client_expects() {
    let localnet = localnet().await;
    let p = Fixture::on_localnet(&localnet, 10_000 * ONE, 500 * ONE).await;
    let usd1 = &p.usd1;
    let holder = p.holder.pubkey();
    localnet
        .chain
        .airdrop(&holder, 10_000_000_000)
        .await
        .unwrap();
    let client = PubsubClient::new(&localnet.ws_url).await.unwrap();
    let confirmed = Some(CommitmentConfig::confirmed());
    let source = usd1.token_account_of(&holder);
    let recipient = Pubkey::new_unique();
    let destination = usd1.token_account_of(&recipient);

    let (mut account, account_unsubscribe) = client
        .account_subscribe(
            &source,
            Some(RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::JsonParsed),
                commitment: confirmed,
                ..RpcAccountInfoConfig::default()
            }),
        )
        .await
        .unwrap();
    // Token accounts of Token-2022 whose owner (bytes 32..64) is the recipient.
    let (mut program, _) = client
        .program_subscribe(
            &usd1_client::TOKEN_2022_PROGRAM_ID,
            Some(RpcProgramAccountsConfig {
                filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_base58_encoded(
                    32,
                    recipient.as_ref(),
                ))]),
                account_config: RpcAccountInfoConfig {
                    encoding: Some(UiAccountEncoding::Base64),
                    commitment: confirmed,
                    ..RpcAccountInfoConfig::default()
                },
                ..RpcProgramAccountsConfig::default()
            }),
        )
        .await
        .unwrap();
    let logs_config = || RpcTransactionLogsConfig {
        commitment: confirmed,
    };
    let (mut all_logs, _) = client
        .logs_subscribe(RpcTransactionLogsFilter::All, logs_config())
        .await
        .unwrap();
    let (mut mentions, _) = client
        .logs_subscribe(
            RpcTransactionLogsFilter::Mentions(vec![destination.to_string()]),
            logs_config(),
        )
        .await
        .unwrap();
    let (mut slots, _) = client.slot_subscribe().await.unwrap();

    // The payment, signed first so its signature can be watched before it is sent.
    let pay = [
        instructions::create_associated_token_account(
            &holder,
            &recipient,
            &usd1.mint(),
            &usd1.token_program(),
        ),
        instructions::transfer(
            &holder,
            &usd1.mint(),
            &recipient,
            &usd1.token_program(),
            25 * ONE,
            DECIMALS,
        )
        .unwrap(),
    ];
    let blockhash = usd1.ledger().latest_blockhash().await.unwrap();
    let transaction = solana_sdk::transaction::Transaction::new_signed_with_payer(
        &pay,
        Some(&holder),
        &[&p.holder],
        blockhash,
    );
    let signature = transaction.signatures[0];
    let (mut status, _) = client
        .signature_subscribe(
            &signature,
            Some(RpcSignatureSubscribeConfig {
                commitment: confirmed,
                enable_received_notification: Some(true),
            }),
        )
        .await
        .unwrap();
    let landed = usd1.ledger().send_and_confirm(&transaction).await.unwrap();
    assert_eq!(landed.signature, signature);

    let received = next(&mut status).await;
    assert!(
        matches!(received.value, RpcSignatureResult::ReceivedSignature(_)),
        "{received:?}"
    );
    let processed = next(&mut status).await;
    match processed.value {
        RpcSignatureResult::ProcessedSignature(result) => assert_eq!(result.err, None),
        other => panic!("expected the processed notification, got {other:?}"),
    }
    assert!(processed.context.slot > 0);

    let changed = next(&mut account).await;
    let UiAccountData::Json(parsed) = &changed.value.data else {
        panic!("jsonParsed: {:?}", changed.value.data);
    };
    assert_eq!(parsed.program, "spl-token-2022");
    assert_eq!(
        parsed.parsed["info"]["tokenAmount"]["amount"],
        (475 * ONE).to_string()
    );

    let created = next(&mut program).await;
    assert_eq!(created.value.pubkey, destination.to_string());
    let bytes = created.value.account.data.decode().unwrap();
    let token = usd1_client::accounts::decode_token_account(&destination, &bytes).unwrap();
    assert_eq!((token.owner, token.amount), (recipient, 25 * ONE));

    for stream in [&mut all_logs, &mut mentions] {
        let logs = next(stream).await;
        assert_eq!(logs.value.signature, signature.to_string());
        assert_eq!(logs.value.err, None);
        assert!(
            logs.value
                .logs
                .iter()
                .any(|l| l.contains("TransferChecked")),
            "{:?}",
            logs.value.logs
        );
    }
    let slot = next(&mut slots).await;
    assert_eq!(slot.parent, slot.slot - 1);

    // A signature that landed before it was asked about is answered at once.
    let (mut again, _) = client.signature_subscribe(&signature, None).await.unwrap();
    assert!(matches!(
        next(&mut again).await.value,
        RpcSignatureResult::ProcessedSignature(_)
    ));

    // Unsubscribed: the account stream ends, and the next change is not sent to it.
    account_unsubscribe().await;
    assert!(tokio::time::timeout(Duration::from_secs(5), account.next())
        .await
        .expect("the stream ends")
        .is_none());
    usd1.transfer(&p.holder, &recipient, ONE).await.unwrap();
    let logs = next(&mut mentions).await;
    assert_ne!(logs.value.signature, signature.to_string());
    localnet.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_and_messages_are_bounded_and_a_vanished_client_frees_its_own() {
    let localnet = localnet().await;
    let before = localnet.chain.subscribers();
    let (mut socket, _) = tokio_tungstenite::connect_async(localnet.ws_url.as_str())
        .await
        .unwrap();
    // Wait for the server to take the connection.
    while localnet.chain.subscribers() == before {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut answer = async |request: String| {
        socket.send(Message::text(request)).await.unwrap();
        loop {
            match socket.next().await.unwrap().unwrap() {
                Message::Text(text) => {
                    let value: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                    if value.get("id").is_some() {
                        return value;
                    }
                }
                _ => continue,
            }
        }
    };
    let mut last = serde_json::Value::Null;
    for id in 0..MAX_SUBSCRIPTIONS {
        last = answer(format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"slotSubscribe"}}"#
        ))
        .await;
        assert!(last["result"].is_u64(), "{last}");
    }
    let refused = answer(r#"{"jsonrpc":"2.0","id":"over","method":"slotSubscribe"}"#.into()).await;
    assert_eq!(refused["error"]["code"], -32602);
    assert_eq!(
        refused["error"]["message"],
        format!("Too many subscriptions on this connection (at most {MAX_SUBSCRIPTIONS})")
    );
    // Unsubscribing one makes room again; a wrong id is a named error.
    let sub = last["result"].as_u64().unwrap();
    let done = answer(format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"slotUnsubscribe","params":[{sub}]}}"#
    ))
    .await;
    assert_eq!(done["result"], true);
    let wrong = answer(format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"accountUnsubscribe","params":[{}]}}"#,
        sub - 1
    ))
    .await;
    assert_eq!(wrong["error"]["message"], "Invalid subscription id.");
    let again = answer(r#"{"jsonrpc":"2.0","id":3,"method":"slotSubscribe"}"#.into()).await;
    assert!(again["result"].is_u64(), "{again}");

    // A message over the limit closes the connection.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":4,"method":"slotSubscribe","params":["{}"]}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    let _ = socket.send(Message::text(huge)).await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server closed the connection");
    drop(socket);
    // The server let go of the connection and its subscriptions.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while localnet.chain.subscribers() != before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "subscriptions freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    localnet.stop().await.unwrap();
}
