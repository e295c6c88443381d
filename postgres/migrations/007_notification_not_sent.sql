-- A citizen notification that nothing sent (no SMS gateway configured, or
-- demo history) is recorded as such, with the reason, instead of as sent.

ALTER TABLE notifications
    DROP CONSTRAINT notifications_state_check,
    ADD CONSTRAINT notifications_state_check CHECK (state IN ('sent', 'not_sent', 'failed', 'skipped')),
    ADD COLUMN reason text NOT NULL DEFAULT '';

---- create above / drop below ----

UPDATE notifications SET state = 'sent' WHERE state = 'not_sent';
ALTER TABLE notifications
    DROP COLUMN reason,
    DROP CONSTRAINT notifications_state_check,
    ADD CONSTRAINT notifications_state_check CHECK (state IN ('sent', 'failed', 'skipped'));
