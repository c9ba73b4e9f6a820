-- Whether an outbox entry may already be in the ERP, and which version of
-- its payload's shape it carries.
--
-- in_flight: 1 from just before the first request that sends the entry
--   (committed before the request leaves) until the ERP's answer settles it
--   (accepted, refused, or a warning) or a lookup by uuid finds where it
--   stands. While it is 1 the entry may be in the ERP whatever `attempts`
--   says (a crash between the ERP's commit and ours, an answer lost, a
--   non-JSON page from a proxy), so it cannot be edited, retried or
--   discarded until a sync has settled it.
-- first_sent_at: when a request first carried it (never cleared): NULL
--   proves nothing of it ever left the laptop.
-- payload_version: the shape of `payload` (1: the shape of schemas 3 and 4).
--   A reader that meets a version it does not know quarantines the entry
--   instead of guessing.
ALTER TABLE outbox ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0 CHECK (in_flight IN (0, 1));
ALTER TABLE outbox ADD COLUMN first_sent_at TEXT;
ALTER TABLE outbox ADD COLUMN payload_version INTEGER NOT NULL DEFAULT 1;

-- Before this schema nothing recorded a request that began and got no
-- answer: a crash after the ERP committed left `attempts` at 0. Every
-- entry still pending may therefore be in the ERP; the next sync looks
-- each up by its uuid and settles it.
UPDATE outbox SET in_flight = 1, first_sent_at = updated_at WHERE state = 'pending';
