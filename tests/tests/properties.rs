//! Properties over random sequences of attest / mint / burn / policy changes /
//! pause / clock jumps, checked against a model after every step: every
//! operation succeeds exactly when the model says it should; after a mint,
//! supply ≤ margin-adjusted attested reserve; allowances and totals agree with
//! what was minted and burned.
use proptest::prelude::*;
use solana_sdk::signature::Signer;
use usd1::constants::BPS_DENOMINATOR;
use usd1::instructions::PolicyArgs;
use usd1_client::ClientError;
use usd1_tests::*;

#[derive(Clone, Debug)]
enum Op {
    Attest { reserve: u64 },
    Mint { amount: u64 },
    Burn { amount: u64 },
    SetMargin { bps: u16 },
    SetMaxAge { seconds: i64 },
    SetAllowance { allowance: u64 },
    Pause,
    Unpause,
    Advance { seconds: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..=2_000u64).prop_map(|t| Op::Attest { reserve: t * ONE / 2 }),
        6 => (0..=600u64).prop_map(|t| Op::Mint { amount: t * ONE / 3 }),
        2 => (0..=300u64).prop_map(|t| Op::Burn { amount: t * ONE / 3 }),
        1 => (0..=2_500u16).prop_map(|bps| Op::SetMargin { bps }),
        1 => (1..=7_200i64).prop_map(|seconds| Op::SetMaxAge { seconds }),
        1 => (0..=3_000u64).prop_map(|t| Op::SetAllowance { allowance: t * ONE }),
        1 => Just(Op::Pause),
        1 => Just(Op::Unpause),
        2 => (0..=5_000i64).prop_map(|seconds| Op::Advance { seconds }),
    ]
}

/// What the program should hold, computed independently of it.
#[derive(Debug)]
struct Model {
    supply: u64,
    minter_balance: u64,
    allowance: u64,
    minted: u64,
    burned: u64,
    reserve: Option<(u64, i64)>,
    margin_bps: u16,
    max_age: i64,
    paused: bool,
}

impl Model {
    fn ceiling(&self) -> u64 {
        let (reserve, _) = self.reserve.unwrap_or((0, 0));
        (u128::from(reserve) * u128::from(BPS_DENOMINATOR - self.margin_bps)
            / u128::from(BPS_DENOMINATOR)) as u64
    }

    fn may_mint(&self, amount: u64, now: i64) -> bool {
        let fresh = self
            .reserve
            .is_some_and(|(_, as_of)| now - as_of <= self.max_age);
        !self.paused
            && amount > 0
            && amount <= self.allowance
            && fresh
            && self.supply + amount <= self.ceiling()
    }
}

fn outcome(result: Result<impl std::fmt::Debug, ClientError>) -> bool {
    match result {
        Ok(_) => true,
        Err(ClientError::Failed { .. }) => false,
        Err(other) => panic!("not a program refusal: {other}"),
    }
}

async fn run(ops: Vec<Op>) {
    let f = Fixture::new(Flavor::Token2022).await;
    let config = f.usd1.config().await.unwrap();
    let mut m = Model {
        supply: 0,
        minter_balance: 0,
        allowance: MINTER_ALLOWANCE,
        minted: 0,
        burned: 0,
        reserve: None,
        margin_bps: config.margin_bps,
        max_age: config.max_attestation_age,
        paused: false,
    };
    let minter = f.minter.pubkey();
    for op in ops {
        let now = f.now().await;
        match op {
            Op::Attest { reserve } => {
                let args = f.next_args(reserve).await;
                assert!(
                    outcome(f.usd1.attest(args, &f.signers(2)).await),
                    "attest refused"
                );
                m.reserve = Some((reserve, args.as_of));
            }
            Op::Mint { amount } => {
                let expected = m.may_mint(amount, now);
                let ok = outcome(f.usd1.mint_to(&f.minter, &minter, amount).await);
                assert_eq!(ok, expected, "mint {amount} with {m:?} at {now}");
                if ok {
                    m.supply += amount;
                    m.minter_balance += amount;
                    m.allowance -= amount;
                    m.minted += amount;
                    // The property: right after a mint, supply is within the attested reserve.
                    assert!(f.supply().await <= m.ceiling());
                }
            }
            Op::Burn { amount } => {
                let expected = amount > 0 && amount <= m.minter_balance;
                let ok = outcome(f.usd1.burn(&f.minter, amount).await);
                assert_eq!(ok, expected, "burn {amount} with {m:?}");
                if ok {
                    m.supply -= amount;
                    m.minter_balance -= amount;
                    m.burned += amount;
                }
            }
            Op::SetMargin { bps } => {
                let expected = bps != m.margin_bps;
                let args = PolicyArgs {
                    margin_bps: Some(bps),
                    ..Default::default()
                };
                assert_eq!(outcome(f.usd1.set_policy(&f.admin, args).await), expected);
                m.margin_bps = bps;
            }
            Op::SetMaxAge { seconds } => {
                let expected = seconds != m.max_age;
                let args = PolicyArgs {
                    max_attestation_age: Some(seconds),
                    ..Default::default()
                };
                assert_eq!(outcome(f.usd1.set_policy(&f.admin, args).await), expected);
                m.max_age = seconds;
            }
            Op::SetAllowance { allowance } => {
                let expected = allowance != m.allowance;
                assert_eq!(
                    outcome(f.usd1.configure_minter(&f.admin, &minter, allowance).await),
                    expected
                );
                m.allowance = allowance;
            }
            Op::Pause => {
                assert_eq!(outcome(f.usd1.pause(&f.pauser).await), !m.paused);
                m.paused = true;
            }
            Op::Unpause => {
                assert_eq!(outcome(f.usd1.unpause(&f.pauser).await), m.paused);
                m.paused = false;
            }
            Op::Advance { seconds } => f.advance_clock(seconds).await,
        }
        // After every step the chain agrees with the model.
        assert_eq!(f.supply().await, m.supply);
        let record = f.usd1.minter_allowance(&minter).await.unwrap();
        assert_eq!(record.allowance, m.allowance);
        assert_eq!(
            (record.total_minted, record.total_burned),
            (m.minted, m.burned)
        );
        let config = f.usd1.config().await.unwrap();
        assert_eq!(
            (config.total_minted, config.total_burned),
            (m.minted, m.burned)
        );
        assert_eq!(config.total_minted - config.total_burned, m.supply);
        assert_eq!(f.usd1.balance(&minter).await.unwrap(), m.minter_balance);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn supply_never_outruns_the_attested_reserve(ops in proptest::collection::vec(op(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(ops));
    }
}
