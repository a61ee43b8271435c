-- The test chat's clock: a session may pretend it is another time ("Saturday 10:00 in
-- Tokyo"). Its runs see the real time plus this offset (milliseconds); timers stay in real
-- time, so they fire when the session's clock reaches them.
ALTER TABLE test_sessions ADD COLUMN clock_offset_ms BIGINT NOT NULL DEFAULT 0;
