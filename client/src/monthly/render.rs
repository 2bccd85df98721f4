//! The monthly report as CSV (`section,item,field,value`, one figure a row,
//! for a spreadsheet) and as a self-contained HTML page (no script, no
//! outside resource). Both are written from the same [`MonthlyReport`] the
//! JSON is.
use std::fmt::Write as _;

use super::MonthlyReport;

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Basis points as a percentage with two decimals.
fn percent(bps: Option<u128>) -> String {
    bps.map(|b| format!("{}.{:02}%", b / 100, b % 100))
        .unwrap_or_else(|| "n/a".into())
}

pub fn csv(r: &MonthlyReport) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut row = |s: &str, i: &str, f: &str, v: String| {
        rows.push([s.into(), i.into(), f.into(), v]);
    };
    row("report", "", "month", r.month.clone());
    row("report", "", "mint", r.mint.clone());
    row(
        "outstanding",
        "",
        "amount",
        r.outstanding.figure.amount.clone(),
    );
    row(
        "outstanding",
        "",
        "base_units",
        r.outstanding.figure.base_units.clone(),
    );
    row("outstanding", "", "slot", r.outstanding.slot.to_string());
    let v = &r.reserve;
    row("reserve", "", "attestation_seq", v.seq.to_string());
    row("reserve", "", "amount", v.reserve.amount.clone());
    row("reserve", "", "report_sha256", v.report_sha256.clone());
    row("reserve", "", "coverage_bps", opt(&v.coverage_bps));
    row("reserve", "", "tbill_wam_days", opt(&v.tbill_wam_days));
    for c in &v.composition {
        row(
            "composition",
            &c.category,
            "amount",
            c.amount.amount.clone(),
        );
        row(
            "composition",
            &c.category,
            "eligible",
            c.eligible.amount.clone(),
        );
        row(
            "composition",
            &c.category,
            "share_bps",
            c.share_bps.to_string(),
        );
        row(
            "composition",
            &c.category,
            "custodians",
            c.custodians.join("; "),
        );
    }
    for a in &r.attestations {
        let seq = a.seq.to_string();
        row("attestation", &seq, "reserve", a.reserve.amount.clone());
        row(
            "attestation",
            &seq,
            "outstanding",
            a.outstanding.amount.clone(),
        );
        row("attestation", &seq, "coverage_bps", opt(&a.coverage_bps));
        row("attestation", &seq, "landed_at", a.landed_at.to_string());
    }
    let d = &r.redemptions;
    for (field, value) in [
        ("requested", d.requested.to_string()),
        ("requested_base_units", d.requested_base_units.clone()),
        ("settled", d.settled.to_string()),
        ("settled_base_units", d.settled_base_units.clone()),
        ("rejected", d.rejected.to_string()),
        ("rejected_base_units", d.rejected_base_units.clone()),
        ("settle_median_secs", opt(&d.settle_median_secs)),
        ("settle_p95_secs", opt(&d.settle_p95_secs)),
        ("settle_max_secs", opt(&d.settle_max_secs)),
    ] {
        row("redemptions", "", field, value);
    }
    let mut out = String::from("section,item,field,value\n");
    for r in rows {
        let line: Vec<String> = r.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A figure as a person reads it on the page: dollars, grouped.
fn dollars(figure: &super::Figure, decimals: u8) -> String {
    figure
        .base_units
        .parse::<u128>()
        .map(|units| crate::format_dollars(units, decimals))
        .unwrap_or_else(|_| figure.amount.clone())
}

pub fn html(r: &MonthlyReport) -> String {
    let mut h = String::new();
    let d = r.decimals;
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>USD1 monthly reserve report {m}</title></head><body>\
         <h1>Monthly reserve report, {m}</h1><p>Mint <code>{mint}</code></p>\
         <p id=\"outstanding\">Tokens outstanding at the end of the month: <b>{out}</b> (slot {slot}).</p>",
        m = esc(&r.month),
        mint = esc(&r.mint),
        out = esc(&dollars(&r.outstanding.figure, d)),
        slot = r.outstanding.slot
    );
    let v = &r.reserve;
    let _ = write!(
        h,
        "<h2>Reserve</h2><p id=\"reserve\">{} from attestation #{}{} (report sha256 <code>{}</code>); coverage {}; \
         weighted average days to maturity of Treasury bills: {}.</p>\
         <table><tr><th>Category</th><th>Amount</th><th>Eligible</th><th>Share</th><th>Held at</th></tr>",
        esc(&dollars(&v.reserve, d)),
        v.seq,
        if v.attested_in_month { "" } else { " (before the month: none landed in it)" },
        esc(&v.report_sha256),
        percent(v.coverage_bps),
        esc(v.tbill_wam_days.as_deref().unwrap_or("no bills"))
    );
    for c in &v.composition {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.category),
            esc(&dollars(&c.amount, d)),
            esc(&dollars(&c.eligible, d)),
            percent(Some(c.share_bps)),
            esc(&c.custodians.join(", "))
        );
    }
    h.push_str("</table><h2>Attestations in the month</h2><table><tr><th>Seq</th><th>Reserve</th><th>Outstanding</th><th>Coverage</th></tr>");
    for a in &r.attestations {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            a.seq,
            esc(&dollars(&a.reserve, d)),
            esc(&dollars(&a.outstanding, d)),
            percent(a.coverage_bps)
        );
    }
    let redemptions = &r.redemptions;
    let _ = write!(
        h,
        "</table><p>Lowest coverage at an attestation: {}.</p><h2>Redemptions</h2>\
         <p id=\"redemptions\">{} requested, {} settled, {} rejected; time to settle: median {} s, 95th percentile {} s, longest {} s.</p>\
         </body></html>",
        percent(r.lowest_coverage_bps),
        redemptions.requested,
        redemptions.settled,
        redemptions.rejected,
        opt(&redemptions.settle_median_secs),
        opt(&redemptions.settle_p95_secs),
        opt(&redemptions.settle_max_secs)
    );
    h.push('\n');
    h
}
