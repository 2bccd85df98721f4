//! Moments to kill a process at: a small xorshift, seeded from the clock
//! (or `USD1_KILL_SEED`) and printed, so a failing schedule can be replayed.
use crate::tour;

/// A small xorshift, seeded from the clock (or `USD1_KILL_SEED`) and
/// printed, so a failing schedule can be replayed.
pub struct Moments(u64);

impl Default for Moments {
    fn default() -> Self {
        Self::new()
    }
}

impl Moments {
    pub fn new() -> Self {
        let seed = std::env::var("USD1_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| tour::unix_now().unsigned_abs() ^ u64::from(std::process::id()));
        eprintln!("kill schedule seed: {seed} (USD1_KILL_SEED={seed} replays it)");
        Self(seed.max(1))
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}
