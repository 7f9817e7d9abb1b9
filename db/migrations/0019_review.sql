-- 0019: what an adversarial review of the hardening found.

-- login_decoys are the pending logins a wrong password gets while its
-- address is under attack (db/login_decoy.go): alike for an account with a
-- second factor, an address with no account, a disabled account and one
-- with no password, keyed by the address as typed (normalised) and tied to
-- no user, so that their code step is counted the same way for all. They
-- last as long as a pending login. sessions.decoy (0017) is no longer set.
CREATE TABLE login_decoys (
	token_hash BLOB PRIMARY KEY,
	email      TEXT NOT NULL,
	expires_at TEXT NOT NULL
) WITHOUT ROWID;

-- reauth_failures counts the wrong passwords typed in one session on the
-- re-authentication and password pages; at the cap the session ends, so a
-- stolen session cookie is good for a few guesses, not an oracle.
ALTER TABLE sessions ADD COLUMN reauth_failures INTEGER NOT NULL DEFAULT 0;

-- Digests queued before 0016 name their reports in their text only, and
-- outbox_mentions was created empty: find the reports there, by the staff
-- link ending a line (".../SEC-1") or the reference column ("UTC  SEC-1 "),
-- so that retention disposes of such a digest with any report it names (a
-- loose match only disposes of a digest early). A sealed digest cannot be
-- read here, and needs no finding: it was queued while reports were sealed,
-- and a digest never quotes the title of a sealed report (`disclose seal`
-- does not touch digests).
INSERT OR IGNORE INTO outbox_mentions (report_id, outbox_id)
	SELECT r.id, o.id FROM outbox o JOIN reports r JOIN programs p ON p.id = r.program_id
	WHERE o.kind = 'digest' AND o.sealed = 0 AND NOT EXISTS (SELECT 1 FROM outbox_mentions m WHERE m.outbox_id = o.id)
		AND (instr(o.body, '/' || p.prefix || '-' || r.number || char(10)) > 0
			OR instr(o.body, 'UTC  ' || p.prefix || '-' || r.number || ' ') > 0);
