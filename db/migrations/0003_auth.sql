-- 0003: staff credentials. Passwords are argon2id strings carrying their own
-- parameters; sessions, setup/reset tokens and recovery codes are stored only
-- as SHA-256 hashes of the random values the browser or the operator holds.

ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
-- totp_last_step refuses a code used twice within its 30-second window.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at TEXT;

CREATE TABLE sessions (
	token_hash   BLOB PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	-- stage is 'full' or 'password' (password checked, second factor pending).
	stage        TEXT NOT NULL DEFAULT 'full' CHECK (stage IN ('full', 'password')),
	client_addr  TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- user_tokens are one-time links: 'setup' (first password of a new account,
-- or the first admin when user_id is NULL) and 'reset' (password reset).
CREATE TABLE user_tokens (
	token_hash BLOB PRIMARY KEY,
	user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
	purpose    TEXT NOT NULL CHECK (purpose IN ('setup', 'reset', 'first_admin')),
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at    TEXT
);
CREATE INDEX user_tokens_user ON user_tokens (user_id);

CREATE TABLE recovery_codes (
	user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash BLOB NOT NULL,
	used_at   TEXT,
	PRIMARY KEY (user_id, code_hash)
);

-- login_failures counts login attempts that did not succeed, per account
-- ('email:' + lower-cased address, whether or not the account exists, so the
-- lockout reveals nothing) and per client ('addr:' + address), over a window.
CREATE TABLE login_failures (
	key          TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	first_at     TEXT NOT NULL,
	locked_until TEXT
);
