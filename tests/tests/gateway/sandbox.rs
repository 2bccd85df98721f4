//! The sandbox (issue 37): `usd1-gateway listen --forward-to URL`, the real
//! binary, subscribes a temporary webhook, forwards a real delivery (an
//! invoice paid on the localnet) to the developer's receiver with its
//! signatures intact, prints its type, id and the receiver's status, and
//! deletes the subscription when stopped.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use usd1_client::solana_pay::TransferRequest;
use usd1_tests::cli_harness::usd1;
use usd1_tests::gateway_harness::{self, funded_platform as platform, Api, Receiver};
use usd1_tests::localnet::localnet;
use usd1_tests::tour;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_forwards_real_deliveries_with_their_signatures_and_cleans_up() {
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    let (_dir, database) = gateway_harness::sqlite();
    let running = gateway_harness::start_for(&database, &localnet, &f, wallet).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    let mut child = Command::new(tour::binary("usd1-gateway").unwrap())
        .args(["listen", "--api", &api.base, "--forward-to", &receiver.url])
        .env("USD1_GATEWAY_API_KEY", &api.key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let ready = stderr.next().expect("listen starts").unwrap();
    assert!(
        ready.starts_with("Ready! Forwarding invoice.paid"),
        "{ready}"
    );
    let secret = ready
        .split_whitespace()
        .find(|w| w.starts_with("whsec_"))
        .expect("the signing secret")
        .to_string();
    *receiver.secret.lock().unwrap() = secret;

    // A real payment of a real invoice: its real event, forwarded.
    let invoice = api.invoice("5").await;
    let request = TransferRequest::parse(invoice["url"].as_str().unwrap(), 6).unwrap();
    let (mint, to) = (f.usd1.mint().to_string(), request.recipient.to_string());
    let reference = request.references[0].to_string();
    let args = [
        "transfer",
        "5",
        &to,
        "--mint",
        &mint,
        "--reference",
        &reference,
    ];
    usd1(&f, &f.holder, &args).await.unwrap();
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].body["type"], "invoice.paid");
    assert!(got[0].verified, "the Usd1-Signature came through unchanged");
    assert_eq!(got[0].standard[0], got[0].event_id);
    assert!(
        got[0].standard[2].starts_with("v1,"),
        "{:?}",
        got[0].standard
    );
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = stdout.next().expect("a line per delivery").unwrap();
    assert_eq!(line, format!("invoice.paid {} -> 200", got[0].event_id));

    // Stopped: the temporary subscription is gone.
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let stopped = stderr.next().expect("a last line").unwrap();
    assert!(
        stopped.starts_with("Stopped: the temporary webhook"),
        "{stopped}"
    );
    assert!(stopped.ends_with("deleted (200)"), "{stopped}");
    let id = stopped.split_whitespace().nth(4).unwrap();
    let gone = reqwest::Client::new()
        .delete(format!("{}/v1/webhooks/{id}", api.base))
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 404, "deleted already");
}

/// `usd1-gateway trigger EVENT`, the real binary: each event the sandbox can
/// make happen happens on the localnet (an invoice paid, under- and
/// overpaid, expired, paid after it closed; money with no reference; a
/// redemption requested, settled, rejected) and its real event reaches a
/// subscription through the outbox. An event no command can make happen at
/// will is refused by name, saying why; an unknown one too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_makes_each_event_really_happen() {
    use solana_sdk::signature::{Keypair, Signer};
    let localnet = localnet().await;
    let (f, _) = platform(&localnet).await;
    let treasury = Keypair::new();
    localnet
        .chain
        .airdrop(&treasury.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    if f.usd1.disclosure().await.is_err() {
        f.usd1
            .set_disclosure(&*f.admin, usd1_tests::fixture::default_disclosure())
            .await
            .unwrap();
    }
    let (_dir, database) = gateway_harness::sqlite();
    let running = gateway_harness::start_for(&database, &localnet, &f, treasury.pubkey()).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    let every = usd1_gateway::store::webhooks::EVENT_KINDS;
    api.subscribe(&receiver, &every).await;
    let keys = tempfile::tempdir().unwrap();
    let file = |name: &str, key: &Keypair| {
        let path = keys.path().join(format!("{name}.json"));
        tour::write_keypair(&path, key).unwrap();
        path.display().to_string()
    };
    let (wallet, treasury_file, treasurer) = (
        file("wallet", &f.holder),
        file("treasury", &treasury),
        file("treasurer", &f.treasurer),
    );
    // Enough for three redemptions of the disclosed minimum.
    let (mint, to) = (f.usd1.mint().to_string(), treasury.pubkey().to_string());
    usd1(&f, &f.holder, &["transfer", "30", &to, "--mint", &mint])
        .await
        .unwrap();
    let trigger = |event: &str| {
        Command::new(tour::binary("usd1-gateway").unwrap())
            .args(["trigger", event, "--api", &api.base, "--url", &localnet.url])
            .args(["--wallet", &wallet, "--treasury-keypair", &treasury_file])
            .args(["--treasurer", &treasurer])
            .env("USD1_GATEWAY_API_KEY", &api.key)
            .output()
            .unwrap()
    };
    for (event, arrives) in [
        ("invoice.paid", "invoice.paid"),
        ("invoice.underpaid", "invoice.underpaid"),
        ("invoice.overpaid", "invoice.overpaid"),
        ("payment.unmatched", "payment.unmatched"),
        ("invoice.expired", "invoice.expired"),
        ("invoice.paid_after_close", "invoice.paid_after_close"),
        ("redemption.requested", "redemption.requested"),
        ("redemption.settled", "redemption.settled"),
        ("redemption.rejected", "redemption.rejected"),
    ] {
        let out = trigger(event);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.starts_with(&format!("Triggered {event}: ")),
            "{event}: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = receiver.wait_for_kind(arrives).await;
        assert!(got.verified, "{event}");
    }
    // What arrived is what the contract says a receiver gets.
    let bodies: Vec<_> = receiver.unique().into_iter().map(|r| r.body).collect();
    assert!(bodies.len() >= 9, "{}", bodies.len());
    usd1_tests::openapi_judges::assert_events_conform("gateway", &bodies);
    for (event, why) in [
        ("payment.reversed", "a fork that then does not last"),
        ("payment.held", "sanctions lists"),
        ("attestation.published", "usd1-oracle"),
        ("invoice.nonsense", "is not an event of the gateway's"),
    ] {
        let out = trigger(event);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && said.contains(why),
            "{event}: {said}"
        );
    }
}
