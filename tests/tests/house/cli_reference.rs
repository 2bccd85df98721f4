//! The command-line reference in `docs/cli/` is what the binaries print
//! (issue 38). To refresh it after a change to a binary's flags:
//! `USD1_UPDATE_CLI_REFERENCE=1 cargo test -p usd1-tests --test house cli_reference`.
use std::path::PathBuf;

use usd1_tests::cli_reference::{reference, BINARIES};
use usd1_tests::tour::{binary, build_binaries};

#[test]
fn the_committed_reference_is_what_each_binary_prints() {
    build_binaries().expect("binaries");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let update = std::env::var_os("USD1_UPDATE_CLI_REFERENCE").is_some();
    let mut stale = Vec::new();
    let mut sections = 0;
    for (name, about) in BINARIES {
        let generated = reference(name, about, &binary(name).expect("binary")).expect("help");
        let path = root.join(format!("docs/cli/{name}.md"));
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        // Every subcommand has its section.
        sections += generated.matches("\n## `").count();
        if std::fs::read_to_string(&path).unwrap_or_default() != generated {
            stale.push(format!("docs/cli/{name}.md"));
        }
    }
    assert!(update || sections > 60, "{sections} sections");
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the binaries print; refresh with \
         `USD1_UPDATE_CLI_REFERENCE=1 cargo test -p usd1-tests --test house cli_reference` and commit"
    );
}
