//! The page's compliance lines: what was frozen through the program (counts
//! only), and the newest monthly reserve report the officers certified.
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
