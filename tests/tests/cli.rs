//! The `usd1` CLI's own command code (argument parsing included) run over the
//! in-process ledger: every command's success path, and bad input giving a
//! clear one-line error while changing nothing.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use serde_json::Value;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_cli::{execute, Cli, Context, Output};
use usd1_client::{Ledger, RedemptionStatus};
use usd1_tests::tour;
use usd1_tests::*;

/// Keypair files in a temporary folder, as solana-keygen writes them.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn write(&self, name: &str, key: &Keypair) -> String {
        let path = self.dir.path().join(format!("{name}.json"));
        let bytes: Vec<u8> = key.to_bytes().to_vec();
        std::fs::write(&path, serde_json::to_string(&bytes).unwrap()).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn file(&self, name: &str, contents: &[u8]) -> String {
        let path: PathBuf = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Runs `usd1 ARGS…` with `signer` as the -k keypair.
async fn usd1(f: &Fixture, signer: &Keypair, args: &[&str]) -> anyhow::Result<Output> {
    let cli = Cli::try_parse_from(std::iter::once("usd1").chain(args.iter().copied()))?;
    let ledger: Arc<dyn Ledger> = f.ledger.clone();
    cli.signing
        .check(matches!(cli.command, usd1_cli::Command::Attest(_)))?;
    execute(
        &Context::new(ledger, Arc::new(signer.insecure_clone())).with_flags(cli.signing),
        cli.command,
    )
    .await
}

async fn ok(f: &Fixture, signer: &Keypair, args: &[&str]) -> Output {
    match usd1(f, signer, args).await {
        Ok(output) => output,
        Err(err) => panic!("usd1 {}: {err:#}", args.join(" ")),
    }
}

/// Runs a command that must fail; returns its one-line error after checking
/// that nothing on-chain changed.
async fn fails(f: &Fixture, signer: &Keypair, args: &[&str]) -> String {
    let before = f.snapshot().await;
    let err = usd1(f, signer, args)
        .await
        .err()
        .unwrap_or_else(|| panic!("usd1 {} succeeded", args.join(" ")));
    assert_eq!(
        f.snapshot().await,
        before,
        "usd1 {} changed state",
        args.join(" ")
    );
    // Argument errors are clap's own (usage follows on later lines, as with
    // the solana CLI); every other error is one line.
    if let Some(usage) = err.downcast_ref::<clap::Error>() {
        return usage
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
    }
    let line = err
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    assert!(!line.contains('\n'), "not one line: {line}");
    line
}

fn s(key: &Pubkey) -> String {
    key.to_string()
}

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
    assert!(config.options.permanent_delegate);

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
    assert_eq!(out.text, "800.25");

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
    assert!(f.usd1.config().await.unwrap().paused);
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
            .contains("Redemption #0: 200 escrowed; payout 199.8 after a 0.2 fee"),
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

#[tokio::test]
async fn fails_when_the_input_is_bad_in_one_clear_line_changing_nothing() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    for key in [&f.pauser, &f.minter] {
        f.fund(&key.pubkey()).await;
    }
    let keys = Keys::new();
    let m = s(&f.mint());
    let holder = s(&f.holder.pubkey());
    // Malformed amounts.
    for (amount, expected) in [
        ("12.3.4", "amount '12.3.4' is not a decimal number"),
        ("-5", "amount '-5' is negative"),
        (
            "1.0000001",
            "amount '1.0000001' has more than 6 decimal places",
        ),
        ("ten", "amount 'ten' is not a decimal number"),
        (
            "99999999999999999999",
            "amount '99999999999999999999' is too large",
        ),
    ] {
        let line = fails(
            &f,
            &f.minter,
            &["mint", amount, "--to", &holder, "--mint", &m],
        )
        .await;
        assert_eq!(line, expected);
    }
    // An unknown mint.
    let unknown = s(&Pubkey::new_unique());
    let line = fails(
        &f,
        &f.minter,
        &["mint", "1", "--to", &holder, "--mint", &unknown],
    )
    .await;
    assert_eq!(
        line,
        format!("{unknown} is not a USD1 mint on this cluster (it has no USD1 config)")
    );
    // A bad address never reaches the chain.
    let line = fails(
        &f,
        &f.minter,
        &["mint", "1", "--to", "not-an-address", "--mint", &m],
    )
    .await;
    assert!(
        line.contains("'not-an-address' is not a valid base58 public key"),
        "{line}"
    );
    // Missing and malformed attestor keypair files.
    let report = keys.file("report.json", b"{}");
    let as_of = tour::rfc3339(f.now().await + 1);
    let line = fails(
        &f,
        &f.admin,
        &[
            "attest",
            "--mint",
            &m,
            "--reserve",
            "1",
            "--as-of",
            &as_of,
            "--report",
            &report,
            "--signer",
            "/nope/attestor.json",
        ],
    )
    .await;
    assert!(
        line.starts_with("keypair file /nope/attestor.json does not exist"),
        "{line}"
    );
    let short = keys.file("short.json", b"[1,2,3]");
    let line = fails(
        &f,
        &f.admin,
        &[
            "attest",
            "--mint",
            &m,
            "--reserve",
            "1",
            "--as-of",
            &as_of,
            "--report",
            &report,
            "--signer",
            &short,
        ],
    )
    .await;
    assert!(
        line.ends_with("is not a solana-keygen keypair file (expected a JSON array of 64 bytes)"),
        "{line}"
    );
    let line = fails(
        &f,
        &f.admin,
        &[
            "attest",
            "--mint",
            &m,
            "--reserve",
            "1",
            "--as-of",
            "yesterday",
            "--report",
            &report,
            "--signer",
            &short,
        ],
    )
    .await;
    assert!(
        line.starts_with("--as-of 'yesterday' is not an RFC 3339 time"),
        "{line}"
    );
    // The wrong role: named by the program's error.
    let line = fails(&f, &f.minter, &["pause", "--mint", &m]).await;
    assert_eq!(line, "NotPauser: The signer is not the pauser");
    let line = fails(
        &f,
        &f.pauser,
        &["role", "set", "freezer", &holder, "--mint", &m],
    )
    .await;
    assert_eq!(line, "NotAdmin: The signer is not the admin");
    // Attestation signed by too few attestors.
    let one = keys.write("one", &f.attestors[0]);
    let line = fails(
        &f,
        &f.admin,
        &[
            "attest",
            "--mint",
            &m,
            "--reserve",
            "1",
            "--as-of",
            &as_of,
            "--report",
            &report,
            "--signer",
            &one,
        ],
    )
    .await;
    assert_eq!(
        line,
        "ThresholdNotMet: Fewer registered attestors signed than the threshold requires"
    );
    // Policy with nothing to set.
    let line = fails(&f, &f.admin, &["policy", "set", "--mint", &m]).await;
    assert_eq!(
        line,
        "nothing to set: give --max-age, --margin-bps and/or --max-submission-delay"
    );
}

/// Issue 11, item 13: refusals by the token programs are named as USD1's own
/// are ("AccountFrozen: …", not "custom program error: 0x11"), on both.
#[tokio::test]
async fn fails_when_a_token_program_refuses_naming_its_error_on_both_programs() {
    for flavor in [Flavor::Token2022, Flavor::Token] {
        let f = Fixture::with_reserve(flavor, 1_000 * ONE).await;
        let m = f.mint().to_string();
        f.fund(&f.holder.pubkey()).await;
        f.usd1
            .mint_to(&f.minter, &f.holder.pubkey(), 10 * ONE)
            .await
            .unwrap();
        let recipient = Pubkey::new_unique().to_string();
        let send = |amount: &'static str| {
            ["transfer", amount, recipient.as_str(), "--mint", m.as_str()].map(str::to_string)
        };
        let args = send("20");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let line = fails(&f, &f.holder, &args).await;
        assert!(
            line.contains("InsufficientFunds: Insufficient funds"),
            "{flavor:?}: {line}"
        );
        f.usd1
            .freeze(&f.freezer, &f.usd1.token_account_of(&f.holder.pubkey()))
            .await
            .unwrap();
        let args = send("1");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let line = fails(&f, &f.holder, &args).await;
        assert!(
            line.contains("AccountFrozen: Account is frozen"),
            "{flavor:?}: {line}"
        );
    }
}

/// Issue 13, item 3: the offline ceremony. Each attestor signs on its own
/// machine (`usd1 attest sign`, with `--decimals` nothing is read from the
/// chain); one submitter assembles and sends (`usd1 attest submit`). A bad,
/// foreign, repeated or missing signature is named before anything is sent.
#[tokio::test]
async fn attestors_sign_offline_and_one_submit_lands_the_attestation() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let keys = Keys::new();
    let m = f.mint().to_string();
    let report = keys.file("report.json", b"{\"custodian\":\"A\",\"usd\":\"2000.00\"}");
    let as_of = tour::rfc3339(f.now().await + 1);
    let what = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "--mint",
            &m,
            "--reserve",
            "2000",
            "--as-of",
            &as_of,
            "--report",
            &report,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        args.extend(extra.iter().map(ToString::to_string));
        args
    };
    let run = |head: &[&str], rest: Vec<String>| -> Vec<String> {
        head.iter().map(ToString::to_string).chain(rest).collect()
    };
    let mut signed = Vec::new();
    for (i, attestor) in [&f.attestors[0], &f.attestors[2]].into_iter().enumerate() {
        let file = keys.write(&format!("attestor-{i}"), attestor);
        // The first signs offline (decimals given), the second reads them from the chain.
        let mut extra = vec!["--seq", "2", "--signer", file.as_str()];
        if i == 0 {
            extra.extend(["--decimals", "6"]);
        }
        let argv = run(&["attest", "sign"], what(&extra));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = ok(&f, &f.admin, &argv).await;
        assert_eq!(out.json["attestor"], attestor.pubkey().to_string());
        assert_eq!(out.json["reserve_amount"], 2_000 * ONE);
        let pair = out.text.lines().last().unwrap().to_string();
        assert_eq!(
            pair,
            format!(
                "{}={}",
                attestor.pubkey(),
                out.json["signature"].as_str().unwrap()
            )
        );
        signed.push(pair);
    }
    let stranger = Keypair::new();
    let stranger_file = keys.write("stranger", &stranger);
    let argv = run(
        &["attest", "sign"],
        what(&["--seq", "2", "--signer", &stranger_file, "--decimals", "6"]),
    );
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let stranger_pair = ok(&f, &f.admin, &argv)
        .await
        .text
        .lines()
        .last()
        .unwrap()
        .to_string();
    // B's key with A's signature.
    let (a_key, _) = signed[0].split_once('=').unwrap();
    let (_, b_sig) = signed[1].split_once('=').unwrap();
    let swapped = format!("{a_key}={b_sig}");

    let submit = |pairs: &[&str], seq: &str| -> Vec<String> {
        let mut extra = vec!["--seq".to_string(), seq.to_string()];
        for pair in pairs {
            extra.extend(["--signature".to_string(), pair.to_string()]);
        }
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        run(&["attest", "submit"], what(&extra))
    };
    for (pairs, seq, expected) in [
        (
            vec![swapped.as_str(), signed[1].as_str()],
            "2",
            format!("BadSignature: the signature given for {a_key} does not verify over this attestation's digest"),
        ),
        (
            vec![signed[0].as_str(), stranger_pair.as_str()],
            "2",
            format!("NotAnAttestor: {} is not a registered attestor of this mint", stranger.pubkey()),
        ),
        (
            vec![signed[0].as_str(), signed[0].as_str()],
            "2",
            format!("DuplicateSigner: {a_key} is given twice"),
        ),
        (
            vec![signed[0].as_str()],
            "2",
            "ThresholdNotMet: 1 valid signatures, the threshold is 2".to_string(),
        ),
        (
            vec![signed[0].as_str(), signed[1].as_str()],
            "3",
            "InvalidSequence: --seq 3 is not the next attestation (the chain expects #2); nothing sent".to_string(),
        ),
    ] {
        let argv = submit(&pairs, seq);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        assert_eq!(fails(&f, &f.admin, &argv).await, expected);
    }

    let argv = submit(&[signed[0].as_str(), signed[1].as_str()], "2");
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = ok(&f, &f.admin, &argv).await;
    assert!(
        out.text.contains("Attestation #2: reserve 2000"),
        "{}",
        out.text
    );
    let latest = f.usd1.config().await.unwrap().latest;
    assert_eq!((latest.seq, latest.reserve_amount), (2, 2_000 * ONE));
    assert_eq!(latest.signer_count, 2);
}

/// Issue 14, item 3: `usd1 minter set --window-secs --window-cap` and
/// `usd1 status --minter` showing the limit and what is available now.
#[tokio::test]
async fn a_minter_rate_limit_is_set_and_shown_from_the_cli() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let m = f.mint().to_string();
    let minter = f.minter.pubkey().to_string();
    let out = ok(
        &f,
        &f.admin,
        &[
            "minter",
            "set",
            &minter,
            "--allowance",
            "500",
            "--window-secs",
            "3600",
            "--window-cap",
            "100",
            "--mint",
            &m,
        ],
    )
    .await;
    assert!(
        out.text.starts_with(&format!(
            "Minter {minter} may mint 500, at most 100 per 3600 s"
        )),
        "{}",
        out.text
    );
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 40 * ONE)
        .await
        .unwrap();
    let out = ok(&f, &f.admin, &["status", "--mint", &m, "--minter", &minter]).await;
    assert!(
        out.text.contains(&format!(
            "Minter:            {minter} (enabled), allowance 460, up to 100 per 3600 s, 60 available now"
        )),
        "{}",
        out.text
    );
    assert_eq!(out.json["minter"]["capacity_now"], "60");
    // Issue 14, item 4: a pending admin proposal withdrawn from the CLI.
    let proposed = Keypair::new().pubkey().to_string();
    ok(&f, &f.admin, &["admin", "propose", &proposed, "--mint", &m]).await;
    let out = ok(&f, &f.admin, &["admin", "cancel", "--mint", &m]).await;
    assert!(
        out.text
            .starts_with(&format!("Withdrew the proposal of {proposed} as admin")),
        "{}",
        out.text
    );
    assert_eq!(
        fails(&f, &f.admin, &["admin", "cancel", "--mint", &m]).await,
        "NoAdminProposal: There is no pending admin proposal to cancel"
    );
    let line = fails(
        &f,
        &f.admin,
        &[
            "minter",
            "set",
            &minter,
            "--allowance",
            "5",
            "--window-secs",
            "60",
            "--mint",
            &m,
        ],
    )
    .await;
    // clap's own refusal: a window without a cap (its next line names --window-cap).
    assert_eq!(
        line,
        "error: the following required arguments were not provided:"
    );
}
