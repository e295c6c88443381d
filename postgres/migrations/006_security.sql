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

-- Idempotency keys of ticket creation: a retry with the same key (in the
-- same scope: one staff user, or one citizen's phone) answers the ticket
-- the first request created. Kept a day.
CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 255),
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    request_hash bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- One-time codes that prove a citizen holds a phone (hashed with the
-- phone); a new code replaces the old one.
CREATE TABLE phone_codes (
    phone      text PRIMARY KEY,
    code_hash  bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    tries      integer NOT NULL DEFAULT 0
);
CREATE INDEX phone_codes_expires_at ON phone_codes (expires_at);

-- A delivery carries the ticket as its department could see it when the
-- event happened (masked), not the ticket's state when it is sent; one
-- whose department no longer has the ticket is cancelled, not sent.
ALTER TABLE deliveries ADD COLUMN ticket jsonb;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled'));

---- create above / drop below ----

DROP TABLE idempotency_keys, phone_codes;
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
