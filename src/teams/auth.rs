//! Authentication of inbound Teams activities: every request to `/teams/messages` carries a
//! Bot Framework JWT (`Authorization: Bearer …`), checked before anything else is done with it.
//!
//! The checks, in order (Microsoft's "Verify the JWT token" list, `platform-notes/teams.md` §1):
//! the `Bearer` scheme; `alg` is RS256 (never `none`, never an HMAC "signed" with the public
//! key); the `kid` is a key of the Bot Framework's JWKS (an unknown `kid` refreshes the keys at
//! most once a minute); the RS256 signature; `iss` is `https://api.botframework.com`; `aud` is our
//! app id; `exp` and `nbf` within 5 minutes of skew, by the app's clock; the key's
//! `endorsements`, when it lists any, include the activity's `channelId`; the token's
//! `serviceurl` claim is the activity's `serviceUrl`, which must be one of the allowed Teams
//! hosts; and the activity's tenant is one the program serves. A tenant that is not allowed is
//! 403; anything else is 401. Nothing of the token is ever logged.
//!
//! Keys are fetched through the OpenID metadata (`jwks_uri`) and kept: refreshed once a day, on
//! an unknown `kid` (at most once a minute), and kept in use when the metadata endpoint is down.

use super::{ActivityHead, TeamsSettings};
use crate::clock::Clock;
use jsonwebtoken::{jwk::Jwk, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::{Mutex, RwLock};

/// The issuer of every token the Bot Connector sends.
pub const BOT_FRAMEWORK_ISSUER: &str = "https://api.botframework.com";
/// Clock skew tolerated on `exp` and `nbf` (Microsoft's SDKs use 5 minutes).
const SKEW_SECS: i64 = 300;
/// Fewest milliseconds between two key refreshes caused by unknown `kid`s.
const UNKNOWN_KID_REFRESH_MS: i64 = 60_000;
/// Keys older than this are refreshed on the next request (the old ones stay if that fails).
const KEYS_MAX_AGE_MS: i64 = 24 * 3_600_000;
/// Longest wait for the metadata or key endpoint.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest token accepted: Bot Framework tokens are about 1.5 KB.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Why a request was refused. `Display` is the reason logged; it never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// 401: no valid Bot Framework token for this activity.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 403: a valid token, from a tenant the program does not serve.
    #[error("forbidden: {0}")]
    Forbidden(String),
}

impl AuthError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Unauthorized(_) => 401,
            AuthError::Forbidden(_) => 403,
        }
    }
}

fn unauthorized(why: impl Into<String>) -> AuthError {
    AuthError::Unauthorized(why.into())
}

/// The claims partnerbot reads from a verified token.
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectorClaims {
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: Option<i64>,
    pub serviceurl: Option<String>,
}

/// A token whose signature, issuer, audience and validity period were checked, with the
/// channels its key endorses; [`Authenticator::check_activity`] finishes the checks.
#[derive(Debug)]
pub struct Verified {
    claims: ConnectorClaims,
    endorsements: Vec<String>,
}

/// A key of the JWKS with the channels it endorses.
struct CachedKey {
    key: DecodingKey,
    endorsements: Vec<String>,
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, CachedKey>,
    /// When the keys were last fetched (app clock, ms); `None` before the first fetch.
    fetched_at: Option<i64>,
}

/// Verifies inbound Teams requests; cheap to share (`Arc`).
pub struct Authenticator {
    settings: TeamsSettings,
    clock: Clock,
    http: reqwest::Client,
    keys: RwLock<KeySet>,
    /// Serialises refreshes and remembers the last one caused by an unknown `kid`.
    refresh: Mutex<Option<i64>>,
    tenants: HashSet<String>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("settings", &self.settings)
            .field("tenants", &self.tenants)
            .finish_non_exhaustive()
    }
}

/// The OpenID metadata document: only where the keys are.
#[derive(Deserialize)]
struct Metadata {
    jwks_uri: String,
}

impl Authenticator {
    /// An authenticator for our app, accepting activities from our own tenant and from
    /// `partner_tenants`.
    pub fn new(
        settings: TeamsSettings,
        clock: Clock,
        partner_tenants: impl IntoIterator<Item = String>,
    ) -> anyhow::Result<Authenticator> {
        let mut tenants: HashSet<String> = partner_tenants
            .into_iter()
            .map(|t| t.to_ascii_lowercase())
            .collect();
        tenants.insert(settings.tenant_id.to_ascii_lowercase());
        let http = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?;
        Ok(Authenticator {
            settings,
            clock,
            http,
            keys: RwLock::new(KeySet::default()),
            refresh: Mutex::new(None),
            tenants,
        })
    }

    /// The settings this authenticator checks against.
    pub fn settings(&self) -> &TeamsSettings {
        &self.settings
    }

    /// Checks the `Authorization` header of a request whose body is `activity`; the verified
    /// claims, or why not.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        activity: &ActivityHead,
    ) -> Result<ConnectorClaims, AuthError> {
        let verified = self.verify_token(authorization).await?;
        self.check_activity(verified, activity)
    }

    /// The checks that need only the header: scheme, algorithm, key, signature, issuer,
    /// audience and validity period. The body is read only after these pass.
    pub async fn verify_token(&self, authorization: Option<&str>) -> Result<Verified, AuthError> {
        let token = bearer(authorization)?;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| unauthorized(format!("unreadable token header ({e})")))?;
        if header.alg != Algorithm::RS256 {
            return Err(unauthorized(format!(
                "algorithm {:?} is not RS256",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| unauthorized("the token names no key (kid)"))?;
        let (claims, endorsements) = self.check_signature(token, &kid).await?;
        self.check_claims(&claims)?;
        Ok(Verified {
            claims,
            endorsements,
        })
    }

    /// The checks that need the activity: the key endorses its channel, the token was issued
    /// for its service URL, which is an allowed Teams host, and its tenant is served.
    pub fn check_activity(
        &self,
        verified: Verified,
        activity: &ActivityHead,
    ) -> Result<ConnectorClaims, AuthError> {
        let Verified {
            claims,
            endorsements,
        } = verified;
        if !endorsements.is_empty()
            && !endorsements
                .iter()
                .any(|e| e.eq_ignore_ascii_case(&activity.channel_id))
        {
            return Err(unauthorized(format!(
                "the signing key does not endorse channel “{}”",
                activity.channel_id
            )));
        }
        let claimed = claims.serviceurl.as_deref().map(normal_url);
        if claimed.as_deref() != Some(normal_url(&activity.service_url).as_str()) {
            return Err(unauthorized(
                "the token's serviceurl is not the activity's serviceUrl",
            ));
        }
        if !self.settings.allows_service_url(&activity.service_url) {
            return Err(unauthorized(format!(
                "serviceUrl {} is not an allowed Teams host (TEAMS_ALLOWED_SERVICE_URLS)",
                activity.service_url
            )));
        }
        match activity.tenant() {
            Some(t) if self.tenants.contains(&t.to_ascii_lowercase()) => Ok(claims),
            Some(t) => Err(AuthError::Forbidden(format!(
                "tenant {t} is not one the program serves"
            ))),
            None => Err(AuthError::Forbidden("the activity names no tenant".into())),
        }
    }

    /// Verifies the signature with key `kid` (fetching the keys when it is unknown) and
    /// decodes the claims, with the key's endorsements.
    async fn check_signature(
        &self,
        token: &str,
        kid: &str,
    ) -> Result<(ConnectorClaims, Vec<String>), AuthError> {
        self.refresh_if_needed(kid).await;
        let keys = self.keys.read().await;
        let key = keys
            .keys
            .get(kid)
            .ok_or_else(|| unauthorized(format!("key {kid} is not one of the Bot Framework's")))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[BOT_FRAMEWORK_ISSUER]);
        validation.set_audience(&[self.settings.app_id.as_str()]);
        // Time is checked against the app's clock in `check_claims`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<ConnectorClaims>(token, &key.key, &validation)
            .map_err(|e| unauthorized(format!("token refused: {e}")))?;
        Ok((data.claims, key.endorsements.clone()))
    }

    fn check_claims(&self, claims: &ConnectorClaims) -> Result<(), AuthError> {
        let now = self.clock.now().timestamp();
        if claims.exp + SKEW_SECS < now {
            return Err(unauthorized("the token has expired"));
        }
        if claims.nbf.is_some_and(|nbf| nbf - SKEW_SECS > now) {
            return Err(unauthorized("the token is not valid yet (nbf)"));
        }
        Ok(())
    }

    /// Fetches the keys when none were fetched yet, when they are a day old, or when `kid` is
    /// unknown and the last such refresh was more than a minute ago. A failed fetch keeps the
    /// keys held; one refresh runs at a time.
    async fn refresh_if_needed(&self, kid: &str) {
        let now = self.clock.now_ms();
        let wanted = |set: &KeySet| match set.fetched_at {
            None => true,
            Some(at) if now - at >= KEYS_MAX_AGE_MS => true,
            _ => !set.keys.contains_key(kid),
        };
        if !wanted(&*self.keys.read().await) {
            return;
        }
        let mut last_unknown = self.refresh.lock().await;
        let (stale, unknown) = {
            let set = self.keys.read().await;
            let stale = set.fetched_at.is_none_or(|at| now - at >= KEYS_MAX_AGE_MS);
            (stale, !set.keys.contains_key(kid))
        };
        if !stale {
            if !unknown || last_unknown.is_some_and(|at| now - at < UNKNOWN_KID_REFRESH_MS) {
                return;
            }
            *last_unknown = Some(now);
        }
        match self.fetch_keys().await {
            Ok(keys) => {
                let mut set = self.keys.write().await;
                set.keys = keys;
                set.fetched_at = Some(now);
            }
            Err(e) => {
                tracing::warn!(error = %e, url = %self.settings.openid_metadata_url, "could not refresh the Bot Framework keys; keeping the ones held");
                let mut set = self.keys.write().await;
                // Try again after a minute, not on every request.
                if set.fetched_at.is_none() || stale {
                    set.fetched_at = Some(now - KEYS_MAX_AGE_MS + UNKNOWN_KID_REFRESH_MS);
                }
            }
        }
    }

    async fn fetch_keys(&self) -> anyhow::Result<HashMap<String, CachedKey>> {
        let metadata: Metadata = self
            .http
            .get(&self.settings.openid_metadata_url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let set: serde_json::Value = self
            .http
            .get(&metadata.jwks_uri)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let keys = parse_jwks(&set);
        anyhow::ensure!(!keys.is_empty(), "the key set holds no usable RSA key");
        Ok(keys)
    }
}

/// The RSA keys of a JWKS with their endorsements; keys that are not usable are skipped.
fn parse_jwks(set: &serde_json::Value) -> HashMap<String, CachedKey> {
    let Some(list) = set.get("keys").and_then(|k| k.as_array()) else {
        return HashMap::new();
    };
    list.iter()
        .filter_map(|value| {
            let jwk: Jwk = serde_json::from_value(value.clone()).ok()?;
            let kid = jwk.common.key_id.clone()?;
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            let endorsements = value
                .get("endorsements")
                .and_then(|e| e.as_array())
                .map(|e| {
                    e.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Some((kid, CachedKey { key, endorsements }))
        })
        .collect()
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.ok_or_else(|| unauthorized("no Authorization header"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| unauthorized("the Authorization header is not “Bearer <token>”"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthorized(format!(
            "the Authorization scheme is {scheme}, not Bearer"
        )));
    }
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Err(unauthorized("the bearer token is empty or too long"));
    }
    Ok(token)
}

/// A service URL compared without case and trailing slash.
fn normal_url(url: &str) -> String {
    url.trim_end_matches('/').to_ascii_lowercase()
}
