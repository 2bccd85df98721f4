//! Keys that never touch a disk (issue 36): `usd1` signing with keys made in
//! a SoftHSM2 token (PKCS#11) and in an OpenBao transit engine, each
//! signature checked by the program; the key's protection read back from
//! the token; every file the run wrote searched for the secret; a signer
//! that is down, slow, refuses or answers wrongly is a named error and
//! nothing is sent; a key rotated in the vault and the role moved on-chain,
//! the old key then refused by the program.
use std::time::{Duration, Instant};

use serde_json::json;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use usd1_tests::cli_harness::{fails_as, ok, usd1, usd1_as, Keys};
use usd1_tests::keystores::{files_holding_secrets_of, OpenBao, Token, VaultFault, VaultProxy};
use usd1_tests::tour;
use usd1_tests::*;

async fn key(f: &Fixture, action: &str, source: &str) -> Pubkey {
    let out = ok(f, &f.admin, &["key", action, source]).await;
    assert_eq!(out.json["source"], source);
    out.text.trim().parse().expect("a public key")
}

async fn mint_as(f: &Fixture, source: &str, dollars: &str) -> anyhow::Result<usd1_cli::Output> {
    let (m, to) = (f.mint().to_string(), f.holder.pubkey().to_string());
    usd1_as(f, source, &["mint", "--mint", &m, "--to", &to, dollars]).await
}

async fn refused_mint(f: &Fixture, source: &str) -> String {
    let (m, to) = (f.mint().to_string(), f.holder.pubkey().to_string());
    fails_as(f, source, &["mint", "--mint", &m, "--to", &to, "1"]).await
}

#[tokio::test]
async fn keys_made_in_an_hsm_sign_mints_attestations_and_admin_actions() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let token = Token::new("usd1");
    let (minter, attestor, admin) = (
        token.uri("minter"),
        token.uri("attestor"),
        token.uri("admin"),
    );
    let minter_key = key(&f, "new", &minter).await;
    assert_eq!(key(&f, "show", &minter).await, minter_key);
    let again = usd1(&f, &f.admin, &["key", "new", &minter])
        .await
        .unwrap_err();
    assert_eq!(
        again.to_string(),
        format!("{minter}: a key of that name exists already (its public key is {minter_key})")
    );
    // The private key is private, sensitive and was never extractable: its value cannot be read.
    assert_eq!(
        token.protection("minter"),
        ([true, false, true, true], false)
    );

    // The minter role on the HSM key (which pays its own fees): its mint lands.
    f.fund(&minter_key).await;
    f.usd1
        .configure_minter(&*f.admin, &minter_key, 100 * ONE)
        .await
        .unwrap();
    mint_as(&f, &minter, "25").await.unwrap();
    assert_eq!(f.usd1.balance(&f.holder.pubkey()).await.unwrap(), 25 * ONE);

    // An attestor in the HSM beside one in a file: a 2-of-2 attestation lands.
    let attestor_key = key(&f, "new", &attestor).await;
    f.usd1
        .set_attestors(
            &*f.admin,
            vec![f.attestors[0].pubkey(), attestor_key],
            2,
            false,
        )
        .await
        .unwrap();
    let keys = Keys::new();
    let file = keys.write("attestor-0", &f.attestors[0]);
    let report = keys.file("report.json", b"{\"usd\":\"2000.00\"}");
    let as_of = tour::rfc3339(f.now().await + 1);
    let m = f.mint().to_string();
    let args = [
        "attest",
        "--mint",
        &m,
        "--reserve",
        "2000",
        "--as-of",
        &as_of,
        "--report",
        &report,
        "--signer",
        &file,
        "--signer",
        &attestor,
    ];
    ok(&f, &f.admin, &args).await;
    assert_eq!(
        f.usd1.config().await.unwrap().latest.reserve_amount,
        2_000 * ONE
    );

    // The admin moved to the HSM (the two steps): it configures a minter;
    // the old admin is refused.
    let admin_key = key(&f, "new", &admin).await;
    f.fund(&admin_key).await;
    let k = admin_key.to_string();
    ok(&f, &f.admin, &["admin", "propose", &k, "--mint", &m]).await;
    usd1_as(&f, &admin, &["admin", "accept", "--mint", &m])
        .await
        .unwrap();
    let another = solana_sdk::signature::Keypair::new().pubkey().to_string();
    let set = ["minter", "set", &another, "--allowance", "5", "--mint", &m];
    usd1_as(&f, &admin, &set).await.unwrap();
    assert_eq!(f.usd1.config().await.unwrap().admin, admin_key);
    let old = usd1_tests::cli_harness::fails(&f, &f.admin, &set).await;
    assert!(old.contains("NotAdmin"), "{old}");

    // The pauser role moved to a key in the HSM (`usd1 role set`): it pauses.
    let pauser = token.uri("pauser");
    let pauser_key = key(&f, "new", &pauser).await;
    f.fund(&pauser_key).await;
    let p = pauser_key.to_string();
    usd1_as(&f, &admin, &["role", "set", "pauser", &p, "--mint", &m])
        .await
        .unwrap();
    usd1_as(&f, &pauser, &["pause", "--mint", &m])
        .await
        .unwrap();
    assert!(f.usd1.config().await.unwrap().is_paused());

    // An officer certifies a report with a key in the HSM; anyone verifies it.
    let officer = token.uri("ceo");
    let officer_key = key(&f, "new", &officer).await;
    let monthly = keys.file("report-2026-11.json", br#"{"month":"2026-11"}"#);
    let certify = [
        "report", "certify", &monthly, "--role", "ceo", "--signer", &officer,
    ];
    let out = ok(&f, &f.admin, &certify).await;
    assert_eq!(out.json["officer"], officer_key.to_string());
    let ceo_is = format!("ceo={officer_key}");
    let verify = ["report", "verify", &monthly, "--officer", &ceo_is];
    assert_eq!(ok(&f, &f.admin, &verify).await.json["verified"], true);

    // A wrong PIN: the token refuses, by name, and nothing is sent.
    let wrong = keys.file("wrong.pin", b"00000000\n");
    let bad = format!(
        "pkcs11:token={};object=admin?module-path={}&pin-source=file:{wrong}",
        token.label,
        usd1_tests::keystores::SOFTHSM_MODULE
    );
    let refused = fails_as(&f, &bad, &set).await;
    assert!(
        refused.contains(&format!("keypair {bad}: the signer refused"))
            && refused.contains("PinIncorrect"),
        "{refused}"
    );

    // No file of the run holds any of the three secrets.
    let keys_made = [minter_key, attestor_key, admin_key, pauser_key, officer_key];
    let store = Token::store();
    let holding = files_holding_secrets_of(&[&store, keys.path()], &keys_made);
    assert!(holding.is_empty(), "{holding:?}");
}

// Several threads: the signer waits for the vault without yielding, and
// the proxy in front of it runs in this process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_key_signs_rotates_and_every_failure_is_named() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let mut bao = OpenBao::start().await;
    let source = bao.uri("desk-minter");
    let first = key(&f, "new", &source).await;
    assert_eq!(key(&f, "show", &source).await, first);
    f.fund(&first).await;
    f.usd1
        .configure_minter(&*f.admin, &first, 100 * ONE)
        .await
        .unwrap();
    mint_as(&f, &source, "10").await.unwrap();
    assert_eq!(f.usd1.balance(&f.holder.pubkey()).await.unwrap(), 10 * ONE);

    // A token that may read the key but not sign: the vault refuses.
    let keys = Keys::new();
    let read_only = keys.path().join("read-only.token");
    bao.read_only_token("desk-minter", &read_only).await;
    let limited = format!(
        "vault+http://{}/transit/keys/desk-minter?token-file={}",
        bao.address,
        read_only.display()
    );
    let refused = refused_mint(&f, &limited).await;
    assert!(
        refused.contains("the signer refused: permission denied"),
        "{refused}"
    );

    // A corrupted answer, and a slow one, through a proxy: named, nothing sent.
    let proxy = VaultProxy::start(bao.address).await;
    let proxied = bao.uri_at(proxy.address, "desk-minter");
    proxy.set(VaultFault::CorruptSignatures);
    let corrupt = refused_mint(&f, &proxied).await;
    assert!(
        corrupt.contains(&format!(
            "the signature it returned does not verify against {first}"
        )),
        "{corrupt}"
    );
    proxy.set(VaultFault::Slow(Duration::from_secs(3)));
    let slow = refused_mint(&f, &format!("{proxied}&timeout=1")).await;
    assert!(
        slow.contains("the signer did not answer within 1 s"),
        "{slow}"
    );
    proxy.set(VaultFault::None);
    mint_as(&f, &proxied, "1").await.unwrap();

    // The rotation drill: a new key version, the minter moved on-chain to
    // it, the old version's signature then refused by the program.
    let drill = Instant::now();
    bao.call("transit/keys/desk-minter/rotate", Some(json!({})))
        .await
        .unwrap();
    let second = key(&f, "show", &source).await;
    assert_ne!(second, first);
    let rotated = drill.elapsed();
    f.fund(&second).await;
    f.usd1
        .configure_minter(&*f.admin, &second, 100 * ONE)
        .await
        .unwrap();
    f.usd1.remove_minter(&*f.admin, &first).await.unwrap();
    let moved = drill.elapsed() - rotated;
    let old = refused_mint(&f, &format!("{source}&version=1")).await;
    assert!(old.contains("MinterDisabled"), "{old}");
    mint_as(&f, &source, "2").await.unwrap();
    assert_eq!(f.usd1.balance(&f.holder.pubkey()).await.unwrap(), 13 * ONE);
    eprintln!(
        "rotation drill (vault): key rotated and read {:.0} ms, minter moved on-chain {:.0} ms, \
         old key refused and new key minting {:.0} ms",
        rotated.as_secs_f64() * 1e3,
        moved.as_secs_f64() * 1e3,
        (drill.elapsed() - rotated - moved).as_secs_f64() * 1e3
    );

    // The vault down: named with its source, nothing sent.
    bao.kill();
    let down = refused_mint(&f, &source).await;
    assert!(
        down.contains(&format!("keypair {source}: the signer is unavailable")),
        "{down}"
    );
    drop(proxy);
}
