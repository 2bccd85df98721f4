//! Properties over random sequences of attest / mint / burn / policy changes /
//! pause / clock jumps / redemption requests, settlements and rejections,
//! checked against a model after every step: every operation succeeds exactly
//! when the model says it should; after a mint, supply ≤ margin-adjusted
//! attested reserve; allowances and totals agree with what was minted and
//! burned; the escrow holds exactly the sum of pending redemptions.
use proptest::prelude::*;
use solana_sdk::signature::Signer;
use usd1::constants::BPS_DENOMINATOR;
use usd1::instructions::PolicyArgs;
use usd1_client::ClientError;
use usd1_tests::*;

#[derive(Clone, Debug)]
enum Op {
    Attest {
        reserve: u64,
    },
    Mint {
        amount: u64,
    },
    Burn {
        amount: u64,
    },
    SetMargin {
        bps: u16,
    },
    SetMaxAge {
        seconds: i64,
    },
    SetAllowance {
        allowance: u64,
    },
    Pause,
    Unpause,
    Advance {
        seconds: i64,
    },
    Request {
        amount: u64,
    },
    /// Settle or reject the pending request at this position (modulo the count).
    Settle {
        pick: usize,
    },
    Reject {
        pick: usize,
    },
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
        3 => (0..=120u64).prop_map(|t| Op::Request { amount: t * ONE / 2 }),
        2 => any::<usize>().prop_map(|pick| Op::Settle { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Reject { pick }),
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
    /// Pending redemptions: (id, amount).
    pending: Vec<(u64, u64)>,
    next_id: u64,
    min_redemption: u64,
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
        pending: vec![],
        next_id: 0,
        min_redemption: default_disclosure().min_redemption,
    };
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    // The minter redeems its own tokens and pays the rent of each request record.
    f.fund(&f.minter.pubkey()).await;
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
            Op::Request { amount } => {
                let expected =
                    amount > 0 && amount >= m.min_redemption && amount <= m.minter_balance;
                let result = f.usd1.request_redemption(&f.minter, amount, [0; 32]).await;
                assert_eq!(outcome(result), expected, "request {amount} with {m:?}");
                if expected {
                    m.pending.push((m.next_id, amount));
                    m.next_id += 1;
                    m.minter_balance -= amount;
                }
            }
            Op::Settle { pick } => {
                let Some(index) = (!m.pending.is_empty()).then(|| pick % m.pending.len()) else {
                    continue;
                };
                let (id, amount) = m.pending[index];
                let ok = outcome(f.usd1.settle_redemption(&f.treasurer, id, [1; 32]).await);
                assert_eq!(ok, !m.paused, "settle {id} with {m:?}");
                if ok {
                    m.pending.remove(index);
                    m.supply -= amount;
                }
            }
            Op::Reject { pick } => {
                let Some(index) = (!m.pending.is_empty()).then(|| pick % m.pending.len()) else {
                    continue;
                };
                let (id, amount) = m.pending.remove(index);
                assert!(
                    outcome(f.usd1.reject_redemption(&f.treasurer, id, 2).await),
                    "reject {id}"
                );
                m.minter_balance += amount;
            }
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
        let redeemed: u64 = config.total_redeemed;
        assert_eq!(
            config.total_minted - config.total_burned - redeemed,
            m.supply
        );
        // The escrow holds exactly what the pending requests add up to.
        let pending_sum: u64 = m.pending.iter().map(|(_, amount)| amount).sum();
        let escrow = f
            .usd1
            .token_account(&f.usd1.escrow_address())
            .await
            .unwrap();
        assert_eq!(escrow.amount, pending_sum);
        assert_eq!(
            (config.escrowed_amount, config.pending_redemptions),
            (pending_sum, m.pending.len() as u64)
        );
        let on_chain_pending: u64 = f
            .usd1
            .redemptions(Some(usd1_client::RedemptionStatus::Pending))
            .await
            .unwrap()
            .iter()
            .map(|r| r.amount)
            .sum();
        assert_eq!(on_chain_pending, pending_sum);
        assert_eq!(f.usd1.balance(&minter).await.unwrap(), m.minter_balance);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn supply_reserve_allowance_and_escrow_stay_consistent(
        funded in any::<bool>(),
        random in proptest::collection::vec(op(), 1..40),
    ) {
        // Half the cases start with reserve and tokens in hand, so that
        // redemptions (which need both) are exercised as often as the gate.
        let mut ops = Vec::new();
        if funded {
            ops.push(Op::Attest { reserve: 5_000 * ONE });
            ops.push(Op::Mint { amount: 1_000 * ONE });
        }
        ops.extend(random);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(ops));
    }
}
