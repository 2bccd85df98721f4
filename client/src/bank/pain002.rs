//! Payment status reports back from the bank: pain.002.001.03 and .10.
//!
//! `ACCP` (accepted), `ACSC` (settled), `RJCT` (rejected, with the reason
//! code: `AC01` wrong account, `AC04` closed account, `AM04` insufficient
//! funds, …), and the other ISO codes as they come. A status given for the
//! whole group applies to every payment the report does not name.
use serde::Serialize;

use super::xml::{walk, Node};
use super::{check_date, Fault};

#[derive(Clone, Debug, Default, Serialize)]
pub struct StatusReport {
    pub version: String,
    pub message_id: String,
    pub created: String,
    /// The pain.001's `MsgId` this answers.
    pub original_message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_reason: Option<String>,
    pub payments: Vec<PaymentStatus>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PaymentStatus {
    pub end_to_end_id: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
}

impl StatusReport {
    /// The status (and reason) of one payment: its own, else the group's.
    pub fn status_of(&self, end_to_end_id: &str) -> Option<(&str, Option<&str>)> {
        self.payments
            .iter()
            .rev()
            .find(|p| p.end_to_end_id == end_to_end_id)
            .map(|p| (p.status.as_str(), p.reason.as_deref()))
            .or_else(|| {
                self.group_status
                    .as_deref()
                    .map(|s| (s, self.group_reason.as_deref()))
            })
    }
}

fn status(value: &str, element: &str) -> Result<String, Fault> {
    if value.len() == 4 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(value.into())
    } else {
        Err(Fault::BadValue {
            element: element.into(),
            value: value.into(),
            expected: "an ISO 20022 status code (ACCP, ACSC, RJCT, …)",
        })
    }
}

pub(crate) fn read(input: impl std::io::BufRead, version: &str) -> Result<StatusReport, Fault> {
    let (mut message_id, mut created, mut original) = (None, None, None);
    let (mut group_status, mut group_reason) = (None, None);
    let mut payments: Vec<PaymentStatus> = Vec::new();
    let mut current: Option<PaymentStatus> = None;
    walk(input, |node| {
        match node {
            Node::Start(_, path) => {
                if path.len() == 2 && path[1] != "CstmrPmtStsRpt" {
                    return Err(Fault::Missing {
                        element: "Document/CstmrPmtStsRpt".into(),
                    });
                }
                if path.last().is_some_and(|n| n == "TxInfAndSts") {
                    current = Some(PaymentStatus::default());
                }
            }
            Node::Text(value, path) => {
                let rel = path.get(2..).unwrap_or_default().join("/");
                match rel.as_str() {
                    "GrpHdr/MsgId" => message_id = Some(value.to_string()),
                    "GrpHdr/CreDtTm" => created = Some(check_date(value, &rel)?),
                    "OrgnlGrpInfAndSts/OrgnlMsgId" => original = Some(value.to_string()),
                    "OrgnlGrpInfAndSts/GrpSts" => group_status = Some(status(value, &rel)?),
                    "OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd" => group_reason = Some(value.to_string()),
                    r => {
                        if let (Some(p), Some(t)) = (
                            current.as_mut(),
                            r.split_once("TxInfAndSts/").map(|(_, t)| t),
                        ) {
                            match t {
                                "OrgnlEndToEndId" => p.end_to_end_id = value.into(),
                                "TxSts" => p.status = status(value, &rel)?,
                                "StsRsnInf/Rsn/Cd" => p.reason = Some(value.into()),
                                "StsRsnInf/AddtlInf" => p.info = Some(value.into()),
                                _ => {}
                            }
                        }
                    }
                }
            }
            Node::End(path) => {
                if path.last().is_some_and(|n| n == "TxInfAndSts") {
                    let p = current.take().unwrap_or_default();
                    let n = payments.len() + 1;
                    if p.end_to_end_id.is_empty() {
                        return Err(Fault::Missing {
                            element: format!("TxInfAndSts[{n}]/OrgnlEndToEndId"),
                        });
                    }
                    if p.status.is_empty() {
                        return Err(Fault::Missing {
                            element: format!("TxInfAndSts[{n}]/TxSts"),
                        });
                    }
                    payments.push(p);
                }
            }
        }
        Ok(())
    })?;
    let missing = |element: &str| Fault::Missing {
        element: format!("CstmrPmtStsRpt/{element}"),
    };
    Ok(StatusReport {
        version: version.into(),
        message_id: message_id.ok_or_else(|| missing("GrpHdr/MsgId"))?,
        created: created.ok_or_else(|| missing("GrpHdr/CreDtTm"))?,
        original_message_id: original.ok_or_else(|| missing("OrgnlGrpInfAndSts/OrgnlMsgId"))?,
        group_status,
        group_reason,
        payments,
    })
}
