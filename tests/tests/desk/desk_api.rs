//! The desk's HTTP API with the gateway's conventions: scopes, named error
//! codes, strict bodies, `Idempotency-Key` on creates, four eyes by the
//! people keys belong to, statements uploaded once, and webhooks that leave
//! through the outbox signed.
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use usd1_desk::scopes::Scope;
use usd1_tests::both_databases;
use usd1_tests::desk_harness::{Desk, ISSUER_ACCOUNT};
use usd1_tests::fixture::ONE;
use usd1_tests::gateway_harness::Receiver;

struct Api {
    base: String,
    client: reqwest::Client,
    _server: tokio::task::JoinHandle<()>,
}

impl Api {
    async fn call(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        idem: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(idem) = idem {
            request = request.header("Idempotency-Key", idem);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

async fn api(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, 100 * ONE).await;
    let (_, alice_key) = desk
        .store
        .create_key("a", "alice", &Scope::ALL)
        .await
        .unwrap();
    let (_, bob_key) = desk
        .store
        .create_key("b", "bob", &Scope::ALL)
        .await
        .unwrap();
    let (_, reader) = desk
        .store
        .create_key("r", "rita", &[Scope::CustomersRead])
        .await
        .unwrap();
    let (base, server) = desk.serve_api(Default::default()).await;
    let api = Api {
        base,
        client: reqwest::Client::new(),
        _server: server,
    };
    let deliverer = tokio::spawn(
        usd1_service::delivery::Deliverer::new(
            desk.store.kit().clone(),
            Default::default(),
            Duration::from_millis(20),
            true,
            "test",
        )
        .run(),
    );

    // A customer, once per Idempotency-Key.
    let (status, created) = api
        .call(
            &alice_key,
            "POST",
            "/v1/customers",
            Some(json!({"name": "Acme"})),
            Some("c-1"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["customer"]["id"].as_str().unwrap().to_string();
    let reference = created["deposit_instructions"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        created["deposit_instructions"]["account_number"],
        ISSUER_ACCOUNT
    );
    let (again, replayed) = api
        .call(
            &alice_key,
            "POST",
            "/v1/customers",
            Some(json!({"name": "Acme"})),
            Some("c-1"),
        )
        .await;
    assert_eq!((again, &replayed), (StatusCode::CREATED, &created));
    let (conflict, body) = api
        .call(
            &alice_key,
            "POST",
            "/v1/customers",
            Some(json!({"name": "Other"})),
            Some("c-1"),
        )
        .await;
    assert_eq!(
        (conflict, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_conflict"))
    );
    assert_eq!(desk.store.customers().await.unwrap().len(), 1);
    // Refusals by name.
    let (s, b) = api
        .call(
            &reader,
            "POST",
            "/v1/customers",
            Some(json!({"name": "X"})),
            None,
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("missing_scope"))
    );
    let (s, b) = api
        .call(
            &alice_key,
            "POST",
            "/v1/customers",
            Some(json!({"name": "X", "vip": true})),
            None,
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unknown_field"))
    );
    let (s, b) = api
        .call("usd1_sk_nope", "GET", "/v1/customers", None, None)
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );

    // KYB, a wallet, a bank account.
    let kyb = format!("/v1/customers/{id}/kyb");
    let (s, b) = api
        .call(
            &alice_key,
            "POST",
            &kyb,
            Some(json!({"status": "approved", "why": "file 7"})),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = api
        .call(
            &alice_key,
            "POST",
            &kyb,
            Some(json!({"status": "approved", "why": "again"})),
            None,
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("kyb_transition"))
    );
    let wallet = solana_sdk::pubkey::Pubkey::new_unique();
    let (s, b) = api
        .call(
            &alice_key,
            "POST",
            &format!("/v1/customers/{id}/wallets"),
            Some(json!({"address": wallet.to_string()})),
            Some("w-1"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let accounts = format!("/v1/customers/{id}/bank_accounts");
    let account = json!({"holder": "Acme", "number": "12345678", "routing": "021000022", "town": "New York", "country": "US"});
    let (s, b) = api
        .call(&alice_key, "POST", &accounts, Some(account.clone()), None)
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_bank_account"))
    );
    let mut good = account;
    good["routing"] = json!("021000021");
    let (s, _) = api
        .call(&alice_key, "POST", &accounts, Some(good), None)
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = api
        .call(
            &reader,
            "GET",
            &format!("/v1/customers/{id}/deposit_instructions"),
            None,
            None,
        )
        .await;
    assert_eq!(
        (s, b["reference"].as_str()),
        (StatusCode::OK, Some(reference.as_str()))
    );

    // A webhook for the deposit's events.
    let receiver = Receiver::start(0).await;
    let (s, hook) = api
        .call(
            &alice_key,
            "POST",
            "/v1/webhooks",
            Some(json!({"url": receiver.url, "events": ["deposit.received", "deposit.minted"]})),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    *receiver.secret.lock().unwrap() = hook["secret"].as_str().unwrap().to_string();

    // The statement uploaded (twice: once taken); a large deposit approved by two people.
    desk.wire("250.00", &reference);
    let path = desk.bank.write_statement(ISSUER_ACCOUNT).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for expected in [StatusCode::CREATED, StatusCode::OK] {
        let response = api
            .client
            .post(format!("{}/v1/statements?name=statement.xml", api.base))
            .bearer_auth(&alice_key)
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
    }
    let (s, b) = api
        .client
        .post(format!("{}/v1/statements", api.base))
        .bearer_auth(&alice_key)
        .body("not a bank file")
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        b.json::<Value>().await.unwrap()["error"]["code"],
        "bad_bank_file"
    );
    let (_, waiting) = api
        .call(
            &alice_key,
            "GET",
            "/v1/deposits?state=awaiting_approval",
            None,
            None,
        )
        .await;
    let deposit = waiting["data"][0]["id"].as_str().unwrap().to_string();
    let approve = format!("/v1/deposits/{deposit}/approve");
    let (s, _) = api.call(&alice_key, "POST", &approve, None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = api.call(&alice_key, "POST", &approve, None, None).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("four_eyes"))
    );
    let (s, _) = api.call(&bob_key, "POST", &approve, None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(desk.pass().await.minted.len(), 1);
    let (s, b) = api
        .call(&alice_key, "GET", "/v1/deposits?state=nonsense", None, None)
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_state"))
    );

    // Both events arrive, in order, signed.
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.accepted.lock().unwrap().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the deposit's webhooks did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let accepted = receiver.accepted.lock().unwrap().clone();
    let kinds: Vec<&str> = accepted
        .iter()
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["deposit.received", "deposit.minted"]);
    assert!(accepted.iter().all(|r| r.verified));
    assert_eq!(accepted[1].body["sequence"], 2);
    let bodies: Vec<Value> = accepted.iter().map(|r| r.body.clone()).collect();
    usd1_tests::openapi_judges::assert_events_conform("desk", &bodies);

    let (s, b) = api
        .call(&alice_key, "GET", "/v1/redemptions", None, None)
        .await;
    assert_eq!(
        (s, b["data"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    let (s, _) = api
        .call(&alice_key, "GET", "/v1/reconciliations", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    deliverer.abort();
}

both_databases!(the_desk_api_speaks_the_gateways_conventions, api);
