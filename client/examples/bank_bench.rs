//! Benchmark of the bank-file readers: a camt.053 and a BAI2 file of N
//! entries (default 100,000), each read whole by `usd1_client::bank` in a
//! process of its own, so that its peak resident memory is the reading's
//! alone. Prints entries per second, the file's size and the peak RSS.
//! The files are written here in the simulated bank's shapes, or given:
//! the simulated bank's own (`usd1-tests`'s `bank_files` example writes
//! them; the simulator is in the tests crate, whose release build would
//! compile the whole runtime, so only the reader runs in release).
//!
//! Run: `cargo run --release -p usd1-client --example bank_bench [-- ENTRIES]`
//! or, over the simulated bank's files:
//! `cargo run -p usd1-tests --example bank_files -- DIR 100000 &&
//!  cargo run --release -p usd1-client --example bank_bench -- files DIR/statement.xml DIR/statement.bai2`
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use usd1_client::bank::{self, Document};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// `bank_bench read FILE`: read it, print `entries seconds peak_kib`.
fn read(path: &Path) -> Result<()> {
    let started = Instant::now();
    let document = bank::read_path(path, u64::MAX)?;
    let seconds = started.elapsed().as_secs_f64();
    let Document::Statements(file) = document else {
        return Err("not a statement file".into());
    };
    let entries: usize = file.statements.iter().map(|s| s.entries.len()).sum();
    let status = std::fs::read_to_string("/proc/self/status")?;
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .ok_or("VmHWM")?;
    println!("{entries} {seconds} {peak}");
    Ok(())
}

/// Cents of entry `i`: 100.00 to 9,099.99.
fn cents(i: usize) -> u64 {
    (100 + (i % 9_000) as u64) * 100 + (i % 100) as u64
}

fn dollars(c: u64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn camt(n: usize) -> String {
    let total: u64 = (0..n).map(cents).sum();
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-12-04T18:00:00-05:00</CreDtTm></GrpHdr><Stmt><Id>BENCH-1</Id><Acct><Id><Othr><Id>000123456789</Id></Othr></Id><Ccy>USD</Ccy></Acct>\n",
    );
    for (kind, amount) in [("OPBD", 0), ("CLBD", total)] {
        let _ = writeln!(
            x,
            "<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp><Amt Ccy=\"USD\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-04</Dt></Dt></Bal>",
            dollars(amount)
        );
    }
    let _ = writeln!(
        x,
        "<TxsSummry><TtlNtries><NbOfNtries>{n}</NbOfNtries><Sum>{}</Sum></TtlNtries></TxsSummry>",
        dollars(total)
    );
    for i in 0..n {
        let a = dollars(cents(i));
        let _ = writeln!(
            x,
            "<Ntry><Amt Ccy=\"USD\">{a}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-04</Dt></BookgDt><ValDt><Dt>2026-12-04</Dt></ValDt><AcctSvcrRef>BNK-20261204-{i:07}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn><Prtry><Cd>195</Cd></Prtry></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>E2E-{i}</EndToEndId></Refs><Amt Ccy=\"USD\">{a}</Amt><CdtDbtInd>CRDT</CdtDbtInd><RltdPties><Dbtr><Pty><Nm>Acme Treasury Corp</Nm></Pty></Dbtr><DbtrAcct><Id><Othr><Id>987654321</Id></Othr></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>USD1 deposit ref D1-{i:08X}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        );
    }
    x.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    x
}

fn bai2(n: usize) -> String {
    let total: u64 = (0..n).map(cents).sum();
    let mut lines = vec![
        "01,021000021,USD1ISSUER,261204,1800,1,80,,2/".to_string(),
        "02,USD1ISSUER,021000021,1,261204,2400,USD,2/".to_string(),
        format!("03,000123456789,USD,010,0,,,015,{total},,/"),
    ];
    for i in 0..n {
        lines.push(format!(
            "16,195,{},0,BNK-20261204-{i:07},E2E-{i},USD1 deposit ref D1-{i:08X}",
            cents(i)
        ));
    }
    let account = 2 * total;
    lines.push(format!("49,{account},{}/", n + 2));
    lines.push(format!("98,{account},1,{}/", n + 4));
    lines.push(format!("99,{account},1,{}/", n + 6));
    lines.join("\n") + "\n"
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("read") {
        return read(Path::new(args.get(2).ok_or("FILE")?));
    }
    let dir = std::env::temp_dir().join(format!("usd1-bank-bench-{}", std::process::id()));
    let (camt_path, bai2_path, made) = if args.get(1).map(String::as_str) == Some("files") {
        let file = |i: usize| {
            args.get(i)
                .map(std::path::PathBuf::from)
                .ok_or("files CAMT BAI2")
        };
        (file(2)?, file(3)?, "the files given")
    } else {
        let n: usize = args.get(1).map_or(Ok(100_000), |n| n.parse())?;
        std::fs::create_dir_all(&dir)?;
        let (camt_path, bai2_path) = (dir.join("statement.xml"), dir.join("statement.bai2"));
        std::fs::write(&camt_path, camt(n))?;
        std::fs::write(&bai2_path, bai2(n))?;
        (camt_path, bai2_path, "files written here")
    };
    println!("bank files ({made}), each read whole in a process of its own:");
    for (what, path) in [("camt.053.001.08", &camt_path), ("BAI2", &bai2_path)] {
        let out = Command::new(std::env::current_exe()?)
            .arg("read")
            .arg(path)
            .output()?;
        if !out.status.success() {
            return Err(format!("{what}: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        let f: Vec<f64> = String::from_utf8(out.stdout)?
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0.0))
            .collect();
        let size = std::fs::metadata(path)?.len() as f64 / 1_048_576.0;
        println!(
            "  {what:<16} {:>8.0} entries  {:>7.1} MiB  {:>9.0} entries/s  peak RSS {:>6.1} MiB",
            f[0],
            size,
            f[0] / f[1],
            f[2] / 1024.0
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
