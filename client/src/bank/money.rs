//! Bank amounts: exact decimals, never floats, and the currencies they are in.
//!
//! ISO 20022 amounts carry at most five decimal places
//! (`ActiveOrHistoricCurrencyAndAmount`: fractionDigits 5, totalDigits 18);
//! a BAI2 amount is a whole number of the currency's minor unit. Both are
//! held as a count of 1/100,000 of the currency's unit, which also makes a
//! dollar amount exact in USD1's six decimals ([`BankAmount::base_units`]).
use std::fmt;

/// A non-negative amount in 1/100,000 of its currency's unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BankAmount(pub u128);

/// Decimal places an ISO 20022 amount may have.
pub const SCALE: u32 = 5;
const ONE: u128 = 10u128.pow(SCALE);
/// ISO 20022's totalDigits for an amount.
const TOTAL_DIGITS: usize = 18;

impl BankAmount {
    /// Reads `1234.5`, `1234.56789`, `0.01`: digits with at most one point and
    /// at most five decimals, no sign, no exponent, no grouping.
    pub fn parse(text: &str) -> Option<Self> {
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(fraction)
            || fraction.len() > SCALE as usize
            || (text.contains('.') && fraction.is_empty())
            || whole.len() + fraction.len() > TOTAL_DIGITS
        {
            return None;
        }
        let whole: u128 = whole.parse().ok()?;
        let fraction: u128 = format!("{fraction:0<5}").parse().ok()?;
        Some(Self(whole * ONE + fraction))
    }

    /// A BAI2 amount: a whole count of minor units (`decimals` places: 2 for
    /// the dollar).
    pub fn from_minor(minor: u128, decimals: u32) -> Option<Self> {
        (decimals <= SCALE).then(|| Self(minor * 10u128.pow(SCALE - decimals)))
    }

    /// The amount in a token's base units with `decimals` places (six for
    /// USD1), when it is exact there.
    pub fn base_units(self, decimals: u32) -> Option<u128> {
        if decimals >= SCALE {
            self.0.checked_mul(10u128.pow(decimals - SCALE))
        } else {
            let div = 10u128.pow(SCALE - decimals);
            self.0.is_multiple_of(div).then_some(self.0 / div)
        }
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }
}

/// Plain decimal with at least two places: `1250.00`, `0.12345`.
impl fmt::Display for BankAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fraction = format!("{:05}", self.0 % ONE);
        let fraction = fraction.trim_end_matches('0');
        write!(f, "{}.{fraction:0<2}", self.0 / ONE)
    }
}

impl serde::Serialize for BankAmount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A signed amount (a balance may be overdrawn): credit is positive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedAmount {
    pub amount: BankAmount,
    pub direction: Direction,
}

impl SignedAmount {
    pub fn value(self) -> i128 {
        let v = i128::try_from(self.amount.0).unwrap_or(i128::MAX);
        match self.direction {
            Direction::Credit => v,
            Direction::Debit => -v,
        }
    }

    pub fn of(value: i128) -> Self {
        Self {
            amount: BankAmount(value.unsigned_abs()),
            direction: if value < 0 {
                Direction::Debit
            } else {
                Direction::Credit
            },
        }
    }
}

/// `1250.00`, or `-1250.00` for a debit.
impl fmt::Display for SignedAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.direction {
            Direction::Credit => write!(f, "{}", self.amount),
            Direction::Debit => write!(f, "-{}", self.amount),
        }
    }
}

impl serde::Serialize for SignedAmount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Money in (`CRDT`) or out (`DBIT`), from the account holder's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Credit,
    Debit,
}

impl Direction {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "CRDT" => Some(Self::Credit),
            "DBIT" => Some(Self::Debit),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Credit => "CRDT",
            Self::Debit => "DBIT",
        }
    }
}

/// ISO 4217's active alphabetic codes (and the minor unit of each that has
/// other than two), as the standard's list of 2025.
const CURRENCIES: &str = "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD:3 BIF:0 BMD \
BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF:4 CLP:0 CNY COP COU CRC CUP CVE \
CZK DJF:0 DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF:0 GTQ GYD HKD HNL HTG \
HUF IDR ILS INR IQD:3 IRR ISK:0 JMD JOD:3 JPY:0 KES KGS KHR KMF:0 KPW KRW:0 KWD:3 KYD KZT \
LAK LBP LKR LRD LSL LYD:3 MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD \
NGN NIO NOK NPR NZD OMR:3 PAB PEN PGK PHP PKR PLN PYG:0 QAR RON RSD RUB RWF:0 SAR SBD SCR \
SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND:3 TOP TRY TTD TWD TZS UAH \
UGX:0 USD USN UYI:0 UYU UYW:4 UZS VED VES VND:0 VUV:0 WST XAF:0 XCD XCG XOF:0 XPF:0 YER ZAR \
ZMW ZWG";

/// The minor unit's decimal places of an ISO 4217 currency, or `None` for a
/// code that is not one.
pub fn currency_decimals(code: &str) -> Option<u32> {
    CURRENCIES.split_whitespace().find_map(|entry| {
        let (c, places) = entry.split_once(':').unwrap_or((entry, "2"));
        (c == code).then(|| places.parse().unwrap_or(2))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_and_bounded() {
        assert_eq!(BankAmount::parse("1250.75"), Some(BankAmount(125_075_000)));
        assert_eq!(BankAmount::parse("0.00001"), Some(BankAmount(1)));
        assert_eq!(BankAmount::parse("7"), Some(BankAmount(700_000)));
        for bad in [
            "",
            ".5",
            "5.",
            "1.000001",
            "-1",
            "+1",
            "1e3",
            "1,000",
            " 1",
            "12345678901234567890",
        ] {
            assert_eq!(BankAmount::parse(bad), None, "{bad:?}");
        }
        assert_eq!(BankAmount(125_075_000).to_string(), "1250.75");
        assert_eq!(BankAmount(1).to_string(), "0.00001");
        assert_eq!(BankAmount(700_000).to_string(), "7.00");
        assert_eq!(BankAmount(125_075_000).base_units(6), Some(1_250_750_000));
        assert_eq!(BankAmount(1).base_units(2), None);
        assert_eq!(
            BankAmount::from_minor(12_345, 2),
            Some(BankAmount(12_345_000))
        );
        assert_eq!(currency_decimals("USD"), Some(2));
        assert_eq!(currency_decimals("JPY"), Some(0));
        assert_eq!(currency_decimals("BHD"), Some(3));
        assert_eq!(currency_decimals("XYZ"), None);
        assert_eq!(currency_decimals("usd"), None);
    }
}
