-- 0026: invitations to an organisation. An organisation's admin no longer
-- gives an address a role directly: the address gets a one-time link by
-- mail (through the outbox), and the membership exists only once the
-- account's owner, signed in as that account (or choosing the password of
-- a new one through the link), accepts it. Neither the admin nor anyone
-- else ever sees the link, so an account cannot be taken over by whoever
-- added its address, and an account that exists already is never drawn
-- into another organisation without its owner's consent.
--
-- token_hash is the SHA-256 of the link's token (as user_tokens); one
-- pending invitation per organisation and account, a new one replaces it.
CREATE TABLE org_invites (
	id         INTEGER PRIMARY KEY,
	org_id     INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role       TEXT NOT NULL CHECK (role IN ('admin', 'triager', 'viewer')),
	token_hash BLOB NOT NULL UNIQUE,
	invited_by TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	UNIQUE (org_id, user_id)
);
CREATE INDEX org_invites_user ON org_invites (user_id);

-- Setup links made before invitations for accounts that belong to an
-- organisation were shown to whoever added the address (possibly another
-- tenant's admin): the unused ones stop working. The operator sends a new
-- one (disclose user reset --email E), or the organisation invites again.
DELETE FROM user_tokens WHERE purpose = 'setup' AND used_at IS NULL
	AND user_id IN (SELECT user_id FROM org_members)
	AND user_id IN (SELECT id FROM users WHERE password_hash = '');
