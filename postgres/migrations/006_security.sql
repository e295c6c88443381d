-- Security hardening: counters of uses per key (failed logins, SMS codes,
-- public requests) that replace login_failures, idempotency keys of ticket
-- creation, the snapshot a department delivery carries, and one-time codes
-- that prove a citizen's phone.

DROP TABLE login_failures;

-- A fixed window per key: uses counted since window_start until window_end.
CREATE TABLE quotas (
    key        text PRIMARY KEY CHECK (octet_length(key) <= 300),
    uses       integer NOT NULL,
    window_end timestamptz NOT NULL
);
CREATE INDEX quotas_window_end ON quotas (window_end);

-- A delivery carries the ticket as its department could see it when the
-- event happened (masked), not the ticket's state when it is sent; one
-- whose department no longer has the ticket is cancelled, not sent.
ALTER TABLE deliveries ADD COLUMN ticket jsonb;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled'));

---- create above / drop below ----

UPDATE deliveries SET state = 'failed' WHERE state = 'cancelled';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check CHECK (state IN ('pending', 'delivered', 'failed'));
ALTER TABLE deliveries DROP COLUMN ticket;

DROP TABLE quotas;
CREATE TABLE login_failures (
    key      text PRIMARY KEY,
    count    integer NOT NULL,
    first_at timestamptz NOT NULL
);
