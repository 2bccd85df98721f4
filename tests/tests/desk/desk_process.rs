//! The real `usd1-desk` process over a localnet: an operator's customer set
//! up from the command line, the bank's statement dropped in the watched
//! inbox, the deposit minted; and the process killed with SIGKILL after its
//! mint left but before it heard the answer (the RPC answer held back by a
//! proxy): the next pass finds the mint on the chain and records it, and
//! nothing is minted twice.
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};
use usd1::state::RedemptionStatus;
use usd1_client::screening::Screener;
use usd1_desk::decide::Kyb;
use usd1_desk::store::customers::BankAccount;
use usd1_tests::bank::Bank;
use usd1_tests::bank::ROUTING;
use usd1_tests::fixture::{default_disclosure, Fixture, ONE};
use usd1_tests::localnet::localnet;
use usd1_tests::moments::Moments;
use usd1_tests::proxy::{Fault, Proxy};
use usd1_tests::tour::{binary, build_binaries, write_keypair};

fn desk(database: &str, args: &[&str]) -> Output {
    Command::new(binary("usd1-desk").unwrap())
        .args(["--database", database, "--output", "json"])
        .args(args)
        .output()
        .expect("usd1-desk")
}

fn ok(database: &str, args: &[&str]) -> Value {
    let out = desk(database, args);
    assert!(
        out.status.success(),
        "usd1-desk {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {text}"))
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "waited a minute for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_killed_after_its_mint_left_mints_nothing_twice() {
    build_binaries().expect("binaries");
    let localnet = localnet().await;
    let f = Fixture::on_localnet(&localnet, 10_000 * ONE, 0).await;
    localnet
        .chain
        .airdrop(&f.minter.pubkey(), 10_000_000_000)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("desk.db").display());
    let minter = dir.path().join("minter.json");
    write_keypair(&minter, &f.minter).unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();

    // The operators' part, from the command line.
    let added = ok(
        &database,
        &[
            "customer",
            "add",
            "--name",
            "Acme Treasury LLC",
            "--operator",
            "alice",
        ],
    );
    let id = added["id"].as_str().unwrap().to_string();
    let reference = added["reference"].as_str().unwrap().to_string();
    let refused = desk(
        &database,
        &[
            "customer",
            "kyb",
            &id,
            "pending",
            "--operator",
            "bob",
            "--why",
            "again",
        ],
    );
    assert!(!refused.status.success());
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr).trim(),
        "error: a customer cannot go from pending to pending"
    );
    ok(
        &database,
        &[
            "customer",
            "kyb",
            &id,
            "approved",
            "--operator",
            "bob",
            "--why",
            "KYB file 7 complete",
        ],
    );
    let wallet = Keypair::new().pubkey();
    ok(
        &database,
        &[
            "customer",
            "wallet",
            &id,
            &wallet.to_string(),
            "--operator",
            "bob",
        ],
    );
    ok(
        &database,
        &[
            "customer",
            "bank-account",
            &id,
            "--holder",
            "Acme Treasury LLC",
            "--number",
            "12345678",
            "--routing",
            "021000021",
            "--town",
            "New York",
            "--country",
            "US",
        ],
    );
    let bad = desk(
        &database,
        &[
            "customer",
            "bank-account",
            &id,
            "--holder",
            "Acme",
            "--number",
            "12345678",
            "--routing",
            "021000022",
            "--town",
            "New York",
            "--country",
            "US",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr).trim(),
        "error: bank account: '021000022' is not an ABA routing number (its check digit)"
    );

    // The bank's file arrives; the desk's sendTransaction is forwarded but
    // its answer never comes back.
    let mut bank = Bank::new(&dir.path().join("bank"), &usd1_tests::bank::today()).unwrap();
    bank.open_account("4000123456", "USD1 Issuer Ltd", "0");
    bank.wire_in(
        "4000123456",
        "250.00",
        &format!("SUBSCRIPTION {reference}"),
        ("ACME", "1"),
    )
    .unwrap();
    let statement = bank.write_statement("4000123456").unwrap();
    std::fs::copy(&statement, inbox.join("statement.xml")).unwrap();
    let created = desk(
        &database,
        &[
            "api-key",
            "create",
            "--operator",
            "alice",
            "--scope",
            "customers:read",
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let key = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let refused = desk(
        &database,
        &[
            "api-key",
            "create",
            "--operator",
            "alice",
            "--scope",
            "invoices:read",
        ],
    );
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("unknown scope 'invoices:read' (one of customers:read"));
    let api_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = Proxy::start(&localnet.url).await.unwrap();
    proxy.fail(
        "sendTransaction",
        Fault::SilentAfterForwarding(Duration::from_secs(120)),
        1,
    );
    let mut running = Command::new(binary("usd1-desk").unwrap())
        .args(["--database", &database, "run", "--url", &proxy.url])
        .args([
            "--mint",
            &f.mint().to_string(),
            "--minter",
            &minter.display().to_string(),
        ])
        .args(["--inbox", &inbox.display().to_string(), "--poll-ms", "100"])
        .args(["--listen", &format!("127.0.0.1:{api_port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Its API answers with the key an operator made from the command line.
    let client = reqwest::Client::new();
    let customers = format!("http://127.0.0.1:{api_port}/v1/customers");
    until("the API to answer", || {
        let (client, customers, key) = (client.clone(), customers.clone(), key.clone());
        async move {
            match client.get(&customers).bearer_auth(&key).send().await {
                Ok(response) => response.status() == reqwest::StatusCode::OK,
                Err(_) => false,
            }
        }
    })
    .await;
    let listed: Value = client
        .get(&customers)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["id"], id.as_str());
    until("the mint to land", || async {
        f.usd1.balance(&wallet).await.unwrap_or(0) == 250 * ONE
    })
    .await;
    assert!(inbox.join("taken/statement.xml").exists());
    let minting = ok(&database, &["deposit", "list", "--state", "minting"]);
    assert_eq!(
        minting.as_array().unwrap().len(),
        1,
        "the landing is not recorded yet"
    );
    running.kill().unwrap();
    running.wait().unwrap();

    // The restarted desk asks the chain and records; nothing is minted again.
    let pass = ok(
        &database,
        &[
            "mint",
            "--url",
            &localnet.url,
            "--mint",
            &f.mint().to_string(),
            "--minter",
            &minter.display().to_string(),
        ],
    );
    assert_eq!(pass["minted"].as_array().unwrap().len(), 1, "{pass}");
    let again = ok(
        &database,
        &[
            "mint",
            "--url",
            &localnet.url,
            "--mint",
            &f.mint().to_string(),
            "--minter",
            &minter.display().to_string(),
        ],
    );
    assert!(again["minted"].as_array().unwrap().is_empty(), "{again}");
    assert_eq!(f.usd1.balance(&wallet).await.unwrap(), 250 * ONE);
    let minted = ok(&database, &["deposit", "list", "--state", "minted"]);
    assert_eq!(minted[0]["mint_signature"], pass["minted"][0][1]);
    let day = bank.day();
    let report = ok(
        &database,
        &[
            "reconcile",
            "--url",
            &localnet.url,
            "--mint",
            &f.mint().to_string(),
            "--minter",
            &minter.display().to_string(),
            "--date",
            &day,
            "--account",
            "4000123456",
            "--format",
            "json",
        ],
    );
    assert_eq!(report["balanced"], true, "{report}");
    assert_eq!(report["figures"]["supply"], 250 * ONE);
    let verified = ok(&database, &["case", "verify"]);
    assert_eq!(verified["cases"], 0, "{verified}");
    let no_key = desk(
        &database,
        &[
            "case",
            "decide",
            "case_x",
            "release",
            "--why",
            "x",
            "--operator-key",
            "usd1_sk_nope",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&no_key.stderr).trim(),
        "error: the operator key is unknown or revoked"
    );
    let books = ok(&database, &["ledger"]);
    assert_eq!(books["balances"]["bank_cash"], 250 * ONE as i64);
    localnet.stop().await.unwrap();
}

/// `usd1-desk run` paying redemptions, killed with SIGKILL at random
/// moments and started again while the bank answers its files: every
/// redemption is paid by the bank once and settled on-chain once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_killed_at_random_moments_pays_each_redemption_once() {
    build_binaries().expect("binaries");
    let localnet = localnet().await;
    let f = Fixture::on_localnet(&localnet, 10_000 * ONE, 0).await;
    for key in [f.minter.pubkey(), f.treasurer.pubkey()] {
        localnet.chain.airdrop(&key, 10_000_000_000).await.unwrap();
    }
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("desk.db").display());
    let (minter, treasurer) = (
        dir.path().join("minter.json"),
        dir.path().join("treasurer.json"),
    );
    write_keypair(&minter, &f.minter).unwrap();
    write_keypair(&treasurer, &f.treasurer).unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut bank = Bank::new(&dir.path().join("bank"), &usd1_tests::bank::today()).unwrap();
    bank.open_account("4000123456", "USD1 Issuer Ltd", "0");
    bank.external.insert("12345678".into());

    let store = usd1_desk::store::Store::open(&database).await.unwrap();
    let acme = store.create_customer("Acme", "alice").await.unwrap();
    store
        .set_kyb(&acme.id, Kyb::Approved, "bob", "KYB file 7")
        .await
        .unwrap();
    let wallet = Keypair::new();
    store
        .register_wallet(
            &acme.id,
            &wallet.pubkey().to_string(),
            &Screener::default(),
            "bob",
        )
        .await
        .unwrap();
    store
        .add_bank_account(
            &acme.id,
            &BankAccount {
                holder: "Acme".into(),
                number: Some("12345678".into()),
                routing: Some(ROUTING.into()),
                town: "New York".into(),
                country: "US".into(),
                ..BankAccount::default()
            },
        )
        .await
        .unwrap();
    localnet
        .chain
        .airdrop(&wallet.pubkey(), 10_000_000_000)
        .await
        .unwrap();
    bank.wire_in("4000123456", "250.00", &acme.reference, ("ACME", "1"))
        .unwrap();
    let statement = bank.write_statement("4000123456").unwrap();
    std::fs::copy(&statement, inbox.join("0-statement.xml")).unwrap();

    let mint = f.mint().to_string();
    let bank_inbox = bank.inbox.display().to_string();
    let desk_run = || {
        Command::new(binary("usd1-desk").unwrap())
            .args([
                "--database",
                &database,
                "run",
                "--url",
                &localnet.url,
                "--mint",
                &mint,
            ])
            .args([
                "--minter",
                &minter.display().to_string(),
                "--treasurer",
                &treasurer.display().to_string(),
            ])
            .args([
                "--debtor-name",
                "USD1 Issuer Ltd",
                "--debtor-account",
                "4000123456",
            ])
            .args(["--debtor-agent", ROUTING, "--bank-outbox", &bank_inbox])
            .args(["--inbox", &inbox.display().to_string(), "--poll-ms", "50"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut running = desk_run();
    until("the deposit to be minted", || async {
        f.usd1.balance(&wallet.pubkey()).await.unwrap_or(0) == 250 * ONE
    })
    .await;
    running.kill().unwrap();
    running.wait().unwrap();
    let mut ids = Vec::new();
    for amount in [10, 20, 30, 40] {
        let (id, _) = f
            .usd1
            .request_redemption(&wallet, amount * ONE, [1; 32])
            .await
            .unwrap();
        ids.push(id);
    }

    let mut moments = Moments::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut kills = 0;
    loop {
        let mut running = desk_run();
        tokio::time::sleep(Duration::from_millis(5 + moments.below(60))).await;
        running.kill().unwrap();
        running.wait().unwrap();
        kills += 1;
        // The bank answers now and then, so that kills land before and after its answers.
        if moments.below(3) == 0 {
            for answer in bank.process_payments().unwrap() {
                std::fs::copy(&answer, inbox.join(answer.file_name().unwrap())).unwrap();
            }
        }
        let mut settled = 0;
        for id in &ids {
            settled += usize::from(
                f.usd1.redemption(*id).await.unwrap().status == RedemptionStatus::Settled,
            );
        }
        if settled == ids.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not all settled after {kills} kills"
        );
    }
    eprintln!("all {} redemptions settled across {kills} kills", ids.len());

    // Paid once each: the bank's account lost exactly the payouts, each
    // debit names one redemption once.
    // Each payout is the amount less the 0.25% fee, in whole cents.
    let payouts: u64 = [10u64, 20, 30, 40]
        .iter()
        .map(|a| usd1_desk::store::redemptions::payout_of(a * ONE, a * ONE * 25 / 10_000))
        .sum();
    assert_eq!(payouts, 99_740_000);
    let statement = bank.write_statement("4000123456").unwrap();
    let text = std::fs::read(&statement).unwrap();
    let usd1_client::bank::Document::Statements(file) =
        usd1_client::bank::read("statement.xml", &text, 1 << 30).unwrap()
    else {
        panic!("a statement");
    };
    let mut debits: Vec<String> = file.statements[0]
        .entries
        .iter()
        .filter(|e| e.direction == usd1_client::bank::Direction::Debit)
        .filter_map(|e| e.transactions.first().and_then(|t| t.end_to_end_id.clone()))
        .collect();
    debits.sort();
    let mut expected: Vec<String> = ids.iter().map(|id| format!("USD1-RDM-{id}")).collect();
    expected.sort();
    assert_eq!(debits, expected, "each redemption paid by the bank once");
    let closing = file.statements[0].closing().unwrap().amount.value();
    assert_eq!(closing * 10, i128::from(250 * ONE - payouts));
    assert_eq!(f.usd1.balance(&wallet.pubkey()).await.unwrap(), 150 * ONE);
    assert_eq!(f.supply().await, 150 * ONE);
    store
        .import_statement(
            "statement.xml",
            &text,
            usd1_desk::store::statements::Intake {
                four_eyes_above: u64::MAX,
            },
        )
        .await
        .unwrap();
    assert_eq!(store.books().await.unwrap().total(), 0);
    localnet.stop().await.unwrap();
}
