-- 0031: personal access tokens of the JSON API (/api/v1/).
--
-- A token belongs to one staff account and never reaches more than it: what
-- a request may do is computed at each request from the account's roles as
-- they are then, the token's scope (read < write < admin) and its optional
-- organisation limit (that organisation's programs and its children's).
-- Only a keyed hash of the token is kept (local key, purpose "api-token"),
-- so a copy of the database or of a backup opens nothing. A revoked token
-- is deleted (the audit log keeps its story); disabling an account deletes
-- its tokens (trigger below), so enabling it again brings none back.
CREATE TABLE api_tokens (
	id             INTEGER PRIMARY KEY,
	user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash     BLOB NOT NULL UNIQUE,
	name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	scope          TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
	org_id         INTEGER REFERENCES organisations (id) ON DELETE CASCADE,
	created_at     TEXT NOT NULL,
	expires_at     TEXT,
	last_used_at   TEXT,
	last_used_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_org ON api_tokens (org_id) WHERE org_id IS NOT NULL;

CREATE TRIGGER api_tokens_end_on_disable AFTER UPDATE OF disabled ON users WHEN new.disabled <> 0 BEGIN
	DELETE FROM api_tokens WHERE user_id = new.id;
END;
