-- 0037: one program's queue by severity.
--
-- A user who sees one program (a client organisation's), or anyone who
-- filters the queue to one program, sorted by severity: the queue walked
-- reports_program_id and sorted every report of the program (2.6 s at a
-- million reports when one program held a third of them). This index holds
-- each program's reports by open group and severity rank, so a page of the
-- open or closed tab is one range read backwards, and every state is the
-- two ranges merged (queue_sort.go). Its expressions are exactly those of
-- reports_open_rank (migration 0022), which the queue's SQL matches.
CREATE INDEX reports_program_rank ON reports (program_id, (state IN ('new', 'triaged', 'needs_info', 'resolved')),
	(CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
	WHEN 'low' THEN 2 WHEN 'none' THEN 1 ELSE 0 END), id);
