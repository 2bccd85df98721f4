//! Account types, one file each. Every type keeps an `invariant()` that handlers
//! check after they mutate it.
/// `AccountSerialize` for a plain-bytes (`#[account(zero_copy)]`) account,
/// so that Anchor's `Account` can hold it: written back as its discriminator
/// and its bytes, a copy (its `AccountDeserialize`, from the attribute, is
/// the matching copy).
macro_rules! plain_account {
    ($account:ty) => {
        impl anchor_lang::AccountSerialize for $account {
            fn try_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<()> {
                use anchor_lang::Discriminator;
                writer
                    .write_all(<$account>::DISCRIMINATOR)
                    .and_then(|()| writer.write_all(bytemuck::bytes_of(self)))
                    .map_err(|_| error!(anchor_lang::error::ErrorCode::AccountDidNotSerialize))
            }
        }

        // No implicit padding (the Pod derive checks that), so its size is
        // the sum of its fields': what its `init` allocates.
        const _: () = assert!(core::mem::size_of::<$account>() == <$account>::INIT_SPACE);
    };
}
pub(crate) use plain_account;

pub mod attestation_history;
pub mod config;
pub mod disclosure;
pub mod minter;
pub mod redemption;

pub use attestation_history::*;
pub use config::*;
pub use disclosure::*;
pub use minter::*;
pub use redemption::*;
