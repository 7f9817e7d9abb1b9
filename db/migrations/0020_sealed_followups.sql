-- 0020: what the hardening of sealed mode left open.
--
-- sealed_search_changes (0018) gained a row per edit or deletion of a sealed
-- report and was never pruned. The in-memory index that reads it lives in
-- each process, so no process knows what the others applied: each row now
-- carries when it was made, and the table keeps the last 10,000 rows and
-- every row younger than a day (pruned from the trigger, every 64th row). An
-- index that finds that changes it had not applied were pruned (it was not
-- searched for a day of heavy editing) builds itself again
-- (fts_memory_catchup.go). Rows from before this migration count as old.
ALTER TABLE sealed_search_changes ADD COLUMN at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sealed_search_changes_at ON sealed_search_changes (at);

DROP TRIGGER sealed_search_update;
CREATE TRIGGER sealed_search_update AFTER UPDATE OF title, asset, description, steps, impact, sealed, program_id ON reports
WHEN (old.sealed = 1 OR new.sealed = 1) AND (old.title IS NOT new.title OR old.asset IS NOT new.asset
	OR old.description IS NOT new.description OR old.steps IS NOT new.steps OR old.impact IS NOT new.impact
	OR old.sealed IS NOT new.sealed OR old.program_id IS NOT new.program_id) BEGIN
	INSERT INTO sealed_search_changes (report_id, at) VALUES (new.id, unixepoch());
END;

DROP TRIGGER sealed_search_delete;
CREATE TRIGGER sealed_search_delete AFTER DELETE ON reports WHEN old.sealed = 1 BEGIN
	INSERT INTO sealed_search_changes (report_id, at) VALUES (old.id, unixepoch());
END;

CREATE TRIGGER sealed_search_prune AFTER INSERT ON sealed_search_changes WHEN new.seq % 64 = 0 BEGIN
	DELETE FROM sealed_search_changes WHERE seq <= new.seq - 10000
		AND seq <= (SELECT MAX(seq) FROM sealed_search_changes WHERE at < unixepoch() - 86400);
END;

-- Notes in clear. messages.pgp_note and mail_raw.note hold error text and
-- the names of mailed files ("The attachment "acme-sso-bypass.py.pgp" is
-- encrypted to another key"), which are report content: with sealing on
-- they are sealed like the row's other text, and these flags say which are
-- (a note written before this migration is clear, in a sealed row too).
-- Clear notes count as plaintext rows (PlainRows, word for word); disclose
-- seal converts them.
ALTER TABLE messages ADD COLUMN pgp_note_sealed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_raw ADD COLUMN note_sealed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_plain_note ON messages (id) WHERE pgp_note <> '' AND pgp_note_sealed = 0;
CREATE INDEX mail_raw_plain_note ON mail_raw (id) WHERE note <> '' AND note_sealed = 0;
