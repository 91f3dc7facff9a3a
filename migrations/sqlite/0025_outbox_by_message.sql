-- Shortcuts used in a deal's thread find the deal by the thread root's platform message id, and
-- links to a deal's thread look its root messages up by deal (issue 14, points 2 and 4).
CREATE INDEX outbox_by_message ON outbox (channel, platform_message_id) WHERE platform_message_id IS NOT NULL;
CREATE INDEX outbox_by_deal ON outbox (deal_id, kind) WHERE deal_id IS NOT NULL;
