//! `partnerbot outbox list [--failed] [--pending]` and `partnerbot outbox retry ID…`: what waits
//! for delivery, what Slack refused and why, and sending refused messages again once the cause
//! (a missing scope, the bot not in a channel) is fixed.

use crate::store::{OutboxFilter, OutboxRow, Store};
use anyhow::Context;
use std::io::Write;

/// Rows `outbox list` shows at most (newest first).
pub const LIST_LIMIT: i64 = 500;

fn age(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7_199 => format!("{}m", secs / 60),
        7_200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

fn state(row: &OutboxRow, now_ms: i64) -> String {
    match (row.failed_at, row.delivered_at) {
        (_, Some(_)) => "delivered".into(),
        (Some(_), None) => "failed".into(),
        (None, None) if row.next_attempt_at > now_ms => {
            format!("retry in {}", age(row.next_attempt_at - now_ms))
        }
        (None, None) => "pending".into(),
    }
}

/// Writes one line per row: id, state, age, attempts, kind, channel, deal and last error.
pub async fn list(
    store: &Store,
    filter: OutboxFilter,
    now_ms: i64,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let rows = store.list_outbox(filter, LIST_LIMIT).await?;
    writeln!(out, "id\tstate\tage\tattempts\tkind\tchannel\tdeal\terror")?;
    for row in &rows {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.id,
            state(row, now_ms),
            age(now_ms - row.created_at),
            row.attempts,
            row.kind,
            row.channel,
            row.deal_id
                .map_or("-".into(), |d| crate::domain::DealId(d).to_string()),
            row.last_error.as_deref().unwrap_or("-")
        )?;
    }
    if rows.is_empty() {
        writeln!(out, "(nothing)")?;
    }
    Ok(rows.len())
}

/// Re-queues failed rows by id; names the ids that were not failed (delivered, pending or
/// unknown) instead of touching them.
pub async fn retry(store: &Store, ids: &[String], now_ms: i64) -> anyhow::Result<String> {
    if ids.is_empty() {
        anyhow::bail!(
            "outbox retry: give at least one outbox id (see `partnerbot outbox list --failed`)"
        );
    }
    let parsed = ids
        .iter()
        .map(|raw| {
            raw.trim().parse::<i64>().with_context(|| {
                format!("outbox retry: “{raw}” is not an outbox id (a number from `outbox list`)")
            })
        })
        .collect::<anyhow::Result<Vec<i64>>>()?;
    let requeued = store.retry_failed(&parsed, now_ms).await?;
    let skipped: Vec<String> = parsed
        .iter()
        .filter(|id| !requeued.contains(id))
        .map(i64::to_string)
        .collect();
    let mut answer = format!(
        "{} message(s) queued again; `partnerbot serve` delivers them",
        requeued.len()
    );
    if !skipped.is_empty() {
        answer.push_str(&format!("\nnot failed, left alone: {}", skipped.join(", ")));
    }
    Ok(answer)
}
