//! API keys: shown once when created, stored only as their SHA-256, each
//! with the scopes it was given and the one named person it belongs to: the
//! operator every case action made with it is recorded under, whatever a
//! request body says (four eyes are two people, not two keys).
use std::fmt;
use std::str::FromStr;

use sqlx::Row;

use crate::store::{new_id, now, Store, StoreError};

/// One of a service's scopes: the service names them (`invoices:write`,
/// `deposits:read`); a key holds a set of them, stored as their names.
pub trait ScopeKind:
    Copy + Ord + fmt::Debug + fmt::Display + FromStr<Err = String> + Send + Sync + 'static
{
    fn as_str(self) -> &'static str;
}

/// A key as the database knows it (never the secret itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey<S> {
    pub id: String,
    pub name: String,
    /// The person the key belongs to (keys made before issue 33 name none,
    /// and take no case action).
    pub operator: Option<String>,
    pub scopes: Vec<S>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl<S: ScopeKind> ApiKey<S> {
    pub fn allows(&self, scope: S) -> bool {
        self.scopes.contains(&scope)
    }
}

fn digest(secret: &str) -> String {
    usd1_client::hex(&usd1_client::sha256(secret.as_bytes()))
}

fn from_row<S: ScopeKind>(row: &sqlx::any::AnyRow) -> Result<ApiKey<S>, StoreError> {
    let scopes: String = row.try_get("scopes")?;
    let scopes = scopes
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(StoreError::Malformed))
        .collect::<Result<_, _>>()?;
    Ok(ApiKey {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        operator: row.try_get("operator")?,
        scopes,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl<S: ScopeKind> Store<S> {
    /// A new key of `operator` (a person's name): its record and the
    /// secret, which exists only in the answer.
    pub async fn create_key(
        &self,
        name: &str,
        operator: &str,
        scopes: &[S],
    ) -> Result<(ApiKey<S>, String), StoreError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(StoreError::Malformed(
                "an API key belongs to a named operator".into(),
            ));
        }
        let id = new_id("key");
        let secret = format!("usd1_sk_{}", usd1_client::hex(&rand::random::<[u8; 32]>()));
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let listed: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        let created_at = now();
        sqlx::query(
            "INSERT INTO api_keys (id, name, key_hash, scopes, created_at, operator) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(name)
        .bind(digest(&secret))
        .bind(listed.join(","))
        .bind(created_at)
        .bind(operator)
        .execute(self.pool())
        .await?;
        let key = ApiKey {
            id,
            name: name.to_string(),
            operator: Some(operator.to_string()),
            scopes,
            created_at,
            revoked_at: None,
        };
        Ok((key, secret))
    }

    /// The live key whose secret this is.
    pub async fn key_by_secret(&self, secret: &str) -> Result<Option<ApiKey<S>>, StoreError> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(digest(secret))
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Revokes a key, and with it its webhooks (their pending deliveries
    /// cancelled); false if there is no live key of that id.
    pub async fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let at = now();
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        crate::webhooks::cancel_pending(&mut tx, "api_key_id = $1", id).await?;
        sqlx::query(
            "UPDATE webhooks SET deleted_at = $1 WHERE api_key_id = $2 AND deleted_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The key of this id, live or revoked.
    pub async fn key(&self, id: &str) -> Result<Option<ApiKey<S>>, StoreError> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn keys(&self) -> Result<Vec<ApiKey<S>>, StoreError> {
        let rows = sqlx::query("SELECT * FROM api_keys ORDER BY created_at, id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(from_row).collect()
    }
}

/// A service's scopes: the enum, its names, `ALL`, `Display`, `FromStr`
/// (an unknown name refused with the list) and [`ScopeKind`].
///
/// ```ignore
/// usd1_service::scopes! {
///     /// What a key of the desk may do.
///     pub enum Scope {
///         CustomersRead => "customers:read",
///         CustomersWrite => "customers:write",
///     }
/// }
/// ```
#[macro_export]
macro_rules! scopes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                $name::ALL
                    .into_iter()
                    .find(|s| s.as_str() == text)
                    .ok_or_else(|| {
                        let known: Vec<&str> = $name::ALL.iter().map(|s| s.as_str()).collect();
                        format!("unknown scope '{text}' (one of {})", known.join(", "))
                    })
            }
        }

        impl $crate::keys::ScopeKind for $name {
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }
    };
}
