//! Officers' certification of a report (the monthly reserve report, GENIUS
//! Act §4(a)(3)): each named officer signs, with their own Ed25519 key, the
//! SHA-256 of the report file's exact bytes under their role. The
//! signatures live beside the report (`FILE.certifications.json`), so the
//! report's bytes — and so its hash — never change by being certified.
//!
//! The signed message is `usd1-report-certification:v1\nrole:<role>\n
//! report-sha256:<hex>\n`: a CEO's signature is not a CFO's, and a signature
//! over one report is not one over another.
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, DisplayFromStr};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use thiserror::Error;

pub const FORMAT: &str = "usd1-report-certifications";
pub const VERSION: u32 = 1;
const DOMAIN: &str = "usd1-report-certification:v1";

/// The bytes an officer signs for `role` over a report whose SHA-256 is `sha256`.
pub fn message(role: &str, sha256: &[u8; 32]) -> Vec<u8> {
    format!(
        "{DOMAIN}\nrole:{role}\nreport-sha256:{}\n",
        crate::hex(sha256)
    )
    .into_bytes()
}

#[serde_as]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certification {
    pub role: String,
    #[serde_as(as = "DisplayFromStr")]
    pub officer: Pubkey,
    /// Hex SHA-256 of the report this signature covers.
    pub report_sha256: String,
    #[serde_as(as = "DisplayFromStr")]
    pub signature: Signature,
}

/// The file of certifications beside a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certifications {
    pub format: String,
    pub version: u32,
    /// The report's file name, and its SHA-256 when the first officer signed.
    pub report: String,
    pub report_sha256: String,
    pub certifications: Vec<Certification>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CertificationError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("cannot write {path}: {reason}")]
    Unwritable { path: String, reason: String },
    #[error("CertificationsMalformed: {path} is not a certifications file: {reason}")]
    Malformed { path: String, reason: String },
    /// The report changed since an officer signed it: signing the new bytes
    /// beside old signatures would leave a file certifying two reports.
    #[error(
        "ReportChanged: {path} was certified as sha256 {certified}, the report is now {actual}; \
         nothing written (certify the new report afresh: move the old certifications away)"
    )]
    ReportChanged {
        path: String,
        certified: String,
        actual: String,
    },
    /// The officer's key (in an HSM or a vault) did not sign, or signed
    /// something that does not verify: nothing written.
    #[error("SignerFailed: {officer} did not sign: {reason}; nothing written")]
    SignerFailed { officer: Pubkey, reason: String },
}

/// Why a required officer's certification does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem")]
pub enum Problem {
    /// No certification for the role.
    CertificationMissing { role: String },
    /// Signed for the role by another key than the officer's.
    WrongOfficer {
        role: String,
        expected: String,
        found: String,
    },
    /// Signed over another version of the report.
    ReportChanged {
        role: String,
        signed: String,
        actual: String,
    },
    /// The signature does not verify.
    BadSignature { role: String, officer: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CertificationMissing { role } => {
                write!(f, "CertificationMissing: no {role} certification")
            }
            Self::WrongOfficer {
                role,
                expected,
                found,
            } => write!(
                f,
                "WrongOfficer: the {role} certification is signed by {found}, not {expected}"
            ),
            Self::ReportChanged {
                role,
                signed,
                actual,
            } => write!(
                f,
                "ReportChanged: the {role} signed sha256 {signed}; the report is {actual}"
            ),
            Self::BadSignature { role, officer } => write!(
                f,
                "BadSignature: the {role} signature of {officer} does not sign this report"
            ),
        }
    }
}

/// `FILE.certifications.json`.
pub fn path_for(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(".certifications.json");
    PathBuf::from(name)
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, CertificationError> {
    std::fs::read(path).map_err(|e| CertificationError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// The certifications beside `report`, if there are any.
pub fn load(report: &Path) -> Result<Option<Certifications>, CertificationError> {
    let path = path_for(report);
    if !path.exists() {
        return Ok(None);
    }
    let malformed = |reason: String| CertificationError::Malformed {
        path: path.display().to_string(),
        reason,
    };
    let file: Certifications =
        serde_json::from_slice(&read_bytes(&path)?).map_err(|e| malformed(e.to_string()))?;
    if file.format != FORMAT || file.version != VERSION {
        return Err(malformed(format!(
            "format {} version {}, not {FORMAT} version {VERSION}",
            file.format, file.version
        )));
    }
    Ok(Some(file))
}

/// Signs `report` as `role` with `officer` and writes the signature beside
/// it (one per role: signing a role again replaces its signature). Refuses,
/// writing nothing, when earlier signatures cover other bytes.
pub fn certify(
    report: &Path,
    role: &str,
    officer: &dyn Signer,
) -> Result<Certification, CertificationError> {
    let sha256 = crate::sha256(&read_bytes(report)?);
    let hex = crate::hex(&sha256);
    let name = report
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut file = load(report)?.unwrap_or_else(|| Certifications {
        format: FORMAT.into(),
        version: VERSION,
        report: name,
        report_sha256: hex.clone(),
        certifications: Vec::new(),
    });
    if file.report_sha256 != hex {
        return Err(CertificationError::ReportChanged {
            path: path_for(report).display().to_string(),
            certified: file.report_sha256,
            actual: hex,
        });
    }
    let signed = message(role, &sha256);
    let failed = |reason: String| CertificationError::SignerFailed {
        officer: officer.pubkey(),
        reason,
    };
    let signature = officer
        .try_sign_message(&signed)
        .map_err(|e| failed(crate::signing::why_not_signed(e)))?;
    if !signature.verify(officer.pubkey().as_ref(), &signed) {
        return Err(failed(
            "its signature does not verify over the report".into(),
        ));
    }
    let certification = Certification {
        role: role.to_string(),
        officer: officer.pubkey(),
        report_sha256: hex,
        signature,
    };
    file.certifications.retain(|c| c.role != role);
    file.certifications.push(certification.clone());
    file.certifications.sort_by(|a, b| a.role.cmp(&b.role));
    let path = path_for(report);
    let bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
    // Whole or not at all: a temporary file, synced, renamed over it.
    crate::checkpoint::save(&path, &bytes).map_err(|e| CertificationError::Unwritable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(certification)
}

/// Checks that each `(role, officer)` signed exactly `report`'s bytes.
pub fn verify(
    report: &Path,
    required: &[(String, Pubkey)],
) -> Result<Vec<Problem>, CertificationError> {
    let sha256 = crate::sha256(&read_bytes(report)?);
    let actual = crate::hex(&sha256);
    let file = load(report)?;
    let certifications = file.map(|f| f.certifications).unwrap_or_default();
    let mut problems = Vec::new();
    for (role, officer) in required {
        let Some(c) = certifications.iter().find(|c| &c.role == role) else {
            problems.push(Problem::CertificationMissing { role: role.clone() });
            continue;
        };
        if c.officer != *officer {
            problems.push(Problem::WrongOfficer {
                role: role.clone(),
                expected: officer.to_string(),
                found: c.officer.to_string(),
            });
        } else if c.report_sha256 != actual {
            problems.push(Problem::ReportChanged {
                role: role.clone(),
                signed: c.report_sha256.clone(),
                actual: actual.clone(),
            });
        } else if !c
            .signature
            .verify(officer.as_ref(), &message(role, &sha256))
        {
            problems.push(Problem::BadSignature {
                role: role.clone(),
                officer: officer.to_string(),
            });
        }
    }
    Ok(problems)
}
