//! End to end through the real binaries: `usd1-localnet` as its own process,
//! `usd1` and `usd1-oracle` run over HTTP, outcomes checked on-chain.
use usd1_tests::tour;

#[tokio::test(flavor = "multi_thread")]
async fn the_platform_tour_runs_through_the_real_binaries() {
    // `cargo test --workspace` builds the three binaries (each package has
    // tests of its own binary); `tour::binary` finds them.
    let dir = tempfile::tempdir().unwrap();
    let steps = std::sync::Mutex::new(Vec::new());
    tour::run(dir.path(), &|line: &str| {
        steps.lock().unwrap().push(line.to_string())
    })
    .await
    .unwrap();
    let steps = steps.into_inner().unwrap();
    let text = steps.join("\n");
    assert!(text.contains("refused — ReserveExceeded"), "{text}");
    assert!(
        text.contains("usd1 status: supply 599000, reserve 1000000"),
        "{text}"
    );
    assert!(text.contains("usd1 audit:"), "{text}");
    assert!(text.ends_with("usd1-localnet stopped on SIGTERM"), "{text}");
}
