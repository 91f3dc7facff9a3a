//! The command line: `serve`, `demo`, `migrate`, and partner administration.

use crate::chat::{Conversation, Platform};
use crate::config::{self, Config, Program};
use crate::service::Requester;
use crate::store::Store;
use clap::{Parser, Subcommand};

/// partnerbot: runs a B2B partner program in Slack.
#[derive(Debug, Parser)]
#[command(name = "partnerbot", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve Slack's HTTP requests and deliver messages (config from the environment).
    Serve,
    /// Play the whole registration story against a local Slack emulator and print it.
    Demo {
        /// Send Slack's requests over Socket Mode (the emulator's WebSocket) instead of HTTP.
        #[arg(long)]
        socket: bool,
    },
    /// Check everything `serve` would use (settings, program file, database, Slack scopes and
    /// channels); print each problem with its fix and exit non-zero on any error.
    Check,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Copy the SQLite database to FILE while the bot runs (a consistent snapshot); for Postgres
    /// use pg_dump.
    Backup { file: std::path::PathBuf },
    /// Microsoft Teams: build the app package to upload to Teams.
    Teams {
        #[command(subcommand)]
        command: TeamsCommand,
    },
    /// Manage partners.
    Partners {
        #[command(subcommand)]
        command: PartnersCommand,
    },
    /// Export deals, commissions (one row per partner per currency) or the audit log as CSV.
    Export {
        what: crate::export::Export,
        /// Only rows from this date (YYYY-MM-DD, UTC) on.
        #[arg(long)]
        since: Option<String>,
        /// Only this partner (id as shown, e.g. P-3 or 3).
        #[arg(long)]
        partner: Option<String>,
        /// csv (the only format).
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Compose a manager's weekly digest now: print its text and write its chart.
    Digest {
        /// The manager's Slack user id.
        #[arg(long)]
        manager: String,
        /// Print the text to the terminal (instead of queueing the digest for Slack).
        #[arg(long)]
        print: bool,
        /// Where to write the chart PNG.
        #[arg(long, default_value = "digest.png")]
        png: std::path::PathBuf,
    },
    /// Commission ledger.
    Commissions {
        #[command(subcommand)]
        command: CommissionsCommand,
    },
    /// Scheduled jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Outgoing messages: what waits, what Slack refused, and sending refused ones again.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Direct accounts owned by AEs.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
}

/// `partnerbot commissions …`
#[derive(Debug, Subcommand)]
pub enum CommissionsCommand {
    /// Mark payable commissions paid (ids as shown, e.g. C-12 or 12); each partner is told.
    MarkPaid { ids: Vec<String> },
}

/// `partnerbot jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Every job, its schedule and its next run.
    List,
    /// Run one job now, or as of `--at` (RFC 3339, e.g. 2027-03-01T06:00:00Z). Messages it queues
    /// are delivered by `partnerbot serve`.
    Run {
        name: String,
        #[arg(long)]
        at: Option<String>,
    },
}

/// `partnerbot outbox …`
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Messages not yet delivered, newest first, with their state, age, attempts and last error.
    List {
        /// Only messages Slack refused for good.
        #[arg(long)]
        failed: bool,
        /// Only messages still waiting (or retrying).
        #[arg(long)]
        pending: bool,
    },
    /// Queue failed messages again (ids from `outbox list --failed`).
    Retry { ids: Vec<String> },
}

/// `partnerbot accounts …`
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Import or update direct accounts from a CSV file with a header row: account name, domains
    /// (separated by ;), owner (Slack user id or e-mail), territory, open opportunity (yes/no),
    /// CRM id (optional; makes re-imports update the same account).
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
    },
    /// Read {"name": …, "domain": …} JSON lines on stdin; write one JSON line per input with every
    /// matching registration and direct account, its strength, score and reasons.
    Check,
}

/// `partnerbot teams …`
#[derive(Debug, Subcommand)]
pub enum TeamsCommand {
    /// Write the Teams app package (manifest.json, color.png, outline.png in a zip).
    Package {
        /// The bot's Microsoft App ID (Entra app id, a GUID); also used as the Teams app id.
        #[arg(long)]
        app_id: String,
        /// The public host name `serve` is reached at (e.g. partnerbot.example.com).
        #[arg(long)]
        host: String,
        /// Where to write the zip.
        #[arg(long, default_value = "partnerbot-teams.zip")]
        out: std::path::PathBuf,
    },
}

/// `partnerbot partners …`
#[derive(Debug, Subcommand)]
pub enum PartnersCommand {
    /// Link a channel shared with a partner (in Slack or in Teams) to a new partner.
    Add {
        /// The partner's name, e.g. "Globex Resellers".
        name: String,
        /// referral, reseller, technology, service or strategic.
        #[arg(long = "type")]
        partner_type: String,
        /// The id of the Slack channel shared with the partner (C…).
        #[arg(
            long,
            conflicts_with = "teams_channel",
            required_unless_present = "teams_channel"
        )]
        slack_channel: Option<String>,
        /// The partner's own Slack team id (T…), for Slack Connect channels.
        #[arg(long, requires = "slack_channel")]
        slack_team: Option<String>,
        /// The id of the Teams channel shared with the partner (19:…@thread.tacv2).
        #[arg(long)]
        teams_channel: Option<String>,
        /// The partner's own Microsoft Entra tenant id, for a shared Teams channel.
        #[arg(long, requires = "teams_channel")]
        teams_tenant: Option<String>,
        /// Starting tier: registered (default), silver, gold or platinum.
        #[arg(long)]
        tier: Option<String>,
    },
    /// List every partner.
    List,
    /// Pause a partner: no nudges or surveys until resumed.
    Pause { id: String },
    /// Resume a paused partner.
    Resume { id: String },
    /// Name a partner's admins (replacing the list): user ids of the partner's platform (Slack
    /// U…, Teams Entra object ids), or `none` to clear it. They are told of tier changes
    /// privately in the partner's channel.
    Admins {
        /// The partner, e.g. P-3.
        id: String,
        /// Their user ids, or `none`.
        #[arg(required = true)]
        users: Vec<String>,
    },
}

async fn outbox(command: OutboxCommand) -> anyhow::Result<()> {
    let store = Store::open(&config::database_url(&env)?).await?;
    let now = chrono::Utc::now().timestamp_millis();
    match command {
        OutboxCommand::List { failed, pending } => {
            let filter = match (failed, pending) {
                (true, false) => crate::store::OutboxFilter::Failed,
                (false, true) => crate::store::OutboxFilter::Pending,
                _ => crate::store::OutboxFilter::FailedOrPending,
            };
            crate::cli_outbox::list(&store, filter, now, &mut std::io::stdout().lock()).await?;
        }
        OutboxCommand::Retry { ids } => {
            println!("{}", crate::cli_outbox::retry(&store, &ids, now).await?)
        }
    }
    Ok(())
}

async fn check() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let from_file =
        env("PARTNERBOT_PROGRAM").is_some() || std::path::Path::new("program.toml").exists();
    let mut problems = crate::preflight::program_problems(&config.program, from_file);
    problems.extend(crate::preflight::teams_problems(&config.program));
    let store = Store::open(&config.database_url).await?;
    let partners = store.partners().await?;
    let slack = crate::slack::SlackApi::new(&config.slack_api_url, &config.bot_token)?;
    problems.extend(crate::preflight::slack_problems(&config.program, &slack, &partners).await);
    problems
        .extend(crate::preflight::socket_mode_problems(&slack, config.app_token.as_ref()).await);
    let errors = problems
        .iter()
        .filter(|p| p.severity == crate::preflight::Severity::Error)
        .count();
    if !crate::preflight::report(&problems) {
        anyhow::bail!("{errors} problem(s) to fix before `partnerbot serve`");
    }
    println!(
        "ok: settings, program file, database ({}), Slack scopes and {} channel(s) checked",
        config::redact_url(&config.database_url),
        partners.len() + 1
    );
    Ok(())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => crate::app::run(Config::from_env()?).await,
        Command::Demo { socket } => crate::demo::run(socket).await,
        Command::Check => check().await,
        Command::Backup { file } => {
            let url = config::database_url(&env)?;
            Store::connect(&url).await?.backup_to(&file).await?;
            println!(
                "backed up {} to {}",
                config::redact_url(&url),
                file.display()
            );
            Ok(())
        }
        Command::Migrate => {
            let url = config::database_url(&env)?;
            Store::open(&url).await?;
            println!("migrations applied to {}", config::redact_url(&url));
            Ok(())
        }
        Command::Teams {
            command: TeamsCommand::Package { app_id, host, out },
        } => {
            crate::teams::package::write_package(&app_id, &host, &out)?;
            println!(
                "wrote {}: upload it in Teams (Apps → Manage your apps → Upload an app) or in the Teams admin center",
                out.display()
            );
            Ok(())
        }
        Command::Partners { command } => partners(command).await,
        Command::Accounts { command } => accounts(command).await,
        Command::Outbox { command } => outbox(command).await,
        Command::Jobs { command } => jobs(command).await,
        Command::Digest {
            manager,
            print,
            png,
        } => {
            let url = config::database_url(&env)?;
            let program = Program::from_lookup(&env)?;
            let service = offline_service(Store::open(&url).await?, program)?;
            let digest = service.compose_digest(&manager, chrono::Utc::now()).await?;
            std::fs::write(&png, &digest.png)
                .map_err(|e| anyhow::anyhow!("--png: cannot write {}: {e}", png.display()))?;
            if print {
                let say = crate::slack::notices::next_step;
                println!("{}", crate::domain::digest::text(&digest.facts, say));
            } else {
                service
                    .send_digest_now(&manager)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!(
                    "digest {} queued for {manager}; `partnerbot serve` delivers it",
                    digest.facts.week
                );
            }
            eprintln!(
                "chart written to {} ({}×{} PNG)",
                png.display(),
                crate::chart::WIDTH,
                crate::chart::HEIGHT
            );
            Ok(())
        }
        Command::Export {
            what,
            since,
            partner,
            format,
            output,
        } => export(what, since, partner, &format, output).await,
        Command::Commissions {
            command: CommissionsCommand::MarkPaid { ids },
        } => {
            let url = config::database_url(&env)?;
            let program = Program::from_lookup(&env)?;
            let service = offline_service(Store::open(&url).await?, program)?;
            let parsed: Vec<i64> = ids
                .iter()
                .map(|id| {
                    id.trim_start_matches(['C', 'c', '-'])
                        .parse()
                        .map_err(|_| anyhow::anyhow!("“{id}” is not a commission id like C-12"))
                })
                .collect::<anyhow::Result<_>>()?;
            println!(
                "{}",
                service
                    .pay_commissions("cli", &parsed)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
            );
            Ok(())
        }
    }
}

/// A Slack partner's channel and team, refused when they are not Slack ids (a wrong team would
/// lock every one of the partner's users out).
pub fn slack_partner_ids(
    channel: String,
    team: Option<String>,
) -> anyhow::Result<(Conversation, Option<String>)> {
    if !crate::slack::is_slack_id(&channel, &['C', 'G']) {
        anyhow::bail!("--slack-channel: “{channel}” is not a Slack channel id like C0123ABCD");
    }
    if let Some(team) = team
        .as_deref()
        .filter(|t| !crate::slack::is_slack_id(t, &['T', 'E']))
    {
        anyhow::bail!("--slack-team: “{team}” is not a Slack team id like T0123ABCD (the partner's workspace id; leave it out if unsure)");
    }
    Ok((Conversation::new(Platform::Slack, channel), team))
}

/// A Teams partner's channel and tenant, refused when they are not Teams ids.
pub fn teams_partner_ids(
    channel: String,
    tenant: Option<String>,
) -> anyhow::Result<(Conversation, Option<String>)> {
    if !crate::teams::is_conversation_id(&channel) {
        anyhow::bail!(
            "--teams-channel: “{channel}” is not a Teams channel id like 19:…@thread.tacv2"
        );
    }
    if let Some(tenant) = tenant.as_deref().filter(|t| !crate::teams::is_guid(t)) {
        anyhow::bail!("--teams-tenant: “{tenant}” is not a tenant id like 72f988bf-86f1-41af-91ab-2d7cd011db47");
    }
    Ok((
        Conversation::new(Platform::Teams, channel),
        tenant.map(|t| t.to_ascii_lowercase()),
    ))
}

async fn partners(command: PartnersCommand) -> anyhow::Result<()> {
    let url = config::database_url(&env)?;
    let program = Program::from_lookup(&env)?;
    let store = Store::open(&url).await?;
    let service = offline_service(store, program)?;
    match command {
        PartnersCommand::Add {
            name,
            partner_type,
            slack_channel,
            slack_team,
            teams_channel,
            teams_tenant,
            tier,
        } => {
            let (conversation, workspace) = match (slack_channel, teams_channel) {
                (Some(channel), _) => slack_partner_ids(channel, slack_team)?,
                (None, Some(channel)) => teams_partner_ids(channel, teams_tenant)?,
                (None, None) => anyhow::bail!("give --slack-channel or --teams-channel"),
            };
            let partner = service
                .add_partner(
                    &Requester::Cli,
                    crate::service::PartnerLink {
                        name: &name,
                        partner_type: &partner_type,
                        conversation: &conversation,
                        workspace,
                        tier: tier.as_deref(),
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "added partner {} “{}” ({}) linked to {} channel {}",
                partner.id,
                partner.name,
                partner.partner_type,
                partner.conversation.platform,
                partner.conversation
            );
            println!("a welcome message is queued for the channel; `partnerbot serve` delivers it");
        }
        PartnersCommand::Pause { id } => set_paused(&service, &id, true).await?,
        PartnersCommand::Resume { id } => set_paused(&service, &id, false).await?,
        PartnersCommand::Admins { id, users } => set_admins(&service, &id, users).await?,
        PartnersCommand::List => {
            let partners = service
                .list_partners(&Requester::Cli)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{:<6} {:<32} {:<11} {:<11} {:<6} {:<12} {:<12} ADMINS",
                "ID", "NAME", "TYPE", "TIER", "ON", "CHANNEL", "TEAM/TENANT"
            );
            for listed in &partners {
                let (p, admins) = (&listed.partner, &listed.admins);
                let named = if admins.is_empty() {
                    "-".into()
                } else {
                    admins.join(",")
                };
                println!(
                    "{:<6} {:<32} {:<11} {:<11} {:<6} {:<12} {:<12} {named}",
                    p.id.to_string(),
                    p.name,
                    p.partner_type.as_str(),
                    p.tier.as_str(),
                    p.conversation.platform,
                    p.conversation,
                    p.workspace.as_deref().unwrap_or("-")
                );
            }
            println!("{} partner(s)", partners.len());
        }
    }
    Ok(())
}

async fn export(
    what: crate::export::Export,
    since: Option<String>,
    partner: Option<String>,
    format: &str,
    output: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    if format != "csv" {
        anyhow::bail!("--format: “{format}” is not supported: use csv");
    }
    let since_ms = match since {
        Some(text) => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--since: “{text}” is not a date like 2027-01-31"))?
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis()),
        None => 0,
    };
    let partner = match partner {
        Some(text) => Some(crate::domain::PartnerId(
            text.trim_start_matches(['P', 'p', '-'])
                .parse()
                .map_err(|_| anyhow::anyhow!("--partner: “{text}” is not a partner id like P-3"))?,
        )),
        None => None,
    };
    let store = Store::open(&config::database_url(&env)?).await?;
    let rows = match output {
        Some(path) => {
            let file = std::fs::File::create(&path)
                .map_err(|e| anyhow::anyhow!("--output: cannot create {}: {e}", path.display()))?;
            crate::export::export(&store, what, since_ms, partner, file).await?
        }
        None => {
            crate::export::export(&store, what, since_ms, partner, std::io::stdout().lock()).await?
        }
    };
    eprintln!("{rows} row(s) exported");
    Ok(())
}

async fn jobs(command: JobsCommand) -> anyhow::Result<()> {
    let url = config::database_url(&env)?;
    let program = Program::from_lookup(&env)?;
    let service = offline_service(Store::open(&url).await?, program.clone())?;
    let scheduler = crate::jobs::Scheduler::new(service.clone(), &program)?;
    match command {
        JobsCommand::List => {
            for (job, schedule, next) in scheduler.describe(chrono::Utc::now()) {
                let next = next.map_or("never".to_string(), |n| n.to_rfc3339());
                println!(
                    "{:<22} {:<16} next {next}  — {}",
                    job.name(),
                    schedule,
                    job.about
                );
            }
        }
        JobsCommand::Run { name, at } => {
            let job = crate::jobs::JobKind::parse(&name).map_err(anyhow::Error::msg)?;
            let now = match at {
                Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
                    .map_err(|e| anyhow::anyhow!("--at: “{text}” is not an RFC 3339 time such as 2027-03-01T06:00:00Z ({e})"))?
                    .with_timezone(&chrono::Utc),
                None => chrono::Utc::now(),
            };
            println!(
                "{name} as of {now}: {}",
                crate::jobs::run_job(&service, job, now).await?
            );
        }
    }
    Ok(())
}

async fn accounts(command: AccountsCommand) -> anyhow::Result<()> {
    let url = config::database_url(&env)?;
    let program = Program::from_lookup(&env)?;
    let service = offline_service(Store::open(&url).await?, program)?;
    match command {
        AccountsCommand::Import { file } => {
            // E-mail owners are resolved through Slack when a bot token is configured.
            let slack = match env("SLACK_BOT_TOKEN") {
                Some(token) => {
                    let base = env("SLACK_API_URL")
                        .unwrap_or_else(|| config::DEFAULT_SLACK_API_URL.into());
                    Some(crate::slack::SlackApi::new(
                        &base,
                        &secrecy::SecretString::from(token),
                    )?)
                }
                None => None,
            };
            crate::cli_accounts::import(&service, &file, slack.as_ref()).await
        }
        AccountsCommand::Check => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            crate::cli_accounts::check(
                &service,
                stdin.lock(),
                std::io::BufWriter::new(stdout.lock()),
            )
            .await
            .map(|_| ())
        }
    }
}

async fn set_paused(
    service: &crate::service::Service,
    id: &str,
    paused: bool,
) -> anyhow::Result<()> {
    let partner = partner_id(id)?;
    let number = partner.0;
    if !service
        .set_partner_paused("cli", "cli", partner, paused)
        .await?
    {
        anyhow::bail!("there is no partner P-{number}");
    }
    println!(
        "P-{number} {}",
        if paused {
            "paused: no nudges or surveys until resumed"
        } else {
            "resumed"
        }
    );
    Ok(())
}

/// The partner `id` names (`P-3`, `3`).
fn partner_id(id: &str) -> anyhow::Result<crate::domain::PartnerId> {
    id.parse()
        .map_err(|()| anyhow::anyhow!("“{id}” is not a partner id like P-3"))
}

/// Names a partner's admins (`none` clears them).
async fn set_admins(
    service: &crate::service::Service,
    id: &str,
    users: Vec<String>,
) -> anyhow::Result<()> {
    let partner = partner_id(id)?;
    let users = crate::intent::named_admins(users);
    let (named, admins) = service
        .set_partner_admins(&Requester::Cli, partner, &users)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}",
        crate::intent::wording::admins_words(&named.name, named.id, &admins)
    );
    Ok(())
}

/// A service for command-line use: no Slack calls happen, messages only go to the outbox.
fn offline_service(store: Store, program: Program) -> anyhow::Result<crate::service::Service> {
    Ok(crate::service::Service::new(
        store,
        std::sync::Arc::new(program),
        crate::clock::Clock::system(),
        Default::default(),
    ))
}
