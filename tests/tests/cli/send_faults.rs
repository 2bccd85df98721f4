//! Money moves once behind real infrastructure (issue 32). Every command that
//! moves money runs as the real `usd1` (or `usd1-oracle`) process against a
//! `usd1-localnet` process through a proxy that, for the command's first
//! `sendTransaction`, meets one fault: `502` after the node executed it, no
//! answer after it, `429` with `Retry-After`, a connection dropped before it
//! was forwarded, or a node that lags (`BlockhashNotFound` in its preflight,
//! every blockhash invalid). Each time: the money moved exactly once, the
//! command exited 0 naming what it did and the one signature that did it,
//! and where a re-run means "the same again" (a settlement, a rejection, an
//! attestation, a payout file) the re-run changes nothing.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Keypair;
use usd1_client::rpc::RpcLedger;
use usd1_client::Usd1;
use usd1_tests::proxy::{Fault, Proxy};
use usd1_tests::tour::{self, Run, Stage};

const ONE: u64 = 1_000_000;

/// A stage (localnet process, keys, a permanent-delegate mint with roles,
/// an attestation, a disclosure and a funded holder), a proxy in front of
/// it, and a reader that goes straight to the node.
struct Faulty {
    stage: Stage,
    proxy: Proxy,
    reader: Usd1<RpcLedger>,
}

impl Faulty {
    async fn open(dir: &Path) -> Self {
        let stage = Stage::open_with(dir, &|_| {}, &["--permanent-delegate"])
            .await
            .unwrap();
        let (cast, mint) = (&stage.cast, stage.mint.as_str());
        for (role, key) in [("freezer", &cast.freezer), ("treasurer", &cast.treasurer)] {
            stage
                .usd1(
                    &cast.admin,
                    &["role", "set", role, &cast.pubkey(key), "--mint", mint],
                )
                .unwrap();
        }
        let terms = dir.join("terms.txt");
        std::fs::write(&terms, "terms").unwrap();
        stage
            .usd1(
                &cast.admin,
                &[
                    "disclosure",
                    "set",
                    "--legal-name",
                    "USD1 Issuer Ltd",
                    "--terms-uri",
                    "https://example.com/terms",
                    "--terms-file",
                    &terms.display().to_string(),
                    "--min-redemption",
                    "10",
                    "--redemption-fee-bps",
                    "0",
                    "--settlement-target",
                    "86400",
                    "--reserve-report-uri",
                    "https://example.com/reserves",
                    "--mint",
                    mint,
                ],
            )
            .unwrap();
        stage.fund_holder("1000000", "10000").unwrap();
        let proxy = Proxy::start(&stage.url).await.unwrap();
        let ledger = Arc::new(RpcLedger::new(
            stage.url.clone(),
            CommitmentConfig::confirmed(),
        ));
        let reader = Usd1::connect(ledger, Arc::new(Keypair::new()), mint.parse().unwrap())
            .await
            .unwrap();
        Self {
            stage,
            proxy,
            reader,
        }
    }

    fn key(&self, path: &Path) -> Pubkey {
        self.stage.cast.pubkey(path).parse().unwrap()
    }

    /// Runs `usd1 ARGS --output json` as `keypair` through the proxy, the
    /// command's first `sendTransaction` meeting `fault` (and, for a node
    /// that lags, every `isBlockhashValid`).
    async fn under(&self, fault: Fault, keypair: &Path, args: &[&str]) -> Run {
        let met = self.proxy.faulted("sendTransaction");
        self.proxy.fail("sendTransaction", fault, 1);
        if fault == Fault::Lagging {
            self.proxy.fail("isBlockhashValid", fault, u32::MAX);
        }
        let mut line = vec!["--rpc-timeout", "2", "--output", "json"];
        line.extend_from_slice(args);
        let run = self.usd1_via_proxy(keypair, &line).await;
        self.proxy.heal();
        assert_eq!(
            self.proxy.faulted("sendTransaction"),
            met + 1,
            "{}: the fault was met by usd1 {}",
            fault.name(),
            args.join(" ")
        );
        run
    }

    /// `usd1 ARGS` as `keypair` through the proxy, with no fault planned.
    async fn usd1_via_proxy(&self, keypair: &Path, args: &[&str]) -> Run {
        tokio::task::block_in_place(|| tour::usd1(&self.proxy.url, keypair, args).unwrap())
    }

    /// `under`, which must succeed: its JSON output, with one signature and
    /// exactly the event `event` (none for a plain token transfer).
    async fn sends(
        &self,
        fault: Fault,
        keypair: &Path,
        args: &[&str],
        event: Option<&str>,
    ) -> Value {
        let run = self.under(fault, keypair, args).await;
        assert!(
            run.success,
            "{}: usd1 {} failed: {}",
            fault.name(),
            args.join(" "),
            run.stderr
        );
        let out: Value = serde_json::from_str(&run.stdout).unwrap();
        assert!(
            out["signature"].as_str().is_some_and(|s| s.len() > 60),
            "{out}"
        );
        let events: Vec<&str> = out["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        match event {
            Some(event) => assert_eq!(events, [event], "{}: {out}", fault.name()),
            None => assert!(events.is_empty(), "{}: {out}", fault.name()),
        }
        out
    }

    async fn balance(&self, owner: &Pubkey) -> u64 {
        self.reader.balance(owner).await.unwrap()
    }

    async fn supply(&self) -> u64 {
        self.reader.mint_info().await.unwrap().supply
    }
}

/// Every single-transaction money command, under every fault: the money
/// moved once; settle, reject and attest run again are refused by name and
/// change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_money_command_moves_money_once_under_every_fault() {
    let dir = tempfile::tempdir().unwrap();
    let f = Faulty::open(dir.path()).await;
    let cast = &f.stage.cast;
    let mint = f.stage.mint.clone();
    let m = mint.as_str();
    let holder = f.key(&cast.holder);
    let minter = f.key(&cast.minter);
    let bob = Pubkey::new_unique();
    let alice = Pubkey::new_unique();
    let (bob_s, alice_s, holder_s) = (bob.to_string(), alice.to_string(), holder.to_string());
    // The minter's own tokens, for burns.
    f.stage
        .usd1(
            &cast.minter,
            &["mint", "100", "--to", &minter.to_string(), "--mint", m],
        )
        .unwrap();

    // Each attestation newer than the last, however fast the loop goes: the
    // first newer than the stage's own (its oracle attested moments ago).
    let mut attested_at = f.reader.config().await.unwrap().latest.as_of;
    for fault in Fault::all() {
        let name = fault.name();

        let (before_bob, before_holder) = (f.balance(&bob).await, f.balance(&holder).await);
        let out = f
            .sends(
                fault,
                &cast.holder,
                &["transfer", "5", &bob_s, "--mint", m],
                None,
            )
            .await
            .to_string();
        assert!(out.contains(&format!("Sent 5 to {bob_s}")), "{name}: {out}");
        assert_eq!(
            f.balance(&bob).await,
            before_bob + 5 * ONE,
            "{name}: transfer"
        );
        assert_eq!(f.balance(&holder).await, before_holder - 5 * ONE, "{name}");

        let supply = f.supply().await;
        f.sends(
            fault,
            &cast.minter,
            &["mint", "7", "--to", &alice_s, "--mint", m],
            Some("Minted"),
        )
        .await;
        assert_eq!(f.supply().await, supply + 7 * ONE, "{name}: mint");

        let supply = f.supply().await;
        f.sends(
            fault,
            &cast.minter,
            &["burn", "3", "--mint", m],
            Some("Burned"),
        )
        .await;
        assert_eq!(f.supply().await, supply - 3 * ONE, "{name}: burn");

        let (before_bob, before_holder) = (f.balance(&bob).await, f.balance(&holder).await);
        f.sends(
            fault,
            &cast.admin,
            &[
                "seize", "1", "--from", &bob_s, "--to", &holder_s, "--reason", "9", "--mint", m,
            ],
            Some("Seized"),
        )
        .await;
        assert_eq!(f.balance(&bob).await, before_bob - ONE, "{name}: seize");
        assert_eq!(f.balance(&holder).await, before_holder + ONE, "{name}");

        // A request, then its settlement; a second request, then its rejection.
        for (action, event) in [
            ("settle", "RedemptionSettled"),
            ("reject", "RedemptionRejected"),
        ] {
            let id = f.reader.config().await.unwrap().next_redemption_id;
            let before_holder = f.balance(&holder).await;
            f.sends(
                fault,
                &cast.holder,
                &[
                    "redeem",
                    "request",
                    "20",
                    "--payout-ref",
                    "wire 1",
                    "--mint",
                    m,
                ],
                Some("RedemptionRequested"),
            )
            .await;
            assert_eq!(f.balance(&holder).await, before_holder - 20 * ONE, "{name}");
            assert_eq!(
                f.reader.config().await.unwrap().next_redemption_id,
                id + 1,
                "{name}: one request"
            );
            let id = id.to_string();
            let decision: Vec<&str> = match action {
                "settle" => vec!["redeem", "settle", &id, "--reference", "FED-1", "--mint", m],
                _ => vec!["redeem", "reject", &id, "--reason", "7", "--mint", m],
            };
            let supply = f.supply().await;
            let holder_now = f.balance(&holder).await;
            f.sends(fault, &cast.treasurer, &decision, Some(event))
                .await;
            match action {
                "settle" => assert_eq!(f.supply().await, supply - 20 * ONE, "{name}: settle"),
                _ => assert_eq!(
                    f.balance(&holder).await,
                    holder_now + 20 * ONE,
                    "{name}: refund"
                ),
            }
            let (supply, holder_now) = (f.supply().await, f.balance(&holder).await);
            let again = f.usd1_via_proxy(&cast.treasurer, &decision).await;
            assert!(!again.success, "{name}: {action} twice");
            assert!(
                again.stderr.contains("RedemptionNotPending"),
                "{name}: {}",
                again.stderr
            );
            assert_eq!(
                (f.supply().await, f.balance(&holder).await),
                (supply, holder_now)
            );
        }

        // An attestation, signed here by two attestors; the same again is refused.
        let seq = f.reader.config().await.unwrap().latest.seq;
        let report = dir.path().join(format!("report-{seq}.json"));
        std::fs::write(&report, format!("{{\"seq\": {seq}}}")).unwrap();
        while tour::unix_now() <= attested_at {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        attested_at = tour::unix_now();
        let as_of = tour::rfc3339(attested_at);
        let report_s = report.display().to_string();
        let (a1, a2) = (
            cast.attestors[0].display().to_string(),
            cast.attestors[1].display().to_string(),
        );
        let attest = [
            "attest",
            "--mint",
            m,
            "--reserve",
            "1000000",
            "--as-of",
            &as_of,
            "--report",
            &report_s,
            "--signer",
            &a1,
            "--signer",
            &a2,
        ];
        f.sends(fault, &cast.admin, &attest, Some("ReserveAttested"))
            .await;
        assert_eq!(
            f.reader.config().await.unwrap().latest.seq,
            seq + 1,
            "{name}: attest"
        );
        let again = f.usd1_via_proxy(&cast.admin, &attest).await;
        assert!(!again.success, "{name}: the same attestation twice");
        assert!(
            again.stderr.contains("AttestationNotNewer"),
            "{name}: {}",
            again.stderr
        );
        assert_eq!(f.reader.config().await.unwrap().latest.seq, seq + 1);
    }
    drop(f.proxy);
    assert!(f.stage.localnet.stop().unwrap().success());
}

/// Writes a payout file of `rows` rows to new recipients; the file and them.
fn payout(dir: &Path, name: &str, rows: usize) -> (PathBuf, Vec<Pubkey>) {
    let recipients: Vec<Pubkey> = (0..rows).map(|_| Pubkey::new_unique()).collect();
    let text: String = recipients
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{r},{}.5\n", i + 1))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    (path, recipients)
}

/// `usd1 pay` under every fault: each row paid once and reported paid; the
/// same file again pays nothing; a copy of it under another name (a run
/// without its journal) is refused, naming how many rows are already paid
/// and the flags, and `--reconcile` on the copy pays nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_pays_each_row_once_under_every_fault_and_a_copy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = Faulty::open(dir.path()).await;
    let cast = &f.stage.cast;
    let m = f.stage.mint.clone();
    let expected = [1_500_000u64, 2_500_000, 3_500_000];
    for (n, fault) in Fault::all().into_iter().enumerate() {
        let name = fault.name();
        let (file, recipients) = payout(dir.path(), &format!("payroll-{n}.csv"), 3);
        let file_s = file.display().to_string();
        let run = f
            .under(fault, &cast.holder, &["pay", &file_s, "--mint", &m])
            .await;
        assert!(run.success, "{name}: {}", run.stderr);
        let summary: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(summary["paid"], 3, "{name}: {summary}");
        assert_eq!(
            summary["failed"],
            serde_json::json!([]),
            "{name}: {summary}"
        );
        for (recipient, amount) in recipients.iter().zip(expected) {
            assert_eq!(f.balance(recipient).await, amount, "{name}: paid once");
        }
        let again = f
            .usd1_via_proxy(
                &cast.holder,
                &["--output", "json", "pay", &file_s, "--mint", &m],
            )
            .await;
        assert!(again.success, "{name}: {}", again.stderr);
        let summary: Value = serde_json::from_str(&again.stdout).unwrap();
        assert_eq!(
            (summary["paid"].clone(), summary["already_paid"].clone()),
            (0.into(), 3.into())
        );
        for (recipient, amount) in recipients.iter().zip(expected) {
            assert_eq!(f.balance(recipient).await, amount, "{name}: not again");
        }
        // The same rows under another name, with no journal: refused.
        let copy = dir.path().join(format!("copy-of-payroll-{n}.csv"));
        std::fs::copy(&file, &copy).unwrap();
        let copy_s = copy.display().to_string();
        let refused = f
            .usd1_via_proxy(&cast.holder, &["pay", &copy_s, "--mint", &m])
            .await;
        assert!(!refused.success, "{name}: a copy paid");
        assert!(
            refused.stderr.contains("3 of the 3 rows of batch")
                && refused.stderr.contains("are already paid on-chain")
                && refused.stderr.contains("--reconcile")
                && refused.stderr.contains("--batch"),
            "{name}: {}",
            refused.stderr
        );
        let reconciled = f
            .usd1_via_proxy(
                &cast.holder,
                &[
                    "--output",
                    "json",
                    "pay",
                    &copy_s,
                    "--mint",
                    &m,
                    "--reconcile",
                ],
            )
            .await;
        assert!(reconciled.success, "{}", reconciled.stderr);
        let summary: Value = serde_json::from_str(&reconciled.stdout).unwrap();
        assert_eq!(
            (summary["paid"].clone(), summary["found_on_chain"].clone()),
            (0.into(), 3.into())
        );
        for (recipient, amount) in recipients.iter().zip(expected) {
            assert_eq!(
                f.balance(recipient).await,
                amount,
                "{name}: the copy paid nothing"
            );
        }
    }
    drop(f.proxy);
    assert!(f.stage.localnet.stop().unwrap().success());
}

/// The oracle's round (`usd1-oracle --once`, holding two attestor keys)
/// through the proxy, under every fault: one attestation each round, seq
/// one more each time, nothing left pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oracle_round_attests_once_under_every_fault() {
    let dir = tempfile::tempdir().unwrap();
    let f = Faulty::open(dir.path()).await;
    let cast = &f.stage.cast;
    let config = cast.dir.join("oracle.toml");
    for (n, fault) in Fault::all().into_iter().enumerate() {
        let seq = f.reader.config().await.unwrap().latest.seq;
        // The custodian's file, newer than the last attestation and with
        // another figure (an unchanged reserve is not attested again).
        let reserve = format!("{}", 1_000_001 + n);
        tour::oracle_files(
            cast,
            &f.proxy.url,
            &f.stage.mint,
            &reserve,
            tour::free_port().unwrap(),
        )
        .unwrap();
        let met = f.proxy.faulted("sendTransaction");
        f.proxy.fail("sendTransaction", fault, 1);
        if fault == Fault::Lagging {
            f.proxy.fail("isBlockhashValid", fault, u32::MAX);
        }
        let code = tokio::task::block_in_place(|| tour::oracle_once(&config).unwrap());
        f.proxy.heal();
        assert_eq!(code, 0, "{}", fault.name());
        assert_eq!(
            f.proxy.faulted("sendTransaction"),
            met + 1,
            "{}",
            fault.name()
        );
        assert_eq!(
            f.reader.config().await.unwrap().latest.seq,
            seq + 1,
            "{}: one attestation",
            fault.name()
        );
        assert!(
            !cast.dir.join("reports").join("pending.json").exists(),
            "{}: nothing left pending",
            fault.name()
        );
    }
    drop(f.proxy);
    assert!(f.stage.localnet.stop().unwrap().success());
}

/// Three co-signers and a keyless proposer, all reaching the chain through
/// the proxy: the proposer's send and a co-signer's read meet each fault.
/// One attestation a round; each co-signer signed one digest per seq, and
/// none raised an equivocation alarm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_co_signed_round_attests_once_and_nobody_equivocates_under_every_fault() {
    use usd1_tests::cosign_harness::{propose, proposer_via, write_custody, Operator};
    let dir = tempfile::tempdir().unwrap();
    let f = Faulty::open(dir.path()).await;
    let cast = &f.stage.cast;
    let operators: Vec<Operator> = cast
        .attestors
        .iter()
        .enumerate()
        .map(|(n, attestor)| Operator::new(dir.path(), n, &f.proxy.url, &f.stage.mint, attestor))
        .collect();
    let config = proposer_via(dir.path(), &f.stage, &operators, &f.proxy.url);
    let issuer = dir.path().join("custody-proposer.json");
    for (n, fault) in Fault::all().into_iter().enumerate() {
        let reserve = format!("{}", 1_000_100 + n);
        for operator in &operators {
            write_custody(&operator.custody, &reserve);
        }
        write_custody(&issuer, &reserve);
        let seq = f.reader.config().await.unwrap().latest.seq;
        let met = f.proxy.faulted("sendTransaction");
        f.proxy.fail("sendTransaction", fault, 1);
        f.proxy.fail("getAccountInfo", fault, 1);
        if fault == Fault::Lagging {
            f.proxy.fail("isBlockhashValid", fault, u32::MAX);
        }
        let (code, log) = tokio::task::block_in_place(|| propose(&config, &operators));
        f.proxy.heal();
        assert_eq!(code, 0, "{}: {log}", fault.name());
        assert_eq!(
            f.proxy.faulted("sendTransaction"),
            met + 1,
            "{}",
            fault.name()
        );
        assert_eq!(
            f.reader.config().await.unwrap().latest.seq,
            seq + 1,
            "{}: one attestation",
            fault.name()
        );
    }
    for n in 0..operators.len() {
        let journal =
            std::fs::read_to_string(dir.path().join(format!("journal-{n}.jsonl"))).unwrap();
        let mut digests = std::collections::HashMap::new();
        for line in journal.lines() {
            let entry: Value = serde_json::from_str(line).unwrap();
            let digest = entry["digest"].as_str().unwrap().to_string();
            let seen = digests
                .entry(entry["seq"].as_u64().unwrap())
                .or_insert_with(|| digest.clone());
            assert_eq!(
                *seen, digest,
                "co-signer {n} signed two digests for one seq"
            );
        }
        assert!(
            !dir.path()
                .join(format!("journal-{n}.jsonl.alarm.jsonl"))
                .exists(),
            "co-signer {n} raised an alarm"
        );
    }
    drop(operators);
    drop(f.proxy);
    assert!(f.stage.localnet.stop().unwrap().success());
}
