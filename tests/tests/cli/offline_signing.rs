//! Offline and multisig signing through the real `usd1` binary over the
//! localnet: each signer signs on its own with `--sign-only`, one submitter
//! sends with `--signer PUBKEY=SIGNATURE`, against a durable nonce; a missing
//! or wrong signature is named and nothing is sent.
use std::path::{Path, PathBuf};

use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token_2022::spl_token_2022;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::hash::Hash;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;
use usd1_tests::localnet::{funded, localnet};
use usd1_tests::tour::{self, Run};
use usd1_tests::Fixture;

const ONE: u64 = 1_000_000;

/// A keypair written where the `usd1` binary can read it.
fn key_file(dir: &Path, name: &str, key: &Keypair) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    tour::write_keypair(&path, key).unwrap();
    path
}

fn usd1(url: &str, keypair: &str, args: &[&str]) -> Run {
    tour::usd1(url, Path::new(keypair), args).unwrap()
}

/// The `signers` of a `--sign-only --output json` run, as `--signer` values.
fn signatures(run: &Run) -> (Vec<String>, Vec<String>, serde_json::Value) {
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let list = |field: &str| -> Vec<String> {
        json[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    (list("signers"), list("absent"), json)
}

async fn nonce_hash(client: &RpcClient, nonce: &Pubkey) -> Hash {
    let account = client.get_account(nonce).await.unwrap();
    solana_rpc_client_nonce_utils::nonblocking::data_from_account(&account)
        .unwrap()
        .blockhash()
}

async fn send(
    client: &RpcClient,
    payer: &Keypair,
    ixs: &[solana_sdk::instruction::Instruction],
    signers: &[&Keypair],
) {
    let blockhash = client.get_latest_blockhash().await.unwrap();
    let mut all = vec![payer];
    all.extend_from_slice(signers);
    let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &all, blockhash);
    client.send_and_confirm_transaction(&tx).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_of_three_multisig_signs_offline_against_a_durable_nonce() {
    let localnet = localnet().await;
    let p = Fixture::on_localnet(&localnet, 1_000 * ONE, ONE).await;
    let dir = tempfile::tempdir().unwrap();
    let client = RpcClient::new(localnet.url.clone());
    let url = localnet.url.as_str();
    let mint = p.usd1.mint().to_string();
    let token_program = p.usd1.token_program();

    // A 2-of-3 SPL Token multisig holds 10 USD1; the submitter pays and
    // holds the nonce's authority.
    let members: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let submitter = funded(&localnet).await;
    let multisig = Keypair::new();
    let rent = client
        .get_minimum_balance_for_rent_exemption(spl_token_2022::state::Multisig::LEN)
        .await
        .unwrap();
    let member_keys: Vec<Pubkey> = members.iter().map(|m| m.pubkey()).collect();
    send(
        &client,
        &submitter,
        &[
            anchor_lang::solana_program::system_instruction::create_account(
                &submitter.pubkey(),
                &multisig.pubkey(),
                rent,
                spl_token_2022::state::Multisig::LEN as u64,
                &token_program,
            ),
            spl_token_2022::instruction::initialize_multisig2(
                &token_program,
                &multisig.pubkey(),
                &member_keys.iter().collect::<Vec<_>>(),
                2,
            )
            .unwrap(),
        ],
        &[&multisig],
    )
    .await;
    p.usd1
        .mint_to(&p.minter, &multisig.pubkey(), 10 * ONE)
        .await
        .unwrap();
    let nonce = Keypair::new();
    let nonce_rent = client
        .get_minimum_balance_for_rent_exemption(80)
        .await
        .unwrap();
    send(
        &client,
        &submitter,
        &anchor_lang::solana_program::system_instruction::create_nonce_account(
            &submitter.pubkey(),
            &nonce.pubkey(),
            &submitter.pubkey(),
            nonce_rent,
        ),
        &[&nonce],
    )
    .await;
    let durable = nonce_hash(&client, &nonce.pubkey()).await;
    // The stored value derives from the blockhash of the block that stored
    // it: as on a cluster, the nonce can be used from the next block on.
    let stored_in = client.get_latest_blockhash().await.unwrap();
    while client.get_latest_blockhash().await.unwrap() == stored_in {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let files: Vec<PathBuf> = members
        .iter()
        .enumerate()
        .map(|(i, m)| key_file(dir.path(), &format!("member-{i}"), m))
        .collect();
    let submitter_file = key_file(dir.path(), "submitter", &submitter);
    let recipient = Pubkey::new_unique().to_string();
    let (ms, pay, nonce_key, hash) = (
        multisig.pubkey().to_string(),
        submitter.pubkey().to_string(),
        nonce.pubkey().to_string(),
        durable.to_string(),
    );
    let (m0, m1) = (member_keys[0].to_string(), member_keys[1].to_string());
    // Everything every run of this transfer says, whoever signs.
    let transfer =
        |amount: &'static str, first: &str, second: &str, fee_payer: &str| -> Vec<String> {
            [
                "transfer",
                amount,
                &recipient,
                "--mint",
                &mint,
                "--owner",
                &ms,
                "--multisig-signer",
                first,
                "--multisig-signer",
                second,
                "--fee-payer",
                fee_payer,
                "--nonce",
                &nonce_key,
                "--nonce-authority",
                fee_payer,
                "--blockhash",
                &hash,
            ]
            .iter()
            .map(ToString::to_string)
            .collect()
        };
    let run = |keypair: &str, args: Vec<String>, extra: &[&str]| {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend_from_slice(extra);
        usd1(url, keypair, &all)
    };

    // Each member signs on its own machine, knowing only the others' public keys.
    let first = files[0].to_str().unwrap();
    let second = files[1].to_str().unwrap();
    let (signed_0, absent_0, json) = signatures(&run(
        first,
        transfer("4", first, &m1, &pay),
        &[
            "--sign-only",
            "--dump-transaction-message",
            "--output",
            "json",
        ],
    ));
    let (signed_1, absent_1, json_1) = signatures(&run(
        second,
        transfer("4", &m0, second, &pay),
        &[
            "--sign-only",
            "--dump-transaction-message",
            "--output",
            "json",
        ],
    ));
    assert_eq!(
        json["message"], json_1["message"],
        "both members sign one message"
    );
    assert_eq!(json["blockhash"], hash.as_str());
    assert_eq!(signed_0.len(), 1);
    assert!(signed_0[0].starts_with(&format!("{m0}=")), "{signed_0:?}");
    assert!(signed_1[0].starts_with(&format!("{m1}=")), "{signed_1:?}");
    let mut expected_absent = vec![pay.clone(), m1.clone()];
    expected_absent.sort();
    let mut absent = absent_0.clone();
    absent.sort();
    assert_eq!(absent, expected_absent);
    assert!(
        absent_1.contains(&m0) && absent_1.contains(&pay),
        "{absent_1:?}"
    );
    // The dumped message is what a multisig proposal imports: the nonce
    // advance first, then the transfer.
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(json["message"].as_str().unwrap())
        .unwrap();
    let message: Message = bincode::deserialize(&bytes).unwrap();
    assert_eq!(message.recent_blockhash, durable);
    let first_program = message.account_keys[usize::from(message.instructions[0].program_id_index)];
    assert_eq!(first_program, anchor_lang::system_program::ID);
    assert_eq!(message.account_keys[0], submitter.pubkey());

    let balance = |owner: Pubkey| {
        let usd1 = p.usd1.clone();
        async move { usd1.balance(&owner).await.unwrap() }
    };
    let submit_file = submitter_file.to_str().unwrap();
    let untouched = || async {
        assert_eq!(balance(multisig.pubkey()).await, 10 * ONE);
        assert_eq!(nonce_hash(&client, &nonce.pubkey()).await, durable);
    };

    // Before anything is sent, a missing signature is named, and so are one
    // that is not the named key's and signatures over another amount (both
    // bad then; the first in the message's key order is named).
    let swapped = format!("{m1}={}", signed_0[0].split_once('=').unwrap().1);
    let first_member = std::cmp::min(member_keys[0], member_keys[1]);
    let refusals: Vec<(&str, &str, Vec<&str>, String)> = vec![
        (
            "missing",
            "4",
            vec!["--signer", &signed_0[0]],
            format!("missing signature for supplied pubkey: {m1}"),
        ),
        (
            "swapped",
            "4",
            vec!["--signer", &signed_0[0], "--signer", &swapped],
            format!("the signature given for {m1} does not sign this transaction"),
        ),
        (
            "another amount",
            "5",
            vec!["--signer", &signed_0[0], "--signer", &signed_1[0]],
            format!("the signature given for {first_member} does not sign this transaction"),
        ),
    ];
    for (case, amount, signers, expected) in refusals {
        let refused = run(
            submit_file,
            transfer(amount, &m0, &m1, submit_file),
            &signers,
        );
        assert!(!refused.success, "{case}: {}", refused.stdout);
        assert!(
            refused.stderr.contains(&expected),
            "{case}: {}",
            refused.stderr
        );
        untouched().await;
    }

    // Two of three signatures and the submitter's: the transfer lands and the nonce advances.
    let landed = run(
        submit_file,
        transfer("4", &m0, &m1, submit_file),
        &["--signer", &signed_0[0], "--signer", &signed_1[0]],
    );
    assert!(landed.success, "{}\n{}", landed.stdout, landed.stderr);
    assert!(landed.stdout.contains("Sent 4 to"), "{}", landed.stdout);
    assert_eq!(balance(multisig.pubkey()).await, 6 * ONE);
    assert_eq!(balance(recipient.parse().unwrap()).await, 4 * ONE);
    assert_ne!(nonce_hash(&client, &nonce.pubkey()).await, durable);

    // The same signatures cannot move the money twice.
    let again = run(
        submit_file,
        transfer("4", &m0, &m1, submit_file),
        &["--signer", &signed_0[0], "--signer", &signed_1[0]],
    );
    assert!(!again.success);
    assert!(
        again
            .stderr
            .contains(&format!("is not nonce {nonce_key}'s stored blockhash")),
        "{}",
        again.stderr
    );
    assert_eq!(balance(multisig.pubkey()).await, 6 * ONE);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_key_signs_offline_and_another_key_pays() {
    let localnet = localnet().await;
    let p = Fixture::on_localnet(&localnet, 1_000 * ONE, ONE).await;
    let dir = tempfile::tempdir().unwrap();
    let client = RpcClient::new(localnet.url.clone());
    let url = localnet.url.as_str();
    let mint = p.usd1.mint().to_string();
    let pauser_file = key_file(dir.path(), "pauser", &p.pauser);
    let payer = funded(&localnet).await;
    let payer_file = key_file(dir.path(), "payer", &payer);
    let (pauser, pay) = (p.pauser.pubkey().to_string(), payer.pubkey().to_string());
    let blockhash = client.get_latest_blockhash().await.unwrap().to_string();
    let pause = |keypair: &str, fee_payer: &str, extra: &[&str]| {
        let mut args = vec![
            "pause",
            "--mint",
            &mint,
            "--fee-payer",
            fee_payer,
            "--blockhash",
            &blockhash,
        ];
        args.extend_from_slice(extra);
        usd1(url, keypair, &args)
    };

    // The pauser signs where its key is; nothing is sent.
    let (signed, absent, _) = signatures(&pause(
        pauser_file.to_str().unwrap(),
        &pay,
        &["--sign-only", "--output", "json"],
    ));
    assert_eq!(absent, vec![pay.clone()]);
    assert!(!p.usd1.config().await.unwrap().is_paused());

    // Without the role key's signature the payer alone is refused up front.
    let alone = pause(&pauser, payer_file.to_str().unwrap(), &[]);
    assert!(!alone.success);
    assert!(
        alone
            .stderr
            .contains(&format!("missing signature for supplied pubkey: {pauser}")),
        "{}",
        alone.stderr
    );
    assert!(!p.usd1.config().await.unwrap().is_paused());

    let sent = pause(
        &pauser,
        payer_file.to_str().unwrap(),
        &["--signer", &signed[0]],
    );
    assert!(sent.success, "{}\n{}", sent.stdout, sent.stderr);
    assert!(p.usd1.config().await.unwrap().is_paused());
}

#[tokio::test(flavor = "multi_thread")]
async fn fails_when_a_many_transaction_command_is_asked_to_sign_offline() {
    let localnet = localnet().await;
    let p = Fixture::on_localnet(&localnet, 1_000 * ONE, ONE).await;
    let dir = tempfile::tempdir().unwrap();
    let admin_file = key_file(dir.path(), "admin", &p.admin);
    let csv = dir.path().join("pay.csv");
    let recipient = Pubkey::new_unique();
    std::fs::write(&csv, format!("{recipient},1\n")).unwrap();
    let blockhash = Hash::new_unique().to_string();
    let run = usd1(
        &localnet.url,
        admin_file.to_str().unwrap(),
        &[
            "pay",
            csv.to_str().unwrap(),
            "--mint",
            &p.usd1.mint().to_string(),
            "--sign-only",
            "--blockhash",
            &blockhash,
        ],
    );
    assert!(!run.success);
    assert!(
        run.stderr.contains("`usd1 pay` sends many transactions"),
        "{}",
        run.stderr
    );
    assert_eq!(p.usd1.balance(&recipient).await.unwrap(), 0);
}
