//! The simulated bank's files: camt.052/053/054 and BAI2 out, pain.001 in,
//! pain.002 out.
use super::*;

/// Which camt message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Camt {
    Report,
    Notification,
    Statement,
}

impl Camt {
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Statement => ("camt.053.001.08", "BkToCstmrStmt", "Stmt"),
            Self::Report => ("camt.052.001.08", "BkToCstmrAcctRpt", "Rpt"),
            Self::Notification => ("camt.054.001.08", "BkToCstmrDbtCdtNtfctn", "Ntfctn"),
        }
    }
}

fn amount_of(v: i128) -> (BankAmount, &'static str) {
    (
        BankAmount(v.unsigned_abs()),
        if v < 0 { "DBIT" } else { "CRDT" },
    )
}

fn entry_xml(x: &mut String, b: &Booking) {
    let _ = writeln!(
        x,
        "      <Ntry>\n        <Amt Ccy=\"USD\">{}</Amt>\n        <CdtDbtInd>{}</CdtDbtInd>",
        b.amount,
        b.direction.code()
    );
    if b.reversal {
        x.push_str("        <RvslInd>true</RvslInd>\n");
    }
    let _ = writeln!(
        x,
        "        <Sts><Cd>{}</Cd></Sts>",
        if b.booked { "BOOK" } else { "PDNG" }
    );
    if b.booked {
        let _ = writeln!(x, "        <BookgDt><Dt>{}</Dt></BookgDt>", b.date);
    }
    let (family, sub) = match (b.direction, b.reversal) {
        (_, true) => ("ICDT", "RRTN"),
        (Direction::Credit, false) => ("RCDT", "DMCT"),
        (Direction::Debit, false) => ("ICDT", "DMCT"),
    };
    let _ = writeln!(
        x,
        "        <ValDt><Dt>{}</Dt></ValDt>\n        <AcctSvcrRef>{}</AcctSvcrRef>\n        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn><Prtry><Cd>{}</Cd></Prtry></BkTxCd>",
        b.date, b.reference, b.type_code
    );
    let party = if b.direction == Direction::Credit {
        ("Dbtr", "DbtrAcct")
    } else {
        ("Cdtr", "CdtrAcct")
    };
    x.push_str("        <NtryDtls>\n          <TxDtls>\n");
    if let Some(e2e) = &b.end_to_end_id {
        let _ = writeln!(
            x,
            "            <Refs><EndToEndId>{}</EndToEndId></Refs>",
            esc(e2e)
        );
    }
    let _ = writeln!(
        x,
        "            <Amt Ccy=\"USD\">{}</Amt>\n            <CdtDbtInd>{}</CdtDbtInd>\n            <RltdPties><{p}><Pty><Nm>{}</Nm></Pty></{p}><{a}><Id><Othr><Id>{}</Id></Othr></Id></{a}></RltdPties>",
        b.amount,
        b.direction.code(),
        esc(&b.counterparty.0),
        esc(&b.counterparty.1),
        p = party.0,
        a = party.1
    );
    if !b.remittance.is_empty() {
        let _ = writeln!(
            x,
            "            <RmtInf><Ustrd>{}</Ustrd></RmtInf>",
            esc(&b.remittance)
        );
    }
    x.push_str("          </TxDtls>\n        </NtryDtls>\n      </Ntry>\n");
}

impl Bank {
    fn camt(&mut self, kind: Camt, number: &str, entries: &[Booking]) -> Result<PathBuf> {
        let (version, message, element) = kind.names();
        let id = self.next(match kind {
            Camt::Statement => "STMT",
            Camt::Report => "RPT",
            Camt::Notification => "NTF",
        });
        let a = &self.accounts[number];
        let mut x = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:{version}\">\n  <{message}>\n    <GrpHdr><MsgId>{id}</MsgId><CreDtTm>{}</CreDtTm></GrpHdr>\n    <{element}>\n      <Id>{id}-1</Id>\n      <CreDtTm>{}</CreDtTm>\n      <Acct><Id><Othr><Id>{number}</Id></Othr></Id><Ccy>USD</Ccy><Ownr><Nm>{}</Nm></Ownr><Svcr><FinInstnId><BICFI>{BIC}</BICFI><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>{ROUTING}</MmbId></ClrSysMmbId></FinInstnId></Svcr></Acct>\n",
            self.stamp(),
            self.stamp(),
            esc(&a.holder)
        );
        let balance = |kind: &str, v: i128, x: &mut String| {
            let (amount, cd) = amount_of(v);
            let _ = writeln!(x, "      <Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp><Amt Ccy=\"USD\">{amount}</Amt><CdtDbtInd>{cd}</CdtDbtInd><Dt><Dt>{}</Dt></Dt></Bal>", self.day.format("%Y-%m-%d"));
        };
        match kind {
            Camt::Statement => {
                balance("OPBD", a.opening, &mut x);
                balance("CLBD", a.balance, &mut x);
            }
            Camt::Report => balance("ITBD", a.balance, &mut x),
            Camt::Notification => {}
        }
        let sum = |d: Option<Direction>| {
            entries
                .iter()
                .filter(|b| d.is_none_or(|d| b.direction == d))
                .fold((0usize, 0i128), |(n, s), b| (n + 1, s + units(b.amount)))
        };
        let (n, total) = sum(None);
        let (cn, cs) = sum(Some(Direction::Credit));
        let (dn, ds) = sum(Some(Direction::Debit));
        let (net, net_cd) = amount_of(cs - ds);
        let _ = writeln!(
            x,
            "      <TxsSummry><TtlNtries><NbOfNtries>{n}</NbOfNtries><Sum>{}</Sum><TtlNetNtry><Amt>{net}</Amt><CdtDbtInd>{net_cd}</CdtDbtInd></TtlNetNtry></TtlNtries><TtlCdtNtries><NbOfNtries>{cn}</NbOfNtries><Sum>{}</Sum></TtlCdtNtries><TtlDbtNtries><NbOfNtries>{dn}</NbOfNtries><Sum>{}</Sum></TtlDbtNtries></TxsSummry>",
            BankAmount(total.unsigned_abs()),
            BankAmount(cs.unsigned_abs()),
            BankAmount(ds.unsigned_abs())
        );
        for b in entries {
            entry_xml(&mut x, b);
        }
        let _ = write!(x, "    </{element}>\n  </{message}>\n</Document>\n");
        self.write(format!("{id}.{version}.xml"), &x)
    }

    /// The end-of-day statement (camt.053) of `account`: every booking of
    /// the day, the opening and closing booked balances.
    pub fn write_statement(&mut self, account: &str) -> Result<PathBuf> {
        let entries: Vec<Booking> = self.accounts[account]
            .today
            .iter()
            .filter(|b| b.booked)
            .cloned()
            .collect();
        self.camt(Camt::Statement, account, &entries)
    }

    /// The intraday report (camt.052): bookings and pending wires so far.
    pub fn write_intraday(&mut self, account: &str) -> Result<PathBuf> {
        let entries = self.accounts[account].today.clone();
        self.camt(Camt::Report, account, &entries)
    }

    /// A notification (camt.054) of one booking.
    pub fn write_notification(&mut self, account: &str, reference: &str) -> Result<PathBuf> {
        let entries: Vec<Booking> = self.accounts[account]
            .today
            .iter()
            .filter(|b| b.reference == reference)
            .cloned()
            .collect();
        if entries.is_empty() {
            bail!("no booking {reference} today");
        }
        self.camt(Camt::Notification, account, &entries)
    }

    /// The prior-day BAI2 file of every account, control totals and all.
    pub fn write_bai2(&mut self, receiver: &str) -> Result<PathBuf> {
        let id = self.next("BAI");
        let yymmdd = self.day.format("%y%m%d").to_string();
        let mut lines = vec![
            format!(
                "01,{ROUTING},{receiver},{yymmdd},1800,{},80,,2/",
                self.sequence
            ),
            format!("02,{receiver},{ROUTING},1,{yymmdd},2400,USD,2/"),
        ];
        let cents = |v: i128| v / 1000;
        let (mut group_total, mut accounts) = (0i128, 0);
        for (number, a) in &self.accounts {
            let start = lines.len();
            let mut total = cents(a.opening) + cents(a.balance);
            lines.push(format!(
                "03,{number},USD,010,{},,,015,{},,/",
                cents(a.opening),
                cents(a.balance)
            ));
            for b in a.today.iter().filter(|b| b.booked) {
                let minor = cents(units(b.amount));
                total += minor;
                lines.push(format!(
                    "16,{},{minor},0,{},{},{}",
                    b.type_code,
                    b.reference,
                    b.end_to_end_id.as_deref().unwrap_or(""),
                    b.remittance
                ));
            }
            let count = lines.len() - start + 1;
            lines.push(format!("49,{total},{count}/"));
            group_total += total;
            accounts += 1;
        }
        let group_records = lines.len() - 1 + 1;
        lines.push(format!("98,{group_total},{accounts},{group_records}/"));
        lines.push(format!("99,{group_total},1,{}/", lines.len() + 1));
        self.write(format!("{id}.bai2"), &(lines.join("\n") + "\n"))
    }

    /// Reads every pain.001 in the inbox: pays what it can, answers each
    /// file with a pain.002 in the outbox, and moves it to `processed/`.
    pub fn process_payments(&mut self) -> Result<Vec<PathBuf>> {
        let mut answers = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.inbox)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)?;
            answers.push(self.answer(&text)?);
            let done = self
                .inbox
                .join("processed")
                .join(file.file_name().context("name")?);
            std::fs::rename(&file, done)?;
        }
        Ok(answers)
    }

    fn answer(&mut self, text: &str) -> Result<PathBuf> {
        let between = |s: &'_ str, open: &str, close: &str| -> Option<String> {
            let start = s.find(open)? + open.len();
            let end = s[start..].find(close)? + start;
            Some(s[start..end].to_string())
        };
        // An account element's IBAN or other id.
        let account_in = |s: &str, element: &str| {
            between(s, &format!("<{element}>"), &format!("</{element}>"))
                .and_then(|a| between(&a, "<Id>", "</Id>"))
                .map(|id| {
                    id.replace("<Othr><Id>", "")
                        .replace("<IBAN>", "")
                        .replace("</IBAN>", "")
                })
                .with_context(|| element.to_string())
        };
        let message_id = between(text, "<MsgId>", "</MsgId>").context("MsgId")?;
        let debtor = account_in(text, "DbtrAcct")?;
        let mut statuses = Vec::new();
        let duplicate = !self.message_ids.insert(message_id.clone());
        if !duplicate {
            for tx in text.split("<CdtTrfTxInf>").skip(1) {
                let e2e = between(tx, "<EndToEndId>", "</EndToEndId>").context("EndToEndId")?;
                let amount = between(tx, "\">", "</InstdAmt>")
                    .and_then(|a| BankAmount::parse(&a))
                    .context("InstdAmt")?;
                let name = between(tx, "<Nm>", "</Nm>").unwrap_or_default();
                let account = account_in(tx, "CdtrAcct")?;
                let reason = match self.accounts.get(&account) {
                    Some(a) if !a.open => Some("AC04"),
                    Some(_) => None,
                    None if self.external.contains(&account) => None,
                    None => Some("AC01"),
                };
                let funds = self.accounts.get(&debtor).map_or(0, |a| a.balance);
                let reason = reason.or((funds < units(amount)).then_some("AM04"));
                if reason.is_none() {
                    let reference = self.next("BNK");
                    let booking = Booking {
                        reference,
                        amount,
                        direction: Direction::Debit,
                        booked: true,
                        reversal: false,
                        end_to_end_id: Some(e2e.clone()),
                        counterparty: (name.clone(), account.clone()),
                        remittance: between(tx, "<Ustrd>", "</Ustrd>").unwrap_or_default(),
                        type_code: 495,
                        date: self.day(),
                    };
                    self.book(&debtor, booking)?;
                    self.paid
                        .insert(e2e.clone(), (debtor.clone(), amount, (name, account)));
                }
                statuses.push((e2e, reason));
            }
        }
        let group = if duplicate {
            "RJCT"
        } else if statuses.iter().all(|(_, r)| r.is_none()) {
            "ACSC"
        } else if statuses.iter().all(|(_, r)| r.is_some()) {
            "RJCT"
        } else {
            "PART"
        };
        let id = self.next("PSR");
        let mut x = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.10\">\n  <CstmrPmtStsRpt>\n    <GrpHdr><MsgId>{id}</MsgId><CreDtTm>{}</CreDtTm></GrpHdr>\n    <OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>{group}</GrpSts>{}</OrgnlGrpInfAndSts>\n",
            self.stamp(),
            if duplicate { "<StsRsnInf><Rsn><Cd>DU01</Cd></Rsn></StsRsnInf>" } else { "" }
        );
        if !statuses.is_empty() {
            let _ = writeln!(
                x,
                "    <OrgnlPmtInfAndSts><OrgnlPmtInfId>{message_id}</OrgnlPmtInfId>"
            );
            for (e2e, reason) in &statuses {
                let _ = write!(
                    x,
                    "      <TxInfAndSts><OrgnlEndToEndId>{}</OrgnlEndToEndId><TxSts>{}</TxSts>",
                    esc(e2e),
                    if reason.is_some() { "RJCT" } else { "ACSC" }
                );
                if let Some(code) = reason {
                    let _ = write!(x, "<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>");
                }
                x.push_str("</TxInfAndSts>\n");
            }
            x.push_str("    </OrgnlPmtInfAndSts>\n");
        }
        x.push_str("  </CstmrPmtStsRpt>\n</Document>\n");
        self.write(format!("{id}.pain.002.001.10.xml"), &x)
    }
}

/// Everything in `folder` the platform reads, each file read whole.
pub fn read_all(folder: &Path) -> Result<Vec<(PathBuf, Document)>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| Ok((p.clone(), bank::read_path(&p, bank::DEFAULT_MAX_BYTES)?)))
        .collect()
}

/// The agent of this bank, as a payment file names it.
pub fn agent() -> Agent {
    Agent::parse(ROUTING).expect("the routing number's check digit holds")
}
