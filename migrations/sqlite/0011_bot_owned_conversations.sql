-- A conversation a workflow's message opened (none was open) belongs to that run until a
-- person is involved: it stays out of the inbox and closes itself when the run ends.
-- NULL: an ordinary conversation (or one handed over to people).
ALTER TABLE conversations ADD COLUMN bot_run_id INTEGER;
