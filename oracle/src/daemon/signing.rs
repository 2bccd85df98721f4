//! The round's signatures from elsewhere: a dry run that never puts them on
//! the wire, and asking other operators' co-signers.
use super::*;

/// What the co-signers gave.
#[derive(Default)]
pub(super) struct Cosigned {
    pub(super) signatures: Vec<AttestorSignature>,
    pub(super) refusals: Vec<String>,
}

impl Oracle {
    /// The held keys' signatures over `digest`, each made off the async
    /// threads (a key in an HSM or a vault answers over a wire) and checked
    /// against its key. A key that does not sign is counted by its public
    /// key and reported unhealthy until it signs again; the round stops
    /// with nothing sent and its seq kept (nothing was journalled).
    pub(super) async fn sign_held(
        &self,
        signers: &[SharedSigner],
        digest: &[u8; 32],
    ) -> Result<Vec<AttestorSignature>, RoundError> {
        let mut signed = Vec::with_capacity(signers.len());
        for signer in signers {
            let (key, digest) = (signer.clone(), *digest);
            let answer =
                tokio::task::spawn_blocking(move || attestation::try_sign(key.as_ref(), &digest))
                    .await
                    .map_err(|e| RoundError::Signer(format!("the signing task failed: {e}")))?;
            let attestor = signer.pubkey().to_string();
            match answer {
                Ok(signature) => {
                    self.metrics.signer_ok(&attestor);
                    signed.push(signature);
                }
                Err(error) => {
                    let why = usd1_client::signing::why_not_signed(error);
                    self.metrics.signer_error(&attestor, &why);
                    return Err(RoundError::Signer(format!("attestor {attestor}: {why}")));
                }
            }
        }
        Ok(signed)
    }

    /// `--dry-run`: the attestation is simulated *without* its Ed25519
    /// instruction, so no attestor signature reaches the node (a signature
    /// set that leaked could be landed by anyone until it expires). Every
    /// check before the signatures' runs on-chain; the signatures of the held
    /// keys are made and checked here. Co-signers are not asked: their
    /// journals would hold the seq for a digest that is never sent.
    pub(super) async fn dry_run(
        &self,
        usd1: &Usd1<dyn Ledger>,
        report: Report,
        signers: &[SharedSigner],
        config: &usd1_client::Config,
    ) -> Result<Outcome, RoundError> {
        let args = report.attest_args();
        let digest = attestation::digest_of(&self.mint, &args);
        let simulation = usd1
            .simulate(&[usd1_client::instructions::attest(&self.mint, args)], &[])
            .await?;
        let refusal = match simulation.err {
            // The simulation got past every check that comes before the signatures'.
            Some(failure) if failure.is(usd1_client::Usd1Error::MissingEd25519Instruction) => None,
            Some(failure) => Some(failure.to_string()),
            None => None,
        };
        let signed = self.sign_held(signers, &digest).await?;
        let held = signed.len();
        let checked =
            attestation::check_signatures(&signed, &digest, config.attestors(), config.threshold);
        let signatures = match checked {
            Ok(()) => format!(
                "{held} of {} checked here; the simulation ran without them, so none left this machine",
                config.threshold
            ),
            Err(problem) => format!(
                "{problem} (held keys only: co-signers are not asked in a dry run); none left this machine"
            ),
        };
        Ok(Outcome::DryRun {
            report,
            digest,
            refusal,
            signatures,
        })
    }

    /// Asks `remote` co-signers at once for `needed` signatures over `digest`,
    /// verifying each against the co-signer's registered key; returns as soon
    /// as enough have signed, naming every one that did not.
    pub(super) async fn cosign(
        &self,
        report: &Report,
        digest: &[u8; 32],
        remote: &[&CosignerRef],
        needed: usize,
    ) -> Cosigned {
        let request = SignRequest::new(&self.mint, report);
        let timeout = Duration::from_millis(self.round.cosign_timeout_ms);
        let mut asks: FuturesUnordered<_> = remote
            .iter()
            .map(|c| {
                let request = &request;
                async move {
                    let answer =
                        cosigner::ask(&self.http, &c.url, &c.token, request, timeout).await;
                    (*c, answer)
                }
            })
            .collect();
        let mut out = Cosigned::default();
        while let Some((c, answer)) = asks.next().await {
            let attestor = c.attestor.to_string();
            let outcome = match answer {
                Ok(signed) if signed.attestor != c.attestor => Err((
                    "WrongAttestor",
                    format!("WrongAttestor: answered for {} instead", signed.attestor),
                )),
                Ok(signed) if !attestation::verify(&signed, digest) => Err((
                    "BadSignature",
                    "BadSignature: its signature does not verify over the digest".to_string(),
                )),
                Ok(signed) => Ok(signed),
                Err(unsigned) => Err((unsigned.label, unsigned.reason)),
            };
            match outcome {
                Ok(signed) => {
                    self.metrics.cosigner_answer(&attestor, "signed");
                    out.signatures.push(signed);
                    if out.signatures.len() >= needed {
                        break;
                    }
                }
                Err((label, reason)) => {
                    self.metrics.cosigner_answer(&attestor, label);
                    tracing::warn!(attestor = %attestor, url = %c.url, reason = %reason, "co-signer did not sign");
                    out.refusals
                        .push(format!("{attestor} at {}: {reason}", c.url));
                }
            }
        }
        out
    }
}
