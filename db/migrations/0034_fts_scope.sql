-- 0034: the search index carries each report's program as one more
-- column (scope, a token 'p<program id>'), so that a search within a few
-- programs is one full-text query, `(words) AND scope : ("p1" OR ...)`,
-- and FTS5 intersects the two lists by seeking the longer by the shorter.
-- Before, such a search either walked the word's matches until a page of
-- the user's programs was full, or walked the programs' reports checking
-- each against the index (about 60 µs a report for a common word: FTS5
-- seeks the word's whole list per row; queue_scope.go). The scope is only
-- a speed-up: the queries still filter on r.program_id, and a user's words
-- are matched in the text columns only (ftsQuery), so no one can type a
-- scope.
--
-- reports.scope is a virtual generated column: the external-content table
-- reads its columns from reports by name. FTS5 cannot add a column, so the
-- index is made again and filled from the reports (sealed rows stay out of
-- it, as in 0010): at a million reports this takes minutes (README,
-- "At a million reports").
ALTER TABLE reports ADD COLUMN scope TEXT GENERATED ALWAYS AS ('p' || program_id) VIRTUAL;

DROP TRIGGER reports_fts_delete;
DROP TRIGGER reports_fts_update;
DROP TABLE reports_fts;
CREATE VIRTUAL TABLE reports_fts USING fts5 (
	title, asset, description, steps, impact, scope,
	content = 'reports', content_rowid = 'id', tokenize = 'porter unicode61'
);
-- bm25 over the text only: the scope's phrases of a query add nothing to
-- a report's relevance.
INSERT INTO reports_fts (reports_fts, rank) VALUES ('rank', 'bm25(1.0, 1.0, 1.0, 1.0, 1.0, 0.0)');
INSERT INTO reports_fts (reports_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports WHEN old.sealed = 0 BEGIN
	INSERT INTO reports_fts (reports_fts, rowid, title, asset, description, steps, impact, scope)
	SELECT 'delete', old.id, old.title, old.asset, old.description, old.steps, old.impact, old.scope
	WHERE NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE id = old.id);
	DELETE FROM reports_fts_pending WHERE id = old.id;
END;

-- A report that moves to another program is indexed again under its new
-- scope (the old values out first, then the new: see 0010).
CREATE TRIGGER reports_fts_update AFTER UPDATE OF title, asset, description, steps, impact, sealed, program_id ON reports
WHEN NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE id = new.id) BEGIN
	INSERT INTO reports_fts (reports_fts, rowid, title, asset, description, steps, impact, scope)
	SELECT 'delete', old.id, old.title, old.asset, old.description, old.steps, old.impact, old.scope
	WHERE old.sealed = 0;
	INSERT INTO reports_fts (rowid, title, asset, description, steps, impact, scope)
	SELECT new.id, new.title, new.asset, new.description, new.steps, new.impact, new.scope
	WHERE new.sealed = 0;
END;

-- The index is filled by fillScopedIndex (fts_scope_migrate.go), in the
-- same transaction, saying how far it is.
