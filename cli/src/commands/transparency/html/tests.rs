//! The page's formatting and link rules.
use super::*;

#[test]
fn figures_are_exact_and_text_is_escaped() {
    assert_eq!(percent(10_000), "100.00%");
    assert_eq!(percent(6_666), "66.66%");
    assert_eq!(percent(5), "0.05%");
    assert_eq!(duration(0), "0s");
    assert_eq!(duration(90_061), "1d 1h 1m 1s");
    assert_eq!(duration(3_600), "1h 0m 0s");
    assert_eq!(utc(0), "1970-01-01T00:00:00Z");
    assert_eq!(
        esc("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}

/// Issue 22, item 14: only web addresses become links.
#[test]
fn only_https_and_http_uris_are_linked() {
    assert_eq!(
        link("https://example.com/terms?a=1&b=2"),
        "<a href=\"https://example.com/terms?a=1&amp;b=2\">https://example.com/terms?a=1&amp;b=2</a>"
    );
    assert!(link("HTTP://example.com").starts_with("<a href="));
    for hostile in [
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "//evil.example/terms",
        "terms.pdf",
    ] {
        let shown = link(hostile);
        assert!(!shown.contains("<a "), "{hostile} became a link: {shown}");
        assert!(shown.contains("not linked"), "{shown}");
    }
}
