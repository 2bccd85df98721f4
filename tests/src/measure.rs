//! Process figures for the benchmarks, from Linux `/proc`: resident memory
//! and CPU time of this process or of a child.

/// A `/proc/PID/status` memory field (`VmRSS`, `VmHWM`, …) in KiB; `pid` may be `self`.
pub fn memory_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system CPU time consumed so far, in clock ticks (1/100 s on Linux).
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU ticks per second assumed by [`cpu_ticks`].
pub const TICKS_PER_SEC: f64 = 100.0;
