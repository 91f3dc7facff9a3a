-- The file a Slack message's image block shows (the digest's chart), uploaded privately before
-- the message is posted. Recorded before the post, so a retry after a failed or timed-out
-- chat.postMessage reuses the file instead of uploading it again (issue 14, point 5).
CREATE TABLE slack_uploads (
    outbox_id   INTEGER PRIMARY KEY REFERENCES outbox (id),
    file_id     TEXT    NOT NULL,
    uploaded_at BIGINT  NOT NULL
);
