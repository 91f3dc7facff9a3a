//! `partnerbot check`: everything `serve` would use, checked before it is used, each problem
//! printed with its fix. The program file's values (time zones, working hours, tier names,
//! managers), then Slack: the token's scopes and whether the bot can post where it must (the
//! managers', finance and partners' channels). `serve` runs the same checks and refuses to start
//! on an error.

use crate::chat::Platform;
use crate::config::{is_slack_id, Program};
use crate::domain::Partner;
use crate::slack::SlackApi;
use secrecy::SecretString;
use std::fmt;
use std::str::FromStr;

/// How bad a problem is: an error stops `serve`; a warning is printed loudly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// The setting or object concerned (`nudges.working_hours`, `#C0123`).
    pub setting: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{level}: {}: {}\n  fix: {}",
            self.setting, self.problem, self.fix
        )
    }
}

fn problem(severity: Severity, setting: &str, text: String, fix: &str) -> Problem {
    Problem {
        severity,
        setting: setting.into(),
        problem: text,
        fix: fix.into(),
    }
}

/// Microsoft Teams settings (environment) and `[teams]` (program file): all three app settings
/// or none, well-formed URLs, and partner tenants that are tenant ids.
pub fn teams_problems(program: &Program) -> Vec<Problem> {
    let mut found = Vec::new();
    if let Err(e) = crate::teams::TeamsSettings::from_env() {
        found.push(problem(
            Severity::Error,
            &e.setting,
            e.problem,
            "set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID together (or none, to leave Teams off)",
        ));
    }
    for tenant in &program.teams.partner_tenants {
        if !crate::teams::settings::is_guid(tenant) {
            found.push(problem(
                Severity::Error,
                "[teams] partner_tenants",
                format!("“{tenant}” is not a tenant id (a GUID)"),
                "use the partner's Entra tenant id (Azure portal → Microsoft Entra ID → Overview)",
            ));
        }
    }
    found
}

/// Parses "09:00-17:00" into minutes since midnight; `None` when it is not that shape.
pub fn working_hours(text: &str) -> Option<(u32, u32)> {
    let minutes = |hm: &str| {
        let (h, m) = hm.trim().split_once(':')?;
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (from, to) = text.split_once('-')?;
    let (from, to) = (minutes(from)?, minutes(to)?);
    (from < to).then_some((from, to))
}

/// Problems in the program file alone (no network).
pub fn program_problems(program: &Program, from_file: bool) -> Vec<Problem> {
    use Severity::{Error, Warning};
    let mut found = Vec::new();
    let mut zones: Vec<(String, &str)> = vec![
        ("schedules.timezone".into(), &program.schedules.timezone),
        ("nudges.timezone".into(), &program.nudges.timezone),
    ];
    for (who, zone) in &program.managers.timezones {
        zones.push((format!("managers.timezones.{who}"), zone));
    }
    for (partner, zone) in &program.nudges.partner_timezones {
        zones.push((format!("nudges.partner_timezones.{partner}"), zone));
    }
    for (setting, zone) in zones {
        if chrono_tz::Tz::from_str(zone).is_err() {
            found.push(problem(
                Error,
                &setting,
                format!("“{zone}” is not a time zone"),
                "use an IANA name such as Europe/Berlin or America/New_York",
            ));
        }
    }
    if working_hours(&program.nudges.working_hours).is_none() {
        found.push(problem(
            Error,
            "nudges.working_hours",
            format!(
                "“{}” is not a span of the day",
                program.nudges.working_hours
            ),
            "write it as HH:MM-HH:MM, start before end, e.g. \"09:00-17:00\"",
        ));
    }
    for tier in &program.rules.auto_approve_tiers {
        if crate::domain::tier::Tier::parse(tier).is_none() {
            found.push(problem(
                Error,
                "rules.auto_approve_tiers",
                format!("“{tier}” is not a tier"),
                "use registered, silver, gold or platinum",
            ));
        }
    }
    for who in program.managers.timezones.keys() {
        if !program.is_manager(who) {
            found.push(problem(
                Error,
                &format!("managers.timezones.{who}"),
                format!("{who} is not in managers.slack_users"),
                "add them to managers.slack_users or remove the line",
            ));
        }
    }
    if let Some(head) = &program.managers.head {
        if !program.is_manager(head) {
            found.push(problem(
                Error,
                "managers.head",
                format!("{head} is not in managers.slack_users"),
                "the head of partnerships must be one of the managers",
            ));
        }
    }
    if let Some(channel) = &program.commissions.finance_channel {
        if !is_slack_id(channel, &['C', 'G']) {
            found.push(problem(
                Error,
                "commissions.finance_channel",
                format!("“{channel}” is not a channel id"),
                "use the channel's id (C…), shown at the bottom of the channel's details in Slack",
            ));
        }
    }
    let example = Program::default();
    if program.managers.slack_users == example.managers.slack_users
        || program.managers.slack_channel == example.managers.slack_channel
    {
        let setting = if from_file {
            "managers"
        } else {
            "PARTNERBOT_PROGRAM"
        };
        found.push(problem(Warning, setting, "the managers are the built-in example's placeholders (U0MANAGER1, C0MANAGERS): nobody can approve deals".into(), "copy program.example.toml to program.toml and set [managers] slack_users and slack_channel"));
    }
    found
}

/// Whether the program file comes from `PARTNERBOT_PROGRAM` or `./program.toml` (as
/// `Program::from_lookup` reads it) rather than the built-in example.
pub fn program_from_file() -> bool {
    std::env::var_os("PARTNERBOT_PROGRAM").is_some()
        || std::path::Path::new("program.toml").exists()
}

/// One line per bot scope the installed app lacks, naming it and what it breaks (empty when all
/// are granted, or when Slack could not be asked: that is logged).
pub async fn scope_problems(slack: &SlackApi) -> Vec<String> {
    match slack.granted_scopes().await {
        Ok(granted) => crate::slack::scopes::missing(&granted)
            .into_iter()
            .map(|(scope, breaks)| {
                format!("the Slack app lacks the {scope} scope, so {breaks}: add it (manifest.yaml lists every scope) and reinstall the app")
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the app's scopes");
            Vec::new()
        }
    }
}

/// Whether the bot can post in `channel`: it exists and the bot is a member. Slack refusing
/// (`channel_not_found`, …) is an error; Slack being slow or rate limiting only a warning.
async fn channel_problem(slack: &SlackApi, setting: &str, channel: &str) -> Option<Problem> {
    use Severity::{Error, Warning};
    match slack.conversation_info(channel).await {
        Ok(info) if info["is_member"] == false => Some(problem(
            Error,
            setting,
            format!("the bot is not a member of <#{channel}>"),
            &format!("invite it: type /invite @partnerbot in <#{channel}>"),
        )),
        Ok(_) => None,
        Err(e @ crate::slack::ApiFailure::Permanent { .. }) => Some(problem(
            Error,
            setting,
            format!("<#{channel}> cannot be reached: {e}"),
            "check the channel id, that the channel exists, and that the bot was invited to it",
        )),
        Err(e) => Some(problem(
            Warning,
            setting,
            format!("<#{channel}> could not be checked: {e}"),
            "run `partnerbot check` again in a minute",
        )),
    }
}

/// Socket Mode (`SLACK_APP_TOKEN` set): Slack must hand out a connection for the app-level
/// token, which takes `connections:write` and an app with Socket Mode enabled.
pub async fn socket_mode_problems(
    slack: &SlackApi,
    app_token: Option<&SecretString>,
) -> Vec<Problem> {
    let Some(token) = app_token else {
        return Vec::new();
    };
    match slack.open_connection(token).await {
        Ok(_) => Vec::new(),
        Err(e) => vec![problem(
            Severity::Error,
            "SLACK_APP_TOKEN",
            format!("Slack opens no Socket Mode connection for it ({e})"),
            "enable Socket Mode for the app (manifest.socket.yaml does), and create the app-level token with the connections:write scope (Basic Information → App-Level Tokens)",
        )],
    }
}

/// Problems only Slack can tell: missing scopes, and channels the bot cannot post in.
pub async fn slack_problems(
    program: &Program,
    slack: &SlackApi,
    partners: &[Partner],
) -> Vec<Problem> {
    let mut found: Vec<Problem> = scope_problems(slack)
        .await
        .into_iter()
        .map(|line| {
            problem(
                Severity::Error,
                "SLACK_BOT_TOKEN",
                line,
                "reinstall the app from manifest.yaml",
            )
        })
        .collect();
    // Only Slack's own channels: a Teams channel is not Slack's to look up.
    let mut channels = vec![
        (
            "managers.slack_channel".to_string(),
            program.managers_conversation(),
        ),
        (
            "commissions.finance_channel".into(),
            program.finance_conversation(),
        ),
    ];
    for partner in partners {
        channels.push((
            format!("partner “{}”", partner.name),
            partner.conversation.clone(),
        ));
    }
    channels.dedup_by(|a, b| a.1 == b.1);
    for (setting, channel) in channels {
        if channel.platform == Platform::Slack {
            found.extend(channel_problem(slack, &setting, &channel.id).await);
        }
    }
    found
}

/// Prints every problem; true when none is an error.
pub fn report(problems: &[Problem]) -> bool {
    for p in problems {
        eprintln!("{p}");
    }
    !problems.iter().any(|p| p.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partner_tenant_that_is_not_a_tenant_id_is_named() {
        let mut program = Program::default();
        program.teams.partner_tenants = vec![
            "0d4e1f2a-3b5c-4d6e-8f7a-9b0c1d2e3f4a".into(),
            "contoso.onmicrosoft.com".into(),
        ];
        let problems: Vec<Problem> = teams_problems(&program)
            .into_iter()
            .filter(|p| p.setting == "[teams] partner_tenants")
            .collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].problem.contains("contoso.onmicrosoft.com"));
        assert_eq!(problems[0].severity, Severity::Error);
    }

    fn settings(program: &Program) -> Vec<String> {
        program_problems(program, true)
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| p.setting)
            .collect()
    }

    fn real() -> Program {
        let mut p = Program::default();
        p.managers.slack_users = vec!["U012ABCDEF".into()];
        p.managers.slack_channel = "C012ABCDEF".into();
        p
    }

    #[test]
    fn a_real_program_has_no_problems_and_the_example_is_flagged() {
        assert!(program_problems(&real(), true).is_empty());
        let example = program_problems(&Program::default(), false);
        assert_eq!(example.len(), 1);
        assert_eq!(example[0].severity, Severity::Warning);
        assert!(example[0].fix.contains("program.example.toml"));
    }

    #[test]
    fn each_program_problem_is_named_with_its_setting() {
        type Spoil = fn(&mut Program);
        let cases: Vec<(Spoil, &str)> = vec![
            (
                |p| p.schedules.timezone = "Europe/Berln".into(),
                "schedules.timezone",
            ),
            (|p| p.nudges.timezone = "CET+1".into(), "nudges.timezone"),
            (
                |p| {
                    p.nudges
                        .partner_timezones
                        .insert("Globex".into(), "Mars/Olympus".into());
                },
                "nudges.partner_timezones.Globex",
            ),
            (
                |p| p.nudges.working_hours = "9-5".into(),
                "nudges.working_hours",
            ),
            (
                |p| p.nudges.working_hours = "17:00-09:00".into(),
                "nudges.working_hours",
            ),
            (
                |p| p.rules.auto_approve_tiers = vec!["platnum".into()],
                "rules.auto_approve_tiers",
            ),
            (
                |p| {
                    p.managers
                        .timezones
                        .insert("U0NOBODY1".into(), "UTC".into());
                },
                "managers.timezones.U0NOBODY1",
            ),
            (
                |p| p.managers.head = Some("U0NOBODY1".into()),
                "managers.head",
            ),
            (
                |p| p.commissions.finance_channel = Some("#finance".into()),
                "commissions.finance_channel",
            ),
        ];
        for (spoil, setting) in cases {
            let mut program = real();
            spoil(&mut program);
            assert_eq!(settings(&program), [setting.to_string()], "{setting}");
        }
    }

    #[test]
    fn working_hours_are_a_span_of_the_day() {
        assert_eq!(working_hours("09:00-17:30"), Some((540, 1050)));
        for bad in ["9-5", "09:00", "09:00-25:00", "17:00-09:00", "09:60-10:00"] {
            assert_eq!(working_hours(bad), None, "{bad}");
        }
    }
}
