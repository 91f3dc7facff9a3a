-- Protection extensions: how many were granted, a pending request's justification, and the
-- stage at registration (a first extension is automatic when the stage has advanced since).
ALTER TABLE deals ADD COLUMN extensions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN extension_request TEXT;
ALTER TABLE deals ADD COLUMN registered_stage TEXT NOT NULL DEFAULT '';
UPDATE deals SET registered_stage = stage WHERE registered_stage = '';
