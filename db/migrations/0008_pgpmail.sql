-- 0008: OpenPGP on inbound mail. Each timeline entry made from a mail says
-- whether it came encrypted and what its signature was; mail that arrived
-- encrypted while the team key was locked waits (pgp_state 'pending') and is
-- decrypted from its kept raw bytes once the key is unlocked.

-- pgp_state: '' (not encrypted), 'decrypted', 'pending' (key locked),
-- 'failed' (could not be decrypted; pgp_note says why).
-- pgp_signature: '' (unsigned), 'verified', 'unknown_key', 'bad'.
ALTER TABLE messages ADD COLUMN pgp_state TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN pgp_signature TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN pgp_signer TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN pgp_note TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_pgp_pending ON messages (pgp_state) WHERE pgp_state = 'pending';

-- pgp_key_candidates are public keys that came with a mail (attached or in
-- an Autocrypt header), offered to the triager to save for the report's
-- reporter. A key is never trusted for the reporter until a triager accepts it.
CREATE TABLE pgp_key_candidates (
	id          INTEGER PRIMARY KEY,
	report_id   INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	entry_id    INTEGER REFERENCES messages (id) ON DELETE SET NULL,
	fingerprint TEXT NOT NULL,
	armored     TEXT NOT NULL,
	origin      TEXT NOT NULL CHECK (origin IN ('attachment', 'autocrypt')),
	accepted_at TEXT,
	accepted_by INTEGER REFERENCES users (id),
	created_at  TEXT NOT NULL,
	UNIQUE (report_id, fingerprint)
);
