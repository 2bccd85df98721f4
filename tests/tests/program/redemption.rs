//! The redemption queue (SECURITY.md items 9 and 10): request → settle and
//! request → reject with supply, balances, events and timestamps; the
//! disclosed fee; ids and listing; a pause never trapping holders. Refusals
//! are in `redemption_refusals.rs`, refunds to closed or changed sources in
//! `redemption_refunds.rs`.
use solana_sdk::signature::Signer;
use usd1::events;
use usd1_client::{sha256, RedemptionStatus, Usd1Error, Usd1Event};
use usd1_tests::*;

use usd1_tests::redemption::{funded_holder, refused, with_pending_request};

async fn request_then_settle(flavor: Flavor) {
    let f = funded_holder(flavor).await;
    let holder = f.holder.pubkey();
    let payout_ref = sha256(b"wire to ACME Bank 0042");
    let requested_at = f.now().await;
    let (id, done) = f
        .usd1
        .request_redemption(&f.holder, 400 * ONE, payout_ref)
        .await
        .unwrap();
    assert_eq!(id, 0);
    // 0.25% of 400 = 1 token.
    assert_eq!(
        done.events,
        vec![Usd1Event::RedemptionRequested(
            events::RedemptionRequested {
                mint: f.mint(),
                id,
                holder,
                source: f.usd1.token_account_of(&holder),
                amount: 400 * ONE,
                fee: ONE,
                payout: 399 * ONE,
                fee_bps: 25,
                payout_ref_sha256: payout_ref,
                requested_at,
                escrowed: 400 * ONE,
            }
        )]
    );
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 600 * ONE);
    let escrow = f
        .usd1
        .token_account(&f.usd1.escrow_address())
        .await
        .unwrap();
    assert_eq!(
        (escrow.amount, escrow.owner),
        (400 * ONE, f.config_address())
    );
    assert_eq!(
        f.supply().await,
        1_000 * ONE,
        "escrow does not change supply"
    );
    let record = f.usd1.redemption(id).await.unwrap();
    assert_eq!(
        (record.status, record.requested_at, record.resolved_at),
        (RedemptionStatus::Pending, requested_at, 0)
    );

    f.advance_clock(3_600).await;
    let settlement_ref = sha256(b"FED-REF-77");
    let done = f
        .usd1
        .settle_redemption(&f.treasurer, id, settlement_ref)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::RedemptionSettled(events::RedemptionSettled {
            mint: f.mint(),
            id,
            treasurer: f.treasurer.pubkey(),
            holder,
            amount: 400 * ONE,
            fee: ONE,
            payout: 399 * ONE,
            settlement_ref_sha256: settlement_ref,
            requested_at,
            settled_at: requested_at + 3_600,
            supply: 600 * ONE,
            escrowed: 0,
        })]
    );
    assert_eq!(f.supply().await, 600 * ONE);
    assert_eq!(
        f.usd1
            .token_account(&f.usd1.escrow_address())
            .await
            .unwrap()
            .amount,
        0
    );
    let record = f.usd1.redemption(id).await.unwrap();
    assert_eq!(record.status, RedemptionStatus::Settled);
    assert_eq!(record.resolved_at - record.requested_at, 3_600);
    assert_eq!(record.settlement_ref_sha256, settlement_ref);
    let config = f.usd1.config().await.unwrap();
    assert_eq!(
        (
            config.pending_redemptions,
            config.escrowed_amount,
            config.total_redeemed
        ),
        (0, 0, 400 * ONE)
    );
}

#[tokio::test]
async fn request_then_settle_on_token_2022() {
    request_then_settle(Flavor::Token2022).await;
}

#[tokio::test]
async fn request_then_settle_on_classic_token() {
    request_then_settle(Flavor::Token).await;
}

#[tokio::test]
async fn request_then_reject_refunds_the_holder() {
    let f = funded_holder(Flavor::Token2022).await;
    let holder = f.holder.pubkey();
    let (id, _) = f
        .usd1
        .request_redemption(&f.holder, 250 * ONE, [7; 32])
        .await
        .unwrap();
    let requested_at = f.usd1.redemption(id).await.unwrap().requested_at;
    f.advance_clock(60).await;
    let done = f
        .usd1
        .reject_redemption(&f.treasurer, id, 42)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::RedemptionRejected(events::RedemptionRejected {
            mint: f.mint(),
            id,
            treasurer: f.treasurer.pubkey(),
            holder,
            refunded_to: f.usd1.token_account_of(&holder),
            amount: 250 * ONE,
            reason_code: 42,
            requested_at,
            rejected_at: requested_at + 60,
            escrowed: 0,
        })]
    );
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 1_000 * ONE);
    assert_eq!(f.supply().await, 1_000 * ONE);
    let record = f.usd1.redemption(id).await.unwrap();
    assert_eq!(
        (record.status, record.reason_code),
        (RedemptionStatus::Rejected, 42)
    );
    let config = f.usd1.config().await.unwrap();
    assert_eq!(
        (
            config.pending_redemptions,
            config.escrowed_amount,
            config.total_redeemed
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn the_fee_is_exact_and_rounds_down() {
    let f = funded_holder(Flavor::Token2022).await;
    // 10.000039 × 0.25% = 0.0250000975 → 25,000 base units.
    let (_, done) = f
        .usd1
        .request_redemption(&f.holder, 10_000_039, [0; 32])
        .await
        .unwrap();
    let Usd1Event::RedemptionRequested(event) = &done.events[0] else {
        panic!()
    };
    assert_eq!((event.fee, event.payout), (25_000, 10_000_039 - 25_000));
    assert_eq!(f.usd1.redemption(0).await.unwrap().fee, 25_000);
}

#[tokio::test]
async fn ids_are_dense_and_listed_by_status() {
    let f = funded_holder(Flavor::Token2022).await;
    for amount in [10, 20, 30, 40] {
        f.usd1
            .request_redemption(&f.holder, amount * ONE, [0; 32])
            .await
            .unwrap();
    }
    f.usd1
        .settle_redemption(&f.treasurer, 1, [1; 32])
        .await
        .unwrap();
    f.usd1.reject_redemption(&f.treasurer, 2, 9).await.unwrap();
    let ids =
        |list: Vec<usd1_client::Redemption>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(f.usd1.redemptions(None).await.unwrap()),
        vec![0, 1, 2, 3]
    );
    assert_eq!(
        ids(f
            .usd1
            .redemptions(Some(RedemptionStatus::Pending))
            .await
            .unwrap()),
        vec![0, 3]
    );
    assert_eq!(
        ids(f
            .usd1
            .redemptions(Some(RedemptionStatus::Settled))
            .await
            .unwrap()),
        vec![1]
    );
    assert_eq!(
        ids(f
            .usd1
            .redemptions(Some(RedemptionStatus::Rejected))
            .await
            .unwrap()),
        vec![2]
    );
    let config = f.usd1.config().await.unwrap();
    assert_eq!(
        (config.pending_redemptions, config.escrowed_amount),
        (2, 50 * ONE)
    );
    assert_eq!(
        f.usd1
            .token_account(&f.usd1.escrow_address())
            .await
            .unwrap()
            .amount,
        50 * ONE
    );
}

#[tokio::test]
async fn a_pause_never_traps_holders() {
    let f = with_pending_request(Flavor::Token2022).await;
    f.usd1.pause(&f.pauser).await.unwrap();
    // Requests and rejections go on; settlement (a supply change) waits.
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    let before = f.snapshot().await;
    refused(
        &f,
        f.usd1.settle_redemption(&f.treasurer, 0, [0; 32]).await,
        Usd1Error::Paused,
        &before,
    )
    .await;
    f.usd1.reject_redemption(&f.treasurer, 1, 1).await.unwrap();
    f.usd1.unpause(&f.pauser).await.unwrap();
    f.usd1
        .settle_redemption(&f.treasurer, 0, [0; 32])
        .await
        .unwrap();
}
