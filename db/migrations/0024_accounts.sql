-- 0024: accounts that look after themselves: password reset requested by
-- the user, and the review of inactive accounts.
--
-- reset_requests counts "forgot your password?" requests per address over
-- an hour (AuthPolicy.ResetPerAddress). The key is a keyed hash (local key,
-- purpose "reset-request") of the lower-cased address as typed, counted
-- whether or not it is an account: the table tells nothing about which
-- addresses are accounts, and a backup does not hold the addresses
-- strangers typed.
CREATE TABLE reset_requests (
	key_hash BLOB PRIMARY KEY,
	requests INTEGER NOT NULL,
	first_at TEXT NOT NULL
);

-- enabled_at is when an admin last enabled the account again. Inactivity
-- counts from the latest of created_at, last_login_at and enabled_at, so an
-- account enabled again after the review disabled it is not disabled at
-- the next run before its owner could sign in.
ALTER TABLE users ADD COLUMN enabled_at TEXT;
