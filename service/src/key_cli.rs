//! `… api-key create|revoke|list`: the same command in every service, over
//! the service's scopes.
use clap::Subcommand;

use crate::keys::ScopeKind;
use crate::store::{iso8601, Store, StoreError};

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand<S: ScopeKind + Clone> {
    /// A new key (printed once; only its hash is stored).
    Create {
        #[arg(long, default_value = "default")]
        name: String,
        /// The person the key belongs to: every case action made with it is
        /// recorded under this name, and four eyes compare people, not keys.
        #[arg(long)]
        operator: String,
        /// A scope (repeatable); an unknown one is refused with the list.
        #[arg(long = "scope", required = true)]
        scopes: Vec<S>,
    },
    /// Revoke a key by its id.
    Revoke { id: String },
    /// The keys (never their secrets).
    List,
}

/// What the command prints: its standard output and its note for the operator.
pub struct Printed {
    pub out: String,
    pub note: Option<String>,
}

/// Runs the command; an unknown key to revoke is an error naming it.
pub async fn run<S: ScopeKind + Clone>(
    store: &Store<S>,
    command: ApiKeyCommand<S>,
) -> Result<Result<Printed, String>, StoreError> {
    Ok(Ok(match command {
        ApiKeyCommand::Create {
            name,
            operator,
            scopes,
        } => {
            let (key, secret) = store.create_key(&name, &operator, &scopes).await?;
            let scopes: Vec<String> = key.scopes.iter().map(|s| s.to_string()).collect();
            Printed {
                out: secret,
                note: Some(format!(
                    "key {} ({}) of {operator} with {}: shown once, store it now",
                    key.id,
                    key.name,
                    scopes.join(", ")
                )),
            }
        }
        ApiKeyCommand::Revoke { id } => {
            if !store.revoke_key(&id).await? {
                return Ok(Err(format!("no live API key {id}")));
            }
            Printed {
                out: format!("revoked {id}"),
                note: None,
            }
        }
        ApiKeyCommand::List => {
            let mut lines = Vec::new();
            for key in store.keys().await? {
                let scopes: Vec<String> = key.scopes.iter().map(|s| s.to_string()).collect();
                let state = match key.revoked_at {
                    Some(at) => format!("revoked {}", iso8601(at)),
                    None => "live".into(),
                };
                lines.push(format!(
                    "{}  {}  {}  {}  {}",
                    key.id,
                    key.name,
                    key.operator.as_deref().unwrap_or("-"),
                    scopes.join(","),
                    state
                ));
            }
            Printed {
                out: lines.join("\n"),
                note: None,
            }
        }
    }))
}
