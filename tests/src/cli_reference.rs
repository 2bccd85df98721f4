//! The command-line reference in `docs/cli/`: each binary's `--help`, and
//! every subcommand's, as the binary prints it (run with an empty
//! environment, so no variable a flag reads shows up as a default). A
//! test compares the committed files with what the binaries print now.
use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context as _, Result};

/// The binaries the reference covers, with a line on what each is.
pub const BINARIES: [(&str, &str); 5] = [
    (
        "usd1",
        "the issuer's, holder's and auditor's command line ([issuing](../issuing.md), [auditing](../auditing.md), [compliance](../compliance.md))",
    ),
    (
        "usd1-oracle",
        "the reserve attestation daemon and co-signer ([attesting](../attesting.md))",
    ),
    (
        "usd1-gateway",
        "the payments gateway ([payments](../payments.md), [compliance](../compliance.md#cases-in-the-gateway))",
    ),
    (
        "usd1-desk",
        "the issuance desk: customers' wires in, USD1 minted ([desk](../desk.md))",
    ),
    (
        "usd1-localnet",
        "the whole platform on one machine behind Solana JSON-RPC and PubSub ([localnet](../localnet.md))",
    ),
];

/// `binary words… --help`, as a user's terminal shows it.
fn help(binary: &Path, words: &[String]) -> Result<String> {
    let out = Command::new(binary)
        .args(words)
        .arg("--help")
        .env_clear()
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    ensure!(
        out.status.success(),
        "{} {} --help exited {}: {}",
        binary.display(),
        words.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// The subcommands a help text lists (its `Commands:` block), but `help`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim_end() != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        // A subcommand's line is indented by two; a wrapped description more.
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The reference of `name` (the binary at `binary`), as Markdown.
pub fn reference(name: &str, about: &str, binary: &Path) -> Result<String> {
    let mut out = format!(
        "# `{name}` reference\n\n`{name}`: {about}. Each section is what `{name} … --help` prints; \
         generated from the binary by `USD1_UPDATE_CLI_REFERENCE=1 cargo test -p usd1-tests --test house cli_reference`, \
         and a test fails when this file and the binary disagree.\n"
    );
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(words) = queue.pop() {
        let text = help(binary, &words)?;
        let title = std::iter::once(name.to_string())
            .chain(words.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!(
            "\n## `{title}`\n\n```text\n{}\n```\n",
            text.trim_end()
        ));
        // Depth first, in the order the help lists them.
        for sub in subcommands(&text).into_iter().rev() {
            let mut next = words.clone();
            next.push(sub);
            queue.push(next);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_commands_block_is_read_without_help_or_wrapped_lines() {
        let help = "About\n\nUsage: x <COMMAND>\n\nCommands:\n  init   Make one\n  list   Every one,\n         wrapped\n  help   Print this\n\nOptions:\n  -h  Help\n";
        assert_eq!(super::subcommands(help), vec!["init", "list"]);
    }
}
