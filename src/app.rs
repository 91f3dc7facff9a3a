//! Wires the store, templates, Slack client, service, router and delivery worker together.
//! `serve`, the demo and the tests all build the app through here.

use crate::clock::Clock;
use crate::config::Config;
use crate::delivery::slack::SlackClient;
use crate::delivery::{AlertTarget, Client, DeliveryConfig, Worker};
use crate::http::{router, AppState};
use crate::metrics::Metrics;
use crate::service::Service;
use crate::slack::{Renderer, SlackApi};
use crate::store::Store;
use crate::templates::Templates;
use anyhow::Context;
use axum::Router;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// A built application: the HTTP router and the pieces around it.
#[derive(Clone, Debug)]
pub struct App {
    pub router: Router,
    pub service: Service,
    /// Renders answers and notices for Slack.
    pub render: Renderer,
    pub store: Store,
    pub slack: SlackApi,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    /// Signalled when rows are queued; the worker wakes on it.
    pub outbox_ready: Arc<Notify>,
    /// The Slack Home tabs; `home.clone().run(stop)` keeps open ones current.
    pub home: crate::home::HomeTabs,
    /// What the router's handlers share (kept to rebuild the router with Teams on).
    state: AppState,
    /// The Teams Connector client, when Teams is on.
    teams_connector: Option<crate::teams::connector::Connector>,
}

impl App {
    /// Builds the app over an open, migrated `store`. `home_team` is our Slack team, if known.
    pub fn build(
        config: &Config,
        store: Store,
        clock: Clock,
        home_team: Option<String>,
    ) -> anyhow::Result<App> {
        let templates = Arc::new(Templates::load()?);
        let program = Arc::new(config.program.clone());
        let render = Renderer::new(
            templates,
            &program.program.name,
            &program.program.default_currency,
        )
        .with_crm(program.crm.clone());
        let slack = SlackApi::new(&config.slack_api_url, &config.bot_token)?;
        let outbox_ready = Arc::new(Notify::new());
        let metrics = Arc::new(Metrics::new());
        let service = Service::new(store.clone(), program, clock.clone(), outbox_ready.clone())
            .with_time_zones(Arc::new(slack.clone()));
        let home = crate::home::HomeTabs::new(service.clone(), render.clone(), slack.clone());
        let state = AppState {
            service: service.clone(),
            render: render.clone(),
            slack: slack.clone(),
            signing_secret: config.signing_secret.clone(),
            clock: clock.clone(),
            metrics: metrics.clone(),
            home_team,
            teams: None,
            home: home.clone(),
        };
        Ok(App {
            router: router(state.clone()),
            state,
            teams_connector: None,
            service,
            render,
            store,
            slack,
            metrics,
            clock,
            outbox_ready,
            home,
        })
    }

    /// The same app with Teams on: `POST /teams/messages` authenticates with `auth`, and the
    /// delivery worker posts Teams rows through `connector`.
    pub fn with_teams(
        mut self,
        auth: Arc<crate::teams::Authenticator>,
        connector: crate::teams::connector::Connector,
    ) -> App {
        self.state.teams = Some(auth);
        self.router = router(self.state.clone());
        self.teams_connector = Some(connector);
        self
    }

    /// A Socket Mode client for this app's Slack handlers, connecting with the app-level
    /// `token`; run it until a stop signal.
    pub fn socket_mode(&self, token: secrecy::SecretString) -> crate::http::socket::SocketMode {
        crate::http::socket::SocketMode::new(self.state.clone(), token)
    }

    /// A delivery worker for this app (each call makes a worker with its own lease id).
    pub fn worker(&self, config: DeliveryConfig) -> Worker {
        let slack = SlackClient::new(
            self.slack.clone(),
            self.render.clone(),
            self.store.clone(),
            self.clock.clone(),
        )
        .linking_deals();
        let mut clients = vec![Client::Slack(slack)];
        if let Some(connector) = &self.teams_connector {
            let program = &self.service.program().program;
            let cards = crate::teams::cards::Cards::new(&program.name, &program.default_currency);
            clients.push(Client::Teams(crate::delivery::teams::TeamsClient::new(
                connector.clone(),
                self.store.clone(),
                cards,
            )));
        }
        Worker::new(
            self.store.clone(),
            clients,
            self.clock.clone(),
            self.metrics.clone(),
            config,
            self.outbox_ready.clone(),
            Some(AlertTarget {
                managers: self.service.program().managers_conversation(),
            }),
        )
    }
}

/// `partnerbot serve`: migrate, check the token, serve HTTP and deliver until Ctrl-C / SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    let slack = SlackApi::new(&config.slack_api_url, &config.bot_token)?;
    let mut problems =
        crate::preflight::program_problems(&config.program, crate::preflight::program_from_file());
    problems.extend(crate::preflight::teams_problems(&config.program));
    let home_team = match slack.auth_test().await {
        Ok(me) => {
            tracing::info!(
                team_id = me["team_id"].as_str().unwrap_or("-"),
                bot_user = me["user_id"].as_str().unwrap_or("-"),
                "Slack token accepted"
            );
            me["team_id"].as_str().map(str::to_string)
        }
        // Start anyway: Slack may be briefly unreachable, and deliveries retry on their own.
        Err(e) => {
            tracing::warn!(error = %e, "auth.test failed: check SLACK_BOT_TOKEN; starting anyway");
            None
        }
    };
    // Partners' channels are `partnerbot check`'s: one partner's archived channel must not keep
    // the bot from starting, and hundreds of conversations.info calls would slow every start.
    if home_team.is_some() {
        problems.extend(crate::preflight::slack_problems(&config.program, &slack, &[]).await);
        problems.extend(
            crate::preflight::socket_mode_problems(&slack, config.app_token.as_ref()).await,
        );
    }
    for problem in &problems {
        match problem.severity {
            crate::preflight::Severity::Error => tracing::error!("{problem}"),
            crate::preflight::Severity::Warning => tracing::warn!("{problem}"),
        }
    }
    if problems
        .iter()
        .any(|p| p.severity == crate::preflight::Severity::Error)
    {
        anyhow::bail!("not starting: fix the problems above (`partnerbot check` lists them again)");
    }
    let app = App::build(&config, store, Clock::system(), home_team)?;
    // Teams is on when its three app settings are set (`teams_problems` above refused a
    // half-configured Teams).
    let app = match crate::teams::TeamsSettings::from_env()? {
        Some(settings) => {
            tracing::info!(app_id = %settings.app_id, "Teams is on: POST /teams/messages");
            let connector = crate::teams::connector::Connector::new(settings.clone())?;
            let auth = crate::teams::Authenticator::new(
                settings,
                app.clock.clone(),
                config.program.teams.partner_tenants.clone(),
            )?;
            app.with_teams(Arc::new(auth), connector)
        }
        None => app,
    };
    // A schedule that does not parse stops start-up here, naming the job.
    let scheduler = crate::jobs::Scheduler::new(app.service.clone(), &config.program)?;
    // Likewise a malformed [commissions] section.
    crate::service::commission_rules::commission_rules(&config.program.commissions)?;
    // Bind first: an instance that cannot listen must not start delivering or running jobs.
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| {
            format!(
                "binding {} (is another partnerbot already listening there?)",
                config.bind
            )
        })?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(app.worker(DeliveryConfig::default()).run(stop_rx.clone()));
    let home = tokio::spawn(app.home.clone().run(stop_rx.clone()));
    let socket = config.app_token.clone().map(|token| {
        tracing::info!("Socket Mode is on: Slack's requests also arrive over a WebSocket");
        tokio::spawn(app.socket_mode(token).run(stop_rx.clone()))
    });
    let jobs = tokio::spawn(scheduler.run(app.clock.clone(), stop_rx));
    tracing::info!(bind = %config.bind, "partnerbot listening");
    axum::serve(listener, app.router.clone())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    let _ = jobs.await;
    let _ = home.await;
    if let Some(socket) = socket {
        let _ = socket.await;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
