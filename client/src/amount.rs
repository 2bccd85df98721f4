//! Exact decimal amounts: "1250.75" ⇄ base units, for a mint's decimals. No floats.
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AmountError {
    #[error("amount is empty")]
    Empty,
    #[error("amount '{0}' is negative")]
    Negative(String),
    #[error("amount '{0}' is not a decimal number")]
    NotANumber(String),
    #[error("amount '{input}' has more than {decimals} decimal places")]
    TooPrecise { input: String, decimals: u8 },
    #[error("amount '{0}' is too large")]
    Overflow(String),
}

/// Parses a decimal string in token units into base units, exactly.
pub fn parse_amount(input: &str, decimals: u8) -> Result<u64, AmountError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    if text.starts_with('-') {
        return Err(AmountError::Negative(input.to_string()));
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !is_digits(whole) || !is_digits(fraction) {
        return Err(AmountError::NotANumber(input.to_string()));
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > usize::from(decimals) {
        return Err(AmountError::TooPrecise {
            input: input.to_string(),
            decimals,
        });
    }
    let overflow = || AmountError::Overflow(input.to_string());
    let scale = 10u64
        .checked_pow(u32::from(decimals))
        .ok_or_else(overflow)?;
    let whole_units = if whole.is_empty() {
        0
    } else {
        whole.parse::<u64>().map_err(|_| overflow())?
    };
    let mut fraction_units = 0u64;
    if !fraction.is_empty() {
        let padded = format!("{fraction:0<width$}", width = usize::from(decimals));
        fraction_units = padded.parse::<u64>().map_err(|_| overflow())?;
    }
    whole_units
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction_units))
        .ok_or_else(overflow)
}

/// Formats base units as a decimal string in token units, trailing zeros dropped.
/// [`format_amount`] of a sum that may exceed a u64 (a replay of a forged
/// history, totals of many amounts): in base units when it does.
pub fn format_wide_amount(base_units: u128, decimals: u8) -> String {
    match u64::try_from(base_units) {
        Ok(units) => format_amount(units, decimals),
        Err(_) => format!("{base_units} base units"),
    }
}

/// An amount of dollars as a person reads it: grouped by thousands, with at
/// least the cents and no more digits than it has (`$599,000.00`,
/// `$1,234.50`, `$0.000001`). For pages and display output only: JSON and
/// CSV keep [`format_amount`]'s plain decimals, which programs read.
pub fn format_dollars(base_units: u128, decimals: u8) -> String {
    format!("${}", format_grouped(base_units, decimals))
}

/// [`format_dollars`] without the dollar sign, for an amount in another
/// currency or beside its currency code (`1,152,500.00 USD`).
pub fn format_grouped(base_units: u128, decimals: u8) -> String {
    let digits = base_units.to_string();
    let decimals = usize::from(decimals);
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let fraction = fraction.trim_end_matches('0');
    format!("{grouped}.{fraction:0<2}")
}

/// [`format_dollars`] of an amount already written as a plain decimal (as
/// the JSON outputs have it: `"599000.5"` → `$599,000.50`); text that is no
/// such decimal is returned as it is.
pub fn dollars(amount: &str) -> String {
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let plain = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !plain(whole) || !plain(fraction) {
        return amount.to_string();
    }
    let units: u128 = match format!("{whole}{fraction}").parse() {
        Ok(units) => units,
        Err(_) => return amount.to_string(),
    };
    format_dollars(units, u8::try_from(fraction.len()).unwrap_or(u8::MAX))
}

pub fn format_amount(base_units: u64, decimals: u8) -> String {
    let digits = base_units.to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return digits;
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_read_as_a_person_reads_them() {
        assert_eq!(format_dollars(599_000_000_000, 6), "$599,000.00");
        assert_eq!(format_dollars(1_234_500_000, 6), "$1,234.50");
        assert_eq!(format_dollars(1, 6), "$0.000001");
        assert_eq!(format_dollars(0, 6), "$0.00");
        assert_eq!(format_dollars(999_990_000, 6), "$999.99");
        assert_eq!(
            format_dollars(1_000_000_000_000_000, 6),
            "$1,000,000,000.00"
        );
        assert_eq!(
            format_dollars(u128::MAX, 6),
            "$340,282,366,920,938,463,463,374,607,431,768.211455"
        );
        assert_eq!(format_dollars(12_345, 0), "$12,345.00");
        assert_eq!(dollars("599000"), "$599,000.00");
        assert_eq!(dollars("1234.5"), "$1,234.50");
        assert_eq!(dollars("0.000001"), "$0.000001");
        assert_eq!(dollars("12 base units"), "12 base units");
    }

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_amount("1250.75", 6), Ok(1_250_750_000));
        assert_eq!(parse_amount("0.000001", 6), Ok(1));
        assert_eq!(parse_amount("1", 6), Ok(1_000_000));
        assert_eq!(parse_amount(".5", 6), Ok(500_000));
        assert_eq!(parse_amount("5.", 6), Ok(5_000_000));
        assert_eq!(parse_amount("1.500000000", 6), Ok(1_500_000));
        assert_eq!(parse_amount("18446744073709.551615", 6), Ok(u64::MAX));
        assert_eq!(parse_amount("7", 0), Ok(7));
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(parse_amount("", 6), Err(AmountError::Empty));
        assert_eq!(
            parse_amount("-1", 6),
            Err(AmountError::Negative("-1".into()))
        );
        assert_eq!(
            parse_amount("abc", 6),
            Err(AmountError::NotANumber("abc".into()))
        );
        assert_eq!(
            parse_amount("1.2.3", 6),
            Err(AmountError::NotANumber("1.2.3".into()))
        );
        assert_eq!(
            parse_amount(".", 6),
            Err(AmountError::NotANumber(".".into()))
        );
        assert_eq!(
            parse_amount("+1", 6),
            Err(AmountError::NotANumber("+1".into()))
        );
        assert_eq!(
            parse_amount("1e6", 6),
            Err(AmountError::NotANumber("1e6".into()))
        );
        assert_eq!(
            parse_amount("0.0000001", 6),
            Err(AmountError::TooPrecise {
                input: "0.0000001".into(),
                decimals: 6
            })
        );
        assert_eq!(
            parse_amount("18446744073709.551616", 6),
            Err(AmountError::Overflow("18446744073709.551616".into()))
        );
        assert_eq!(
            parse_amount("99999999999999999999", 0),
            Err(AmountError::Overflow("99999999999999999999".into()))
        );
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_amount(1_250_750_000, 6), "1250.75");
        assert_eq!(format_amount(1, 6), "0.000001");
        assert_eq!(format_amount(0, 6), "0");
        assert_eq!(format_amount(u64::MAX, 6), "18446744073709.551615");
        assert_eq!(format_amount(42, 0), "42");
        for units in [0, 1, 10, 999_999, 1_000_000, 123_456_789, u64::MAX] {
            assert_eq!(parse_amount(&format_amount(units, 6), 6), Ok(units));
        }
    }
}
