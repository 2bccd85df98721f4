//! Sanctions screening (issue 25): `usd1 screen` of addresses and of every
//! holder of a mint over JSON-RPC, and `usd1 pay --list`, which refuses a
//! payout to a listed recipient before anything is sent.
use std::path::Path;
use std::sync::Arc;

use clap::Parser;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_cli::{execute, Cli, Context, Output};
use usd1_client::Ledger;
use usd1_tests::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/screening");

async fn run(ledger: Arc<dyn Ledger>, signer: &Keypair, argv: &[&str]) -> anyhow::Result<Output> {
    let cli = Cli::try_parse_from(std::iter::once("usd1").chain(argv.iter().copied()))?;
    execute(
        &Context::new(ledger, Arc::new(signer.insecure_clone())),
        cli.command,
    )
    .await
}

fn issuer_list(dir: &Path, rows: &[(Pubkey, &str)]) -> String {
    let mut text = String::from("address,reason,source,added_at\n");
    for (address, reason) in rows {
        text.push_str(&format!(
            "{address},{reason},issuer compliance,2026-11-30\n"
        ));
    }
    let path = dir.join("issuer.csv");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn screens_addresses_against_all_three_formats_and_fails_on_a_hit() {
    let nobody = Keypair::new();
    // No node is needed to screen addresses: nothing listens here.
    let ledger: Arc<dyn Ledger> = Arc::new(usd1_client::rpc::RpcLedger::new(
        "http://127.0.0.1:9".into(),
        solana_commitment_config::CommitmentConfig::confirmed(),
    ));
    let advanced = format!("{FIXTURES}/sdn_advanced.xml");
    let classic = format!("{FIXTURES}/sdn.xml");
    let csv = format!("{FIXTURES}/issuer.csv");
    let listed = "5FMtxLU8q6AJ6oXecMa59biheG194Fy7rfEivmCQ34sH";
    let clean = Pubkey::new_unique().to_string();
    let argv = [
        "screen", listed, &clean, "--list", &advanced, "--list", &classic, "--list", &csv,
    ];
    let out = run(ledger.clone(), &nobody, &argv).await.unwrap();
    assert!(out.failed, "a hit fails the command: {}", out.text);
    assert_eq!(out.json["screened"], 2);
    let hits = out.json["hits"].as_array().unwrap();
    let cited: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| {
            (
                h["hit"]["list"].as_str().unwrap(),
                h["hit"]["entry"]["entry"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cited,
        [
            ("sdn_advanced.xml", "DistinctParty 90002 Feature 8203"),
            ("issuer.csv", "line 5")
        ]
    );
    assert!(hits.iter().all(|h| h["address"] == listed));
    assert_eq!(hits[0]["hit"]["entry"]["subject"], "JANE Q EXAMPLE");
    // Every list's version, and the entries it could not screen, are shown.
    let lists = out.json["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 3);
    assert_eq!(lists[1]["version"]["published"], "2026-11-20");
    assert_eq!(lists[2]["rejected"][0]["entry"], "line 4");
    assert!(
        out.text
            .contains("not screened: sdn.xml sdnEntry 90004 id 8402"),
        "{}",
        out.text
    );

    let out = run(
        ledger.clone(),
        &nobody,
        &["screen", &clean, "--list", &advanced],
    )
    .await
    .unwrap();
    assert!(!out.failed);
    assert_eq!(out.json["hits"].as_array().unwrap().len(), 0);

    // A list that is not one is refused by name, nothing screened.
    let err = run(
        ledger,
        &nobody,
        &["screen", &clean, "--list", "/nonexistent.csv"],
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read screening list /nonexistent.csv"),
        "{err}"
    );
}

#[tokio::test]
async fn screens_every_holder_of_the_mint_owner_and_token_account() {
    let localnet = usd1_tests::localnet::localnet().await;
    let f = Fixture::on_localnet(&localnet, 10_000 * ONE, 400 * ONE).await;
    // Owners spread over many first bytes, so the listing's pages all count.
    let owners: Vec<Pubkey> = (0..24).map(|_| Pubkey::new_unique()).collect();
    for (i, owner) in owners.iter().enumerate() {
        f.usd1
            .mint_to(&f.minter, owner, (i as u64 + 1) * ONE)
            .await
            .unwrap();
    }
    let listed_owner = owners[3];
    let listed_account = f.usd1.token_account_of(&owners[7]);
    let dir = tempfile::tempdir().unwrap();
    let list = issuer_list(
        dir.path(),
        &[
            (listed_owner, "fraud report 2026-117"),
            (listed_account, "court order 26-CV-0042"),
            (Pubkey::new_unique(), "not a holder"),
        ],
    );
    let mint = f.mint().to_string();
    let nobody = Keypair::new();
    let argv = ["screen", "holders", "--mint", &mint, "--list", &list];
    let out = run(f.ledger.clone(), &nobody, &argv).await.unwrap();
    assert!(out.failed, "{}", out.text);
    // The holder, the minter's account (if any) and the 24: each account and its owner.
    let holdings = f
        .ledger
        .holdings(&f.mint(), &f.usd1.token_program())
        .await
        .unwrap();
    assert!(holdings.len() >= 25, "{holdings:?}");
    for owner in owners.iter().chain([&f.holder.pubkey()]) {
        assert!(holdings.iter().any(|h| h.owner == *owner), "{owner} listed");
    }
    assert_eq!(out.json["screened"], holdings.len() * 2);
    let hits = out.json["hits"].as_array().unwrap();
    let found: Vec<(String, &str, &str, &str)> = hits
        .iter()
        .map(|h| {
            (
                h["address"].as_str().unwrap().to_string(),
                h["role"].as_str().unwrap(),
                h["balance"].as_str().unwrap(),
                h["hit"]["entry"]["reason"].as_str().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![
        (
            listed_owner.to_string(),
            "owner",
            "4",
            "fraud report 2026-117",
        ),
        (
            listed_account.to_string(),
            "token-account",
            "8",
            "court order 26-CV-0042",
        ),
    ];
    expected.sort_by_key(|e| {
        if e.1 == "owner" {
            listed_owner
        } else {
            owners[7]
        }
    });
    assert_eq!(found, expected);
    assert_eq!(
        hits.iter()
            .filter(|h| h["related"] == f.usd1.token_account_of(&listed_owner).to_string())
            .count(),
        1
    );

    // Nobody listed: a clean run.
    let list = issuer_list(dir.path(), &[(Pubkey::new_unique(), "elsewhere")]);
    let argv = ["screen", "holders", "--mint", &mint, "--list", &list];
    let out = run(f.ledger.clone(), &nobody, &argv).await.unwrap();
    assert!(!out.failed, "{}", out.text);
}

#[tokio::test]
async fn pay_refuses_a_listed_recipient_before_anything_is_sent() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000_000 * ONE).await;
    let payer = f.funded_keypair().await;
    f.usd1
        .mint_to(&f.minter, &payer.pubkey(), 1_000 * ONE)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let recipients: Vec<Pubkey> = (0..5).map(|_| Pubkey::new_unique()).collect();
    let mut text = String::from("recipient,amount\n");
    for r in &recipients {
        text.push_str(&format!("{r},1\n"));
    }
    let file = dir.path().join("payout.csv");
    std::fs::write(&file, &text).unwrap();
    let file = file.to_string_lossy().into_owned();
    // One wallet listed, and another's token account.
    let list = issuer_list(
        dir.path(),
        &[
            (recipients[1], "fraud report"),
            (f.usd1.token_account_of(&recipients[3]), "court order"),
        ],
    );
    let m = f.mint().to_string();
    let before = f.snapshot().await;
    let argv = ["pay", &file, "--mint", &m, "--list", &list];
    let err = run(f.ledger.clone(), &payer, &argv)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("2 row(s) pay a listed recipient, nothing sent: line 3: owner "),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "line 3: owner {}: issuer.csv line 2 (fraud report; issuer compliance)",
            recipients[1]
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "line 5: token account {}: issuer.csv line 3",
            f.usd1.token_account_of(&recipients[3])
        )),
        "{err}"
    );
    assert_eq!(f.snapshot().await, before, "nothing moved");
    assert!(
        !Path::new(&format!("{file}.journal")).exists(),
        "no journal"
    );

    // Without the listed rows, the same list lets the payout through.
    let clean: String = text
        .lines()
        .filter(|l| {
            !l.starts_with(&recipients[1].to_string()) && !l.starts_with(&recipients[3].to_string())
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&file, clean).unwrap();
    let out = run(f.ledger.clone(), &payer, &argv).await.unwrap();
    assert_eq!(out.json["paid"], 3, "{}", out.text);
    assert_eq!(f.usd1.balance(&recipients[1]).await.unwrap(), 0);
    assert_eq!(f.usd1.balance(&recipients[0]).await.unwrap(), ONE);
}

#[tokio::test]
async fn settle_refuses_a_listed_holder_and_reject_still_refunds() {
    let f = usd1_tests::redemption::funded_holder(Flavor::Token2022).await;
    f.fund(&f.treasurer.pubkey()).await;
    let (id, _) = f
        .usd1
        .request_redemption(&f.holder, 400 * ONE, [7; 32])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = issuer_list(dir.path(), &[(f.holder.pubkey(), "fraud report 2026-117")]);
    let (m, id_text) = (f.mint().to_string(), id.to_string());
    let before = f.snapshot().await;
    let argv = [
        "redeem",
        "settle",
        &id_text,
        "--reference",
        "wire 0042",
        "--list",
        &list,
        "--mint",
        &m,
    ];
    let err = run(f.ledger.clone(), &f.treasurer, &argv)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "HolderUnderReview: the holder of redemption #{id} is listed, nothing sent: owner {}: issuer.csv line 2 (fraud report 2026-117; issuer compliance)",
            f.holder.pubkey()
        )),
        "{err}"
    );
    assert_eq!(f.snapshot().await, before, "nothing settled");

    // A holder with an undecided case in the gateway is under review too.
    let cases = |status: &str| {
        let path = dir
            .path()
            .join(format!("cases-{}.json", status.replace(' ', "-")));
        let body = serde_json::json!([
            {"id": "case_0001", "subject": Pubkey::new_unique().to_string(), "status": "open"},
            {"id": "case_0002", "subject": f.holder.pubkey().to_string(), "status": status},
        ]);
        std::fs::write(&path, body.to_string()).unwrap();
        path.to_string_lossy().into_owned()
    };
    let under_review = cases("under review");
    let argv = [
        "redeem",
        "settle",
        &id_text,
        "--reference",
        "wire 0042",
        "--cases",
        &under_review,
        "--mint",
        &m,
    ];
    let err = run(f.ledger.clone(), &f.treasurer, &argv)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "HolderUnderReview: the holder of redemption #{id} has the open case case_0002, nothing sent."
        )),
        "{err}"
    );
    assert_eq!(f.snapshot().await, before, "nothing settled");

    // Rejecting still works: the escrow goes back to the holder's account.
    let argv = ["redeem", "reject", &id_text, "--reason", "4", "--mint", &m];
    run(f.ledger.clone(), &f.treasurer, &argv).await.unwrap();
    assert_eq!(
        f.usd1.balance(&f.holder.pubkey()).await.unwrap(),
        1_000 * ONE
    );

    // An unlisted holder's request settles with the same list given, and
    // with a case of the holder's that was released.
    let clean = issuer_list(dir.path(), &[(Pubkey::new_unique(), "elsewhere")]);
    let released = cases("released");
    let (id, _) = f
        .usd1
        .request_redemption(&f.holder, 100 * ONE, [8; 32])
        .await
        .unwrap();
    let id_text = id.to_string();
    let argv = [
        "redeem",
        "settle",
        &id_text,
        "--reference",
        "wire 0043",
        "--list",
        &clean,
        "--cases",
        &released,
        "--mint",
        &m,
    ];
    run(f.ledger.clone(), &f.treasurer, &argv).await.unwrap();
    assert_eq!(f.usd1.balance(&f.holder.pubkey()).await.unwrap(), 900 * ONE);
}
