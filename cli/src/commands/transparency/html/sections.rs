//! The page's compliance lines: what was frozen through the program (counts
//! only), the newest monthly reserve report the officers certified, and the
//! issuance desk's newest reconciliation.
use std::fmt::Write as _;

use super::{esc, Page};

pub fn freezes(h: &mut String, page: &Page) {
    let z = &page.freezes;
    let _ = write!(
        h,
        "<p id=\"freezes\">Frozen through the program: {} token account(s) holding {}. \
         {} freeze(s), {} citing a lawful order by its hash; {} thaw(s); {} seizure(s), {} citing an order.</p>",
        z.frozen.len(),
        esc(&page.dollars(z.frozen_amount)),
        z.freezes,
        z.freezes_citing_order,
        z.thaws,
        z.seizures,
        z.seizures_citing_order
    );
}

pub fn monthly(h: &mut String, page: &Page) {
    let Some(c) = &page.certified else {
        return;
    };
    let _ = write!(
        h,
        "<section><h2>Monthly reserve report</h2><p id=\"monthly\">The latest certified report: \
         <a href=\"reports/{file}\">{month}</a> (sha256 <span class=\"mono\">{sha}</span>), certified by {officers} \
         (<a href=\"reports/{certs}\">signatures</a>; check them with \
         <span class=\"mono\">usd1 report verify</span>).</p></section>",
        file = esc(&c.file),
        month = esc(&c.month),
        sha = esc(&c.sha256),
        officers = esc(&c.officers.join(", ")),
        certs = esc(&c.certifications)
    );
}

pub fn reconciliation(h: &mut String, page: &Page) {
    let Some((r, file)) = &page.reconciliation else {
        return;
    };
    let signed = |v: i128| {
        let sign = if v < 0 { "-" } else { "" };
        format!("{sign}{}", page.dollars(v.unsigned_abs()))
    };
    let verdict = if r.balanced {
        "reconciled: every dollar of difference explained".to_string()
    } else {
        format!("a break: {} unexplained", signed(r.unexplained))
    };
    let _ = write!(
        h,
        "<section><h2>Reconciliation</h2><p id=\"reconciliation\">The issuance desk's newest day, {date}: {verdict}. \
         The bank's closing balance {bank}, the attested reserve {reserve}, the supply {supply} \
         (<a href=\"{file}\">the report</a>, its items and their amounts).</p></section>",
        date = esc(&r.figures.date),
        verdict = esc(&verdict),
        bank = esc(&signed(r.figures.bank_closing)),
        reserve = esc(&page.dollars(u128::from(r.figures.reserve))),
        supply = esc(&page.dollars(u128::from(r.figures.supply))),
        file = esc(file),
    );
}
