//! Transaction logs as a validator writes them.
//!
//! A program run natively is logged differently from one run in the VM, in
//! two ways that stock clients trip over (`@coral-xyz/anchor`'s
//! `EventParser` throws "Expected the stack to have elements"):
//!
//! - every invocation of a native program is logged twice — `invoke [d]` by
//!   the runtime and again by solana-program-test's builtin wrapper, and its
//!   `success` (or `failed: …`) twice too;
//! - a cross-program invocation made by a native program goes through
//!   solana-program-test's syscall stub, which logs one more `invoke` line at
//!   the *caller's* depth before the runtime logs the true one, and one more
//!   `success` after it.
//!
//! [`validator_logs`] undoes exactly those additions, so every invocation has
//! one `Program X invoke [d]` at its true depth and one closing line, with
//! the lines in between where they were written. It also turns the marked
//! lines [`DATA_MARKER`] stands for (a native program's `sol_log_data`, see
//! `runtime`) into the validator's `Program data: …`. Logs it cannot read as
//! the native runtime writes them are returned unchanged: nothing is lost.
use solana_sdk::pubkey::Pubkey;

/// How `runtime`'s syscall stub marks a native program's `sol_log_data`
/// line, which reaches the log collector as `Program log: <marker><base64…>`.
pub const DATA_MARKER: &str = "\u{1}usd1-localnet:data ";

const PREFIX: &str = "Program ";
const LOG: &str = "Program log: ";

/// One line, as far as invocations are concerned.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Invoke { program: &'a str, depth: usize },
    Close { program: &'a str, success: bool },
    Other,
}

fn classify(line: &str) -> Line<'_> {
    let Some(rest) = line.strip_prefix(PREFIX) else {
        return Line::Other;
    };
    let Some((program, what)) = rest.split_once(' ') else {
        return Line::Other;
    };
    if program.parse::<Pubkey>().is_err() {
        return Line::Other;
    }
    if let Some(depth) = what
        .strip_prefix("invoke [")
        .and_then(|d| d.strip_suffix(']'))
        .and_then(|d| d.parse().ok())
    {
        return Line::Invoke { program, depth };
    }
    if what == "success" {
        return Line::Close {
            program,
            success: true,
        };
    }
    if what.starts_with("failed: ") {
        return Line::Close {
            program,
            success: false,
        };
    }
    Line::Other
}

struct Frame<'a> {
    program: &'a str,
    depth: usize,
    native: bool,
    /// Invoked by a native program: the syscall stub logged it too.
    via_stub: bool,
    /// The builtin wrapper's own `invoke` line was seen (and dropped).
    wrapped: bool,
}

/// `raw` (the native runtime's logs of one transaction) as a validator
/// would have written them; `native` are the programs run natively.
pub fn validator_logs(raw: &[String], native: &[Pubkey]) -> Vec<String> {
    reshape(raw, native).unwrap_or_else(|| raw.to_vec())
}

fn reshape(raw: &[String], native: &[Pubkey]) -> Option<Vec<String>> {
    let native: Vec<String> = native.iter().map(ToString::to_string).collect();
    let mut out = Vec::with_capacity(raw.len());
    let mut stack: Vec<Frame> = Vec::new();
    // The stub's `invoke` line for the invocation about to start.
    let mut stub_pending: Option<(&str, usize)> = None;
    // The frame just pushed is native: its wrapper's duplicate comes next.
    let mut wrapper_pending = false;
    // Closing lines of the frame just popped still to drop: (program, count).
    let mut absorb: Option<(&str, usize)> = None;
    for line in raw {
        match classify(line) {
            Line::Invoke { program, depth } => {
                absorb = None;
                if wrapper_pending {
                    wrapper_pending = false;
                    let top = stack.last_mut()?;
                    if top.program == program && top.depth == depth {
                        top.wrapped = true;
                        continue;
                    }
                }
                if let Some(top) = stack.last() {
                    if top.native && depth == top.depth && stub_pending.is_none() {
                        stub_pending = Some((program, depth));
                        continue;
                    }
                }
                if depth != stack.len() + 1 {
                    return None;
                }
                let via_stub = match stub_pending.take() {
                    Some((stubbed, at)) if stubbed == program && at + 1 == depth => true,
                    Some(_) => return None,
                    None => false,
                };
                let frame = Frame {
                    program,
                    depth,
                    native: native.iter().any(|n| n == program),
                    via_stub,
                    wrapped: false,
                };
                wrapper_pending = frame.native;
                stack.push(frame);
                out.push(line.clone());
            }
            Line::Close { program, success } => {
                wrapper_pending = false;
                if let Some((closing, left)) = absorb.as_mut() {
                    if *closing == program && *left > 0 {
                        *left -= 1;
                        continue;
                    }
                }
                let frame = stack.pop()?;
                if frame.program != program || stub_pending.is_some() {
                    return None;
                }
                // The runtime's closing line, plus the wrapper's, plus (on
                // success only) the stub's.
                let extra = usize::from(frame.wrapped) + usize::from(frame.via_stub && success);
                absorb = Some((program, extra));
                out.push(line.clone());
            }
            Line::Other => {
                absorb = None;
                wrapper_pending = false;
                let data = line
                    .strip_prefix(LOG)
                    .and_then(|rest| rest.strip_prefix(DATA_MARKER))
                    .filter(|_| stack.last().is_some_and(|top| top.native));
                match data {
                    Some(fields) => out.push(format!("Program data: {fields}")),
                    None => out.push(line.clone()),
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(|l| l.trim().to_string()).collect()
    }

    const USD1: &str = "G9fF9RdRpgTNxRLTDrzjxHPV9YBZzd9pJVSfYidM37QC";
    const TOKEN: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";

    fn usd1() -> Vec<Pubkey> {
        vec![USD1.parse().unwrap()]
    }

    #[test]
    fn a_native_instruction_with_a_token_cpi_and_an_event_cpi_reads_as_on_a_validator() {
        let raw = lines(&format!(
            "Program {USD1} invoke [1]
             Program {USD1} invoke [1]
             Program {TOKEN} invoke [1]
             Program {TOKEN} invoke [2]
             Program log: Instruction: MintTo
             Program {TOKEN} consumed 1200 of 199000 compute units
             Program {TOKEN} success
             Program {TOKEN} success
             Program log: {DATA_MARKER}AAEC
             Program {USD1} invoke [1]
             Program {USD1} invoke [2]
             Program {USD1} invoke [2]
             Program {USD1} success
             Program {USD1} success
             Program {USD1} success
             Program {USD1} success
             Program {USD1} success"
        ));
        let expected = lines(&format!(
            "Program {USD1} invoke [1]
             Program {TOKEN} invoke [2]
             Program log: Instruction: MintTo
             Program {TOKEN} consumed 1200 of 199000 compute units
             Program {TOKEN} success
             Program data: AAEC
             Program {USD1} invoke [2]
             Program {USD1} success
             Program {USD1} success"
        ));
        assert_eq!(validator_logs(&raw, &usd1()), expected);
        // Already in shape: unchanged.
        assert_eq!(validator_logs(&expected, &usd1()), expected);
    }

    #[test]
    fn a_failing_cpi_closes_once_per_invocation() {
        let raw = lines(&format!(
            "Program ComputeBudget111111111111111111111111111111 invoke [1]
             Program ComputeBudget111111111111111111111111111111 success
             Program {USD1} invoke [1]
             Program {USD1} invoke [1]
             Program {TOKEN} invoke [1]
             Program {TOKEN} invoke [2]
             Program log: Error: Account is frozen
             Program {TOKEN} consumed 900 of 199000 compute units
             Program {TOKEN} failed: custom program error: 0x11
             Program {USD1} failed: custom program error: 0x11
             Program {USD1} failed: custom program error: 0x11"
        ));
        let expected = lines(&format!(
            "Program ComputeBudget111111111111111111111111111111 invoke [1]
             Program ComputeBudget111111111111111111111111111111 success
             Program {USD1} invoke [1]
             Program {TOKEN} invoke [2]
             Program log: Error: Account is frozen
             Program {TOKEN} consumed 900 of 199000 compute units
             Program {TOKEN} failed: custom program error: 0x11
             Program {USD1} failed: custom program error: 0x11"
        ));
        assert_eq!(validator_logs(&raw, &usd1()), expected);
    }

    #[test]
    fn programs_run_in_the_vm_are_left_alone_and_marked_lines_only_convert_in_native_frames() {
        let raw = lines(&format!(
            "Program {TOKEN} invoke [1]
             Program log: {DATA_MARKER}AAEC
             Program {TOKEN} invoke [2]
             Program {TOKEN} success
             Program {TOKEN} success"
        ));
        assert_eq!(validator_logs(&raw, &usd1()), raw);
    }

    #[test]
    fn logs_it_cannot_read_come_back_unchanged() {
        let raw = lines(&format!(
            "Program {USD1} invoke [1]
             Program {TOKEN} invoke [3]
             Program {TOKEN} success"
        ));
        assert_eq!(validator_logs(&raw, &usd1()), raw);
    }
}
