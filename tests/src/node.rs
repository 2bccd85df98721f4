//! Stock JavaScript clients nobody here wrote, run by Node from `tests/node`
//! (its packages pinned by the committed `package-lock.json`).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `tests/node`.
pub fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// The packages the tests import; `npm ci` runs when one is missing.
const PACKAGES: &[&str] = &[
    "@solana/web3.js",
    "@solana/spl-token",
    "@coral-xyz/anchor",
    "@solana/kit",
    "@solana-program/token-2022",
    "standardwebhooks",
];

/// `npm ci` from the committed lock file, when a package is missing.
pub fn install_packages() {
    install_in(&node_dir(), PACKAGES);
}

/// `npm ARGS…` in `dir`, which must succeed.
pub fn npm(dir: &Path, args: &[&str]) {
    let status = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .status()
        .expect("npm must be installed to run the stock-client tests");
    assert!(
        status.success(),
        "npm {} in {} failed",
        args.join(" "),
        dir.display()
    );
}

/// `npm ci` in `dir` from its lock file, when one of `packages` is missing.
pub fn install_in(dir: &Path, packages: &[&str]) {
    let installed = |package: &str| {
        dir.join("node_modules")
            .join(package)
            .join("package.json")
            .exists()
    };
    if !packages.iter().all(|p| installed(p)) {
        npm(dir, &["ci", "--no-audit", "--no-fund"]);
    }
}

/// `tests/node-pay`: stock `@solana/pay` 1.0.16 and the `@solana/kit` 6 it
/// is built on, with their own lock file (they cannot share `tests/node`'s kit 7).
pub fn pay_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node-pay")
}

/// `npm ci` in `tests/node-pay` from its lock file, when `@solana/pay` is missing.
pub fn install_pay_packages() {
    install_in(&pay_dir(), &["@solana/pay"]);
}

/// Runs `node --test` on `scripts` (in `tests/node`) with `USD1_NODE_FIXTURE`
/// naming `fixture`, off the async runtime; prints and returns what it said.
pub async fn node_test(scripts: &[&str], fixture: &Path) -> (Output, String) {
    node_test_in(node_dir(), scripts, fixture).await
}

/// [`node_test`] on scripts in `dir`.
pub async fn node_test_in(dir: PathBuf, scripts: &[&str], fixture: &Path) -> (Output, String) {
    let mut args: Vec<String> = vec![
        "--test".into(),
        "--test-reporter=tap".into(),
        // A test that hangs fails instead of holding the suite.
        "--test-timeout=120000".into(),
    ];
    args.extend(scripts.iter().map(|s| s.to_string()));
    let fixture = fixture.to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(&args)
            .current_dir(dir)
            .env("USD1_NODE_FIXTURE", &fixture)
            .output()
            .expect("node must be installed")
    })
    .await
    .expect("node ran");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    (output, stdout)
}
