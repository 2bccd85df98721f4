//! Issue 22, item 2: an auditor has no key. The read-only commands — status,
//! attestations, audit, balance OWNER, redeem list, transparency — run from
//! a home with no Solana config and no `~/.config/solana/id.json`, through
//! the real binary; a command that signs still names the missing keypair.
use std::path::Path;
use std::process::Command;

use usd1_tests::tour;

fn keyless(home: &Path, url: &str, args: &[&str]) -> std::process::Output {
    Command::new(tour::binary("usd1").unwrap())
        .arg("-u")
        .arg(url)
        .args(args)
        .env("HOME", home)
        .env_remove("SOLANA_CONFIG")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_commands_need_no_keypair_and_signing_ones_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let stage = tour::Stage::open(&dir.path().join("stage"), &|_| {})
        .await
        .unwrap();
    let (url, cast, mint) = (stage.url.clone(), &stage.cast, stage.mint.clone());
    stage.fund_holder("1000", "25").unwrap();
    let holder = cast.pubkey(&cast.holder);

    let home = dir.path().join("auditor");
    std::fs::create_dir_all(&home).unwrap();
    let site = dir.path().join("site");
    let site = site.display().to_string();
    let reads: Vec<Vec<&str>> = vec![
        vec!["status", "--mint", &mint],
        vec!["attestations", "--mint", &mint],
        vec!["audit", "--mint", &mint],
        vec!["balance", &holder, "--mint", &mint],
        vec!["redeem", "list", "--mint", &mint],
        vec!["transparency", "--mint", &mint, "--out", &site],
    ];
    for args in reads {
        let out = keyless(&home, &url, &args);
        assert!(
            out.status.success(),
            "usd1 {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let balance = keyless(&home, &url, &["balance", &holder, "--mint", &mint]);
    assert_eq!(String::from_utf8_lossy(&balance.stdout).trim(), "$25.00");
    assert!(Path::new(&site).join("index.html").exists());

    // Without an owner, balance means "mine": that needs the keypair, as
    // does anything that signs; the error names the file that is missing.
    let missing = home.join(".config/solana/id.json").display().to_string();
    for args in [
        vec!["balance", "--mint", &mint],
        vec!["pause", "--mint", &mint],
    ] {
        let out = keyless(&home, &url, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "usd1 {} ran without a key",
            args.join(" ")
        );
        assert!(
            stderr.contains(&missing),
            "usd1 {}: {stderr}",
            args.join(" ")
        );
    }
    assert!(stage.localnet.stop().unwrap().success());
}
