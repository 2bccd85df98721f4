//! The `usd1` CLI's attestation ceremony (offline signatures, one submit)
//! and minter rate limits, over the in-process ledger.

use solana_sdk::signature::{Keypair, Signer};
use usd1_tests::tour;
use usd1_tests::*;

use usd1_tests::cli_harness::{fails, ok, Keys};

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
        out.text.contains("Attestation #2: reserve $2,000.00"),
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
            "Minter:            {minter} (enabled), allowance $460.00, up to $100.00 per 3600 s, $60.00 available now"
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
