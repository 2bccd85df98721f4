//! The oracle tests' harness: the fixture, a folder for custodian files and
//! reports, a file source, and an oracle over any ledger.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use usd1_client::signing::SharedSigner;

use crate::*;
use tokio_util::sync::CancellationToken;
use usd1_client::Ledger;
use usd1_oracle::config::{Alarms, RoundSettings, SourceConfig};
use usd1_oracle::daemon::Setup;
use usd1_oracle::report::ReportStore;
use usd1_oracle::sources::file::FileSourceConfig;
use usd1_oracle::{Oracle, Outcome, RoundError, RoundOptions};

pub const RESERVE: u64 = 500_000 * ONE;

/// The fixture, a folder for custodian files and reports, and a file source.
pub struct Harness {
    pub f: Fixture,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Self {
        Self {
            f: Fixture::new(Flavor::Token2022).await,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn custody_file(&self) -> PathBuf {
        self.dir.path().join("custodian.json")
    }

    pub fn reports(&self) -> PathBuf {
        self.dir.path().join("reports")
    }

    /// Writes the custodian export: `amount` (JSON text) as of `as_of`.
    pub fn write_custody(&self, amount: &str, as_of: i64) {
        let body =
            format!(r#"{{"account": "USD1 reserve", "balance": {amount}, "as_of": {as_of}}}"#);
        std::fs::write(self.custody_file(), body).expect("write custody file");
    }

    pub async fn write_reserve(&self, reserve: u64) {
        self.write_custody(
            &usd1_client::format_amount(reserve, DECIMALS),
            self.f.now().await,
        );
    }

    pub fn file_source(&self) -> SourceConfig {
        SourceConfig::File(FileSourceConfig {
            name: "bank-a".into(),
            path: self.custody_file(),
            format: None,
            amount: Some("/balance".into()),
            as_of: None,
            max_age_secs: 3_600,
            holding: None,
        })
    }

    pub fn oracle(&self, sources: Vec<SourceConfig>, ledger: Arc<dyn Ledger>) -> Oracle {
        self.oracle_with(sources, ledger, quick_rounds(), Alarms::default())
    }

    pub fn oracle_with(
        &self,
        sources: Vec<SourceConfig>,
        ledger: Arc<dyn Ledger>,
        round: RoundSettings,
        alarms: Alarms,
    ) -> Oracle {
        let sources = sources.iter().map(|s| s.build().expect("source")).collect();
        Oracle::new(
            ledger,
            Setup {
                payer: self.f.admin.clone(),
                mint: self.f.mint(),
                attestors: self
                    .f
                    .attestors
                    .iter()
                    .map(|k| Arc::new(k.insecure_clone()) as SharedSigner)
                    .collect(),
                sources,
                store: ReportStore::open(&self.reports()).expect("reports"),
                round,
                alarms,
            },
        )
    }

    /// An oracle over the file source holding `attestors` (keys in an HSM
    /// or a vault among them).
    pub fn oracle_holding(&self, attestors: Vec<SharedSigner>) -> Oracle {
        let mut oracle = self.oracle(vec![self.file_source()], self.ledger());
        oracle.hold(attestors);
        oracle
    }

    pub fn ledger(&self) -> Arc<dyn Ledger> {
        self.f.ledger.clone()
    }
}

pub fn quick_rounds() -> RoundSettings {
    RoundSettings {
        retry_backoff_ms: 10,
        pending_wait_secs: 0,
        ..RoundSettings::default()
    }
}

pub async fn round(oracle: &Oracle) -> Result<Outcome, RoundError> {
    oracle
        .run_round(RoundOptions::default(), &CancellationToken::new())
        .await
}

pub fn attested(result: Result<Outcome, RoundError>) -> (u64, bool) {
    match result {
        Ok(Outcome::Attested {
            report, heartbeat, ..
        }) => (report.seq, heartbeat),
        other => panic!("expected an attestation, got {other:?}"),
    }
}

pub fn report_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
