//! The desk's OpenAPI contract (issue 37), judged as the gateway's is: the
//! served document is the committed `docs/openapi/desk.json`, every
//! operation in it is served with the scopes it names, `@redocly/cli lint`
//! finds no error, and `schemathesis` against a live desk with a real key
//! finds no 5xx, no answer that breaks the contract and no accepted request
//! the contract forbids.

use usd1_desk::scopes::Scope;
use usd1_service::api::RateLimit;
use usd1_tests::desk_harness::Desk;
use usd1_tests::fixture::ONE;
use usd1_tests::openapi_judges as judges;

/// A desk's API on 127.0.0.1 over a fresh SQLite database, with an
/// approved customer to find; its keyless rate wide open, since
/// schemathesis sends hundreds of keyless requests a second.
async fn live() -> (Desk, String, tokio::task::JoinHandle<()>) {
    let desk = Desk::new(1_000 * ONE).await;
    desk.approved_customer("Acme Ltd").await;
    let limit = RateLimit {
        unknown_per_second: 10_000.0,
        unknown_burst: 10_000.0,
        ..RateLimit::default()
    };
    let (base, server) = desk.serve_api(limit).await;
    (desk, base, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desks_served_contract_is_the_committed_one_and_every_operation_is_served() {
    let (desk, base, _server) = live().await;
    let served = reqwest::get(format!("{base}/openapi.json")).await.unwrap();
    assert_eq!(served.status(), 200);
    let doc = judges::assert_committed(&served.text().await.unwrap(), "desk");
    let mut kinds = usd1_desk::scopes::EVENT_KINDS.map(String::from).to_vec();
    kinds.sort();
    assert_eq!(judges::described_events(&doc), kinds);

    let key_with = |scopes: Vec<String>| {
        let store = &desk.store;
        async move {
            let named: Vec<Scope> = scopes.iter().map(|s| s.parse().unwrap()).collect();
            store.create_key("op", "ops", &named).await.unwrap().1
        }
    };
    let served = judges::every_operation_is_served(&doc, &base, key_with).await;
    assert_eq!(served, 20, "the contract's operations");
}

#[test]
fn redocly_lints_the_desks_contract_without_an_error() {
    judges::redocly_lint("desk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_against_a_live_desk() {
    let (desk, base, _server) = live().await;
    let (_, key) = desk
        .store
        .create_key("fuzz", "ops@schemathesis", &Scope::ALL)
        .await
        .unwrap();
    let said = judges::schemathesis("desk", &base, &key).await;
    assert!(said.contains("20 selected"), "{said}");
}
