//! What an SBF program's code is made of: its `.text` counted by kind of
//! instruction (loads and stores by width, the shifts and ORs that put words
//! together from bytes, calls, jumps), from the ELF file alone. Issue 39 used
//! it to find why the shared SBF instrument's usd1.so is as large as it is:
//! upstream LLVM's BPF backend splits every access it cannot prove aligned
//! into single bytes unless `allows-misaligned-mem-access` is on, which the
//! SBF VM permits and platform-tools' LLVM assumes.
//!
//! Run: `cargo run -p usd1-tests --example sbf_opcodes -- PATH/TO/usd1.so`
//! (the instrument leaves it in `~/.cache/usd1-sbf/work/sbf-out/usd1.so`).
use anyhow::{bail, ensure, Context, Result};

/// The bytes of the section named `wanted` of a little-endian ELF64 file.
fn section<'a>(elf: &'a [u8], wanted: &str) -> Result<&'a [u8]> {
    ensure!(
        elf.get(..6) == Some(b"\x7fELF\x02\x01"),
        "not a little-endian ELF64 file"
    );
    let u16_at = |at: usize| -> Result<usize> {
        let bytes = elf.get(at..at + 2).context("truncated ELF header")?;
        Ok(usize::from(u16::from_le_bytes([bytes[0], bytes[1]])))
    };
    let u64_at = |at: usize| -> Result<usize> {
        let bytes = elf.get(at..at + 8).context("truncated ELF")?;
        Ok(usize::try_from(u64::from_le_bytes(bytes.try_into()?))?)
    };
    let (headers, header_size, count, names) =
        (u64_at(0x28)?, u16_at(0x3a)?, u16_at(0x3c)?, u16_at(0x3e)?);
    let header = |index: usize| headers + index * header_size;
    let names_at = u64_at(header(names) + 0x18)?;
    for index in 0..count {
        let name_offset = u32::from_le_bytes(
            elf.get(header(index)..header(index) + 4)
                .context("truncated section header")?
                .try_into()?,
        );
        let name = &elf[names_at + usize::try_from(name_offset)?..];
        let name = &name[..name.iter().position(|b| *b == 0).unwrap_or(name.len())];
        if name == wanted.as_bytes() {
            let (offset, size) = (u64_at(header(index) + 0x18)?, u64_at(header(index) + 0x20)?);
            return elf
                .get(offset..offset + size)
                .context("section outside the file");
        }
    }
    bail!("no {wanted} section")
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
    let text = section(&elf, ".text")?;
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
