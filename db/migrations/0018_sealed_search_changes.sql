-- 0018: the in-memory search index of sealed reports (db/fts_memory.go)
-- must follow every change, whichever process makes it (serve, mailin --once
-- from cron, retention). New reports it finds by their id, which only grows;
-- a change to the searchable text, the program or the sealing of an existing
-- report, and the deletion of one, is listed here by these triggers. A
-- search reads the highest id and the highest seq with one indexed query and
-- applies only what is new. The table holds report ids, never text.
CREATE TABLE sealed_search_changes (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	report_id INTEGER NOT NULL
);

CREATE TRIGGER sealed_search_update AFTER UPDATE OF title, asset, description, steps, impact, sealed, program_id ON reports
WHEN (old.sealed = 1 OR new.sealed = 1) AND (old.title IS NOT new.title OR old.asset IS NOT new.asset
	OR old.description IS NOT new.description OR old.steps IS NOT new.steps OR old.impact IS NOT new.impact
	OR old.sealed IS NOT new.sealed OR old.program_id IS NOT new.program_id) BEGIN
	INSERT INTO sealed_search_changes (report_id) VALUES (new.id);
END;

CREATE TRIGGER sealed_search_delete AFTER DELETE ON reports WHEN old.sealed = 1 BEGIN
	INSERT INTO sealed_search_changes (report_id) VALUES (old.id);
END;
