//! Configuration, read once at start-up: the environment for infrastructure and secrets,
//! `program.toml` for the program's rules. Every problem is one line naming the setting.

use crate::chat::{ChatUser, Conversation, Platform};
pub use crate::slack::is_slack_id;

/// A Slack channel id (`C…`, `G…`) or a Teams channel id (`19:…@thread.tacv2`).
pub fn is_channel_id(id: &str) -> bool {
    is_slack_id(id, &['C', 'G']) || crate::teams::is_conversation_id(id)
}
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Slack's Web API; tests and the demo point `SLACK_API_URL` at a local emulator instead.
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";
/// Where `serve` listens unless `PARTNERBOT_BIND` says otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";
/// The embedded default database: one SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://partnerbot.db?mode=rwc";

/// Everything the bot needs to run, read from the environment once.
#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `SLACK_SIGNING_SECRET`: verifies that requests come from Slack.
    pub signing_secret: SecretString,
    /// `SLACK_BOT_TOKEN`: the `xoxb-` token the bot posts with.
    pub bot_token: SecretString,
    /// `SLACK_APP_TOKEN`: an app-level `xapp-` token with `connections:write`. When set,
    /// `serve` also takes Slack's requests over Socket Mode (no public endpoint needed).
    pub app_token: Option<SecretString>,
    /// `SLACK_API_URL`: base URL of the Slack Web API.
    pub slack_api_url: String,
    /// `PARTNERBOT_BIND`: address `serve` listens on.
    pub bind: SocketAddr,
    /// `PARTNERBOT_PROGRAM` (a file) or the built-in defaults.
    pub program: Program,
}

impl std::fmt::Debug for Config {
    /// Shows everything but the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("slack_api_url", &self.slack_api_url)
            .field("bind", &self.bind)
            .field("program", &self.program.program.name)
            .finish_non_exhaustive()
    }
}

/// A setting that is missing or malformed; `Display` is the one line start-up prints.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    /// The environment variable or program-file key at fault.
    pub setting: String,
    /// What is wrong with it and how to fix it.
    pub problem: String,
}

pub(crate) fn config_error(setting: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        problem: problem.into(),
    }
}

/// Reads one variable through `lookup` (the process environment in production).
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Config {
    /// Reads the full configuration `serve` needs from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Same as [`Config::from_env`] but over any variable source (tests).
    pub fn from_lookup(lookup: Lookup<'_>) -> Result<Config, ConfigError> {
        let signing_secret = required(
            lookup,
            "SLACK_SIGNING_SECRET",
            "copy it from your Slack app's Basic Information page",
        )?;
        let bot_token = required(
            lookup,
            "SLACK_BOT_TOKEN",
            "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
        )?;
        if !bot_token.starts_with("xoxb-") {
            return Err(config_error(
                "SLACK_BOT_TOKEN",
                "is not a bot token: it must start with xoxb-",
            ));
        }
        let app_token = lookup("SLACK_APP_TOKEN").filter(|t| !t.trim().is_empty());
        if app_token
            .as_ref()
            .is_some_and(|t| !t.trim().starts_with("xapp-"))
        {
            return Err(config_error(
                "SLACK_APP_TOKEN",
                "is not an app-level token: it must start with xapp- (Basic Information → App-Level Tokens, scope connections:write)",
            ));
        }
        let slack_api_url = lookup("SLACK_API_URL").unwrap_or_else(|| DEFAULT_SLACK_API_URL.into());
        if !(slack_api_url.starts_with("https://") || slack_api_url.starts_with("http://")) {
            return Err(config_error(
                "SLACK_API_URL",
                format!("“{slack_api_url}” is not an http(s) URL"),
            ));
        }
        let bind_text = lookup("PARTNERBOT_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
        let bind = bind_text.parse().map_err(|_| {
            config_error(
                "PARTNERBOT_BIND",
                format!("“{bind_text}” is not an address like 127.0.0.1:3000"),
            )
        })?;
        Ok(Config {
            database_url: database_url(lookup)?,
            signing_secret: SecretString::from(signing_secret),
            bot_token: SecretString::from(bot_token.trim_end_matches('/').to_string()),
            app_token: app_token.map(|t| SecretString::from(t.trim().to_string())),
            slack_api_url: slack_api_url.trim_end_matches('/').to_string(),
            bind,
            program: Program::from_lookup(lookup)?,
        })
    }
}

pub(crate) fn required(lookup: Lookup<'_>, name: &str, hint: &str) -> Result<String, ConfigError> {
    match lookup(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(config_error(name, format!("is not set: {hint}"))),
    }
}

/// `DATABASE_URL`, defaulting to the embedded SQLite file; used by every command.
pub fn database_url(lookup: Lookup<'_>) -> Result<String, ConfigError> {
    let url = lookup("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
    let known = ["sqlite:", "postgres://", "postgresql://"];
    if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
        // `sqlite:bot.db` and `sqlite:///abs/bot.db` as people type them: create the file.
        let sep = if url.contains('?') { '&' } else { '?' };
        Ok(format!("{url}{sep}mode=rwc"))
    } else if known.iter().any(|p| url.starts_with(p)) {
        Ok(url)
    } else {
        Err(config_error(
            "DATABASE_URL",
            format!(
                "“{}” is neither sqlite:… nor postgres://…",
                redact_url(&url)
            ),
        ))
    }
}

/// Hides a password in a database URL before it is printed.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

/// The program's rules, from `program.toml`. Each section has built-in defaults.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Program {
    /// `[program]`: name and money defaults.
    pub program: ProgramSection,
    /// `[managers]`: who runs the program and where they talk.
    pub managers: ManagersSection,
    /// `[rules]`: rules of engagement, quoted to people when they apply.
    pub rules: RulesSection,
    /// `[schedules]`: when the scheduled jobs run.
    pub schedules: SchedulesSection,
    /// `[commissions]`: rates, factors, caps and payout rules.
    pub commissions: CommissionsSection,
    /// `[tiers]`: thresholds and the currency they are measured in.
    pub tiers: TiersSection,
    /// `[surveys]`: how PSAT rounds are sent and how long they stay open.
    pub surveys: SurveysSection,
    /// `[nudges]`: when quiet partners are nudged and their managers told.
    pub nudges: NudgesSection,
    /// `[teams]`: Microsoft Teams tenants besides our own.
    pub teams: TeamsSection,
    /// `[crm]`: where the CRM shows a record, so CRM ids become links.
    pub crm: CrmSection,
}

/// `[crm]`
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmSection {
    /// The address of a CRM record, with `{id}` where the record's id goes, e.g.
    /// `https://crm.example.com/accounts/{id}`. Unset: CRM ids are shown as text.
    pub record_url: Option<String>,
}

impl CrmSection {
    /// The link to CRM record `id` (percent-encoded into the pattern), when a pattern is set.
    pub fn record_link(&self, id: &str) -> Option<String> {
        let encoded: String = id
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        self.record_url
            .as_ref()
            .map(|pattern| pattern.replace("{id}", &encoded))
    }

    fn check(&self) -> Result<(), ConfigError> {
        let Some(url) = &self.record_url else {
            return Ok(());
        };
        let problem = if !(url.starts_with("https://") || url.starts_with("http://")) {
            Some("must start with https:// (or http://)")
        } else if !url.contains("{id}") {
            Some("must contain {id} where the record's id goes")
        } else if url.contains(|c: char| c.is_whitespace() || matches!(c, '|' | '<' | '>')) {
            Some("must not contain spaces, |, < or >")
        } else {
            None
        };
        match problem {
            Some(p) => Err(config_error("crm.record_url", format!("“{url}” {p}"))),
            None => Ok(()),
        }
    }
}

/// `[teams]`
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TeamsSection {
    /// Entra tenant ids of partners who talk to the bot from their own tenant; activities from
    /// any other tenant than these and `MICROSOFT_APP_TENANT_ID` are refused (403).
    pub partner_tenants: Vec<String>,
}

/// `[nudges]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NudgesSection {
    /// Days without a registration or deal update before a partner is nudged.
    pub after_days: u32,
    /// Days of quiet after which the partner's manager is told instead.
    pub alert_after_days: u32,
    /// At most one nudge (or alert) per partner in this many days.
    pub cap_days: u32,
    /// Working hours in the partner's time zone, "09:00-17:00".
    pub working_hours: String,
    /// Time zone for partners without one below whose people set none in Slack.
    pub timezone: String,
    /// A line of program news added to each nudge.
    pub news: String,
    /// IANA time zone per partner name (over the one the partner's people set in Slack).
    pub partner_timezones: std::collections::BTreeMap<String, String>,
}

impl Default for NudgesSection {
    fn default() -> Self {
        NudgesSection {
            after_days: 60,
            alert_after_days: 90,
            cap_days: 30,
            working_hours: "09:00-17:00".into(),
            timezone: "UTC".into(),
            news: String::new(),
            partner_timezones: Default::default(),
        }
    }
}

/// `[surveys]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveysSection {
    /// "dm" (each partner user privately) or "channel" (once in each partner channel).
    pub delivery: String,
    /// Days after opening when non-responders get their one reminder.
    pub reminder_days: u32,
    /// Days after opening when the round closes.
    pub close_days: u32,
}

impl Default for SurveysSection {
    fn default() -> Self {
        SurveysSection {
            delivery: "dm".into(),
            reminder_days: 3,
            close_days: 14,
        }
    }
}

/// `[tiers]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TiersSection {
    /// Currency revenue is measured in.
    pub reporting_currency: String,
    /// Trailing-12-month partner-sourced revenue (reporting currency) each tier needs.
    pub platinum: f64,
    pub gold: f64,
    pub silver: f64,
    /// Conversion rates for this period: 1 unit of the currency = this many reporting units.
    pub rates: std::collections::BTreeMap<String, f64>,
    /// Who hears of a partner's tier change, which reveals its commission factor: "admins"
    /// (the default: each of the partner's admins privately, in the partner's channel, besides
    /// the managers' summary), "managers" (only the managers' summary, to pass on to the
    /// partner's admins) or "channel" (also a notice in the channel shared with the partner,
    /// seen by everyone in it).
    pub notify: String,
}

/// Who hears of a partner's tier change (`[tiers] notify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierNotify {
    /// Each of the partner's admins, privately in the partner's conversation.
    Admins,
    /// Only the managers' summary.
    Managers,
    /// Everyone in the partner's conversation.
    Channel,
}

impl TiersSection {
    /// `notify` as a [`TierNotify`]; `None` when it names none (refused by validation).
    pub fn notify_kind(&self) -> Option<TierNotify> {
        match self.notify.as_str() {
            "admins" => Some(TierNotify::Admins),
            "managers" => Some(TierNotify::Managers),
            "channel" => Some(TierNotify::Channel),
            _ => None,
        }
    }
}

impl Default for TiersSection {
    fn default() -> Self {
        TiersSection {
            reporting_currency: "USD".into(),
            platinum: 500_000.0,
            gold: 100_000.0,
            silver: 25_000.0,
            rates: Default::default(),
            notify: "admins".into(),
        }
    }
}

/// `[commissions]`. Rates are percentages; factors multiply. Missing keys keep the defaults.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CommissionsSection {
    /// Days a commission stays pending before it becomes payable.
    pub hold_days: Option<u32>,
    /// Finance's channel for commission statements.
    pub finance_channel: Option<String>,
    /// Pay as this many monthly instalments (revenue share); 0 or absent pays once.
    pub recurring_months: Option<u32>,
    /// Percent per registration timing: before_first_contact, after_first_meeting, late_stage, after_close.
    pub rates: std::collections::BTreeMap<String, f64>,
    /// Per partner type (referral, reseller, technology, service, strategic), the same keys as `rates`.
    pub rates_by_type: std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>,
    /// Factor per attribution: sourced, co_sold, influenced.
    pub attribution: std::collections::BTreeMap<String, f64>,
    /// Factor per tier: platinum, gold, silver, registered, inactive.
    pub tiers: std::collections::BTreeMap<String, f64>,
    /// Most commission per deal, per ISO currency code.
    pub caps: std::collections::BTreeMap<String, f64>,
}

/// `[schedules]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulesSection {
    /// IANA time zone the cron expressions are read in ("Europe/Berlin").
    pub timezone: String,
    /// Cron expressions (seconds first) overriding a job's default, by job name.
    pub jobs: std::collections::BTreeMap<String, String>,
}

impl Default for SchedulesSection {
    fn default() -> Self {
        SchedulesSection {
            timezone: "UTC".into(),
            jobs: Default::default(),
        }
    }
}

/// `[rules]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesSection {
    /// Days an approved registration is protected.
    pub protection_days: u32,
    /// Quoted to everyone involved when two partners register the same customer.
    pub partner_conflict: String,
    /// Quoted to the AE and managers when a partner registers a direct-owned account.
    pub direct_conflict: String,
    /// Business days a registration may wait for a decision before it is escalated (once).
    pub approval_sla_business_days: u32,
    /// Days before protection ends when the partner is reminded.
    pub expiry_reminder_days: Vec<u32>,
    /// Days one extension adds to the protection window.
    pub extension_days: u32,
    /// Most extensions a registration may get.
    pub max_extensions: u32,
    /// Partner tiers whose registrations are approved at once when nothing matches them.
    pub auto_approve_tiers: Vec<String>,
}

impl Default for RulesSection {
    fn default() -> Self {
        RulesSection {
            protection_days: 90,
            partner_conflict: "The first complete registration is protected for 90 days after approval. A second partner on a protected account becomes a co-sell candidate, not a silent reject.".into(),
            direct_conflict: "A direct-owned account with an open opportunity is a partner-vs-direct conflict: the partner manager decides, after hearing the account executive.".into(),
            approval_sla_business_days: 2,
            expiry_reminder_days: vec![14, 3],
            extension_days: 30,
            max_extensions: 2,
            auto_approve_tiers: Vec::new(),
        }
    }
}

/// `[program]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProgramSection {
    /// Shown in messages ("Acme Partner Program").
    pub name: String,
    /// ISO-4217 code used when a partner does not pick one.
    pub default_currency: String,
}

impl Default for ProgramSection {
    fn default() -> Self {
        ProgramSection {
            name: "Acme Partner Program".into(),
            default_currency: "USD".into(),
        }
    }
}

/// `[managers]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ManagersSection {
    /// Slack user ids who may approve, onboard partners and run `/partners`.
    pub slack_users: Vec<String>,
    /// The internal Slack channel for review cards, conflicts and digests.
    pub slack_channel: String,
    /// Managers on Microsoft Teams, by their Entra object ids.
    pub teams_users: Vec<String>,
    /// The managers' Teams channel (`19:…@thread.tacv2`); when set, review cards, conflicts
    /// and program notices go there instead of `slack_channel`.
    pub teams_channel: Option<String>,
    /// Head of partnerships: their digest covers every partner (default: the first manager).
    pub head: Option<String>,
    /// IANA time zone per manager (the weekly digest arrives Monday 09:00 in it); a manager
    /// without one gets the zone they set in Slack, else `[schedules].timezone`.
    pub timezones: std::collections::BTreeMap<String, String>,
}

impl Default for ManagersSection {
    fn default() -> Self {
        ManagersSection {
            slack_users: vec!["U0MANAGER1".into()],
            slack_channel: "C0MANAGERS".into(),
            teams_users: Vec::new(),
            teams_channel: None,
            head: None,
            timezones: Default::default(),
        }
    }
}

impl Program {
    /// Reads the file named by `PARTNERBOT_PROGRAM`, else `./program.toml` if present, else defaults.
    pub fn from_lookup(lookup: Lookup<'_>) -> Result<Program, ConfigError> {
        match lookup("PARTNERBOT_PROGRAM") {
            Some(path) => Program::load(Path::new(&path), "PARTNERBOT_PROGRAM"),
            None if Path::new("program.toml").exists() => {
                Program::load(Path::new("program.toml"), "program.toml")
            }
            None => Ok(Program::default()),
        }
    }

    /// Reads and checks one program file.
    pub fn load(path: &Path, setting: &str) -> Result<Program, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            config_error(
                setting,
                format!("cannot read {}: {e}", PathBuf::from(path).display()),
            )
        })?;
        Program::parse(&text)
            .map_err(|e| config_error(&format!("{}: {}", path.display(), e.setting), e.problem))
    }

    /// Parses and checks program-file text.
    pub fn parse(text: &str) -> Result<Program, ConfigError> {
        let program: Program = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().replace('\n', " ");
            config_error(
                "program file",
                match line {
                    Some(l) => format!("line {l}: {message}"),
                    None => message,
                },
            )
        })?;
        program.check()?;
        Ok(program)
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.crm.check()?;
        let code = self.program.default_currency.trim();
        if code.len() != 3
            || iso_currency::Currency::from_code(&code.to_ascii_uppercase()).is_none()
        {
            return Err(config_error(
                "program.default_currency",
                format!("“{code}” is not an ISO-4217 code such as USD or EUR"),
            ));
        }
        if self.program.name.trim().is_empty() {
            return Err(config_error("program.name", "must not be empty"));
        }
        for user in &self.managers.slack_users {
            if !is_slack_id(user, &['U', 'W']) {
                return Err(config_error(
                    "managers.slack_users",
                    format!("“{user}” is not a Slack user id like U0123ABCD"),
                ));
            }
        }
        for user in &self.managers.teams_users {
            if !crate::teams::is_guid(user) {
                return Err(config_error(
                    "managers.teams_users",
                    format!("“{user}” is not an Entra object id like 00000000-0000-0000-0000-000000000000"),
                ));
            }
        }
        if let Some(channel) = &self.managers.teams_channel {
            if !crate::teams::is_conversation_id(channel) {
                return Err(config_error(
                    "managers.teams_channel",
                    format!("“{channel}” is not a Teams channel id like 19:…@thread.tacv2"),
                ));
            }
        }
        if !(1..=3650).contains(&self.rules.protection_days) {
            return Err(config_error(
                "rules.protection_days",
                format!(
                    "{} is not between 1 and 3650 days",
                    self.rules.protection_days
                ),
            ));
        }
        if !["dm", "channel"].contains(&self.surveys.delivery.as_str()) {
            return Err(config_error(
                "surveys.delivery",
                format!("“{}” is neither dm nor channel", self.surveys.delivery),
            ));
        }
        if self.tiers.notify_kind().is_none() {
            return Err(config_error(
                "tiers.notify",
                format!(
                    "“{}” is none of admins, managers or channel",
                    self.tiers.notify
                ),
            ));
        }
        if self.surveys.reminder_days >= self.surveys.close_days {
            return Err(config_error(
                "surveys.reminder_days",
                "must be fewer days than surveys.close_days",
            ));
        }
        if !is_slack_id(&self.managers.slack_channel, &['C', 'G']) {
            return Err(config_error(
                "managers.slack_channel",
                format!(
                    "“{}” is not a channel id like C0123ABCD (use the id, not the #name)",
                    self.managers.slack_channel
                ),
            ));
        }
        Ok(())
    }

    /// True when `user` is a partner manager (on either platform: their ids never look alike).
    pub fn is_manager(&self, user: &str) -> bool {
        self.managers.slack_users.iter().any(|u| u == user)
            || self.managers.teams_users.iter().any(|u| u == user)
    }

    /// Where the managers talk: their Teams channel when one is set, else their Slack channel.
    pub fn managers_conversation(&self) -> Conversation {
        match &self.managers.teams_channel {
            Some(channel) => Conversation::new(Platform::Teams, channel.clone()),
            None => Conversation::new(Platform::Slack, self.managers.slack_channel.clone()),
        }
    }

    /// Where commission statements go: the finance channel when one is set (a Slack or a
    /// Teams channel id), else the managers.
    pub fn finance_conversation(&self) -> Conversation {
        match &self.commissions.finance_channel {
            Some(id) if crate::teams::is_conversation_id(id) => {
                Conversation::new(Platform::Teams, id.clone())
            }
            Some(id) => Conversation::new(Platform::Slack, id.clone()),
            None => self.managers_conversation(),
        }
    }

    /// Every manager, with the platform they are on.
    pub fn manager_users(&self) -> Vec<ChatUser> {
        let on = |platform: Platform| {
            move |id: &String| ChatUser {
                platform,
                id: id.clone(),
                workspace: None,
            }
        };
        let slack = self.managers.slack_users.iter().map(on(Platform::Slack));
        let teams = self.managers.teams_users.iter().map(on(Platform::Teams));
        slack.chain(teams).collect()
    }

    /// The manager `id`, with their platform, if they are one.
    pub fn manager(&self, id: &str) -> Option<ChatUser> {
        self.manager_users().into_iter().find(|m| m.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars = env(pairs);
        Config::from_lookup(&|k| vars.get(k).cloned())
    }

    const BASE: [(&str, &str); 3] = [
        ("SLACK_SIGNING_SECRET", "s3cret"),
        ("SLACK_BOT_TOKEN", "xoxb-1"),
        ("PARTNERBOT_PROGRAM", "/nonexistent/x.toml"),
    ];

    #[test]
    fn managers_may_be_on_teams_and_then_work_in_their_teams_channel() {
        let program = Program::parse(
            "[managers]\nteams_users = [\"72f988bf-86f1-41af-91ab-2d7cd011db47\"]\nteams_channel = \"19:managers@thread.tacv2\"\n",
        )
        .expect("Teams managers");
        assert!(program.is_manager("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(program.is_manager("U0MANAGER1"), "the Slack managers stay");
        let at = program.managers_conversation();
        assert_eq!(
            (at.platform, at.id.as_str()),
            (Platform::Teams, "19:managers@thread.tacv2")
        );
        let teams = program.manager("72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(teams.map(|m| m.platform), Some(Platform::Teams));
        assert_eq!(
            Program::default().managers_conversation().platform,
            Platform::Slack
        );
        for (text, setting) in [
            (
                "[managers]\nteams_users = [\"bob\"]\n",
                "managers.teams_users",
            ),
            (
                "[managers]\nteams_channel = \"C0MANAGERS\"\n",
                "managers.teams_channel",
            ),
        ] {
            let e = Program::parse(text).expect_err(text);
            assert!(e.setting.contains(setting), "{text}: {}", e.setting);
        }
    }

    #[test]
    fn defaults_apply_when_optional_settings_are_absent() {
        let config = load(&BASE[..2]).expect("valid");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.slack_api_url, DEFAULT_SLACK_API_URL);
        assert_eq!(config.bind.to_string(), DEFAULT_BIND);
        assert_eq!(config.program.program.default_currency, "USD");
    }

    #[test]
    fn each_missing_or_malformed_setting_is_named_in_one_line() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (
                &[("SLACK_BOT_TOKEN", "xoxb-1")],
                "SLACK_SIGNING_SECRET: is not set",
            ),
            (
                &[("SLACK_SIGNING_SECRET", "s")],
                "SLACK_BOT_TOKEN: is not set",
            ),
            (
                &[BASE[0], ("SLACK_BOT_TOKEN", "xoxp-1")],
                "SLACK_BOT_TOKEN: is not a bot token",
            ),
            (
                &[BASE[0], BASE[1], ("SLACK_APP_TOKEN", "xoxb-2")],
                "SLACK_APP_TOKEN: is not an app-level token",
            ),
            (
                &[BASE[0], BASE[1], ("PARTNERBOT_BIND", "nowhere")],
                "PARTNERBOT_BIND: “nowhere”",
            ),
            (
                &[BASE[0], BASE[1], ("DATABASE_URL", "mysql://x")],
                "DATABASE_URL: “mysql://x”",
            ),
        ];
        for (pairs, want) in cases {
            let err = load(pairs).expect_err(want).to_string();
            assert!(err.starts_with(want), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
        let err = load(&BASE).expect_err("missing file").to_string();
        assert!(
            err.starts_with("PARTNERBOT_PROGRAM: cannot read /nonexistent/x.toml"),
            "{err}"
        );
    }

    #[test]
    fn program_files_are_checked_key_by_key() {
        let cases = [
            (
                "[program]\ndefault_currency = \"EURO\"\n",
                "program.default_currency",
            ),
            (
                "[managers]\nslack_channel = \"#managers\"\n",
                "managers.slack_channel",
            ),
            (
                "[managers]\nslack_users = [\"bob\"]\n",
                "managers.slack_users",
            ),
            ("[program]\nnmae = \"x\"\n", "line 2: unknown field `nmae`"),
            (
                "[crm]\nrecord_url = \"crm.example.com/{id}\"\n",
                "crm.record_url",
            ),
            (
                "[crm]\nrecord_url = \"https://crm.example.com/\"\n",
                "crm.record_url",
            ),
            (
                "[crm]\nrecord_url = \"https://x/{id}|evil\"\n",
                "crm.record_url",
            ),
            ("[program\n", "line 1"),
            (
                "[tiers]\nnotify = \"everyone\"\n",
                "tiers.notify: “everyone” is none of admins, managers or channel",
            ),
        ];
        for (text, want) in cases {
            let err = Program::parse(text).expect_err(want).to_string();
            assert!(err.contains(want), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn crm_ids_are_percent_encoded_into_the_record_url() {
        let crm = Program::parse("[crm]\nrecord_url = \"https://crm.example.com/a/{id}/view\"\n")
            .expect("parses")
            .crm;
        assert_eq!(
            crm.record_link("0061 x&y>").as_deref(),
            Some("https://crm.example.com/a/0061%20x%26y%3E/view")
        );
        assert_eq!(CrmSection::default().record_link("1"), None);
    }

    #[test]
    fn the_example_program_file_in_the_repository_parses() {
        let text = include_str!("../program.example.toml");
        let program = Program::parse(text).expect("example parses");
        assert!(program.is_manager("U0MANAGER1"));
    }

    #[test]
    fn sqlite_urls_as_people_type_them_create_the_file() {
        let url = |v: &str| database_url(&|k: &str| (k == "DATABASE_URL").then(|| v.to_string()));
        assert_eq!(url("sqlite:bot.db").expect("ok"), "sqlite:bot.db?mode=rwc");
        assert_eq!(
            url("sqlite:///var/lib/pb/bot.db").expect("ok"),
            "sqlite:///var/lib/pb/bot.db?mode=rwc"
        );
        assert_eq!(
            url("sqlite://x.db?mode=ro").expect("ok"),
            "sqlite://x.db?mode=ro"
        );
        assert!(url("mysql://x").is_err());
    }

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://bot:hunter2@db/x"),
            "postgres://bot:***@db/x"
        );
        assert_eq!(
            redact_url("sqlite://partnerbot.db"),
            "sqlite://partnerbot.db"
        );
    }
}
