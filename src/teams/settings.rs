//! Teams settings, read from the environment like the Slack ones: Teams is on when
//! `MICROSOFT_APP_ID`, `MICROSOFT_APP_PASSWORD` and `MICROSOFT_APP_TENANT_ID` are set.

use crate::config::{config_error, required, ConfigError, Lookup};
use secrecy::SecretString;

/// Where the Bot Framework publishes its OpenID metadata (and through it, its signing keys).
pub const DEFAULT_OPENID_METADATA_URL: &str =
    "https://login.botframework.com/v1/.well-known/openidconfiguration";
/// Token endpoint of a single-tenant bot; `{tenant}` is replaced by the tenant id.
pub const DEFAULT_TOKEN_URL: &str = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token";
/// Microsoft's Teams service hosts (public cloud and GCC): the only places activities may name
/// as their `serviceUrl`, and so the only places we would ever send a token to.
pub const DEFAULT_ALLOWED_SERVICE_URLS: &[&str] = &[
    "https://smba.trafficmanager.net/",
    "https://smba.onyx.prod.teams.trafficmanager.net/",
    "https://smba.infra.gcc.teams.microsoft.com/",
];

/// Everything Teams needs, from the environment.
#[derive(Clone)]
pub struct TeamsSettings {
    /// `MICROSOFT_APP_ID`: the bot's Entra app id, the `aud` of every inbound token.
    pub app_id: String,
    /// `MICROSOFT_APP_PASSWORD`: the app's client secret, for outbound tokens.
    pub app_password: SecretString,
    /// `MICROSOFT_APP_TENANT_ID`: our own tenant (single-tenant bot).
    pub tenant_id: String,
    /// `TEAMS_OPENID_METADATA_URL`.
    pub openid_metadata_url: String,
    /// `TEAMS_TOKEN_URL`, with the tenant filled in.
    pub token_url: String,
    /// `TEAMS_ALLOWED_SERVICE_URLS`: comma-separated URL prefixes.
    pub allowed_service_urls: Vec<String>,
}

impl std::fmt::Debug for TeamsSettings {
    /// Shows everything but the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamsSettings")
            .field("app_id", &self.app_id)
            .field("tenant_id", &self.tenant_id)
            .field("openid_metadata_url", &self.openid_metadata_url)
            .field("token_url", &self.token_url)
            .field("allowed_service_urls", &self.allowed_service_urls)
            .finish_non_exhaustive()
    }
}

impl TeamsSettings {
    /// The Teams settings from the process environment: `None` when Teams is not configured.
    pub fn from_env() -> Result<Option<TeamsSettings>, ConfigError> {
        TeamsSettings::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Same over any variable source. Setting only some of the three app variables is an error
    /// naming the missing one.
    pub fn from_lookup(lookup: Lookup<'_>) -> Result<Option<TeamsSettings>, ConfigError> {
        const APP: [&str; 3] = [
            "MICROSOFT_APP_ID",
            "MICROSOFT_APP_PASSWORD",
            "MICROSOFT_APP_TENANT_ID",
        ];
        let set = |k: &str| lookup(k).is_some_and(|v| !v.trim().is_empty());
        if !APP.iter().any(|k| set(k)) {
            return Ok(None);
        }
        let hint = "Teams is on when MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID are all set (Azure Bot resource → Configuration)";
        let app_id = required(lookup, APP[0], hint)?;
        let app_password = required(lookup, APP[1], hint)?;
        let tenant_id = required(lookup, APP[2], hint)?;
        for (name, value) in [(APP[0], &app_id), (APP[2], &tenant_id)] {
            if !is_guid(value) {
                return Err(config_error(
                    name,
                    format!("“{value}” is not a GUID like 00000000-0000-0000-0000-000000000000"),
                ));
            }
        }
        let openid_metadata_url = url_setting(
            lookup,
            "TEAMS_OPENID_METADATA_URL",
            DEFAULT_OPENID_METADATA_URL,
        )?;
        let token_url = url_setting(lookup, "TEAMS_TOKEN_URL", DEFAULT_TOKEN_URL)?
            .replace("{tenant}", &tenant_id);
        let allowed_service_urls = match lookup("TEAMS_ALLOWED_SERVICE_URLS") {
            Some(list) if !list.trim().is_empty() => list
                .split(',')
                .map(|u| checked_url("TEAMS_ALLOWED_SERVICE_URLS", u.trim()))
                .collect::<Result<Vec<_>, _>>()?,
            _ => DEFAULT_ALLOWED_SERVICE_URLS
                .iter()
                .map(|u| u.to_string())
                .collect(),
        };
        Ok(Some(TeamsSettings {
            app_id,
            app_password: SecretString::from(app_password),
            tenant_id,
            openid_metadata_url,
            token_url,
            allowed_service_urls,
        }))
    }

    /// True when `service_url` starts with one of the allowed prefixes (compared without case
    /// and with a trailing `/`, so `https://smba.trafficmanager.net.evil.com/` is not
    /// `https://smba.trafficmanager.net`).
    pub fn allows_service_url(&self, service_url: &str) -> bool {
        let url = with_slash(&service_url.to_ascii_lowercase());
        self.allowed_service_urls
            .iter()
            .any(|p| url.starts_with(&with_slash(&p.to_ascii_lowercase())))
    }
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

fn url_setting(lookup: Lookup<'_>, name: &str, default: &str) -> Result<String, ConfigError> {
    match lookup(name) {
        Some(v) if !v.trim().is_empty() => checked_url(name, v.trim()),
        _ => Ok(default.to_string()),
    }
}

/// An https URL, or plain http on the loopback interface only (the local emulators).
fn checked_url(name: &str, url: &str) -> Result<String, ConfigError> {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
    if url.starts_with("https://") || loopback.iter().any(|l| url.starts_with(l)) {
        Ok(url.to_string())
    } else {
        Err(config_error(
            name,
            format!(
                "“{url}” must be an https URL (plain http only on 127.0.0.1, for local emulators)"
            ),
        ))
    }
}

pub use super::ids::is_guid;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<TeamsSettings>, ConfigError> {
        TeamsSettings::from_lookup(&|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    const ID: &str = "6f1c2b7e-8a4d-4c1e-9f3a-2b5d7e9c1a20";
    const TENANT: &str = "0d4e1f2a-3b5c-4d6e-8f7a-9b0c1d2e3f4a";

    #[test]
    fn teams_is_off_without_the_app_variables_and_each_missing_one_is_named() {
        assert!(read(&[]).expect("no settings").is_none());
        let e = read(&[("MICROSOFT_APP_ID", ID)]).expect_err("incomplete");
        assert_eq!(e.setting, "MICROSOFT_APP_PASSWORD");
        let e = read(&[
            ("MICROSOFT_APP_ID", "not-a-guid"),
            ("MICROSOFT_APP_PASSWORD", "s"),
            ("MICROSOFT_APP_TENANT_ID", TENANT),
        ])
        .expect_err("bad id");
        assert_eq!(e.setting, "MICROSOFT_APP_ID");
        assert!(e.problem.contains("is not a GUID"), "{}", e.problem);
    }

    #[test]
    fn defaults_are_microsofts_and_plain_http_is_only_for_the_loopback() {
        let base = [
            ("MICROSOFT_APP_ID", ID),
            ("MICROSOFT_APP_PASSWORD", "secret"),
            ("MICROSOFT_APP_TENANT_ID", TENANT),
        ];
        let s = read(&base).expect("ok").expect("on");
        assert_eq!(s.openid_metadata_url, DEFAULT_OPENID_METADATA_URL);
        assert_eq!(
            s.token_url,
            format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
        );
        assert!(s.allows_service_url("https://smba.trafficmanager.net/amer/"));
        assert!(s.allows_service_url("https://SMBA.trafficmanager.net/emea/56653e9d/"));
        assert!(!s.allows_service_url("https://smba.trafficmanager.net.evil.com/amer/"));
        assert!(!s.allows_service_url("http://127.0.0.1:9/"));
        assert!(!format!("{s:?}").contains("secret"));
        let mut local = base.to_vec();
        local.push(("TEAMS_ALLOWED_SERVICE_URLS", "http://127.0.0.1:4010/"));
        let s = read(&local).expect("ok").expect("on");
        assert!(s.allows_service_url("http://127.0.0.1:4010/teams/"));
        let mut remote = base.to_vec();
        remote.push(("TEAMS_ALLOWED_SERVICE_URLS", "http://example.com/"));
        let e = read(&remote).expect_err("plain http refused");
        assert_eq!(e.setting, "TEAMS_ALLOWED_SERVICE_URLS");
    }
}
