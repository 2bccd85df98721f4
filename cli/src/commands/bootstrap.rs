//! `usd1 bootstrap PLAN.toml`: bring a new cluster's mint to the plan —
//! initialize, roles, attestors, policy, disclosure, minters — as one command
//! that can be re-run. Each step reads the chain first and acts only if the
//! chain differs from the plan, so a run that stopped half-way (a dropped
//! connection, an unfunded key) is finished by running it again, and a run
//! with nothing left to do sends nothing.
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use serde::{Deserialize, Serialize};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use usd1::instructions::{ConfigureMinterArgs, DisclosureArgs, InitializeArgs, PolicyArgs};
use usd1_client::{
    sha256, ClientError, MintOptions, Role, Usd1, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID,
};

use crate::{amount, parse_pubkey, read_keypair, Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan (see migrations/bootstrap.example.toml); relative paths are relative to it.
    pub plan: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plan {
    mint_keypair: PathBuf,
    #[serde(default = "default_token_program")]
    token_program: String,
    decimals: u8,
    name: String,
    symbol: String,
    uri: String,
    #[serde(default)]
    options: PlanOptions,
    #[serde(default)]
    roles: PlanRoles,
    attestors: PlanAttestors,
    #[serde(default)]
    policy: PlanPolicy,
    disclosure: Option<PlanDisclosure>,
    #[serde(default)]
    minters: Vec<PlanMinter>,
}

fn default_token_program() -> String {
    String::from("token-2022")
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanOptions {
    #[serde(default)]
    default_frozen: bool,
    #[serde(default)]
    permanent_delegate: bool,
    #[serde(default)]
    pausable: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanRoles {
    pauser: Option<String>,
    freezer: Option<String>,
    treasurer: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanAttestors {
    keys: Vec<String>,
    threshold: u8,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanPolicy {
    max_attestation_age_secs: Option<i64>,
    margin_bps: Option<u16>,
    max_submission_delay_secs: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanDisclosure {
    legal_name: String,
    terms_uri: String,
    terms_file: PathBuf,
    min_redemption: String,
    redemption_fee_bps: u16,
    settlement_target_secs: i64,
    reserve_report_uri: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanMinter {
    /// Any key: a file-held key, a multisig vault or another program's PDA.
    key: String,
    allowance: String,
    /// Rate limit (both or neither): the capacity refills to `window_cap`
    /// (token units) over `window_secs`.
    #[serde(default)]
    window_secs: u32,
    window_cap: Option<String>,
}

/// One step and what the run did about it.
#[derive(Debug, Serialize)]
pub struct Step {
    pub step: String,
    /// "done" (sent now) or "unchanged" (the chain already matched).
    pub outcome: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Bootstrap {
    pub mint: String,
    pub steps: Vec<Step>,
}

impl fmt::Display for Bootstrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bootstrap of {}", self.mint)?;
        for step in &self.steps {
            write!(f, "\n  {:<10} {}", step.outcome, step.step)?;
        }
        let sent = self.steps.iter().filter(|s| s.outcome == "done").count();
        write!(
            f,
            "\n{sent} step(s) sent, {} already in place",
            self.steps.len() - sent
        )
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    ctx.one_transaction_only("bootstrap")?;
    let text = std::fs::read_to_string(&args.plan)
        .with_context(|| format!("cannot read plan {}", args.plan.display()))?;
    let plan: Plan =
        toml::from_str(&text).with_context(|| format!("plan {}", args.plan.display()))?;
    let base = args.plan.parent().unwrap_or_else(|| Path::new("."));
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let token_program = match plan.token_program.as_str() {
        "token-2022" => TOKEN_2022_PROGRAM_ID,
        "token" => TOKEN_PROGRAM_ID,
        other => bail!("token_program must be token-2022 or token, not {other}"),
    };
    // Everything the plan names is checked before anything is sent.
    let mint_keypair = read_keypair(&resolve(&plan.mint_keypair).display().to_string())?;
    let key = |text: &str| parse_pubkey(text).map_err(|e| anyhow!(e));
    let roles = [
        (
            Role::Pauser,
            plan.roles.pauser.as_deref().map(key).transpose()?,
        ),
        (
            Role::Freezer,
            plan.roles.freezer.as_deref().map(key).transpose()?,
        ),
        (
            Role::Treasurer,
            plan.roles.treasurer.as_deref().map(key).transpose()?,
        ),
    ];
    let attestors: Vec<Pubkey> = plan
        .attestors
        .keys
        .iter()
        .map(|k| key(k))
        .collect::<Result<_>>()?;
    let terms = match &plan.disclosure {
        Some(d) => Some(
            std::fs::read(resolve(&d.terms_file))
                .with_context(|| format!("cannot read terms file {}", d.terms_file.display()))?,
        ),
        None => None,
    };
    let minters: Vec<(Pubkey, ConfigureMinterArgs)> = plan
        .minters
        .iter()
        .map(|m| {
            let window_cap = match &m.window_cap {
                Some(cap) => amount(cap, plan.decimals)?,
                None => 0,
            };
            let args = ConfigureMinterArgs {
                allowance: amount(&m.allowance, plan.decimals)?,
                window_secs: m.window_secs,
                window_cap,
            };
            Ok((key(&m.key)?, args))
        })
        .collect::<Result<_>>()?;

    let mint = mint_keypair.pubkey();
    let admin = ctx.signer();
    let mut steps = Vec::new();
    let mut step = |name: String, done: bool| {
        steps.push(Step {
            step: name,
            outcome: if done { "done" } else { "unchanged" },
        })
    };

    // 1. initialize
    let usd1 = match Usd1::connect(ctx.ledger.clone(), ctx.keypair.clone(), mint).await {
        Ok(usd1) => {
            let config = usd1.config().await?;
            if config.decimals != plan.decimals || config.token_program != token_program {
                bail!(
                    "{mint} already exists with other settings (decimals {}, token program {})",
                    config.decimals,
                    config.token_program
                );
            }
            if config.admin != admin.pubkey() {
                bail!(
                    "{mint} is administered by {}, not by this keypair",
                    config.admin
                );
            }
            step(format!("initialize {mint}"), false);
            usd1
        }
        Err(ClientError::AccountNotFound(_)) => {
            let args = InitializeArgs {
                decimals: plan.decimals,
                name: plan.name.clone(),
                symbol: plan.symbol.clone(),
                uri: plan.uri.clone(),
                options: MintOptions {
                    default_frozen: plan.options.default_frozen,
                    permanent_delegate: plan.options.permanent_delegate,
                    pausable: plan.options.pausable,
                },
            };
            let (usd1, _) = Usd1::initialize(
                ctx.ledger.clone(),
                ctx.keypair.clone(),
                &mint_keypair,
                token_program,
                args,
            )
            .await?;
            step(format!("initialize {mint}"), true);
            usd1
        }
        Err(error) => return Err(error.into()),
    };

    // 2. roles
    for (role, holder) in roles {
        let Some(holder) = holder else { continue };
        let config = usd1.config().await?;
        let current = match role {
            Role::Pauser => config.pauser,
            Role::Freezer => config.freezer,
            Role::Treasurer => config.treasurer,
        };
        let change = current != holder;
        if change {
            usd1.set_role(admin, role, &holder).await?;
        }
        step(format!("role {role:?} = {holder}"), change);
    }

    // 3. attestors
    let config = usd1.config().await?;
    let current: Vec<Pubkey> = config.attestors[..usize::from(config.attestor_count)].to_vec();
    let change = current != attestors || config.threshold != plan.attestors.threshold;
    if change {
        // A plan that changes the set of a live mint retires its attestation.
        usd1.set_attestors(admin, attestors.clone(), plan.attestors.threshold, false)
            .await?;
    }
    step(
        format!(
            "attestors {}-of-{}",
            plan.attestors.threshold,
            attestors.len()
        ),
        change,
    );

    // 4. policy
    let config = usd1.config().await?;
    let policy = PolicyArgs {
        max_attestation_age: plan
            .policy
            .max_attestation_age_secs
            .filter(|a| *a != config.max_attestation_age),
        margin_bps: plan.policy.margin_bps.filter(|m| *m != config.margin_bps),
        max_submission_delay: plan
            .policy
            .max_submission_delay_secs
            .filter(|d| *d != config.max_submission_delay),
    };
    let change = policy.max_attestation_age.is_some()
        || policy.margin_bps.is_some()
        || policy.max_submission_delay.is_some();
    if change {
        usd1.set_policy(admin, policy).await?;
    }
    step(
        format!(
            "policy (max age {:?}, margin {:?}, max submission delay {:?})",
            plan.policy.max_attestation_age_secs,
            plan.policy.margin_bps,
            plan.policy.max_submission_delay_secs
        ),
        change,
    );

    // 5. disclosure
    if let (Some(d), Some(terms)) = (&plan.disclosure, terms) {
        let wanted = DisclosureArgs {
            legal_name: d.legal_name.clone(),
            terms_uri: d.terms_uri.clone(),
            terms_sha256: sha256(&terms),
            min_redemption: amount(&d.min_redemption, plan.decimals)?,
            redemption_fee_bps: d.redemption_fee_bps,
            settlement_target_secs: d.settlement_target_secs,
            reserve_report_uri: d.reserve_report_uri.clone(),
        };
        let change = match usd1.disclosure().await {
            Ok(current) => {
                current.legal_name != wanted.legal_name
                    || current.terms_uri != wanted.terms_uri
                    || current.terms_sha256 != wanted.terms_sha256
                    || current.min_redemption != wanted.min_redemption
                    || current.redemption_fee_bps != wanted.redemption_fee_bps
                    || current.settlement_target_secs != wanted.settlement_target_secs
                    || current.reserve_report_uri != wanted.reserve_report_uri
            }
            Err(ClientError::AccountNotFound(_)) => true,
            Err(error) => return Err(error.into()),
        };
        if change {
            usd1.set_disclosure(admin, wanted).await?;
        }
        step(String::from("disclosure"), change);
    }

    // 6. minters
    for (minter, wanted) in minters {
        let change = match usd1.minter_allowance(&minter).await {
            Ok(current) => {
                !current.is_enabled()
                    || current.allowance != wanted.allowance
                    || current.window_secs != wanted.window_secs
                    || current.window_cap != wanted.window_cap
            }
            Err(ClientError::AccountNotFound(_)) => true,
            Err(error) => return Err(error.into()),
        };
        if change {
            usd1.configure_minter_with(admin, &minter, wanted).await?;
        }
        let rate = if wanted.window_secs > 0 {
            format!(
                ", at most {} per {} s",
                usd1_client::format_amount(wanted.window_cap, plan.decimals),
                wanted.window_secs
            )
        } else {
            String::new()
        };
        step(
            format!(
                "minter {minter} allowance {}{rate}",
                usd1_client::format_amount(wanted.allowance, plan.decimals)
            ),
            change,
        );
    }

    Ok(Output::new(&Bootstrap {
        mint: mint.to_string(),
        steps,
    }))
}
