//! The `usd1` CLI refusing bad input: each case a clear one-line error
//! that changes nothing, and token-program refusals named on both programs.

use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use usd1_tests::tour;
use usd1_tests::*;

use usd1_tests::cli_harness::{fails, s, Keys};

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
        &attest(&m, &as_of, &report, "/nope/attestor.json"),
    )
    .await;
    assert!(
        line.starts_with("keypair file /nope/attestor.json does not exist"),
        "{line}"
    );
    let short = keys.file("short.json", b"[1,2,3]");
    let line = fails(&f, &f.admin, &attest(&m, &as_of, &report, &short)).await;
    assert!(
        line.ends_with("is not a solana-keygen keypair file (expected a JSON array of 64 bytes)"),
        "{line}"
    );
    let line = fails(&f, &f.admin, &attest(&m, "yesterday", &report, &short)).await;
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
    let line = fails(&f, &f.admin, &attest(&m, &as_of, &report, &one)).await;
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

/// `usd1 attest` of a reserve of 1 as of `as_of`, signed by the `signer` file.
fn attest<'a>(mint: &'a str, as_of: &'a str, report: &'a str, signer: &'a str) -> [&'a str; 11] {
    [
        "attest",
        "--mint",
        mint,
        "--reserve",
        "1",
        "--as-of",
        as_of,
        "--report",
        report,
        "--signer",
        signer,
    ]
}
