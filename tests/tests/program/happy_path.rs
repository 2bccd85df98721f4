//! The whole happy path on both token programs, asserting every event.
use solana_sdk::signature::Signer;
use usd1::events;
use usd1_client::{pda, Usd1Event};
use usd1_tests::*;

async fn happy_path(flavor: Flavor) {
    let f = Fixture::new(flavor).await;
    let mint = f.mint();

    // initialize: mint created with the Config PDA as both authorities.
    let config = f.usd1.config().await.unwrap();
    let info = f.usd1.mint_info().await.unwrap();
    assert_eq!(info.decimals, DECIMALS);
    assert_eq!(info.supply, 0);
    assert_eq!(info.mint_authority, Some(f.config_address()));
    assert_eq!(info.freeze_authority, Some(f.config_address()));
    assert_eq!(config.token_program, flavor.program_id());
    assert_eq!(config.admin, f.admin.pubkey());
    assert_eq!(config.pauser, f.pauser.pubkey());
    assert_eq!(config.threshold, THRESHOLD);
    assert_eq!(
        f.init_events.events,
        vec![Usd1Event::Initialized(events::Initialized {
            mint,
            config: f.config_address(),
            admin: f.admin.pubkey(),
            token_program: flavor.program_id(),
            decimals: DECIMALS,
            name: "USD1 Dollar".into(),
            symbol: "USD1".into(),
            uri: "https://example.com/usd1.json".into(),
            options: Default::default(),
            escrow: pda::escrow(&f.config_address()),
        })]
    );

    // attest 1,000 tokens of reserve.
    let args = f.next_args(1_000 * ONE).await;
    let done = f.usd1.attest(args, &f.signers(2)).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::ReserveAttested(events::ReserveAttested {
            mint,
            seq: 1,
            reserve_amount: 1_000 * ONE,
            as_of: args.as_of,
            report_sha256: args.report_sha256,
            attestor_epoch: 1,
            signers: f.signers(2).iter().map(|k| k.pubkey()).collect(),
        })]
    );

    // mint 600 to a holder, then up to exactly the reserve.
    let holder = f.holder.pubkey();
    let done = f.usd1.mint_to(&f.minter, &holder, 600 * ONE).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::Minted(events::Minted {
            mint,
            minter: f.minter.pubkey(),
            destination: f.usd1.token_account_of(&holder),
            amount: 600 * ONE,
            supply: 600 * ONE,
            allowance_remaining: MINTER_ALLOWANCE - 600 * ONE,
            attestation_seq: 1,
            reserve_amount: 1_000 * ONE,
            margin_bps: 0,
            capacity_remaining: None,
        })]
    );
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), 400 * ONE)
        .await
        .unwrap();
    assert_eq!(f.supply().await, 1_000 * ONE);
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 600 * ONE);
    assert_eq!(f.allowance().await, MINTER_ALLOWANCE - 1_000 * ONE);

    // a wallet moves tokens with a plain token-program transfer.
    let wallet = f.funded_keypair().await;
    let create = f.create_account_ix(&wallet.pubkey());
    let transfer = f.transfer_ix(&holder, &wallet.pubkey(), 100 * ONE);
    f.send(&[create, transfer], &[&f.holder]).await.unwrap();
    assert_eq!(f.usd1.balance(&wallet.pubkey()).await.unwrap(), 100 * ONE);

    // the minter burns 250 of its own.
    let done = f.usd1.burn(&f.minter, 250 * ONE).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::Burned(events::Burned {
            mint,
            minter: f.minter.pubkey(),
            source: f.usd1.token_account_of(&f.minter.pubkey()),
            amount: 250 * ONE,
            supply: 750 * ONE,
        })]
    );
    assert_eq!(f.supply().await, 750 * ONE);

    // freeze and thaw the holder, each citing its basis.
    let account = f.usd1.token_account_of(&holder);
    let order = usd1_client::sha256(b"order 26-CV-0042");
    let basis = usd1::instructions::LawfulBasis {
        reason_code: 3,
        order_sha256: order,
    };
    let done = f
        .usd1
        .set_frozen(&f.freezer, &account, true, basis)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::Frozen(events::Frozen {
            mint,
            freezer: f.freezer.pubkey(),
            token_account: account,
            reason_code: 3,
            order_sha256: order,
        })]
    );
    assert!(f.usd1.token_account(&account).await.unwrap().frozen);
    let done = f.usd1.thaw(&f.freezer, &account).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::Thawed(events::Thawed {
            mint,
            freezer: f.freezer.pubkey(),
            token_account: account,
            reason_code: 0,
            order_sha256: [0; 32],
        })]
    );
    assert!(!f.usd1.token_account(&account).await.unwrap().frozen);

    // pause and unpause.
    let done = f.usd1.pause(&f.pauser).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::Paused(events::Paused {
            mint,
            pauser: f.pauser.pubkey()
        })]
    );
    assert!(f.usd1.config().await.unwrap().is_paused());
    let done = f.usd1.unpause(&f.pauser).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::Unpaused(events::Unpaused {
            mint,
            pauser: f.pauser.pubkey()
        })]
    );

    // the history ring holds the attestation; totals add up.
    let history = f.usd1.history().await.unwrap();
    assert_eq!(history.count, 1);
    assert_eq!(history.config, f.config_address());
    let config = f.usd1.config().await.unwrap();
    assert_eq!(history.records[0], config.latest);
    assert_eq!(config.total_minted, 1_000 * ONE);
    assert_eq!(config.total_burned, 250 * ONE);
    let minter = f.usd1.minter_allowance(&f.minter.pubkey()).await.unwrap();
    assert_eq!(
        (minter.total_minted, minter.total_burned),
        (1_000 * ONE, 250 * ONE)
    );
    assert_eq!(f.config_address(), pda::config(&mint));
}

#[tokio::test]
async fn happy_path_on_token_2022() {
    happy_path(Flavor::Token2022).await;
}

#[tokio::test]
async fn happy_path_on_classic_token() {
    happy_path(Flavor::Token).await;
}

/// Token-2022 pads an account whose length would equal a multisig's (355
/// bytes) with an empty 2-byte extension type. Name "USD1", symbol "USD1" and a 29-byte URI put the
/// mint with its metadata exactly there; initialize must fund the extra byte.
#[tokio::test]
async fn initializes_a_mint_whose_metadata_lands_on_the_multisig_length() {
    let f = Fixture::bare(Flavor::Token2022).await;
    let mint = solana_sdk::signature::Keypair::new();
    let args = usd1::instructions::InitializeArgs {
        name: "USD1".into(),
        symbol: "USD1".into(),
        uri: "https://example.com/usd1.json".into(),
        ..default_init_args()
    };
    let (usd1, _) = usd1_client::Usd1::initialize(
        f.ledger.clone(),
        f.admin.clone(),
        &mint,
        Flavor::Token2022.program_id(),
        args,
    )
    .await
    .expect("initialize");
    let account = f
        .backend
        .banks_client
        .get_account(usd1.mint())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        account.data.len(),
        357,
        "355 plus token-2022's 2-byte padding"
    );
    let rent = f.backend.banks_client.get_rent().await.unwrap();
    assert!(account.lamports >= rent.minimum_balance(account.data.len()));
}

/// SECURITY.md items 18 and 19: anyone who sees an `initialize` in flight
/// knows the mint's address and so every address it makes (the Config, the
/// history, the escrow: PDAs of the mint), and can send lamports to them
/// first. The system program's `create_account` refuses such an address;
/// initialize must not.
#[tokio::test]
async fn initializes_when_its_addresses_were_prefunded() {
    use solana_sdk::signature::{Keypair, Signer};
    use usd1_client::{pda, Ledger};
    for flavor in [Flavor::Token2022, Flavor::Token] {
        let f = Fixture::bare(flavor).await;
        let mint = Keypair::new();
        let config = pda::config(&mint.pubkey());
        let history = pda::attestation_history(&config);
        let escrow = pda::escrow(&config);
        // On the escrow, the Config and the history, less than their rent (the
        // least an empty account may hold); on the mint, more than its rent.
        let empty = f
            .ledger
            .minimum_balance_for_rent_exemption(0)
            .await
            .unwrap();
        let gifts = [
            (escrow, empty),
            (config, empty),
            (history, empty),
            (mint.pubkey(), 1_000_000_000),
        ];
        for (address, lamports) in gifts {
            let gift = anchor_lang::solana_program::system_instruction::transfer(
                &f.admin.pubkey(),
                &address,
                lamports,
            );
            f.send(&[gift], &[]).await.unwrap();
        }
        let (usd1, executed) = usd1_client::Usd1::initialize(
            f.ledger.clone(),
            f.admin.clone(),
            &mint,
            flavor.program_id(),
            default_init_args(),
        )
        .await
        .expect("initialize over prefunded addresses");
        assert_eq!(executed.events.len(), 1, "Initialized");
        let rent = f.backend.banks_client.get_rent().await.unwrap();
        let owners = [
            (escrow, flavor.program_id()),
            (mint.pubkey(), flavor.program_id()),
            (config, usd1::ID),
            (history, usd1::ID),
        ];
        for (address, owner) in owners {
            let account = f.ledger.get_account(&address).await.unwrap().unwrap();
            assert_eq!(account.owner, owner, "{address}");
            assert!(account.lamports >= rent.minimum_balance(account.data.len()));
        }
        assert_eq!(usd1.config().await.unwrap().mint, mint.pubkey());
        let escrow_account = usd1.token_account(&escrow).await.unwrap();
        assert_eq!(
            (
                escrow_account.owner,
                escrow_account.amount,
                escrow_account.frozen
            ),
            (usd1.config_address(), 0, false)
        );
        assert_eq!(usd1.mint_info().await.unwrap().supply, 0);
    }
}
