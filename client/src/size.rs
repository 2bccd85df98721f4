//! Wire sizes of transactions, to keep attestations inside one packet.
use solana_sdk::transaction::Transaction;

/// Largest serialized legacy transaction the network accepts (bytes).
pub const PACKET_DATA_SIZE: usize = 1232;

/// Serialized size of a transaction: short-vec of signatures plus the message.
pub fn transaction_size(transaction: &Transaction) -> usize {
    let signatures = transaction.signatures.len();
    short_vec_len(signatures) + signatures * 64 + transaction.message.serialize().len()
}

fn short_vec_len(n: usize) -> usize {
    match n {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        _ => 3,
    }
}
