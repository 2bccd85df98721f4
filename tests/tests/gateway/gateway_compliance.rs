//! The gateway's compliance layer end to end over the localnet (issue 25):
//! a payer on the sanctions list pays an invoice; the payment is held
//! (`payment.held`, no `invoice.paid`) and opens a case; released through
//! `/v1/cases`, the invoice is paid. A second payment opens a new case; a
//! freeze is proposed by one operator, refused to the same operator (by
//! name and by API key) and approved by another; the freezer runs `usd1
//! freeze --order` on the order file the gateway wrote, and the watcher
//! closes the case with the freeze's signature when the chain shows it.
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_gateway::store::keys::Scope;
use usd1_tests::cli_harness::{usd1, Keys};
use usd1_tests::gateway_harness::{self, funded_platform, Api, Receiver};
use usd1_tests::localnet::localnet;
use usd1_tests::{Platform, ONE};

async fn pay(f: &Platform, url: &str) {
    usd1_tests::cli_harness::pay_request(f, url, None).await
}

async fn pay_some(f: &Platform, url: &str, amount: Option<&str>) {
    usd1_tests::cli_harness::pay_request(f, url, amount).await
}

async fn invoice(api: &Api, amount: &str) -> Value {
    api.invoice(amount).await
}

async fn act(api: &Api, path: &str, body: Value) -> (u16, Value) {
    api.post(path, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_payer_is_held_released_and_then_frozen_through_the_program() {
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let holder = f.holder.pubkey().to_string();
    let files = Keys::new();
    let list = files.file(
        "issuer.csv",
        format!("address,reason,source,added_at\n{holder},court order 26-CV-0042,issuer compliance,2026-11-30\n")
            .as_bytes(),
    );
    let database = format!("sqlite:{}", files.path().join("gateway.db").display());
    let mut settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    settings.lists = vec![list.into()];
    let running = gateway_harness::start(&settings).await;
    gateway_harness::watching(&running).await;
    let alice = Api::as_operator(&running, "alice").await;
    let bob = Api::as_operator(&running, "bob").await;
    // A second key of alice's: the same person.
    let alice_again = Api::as_operator(&running, "alice").await;
    let invoices_only = Api::with_scopes(&running, &[Scope::InvoicesRead]).await;
    let receiver = Receiver::start(0).await;
    alice
        .subscribe(&receiver, &["invoice.paid", "payment.held"])
        .await;

    let first = invoice(&alice, "3").await;
    let first_id = first["id"].as_str().unwrap().to_string();
    pay(&f, first["url"].as_str().unwrap()).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].body["type"], "payment.held", "{:?}", got[0].body);
    assert_eq!(got[0].body["data"]["invoice"]["id"], first_id.as_str());
    assert_eq!(got[0].body["data"]["payment"]["sender"], holder.as_str());
    let case_id = got[0].body["data"]["case_id"].as_str().unwrap().to_string();
    usd1_tests::openapi_judges::assert_events_conform("gateway", &[got[0].body.clone()]);
    let (_, shown) = alice.get(&format!("/v1/invoices/{first_id}")).await;
    assert_eq!(
        (shown["status"].as_str(), shown["received"].as_str()),
        (Some("open"), Some("0"))
    );

    // Scopes: cases are not an invoice key's business.
    let (status, refused) = invoices_only.get("/v1/cases").await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (403, Some("missing_scope"))
    );
    let (status, cases) = alice.get("/v1/cases?status=open").await;
    assert_eq!(status, 200, "{cases}");
    let cases = cases["data"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0]["subject"], holder.as_str());
    assert_eq!(
        cases[0]["hits"][0]["hit"]["entry"]["reason"],
        "court order 26-CV-0042"
    );

    let path = format!("/v1/cases/{case_id}");
    let (status, _) = act(
        &alice,
        &format!("{path}/assign"),
        json!({"operator": "alice", "assignee": "alice", "why": "mine"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, proposed) = act(
        &alice,
        &format!("{path}/decisions"),
        json!({"operator": "alice", "decision": "release", "why": "a namesake: the list's identity differs"}),
    )
    .await;
    assert_eq!(status, 200, "{proposed}");
    assert_eq!(proposed["approval_needed"], true, "{proposed}");
    // Issue 33, item 8: the same person cannot approve her own release,
    // with her other key, nor by naming someone else.
    for (api, body) in [
        (&alice_again, json!({"why": "me"})),
        (&alice, json!({"operator": "bob", "why": "me"})),
    ] {
        let (status, refused) = act(api, &format!("{path}/approve"), body).await;
        assert!(
            matches!(
                (status, refused["error"]["code"].as_str()),
                (403, Some("four_eyes" | "operator_mismatch"))
            ),
            "{refused}"
        );
    }
    let (status, released) = act(&bob, &format!("{path}/approve"), json!({"why": "agreed"})).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["released_payments"], 1);
    assert_eq!(released["case"]["status"], "released");
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].body["type"], "invoice.paid");
    assert_eq!(got[1].body["data"]["invoice"]["id"], first_id.as_str());
    let (status, closed) = act(
        &bob,
        &format!("{path}/decisions"),
        json!({"operator": "bob", "decision": "escalate"}),
    )
    .await;
    assert_eq!(
        (status, closed["error"]["code"].as_str()),
        (409, Some("case_closed"))
    );

    // Again: a new case, and this time a freeze.
    let second = invoice(&alice, "2").await;
    pay(&f, second["url"].as_str().unwrap()).await;
    let got = receiver.wait_for(3).await;
    assert_eq!(got[2].body["type"], "payment.held");
    let case_id = got[2].body["data"]["case_id"].as_str().unwrap().to_string();
    let path = format!("/v1/cases/{case_id}");
    let (status, body) = act(
        &alice,
        &format!("{path}/decisions"),
        json!({"operator": "alice", "decision": "freeze", "why": "order 26-CV-0042"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_decision"))
    );
    let (status, body) = act(&alice, &format!("{path}/decisions"), json!({"operator": "alice", "decision": "freeze", "reason_code": 7, "why": "order 26-CV-0042"})).await;
    assert_eq!(status, 200, "{body}");
    // The proposer under her own key or another of hers: four eyes; a
    // key naming another person than its own: refused, never recorded.
    for (api, body, code) in [
        (&alice, json!({"why": "me"}), "four_eyes"),
        (&alice_again, json!({"why": "me"}), "four_eyes"),
        (
            &alice,
            json!({"operator": "carol", "why": "me"}),
            "operator_mismatch",
        ),
        (
            &bob,
            json!({"operator": "alice", "why": "me"}),
            "operator_mismatch",
        ),
    ] {
        let (status, refused) = act(api, &format!("{path}/approve"), body).await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (403, Some(code)),
            "{refused}"
        );
    }
    let (status, approved) = act(
        &bob,
        &format!("{path}/approve"),
        json!({"operator": "bob", "why": "the order is genuine"}),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    let plan = &approved["freeze"];
    let token_account = usd1_client::pda::associated_token_account(
        &f.holder.pubkey(),
        &f.usd1.mint(),
        &running.treasury.token_program,
    );
    assert_eq!(plan["token_account"], token_account.to_string());
    assert_eq!(plan["freezer"], f.freezer.pubkey().to_string());
    assert_eq!(plan["reason_code"], 7);
    let (status, order) = alice.get(plan["order_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let order_text = serde_json::to_string_pretty(&order).unwrap() + "\n";
    assert_eq!(
        usd1_client::hex(&usd1_client::sha256(order_text.as_bytes())),
        plan["order_sha256"].as_str().unwrap(),
        "the order file served is the one hashed"
    );
    let order_file = files.file("order.json", order_text.as_bytes());
    // The order carries what the chain held of the subject when approved.
    let on_chain = &order["balances"]["on_chain"];
    assert_eq!(on_chain["token_account"], token_account.to_string());
    assert_eq!(
        on_chain["balance_units"],
        f.usd1
            .balance(&f.holder.pubkey())
            .await
            .unwrap()
            .to_string()
    );
    assert_eq!(on_chain["frozen"], false);
    assert_eq!(order["balances"]["held_units"], "2000000");

    // The freezer signs it with the CLI; the watcher sees it land.
    f.fund(&f.freezer.pubkey()).await;
    let mint = f.usd1.mint().to_string();
    usd1(
        &f,
        &f.freezer,
        &[
            "freeze",
            &holder,
            "--mint",
            &mint,
            "--reason",
            "7",
            "--order",
            &order_file,
        ],
    )
    .await
    .expect("usd1 freeze");
    let mut shown = Value::Null;
    for _ in 0..300 {
        shown = alice.get(&path).await.1;
        if shown["status"] == "frozen" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(shown["status"], "frozen", "{shown}");
    assert!(shown["freeze"]["signature"].as_str().is_some(), "{shown}");
    let actions: Vec<&str> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "opened",
            "payment held",
            "freeze proposed",
            "freeze approved",
            "frozen"
        ]
    );
    let (_, verified) = alice.get("/v1/cases/verify").await;
    assert_eq!(verified["intact"], true, "{verified}");
    assert_eq!(verified["entries"], 5 + 5);
    let (_, unpaid) = alice
        .get(&format!("/v1/invoices/{}", second["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        unpaid["status"], "open",
        "a frozen case's payment stays held"
    );
}

async fn until(api: &Api, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    api.until(path, done).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_list_version_rescreens_holders_and_open_invoices_payers() {
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let (holder, other) = (f.holder.pubkey(), Keypair::new().pubkey());
    // `other` holds USD1 and never pays anything.
    f.usd1.mint_to(&f.minter, &other, 5 * ONE).await.unwrap();
    let files = Keys::new();
    let header = "address,reason,source,added_at";
    let old = format!(
        "{},old entry,issuer compliance,2026-11-01",
        Pubkey::new_unique()
    );
    let list = files.file("issuer.csv", format!("{header}\n{old}\n").as_bytes());
    let database = format!("sqlite:{}", files.path().join("gateway.db").display());
    let mut settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    settings.lists = vec![list.clone().into()];
    let running = gateway_harness::start(&settings).await;
    gateway_harness::watching(&running).await;
    let api = Api::with_all_scopes(&running).await;

    // The holder pays part of an invoice while nobody lists it.
    let open = invoice(&api, "10").await;
    let path = format!("/v1/invoices/{}", open["id"].as_str().unwrap());
    pay_some(&f, open["url"].as_str().unwrap(), Some("4")).await;
    until(&api, &path, |i| i["status"] == "underpaid").await;
    let (_, none) = api.get("/v1/cases").await;
    assert_eq!(none["data"], json!([]));

    // A new version lists the payer of the unsettled invoice and the holder.
    std::fs::write(
        &list,
        format!(
            "{header}\n{old}\n{holder},fraud report 2026-131,issuer compliance,2026-12-01\n\
             {other},court order 26-CV-0077,issuer compliance,2026-12-01\n"
        ),
    )
    .unwrap();
    let cases = until(&api, "/v1/cases", |c| {
        c["data"].as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
    let mut subjects: Vec<(String, String)> = cases["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["subject"].as_str().unwrap().to_string(),
                c["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    subjects.sort();
    let mut expected = [holder.to_string(), other.to_string()];
    expected.sort();
    assert_eq!(
        subjects.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
        expected
    );
    for (_, reason) in &subjects {
        assert!(
            reason.starts_with("listed by a new version (issuer.csv: 2026-11-01 (sha256 ")
                && reason.contains(") → 2026-12-01 (sha256 "),
            "{reason}"
        );
    }
    // From now on the new version screens payments: the rest is held.
    pay_some(&f, open["url"].as_str().unwrap(), Some("6")).await;
    let held = until(&api, "/v1/cases?status=open", |c| {
        c["data"].as_array().is_some_and(|cases| {
            cases
                .iter()
                .any(|case| case["subject"] == holder.to_string())
        })
    })
    .await;
    let case_id = held["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == holder.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let case = until(&api, &format!("/v1/cases/{case_id}"), |c| {
        c["history"]
            .as_array()
            .is_some_and(|h| h.iter().any(|e| e["action"] == "payment held"))
    })
    .await;
    assert_eq!(case["history"][0]["operator"], "screening");
    let (_, still) = api.get(&path).await;
    assert_eq!(
        (still["status"].as_str(), still["received"].as_str()),
        (Some("underpaid"), Some("4"))
    );
}

/// `usd1-gateway case …` from the command line, on the running gateway's
/// database: a freeze proposed, refused to its proposer, approved by
/// another operator against the chain (the freezer and the subject's token
/// account read from it, the order file written); a report carrying the
/// subject's balance on-chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_command_line_approves_a_freeze_against_the_chain() {
    use usd1_tests::tour::{binary, build_binaries};
    build_binaries().expect("binaries");
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let subject = Keypair::new().pubkey();
    f.usd1.mint_to(&f.minter, &subject, 5 * ONE).await.unwrap();
    let files = Keys::new();
    let database = format!("sqlite:{}", files.path().join("gateway.db").display());
    let settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    let running = gateway_harness::start(&settings).await;
    let case_key = gateway_harness::case_key_for(&database);
    let mut keys = std::collections::HashMap::new();
    for operator in ["alice", "bob", "carol"] {
        let (_, secret) = running
            .store
            .create_key("cli", operator, &[Scope::CasesRead, Scope::CasesWrite])
            .await
            .unwrap();
        keys.insert(operator, secret);
    }
    // `usd1-gateway` as `operator` (the secret of one of their keys).
    let gateway_as = |operator: &str, args: &[&str]| {
        let out = std::process::Command::new(binary("usd1-gateway").expect("binary"))
            .args(["--database", &database, "--case-key"])
            .arg(&case_key)
            .args(args)
            .env(
                "USD1_GATEWAY_OPERATOR_KEY",
                keys.get(operator).map_or("", String::as_str),
            )
            .output()
            .expect("usd1-gateway");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (mint, subject_text) = (f.usd1.mint().to_string(), subject.to_string());
    let (ok, id, err) = gateway_as(
        "alice",
        &[
            "case",
            "open",
            &subject_text,
            "--reason",
            "order 26-CV-0099",
        ],
    );
    assert!(ok, "{err}");
    let id = id.trim().to_string();
    let (ok, _, err) = gateway_as(
        "alice",
        &["case", "decide", &id, "freeze", "--reason-code", "9"],
    );
    assert!(ok, "{err}");
    let order = files.path().join("order.json");
    let order_path = order.to_string_lossy().into_owned();
    let approve = |operator: &str| {
        gateway_as(
            operator,
            &[
                "case",
                "approve",
                &id,
                "-u",
                &localnet.url,
                "--mint",
                &mint,
                "--out",
                &order_path,
            ],
        )
    };
    let (ok, _, err) = approve("alice");
    assert!(!ok);
    assert!(
        err.contains("four eyes: alice proposed this freeze"),
        "{err}"
    );
    assert!(!order.exists(), "nothing written");
    let (ok, plan, err) = approve("bob");
    assert!(ok, "{err}");
    let plan: Value = serde_json::from_str(&plan).expect("the freeze as JSON");
    let written = std::fs::read(&order).unwrap();
    assert_eq!(
        plan["order_sha256"],
        usd1_client::hex(&usd1_client::sha256(&written))
    );
    assert_eq!(plan["freezer"], f.freezer.pubkey().to_string());
    assert_eq!(
        plan["token_account"],
        f.usd1.token_account_of(&subject).to_string()
    );
    assert_eq!(plan["reason_code"], 9);
    let body: Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(
        body["balances"]["on_chain"]["balance_units"],
        (5 * ONE).to_string()
    );
    assert!(
        err.contains(&format!(
            "usd1 freeze {subject_text} --mint {mint} --reason 9"
        )),
        "{err}"
    );

    // A report of another case carries the balance the chain holds.
    let (_, other, _) = gateway_as(
        "carol",
        &["case", "open", &subject_text, "--reason", "a second look"],
    );
    let other = other.trim().to_string();
    let report = files.path().join("report.json");
    let (ok, said, err) = gateway_as(
        "carol",
        &[
            "case",
            "decide",
            &other,
            "report",
            "-u",
            &localnet.url,
            "--mint",
            &mint,
            "--out",
            &report.to_string_lossy(),
            "--why",
            "SAR",
        ],
    );
    assert!(ok, "{err}");
    assert!(said.contains("reported: case file sha256 "), "{said}");
    let body: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(body["kind"], "report");
    assert_eq!(body["balances"]["on_chain"]["frozen"], false);
    let (ok, said, _) = gateway_as("carol", &["case", "verify"]);
    assert!(ok && said.starts_with("intact: "), "{said}");
    assert!(said.contains("; sealed, anchored at entry "), "{said}");
}
