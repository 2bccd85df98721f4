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
            ///
            /// Every byte must be read: an event written by an earlier
            /// layout is read by that layout ([`legacy`]), never half-read
            /// by today's.
            pub fn decode(data: &[u8]) -> Option<Self> {
                let body = data.strip_prefix(anchor_lang::event::EVENT_IX_TAG_LE)?;
                $(
                    if let Some(fields) = body.strip_prefix(events::$name::DISCRIMINATOR) {
                        return whole::<events::$name>(fields)
                            .map(Self::$name)
                            .or_else(|| legacy::decode(stringify!($name), fields));
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

/// `T` read from `bytes`, all of them.
fn whole<T: AnchorDeserialize>(mut bytes: &[u8]) -> Option<T> {
    let value = T::deserialize(&mut bytes).ok()?;
    bytes.is_empty().then_some(value)
}

/// Layouts the program wrote before: `Frozen` and `Thawed` without a reason
/// code or an order's hash, `Seized` without the order's hash (issue 25
/// added them). A deployment upgraded since keeps those events in its
/// history; the audit, the gateway and the reports read them with the
/// fields they lacked at zero (no reason, no order cited).
mod legacy {
    use anchor_lang::AnchorDeserialize;
    use solana_sdk::pubkey::Pubkey;
    use usd1::events;

    use super::{whole, Usd1Event};

    #[derive(AnchorDeserialize)]
    struct FreezeV1 {
        mint: Pubkey,
        freezer: Pubkey,
        token_account: Pubkey,
    }

    #[derive(AnchorDeserialize)]
    struct SeizedV1 {
        mint: Pubkey,
        admin: Pubkey,
        from: Pubkey,
        to: Pubkey,
        amount: u64,
        reason_code: u16,
        refrozen: bool,
    }

    pub(super) fn decode(name: &str, fields: &[u8]) -> Option<Usd1Event> {
        match name {
            "Frozen" | "Thawed" => {
                let FreezeV1 {
                    mint,
                    freezer,
                    token_account,
                } = whole(fields)?;
                Some(if name == "Frozen" {
                    Usd1Event::Frozen(events::Frozen {
                        mint,
                        freezer,
                        token_account,
                        reason_code: 0,
                        order_sha256: [0; 32],
                    })
                } else {
                    Usd1Event::Thawed(events::Thawed {
                        mint,
                        freezer,
                        token_account,
                        reason_code: 0,
                        order_sha256: [0; 32],
                    })
                })
            }
            "Seized" => {
                let old: SeizedV1 = whole(fields)?;
                Some(Usd1Event::Seized(events::Seized {
                    mint: old.mint,
                    admin: old.admin,
                    from: old.from,
                    to: old.to,
                    amount: old.amount,
                    reason_code: old.reason_code,
                    order_sha256: [0; 32],
                    refrozen: old.refrozen,
                }))
            }
            _ => None,
        }
    }
}

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

#[cfg(test)]
mod tests {
    use anchor_lang::{AnchorSerialize, Discriminator};

    use super::*;

    /// The bytes of an event as the program's self-CPI carries them.
    fn event_bytes(discriminator: &[u8], fields: &[u8]) -> Vec<u8> {
        [anchor_lang::event::EVENT_IX_TAG_LE, discriminator, fields].concat()
    }

    /// Issue 32: `Frozen`, `Thawed` and `Seized` written before issue 25
    /// (no reason code or order hash) still decode, with those at zero; a
    /// history of an upgraded deployment loses none of them.
    #[test]
    fn events_of_the_earlier_layout_still_decode() {
        let (mint, freezer, account) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let mut old_freeze = Vec::new();
        for key in [mint, freezer, account] {
            old_freeze.extend_from_slice(key.as_ref());
        }
        assert_eq!(old_freeze.len(), 96);
        let frozen = Usd1Event::decode(&event_bytes(events::Frozen::DISCRIMINATOR, &old_freeze));
        assert_eq!(
            frozen,
            Some(Usd1Event::Frozen(events::Frozen {
                mint,
                freezer,
                token_account: account,
                reason_code: 0,
                order_sha256: [0; 32],
            }))
        );
        let thawed = Usd1Event::decode(&event_bytes(events::Thawed::DISCRIMINATOR, &old_freeze));
        assert!(
            matches!(thawed, Some(Usd1Event::Thawed(t)) if t.token_account == account && t.reason_code == 0)
        );

        let (admin, to) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut old_seized = Vec::new();
        for key in [mint, admin, account, to] {
            old_seized.extend_from_slice(key.as_ref());
        }
        old_seized.extend_from_slice(&5_000_000u64.to_le_bytes());
        old_seized.extend_from_slice(&7u16.to_le_bytes());
        old_seized.push(1);
        assert_eq!(old_seized.len(), 139);
        let seized = Usd1Event::decode(&event_bytes(events::Seized::DISCRIMINATOR, &old_seized));
        assert_eq!(
            seized,
            Some(Usd1Event::Seized(events::Seized {
                mint,
                admin,
                from: account,
                to,
                amount: 5_000_000,
                reason_code: 7,
                order_sha256: [0; 32],
                refrozen: true,
            }))
        );

        // Today's layout reads as itself, and bytes of neither are refused.
        let now = events::Frozen {
            mint,
            freezer,
            token_account: account,
            reason_code: 3,
            order_sha256: [9; 32],
        };
        let mut fields = Vec::new();
        now.serialize(&mut fields).unwrap();
        let bytes = event_bytes(events::Frozen::DISCRIMINATOR, &fields);
        assert_eq!(Usd1Event::decode(&bytes), Some(Usd1Event::Frozen(now)));
        let mut torn = old_freeze.clone();
        torn.push(0);
        assert_eq!(
            Usd1Event::decode(&event_bytes(events::Frozen::DISCRIMINATOR, &torn)),
            None
        );
    }
}
