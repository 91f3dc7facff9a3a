-- Managers' decisions on registrations and the protection window an approval starts.
ALTER TABLE deals ADD COLUMN protected_until TEXT;
ALTER TABLE deals ADD COLUMN decided_by TEXT;
ALTER TABLE deals ADD COLUMN decision_note TEXT NOT NULL DEFAULT '';
