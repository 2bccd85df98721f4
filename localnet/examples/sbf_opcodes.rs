//! What an SBF program's code is made of: its `.text` counted by kind of
//! instruction (loads and stores by width, the shifts and ORs that put words
//! together from bytes, calls, jumps), read with the SBF VM's own ELF parser
//! (`solana-sbpf`, whose opcode names the test checks the kinds against).
//! Issue 39 used it to find why the shared SBF instrument's usd1.so is as
//! large as it is:
//! upstream LLVM's BPF backend splits every access it cannot prove aligned
//! into single bytes unless `allows-misaligned-mem-access` is on, which the
//! SBF VM permits and platform-tools' LLVM assumes.
//!
//! Run: `cargo run -p usd1-localnet --example sbf_opcodes -- PATH/TO/usd1.so`
//! (the instrument leaves it in `~/.cache/usd1-sbf/work/sbf-out/usd1.so`).
use anyhow::{anyhow, bail, Context, Result};
use solana_sbpf::aligned_memory::AlignedMemory;
use solana_sbpf::ebpf::HOST_ALIGN;
use solana_sbpf::elf_parser::Elf64;

/// The `.text` of an SBF ELF file, found by the SBF VM's own ELF parser.
fn text(elf: &[u8]) -> Result<Vec<u8>> {
    // The parser reads its headers in place, so it wants aligned bytes.
    let aligned = AlignedMemory::<HOST_ALIGN>::from_slice(elf);
    let parsed = Elf64::parse(aligned.as_slice()).map_err(|e| anyhow!("not an SBF ELF: {e}"))?;
    for header in parsed.section_header_table() {
        let name = parsed
            .section_name(header.sh_name)
            .map_err(|e| anyhow!("section name: {e}"))?;
        if name == b".text" {
            let range = header
                .file_range()
                .context(".text has no bytes in the file")?;
            let bytes = aligned
                .as_slice()
                .get(range)
                .context(".text outside the file")?;
            return Ok(bytes.to_vec());
        }
    }
    bail!("no .text section")
}

/// The kind an SBF opcode is counted under.
fn kind(opcode: u8) -> &'static str {
    let width = match opcode & 0x18 {
        0x10 => "byte",
        0x08 => "16-bit",
        0x00 => "32-bit",
        _ => "64-bit",
    };
    match (opcode & 0x07, opcode) {
        (_, 0x18) => "load 64-bit immediate (lddw)",
        (0x01, _) => match width {
            "byte" => "load byte",
            "16-bit" => "load 16-bit",
            "32-bit" => "load 32-bit",
            _ => "load 64-bit",
        },
        (0x02 | 0x03, _) => match width {
            "byte" => "store byte",
            "16-bit" => "store 16-bit",
            "32-bit" => "store 32-bit",
            _ => "store 64-bit",
        },
        (0x07 | 0x04, _) if matches!(opcode & 0xf0, 0x60 | 0x70 | 0xc0) => "shift",
        (0x07 | 0x04, _) if opcode & 0xf0 == 0x40 => "or",
        (0x07 | 0x04, _) if opcode & 0xf0 == 0xb0 => "move",
        (0x07 | 0x04, _) => "other arithmetic",
        (0x05, 0x85 | 0x8d) => "call",
        (0x05, 0x95) => "exit",
        (0x05, _) => "jump",
        _ => "other",
    }
}

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: sbf_opcodes PATH/TO/program.so")?;
    let elf = std::fs::read(&path).with_context(|| format!("reading {path}"))?;
    let text = text(&elf)?;
    let mut counts: Vec<(&str, usize)> = Vec::new();
    let (mut at, mut total) = (0, 0usize);
    while at < text.len() {
        let opcode = text[at];
        let name = kind(opcode);
        match counts.iter_mut().find(|(known, _)| *known == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name, 1)),
        }
        total += 1;
        // lddw takes two slots.
        at += if opcode == 0x18 { 16 } else { 8 };
    }
    counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    println!("{path}: .text {} bytes, {total} instructions", text.len());
    for (name, count) in &counts {
        println!(
            "{name:>30} {count:>8} {:>6.1}%",
            100.0 * *count as f64 / total as f64
        );
    }
    let bytewise: usize = counts
        .iter()
        .filter(|(name, _)| name.ends_with("byte") || *name == "shift" || *name == "or")
        .map(|(_, count)| count)
        .sum();
    println!(
        "{:>30} {bytewise:>8} {:>6.1}%",
        "byte loads/stores, shifts, ors",
        100.0 * bytewise as f64 / total as f64
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::kind;
    use solana_sbpf::ebpf;

    /// The kinds agree with the SBF VM's own names of the opcodes (SBPF v0).
    #[test]
    fn counts_each_opcode_of_the_vm_under_its_kind() {
        let expected = [
            (ebpf::LD_B_REG, "load byte"),
            (ebpf::LD_H_REG, "load 16-bit"),
            (ebpf::LD_W_REG, "load 32-bit"),
            (ebpf::LD_DW_REG, "load 64-bit"),
            (ebpf::ST_B_IMM, "store byte"),
            (ebpf::ST_B_REG, "store byte"),
            (ebpf::ST_W_IMM, "store 32-bit"),
            (ebpf::ST_DW_REG, "store 64-bit"),
            (ebpf::LD_DW_IMM, "load 64-bit immediate (lddw)"),
            (ebpf::LSH64_IMM, "shift"),
            (ebpf::RSH64_REG, "shift"),
            (ebpf::ARSH32_IMM, "shift"),
            (ebpf::OR64_REG, "or"),
            (ebpf::OR32_IMM, "or"),
            (ebpf::MOV64_IMM, "move"),
            (ebpf::MOV64_REG, "move"),
            (ebpf::ADD64_IMM, "other arithmetic"),
            (ebpf::AND64_REG, "other arithmetic"),
            (ebpf::CALL_IMM, "call"),
            (ebpf::CALL_REG, "call"),
            (ebpf::EXIT, "exit"),
            (ebpf::JA, "jump"),
            (ebpf::JEQ_IMM, "jump"),
            (ebpf::JNE_REG, "jump"),
        ];
        for (opcode, name) in expected {
            assert_eq!(kind(opcode), name, "opcode {opcode:#04x}");
        }
    }
}
