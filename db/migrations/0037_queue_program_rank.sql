-- 0037: the queue by severity within one program or one state.
--
-- A user who sees one program (a client organisation's), or anyone who
-- filters the queue to one program, sorted by severity: the queue walked
-- reports_program_id and sorted every report of the program (0.5-0.8 s at
-- a million reports when one program held a third of them). The admin's
-- tab of one state by severity sorted every report of the state (triaged:
-- 175 ms). reports_program_rank holds each program's reports by state and
-- severity rank, so one state is one range read backwards and a tab is its
-- states' ranges merged (queue_sort.go); reports_state_rank the same for
-- every program. A walk of reports_open_rank filtered by state is no
-- substitute: state and severity go together (spam and new reports are
-- mostly unrated), and the closed tab's spam came after every rated report.
-- Their severity expression is exactly reports_severity_rank's, which the
-- queue's SQL matches. Each is one more entry written per report and moved
-- on a change of state or severity.
CREATE INDEX reports_program_rank ON reports (program_id, state, (CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4
	WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'none' THEN 1 ELSE 0 END), id);
CREATE INDEX reports_state_rank ON reports (state, (CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4
	WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'none' THEN 1 ELSE 0 END), id);
