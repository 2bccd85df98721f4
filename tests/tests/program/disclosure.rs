//! The on-chain disclosure: published by the admin, bounded, versioned, and
//! always carrying the program's own not-insured statement.
use solana_sdk::signature::Signer;
use usd1::constants::NOT_INSURED_STATEMENT;
use usd1::events;
use usd1::instructions::DisclosureArgs;
use usd1_client::{Usd1Error, Usd1Event};
use usd1_tests::*;

#[tokio::test]
async fn publishes_and_updates_with_events() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = default_disclosure();
    let now = f.now().await;
    let done = f.usd1.set_disclosure(&f.admin, args.clone()).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::DisclosureSet(events::DisclosureSet {
            mint: f.mint(),
            admin: f.admin.pubkey(),
            version: 1,
            legal_name: args.legal_name.clone(),
            terms_uri: args.terms_uri.clone(),
            terms_sha256: args.terms_sha256,
            min_redemption: args.min_redemption,
            redemption_fee_bps: args.redemption_fee_bps,
            settlement_target_secs: args.settlement_target_secs,
            reserve_report_uri: args.reserve_report_uri.clone(),
        })]
    );
    let disclosure = f.usd1.disclosure().await.unwrap();
    assert_eq!(disclosure.not_insured_statement, NOT_INSURED_STATEMENT);
    assert_eq!((disclosure.version, disclosure.updated_at), (1, now));
    assert_eq!(disclosure.config, f.config_address());

    f.advance_clock(10).await;
    let updated = DisclosureArgs {
        redemption_fee_bps: 0,
        min_redemption: ONE,
        ..args
    };
    f.usd1.set_disclosure(&f.admin, updated).await.unwrap();
    let disclosure = f.usd1.disclosure().await.unwrap();
    assert_eq!((disclosure.version, disclosure.updated_at), (2, now + 10));
    assert_eq!(
        (disclosure.redemption_fee_bps, disclosure.min_redemption),
        (0, ONE)
    );
}

#[tokio::test]
async fn fails_when_the_disclosure_is_out_of_bounds() {
    let f = Fixture::new(Flavor::Token2022).await;
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    let base = default_disclosure();
    let cases = [
        (
            DisclosureArgs {
                legal_name: String::new(),
                ..base.clone()
            },
            Usd1Error::InvalidLegalName,
        ),
        (
            DisclosureArgs {
                legal_name: "x".repeat(65),
                ..base.clone()
            },
            Usd1Error::InvalidLegalName,
        ),
        (
            DisclosureArgs {
                terms_uri: String::new(),
                ..base.clone()
            },
            Usd1Error::InvalidDisclosureUri,
        ),
        (
            DisclosureArgs {
                reserve_report_uri: "u".repeat(201),
                ..base.clone()
            },
            Usd1Error::InvalidDisclosureUri,
        ),
        (
            DisclosureArgs {
                redemption_fee_bps: 101,
                ..base.clone()
            },
            Usd1Error::FeeTooHigh,
        ),
        (
            DisclosureArgs {
                settlement_target_secs: 0,
                ..base.clone()
            },
            Usd1Error::InvalidSettlementTarget,
        ),
        (
            DisclosureArgs {
                settlement_target_secs: 30 * 86_400 + 1,
                ..base.clone()
            },
            Usd1Error::InvalidSettlementTarget,
        ),
    ];
    let before = f.snapshot().await;
    for (args, expected) in cases {
        assert_usd1_error(f.usd1.set_disclosure(&f.admin, args).await, expected);
    }
    assert_usd1_error(
        f.usd1.set_disclosure(&f.pauser, base).await,
        Usd1Error::NotAdmin,
    );
    assert_eq!(f.snapshot().await, before);
}
