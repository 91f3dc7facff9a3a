//! PSAT survey rounds, invitations, answers and detractor follow-ups.

use super::outbox::{insert_outbox, OutboxMessage};
use super::statements::run_on;
use super::Store;
use anyhow::Context;

/// Someone asked in a round: the person and their partner.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Invitee {
    pub user_id: String,
    pub partner_id: i64,
}

/// An invitee's partner and answer in a round (no score while unanswered).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SurveyResponse {
    pub partner_name: String,
    pub partner_type: String,
    pub score: Option<i64>,
    pub comment: Option<String>,
}

/// A round as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SurveyRound {
    pub id: i64,
    pub opened_at: i64,
    pub remind_at: i64,
    pub closes_at: i64,
    pub reminded_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// What recording an answer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// First answer of this user in this round.
    New,
    /// The user changed an earlier answer (the old score).
    Changed(u8),
    /// The round is closed or the user was not asked.
    NotOpen,
}

/// The steps of an open round after it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundStep {
    /// Reminds those who have not answered (while the round is open).
    Remind,
    /// Closes the round.
    Close,
}

const ROUND_COLUMNS: &str = "id, opened_at, remind_at, closes_at, reminded_at, closed_at";

impl Store {
    /// Opens a round and invites every user of an active partner, queueing the messages
    /// `messages` renders for them, in one transaction. `None` when a round is already open.
    pub async fn open_survey_round(
        &self,
        by: &str,
        now_ms: i64,
        remind_at: i64,
        closes_at: i64,
        messages: impl FnOnce(i64, &[Invitee]) -> anyhow::Result<Vec<OutboxMessage>>,
    ) -> anyhow::Result<Option<(i64, usize)>> {
        // Returns None when a round is already open, and round 0 with nobody asked (nothing
        // stored) when there is no active partner user yet.
        let insert = sqlx::query_as::<_, (i64,)>(
            "INSERT INTO survey_rounds (opened_at, opened_by, remind_at, closes_at, open_flag) VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (open_flag) DO NOTHING RETURNING id",
        )
        .bind(now_ms)
        .bind(by)
        .bind(remind_at)
        .bind(closes_at);
        let Some((mut tx, (round,))) = self.begin_with(insert, "a new survey round").await? else {
            return Ok(None);
        };
        let invitees = sqlx::query_as::<_, Invitee>(
            "SELECT DISTINCT u.user_id, u.partner_id FROM partner_users u JOIN partners p ON p.id = u.partner_id WHERE p.paused = 0 ORDER BY u.user_id",
        )
        .fetch_all(&mut *tx)
        .await
        .context("listing partner users")?;
        if invitees.is_empty() {
            // A round nobody is asked in would only block the next one.
            tx.rollback().await.context("rolling back an empty round")?;
            return Ok(Some((0, 0)));
        }
        for chunk in invitees.chunks(300) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3))
                .collect();
            let sql = format!("INSERT INTO survey_invites (round_id, user_id, partner_id) VALUES {} ON CONFLICT DO NOTHING", values.join(", "));
            let mut query = sqlx::query(&sql).bind(round);
            for invitee in chunk {
                query = query.bind(&invitee.user_id).bind(invitee.partner_id);
            }
            run_on(&mut tx, query, "inviting partner users").await?;
        }
        for message in messages(round, &invitees)? {
            insert_outbox(&mut tx, &message, now_ms).await?;
        }
        tx.commit().await.context("committing a survey round")?;
        Ok(Some((round, invitees.len())))
    }

    /// One round.
    pub async fn survey_round(&self, round: i64) -> anyhow::Result<Option<SurveyRound>> {
        let sql = format!("SELECT {ROUND_COLUMNS} FROM survey_rounds WHERE id = $1");
        let query = sqlx::query_as::<_, SurveyRound>(&sql).bind(round);
        self.optional(query, "loading a survey round").await
    }

    /// Every round, oldest first.
    pub async fn survey_rounds(&self) -> anyhow::Result<Vec<SurveyRound>> {
        self.rounds_where("1 = 1", "listing survey rounds").await
    }

    /// Open rounds (for the reminder and closing jobs), oldest first.
    pub async fn open_survey_rounds(&self) -> anyhow::Result<Vec<SurveyRound>> {
        self.rounds_where("closed_at IS NULL", "listing open survey rounds")
            .await
    }

    async fn rounds_where(
        &self,
        condition: &str,
        doing: &'static str,
    ) -> anyhow::Result<Vec<SurveyRound>> {
        let sql =
            format!("SELECT {ROUND_COLUMNS} FROM survey_rounds WHERE {condition} ORDER BY id");
        self.all(sqlx::query_as(&sql), doing).await
    }

    /// Records a user's score: the first answer, or a change of it; never a second answer.
    pub async fn record_survey_answer(
        &self,
        round: i64,
        user: &str,
        score: u8,
        now_ms: i64,
    ) -> anyhow::Result<Answered> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT r.id FROM survey_rounds r JOIN survey_invites i ON i.round_id = r.id \
             WHERE r.id = $1 AND i.user_id = $2 AND r.closed_at IS NULL AND r.closes_at > $3",
        )
        .bind(round)
        .bind(user)
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await
        .context("checking the survey round")?;
        if open.is_none() {
            tx.rollback().await.context("rolling back")?;
            return Ok(Answered::NotOpen);
        }
        let previous: Option<i64> = sqlx::query_scalar(
            "SELECT score FROM survey_answers WHERE round_id = $1 AND user_id = $2",
        )
        .bind(round)
        .bind(user)
        .fetch_optional(&mut *tx)
        .await
        .context("reading an earlier answer")?;
        let statement = sqlx::query(
            "INSERT INTO survey_answers (round_id, user_id, score, answered_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (round_id, user_id) DO UPDATE SET score = excluded.score, answered_at = excluded.answered_at",
        )
        .bind(round)
        .bind(user)
        .bind(i64::from(score))
        .bind(now_ms);
        run_on(&mut tx, statement, "recording an answer").await?;
        tx.commit().await.context("committing an answer")?;
        Ok(match previous {
            Some(old) => Answered::Changed(u8::try_from(old).unwrap_or(0)),
            None => Answered::New,
        })
    }

    /// Stores an answerer's comment; false when they have not answered this round.
    pub async fn record_survey_comment(
        &self,
        round: i64,
        user: &str,
        comment: &str,
    ) -> anyhow::Result<bool> {
        let statement = sqlx::query(
            "UPDATE survey_answers SET comment = $1 WHERE round_id = $2 AND user_id = $3",
        )
        .bind(comment)
        .bind(round)
        .bind(user);
        Ok(self.run(statement, "recording a comment").await? == 1)
    }

    /// Each invitee's partner and answer in a round.
    pub async fn survey_responses(&self, round: i64) -> anyhow::Result<Vec<SurveyResponse>> {
        let query = sqlx::query_as(
            "SELECT p.name AS partner_name, p.partner_type, a.score, a.comment FROM survey_invites i JOIN partners p ON p.id = i.partner_id \
             LEFT JOIN survey_answers a ON a.round_id = i.round_id AND a.user_id = i.user_id WHERE i.round_id = $1 ORDER BY i.user_id",
        )
        .bind(round);
        self.all(query, "reading survey responses").await
    }

    /// Invitees of a round who have not answered.
    pub async fn survey_unanswered(&self, round: i64) -> anyhow::Result<Vec<Invitee>> {
        let query = sqlx::query_as::<_, Invitee>(
            "SELECT i.user_id, i.partner_id FROM survey_invites i LEFT JOIN survey_answers a ON a.round_id = i.round_id AND a.user_id = i.user_id \
             WHERE i.round_id = $1 AND a.score IS NULL ORDER BY i.user_id",
        )
        .bind(round);
        self.all(query, "listing non-responders").await
    }

    /// Takes a round's next step and queues its messages, once: false (nothing queued) when
    /// the step was already taken.
    pub async fn round_step_once(
        &self,
        round: i64,
        step: RoundStep,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let (sql, what) = match step {
            RoundStep::Remind => ("UPDATE survey_rounds SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL AND closed_at IS NULL", "a round's reminders"),
            RoundStep::Close => ("UPDATE survey_rounds SET closed_at = $1, open_flag = NULL WHERE id = $2 AND closed_at IS NULL", "a round's closing"),
        };
        let step = sqlx::query(sql).bind(now_ms).bind(round);
        self.write_once(step, what, None, messages, now_ms).await
    }

    /// Creates a detractor's follow-up for their manager with its messages, once per user per round.
    pub async fn followup_once(
        &self,
        round: i64,
        user: &str,
        manager: &str,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let create = sqlx::query(
            "INSERT INTO survey_followups (round_id, user_id, manager, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (round_id, user_id) DO NOTHING",
        )
        .bind(round)
        .bind(user)
        .bind(manager)
        .bind(now_ms);
        self.write_once(create, "a follow-up", None, messages, now_ms)
            .await
    }

    /// Marks a follow-up handled; false when it already was (or does not exist).
    pub async fn handle_followup(
        &self,
        round: i64,
        user: &str,
        by: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let statement = sqlx::query("UPDATE survey_followups SET handled_by = $1, handled_at = $2 WHERE round_id = $3 AND user_id = $4 AND handled_at IS NULL")
            .bind(by)
            .bind(now_ms)
            .bind(round)
            .bind(user);
        Ok(self.run(statement, "handling a follow-up").await? == 1)
    }

    /// A user's score and comment in a round.
    pub async fn survey_answer_of(
        &self,
        round: i64,
        user: &str,
    ) -> anyhow::Result<Option<(u8, String)>> {
        let query = sqlx::query_as(
            "SELECT score, comment FROM survey_answers WHERE round_id = $1 AND user_id = $2",
        )
        .bind(round)
        .bind(user);
        let row: Option<(i64, String)> = self.optional(query, "reading an answer").await?;
        Ok(row.map(|(s, c)| (u8::try_from(s).unwrap_or(0), c)))
    }
}
