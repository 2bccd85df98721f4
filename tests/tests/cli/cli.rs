//! The `usd1` CLI's own command code (argument parsing included) run over the
//! in-process ledger: every command's success path. Refusals are in
//! `cli_refusals.rs`, the attestation ceremony and rate limits in
//! `cli_ceremony.rs`.

use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::RedemptionStatus;
use usd1_tests::tour;
use usd1_tests::*;

use usd1_tests::cli_harness::{fails, ok, s, Keys};

#[tokio::test]
async fn init_creates_a_mint_from_a_keypair_file() {
    let f = Fixture::bare(Flavor::Token2022).await;
    let keys = Keys::new();
    let mint = Keypair::new();
    let mint_file = keys.write("mint", &mint);
    let out = ok(
        &f,
        &f.admin,
        &[
            "init",
            "--decimals",
            "6",
            "--name",
            "Test Dollar",
            "--symbol",
            "TUSD",
            "--uri",
            "https://x.test/t.json",
            "--mint-keypair",
            &mint_file,
            "--permanent-delegate",
        ],
    )
    .await;
    assert!(out.text.contains(&s(&mint.pubkey())), "{}", out.text);
    assert_eq!(out.json["events"], serde_json::json!(["Initialized"]));
    let handle = usd1_client::Usd1::connect(f.ledger.clone(), f.admin.clone(), mint.pubkey())
        .await
        .unwrap();
    let config = handle.config().await.unwrap();
    assert_eq!((config.decimals, config.admin), (6, f.admin.pubkey()));
    assert!(config.options().permanent_delegate);

    // Classic Token refuses the Token-2022 options before anything is sent.
    let line = fails(
        &f,
        &f.admin,
        &[
            "init",
            "--decimals",
            "6",
            "--name",
            "A",
            "--symbol",
            "A",
            "--uri",
            "u",
            "--token-program",
            "token",
            "--pausable",
        ],
    )
    .await;
    assert!(line.contains("need --token-program token-2022"), "{line}");
    // A missing or malformed mint keypair file.
    let line = fails(
        &f,
        &f.admin,
        &[
            "init",
            "--decimals",
            "6",
            "--name",
            "A",
            "--symbol",
            "A",
            "--uri",
            "u",
            "--mint-keypair",
            "/nonexistent/mint.json",
        ],
    )
    .await;
    assert!(
        line.contains("keypair file /nonexistent/mint.json does not exist"),
        "{line}"
    );
    let bad = keys.file("bad.json", b"{\"not\": \"a keypair\"}");
    let line = fails(
        &f,
        &f.admin,
        &[
            "init",
            "--decimals",
            "6",
            "--name",
            "A",
            "--symbol",
            "A",
            "--uri",
            "u",
            "--mint-keypair",
            &bad,
        ],
    )
    .await;
    assert!(
        line.contains("is not a solana-keygen keypair file"),
        "{line}"
    );
}

#[tokio::test]
async fn the_issuer_runs_the_platform_from_the_cli() {
    let f = Fixture::bare(Flavor::Token2022).await;
    let keys = Keys::new();
    let mint = s(&f.mint());
    let m = mint.as_str();
    let admin = &*f.admin;
    // With the CLI, the -k keypair pays the fees.
    for key in [&f.pauser, &f.freezer, &f.treasurer, &f.minter, &f.holder] {
        f.fund(&key.pubkey()).await;
    }

    // Roles, attestors, minter, policy.
    ok(
        &f,
        admin,
        &["role", "set", "pauser", &s(&f.pauser.pubkey()), "--mint", m],
    )
    .await;
    ok(
        &f,
        admin,
        &[
            "role",
            "set",
            "freezer",
            &s(&f.freezer.pubkey()),
            "--mint",
            m,
        ],
    )
    .await;
    ok(
        &f,
        admin,
        &[
            "role",
            "set",
            "treasurer",
            &s(&f.treasurer.pubkey()),
            "--mint",
            m,
        ],
    )
    .await;
    let attestor_keys: Vec<String> = f.attestors.iter().map(|k| s(&k.pubkey())).collect();
    let mut args = vec!["attestors", "set", "--threshold", "2"];
    args.extend(attestor_keys.iter().map(String::as_str));
    args.extend(["--mint", m]);
    ok(&f, admin, &args).await;
    ok(
        &f,
        admin,
        &[
            "minter",
            "set",
            &s(&f.minter.pubkey()),
            "--allowance",
            "5000",
            "--mint",
            m,
        ],
    )
    .await;
    let out = ok(
        &f,
        admin,
        &["policy", "set", "--margin-bps", "100", "--mint", m],
    )
    .await;
    assert!(out.text.contains("margin 100 bps"), "{}", out.text);
    let out = ok(
        &f,
        admin,
        &[
            "policy",
            "set",
            "--max-submission-delay",
            "600",
            "--mint",
            m,
        ],
    )
    .await;
    assert!(
        out.text
            .contains("submitted within 600 s of their as-of time"),
        "{}",
        out.text
    );
    assert_eq!(f.usd1.config().await.unwrap().max_submission_delay, 600);

    // Attest 1,000 with two attestor key files and a report file.
    let signer_a = keys.write("attestor-a", &f.attestors[0]);
    let signer_b = keys.write("attestor-b", &f.attestors[2]);
    let report = keys.file("report.json", b"{\"custodian\":\"A\",\"usd\":\"1000.00\"}");
    let as_of = tour::rfc3339(f.now().await);
    let out = ok(
        &f,
        admin,
        &[
            "attest",
            "--mint",
            m,
            "--reserve",
            "1000",
            "--as-of",
            &as_of,
            "--report",
            &report,
            "--signer",
            &signer_a,
            "--signer",
            &signer_b,
        ],
    )
    .await;
    assert_eq!(out.json["events"], serde_json::json!(["ReserveAttested"]));
    let config = f.usd1.config().await.unwrap();
    assert_eq!(config.latest.reserve_amount, 1_000 * ONE);
    assert_eq!(
        config.latest.report_sha256,
        usd1_client::sha256(b"{\"custodian\":\"A\",\"usd\":\"1000.00\"}")
    );

    // Mint within the reserve; a mint above it is refused by name.
    let holder = s(&f.holder.pubkey());
    ok(
        &f,
        &f.minter,
        &["mint", "900.5", "--to", &holder, "--mint", m],
    )
    .await;
    let line = fails(
        &f,
        &f.minter,
        &["mint", "89.500001", "--to", &holder, "--mint", m],
    )
    .await;
    assert!(line.starts_with("ReserveExceeded:"), "{line}");
    let out = ok(
        &f,
        admin,
        &["balance", &holder, "--mint", m, "--output", "json"],
    )
    .await;
    assert_eq!(out.json["amount"], "900.5");
    assert_eq!(out.json["base_units"], 900_500_000);

    // The holder transfers to a wallet (its account is created on the way).
    let wallet = Keypair::new();
    ok(
        &f,
        &f.holder,
        &["transfer", "100.25", &s(&wallet.pubkey()), "--mint", m],
    )
    .await;
    assert_eq!(f.usd1.balance(&wallet.pubkey()).await.unwrap(), 100_250_000);
    let out = ok(&f, &f.holder, &["balance", "--mint", m]).await;
    assert_eq!(out.text, "$800.25");

    // Freeze and thaw by owner address and by token account address.
    ok(
        &f,
        &f.freezer,
        &["freeze", &s(&wallet.pubkey()), "--mint", m],
    )
    .await;
    let account = f.usd1.token_account_of(&wallet.pubkey());
    assert!(f.usd1.token_account(&account).await.unwrap().frozen);
    ok(&f, &f.freezer, &["thaw", &s(&account), "--mint", m]).await;
    assert!(!f.usd1.token_account(&account).await.unwrap().frozen);

    // Pause and unpause.
    ok(&f, &f.pauser, &["pause", "--mint", m]).await;
    assert!(f.usd1.config().await.unwrap().is_paused());
    ok(&f, &f.pauser, &["unpause", "--mint", m]).await;

    // Disclosure, then a redemption settled and one rejected.
    let terms = keys.file("terms.pdf", b"%PDF terms");
    ok(
        &f,
        admin,
        &[
            "disclosure",
            "set",
            "--legal-name",
            "USD1 Issuer Ltd.",
            "--terms-uri",
            "https://x.test/terms",
            "--terms-file",
            &terms,
            "--min-redemption",
            "10",
            "--redemption-fee-bps",
            "10",
            "--settlement-target",
            "86400",
            "--reserve-report-uri",
            "https://x.test/reserves",
            "--mint",
            m,
        ],
    )
    .await;
    assert_eq!(
        f.usd1.disclosure().await.unwrap().terms_sha256,
        usd1_client::sha256(b"%PDF terms")
    );
    let out = ok(
        &f,
        &f.holder,
        &[
            "redeem",
            "request",
            "200",
            "--mint",
            m,
            "--payout-ref",
            "IBAN DE00 1234",
        ],
    )
    .await;
    assert!(
        out.text
            .contains("Redemption #0: $200.00 escrowed; payout $199.80 after a $0.20 fee"),
        "{}",
        out.text
    );
    ok(&f, &f.holder, &["redeem", "request", "50", "--mint", m]).await;
    let out = ok(
        &f,
        admin,
        &[
            "redeem", "list", "--mint", m, "--status", "pending", "--output", "json",
        ],
    )
    .await;
    assert_eq!(out.json["redemptions"].as_array().unwrap().len(), 2);
    ok(
        &f,
        &f.treasurer,
        &[
            "redeem",
            "settle",
            "0",
            "--reference",
            "FED-0001",
            "--mint",
            m,
        ],
    )
    .await;
    ok(
        &f,
        &f.treasurer,
        &["redeem", "reject", "1", "--reason", "3", "--mint", m],
    )
    .await;
    assert_eq!(
        f.usd1.redemption(0).await.unwrap().status,
        RedemptionStatus::Settled
    );
    assert_eq!(
        f.usd1.redemption(1).await.unwrap().status,
        RedemptionStatus::Rejected
    );
    let out = ok(&f, admin, &["redeem", "list", "--mint", m]).await;
    assert!(
        out.text.contains("settled") && out.text.contains("rejected"),
        "{}",
        out.text
    );

    // The minter burns some of its own.
    ok(
        &f,
        &f.minter,
        &["mint", "10", "--to", &s(&f.minter.pubkey()), "--mint", m],
    )
    .await;
    ok(&f, &f.minter, &["burn", "4", "--mint", m]).await;

    // Status and attestations, as JSON and as text.
    let out = ok(&f, admin, &["status", "--mint", m, "--output", "json"]).await;
    let json: &Value = &out.json;
    assert_eq!(json["supply"], "706.5"); // 900.5 − 200 redeemed + 10 − 4
    assert_eq!(json["reserve"], "1000");
    assert_eq!(json["mintable_ceiling"], "990");
    assert_eq!(json["coverage_percent"], "141.54");
    assert_eq!(json["attestation"]["seq"], 1);
    assert_eq!(json["attestation"]["fresh"], true);
    assert_eq!(json["pauser"], s(&f.pauser.pubkey()));
    assert_eq!(json["threshold"], 2);
    assert_eq!(json["disclosure"]["legal_name"], "USD1 Issuer Ltd.");
    assert_eq!(json["total_redeemed"], "200");
    assert!(
        out.text.contains("Coverage:          141.54%"),
        "{}",
        out.text
    );
    assert!(out.text.contains("not insured"), "{}", out.text);
    let out = ok(
        &f,
        admin,
        &["attestations", "--mint", m, "--output", "json-compact"],
    )
    .await;
    assert_eq!(out.json["total"], 1);
    assert_eq!(out.json["attestations"][0]["reserve"], "1000");

    // Two-step admin transfer.
    let next = f.funded_keypair().await;
    ok(
        &f,
        admin,
        &["admin", "propose", &s(&next.pubkey()), "--mint", m],
    )
    .await;
    ok(&f, &next, &["admin", "accept", "--mint", m]).await;
    assert_eq!(f.usd1.config().await.unwrap().admin, next.pubkey());
    ok(
        &f,
        &next,
        &["minter", "remove", &s(&f.minter.pubkey()), "--mint", m],
    )
    .await;
    let _ = keys.path();
}

#[tokio::test]
async fn seize_from_the_cli() {
    let f = Fixture::new_with(
        Flavor::Token2022,
        usd1_client::MintOptions {
            permanent_delegate: true,
            ..Default::default()
        },
    )
    .await;
    f.attest(1_000 * ONE).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 10 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.treasurer.pubkey(), ONE)
        .await
        .unwrap();
    let m = s(&f.mint());
    let out = ok(
        &f,
        &f.admin,
        &[
            "seize",
            "2.5",
            "--from",
            &s(&f.holder.pubkey()),
            "--to",
            &s(&f.treasurer.pubkey()),
            "--reason",
            "9",
            "--mint",
            &m,
        ],
    )
    .await;
    assert_eq!(out.json["events"], serde_json::json!(["Seized"]));
    assert_eq!(
        f.usd1.balance(&f.treasurer.pubkey()).await.unwrap(),
        3_500_000
    );
}
