//! The committed IDL (`idl/usd1.json`) is the one the program's code generates
//! today (anchor-lang's `idl-build`, as `anchor build` does it). To refresh it:
//! `USD1_UPDATE_IDL=1 cargo test -p usd1-tests --test house idl::`.
//!
//! Generating it compiles the program and anchor again with `idl-build` (a
//! few minutes on a fresh machine), so the refresh also writes a stamp,
//! `idl/usd1.json.stamp`: the SHA-256 of what the IDL is made from (the
//! program's sources and manifest, and the anchor crates' versions in
//! `Cargo.lock`) and of the IDL itself. While the stamp matches, the IDL was
//! generated from exactly this code; any change to either builds it again
//! and compares.
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("workspace root")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The stamp of the program as it is now and of `idl`.
fn stamp(root: &Path, idl: &str) -> String {
    let mut files = vec![root.join("programs/usd1/Cargo.toml")];
    files_under(&root.join("programs/usd1/src"), &mut files);
    files.sort();
    let mut input = Vec::new();
    for file in &files {
        input.extend_from_slice(
            file.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
        input.push(0);
        input.extend_from_slice(&std::fs::read(file).unwrap());
        input.push(0);
    }
    // The IDL generator's version: the anchor crates the lock file pins.
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    for package in lock.split("[[package]]") {
        if package.trim_start().starts_with("name = \"anchor-") {
            input.extend_from_slice(package.as_bytes());
        }
    }
    input.extend_from_slice(idl.as_bytes());
    usd1_client::hex(&usd1_client::sha256(&input))
}

#[test]
fn committed_idl_is_current() {
    let root = root();
    let committed_path = root.join("idl/usd1.json");
    let stamp_path = root.join("idl/usd1.json.stamp");
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    let update = std::env::var_os("USD1_UPDATE_IDL").is_some();
    let stamped = std::fs::read_to_string(&stamp_path).unwrap_or_default();
    if !update && stamped.trim() == stamp(&root, &committed) {
        // Generated from exactly this code (the stamp says so).
        return;
    }
    // The builder would ask rustup for the toolchain named here; the one
    // running these tests is the one to use.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(root.join("programs/usd1"))
        .cargo_args(vec![
            "--target-dir".into(),
            root.join("target/idl").to_string_lossy().into_owned(),
        ])
        .build()
        .expect("the program builds with idl-build");
    let generated = serde_json::to_string_pretty(&idl).expect("IDL as JSON") + "\n";
    assert_eq!(idl.address, usd1::ID.to_string());
    if update {
        std::fs::write(&committed_path, &generated).expect("write idl/usd1.json");
        std::fs::write(&stamp_path, stamp(&root, &generated) + "\n").expect("write the stamp");
        return;
    }
    assert!(
        committed == generated,
        "idl/usd1.json is not the IDL the program generates; refresh it with \
         `USD1_UPDATE_IDL=1 cargo test -p usd1-tests --test house idl::` and commit it"
    );
    panic!(
        "idl/usd1.json is current, but its stamp is not (the program changed without changing \
         the IDL): refresh it with `USD1_UPDATE_IDL=1 cargo test -p usd1-tests --test house idl::` \
         and commit idl/usd1.json.stamp"
    );
}

/// The client decodes every error code and event the program's IDL lists,
/// in the IDL's order: an error or event appended to the program but not to
/// `usd1::errors::ALL_ERRORS` or `usd1_events!` fails here.
#[test]
fn the_client_knows_every_error_and_event_of_the_idl() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let idl: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("idl/usd1.json")).unwrap()).unwrap();
    let errors: Vec<(u64, String)> = idl["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_u64().unwrap(),
                e["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let known: Vec<(u64, String)> = usd1_client::error::ALL_USD1_ERRORS
        .iter()
        .map(|e| (u64::from(u32::from(*e)), e.name()))
        .collect();
    assert_eq!(known, errors);
    let events: Vec<&str> = idl["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let mut decoded: Vec<&str> = usd1_client::Usd1Event::NAMES.to_vec();
    let mut listed = events.clone();
    decoded.sort_unstable();
    listed.sort_unstable();
    assert_eq!(decoded, listed, "events the client decodes vs the IDL's");
}
