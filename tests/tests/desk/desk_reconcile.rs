//! The day reconciled three ways: the bank's closing balance, the attested
//! reserve and the supply, the gap between the dollars and the tokens
//! explained item by item to the cent; a mint the desk did not make is a
//! break, with a case and `reconciliation.break`.
use solana_sdk::signature::Signer;
use usd1_client::reconciliation::day_end;
use usd1_desk::reconcile::{reconcile_day, ReconcileFailed};
use usd1_tests::both_databases;
use usd1_tests::desk_harness::{Desk, FOUR_EYES_ABOVE, ISSUER_ACCOUNT};
use usd1_tests::fixture::ONE;

async fn events(desk: &Desk, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = $1")
        .bind(kind)
        .fetch_one(desk.store.pool())
        .await
        .unwrap()
}

async fn reconciled(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let day = desk.bank.day();
    let refused = reconcile_day(&desk.store, &desk.f.usd1, &day, ISSUER_ACCOUNT).await;
    assert!(
        matches!(&refused, Err(ReconcileFailed::Books(e)) if e.to_string().contains("no statement gives the closing balance")),
        "{refused:?}"
    );
    // A customer's 250 minted (its statement imported), another's 20 waiting
    // for approval, 10 no one's.
    let (_, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    let slow = desk
        .store
        .create_customer("Slow Corp", "alice")
        .await
        .unwrap();
    desk.wire("20.00", &slow.reference);
    desk.wire("10.00", "NO REFERENCE AT ALL");
    desk.statement().await;
    // Acme redeems 100; the bank pays; the desk settles before the next statement.
    desk.redeem(&wallet, 100 * ONE).await;
    desk.payout().await;
    desk.bank_pays().await;
    desk.payout().await;

    let (_, report) = reconcile_day(&desk.store, &desk.f.usd1, &day, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(report.figures.bank_closing, 280 * i128::from(ONE));
    assert_eq!(report.figures.supply, 150 * ONE);
    assert_eq!(report.figures.reserve, 1_000 * ONE);
    let named = |name: &str| {
        report
            .items
            .iter()
            .find(|i| i.name.starts_with(name))
            .map(|i| i.amount)
            .unwrap()
    };
    assert_eq!(named("owed to customers"), 20 * i128::from(ONE));
    assert_eq!(named("suspense"), 10 * i128::from(ONE));
    assert_eq!(named("redemption fees"), 250_000);
    assert_eq!(named("payouts paid, debit not yet"), 99_750_000);
    assert_eq!(
        (report.unexplained, report.balanced),
        (0, true),
        "{report:?}"
    );
    assert_eq!(events(&desk, "reconciliation.completed").await, 1);

    // The day's last statement carries the debit: nothing is in flight.
    desk.statement().await;
    let (_, report) = reconcile_day(&desk.store, &desk.f.usd1, &day, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(report.figures.bank_closing, 180_250_000);
    assert!(report
        .items
        .iter()
        .all(|i| !i.name.starts_with("payouts paid") || i.amount == 0));
    assert!(report.balanced, "{report:?}");
    let html = report.html();
    assert!(
        html.contains("reconciled") && html.contains("$180.25"),
        "{html}"
    );
    assert!(report.csv().starts_with("line,amount_units\n\"date\","));

    // USD1 minted outside the desk: tokens without dollars, a break.
    desk.f
        .usd1
        .mint_to(&desk.f.minter, &desk.f.holder.pubkey(), 5 * ONE)
        .await
        .unwrap();
    let (_, report) = reconcile_day(&desk.store, &desk.f.usd1, &day, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(
        (report.unexplained, report.balanced),
        (-5 * i128::from(ONE), false)
    );
    assert_eq!(events(&desk, "reconciliation.break").await, 1);
    let cases = desk.store.cases(None).await.unwrap();
    assert!(
        cases
            .iter()
            .any(|c| c.subject == format!("reconciliation:{day}")),
        "{cases:?}"
    );
}

both_databases!(
    the_day_reconciles_to_the_cent_and_a_stray_mint_is_a_break,
    reconciled
);

/// A past day is reconciled as it stood at its end: its statement, the
/// books as of its last second and the chain at its last slot. What the
/// desk, the bank and the chain did afterwards does not change its report.
async fn as_it_stood(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let now = usd1_tests::tour::unix_now();
    desk.bank.set_clock(now - 86_400);
    let yesterday = desk.bank.day();
    // Acme's 250 booked by the bank yesterday, read and minted today.
    let (_, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    let scheduled = desk.store.unreconciled_days(ISSUER_ACCOUNT, now).await;
    assert_eq!(scheduled.unwrap(), vec![yesterday.clone()]);
    let (_, first) = reconcile_day(&desk.store, &desk.f.usd1, &yesterday, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(first.figures.bank_closing, 250 * i128::from(ONE));
    assert_eq!(first.figures.supply, 0, "nothing was minted by its end");
    assert_eq!(
        (first.figures.reserve, first.figures.reserve_as_of),
        (0, 0),
        "the reserve was first attested today"
    );
    let owed = |report: &usd1_client::reconciliation::Report| {
        report
            .items
            .iter()
            .find(|i| i.name.starts_with("owed to customers"))
            .map(|i| i.amount)
            .unwrap()
    };
    assert_eq!(owed(&first), 250 * i128::from(ONE), "{first:?}");
    assert!(first.balanced, "{first:?}");

    // Today: Acme redeems 100 and is paid, Beta's 40 arrives and is minted.
    desk.bank.advance_day();
    desk.bank.set_clock(now);
    desk.redeem(&wallet, 100 * ONE).await;
    desk.payout().await;
    desk.bank_pays().await;
    desk.payout().await;
    let (beta, _) = desk.approved_customer("Beta").await;
    desk.wire("40.00", &beta.reference);
    desk.statement().await;
    assert_eq!(desk.pass().await.minted.len(), 1);

    let (_, again) = reconcile_day(&desk.store, &desk.f.usd1, &yesterday, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(again.figures, first.figures);
    assert_eq!((&again.items, again.balanced), (&first.items, true));

    let today = desk.bank.day();
    assert_ne!(today, yesterday);
    // The schedule waits for today to end.
    let scheduled = desk.store.unreconciled_days(ISSUER_ACCOUNT, now).await;
    assert!(scheduled.unwrap().is_empty());
    let scheduled = desk
        .store
        .unreconciled_days(ISSUER_ACCOUNT, now + 86_400)
        .await;
    assert_eq!(scheduled.unwrap(), vec![today.clone()]);
    let (_, report) = reconcile_day(&desk.store, &desk.f.usd1, &today, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(report.figures.bank_closing, 190_250_000);
    assert_eq!(report.figures.supply, 190 * ONE);
    assert_eq!(report.figures.reserve, 1_000 * ONE);
    assert_eq!(owed(&report), 0, "{report:?}");
    assert!(report.balanced, "{report:?}");

    let refused = reconcile_day(&desk.store, &desk.f.usd1, "yesterday", ISSUER_ACCOUNT).await;
    assert!(
        matches!(&refused, Err(ReconcileFailed::Books(e)) if e.to_string() == "'yesterday' is not a day: give it as YYYY-MM-DD"),
        "{refused:?}"
    );
}

both_databases!(a_past_day_is_reconciled_as_it_stood_at_its_end, as_it_stood);

/// A settlement and a mint that land after midnight by the chain's clock
/// while the desk's clock still says the day before are the next day's on
/// the books as they are on the chain: each is dated by its block's time,
/// not by when the desk recorded it, and both days reconcile.
async fn after_midnight(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (_, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    desk.redeem(&wallet, 100 * ONE).await;
    desk.payout().await;
    desk.bank_pays().await;
    let (beta, _) = desk.approved_customer("Beta").await;
    desk.wire("40.00", &beta.reference);
    desk.statement().await;
    let today = desk.bank.day();
    // The chain passes midnight; the desk's clock has not.
    let midnight = day_end(&today).unwrap() + 1;
    desk.f
        .advance_clock(midnight + 1 - desk.f.now().await)
        .await;
    desk.f.attest(1_000 * ONE).await.unwrap();
    assert_eq!(desk.payout().await.resolved.len(), 1);
    assert_eq!(desk.pass().await.minted.len(), 1);

    let (_, report) = reconcile_day(&desk.store, &desk.f.usd1, &today, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(
        report.figures.supply,
        250 * ONE,
        "neither had landed by the day's end"
    );
    assert_eq!(report.figures.escrowed_taken, 100 * i128::from(ONE));
    assert!(report.balanced, "{report:?}");

    desk.bank.advance_day();
    desk.statement().await;
    let tomorrow = desk.bank.day();
    let (_, next) = reconcile_day(&desk.store, &desk.f.usd1, &tomorrow, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(next.figures.supply, 190 * ONE);
    assert_eq!(next.figures.escrowed_taken, 0);
    assert!(next.balanced, "{next:?}");
}

both_databases!(
    a_mint_and_a_settlement_landing_after_midnight_are_the_next_days,
    after_midnight
);

/// The transparency page shows the desk's newest reconciliation and copies
/// it beside itself; a file that is not one is refused by name.
#[tokio::test]
async fn the_transparency_page_shows_the_newest_reconciliation() {
    let mut desk = Desk::new(1_000 * ONE).await;
    desk.redeeming_customer("Acme", "250.00").await;
    let day = desk.bank.day();
    let (_, report) = reconcile_day(&desk.store, &desk.f.usd1, &day, ISSUER_ACCOUNT)
        .await
        .unwrap();
    assert!(report.balanced, "{report:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reconciliation.json");
    std::fs::write(&file, serde_json::to_string(&report).unwrap()).unwrap();
    let site = dir.path().join("site");
    let mint = desk.f.mint().to_string();
    let (file_arg, site_arg) = (file.display().to_string(), site.display().to_string());
    let args = [
        "transparency",
        "--mint",
        &mint,
        "--out",
        &site_arg,
        "--reconciliation",
        &file_arg,
    ];
    usd1_tests::cli_harness::ok(&desk.f, &desk.f.admin, &args).await;
    let page = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        page.contains(&format!("newest day, {day}: reconciled")),
        "{page}"
    );
    assert!(
        page.contains("$250.00"),
        "the bank's closing balance: {page}"
    );
    assert!(site.join(format!("reconciliation-{day}.json")).exists());
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"not": "a report"}"#).unwrap();
    let bad_arg = bad.display().to_string();
    let args = [
        "transparency",
        "--mint",
        &mint,
        "--out",
        &site_arg,
        "--reconciliation",
        &bad_arg,
    ];
    let refused = usd1_tests::cli_harness::usd1(&desk.f, &desk.f.admin, &args)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("not a usd1-desk reconciliation report"),
        "{refused}"
    );
}
