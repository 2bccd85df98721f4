//! Open compliance cases as the gateway exports them (`usd1-gateway case
//! list --output json`, or the `data` of `GET /v1/cases`): whoever is the
//! subject of an undecided case (`open`, `under review`, `escalated`) is
//! under review, like a listed party.
use std::collections::HashMap;
use std::path::Path;

use solana_sdk::pubkey::Pubkey;

use super::ScreeningError;

/// The statuses of a case still awaiting its decision.
pub const UNDECIDED: [&str; 3] = ["open", "under review", "escalated"];

/// Undecided cases by subject.
#[derive(Clone, Debug, Default)]
pub struct OpenCases {
    by_subject: HashMap<Pubkey, String>,
}

impl OpenCases {
    pub fn read(path: &Path) -> Result<Self, ScreeningError> {
        let bytes = super::read_bytes(path)?;
        Self::parse(&path.display().to_string(), &bytes)
    }

    /// A JSON array of cases (or an object whose `data` is one), each with
    /// `id`, `subject` and `status`.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, ScreeningError> {
        let malformed = |reason: String| ScreeningError::Malformed {
            list: name.to_string(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let cases = value
            .as_array()
            .or_else(|| value["data"].as_array())
            .ok_or_else(|| malformed("not a JSON array of cases".into()))?;
        let mut by_subject = HashMap::new();
        for (at, case) in cases.iter().enumerate() {
            let field = |name: &str| {
                case[name]
                    .as_str()
                    .ok_or_else(|| malformed(format!("case {at} has no '{name}'")))
            };
            let (id, subject, status) = (field("id")?, field("subject")?, field("status")?);
            let subject = super::address(subject)
                .map_err(|e| malformed(format!("case {id}'s subject: {e}")))?;
            if UNDECIDED.contains(&status) {
                by_subject.entry(subject).or_insert_with(|| id.to_string());
            }
        }
        Ok(Self { by_subject })
    }

    /// The undecided case of `address`, if any.
    pub fn of(&self, address: &Pubkey) -> Option<&str> {
        self.by_subject.get(address).map(String::as_str)
    }
}
