//! One value per command, printed as text or as one JSON document.
use std::fmt::Display;

use clap::ValueEnum;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Display,
    Json,
    JsonCompact,
}

/// A command's result, rendered both ways from the same value.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub json: serde_json::Value,
    pub text: String,
    /// The command ran but found a failure to report (e.g. an audit violation):
    /// the output is printed and the process exits non-zero.
    pub failed: bool,
}

impl Output {
    pub fn new<T: Serialize + Display>(value: &T) -> Self {
        Self {
            json: serde_json::to_value(value)
                .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
            text: value.to_string(),
            failed: false,
        }
    }

    /// Marks the output as reporting a failure.
    pub fn failing(mut self, failed: bool) -> Self {
        self.failed = failed;
        self
    }

    pub fn render(&self, format: OutputFormat) -> String {
        match format {
            OutputFormat::Display => self.text.clone(),
            OutputFormat::Json => serde_json::to_string_pretty(&self.json).unwrap_or_default(),
            OutputFormat::JsonCompact => self.json.to_string(),
        }
    }
}

/// Unix seconds as UTC ISO-8601 (`2026-12-01T12:00:00Z`).
pub fn utc(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("{unix} (unix seconds)"))
}
