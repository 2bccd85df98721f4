//! The equivocation alarm, kept on disk beside the journal: once raised it
//! stays raised — across restarts, in `/metrics` and `/health` — until an
//! operator clears it with `usd1-oracle cosign --clear-alarm --operator NAME`,
//! which records who cleared it and when. One JSON line per event, appended
//! and synced; the alarm is on when the last event is a raise.
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

/// One line of the alarm file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AlarmEvent {
    /// Asked to sign `asked_digest` for a seq already signed over `signed_digest`.
    Raised {
        at: i64,
        seq: u64,
        signed_digest: String,
        asked_digest: String,
    },
    /// An operator looked and cleared it.
    Cleared { at: i64, by: String },
}

#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    #[error("cannot read or write the alarm file {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "the alarm file {path} is damaged at line {line}; repair it before the co-signer starts"
    )]
    Damaged { path: PathBuf, line: usize },
    #[error("no equivocation alarm is raised in {0}")]
    NotRaised(PathBuf),
    #[error("--operator must name who clears the alarm")]
    NoOperator,
}

pub struct Alarm {
    path: PathBuf,
    raised: AtomicBool,
}

/// The wall clock, unix seconds: when an alarm event happened.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Alarm {
    /// The alarm file of the journal at `journal`.
    pub fn path_for(journal: &Path) -> PathBuf {
        let mut name = journal.as_os_str().to_owned();
        name.push(".alarm.jsonl");
        PathBuf::from(name)
    }

    /// Opens the alarm of the journal at `journal`, raised if its file says so.
    pub fn open(journal: &Path) -> Result<Self, AlarmError> {
        let alarm = Self {
            path: Self::path_for(journal),
            raised: AtomicBool::new(false),
        };
        alarm.refresh()?;
        Ok(alarm)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every event, oldest first.
    pub fn events(&self) -> Result<Vec<AlarmEvent>, AlarmError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => {
                return Err(AlarmError::Io {
                    path: self.path.clone(),
                    error,
                })
            }
        };
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut events = Vec::with_capacity(lines.len());
        for (n, line) in lines.iter().enumerate() {
            match serde_json::from_str(line) {
                Ok(event) => events.push(event),
                // A torn last line never finished: the raise it was is
                // re-raised by the next equivocating request, and a torn
                // clear leaves the alarm raised — the safe side.
                Err(_) if n + 1 == lines.len() && !text.ends_with('\n') => {}
                Err(_) => {
                    return Err(AlarmError::Damaged {
                        path: self.path.clone(),
                        line: n + 1,
                    })
                }
            }
        }
        Ok(events)
    }

    /// Reads the file again (another process may have cleared it).
    pub fn refresh(&self) -> Result<bool, AlarmError> {
        let raised = matches!(self.events()?.last(), Some(AlarmEvent::Raised { .. }));
        self.raised.store(raised, Ordering::Relaxed);
        Ok(raised)
    }

    /// Whether it is raised, as last read or raised here.
    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Relaxed)
    }

    fn append(&self, event: &AlarmEvent) -> Result<(), AlarmError> {
        let io = |error| AlarmError::Io {
            path: self.path.clone(),
            error,
        };
        let existed = self.path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        // A torn last line must not swallow this one.
        let torn = std::fs::read(&self.path)
            .map_err(io)?
            .last()
            .is_some_and(|b| *b != b'\n');
        let mut line = serde_json::to_string(event).map_err(|e| io(std::io::Error::other(e)))?;
        if torn {
            line.insert(0, '\n');
        }
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        if !existed {
            super::journal::sync_parent(&self.path).map_err(io)?;
        }
        Ok(())
    }

    /// Raises the alarm: on disk (synced) first, then here.
    pub fn raise(
        &self,
        seq: u64,
        signed_digest: &str,
        asked_digest: &str,
    ) -> Result<(), AlarmError> {
        let raised = self.append(&AlarmEvent::Raised {
            at: unix_now(),
            seq,
            signed_digest: signed_digest.to_string(),
            asked_digest: asked_digest.to_string(),
        });
        // Raised in memory even if the disk refused: the operator must see it.
        self.raised.store(true, Ordering::Relaxed);
        raised
    }

    /// Clears a raised alarm, recording `by` whom and when; returns the
    /// raise it clears.
    pub fn clear(&self, by: &str) -> Result<AlarmEvent, AlarmError> {
        let by = by.trim();
        if by.is_empty() {
            return Err(AlarmError::NoOperator);
        }
        let last = self.events()?.into_iter().last();
        let Some(raised @ AlarmEvent::Raised { .. }) = last else {
            return Err(AlarmError::NotRaised(self.path.clone()));
        };
        self.append(&AlarmEvent::Cleared {
            at: unix_now(),
            by: by.to_string(),
        })?;
        self.raised.store(false, Ordering::Relaxed);
        Ok(raised)
    }
}
