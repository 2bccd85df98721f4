//! A real PostgreSQL server for one test: Debian's binaries, its own data
//! folder and port on 127.0.0.1, stopped (immediately) when dropped, with
//! what the tests kept beside its databases (a gateway's case key). Run as
//! root, the server runs as the `postgres` user, as PostgreSQL insists.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

pub struct Postgres {
    data: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    /// The databases made on it, as URLs.
    databases: Mutex<Vec<String>>,
}

/// The newest installed server's binaries.
fn binaries() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: apt-get install postgresql (.ci/run does)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no PostgreSQL server binaries under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args…` as the `postgres` user when we are root.
fn command(bin: &Path, program: &str) -> Command {
    let path = bin.join(program);
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command
    } else {
        Command::new(path)
    }
}

fn run(mut command: Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postgres {
    /// initdb in a fresh folder, then start the server on a free port.
    pub fn start() -> Self {
        let bin = binaries();
        let data = tempfile::Builder::new()
            .prefix("usd1-pg-")
            .tempdir()
            .expect("tempdir");
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres:postgres").arg(data.path());
                    c
                },
                "chown",
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut init = command(&bin, "initdb");
        init.args(["-A", "trust", "-U", "usd1", "-E", "UTF8", "--no-sync", "-D"])
            .arg(data.path().join("db"));
        run(init, "initdb");
        let server = Postgres {
            data,
            bin,
            port,
            databases: Mutex::new(Vec::new()),
        };
        server.resume();
        server
    }

    /// Starts the server again (after [`Self::stop`]), on the same port and data.
    pub fn resume(&self) {
        let mut start = command(&self.bin, "pg_ctl");
        start
            .arg("-D")
            .arg(self.data.path().join("db"))
            .arg("-l")
            .arg(self.data.path().join("log"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                self.port,
                self.data.path().display()
            ))
            .args(["-w", "start"]);
        run(start, "pg_ctl start");
    }

    /// Stops the server as an operator's restart or a crash does: every
    /// connection cut at once (`pg_ctl stop -m immediate`).
    pub fn stop(&self) {
        let mut stop = command(&self.bin, "pg_ctl");
        stop.arg("-D")
            .arg(self.data.path().join("db"))
            .args(["-m", "immediate", "-w", "stop"]);
        run(stop, "pg_ctl stop");
    }

    /// A new, empty database on the server, as a URL.
    pub fn database(&self, name: &str) -> String {
        let mut create = command(&self.bin, "createdb");
        create
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "usd1",
            ])
            .arg(name);
        run(create, "createdb");
        let url = format!("postgres://usd1@127.0.0.1:{}/{name}", self.port);
        self.databases.lock().expect("lock").push(url.clone());
        url
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut stop = command(&self.bin, "pg_ctl");
        stop.arg("-D")
            .arg(self.data.path().join("db"))
            .args(["-m", "immediate", "stop"]);
        let _ = stop.output();
        // A case key outlives no database (kept in the temporary folder, by URL).
        for url in self.databases.lock().map(|d| d.clone()).unwrap_or_default() {
            let _ = std::fs::remove_file(crate::gateway_harness::case_key_for(&url));
        }
    }
}

/// Runs the test `$body(url)` on a SQLite file and on a PostgreSQL database
/// of its own: `both_databases!(module_name, body)`.
#[macro_export]
macro_rules! both_databases {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().expect("dir");
                let url = format!("sqlite:{}", dir.path().join("gateway.db").display());
                super::$body(&url).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let server = $crate::postgres::Postgres::start();
                let url = server.database("gateway");
                super::$body(&url).await;
            }
        }
    };
}
