//! Officers' certification of a report (issue 25): `usd1 report certify`
//! signs the SHA-256 of the report's exact bytes under the officer's role;
//! `usd1 report verify` names every way a required certification fails — a
//! missing role, another officer's key, a changed byte, a signature moved
//! from one role to another.
use std::sync::Arc;

use clap::Parser;
use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};
use usd1_cli::{execute, Cli, Context, Output};
use usd1_client::Ledger;
use usd1_tests::cli_harness::Keys;

async fn usd1(argv: &[&str]) -> anyhow::Result<Output> {
    let cli = Cli::try_parse_from(std::iter::once("usd1").chain(argv.iter().copied()))?;
    // Nothing here reads the chain: nothing listens at this address.
    let ledger: Arc<dyn Ledger> = Arc::new(usd1_client::rpc::RpcLedger::new(
        "http://127.0.0.1:9".into(),
        solana_commitment_config::CommitmentConfig::confirmed(),
    ));
    let ctx = Context::new(ledger, Arc::new(Keypair::new())).with_flags(cli.signing.clone());
    execute(&ctx, cli.command).await
}

fn problems(out: &Output) -> Vec<String> {
    out.json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["problem"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_officer_signs_exactly_that_report_or_verify_says_why_not() {
    let keys = Keys::new();
    let (ceo, cfo, impostor) = (Keypair::new(), Keypair::new(), Keypair::new());
    let (ceo_file, cfo_file) = (keys.write("ceo", &ceo), keys.write("cfo", &cfo));
    let report = keys.file(
        "report-2026-11.json",
        br#"{"month":"2026-11","outstanding":"1000000.000000"}"#,
    );
    let sidecar = format!("{report}.certifications.json");
    let ceo_is = format!("ceo={}", ceo.pubkey());
    let cfo_is = format!("cfo={}", cfo.pubkey());
    let verify = |officers: Vec<String>| {
        let report = report.clone();
        async move {
            let mut argv = vec!["report".to_string(), "verify".into(), report];
            for o in officers {
                argv.extend(["--officer".into(), o]);
            }
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            usd1(&argv).await.unwrap()
        }
    };

    // Only the CFO has signed: the CEO's certification is missing.
    let out = usd1(&[
        "report", "certify", &report, "--role", "cfo", "--signer", &cfo_file,
    ])
    .await
    .unwrap();
    assert_eq!(out.json["officer"], cfo.pubkey().to_string());
    let out = verify(vec![ceo_is.clone(), cfo_is.clone()]).await;
    assert!(out.failed);
    assert_eq!(problems(&out), ["CertificationMissing"]);

    usd1(&[
        "report", "certify", &report, "--role", "ceo", "--signer", &ceo_file,
    ])
    .await
    .unwrap();
    let out = verify(vec![ceo_is.clone(), cfo_is.clone()]).await;
    assert!(!out.failed, "{}", out.text);
    assert_eq!(out.json["verified"], true);

    // The CFO expected is another key.
    let out = verify(vec![ceo_is.clone(), format!("cfo={}", impostor.pubkey())]).await;
    assert_eq!(problems(&out), ["WrongOfficer"]);
    assert!(
        out.text.contains(&format!("signed by {}", cfo.pubkey())),
        "{}",
        out.text
    );

    // A signature moved from one role to another does not verify under it.
    let signed: Value = serde_json::from_slice(&std::fs::read(&sidecar).unwrap()).unwrap();
    let mut moved = signed.clone();
    let list = moved["certifications"].as_array_mut().unwrap();
    let ceo_entry = list.iter().find(|c| c["role"] == "ceo").unwrap().clone();
    let cfo_entry = list.iter_mut().find(|c| c["role"] == "cfo").unwrap();
    cfo_entry["signature"] = ceo_entry["signature"].clone();
    cfo_entry["officer"] = ceo_entry["officer"].clone();
    std::fs::write(&sidecar, serde_json::to_vec_pretty(&moved).unwrap()).unwrap();
    let out = verify(vec![format!("cfo={}", ceo.pubkey())]).await;
    assert_eq!(problems(&out), ["BadSignature"]);
    std::fs::write(&sidecar, serde_json::to_vec_pretty(&signed).unwrap()).unwrap();

    // One byte of the report changed: neither certification holds, and no
    // officer can sign the new bytes beside the old signatures.
    let mut bytes = std::fs::read(&report).unwrap();
    let at = bytes.iter().position(|&b| b == b'1').unwrap();
    bytes[at] = b'9';
    std::fs::write(&report, &bytes).unwrap();
    let out = verify(vec![ceo_is.clone(), cfo_is.clone()]).await;
    assert_eq!(problems(&out), ["ReportChanged", "ReportChanged"]);
    let before = std::fs::read(&sidecar).unwrap();
    let err = usd1(&[
        "report", "certify", &report, "--role", "ceo", "--signer", &ceo_file,
    ])
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("ReportChanged: "), "{err}");
    assert_eq!(std::fs::read(&sidecar).unwrap(), before, "nothing written");

    // A role that is not an officer's is refused by the parser.
    let err = usd1(&[
        "report",
        "verify",
        &report,
        "--officer",
        &format!("cto={}", ceo.pubkey()),
    ])
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("an officer role is ceo or cfo"),
        "{err}"
    );
}
