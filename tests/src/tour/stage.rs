//! The tour's stage: the binaries as processes, the cast's keys, a localnet
//! with a mint on it, and the oracle's files.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context, Result};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// Where the workspace's binaries are built: next to this executable's folder.
pub fn binary(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/debug/{deps,examples}/this → target/debug/name
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("binary folder")?;
    let path = dir.join(name);
    ensure!(
        path.exists(),
        "{} is missing: build it with `cargo build --workspace --bins`",
        path.display()
    );
    Ok(path)
}

/// Builds the five binaries (a no-op when they are current), once per
/// test process.
pub fn build_binaries() -> Result<()> {
    static BUILT: std::sync::OnceLock<std::result::Result<(), String>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| build_them().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow::anyhow!(e))
}

/// The five binaries, as `cargo build` names them.
const BINARIES: [&str; 5] = [
    "usd1-localnet",
    "usd1",
    "usd1-oracle",
    "usd1-gateway",
    "usd1-desk",
];

/// The newest modification among what the binaries are built from.
fn newest_source(root: &Path) -> Option<SystemTime> {
    fn walk(path: &Path, newest: &mut Option<SystemTime>) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else if let Ok(at) = meta.modified() {
            *newest = (*newest).max(Some(at));
        }
    }
    let mut newest = None;
    walk(&root.join("Cargo.lock"), &mut newest);
    walk(&root.join("Cargo.toml"), &mut newest);
    for member in [
        "programs/usd1",
        "client",
        "cli",
        "oracle",
        "localnet",
        "service",
        "gateway",
        "desk",
    ] {
        for part in ["src", "Cargo.toml", "build.rs", "migrations"] {
            walk(&root.join(member).join(part), &mut newest);
        }
    }
    newest
}

/// Whether the five binaries are there and newer than every source they are
/// built from (as after `cargo test --workspace --all-targets`, which builds
/// them with the tests' own feature set: building them again with another
/// would rebuild much of the runtime).
fn binaries_current() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Some(source) = newest_source(&root) else {
        return false;
    };
    BINARIES.iter().all(|name| {
        binary(name)
            .ok()
            .and_then(|path| std::fs::metadata(path).ok()?.modified().ok())
            .is_some_and(|built| built > source)
    })
}

fn build_them() -> Result<()> {
    if binaries_current() {
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    // What `cargo run` and `cargo test` tell the process about its own
    // package is not the nested build's business: ring's build script reruns
    // when CARGO_MANIFEST_DIR changes, and with it half the runtime.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("CARGO_MANIFEST_")
            || name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_")
            || name == "CARGO_CRATE_NAME"
            || name == "CARGO_PRIMARY_PACKAGE"
        {
            command.env_remove(name);
        }
    }
    let status = command
        .args([
            "build",
            "--locked",
            "-p",
            "usd1-localnet",
            "-p",
            "usd1-cli",
            "-p",
            "usd1-oracle",
            "-p",
            "usd1-gateway",
            "-p",
            "usd1-desk",
            "-p",
            "usd1-tests",
            "--bins",
            // An example needs the dev-dependencies, so the features are
            // resolved as for `cargo test --workspace --all-targets` and the
            // tour: one build of the runtime serves all three.
            "--example",
            "platform",
        ])
        .status()
        .context("cargo build")?;
    ensure!(status.success(), "building the binaries failed");
    Ok(())
}

/// A `usd1-localnet` process; SIGTERM on drop.
pub struct LocalnetProcess {
    pub url: String,
    pub port: u16,
    child: Child,
}

impl LocalnetProcess {
    pub fn start(port: u16, ledger: &Path, faucet: &Path, reset: bool) -> Result<Self> {
        let mut command = Command::new(binary("usd1-localnet")?);
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--ledger")
            .arg(ledger)
            .arg("--faucet")
            .arg(faucet)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(ledger.with_extension("log"))?);
        if reset {
            command.arg("--reset");
        }
        let mut child = command.spawn().context("starting usd1-localnet")?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines.next().context("usd1-localnet exited")??;
            if let Some(url) = line.strip_prefix("JSON RPC URL: ") {
                break url.to_string();
            }
        };
        // Keep reading: the natively run program logs to stdout, and a closed
        // pipe would make those writes fail inside the program.
        let mut log = std::fs::File::options()
            .append(true)
            .open(ledger.with_extension("log"))?;
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = std::io::Write::write_all(&mut log, format!("{line}\n").as_bytes());
            }
        });
        Ok(Self { url, port, child })
    }

    /// A new localnet (`--reset`) on a port nobody holds. A free port found
    /// here may be taken by another test before the process binds it (or its
    /// PubSub port, the next one, may be): then it is tried again on another.
    pub fn start_on_a_free_port(ledger: &Path, faucet: &Path) -> Result<Self> {
        let mut tries = 0;
        loop {
            let started = Self::start(free_port()?, ledger, faucet, true);
            let in_use = || {
                std::fs::read_to_string(ledger.with_extension("log"))
                    .is_ok_and(|log| log.contains("in use"))
            };
            match started {
                Err(_) if tries < 5 && in_use() => tries += 1,
                other => return other,
            }
        }
    }

    /// SIGTERM, and the exit status.
    pub fn stop(mut self) -> Result<std::process::ExitStatus> {
        signal(self.child.id(), "TERM")?;
        let status = self.child.wait()?;
        std::mem::forget(self);
        Ok(status)
    }
}

impl Drop for LocalnetProcess {
    fn drop(&mut self) {
        let _ = signal(self.child.id(), "TERM");
        let _ = self.child.wait();
    }
}

pub fn signal(pid: u32, name: &str) -> Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()?;
    ensure!(status.success(), "kill -{name} {pid} failed");
    Ok(())
}

pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub fn write_keypair(path: &Path, keypair: &Keypair) -> Result<()> {
    std::fs::write(path, serde_json::to_string(&keypair.to_bytes().to_vec())?)?;
    Ok(())
}

/// Unix seconds as an RFC 3339 UTC time.
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What a `usd1` run printed and how it ended.
pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `usd1` binary against `url` with `keypair` paying.
pub fn usd1(url: &str, keypair: &Path, args: &[&str]) -> Result<Run> {
    let output = Command::new(binary("usd1")?)
        .arg("-u")
        .arg(url)
        .arg("-k")
        .arg(keypair)
        .args(args)
        .output()
        .context("running usd1")?;
    Ok(Run {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).trim().to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
    })
}

/// The tour's keys and files, in one folder.
pub struct Cast {
    pub dir: PathBuf,
    pub admin: PathBuf,
    pub freezer: PathBuf,
    pub treasurer: PathBuf,
    pub minter: PathBuf,
    pub holder: PathBuf,
    pub oracle_payer: PathBuf,
    pub attestors: Vec<PathBuf>,
    pub mint: PathBuf,
    pub wallet: Pubkey,
    keys: Vec<(PathBuf, Pubkey)>,
}

impl Cast {
    pub fn new(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir.join("keys"))?;
        let mut keys = Vec::new();
        let mut key = |name: &str| -> Result<PathBuf> {
            let keypair = Keypair::new();
            let path = dir.join("keys").join(format!("{name}.json"));
            write_keypair(&path, &keypair)?;
            keys.push((path.clone(), keypair.pubkey()));
            Ok(path)
        };
        let cast = Self {
            dir: dir.to_path_buf(),
            admin: key("admin")?,
            freezer: key("freezer")?,
            treasurer: key("treasurer")?,
            minter: key("minter")?,
            holder: key("holder")?,
            oracle_payer: key("oracle-payer")?,
            attestors: vec![key("attestor-1")?, key("attestor-2")?, key("attestor-3")?],
            mint: key("mint")?,
            wallet: Keypair::new().pubkey(),
            keys: Vec::new(),
        };
        Ok(Self { keys, ..cast })
    }

    pub fn pubkey(&self, path: &Path) -> String {
        self.keys
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, k)| k.to_string())
            .unwrap_or_default()
    }
}

/// Funds every key of `cast` except the mint with 10 SOL over requestAirdrop.
pub async fn fund(url: &str, cast: &Cast) -> Result<()> {
    let client = solana_rpc_client::nonblocking::rpc_client::RpcClient::new_with_commitment(
        url.to_string(),
        CommitmentConfig::confirmed(),
    );
    for (path, key) in &cast.keys {
        if *path == cast.mint {
            continue;
        }
        let signature = client.request_airdrop(key, 10_000_000_000).await?;
        ensure!(
            client.confirm_transaction(&signature).await?,
            "airdrop to {key} not confirmed"
        );
    }
    Ok(())
}

/// Writes the sample custodian export and an oracle config that reads it.
pub fn oracle_files(
    cast: &Cast,
    url: &str,
    mint: &str,
    reserve: &str,
    metrics_port: u16,
) -> Result<PathBuf> {
    let custody = cast.dir.join("custodian-a.json");
    std::fs::write(
        &custody,
        format!(
            r#"{{"account": "USD1 reserve", "balance": "{reserve}", "as_of": {}}}"#,
            unix_now()
        ),
    )?;
    let config = cast.dir.join("oracle.toml");
    let attestors: Vec<String> = cast
        .attestors
        .iter()
        .take(2)
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect();
    std::fs::write(
        &config,
        format!(
            "rpc_urls = [\"{url}\"]\nmint = \"{mint}\"\npayer_keypair = {:?}\nattestor_keypairs = [{}]\n\
             interval_secs = 1\noutput_dir = \"reports\"\nmetrics_addr = \"127.0.0.1:{metrics_port}\"\n\
             [round]\nretry_backoff_ms = 200\n\
             [[sources]]\nkind = \"file\"\nname = \"custodian-a\"\npath = \"custodian-a.json\"\namount = \"/balance\"\nmax_age_secs = 3600\n",
            cast.oracle_payer.display().to_string(),
            attestors.join(", ")
        ),
    )?;
    Ok(config)
}

/// Runs `usd1-oracle --once` with `config`; its exit code.
pub fn oracle_once(config: &Path) -> Result<i32> {
    let output = Command::new(binary("usd1-oracle")?)
        .arg("--config")
        .arg(config)
        .arg("--once")
        .output()
        .context("running usd1-oracle")?;
    Ok(output.status.code().unwrap_or(-1))
}

/// A fresh `usd1-localnet` process with the cast funded and a mint
/// initialized through `usd1`, with 2-of-3 attestors: where the tour and the
/// end-to-end tests start.
pub struct Stage {
    pub localnet: LocalnetProcess,
    pub url: String,
    pub cast: Cast,
    pub mint: String,
}

impl Stage {
    pub async fn open(dir: &Path, say: &dyn Fn(&str)) -> Result<Self> {
        Self::open_with(dir, say, &[]).await
    }

    /// [`Stage::open`], the mint initialized with `init_flags` too (its
    /// Token-2022 options, `--permanent-delegate` and the like).
    pub async fn open_with(dir: &Path, say: &dyn Fn(&str), init_flags: &[&str]) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let localnet =
            LocalnetProcess::start_on_a_free_port(&dir.join("ledger"), &dir.join("faucet.json"))?;
        let url = localnet.url.clone();
        say(&format!("usd1-localnet is serving JSON-RPC at {url}"));
        let cast = Cast::new(dir)?;
        fund(&url, &cast).await?;
        say("funded the issuer's keys, the oracle payer and a holder from the faucet (requestAirdrop)");
        let mut stage = Self {
            localnet,
            url,
            cast,
            mint: String::new(),
        };
        let mint_file = stage.cast.mint.display().to_string();
        let mut init = vec![
            "init",
            "--decimals",
            "6",
            "--name",
            "USD1",
            "--symbol",
            "USD1",
            "--uri",
            "https://example.com/usd1.json",
            "--mint-keypair",
            &mint_file,
        ];
        init.extend_from_slice(init_flags);
        let out = stage.usd1(&stage.cast.admin, &init)?;
        say(&format!(
            "usd1 init → {}",
            out.lines().next().unwrap_or_default()
        ));
        stage.mint = stage.cast.pubkey(&stage.cast.mint);
        let attestor_keys: Vec<String> = stage
            .cast
            .attestors
            .iter()
            .map(|p| stage.cast.pubkey(p))
            .collect();
        let mut args = vec!["attestors", "set", "--threshold", "2"];
        args.extend(attestor_keys.iter().map(String::as_str));
        args.extend(["--mint", &stage.mint]);
        stage.usd1(&stage.cast.admin, &args)?;
        Ok(stage)
    }

    /// The cast's minter allowed `reserve`, an oracle round attesting
    /// `reserve` from the sample custodian file, and `held` minted to the
    /// holder: a payer ready for `usd1 pay`.
    pub fn fund_holder(&self, reserve: &str, held: &str) -> Result<()> {
        let (cast, mint) = (&self.cast, self.mint.as_str());
        let minter = cast.pubkey(&cast.minter);
        self.usd1(
            &cast.admin,
            &[
                "minter",
                "set",
                &minter,
                "--allowance",
                reserve,
                "--mint",
                mint,
            ],
        )?;
        let config = oracle_files(cast, &self.url, mint, reserve, free_port()?)?;
        ensure!(oracle_once(&config)? == 0, "the oracle round failed");
        let holder = cast.pubkey(&cast.holder);
        self.usd1(
            &cast.minter,
            &["mint", held, "--to", &holder, "--mint", mint],
        )?;
        Ok(())
    }

    /// Runs `usd1` with `keypair` paying; its output, or why it failed.
    pub fn usd1(&self, keypair: &Path, args: &[&str]) -> Result<String> {
        let run = usd1(&self.url, keypair, args)?;
        if !run.success {
            bail!("usd1 {} failed: {}", args.join(" "), run.stderr);
        }
        Ok(run.stdout)
    }
}
