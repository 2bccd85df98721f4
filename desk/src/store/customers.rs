//! Customers: institutions with a KYB standing (each change recorded with
//! who and why), registered wallets (screened when registered), linked bank
//! accounts and the reference their wires carry.
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use usd1_client::bank::pain001::{is_iban, Agent};
use usd1_client::screening::Screener;
use usd1_service::cases::{self, Actor};

use super::{new_id, now, Store, StoreError, Tx};
use crate::decide::{self, Kyb};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Customer {
    pub id: String,
    pub name: String,
    /// What the customer puts in its wires' remittance information.
    pub reference: String,
    pub status: Kyb,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Wallet {
    pub address: String,
    pub customer_id: String,
    pub registered_at: i64,
    pub registered_by: String,
    pub listed_at: Option<i64>,
    pub listed_why: Option<String>,
}

/// A linked bank account: a U.S. account and ABA routing number, or an IBAN
/// and BIC; a structured address (pain.001 from November 2026 wants one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAccount {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub customer_id: String,
    pub holder: String,
    pub number: Option<String>,
    pub routing: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub street: Option<String>,
    pub town: String,
    pub postcode: Option<String>,
    pub country: String,
}

/// A KYB change as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatusChange {
    pub status: Kyb,
    pub operator: String,
    pub why: String,
    pub at: i64,
}

/// Why a customer change is refused.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    #[error("no customer {0}")]
    NotFound(String),
    #[error("{0}")]
    Kyb(String),
    #[error("every change names the operator who made it and why")]
    NoOperator,
    #[error("'{0}' is not a Solana address")]
    BadWallet(String),
    #[error("wallet {address} is already registered to {customer}")]
    WalletTaken { address: String, customer: String },
    #[error("bank account: {0}")]
    BadBankAccount(String),
    #[error(
        "customer {0} has a listed wallet: no bank account is linked to it (its case decides)"
    )]
    Listed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn customer_from(row: &AnyRow) -> Result<Customer, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Customer {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        reference: row.try_get("reference")?,
        status: status.parse().map_err(StoreError::Malformed)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn wallet_from(row: &AnyRow) -> Result<Wallet, StoreError> {
    Ok(Wallet {
        address: row.try_get("address")?,
        customer_id: row.try_get("customer_id")?,
        registered_at: row.try_get("registered_at")?,
        registered_by: row.try_get("registered_by")?,
        listed_at: row.try_get("listed_at")?,
        listed_why: row.try_get("listed_why")?,
    })
}

/// Checks a bank account before it is linked.
pub fn check_bank_account(account: &BankAccount) -> Result<(), String> {
    if account.holder.trim().is_empty() || account.town.trim().is_empty() {
        return Err("the holder's name and town are required".into());
    }
    if account.country.len() != 2 || !account.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "'{}' is not an ISO 3166 country code",
            account.country
        ));
    }
    match (
        &account.number,
        &account.routing,
        &account.iban,
        &account.bic,
    ) {
        (Some(number), Some(routing), None, None) => {
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || number.len() > 17
            {
                return Err(format!("'{number}' is not a U.S. account number"));
            }
            match Agent::parse(routing) {
                Some(Agent::Aba(_)) => Ok(()),
                _ => Err(format!(
                    "'{routing}' is not an ABA routing number (its check digit)"
                )),
            }
        }
        (None, None, Some(iban), Some(bic)) => {
            if !is_iban(iban) {
                return Err(format!("'{iban}' is not an IBAN (its check digits)"));
            }
            match Agent::parse(bic) {
                Some(Agent::Bic(_)) => Ok(()),
                _ => Err(format!("'{bic}' is not a BIC")),
            }
        }
        _ => Err("give an account number with an ABA routing number, or an IBAN with a BIC".into()),
    }
}

pub(crate) async fn customer_in(tx: &mut Tx<'_>, id: &str) -> Result<Customer, CustomerError> {
    let row = sqlx::query("SELECT * FROM customers WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| CustomerError::NotFound(id.to_string()))?;
    Ok(customer_from(&row)?)
}

impl Store {
    /// A new customer, `pending`, with a fresh reference.
    pub async fn create_customer(
        &self,
        name: &str,
        operator: &str,
    ) -> Result<Customer, CustomerError> {
        if operator.trim().is_empty() {
            return Err(CustomerError::NoOperator);
        }
        let id = new_id("cus");
        let at = now();
        let mut tx = self.begin().await?;
        let reference = loop {
            let reference = decide::new_reference(rand::random());
            let taken = sqlx::query("SELECT 1 AS taken FROM customers WHERE reference = $1")
                .bind(&reference)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            if taken.is_none() {
                break reference;
            }
        };
        let row = sqlx::query(
            "INSERT INTO customers (id, name, reference, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'pending', $4, $4) RETURNING *",
        )
        .bind(&id)
        .bind(name.trim())
        .bind(&reference)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        record_status(&mut tx, &id, Kyb::Pending, operator, "created").await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(customer_from(&row)?)
    }

    /// Moves a customer's KYB standing, recording who and why; deposits
    /// that waited for it are looked at again by the next mint pass.
    pub async fn set_kyb(
        &self,
        id: &str,
        status: Kyb,
        operator: &str,
        why: &str,
    ) -> Result<Customer, CustomerError> {
        if operator.trim().is_empty() || why.trim().is_empty() {
            return Err(CustomerError::NoOperator);
        }
        let mut tx = self.begin().await?;
        let customer = customer_in(&mut tx, id).await?;
        decide::kyb_change(customer.status, status).map_err(CustomerError::Kyb)?;
        sqlx::query("UPDATE customers SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        record_status(&mut tx, id, status, operator, why).await?;
        let customer = customer_in(&mut tx, id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(customer)
    }

    /// Registers `address` as the customer's wallet, screened against
    /// `screener`'s lists: a listed wallet is recorded as listed and opens a
    /// case on it (the customer's deposits are then held).
    pub async fn register_wallet(
        &self,
        id: &str,
        address: &str,
        screener: &Screener,
        operator: &str,
    ) -> Result<Wallet, CustomerError> {
        if operator.trim().is_empty() {
            return Err(CustomerError::NoOperator);
        }
        let pubkey: solana_sdk::pubkey::Pubkey = address
            .parse()
            .map_err(|_| CustomerError::BadWallet(address.to_string()))?;
        let hits = screener.hits(&pubkey);
        let mut tx = self.begin().await?;
        customer_in(&mut tx, id).await?;
        let taken = sqlx::query("SELECT customer_id FROM wallets WHERE address = $1")
            .bind(address)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        if let Some(row) = taken {
            let customer: String = row.try_get("customer_id").map_err(StoreError::from)?;
            return Err(CustomerError::WalletTaken {
                address: address.to_string(),
                customer,
            });
        }
        let at = now();
        let why = (!hits.is_empty()).then(|| {
            hits.iter()
                .map(|h| format!("{} ({})", h.list, h.entry.reason))
                .collect::<Vec<_>>()
                .join("; ")
        });
        let row = sqlx::query(
            "INSERT INTO wallets (address, customer_id, registered_at, registered_by, listed_at, listed_why) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        )
        .bind(address)
        .bind(id)
        .bind(at)
        .bind(operator.trim())
        .bind(why.as_ref().map(|_| at))
        .bind(&why)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if let Some(why) = &why {
            cases::open_in(
                &mut tx,
                self.seal(),
                address,
                &format!("customer {id}'s wallet is listed: {why}"),
                &json!([why]),
                &Actor::screening(),
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        self.anchor_cases().await?;
        Ok(wallet_from(&row)?)
    }

    /// Links a bank account the customer's dollars go out to.
    pub async fn add_bank_account(
        &self,
        id: &str,
        account: &BankAccount,
    ) -> Result<BankAccount, CustomerError> {
        check_bank_account(account).map_err(CustomerError::BadBankAccount)?;
        let mut tx = self.begin().await?;
        customer_in(&mut tx, id).await?;
        let listed = sqlx::query(
            "SELECT 1 AS listed FROM wallets WHERE customer_id = $1 AND listed_at IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if listed.is_some() {
            return Err(CustomerError::Listed(id.to_string()));
        }
        let linked = BankAccount {
            id: new_id("ba"),
            customer_id: id.to_string(),
            ..account.clone()
        };
        sqlx::query(
            "INSERT INTO bank_accounts (id, customer_id, holder, number, routing, iban, bic, street, town, \
             postcode, country, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&linked.id)
        .bind(id)
        .bind(&linked.holder)
        .bind(&linked.number)
        .bind(&linked.routing)
        .bind(&linked.iban)
        .bind(&linked.bic)
        .bind(&linked.street)
        .bind(&linked.town)
        .bind(&linked.postcode)
        .bind(&linked.country)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(linked)
    }

    pub async fn customer(&self, id: &str) -> Result<Option<Customer>, StoreError> {
        let row = sqlx::query("SELECT * FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(customer_from).transpose()
    }

    pub async fn customers(&self) -> Result<Vec<Customer>, StoreError> {
        let rows = sqlx::query("SELECT * FROM customers ORDER BY created_at, id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(customer_from).collect()
    }

    pub async fn wallets(&self, customer_id: &str) -> Result<Vec<Wallet>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM wallets WHERE customer_id = $1 ORDER BY registered_at, address",
        )
        .bind(customer_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(wallet_from).collect()
    }

    pub async fn kyb_history(&self, customer_id: &str) -> Result<Vec<StatusChange>, StoreError> {
        let rows = sqlx::query("SELECT * FROM customer_status WHERE customer_id = $1 ORDER BY seq")
            .bind(customer_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(StatusChange {
                    status: status.parse().map_err(StoreError::Malformed)?,
                    operator: row.try_get("operator")?,
                    why: row.try_get("why")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    /// Every customer's reference and id, for matching wires.
    pub(crate) async fn references_in(
        tx: &mut Tx<'_>,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows = sqlx::query("SELECT reference, id FROM customers")
            .fetch_all(&mut **tx)
            .await?;
        rows.iter()
            .map(|row| {
                let reference: String = row.try_get("reference")?;
                Ok((reference.to_ascii_uppercase(), row.try_get("id")?))
            })
            .collect()
    }
}

async fn record_status(
    tx: &mut Tx<'_>,
    id: &str,
    status: Kyb,
    operator: &str,
    why: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_status (customer_id, status, operator, why, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(operator.trim())
    .bind(why.trim())
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A wallet a new list version names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewlyListed {
    pub address: String,
    pub customer_id: String,
    pub why: String,
    /// Its customer's deposits and redemptions now held.
    pub held: Vec<String>,
}

impl Store {
    /// Screens every registered wallet not listed yet against `screener`
    /// (a list changed): each one it names is recorded as listed with a case
    /// on it, and its customer's money not yet minted or paid is held under
    /// that case. What was found.
    pub async fn rescreen_wallets(
        &self,
        screener: &Screener,
    ) -> Result<Vec<NewlyListed>, StoreError> {
        // A wallet a case cleared (a false positive) is not listed again by it.
        let rows = sqlx::query(
            "SELECT address, customer_id FROM wallets WHERE listed_at IS NULL AND cleared_case IS NULL \
             ORDER BY address",
        )
        .fetch_all(self.pool())
        .await?;
        let mut found = Vec::new();
        for row in &rows {
            let address: String = row.try_get("address")?;
            let Ok(pubkey) = address.parse::<solana_sdk::pubkey::Pubkey>() else {
                continue;
            };
            let hits = screener.hits(&pubkey);
            if hits.is_empty() {
                continue;
            }
            let customer: String = row.try_get("customer_id")?;
            let why = hits
                .iter()
                .map(|h| format!("{} ({})", h.list, h.entry.reason))
                .collect::<Vec<_>>()
                .join("; ");
            let mut tx = self.begin().await?;
            let marked = sqlx::query(
                "UPDATE wallets SET listed_at = $1, listed_why = $2 WHERE address = $3 AND listed_at IS NULL",
            )
            .bind(now())
            .bind(&why)
            .bind(&address)
            .execute(&mut *tx)
            .await?;
            if marked.rows_affected() != 1 {
                continue;
            }
            let reason = format!("customer {customer}'s wallet is listed: {why}");
            let (case, _) = cases::open_in(
                &mut tx,
                self.seal(),
                &address,
                &reason,
                &json!([why]),
                &Actor::screening(),
            )
            .await?;
            let mut held = Vec::new();
            let deposits = sqlx::query(
                "SELECT id, amount FROM deposits WHERE customer_id = $1 \
                 AND state IN ('awaiting_kyb', 'awaiting_approval', 'awaiting_reserve', 'ready')",
            )
            .bind(&customer)
            .fetch_all(&mut *tx)
            .await?;
            for deposit in &deposits {
                let id: String = deposit.try_get("id")?;
                let amount: i64 = deposit.try_get("amount")?;
                // A hold of its own: an earlier case's release is that case's.
                sqlx::query(
                    "UPDATE deposits SET state = 'held', why = $1, case_id = $2, released_by = NULL, \
                     updated_at = $3 WHERE id = $4",
                )
                    .bind(&reason)
                    .bind(&case.id)
                    .bind(now())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                super::record_hold(
                    &mut tx,
                    self.seal(),
                    &case.id,
                    &format!("deposit:{id}"),
                    u64::try_from(amount).unwrap_or_default(),
                    Some(customer.as_str()),
                    &reason,
                )
                .await?;
                held.push(format!("deposit:{id}"));
            }
            let redemptions = sqlx::query(
                "SELECT id, amount FROM redemptions WHERE customer_id = $1 AND state = 'payment_due' AND case_id IS NULL",
            )
            .bind(&customer)
            .fetch_all(&mut *tx)
            .await?;
            for redemption in &redemptions {
                let id: i64 = redemption.try_get("id")?;
                let amount: i64 = redemption.try_get("amount")?;
                sqlx::query("UPDATE redemptions SET state = 'held', why = $1, case_id = $2, updated_at = $3 WHERE id = $4")
                    .bind(&reason)
                    .bind(&case.id)
                    .bind(now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                super::record_hold(
                    &mut tx,
                    self.seal(),
                    &case.id,
                    &format!("redemption:{id}"),
                    u64::try_from(amount).unwrap_or_default(),
                    Some(customer.as_str()),
                    &reason,
                )
                .await?;
                held.push(format!("redemption:{id}"));
            }
            tx.commit().await?;
            found.push(NewlyListed {
                address,
                customer_id: customer,
                why,
                held,
            });
        }
        if !found.is_empty() {
            self.anchor_cases().await?;
        }
        Ok(found)
    }
}
