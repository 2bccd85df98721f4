//! The committed IDL (`idl/usd1.json`) is the one the program's code generates
//! today (anchor-lang's `idl-build`, as `anchor build` does it). To refresh it:
//! `USD1_UPDATE_IDL=1 cargo test -p usd1-tests --test idl`.
use std::path::PathBuf;

#[test]
fn committed_idl_is_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().expect("workspace root");
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
    let committed_path = root.join("idl/usd1.json");
    if std::env::var_os("USD1_UPDATE_IDL").is_some() {
        std::fs::write(&committed_path, &generated).expect("write idl/usd1.json");
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "idl/usd1.json is not the IDL the program generates; refresh it with \
         `USD1_UPDATE_IDL=1 cargo test -p usd1-tests --test idl` and commit it"
    );
    assert_eq!(idl.address, usd1::ID.to_string());
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
