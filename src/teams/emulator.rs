//! An offline Bot Framework token authority on 127.0.0.1, for tests and the demo: OpenID
//! metadata, a JWKS whose keys carry `endorsements`, and minting of signed Connector tokens.
//! It serves what the real endpoints serve and can be taken down (503) to show that cached keys
//! keep working; it counts how often the keys were fetched.
//!
//! Its two RSA keys (`emulator_keys/`) are test-only: partnerbot trusts them only when
//! `TEAMS_OPENID_METADATA_URL` points here.

use super::auth::BOT_FRAMEWORK_ISSUER;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Where the emulator serves its OpenID metadata, relative to its base URL.
pub const METADATA_PATH: &str = "/v1/.well-known/openidconfiguration";
const KEYS_PATH: &str = "/v1/.well-known/keys";

/// A signing key of the emulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestKey {
    /// Published from the start, endorsing `msteams`.
    First,
    /// Not published until [`TokenAuthority::rotate`]: a token signed with it has an unknown
    /// `kid` until then.
    Second,
}

impl TestKey {
    /// The key id in token headers and in the JWKS.
    pub fn kid(self) -> &'static str {
        match self {
            TestKey::First => "pb-emulator-first",
            TestKey::Second => "pb-emulator-second",
        }
    }

    fn pem(self) -> &'static str {
        match self {
            TestKey::First => include_str!("emulator_keys/first.pem"),
            TestKey::Second => include_str!("emulator_keys/second.pem"),
        }
    }

    fn jwk(self) -> &'static str {
        match self {
            TestKey::First => include_str!("emulator_keys/first.jwk.json"),
            TestKey::Second => include_str!("emulator_keys/second.jwk.json"),
        }
    }
}

#[derive(Debug)]
struct Inner {
    base: String,
    down: AtomicBool,
    key_fetches: AtomicUsize,
    /// Published keys and the channels each endorses.
    published: Mutex<Vec<(TestKey, Vec<String>)>>,
}

/// The running token authority.
#[derive(Debug)]
pub struct TokenAuthority {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    inner: Arc<Inner>,
    /// Held so that the server stops when this is dropped.
    _server: Served,
}

/// An emulator's server task, stopped when it is dropped.
#[derive(Debug)]
pub(crate) struct Served(tokio::task::JoinHandle<()>);

impl Served {
    /// Serves the router `build` makes for the base URL (`http://127.0.0.1:PORT`, a free port)
    /// as `name`: the base URL, the server and what `build` returned beside the router.
    pub(crate) async fn start<T>(
        name: &'static str,
        build: impl FnOnce(&str) -> (Router, T),
    ) -> anyhow::Result<(String, Served, T)> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (app, built) = build(&base);
        let server = crate::emulator::serve_local(listener, app, name);
        Ok((base, Served(server), built))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl TokenAuthority {
    /// Starts the authority on a free port of 127.0.0.1, publishing the first key.
    pub async fn start() -> anyhow::Result<TokenAuthority> {
        let (base, server, inner) = Served::start("Teams token authority", |base| {
            let inner = Arc::new(Inner {
                base: base.to_string(),
                down: AtomicBool::new(false),
                key_fetches: AtomicUsize::new(0),
                published: Mutex::new(vec![(TestKey::First, vec!["msteams".into()])]),
            });
            let app = Router::new()
                .route(METADATA_PATH, get(metadata))
                .route(KEYS_PATH, get(keys))
                .with_state(inner.clone());
            (app, inner)
        })
        .await?;
        Ok(TokenAuthority {
            base_url: base,
            inner,
            _server: server,
        })
    }

    /// What `TEAMS_OPENID_METADATA_URL` should be to trust this authority.
    pub fn metadata_url(&self) -> String {
        format!("{}{METADATA_PATH}", self.base_url)
    }

    /// Takes the metadata and key endpoints down (503) or back up.
    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
    }

    /// How many times the key set was served.
    pub fn key_fetches(&self) -> usize {
        self.inner.key_fetches.load(Ordering::SeqCst)
    }

    /// Publishes the second key as well (a key rotation).
    pub fn rotate(&self) {
        self.set_endorsements(TestKey::Second, &["msteams"]);
    }

    /// Publishes `key` endorsing exactly `channels` (none: it endorses nothing in particular).
    pub fn set_endorsements(&self, key: TestKey, channels: &[&str]) {
        let mut published = self
            .inner
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        published.retain(|(k, _)| *k != key);
        published.push((key, channels.iter().map(|c| c.to_string()).collect()));
    }

    /// A Connector token for `app_id` and `service_url`, valid from `now` (seconds) for an hour,
    /// signed with the first key.
    pub fn token(&self, app_id: &str, service_url: &str, now: i64) -> anyhow::Result<String> {
        self.mint(TestKey::First, &claims(app_id, service_url, now))
    }

    /// Signs `claims` with `key` (RS256, with its `kid`).
    pub fn mint(&self, key: TestKey, claims: &serde_json::Value) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid().to_string());
        let signing = EncodingKey::from_rsa_pem(key.pem().as_bytes())?;
        Ok(jsonwebtoken::encode(&header, claims, &signing)?)
    }

    /// The public key of `key` as PEM-free bytes an attacker could know: the JWK's modulus
    /// text, used by tests that "sign" an HS256 token with the public key.
    pub fn public_key_text(key: TestKey) -> &'static str {
        key.jwk()
    }
}

/// The claims the Bot Connector puts in a token.
pub fn claims(app_id: &str, service_url: &str, now: i64) -> serde_json::Value {
    serde_json::json!({
        "iss": BOT_FRAMEWORK_ISSUER,
        "aud": app_id,
        "serviceurl": service_url,
        "nbf": now - 5,
        "iat": now - 5,
        "exp": now + 3600,
    })
}

async fn metadata(State(inner): State<Arc<Inner>>) -> Response {
    if inner.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    Json(serde_json::json!({
        "issuer": BOT_FRAMEWORK_ISSUER,
        "authorization_endpoint": "https://invalid.botframework.com",
        "jwks_uri": format!("{}{KEYS_PATH}", inner.base),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    }))
    .into_response()
}

async fn keys(State(inner): State<Arc<Inner>>) -> Response {
    if inner.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    inner.key_fetches.fetch_add(1, Ordering::SeqCst);
    let published = inner
        .published
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let keys: Vec<serde_json::Value> = published
        .iter()
        .filter_map(|(key, endorsements)| {
            let mut jwk: serde_json::Value = serde_json::from_str(key.jwk()).ok()?;
            jwk["use"] = "sig".into();
            jwk["endorsements"] = serde_json::json!(endorsements);
            Some(jwk)
        })
        .collect();
    Json(serde_json::json!({ "keys": keys })).into_response()
}
