-- 0032: single sign-on with OpenID Connect (db/sso.go) and passkeys (db/passkey.go).
--
-- sso_providers: an identity provider that signs staff in, for one
-- organisation (org_id) or for the instance (org_id NULL). client_secret is
-- sealed with the local key. domains is the comma-separated list of email
-- domains it may sign in. role_mode 'existing' signs in existing accounts
-- only; 'groups' gives the role that group_roles maps from the groups claim
-- (lines "role=group"), creating the account when there is none.
-- require_2fa: the account's own second factor is asked after the provider.
CREATE TABLE sso_providers (
	id            INTEGER PRIMARY KEY,
	org_id        INTEGER REFERENCES organisations (id) ON DELETE CASCADE,
	name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
	issuer        TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
	client_id     TEXT NOT NULL CHECK (length(client_id) BETWEEN 1 AND 500),
	client_secret TEXT NOT NULL,
	domains       TEXT NOT NULL CHECK (length(domains) BETWEEN 1 AND 2000),
	role_mode     TEXT NOT NULL CHECK (role_mode IN ('existing', 'groups')),
	groups_claim  TEXT NOT NULL DEFAULT '',
	group_roles   TEXT NOT NULL DEFAULT '',
	require_2fa   INTEGER NOT NULL DEFAULT 0,
	created_at    TEXT NOT NULL
);
CREATE INDEX sso_providers_org ON sso_providers (org_id);

-- sso_logins: a sign-in sent to a provider and not back yet. The state
-- sent to the provider and the browser's cookie are kept only as SHA-256
-- hashes; the nonce and the PKCE verifier are sealed. Single use: the
-- callback deletes the row whatever happens next.
CREATE TABLE sso_logins (
	state_hash   BLOB PRIMARY KEY,
	provider_id  INTEGER NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
	browser_hash BLOB NOT NULL,
	nonce        TEXT NOT NULL,
	verifier     TEXT NOT NULL,
	next         TEXT NOT NULL,
	expires_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sso_logins_expires ON sso_logins (expires_at);
CREATE INDEX sso_logins_provider ON sso_logins (provider_id);

-- sso_identities: the provider's subject of an account, bound at its first
-- sign-in, so a later change of the address at the provider cannot move
-- the sign-in to another account.
CREATE TABLE sso_identities (
	provider_id  INTEGER NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
	subject      TEXT NOT NULL,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   TEXT NOT NULL,
	last_used_at TEXT NOT NULL,
	PRIMARY KEY (provider_id, subject)
) WITHOUT ROWID;
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- passkeys: WebAuthn credentials of staff accounts, a second factor beside
-- TOTP and a sign-in without password. credential is the relying party's
-- credential record as JSON (public key, sign counter, flags, AAGUID): no
-- secret, so it is not sealed. The user handle the authenticator keeps is
-- the account's id (8 bytes), no personal data.
CREATE TABLE passkeys (
	id            INTEGER PRIMARY KEY,
	user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	credential_id BLOB NOT NULL UNIQUE,
	name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
	credential    TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	last_used_at  TEXT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- passkey_challenges: a WebAuthn ceremony under way (go-webauthn's session
-- data as JSON, with the challenge), named by the SHA-256 hash of a cookie
-- of the browser that began it. Single use, short-lived. user_id is the
-- account registering or signing in with its second factor; NULL for a
-- sign-in without password (the authenticator names the account).
CREATE TABLE passkey_challenges (
	token_hash BLOB PRIMARY KEY,
	user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
	purpose    TEXT NOT NULL CHECK (purpose IN ('register', 'login', 'second_factor')),
	session    TEXT NOT NULL,
	expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX passkey_challenges_expires ON passkey_challenges (expires_at);
CREATE INDEX passkey_challenges_user ON passkey_challenges (user_id);

-- login_failures is purged of old rows at every sign-in attempt (also a
-- passkey's second factor after the password): by this index, not by a
-- walk of every row a password sprayer left within the window.
CREATE INDEX login_failures_first ON login_failures (first_at);
