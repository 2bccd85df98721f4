//! The issuance desk on the in-process chain: the fixture's mint (its
//! minter is the desk's), a desk database in a temporary folder, and the
//! simulated bank holding the issuer's account. Customers are made approved
//! with a wallet; a statement is the bank's file, imported.
use std::path::PathBuf;
use std::sync::Arc;

use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::bank::pain001::{Agent, Debtor};
use usd1_client::screening::{List, Screener};
use usd1_desk::decide::Kyb;
use usd1_desk::mint::{Minter, Pass};
use usd1_desk::payout::{Payer, PayoutPass};
use usd1_desk::scopes::Scope;
use usd1_desk::store::customers::BankAccount;
use usd1_desk::store::customers::Customer;
use usd1_desk::store::statements::{Imported, Intake};
use usd1_desk::store::{Held, Store};
use usd1_service::cases::{Actor, Approved, Decision};

use crate::bank::{Bank, ROUTING};
use crate::fixture::{default_disclosure, Fixture, Flavor, ONE};

/// The issuer's account at the bank, where customers wire to.
pub const ISSUER_ACCOUNT: &str = "4000123456";

/// A customer's account at another bank, where its redemptions are paid.
pub const CUSTOMER_ACCOUNT: &str = "12345678";

/// Deposits above this wait for a second operator (unless a test says otherwise).
pub const FOUR_EYES_ABOVE: u64 = 100_000 * ONE;

pub struct Desk {
    pub f: Fixture,
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub bank: Bank,
    pub minter: Minter<usd1_client::banks::BanksLedger>,
    pub payer: Payer<usd1_client::banks::BanksLedger>,
}

/// A screener whose one list (the issuer's) names `wallet` for `reason`.
pub fn listing(wallet: &Pubkey, reason: &str) -> Screener {
    let csv = format!("address,reason,source,added_at\n{wallet},{reason},OFAC,2026-01-02\n");
    Screener::new(vec![
        List::parse("issuer.csv", csv.as_bytes()).expect("list")
    ])
}

impl Desk {
    /// A desk over a Token-2022 mint whose reserve is attested at `reserve`.
    pub async fn new(reserve: u64) -> Self {
        Self::with(reserve, FOUR_EYES_ABOVE).await
    }

    pub async fn with(reserve: u64, four_eyes_above: u64) -> Self {
        Self::on(None, reserve, four_eyes_above).await
    }

    /// A desk on the database at `url` (a temporary SQLite file if None).
    pub async fn on(url: Option<String>, reserve: u64, four_eyes_above: u64) -> Self {
        let f = Fixture::with_reserve(Flavor::Token2022, reserve).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let url = url.unwrap_or_else(|| format!("sqlite:{}", dir.path().join("desk.db").display()));
        let store = Store::open(&url).await.expect("desk database");
        let mut bank = Bank::new(&dir.path().join("bank"), &crate::bank::today()).expect("bank");
        bank.open_account(ISSUER_ACCOUNT, "USD1 Issuer Ltd", "0");
        bank.external.insert(CUSTOMER_ACCOUNT.into());
        let minter = Minter {
            store: store.clone(),
            usd1: f.usd1.clone(),
            key: Arc::new(f.minter.insecure_clone()),
            four_eyes_above,
        };
        let payer = Payer {
            store: store.clone(),
            usd1: f.usd1.clone(),
            treasurer: Arc::new(f.treasurer.insecure_clone()),
            debtor: Debtor {
                name: "USD1 Issuer Ltd".into(),
                account: ISSUER_ACCOUNT.into(),
                agent: Agent::parse(ROUTING).expect("routing"),
            },
            outbox: bank.inbox.clone(),
        };
        Desk {
            f,
            dir,
            store,
            bank,
            minter,
            payer,
        }
    }

    pub fn intake(&self) -> Intake {
        Intake {
            four_eyes_above: self.minter.four_eyes_above,
        }
    }

    /// The desk's HTTP API over this desk's store on 127.0.0.1 (wires to the
    /// simulated bank's issuer account; webhooks may go to loopback), with
    /// `limit`: its base URL and the server's task.
    pub async fn serve_api(
        &self,
        limit: usd1_service::api::RateLimit,
    ) -> (String, tokio::task::JoinHandle<()>) {
        let state = Arc::new(usd1_desk::api::DeskApi {
            store: self.store.clone(),
            gate: usd1_service::api::Gate::new(self.store.kit().clone(), limit),
            intake: self.intake(),
            screener: Arc::new(Screener::default()),
            deposit_account: usd1_desk::api::DepositAccount {
                beneficiary: "USD1 Issuer Ltd".into(),
                bank: "Simulated Bank".into(),
                account: ISSUER_ACCOUNT.into(),
                routing: ROUTING.into(),
            },
            allow_private_webhooks: true,
            max_webhooks_per_key: 16,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let server = tokio::spawn(usd1_service::server::serve(
            listener,
            usd1_desk::api::router(state),
            Default::default(),
        ));
        (base, server)
    }

    /// A customer approved by alice, with a fresh wallet: it and the wallet.
    pub async fn approved_customer(&self, name: &str) -> (Customer, Pubkey) {
        let (customer, wallet, _) = self.customer_screened(name, None).await;
        (customer, wallet)
    }

    /// An approved customer whose fresh wallet is on a sanctions list (the
    /// issuer's, saying `reason`): it, the wallet and the screener holding
    /// the list.
    pub async fn listed_customer(&self, name: &str, reason: &str) -> (Customer, Pubkey, Screener) {
        self.customer_screened(name, Some(reason)).await
    }

    async fn customer_screened(
        &self,
        name: &str,
        listed: Option<&str>,
    ) -> (Customer, Pubkey, Screener) {
        let customer = self.store.create_customer(name, "alice").await.unwrap();
        let customer = self
            .store
            .set_kyb(&customer.id, Kyb::Approved, "alice", "documents checked")
            .await
            .unwrap();
        let wallet = Keypair::new().pubkey();
        let screener = listed.map_or_else(Screener::default, |reason| listing(&wallet, reason));
        self.store
            .register_wallet(&customer.id, &wallet.to_string(), &screener, "alice")
            .await
            .unwrap();
        (customer, wallet, screener)
    }

    /// An approved customer whose wallet (its key returned, funded for
    /// fees) holds `dollars` minted from its own wire, with a linked bank
    /// account at another bank; redemptions are open.
    pub async fn redeeming_customer(&mut self, name: &str, dollars: &str) -> (Customer, Keypair) {
        let customer = self.store.create_customer(name, "alice").await.unwrap();
        let customer = self
            .store
            .set_kyb(&customer.id, Kyb::Approved, "alice", "documents checked")
            .await
            .unwrap();
        let wallet = Keypair::new();
        self.store
            .register_wallet(
                &customer.id,
                &wallet.pubkey().to_string(),
                &Screener::default(),
                "alice",
            )
            .await
            .unwrap();
        self.store
            .add_bank_account(
                &customer.id,
                &BankAccount {
                    holder: name.into(),
                    number: Some(CUSTOMER_ACCOUNT.into()),
                    routing: Some(ROUTING.into()),
                    town: "New York".into(),
                    country: "US".into(),
                    ..BankAccount::default()
                },
            )
            .await
            .unwrap();
        self.wire(dollars, &customer.reference);
        self.statement().await;
        assert_eq!(self.pass().await.minted.len(), 1);
        if self.f.usd1.disclosure().await.is_err() {
            self.f
                .usd1
                .set_disclosure(&self.f.admin, default_disclosure())
                .await
                .expect("disclosure");
        }
        self.f.fund(&wallet.pubkey()).await;
        (customer, wallet)
    }

    /// `wallet` asks to redeem `amount` base units: the request's id.
    pub async fn redeem(&self, wallet: &Keypair, amount: u64) -> u64 {
        let (id, _) = self
            .f
            .usd1
            .request_redemption(wallet, amount, [7; 32])
            .await
            .expect("request");
        id
    }

    /// An operator whose key may decide cases: who they act as, and the
    /// key's secret (what `--operator-key` takes).
    pub async fn operator(&self, name: &str) -> (Actor, String) {
        let (key, secret) = self
            .store
            .create_key(name, name, &[Scope::CasesWrite])
            .await
            .expect("key");
        (Actor::of_key(&key).expect("an operator"), secret)
    }

    /// Case `id` released by two operators, alice proposing and bob approving.
    pub async fn release_case(&self, id: &str) -> Approved<String> {
        let (alice, bob) = (self.operator("alice").await.0, self.operator("bob").await.0);
        let kit = self.store.kit();
        kit.decide_case_seen(&Held, id, Decision::Release, &alice, "checked", None)
            .await
            .expect("proposed");
        kit.approve_case_seen(&Held, id, &bob, "checked again", None)
            .await
            .expect("approved")
    }

    pub async fn payout(&self) -> PayoutPass {
        self.payer.pass().await.expect("payout pass")
    }

    /// The bank pays the payment files waiting for it; its answers, imported.
    pub async fn bank_pays(&mut self) -> Vec<Imported> {
        let answers = self.bank.process_payments().expect("bank");
        let mut imported = Vec::new();
        for path in answers {
            imported.push(self.import(&path).await);
        }
        imported
    }

    /// A wire of `amount` dollars ("250.00") into the issuer's account with
    /// `remittance`: its bank reference.
    pub fn wire(&mut self, amount: &str, remittance: &str) -> String {
        self.bank
            .wire_in(
                ISSUER_ACCOUNT,
                amount,
                remittance,
                ("ACME TREASURY LLC", "998877"),
            )
            .expect("wire")
    }

    /// Imports a file the bank wrote.
    pub async fn import(&self, path: &PathBuf) -> Imported {
        let bytes = std::fs::read(path).expect("bank file");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        self.store
            .import_statement(&name, &bytes, self.intake())
            .await
            .expect("import")
    }

    /// Today's end-of-day statement (camt.053), imported.
    pub async fn statement(&mut self) -> Imported {
        let path = self
            .bank
            .write_statement(ISSUER_ACCOUNT)
            .expect("statement");
        self.import(&path).await
    }

    /// A second desk instance on the same database, chain and keys.
    pub async fn another_instance(
        &self,
        url: &str,
    ) -> (
        Minter<usd1_client::banks::BanksLedger>,
        Payer<usd1_client::banks::BanksLedger>,
    ) {
        let store = Store::open(url).await.expect("second instance");
        let minter = Minter {
            store: store.clone(),
            usd1: self.minter.usd1.clone(),
            key: self.minter.key.clone(),
            four_eyes_above: self.minter.four_eyes_above,
        };
        let payer = Payer {
            store,
            usd1: self.payer.usd1.clone(),
            treasurer: self.payer.treasurer.clone(),
            debtor: self.payer.debtor.clone(),
            outbox: self.payer.outbox.clone(),
        };
        (minter, payer)
    }

    pub async fn pass(&self) -> Pass {
        self.minter.pass().await.expect("mint pass")
    }

    /// Base units `owner` holds.
    pub async fn balance(&self, owner: &Pubkey) -> u64 {
        self.f.usd1.balance(owner).await.unwrap_or(0)
    }
}
