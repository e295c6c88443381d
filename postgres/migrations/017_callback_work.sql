-- The missed-call list becomes outbound work: an entry waits, is being
-- dialled, was reached, or is unreachable after the allowed attempts
-- (or was cancelled). attempts now counts the hotline's dial attempts;
-- calls counts the citizen's missed calls merged into the entry. An
-- outbound call names the entry it works, so its end moves the entry.

ALTER TABLE callbacks DROP CONSTRAINT callbacks_state_check;
DROP INDEX callbacks_open_phone;
ALTER TABLE callbacks ADD COLUMN calls integer NOT NULL DEFAULT 1 CHECK (calls >= 1),
    ADD COLUMN agent text NOT NULL DEFAULT '',
    ADD COLUMN last_attempt_at timestamptz;
UPDATE callbacks SET calls = attempts, attempts = 0,
    state = CASE state WHEN 'open' THEN 'waiting' WHEN 'done' THEN 'reached' ELSE state END;
ALTER TABLE callbacks ALTER COLUMN attempts SET DEFAULT 0,
    DROP CONSTRAINT callbacks_attempts_check,
    ADD CONSTRAINT callbacks_attempts_check CHECK (attempts >= 0),
    ADD CONSTRAINT callbacks_state_check CHECK (state IN ('waiting', 'dialling', 'reached', 'unreachable', 'cancelled'));
CREATE UNIQUE INDEX callbacks_open_phone ON callbacks (phone) WHERE state IN ('waiting', 'dialling');
CREATE INDEX callbacks_due ON callbacks (due_at, id) WHERE state = 'waiting';

ALTER TABLE calls ADD COLUMN callback_id bigint REFERENCES callbacks (id);

---- create above / drop below ----

ALTER TABLE calls DROP COLUMN callback_id;
DROP INDEX callbacks_due;
DROP INDEX callbacks_open_phone;
ALTER TABLE callbacks DROP CONSTRAINT callbacks_state_check, DROP CONSTRAINT callbacks_attempts_check;
UPDATE callbacks SET attempts = calls,
    state = CASE state WHEN 'waiting' THEN 'open' WHEN 'dialling' THEN 'open' WHEN 'reached' THEN 'done' ELSE 'cancelled' END;
ALTER TABLE callbacks DROP COLUMN calls, DROP COLUMN agent, DROP COLUMN last_attempt_at,
    ALTER COLUMN attempts SET DEFAULT 1,
    ADD CONSTRAINT callbacks_attempts_check CHECK (attempts >= 1),
    ADD CONSTRAINT callbacks_state_check CHECK (state IN ('open', 'done', 'cancelled'));
CREATE UNIQUE INDEX callbacks_open_phone ON callbacks (phone) WHERE state = 'open';
