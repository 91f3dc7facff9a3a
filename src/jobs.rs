//! Scheduled jobs: named jobs with cron schedules in one list. Before an occurrence runs it is
//! claimed in the database under `(job, scheduled time)`, so a restart, a slow run or several
//! replicas on one Postgres never run it twice. Only the latest due occurrence is ever claimed:
//! one missed while the bot was down runs once when it comes back, with no flood of catch-ups.
//! Occurrences scheduled before the bot's first start are never run: a new install does not
//! review tiers or open a survey the moment it starts.

use crate::config::{ConfigError, Program};
use crate::service::Service;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;

/// What a scheduled job does: one variant per job, so that running one is a `match` the
/// compiler checks against this list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    EscalateApprovals,
    ExpireRegistrations,
    ReleaseCommissions,
    RecomputeTiers,
    NudgePartners,
    WeeklyDigest,
    SurveyRounds,
    SurveyFollowthrough,
}

impl JobKind {
    /// The job's name in the program file, the database and the command line.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::EscalateApprovals => "escalate_approvals",
            JobKind::ExpireRegistrations => "expire_registrations",
            JobKind::ReleaseCommissions => "release_commissions",
            JobKind::RecomputeTiers => "recompute_tiers",
            JobKind::NudgePartners => "nudge_partners",
            JobKind::WeeklyDigest => "weekly_digest",
            JobKind::SurveyRounds => "survey_rounds",
            JobKind::SurveyFollowthrough => "survey_followthrough",
        }
    }

    /// The job named `name`; the error lists the jobs there are.
    pub fn parse(name: &str) -> Result<JobKind, String> {
        JOBS.iter()
            .map(|j| j.kind)
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = JOBS.iter().map(Job::name).collect();
                format!("there is no job “{name}” (jobs: {})", names.join(", "))
            })
    }
}

/// A scheduled job.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub kind: JobKind,
    /// Cron expression: seconds minutes hours day-of-month month day-of-week.
    pub default_schedule: &'static str,
    pub about: &'static str,
}

/// Every scheduled job. Schedules are read in `[schedules].timezone` and can be overridden in
/// `[schedules.jobs]`.
pub const JOBS: &[Job] = &[
    // Every hour on the hour: registrations waiting longer than the SLA for a decision are
    // escalated to the managers' channel, once each.
    Job {
        kind: JobKind::EscalateApprovals,
        default_schedule: "0 0 * * * *",
        about: "escalate registrations waiting past the approval SLA",
    },
    // Every day at 06:00: remind partners 14 and 3 days before protection ends, and expire
    // registrations whose protection ended without a win or loss.
    Job {
        kind: JobKind::ExpireRegistrations,
        default_schedule: "0 0 6 * * *",
        about: "protection reminders and expiry",
    },
    // Every day at 05:00: commissions whose hold period ended become payable.
    Job {
        kind: JobKind::ReleaseCommissions,
        default_schedule: "0 0 5 * * *",
        about: "commissions past their hold become payable",
    },
    // Quarterly, on the first day of each quarter at 07:00: every partner's tier from
    // trailing-12-month partner-sourced revenue (promotions now, demotions after a grace period).
    Job {
        kind: JobKind::RecomputeTiers,
        default_schedule: "0 0 7 1 1,4,7,10 *",
        about: "partner tiers from trailing-12-month sourced revenue",
    },
    // Every hour on the hour (a partner is only nudged in its own working hours on weekdays, at
    // most once per cap period): quiet partners are nudged, longer-quiet ones reported.
    Job {
        kind: JobKind::NudgePartners,
        default_schedule: "0 0 * * * *",
        about: "nudge quiet partners; alert their managers when they stay quiet",
    },
    // Every hour at five past: managers whose local time is Monday 09:xx get their weekly digest
    // (once per manager per week).
    Job {
        kind: JobKind::WeeklyDigest,
        default_schedule: "0 5 * * * *",
        about: "weekly digest for each partner manager",
    },
    // Quarterly, on the first day of the quarter's second month at 09:00: a PSAT survey round.
    Job {
        kind: JobKind::SurveyRounds,
        default_schedule: "0 0 9 1 2,5,8,11 *",
        about: "open a partner-satisfaction survey round",
    },
    // Every hour at half past: one reminder to non-responders, and closing rounds that are due.
    Job {
        kind: JobKind::SurveyFollowthrough,
        default_schedule: "0 30 * * * *",
        about: "survey reminders and closing",
    },
];

impl Job {
    /// The job's name (see [`JobKind::name`]).
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }
}

/// How often the scheduler looks for due occurrences; a job runs at most this late.
const TICK: Duration = Duration::from_secs(20);

/// The jobs with their parsed schedules, ready to run.
#[derive(Clone, Debug)]
pub struct Scheduler {
    service: Service,
    jobs: Vec<(Job, cron::Schedule)>,
    tz: Tz,
    owner: String,
    /// When the scheduler first ran on this database (ms), read once.
    first_start: std::sync::OnceLock<i64>,
}

impl Scheduler {
    /// Parses every schedule; a bad expression or an unknown job name stops start-up with a
    /// line naming it.
    pub fn new(service: Service, program: &Program) -> Result<Scheduler, ConfigError> {
        let bad = |setting: String, problem: String| ConfigError { setting, problem };
        let tz = Tz::from_str(&program.schedules.timezone).map_err(|_| {
            bad(
                "schedules.timezone".into(),
                format!(
                    "“{}” is not an IANA time zone such as Europe/Berlin",
                    program.schedules.timezone
                ),
            )
        })?;
        if let Some(unknown) = program
            .schedules
            .jobs
            .keys()
            .find(|k| !JOBS.iter().any(|j| j.name() == k.as_str()))
        {
            let names: Vec<&str> = JOBS.iter().map(Job::name).collect();
            return Err(bad(
                format!("schedules.jobs.{unknown}"),
                format!("there is no such job (jobs: {})", names.join(", ")),
            ));
        }
        let mut jobs = Vec::new();
        for job in JOBS {
            let expr = program
                .schedules
                .jobs
                .get(job.name())
                .map_or(job.default_schedule, String::as_str);
            let schedule = cron::Schedule::from_str(expr)
                .map_err(|e| bad(format!("schedules.jobs.{}", job.name()), format!("“{expr}” is not a cron expression (seconds minutes hours day month weekday): {}", one_line(&e.to_string()))))?;
            jobs.push((*job, schedule));
        }
        Ok(Scheduler {
            service,
            jobs,
            tz,
            owner: format!("scheduler-{}", uuid::Uuid::new_v4().simple()),
            first_start: std::sync::OnceLock::new(),
        })
    }

    /// Each job's schedule and next run after `now` (for `partnerbot jobs list`).
    pub fn describe(&self, now: DateTime<Utc>) -> Vec<(Job, String, Option<DateTime<Tz>>)> {
        self.jobs
            .iter()
            .map(|(job, s)| {
                (
                    *job,
                    s.to_string(),
                    s.after(&now.with_timezone(&self.tz)).next(),
                )
            })
            .collect()
    }

    /// Claims and runs every job whose latest occurrence at or before `now` is not yet claimed.
    /// Returns the (job, occurrence) pairs this call ran.
    pub async fn tick(
        &self,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<(&'static str, DateTime<Utc>)>> {
        let mut ran = Vec::new();
        let first_start = match self.first_start.get() {
            Some(at) => *at,
            None => {
                let at = self
                    .service
                    .store()
                    .first_start_ms(now.timestamp_millis())
                    .await?;
                *self.first_start.get_or_init(|| at)
            }
        };
        for (job, schedule) in &self.jobs {
            // `after(now + 1 s).next_back()` is the latest occurrence at or before now.
            let probe = (now + chrono::Duration::seconds(1)).with_timezone(&self.tz);
            let Some(due) = schedule
                .after(&probe)
                .next_back()
                .map(|t| t.with_timezone(&Utc))
            else {
                continue;
            };
            // Nothing scheduled before the bot's first start is caught up.
            if due.timestamp_millis() < first_start {
                continue;
            }
            if !self
                .service
                .store()
                .claim_job_run(
                    job.name(),
                    due.timestamp_millis(),
                    &self.owner,
                    now.timestamp_millis(),
                )
                .await?
            {
                continue;
            }
            let outcome = match run_job(&self.service, job.kind, now).await {
                Ok(summary) => summary,
                Err(e) => {
                    tracing::error!(job = job.name(), error = format!("{e:#}"), "job failed");
                    format!("failed: {e:#}")
                }
            };
            tracing::info!(job = job.name(), scheduled_for = %due, outcome = %outcome, "job ran");
            self.service
                .store()
                .finish_job_run(
                    job.name(),
                    due.timestamp_millis(),
                    &outcome,
                    now.timestamp_millis(),
                )
                .await?;
            ran.push((job.name(), due));
        }
        Ok(ran)
    }

    /// Ticks until `stop` turns true.
    pub async fn run(self, clock: crate::clock::Clock, mut stop: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.tick(clock.now()).await {
                tracing::error!(error = format!("{e:#}"), "scheduler tick failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}

/// Collapses an error's lines into one (start-up errors are one line).
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "^")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs one job as of `now` (the scheduler, `partnerbot jobs run`, and tests). Returns a summary.
pub async fn run_job(
    service: &Service,
    job: JobKind,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    match job {
        JobKind::EscalateApprovals => Ok(format!(
            "{} escalated",
            service.escalate_overdue(now).await?
        )),
        JobKind::RecomputeTiers => service.recompute_tiers(now).await,
        JobKind::NudgePartners => service.nudge_quiet_partners(now).await,
        JobKind::WeeklyDigest => service.send_weekly_digests(now).await,
        JobKind::SurveyRounds => match service.open_survey("system", now).await {
            Ok(text) => Ok(text),
            Err(crate::service::ServiceError::Rejected(e)) => Ok(e.to_string()),
            Err(crate::service::ServiceError::Internal(e)) => Err(e),
        },
        JobKind::SurveyFollowthrough => service.survey_followthrough(now).await,
        JobKind::ReleaseCommissions => Ok(format!(
            "{} became payable",
            service.release_commissions(now.date_naive()).await?
        )),
        JobKind::ExpireRegistrations => {
            let (expired, reminded) = service.expire_and_remind(now).await?;
            Ok(format!("{expired} expired, {reminded} reminded"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_schedule_parses_and_names_are_unique() {
        for job in JOBS {
            cron::Schedule::from_str(job.default_schedule)
                .unwrap_or_else(|e| panic!("{}: {e}", job.name()));
        }
        let mut names: Vec<&str> = JOBS.iter().map(Job::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), JOBS.len());
        for job in JOBS {
            assert_eq!(JobKind::parse(job.name()), Ok(job.kind));
        }
        let unknown = JobKind::parse("tidy_up").expect_err("no such job");
        assert!(unknown.contains("weekly_digest"), "{unknown}");
    }
}
