//! The redemption tests' set-up: a funded holder under a published
//! disclosure, and "refused with exactly this error, nothing changed".
use solana_sdk::signature::Signer;
use usd1_client::Usd1Error;

use crate::*;

/// Disclosure published; the holder holds 1,000 tokens.
pub async fn funded_holder(flavor: Flavor) -> Fixture {
    let f = Fixture::with_reserve(flavor, 10_000 * ONE).await;
    open_to_redemption(&f).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 1_000 * ONE)
        .await
        .unwrap();
    f
}

/// [`funded_holder`] with request 0 of 100 tokens pending.
pub async fn with_pending_request(flavor: Flavor) -> Fixture {
    let f = funded_holder(flavor).await;
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .expect("request 0");
    f
}

/// Publishes the default disclosure, so that redemptions open, and funds
/// the holder's fees and rent.
pub async fn open_to_redemption<B: Backend>(f: &Fixture<B>) {
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .expect("disclosure");
    f.fund(&f.holder.pubkey()).await;
}

pub async fn refused(
    f: &Fixture,
    result: Result<impl std::fmt::Debug, usd1_client::ClientError>,
    expected: Usd1Error,
    before: &std::collections::BTreeMap<solana_sdk::pubkey::Pubkey, Option<Vec<u8>>>,
) {
    assert_usd1_error(result, expected);
    assert_eq!(
        &f.snapshot().await,
        before,
        "state changed on a refused {expected:?}"
    );
}
