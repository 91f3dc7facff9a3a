-- Outbox rows become typed notices with a neutral address, rendered by the platform's adapter
-- when they are delivered. Rows queued by earlier releases keep their finished Slack payload
-- (`body_format` 'slack_payload') and are delivered as stored; new rows hold a serialised notice.
-- Thread roots and "update that message" targets are resolved at delivery from the stored
-- platform message id, so a reply queued before its root was delivered waits for the root.

-- Which chat platform delivers the row.
ALTER TABLE outbox ADD COLUMN platform TEXT NOT NULL DEFAULT 'slack';
-- What `payload` holds: a finished Slack payload (earlier releases) or a notice.
ALTER TABLE outbox ADD COLUMN body_format TEXT NOT NULL DEFAULT 'slack_payload';
-- Post in the thread of this message: {"posted": id} or {"deal_message": kind} (the deal's first
-- delivered message of that kind).
ALTER TABLE outbox ADD COLUMN thread_of TEXT;
-- Update this message in place rather than posting a new one (same forms as thread_of).
ALTER TABLE outbox ADD COLUMN replaces TEXT;
-- The platform's id of the delivered message (Slack's ts).
ALTER TABLE outbox RENAME COLUMN slack_ts TO platform_message_id;

-- Pending rows of earlier releases that answer in a deal's thread but were written before the
-- thread's root was delivered (so without a thread_ts): thread them under the deal's review card
-- in the managers' channel, or under its confirmation in the partner's channel.
UPDATE outbox SET thread_of = (
        SELECT CASE r.kind WHEN 'review_card' THEN '{"deal_message":"review_card"}'
                           ELSE '{"deal_message":"deal_confirmation"}' END
        FROM outbox r
        WHERE r.deal_id = outbox.deal_id AND r.channel = outbox.channel
          AND r.kind IN ('review_card', 'deal_confirmation') AND r.id < outbox.id
        ORDER BY r.id LIMIT 1)
WHERE delivered_at IS NULL AND failed_at IS NULL AND deal_id IS NOT NULL AND ephemeral_user IS NULL
  AND kind NOT IN ('review_card', 'deal_confirmation', 'review_card_update', 'ae_alert')
  AND payload NOT LIKE '%"thread_ts":%' AND payload NOT LIKE '%"ts":%';

-- Pending updates of a review card whose card was not delivered when they were written: update
-- the card once it is delivered.
UPDATE outbox SET replaces = '{"deal_message":"review_card"}'
WHERE delivered_at IS NULL AND failed_at IS NULL AND deal_id IS NOT NULL
  AND kind = 'review_card_update' AND payload NOT LIKE '%"ts":%';
