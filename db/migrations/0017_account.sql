-- 0017: staff account self-service, and sign-in while an account is under
-- attack.
--
-- reauth_at is when the session's user last typed their password (at
-- sign-in or on the re-authentication page): setting up or replacing a
-- second factor needs it recent (AuthPolicy.ReauthWindow). Sessions older
-- than this migration have none and ask for the password first.
ALTER TABLE sessions ADD COLUMN reauth_at TEXT;

-- guarded marks a login awaiting its code that began while the account
-- was under attack (many failures from several networks): its password
-- step answered alike for a right and a wrong password, so the code step
-- answers alike too. decoy marks such a login whose password was wrong: it
-- looks like any other until its code is sent, and never becomes a session.
ALTER TABLE sessions ADD COLUMN guarded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN decoy INTEGER NOT NULL DEFAULT 0;

-- login_failures keys since 0017: 'pair:' + account + '|' + client network
-- (IPv4 /24, IPv6 /64) locks one account for one network; 'email:' counts
-- an account's failures from everywhere (a backoff, never a lock of a
-- right password plus second factor); '2fa:' counts wrong codes after a
-- right password; 'addr:' counts one client's failures over all accounts.
