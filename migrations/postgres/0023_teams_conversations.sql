-- Where Teams can be reached (issue 12): a Bot Framework conversation reference, captured from
-- every authenticated inbound activity. Proactive messages need the conversation's serviceUrl
-- and tenant; a 1:1 needs the user's Teams id (29:…), found by it or by their Entra object id.
CREATE TABLE teams_conversations (
    -- The conversation id without any ";messageid=" reply-chain suffix.
    conversation_id TEXT PRIMARY KEY,
    service_url TEXT NOT NULL,
    tenant_id TEXT NOT NULL DEFAULT '',
    -- personal, groupChat or channel, as Teams sends it ('' when not sent).
    conversation_type TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

CREATE TABLE teams_users (
    -- The bot-specific Teams user id (29:…).
    user_id TEXT PRIMARY KEY,
    -- The Entra (AAD) object id, when Teams sent it.
    aad_object_id TEXT,
    service_url TEXT NOT NULL,
    tenant_id TEXT NOT NULL DEFAULT '',
    -- The user's 1:1 conversation with the bot, once seen.
    personal_conversation TEXT,
    updated_at BIGINT NOT NULL
);

CREATE INDEX teams_users_by_aad ON teams_users (aad_object_id);
