//! Minting rate limits per minter (issue 14, item 3): beside its lifetime
//! allowance, a minter's capacity refills linearly to `window_cap` over
//! `window_secs`, so a compromised minter key cannot mint its whole
//! allowance in a minute. Every refusal names `MintRateExceeded` and changes
//! nothing; the `Minted` event carries the capacity left.
use proptest::prelude::*;
use solana_sdk::signature::Signer;
use usd1::instructions::ConfigureMinterArgs;
use usd1_client::{ClientError, Usd1Error, Usd1Event};
use usd1_tests::*;

const WINDOW: u32 = 100;
const CAP: u64 = 10 * ONE;

async fn limited(allowance: u64) -> Fixture {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000_000 * ONE).await;
    f.usd1
        .configure_minter_with(
            &f.admin,
            &f.minter.pubkey(),
            ConfigureMinterArgs {
                allowance,
                window_secs: WINDOW,
                window_cap: CAP,
            },
        )
        .await
        .unwrap();
    f
}

fn capacity_left(events: &[Usd1Event]) -> Option<u64> {
    events.iter().find_map(|e| match e {
        Usd1Event::Minted(m) => m.capacity_remaining,
        _ => None,
    })
}

#[tokio::test]
async fn fails_when_a_mint_exceeds_the_minters_rate_limited_capacity() {
    let f = limited(1_000 * ONE).await;
    let holder = f.holder.pubkey();
    // The capacity starts full: the whole cap at once.
    let done = f.usd1.mint_to(&f.minter, &holder, CAP).await.unwrap();
    assert_eq!(capacity_left(&done.events), Some(0));
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.mint_to(&f.minter, &holder, 1).await,
        Usd1Error::MintRateExceeded,
    );
    assert_eq!(f.snapshot().await, before);

    // Half the window refills half the cap, to the base unit.
    f.advance_clock(i64::from(WINDOW) / 2).await;
    assert_usd1_error(
        f.usd1.mint_to(&f.minter, &holder, CAP / 2 + 1).await,
        Usd1Error::MintRateExceeded,
    );
    let done = f.usd1.mint_to(&f.minter, &holder, CAP / 2).await.unwrap();
    assert_eq!(capacity_left(&done.events), Some(0));

    // A long pause refills to the cap, never beyond.
    f.advance_clock(10 * i64::from(WINDOW)).await;
    let record = f.usd1.minter_allowance(&f.minter.pubkey()).await.unwrap();
    assert_eq!(record.capacity_now(f.now().await).unwrap(), Some(CAP));
    assert_usd1_error(
        f.usd1.mint_to(&f.minter, &holder, CAP + 1).await,
        Usd1Error::MintRateExceeded,
    );
    let done = f.usd1.mint_to(&f.minter, &holder, 3 * ONE).await.unwrap();
    assert_eq!(capacity_left(&done.events), Some(CAP - 3 * ONE));
    // The lifetime allowance still binds beside it.
    let record = f.usd1.minter_allowance(&f.minter.pubkey()).await.unwrap();
    assert_eq!(record.allowance, 1_000 * ONE - CAP - CAP / 2 - 3 * ONE);
}

#[tokio::test]
async fn a_minter_without_a_rate_limit_is_limited_by_its_allowance_alone() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let done = f
        .usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 500 * ONE)
        .await
        .unwrap();
    assert_eq!(capacity_left(&done.events), None);
}

#[tokio::test]
async fn reconfiguring_never_refills_the_capacity_and_bad_limits_are_refused() {
    let f = limited(1_000 * ONE).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 8 * ONE)
        .await
        .unwrap();
    // A bigger allowance, the same window: the 2 left stay 2.
    let done = f
        .usd1
        .configure_minter_with(
            &f.admin,
            &f.minter.pubkey(),
            ConfigureMinterArgs {
                allowance: 2_000 * ONE,
                window_secs: WINDOW,
                window_cap: CAP,
            },
        )
        .await
        .unwrap();
    match &done.events[0] {
        Usd1Event::MinterConfigured(e) => {
            assert_eq!((e.window_secs, e.window_cap), (WINDOW, CAP))
        }
        other => panic!("{other:?}"),
    }
    assert_usd1_error(
        f.usd1
            .mint_to(&f.minter, &f.holder.pubkey(), 2 * ONE + 1)
            .await,
        Usd1Error::MintRateExceeded,
    );
    let before = f.snapshot().await;
    for bad in [
        ConfigureMinterArgs {
            allowance: ONE,
            window_secs: 60,
            window_cap: 0,
        },
        ConfigureMinterArgs {
            allowance: ONE,
            window_secs: 0,
            window_cap: ONE,
        },
        ConfigureMinterArgs {
            allowance: ONE,
            window_secs: usd1::constants::MAX_RATE_WINDOW_SECS + 1,
            window_cap: ONE,
        },
    ] {
        assert_usd1_error(
            f.usd1
                .configure_minter_with(&f.admin, &f.minter.pubkey(), bad)
                .await,
            Usd1Error::InvalidRateLimit,
        );
    }
    assert_eq!(f.snapshot().await, before);
}

#[derive(Clone, Debug)]
enum Step {
    Mint(u64),
    Advance(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1..=15u64).prop_map(|t| Step::Mint(t * ONE)),
        1 => (1..=3 * ONE).prop_map(Step::Mint),
        2 => (0..=i64::from(2 * WINDOW)).prop_map(Step::Advance),
    ]
}

/// Runs `steps` and checks, after each, that the program agreed with the
/// model (a linearly refilling capacity and a lifetime allowance).
async fn run(steps: Vec<Step>) {
    let allowance = 6 * CAP;
    let f = limited(allowance).await;
    let holder = f.holder.pubkey();
    let start = f.now().await;
    let mut now = start;
    // (time, amount) of every mint that landed.
    let mut minted: Vec<(i64, u64)> = Vec::new();
    let (mut capacity, mut at) = (u128::from(CAP), now);
    for step in steps {
        match step {
            Step::Advance(seconds) => {
                f.advance_clock(seconds).await;
                now += seconds;
            }
            Step::Mint(amount) => {
                let refilled = (capacity
                    + u128::from(CAP) * u128::try_from(now - at).unwrap() / u128::from(WINDOW))
                .min(u128::from(CAP));
                let left: u64 = allowance - minted.iter().map(|(_, a)| a).sum::<u64>();
                let result = f.usd1.mint_to(&f.minter, &holder, amount).await;
                let allowed = amount <= left && u128::from(amount) <= refilled;
                match &result {
                    Ok(_) => {
                        assert!(
                            allowed,
                            "minted {amount} with {refilled} capacity, {left} allowance"
                        );
                        capacity = refilled - u128::from(amount);
                        at = now;
                        minted.push((now, amount));
                    }
                    Err(ClientError::Failed { failure, .. }) => {
                        assert!(!allowed, "refused {amount} with {refilled} capacity, {left} allowance: {failure}");
                        let expected = if amount > left {
                            Usd1Error::AllowanceExceeded
                        } else {
                            Usd1Error::MintRateExceeded
                        };
                        assert!(failure.is(expected), "{failure}");
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        }
    }
    // Never above the allowance; and over any stretch of time T, never more
    // than a full capacity plus what T refills (cap + cap × T / window). A
    // linearly refilling capacity can give a full cap and, over the next
    // window, another: no sliding window holds it to one cap.
    let total: u64 = minted.iter().map(|(_, a)| a).sum();
    assert!(total <= allowance);
    for (i, (from, _)) in minted.iter().enumerate() {
        let mut sum = 0u128;
        for (to, amount) in &minted[i..] {
            sum += u128::from(*amount);
            let bound = u128::from(CAP)
                + u128::from(CAP) * u128::try_from(to - from).unwrap() / u128::from(WINDOW);
            assert!(
                sum <= bound,
                "{sum} minted in {} s, bound {bound}",
                to - from
            );
        }
    }
    let record = f.usd1.minter_allowance(&f.minter.pubkey()).await.unwrap();
    assert_eq!(record.allowance, allowance - total);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn never_beyond_the_refilled_capacity_nor_the_allowance(
        steps in proptest::collection::vec(step(), 1..30),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(steps));
    }
}
