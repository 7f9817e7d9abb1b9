-- 0025: the hourly forgetting of reset requests (DELETE ... WHERE first_at < ?)
-- reads an index instead of every row: strangers choose how many addresses
-- they type, so the table must not be walked on each request.
CREATE INDEX reset_requests_first_at ON reset_requests (first_at);
