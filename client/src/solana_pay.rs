//! Solana Pay transfer requests (the spec's `solana:` URL) and the rule by
//! which a transaction pays one: what the gateway issues and checks, what a
//! wallet reads, in one implementation.
//!
//! A transfer request names the recipient *wallet* (the wallet pays its
//! associated token account), an amount in decimal token units without an
//! exponent, the SPL token's mint, one or more `reference` keys the wallet
//! adds read-only to the transfer, and free-text label, message and memo.
use solana_sdk::pubkey::Pubkey;
use thiserror::Error;

use crate::amount::{format_amount, parse_amount};

/// A Solana Pay transfer request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRequest {
    pub recipient: Pubkey,
    /// Base units of `spl_token` (or lamports without one).
    pub amount: Option<u64>,
    pub spl_token: Option<Pubkey>,
    pub references: Vec<Pubkey>,
    pub label: Option<String>,
    pub message: Option<String>,
    pub memo: Option<String>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum UrlError {
    #[error("not a solana: URL")]
    NotSolanaPay,
    #[error("'{0}' is not a public key")]
    BadKey(String),
    #[error("amount '{0}' is not a decimal amount for this mint")]
    BadAmount(String),
    #[error("'{0}' is not a field of a transfer request")]
    UnknownField(String),
    #[error("a malformed percent escape in '{0}'")]
    BadEscape(String),
}

impl TransferRequest {
    /// The request's URL, fields in the spec's order; `decimals` are the
    /// mint's (9 for SOL).
    pub fn url(&self, decimals: u8) -> String {
        let mut fields: Vec<(&str, String)> = Vec::new();
        if let Some(amount) = self.amount {
            fields.push(("amount", format_amount(amount, decimals)));
        }
        if let Some(mint) = self.spl_token {
            fields.push(("spl-token", mint.to_string()));
        }
        for reference in &self.references {
            fields.push(("reference", reference.to_string()));
        }
        for (name, value) in [
            ("label", &self.label),
            ("message", &self.message),
            ("memo", &self.memo),
        ] {
            if let Some(value) = value {
                fields.push((name, percent_encode(value)));
            }
        }
        let query: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if query.is_empty() {
            format!("solana:{}", self.recipient)
        } else {
            format!("solana:{}?{}", self.recipient, query.join("&"))
        }
    }

    /// Reads a transfer request's URL back, as a wallet does.
    pub fn parse(url: &str, decimals: u8) -> Result<Self, UrlError> {
        let rest = url.strip_prefix("solana:").ok_or(UrlError::NotSolanaPay)?;
        let (recipient, query) = rest.split_once('?').unwrap_or((rest, ""));
        let key = |text: &str| {
            text.parse::<Pubkey>()
                .map_err(|_| UrlError::BadKey(text.to_string()))
        };
        let mut request = TransferRequest {
            recipient: key(recipient)?,
            amount: None,
            spl_token: None,
            references: Vec::new(),
            label: None,
            message: None,
            memo: None,
        };
        for field in query.split('&').filter(|f| !f.is_empty()) {
            let (name, value) = field.split_once('=').unwrap_or((field, ""));
            let value = percent_decode(value)?;
            match name {
                "amount" => {
                    if value.contains(['e', 'E']) {
                        return Err(UrlError::BadAmount(value));
                    }
                    let units = parse_amount(&value, decimals)
                        .map_err(|_| UrlError::BadAmount(value.clone()))?;
                    request.amount = Some(units);
                }
                "spl-token" => request.spl_token = Some(key(&value)?),
                "reference" => request.references.push(key(&value)?),
                "label" => request.label = Some(value),
                "message" => request.message = Some(value),
                "memo" => request.memo = Some(value),
                other => return Err(UrlError::UnknownField(other.to_string())),
            }
        }
        Ok(request)
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters
/// (JavaScript's `encodeURIComponent` less its `!'()*`).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Result<String, UrlError> {
    let bad = || UrlError::BadEscape(text.to_string());
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' => {
                let pair = bytes.get(at + 1..at + 3).ok_or_else(bad)?;
                let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
                out.push(u8::from_str_radix(pair, 16).map_err(|_| bad())?);
                at += 3;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// What one transaction did to one token account (the recipient's), read
/// from the node's pre/post token balances: Solana Pay's `validateTransfer`
/// reads the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    pub signature: solana_sdk::signature::Signature,
    pub slot: u64,
    pub block_time: Option<i64>,
    /// The account's mint, as the balances name it.
    pub mint: Pubkey,
    /// Base units before and after (0 where the account did not exist).
    pub pre: u64,
    pub post: u64,
    /// Lamports the fee payer paid.
    pub fee: u64,
    pub fee_payer: Pubkey,
    /// The token account the movement is of (the treasury's).
    pub account: Pubkey,
    /// The owners whose accounts of `mint` lost what this one gained: the
    /// sender(s), largest first.
    pub counterparties: Vec<Pubkey>,
    /// Each account of `mint` whose balance fell, with its owner: read from
    /// the balances before and after (an account closed in the transaction
    /// has no balance after, which is 0), largest first.
    pub senders: Vec<Sender>,
    /// Every key of the transaction (references among them).
    pub keys: Vec<Pubkey>,
    /// The texts of its SPL Memo instructions, in order.
    pub memos: Vec<String>,
    /// The USD1 program's events in it (a redemption's request or refund).
    pub events: Vec<crate::events::Usd1Event>,
}

/// An account that sent some of a movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sender {
    pub owner: Pubkey,
    pub account: Pubkey,
    /// Base units its balance fell by.
    pub amount: u64,
}

impl Movement {
    /// Base units the account received (negative: sent).
    pub fn delta(&self) -> i128 {
        i128::from(self.post) - i128::from(self.pre)
    }

    /// What the program itself did to this movement's account, by the
    /// events that name the account (a mint to it, a burn from it, a
    /// redemption it requested or had refunded, a seizure from or to it).
    /// Events about other accounts in the same transaction say nothing of
    /// this one: a payment beside someone's own redemption is a payment.
    pub fn program_kind(&self) -> Option<&'static str> {
        use crate::events::Usd1Event as E;
        let account = self.account;
        self.events.iter().find_map(|event| match event {
            E::RedemptionRequested(e) if e.source == account => Some("redemption_requested"),
            E::RedemptionRejected(e) if e.refunded_to == account => Some("redemption_refund"),
            E::Seized(e) if e.from == account || e.to == account => Some("seized"),
            E::Minted(e) if e.destination == account => Some("minted"),
            E::Burned(e) if e.source == account => Some("burned"),
            _ => None,
        })
    }
}

/// How a transaction compares with a transfer request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Exactly the amount.
    Paid,
    /// More than asked, by this much.
    Overpaid(u64),
    /// Less than asked, by this much.
    Underpaid(u64),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NotAPayment {
    #[error("the transaction moved another mint ({0})")]
    WrongMint(Pubkey),
    #[error("the transaction does not carry the reference {0}")]
    MissingReference(Pubkey),
    #[error("the recipient's account received nothing")]
    NothingReceived,
}

/// Solana Pay's `validateTransfer` for an SPL token: the recipient's
/// account of the right mint received something, the transaction names the
/// reference; the amount is then compared with what was asked.
pub fn validate(
    movement: &Movement,
    mint: &Pubkey,
    reference: Option<&Pubkey>,
    asked: u64,
) -> Result<Verdict, NotAPayment> {
    if movement.mint != *mint {
        return Err(NotAPayment::WrongMint(movement.mint));
    }
    if let Some(reference) = reference {
        if !movement.keys.contains(reference) {
            return Err(NotAPayment::MissingReference(*reference));
        }
    }
    let received = u64::try_from(movement.delta())
        .ok()
        .filter(|r| *r > 0)
        .ok_or(NotAPayment::NothingReceived)?;
    Ok(compare(received, asked))
}

/// What `received` (all paid against a request so far) is to `asked`.
pub fn compare(received: u64, asked: u64) -> Verdict {
    match received.cmp(&asked) {
        std::cmp::Ordering::Equal => Verdict::Paid,
        std::cmp::Ordering::Greater => Verdict::Overpaid(received - asked),
        std::cmp::Ordering::Less => Verdict::Underpaid(asked - received),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> TransferRequest {
        TransferRequest {
            recipient: Pubkey::new_unique(),
            amount: Some(1_250_500_000),
            spl_token: Some(Pubkey::new_unique()),
            references: vec![Pubkey::new_unique()],
            label: Some("Acme & Co".into()),
            message: Some("Order #42 — thanks".into()),
            memo: Some("invoice:inv_1".into()),
        }
    }

    #[test]
    fn url_follows_the_spec_and_reads_back() {
        let request = request();
        let url = request.url(6);
        let expected = format!(
            "solana:{}?amount=1250.5&spl-token={}&reference={}&label=Acme%20%26%20Co\
             &message=Order%20%2342%20%E2%80%94%20thanks&memo=invoice%3Ainv_1",
            request.recipient,
            request.spl_token.unwrap(),
            request.references[0]
        );
        assert_eq!(url, expected);
        assert_eq!(TransferRequest::parse(&url, 6), Ok(request));
    }

    #[test]
    fn amounts_are_plain_decimals() {
        let mut request = request();
        request.amount = Some(1);
        assert!(request.url(6).contains("amount=0.000001&"));
        request.amount = Some(7_000_000);
        assert!(request.url(6).contains("amount=7&"));
        let bad = format!("solana:{}?amount=1e3", request.recipient);
        assert_eq!(
            TransferRequest::parse(&bad, 6),
            Err(UrlError::BadAmount("1e3".into()))
        );
    }

    #[test]
    fn validate_compares_amounts_and_checks_mint_and_reference() {
        let mint = Pubkey::new_unique();
        let reference = Pubkey::new_unique();
        let movement = Movement {
            signature: Default::default(),
            slot: 1,
            block_time: None,
            mint,
            pre: 5,
            post: 105,
            fee: 5000,
            fee_payer: Pubkey::new_unique(),
            account: Pubkey::default(),
            counterparties: vec![],
            senders: vec![],
            keys: vec![reference],
            memos: vec![],
            events: vec![],
        };
        assert_eq!(
            validate(&movement, &mint, Some(&reference), 100),
            Ok(Verdict::Paid)
        );
        assert_eq!(
            validate(&movement, &mint, Some(&reference), 60),
            Ok(Verdict::Overpaid(40))
        );
        assert_eq!(
            validate(&movement, &mint, Some(&reference), 130),
            Ok(Verdict::Underpaid(30))
        );
        let other = Pubkey::new_unique();
        assert_eq!(
            validate(&movement, &other, Some(&reference), 100),
            Err(NotAPayment::WrongMint(mint))
        );
        assert_eq!(
            validate(&movement, &mint, Some(&other), 100),
            Err(NotAPayment::MissingReference(other))
        );
        let outgoing = Movement {
            post: 0,
            ..movement
        };
        assert_eq!(
            validate(&outgoing, &mint, None, 100),
            Err(NotAPayment::NothingReceived)
        );
    }
}
