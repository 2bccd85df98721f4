//! The transparency page's HTML: one self-contained file (inline CSS and
//! SVG, no script, no remote resource), readable from `file://` and on a
//! phone. Every figure is an exact decimal string; only pixel positions in
//! the charts are computed in floating point.
use std::fmt::Write as _;

use usd1_client::hex;
use usd1_client::transparency::Point;

use super::Page;

pub use crate::output::utc;

/// Basis points as an exact percentage with two decimals.
pub fn percent(bps: u128) -> String {
    format!("{}%", usd1_client::transparency::bps_as_percent(bps))
}

/// Seconds as days, hours, minutes and seconds.
pub fn duration(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (value, unit) in [(d, "d"), (h, "h"), (m, "m")] {
        if value > 0 || !out.is_empty() {
            let _ = write!(out, "{value}{unit} ");
        }
    }
    let _ = write!(out, "{s}s");
    out
}

/// Text made safe for HTML.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink: #1b2330; --muted: #5b6675; --line: #d9dee5; --supply: #1f6feb; --reserve: #1a7f37; --ceiling: #bf8700; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f8fa; }
main { max-width: 1040px; margin: 0 auto; padding: 16px; }
header h1 { margin: 0 0 4px; font-size: 1.6rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 16px 0; }
h2 { margin: 0 0 12px; font-size: 1.2rem; }
.muted { color: var(--muted); font-size: .9rem; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.card b { display: block; font-size: 1.25rem; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
svg { width: 100%; height: auto; display: block; }
.legend span { display: inline-block; margin-right: 16px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.ok { color: var(--reserve); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.statement { border-left: 4px solid var(--ceiling); padding: 8px 12px; background: #fff8e5; }
"#;

/// Nothing runs, nothing loads from anywhere: only the page's own inline
/// styles and SVG. A string on the page that slipped past escaping could
/// still not fetch or execute anything.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                   base-uri 'none'; form-action 'none'";

/// `uri` as a link when it is a web address (`https:` or `http:`), else as
/// plain text: a disclosure's URI is the issuer's to set, and a
/// `javascript:` or `data:` one must never become a link.
fn link(uri: &str) -> String {
    let scheme = uri.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("https" | "http") => format!("<a href=\"{}\">{}</a>", esc(uri), esc(uri)),
        _ => format!(
            "<span class=\"mono\">{}</span> <span class=\"bad\">(not a web address: not linked)</span>",
            esc(uri)
        ),
    }
}

pub fn render(page: &Page) -> String {
    let mut h = String::new();
    let mint = page.mint.to_string();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
         <title>USD1 transparency: {mint}</title><style>{STYLE}</style></head><body><main>"
    );
    let _ = write!(
        h,
        "<header><h1>USD1 transparency</h1><div class=\"mono\">Mint {mint}</div>\
         <div class=\"muted\">Built from slot {} at {}. Every figure is recomputed from the chain \
         and the hashed reports: <span class=\"mono\">usd1 transparency --mint {mint} --out DIR \
         --reports DIR</span> rebuilds this page.</div></header>",
        page.built_slot,
        utc(page.built_at)
    );
    summary(&mut h, page);
    chart(&mut h, page);
    composition(&mut h, page);
    attestations(&mut h, page);
    redemptions(&mut h, page);
    disclosure(&mut h, page);
    audit(&mut h, page);
    sections::monthly(&mut h, page);
    sections::reconciliation(&mut h, page);
    h.push_str("</main></body></html>\n");
    h
}

fn summary(h: &mut String, page: &Page) {
    let coverage = page
        .coverage_bps()
        .map_or_else(|| "no supply".to_string(), percent);
    let latest = if page.latest_seq == 0 {
        "none yet".to_string()
    } else {
        format!("#{} as of {}", page.latest_seq, utc(page.latest_as_of))
    };
    let _ = write!(
        h,
        "<section><h2>Now</h2><div class=\"cards\">\
         <div class=\"card\">Supply<b id=\"supply\">{}</b></div>\
         <div class=\"card\">Attested reserve<b id=\"reserve\">{}</b></div>\
         <div class=\"card\">Coverage<b id=\"coverage\">{}</b></div>\
         <div class=\"card\">Mint ceiling (margin {})<b id=\"ceiling\">{}</b></div>\
         <div class=\"card\">Latest attestation<b>{}</b>{}</div></div>\
         <p class=\"muted\">The program refuses any mint that would put supply above the ceiling: \
         the latest attested reserve less the margin. Attestations need {} signatures of the \
         registered attestors.</p></section>",
        page.dollars(page.supply.into()),
        page.dollars(page.reserve.into()),
        coverage,
        percent(page.margin_bps.into()),
        page.dollars(page.ceiling.into()),
        esc(&latest),
        if page.latest_retired {
            "<span class=\"bad\">retired: the attestor set changed, mints wait for the new set</span>"
        } else {
            ""
        },
        page.threshold
    );
}

fn chart(h: &mut String, page: &Page) {
    h.push_str("<section><h2>Supply and reserve over time</h2>");
    let points = &page.history.points;
    if points.is_empty() {
        h.push_str("<p>No attestation or mint yet.</p></section>");
        return;
    }
    let (w, ht, left, right, top, bottom) = (800.0, 320.0, 90.0, 16.0, 16.0, 40.0);
    let t0 = points.first().map_or(0, |p| p.unix);
    let t1 = points.last().map_or(0, |p| p.unix).max(page.built_at);
    // Over time when the history spans a minute or more; in event order
    // (evenly spaced) when it all happened within one.
    let by_time = t1 - t0 >= 60;
    let span = (t1 - t0).max(1) as f64;
    let top_value = points
        .iter()
        .map(|p| p.supply.max(p.reserve).max(p.ceiling))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = w - left - right;
    let x = |i: usize, unix: i64| {
        if by_time {
            left + (unix - t0) as f64 / span * plot_w
        } else {
            left + i as f64 / points.len() as f64 * plot_w
        }
    };
    let x_end = left + plot_w;
    let y = |v: u64| top + (1.0 - v as f64 / top_value) * (ht - top - bottom);
    let step = |value: fn(&Point) -> u64| {
        let mut d = String::new();
        for (i, p) in points.iter().enumerate() {
            let (px, py) = (x(i, p.unix), y(value(p)));
            if i == 0 {
                let _ = write!(d, "M{px:.1},{py:.1}");
            } else {
                let _ = write!(d, " H{px:.1} V{py:.1}");
            }
        }
        let _ = write!(d, " H{x_end:.1}");
        d
    };
    let _ = write!(
        h,
        "<svg viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"Supply, attested reserve and \
         mint ceiling over time\"><rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" \
         fill=\"#fff\" stroke=\"#d9dee5\"/>",
        w - left - right,
        ht - top - bottom
    );
    for (value, label) in [
        (top_value as u64, page.dollars(u128::from(top_value as u64))),
        (0, "0".to_string()),
    ] {
        let _ = write!(
            h,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#5b6675\">{}</text>",
            left - 6.0,
            y(value) + 4.0,
            esc(&label)
        );
    }
    let axis = if by_time {
        vec![(left, "start", utc(t0)), (x_end, "end", utc(t1))]
    } else {
        vec![(
            left,
            "start",
            format!("{} → {}, in event order", utc(t0), utc(t1)),
        )]
    };
    for (px, anchor, label) in axis {
        let _ = write!(
            h,
            "<text x=\"{px:.1}\" y=\"{}\" font-size=\"12\" text-anchor=\"{anchor}\" fill=\"#5b6675\">{}</text>",
            ht - 16.0,
            esc(&label)
        );
    }
    for (d, color, dash) in [
        (step(|p| p.reserve), "var(--reserve)", ""),
        (
            step(|p| p.ceiling),
            "var(--ceiling)",
            " stroke-dasharray=\"6 4\"",
        ),
        (step(|p| p.supply), "var(--supply)", ""),
    ] {
        let _ = write!(
            h,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>"
        );
    }
    h.push_str("</svg><p class=\"legend muted\">");
    for (color, name) in [
        ("var(--supply)", "Supply"),
        ("var(--reserve)", "Attested reserve"),
        ("var(--ceiling)", "Mint ceiling (reserve less margin)"),
    ] {
        let _ = write!(
            h,
            "<span><i class=\"swatch\" style=\"background:{color}\"></i>{name}</span>"
        );
    }
    let _ = write!(
        h,
        "</p><p class=\"muted\">{} changes of supply, reserve or margin, from the program's events.</p></section>",
        points.len()
    );
}

fn bars(h: &mut String, page: &Page, title: &str, rows: &[super::Share]) {
    let total: u128 = rows
        .iter()
        .fold(0u128, |sum, r| sum.saturating_add(r.1).saturating_add(r.2))
        .max(1);
    let row_h = 34.0;
    let height = row_h * rows.len() as f64 + 8.0;
    let _ = write!(
        h,
        "<h3>{}</h3><svg viewBox=\"0 0 800 {height}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        esc(title)
    );
    for (i, (name, eligible, ineligible)) in rows.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let scale = |v: u128| v as f64 / total as f64 * 440.0;
        let (we, wi) = (scale(*eligible), scale(*ineligible));
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"13\">{}</text>\
             <rect x=\"230\" y=\"{y:.1}\" width=\"{we:.1}\" height=\"20\" fill=\"var(--reserve)\"/>\
             <rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{wi:.1}\" height=\"20\" fill=\"var(--bad)\" opacity=\".6\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#5b6675\">{}{}</text>",
            y + 15.0,
            esc(name),
            230.0 + we,
            236.0 + we + wi,
            y + 15.0,
            esc(&page.dollars(*eligible)),
            if *ineligible > 0 {
                format!(" + {} not counted", esc(&page.dollars(*ineligible)))
            } else {
                String::new()
            }
        );
    }
    h.push_str("</svg>");
}

fn composition(h: &mut String, page: &Page) {
    h.push_str("<section><h2>What backs the token</h2>");
    let Some(report) = &page.latest_report else {
        let _ = write!(
            h,
            "<p>The report of attestation #{} (SHA-256 <span class=\"mono\">{}</span>) was not \
             supplied, so its composition cannot be shown.</p></section>",
            page.latest_seq,
            page.history
                .attestations
                .last()
                .map_or_else(String::new, |a| hex(&a.report_sha256))
        );
        return;
    };
    let gross: u128 = report
        .gross_base_units
        .as_deref()
        .unwrap_or(&report.reserve_base_units)
        .parse()
        .unwrap_or(0);
    let _ = write!(
        h,
        "<p>From the report of attestation #{} (as of {}): {} held, of which <b>{}</b> counts \
         toward the attested reserve. {}</p>",
        report.seq,
        utc(report.as_of),
        esc(&page.dollars(gross)),
        esc(&page.dollars(report.reserve_amount().into())),
        if report.is_consistent() {
            "<span class=\"ok\">Its eligible figures were recomputed from its components and policy, and agree.</span>"
        } else {
            "<span class=\"bad\">Its eligible figures do NOT follow from its components and policy.</span>"
        }
    );
    match page.composition() {
        Ok(Some((classes, custodians))) => {
            bars(h, page, "By asset class", &classes);
            bars(h, page, "By custodian", &custodians);
        }
        Ok(None) => {}
        Err(error) => {
            let _ = write!(
                h,
                "<p class=\"bad\">{}: its composition is not shown.</p>",
                esc(&error.to_string())
            );
        }
    }
    if let Some(policy) = &report.eligibility {
        let mut rules = Vec::new();
        if let Some(days) = policy.max_tbill_days {
            rules.push(format!(
                "Treasury bills count up to {days} days to maturity"
            ));
        }
        if let Some(bps) = policy.max_custodian_share_bps {
            rules.push(format!(
                "no custodian counts for more than {} of the eligible reserve",
                percent(bps.into())
            ));
        }
        if let Some(classes) = &policy.classes {
            let names: Vec<&str> = classes.iter().map(|c| c.label()).collect();
            rules.push(format!("accepted classes: {}", names.join(", ")));
        }
        if policy.require_class {
            rules.push("a line with no asset class does not count".into());
        }
        if !rules.is_empty() {
            let _ = write!(
                h,
                "<p class=\"muted\">Eligibility: {}.</p>",
                esc(&rules.join("; "))
            );
        }
    }
    h.push_str(
        "<div class=\"scroll\"><table><tr><th>Line</th><th>Class</th><th>Custodian / account</th>\
         <th class=\"num\">Held</th><th class=\"num\">Counts</th><th>Why not all</th></tr>",
    );
    for c in &report.components {
        let held: u128 = c.amount_base_units.parse().unwrap_or(0);
        let counts: u128 = c
            .eligible_base_units
            .as_deref()
            .map_or(held, |e| e.parse().unwrap_or(0));
        let (class, place) = match &c.holding {
            Some(hd) => (
                format!(
                    "{}{}",
                    hd.asset_class.label(),
                    hd.maturity
                        .as_ref()
                        .map_or(String::new(), |m| format!(", matures {m}"))
                ),
                format!("{} / {}", hd.custodian, hd.account),
            ),
            None => ("Unclassified".into(), c.location.clone()),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&c.name),
            esc(&class),
            esc(&place),
            esc(&page.dollars(held)),
            esc(&page.dollars(counts)),
            esc(c.ineligible_reason.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</table></div></section>");
}

fn attestations(h: &mut String, page: &Page) {
    let rows = &page.history.attestations;
    let _ = write!(
        h,
        "<section><h2>Attestations</h2><p class=\"muted\">{} attestations, newest first. Each was \
         signed by at least {} registered attestors over its reserve, as-of time and report hash; \
         a report is linked only when a file with exactly that SHA-256 was supplied.</p>\
         <div class=\"scroll\"><table><tr><th class=\"num\">#</th><th>As of</th><th>Landed</th>\
         <th class=\"num\">Reserve</th><th>Signers</th><th>Report SHA-256</th></tr>",
        rows.len(),
        page.threshold
    );
    for a in rows.iter().rev() {
        let signers: Vec<String> = a
            .signers
            .iter()
            .map(|s| match page.names.get(s) {
                Some(name) => format!("{} <span class=\"mono\">{}</span>", esc(name), s),
                None => format!("<span class=\"mono\">{s}</span>"),
            })
            .collect();
        let digest = hex(&a.report_sha256);
        let report = match page.report_files.get(&digest) {
            Some(file) => format!(
                "<a class=\"mono\" href=\"reports/{}\">{digest}</a>",
                esc(file)
            ),
            None => format!("<span class=\"mono\">{digest}</span><br><i>report not supplied</i>"),
        };
        let _ = write!(
            h,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}<br><span class=\"muted\">slot {}</span></td>\
             <td class=\"num\">{}</td><td>{}</td><td>{report}</td></tr>",
            a.seq,
            utc(a.as_of),
            a.landed_at.map_or_else(|| "time unknown".into(), utc),
            a.slot,
            esc(&page.dollars(a.reserve.into())),
            signers.join("<br>")
        );
    }
    h.push_str("</table></div></section>");
}

fn redemptions(h: &mut String, page: &Page) {
    let r = &page.history.redemptions;
    let target = page.disclosure.as_ref().map(|d| d.settlement_target_secs);
    let time = |v: Option<i64>| v.map_or_else(|| "none yet".to_string(), duration);
    let _ = write!(
        h,
        "<section><h2>Redemptions</h2><div class=\"cards\">\
         <div class=\"card\">Pending<b id=\"pending\">{} ({})</b></div>\
         <div class=\"card\">Settled<b id=\"settled\">{} ({})</b></div>\
         <div class=\"card\">Rejected and refunded<b id=\"rejected\">{} ({})</b></div>\
         <div class=\"card\">Time to settle, median<b id=\"median\">{}</b></div>\
         <div class=\"card\">Time to settle, 95th percentile<b id=\"p95\">{}</b></div>\
         <div class=\"card\">Disclosed target<b>{}</b>{}</div></div>",
        r.pending,
        esc(&page.dollars(r.pending_amount)),
        r.settled,
        esc(&page.dollars(r.settled_amount)),
        r.rejected,
        esc(&page.dollars(r.rejected_amount)),
        time(r.settle_median),
        time(r.settle_p95),
        time(target),
        if target.is_some() && r.settled > 0 {
            format!(
                "{} of {} settled within it",
                r.settled_within_target, r.settled
            )
        } else {
            String::new()
        }
    );
    if r.overdue.is_empty() {
        h.push_str("<p>No pending request is past the disclosed target.</p>");
    } else {
        let _ = write!(
            h,
            "<p class=\"bad\">{} pending requests are past the disclosed target:</p>\
             <div class=\"scroll\"><table><tr><th class=\"num\">Id</th><th>Holder</th>\
             <th class=\"num\">Amount</th><th>Requested</th><th>Waiting</th></tr>",
            r.overdue.len()
        );
        for o in &r.overdue {
            let _ = write!(
                h,
                "<tr><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                o.id,
                o.holder,
                esc(&page.dollars(o.amount.into())),
                utc(o.requested_at),
                duration(o.waited)
            );
        }
        h.push_str("</table></div>");
    }
    h.push_str("</section>");
}

fn disclosure(h: &mut String, page: &Page) {
    h.push_str("<section><h2>Disclosure, as published on-chain</h2>");
    let Some(d) = &page.disclosure else {
        h.push_str("<p class=\"bad\">The issuer has published no disclosure.</p></section>");
        return;
    };
    let terms = match page.terms_match {
        Some(true) => "<span class=\"ok\">the terms file supplied has exactly this hash</span>",
        Some(false) => "<span class=\"bad\">the terms file supplied does NOT have this hash</span>",
        None => "<span class=\"muted\">no terms file was supplied to check</span>",
    };
    let _ = write!(
        h,
        "<p class=\"statement\"><b>{}</b></p><p>{}</p><div class=\"scroll\"><table>\
         <tr><th>Issuer</th><td>{}</td></tr>\
         <tr><th>Terms</th><td>{}<br><span class=\"mono\">SHA-256 {}</span><br>{terms}</td></tr>\
         <tr><th>Smallest redemption</th><td>{}</td></tr>\
         <tr><th>Redemption fee</th><td>{}</td></tr>\
         <tr><th>Settlement target</th><td>{}</td></tr>\
         <tr><th>Reserve reports</th><td>{}</td></tr>\
         <tr><th>Version</th><td>{} (published {})</td></tr></table></div></section>",
        esc(&d.not_insured_statement),
        esc(&d.pause_statement),
        esc(&d.legal_name),
        link(&d.terms_uri),
        hex(&d.terms_sha256),
        esc(&page.dollars(d.min_redemption.into())),
        percent(d.redemption_fee_bps.into()),
        duration(d.settlement_target_secs),
        link(&d.reserve_report_uri),
        d.version,
        utc(d.updated_at)
    );
}

fn audit(h: &mut String, page: &Page) {
    let _ = write!(
        h,
        "<section><h2>Audit</h2><p class=\"muted\"><span class=\"mono\">usd1 audit</span> replayed {} transactions of the \
         program: every attestation signature re-verified against the attestor set in force, \
         every mint checked against a fresh attestation and its ceiling, and the end state \
         compared with the chain.</p>",
        page.audited_transactions
    );
    if page.audit_clean {
        h.push_str("<p id=\"audit\" class=\"ok\">Audit clean: no violation.</p>");
    } else {
        let _ = write!(
            h,
            "<p id=\"audit\" class=\"bad\">{} violation(s):</p><ul>",
            page.violations.len()
        );
        for v in &page.violations {
            let _ = write!(h, "<li>{}</li>", esc(v));
        }
        h.push_str("</ul>");
    }
    sections::freezes(h, page);
    h.push_str("</section>");
}

mod sections;
#[cfg(test)]
mod tests;
