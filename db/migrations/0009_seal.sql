-- 0009: sealed mode (see db/seal.go). Outgoing mail quotes the report, so
-- with sealing on the outbox keeps its recipient, subject and body sealed
-- too; the sender opens them with the unlocked key (OpenOutMail).
ALTER TABLE outbox ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;

-- A public key that came with a mail names its owner (user IDs): sealed
-- like the reporter's contact.
ALTER TABLE pgp_key_candidates ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
