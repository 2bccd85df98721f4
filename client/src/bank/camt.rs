//! camt.053 (statement), camt.052 (intraday report) and camt.054
//! (notification), versions .001.02 and .001.08, into the one model.
//!
//! The two versions differ where this reader looks in three places: the
//! entry status (`Sts` text in .02, `Sts/Cd` in .08), the related parties
//! (`Dbtr/Nm` in .02, `Dbtr/Pty/Nm` in .08) and the net total
//! (`TtlNetNtryAmt` and `CdtDbtInd` in .02, `TtlNetNtry/{Amt,CdtDbtInd}` in
//! .08); a transaction's own amount is `AmtDtls/TxAmt/Amt` in both and also
//! `Amt` in .08.
use super::model::{
    Account, Balance, Entry, Format, Statement, StatementFile, Status, Totals, Transaction,
};
use super::money::{currency_decimals, BankAmount, Direction, SignedAmount};
use super::xml::{attribute, local, walk, Node};
use super::{check_date, Fault};

/// The message element and the statement element of each format.
pub(crate) fn elements(format: Format) -> (&'static str, &'static str) {
    match format {
        Format::Camt053 => ("BkToCstmrStmt", "Stmt"),
        Format::Camt052 => ("BkToCstmrAcctRpt", "Rpt"),
        Format::Camt054 => ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
        Format::Bai2 => ("", ""),
    }
}

#[derive(Default)]
struct Building {
    message_id: Option<String>,
    created: Option<String>,
    statements: Vec<Statement>,
    statement: Option<StatementParts>,
    balance: Option<BalanceParts>,
    entry: Option<EntryParts>,
    tx: Option<Transaction>,
    /// The `Ccy` of the `Amt` element being read.
    currency: Option<String>,
}

#[derive(Default)]
struct StatementParts {
    id: Option<String>,
    created: Option<String>,
    account: Account,
    currency: Option<String>,
    balances: Vec<Balance>,
    entries: Vec<Entry>,
    totals: Totals,
    stated: bool,
    net_amount: Option<BankAmount>,
    net_direction: Option<Direction>,
    credits: (Option<u64>, Option<BankAmount>),
    debits: (Option<u64>, Option<BankAmount>),
}

#[derive(Default)]
struct BalanceParts {
    kind: Option<String>,
    amount: Option<BankAmount>,
    direction: Option<Direction>,
    date: Option<String>,
}

#[derive(Default)]
struct EntryParts {
    amount: Option<BankAmount>,
    direction: Option<Direction>,
    status: Option<Status>,
    reversal: bool,
    booking_date: Option<String>,
    value_date: Option<String>,
    bank_reference: Option<String>,
    domain: Vec<String>,
    proprietary: Option<String>,
    info: Option<String>,
    transactions: Vec<Transaction>,
}

pub(crate) fn read(
    input: impl std::io::BufRead,
    format: Format,
    version: &str,
) -> Result<StatementFile, Fault> {
    let (message, statement) = elements(format);
    let mut b = Building::default();
    walk(input, |node| match node {
        Node::Start(e, path) => {
            let name = local(e);
            if name == "Amt" {
                b.currency = attribute(e, "Ccy")?;
            }
            match (path.len(), name.as_str()) {
                (2, n) if n != message => Err(Fault::Missing {
                    element: format!("Document/{message}"),
                }),
                (3, n) if n == statement => {
                    b.statement = Some(StatementParts::default());
                    Ok(())
                }
                (4, "Bal") => {
                    b.balance = Some(BalanceParts::default());
                    Ok(())
                }
                (4, "Ntry") => {
                    b.entry = Some(EntryParts::default());
                    Ok(())
                }
                (6, "TxDtls") => {
                    b.tx = Some(Transaction::default());
                    Ok(())
                }
                _ => Ok(()),
            }
        }
        Node::Text(value, path) => b.text(value, path, statement),
        Node::End(path) => b.end(path, statement, format),
    })?;
    let message_id = b.message_id.ok_or(Fault::Missing {
        element: format!("{message}/GrpHdr/MsgId"),
    })?;
    let created = b.created.ok_or(Fault::Missing {
        element: format!("{message}/GrpHdr/CreDtTm"),
    })?;
    for s in &mut b.statements {
        if s.created.is_empty() {
            s.created.clone_from(&created);
        }
    }
    if b.statements.is_empty() {
        return Err(Fault::Missing {
            element: format!("{message}/{statement}"),
        });
    }
    Ok(StatementFile {
        format,
        version: version.into(),
        message_id,
        created,
        statements: b.statements,
    })
}

fn amount(value: &str, element: &str) -> Result<BankAmount, Fault> {
    BankAmount::parse(value).ok_or_else(|| Fault::BadAmount {
        element: element.into(),
        value: value.into(),
    })
}

fn direction(value: &str, element: &str) -> Result<Direction, Fault> {
    Direction::parse(value).ok_or_else(|| Fault::BadValue {
        element: element.into(),
        value: value.into(),
        expected: "CRDT or DBIT",
    })
}

fn count(value: &str, element: &str) -> Result<u64, Fault> {
    value.parse().map_err(|_| Fault::BadValue {
        element: element.into(),
        value: value.into(),
        expected: "a count",
    })
}

fn set(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = Some(value.to_string());
    }
}

/// The `Ccy` of the amount just read: an ISO 4217 code, mandatory.
fn currency(slot: &mut Option<String>, element: &str) -> Result<String, Fault> {
    let code = slot.take().ok_or_else(|| Fault::Missing {
        element: format!("{element}@Ccy"),
    })?;
    if currency_decimals(&code).is_none() {
        return Err(Fault::UnknownCurrency {
            element: element.into(),
            code,
        });
    }
    Ok(code)
}

impl Building {
    fn text(&mut self, value: &str, path: &[String], statement: &str) -> Result<(), Fault> {
        if path.len() == 4 && path[2] == "GrpHdr" {
            match path[3].as_str() {
                "MsgId" => self.message_id = Some(value.into()),
                "CreDtTm" => self.created = Some(check_date(value, "GrpHdr/CreDtTm")?),
                _ => {}
            }
            return Ok(());
        }
        if path.len() < 4 || path[2] != statement {
            return Ok(());
        }
        let rel = path[3..].join("/");
        let at = || format!("{statement}/{rel}");
        let Some(s) = self.statement.as_mut() else {
            return Ok(());
        };
        match rel.as_str() {
            "Id" => s.id = Some(value.into()),
            "CreDtTm" => s.created = Some(check_date(value, &at())?),
            "Acct/Id/IBAN" => s.account.iban = Some(value.into()),
            "Acct/Id/Othr/Id" => s.account.number = Some(value.into()),
            "Acct/Ccy" => {
                if currency_decimals(value).is_none() {
                    return Err(Fault::UnknownCurrency {
                        element: at(),
                        code: value.into(),
                    });
                }
                s.currency = Some(value.into());
            }
            "Acct/Svcr/FinInstnId/BICFI" | "Acct/Svcr/FinInstnId/BIC" => {
                s.account.bic = Some(value.into())
            }
            "Acct/Svcr/FinInstnId/ClrSysMmbId/MmbId" => s.account.routing = Some(value.into()),
            "TxsSummry/TtlNtries/NbOfNtries" => {
                s.stated = true;
                s.totals.entries = Some(count(value, &at())?);
            }
            "TxsSummry/TtlNtries/Sum" => {
                s.stated = true;
                s.totals.sum = Some(amount(value, &at())?);
            }
            "TxsSummry/TtlNtries/TtlNetNtryAmt" | "TxsSummry/TtlNtries/TtlNetNtry/Amt" => {
                s.stated = true;
                s.net_amount = Some(amount(value, &at())?);
            }
            "TxsSummry/TtlNtries/CdtDbtInd" | "TxsSummry/TtlNtries/TtlNetNtry/CdtDbtInd" => {
                s.net_direction = Some(direction(value, &at())?);
            }
            "TxsSummry/TtlCdtNtries/NbOfNtries" => s.credits.0 = Some(count(value, &at())?),
            "TxsSummry/TtlCdtNtries/Sum" => s.credits.1 = Some(amount(value, &at())?),
            "TxsSummry/TtlDbtNtries/NbOfNtries" => s.debits.0 = Some(count(value, &at())?),
            "TxsSummry/TtlDbtNtries/Sum" => s.debits.1 = Some(amount(value, &at())?),
            r if r.starts_with("Bal/") => {
                let bal = self.balance.get_or_insert_with(Default::default);
                match &r[4..] {
                    "Tp/CdOrPrtry/Cd" | "Tp/CdOrPrtry/Prtry" => bal.kind = Some(value.into()),
                    "Amt" => {
                        bal.amount = Some(amount(value, &at())?);
                        let code = currency(&mut self.currency, &at())?;
                        set(&mut s.currency, &code);
                    }
                    "CdtDbtInd" => bal.direction = Some(direction(value, &at())?),
                    "Dt/Dt" | "Dt/DtTm" => bal.date = Some(check_date(value, &at())?),
                    _ => {}
                }
            }
            r if r.starts_with("Ntry/") => {
                let entry = self.entry.get_or_insert_with(Default::default);
                let r = &r[5..];
                if let Some(t) = r.strip_prefix("NtryDtls/TxDtls/") {
                    let tx = self.tx.get_or_insert_with(Default::default);
                    match t {
                        "Refs/EndToEndId" => tx.end_to_end_id = Some(value.into()),
                        "Refs/UETR" => tx.uetr = Some(value.to_ascii_lowercase()),
                        "Refs/AcctSvcrRef" => tx.bank_reference = Some(value.into()),
                        "Amt" | "AmtDtls/TxAmt/Amt" => {
                            let a = amount(value, &at())?;
                            currency(&mut self.currency, &at())?;
                            tx.amount.get_or_insert(a);
                        }
                        "RltdPties/Dbtr/Nm" | "RltdPties/Dbtr/Pty/Nm" => {
                            tx.debtor.name = Some(value.into())
                        }
                        "RltdPties/DbtrAcct/Id/IBAN" | "RltdPties/DbtrAcct/Id/Othr/Id" => {
                            tx.debtor.account = Some(value.into())
                        }
                        "RltdPties/Cdtr/Nm" | "RltdPties/Cdtr/Pty/Nm" => {
                            tx.creditor.name = Some(value.into())
                        }
                        "RltdPties/CdtrAcct/Id/IBAN" | "RltdPties/CdtrAcct/Id/Othr/Id" => {
                            tx.creditor.account = Some(value.into())
                        }
                        "RmtInf/Ustrd" => tx.remittance.unstructured.push(value.into()),
                        "RmtInf/Strd/CdtrRefInf/Ref" => tx.remittance.structured.push(value.into()),
                        _ => {}
                    }
                    return Ok(());
                }
                match r {
                    "Amt" => {
                        entry.amount = Some(amount(value, &at())?);
                        let code = currency(&mut self.currency, &at())?;
                        set(&mut s.currency, &code);
                    }
                    "CdtDbtInd" => entry.direction = Some(direction(value, &at())?),
                    "RvslInd" => {
                        entry.reversal = match value {
                            "true" | "1" => true,
                            "false" | "0" => false,
                            _ => {
                                return Err(Fault::BadValue {
                                    element: at(),
                                    value: value.into(),
                                    expected: "true or false",
                                })
                            }
                        }
                    }
                    "Sts" | "Sts/Cd" => {
                        entry.status =
                            Some(Status::parse(value).ok_or_else(|| Fault::BadValue {
                                element: at(),
                                value: value.into(),
                                expected: "BOOK, PDNG, INFO or FUTR",
                            })?)
                    }
                    "BookgDt/Dt" | "BookgDt/DtTm" => {
                        entry.booking_date = Some(check_date(value, &at())?)
                    }
                    "ValDt/Dt" | "ValDt/DtTm" => entry.value_date = Some(check_date(value, &at())?),
                    "AcctSvcrRef" => entry.bank_reference = Some(value.into()),
                    "BkTxCd/Domn/Cd" | "BkTxCd/Domn/Fmly/Cd" | "BkTxCd/Domn/Fmly/SubFmlyCd" => {
                        entry.domain.push(value.into())
                    }
                    "BkTxCd/Prtry/Cd" => entry.proprietary = Some(value.into()),
                    "AddtlNtryInf" => entry.info = Some(value.into()),
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, path: &[String], statement: &str, format: Format) -> Result<(), Fault> {
        if path.len() < 3 || path[2] != statement {
            return Ok(());
        }
        let at = |what: &str| format!("{statement}/{what}");
        match (path.len(), path.last().map(String::as_str)) {
            (6, Some("TxDtls")) => {
                if let (Some(tx), Some(entry)) = (self.tx.take(), self.entry.as_mut()) {
                    entry.transactions.push(tx);
                }
            }
            (4, Some("Bal")) => {
                let b = self.balance.take().unwrap_or_default();
                let missing = |e: &str| Fault::Missing {
                    element: at(&format!("Bal/{e}")),
                };
                let balance = Balance {
                    kind: b.kind.ok_or_else(|| missing("Tp/CdOrPrtry/Cd"))?,
                    amount: SignedAmount {
                        amount: b.amount.ok_or_else(|| missing("Amt"))?,
                        direction: b.direction.ok_or_else(|| missing("CdtDbtInd"))?,
                    },
                    date: b.date.ok_or_else(|| missing("Dt"))?,
                };
                if let Some(s) = self.statement.as_mut() {
                    s.balances.push(balance);
                }
            }
            (4, Some("Ntry")) => {
                let e = self.entry.take().unwrap_or_default();
                let n = self.statement.as_ref().map_or(0, |s| s.entries.len()) + 1;
                let missing = |el: &str| Fault::Missing {
                    element: at(&format!("Ntry[{n}]/{el}")),
                };
                let amount = e.amount.ok_or_else(|| missing("Amt"))?;
                let direction = e.direction.ok_or_else(|| missing("CdtDbtInd"))?;
                let status = e.status.ok_or_else(|| missing("Sts"))?;
                let bank_code = match (e.domain.is_empty(), e.proprietary) {
                    (false, _) => Some(e.domain.join("/")),
                    (true, p) => p,
                };
                let identity = Entry::identity_of(
                    e.bank_reference.as_deref(),
                    direction,
                    amount,
                    e.value_date.as_deref().or(e.booking_date.as_deref()),
                    &e.transactions,
                );
                let entry = Entry {
                    amount,
                    direction,
                    status,
                    reversal: e.reversal,
                    booking_date: e.booking_date,
                    value_date: e.value_date,
                    bank_reference: e.bank_reference,
                    bank_code,
                    bai_type: None,
                    info: e.info,
                    transactions: e.transactions,
                    identity,
                };
                if let Some(s) = self.statement.as_mut() {
                    s.entries.push(entry);
                }
            }
            (3, _) => {
                let s = self.statement.take().unwrap_or_default();
                self.statements.push(finish(s, statement, format)?);
            }
            _ => {}
        }
        Ok(())
    }
}

/// The statement, once its stated totals (and for a camt.053 its opening
/// and closing booked balances) agree with its entries.
fn finish(mut s: StatementParts, statement: &str, format: Format) -> Result<Statement, Fault> {
    let id = s.id.take().ok_or(Fault::Missing {
        element: format!("{statement}/Id"),
    })?;
    if s.account.iban.is_none() && s.account.number.is_none() {
        return Err(Fault::Missing {
            element: format!("{statement}/Acct/Id"),
        });
    }
    let disagree = |what: &str, stated: String, counted: String| Fault::TotalsDisagree {
        element: format!("{statement} {id}: {what}"),
        stated,
        counted,
    };
    let sum = |dir: Option<Direction>| {
        s.entries
            .iter()
            .filter(|e| dir.is_none_or(|d| e.direction == d))
            .fold((0u64, BankAmount(0)), |(n, a), e| {
                (n + 1, BankAmount(a.0.saturating_add(e.amount.0)))
            })
    };
    let (all_n, all_sum) = sum(None);
    let (cr_n, cr_sum) = sum(Some(Direction::Credit));
    let (db_n, db_sum) = sum(Some(Direction::Debit));
    if let Some(n) = s.totals.entries.filter(|n| *n != all_n) {
        return Err(disagree(
            "TtlNtries/NbOfNtries",
            n.to_string(),
            all_n.to_string(),
        ));
    }
    if let Some(stated) = s.totals.sum.filter(|a| *a != all_sum) {
        return Err(disagree(
            "TtlNtries/Sum",
            stated.to_string(),
            all_sum.to_string(),
        ));
    }
    let net = i128::try_from(cr_sum.0).unwrap_or(i128::MAX)
        - i128::try_from(db_sum.0).unwrap_or(i128::MAX);
    if let Some(amount) = s.net_amount {
        let stated = SignedAmount {
            amount,
            direction: s.net_direction.unwrap_or(Direction::Credit),
        };
        if stated.value() != net && !(net == 0 && amount.0 == 0) {
            return Err(disagree(
                "TtlNetNtry",
                stated.to_string(),
                SignedAmount::of(net).to_string(),
            ));
        }
        s.totals.net = Some(stated);
    }
    for (what, (n, a), (cn, ca)) in [
        ("TtlCdtNtries", s.credits, (cr_n, cr_sum)),
        ("TtlDbtNtries", s.debits, (db_n, db_sum)),
    ] {
        if let Some(n) = n.filter(|n| *n != cn) {
            return Err(disagree(
                &format!("{what}/NbOfNtries"),
                n.to_string(),
                cn.to_string(),
            ));
        }
        if let Some(a) = a.filter(|a| *a != ca) {
            return Err(disagree(
                &format!("{what}/Sum"),
                a.to_string(),
                ca.to_string(),
            ));
        }
        if n.is_some() || a.is_some() {
            s.stated = true;
        }
    }
    if s.credits.0.is_some() {
        s.totals.credits = Some((cr_n, cr_sum));
    }
    if s.debits.0.is_some() {
        s.totals.debits = Some((db_n, db_sum));
    }
    let statement_out = Statement {
        id: id.clone(),
        account: s.account,
        currency: s.currency.unwrap_or_default(),
        created: s.created.unwrap_or_default(),
        balances: s.balances,
        entries: s.entries,
        totals: s.stated.then_some(s.totals),
    };
    if format == Format::Camt053 {
        if let (Some(open), Some(close)) = (statement_out.opening(), statement_out.closing()) {
            let booked: i128 = statement_out
                .entries
                .iter()
                .filter(|e| e.is_money())
                .map(|e| {
                    SignedAmount {
                        amount: e.amount,
                        direction: e.direction,
                    }
                    .value()
                })
                .sum();
            if open.amount.value() + booked != close.amount.value() {
                return Err(Fault::TotalsDisagree {
                    element: format!("{statement} {id}: OPBD + booked entries = CLBD"),
                    stated: close.amount.to_string(),
                    counted: SignedAmount::of(open.amount.value() + booked).to_string(),
                });
            }
        }
    }
    Ok(statement_out)
}
