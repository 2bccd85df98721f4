//! `usd1 bootstrap` against the localnet over JSON-RPC: a full run, a re-run
//! that sends nothing, and a run that fails part-way and is finished by
//! running it again.
use std::sync::Arc;

use clap::Parser;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};
use usd1_cli::{execute, Cli, Context};
use usd1_client::rpc::RpcLedger;
use usd1_client::{Ledger, Role, Usd1};
use usd1_tests::localnet::{funded, localnet};
use usd1_tests::ONE;

fn plan(
    dir: &std::path::Path,
    roles: &[Keypair],
    attestors: &[Keypair],
    minter: &Keypair,
    max_age: i64,
) -> std::path::PathBuf {
    let key = |k: &Keypair| format!("\"{}\"", k.pubkey());
    let text = format!(
        "mint_keypair = \"mint.json\"\ndecimals = 6\nname = \"USD1\"\nsymbol = \"USD1\"\nuri = \"https://example.com/usd1.json\"\n\
         [roles]\npauser = {}\nfreezer = {}\ntreasurer = {}\n\
         [attestors]\nkeys = [{}]\nthreshold = 2\n\
         [policy]\nmax_attestation_age_secs = {max_age}\nmargin_bps = 50\n\
         [disclosure]\nlegal_name = \"USD1 Issuer Ltd\"\nterms_uri = \"https://example.com/terms\"\nterms_file = \"terms.txt\"\n\
         min_redemption = \"10\"\nredemption_fee_bps = 10\nsettlement_target_secs = 86400\nreserve_report_uri = \"https://example.com/reserves\"\n\
         [[minters]]\nkey = {}\nallowance = \"250000\"\n",
        key(&roles[0]),
        key(&roles[1]),
        key(&roles[2]),
        attestors.iter().map(key).collect::<Vec<_>>().join(", "),
        key(minter),
    );
    let path = dir.join("plan.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn bootstrap(ctx: &Context, plan: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let cli = Cli::try_parse_from(["usd1", "bootstrap", &plan.display().to_string()])?;
    Ok(execute(ctx, cli.command).await?.json)
}

fn outcomes(json: &serde_json::Value) -> Vec<String> {
    json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn bootstraps_a_cluster_idempotently_and_finishes_after_a_partial_failure() {
    let localnet = localnet().await;
    let dir = tempfile::tempdir().unwrap();
    let mint = Keypair::new();
    std::fs::write(
        dir.path().join("mint.json"),
        serde_json::to_string(&mint.to_bytes().to_vec()).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("terms.txt"), "Redeemable 1:1.\n").unwrap();
    let roles: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let attestors: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let minter = Keypair::new();
    let admin = funded(&localnet).await;
    let ledger: Arc<dyn Ledger> = Arc::new(RpcLedger::new(
        localnet.url.clone(),
        CommitmentConfig::confirmed(),
    ));
    let ctx = Context::new(ledger.clone(), admin.clone());

    // A plan with a refused value: initialize, roles and attestors land, then the policy step fails.
    let bad = plan(dir.path(), &roles, &attestors, &minter, 0);
    let error = bootstrap(&ctx, &bad).await.unwrap_err();
    assert!(format!("{error:#}").contains("InvalidMaxAge"), "{error:#}");
    let usd1 = Usd1::connect(ledger.clone(), admin.clone(), mint.pubkey())
        .await
        .unwrap();
    let config = usd1.config().await.unwrap();
    assert_eq!(
        (config.pauser, config.treasurer, config.threshold),
        (roles[0].pubkey(), roles[2].pubkey(), 2)
    );
    assert!(
        usd1.disclosure().await.is_err(),
        "nothing after the failed step ran"
    );

    // The corrected plan finishes the job and redoes nothing.
    let good = plan(dir.path(), &roles, &attestors, &minter, 3_600);
    let json = bootstrap(&ctx, &good).await.unwrap();
    assert_eq!(
        outcomes(&json),
        [
            "unchanged",
            "unchanged",
            "unchanged",
            "unchanged",
            "unchanged",
            "done",
            "done",
            "done"
        ],
        "{json}"
    );
    let config = usd1.config().await.unwrap();
    assert_eq!((config.max_attestation_age, config.margin_bps), (3_600, 50));
    assert_eq!(usd1.disclosure().await.unwrap().min_redemption, 10 * ONE);
    assert_eq!(
        usd1.minter_allowance(&minter.pubkey())
            .await
            .unwrap()
            .allowance,
        250_000 * ONE
    );

    // Run again: everything is in place and no transaction is sent.
    let before = ledger.history(&usd1.config_address()).await.unwrap().len();
    let json = bootstrap(&ctx, &good).await.unwrap();
    assert!(outcomes(&json).iter().all(|o| o == "unchanged"), "{json}");
    assert_eq!(
        ledger.history(&usd1.config_address()).await.unwrap().len(),
        before
    );

    // A role changed by hand is put back to the plan, and only that.
    usd1.set_role(&admin, Role::Pauser, &Keypair::new().pubkey())
        .await
        .unwrap();
    let json = bootstrap(&ctx, &good).await.unwrap();
    assert_eq!(
        outcomes(&json).iter().filter(|o| *o == "done").count(),
        1,
        "{json}"
    );
    assert_eq!(usd1.config().await.unwrap().pauser, roles[0].pubkey());

    // Another admin's plan for the same mint is refused before anything is sent.
    let stranger = Context::new(ledger.clone(), funded(&localnet).await);
    let error = bootstrap(&stranger, &good).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("is administered by"),
        "{error:#}"
    );
    localnet.stop().await.unwrap();
}
