//! The JSON-RPC ledger's decoding, checked against the node's own wire types:
//! a real USD1 transaction runs in-process, its simulation and confirmed form
//! are rendered exactly as an RPC node renders them (agave's Ui* types), and
//! `RpcLedger` must read back the same events the in-process ledger saw.
//! (Against a live node it runs once the localnet exists.)
use base64::Engine;
use serde_json::{json, Value};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::mock_sender::MocksMap;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::request::RpcRequest;
use solana_rpc_client_api::response::{Response, RpcResponseContext, RpcSimulateTransactionResult};
use solana_sdk::signature::Signer;
use solana_sdk::transaction::Transaction;
use solana_transaction_status_client_types::UiInnerInstructions;
use usd1_client::rpc::RpcLedger;
use usd1_client::{instructions, Ledger, Usd1Event};
use usd1_tests::*;

/// A mint transaction signed and simulated in-process, with its inner
/// instructions as the node would render them.
async fn minted() -> (
    Fixture,
    Transaction,
    Vec<UiInnerInstructions>,
    Vec<Usd1Event>,
) {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
    let ix = instructions::mint_to(
        &f.minter.pubkey(),
        &f.mint(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.flavor.program_id(),
        2 * ONE,
    );
    let blockhash = f.ledger.latest_blockhash().await.unwrap();
    let tx = f.usd1.transaction(&[ix], &[&f.minter], blockhash).unwrap();
    let simulated = f
        .backend
        .banks_client
        .simulate_transaction(tx.clone())
        .await
        .unwrap();
    let inner = simulated
        .simulation_details
        .unwrap()
        .inner_instructions
        .unwrap();
    let ui: Vec<UiInnerInstructions> = inner
        .into_iter()
        .enumerate()
        .filter(|(_, set)| !set.is_empty())
        .map(|(index, instructions)| {
            UiInnerInstructions::from(solana_transaction_status_client_types::InnerInstructions {
                index: index as u8,
                instructions: instructions
                    .into_iter()
                    .map(
                        |i| solana_transaction_status_client_types::InnerInstruction {
                            instruction: i.instruction,
                            stack_height: Some(u32::from(i.stack_height)),
                        },
                    )
                    .collect(),
            })
        })
        .collect();
    let expected = f.ledger.send_and_confirm(&tx).await.unwrap().events;
    (f, tx, ui, expected)
}

fn context() -> RpcResponseContext {
    RpcResponseContext {
        slot: 42,
        api_version: None,
    }
}

/// A client whose node answers each listed request, in order, with these
/// values (and anything else with solana-rpc-client's mock defaults).
fn ledger(answers: Vec<(RpcRequest, Value)>) -> RpcLedger {
    let mocks: MocksMap = answers.into_iter().collect();
    let client = RpcClient::new_mock_with_mocks_map("succeeds", mocks);
    RpcLedger::with_client(client, CommitmentConfig::confirmed())
}

#[tokio::test]
async fn simulation_events_decode_as_in_process() {
    let (_f, tx, ui, expected) = minted().await;
    assert!(matches!(expected.as_slice(), [Usd1Event::Minted(_)]));
    let result = RpcSimulateTransactionResult {
        err: None,
        logs: Some(vec!["Program log: x".into()]),
        accounts: None,
        units_consumed: Some(1234),
        loaded_accounts_data_size: None,
        return_data: None,
        inner_instructions: Some(ui),
        replacement_blockhash: None,
        fee: None,
        pre_balances: None,
        post_balances: None,
        pre_token_balances: None,
        post_token_balances: None,
        loaded_addresses: None,
    };
    let response = serde_json::to_value(Response {
        context: context(),
        value: result,
    })
    .unwrap();
    let rpc = ledger(vec![(RpcRequest::SimulateTransaction, response)]);
    let simulation = rpc.simulate(&tx).await.unwrap();
    assert_eq!(simulation.err, None);
    assert_eq!(simulation.units_consumed, 1234);
    assert_eq!(simulation.events(), expected);
}

#[tokio::test]
async fn confirmed_transactions_and_history_decode_as_in_process() {
    let (_f, tx, ui, expected) = minted().await;
    let wire = base64::engine::general_purpose::STANDARD.encode(bincode::serialize(&tx).unwrap());
    let confirmed = json!({
        "slot": 42,
        "blockTime": 1_795_000_000,
        "transaction": [wire, "base64"],
        "meta": {
            "err": null,
            "status": { "Ok": null },
            "fee": 5000,
            "preBalances": [],
            "postBalances": [],
            "innerInstructions": serde_json::to_value(&ui).unwrap(),
            "logMessages": [],
        },
        "version": "legacy",
    });
    let signatures = json!([{
        "signature": tx.signatures[0].to_string(),
        "slot": 42,
        "err": null,
        "memo": null,
        "blockTime": 1_795_000_000,
        "confirmationStatus": "confirmed",
    }]);
    // Once for send_and_confirm's events, once for the auditor's history.
    let rpc = ledger(vec![
        (RpcRequest::GetTransaction, confirmed.clone()),
        (RpcRequest::GetSignaturesForAddress, signatures),
        (RpcRequest::GetTransaction, confirmed),
    ]);

    // sendTransaction → getSignatureStatuses → getTransaction.
    let executed = rpc.send_and_confirm(&tx).await.unwrap();
    assert_eq!(executed.signature, tx.signatures[0]);
    assert_eq!(executed.events, expected);

    // getSignaturesForAddress → getTransaction, decoded for the auditor.
    let history = rpc.history(&tx.message.account_keys[0]).await.unwrap();
    assert_eq!(history.len(), 1);
    let recorded = &history[0];
    assert_eq!(
        (recorded.slot, recorded.block_time),
        (42, Some(1_795_000_000))
    );
    assert_eq!(recorded.events, expected);
    assert_eq!(recorded.instructions.len(), 1);
    assert_eq!(recorded.instructions[0].program_id, usd1::ID);
    assert_eq!(
        recorded.instructions[0].data,
        tx.message.instructions[0].data
    );
    assert_eq!(
        rpc.signature_status(&tx.signatures[0]).await.unwrap(),
        Some(Ok(()))
    );
}

#[tokio::test]
async fn a_transaction_that_lands_and_fails_is_a_named_failure() {
    let (_f, tx, _ui, _expected) = minted().await;
    // This mock node reports every signature as landed with an instruction error.
    let client = RpcClient::new_mock_with_mocks_map("instruction_error", MocksMap::default());
    let rpc = RpcLedger::with_client(client, CommitmentConfig::confirmed());
    match rpc.send_and_confirm(&tx).await {
        Err(usd1_client::ClientError::Failed { failure, .. }) => assert_eq!(
            failure.error,
            solana_sdk::transaction::TransactionError::InstructionError(
                0,
                solana_sdk::instruction::InstructionError::UninitializedAccount
            )
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Issue 11, item 6: `getSignaturesForAddress` lists one slot's transactions
/// in an order not every node keeps as the execution order; the ledger asks
/// the node for the block's own order and sorts by it.
#[tokio::test]
async fn history_takes_the_order_within_a_slot_from_the_block() {
    let (f, minting, _, _) = minted().await;
    let blockhash = f.ledger.latest_blockhash().await.unwrap();
    let paying = f
        .usd1
        .transaction(
            &[anchor_lang::solana_program::system_instruction::transfer(
                &f.admin.pubkey(),
                &f.holder.pubkey(),
                1,
            )],
            &[],
            blockhash,
        )
        .unwrap();
    let confirmed = |tx: &Transaction| {
        let wire =
            base64::engine::general_purpose::STANDARD.encode(bincode::serialize(tx).unwrap());
        json!({
            "slot": 42,
            "blockTime": 1_795_000_000,
            "transaction": [wire, "base64"],
            "meta": { "err": null, "status": { "Ok": null }, "fee": 5000,
                      "preBalances": [], "postBalances": [], "innerInstructions": [], "logMessages": [] },
            "version": "legacy",
        })
    };
    let listed = |tx: &Transaction| {
        json!({ "signature": tx.signatures[0].to_string(), "slot": 42, "err": null,
                "memo": null, "blockTime": 1_795_000_000, "confirmationStatus": "confirmed" })
    };
    // The node lists `paying` as the newer of the two; the block ran it first.
    let (first, second) = (&paying, &minting);
    let signatures = json!([listed(first), listed(second)]);
    let block = json!({
        "previousBlockhash": blockhash.to_string(),
        "blockhash": blockhash.to_string(),
        "parentSlot": 41,
        "signatures": [
            solana_sdk::signature::Signature::default().to_string(),
            first.signatures[0].to_string(),
            second.signatures[0].to_string(),
        ],
        "blockTime": 1_795_000_000,
        "blockHeight": 40,
    });
    let address = f.admin.pubkey();
    let answers = |with_block: bool| {
        let mut answers = vec![
            (RpcRequest::GetSignaturesForAddress, signatures.clone()),
            (RpcRequest::GetTransaction, confirmed(second)),
            (RpcRequest::GetTransaction, confirmed(first)),
        ];
        if with_block {
            answers.push((RpcRequest::GetBlock, block.clone()));
        }
        answers
    };

    let history = ledger(answers(true)).history(&address).await.unwrap();
    let order: Vec<_> = history.iter().map(|t| (t.signature, t.position)).collect();
    assert_eq!(
        order,
        vec![
            (first.signatures[0], Some(1)),
            (second.signatures[0], Some(2))
        ]
    );

    // A node without the block: positions unknown, the listed order kept.
    let history = ledger(answers(false)).history(&address).await.unwrap();
    let order: Vec<_> = history.iter().map(|t| (t.signature, t.position)).collect();
    assert_eq!(
        order,
        vec![(second.signatures[0], None), (first.signatures[0], None)]
    );
}

/// Issue 11, item 14 (SECURITY.md: an RPC that is slow): a node that takes
/// the connection but answers after the ledger's timeout is a named error
/// saying so, not a hang.
#[tokio::test]
async fn a_node_slower_than_the_timeout_is_named_as_such() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Reads the request and holds the connection for 3 s without a word, then stops.
    let node = std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            std::thread::sleep(Duration::from_secs(3));
        }
    });
    let ledger = RpcLedger::with_timeout(
        url.clone(),
        CommitmentConfig::confirmed(),
        Duration::from_millis(300),
    );
    let started = Instant::now();
    let error = ledger.latest_blockhash().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up in time"
    );
    assert_eq!(
        error.to_string(),
        format!("cannot reach the RPC node {url}: no answer within 0.3 s")
    );
    node.join().unwrap();
}

/// Issue 22, item 12: a transaction the node has seen only at `processed`
/// has not landed for a sender at `confirmed` — a fork can still drop it —
/// and, once its blockhash has expired, it may still be confirmed: the send
/// journal waits rather than paying again. At `confirmed` it has landed.
#[tokio::test]
async fn a_signature_seen_only_below_the_commitment_has_not_landed_but_may() {
    use solana_sdk::hash::Hash;
    use solana_sdk::signature::Signature;
    use usd1_client::send_journal::{outcome, Attempt, Outcome};
    // The mock answers each request from its queue: enough of the same answer.
    let ledger_seeing = |status: &str| {
        let mut mocks = MocksMap::default();
        let context = RpcResponseContext {
            slot: 7,
            api_version: None,
        };
        for _ in 0..8 {
            mocks.insert(
                RpcRequest::GetSignatureStatuses,
                json!(Response {
                    context: context.clone(),
                    value: json!([{
                        "slot": 7, "confirmations": 0, "err": null,
                        "status": {"Ok": null}, "confirmationStatus": status,
                    }]),
                }),
            );
            mocks.insert(
                RpcRequest::IsBlockhashValid,
                json!(Response {
                    context: context.clone(),
                    value: false
                }),
            );
        }
        RpcLedger::with_client(
            RpcClient::new_mock_with_mocks_map("succeeds", mocks),
            CommitmentConfig::confirmed(),
        )
    };
    let attempt = Attempt {
        signature: Signature::new_unique(),
        blockhash: Hash::new_unique(),
        last_valid_block_height: None,
    };
    let processed = ledger_seeing("processed");
    assert_eq!(
        processed
            .signature_status(&attempt.signature)
            .await
            .unwrap(),
        None
    );
    assert!(processed.signature_seen(&attempt.signature).await.unwrap());
    assert_eq!(
        outcome(&processed, &[attempt]).await.unwrap(),
        Outcome::MayStillLand
    );
    let confirmed = ledger_seeing("confirmed");
    assert_eq!(
        outcome(&confirmed, &[attempt]).await.unwrap(),
        Outcome::Landed(attempt.signature)
    );
}
