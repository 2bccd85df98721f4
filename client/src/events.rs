//! Decoding the program's events from the inner instructions of its self-CPI.
use anchor_lang::{AnchorDeserialize, Discriminator};
use solana_sdk::pubkey::Pubkey;
use usd1::events;

macro_rules! usd1_events {
    ($($name:ident),* $(,)?) => {
        /// Every event the program emits.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Usd1Event {
            $($name(events::$name),)*
        }

        impl Usd1Event {
            /// Decodes an event from the data of a self-CPI instruction of the
            /// program (`EVENT_IX_TAG_LE ‖ discriminator ‖ borsh`).
            pub fn decode(data: &[u8]) -> Option<Self> {
                let body = data.strip_prefix(anchor_lang::event::EVENT_IX_TAG_LE)?;
                $(
                    if let Some(mut fields) = body.strip_prefix(events::$name::DISCRIMINATOR) {
                        return events::$name::deserialize(&mut fields).ok().map(Self::$name);
                    }
                )*
                None
            }

            /// Every event's type name, in the order listed here.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];

            /// The event's type name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$name(_) => stringify!($name),)*
                }
            }
        }
    };
}

usd1_events!(
    Initialized,
    AdminProposed,
    AdminAccepted,
    RoleChanged,
    MinterConfigured,
    MinterRemoved,
    AttestorsChanged,
    PolicyChanged,
    ReserveAttested,
    Minted,
    Burned,
    Frozen,
    Thawed,
    Paused,
    Unpaused,
    RedemptionRequested,
    RedemptionSettled,
    RedemptionRejected,
    DisclosureSet,
    Seized,
    AdminProposalCancelled,
);

/// The events among a transaction's inner instructions, given as
/// (program id, data) pairs in execution order.
pub fn from_inner_instructions<'a>(
    inner: impl IntoIterator<Item = (&'a Pubkey, &'a [u8])>,
) -> Vec<Usd1Event> {
    inner
        .into_iter()
        .filter(|(program, _)| **program == usd1::ID)
        .filter_map(|(_, data)| Usd1Event::decode(data))
        .collect()
}
