//! The attestation record and `AttestationHistory`: a ring buffer PDA
//! `["attestations", config]` of the most recent attestations, for direct reads.
//! The full history lives in `ReserveAttested` events.
use anchor_lang::prelude::*;

use crate::constants::HISTORY_LEN;
use crate::errors::Usd1Error;

/// One accepted reserve attestation (fixed 80-byte layout, also kept in `Config`).
#[zero_copy]
#[derive(InitSpace, Debug, Default, PartialEq, Eq)]
pub struct AttestationRecord {
    pub seq: u64,
    /// Token base units.
    pub reserve_amount: u64,
    /// Unix seconds the reserve figure is as of.
    pub as_of: i64,
    /// Chain clock (unix seconds) when the attestation was recorded.
    pub attested_at: i64,
    pub slot: u64,
    pub report_sha256: [u8; 32],
    /// The attestor set (`Config.attestor_epoch`) that signed.
    pub attestor_epoch: u32,
    /// Bit i set: attestor i of that set signed.
    pub signer_bitmap: u8,
    pub signer_count: u8,
    pub _padding: [u8; 2],
}

// The record is plain bytes (Pod, little-endian, no implicit padding), so its
// borsh encoding is exactly its memory layout. Written by hand because the
// derives would describe the type to the IDL a second time.
impl AnchorSerialize for AttestationRecord {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(bytemuck::bytes_of(self))
    }
}

impl AnchorDeserialize for AttestationRecord {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let mut bytes = [0u8; core::mem::size_of::<AttestationRecord>()];
        reader.read_exact(&mut bytes)?;
        Ok(bytemuck::pod_read_unaligned(&bytes))
    }
}

#[account(zero_copy)]
#[derive(InitSpace)]
pub struct AttestationHistory {
    pub config: Pubkey,
    /// Attestations ever written; the newest is at `(count - 1) % HISTORY_LEN`.
    pub count: u64,
    pub records: [AttestationRecord; HISTORY_LEN],
}

impl AttestationHistory {
    pub fn push(&mut self, record: AttestationRecord) -> Result<()> {
        let slot = usize::try_from(
            self.count
                .checked_rem(HISTORY_LEN as u64)
                .ok_or(Usd1Error::Overflow)?,
        )
        .map_err(|_| error!(Usd1Error::Overflow))?;
        self.records[slot] = record;
        self.count = self.count.checked_add(1).ok_or(Usd1Error::Overflow)?;
        Ok(())
    }

    /// The newest record, if any.
    pub fn latest(&self) -> Option<&AttestationRecord> {
        let newest = self.count.checked_sub(1)?;
        self.records
            .get(usize::try_from(newest.checked_rem(HISTORY_LEN as u64)?).ok()?)
    }

    pub fn invariant(&self, config: &crate::state::Config) -> Result<()> {
        // The ring's newest entry is the config's latest attestation, and seqs are dense.
        require!(self.count == config.latest.seq, Usd1Error::InvalidSequence);
        if let Some(latest) = self.latest() {
            require!(*latest == config.latest, Usd1Error::InvalidSequence);
        }
        Ok(())
    }
}
