//! Stock wallets on the localnet (issue 12): the unmodified `@solana/web3.js`
//! 1.x and `@solana/spl-token` 0.4, run by Node against an in-process
//! localnet, do what a wallet does first — list parsed token accounts, read
//! a parsed mint, create the recipient's associated account and
//! `transferChecked` with `sendAndConfirmTransaction` (confirmed over the
//! PubSub websocket), see the payment through `onAccountChange`, read
//! `getParsedTransaction` with its token balances, and be refused, naming
//! the token program's error, when the source is frozen — on both token
//! programs. The JavaScript is `tests/node/wallet.test.mjs`; its packages
//! come from `tests/node/package-lock.json` (`npm ci`, run here when
//! `node_modules` is missing).
use serde_json::json;
use solana_sdk::signature::{Keypair, Signer};
use usd1_tests::localnet::localnet;
use usd1_tests::node::{install_packages, node_test};
use usd1_tests::*;
use usd1_tests::{Fixture, Flavor};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_web3_wallets_read_pay_and_are_refused_on_both_token_programs() {
    install_packages();
    let localnet = localnet().await;
    let mut flavors = Vec::new();
    for (name, flavor) in [("token-2022", Flavor::Token2022), ("token", Flavor::Token)] {
        let p = Fixture::on_localnet_with(&localnet, flavor, 10_000 * ONE, 500 * ONE).await;
        let usd1 = &p.usd1;
        localnet
            .chain
            .airdrop(&p.holder.pubkey(), 10_000_000_000)
            .await
            .unwrap();
        // A holder whose account the freezer froze, with 50 tokens in it.
        let frozen = Keypair::new();
        localnet
            .chain
            .airdrop(&frozen.pubkey(), 10_000_000_000)
            .await
            .unwrap();
        usd1.mint_to(&p.minter, &frozen.pubkey(), 50 * ONE)
            .await
            .unwrap();
        usd1.freeze(&p.freezer, &usd1.token_account_of(&frozen.pubkey()))
            .await
            .unwrap();
        flavors.push(json!({
            "name": name,
            "programId": flavor.program_id().to_string(),
            "mint": usd1.mint().to_string(),
            "config": usd1.config_address().to_string(),
            "decimals": DECIMALS,
            "supply": (550 * ONE).to_string(),
            "held": (500 * ONE).to_string(),
            "holder": p.holder.to_bytes().to_vec(),
            "frozenOwner": frozen.to_bytes().to_vec(),
            "frozenHeld": (50 * ONE).to_string(),
        }));
    }
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("fixture.json");
    let body = json!({ "rpc": localnet.url, "ws": localnet.ws_url, "flavors": flavors });
    std::fs::write(&fixture, body.to_string()).unwrap();

    let (output, stdout) = node_test(&["wallet.test.mjs"], &fixture).await;
    assert!(output.status.success(), "the web3.js wallet test failed");
    // Five tests (two per token program, and a blockhash 3 s old), all run and passed.
    assert!(stdout.contains("# pass 5"), "{stdout}");
    assert!(stdout.contains("# fail 0"), "{stdout}");
    localnet.stop().await.unwrap();
}
