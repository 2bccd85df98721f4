//! Freezes, thaws and seizures cite their lawful basis on-chain (issue 25):
//! `usd1 freeze|thaw|seize --reason CODE --order FILE` put the code and the
//! order's SHA-256 into the program's event, and the audit counts frozen
//! accounts, what they hold, and how many actions cited an order.
use solana_sdk::signature::Signer;
use usd1_client::Ledger;
use usd1_client::{MintOptions, Usd1Event};
use usd1_tests::cli_harness::{fails, ok, s, Keys};
use usd1_tests::*;

#[tokio::test]
async fn freezes_and_seizures_carry_the_orders_hash_and_the_audit_counts_them() {
    let options = MintOptions {
        permanent_delegate: true,
        ..Default::default()
    };
    let f = Fixture::new_with(Flavor::Token2022, options).await;
    f.attest(10_000 * ONE).await.unwrap();
    let other = f.funded_keypair().await;
    for (owner, amount) in [(f.holder.pubkey(), 100 * ONE), (other.pubkey(), 5 * ONE)] {
        f.usd1.mint_to(&f.minter, &owner, amount).await.unwrap();
    }
    f.usd1
        .mint_to(&f.minter, &f.treasurer.pubkey(), ONE)
        .await
        .unwrap();
    f.fund(&f.freezer.pubkey()).await;
    let files = Keys::new();
    let order_text = b"United States District Court ... ORDER ... case 26-CV-0042\n";
    let order = files.file("order-26-CV-0042.pdf", order_text);
    let order_hash = usd1_client::sha256(order_text);
    let m = s(&f.mint());
    let (holder, other_owner) = (s(&f.holder.pubkey()), s(&other.pubkey()));

    // A missing order file stops the command before anything is sent.
    let before = f.snapshot().await;
    let err = fails(
        &f,
        &f.freezer,
        &[
            "freeze",
            &holder,
            "--mint",
            &m,
            "--order",
            "/nonexistent/order.pdf",
        ],
    )
    .await;
    assert!(
        err.contains("cannot read the order /nonexistent/order.pdf"),
        "{err}"
    );
    assert_eq!(f.snapshot().await, before);

    let out = ok(
        &f,
        &f.freezer,
        &[
            "freeze", &holder, "--mint", &m, "--reason", "12", "--order", &order,
        ],
    )
    .await;
    let holder_account = f.usd1.token_account_of(&f.holder.pubkey());
    assert_eq!(
        out.text.lines().next().unwrap(),
        format!(
            "Froze token account {holder_account} (reason 12, order sha256 {})",
            usd1_client::hex(&order_hash)
        )
    );
    ok(&f, &f.freezer, &["freeze", &other_owner, "--mint", &m]).await;
    ok(
        &f,
        &f.admin,
        &[
            "seize",
            "30",
            "--from",
            &holder,
            "--to",
            &s(&f.treasurer.pubkey()),
            "--reason",
            "7",
            "--order",
            &order,
            "--mint",
            &m,
        ],
    )
    .await;
    ok(
        &f,
        &f.freezer,
        &["thaw", &other_owner, "--mint", &m, "--reason", "2"],
    )
    .await;

    // The events say it, decoded from the chain's history.
    let history = f.ledger.history(&f.config_address()).await.unwrap();
    let events: Vec<Usd1Event> = history.iter().flat_map(|tx| tx.events.clone()).collect();
    let frozen: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Usd1Event::Frozen(e) => Some((e.token_account, e.reason_code, e.order_sha256)),
            _ => None,
        })
        .collect();
    let other_account = f.usd1.token_account_of(&other.pubkey());
    assert_eq!(
        frozen,
        [
            (holder_account, 12, order_hash),
            (other_account, 0, [0; 32])
        ]
    );
    let seized = events.iter().find_map(|e| match e {
        Usd1Event::Seized(e) => Some(e.clone()),
        _ => None,
    });
    let seized = seized.expect("a Seized event");
    assert_eq!(
        (seized.reason_code, seized.order_sha256, seized.refrozen),
        (7, order_hash, true)
    );
    let thawed = events.iter().find_map(|e| match e {
        Usd1Event::Thawed(e) => Some((e.token_account, e.reason_code, e.order_sha256)),
        _ => None,
    });
    assert_eq!(thawed, Some((other_account, 2, [0; 32])));

    // The audit: one account still frozen, holding 70; two freezes, one
    // citing the order; one thaw; one seizure, citing it.
    let out = ok(&f, &f.admin, &["audit", "--mint", &m]).await;
    assert!(!out.failed, "{}", out.text);
    let c = &out.json["compliance"];
    assert_eq!(
        c["frozen_accounts"],
        serde_json::json!([holder_account.to_string()])
    );
    assert_eq!(c["frozen_amount"], "70");
    assert_eq!(
        [
            &c["freezes"],
            &c["freezes_citing_order"],
            &c["thaws"],
            &c["seizures"],
            &c["seizures_citing_order"]
        ],
        [2, 1, 1, 1, 1]
    );
    assert!(
        out.text.contains("Frozen: 1 account(s) holding $70.00; 2 freeze(s) (1 citing an order), 1 thaw(s), 1 seizure(s) (1 citing an order)"),
        "{}",
        out.text
    );

    // The transparency page publishes the counts, not the accounts.
    let out_dir = files.path().join("page");
    let out_dir = out_dir.to_string_lossy().into_owned();
    ok(
        &f,
        &f.admin,
        &["transparency", "--mint", &m, "--out", &out_dir],
    )
    .await;
    let figures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{out_dir}/transparency.json")).unwrap())
            .unwrap();
    assert_eq!(
        figures["compliance"],
        serde_json::json!({
            "frozen_accounts": 1, "frozen_amount": "70", "freezes": 2, "freezes_citing_order": 1,
            "thaws": 1, "seizures": 1, "seizures_citing_order": 1,
        })
    );
    let html = std::fs::read_to_string(format!("{out_dir}/index.html")).unwrap();
    assert!(html.contains("Frozen through the program: 1 token account(s) holding $70.00. 2 freeze(s), 1 citing a lawful order by its hash; 1 thaw(s); 1 seizure(s), 1 citing an order."), "{html}");
    assert!(
        !html.contains(&holder_account.to_string()),
        "no account is named"
    );
}
