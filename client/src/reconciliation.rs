//! The three-way reconciliation, decided in a plain function (the desk
//! computes it, the transparency page shows the newest): the bank's
//! closing balance for a day, the newest attested reserve, and the supply on
//! the chain, side by side; the difference between the bank's dollars and
//! the tokens outstanding explained item by item from the dollar ledger and
//! the desk's redemptions, to the cent. What the items leave unexplained is
//! a break.
use serde::{Deserialize, Serialize};

/// The last second of the day `date` (`YYYY-MM-DD`, UTC) in unix seconds:
/// where a day's figures are taken, on the books and on the chain.
pub fn day_end(date: &str) -> Option<i64> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(23, 59, 59)?.and_utc().timestamp())
}

/// The chain as it stood at `end` (unix seconds), from the Config's
/// history (oldest first): the supply after the last change at or before
/// it, and the newest attestation that had landed by then (its reserve and
/// as-of time; zeros before the first).
pub fn chain_at(history: &[crate::ledger::RecordedTransaction], end: i64) -> (u64, u64, i64) {
    let seen = crate::transparency::compute(history, end, None);
    let supply = seen
        .points
        .iter()
        .take_while(|p| p.unix <= end)
        .last()
        .map_or(0, |p| p.supply);
    let attested = seen
        .attestations
        .iter()
        .filter(|a| a.landed_at.unwrap_or(a.as_of) <= end)
        .max_by_key(|a| a.seq)
        .map_or((0, 0), |a| (a.reserve, a.as_of));
    (supply, attested.0, attested.1)
}

/// What the reconciliation is given (base units: a dollar is 10^6).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The issuer's account, and its closing booked balance that day.
    pub account: String,
    pub bank_closing: i128,
    /// The newest attestation: its reserve and as-of time (unix seconds).
    pub reserve: u64,
    pub reserve_as_of: i64,
    /// USD1 in existence (escrowed requests included).
    pub supply: u64,
    /// Dollars owed to customers: received and not yet minted, redeemed
    /// and not yet paid, returned.
    pub owed_to_customers: i128,
    pub suspense: i128,
    pub fees: i128,
    /// Payments sent to the bank and not yet paid.
    pub payouts_in_transit: i128,
    /// Tokens escrowed for redemptions the desk has taken and not yet
    /// settled or rejected (in the supply, no longer outstanding on the books).
    pub escrowed_taken: i128,
    /// Payments the bank paid (its status report) whose debit is not on a
    /// statement yet.
    pub paid_not_debited: i128,
}

/// One line of the explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    pub amount: i128,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub figures: Figures,
    /// Bank closing − supply.
    pub gap: i128,
    pub items: Vec<Item>,
    /// What the items do not explain: zero when the day reconciles.
    pub unexplained: i128,
    pub balanced: bool,
    /// Reserve − supply: what the attestation covers beyond the tokens.
    pub reserve_headroom: i128,
}

/// The day's report: the gap between the bank's dollars and the supply,
/// and the items that explain it.
pub fn reconcile(figures: Figures) -> Report {
    let supply = i128::from(figures.supply);
    let gap = figures.bank_closing - supply;
    let items = vec![
        Item {
            name: "owed to customers (deposits not yet minted, payouts not yet sent, returns)"
                .into(),
            amount: figures.owed_to_customers,
        },
        Item {
            name: "suspense (deposits no customer is known for)".into(),
            amount: figures.suspense,
        },
        Item {
            name: "redemption fees kept".into(),
            amount: figures.fees,
        },
        Item {
            name: "payouts sent, not yet paid by the bank".into(),
            amount: figures.payouts_in_transit,
        },
        Item {
            name: "payouts paid, debit not yet on a statement".into(),
            amount: figures.paid_not_debited,
        },
        Item {
            name: "tokens escrowed for redemptions being paid".into(),
            amount: -figures.escrowed_taken,
        },
    ];
    let explained: i128 = items.iter().map(|i| i.amount).sum();
    let unexplained = gap - explained;
    Report {
        reserve_headroom: i128::from(figures.reserve) - supply,
        figures,
        gap,
        items,
        unexplained,
        balanced: unexplained == 0,
    }
}

fn dollars(amount: i128) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}{}", crate::format_dollars(amount.unsigned_abs(), 6))
}

impl Report {
    /// `column,amount_units` rows: the three figures, the gap, each item, what is unexplained.
    pub fn csv(&self) -> String {
        let f = &self.figures;
        let mut rows = vec![
            ("date".to_string(), f.date.clone()),
            ("bank_closing".into(), f.bank_closing.to_string()),
            ("attested_reserve".into(), f.reserve.to_string()),
            ("supply".into(), f.supply.to_string()),
            ("gap".into(), self.gap.to_string()),
        ];
        rows.extend(
            self.items
                .iter()
                .map(|i| (i.name.to_string(), i.amount.to_string())),
        );
        rows.push(("unexplained".into(), self.unexplained.to_string()));
        let mut out = String::from("line,amount_units\n");
        for (name, value) in rows {
            out.push_str(&format!("\"{}\",{value}\n", name.replace('"', "'")));
        }
        out
    }

    /// A small page: the three figures side by side, then the items.
    pub fn html(&self) -> String {
        let f = &self.figures;
        let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
        let mut rows = String::new();
        for item in &self.items {
            rows.push_str(&format!(
                "<tr><td>{}</td><td class=n>{}</td></tr>\n",
                esc(&item.name),
                dollars(item.amount)
            ));
        }
        format!(
            "<!doctype html>\n<html lang=en><meta charset=utf-8><title>USD1 reconciliation {date}</title>\n\
             <style>body{{font-family:sans-serif;max-width:52em;margin:2em auto}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}</style>\n\
             <h1>Reconciliation {date}: {verdict}</h1>\n\
             <table><tr><th>bank closing ({account})</th><th>attested reserve</th><th>USD1 supply</th></tr>\n\
             <tr><td class=n>{bank}</td><td class=n>{reserve}</td><td class=n>{supply}</td></tr></table>\n\
             <h2>Bank − supply: {gap}</h2>\n<table>\n{rows}<tr><th>unexplained</th><th class=n>{unexplained}</th></tr></table>\n</html>\n",
            date = esc(&f.date),
            verdict = if self.balanced { "reconciled" } else { "BREAK" },
            account = esc(&f.account),
            bank = dollars(f.bank_closing),
            reserve = dollars(i128::from(f.reserve)),
            supply = dollars(i128::from(f.supply)),
            gap = dollars(self.gap),
            unexplained = dollars(self.unexplained),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_explain_the_gap_to_the_cent_or_it_is_a_break() {
        let figures = Figures {
            bank_closing: 1_000_250_000,
            supply: 900_000_000,
            owed_to_customers: 50_000_000,
            suspense: 10_000_000,
            fees: 250_000,
            payouts_in_transit: 60_000_000,
            escrowed_taken: 20_000_000,
            ..Figures::default()
        };
        let report = reconcile(figures.clone());
        assert_eq!(report.gap, 100_250_000);
        assert_eq!(report.unexplained, 0);
        assert!(report.balanced);
        let off = reconcile(Figures {
            bank_closing: figures.bank_closing - 10_000,
            ..figures
        });
        assert_eq!((off.unexplained, off.balanced), (-10_000, false));
        assert!(
            off.csv().contains("\"unexplained\",-10000\n"),
            "{}",
            off.csv()
        );
        assert!(off.html().contains("BREAK"));
    }
}
