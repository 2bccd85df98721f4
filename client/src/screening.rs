//! Sanctions screening: lists of Solana addresses and the one rule by which
//! the CLI, the gateway and the oracle screen an address against them.
//!
//! Three list formats are read: OFAC's SDN Advanced XML (`SDN_ADVANCED.XML`,
//! the feature type "Digital Currency Address - SOL"), OFAC's classic SDN XML
//! (an `id` of type "Digital Currency Address - SOL") and the issuer's own
//! CSV (`address,reason,source,added_at`). Addresses are base58 and
//! case-sensitive: they are compared as the 32 bytes they decode to and are
//! never case-folded. An entry whose address is not a Solana address is kept
//! in [`List::rejected`] with where it is in the file, never dropped unseen.
//! A list's version is its file's SHA-256 and its publish date, and
//! [`List::changes_since`] says what a new version added and removed.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;
use serde_with::{serde_as, DisplayFromStr};
use solana_sdk::pubkey::Pubkey;
use thiserror::Error;

use crate::ledger::Holding;

mod cases;
mod csv_list;
mod ofac;

pub use cases::OpenCases;

/// The feature (Advanced XML) and id (classic XML) type OFAC gives Solana addresses.
pub const OFAC_SOL_TYPE: &str = "Digital Currency Address - SOL";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// OFAC's SDN Advanced XML.
    SdnAdvanced,
    /// OFAC's classic SDN XML.
    Sdn,
    /// The issuer's own list: `address,reason,source,added_at`.
    Csv,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SdnAdvanced => "OFAC SDN Advanced XML",
            Self::Sdn => "OFAC SDN XML",
            Self::Csv => "issuer CSV",
        })
    }
}

/// One listed address.
#[serde_as]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    #[serde_as(as = "DisplayFromStr")]
    pub address: Pubkey,
    /// Where the entry is in its file: `line 4` (CSV), `DistinctParty 36216
    /// Feature 59213` (Advanced XML), `sdnEntry 36216 id 59213` (SDN XML).
    pub entry: String,
    /// Whom the address belongs to, where the list names someone.
    pub subject: Option<String>,
    /// Why it is listed: the sanctions programs, or the issuer's reason.
    pub reason: String,
    /// Who listed it: `OFAC SDN`, or the CSV's source column.
    pub source: String,
    /// When it was listed, where the list says (`YYYY-MM-DD` or as written).
    pub added_at: Option<String>,
}

/// An entry that names something other than a Solana address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub entry: String,
    pub text: String,
    pub reason: String,
}

/// A list's version: its file's SHA-256, and the publish date it gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Version {
    pub sha256: String,
    /// `YYYY-MM-DD`: the list's date of issue; for a CSV its latest `added_at`.
    pub published: Option<String>,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.published {
            Some(date) => write!(f, "{date} (sha256 {})", &self.sha256[..16]),
            None => write!(f, "sha256 {}", &self.sha256[..16]),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct List {
    /// The file's name, as hits cite it.
    pub name: String,
    pub format: Format,
    pub version: Version,
    pub entries: Vec<Entry>,
    /// Entries that name no Solana address, the first [`REJECTED_KEPT`].
    pub rejected: Vec<Rejected>,
    /// Every such entry (more than `rejected` holds, for a list of many).
    pub rejected_total: usize,
    /// The document's records (CSV rows, `sdnEntry`, `DistinctParty`),
    /// Solana addresses or not: a list must have one to be whole.
    pub records: usize,
}

/// Rejected entries kept with their text: memory follows the entries kept,
/// never the file (the count goes on).
pub const REJECTED_KEPT: usize = 1_000;

/// Element nesting a list is read to: OFAC's files nest about ten deep, so
/// deeper is not a list (and never grows memory with the file).
pub(crate) const MAX_DEPTH: usize = 32;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ScreeningError {
    #[error("cannot read screening list {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("screening list {list} is not a list this platform reads: {reason}")]
    UnknownFormat { list: String, reason: String },
    #[error("screening list {list} is malformed: {reason}")]
    Malformed { list: String, reason: String },
    /// Read to its end, but not a whole list: cut off, empty, undated. A
    /// shorter list is never taken for a list.
    #[error("screening list {list} is not whole: {reason}")]
    Incomplete { list: String, reason: String },
}

/// A screening file's bytes, or why they cannot be read.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, ScreeningError> {
    std::fs::read(path).map_err(|e| ScreeningError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// What a list's entries are before the version is attached.
#[derive(Default)]
pub(crate) struct Parsed {
    pub entries: Vec<Entry>,
    pub rejected: Vec<Rejected>,
    pub rejected_total: usize,
    pub records: usize,
    pub published: Option<String>,
}

/// Why a list's text is not a list.
#[derive(Debug)]
pub(crate) enum ParseError {
    /// Broken where it stands (with where).
    Malformed(String),
    /// Ends before it is whole (a root never closed).
    Incomplete(String),
    /// Not a list of any known kind.
    Unknown(String),
}

impl From<String> for ParseError {
    fn from(reason: String) -> Self {
        ParseError::Malformed(reason)
    }
}

impl Parsed {
    /// Keeps a rejected entry's text while fewer than [`REJECTED_KEPT`] are kept.
    pub(crate) fn reject(&mut self, rejected: Rejected) {
        self.rejected_total += 1;
        if self.rejected.len() < REJECTED_KEPT {
            self.rejected.push(rejected);
        }
    }
}

impl List {
    pub fn read(path: &Path) -> Result<Self, ScreeningError> {
        let bytes = read_bytes(path)?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Self::parse(&name, &bytes)
    }

    /// Reads a list of any of the three formats, told apart by content: an
    /// XML document's root element (`Sanctions` or `sdnList`), else CSV with
    /// the issuer's header. A list is taken whole or not at all: an XML
    /// document whose root is not closed, a CSV without its header, a list of
    /// no record and an OFAC file without its publish date are
    /// [`ScreeningError::Incomplete`].
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, ScreeningError> {
        let text = std::str::from_utf8(bytes).map_err(|e| ScreeningError::Malformed {
            list: name.to_string(),
            reason: format!("not UTF-8 text: {e}"),
        })?;
        let text = text.trim_start_matches('\u{feff}');
        let malformed = |error: ParseError| match error {
            ParseError::Malformed(reason) => ScreeningError::Malformed {
                list: name.to_string(),
                reason,
            },
            ParseError::Incomplete(reason) => ScreeningError::Incomplete {
                list: name.to_string(),
                reason,
            },
            ParseError::Unknown(reason) => ScreeningError::UnknownFormat {
                list: name.to_string(),
                reason,
            },
        };
        let (format, parsed) = if text.trim_start().starts_with('<') {
            match ofac::root_element(text).map_err(malformed)?.as_str() {
                "Sanctions" => (
                    Format::SdnAdvanced,
                    ofac::advanced(text).map_err(malformed)?,
                ),
                "sdnList" => (Format::Sdn, ofac::classic(text).map_err(malformed)?),
                other => {
                    return Err(ScreeningError::UnknownFormat {
                        list: name.to_string(),
                        reason: format!(
                            "an XML document of <{other}>, neither OFAC's <Sanctions> nor <sdnList>"
                        ),
                    })
                }
            }
        } else {
            (Format::Csv, csv_list::parse(text).map_err(malformed)?)
        };
        let incomplete = |reason: &str| ScreeningError::Incomplete {
            list: name.to_string(),
            reason: reason.to_string(),
        };
        if parsed.records == 0 {
            return Err(incomplete(
                "it holds no entry; an empty or cut-off list is never used",
            ));
        }
        if format != Format::Csv && parsed.published.is_none() {
            return Err(incomplete(
                "it gives no publish date (OFAC's files always do)",
            ));
        }
        Ok(Self {
            name: name.to_string(),
            format,
            version: Version {
                sha256: crate::hex(&crate::sha256(bytes)),
                published: parsed.published,
            },
            entries: parsed.entries,
            rejected: parsed.rejected,
            rejected_total: parsed.rejected_total,
            records: parsed.records,
        })
    }

    /// How many of `older`'s addresses this version no longer lists, in
    /// basis points of `older`'s: a version that loses many at once (a
    /// truncated download, a wrong file) is held until an operator confirms it.
    pub fn loss_bps_since(&self, older: &List) -> u64 {
        let lost = self.changes_since(older).removed.len() as u64;
        let had = older.entries.len() as u64;
        lost.saturating_mul(10_000).checked_div(had).unwrap_or(0)
    }

    /// The addresses this version lists that `older` did not, and those it
    /// no longer lists.
    pub fn changes_since(&self, older: &List) -> Changes {
        let addresses = |list: &List| -> BTreeMap<String, Entry> {
            list.entries
                .iter()
                .map(|e| (e.address.to_string(), e.clone()))
                .collect()
        };
        let (new, old) = (addresses(self), addresses(older));
        let keys = |map: &BTreeMap<String, Entry>| map.keys().cloned().collect::<BTreeSet<_>>();
        let (new_keys, old_keys) = (keys(&new), keys(&old));
        Changes {
            from: older.version.clone(),
            to: self.version.clone(),
            added: new_keys
                .difference(&old_keys)
                .map(|k| new[k].clone())
                .collect(),
            removed: old_keys
                .difference(&new_keys)
                .map(|k| old[k].clone())
                .collect(),
        }
    }
}

/// What a new version of a list changed.
#[derive(Clone, Debug, Serialize)]
pub struct Changes {
    pub from: Version,
    pub to: Version,
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
}

/// A screened address found on a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The list's file name and version.
    pub list: String,
    pub version: Version,
    pub entry: Entry,
}

/// Lists loaded together, indexed by address.
#[derive(Clone, Debug, Default)]
pub struct Screener {
    lists: Vec<List>,
    index: HashMap<Pubkey, Vec<(usize, usize)>>,
}

impl Screener {
    pub fn new(lists: Vec<List>) -> Self {
        let mut index: HashMap<Pubkey, Vec<(usize, usize)>> = HashMap::new();
        for (l, list) in lists.iter().enumerate() {
            for (e, entry) in list.entries.iter().enumerate() {
                index.entry(entry.address).or_default().push((l, e));
            }
        }
        Self { lists, index }
    }

    /// Reads every file (see [`List::read`]).
    pub fn read(paths: &[impl AsRef<Path>]) -> Result<Self, ScreeningError> {
        let lists = paths
            .iter()
            .map(|p| List::read(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(lists))
    }

    pub fn lists(&self) -> &[List] {
        &self.lists
    }

    /// Every entry of every list that lists `address`.
    pub fn hits(&self, address: &Pubkey) -> Vec<Hit> {
        self.index
            .get(address)
            .into_iter()
            .flatten()
            .map(|&(l, e)| Hit {
                list: self.lists[l].name.clone(),
                version: self.lists[l].version.clone(),
                entry: self.lists[l].entries[e].clone(),
            })
            .collect()
    }

    pub fn is_listed(&self, address: &Pubkey) -> bool {
        self.index.contains_key(address)
    }

    /// A wallet and its token account, both screened: a payee, a payer, a
    /// redeemer or a holder is listed if either is.
    pub fn screen_owner(&self, owner: &Pubkey, account: &Pubkey) -> Vec<Finding> {
        let mut findings = self.findings(owner, Role::Owner);
        if account != owner {
            findings.extend(self.findings(account, Role::TokenAccount));
        }
        findings
    }

    /// Every listed holder of a mint (owner or account), with what it holds.
    pub fn screen_holdings(&self, holdings: &[Holding]) -> Vec<HolderFinding> {
        holdings
            .iter()
            .flat_map(|h| {
                self.screen_owner(&h.owner, &h.account)
                    .into_iter()
                    .map(|finding| HolderFinding {
                        account: h.account,
                        owner: h.owner,
                        amount: h.amount,
                        frozen: h.frozen,
                        finding,
                    })
            })
            .collect()
    }

    pub fn findings(&self, address: &Pubkey, role: Role) -> Vec<Finding> {
        self.hits(address)
            .into_iter()
            .map(|hit| Finding {
                address: *address,
                role,
                hit,
            })
            .collect()
    }
}

/// What a screened address was to the one screening it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// An address given to screen.
    Address,
    /// A wallet: a token account's owner, a payee, a payer.
    Owner,
    /// A token account.
    TokenAccount,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Address => "address",
            Self::Owner => "owner",
            Self::TokenAccount => "token account",
        })
    }
}

/// A screened address and the list entry it matched.
#[serde_as]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    #[serde_as(as = "DisplayFromStr")]
    pub address: Pubkey,
    pub role: Role,
    pub hit: Hit,
}

impl fmt::Display for Finding {
    /// `owner 5FMt…: SDN_ADVANCED.XML DistinctParty 90002 Feature 8203 (JANE Q EXAMPLE; SDGT; OFAC SDN)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entry = &self.hit.entry;
        write!(
            f,
            "{} {}: {} {} (",
            self.role, self.address, self.hit.list, entry.entry
        )?;
        if let Some(subject) = &entry.subject {
            write!(f, "{subject}; ")?;
        }
        write!(f, "{}; {})", entry.reason, entry.source)
    }
}

/// A listed holder of a mint.
#[serde_as]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HolderFinding {
    #[serde_as(as = "DisplayFromStr")]
    pub account: Pubkey,
    #[serde_as(as = "DisplayFromStr")]
    pub owner: Pubkey,
    /// Base units held.
    pub amount: u64,
    pub frozen: bool,
    pub finding: Finding,
}

/// A Solana address as a list writes it: base58 of 32 bytes, exactly as
/// written (no case folding), surrounding spaces aside.
pub(crate) fn address(text: &str) -> Result<Pubkey, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no address".into());
    }
    Pubkey::from_str(text).map_err(|_| format!("'{text}' is not a base58 Solana address"))
}

#[cfg(test)]
mod tests;
