-- Neutral names for who and where (issue 11, point 3): a partner's shared conversation may be a
-- Slack channel or a Teams channel, so partners gain their platform ('slack' for every partner
-- linked so far) and the Slack-named columns get neutral names. Renames keep every row, index
-- and constraint as they are.
ALTER TABLE partners ADD COLUMN platform TEXT NOT NULL DEFAULT 'slack';
ALTER TABLE partners RENAME COLUMN slack_channel TO conversation;
ALTER TABLE partners RENAME COLUMN slack_team TO workspace;
ALTER TABLE partner_users RENAME COLUMN slack_user TO user_id;
ALTER TABLE partner_users RENAME COLUMN slack_team TO workspace;
ALTER TABLE survey_invites RENAME COLUMN slack_user TO user_id;
ALTER TABLE survey_answers RENAME COLUMN slack_user TO user_id;
ALTER TABLE survey_followups RENAME COLUMN slack_user TO user_id;
ALTER TABLE slack_events RENAME TO inbound_events;
