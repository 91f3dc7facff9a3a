-- Who a partner's admins are, as their platform names them (a Slack user id, a Teams user's
-- Entra object id): the people told privately, in the partner's channel, about what only they
-- should see (tier changes with their commission factors; issue 14, point 6). A manager sets
-- the list; setting it replaces it.
CREATE TABLE partner_admins (
    partner_id BIGINT NOT NULL REFERENCES partners (id),
    user_id    TEXT   NOT NULL,
    added_at   BIGINT NOT NULL,
    added_by   TEXT   NOT NULL,
    PRIMARY KEY (partner_id, user_id)
);
