//! The wire bytes of every instruction that takes arguments, laid out by hand
//! from Anchor's rules (an 8-byte `sha256("global:<name>")` prefix, then the
//! Borsh fields in order). Wrapping arguments in `XxxArgs` structs must not
//! change them: wallets, web3.js callers and messages already signed offline
//! depend on these bytes.
use solana_sdk::pubkey::Pubkey;
use usd1::state::Role;

use super::*;

fn discriminator(name: &str) -> Vec<u8> {
    crate::sha256(format!("global:{name}").as_bytes())[..8].to_vec()
}

fn expect(name: &str, fields: &[&[u8]]) -> Vec<u8> {
    let mut data = discriminator(name);
    for field in fields {
        data.extend_from_slice(field);
    }
    data
}

#[test]
fn every_instruction_with_arguments_keeps_its_wire_bytes() {
    let (a, b, c) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let (mint, program) = (Pubkey::new_unique(), crate::TOKEN_2022_PROGRAM_ID);
    let amount: u64 = 0x0102_0304_0506_0708;
    let reason: u16 = 0x0a0b;
    let reference = [7u8; 32];
    let basis = LawfulBasis {
        reason_code: reason,
        order_sha256: reference,
    };
    let (_, redemption_bump) = crate::pda::redemption_and_bump(&crate::pda::config(&mint), 9);
    let cases: Vec<(&str, Instruction, Vec<u8>)> = vec![
        (
            "propose_admin",
            propose_admin(&a, &mint, &b),
            expect("propose_admin", &[b.as_ref()]),
        ),
        (
            "set_role",
            set_role(&a, &mint, Role::Treasurer, &b),
            expect("set_role", &[&[2], b.as_ref()]),
        ),
        (
            "set_attestors",
            set_attestors(&a, &mint, vec![b, c], 2, true),
            expect(
                "set_attestors",
                &[&2u32.to_le_bytes(), b.as_ref(), c.as_ref(), &[2], &[1]],
            ),
        ),
        (
            "mint_to",
            mint_to(&a, &mint, &b, &program, amount),
            expect("mint_to", &[&amount.to_le_bytes()]),
        ),
        (
            "burn",
            burn(&a, &mint, &b, &program, amount),
            expect("burn", &[&amount.to_le_bytes()]),
        ),
        (
            "request_redemption",
            request_redemption(&a, &mint, &b, &program, 9, amount, reference),
            // Since issue 39 the record's canonical bump follows the arguments.
            expect(
                "request_redemption",
                &[&amount.to_le_bytes(), &reference, &[redemption_bump]],
            ),
        ),
        (
            "settle_redemption",
            settle_redemption(&a, &mint, &program, 9, reference),
            expect("settle_redemption", &[&reference]),
        ),
        (
            "reject_redemption",
            reject_redemption(&a, &mint, &program, 9, &b, &c, reason),
            expect("reject_redemption", &[&reason.to_le_bytes()]),
        ),
        (
            "seize",
            seize(&a, &mint, &b, &c, &program, amount, basis),
            expect(
                "seize",
                &[&amount.to_le_bytes(), &reason.to_le_bytes(), &reference],
            ),
        ),
        // Since issue 25 a freeze and a thaw carry their lawful basis.
        (
            "freeze",
            freeze(&a, &mint, &b, &program, basis),
            expect("freeze", &[&reason.to_le_bytes(), &reference]),
        ),
        (
            "thaw",
            thaw(&a, &mint, &b, &program, basis),
            expect("thaw", &[&reason.to_le_bytes(), &reference]),
        ),
    ];
    for (name, instruction, wanted) in cases {
        assert_eq!(instruction.program_id, usd1::ID, "{name}");
        assert_eq!(instruction.data, wanted, "{name}");
    }
}
