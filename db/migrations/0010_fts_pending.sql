-- 0010: report text is indexed once per write transaction, not once per
-- report. FTS5 writes its pending terms out as a new index segment at every
-- statement savepoint, so indexing from the insert trigger wrote one segment
-- (and later merged it) for each report of a group commit. New reports are
-- now only listed here; Tx.Commit indexes the listed rows with one statement
-- just before the commit, so the index is complete whenever the transaction
-- is visible.
CREATE TABLE reports_fts_pending (
	id INTEGER PRIMARY KEY
);

DROP TRIGGER reports_fts_insert;
CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports WHEN new.sealed = 0 BEGIN
	INSERT INTO reports_fts_pending (id) VALUES (new.id);
END;

-- A listed row is not in the index yet: changing or deleting it must not
-- remove terms that were never added (that would corrupt the index), and
-- a deleted row leaves the list.
DROP TRIGGER reports_fts_delete;
CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports WHEN old.sealed = 0 BEGIN
	INSERT INTO reports_fts (reports_fts, rowid, title, asset, description, steps, impact)
	SELECT 'delete', old.id, old.title, old.asset, old.description, old.steps, old.impact
	WHERE NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE id = old.id);
	DELETE FROM reports_fts_pending WHERE id = old.id;
END;

-- One update trigger removes the old text and then adds the new. There were
-- two, and SQLite runs the triggers of one event newest first: the new text
-- was added under the row id before the old was removed, which damaged the
-- index ("database disk image is malformed" on the next search) whenever a
-- triager edited a report's text.
DROP TRIGGER reports_fts_update_old;
DROP TRIGGER reports_fts_update_new;
CREATE TRIGGER reports_fts_update AFTER UPDATE OF title, asset, description, steps, impact, sealed ON reports
WHEN NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE id = new.id) BEGIN
	INSERT INTO reports_fts (reports_fts, rowid, title, asset, description, steps, impact)
	SELECT 'delete', old.id, old.title, old.asset, old.description, old.steps, old.impact
	WHERE old.sealed = 0;
	INSERT INTO reports_fts (rowid, title, asset, description, steps, impact)
	SELECT new.id, new.title, new.asset, new.description, new.steps, new.impact
	WHERE new.sealed = 0;
END;

-- Rebuild the index from the reports, so that one damaged by edits under
-- the old triggers is whole again. Sealed rows stay out of it.
INSERT INTO reports_fts (reports_fts) VALUES ('delete-all');
INSERT INTO reports_fts (rowid, title, asset, description, steps, impact)
SELECT id, title, asset, description, steps, impact FROM reports WHERE sealed = 0 ORDER BY id;
