//! Ed25519 keys in a PKCS#11 token (an HSM; SoftHSM2 in the tests), through
//! `cryptoki`: a key pair made on the token with the private half private,
//! sensitive and never extractable, signatures by `CKM_EDDSA`.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use solana_sdk::pubkey::Pubkey;

use super::uri::{PinSource, Pkcs11Uri};
use super::{within, Backend, KeyError};

/// `CKA_EC_PARAMS` of Ed25519: the DER of its OID, 1.3.101.112 (RFC 8410).
pub const ED25519_PARAMS: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];

/// Each PKCS#11 library loaded and initialised once per process.
fn context(uri: &Pkcs11Uri) -> Result<Pkcs11, KeyError> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut loaded = LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(context) = loaded.get(&uri.module) {
        return Ok(context.clone());
    }
    let context = Pkcs11::new(&uri.module).map_err(|e| KeyError::Unavailable {
        key: uri.text.clone(),
        why: format!("cannot load {}: {e}", uri.module.display()),
    })?;
    match context.initialize(CInitializeArgs::OsThreads) {
        // Another part of this process (a second binding) initialised it.
        Ok(()) | Err(Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(uri, e)),
    }
    loaded.insert(uri.module.clone(), context.clone());
    Ok(context)
}

/// A PKCS#11 failure, named: what the token refused, or that it is unreachable.
fn failed(uri: &Pkcs11Uri, error: Error) -> KeyError {
    match error {
        Error::Pkcs11(
            rv @ (RvError::PinIncorrect
            | RvError::PinLocked
            | RvError::PinExpired
            | RvError::KeyFunctionNotPermitted
            | RvError::MechanismInvalid
            | RvError::UserNotLoggedIn),
            function,
        ) => KeyError::Refused {
            key: uri.text.clone(),
            why: format!("{function:?}: {rv:?}"),
        },
        Error::Pkcs11(rv, function) => KeyError::Unavailable {
            key: uri.text.clone(),
            why: format!("{function:?}: {rv:?}"),
        },
        other => KeyError::Unavailable {
            key: uri.text.clone(),
            why: other.to_string(),
        },
    }
}

fn pin(uri: &Pkcs11Uri) -> Result<AuthPin, KeyError> {
    let text = match &uri.pin {
        PinSource::File(path) => std::fs::read_to_string(path)
            .map_err(|e| KeyError::Malformed {
                key: uri.text.clone(),
                why: format!("cannot read the PIN from {}: {e}", path.display()),
            })?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
        PinSource::Env(variable) => std::env::var(variable).map_err(|_| KeyError::Malformed {
            key: uri.text.clone(),
            why: format!("the PIN's variable {variable} is not set"),
        })?,
    };
    Ok(AuthPin::new(text))
}

/// A logged-in session on the token the URI names.
fn session(uri: &Pkcs11Uri, write: bool) -> Result<Session, KeyError> {
    let context = context(uri)?;
    let slots = context.get_all_slots().map_err(|e| failed(uri, e))?;
    let mut chosen = None;
    for slot in slots {
        // A slot whose token is lost or broken answers nothing: the others still do.
        let Ok(info) = context.get_token_info(slot) else {
            continue;
        };
        if !info.token_initialized() {
            continue;
        }
        let label = info.label().trim_end().to_string();
        let token_fits = uri.token.as_ref().is_none_or(|t| *t == label);
        let slot_fits = uri.slot_id.is_none_or(|id| id == slot.id());
        if token_fits && slot_fits {
            chosen = Some(slot);
            break;
        }
    }
    let slot = chosen.ok_or_else(|| KeyError::Unavailable {
        key: uri.text.clone(),
        why: "no such token".into(),
    })?;
    let session = match write {
        true => context.open_rw_session(slot),
        false => context.open_ro_session(slot),
    }
    .map_err(|e| failed(uri, e))?;
    match session.login(UserType::User, Some(&pin(uri)?)) {
        Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(e) => Err(failed(uri, e)),
    }
}

fn find(
    uri: &Pkcs11Uri,
    session: &Session,
    class: ObjectClass,
) -> Result<Option<ObjectHandle>, KeyError> {
    let found = session
        .find_objects(&[
            Attribute::Class(class),
            Attribute::Label(uri.object.as_bytes().to_vec()),
        ])
        .map_err(|e| failed(uri, e))?;
    Ok(found.first().copied())
}

/// The Ed25519 public key of the pair labelled `object`.
fn public_in(uri: &Pkcs11Uri, session: &Session) -> Result<Option<Pubkey>, KeyError> {
    let Some(handle) = find(uri, session, ObjectClass::PUBLIC_KEY)? else {
        return Ok(None);
    };
    let attributes = session
        .get_attributes(handle, &[AttributeType::KeyType, AttributeType::EcPoint])
        .map_err(|e| failed(uri, e))?;
    let not_ed25519 = || KeyError::NotEd25519 {
        key: uri.text.clone(),
    };
    let mut point = None;
    for attribute in attributes {
        match attribute {
            Attribute::KeyType(kind) if kind != KeyType::EC_EDWARDS => return Err(not_ed25519()),
            Attribute::EcPoint(bytes) => point = Some(bytes),
            _ => {}
        }
    }
    // CKA_EC_POINT is the DER OCTET STRING of the 32 bytes (some tokens give them bare).
    let point = point.ok_or_else(not_ed25519)?;
    let raw = match point.as_slice() {
        [0x04, 0x20, rest @ ..] if rest.len() == 32 => rest,
        bare if bare.len() == 32 => bare,
        _ => return Err(not_ed25519()),
    };
    Ok(Some(Pubkey::try_from(raw).map_err(|_| not_ed25519())?))
}

/// The token and key a `pkcs11:` URI names, and a logged-in session with
/// the private key found, kept between signatures (opened again after any
/// failure: a token removed and put back, a session the HSM closed).
pub struct Token {
    uri: Pkcs11Uri,
    kept: Arc<Mutex<Option<(Session, ObjectHandle)>>>,
}

impl Token {
    pub fn open(uri: &Pkcs11Uri) -> Result<Self, KeyError> {
        Ok(Token {
            uri: uri.clone(),
            kept: Arc::default(),
        })
    }
}

/// A session on the URI's token and its private key.
fn signing_session(uri: &Pkcs11Uri) -> Result<(Session, ObjectHandle), KeyError> {
    let session = session(uri, false)?;
    let key =
        find(uri, &session, ObjectClass::PRIVATE_KEY)?.ok_or_else(|| KeyError::NoSuchKey {
            key: uri.text.clone(),
        })?;
    Ok((session, key))
}

impl Backend for Token {
    fn public_key(&self) -> Result<Pubkey, KeyError> {
        let uri = self.uri.clone();
        within(&self.uri.text, self.uri.timeout, move || {
            let session = session(&uri, false)?;
            public_in(&uri, &session)?.ok_or(KeyError::NoSuchKey { key: uri.text })
        })
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let (uri, message, kept) = (self.uri.clone(), message.to_vec(), self.kept.clone());
        within(&self.uri.text, self.uri.timeout, move || {
            let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
            let mechanism = Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure));
            // The kept session first; on any failure, once more on a fresh one.
            if let Some((session, key)) = kept.as_ref() {
                if let Ok(signature) = session.sign(&mechanism, *key, &message) {
                    return Ok(signature);
                }
            }
            *kept = None;
            let (session, key) = signing_session(&uri)?;
            let signature = session
                .sign(&mechanism, key, &message)
                .map_err(|e| failed(&uri, e))?;
            *kept = Some((session, key));
            Ok(signature)
        })
    }
}

/// Makes the key pair on the token: the private key private, sensitive
/// and never extractable. Refuses a label already in use.
pub fn create(uri: &Pkcs11Uri) -> Result<Pubkey, KeyError> {
    let uri = uri.clone();
    within(&uri.text.clone(), uri.timeout, move || {
        let session = session(&uri, true)?;
        if let Some(pubkey) = public_in(&uri, &session)? {
            return Err(KeyError::Exists {
                key: uri.text.clone(),
                pubkey,
            });
        }
        let label = uri.object.as_bytes().to_vec();
        let public = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(ED25519_PARAMS.to_vec()),
            Attribute::Label(label.clone()),
        ];
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Label(label),
        ];
        session
            .generate_key_pair(&Mechanism::EccEdwardsKeyPairGen, &public, &private)
            .map_err(|e| failed(&uri, e))?;
        public_in(&uri, &session)?.ok_or(KeyError::NoSuchKey { key: uri.text })
    })
}
