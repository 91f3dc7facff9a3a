-- Exactly-once delivery with several replicas: a fencing token per claim, pending rows found per
-- channel in order, and one failure notice per failure kind and hour.

-- Bumped by every claim; a worker acts on a row only while its claim's version is still current.
ALTER TABLE outbox ADD COLUMN lease_version BIGINT NOT NULL DEFAULT 0;

-- Claims look at each channel's oldest pending rows.
CREATE INDEX outbox_pending_by_channel ON outbox (channel, id) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Permanent delivery failures already reported to the managers, by kind and hour.
CREATE TABLE delivery_alerts (
    failure_kind TEXT   NOT NULL,
    hour         BIGINT NOT NULL,
    outbox_id    BIGINT NOT NULL,
    PRIMARY KEY (failure_kind, hour)
);
